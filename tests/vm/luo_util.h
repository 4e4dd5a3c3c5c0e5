/* SPDX-License-Identifier: GPL-2.0 */
/*
 * luo_util.h - the ioctl calls of /dev/liveupdate as functions, for luo's
 * guest test programs (tests/vm/) and the demo VMM (tools/).
 *
 * Each returns the new fd or 0, or -errno; `size` is always set.  Also:
 * daemonize_holding(), which keeps the caller's session fds open across
 * the kexec in a background process, as upstream's tests do, and
 * luo_write_file() for luo's control files (debugfs roundtrip, sysfs
 * discard) and the cgroup files tests set.
 */
#ifndef LUO_TESTS_VM_UTIL_H
#define LUO_TESTS_VM_UTIL_H

#include <errno.h>
#include <fcntl.h>
#include <linux/liveupdate.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

static inline int luo_create_session(int dev, const char *name)
{
	struct liveupdate_ioctl_create_session a = { .size = sizeof(a) };

	snprintf((char *)a.name, sizeof(a.name), "%s", name);
	return ioctl(dev, LIVEUPDATE_IOCTL_CREATE_SESSION, &a) ? -errno : a.fd;
}

static inline int luo_retrieve_session(int dev, const char *name)
{
	struct liveupdate_ioctl_retrieve_session a = { .size = sizeof(a) };

	snprintf((char *)a.name, sizeof(a.name), "%s", name);
	return ioctl(dev, LIVEUPDATE_IOCTL_RETRIEVE_SESSION, &a) ? -errno :
								   a.fd;
}

static inline int luo_preserve(int s, int fd, __u64 token)
{
	struct liveupdate_session_preserve_fd a = {
		.size = sizeof(a),
		.fd = fd,
		.token = token,
	};

	return ioctl(s, LIVEUPDATE_SESSION_PRESERVE_FD, &a) ? -errno : 0;
}

static inline int luo_retrieve_fd(int s, __u64 token)
{
	struct liveupdate_session_retrieve_fd a = {
		.size = sizeof(a),
		.token = token,
	};

	return ioctl(s, LIVEUPDATE_SESSION_RETRIEVE_FD, &a) ? -errno : a.fd;
}

static inline int luo_finish(int s)
{
	struct liveupdate_session_finish a = { .size = sizeof(a) };

	return ioctl(s, LIVEUPDATE_SESSION_FINISH, &a) ? -errno : 0;
}

/* Write @s to the file at @path (open, one write, close): 0 or -errno. */
static inline int luo_write_file(const char *path, const char *s)
{
	size_t n = strlen(s);
	int fd = open(path, O_WRONLY), err = 0;

	if (fd < 0)
		return -errno;
	if (write(fd, s, n) != (ssize_t)n)
		err = -errno;
	close(fd);
	return err;
}

/*
 * Fork: the parent returns 0 once the child runs (1 if it could not start),
 * with the child's pid in *@child if @child is not NULL; the child
 * detaches, lets go of stdio (a pipe to tee must see EOF), tells the
 * parent, and sleeps with every fd it inherited open until the jump.
 */
static inline int daemonize_holding(pid_t *child)
{
	int p[2], fd;
	pid_t pid;
	char c;

	if (pipe(p))
		return 1;
	pid = fork();
	if (pid < 0)
		return 1;
	if (pid) {
		close(p[1]);
		if (child)
			*child = pid;
		return read(p[0], &c, 1) == 1 ? 0 : 1;
	}
	close(p[0]);
	setsid();
	fd = open("/dev/null", O_RDWR);
	dup2(fd, 0);
	dup2(fd, 1);
	dup2(fd, 2);
	if (write(p[1], "x", 1) != 1)
		exit(1);
	for (;;)
		pause();
}

#endif /* LUO_TESTS_VM_UTIL_H */
