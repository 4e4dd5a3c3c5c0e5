// SPDX-License-Identifier: GPL-2.0
/*
 * luo_freeze_test.c - KUnit suites luo_session and luo_freeze: sessions,
 * files and the serialize rwsem, driven through the C layer's entry points
 * in the running kernel (lockdep, KASAN, kmemleak watching).
 *
 * DOC: What these suites prove
 *
 * luo_session: the errno rules of sessions and files as the ioctls see
 * them, a full serialize -> thaw -> decode -> retrieve -> finish round
 * trip of a memfd's contents, a refused record that rejects the image
 * whole, and the sysfs discard racing RETRIEVE_SESSION with one winner.
 *
 * luo_freeze: the freeze semantics of the serialize rwsem.  An operation
 * already inside the read side when serialization starts completes first
 * and is in the image; an operation that starts after the freeze blocks
 * until the thaw; and kthreads hammering create/preserve/close/retrieve
 * while serialize and thaw run in a loop leave no trace (the VM run fails
 * on any lockdep, KASAN or kmemleak report).
 */
#include <kunit/test.h>
#include <linux/atomic.h>
#include <linux/completion.h>
#include <linux/delay.h>
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/jiffies.h>
#include <linux/kthread.h>
#include <linux/mm.h>
#include <linux/shmem_fs.h>
#include <linux/slab.h>
#include <linux/string.h>

#include <luo/core.h>
#include "../luo/kernel/luo.h"

MODULE_IMPORT_NS(EXPORTED_FOR_KUNIT_TESTING);

static struct file *make_memfd(const void *data, size_t len)
{
	struct file *f = shmem_file_setup("luo-kunit", 0, VM_NORESERVE);
	loff_t pos = 0;

	if (IS_ERR(f))
		return f;
	if (len && kernel_write(f, data, len, &pos) != len) {
		fput(f);
		return ERR_PTR(-EIO);
	}
	return f;
}

static int session_create(const char *name, struct file **f)
{
	char buf[LUO_NAME_BUF] = {};
	int err;

	strscpy(buf, name, sizeof(buf));
	luo_mutation_begin();
	err = luo_create_session(luo_state.core, buf, f);
	luo_mutation_end();
	return err;
}

static int session_retrieve(const char *name, struct file **f)
{
	char buf[LUO_NAME_BUF] = {};
	int err;

	strscpy(buf, name, sizeof(buf));
	luo_mutation_begin();
	err = luo_retrieve_session(luo_state.core, buf, f);
	luo_mutation_end();
	return err;
}

static int preserve(struct file *s, struct file *f, u64 token)
{
	int err;

	luo_mutation_begin();
	err = luo_preserve_fd(luo_state.core, s->private_data, f, token);
	luo_mutation_end();
	return err;
}

/* Close files from a kthread: fput() is deferred there; run it now. */
static void close_all(struct file **files, int n)
{
	int i;

	for (i = 0; i < n; i++)
		if (!IS_ERR_OR_NULL(files[i]))
			fput(files[i]);
	flush_delayed_fput();
}

static void drop_incoming(void)
{
	luo_discard_incoming(luo_state.core);
	luo_incoming_maybe_release();
}

/* The handover bytes reserved (the status file's figure). */
static u64 reserved(void)
{
	struct luo_counts n;

	luo_core_counts(luo_state.core, &n);
	return n.reserved;
}

static int roundtrip(void)
{
	void *img;
	u64 len;
	int err;

	err = luo_test_serialize(&img, &len);
	if (err)
		return err;
	luo_test_thaw();
	return luo_test_deserialize(img, len);
}

static void session_errnos(struct kunit *test)
{
	struct file *f[5] = {};
	int err;

	KUNIT_ASSERT_EQ(test, session_create("kunit-e", &f[0]), 0);
	KUNIT_EXPECT_EQ(test, session_create("kunit-e", &f[1]), -EEXIST);
	KUNIT_EXPECT_EQ(test, session_create("", &f[1]), -EINVAL);
	f[1] = NULL;
	f[2] = make_memfd("x", 1);
	KUNIT_ASSERT_FALSE(test, IS_ERR(f[2]));
	KUNIT_EXPECT_EQ(test, preserve(f[0], NULL, 1), -EBADF);
	KUNIT_EXPECT_EQ(test, preserve(f[0], f[2], 1), 0);
	KUNIT_EXPECT_EQ(test, preserve(f[0], NULL, 1), -EEXIST);
	KUNIT_EXPECT_EQ(test, preserve(f[0], f[2], 2), -EBUSY);
	KUNIT_EXPECT_EQ(test, preserve(f[0], f[0], 3), -ENOENT);
	KUNIT_EXPECT_EQ(test, session_retrieve("kunit-nobody", &f[3]), -ENOENT);
	f[3] = NULL;
	luo_mutation_begin();
	err = luo_finish(luo_state.core, f[0]->private_data);
	luo_mutation_end();
	/* Outgoing files are never finished, only unpreserved by close. */
	KUNIT_EXPECT_EQ(test, err, -EINVAL);
	close_all(f, 5);
	KUNIT_EXPECT_EQ(test, luo_core_sessions(luo_state.core, LUO_OUTGOING),
			0UL);
	KUNIT_EXPECT_EQ(test, reserved(), 0ULL);
}

