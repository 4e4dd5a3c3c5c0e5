/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * liveupdate.h - userspace interface of /dev/liveupdate (luo).
 *
 * Binary compatible with the Live Update Orchestrator of upstream Linux
 * (7.2): a program written against the upstream header builds against
 * this one unchanged and behaves the same.
 */
#ifndef _UAPI_LINUX_LIVEUPDATE_H
#define _UAPI_LINUX_LIVEUPDATE_H

#include <linux/ioctl.h>
#include <linux/types.h>

/**
 * DOC: General ioctl format
 *
 * Every command is _IO(LIVEUPDATE_IOCTL_TYPE, nr): no size or direction
 * bits.  Its argument points to a structure whose first member, @size,
 * the caller sets to sizeof the structure it was built with.  The kernel
 * reads min(@size, its own size) bytes; a larger @size is accepted only if
 * every byte past what the kernel knows is zero (otherwise E2BIG), and a
 * @size below the kernel's minimum is EINVAL.  Replies are written back
 * into min(@size, kernel size) bytes.  The checks come in this order: an
 * nr outside the range of the file is EINVAL; an unreadable @size is
 * EFAULT; a known nr with any other command word is ENOTTY; a session
 * command on the wrong kind of session (outgoing or incoming) is EINVAL;
 * then the @size rules above.  A new file descriptor is installed only
 * after the reply was copied out, and is always close-on-exec.
 */

#define LIVEUPDATE_IOCTL_TYPE 0xBA

/* Bytes of a session name, the terminating NUL included. */
#define LIVEUPDATE_SESSION_NAME_LENGTH 64

/* Commands of /dev/liveupdate. */
enum {
	LIVEUPDATE_CMD_BASE = 0x00,
	LIVEUPDATE_CMD_CREATE_SESSION = LIVEUPDATE_CMD_BASE,
	LIVEUPDATE_CMD_RETRIEVE_SESSION = 0x01,
};

/* Commands of a session file descriptor. */
enum {
	LIVEUPDATE_CMD_SESSION_BASE = 0x40,
	LIVEUPDATE_CMD_SESSION_PRESERVE_FD = LIVEUPDATE_CMD_SESSION_BASE,
	LIVEUPDATE_CMD_SESSION_RETRIEVE_FD = 0x41,
	LIVEUPDATE_CMD_SESSION_FINISH = 0x42,
	LIVEUPDATE_CMD_SESSION_GET_NAME = 0x43,
};

/**
 * struct liveupdate_ioctl_create_session - LIVEUPDATE_IOCTL_CREATE_SESSION
 * @size: sizeof(struct liveupdate_ioctl_create_session).
 * @fd: output: the new session's file descriptor (O_CLOEXEC).
 * @name: input: 1..63 bytes and a NUL; unique among outgoing sessions.
 *
 * Creates an outgoing session: files preserved in it are handed to the
 * next kernel.  Errors: EINVAL (bad name), EEXIST (name in use), ENOSPC
 * (the handover is full), ENOMEM.
 */
struct liveupdate_ioctl_create_session {
	__u32 size;
	__s32 fd;
	__u8 name[LIVEUPDATE_SESSION_NAME_LENGTH];
};

#define LIVEUPDATE_IOCTL_CREATE_SESSION \
	_IO(LIVEUPDATE_IOCTL_TYPE, LIVEUPDATE_CMD_CREATE_SESSION)

/**
 * struct liveupdate_ioctl_retrieve_session - LIVEUPDATE_IOCTL_RETRIEVE_SESSION
 * @size: sizeof(struct liveupdate_ioctl_retrieve_session).
 * @fd: output: the session's file descriptor (O_CLOEXEC).
 * @name: input: the name of an incoming session.
 *
 * Hands out an incoming session (one the previous kernel handed over).
 * Errors: ENOENT (no such incoming session), EINVAL (bad name, or already
 * retrieved).
 */
struct liveupdate_ioctl_retrieve_session {
	__u32 size;
	__s32 fd;
	__u8 name[LIVEUPDATE_SESSION_NAME_LENGTH];
};

#define LIVEUPDATE_IOCTL_RETRIEVE_SESSION \
	_IO(LIVEUPDATE_IOCTL_TYPE, LIVEUPDATE_CMD_RETRIEVE_SESSION)

