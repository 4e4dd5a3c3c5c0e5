/* SPDX-License-Identifier: GPL-2.0 */
/*
 * base.h - the freestanding C++ vocabulary of luo's core.
 *
 * No std, no exceptions, no RTTI: fixed-width integers from the compiler's
 * own macros, errno-carrying [[nodiscard]] results, make<T>(), and RAII guards
 * over the shim's locks.  Everything here is header-only and allocation
 * free.
 */
#ifndef LUO_BASE_H
#define LUO_BASE_H

#ifndef __cplusplus
#error "luo/base.h is C++; the C layer uses luo/core.h"
#endif

/* The kernel's spelling of the format attribute, for luo/shim.h. */
#ifndef __printf
#define __printf(a, b) __attribute__((format(printf, a, b)))
#endif

#include <luo/shim.h>

/*
 * Placement new: from <new> where a C++ library exists (host tests), else
 * declared here.  The module build has no C++ library and no global
 * operator new at all: objects are made with luo::make<T>().
 */
#if __has_include(<new>)
#include <new>
#else
inline void *operator new(__SIZE_TYPE__, void *p) noexcept
{
	return p;
}
#endif

namespace luo {

using u8 = __UINT8_TYPE__;
using u16 = __UINT16_TYPE__;
using u32 = __UINT32_TYPE__;
using u64 = __UINT64_TYPE__;
using s32 = __INT32_TYPE__;
using size_t = __SIZE_TYPE__;

static_assert(sizeof(u64) == 8 && sizeof(size_t) == 8, "64-bit only");

/* errno values the core returns (negated), as in <uapi/asm-generic/errno>. */
enum Errno : int {
	kEPERM = 1,
	kENOENT = 2,
	kEINTR = 4,
	kEBADF = 9,
	kEAGAIN = 11,
	kENOMEM = 12,
	kEFAULT = 14,
	kEBUSY = 16,
	kEEXIST = 17,
	kEINVAL = 22,
	kENOSPC = 28,
	kENOTTY = 25,
	kE2BIG = 7,
	kEOPNOTSUPP = 95,
	kETIMEDOUT = 110,
	kECANCELED = 125,
};

template <typename T> struct remove_reference {
	using type = T;
};
template <typename T> struct remove_reference<T &> {
	using type = T;
};
template <typename T> struct remove_reference<T &&> {
	using type = T;
};

template <typename T>
constexpr T &&forward(typename remove_reference<T>::type &t)
{
	return static_cast<T &&>(t);
}

/*
 * make<T>(args...) - allocate zeroed memory through the shim and construct
 * a T in it; nullptr if the allocation fails (there is nothing to throw).
 * destroy() is its inverse.
 */
template <typename T, typename... Args> T *make(Args &&...args)
{
	void *p = luo_shim_zalloc(sizeof(T));

	return p ? new (p) T(forward<Args>(args)...) : nullptr;
}

template <typename T> void destroy(T *p)
{
	if (p) {
		p->~T();
		luo_shim_free(p);
	}
}

/* Report a broken invariant and stop; never for what userspace can cause. */
#define LUO_BUG_ON(cond)                                                       \
	do {                                                                   \
		if (__builtin_expect(!!(cond), 0)) {                           \
			luo_shim_bug(#cond);                                   \
			__builtin_trap();                                      \
		}                                                              \
	} while (0)

/**
 * class Status - success, or a positive errno.
 *
 * [[nodiscard]]: a dropped error is a compile error.
 */
class [[nodiscard]] Status {
public:
	constexpr Status() = default;
	static constexpr Status error(Errno e) { return Status(e); }

	constexpr bool ok() const { return err_ == 0; }
	constexpr int err() const { return err_; }
	/* The kernel's convention: 0 or -errno. */
	constexpr int to_kernel() const { return -err_; }

private:
	constexpr explicit Status(Errno e) : err_(e) {}
	int err_ = 0;
};

/**
 * class Result - a value or an errno (SerenityOS's ErrorOr, minus the
 * exceptions).  T must be cheap to copy: pointers and small integers.
 */
template <typename T> class [[nodiscard]] Result {
public:
	constexpr Result(T value) : value_(value) {}
	constexpr Result(Status s) : status_(s) { LUO_BUG_ON(s.ok()); }

	constexpr bool ok() const { return status_.ok(); }
	constexpr Status status() const { return status_; }
	constexpr T value() const
	{
		LUO_BUG_ON(!ok());
		return value_;
	}

private:
	T value_{};
	Status status_{};
};

/* Propagate an error out of the calling function (SerenityOS's TRY). */
#define LUO_TRY(expr)                                                          \
	do {                                                                   \
		::luo::Status _s = (expr);                                     \
		if (!_s.ok())                                                  \
			return _s;                                             \
	} while (0)

/**
 * class Mutex - owner of one shim mutex of a given lockdep class.
 *
 * Created empty; init() allocates (it can fail, so it is no constructor).
 */
class Mutex {
public:
	Mutex() = default;
	Mutex(const Mutex &) = delete;
	Mutex &operator=(const Mutex &) = delete;
	~Mutex() { luo_shim_mutex_destroy(m_); }

	Status init(luo_lock_kind kind)
	{
		m_ = luo_shim_mutex_create(kind);
		return m_ ? Status() : Status::error(kENOMEM);
	}
	void lock() { luo_shim_mutex_lock(m_); }
	void unlock() { luo_shim_mutex_unlock(m_); }
	void assert_held() { luo_shim_mutex_assert_held(m_); }

private:
	luo_mutex *m_ = nullptr;
};

/*
 * Scoped lock: Guard g{lock}; for anything with lock() and unlock() (a
 * Mutex, a Session), as Zircon's Guard<Mutex>: no early return can forget
 * the unlock.
 */
template <typename L> class Guard {
public:
	explicit Guard(L &l) : l_(l) { l_.lock(); }
	~Guard() { l_.unlock(); }
	Guard(const Guard &) = delete;
	Guard &operator=(const Guard &) = delete;

private:
	L &l_;
};

/* Small string helpers; the kernel's are not reachable from here. */
inline size_t strnlen(const char *s, size_t max)
{
	size_t n = 0;

	while (n < max && s[n])
		n++;
	return n;
}

inline bool mem_equal(const void *a, const void *b, size_t n)
{
	return __builtin_memcmp(a, b, n) == 0;
}

} /* namespace luo */

#endif /* LUO_BASE_H */
