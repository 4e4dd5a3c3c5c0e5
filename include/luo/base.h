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

/*
 * ListNode<T> and List<T, &T::node> - an intrusive doubly linked list, as
 * Zircon's fbl::DoublyLinkedList: the links live in the element (a
 * ListNode<T> member), so linking allocates nothing and cannot fail.  An
 * element is on at most one list per node; the list does not own it.
 * Range-for walks it oldest first; reverse() newest first.  Removing the
 * element a walk stands on is not allowed: pop from back() instead.
 */
template <typename T> struct ListNode {
	T *prev = nullptr;
	T *next = nullptr;
};

template <typename T, ListNode<T> T::*Node> class List {
public:
	class Iter {
	public:
		Iter(T *p, bool fwd) : p_(p), fwd_(fwd) {}
		T *operator*() const { return p_; }
		Iter &operator++()
		{
			p_ = fwd_ ? (p_->*Node).next : (p_->*Node).prev;
			return *this;
		}
		bool operator!=(const Iter &o) const { return p_ != o.p_; }

	private:
		T *p_;
		bool fwd_;
	};
	struct Reversed {
		const List &l;
		Iter begin() const { return Iter(l.tail_, false); }
		Iter end() const { return Iter(nullptr, false); }
	};

	List() = default;
	List(const List &) = delete;
	List &operator=(const List &) = delete;

	bool empty() const { return !head_; }
	T *front() const { return head_; }
	T *back() const { return tail_; }
	Iter begin() const { return Iter(head_, true); }
	Iter end() const { return Iter(nullptr, true); }
	Reversed reverse() const { return Reversed{*this}; }

	void push_back(T *e)
	{
		ListNode<T> &n = e->*Node;

		n.prev = tail_;
		n.next = nullptr;
		if (tail_)
			(tail_->*Node).next = e;
		else
			head_ = e;
		tail_ = e;
	}

	void remove(T *e)
	{
		ListNode<T> &n = e->*Node;

		if (n.prev)
			(n.prev->*Node).next = n.next;
		else
			head_ = n.next;
		if (n.next)
			(n.next->*Node).prev = n.prev;
		else
			tail_ = n.prev;
		n.prev = n.next = nullptr;
	}

private:
	T *head_ = nullptr;
	T *tail_ = nullptr;
};

/*
 * RefPtr<T> - a counted reference, as Zircon's fbl::RefPtr: T has get()
 * (take one more) and put() (drop one; the last frees).  Copying takes a
 * reference, destruction drops it, so no early return can leak or drop one
 * twice.  adopt() wraps a reference the caller already owns (a lookup's, a
 * creation's); leak() hands it on to something outside C++'s scopes (a
 * session file, which drops it at its release).
 */
template <typename T> class RefPtr {
public:
	RefPtr() = default;
	static RefPtr adopt(T *p) { return RefPtr(p); }
	RefPtr(const RefPtr &o) : p_(o.p_)
	{
		if (p_)
			p_->get();
	}
	RefPtr(RefPtr &&o) : p_(o.p_) { o.p_ = nullptr; }
	RefPtr &operator=(RefPtr o)
	{
		T *t = p_;

		p_ = o.p_;
		o.p_ = t;
		return *this;
	}
	~RefPtr()
	{
		if (p_)
			p_->put();
	}

	T *get() const { return p_; }
	T *operator->() const { return p_; }
	T &operator*() const { return *p_; }
	explicit operator bool() const { return p_ != nullptr; }
	T *leak()
	{
		T *p = p_;

		p_ = nullptr;
		return p;
	}

private:
	explicit RefPtr(T *p) : p_(p) {}
	T *p_ = nullptr;
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
