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
 * Closing an outgoing session unpreserves its files, newest first, and
 * removes it.  Closing an incoming session finishes it; if it cannot
 * finish, it stays (and cannot be retrieved again).  Every ioctl and the
 * release run with the serialize rwsem held for reading, so the freeze
 * sees either all of an operation or none of it.
 *
 * The ioctls follow the dispatch rules of include/uapi/linux/liveupdate.h:
 * nr out of range EINVAL, size unreadable EFAULT, wrong command word
 * ENOTTY, wrong kind of session EINVAL, size too small EINVAL, non-zero
 * bytes past the known struct E2BIG.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/anon_inodes.h>
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

static int luo_session_release(struct inode *inode, struct file *file)
{
	struct luo_session *s = file->private_data;
	struct luo_registry *r = luo_state.registry;

	luo_mutation_begin();
	if (luo_session_dir(s) == LUO_OUTGOING) {
		luo_file_unpreserve_all(s);
		luo_registry_release(r, luo_session_reserved(s));
		luo_session_remove(r, s);
	} else if (!luo_file_finish_session(s)) {
		luo_session_remove(r, s);
	} else {
		pr_warn("session %s: could not finish on close; it stays until unload\n",
			luo_session_name(s));
	}
	luo_session_put(r, s);
	luo_mutation_end();
	luo_incoming_maybe_release();
	return 0;
}

/* Install a new fd for @file only after the reply reached userspace. */
static int luo_reply_with_fd(void __user *uarg, void *reply, size_t ksize,
			     u32 usize, int fd, struct file *file)
{
	if (copy_to_user(uarg, reply, min_t(size_t, ksize, usize))) {
		fput(file);
		put_unused_fd(fd);
		return -EFAULT;
	}
	fd_install(fd, file);
	return 0;
}

static int luo_session_preserve_fd(struct luo_session *s, void *arg,
				   struct file **newfile)
{
	struct liveupdate_session_preserve_fd *a = arg;

	return luo_file_preserve(s, a->fd, a->token);
}

static int luo_session_retrieve(struct luo_session *s, void *arg,
				struct file **newfile)
{
	struct liveupdate_session_retrieve_fd *a = arg;
	int fd, err;

	fd = get_unused_fd_flags(O_CLOEXEC);
	if (fd < 0)
		return fd;
	err = luo_file_retrieve(s, a->token, newfile);
	if (err) {
		put_unused_fd(fd);
		return err;
	}
	a->fd = fd;
	return 0;
}

static int luo_session_finish_ioctl(struct luo_session *s, void *arg,
				    struct file **newfile)
{
	struct liveupdate_session_finish *a = arg;

	/* Reserved for later use: only zero means "nothing asked for". */
	if (a->reserved)
		return -EINVAL;
	return luo_file_finish_session(s);
}

static int luo_session_get_name(struct luo_session *s, void *arg,
				struct file **newfile)
{
	struct liveupdate_session_get_name *a = arg;

	if (a->reserved)
		return -EINVAL;
	strscpy(a->name, luo_session_name(s), sizeof(a->name));
	return 0;
}

/* Which sessions a command applies to. */
#define LUO_FOR_OUT BIT(LUO_OUTGOING)
#define LUO_FOR_IN BIT(LUO_INCOMING)

struct luo_session_cmd {
	unsigned int cmd;
	size_t size;
	size_t min_size;
	unsigned int kinds;
	bool reply;
	int (*fn)(struct luo_session *s, void *arg, struct file **newfile);
};

#define LUO_CMD(_cmd, _struct, _last, _kinds, _reply, _fn)      \
	{                                                       \
		.cmd = _cmd, .size = sizeof(struct _struct),    \
		.min_size = offsetofend(struct _struct, _last), \
		.kinds = _kinds, .reply = _reply, .fn = _fn     \
	}

