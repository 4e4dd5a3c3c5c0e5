// SPDX-License-Identifier: GPL-2.0
/*
 * luo-vmm.c - a toy VMM that keeps its guest's memory across a kexec.
 *
 * The demo of `make demo`, run in the test VM by scripts/demo.sh:
 *
 *   luo-vmm start   allocate "guest memory" in a luo memory file
 *                   (/dev/liveupdate_mem: it crosses the kexec in place),
 *                   let a vCPU thread write to it, pause the guest,
 *                   preserve the file in session "vm-demo", and stay alive
 *                   (a daemon) holding the session until the machine kexecs
 *   luo-vmm resume  in the new kernel: retrieve the session and the file,
 *                   check every byte against what the guest wrote before
 *                   the pause, finish the session, report
 *
 * With --memfd (before the verb) the guest memory is a memfd instead,
 * which luo copies into the handover range at the freeze and out again
 * at RETRIEVE_FD, and the session is "vm-demo-memfd".
 *
 * It talks to luo through libluo (tools/libluo/luo.h), as a VMM would.
 * The guest's memory is a function of (seed, number of vCPU passes), both
 * kept in the last page, so the new kernel can recompute every byte.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "luo.h"

/* Guest memory: $LUO_VMM_MIB MiB (default 64), the same in both stages. */
static unsigned long mem_size(void)
{
	const char *v = getenv("LUO_VMM_MIB");
	unsigned long mib = v ? strtoul(v, NULL, 0) : 64;

	return (mib ? mib : 64) << 20;
}

#define MEM_SIZE mem_size()
#define TOKEN 1

static int use_memfd;
static const char *session_name = "vm-demo";
static const char *kind = "memory file";
#define MAGIC 0x6c756f2d766d6d31ULL /* "luo-vmm1" */

struct trailer {
	uint64_t magic;
	uint64_t seed;
	uint64_t passes;
	struct timespec paused; /* CLOCK_REALTIME at the pause */
};

static uint8_t *mem;
static volatile int running = 1;
static uint64_t passes, seed;

static double now(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec + t.tv_nsec / 1e9;
}

/* Word w of the data area after p passes: what the vCPU last wrote there. */
static uint64_t expect(uint64_t w, uint64_t p)
{
	uint64_t x = (w + 1) * 0x9e3779b97f4a7c15ULL ^ seed ^ (p << 32);

	x ^= x >> 31;
	return x * 0xbf58476d1ce4e5b9ULL;
}

static void *vcpu(void *arg)
{
	uint64_t *w = (uint64_t *)mem;
	size_t n = (MEM_SIZE - 4096) / 8, i;

	(void)arg;
	while (running) {
		for (i = 0; i < n; i++)
			w[i] = expect(i, passes + 1);
		passes++;
	}
	return NULL;
}

static void die(const char *what)
{
	fprintf(stderr, "luo-vmm: %s: %s\n", what, strerror(errno));
	exit(1);
}

/* libluo returns -errno: die on a negative result, pass the rest on. */
static int check(int ret, const char *what)
{
	if (ret < 0) {
		errno = -ret;
		die(what);
	}
	return ret;
}