/**
 * struct liveupdate_session_preserve_fd - LIVEUPDATE_SESSION_PRESERVE_FD
 * @size: sizeof(struct liveupdate_session_preserve_fd).
 * @fd: input: the file descriptor to preserve.
 * @token: input: the caller's name for it, unique in the session.
 *
 * Outgoing sessions only.  The module keeps its own reference to the
 * file.  Errors: EINVAL (incoming session), EEXIST (token in use), EBADF,
 * ENOENT (no handler for this kind of file), EBUSY (the file is already
 * preserved, in any session), EOPNOTSUPP (unsupported file state, e.g.
 * seals), ENOSPC (the handover has no room for it: decided from the
 * file's size, before anything is allocated), ENOMEM, EAGAIN, EINTR (a
 * signal; nothing was done, or a fatal one while the file's swapped-out
 * pages were being read back).
 *
 * What the next kernel receives of a memfd is its contents at the freeze:
 * holes punched while it is preserved (FALLOC_FL_PUNCH_HOLE, MADV_REMOVE)
 * arrive as zeros, pages written after that as written.
 */
struct liveupdate_session_preserve_fd {
	__u32 size;
	__s32 fd;
	__aligned_u64 token;
};

#define LIVEUPDATE_SESSION_PRESERVE_FD \
	_IO(LIVEUPDATE_IOCTL_TYPE, LIVEUPDATE_CMD_SESSION_PRESERVE_FD)

/**
 * struct liveupdate_session_retrieve_fd - LIVEUPDATE_SESSION_RETRIEVE_FD
 * @size: sizeof(struct liveupdate_session_retrieve_fd).
 * @fd: output: a new file descriptor (O_CLOEXEC) for the file.
 * @token: input: the token it was preserved with.
 *
 * Incoming sessions only.  The first success restores the file; later
 * calls return new descriptors of the same file.  A restore that fails
 * because the record is damaged or unsupported is permanent: every later
 * call returns the same error.  Running out of descriptors (EMFILE), of
 * memory (ENOMEM, or ENOSPC from a memory cgroup or tmpfs limit), a
 * signal (EINTR) or EAGAIN is not a verdict on the record, and a retry
 * may succeed.  Errors: EINVAL (outgoing session), ENOENT (unknown
 * token), EMFILE, ENOMEM, ENOSPC, EINTR, EAGAIN, or the restore's error.
 */
struct liveupdate_session_retrieve_fd {
	__u32 size;
	__s32 fd;
	__aligned_u64 token;
};

#define LIVEUPDATE_SESSION_RETRIEVE_FD \
	_IO(LIVEUPDATE_IOCTL_TYPE, LIVEUPDATE_CMD_SESSION_RETRIEVE_FD)

/**
 * struct liveupdate_session_finish - LIVEUPDATE_SESSION_FINISH
 * @size: sizeof(struct liveupdate_session_finish).
 * @reserved: zero (EINVAL otherwise).
 *
 * Incoming sessions only.  All or nothing: if any file cannot finish yet,
 * EBUSY and nothing changed; otherwise every file is finished, including
 * ones never retrieved (their memory is released).  Closing an incoming
 * session finishes it implicitly.  Errors: EINVAL (outgoing session, or
 * @reserved not zero), EBUSY.
 */
struct liveupdate_session_finish {
	__u32 size;
	__u32 reserved;
};

#define LIVEUPDATE_SESSION_FINISH \
	_IO(LIVEUPDATE_IOCTL_TYPE, LIVEUPDATE_CMD_SESSION_FINISH)

/**
 * struct liveupdate_session_get_name - LIVEUPDATE_SESSION_GET_NAME
 * @size: sizeof(struct liveupdate_session_get_name).
 * @reserved: zero (else EINVAL).
 * @name: output: the session's name, NUL-terminated.
 *
 * Works on outgoing and incoming sessions.
 */
struct liveupdate_session_get_name {
	__u32 size;
	__u32 reserved;
	__u8 name[LIVEUPDATE_SESSION_NAME_LENGTH];
};

#define LIVEUPDATE_SESSION_GET_NAME \
	_IO(LIVEUPDATE_IOCTL_TYPE, LIVEUPDATE_CMD_SESSION_GET_NAME)

#endif /* _UAPI_LINUX_LIVEUPDATE_H */
