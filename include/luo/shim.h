/* SPDX-License-Identifier: GPL-2.0 */
/*
 * shim.h - what the C++ core may call in its environment.
 *
 * The core (luo/core/) includes no kernel header.  Everything it needs from
 * the kernel goes through the functions below, which luo/kernel/shim.c
 * implements for the module and tests/host_shim.cpp implements with libc and
 * pthreads for the host tests.  The header is plain C, usable from both
 * languages, and itself includes nothing.
 *
 * Handles are opaque: the core never sees a struct mutex.
 */
#ifndef LUO_SHIM_H
#define LUO_SHIM_H

#ifdef __cplusplus
extern "C" {
#endif

/*
 * __printf() comes from the kernel's compiler_attributes.h in the C layer
 * and from luo/base.h in C++ (which includes this header).
 */

/**
 * luo_shim_zalloc() - allocate zeroed memory that may sleep.
 * @size: bytes, at least 1.
 *
 * Return: the memory, or NULL.  Never fails loudly: the caller turns NULL
 * into -ENOMEM.
 */
void *luo_shim_zalloc(unsigned long size);

/**
 * luo_shim_free() - free memory from luo_shim_zalloc(); NULL is a no-op.
 * @ptr: the memory.
 */
void luo_shim_free(void *ptr);

/* Log levels, numerically the kernel's KERN_* levels. */
enum luo_log_level {
	LUO_LOG_ERR = 3,
	LUO_LOG_WARNING = 4,
	LUO_LOG_INFO = 6,
	LUO_LOG_DEBUG = 7,
};

/**
 * luo_shim_log() - print one line (no trailing newline needed).
 * @level: an enum luo_log_level.
 * @fmt: printf-style format; the kernel's %-extensions must not be used.
 */
__printf(2, 3) void luo_shim_log(int level, const char *fmt, ...);

/**
 * enum luo_lock_kind - each kind of lock is its own lockdep class.
 * @LUO_LOCK_TABLE: the session table lock (one per registry).
 * @LUO_LOCK_SESSION: a per-session mutex.
 * @LUO_LOCK_HELD: the core's set of inodes it holds (a leaf).
 * @LUO_LOCK_POOL: the handover range's capacity and chunks (a leaf).
 * @LUO_LOCK_NR: number of kinds.
 *
 * The order is written once, in luo/kernel/luo.h.
 */
enum luo_lock_kind {
	LUO_LOCK_TABLE,
	LUO_LOCK_SESSION,
	LUO_LOCK_HELD,
	LUO_LOCK_POOL,
	LUO_LOCK_NR,
};

struct luo_mutex;

/**
 * luo_shim_mutex_create() - allocate and initialise a sleeping mutex.
 * @kind: which lockdep class it belongs to.
 *
 * Return: the mutex, or NULL on allocation failure.
 */
struct luo_mutex *luo_shim_mutex_create(enum luo_lock_kind kind);
/** luo_shim_mutex_destroy() - free a mutex that nobody holds. @m: it. */
void luo_shim_mutex_destroy(struct luo_mutex *m);
/** luo_shim_mutex_lock() - take @m, sleeping if needed. */
void luo_shim_mutex_lock(struct luo_mutex *m);
/** luo_shim_mutex_unlock() - release @m. */
void luo_shim_mutex_unlock(struct luo_mutex *m);
/** luo_shim_mutex_assert_held() - lockdep: the caller holds @m. */
void luo_shim_mutex_assert_held(struct luo_mutex *m);

/**
 * luo_shim_now_ns() - a monotonic clock, for durations.
 *
 * Return: nanoseconds since an arbitrary point.
 */
unsigned long long luo_shim_now_ns(void);

/**
 * luo_shim_cond_resched() - let other tasks run in a long loop.
 *
 * The core calls it every megabyte or so of work (checksums, walks over
 * every record), so a large image never hogs a CPU.
 */
void luo_shim_cond_resched(void);

/**
 * luo_shim_check_read() - have the kernel's sanitizer check a whole read.
 * @p: the first byte.
 * @len: how many bytes, any number.
 *
 * For a loop built without KASAN (the image checksum): its reads are
 * checked here once, as the kernel's memcpy() checks its buffers, rather
 * than one call per word.  Reports a bad access like KASAN does.
 */
void luo_shim_check_read(const void *p, unsigned long long len);

/**
 * luo_shim_bug() - report a broken core invariant, then the caller traps.
 * @what: a short description.
 *
 * Not marked noreturn on purpose (objtool cannot see across languages):
 * the core follows every call with __builtin_trap().
 */
void luo_shim_bug(const char *what);

#ifdef __cplusplus
}
#endif

#endif /* LUO_SHIM_H */
