// SPDX-License-Identifier: GPL-2.0
/*
 * file.c - files in sessions: handlers, preservation, retrieval, finish.
 *
 * DOC: Preserved files
 *
 * PRESERVE_FD gives a file to an outgoing session under a token.  luo
 * takes its own reference to the file (the caller may close its fd),
 * finds the handler that accepts it, lets the handler take the file over
 * (for a memfd: freeze its size), reserves the bytes its record will take
 * in the handover, and only then lets the handler prepare for the freeze
 * (for a memfd: keep its pages resident), so that a file too large for
 * the room left costs nothing.  A file can be preserved only once, in any
 * session: the inode is the key of a global table, which also holds
 * retrieved files until their session is finished.
 *
 * Closing an outgoing session unpreserves its files newest first and
 * drops luo's references.  At serialization every file is frozen in
 * preservation order and its handler writes its data into the image.
 *
 * In the next kernel (or after a test round trip), RETRIEVE_FD asks the
 * handler named in the image to rebuild the file from its data; the first
 * success is kept, and so is a failure that judges the data (a transient
 * one, such as running out of memory, is not).  FINISH asks every file
 * whether it can finish, then finishes all of them (the core decides the
 * order).
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/file.h>
#include <linux/fs.h>
#include <linux/hashtable.h>
#include <linux/mutex.h>
#include <linux/seq_file.h>
#include <linux/slab.h>
#include <linux/string.h>

#include <luo/core.h>
#include "luo.h"

static const struct luo_file_handler *const luo_handlers[] = {
	&luo_memfd_handler,
};

/* Inodes held by luo, preserved or retrieved-not-finished (luo.h). */
static DEFINE_MUTEX(luo_preserved_lock);
static DEFINE_HASHTABLE(luo_preserved, 8);

/* Claim @lf->inode for luo; -EBUSY if some session already holds it. */
static int luo_preserved_claim(struct luo_file *lf)
{
	struct luo_file *it;
	int err = 0;

	mutex_lock(&luo_preserved_lock);
	hash_for_each_possible(luo_preserved, it, node,
			       (unsigned long)lf->inode)
		if (it->inode == lf->inode)
			err = -EBUSY;
	if (!err)
		hash_add(luo_preserved, &lf->node, (unsigned long)lf->inode);
	mutex_unlock(&luo_preserved_lock);
	return err;
}

static void luo_preserved_release(struct luo_file *lf)
{
	mutex_lock(&luo_preserved_lock);
	hash_del(&lf->node);
	mutex_unlock(&luo_preserved_lock);
}

static const struct luo_file_handler *luo_handler_for_file(struct file *file)
{
	int i;

	for (i = 0; i < ARRAY_SIZE(luo_handlers); i++)
		if (luo_handlers[i]->can_preserve(file))
			return luo_handlers[i];
	return NULL;
}

static const struct luo_file_handler *luo_handler_by_name(const char *name)
{
	int i;

	for (i = 0; i < ARRAY_SIZE(luo_handlers); i++)
		if (!strcmp(luo_handlers[i]->name, name))
			return luo_handlers[i];
	return NULL;
}

/**
 * luo_file_preserve() - PRESERVE_FD on an outgoing session.
 * @s: the session; the caller holds the serialize rwsem for reading.
 * @fd: the caller's file descriptor.
 * @token: the caller's name for it.
 *
 * Return: 0, -EEXIST, -EBADF, -ENOENT, -EBUSY, -EOPNOTSUPP, -ENOSPC,
 * -ENOMEM, or another handler error; on failure nothing changed.
 */
int luo_file_preserve(struct luo_session *s, int fd, u64 token)
{
	struct file *file = fget(fd);
	int err;

	err = luo_file_preserve_file(s, file, token);
	if (file)
		fput(file);
	return err;
}

/**
 * luo_file_preserve_file() - PRESERVE_FD of a file the caller holds.
 * @s: the session; the caller holds the serialize rwsem for reading.
 * @file: the file, or NULL for a bad descriptor; luo takes its own
 *	reference.
 * @token: the caller's name for it.
 *
 * Return: as luo_file_preserve().
 */
