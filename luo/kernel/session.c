// SPDX-License-Identifier: GPL-2.0
/*
 * session.c - session files and their ioctls.
 *
 * DOC: Sessions
 *
 * A session is a named set of preserved files.  CREATE_SESSION on
 * /dev/liveupdate makes an outgoing one (to hand to the next kernel);
 * RETRIEVE_SESSION hands out an incoming one (handed over by the previous
 * kernel), once.  Either way userspace gets an anon-inode file named
 * "[luo_session] <name>" that holds a reference to the session.
 *
 * What each operation does, and its errnos, is the core's
 * (luo/core/lifecycle.cpp); this file copies the arguments in and out,
 * installs the fd of RETRIEVE_FD last, and makes the session's file.  The
 * release of that file is the core's close: an outgoing session's files
 * are unpreserved, an incoming one is finished.  Every ioctl and the
 * release run with the serialize rwsem held for reading, so the freeze
 * sees either all of an operation or none of it.
 *
 * The ioctls follow the dispatch order the core's rules give
 * (luo_ioctl_find() in include/luo/core.h, the table in
 * luo/core/ioctl.cpp).
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/anon_inodes.h>
#include <linux/err.h>
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/seq_file.h>
#include <linux/slab.h>
#include <linux/stddef.h>
#include <linux/uaccess.h>
#include <uapi/linux/liveupdate.h>

#include <luo/core.h>
#include "luo.h"

static_assert(sizeof(struct liveupdate_ioctl_create_session) == 72);
static_assert(sizeof(struct liveupdate_ioctl_retrieve_session) == 72);
static_assert(sizeof(struct liveupdate_session_preserve_fd) == 16);
static_assert(sizeof(struct liveupdate_session_retrieve_fd) == 16);
static_assert(sizeof(struct liveupdate_session_finish) == 8);
static_assert(sizeof(struct liveupdate_session_get_name) == 72);
static_assert(offsetof(struct liveupdate_ioctl_create_session, name) == 8);
static_assert(offsetof(struct liveupdate_session_preserve_fd, token) == 8);
static_assert(offsetof(struct liveupdate_session_get_name, name) == 8);
static_assert(LIVEUPDATE_SESSION_NAME_LENGTH == LUO_NAME_BUF);
/* The core's rules (luo/core/ioctl.cpp) spell the same command words. */
static_assert(LUO_IOC(LUO_IOC_SESSION_BASE + 0) ==
	      LIVEUPDATE_SESSION_PRESERVE_FD);
static_assert(LUO_IOC(LUO_IOC_SESSION_BASE + 1) ==
	      LIVEUPDATE_SESSION_RETRIEVE_FD);
static_assert(LUO_IOC(LUO_IOC_SESSION_BASE + 2) == LIVEUPDATE_SESSION_FINISH);
static_assert(LUO_IOC(LUO_IOC_SESSION_BASE + 3) == LIVEUPDATE_SESSION_GET_NAME);
static_assert(LIVEUPDATE_CMD_SESSION_BASE == LUO_IOC_SESSION_BASE);

static int luo_session_release(struct inode *inode, struct file *file)
{
	luo_mutation_begin();
	luo_close_session(luo_state.core, file->private_data);
	luo_mutation_end();
	luo_incoming_maybe_release();
	return 0;
}

/*
 * PRESERVE_FD with the file the caller's @fd names (NULL if none: the
 * core checks the token first).  luo takes its own reference.
 */
static int luo_session_preserve(struct luo_session *s, int fd, u64 token)
{
	struct file *file = fget(fd);
	int err = luo_preserve_fd(luo_state.core, s, file, token);

	if (file)
		fput(file);
	return err;
}

/* The operation of @op on @s, its struct copied in at @arg. */
static int luo_session_op(struct luo_session *s, enum luo_ioctl_op op,
			  void *arg, struct file **newfile)
{
	struct liveupdate_session_preserve_fd *preserve = arg;
	struct liveupdate_session_retrieve_fd *retrieve = arg;
	struct liveupdate_session_finish *finish = arg;
	struct liveupdate_session_get_name *get_name = arg;
	int fd, err;

	switch (op) {
	case LUO_OP_PRESERVE_FD:
		return luo_session_preserve(s, preserve->fd, preserve->token);
	case LUO_OP_RETRIEVE_FD:
		fd = get_unused_fd_flags(O_CLOEXEC);
		if (fd < 0)
			return fd;
		err = luo_retrieve_fd(luo_state.core, s, retrieve->token,
				      newfile);
		if (err) {
			put_unused_fd(fd);
			return err;
		}
		retrieve->fd = fd;
		return 0;
	case LUO_OP_FINISH:
		/* Reserved for later use: only zero means "nothing asked for". */
		if (finish->reserved)
			return -EINVAL;
		return luo_finish(luo_state.core, s);
	case LUO_OP_GET_NAME:
		if (get_name->reserved)
			return -EINVAL;
		strscpy(get_name->name, luo_session_name(s),
			sizeof(get_name->name));
		return 0;
	default:
		return -ENOTTY; /* a device ioctl: not in the session's table */
	}
}

