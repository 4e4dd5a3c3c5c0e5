// SPDX-License-Identifier: GPL-2.0
/*
 * freeze.c - the serialize rwsem, the reboot notifier, and the incoming
 * image.
 *
 * DOC: The reboot-time freeze
 *
 * A module cannot hook kernel_kexec(); it registers a reboot notifier,
 * which runs for a kexec (SYS_RESTART with "kexec reboot") while user tasks
 * still run, and which cannot fail the reboot.  Every operation that
 * changes luo's state holds luo_serialize_rwsem for reading for its whole
 * duration (luo_mutation_begin/end).  The notifier takes it for writing:
 * that waits for every operation already inside to finish, and blocks
 * every later one, so serialization reads a state that cannot change.
 * Then it freezes every preserved file and writes the image.  On success
 * the write lock is never released: luo stays frozen until the machine
 * jumps, and a process still issuing ioctls simply blocks.  Because every
 * byte of the image was reserved when its session or file was created,
 * nothing on this path allocates, and running out of room was an ENOSPC
 * at the ioctl long before.
 *
 * Other reboots (halt, power-off, plain restart) leave luo alone.
 *
 * The same serialization can run outside a reboot (luo_test_serialize(),
 * for KUnit and the debugfs round trip): then it writes into a buffer, and
 * luo_test_thaw() unfreezes the files and releases the lock.
 *
 * DOC: The incoming image
 *
 * Incoming sessions point into the image they were decoded from: the
 * handover range (handover.c), or a buffer of the test round trip, which
 * luo frees when the last incoming session is gone
 * (luo_incoming_maybe_release()); both under luo_in_lock.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/debugfs.h>
#include <linux/fs.h>
#include <linux/kernel.h>
#include <linux/ktime.h>
#include <linux/lockdep.h>
#include <linux/mm.h>
#include <linux/mutex.h>
#include <linux/reboot.h>
#include <linux/rwsem.h>
#include <linux/slab.h>
#include <linux/string.h>

#include <luo/core.h>
#include "luo.h"

/* See luo.h for the lock order. */
static DECLARE_RWSEM(luo_serialize_rwsem);
static DEFINE_MUTEX(luo_in_lock);
static void *luo_in_image; /* protected by luo_in_lock */
static bool luo_in_owned; /* kvfree() it when done (not the range) */

void luo_mutation_begin(void)
{
	down_read(&luo_serialize_rwsem);
}

void luo_mutation_end(void)
{
	up_read(&luo_serialize_rwsem);
}

static int luo_serialize_locked(void *dst, u64 cap, u64 *used)
{
	lockdep_assert_held_write(&luo_serialize_rwsem);
	return luo_serialize(luo_state.registry, &luo_file_serialize_ops, dst,
			     cap, luo_state.generation + 1, used);
}

static int luo_reboot_notify(struct notifier_block *nb, unsigned long action,
			     void *data)
{
	struct luo_handover *h = &luo_handover;
	const char *cmd = data;
	ktime_t t0 = ktime_get();
	u64 used = 0;
	int err;

	if (action != SYS_RESTART || !cmd || strcmp(cmd, "kexec reboot"))
		return NOTIFY_DONE;
	/* Wait for every mutation in flight; block all later ones. */
	down_write(&luo_serialize_rwsem);
	/* Without a range, freezing is all there is (nothing handed over). */
	err = luo_serialize_locked(h->map, h->size, &used);
	h->freeze_ns = ktime_to_ns(ktime_sub(ktime_get(), t0));
	h->out_bytes = used;
	if (err) {
		snprintf(h->last_error, sizeof(h->last_error),
			 "freeze failed: %d", err);
		pr_err("kexec: freeze failed (%d): the handover is invalid\n",
		       err);
	} else if (h->map) {
		pr_info("kexec: handed over %lu session(s), %llu bytes, generation %llu, frozen in %llu us\n",
			luo_registry_count(luo_state.registry, LUO_OUTGOING),
			used, luo_state.generation + 1, h->freeze_ns / 1000);
	} else {
		pr_info("kexec: frozen; handover off: %lu session(s) not handed over\n",
			luo_registry_count(luo_state.registry, LUO_OUTGOING));
	}
	/* The write side stays held: nothing changes until the jump. */
	return NOTIFY_DONE;
}

static struct notifier_block luo_reboot_nb = {
	.notifier_call = luo_reboot_notify,
};

/**
 * luo_test_serialize() - freeze and serialize into a new buffer.
 * @image: the image, kvfree() it (or give it to luo_test_deserialize()).
 * @len: its length.
 *
 * Not the reboot path: allocating here is fine.  On success luo stays
 * frozen until luo_test_thaw().
 *
 * Return: 0 or -errno (then luo is not frozen).
 */
