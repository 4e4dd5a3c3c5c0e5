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

static int create_session(int dev, const char *name)
{
	struct liveupdate_ioctl_create_session a = { .size = sizeof(a) };

	snprintf((char *)a.name, sizeof(a.name), "%s", name);
	return ioctl(dev, LIVEUPDATE_IOCTL_CREATE_SESSION, &a) ? -errno : a.fd;
}

static int preserve_new_memfd(int s, unsigned long long token)
{
	struct liveupdate_session_preserve_fd a = { .size = sizeof(a) };
	int m = memfd_create("busy", 0);
	int err;

	if (m < 0 || ftruncate(m, 8192))
		return -errno;
	a.fd = m;
	a.token = token;
	err = ioctl(s, LIVEUPDATE_SESSION_PRESERVE_FD, &a) ? -errno : 0;
	close(m);
	return err;
}

int main(int argc, char **argv)
{
	int ready[2], dev, held, s;
	unsigned long long n;
	char name[32];

	if (argc != 2 || strcmp(argv[1], "start")) {
		fprintf(stderr, "usage: luo_busy start\n");
		return 2;
	}
	if (pipe(ready))
		return 1;
	if (fork()) {
		char c;

		close(ready[1]);
		return read(ready[0], &c, 1) == 1 ? 0 : 1;
	}
	setsid();
	dev = open("/dev/null", O_RDWR);
	dup2(dev, 0);
	dup2(dev, 1);
	dup2(dev, 2);
	close(dev);
	dev = open("/dev/liveupdate", O_RDWR);
	held = create_session(dev, "busy-held");
	if (dev < 0 || held < 0 || preserve_new_memfd(held, 1))
		return 1;
	if (write(ready[1], "x", 1) != 1)
		return 1;
	for (n = 0;; n++) {
		snprintf(name, sizeof(name), "busy-%llu", n % 8);
		s = create_session(dev, name);
		if (s < 0)
			continue;
		preserve_new_memfd(s, n);
		close(s);
	}
}
