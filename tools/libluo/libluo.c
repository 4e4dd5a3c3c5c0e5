// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * libluo.c - /dev/liveupdate as C functions (see luo.h).
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/liveupdate.h>
#include <linux/liveupdate_mem.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "luo.h"

_Static_assert(LUO_SESSION_NAME_MAX == LIVEUPDATE_SESSION_NAME_LENGTH,
	       "name length");
_Static_assert(LUO_MEM_ALIGN == LIVEUPDATE_MEM_ALIGN, "memory file unit");

int luo_open(void)
{
	const char *path = getenv("LUO_DEVICE");
	int fd = open(path && *path ? path : "/dev/liveupdate",
		      O_RDWR | O_CLOEXEC);

	return fd < 0 ? -errno : fd;
}

/* Copy a name into the 64-byte field; -EINVAL if it cannot fit. */
static int put_name(__u8 *dst, const char *name)
{
	size_t n = name ? strlen(name) : 0;

	if (n == 0 || n >= LIVEUPDATE_SESSION_NAME_LENGTH)
		return -EINVAL;
	memcpy(dst, name, n + 1);
	return 0;
}

int luo_create_session(int dev, const char *name)
{
	struct liveupdate_ioctl_create_session a = { .size = sizeof(a) };
	int err = put_name(a.name, name);

	if (err)
		return err;
	return ioctl(dev, LIVEUPDATE_IOCTL_CREATE_SESSION, &a) ? -errno : a.fd;
}

int luo_retrieve_session(int dev, const char *name)
{
	struct liveupdate_ioctl_retrieve_session a = { .size = sizeof(a) };
	int err = put_name(a.name, name);

	if (err)
		return err;
	return ioctl(dev, LIVEUPDATE_IOCTL_RETRIEVE_SESSION, &a) ? -errno :
								   a.fd;
}

int luo_preserve_fd(int session, int fd, uint64_t token)
{
	struct liveupdate_session_preserve_fd a = {
		.size = sizeof(a),
		.fd = fd,
		.token = token,
	};

	return ioctl(session, LIVEUPDATE_SESSION_PRESERVE_FD, &a) ? -errno : 0;
}

int luo_retrieve_fd(int session, uint64_t token)
{
	struct liveupdate_session_retrieve_fd a = {
		.size = sizeof(a),
		.token = token,
	};

	return ioctl(session, LIVEUPDATE_SESSION_RETRIEVE_FD, &a) ? -errno :
								    a.fd;
}

int luo_finish(int session)
{
	struct liveupdate_session_finish a = { .size = sizeof(a) };

	return ioctl(session, LIVEUPDATE_SESSION_FINISH, &a) ? -errno : 0;
}

int luo_get_name(int session, char name[LUO_SESSION_NAME_MAX])
{
	struct liveupdate_session_get_name a = { .size = sizeof(a) };

	if (ioctl(session, LIVEUPDATE_SESSION_GET_NAME, &a))
		return -errno;
	memcpy(name, a.name, sizeof(a.name));
	name[LUO_SESSION_NAME_MAX - 1] = '\0';
	return 0;
}

int luo_preserve_fds(int session, const int *fds, const uint64_t *tokens,
		     size_t n, size_t *done)
{
	size_t i;
	int err = 0;

	for (i = 0; i < n; i++) {
		err = luo_preserve_fd(session, fds[i], tokens[i]);
		if (err)
			break;
	}
	if (done)
		*done = i;
	return err;
}

int luo_retrieve_fds(int session, const uint64_t *tokens, int *fds, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		fds[i] = luo_retrieve_fd(session, tokens[i]);
		if (fds[i] < 0) {
			int err = fds[i];

			while (i--)
				close(fds[i]);
			return err;
		}
	}
	return 0;
}

int luo_mem_create(uint64_t length)
{
	const char *path = getenv("LUO_MEM_DEVICE");
	struct liveupdate_mem_create a = {
		.size = sizeof(a),
		.length = length,
	};
	int dev = open(path && *path ? path : "/dev/liveupdate_mem",
		       O_RDWR | O_CLOEXEC);
	int err = 0;

	if (dev < 0)
		return -errno;
	if (ioctl(dev, LIVEUPDATE_MEM_CREATE, &a))
		err = -errno;
	close(dev);
	return err ? err : a.fd;
}
