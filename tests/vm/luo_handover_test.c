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
 *                                sessions ($LUO_MANY_SESSIONS), 500 files, 1 MiB random,
 *                                zero-size, fallocated, sealed, plain
 *                                (sealed from birth), ballooned: holes
 *                                punched after preservation and partly
 *                                written again)
 *   luo_handover_test rejected   stage 1 as "simple"; later stages expect
 *                                the image to have been rejected
 *   luo_handover_test stale      stage 1 as "simple"; stage 2 runs
 *                                without luo and waits; stage 3 expects
 *                                the before-load to have found the image
 *                                stale (handover_max_age=5) and the
 *                                default load to restore it
 *   luo_handover_test big        one memfd of LUO_BIG_MIB (default 3072)
 *                                MiB with a per-page pattern, every byte
 *                                checked after the jump
 *
 * If a before-load left /run/luo-badload (a load with a bad device= that
 * must have failed), the stage checks that it failed and that the image
 * was restored by the load after it all the same.
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
#include <stdint.h>
#include <sys/resource.h>
#include <time.h>
#include <sys/stat.h>
#include <unistd.h>

#include "luo_tap.h"
#include "luo_util.h"

/* $LUO_MANY_SESSIONS (the benchmark's metadata run), else 2000. */
static int many_sessions(void)
{
	const char *v = getenv("LUO_MANY_SESSIONS");

	return v && atoi(v) > 0 ? atoi(v) : 2000;
}

#define MANY_SESSIONS many_sessions()
#define WIDE_FILES 500
#define BIG (1 << 20)

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

/* The files of stage 1, made from seeds; index = token. */
struct spec {
	const char *session;
	__u64 token;
	size_t size;
	off_t pos;
	unsigned int seals;
	int fallocated;
	unsigned int seed;
	unsigned int mfd_flags;
	int ballooned;
};

#define PG 4096

static const struct spec specs[] = {
	{ "simple", 0x1A, 4096, 0, 0, 0, 1, MFD_ALLOW_SEALING, 0 },
	{ "mixed", 1, BIG, 777, 0, 0, 42, MFD_ALLOW_SEALING, 0 },
	{ "mixed", 2, 0, 0, 0, 0, 0, MFD_ALLOW_SEALING, 0 },
	{ "mixed", 3, 65536, 0, 0, 1, 0, MFD_ALLOW_SEALING, 0 },
	{ "mixed", 4, 100, 5, F_SEAL_WRITE | F_SEAL_GROW, 0, 7,
	  MFD_ALLOW_SEALING, 0 },
	/* memfd_create() without flags: F_SEAL_SEAL from birth. */
	{ "mixed", 5, 3 * PG, 0, F_SEAL_SEAL, 0, 9, 0, 0 },
	{ "mixed", 6, 8 * PG, 0, 0, 0, 11, MFD_ALLOW_SEALING, 1 },
};

/*
 * What a balloon does to guest memory luo already preserves: pages 1..3
 * punched, page 2 written again, page 5 removed through a mapping.  Done
 * on @fd (>= 0) or, for the expected contents, on @buf.
 */
