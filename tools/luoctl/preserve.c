// SPDX-License-Identifier: GPL-2.0
/*
 * luoctl preserve and cancel, and the holder: the process that keeps an
 * outgoing session open until the jump (in a systemd scope of its own
 * under systemd; see luoctl.h).
 */
#define _GNU_SOURCE
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "luoctl.h"

static const char *preserve_hint(int err)
{
	switch (err) {
	case ENOENT:
		return "luo cannot preserve this kind of file: memfds and unlinked tmpfs files only (not hugetlb)";
	case EBUSY:
		return "this file is already preserved in a session (or retrieved and not finished): see 'luoctl list'";
	case EOPNOTSUPP:
		return "the file carries seals luo does not support";
	case EEXIST:
		return "two files were given the same token";
	case ENOSPC:
		return "the handover range is full: raise handover_size (and memmap=), or preserve less";
	case EINTR:
		return "interrupted by a signal; nothing of this file was kept";
	default:
		return NULL;
	}
}

static const char *create_hint(int err)
{
	switch (err) {
	case EEXIST:
		return "an outgoing session of that name exists: 'luoctl list'; 'luoctl cancel NAME' drops it";
	case EINVAL:
		return "a session name is 1 to 63 bytes";
	case ENOSPC:
		return "the handover range is full: raise handover_size (and memmap=)";
	default:
		return NULL;
	}
}