/* The dispatch order is the core's (luo_ioctl_find() in core.h). */
static long luo_session_ioctl(struct file *file, unsigned int cmd,
			      unsigned long arg)
{
	struct luo_session *s = file->private_data;
	void __user *uarg = (void __user *)arg;
	const struct luo_ioctl_rule *rule;
	union {
		struct liveupdate_session_preserve_fd preserve;
		struct liveupdate_session_retrieve_fd retrieve;
		struct liveupdate_session_finish finish;
		struct liveupdate_session_get_name get_name;
	} buf;
	struct file *newfile = NULL;
	u32 usize;
	int err;

	rule = luo_ioctl_copy_in(LUO_ON_SESSION, luo_session_dir(s), cmd, uarg,
				 &buf, &usize);
	if (IS_ERR(rule))
		return PTR_ERR(rule);
	err = luo_mutation_begin_interruptible();
	if (err)
		return err;
	err = luo_session_op(s, rule->op, &buf, &newfile);
	luo_mutation_end();
	if (err)
		return err;
	if (newfile)
		return luo_reply_with_fd(uarg, &buf,
					 min_t(size_t, rule->size, usize),
					 buf.retrieve.fd, newfile);
	if (rule->reply &&
	    copy_to_user(uarg, &buf, min_t(size_t, rule->size, usize)))
		return -EFAULT;
	return 0;
}

static const struct file_operations luo_session_fops = {
	.owner = THIS_MODULE,
	.release = luo_session_release,
	.unlocked_ioctl = luo_session_ioctl,
	.compat_ioctl = compat_ptr_ioctl,
	.llseek = noop_llseek,
};

/**
 * luo_session_file() - the anon-inode file a session is handed out as.
 * @s: the session; the file holds the caller's reference, which its
 *	release gives to luo_close_session().
 * @out: the file, "[luo_session] <name>".
 *
 * The core's session_file service (struct luo_kernel_ops).
 *
 * Return: 0 or -errno.
 */
int luo_session_file(struct luo_session *s, struct file **out)
{
	char name[sizeof("[luo_session] ") + LUO_NAME_BUF];
	struct file *file;

	snprintf(name, sizeof(name), "[luo_session] %s", luo_session_name(s));
	file = anon_inode_getfile(name, &luo_session_fops, s, O_RDWR);
	if (IS_ERR(file))
		return PTR_ERR(file);
	*out = file;
	return 0;
}

static void luo_show_session(void *arg, const struct luo_session_view *v)
{
	struct seq_file *m = arg;

	seq_printf(m, "session %s %s %u ",
		   v->dir == LUO_OUTGOING ? "out" : "in", v->state, v->nfiles);
	seq_escape(m, v->name, " \t\n\\");
	seq_putc(m, '\n');
}

static void luo_show_file(void *arg, const struct luo_file_view *v)
{
	struct seq_file *m = arg;

	seq_printf(m, "file %llu %s %llu %s", v->token, v->handler, v->bytes,
		   v->state);
	if (v->error)
		seq_printf(m, ":%d", v->error);
	seq_putc(m, '\n');
}

static const struct luo_listing_ops luo_listing_ops = {
	.session = luo_show_session,
	.file = luo_show_file,
};

/**
 * luo_sessions_show() - the session listing, /proc/driver/<device>.
 * @m: the listing.
 * @unused: unused.
 *
 * Outgoing sessions, then incoming ones, each in creation order:
 * "session DIR STATE NFILES NAME", then a line per file, "file TOKEN
 * HANDLER BYTES STATE".  DIR is "out" or "in"; a session's STATE is
 * "open" or "frozen" (outgoing), "pending", "retrieved" or "finished"
 * (incoming); a file's is "preserved" or "frozen" (outgoing), "pending",
 * "retrieved" or "failed:ERRNO" (incoming).  BYTES is what the file takes
 * (or took) in the handover image.  Space, tab, newline and backslash in
 * NAME are written as octal escapes (\ooo), so every line splits on
 * spaces.  Takes no part in the serialize rwsem: the listing still works
 * after the freeze.
 *
 * Return: 0.
 */
int luo_sessions_show(struct seq_file *m, void *unused)
{
	luo_core_list(luo_state.core, &luo_listing_ops, m);
	return 0;
}
