// SPDX-License-Identifier: GPL-2.0
/*
 * luo_busy.c - a daemon that keeps issuing ioctls to /dev/liveupdate, for
 * the test that a kexec freezes luo under load.
 *
 * "luo_busy start" forks a daemon that holds sessions with preserved
 * memfds and, in a loop, creates and preserves more and closes them, until
 * the machine jumps; the parent returns once the daemon is running.  At
 * the reboot notifier the daemon's next ioctl blocks on the serialize
 * rwsem; the kexec must go through without a hang or a kernel report.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/liveupdate.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include "luo_util.h"

static int preserve_new_memfd(int s, unsigned long long token)
{
	int m = memfd_create("busy", 0);
	int err;

	if (m < 0 || ftruncate(m, 8192))
		return -errno;
	err = luo_preserve(s, m, token);
	close(m);
	return err;
}

int main(int argc, char **argv)
{
	int dev, held, s;
	unsigned long long n;
	char name[32];

	if (argc != 2 || strcmp(argv[1], "start")) {
		fprintf(stderr, "usage: luo_busy start\n");
		return 2;
	}
	dev = open("/dev/liveupdate", O_RDWR);
	held = luo_create_session(dev, "busy-held");
	if (dev < 0 || held < 0 || preserve_new_memfd(held, 1))
		return 1;
	/* The parent returns; the loop below runs in the daemon. */
	if (fork())
		return 0;
	setsid();
	s = open("/dev/null", O_RDWR);
	dup2(s, 0);
	dup2(s, 1);
	dup2(s, 2);
	close(s);
	for (n = 0;; n++) {
		snprintf(name, sizeof(name), "busy-%llu", n % 8);
		s = luo_create_session(dev, name);
		if (s < 0)
			continue;
		preserve_new_memfd(s, n);
		close(s);
	}
}
