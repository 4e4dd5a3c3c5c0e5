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
#include <sys/wait.h>
#include <unistd.h>

#include "luo_fail_nth.h"
#include "luo_tap.h"
#include "luo_util.h"

#define ROUNDTRIP "/sys/kernel/debug/luo/roundtrip"
#define DISCARD "/sys/class/misc/liveupdate/discard"

static int nth_fd, dev, roundtrip_fd;

/* Arm the n-th fault (0: disarm); returns what was left of the last. */
static int arm(int n)
{
	return luo_fail_nth(nth_fd, n);
}

static long status_num(const char *key)
{
	char *v = status_field(key);

	return v ? atol(v) : -1;
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

/* Returns the final success's result (for an operation without undo). */
static int run_op(const struct op *op)
{
	struct state before, after;
	int n, r, left, bad_errno = 0, bad_state = 0, failed = 0;

	/* Far more sites than any operation has: a bound, not a figure. */
	for (n = 1; n < 2000; n++) {
		snap(&before);
		arm(n);
		r = op->call();
		left = arm(0);
		if (r >= 0 && (left || !op->undo))
			break; /* done: the n-th site was not reached */
		if (r >= 0) {
			op->undo(r); /* tolerated there; take it back */
			continue;
		}
		failed++;
		if (r != -ENOMEM && r != -EINTR && r != -EAGAIN) {
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
	check(!bad_errno, "%s: %d failure(s), each ENOMEM", op->name, failed);
	check(!bad_state, "%s: the state unchanged after each failure",
	      op->name);
	printf("# figures: %s: %d fault site(s) reached\n", op->name, n - 1);
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

int main(void)
{
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

	setvbuf(stdout, NULL, _IOLBF, 0);
	nth_fd = luo_fail_nth_open();
	if (nth_fd < 0) {
		printf("Bail out! no fault injection in this kernel\n");
		return 1;
	}
	dev = open("/dev/liveupdate", O_RDWR);
	roundtrip_fd = open(ROUNDTRIP, O_WRONLY);
	if (dev < 0 || nth_fd < 0 || roundtrip_fd < 0)
		die("open");
	for (i = 0; i < sizeof(data); i++)
		data[i] = (char)(i * 13 + 1);
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
	close(incoming);
	check(status_num("sessions_in") == 0 && status_num("sessions_out") == 0,
	      "nothing left behind");
	printf("# %d checks, %d failed\n", checks, failures);
	return failures ? 1 : 0;
}
