// SPDX-License-Identifier: GPL-2.0
/*
 * luo_registry_test.c - KUnit suite luo_registry: the sessions of a core
 * of its own, through the C API the module's ioctls use, in the kernel
 * under lockdep, KASAN and kmemleak.
 *
 * DOC: What this suite proves
 *
 * The registry's host tests run the same sources against libc; this suite
 * runs the object code the module really uses: kernel code model, kernel
 * allocator, struct mutex with luo's lockdep classes.  It covers the name
 * rules of CREATE_SESSION, per-direction uniqueness (an incoming session
 * and an outgoing one may share a name), thousands of sessions with their
 * creation order kept (the serializer writes them in it), and creates and
 * closes of the same names racing on two CPUs.
 *
 * The suite's core is not the module's: its kernel services hand out the
 * session itself as the session's "file" (fake_session_file()), so the
 * tests hold sessions without anon inodes, and close them by calling
 * luo_close_session() as the file's release would.
 */
#include <kunit/test.h>
#include <linux/kthread.h>
#include <linux/mm.h>
#include <linux/slab.h>
#include <linux/string.h>

#include <luo/core.h>

MODULE_IMPORT_NS(EXPORTED_FOR_KUNIT_TESTING);

/* The "file" of a session is the session: the core only passes it on. */
static int fake_session_file(struct luo_session *s, struct file **out)
{
	*out = (struct file *)s;
	return 0;
}

/* Nothing to drain: the tests make no operation race the freeze. */
static bool fake_gate_close(unsigned int timeout_ms)
{
	return true;
}

static void fake_gate_release(void)
{
}

static const struct luo_kernel_ops registry_kops = {
	.session_file = fake_session_file,
	.gate_close = fake_gate_close,
	.gate_release = fake_gate_release,
};

static int registry_init(struct kunit *test)
{
	struct luo_core *c;

	KUNIT_ASSERT_EQ(test, luo_core_new(&registry_kops, NULL, 0, &c), 0);
	test->priv = c;
	return 0;
}

static void registry_exit(struct kunit *test)
{
	luo_core_free(test->priv);
}

/* CREATE_SESSION of @name (copied into a zeroed name buffer). */
static int create(struct luo_core *c, const char *name, struct luo_session **s)
{
	char buf[LUO_NAME_BUF] = {};

	strscpy(buf, name, sizeof(buf));
	return luo_create_session(c, buf, (struct file **)s);
}

static int retrieve(struct luo_core *c, const char *name,
		    struct luo_session **s)
{
	char buf[LUO_NAME_BUF] = {};

	strscpy(buf, name, sizeof(buf));
	return luo_retrieve_session(c, buf, (struct file **)s);
}

static void name_rules(struct kunit *test)
{
	struct luo_core *c = test->priv;
	char buf[LUO_NAME_BUF];
	struct luo_session *s;

	memset(buf, 0, sizeof(buf));
	KUNIT_EXPECT_EQ(test, luo_create_session(c, buf, (struct file **)&s),
			-EINVAL); /* empty */
	memset(buf, 'x', sizeof(buf));
	KUNIT_EXPECT_EQ(test, luo_create_session(c, buf, (struct file **)&s),
			-EINVAL); /* no NUL */
	buf[63] = '\0'; /* the longest */
	KUNIT_ASSERT_EQ(test, luo_create_session(c, buf, (struct file **)&s),
			0);
	KUNIT_EXPECT_EQ(test, strlen(luo_session_name(s)), (size_t)63);
	luo_close_session(c, s);
	buf[10] = '\0'; /* junk after the NUL is not the name's */
	KUNIT_ASSERT_EQ(test, luo_create_session(c, buf, (struct file **)&s),
			0);
	KUNIT_EXPECT_STREQ(test, luo_session_name(s), "xxxxxxxxxx");
	luo_close_session(c, s);
	KUNIT_ASSERT_EQ(test, create(c, "a", &s), 0);
	KUNIT_EXPECT_STREQ(test, luo_session_name(s), "a");
	luo_close_session(c, s);
	KUNIT_EXPECT_EQ(test, luo_core_sessions(c, LUO_OUTGOING), 0UL);
}