static void balloon(int fd, unsigned char *buf)
{
	unsigned char page[PG];
	char *map;

	fill(page, PG, 1234);
	if (fd < 0) {
		memset(buf + PG, 0, 3 * PG);
		memcpy(buf + 2 * PG, page, PG);
		memset(buf + 5 * PG, 0, PG);
		return;
	}
	check(!fallocate(fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, PG,
			 3 * PG) &&
		      pwrite(fd, page, PG, 2 * PG) == PG,
	      "ballooned: punched pages 1-3, wrote page 2 again");
	map = mmap(NULL, 8 * PG, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	check(map != MAP_FAILED && !madvise(map + 5 * PG, PG, MADV_REMOVE),
	      "ballooned: removed page 5 through a mapping");
	if (map != MAP_FAILED)
		munmap(map, 8 * PG);
}

static int make_file(const struct spec *sp)
{
	int m = memfd_create("stage1", sp->mfd_flags);
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
	/* Without MFD_ALLOW_SEALING the seals are the memfd's from birth. */
	if ((sp->mfd_flags & MFD_ALLOW_SEALING) && sp->seals &&
	    fcntl(m, F_ADD_SEALS, sp->seals))
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
	if (sp->ballooned)
		balloon(-1, want);
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
	for (i = 0; i < (int)(sizeof(specs) / sizeof(specs[0])); i++) {
		if (!full && strcmp(specs[i].session, "simple"))
			continue;
		check(!preserve(strcmp(specs[i].session, "simple") ? mixed :
								     simple,
				files[i], specs[i].token),
		      "preserved %s/%llu", specs[i].session,
		      (unsigned long long)specs[i].token);
		/* Idempotent: the same holes in every stage. */
		if (specs[i].ballooned)
			balloon(files[i], NULL);
	}
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

/* A before-load tried insmod with a bad device= first: it must have failed. */
static void check_bad_load(void)
{
	char buf[32] = "";
	FILE *f = fopen("/run/luo-badload", "r");

	if (!f)
		return;
	if (!fgets(buf, sizeof(buf), f))
		buf[0] = '\0';
	fclose(f);
	buf[strcspn(buf, "\n")] = '\0';
	check(!strcmp(buf, "refused"),
	      "a load with device=bad.name failed (%s)", buf);
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* Word @w of page @pg of the big memfd: different in every word. */
static uint64_t big_word(uint64_t pg, uint64_t w)
{
	return ((pg << 32) | w) * 0x9E3779B97F4A7C15ULL ^ 0xA5A5A5A5A5A5A5A5ULL;
}

/* One guest-sized memfd, every byte checked across the jump. */
static int big(int dev, int stage)
{
	const char *e = getenv("LUO_BIG_MIB");
	size_t size = (size_t)(e ? atol(e) : 3072) << 20, words = PG / 8;
	size_t pg, w, bad = 0, npages = size / PG;
	uint64_t *p;
	struct stat st;
	double t0;
	int m, s;

	if (stage == 1) {
		m = memfd_create("guest-ram", 0);
		if (m < 0 || ftruncate(m, size))
			die("memfd of the big size");
		p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, m, 0);
		if (p == MAP_FAILED)
			die("mmap");
		for (pg = 0; pg < npages; pg++)
			for (w = 0; w < words; w++)
				p[pg * words + w] = big_word(pg, w);
		munmap(p, size);
		s = create_session(dev, "big");
		t0 = now_s();
		check(s >= 0 && !preserve(s, m, 1), "preserved a %zu MiB memfd",
		      size >> 20);
		printf("# figures: PRESERVE_FD of %zu MiB: %.2f s\n",
		       size >> 20, now_s() - t0);
		close(m);
		printf("# stage 1: %d checks, %d failed\n", checks, failures);
		daemonize(dev);
	}
	e = status_field("previous_freeze_us");
	printf("# figures: previous freeze %s us, ", e ? e : "?");
	e = status_field("restore_us");
	printf("restore %s us\n", e ? e : "?");
	s = retrieve_session(dev, "big");
	t0 = now_s();
	m = s < 0 ? s : retrieve_fd(s, 1);
	check(m >= 0, "retrieved the big memfd (%d)", m);
	if (m < 0)
		return 1;
	printf("# figures: RETRIEVE_FD of %zu MiB: %.2f s\n", size >> 20,
	       now_s() - t0);
	check(!fstat(m, &st) && (size_t)st.st_size == size, "size %zu MiB",
	      size >> 20);
	/* luo builds it in 2 MiB folios where the kernel has THP. */
	if (!access("/sys/kernel/mm/transparent_hugepage", F_OK)) {
		char *kib = field_of("/proc/meminfo", "ShmemHugePages");
		long huge = kib ? atol(kib) << 10 : -1;

		check(huge >= (long)size / 2,
		      "the new memfd is mostly 2 MiB folios (%ld MiB of them)",
		      huge >> 20);
	}
	p = mmap(NULL, size, PROT_READ, MAP_SHARED, m, 0);
	if (p == MAP_FAILED)
		die("mmap");
	for (pg = 0; pg < npages; pg++)
		for (w = 0; w < words; w++)
			bad += p[pg * words + w] != big_word(pg, w);
	check(bad == 0, "every byte of %zu MiB intact (%zu words differ)",
	      size >> 20, bad);
	/* For scale: the same guest copying 256 MiB of it in userspace. */
	{
		size_t n = (size_t)256 << 20;
		void *buf = malloc(n);

		t0 = now_s();
		if (buf && n <= size) {
			memcpy(buf, p, n);
			printf("# figures: memcpy of 256 MiB: %.3f s (%d)\n",
			       now_s() - t0, ((unsigned char *)buf)[n / 2]);
		}
		free(buf);
	}
	munmap(p, size);
	check(!finish(s), "finished");
	printf("# stage %d: %d checks, %d failed\n", stage, checks, failures);
	return failures ? 1 : 0;
}

int main(int argc, char **argv)
{
	const char *st = getenv("LUO_STAGE"), *sts = getenv("LUO_STAGES");
	int stage = st ? atoi(st) : 1, stages = sts ? atoi(sts) : 1;
	const char *mode = argc > 1 ? argv[1] : "";
	int rejected = !strcmp(mode, "rejected");
	int stale = !strcmp(mode, "stale");
	int nspecs = sizeof(specs) / sizeof(specs[0]);
	struct rlimit rl = { 8192 + MANY_SESSIONS, 8192 + MANY_SESSIONS };
	int files[sizeof(specs) / sizeof(specs[0])], wide[WIDE_FILES];
	int dev, s, i, in_simple, in_mixed, in_wide;
	char name[32], *v;

	setvbuf(stdout, NULL, _IOLBF, 0);
	setrlimit(RLIMIT_NOFILE, &rl);
	if (stale && stage == 2) {
		/* A kernel without luo; time passes before the next jump. */
		check(access("/dev/liveupdate", F_OK), "stage 2: no luo here");
		sleep(7);
		return failures ? 1 : 0;
	}
	dev = open("/dev/liveupdate", O_RDWR);
	if (dev < 0)
		die("open /dev/liveupdate");
	if (!strcmp(mode, "big"))
		return big(dev, stage);
	check_bad_load();

	if (stage == 1) {
		v = status_field("handover");
		check(v && !strcmp(v, "no image"), "stage 1: no image (%s)",
		      v ? v : "?");
		for (i = 0; i < nspecs; i++)
			files[i] = make_file(&specs[i]);
		for (i = 0; i < WIDE_FILES && !rejected && !stale; i++) {
			unsigned char b = i;

			wide[i] = memfd_create("wide", 0);
			if (write(wide[i], &b, 1) != 1)
				die("write");
		}
		preserve_all(dev, files, wide, !rejected && !stale);
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

	if (stale) {
		const char *prev = "/run/luo-stale-status";

		v = field_of(prev, "handover");
		check(v && !strcmp(v, "stale"),
		      "with handover_max_age=5: refused as stale (%s)",
		      v ? v : "?");
		v = field_of(prev, "last_error");
		check(v && strstr(v, "stale image: frozen") &&
			      strstr(v, "handover_max_age=5"),
		      "the reason: %s", v ? v : "?");
		v = field_of(prev, "sessions_in");
		check(v && !strcmp(v, "0"), "nothing restored then (%s)",
		      v ? v : "?");
		v = status_field("handover");
		check(v && !strcmp(v, "restored"),
		      "with the default: restored (%s)", v ? v : "?");
		in_simple = retrieve_session(dev, "simple");
		files[0] = in_simple < 0 ? in_simple :
					   retrieve_fd(in_simple, 0x1A);
		check(files[0] >= 0, "retrieved simple/26");
		if (files[0] >= 0)
			verify_file(files[0], &specs[0]);
		check(!finish(in_simple), "finished simple");
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