/* Open FILE or take FD (a number) as a file to preserve. */
static int open_arg(const char *arg, bool *opened)
{
	uint64_t n;
	int fd;

	*opened = false;
	if (parse_u64(arg, &n) && n <= INT_MAX) {
		if (fcntl((int)n, F_GETFD) < 0)
			return -errno;
		return (int)n;
	}
	fd = open(arg, O_RDWR | O_CLOEXEC);
	if (fd < 0 && (errno == EACCES || errno == EROFS))
		fd = open(arg, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	*opened = true;
	return fd;
}

static int write_pidfile(const char *name, pid_t pid)
{
	char path[PATH_MAX], tmp[PATH_MAX + 8];
	FILE *f;

	if (mkdir(rundir, 0700) && errno != EEXIST)
		return -errno;
	pidfile_path(name, path, sizeof(path));
	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	f = fopen(tmp, "we");
	if (!f)
		return -errno;
	fprintf(f, "%d\n", pid);
	if (fclose(f) || rename(tmp, path))
		return -errno;
	return 0;
}

/*
 * The holder: a child that keeps @session open until the jump (or until
 * "luoctl cancel" sends it SIGTERM).  Reports on @ready: "0" once its pid
 * file is written, or an errno.
 */
static void __attribute__((noreturn))
hold(int session, const char *name, int ready)
{
	int null, fd, err;

	setsid();
	if (chdir("/"))
		_exit(EXIT_FAIL);
	prctl(PR_SET_NAME, "luoctl-hold");
	null = open("/dev/null", O_RDWR);
	if (null >= 0) {
		dup2(null, 0);
		dup2(null, 1);
		dup2(null, 2);
		if (null > 2)
			close(null);
	}
	for (fd = 3; fd < 1024; fd++)
		if (fd != session && fd != ready)
			close(fd);
	/* Losing the holder unpreserves: keep the OOM killer away. */
	fd = open("/proc/self/oom_score_adj", O_WRONLY | O_CLOEXEC);
	if (fd >= 0) {
		if (write(fd, "-1000", 5) < 0) {
			/* best effort: unprivileged holders cannot */
		}
		close(fd);
	}
	err = write_pidfile(name, getpid());
	if (write(ready, &err, sizeof(err)) != sizeof(err) || err)
		_exit(EXIT_FAIL);
	close(ready);
	for (;;)
		pause();
}

/* The unit name of a session's holder scope: systemd-escape's rules. */
static bool scope_name(const char *name, char *unit, size_t len)
{
	size_t n = (size_t)snprintf(unit, len, "luoctl-hold-");

	for (; *name; name++) {
		unsigned char c = *name;

		if (n + 16 >= len)
			return false;
		if (isalnum(c) || c == '_' || c == '.' || c == ':')
			unit[n++] = c;
		else if (c == '/')
			unit[n++] = '-';
		else
			n += snprintf(unit + n, len - n, "\\x%02x", c);
	}
	snprintf(unit + n, len - n, ".scope");
	return true;
}

/*
 * The holder under systemd, in the forked child: systemd-run puts this
 * process into a new scope and executes "luoctl __hold SESSION READY
 * NAME" in it, which re-executes itself as "@luoctl-hold" (main()).  The
 * two descriptors are inherited.  Only returns if systemd-run cannot be
 * run; a systemd-run that fails closes @ready without a word.
 */
static void hold_in_scope(int session, const char *name, int ready,
			  const char *self)
{
	char sfd[16], rfd[16], unit[256], desc[320];
	const char *args[16];
	int n = 0, err;

	if (fcntl(session, F_SETFD, 0) || fcntl(ready, F_SETFD, 0))
		goto fail;
	snprintf(sfd, sizeof(sfd), "%d", session);
	snprintf(rfd, sizeof(rfd), "%d", ready);
	snprintf(desc, sizeof(desc),
		 "--description=luoctl holder of luo session %s", name);
	args[n++] = "systemd-run";
	args[n++] = "--scope";
	args[n++] = "--quiet";
	args[n++] = "--collect";
	args[n++] = "-p";
	args[n++] = "DefaultDependencies=no";
	if (scope_name(name, unit, sizeof(unit))) {
		args[n++] = "--unit";
		args[n++] = unit;
	}
	args[n++] = desc;
	args[n++] = "--";
	args[n++] = self;
	args[n++] = "__hold";
	args[n++] = sfd;
	args[n++] = rfd;
	args[n++] = name;
	args[n] = NULL;
	execvp(args[0], (char *const *)args);
fail:
	err = errno;
	if (write(ready, &err, sizeof(err)) != sizeof(err)) {
		/* the parent sees EOF */
	}
	_exit(EXIT_FAIL);
}

/* "luoctl __hold SESSION READY NAME", from hold_in_scope(). */
int cmd_hold(int argc, char **argv)
{
	char self[PATH_MAX];
	ssize_t n;

	if (argc != 5)
		return usage_error("__hold", "internal command");
	if (argv[0][0] != '@') {
		n = readlink("/proc/self/exe", self, sizeof(self) - 1);
		if (n > 0) {
			self[n] = '\0';
			argv[0] = "@luoctl-hold";
			execv(self, argv);
		}
		/* without the '@', systemd-shutdown kills the holder */
		fprintf(stderr, "luoctl: cannot re-execute %s: %s\n",
			n > 0 ? self : "/proc/self/exe", strerror(errno));
		return EXIT_FAIL;
	}
	hold(atoi(argv[2]), argv[4], atoi(argv[3]));
}

int cmd_preserve(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "session", required_argument, NULL, 's' },
		{ "token", required_argument, NULL, 't' },
		{ "help", no_argument, NULL, 'h' },
		{}
	};
	const char *name = NULL;
	uint64_t token = 0;
	int c, dev, session, p[2], err = 0, i;
	bool scope = under_systemd();
	char self[PATH_MAX];
	pid_t pid;
	ssize_t n;

	while ((c = getopt_long(argc, argv, "s:t:h", opts, NULL)) != -1) {
		switch (c) {
		case 's':
			name = optarg;
			break;
		case 't':
			if (!parse_u64(optarg, &token))
				return usage_error("preserve",
						   "--token wants a number");
			break;
		case 'h':
			printf("usage: luoctl preserve --session NAME [--token T] FILE|FD...\n\n"
			       "Create the outgoing session NAME and preserve each FILE (a path,\n"
			       "e.g. /proc/PID/fd/N of a VMM's memfd) or FD (a descriptor luoctl\n"
			       "inherited) in it, under tokens T, T+1, ... (default 0).  A holder\n"
			       "process keeps the session open until the kexec; 'luoctl cancel\n"
			       "NAME' stops it, which unpreserves the files.\n");
			return EXIT_OK;
		default:
			return bad_option("preserve", argv);
		}
	}
	if (!name)
		return usage_error("preserve", "--session NAME is required");
	if (optind == argc)
		return usage_error("preserve", "no FILE or FD to preserve");

	dev = open_device();
	if (dev < 0)
		return EXIT_FAIL;
	session = luo_create_session(dev, name);
	close(dev);
	if (session < 0)
		return fail_errno(-session, create_hint(-session),
				  "cannot create session '%s'", name);
	for (i = optind; i < argc; i++, token++) {
		bool opened;
		int fd = open_arg(argv[i], &opened);

		if (fd < 0) {
			err = fail_errno(-fd, NULL, "cannot open %s", argv[i]);
			break;
		}
		err = luo_preserve_fd(session, fd, token);
		if (opened)
			close(fd);
		if (err) {
			err = fail_errno(-err, preserve_hint(-err),
					 "cannot preserve %s in '%s'", argv[i],
					 name);
			break;
		}
	}
	if (err) {
		close(session); /* unpreserves what was preserved */
		fprintf(stderr, "  nothing was preserved in '%s'\n", name);
		return err;
	}

	n = scope ? readlink("/proc/self/exe", self, sizeof(self) - 1) : 0;
	if (n < 0) {
		close(session);
		return fail_errno(errno, NULL, "readlink /proc/self/exe");
	}
	self[n] = '\0';
	if (pipe2(p, O_CLOEXEC))
		return fail_errno(errno, NULL, "pipe");
	fflush(NULL);
	pid = fork();
	if (pid < 0)
		return fail_errno(errno, NULL, "fork");
	if (pid == 0) {
		close(p[0]);
		if (scope)
			hold_in_scope(session, name, p[1], self);
		hold(session, name, p[1]);
	}
	close(p[1]);
	close(session);
	if (read(p[0], &err, sizeof(err)) != sizeof(err)) {
		kill(pid, SIGTERM);
		return fail_msg(
			EXIT_FAIL,
			"the holder of '%s' did not start%s; nothing is preserved",
			name,
			scope ? " (systemd-run failed, see above; LUOCTL_NO_SYSTEMD=1 holds without systemd, but then systemctl kexec kills the holder)" :
				"");
	}
	if (err) {
		kill(pid, SIGTERM);
		if (scope && err == ENOENT)
			return fail_errno(
				err,
				"install systemd-run (package systemd), or LUOCTL_NO_SYSTEMD=1",
				"cannot run systemd-run for the holder of '%s'",
				name);
		return fail_errno(err,
				  "set LUOCTL_RUNDIR to a writable directory",
				  "holder cannot write its pid file in %s",
				  rundir);
	}
	printf("session '%s': %d file(s) preserved (tokens %" PRIu64
	       "..%" PRIu64 "), held by pid %d until the kexec\n",
	       name, argc - optind, token - (argc - optind), token - 1, pid);
	return EXIT_OK;
}