int luo_file_preserve_file(struct luo_session *s, struct file *file, u64 token)
{
	struct luo_registry *r = luo_state.registry;
	struct luo_file_rec *rec;
	struct luo_file *lf;
	u64 cost;
	int err;

	luo_session_lock(s);
	if (luo_file_find(s, token)) {
		err = -EEXIST;
		goto out_unlock;
	}
	if (!file) {
		err = -EBADF;
		goto out_unlock;
	}
	lf = kzalloc(sizeof(*lf), GFP_KERNEL_ACCOUNT);
	if (!lf) {
		err = -ENOMEM;
		goto out_unlock;
	}
	lf->file = get_file(file);
	lf->inode = file_inode(lf->file);
	lf->h = luo_handler_for_file(lf->file);
	if (!lf->h) {
		err = -ENOENT;
		goto out_fput;
	}
	err = luo_preserved_claim(lf);
	if (err)
		goto out_fput;
	err = lf->h->preserve(lf);
	if (err)
		goto out_release;
	cost = luo_file_cost(lf->reserve);
	err = luo_registry_reserve(r, cost);
	if (err)
		goto out_unpreserve;
	if (lf->h->populate) {
		err = lf->h->populate(lf);
		if (err)
			goto out_unreserve;
	}
	err = luo_file_add(s, token, &rec);
	if (err)
		goto out_unreserve;
	luo_file_set_priv(rec, lf);
	luo_file_set_reserved(rec, cost);
	luo_session_unlock(s);
	return 0;

out_unreserve:
	luo_registry_release(r, cost);
out_unpreserve:
	lf->h->unpreserve(lf);
out_release:
	luo_preserved_release(lf);
out_fput:
	fput(lf->file);
	kfree(lf);
out_unlock:
	luo_session_unlock(s);
	return err;
}

/**
 * luo_file_unpreserve_all() - give back every file of an outgoing session,
 * newest first.
 * @s: the session; the caller holds the serialize rwsem for reading.
 */
void luo_file_unpreserve_all(struct luo_session *s)
{
	struct luo_file_rec *rec;

	luo_session_lock(s);
	while ((rec = luo_file_last(s))) {
		struct luo_file *lf = luo_file_priv(rec);

		lf->h->unpreserve(lf);
		luo_preserved_release(lf);
		fput(lf->file);
		kfree(lf);
		luo_registry_release(luo_state.registry,
				     luo_file_reserved(rec));
		luo_file_del(s, rec);
	}
	luo_session_unlock(s);
}

/*
 * Errors that say "not now" rather than "never": memory (a memcg limit is
 * -ENOMEM, a full tmpfs -ENOSPC), a signal, a transient state.
 */
static bool luo_retrieve_transient(int err)
{
	return err == -ENOMEM || err == -ENOSPC || err == -EINTR ||
	       err == -EAGAIN;
}

/**
 * luo_file_retrieve() - RETRIEVE_FD on an incoming session.
 * @s: the session; the caller holds the serialize rwsem for reading.
 * @token: the token.
 * @out: a new reference to the file.
 *
 * Return: 0, -ENOENT (unknown token), a transient error (-ENOMEM,
 * -ENOSPC, -EINTR, -EAGAIN: nothing recorded, try again), or the
 * permanent restore error, which every later call returns too.
 */
int luo_file_retrieve(struct luo_session *s, u64 token, struct file **out)
{
	const struct luo_file_handler *h;
	struct luo_file_rec *rec;
	struct luo_file *lf;
	struct file *file;
	int err;

	luo_session_lock(s);
	rec = luo_file_find(s, token);
	if (!rec) {
		err = -ENOENT;
		goto out;
	}
	err = luo_file_retrieve_status(rec);
	if (err < 0)
		goto out;
	if (err > 0) {
		lf = luo_file_priv(rec);
		*out = get_file(lf->file);
		err = 0;
		goto out;
	}
	h = luo_handler_by_name(luo_file_handler(rec));
	if (!h) {
		err = -ENOENT;
		goto fail;
	}
	lf = kzalloc(sizeof(*lf), GFP_KERNEL_ACCOUNT);
	if (!lf) {
		/* Not a verdict on the data: let the caller try again. */
		err = -ENOMEM;
		goto out;
	}
	file = h->retrieve(luo_file_data(rec), luo_file_data_len(rec));
	if (IS_ERR(file)) {
		kfree(lf);
		err = PTR_ERR(file);
		if (luo_retrieve_transient(err))
			goto out;
		goto fail;
	}
	lf->file = file;
	lf->inode = file_inode(file);
	lf->h = h;
	err = luo_preserved_claim(lf);
	if (err) {
		fput(file);
		kfree(lf);
		goto fail;
	}
	luo_file_set_priv(rec, lf);
	luo_file_set_retrieve_status(rec, 1);
	*out = get_file(file);
	err = 0;
	goto out;
fail:
	luo_file_set_retrieve_status(rec, err);
out:
	luo_session_unlock(s);
	return err;
}

