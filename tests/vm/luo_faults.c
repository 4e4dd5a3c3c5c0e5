// SPDX-License-Identifier: GPL-2.0
/*
 * luo_faults.c - every operation with its 1st, 2nd, 3rd... allocation
 * failing (/proc/thread-self/fail-nth), until it succeeds without
 * reaching the fault.
 *
 * For each fault: the call fails with an errno of the SPEC table (ENOMEM
 * here) or succeeds at a site allowed to fail; the state is as before
 * (the status file's counts, the memfd's seals and size); the kernel
 * prints no WARN and leaks nothing (qemu/run fails the run on either,
 * kmemleak scanning at the end).  Prints the number of fault sites each
 * operation reached.  Needs the test kernel (fault injection) and luo
 * loaded with test_hooks=1.  Output: TAP.
 *
 *   luo_faults              module load (no image), every ioctl, the
 *                           debugfs round trip, discard, close of an
 *                           outgoing and of a retrieved session
 *   luo_faults --image      stage 1 preserves a memfd and holds it to the
 *                           jump; stage 2 (luo not loaded: --skip-load 2)
 *                           loads luo with each fault in turn while an
 *                           image waits in the range: every failed load
 *                           leaves it intact, the first success restores
 *                           it, every byte.
 *
 * --stride N (make check: 8) bounds a module load, whose sites are ~550
 * (most of them memremap_pages() giving the range struct pages): the
 * first and last 64 sites are each injected, and every N-th one between
 * them.  The number of sites is known from a dry run first, its success
 * undone.  Without it (make faults), every site.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/liveupdate.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "luo_fail_nth.h"
#include "luo_tap.h"
#include "luo_range.h"
#include "luo_util.h"

#define ROUNDTRIP "/sys/kernel/debug/luo/roundtrip"
#define DISCARD "/sys/class/misc/liveupdate/discard"

static int nth_fd, dev, roundtrip_fd, discard_fd;

/* --stride N: inject every N-th site between the first and last EDGE. */
static int stride = 1;
#define EDGE 64
/* Far more sites than any operation has: a bound, not a figure. */
#define MAX_SITES 2000

/* Arm the n-th fault (0: disarm); returns what was left of the last. */
static int arm(int n)
{
	return luo_fail_nth(nth_fd, n);
}

/* The state an operation must leave alone when it fails. */
struct state {
	long sessions_out, sessions_in, files_out, files_in, reserved;
};

static void snap(struct state *s)
{
	s->sessions_out = status_num("sessions_out");
	s->sessions_in = status_num("sessions_in");
	s->files_out = status_num("files_out");
	s->files_in = status_num("files_in");
	s->reserved = status_num("reserved_bytes");
}

/*
 * One operation: @call returns >= 0 or -errno; @undo takes back a success
 * (NULL: a success is final, stop at the first).
 */
struct op {
	const char *name;
	int (*call)(void);
	void (*undo)(int r);
};

/* The memfd contents every part of this test writes and expects. */
static void fill(char *data, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++)
		data[i] = (char)(i * 13 + 1);
}

/* Module load: its faults may also say EBUSY (see run_op()). */
static int do_load(void);
/* RETRIEVE_FD: its faults may also say ENOSPC (see run_op()). */
static int do_retrieve_fd(void);

/*
 * The sites a call of @op reaches, from a dry run whose success is undone;
 * MAX_SITES when every site is to be injected (no --stride, or no undo).
 */
static int count_sites(const struct op *op)
{
	int r, left;

	if (stride == 1 || !op->undo)
		return MAX_SITES;
	arm(MAX_SITES * 50);
	r = op->call();
	left = arm(0);
	if (r < 0 || !left) {
		printf("# %s: the dry run failed (%d)\n", op->name, r);
		die("dry run");
	}
	op->undo(r);
	printf("# %s: %d fault site(s) in a dry run\n", op->name,
	       MAX_SITES * 50 - left);
	return MAX_SITES * 50 - left;
}