static void serialize_roundtrip_restores_memfd(struct kunit *test)
{
	const size_t len = 3 * PAGE_SIZE + 123;
	struct file *f[5] = {};
	char *data, *got;
	loff_t pos = 0;
	size_t i;

	data = kunit_kmalloc(test, len, GFP_KERNEL);
	got = kunit_kzalloc(test, len, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, data);
	KUNIT_ASSERT_NOT_NULL(test, got);
	for (i = 0; i < len; i++)
		data[i] = (char)(i * 13 + 5);

	KUNIT_ASSERT_EQ(test, session_create("kunit-rt", &f[0]), 0);
	f[1] = make_memfd(data, len);
	KUNIT_ASSERT_FALSE(test, IS_ERR(f[1]));
	KUNIT_ASSERT_EQ(test, preserve(f[0], f[1], 42), 0);
	KUNIT_ASSERT_EQ(test, roundtrip(), 0);
	KUNIT_EXPECT_EQ(test, luo_core_sessions(luo_state.core, LUO_INCOMING),
			1UL);

	KUNIT_ASSERT_EQ(test, session_retrieve("kunit-rt", &f[2]), 0);
	KUNIT_EXPECT_EQ(test, session_retrieve("kunit-rt", &f[3]), -EINVAL);
	f[3] = NULL;
	luo_mutation_begin();
	KUNIT_EXPECT_EQ(test,
			luo_retrieve_fd(luo_state.core, f[2]->private_data, 7,
					&f[3]),
			-ENOENT);
	f[3] = NULL;
	KUNIT_EXPECT_EQ(test,
			luo_retrieve_fd(luo_state.core, f[2]->private_data, 42,
					&f[3]),
			0);
	luo_mutation_end();
	KUNIT_ASSERT_FALSE(test, IS_ERR_OR_NULL(f[3]));
	KUNIT_EXPECT_EQ(test, i_size_read(file_inode(f[3])), (loff_t)len);
	KUNIT_EXPECT_EQ(test, kernel_read(f[3], got, len, &pos), (ssize_t)len);
	KUNIT_EXPECT_EQ(test, memcmp(data, got, len), 0);

	/* Closing the incoming session finishes it; the image is freed. */
	close_all(f, 5);
	KUNIT_EXPECT_EQ(test, luo_core_sessions(luo_state.core, LUO_INCOMING),
			0UL);
}

/*
 * A memfd record whose data the handler refuses rejects the image whole
 * at load, and nothing of it is restored.  (That a RETRIEVE_FD failure is
 * kept for good is the core's rule: host test RetrieveFailureIsPermanent.)
 */
static void refused_file_rejects_the_image(struct kunit *test)
{
	/* header, session 72 + file 40, then memfd data: flags at +20 */
	const size_t flags_off = luo_image_header_cost() + 72 + 40 + 20;
	struct file *f[3] = {};
	void *img;
	u64 len;

	KUNIT_ASSERT_EQ(test, session_create("kunit-perm", &f[0]), 0);
	f[1] = make_memfd("bad", 3);
	f[2] = make_memfd("good", 4);
	KUNIT_ASSERT_FALSE(test, IS_ERR(f[1]) || IS_ERR(f[2]));
	KUNIT_ASSERT_EQ(test, preserve(f[0], f[1], 1), 0);
	KUNIT_ASSERT_EQ(test, preserve(f[0], f[2], 2), 0);
	KUNIT_ASSERT_EQ(test, luo_test_serialize(&img, &len), 0);
	luo_test_thaw();
	KUNIT_ASSERT_GT(test, len, (u64)flags_off + 4);
	((u8 *)img)[flags_off] = 1;
	luo_image_seal(img, len);
	/* luo_test_deserialize() frees what it rejects. */
	KUNIT_EXPECT_EQ(test, luo_test_deserialize(img, len), -EINVAL);
	KUNIT_EXPECT_EQ(test, luo_core_sessions(luo_state.core, LUO_INCOMING),
			0UL);
	close_all(f, 3);
}

