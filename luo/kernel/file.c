// SPDX-License-Identifier: GPL-2.0
/*
 * file.c - the kernel services the core's operations use, and the table
 * of file handlers.
 *
 * DOC: Files, as the kernel sees them
 *
 * The core (luo/core/lifecycle.cpp) decides everything about preserved
 * files: the order of the checks of PRESERVE_FD, the capacity, what
 * RETRIEVE_FD keeps, FINISH's all-or-nothing.  What it needs of the kernel
 * is here, in struct luo_kernel_ops: references to files, the
 * inode that keys the set of files luo holds (a file is preserved at most
 * once, in any session, and a retrieved one is held until its session is
 * finished), the session's anon-inode file (session.c), and the freeze's
 * gate: the serialize rwsem and the flag that turns mutations away
 * (freeze.c), and memory files (mem.c).  The handlers that know a kind of
 * file (memfd.c) are listed in luo_handlers, in the order the core asks
 * them whether they accept a file, before its own handler of memory
 * files.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/file.h>
#include <linux/fs.h>

#include <luo/core.h>
#include "luo.h"

const struct luo_file_handler *const luo_handlers[] = {
	&luo_memfd_handler,
};
const unsigned int luo_nhandlers = ARRAY_SIZE(luo_handlers);

static void luo_kget_file(struct file *file)
{
	get_file(file);
}

static void luo_kfput(struct file *file)
{
	fput(file);
}

static const void *luo_kfile_key(struct file *file)
{
	return file_inode(file);
}

const struct luo_kernel_ops luo_kernel_ops = {
	.get_file = luo_kget_file,
	.fput = luo_kfput,
	.file_key = luo_kfile_key,
	.session_file = luo_session_file,
	.gate_close = luo_gate_close,
	.gate_release = luo_gate_release,
	.memfile_of = luo_memfile_of_file,
	.memfile_open = luo_memfile_open,
};