/* The site after @n: each one near either end, every stride-th between. */
static int next_site(int n, int total)
{
	if (n < EDGE || n >= total - EDGE)
		return n + 1;
	return n + stride < total - EDGE ? n + stride : total - EDGE;
}

/* Returns the final success's result (for an operation without undo). */
static int run_op(const struct op *op)
{
	struct state before, after;
	int n, r, left, bad_errno = 0, bad_state = 0, failed = 0;
	int total = count_sites(op), injected = 0, reached;

	for (n = 1; n < MAX_SITES; n = next_site(n, total)) {
		snap(&before);
		arm(n);
		r = op->call();
		left = arm(0);
		if (r >= 0 && (left || !op->undo))
			break; /* done: the n-th site was not reached */
		injected++;
		if (r >= 0) {
			op->undo(r); /* tolerated there; take it back */
			continue;
		}
		failed++;
		/*
		 * A load may also say EBUSY: request_mem_region() returns
		 * NULL both when the range is taken and when it could not
		 * allocate, and luo cannot tell which.  RETRIEVE_FD may say
		 * ENOSPC: shmem's answer when it cannot allocate the new
		 * memfd's inode, a documented "not now".
		 */
		if (r != -ENOMEM && r != -EINTR && r != -EAGAIN &&
		    !(r == -EBUSY && op->call == do_load) &&
		    !(r == -ENOSPC && op->call == do_retrieve_fd)) {
			bad_errno++;
			printf("# %s: fault %d: errno %d\n", op->name, n, -r);
		}
		snap(&after);
		if (memcmp(&before, &after, sizeof(before))) {
			bad_state++;
			printf("# %s: fault %d: the state changed\n", op->name,
			       n);
		}
	}
	check(r >= 0, "%s: succeeds once faults stop (%d)", op->name, r);
	check(!bad_errno,
	      "%s: %d failure(s), each a \"not now\" of the SPEC table",
	      op->name, failed);
	check(!bad_state, "%s: the state unchanged after each failure",
	      op->name);
	/* fail-nth counts down at each site: what is left tells how many. */
	reached = left ? n - left : n - 1;
	printf("# figures: %s: %d fault site(s) reached, %d injected\n",
	       op->name, reached, injected);
	if (r >= 0 && op->undo)
		op->undo(r);
	return r;
}

static int session, memfd, incoming, retrieved;

static int do_create(void)
{
	return luo_create_session(dev, "faults");
}

static void undo_close(int fd)
{
	close(fd);
}

static int do_preserve(void)
{
	return luo_preserve(session, memfd, 1);
}

/* Unpreserve by closing the session; a new one for the next round. */
static void undo_preserve(int r)
{
	close(session);
	session = luo_create_session(dev, "faults");
}

static int do_get_name(void)
{
	struct liveupdate_session_get_name a = { .size = sizeof(a) };

	return ioctl(session, LIVEUPDATE_SESSION_GET_NAME, &a) ? -errno : 0;
}

/* Through a descriptor opened beforehand: the open is not the operation. */
static int do_roundtrip(void)
{
	return write(roundtrip_fd, "1", 1) == 1 ? 0 : -errno;
}

static void undo_roundtrip(int r)
{
	luo_write_file(DISCARD, "1");
}

/* Module load, with the parameters qemu/run gave it (test_hooks=1). */
static int do_load(void)
{
	return luo_load();
}

static void unload(int r)
{
	luo_unload();
}

/* Through a descriptor opened beforehand, like the round trip. */
static int do_discard(void)
{
	return pwrite(discard_fd, "1", 1, 0) == 1 ? 0 : -errno;
}

/* Put back what the discard dropped: decode the outgoing ones again. */
static void undo_discard(int r)
{
	if (write(roundtrip_fd, "1", 1) != 1)
		die("round trip");
}

static int out_session, memfd2;

/* A session with a preserved memfd, closed: never fails, may allocate. */
static int do_close_out(void)
{
	return close(out_session) ? -errno : 0;
}