struct discarder {
	atomic_t ready;
	struct completion done;
	unsigned long n;
};

/* Both sides of the race leave together (as far as two CPUs can). */
static void race_start(atomic_t *ready)
{
	atomic_inc(ready);
	while (atomic_read(ready) < 2)
		cond_resched();
}

static int discard_fn(void *data)
{
	struct discarder *d = data;

	race_start(&d->ready);
	luo_mutation_begin();
	d->n = luo_discard_unretrieved(luo_state.core);
	luo_mutation_end();
	complete(&d->done);
	return 0;
}

/*
 * One round of the race: a sysfs discard and a RETRIEVE_SESSION of the
 * one incoming session, on two CPUs.  Exactly one of them wins.  If the
 * retrieval wins, the session stays and its file is restored (the records
 * it points into were not freed under it); if the discard wins, the
 * retrieval finds nothing.  Returns 1 if the retrieval won.
 */
static int discard_race_round(struct kunit *test, const char *name)
{
	struct file *f[3] = {};
	struct discarder d = { .n = 99 };
	struct task_struct *t;
	char got[4] = {};
	loff_t pos = 0;
	int err, won;

	KUNIT_ASSERT_EQ(test, session_create(name, &f[0]), 0);
	f[1] = make_memfd("race", 4);
	KUNIT_ASSERT_FALSE(test, IS_ERR(f[1]));
	KUNIT_ASSERT_EQ(test, preserve(f[0], f[1], 1), 0);
	KUNIT_ASSERT_EQ(test, roundtrip(), 0);
	close_all(f, 2);
	f[0] = f[1] = NULL;

	atomic_set(&d.ready, 0);
	init_completion(&d.done);
	t = kthread_run(discard_fn, &d, "luo-discard");
	KUNIT_ASSERT_FALSE(test, IS_ERR(t));
	race_start(&d.ready);
	err = session_retrieve(name, &f[0]);
	wait_for_completion(&d.done);

	won = !err;
	KUNIT_EXPECT_TRUE(test, err == 0 || err == -ENOENT);
	KUNIT_EXPECT_EQ(test, d.n, won ? 0UL : 1UL);
	KUNIT_EXPECT_EQ(test, luo_core_sessions(luo_state.core, LUO_INCOMING),
			won ? 1UL : 0UL);
	if (won) {
		luo_mutation_begin();
		err = luo_retrieve_fd(luo_state.core, f[0]->private_data, 1,
				      &f[1]);
		luo_mutation_end();
		KUNIT_EXPECT_EQ(test, err, 0);
		if (!err) {
			KUNIT_EXPECT_EQ(test, kernel_read(f[1], got, 4, &pos),
					(ssize_t)4);
			KUNIT_EXPECT_EQ(test, memcmp(got, "race", 4), 0);
		}
	}
	close_all(f, 3);
	drop_incoming();
	return won;
}

/*
 * Discard and RETRIEVE_SESSION both run under the rwsem's read side, and
 * each decides under the session mutex.  Were the discard to remove a
 * session a retrieval had just marked, the retrieved session's records
 * would point into an image freed under them (KASAN would see it).
 */
#define ROUNDS 100

static void discard_races_retrieve_session(struct kunit *test)
{
	int round, retrieved = 0;

	for (round = 0; round < ROUNDS; round++)
		retrieved += discard_race_round(test, "kunit-race");
	kunit_info(test, "retrieval won %d of %d rounds\n", retrieved, ROUNDS);
	KUNIT_EXPECT_EQ(test, luo_core_sessions(luo_state.core, LUO_INCOMING),
			0UL);
}

/* ---- luo_freeze --------------------------------------------------------- */

struct inflight {
	struct completion entered;
	struct file *session;
	int err;
	bool done;
};

static int inflight_fn(void *data)
{
	struct inflight *in = data;
	char buf[LUO_NAME_BUF] = "kunit-inflight";

	luo_mutation_begin();
	complete(&in->entered);
	msleep(300); /* serialization starts meanwhile, and must wait */
	in->err = luo_create_session(luo_state.core, buf, &in->session);
	WRITE_ONCE(in->done, true);
	luo_mutation_end();
	return 0;
}