static void create_close(struct kunit *test)
{
	struct luo_core *c = test->priv;
	struct luo_session *s, *dup;

	KUNIT_ASSERT_EQ(test, create(c, "vm-1", &s), 0);
	KUNIT_EXPECT_STREQ(test, luo_session_name(s), "vm-1");
	KUNIT_EXPECT_EQ(test, luo_session_dir(s), LUO_OUTGOING);
	KUNIT_EXPECT_EQ(test, luo_core_sessions(c, LUO_OUTGOING), 1UL);
	KUNIT_EXPECT_EQ(test, luo_core_sessions(c, LUO_INCOMING), 0UL);
	KUNIT_EXPECT_EQ(test, create(c, "vm-1", &dup), -EEXIST);
	KUNIT_EXPECT_EQ(test, retrieve(c, "vm-1", &dup), -ENOENT);
	luo_close_session(c, s);
	KUNIT_EXPECT_EQ(test, luo_core_sessions(c, LUO_OUTGOING), 0UL);
	/* The name is free again. */
	KUNIT_ASSERT_EQ(test, create(c, "vm-1", &s), 0);
	luo_close_session(c, s);
}

/* Freeze @c's outgoing sessions into a new image, then thaw them. */
static void *image_of(struct kunit *test, struct luo_core *c)
{
	struct luo_image_stamp stamp = { .generation = 1 };
	unsigned long long used;
	const size_t cap = 64 << 10;
	void *img = kvzalloc(cap, GFP_KERNEL);
	char why[48];

	KUNIT_ASSERT_NOT_NULL(test, img);
	KUNIT_ASSERT_EQ(test,
			luo_core_freeze(c, img, cap, 1000, &stamp, &used, why,
					sizeof(why)),
			0);
	luo_unfreeze_all(c);
	return img;
}

static void names_unique_per_direction(struct kunit *test)
{
	struct luo_core *c = test->priv;
	struct luo_session *out, *in, *dup;
	void *img;

	KUNIT_ASSERT_EQ(test, create(c, "same", &out), 0);
	img = image_of(test, c);
	KUNIT_ASSERT_EQ(test, luo_deserialize(c, img, 64 << 10, NULL, 0), 0);
	/* "same" is listed in both directions now, as two sessions. */
	KUNIT_EXPECT_EQ(test, luo_core_sessions(c, LUO_OUTGOING), 1UL);
	KUNIT_EXPECT_EQ(test, luo_core_sessions(c, LUO_INCOMING), 1UL);
	KUNIT_EXPECT_EQ(test, create(c, "same", &dup), -EEXIST);
	KUNIT_ASSERT_EQ(test, retrieve(c, "same", &in), 0);
	KUNIT_EXPECT_PTR_NE(test, in, out);
	KUNIT_EXPECT_EQ(test, luo_session_dir(in), LUO_INCOMING);
	KUNIT_EXPECT_EQ(test, retrieve(c, "same", &dup), -EINVAL); /* once */
	luo_close_session(c, out);
	KUNIT_ASSERT_EQ(test, create(c, "same", &out), 0);
	KUNIT_EXPECT_EQ(test, luo_core_sessions(c, LUO_OUTGOING), 1UL);
	luo_close_session(c, out);
	luo_close_session(c, in); /* an implicit FINISH: it is gone */
	KUNIT_EXPECT_EQ(test, luo_core_sessions(c, LUO_INCOMING), 0UL);
	kvfree(img);
}

#define MANY 2000

struct order {
	int next;
	int errors;
};

static void order_session(void *arg, const struct luo_session_view *v)
{
	struct order *o = arg;
	char want[LUO_NAME_BUF];

	snprintf(want, sizeof(want), "session-%d", o->next++);
	if (strcmp(v->name, want))
		o->errors++;
}