static void undo_close_out(int r)
{
	out_session = luo_create_session(dev, "closing");
	if (out_session < 0 || luo_preserve(out_session, memfd2, 7))
		die("closing session");
}

static int do_retrieve_session(void)
{
	return luo_retrieve_session(dev, "faults");
}

static int do_retrieve_fd(void)
{
	return luo_retrieve_fd(incoming, 1);
}

static int do_finish(void)
{
	return luo_finish(incoming);
}

/* Undo a load that succeeded, and so consumed the image: put it back. */
static void unload_and_put_back(int r)
{
	luo_unload();
	memcpy(luo_range, luo_saved, luo_image_len);
}

/*
 * --image, stage 2: luo is not loaded; an image waits in the range.  A load
 * that fails must leave it for the next; one that succeeds restores it.
 */
static int load_with_image(void)
{
	static const struct op load = { "module load, with an image", do_load,
					unload_and_put_back };
	char data[16 * 4096], got[sizeof(data)];
	int in, m;

	luo_read_params();
	luo_map_image();
	run_op(&load); /* its undo put the image back */
	check(!memcmp(luo_range, luo_saved, luo_image_len),
	      "no failed load changed a byte of the image");
	check(!do_load(), "luo loaded, at last");
	fill(data, sizeof(data));
	dev = open("/dev/liveupdate", O_RDWR);
	in = luo_retrieve_session(dev, "image");
	m = in >= 0 ? luo_retrieve_fd(in, 1) : -1;
	check(m >= 0 && pread(m, got, sizeof(got), 0) == sizeof(got) &&
		      !memcmp(data, got, sizeof(data)),
	      "the image survived every failed load: every byte restored");
	check(in >= 0 && !luo_finish(in), "FINISH");
	close(m);
	close(in);
	printf("1..%d\n", checks);
	return failures ? 1 : 0;
}

/* --image, stage 1: a memfd preserved and held until the jump. */
static int preserve_for_image(void)
{
	char data[16 * 4096];
	int s, m;

	fill(data, sizeof(data));
	dev = open("/dev/liveupdate", O_RDWR);
	s = luo_create_session(dev, "image");
	m = memfd_create("image", 0);
	check(m >= 0 && write(m, data, sizeof(data)) == sizeof(data) &&
		      s >= 0 && !luo_preserve(s, m, 1),
	      "stage 1: a memfd preserved for the next kernel");
	printf("1..%d\n", checks);
	fflush(stdout);
	return daemonize_holding(NULL) || failures ? 1 : 0;
}