int luo_test_serialize(void **image, u64 *len)
{
	u64 cap, used = 0;
	void *buf;
	int err;

	down_write(&luo_serialize_rwsem);
	cap = luo_image_header_cost() +
	      luo_registry_reserved(luo_state.registry);
	buf = kvzalloc(cap, GFP_KERNEL);
	if (!buf) {
		up_write(&luo_serialize_rwsem);
		return -ENOMEM;
	}
	err = luo_serialize_locked(buf, cap, &used);
	if (err) {
		up_write(&luo_serialize_rwsem);
		kvfree(buf);
		return err;
	}
	*image = buf;
	*len = used;
	return 0;
}

/**
 * luo_test_thaw() - undo a successful luo_test_serialize().
 */
void luo_test_thaw(void)
{
	lockdep_assert_held_write(&luo_serialize_rwsem);
	luo_unfreeze_all(luo_state.registry, &luo_file_serialize_ops);
	up_write(&luo_serialize_rwsem);
}

/**
 * luo_test_deserialize() - decode an image into incoming sessions.
 * @image: from luo_test_serialize(); luo owns it from now on, even on
 *	failure.
 * @len: its length.
 *
 * Return: 0 or -errno (-EBUSY while incoming sessions exist).
 */
int luo_test_deserialize(void *image, u64 len)
{
	char why[64];
	int err;

	mutex_lock(&luo_in_lock);
	if (luo_in_image) {
		mutex_unlock(&luo_in_lock);
		kvfree(image);
		return -EBUSY;
	}
	err = luo_deserialize(luo_state.registry, image, len, why, sizeof(why));
	if (err) {
		pr_err("incoming image rejected: %s\n", why);
		kvfree(image);
	} else {
		luo_in_image = image;
		luo_in_owned = true;
	}
	mutex_unlock(&luo_in_lock);
	return err;
}

/**
 * luo_incoming_adopt() - decode the image in the handover range.
 * @image: the mapped range; incoming sessions point into it.
 * @len: its size.
 * @why: the reason on failure.
 * @why_len: bytes at @why.
 *
 * Return: 0 or -errno; on failure no incoming session exists.
 */
int luo_incoming_adopt(void *image, u64 len, char *why, size_t why_len)
{
	int err;

	mutex_lock(&luo_in_lock);
	err = luo_deserialize(luo_state.registry, image, len, why, why_len);
	if (!err) {
		luo_in_image = image;
		luo_in_owned = false;
	}
	mutex_unlock(&luo_in_lock);
	return err;
}

/**
 * luo_incoming_maybe_release() - free the incoming image once the last
 * incoming session is gone.
 */
void luo_incoming_maybe_release(void)
{
	mutex_lock(&luo_in_lock);
	if (luo_in_image &&
	    !luo_registry_count(luo_state.registry, LUO_INCOMING)) {
		if (luo_in_owned)
			kvfree(luo_in_image);
		luo_in_image = NULL;
	}
	mutex_unlock(&luo_in_lock);
}

/*
 * debugfs luo/roundtrip (test_hooks=1 only): writing to it serializes the
 * outgoing sessions, thaws, and decodes the image as incoming sessions of
 * this same kernel, so that userspace tests can exercise the incoming
 * side without a kexec.
 */
static ssize_t luo_roundtrip_write(struct file *file, const char __user *buf,
				   size_t len, loff_t *ppos)
{
	void *image;
	u64 ilen;
	int err;

	err = luo_test_serialize(&image, &ilen);
	if (err)
		return err;
	luo_test_thaw();
	err = luo_test_deserialize(image, ilen);
	return err ? err : len;
}

static const struct file_operations luo_roundtrip_fops = {
	.owner = THIS_MODULE,
	.write = luo_roundtrip_write,
	.llseek = noop_llseek,
};

static struct dentry *luo_debugfs;

int luo_freeze_init(bool test_hooks)
{
	int err = register_reboot_notifier(&luo_reboot_nb);

	if (err)
		return err;
	if (test_hooks) {
		luo_debugfs = debugfs_create_dir("luo", NULL);
		debugfs_create_file("roundtrip", 0200, luo_debugfs, NULL,
				    &luo_roundtrip_fops);
	}
	return 0;
}

void luo_freeze_exit(void)
{
	debugfs_remove_recursive(luo_debugfs);
	luo_debugfs = NULL;
	unregister_reboot_notifier(&luo_reboot_nb);
	/* No session file is open (each pins the module): drop the rest. */
	luo_discard_incoming(luo_state.registry);
	luo_incoming_maybe_release();
}
