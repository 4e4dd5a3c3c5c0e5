/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * luo.h - libluo: /dev/liveupdate as C functions.
 *
 * One function per ioctl of include/uapi/linux/liveupdate.h, plus the
 * helpers a VMM needs.  Every function returns a file descriptor or 0 on
 * success and a negative errno on failure (errno itself is left as the
 * kernel set it); @size fields are always filled in.  Descriptors returned
 * are close-on-exec.  Thread-safe: no state is kept.  Usable from C and
 * C++.
 *
 * Link with -lluo (pkg-config --libs libluo).
 */
#ifndef LIBLUO_LUO_H
#define LIBLUO_LUO_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Bytes of a session name, the NUL included (1..63 characters). */
#define LUO_SESSION_NAME_MAX 64

/**
 * luo_open() - open the Live Update Orchestrator device.
 *
 * Opens $LUO_DEVICE if set, else /dev/liveupdate.  Only one open file may
 * exist at a time: a second opener gets -EBUSY.
 *
 * Return: the fd, or -errno.
 */
int luo_open(void);

/**
 * luo_create_session() - create an outgoing session.
 * @dev: from luo_open().
 * @name: 1..63 characters, unique among outgoing sessions.
 *
 * Return: the session fd, or -EINVAL (bad name), -EEXIST, -ENOSPC, ...
 */
int luo_create_session(int dev, const char *name);

/**
 * luo_retrieve_session() - hand out an incoming session, once.
 * @dev: from luo_open().
 * @name: its name.
 *
 * Return: the session fd, or -ENOENT (no such incoming session), -EINVAL
 * (bad name or already retrieved).
 */
int luo_retrieve_session(int dev, const char *name);

/**
 * luo_preserve_fd() - preserve @fd in an outgoing session under @token.
 * @session: an outgoing session fd.
 * @fd: e.g. a memfd; the caller may close it afterwards.
 * @token: unique in the session.
 *
 * Return: 0, or -EEXIST, -EBADF, -ENOENT, -EBUSY, -EOPNOTSUPP, -ENOSPC...
 */
int luo_preserve_fd(int session, int fd, uint64_t token);

/**
 * luo_retrieve_fd() - get back the file preserved under @token.
 * @session: an incoming session fd.
 * @token: its token.
 *
 * Return: a new fd, or -ENOENT, or the (permanent) restore error.
 */
int luo_retrieve_fd(int session, uint64_t token);

/**
 * luo_finish() - finish an incoming session (all or nothing).
 * @session: an incoming session fd.
 *
 * Return: 0, or -EBUSY (nothing changed; try again).
 */
int luo_finish(int session);

/**
 * luo_get_name() - the name of a session.
 * @session: a session fd.
 * @name: LUO_SESSION_NAME_MAX bytes, NUL-terminated on success.
 *
 * Return: 0 or -errno.
 */
int luo_get_name(int session, char name[LUO_SESSION_NAME_MAX]);

/**
 * luo_preserve_fds() - preserve several fds, in order.
 * @session: an outgoing session fd.
 * @fds: the fds.
 * @tokens: their tokens.
 * @n: how many.
 * @done: if not NULL, set to the number preserved.
 *
 * Stops at the first failure; what was preserved stays preserved (close
 * the session to undo).
 *
 * Return: 0 or the first -errno.
 */
int luo_preserve_fds(int session, const int *fds, const uint64_t *tokens,
		     size_t n, size_t *done);

/**
 * luo_retrieve_fds() - retrieve several fds by token, in order.
 * @session: an incoming session fd.
 * @tokens: the tokens.
 * @fds: receives the new fds.
 * @n: how many.
 *
 * On failure the fds retrieved so far are closed again.
 *
 * Return: 0 or the first -errno.
 */
int luo_retrieve_fds(int session, const uint64_t *tokens, int *fds, size_t n);

/* Memory file lengths are multiples of this (2 MiB). */
#define LUO_MEM_ALIGN (2UL << 20)

/**
 * luo_mem_create() - a memory file: guest memory that crosses a kexec in
 * place, without a copy.
 * @length: bytes, a non-zero multiple of LUO_MEM_ALIGN.
 *
 * Opens $LUO_MEM_DEVICE if set, else /dev/liveupdate_mem (any number of
 * processes may), creates the file with LIVEUPDATE_MEM_CREATE and closes
 * the device again.  The file reads as zeros; mmap() it MAP_SHARED, and
 * preserve it with luo_preserve_fd() like a memfd.
 *
 * Return: the file's fd (O_RDWR | O_CLOEXEC), or -ENOENT (no such device:
 * no handover range), -EINVAL (length), -ENOSPC (no room in the range),
 * -ENOMEM, -EINTR.
 */
int luo_mem_create(uint64_t length);

#ifdef __cplusplus
}
#endif

#endif /* LIBLUO_LUO_H */