int cmd_cancel(int argc, char **argv)
{
	int i, rc = EXIT_OK;

	if (wants_help(argc, argv)) {
		printf("usage: luoctl cancel NAME...\n\n"
		       "Stop the luoctl holder of the outgoing session NAME: the session\n"
		       "closes and its files are unpreserved (they stay as they are).\n");
		return EXIT_OK;
	}
	if (argc < 2)
		return usage_error("cancel", "which session?");
	for (i = 1; i < argc; i++) {
		char path[PATH_MAX];
		pid_t pid = holder_of(argv[i]);
		int tries;

		if (!pid) {
			rc = fail_msg(
				EXIT_FAIL,
				"no luoctl holder for session '%s' (luoctl list shows the sessions and their holders)",
				argv[i]);
			continue;
		}
		if (kill(pid, SIGTERM)) {
			rc = fail_errno(errno, NULL, "cannot stop pid %d", pid);
			continue;
		}
		/* Gone once its files are closed: a zombie counts as gone. */
		for (tries = 0; tries < 500 && holds_session(pid, argv[i]);
		     tries++)
			usleep(10000);
		pidfile_path(argv[i], path, sizeof(path));
		unlink(path);
		printf("session '%s': holder %d stopped, files unpreserved\n",
		       argv[i], pid);
	}
	return rc;
}
