/* SPDX-License-Identifier: GPL-2.0 */
/*
 * lifecycle.h - the core as one object: the registry of sessions, the set
 * of inodes luo holds, and what the C layer gave it (kernel services, file
 * handlers).  The C API (core.h) is implemented on it, in lifecycle.cpp
 * (the operations), freeze.cpp (the freeze controller) and image.cpp
 * (serialization and decoding).
 */
#ifndef LUO_LIFECYCLE_H
#define LUO_LIFECYCLE_H

#include <luo/base.h>
#include <luo/core.h>
#include <luo/pool.h>
#include <luo/registry.h>

namespace luo {

/*
 * The inodes luo holds: every preserved file, and every retrieved one
 * until its session is finished.  A file is preserved at most once, in any
 * session.  Fixed buckets (no allocation); a leaf lock, taken inside the
 * session mutex.
 */
class HeldSet {
public:
	Status init() { return lock_.init(LUO_LOCK_HELD); }
	/* Add @f under f->key; EBUSY if some file holds that key already. */
	Status claim(File *f);
	/* Remove @f (which claim() added). */
	void release(File *f);

private:
	static constexpr u32 kBuckets = 256;
	File **bucket(const void *key);

	Mutex lock_;
	File *buckets_[kBuckets] = {};
};

} /* namespace luo */

/*
 * The C handle of core.h.  Everything the operations need; the rules are
 * in lifecycle.cpp.
 */
struct luo_core {
	luo::Registry reg;
	luo::HeldSet held;
	luo::Pool pool; /* the image's capacity and the memory files' chunks */
	const luo_kernel_ops *kops = nullptr;
	const luo_file_handler *const *handlers = nullptr;
	unsigned int nhandlers = 0;

	/* The first handler that accepts @file, or nullptr. */
	const luo_file_handler *handler_for(struct file *file);
	/* The handler stored in an image under @name, or nullptr. */
	const luo_file_handler *handler_named(const char *name) const;
	/* Handler @i of the lookup order: the C layer's, then kMemHandler. */
	const luo_file_handler *handler(unsigned int i) const;
};

namespace luo {

inline Session *S(luo_session *s)
{
	return reinterpret_cast<Session *>(s);
}

inline const Session *S(const luo_session *s)
{
	return reinterpret_cast<const Session *>(s);
}

inline luo_session *C(Session *s)
{
	return reinterpret_cast<luo_session *>(s);
}

} /* namespace luo */

#endif /* LUO_LIFECYCLE_H */
