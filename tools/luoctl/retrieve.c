// SPDX-License-Identifier: GPL-2.0
/*
 * luoctl retrieve and finish: incoming sessions, their files handed to a
 * command as descriptors, and sessions nobody retrieved finished.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "luoctl.h"

static const char *retrieve_session_hint(int err)
{
	switch (err) {
	case ENOENT:
		return "no incoming session of that name: 'luoctl list' shows what came over";
	case EINVAL:
		return "the session was already retrieved (once per boot); its owner finishes it";
	default:
		return NULL;
	}
}

#define MAX_TOKENS 64

static uint64_t now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

/*
 * The incoming session @name must be pending and hold every token.  A
 * missing listing (no /proc) skips the check; the ioctls still decide.
 */
static int check_tokens(const char *name, const uint64_t *tokens, int ntok)
{
	const struct lsession *s = NULL;
	struct listing l;
	int i, rc = EXIT_OK;
	unsigned int k;

	if (listing_read(&l))
		return EXIT_OK;
	for (size_t j = 0; j < l.n; j++)
		if (!l.s[j].out && !strcmp(l.s[j].name, name))
			s = &l.s[j];
	if (!s) {
		rc = fail_errno(ENOENT, retrieve_session_hint(ENOENT),
				"no incoming session '%s'", name);
		goto out;
	}
	if (strcmp(s->state, "pending")) {
		rc = fail_errno(EINVAL, retrieve_session_hint(EINVAL),
				"session '%s' is %s", name, s->state);
		goto out;
	}
	for (i = 0; i < ntok; i++) {
		for (k = 0; k < s->nf; k++)
			if (s->files[k].token == tokens[i])
				break;
		if (k < s->nf)
			continue;
		fprintf(stderr,
			"luoctl: session '%s' has no token %" PRIu64
			": ENOENT\n  its tokens:",
			name, tokens[i]);
		for (k = 0; k < s->nf; k++)
			fprintf(stderr, " %" PRIu64, s->files[k].token);
		fprintf(stderr, "%s\n  nothing was retrieved\n",
			s->nf ? "" : " none");
		rc = EXIT_FAIL;
		goto out;
	}
out:
	listing_free(&l);
	return rc;
}

