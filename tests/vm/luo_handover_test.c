// SPDX-License-Identifier: GPL-2.0
/*
 * luo_handover_test.c - sessions and memfds across real kexecs.
 *
 * Run by qemu/run --kexec N in every stage ($LUO_STAGE of $LUO_STAGES).
 * Stage 1 creates the sessions; every later stage retrieves them, checks
 * every byte, size, position and seal against what stage 1 wrote (the
 * data is generated from fixed seeds, so nothing else needs to travel),
 * finishes them in a mixed order, and - if another stage follows -
 * preserves the same files again in new outgoing sessions, carrying the
 * state forward.  Session fds are kept open across the jump by a daemon,
 * as upstream's tests do.  Output: TAP, one line per check group.
 *
 *   luo_handover_test            the full set (one, several, 2000
 *                                sessions, 500 files, 1 MiB random,
 *                                zero-size, fallocated, sealed)
 *   luo_handover_test rejected   stage 1 as "simple"; later stages expect
 *                                the image to have been rejected
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/liveupdate.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "luo_util.h"

#define MANY_SESSIONS 2000
#define WIDE_FILES 500
#define BIG (1 << 20)

static int failures, checks;

static void check(int ok, const char *fmt, ...)
{
	va_list ap;

	checks++;
	printf("%s %d - ", ok ? "ok" : "not ok", checks);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	if (!ok)
		failures++;
}

static void die(const char *what)
{
	printf("Bail out! %s: %s\n", what, strerror(errno));
	exit(1);
}

#define create_session luo_create_session
#define retrieve_session luo_retrieve_session
#define preserve luo_preserve
#define retrieve_fd luo_retrieve_fd
#define finish luo_finish

static void fill(unsigned char *buf, size_t len, unsigned int seed)
{
	size_t i;

	for (i = 0; i < len; i++) {
		seed = seed * 1103515245 + 12345;
		buf[i] = seed >> 16;
	}
}

static char *status_field(const char *key)
{
	static char line[256];
	FILE *f = fopen("/sys/class/misc/liveupdate/status", "r");
	size_t n = strlen(key);

	if (!f)
		return NULL;
	while (fgets(line, sizeof(line), f)) {
		if (!strncmp(line, key, n) && line[n] == ':') {
			fclose(f);
			line[strcspn(line, "\n")] = '\0';
			return line + n + 2;
		}
	}
	fclose(f);
	return NULL;
}

/* The files of stage 1, made from seeds; index = token. */
struct spec {
	const char *session;
	__u64 token;
	size_t size;
	off_t pos;
	unsigned int seals;
	int fallocated;
	unsigned int seed;
};

static const struct spec specs[] = {
	{ "simple", 0x1A, 4096, 0, 0, 0, 1 },
	{ "mixed", 1, BIG, 777, 0, 0, 42 },
	{ "mixed", 2, 0, 0, 0, 0, 0 },
	{ "mixed", 3, 65536, 0, 0, 1, 0 },
	{ "mixed", 4, 100, 5, F_SEAL_WRITE | F_SEAL_GROW, 0, 7 },
};

static int make_file(const struct spec *sp)
{
	int m = memfd_create("stage1", MFD_ALLOW_SEALING);
	unsigned char *buf;

	if (m < 0)
		die("memfd_create");
	if (sp->fallocated) {
		if (fallocate(m, 0, 0, sp->size))
			die("fallocate");
	} else if (sp->size) {
		buf = malloc(sp->size);
		fill(buf, sp->size, sp->seed);
		if (write(m, buf, sp->size) != (ssize_t)sp->size)
			die("write");
		free(buf);
	}
	lseek(m, sp->pos, SEEK_SET);
	if (sp->seals && fcntl(m, F_ADD_SEALS, sp->seals))
		die("F_ADD_SEALS");
	return m;
}

static void verify_file(int fd, const struct spec *sp)
{
	unsigned char *want = calloc(1, sp->size + 1);
	unsigned char *got = calloc(1, sp->size + 1);
	struct stat st;
	ssize_t n;

	if (!sp->fallocated)
		fill(want, sp->size, sp->seed);
	fstat(fd, &st);
	n = pread(fd, got, sp->size, 0);
	check(st.st_size == (off_t)sp->size && n == (ssize_t)sp->size &&
		      !memcmp(want, got, sp->size),
	      "%s/%llu: %zu bytes intact", sp->session,
	      (unsigned long long)sp->token, sp->size);
	check(lseek(fd, 0, SEEK_CUR) == sp->pos, "%s/%llu: position %lld",
	      sp->session, (unsigned long long)sp->token, (long long)sp->pos);
	check(fcntl(fd, F_GET_SEALS) == (int)sp->seals,
	      "%s/%llu: seals %#x (got %#x)", sp->session,
	      (unsigned long long)sp->token, sp->seals, fcntl(fd, F_GET_SEALS));
	free(want);
	free(got);
}

/* Keep the session fds open across the jump; the parent returns. */
static void daemonize(int dev)
{
	close(dev);
	exit(daemonize_holding(NULL) || failures ? 1 : 0);
}

/*
 * Preserve everything.  @files[i] are the memfds of specs[i] (made now in
 * stage 1, retrieved ones later), @wide the 500 small ones.
 */
