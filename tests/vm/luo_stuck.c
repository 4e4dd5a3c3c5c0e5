// SPDX-License-Identifier: GPL-2.0
/*
 * luo_stuck.c - a kexec whose freeze cannot drain must not hang in luo.
 *
 * Run by qemu/run --kexec 1 with luo loaded as freeze_timeout_ms=1000.
 * Stage 1 makes an operation that never leaves luo: a thread writes into a
 * memfd from a userfaultfd-registered page nobody serves, so it sleeps in
 * the fault while holding the memfd's inode lock; a second thread then
 * preserves that memfd, and PRESERVE_FD sleeps on the inode lock inside
 * luo.  The stage ends with both threads stuck and the machine jumps.
 * Stage 2 runs in the kernel the jump reached (so the freeze did not
 * hang) and checks that its status says why nothing was handed over.
 * Output: TAP.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/liveupdate.h>
#include <linux/userfaultfd.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "luo_tap.h"
#include "luo_util.h"

#define PG 4096

static int memfd, session;
static char *missing; /* a page registered with userfaultfd, never served */
static pid_t writer_tid, preserver_tid;

static void *writer(void *arg)
{
	writer_tid = gettid();
	/* Sleeps in the fault on @missing with the inode lock held. */
	if (write(memfd, missing, PG) < 0)
		perror("write");
	return NULL;
}

static void *preserver(void *arg)
{
	preserver_tid = gettid();
	luo_preserve(session, memfd, 1);
	return NULL;
}

/* The state letter of thread @tid ('D', 'S', ...), or '?'. */
static char thread_state(pid_t tid)
{
	char path[64], buf[512], *p;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/self/task/%d/stat", tid);
	f = fopen(path, "r");
	if (!f)
		return '?';
	p = fgets(buf, sizeof(buf), f);
	fclose(f);
	p = p ? strrchr(buf, ')') : NULL;
	return p && p[1] == ' ' ? p[2] : '?';
}

static int stage1(int dev)
{
	struct uffdio_api api = { .api = UFFD_API };
	struct uffdio_register reg = { .mode = UFFDIO_REGISTER_MODE_MISSING };
	pthread_t t1, t2;
	int uffd;

	memfd = memfd_create("stuck", 0);
	session = luo_create_session(dev, "stuck");
	check(memfd >= 0 && !ftruncate(memfd, 4 * PG) && session >= 0,
	      "a memfd and a session");
	uffd = syscall(__NR_userfaultfd, O_CLOEXEC);
	if (uffd < 0) {
		printf("Bail out! userfaultfd: %s\n", strerror(errno));
		return 1;
	}
	missing = mmap(NULL, PG, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	reg.range.start = (unsigned long)missing;
	reg.range.len = PG;
	check(missing != MAP_FAILED && !ioctl(uffd, UFFDIO_API, &api) &&
		      !ioctl(uffd, UFFDIO_REGISTER, &reg),
	      "a userfaultfd page nobody serves");
	pthread_create(&t1, NULL, writer, NULL);
	sleep(1);
	pthread_create(&t2, NULL, preserver, NULL);
	sleep(1);
	check(thread_state(writer_tid) == 'S' ||
		      thread_state(writer_tid) == 'D',
	      "the writer sleeps in the fault (%c)", thread_state(writer_tid));
	check(thread_state(preserver_tid) == 'D',
	      "PRESERVE_FD sleeps on the inode lock, inside luo (%c)",
	      thread_state(preserver_tid));
	printf("# stage 1: %d checks, %d failed; jumping with both stuck\n",
	       checks, failures);
	return failures;
}

/*
 * The threads must outlive the stage's command, so they live in a child
 * that never exits; it reports its failures through a pipe, lets go of
 * stdio (the tee behind it must see EOF) and waits for the jump.
 */
static int stage1_in_child(int dev)
{
	int p[2], fd;
	char n;

	if (pipe(p))
		return 1;
	if (fork()) {
		close(p[1]);
		return read(p[0], &n, 1) == 1 ? n : 1;
	}
	close(p[0]);
	n = stage1(dev);
	fflush(stdout);
	fd = open("/dev/null", O_RDWR);
	dup2(fd, 0);
	dup2(fd, 1);
	dup2(fd, 2);
	if (write(p[1], &n, 1) != 1)
		exit(1);
	for (;;)
		pause();
}

int main(void)
{
	const char *st = getenv("LUO_STAGE");
	int stage = st ? atoi(st) : 1;
	int dev, s;
	char *v;

	setvbuf(stdout, NULL, _IOLBF, 0);
	dev = open("/dev/liveupdate", O_RDWR);
	if (dev < 0) {
		printf("Bail out! open /dev/liveupdate: %s\n", strerror(errno));
		return 1;
	}
	if (stage == 1)
		return stage1_in_child(dev) ? 1 : 0;

	v = status_field("handover");
	check(v && !strcmp(v, "freeze failed"),
	      "the jump happened; handover: %s", v ? v : "?");
	v = status_field("last_error");
	check(v && !strcmp(v,
			   "previous freeze failed: in-flight operations did not drain in 1000 ms"),
	      "the reason: %s", v ? v : "?");
	v = status_field("sessions_in");
	check(v && !strcmp(v, "0"), "nothing restored (%s)", v ? v : "?");
	s = luo_create_session(dev, "after");
	check(s >= 0, "luo works in the new kernel");
	printf("# stage %d: %d checks, %d failed\n", stage, checks, failures);
	return failures ? 1 : 0;
}