int cmd_retrieve(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "session", required_argument, NULL, 's' },
		{ "token", required_argument, NULL, 't' },
		{ "fd", required_argument, NULL, 'f' },
		{ "finish", no_argument, NULL, 'F' },
		{ "help", no_argument, NULL, 'h' },
		{}
	};
	uint64_t tokens[MAX_TOKENS], n;
	int fds[MAX_TOKENS], ntok = 0, first = 3, c, dev, session, i, err;
	char env[32 * MAX_TOKENS], num[32];
	const char *name = NULL;
	uint64_t t0;
	bool finish = false;

	while ((c = getopt_long(argc, argv, "+s:t:f:h", opts, NULL)) != -1) {
		switch (c) {
		case 's':
			name = optarg;
			break;
		case 't':
			if (ntok == MAX_TOKENS || !parse_u64(optarg, &n))
				return usage_error(
					"retrieve",
					"--token wants a number (at most 64 of them)");
			tokens[ntok++] = n;
			break;
		case 'f':
			if (!parse_u64(optarg, &n) || n < 3 || n > 1000)
				return usage_error(
					"retrieve",
					"--fd wants a number from 3 to 1000");
			first = (int)n;
			break;
		case 'F':
			finish = true;
			break;
		case 'h':
			printf("usage: luoctl retrieve --session NAME --token T [--token T2...]\n"
			       "                      [--fd N] [--finish] -- CMD [ARG...]\n\n"
			       "Retrieve the incoming session NAME and its files by token, and run\n"
			       "CMD with them as descriptors N, N+1, ... (default 3), listed in\n"
			       "$LUO_FDS ($LUO_FD is the first).  The session stays open in CMD as\n"
			       "$LUO_SESSION_FD, so CMD may retrieve more and finish it; it is\n"
			       "finished at the latest when CMD exits.  --finish finishes it before\n"
			       "CMD starts: the files become ordinary memfds and tokens not\n"
			       "retrieved are released.  $LUO_RETRIEVE_US is how long the\n"
			       "retrieval (and --finish) took, in microseconds.\n");
			return EXIT_OK;
		default:
			return bad_option("retrieve", argv);
		}
	}
	if (!name || !ntok)
		return usage_error("retrieve",
				   "--session NAME and --token T are required");
	if (optind == argc)
		return usage_error("retrieve", "no command: -- CMD [ARG...]");

	/*
	 * Once retrieved, the session is finished when its last fd closes,
	 * and finishing releases every file nobody retrieved: check the
	 * tokens and CMD before taking it.
	 */
	err = check_tokens(name, tokens, ntok);
	if (err)
		return err;
	if (!executable(argv[optind]))
		return fail_errno(ENOENT, "nothing was retrieved",
				  "cannot find the command %s", argv[optind]);

	dev = open_device();
	if (dev < 0)
		return EXIT_FAIL;
	t0 = now_us();
	session = luo_retrieve_session(dev, name);
	close(dev);
	if (session < 0)
		return fail_errno(-session, retrieve_session_hint(-session),
				  "cannot retrieve session '%s'", name);
	for (i = 0; i < ntok; i++) {
		err = luo_retrieve_fd(session, tokens[i]);
		if (err < 0) {
			fail_errno(
				-err,
				-err == ENOENT ?
					"no such token in the session: 'luoctl list'" :
					"the restore failed; it fails the same way every time",
				"cannot retrieve token %" PRIu64
				" of session '%s'",
				tokens[i], name);
			fprintf(stderr,
				"  the session is finished as luoctl exits\n");
			return EXIT_FAIL;
		}
		/* Out of the way of the target numbers, still close-on-exec. */
		fds[i] = fcntl(err, F_DUPFD_CLOEXEC, first + ntok + 1);
		close(err);
		if (fds[i] < 0)
			return fail_errno(errno, NULL, "fcntl");
	}
	if (finish) {
		err = luo_finish(session);
		if (err)
			return fail_errno(
				-err,
				"a file cannot finish yet; run without --finish and let CMD finish",
				"cannot finish session '%s'", name);
		close(session);
	} else {
		int s = fcntl(session, F_DUPFD, first + ntok);

		if (s < 0)
			return fail_errno(errno, NULL, "fcntl");
		close(session);
		snprintf(num, sizeof(num), "%d", s);
		setenv("LUO_SESSION_FD", num, 1);
	}
	snprintf(num, sizeof(num), "%" PRIu64, now_us() - t0);
	setenv("LUO_RETRIEVE_US", num, 1);
	env[0] = '\0';
	for (i = 0; i < ntok; i++) {
		if (dup2(fds[i], first + i) < 0)
			return fail_errno(errno, NULL, "dup2");
		close(fds[i]);
		snprintf(num, sizeof(num), "%s%d", i ? " " : "", first + i);
		strcat(env, num);
	}
	setenv("LUO_FDS", env, 1);
	snprintf(num, sizeof(num), "%d", first);
	setenv("LUO_FD", num, 1);
	setenv("LUO_SESSION", name, 1);
	execvp(argv[optind], argv + optind);
	err = errno;
	fail_errno(err, NULL, "cannot run %s", argv[optind]);
	return err == ENOENT ? 127 : 126;
}

int cmd_finish(int argc, char **argv)
{
	int i, rc = EXIT_OK;

	if (wants_help(argc, argv)) {
		printf("usage: luoctl finish NAME...\n\n"
		       "Finish incoming sessions nobody retrieved: their files are\n"
		       "released (all or nothing).  A session a process retrieved is\n"
		       "finished by that process (FINISH, or closing it).\n");
		return EXIT_OK;
	}
	if (argc < 2)
		return usage_error("finish", "which session?");
	for (i = 1; i < argc; i++) {
		int dev = open_device(), s, err;

		if (dev < 0)
			return EXIT_FAIL;
		s = luo_retrieve_session(dev, argv[i]);
		close(dev);
		if (s < 0) {
			rc = fail_errno(-s, retrieve_session_hint(-s),
					"cannot finish session '%s'", argv[i]);
			continue;
		}
		err = luo_finish(s);
		if (err) {
			rc = fail_errno(
				-err,
				"a file cannot finish yet; nothing changed, try again",
				"cannot finish session '%s'", argv[i]);
			fprintf(stderr,
				"  closing it now; it stays listed and cannot be retrieved again\n");
		} else {
			printf("session '%s': finished\n", argv[i]);
		}
		close(s);
	}
	return rc;
}