static void preserve_all(int dev, int *files, int *wide, int full)
{
	int simple, mixed, s, i;
	char name[32];

	simple = create_session(dev, "simple");
	mixed = create_session(dev, "mixed");
	check(simple >= 0 && mixed >= 0 &&
		      create_session(dev, "empty-1") >= 0 &&
		      create_session(dev, "empty-2") >= 0,
	      "created simple, mixed and two empty sessions");
	for (i = 0; i < (int)(sizeof(specs) / sizeof(specs[0])); i++)
		check(!preserve(strcmp(specs[i].session, "simple") ? mixed :
								     simple,
				files[i], specs[i].token),
		      "preserved %s/%llu", specs[i].session,
		      (unsigned long long)specs[i].token);
	if (!full)
		return;
	s = create_session(dev, "wide");
	for (i = 0; i < WIDE_FILES; i++)
		if (preserve(s, wide[i], 1000 + i))
			break;
	check(i == WIDE_FILES, "preserved %d memfds in one session", i);
	for (i = 0; i < MANY_SESSIONS; i++) {
		snprintf(name, sizeof(name), "s-%d", i);
		if (create_session(dev, name) < 0)
			break;
	}
	check(i == MANY_SESSIONS, "created %d more sessions", i);
}

int main(int argc, char **argv)
{
	const char *st = getenv("LUO_STAGE"), *sts = getenv("LUO_STAGES");
	int stage = st ? atoi(st) : 1, stages = sts ? atoi(sts) : 1;
	int rejected = argc > 1 && !strcmp(argv[1], "rejected");
	int nspecs = sizeof(specs) / sizeof(specs[0]);
	struct rlimit rl = { 8192, 8192 };
	int files[8], wide[WIDE_FILES];
	int dev, s, i, in_simple, in_mixed, in_wide;
	char name[32], *v;

	setvbuf(stdout, NULL, _IOLBF, 0);
	setrlimit(RLIMIT_NOFILE, &rl);
	dev = open("/dev/liveupdate", O_RDWR);
	if (dev < 0)
		die("open /dev/liveupdate");

	if (stage == 1) {
		v = status_field("handover");
		check(v && !strcmp(v, "no image"), "stage 1: no image (%s)",
		      v ? v : "?");
		for (i = 0; i < nspecs; i++)
			files[i] = make_file(&specs[i]);
		for (i = 0; i < WIDE_FILES && !rejected; i++) {
			unsigned char b = i;

			wide[i] = memfd_create("wide", 0);
			if (write(wide[i], &b, 1) != 1)
				die("write");
		}
		preserve_all(dev, files, wide, !rejected);
		printf("# stage 1 of %d: %d checks, %d failed\n", stages,
		       checks, failures);
		daemonize(dev);
	}

	if (rejected) {
		v = status_field("handover");
		check(v && !strcmp(v, "rejected"), "image rejected (%s)",
		      v ? v : "?");
		v = status_field("last_error");
		check(v && strcmp(v, "none"), "reason given: %s", v ? v : "?");
		check(retrieve_session(dev, "simple") == -ENOENT,
		      "nothing restored");
		return failures ? 1 : 0;
	}

	v = status_field("handover");
	check(v && !strcmp(v, "restored"), "stage %d: restored (%s)", stage,
	      v ? v : "?");
	v = status_field("generation");
	check(v && atoi(v) == stage - 1, "generation %d (%s)", stage - 1,
	      v ? v : "?");

	in_simple = retrieve_session(dev, "simple");
	in_mixed = retrieve_session(dev, "mixed");
	check(in_simple >= 0 && in_mixed >= 0, "retrieved simple and mixed");
	for (i = 0; i < nspecs; i++) {
		s = strcmp(specs[i].session, "simple") ? in_mixed : in_simple;
		files[i] = retrieve_fd(s, specs[i].token);
		check(files[i] >= 0, "retrieved %s/%llu (%d)", specs[i].session,
		      (unsigned long long)specs[i].token, files[i]);
		if (files[i] >= 0)
			verify_file(files[i], &specs[i]);
	}
	in_wide = retrieve_session(dev, "wide");
	for (i = 0; i < WIDE_FILES; i++) {
		unsigned char b = 0;

		wide[i] = retrieve_fd(in_wide, 1000 + i);
		if (wide[i] < 0 || pread(wide[i], &b, 1, 0) != 1 ||
		    b != (unsigned char)i)
			break;
	}
	check(i == WIDE_FILES, "500 memfds of one session intact (%d)", i);

	/* Finish in another order than creation; some by close. */
	check(!finish(in_mixed), "finished mixed");
	check(!finish(in_wide), "finished wide");
	s = retrieve_session(dev, "empty-2");
	check(s >= 0 && !finish(s), "finished empty-2");
	close(s);
	s = retrieve_session(dev, "empty-1");
	check(s >= 0, "retrieved empty-1");
	close(s);
	check(!finish(in_simple), "finished simple");
	for (i = 0; i < MANY_SESSIONS; i++) {
		snprintf(name, sizeof(name), "s-%d", i);
		s = retrieve_session(dev, name);
		if (s < 0)
			break;
		close(s);
	}
	check(i == MANY_SESSIONS, "%d sessions retrieved and closed", i);
	close(in_mixed);
	close(in_wide);
	close(in_simple);
	v = status_field("sessions_in");
	check(v && !strcmp(v, "0"), "no incoming session left (%s)",
	      v ? v : "?");

	if (stage < stages) {
		preserve_all(dev, files, wide, 1);
		printf("# stage %d of %d: %d checks, %d failed\n", stage,
		       stages, checks, failures);
		daemonize(dev);
	}
	printf("# stage %d of %d: %d checks, %d failed\n", stage, stages,
	       checks, failures);
	return failures ? 1 : 0;
}