static int start(void)
{
	struct trailer *t;
	pthread_t th;
	int dev, fd, session, p[2];
	char c;

	if (use_memfd) {
		fd = memfd_create("guest-ram", 0);
		if (fd < 0 || ftruncate(fd, MEM_SIZE))
			die("guest memory");
	} else {
		fd = check(luo_mem_create(MEM_SIZE), "/dev/liveupdate_mem");
	}
	mem = mmap(NULL, MEM_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (mem == MAP_FAILED)
		die("mmap");
	seed = (uint64_t)time(NULL) * 2654435761ULL;
	printf("  vmm %s: %lu MiB of guest memory in a %s; the vCPU is running\n",
	       session_name, MEM_SIZE >> 20, kind);
	pthread_create(&th, NULL, vcpu, NULL);
	sleep(3);
	running = 0;
	pthread_join(th, NULL);
	t = (struct trailer *)(mem + MEM_SIZE - 4096);
	t->magic = MAGIC;
	t->seed = seed;
	t->passes = passes;
	clock_gettime(CLOCK_REALTIME, &t->paused);
	printf("  vmm %s: guest paused after %llu pass(es) over its memory\n",
	       session_name, (unsigned long long)passes);

	dev = check(luo_open(), "/dev/liveupdate");
	session =
		check(luo_create_session(dev, session_name), "CREATE_SESSION");
	check(luo_preserve_fd(session, fd, TOKEN), "PRESERVE_FD");
	printf("  vmm %s: session \"%s\" holds the %s (token %d); waiting for the kexec\n",
	       session_name, session_name, kind, TOKEN);
	fflush(stdout);
	close(dev);
	/* Stay alive with the session open, as a VMM would, until the jump. */
	if (pipe(p))
		die("pipe");
	if (fork()) {
		close(p[1]);
		return read(p[0], &c, 1) == 1 ? 0 : 1;
	}
	setsid();
	fd = open("/dev/null", O_RDWR);
	dup2(fd, 0);
	dup2(fd, 1);
	dup2(fd, 2);
	if (write(p[1], "x", 1) != 1)
		return 1;
	for (;;)
		pause();
}

static int resume(void)
{
	struct timespec back;
	struct trailer *t;
	uint64_t *w, i, n = (MEM_SIZE - 4096) / 8, bad = 0;
	double t0, t1, fd0, fd1, blackout;
	uint8_t *copy;
	int dev, session, fd;

	t0 = now();
	dev = check(luo_open(), "/dev/liveupdate");
	session = check(luo_retrieve_session(dev, session_name),
			"RETRIEVE_SESSION");
	close(dev);
	fd0 = now();
	fd = check(luo_retrieve_fd(session, TOKEN), "RETRIEVE_FD");
	fd1 = now();
	mem = mmap(NULL, MEM_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (mem == MAP_FAILED)
		die("mmap");
	t1 = now();
	clock_gettime(CLOCK_REALTIME, &back);
	t = (struct trailer *)(mem + MEM_SIZE - 4096);
	if (t->magic != MAGIC) {
		fprintf(stderr, "luo-vmm: no guest state in the %s\n", kind);
		return 1;
	}
	seed = t->seed;
	w = (uint64_t *)mem;
	for (i = 0; i < n; i++)
		if (w[i] != expect(i, t->passes))
			bad++;
	check(luo_finish(session), "FINISH");
	blackout = back.tv_sec - t->paused.tv_sec +
		   (back.tv_nsec - t->paused.tv_nsec) / 1e9;

	/* For scale: one memcpy of the same size in this guest. */
	copy = malloc(MEM_SIZE);
	memset(copy, 1, MEM_SIZE);
	double c0 = now();
	memcpy(copy, mem, MEM_SIZE);
	/* Keep the copy observable, so the compiler cannot drop it. */
	__asm__ volatile("" : : "r"(copy) : "memory");
	double c1 = now();
	bad += copy[MEM_SIZE / 2] != mem[MEM_SIZE / 2];
	/* And the kernel's copy of it: what bounds luo's copying handover. */
	double k0 = now();
	ssize_t got = pread(fd, copy, MEM_SIZE, 0);
	double k1 = now();

	bad += got != (ssize_t)MEM_SIZE ||
	       copy[MEM_SIZE / 3] != mem[MEM_SIZE / 3];
	/*
	 * And, for a memfd, a new one written with it: what its RETRIEVE_FD
	 * does (a memory file is not copied).
	 */
	double w0 = now(), w1 = w0;

	if (use_memfd) {
		int nfd = memfd_create("luo-vmm-scale", 0);
		ssize_t put = nfd >= 0 ? pwrite(nfd, copy, MEM_SIZE, 0) : -1;

		w1 = now();
		bad += put != (ssize_t)MEM_SIZE;
		if (nfd >= 0)
			close(nfd);
	}
	free(copy);

	printf("  vmm %s: retrieved the session and its %s in %.1f ms\n",
	       session_name, kind, (t1 - t0) * 1e3);
	printf("  vmm %s: of which RETRIEVE_FD: %.3f ms\n", session_name,
	       (fd1 - fd0) * 1e3);
	printf("  vmm %s: checked all %lu bytes of guest memory: %s\n",
	       session_name, MEM_SIZE - 4096,
	       bad ? "MISMATCH" : "identical to what the guest wrote");
	printf("  vmm %s: guest paused -> running again in the new kernel: %.1f s (boot included)\n",
	       session_name, blackout);
	printf("  vmm %s: for scale, memcpy of %lu MiB in this guest: %.1f ms\n",
	       session_name, MEM_SIZE >> 20, (c1 - c0) * 1e3);
	printf("  vmm %s: for scale, the kernel's copy (pread of the %s) of %lu MiB: %.1f ms\n",
	       session_name, kind, MEM_SIZE >> 20, (k1 - k0) * 1e3);
	if (use_memfd)
		printf("  vmm %s: for scale, a write of %lu MiB into a new memfd: %.1f ms\n",
		       session_name, MEM_SIZE >> 20, (w1 - w0) * 1e3);
	return bad ? 1 : 0;
}

int main(int argc, char **argv)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc == 3 && !strcmp(argv[1], "--memfd")) {
		use_memfd = 1;
		session_name = "vm-demo-memfd";
		kind = "memfd";
		argv++;
		argc--;
	}
	if (argc == 2 && !strcmp(argv[1], "start"))
		return start();
	if (argc == 2 && !strcmp(argv[1], "resume"))
		return resume();
	fprintf(stderr, "usage: luo-vmm [--memfd] start|resume\n");
	return 2;
}