int main(int argc, char **argv)
{
	static const struct op load = { "module load", do_load, unload };
	static const struct op discard = { "discard", do_discard,
					   undo_discard };
	static const struct op close_out = { "close of an outgoing session",
					     do_close_out, undo_close_out };
	static const struct op create = { "CREATE_SESSION", do_create,
					  undo_close };
	static const struct op preserve = { "PRESERVE_FD", do_preserve,
					    undo_preserve };
	static const struct op get_name = { "GET_NAME", do_get_name, NULL };
	static const struct op roundtrip = { "serialize+decode (debugfs)",
					     do_roundtrip, undo_roundtrip };
	static const struct op retrieve_session = { "RETRIEVE_SESSION",
						    do_retrieve_session, NULL };
	static const struct op retrieve_fd = { "RETRIEVE_FD", do_retrieve_fd,
					       NULL };
	static const struct op finish = { "FINISH", do_finish, NULL };
	char data[16 * 4096], got[sizeof(data)];
	size_t i;
	int image = 0;

	setvbuf(stdout, NULL, _IOLBF, 0);
	nth_fd = luo_fail_nth_open();
	if (nth_fd < 0) {
		printf("Bail out! no fault injection in this kernel\n");
		return 1;
	}
	for (i = 1; i < (size_t)argc; i++) {
		if (!strcmp(argv[i], "--stride") && i + 1 < (size_t)argc)
			stride = atoi(argv[++i]);
		else if (!strcmp(argv[i], "--image"))
			image = 1;
		else
			stride = 0;
	}
	if (stride < 1) {
		printf("Bail out! usage: luo_faults [--image] [--stride N]\n");
		return 1;
	}
	if (image)
		return strcmp(getenv("LUO_STAGE") ?: "1", "1") ?
			       load_with_image() :
			       preserve_for_image();
	/* The load first: luo was loaded by qemu/run, with nothing open. */
	luo_read_params();
	unload(0);
	run_op(&load); /* its undo unloaded it again */
	check(!do_load(), "module load, for the rest");
	dev = open("/dev/liveupdate", O_RDWR);
	roundtrip_fd = open(ROUNDTRIP, O_WRONLY);
	discard_fd = open(DISCARD, O_WRONLY);
	if (dev < 0 || nth_fd < 0 || roundtrip_fd < 0 || discard_fd < 0)
		die("open");
	fill(data, sizeof(data));
	memfd = memfd_create("faults", MFD_ALLOW_SEALING);
	if (memfd < 0 || write(memfd, data, sizeof(data)) != sizeof(data))
		die("memfd");

	run_op(&create);
	session = luo_create_session(dev, "faults");
	run_op(&preserve); /* its undo closed the session it preserved in */
	check(!luo_preserve(session, memfd, 1) &&
		      fcntl(memfd, F_GET_SEALS) ==
			      (F_SEAL_GROW | F_SEAL_SHRINK),
	      "PRESERVE_FD, for the rest: the freeze seals are on");
	check(luo_preserve(session, memfd, 1) == -EEXIST,
	      "PRESERVE_FD of the same token again: EEXIST");
	run_op(&get_name);
	run_op(&roundtrip); /* its undo discarded what it decoded */
	check(!do_roundtrip(), "serialize+decode, for the incoming side");
	run_op(&discard); /* its undo decoded them again */
	check(status_num("sessions_in") == 1, "the incoming session is back");
	memfd2 = memfd_create("closing", 0);
	undo_close_out(0);
	run_op(&close_out); /* its undo made it again */
	close(out_session);
	check(status_num("sessions_out") == 1 && status_num("files_out") == 1,
	      "closing sessions under faults dropped exactly them");
	close(session); /* the outgoing one; the incoming one stays */
	check(fcntl(memfd, F_GET_SEALS) == 0 && !ftruncate(memfd, sizeof(data)),
	      "closing the session gave the memfd back as it was");
	incoming = run_op(&retrieve_session);
	check(luo_retrieve_session(dev, "faults") == -EINVAL,
	      "RETRIEVE_SESSION succeeded once, for good");
	retrieved = run_op(&retrieve_fd);
	check(retrieved >= 0 &&
		      pread(retrieved, got, sizeof(got), 0) == sizeof(got) &&
		      !memcmp(data, got, sizeof(data)),
	      "the retrieved memfd holds every byte");
	run_op(&finish);
	close(retrieved);
	/* A retrieved, finished session's close under each fault. */
	for (i = 1; i < 200; i++) {
		int left;

		arm(i);
		close(incoming);
		left = arm(0);
		if (left)
			break;
		/* Reached a site: make another retrieved session to close. */
		session = luo_create_session(dev, "faults");
		if (session < 0 || luo_preserve(session, memfd, 1) ||
		    do_roundtrip())
			die("outgoing again");
		close(session);
		incoming = luo_retrieve_session(dev, "faults");
		if (incoming < 0 || luo_finish(incoming))
			die("another retrieved session");
	}
	printf("# figures: close of a retrieved session: %zu fault site(s) reached, %zu injected\n",
	       i - 1, i - 1);
	check(status_num("sessions_in") == 0 && status_num("sessions_out") == 0,
	      "nothing left behind");
	printf("# %d checks, %d failed\n", checks, failures);
	return failures ? 1 : 0;
}