static int luo_file_can_finish(struct luo_file_rec *rec)
{
	struct luo_file *lf = luo_file_priv(rec);

	if (!lf || !lf->h->can_finish)
		return 1;
	return lf->h->can_finish(lf);
}

static void luo_file_finish_one(struct luo_file_rec *rec)
{
	struct luo_file *lf = luo_file_priv(rec);

	if (!lf)
		return; /* never retrieved: its data dies with the image */
	if (lf->h->finish)
		lf->h->finish(lf);
	luo_preserved_release(lf);
	fput(lf->file);
	kfree(lf);
}

/**
 * luo_file_show() - one file line of the session listing.
 * @m: the listing.
 * @rec: the file; the caller holds its session's mutex.
 * @dir: its session's direction.
 *
 * "file TOKEN HANDLER BYTES STATE": BYTES is what the file takes (or
 * took) in the handover image; STATE is "preserved" for outgoing files and
 * "pending", "retrieved" or "failed:ERRNO" for incoming ones.
 */
void luo_file_show(struct seq_file *m, struct luo_file_rec *rec,
		   enum luo_dir dir)
{
	struct luo_file *lf = luo_file_priv(rec);
	int status;

	seq_printf(m, "file %llu ", luo_file_token(rec));
	if (dir == LUO_OUTGOING) {
		seq_printf(m, "%s %llu preserved\n", lf->h->name, lf->reserve);
		return;
	}
	seq_printf(m, "%s %llu ", luo_file_handler(rec),
		   luo_file_data_len(rec));
	status = luo_file_retrieve_status(rec);
	if (status < 0)
		seq_printf(m, "failed:%d\n", -status);
	else
		seq_puts(m, status ? "retrieved\n" : "pending\n");
}

static const struct luo_finish_ops luo_file_finish_ops = {
	.can_finish = luo_file_can_finish,
	.finish = luo_file_finish_one,
};

/**
 * luo_file_finish_session() - FINISH (or the implicit one of close).
 * @s: an incoming session; the caller holds the serialize rwsem.
 *
 * Return: 0, or -EBUSY with nothing changed.
 */
int luo_file_finish_session(struct luo_session *s)
{
	int err;

	luo_session_lock(s);
	err = luo_session_finish(s, &luo_file_finish_ops);
	luo_session_unlock(s);
	return err;
}

static int luo_ser_freeze(void *priv)
{
	struct luo_file *lf = priv;

	return lf->h->freeze ? lf->h->freeze(lf) : 0;
}

static void luo_ser_unfreeze(void *priv)
{
	struct luo_file *lf = priv;

	if (lf->h->unfreeze)
		lf->h->unfreeze(lf);
}

static const char *luo_ser_handler(void *priv)
{
	return ((struct luo_file *)priv)->h->name;
}

static unsigned long long luo_ser_data_len(void *priv)
{
	struct luo_file *lf = priv;

	return min(lf->h->data_len(lf), lf->reserve);
}

static int luo_ser_write_data(void *priv, void *dst, unsigned long long len)
{
	struct luo_file *lf = priv;

	return lf->h->write_data(lf, dst, len);
}

const struct luo_serialize_ops luo_file_serialize_ops = {
	.freeze = luo_ser_freeze,
	.unfreeze = luo_ser_unfreeze,
	.handler = luo_ser_handler,
	.data_len = luo_ser_data_len,
	.write_data = luo_ser_write_data,
};

/*
 * At load, every file of the incoming image: a handler this kernel does
 * not have, or data it refuses, rejects the image whole.
 */
static int luo_dec_check_file(const char *handler, const void *data,
			      unsigned long long len)
{
	const struct luo_file_handler *h = luo_handler_by_name(handler);

	if (!h)
		return -ENOENT;
	return h->check ? h->check(data, len) : 0;
}

const struct luo_decode_ops luo_file_decode_ops = {
	.check_file = luo_dec_check_file,
};
