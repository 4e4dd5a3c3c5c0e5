// SPDX-License-Identifier: GPL-2.0
/*
 * freeze.c - the serialize rwsem, the reboot notifier, and the incoming
 * image.
 *
 * DOC: The reboot-time freeze
 *
 * A module cannot hook kernel_kexec(); it registers a reboot notifier,
 * which runs for a kexec (SYS_RESTART with "kexec reboot") while user tasks
 * still run, and which cannot fail the reboot.  It hands the freeze to the
 * core's controller (luo_core_freeze(), luo/core/freeze.cpp: the steps,
 * the timeout, the failed header and its reason), and this file provides
 * the gate the controller closes.  Every operation that changes luo's
 * state holds luo_serialize_rwsem for reading for its whole duration
 * (luo_mutation_begin/end).  luo_gate_close() first sets luo_freezing,
 * which turns every later operation away before it starts (it sleeps
 * interruptibly until a thaw, and after a reboot's freeze there is none),
 * then takes the rwsem for writing, waiting at most ``freeze_timeout_ms``
 * for the operations already inside to finish (one can be stuck: a
 * PRESERVE_FD waiting for a memfd's inode lock held by a writer that
 * faults on a userfaultfd page).  So serialization reads a state that
 * cannot change, and the kexec never hangs in luo.  On success the write
 * lock is never released: luo stays frozen until the machine jumps.
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
#include <linux/delay.h>
#include <linux/fs.h>
#include <linux/jiffies.h>
#include <linux/kernel.h>
#include <linux/ktime.h>
#include <linux/lockdep.h>
#include <linux/mm.h>
#include <linux/moduleparam.h>
#include <linux/mutex.h>
#include <linux/reboot.h>
#include <linux/rwsem.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/timekeeping.h>
#include <linux/wait.h>

#include <luo/core.h>
#include "luo.h"

static unsigned int freeze_timeout_ms = 10000;
module_param(freeze_timeout_ms, uint, 0444);
MODULE_PARM_DESC(
	freeze_timeout_ms,
	"how long the kexec's freeze waits for in-flight operations before it writes a failed handover and lets the jump go on (default: 10000)");

/* See luo.h for the lock order. */
static DECLARE_RWSEM(luo_serialize_rwsem);
/* Set from the start of a freeze until its thaw: operations wait. */
static bool luo_freezing;
static DECLARE_WAIT_QUEUE_HEAD(luo_thaw_wq);
static DEFINE_MUTEX(luo_in_lock);
static void *luo_in_image; /* protected by luo_in_lock */
static bool luo_in_owned; /* kvfree() it when done (not the range) */

static int luo_mutation_enter(bool intr)
{
	for (;;) {
		if (!intr)
			down_read(&luo_serialize_rwsem);
		else if (down_read_interruptible(&luo_serialize_rwsem))
			return -EINTR;
		/*
		 * The rwsem alone excludes the freeze; the flag only keeps a
		 * stream of new operations from starving its trylock.
		 */
		if (!READ_ONCE(luo_freezing))
			return 0;
		up_read(&luo_serialize_rwsem);
		if (!intr)
			wait_event(luo_thaw_wq, !READ_ONCE(luo_freezing));
		else if (wait_event_interruptible(luo_thaw_wq,
						  !READ_ONCE(luo_freezing)))
			return -EINTR;
	}
}

/**
 * luo_mutation_begin() - enter an operation that must not fail (close).
 *
 * Sleeps uninterruptibly while luo is frozen.
 */
void luo_mutation_begin(void)
{
	luo_mutation_enter(false);
}

/**
 * luo_mutation_begin_interruptible() - enter an ioctl.
 *
 * While luo is frozen the caller sleeps interruptibly: after a reboot's
 * freeze it can still be killed, it is not stuck in D state.
 *
 * Return: 0, or -EINTR (a signal came first; nothing was done).
 */
int luo_mutation_begin_interruptible(void)
{
	return luo_mutation_enter(true);
}

void luo_mutation_end(void)
{
	up_read(&luo_serialize_rwsem);
}

/**
 * luo_gate_close() - turn new operations away, then wait up to @timeout_ms
 * for those inside to leave.
 * @timeout_ms: how long.
 *
 * The core's gate_close service (struct luo_kernel_ops).
 *
 * Return: true with the write side held; false with luo_freezing set and
 * the lock not held (the caller decides whether to thaw).
 */
bool luo_gate_close(unsigned int timeout_ms)
{
	unsigned long deadline = jiffies + msecs_to_jiffies(timeout_ms);

	WRITE_ONCE(luo_freezing, true);
	while (!down_write_trylock(&luo_serialize_rwsem)) {
		if (time_after(jiffies, deadline))
			return false;
		usleep_range(500, 1000);
	}
	return true;
}

/**
 * luo_gate_release() - drop the write side after a failed freeze; new
 * operations stay turned away.  The core's gate_release service.
 */
void luo_gate_release(void)
{
	lockdep_assert_held_write(&luo_serialize_rwsem);
	up_write(&luo_serialize_rwsem);
}

static void luo_freeze_cancel(void)
{
	WRITE_ONCE(luo_freezing, false);
	wake_up_all(&luo_thaw_wq);
}