static void inflight_operation_is_included(struct kunit *test)
{
	char name[LUO_NAME_BUF] = "kunit-inflight";
	struct inflight in = {};
	struct file *s = NULL;
	struct task_struct *t;
	void *img;
	u64 len;

	init_completion(&in.entered);
	t = kthread_run(inflight_fn, &in, "luo-inflight");
	KUNIT_ASSERT_FALSE(test, IS_ERR(t));
	wait_for_completion(&in.entered);
	KUNIT_ASSERT_EQ(test, luo_test_serialize(&img, &len), 0);
	/* The serializer waited for the operation to finish. */
	KUNIT_EXPECT_TRUE(test, READ_ONCE(in.done));
	luo_test_thaw();
	KUNIT_ASSERT_EQ(test, in.err, 0);
	KUNIT_ASSERT_EQ(test, luo_test_deserialize(img, len), 0);
	KUNIT_EXPECT_EQ(test, session_retrieve(name, &s), 0);
	close_all(&s, 1);
	drop_incoming();
	close_all(&in.session, 1);
}

struct blocked {
	bool entered;
	bool interruptible; /* enter as an ioctl does */
};

static int blocked_fn(void *data)
{
	struct blocked *b = data;

	if (b->interruptible) {
		if (luo_mutation_begin_interruptible())
			return 0;
	} else {
		luo_mutation_begin();
	}
	WRITE_ONCE(b->entered, true);
	luo_mutation_end();
	while (!kthread_should_stop())
		msleep(20);
	return 0;
}

/*
 * Operations that start after the freeze wait for the thaw; an ioctl
 * waits interruptibly (not in D state: after a reboot's freeze there is
 * no thaw, and the process must stay killable).
 */
static void operation_after_freeze_waits_for_thaw(struct kunit *test)
{
	struct blocked b = {}, bi = { .interruptible = true };
	struct task_struct *t, *ti;
	void *img;
	u64 len;

	KUNIT_ASSERT_EQ(test, luo_test_serialize(&img, &len), 0);
	t = kthread_run(blocked_fn, &b, "luo-blocked");
	ti = kthread_run(blocked_fn, &bi, "luo-blocked-intr");
	if (IS_ERR(t) || IS_ERR(ti)) {
		luo_test_thaw();
		kvfree(img);
		KUNIT_FAIL(test, "kthread_run failed");
		if (!IS_ERR(t))
			kthread_stop(t);
		if (!IS_ERR(ti))
			kthread_stop(ti);
		return;
	}
	msleep(300);
	KUNIT_EXPECT_FALSE(test, READ_ONCE(b.entered));
	KUNIT_EXPECT_FALSE(test, READ_ONCE(bi.entered));
	KUNIT_EXPECT_EQ(test, READ_ONCE(ti->__state),
			(unsigned int)TASK_INTERRUPTIBLE);
	luo_test_thaw();
	kvfree(img);
	kthread_stop(t);
	kthread_stop(ti);
	KUNIT_EXPECT_TRUE(test, READ_ONCE(b.entered));
	KUNIT_EXPECT_TRUE(test, READ_ONCE(bi.entered));
}

struct stuck {
	struct completion entered;
	struct completion release;
	struct completion left;
};

/* An operation stuck inside, e.g. on an inode lock a faulting writer has. */
static int stuck_fn(void *data)
{
	struct stuck *st = data;

	luo_mutation_begin();
	complete(&st->entered);
	wait_for_completion(&st->release);
	luo_mutation_end();
	complete(&st->left);
	return 0;
}

/*
 * The freeze waits for a stuck operation at most its timeout, then
 * returns with the header of a failed freeze that says why: the kexec
 * never hangs in luo.
 */
static void stuck_operation_cannot_hang_the_freeze(struct kunit *test)
{
	const unsigned int timeout_ms = 300;
	struct luo_image_info info = {};
	struct stuck st;
	struct task_struct *t;
	char why[48] = "";
	u64 used = 1;
	ktime_t t0;
	s64 ms;
	void *buf;
	int err;

	buf = kunit_kzalloc(test, PAGE_SIZE, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, buf);
	init_completion(&st.entered);
	init_completion(&st.release);
	init_completion(&st.left);
	t = kthread_run(stuck_fn, &st, "luo-stuck");
	KUNIT_ASSERT_FALSE(test, IS_ERR(t));
	wait_for_completion(&st.entered);

	t0 = ktime_get();
	err = luo_freeze(buf, PAGE_SIZE, timeout_ms, &used, why, sizeof(why));
	ms = ktime_ms_delta(ktime_get(), t0);
	KUNIT_EXPECT_EQ(test, err, -ETIMEDOUT);
	KUNIT_EXPECT_GE(test, ms, (s64)timeout_ms);
	/* Bounded: a generous margin for a slow TCG guest, not a benchmark. */
	KUNIT_EXPECT_LT(test, ms, (s64)timeout_ms * 20);
	KUNIT_EXPECT_EQ(test, used, 0ULL);
	KUNIT_EXPECT_STREQ(test, why,
			   "in-flight operations did not drain in 300 ms");
	KUNIT_EXPECT_EQ(test, luo_image_check(buf, PAGE_SIZE, &info, NULL, 0),
			-ECANCELED);
	KUNIT_EXPECT_STREQ(test, info.reason, why);
	KUNIT_EXPECT_EQ(test, info.generation, luo_state.generation + 1);

	complete(&st.release);
	wait_for_completion(&st.left);
	luo_freeze_abort();
	/* Everything works again. */
	KUNIT_EXPECT_EQ(test, roundtrip(), 0);
	drop_incoming();
}