static void order_file(void *arg, const struct luo_file_view *v)
{
	((struct order *)arg)->errors++; /* these sessions have no file */
}

static const struct luo_listing_ops order_ops = {
	.session = order_session,
	.file = order_file,
};

static void many_sessions_keep_their_order(struct kunit *test)
{
	struct luo_core *c = test->priv;
	struct order o = {};
	struct luo_session **s, *dup;
	char buf[LUO_NAME_BUF];
	int i;

	s = kunit_kcalloc(test, MANY, sizeof(*s), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, s);
	for (i = 0; i < MANY; i++) {
		snprintf(buf, sizeof(buf), "session-%d", i);
		KUNIT_ASSERT_EQ(test, create(c, buf, &s[i]), 0);
	}
	KUNIT_EXPECT_EQ(test, luo_core_sessions(c, LUO_OUTGOING),
			(unsigned long)MANY);
	/* Every name is found in the grown table. */
	for (i = 0; i < MANY; i += 97) {
		snprintf(buf, sizeof(buf), "session-%d", i);
		KUNIT_EXPECT_EQ(test, create(c, buf, &dup), -EEXIST);
	}
	luo_core_list(c, &order_ops, &o);
	KUNIT_EXPECT_EQ(test, o.next, MANY);
	KUNIT_EXPECT_EQ(test, o.errors, 0);
	for (i = 0; i < MANY; i++)
		luo_close_session(c, s[i]);
	KUNIT_EXPECT_EQ(test, luo_core_sessions(c, LUO_OUTGOING), 0UL);
}

/* Creates and closes of the same eight names, racing on two CPUs. */
struct race_ctx {
	struct luo_core *c;
	int created;
	int errors;
};

static void race_round(struct race_ctx *ctx)
{
	struct luo_session *s[8];
	char buf[LUO_NAME_BUF];
	int i, err;

	for (i = 0; i < 8; i++) {
		snprintf(buf, sizeof(buf), "race-%d", i);
		err = create(ctx->c, buf, &s[i]);
		if (err == -EEXIST) {
			s[i] = NULL;
		} else if (err || strcmp(luo_session_name(s[i]), buf)) {
			s[i] = NULL;
			ctx->errors++;
		} else {
			ctx->created++;
		}
	}
	for (i = 0; i < 8; i++)
		if (s[i])
			luo_close_session(ctx->c, s[i]);
}

static int race_fn(void *data)
{
	while (!kthread_should_stop()) {
		race_round(data);
		cond_resched();
	}
	return 0;
}

static void create_close_races(struct kunit *test)
{
	struct race_ctx mine = { .c = test->priv }, theirs = mine;
	struct task_struct *t;
	int round;

	t = kthread_run(race_fn, &theirs, "luo-race");
	KUNIT_ASSERT_FALSE(test, IS_ERR(t));
	for (round = 0; round < 300; round++)
		race_round(&mine);
	kthread_stop(t);
	KUNIT_EXPECT_EQ(test, mine.errors, 0);
	KUNIT_EXPECT_EQ(test, theirs.errors, 0);
	KUNIT_EXPECT_GT(test, mine.created, 0);
	KUNIT_EXPECT_EQ(test, luo_core_sessions(mine.c, LUO_OUTGOING), 0UL);
}

static struct kunit_case luo_registry_cases[] = {
	KUNIT_CASE(name_rules),
	KUNIT_CASE(create_close),
	KUNIT_CASE(names_unique_per_direction),
	KUNIT_CASE(many_sessions_keep_their_order),
	KUNIT_CASE(create_close_races),
	{}
};

static struct kunit_suite luo_registry_suite = {
	.name = "luo_registry",
	.init = registry_init,
	.exit = registry_exit,
	.test_cases = luo_registry_cases,
};

kunit_test_suites(&luo_registry_suite);

MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("KUnit tests for luo");
