/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * liveupdate_mem.h - userspace interface of /dev/liveupdate_mem (luo).
 *
 * A luo extension; upstream Linux has no equivalent.  On kernels without
 * Kexec HandOver a memfd can only cross a kexec by being copied.  A luo
 * memory file is memory whose pages *are* the reserved handover range, so
 * preserving it hands its pages over in place: no copy at the freeze, no
 * copy at RETRIEVE_FD, and a blackout that does not grow with its size.
 */
#ifndef _UAPI_LINUX_LIVEUPDATE_MEM_H
#define _UAPI_LINUX_LIVEUPDATE_MEM_H

#include <linux/ioctl.h>
#include <linux/types.h>

/**
 * DOC: Memory files
 *
 * /dev/liveupdate_mem (the name is the ``mem_device`` module parameter)
 * exists only when luo has a handover range; any number of processes may
 * open it.  LIVEUPDATE_MEM_CREATE on it returns a memory file: a regular
 * file of a fixed size whose pages come from the range.
 *
 * - fstat() gives st_size == @length; ftruncate() and fallocate() fail,
 *   read/write/pread/pwrite work within the size.
 * - mmap(MAP_SHARED) at any page-aligned offset, any protection; mapped
 *   with 2 MiB pages where the kernel allows it.  MAP_PRIVATE is EINVAL.
 * - /proc/self/fd/N opens the same file again.
 * - The pages have struct pages (ZONE_DEVICE), so get_user_pages() works
 *   on a mapping: process_vm_readv(), O_DIRECT, vmsplice, VFIO.
 * - A new memory file reads as zeros; memory is zeroed before it is handed
 *   out again.
 * - LIVEUPDATE_SESSION_PRESERVE_FD preserves it (handler "luomem-v1"): the
 *   freeze writes only where its memory is.  After the kexec,
 *   LIVEUPDATE_SESSION_RETRIEVE_FD returns a memory file of the same length
 *   over the same physical memory.  A retrieved memory file can be
 *   preserved again.
 * - Its memory returns to the pool when the last reference to a file that
 *   is not preserved goes, and at FINISH for files never retrieved.
 *
 * The range holds both the handover image and the pool: creating a memory
 * file, creating a session or preserving a file that would not fit fails
 * with ENOSPC at that call.
 */

/* Command of /dev/liveupdate_mem (type 0xBA, as liveupdate.h). */
enum {
	LIVEUPDATE_CMD_MEM_CREATE = 0x80,
};

/* Memory file lengths are multiples of this (2 MiB). */
#define LIVEUPDATE_MEM_ALIGN (2UL << 20)

/**
 * struct liveupdate_mem_create - LIVEUPDATE_MEM_CREATE
 * @size: sizeof(struct liveupdate_mem_create).
 * @fd: output: the memory file (O_RDWR | O_CLOEXEC).
 * @length: input: bytes, a non-zero multiple of LIVEUPDATE_MEM_ALIGN.
 * @flags: input: zero.
 * @reserved: input: zero.
 *
 * The same size, E2BIG, EFAULT and ENOTTY rules as the commands of
 * /dev/liveupdate (liveupdate.h, "General ioctl format").  Errors: EINVAL
 * (@length zero or not a multiple of 2 MiB, @flags or @reserved not zero),
 * ENOSPC (the range has no room for @length), ENOMEM, EINTR (a fatal
 * signal while the memory was being zeroed).
 */
struct liveupdate_mem_create {
	__u32 size;
	__s32 fd;
	__aligned_u64 length;
	__u32 flags;
	__u32 reserved;
};

#define LIVEUPDATE_MEM_CREATE _IO(0xBA, LIVEUPDATE_CMD_MEM_CREATE)

#endif /* _UAPI_LINUX_LIVEUPDATE_MEM_H */