#define HAMMER_WORKERS 3
#define HAMMER_SECONDS 8

struct hammer {
	int id;
	unsigned long rounds;
	int errors;
};

static int hammer_fn(void *data)
{
	struct hammer *h = data;
	char name[32];

	while (!kthread_should_stop()) {
		struct file *f[3] = {};
		int err;

		snprintf(name, sizeof(name), "kunit-h%d-%lu", h->id,
			 h->rounds % 4);
		err = session_create(name, &f[0]);
		if (err) {
			/* A previous round's close may still be in flight. */
			if (err != -EEXIST)
				h->errors++;
			flush_delayed_fput();
			continue;
		}
		f[1] = make_memfd(name, strlen(name));
		if (IS_ERR(f[1]) || preserve(f[0], f[1], h->rounds))
			h->errors++;
		if (session_retrieve(name, &f[2]) != -ENOENT)
			h->errors++;
		f[2] = NULL;
		close_all(f, 3);
		h->rounds++;
		cond_resched();
	}
	return 0;
}

static void hammer_while_serializing(struct kunit *test)
{
	struct task_struct *t[HAMMER_WORKERS];
	struct hammer h[HAMMER_WORKERS] = {};
	unsigned long serialized = 0, end;
	unsigned long total = 0;
	int i;

	for (i = 0; i < HAMMER_WORKERS; i++) {
		h[i].id = i;
		t[i] = kthread_run(hammer_fn, &h[i], "luo-hammer%d", i);
		KUNIT_ASSERT_FALSE(test, IS_ERR(t[i]));
	}
	end = jiffies + HAMMER_SECONDS * HZ;
	while (time_before(jiffies, end)) {
		void *img;
		u64 len;

		KUNIT_ASSERT_EQ(test, luo_test_serialize(&img, &len), 0);
		luo_test_thaw();
		kvfree(img);
		serialized++;
		usleep_range(1000, 3000);
	}
	for (i = 0; i < HAMMER_WORKERS; i++) {
		kthread_stop(t[i]);
		KUNIT_EXPECT_EQ(test, h[i].errors, 0);
		total += h[i].rounds;
	}
	flush_delayed_fput();
	kunit_info(
		test,
		"%lu serializations, %lu create/preserve/close rounds in %d s\n",
		serialized, total, HAMMER_SECONDS);
	KUNIT_EXPECT_GT(test, serialized, 10UL);
	KUNIT_EXPECT_GT(test, total, 10UL);
	KUNIT_EXPECT_EQ(test, luo_core_sessions(luo_state.core, LUO_OUTGOING),
			0UL);
	KUNIT_EXPECT_EQ(test, reserved(), 0ULL);
}

static struct kunit_case luo_session_cases[] = {
	KUNIT_CASE(session_errnos),
	KUNIT_CASE(serialize_roundtrip_restores_memfd),
	KUNIT_CASE(refused_file_rejects_the_image),
	KUNIT_CASE(discard_races_retrieve_session),
	{}
};

static struct kunit_suite luo_session_suite = {
	.name = "luo_session",
	.test_cases = luo_session_cases,
};

static struct kunit_case luo_freeze_cases[] = {
	KUNIT_CASE(inflight_operation_is_included),
	KUNIT_CASE(operation_after_freeze_waits_for_thaw),
	KUNIT_CASE(stuck_operation_cannot_hang_the_freeze),
	KUNIT_CASE_SLOW(hammer_while_serializing),
	{}
};

static struct kunit_suite luo_freeze_suite = {
	.name = "luo_freeze",
	.test_cases = luo_freeze_cases,
};

kunit_test_suites(&luo_session_suite, &luo_freeze_suite);