static void luo_freeze_stamp(struct luo_image_stamp *stamp)
{
	stamp->generation = luo_state.generation + 1;
	stamp->wall_time = ktime_get_real_seconds();
	stamp->start_ns = ktime_get_ns();
}

/**
 * luo_freeze() - the reboot-time freeze: luo_core_freeze() with a stamp.
 * @dst: where the image goes, or NULL (handover off: freeze only).
 * @cap: bytes at @dst.
 * @timeout_ms: how long to wait for in-flight operations.
 * @used: bytes of image written.
 * @why: the reason on failure.
 * @why_len: bytes at @why.
 *
 * On success the write side of the serialize rwsem is held
 * (luo_test_thaw() or the jump ends it).  On failure new operations are
 * still turned away: luo_freeze_abort() lets them in again (a reboot
 * does not).  A timeout leaves the lock to the operations still inside.
 *
 * Return: 0, -ETIMEDOUT, or a file's freeze error.
 */
int luo_freeze(void *dst, u64 cap, unsigned int timeout_ms, u64 *used,
	       char *why, size_t why_len)
{
	struct luo_image_stamp stamp;

	luo_freeze_stamp(&stamp);
	return luo_core_freeze(luo_state.core, dst, cap, timeout_ms, &stamp,
			       used, why, why_len);
}

/**
 * luo_freeze_abort() - undo the turning away of a luo_freeze() that
 * failed, once the operations it waited for have left.  For tests.
 */
void luo_freeze_abort(void)
{
	luo_freeze_cancel();
}

static int luo_reboot_notify(struct notifier_block *nb, unsigned long action,
			     void *data)
{
	struct luo_handover *h = &luo_handover;
	const char *cmd = data;
	ktime_t t0 = ktime_get();
	char why[48];
	u64 used = 0;
	int err;

	if (action != SYS_RESTART || !cmd || strcmp(cmd, "kexec reboot"))
		return NOTIFY_DONE;
	/* Without a range, freezing is all there is (nothing handed over). */
	err = luo_freeze(h->map, h->size, freeze_timeout_ms, &used, why,
			 sizeof(why));
	h->freeze_ns = ktime_to_ns(ktime_sub(ktime_get(), t0));
	h->out_bytes = used;
	if (err) {
		snprintf(h->last_error, sizeof(h->last_error),
			 "freeze failed: %s", why);
		pr_err("kexec: freeze failed: %s; the next kernel restores nothing and says why\n",
		       why);
	} else if (h->map) {
		pr_info("kexec: handed over %lu session(s), %llu bytes, generation %llu, frozen in %llu us\n",
			luo_core_sessions(luo_state.core, LUO_OUTGOING), used,
			luo_state.generation + 1, h->freeze_ns / 1000);
	} else {
		pr_info("kexec: frozen; handover off: %lu session(s) not handed over\n",
			luo_core_sessions(luo_state.core, LUO_OUTGOING));
	}
	/*
	 * The write side stays held (or, after a timeout, new operations stay
	 * turned away): nothing changes until the jump.
	 */
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
 * Not the reboot path: allocating here is fine.  The same drain and
 * timeout as at a reboot.  On success luo stays frozen until
 * luo_test_thaw().
 *
 * Return: 0 or -errno, e.g. -ETIMEDOUT (then luo is not frozen).
 */
int luo_test_serialize(void **image, u64 *len)
{
	struct luo_image_stamp stamp;
	struct luo_counts counts;
	u64 cap, used = 0;
	char why[48];
	void *buf;
	int err;

	luo_freeze_stamp(&stamp);
	if (!luo_gate_close(freeze_timeout_ms)) {
		luo_freeze_cancel();
		return -ETIMEDOUT;
	}
	/* Drained: what is reserved now is what will be written. */
	luo_core_counts(luo_state.core, &counts);
	cap = luo_image_header_cost() + counts.reserved;
	buf = kvzalloc(cap, GFP_KERNEL);
	if (!buf) {
		up_write(&luo_serialize_rwsem);
		luo_freeze_cancel();
		return -ENOMEM;
	}
	err = luo_core_freeze_drained(luo_state.core, buf, cap, &stamp, &used,
				      why, sizeof(why));
	if (err) {
		luo_freeze_cancel();
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
	luo_unfreeze_all(luo_state.core);
	luo_freeze_cancel();
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
	err = luo_deserialize(luo_state.core, image, len, why, sizeof(why));
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
 * @image: the mapped range, checked by luo_image_check(); incoming
 *	sessions point into it.
 * @why: the reason on failure.
 * @why_len: bytes at @why.
 *
 * Return: 0 or -errno; on failure no incoming session exists.
 */
int luo_incoming_adopt(void *image, char *why, size_t why_len)
{
	int err;

	mutex_lock(&luo_in_lock);
	err = luo_image_decode(luo_state.core, image, why, why_len);
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
	if (luo_in_image && !luo_core_sessions(luo_state.core, LUO_INCOMING)) {
		if (luo_in_owned)
			kvfree(luo_in_image);
		else /* the range's: its bytes are the pool's again */
			luo_pool_hold_incoming(luo_state.core, 0);
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
	luo_discard_incoming(luo_state.core);
	luo_incoming_maybe_release();
}