static const struct luo_session_cmd luo_session_cmds[] = {
	LUO_CMD(LIVEUPDATE_SESSION_PRESERVE_FD, liveupdate_session_preserve_fd,
		token, LUO_FOR_OUT, false, luo_session_preserve_fd),
	LUO_CMD(LIVEUPDATE_SESSION_RETRIEVE_FD, liveupdate_session_retrieve_fd,
		token, LUO_FOR_IN, true, luo_session_retrieve),
	LUO_CMD(LIVEUPDATE_SESSION_FINISH, liveupdate_session_finish, reserved,
		LUO_FOR_IN, false, luo_session_finish_ioctl),
	LUO_CMD(LIVEUPDATE_SESSION_GET_NAME, liveupdate_session_get_name, name,
		LUO_FOR_OUT | LUO_FOR_IN, true, luo_session_get_name),
};

static long luo_session_ioctl(struct file *file, unsigned int cmd,
			      unsigned long arg)
{
	struct luo_session *s = file->private_data;
	void __user *uarg = (void __user *)arg;
	const struct luo_session_cmd *c;
	unsigned int nr = _IOC_NR(cmd);
	union {
		struct liveupdate_session_preserve_fd preserve;
		struct liveupdate_session_retrieve_fd retrieve;
		struct liveupdate_session_finish finish;
		struct liveupdate_session_get_name get_name;
	} buf;
	struct file *newfile = NULL;
	u32 usize;
	int err;

	if (nr < LIVEUPDATE_CMD_SESSION_BASE ||
	    nr - LIVEUPDATE_CMD_SESSION_BASE >= ARRAY_SIZE(luo_session_cmds))
		return -EINVAL;
	c = &luo_session_cmds[nr - LIVEUPDATE_CMD_SESSION_BASE];
	if (get_user(usize, (u32 __user *)uarg))
		return -EFAULT;
	if (cmd != c->cmd)
		return -ENOTTY;
	if (!(c->kinds & BIT(luo_session_dir(s))))
		return -EINVAL;
	if (usize < c->min_size)
		return -EINVAL;
	err = copy_struct_from_user(&buf, c->size, uarg, usize);
	if (err)
		return err;

	err = luo_mutation_begin_interruptible();
	if (err)
		return err;
	err = c->fn(s, &buf, &newfile);
	luo_mutation_end();
	if (err)
		return err;
	if (newfile)
		return luo_reply_with_fd(uarg, &buf, c->size, usize,
					 buf.retrieve.fd, newfile);
	if (c->reply && copy_to_user(uarg, &buf, min_t(size_t, c->size, usize)))
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

static struct file *luo_session_file(struct luo_session *s)
{
	char name[sizeof("[luo_session] ") + LUO_NAME_BUF];

	snprintf(name, sizeof(name), "[luo_session] %s", luo_session_name(s));
	return anon_inode_getfile(name, &luo_session_fops, s, O_RDWR);
}

/**
 * luo_session_create_file() - CREATE_SESSION: a new outgoing session.
 * @name: LUO_NAME_BUF bytes from userspace.
 * @filep: the session file, holding the caller's reference.
 *
 * The caller holds the serialize rwsem for reading.
 *
 * Return: 0, -EINVAL, -EEXIST, -ENOSPC, -ENOMEM.
 */
int luo_session_create_file(const char *name, struct file **filep)
{
	struct luo_registry *r = luo_state.registry;
	struct luo_session *s;
	struct file *file;
	int err;

	err = luo_session_create(r, name, LUO_OUTGOING, &s);
	if (err)
		return err;
	err = luo_registry_reserve(r, luo_session_cost());
	if (err)
		goto out_remove;
	luo_session_set_reserved(s, luo_session_cost());
	file = luo_session_file(s);
	if (IS_ERR(file)) {
		err = PTR_ERR(file);
		goto out_release;
	}
	*filep = file;
	return 0;

out_release:
	luo_registry_release(r, luo_session_cost());
out_remove:
	luo_session_remove(r, s);
	luo_session_put(r, s);
	return err;
}

/**
 * luo_session_retrieve_file() - RETRIEVE_SESSION: hand out an incoming one.
 * @name: LUO_NAME_BUF bytes from userspace.
 * @filep: the session file.
 *
 * The caller holds the serialize rwsem for reading.  The lookup returns a
 * referenced session, so a concurrent close cannot free it under us.
 *
 * Return: 0, -EINVAL (bad name, already retrieved), -ENOENT (unknown, or
 * dropped by a discard racing this call), -ENOMEM.
 */
int luo_session_retrieve_file(const char *name, struct file **filep)
{
	struct luo_registry *r = luo_state.registry;
	struct luo_session *s;
	struct file *file;
	int err;

	if (luo_name_check(name) < 0)
		return -EINVAL;
	s = luo_session_lookup(r, name, LUO_INCOMING);
	if (!s)
		return -ENOENT;
	luo_session_lock(s);
	if (luo_session_retrieved(s)) {
		err = -EINVAL;
		goto out_unlock;
	}
	/* Found a moment before discard dropped it: it is gone. */
	if (luo_session_discarded(s)) {
		err = -ENOENT;
		goto out_unlock;
	}
	file = luo_session_file(s);
	if (IS_ERR(file)) {
		err = PTR_ERR(file);
		goto out_unlock;
	}
	luo_session_set_retrieved(s);
	luo_session_unlock(s);
	*filep = file; /* keeps the lookup's reference */
	return 0;

out_unlock:
	luo_session_unlock(s);
	luo_session_put(r, s);
	return err;
}

static int luo_session_show_one(struct luo_session *s, void *arg)
{
	struct seq_file *m = arg;
	enum luo_dir dir = luo_session_dir(s);
	struct luo_file_rec *rec;
	const char *state;

	luo_session_lock(s);
	if (dir == LUO_OUTGOING)
		state = "open";
	else if (luo_session_finished(s))
		state = "finished";
	else if (luo_session_retrieved(s))
		state = "retrieved";
	else
		state = "pending";
	seq_printf(m, "session %s %s %u ", dir == LUO_OUTGOING ? "out" : "in",
		   state, luo_session_nfiles(s));
	seq_escape(m, luo_session_name(s), " \t\n\\");
	seq_putc(m, '\n');
	for (rec = luo_file_first(s); rec; rec = luo_file_next(rec))
		luo_file_show(m, rec, dir);
	luo_session_unlock(s);
	return 0;
}

/**
 * luo_sessions_show() - the session listing, /proc/driver/<device>.
 * @m: the listing.
 * @unused: unused.
 *
 * Outgoing sessions, then incoming ones, each in creation order:
 * "session DIR STATE NFILES NAME" followed by its files (luo_file_show()).
 * DIR is "out" or "in"; STATE is "open" for outgoing sessions and
 * "pending", "retrieved" or "finished" for incoming ones.  Space, tab,
 * newline and backslash in NAME are written as octal escapes (\ooo), so
 * every line splits on spaces.  Takes no part in the serialize rwsem: the
 * listing still works after the freeze.
 *
 * Return: 0.
 */
int luo_sessions_show(struct seq_file *m, void *unused)
{
	luo_registry_visit(luo_state.registry, LUO_OUTGOING,
			   luo_session_show_one, m);
	luo_registry_visit(luo_state.registry, LUO_INCOMING,
			   luo_session_show_one, m);
	return 0;
}

static int luo_session_add_nfiles(struct luo_session *s, void *arg)
{
	u64 *n = arg;

	luo_session_lock(s);
	*n += luo_session_nfiles(s);
	luo_session_unlock(s);
	return 0;
}

/**
 * luo_sessions_nfiles() - files in the listed sessions of one direction.
 * @dir: the direction.
 *
 * Return: the count.
 */
u64 luo_sessions_nfiles(enum luo_dir dir)
{
	u64 n = 0;

	luo_registry_visit(luo_state.registry, dir, luo_session_add_nfiles, &n);
	return n;
}
