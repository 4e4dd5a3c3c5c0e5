// SPDX-License-Identifier: GPL-2.0
/*
 * shim.c - the kernel side of include/luo/shim.h.
 *
 * DOC: Shims for the C++ core
 *
 * The core cannot include kernel headers, so it reaches memory, locks and
 * printk through these functions.  They add no policy: allocation is
 * kvzalloc() charged to the caller's memory cgroup (a user's sessions are
 * the user's memory), mutexes are plain struct mutex, and each lock kind
 * gets its own static lock_class_key so that lockdep sees the table lock
 * and the session mutexes as different classes (one shared key would make
 * table -> session nesting look like recursion).
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/kasan-checks.h>
#include <linux/kernel.h>
#include <linux/lockdep.h>
#include <linux/mm.h>
#include <linux/mutex.h>
#include <linux/printk.h>
#include <linux/sched.h>
#include <linux/sizes.h>
#include <linux/timekeeping.h>
#include <linux/slab.h>

#include <luo/shim.h>

void *luo_shim_zalloc(unsigned long size)
{
	return kvzalloc(size, GFP_KERNEL_ACCOUNT);
}

void luo_shim_free(void *ptr)
{
	kvfree(ptr);
}

unsigned long long luo_shim_now_ns(void)
{
	return ktime_get_ns();
}

void luo_shim_cond_resched(void)
{
	cond_resched();
}

void luo_shim_check_read(const void *p, unsigned long long len)
{
	while (len) {
		unsigned int n = min_t(unsigned long long, len, SZ_1G);

		kasan_check_read(p, n);
		p += n;
		len -= n;
	}
}

void luo_shim_log(int level, const char *fmt, ...)
{
	struct va_format vaf;
	va_list args;

	va_start(args, fmt);
	vaf.fmt = fmt;
	vaf.va = &args;
	switch (level) {
	case LUO_LOG_ERR:
		pr_err("%pV\n", &vaf);
		break;
	case LUO_LOG_WARNING:
		pr_warn("%pV\n", &vaf);
		break;
	case LUO_LOG_INFO:
		pr_info("%pV\n", &vaf);
		break;
	default:
		pr_debug("%pV\n", &vaf);
		break;
	}
	va_end(args);
}

void luo_shim_bug(const char *what)
{
	pr_crit("core invariant broken: %s\n", what);
}

/**
 * struct luo_mutex - a mutex the core owns through a handle.
 * @lock: the mutex.
 */
struct luo_mutex {
	struct mutex lock;
};

static struct lock_class_key luo_lock_keys[LUO_LOCK_NR];
static const char *const luo_lock_names[LUO_LOCK_NR] = {
	[LUO_LOCK_TABLE] = "luo_table",
	[LUO_LOCK_SESSION] = "luo_session",
	[LUO_LOCK_HELD] = "luo_held",
	[LUO_LOCK_POOL] = "luo_pool",
};

struct luo_mutex *luo_shim_mutex_create(enum luo_lock_kind kind)
{
	struct luo_mutex *m;

	if (WARN_ON_ONCE(kind >= LUO_LOCK_NR))
		return NULL;
	m = kzalloc(sizeof(*m), GFP_KERNEL_ACCOUNT);
	if (!m)
		return NULL;
	__mutex_init(&m->lock, luo_lock_names[kind], &luo_lock_keys[kind]);
	return m;
}

void luo_shim_mutex_destroy(struct luo_mutex *m)
{
	if (!m)
		return;
	mutex_destroy(&m->lock);
	kfree(m);
}

void luo_shim_mutex_lock(struct luo_mutex *m)
{
	mutex_lock(&m->lock);
}

void luo_shim_mutex_unlock(struct luo_mutex *m)
{
	mutex_unlock(&m->lock);
}

void luo_shim_mutex_assert_held(struct luo_mutex *m)
{
	lockdep_assert_held(&m->lock);
}
