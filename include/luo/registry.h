/* SPDX-License-Identifier: GPL-2.0 */
/*
 * registry.h - the session registry of luo's core.
 *
 * Sessions have a name (1..63 bytes, NUL-terminated within 64) and a
 * direction: outgoing (created in this kernel, handed to the next) or
 * incoming (handed over by the previous kernel).  Names are unique per
 * direction, so an incoming session may share a name with a new outgoing
 * one.  Lookup is a hash table that doubles as it fills, so it does not
 * degrade with the number of sessions; a creation-ordered list gives the
 * order in which sessions are serialized.
 *
 * Lifetime: a session is reference counted.  The registry holds one
 * reference while the session is listed; lookup() returns another, so a
 * session found by name cannot be freed under its finder, even if it is
 * removed concurrently.  The last put() frees it.
 *
 * Locking: the registry's table mutex (LUO_LOCK_TABLE) protects the table
 * and the list; it is taken inside the registry's methods and never held
 * on return.  It nests inside the serialize rwsem, outside session mutexes.
 */
#ifndef LUO_REGISTRY_H
#define LUO_REGISTRY_H

#include <luo/base.h>

namespace luo {

/* Session names: a 64-byte buffer, 1..63 bytes then a NUL (the UAPI's). */
constexpr size_t kNameBuf = 64;

enum class Direction : u8 {
	kOutgoing = 0,
	kIncoming = 1,
};

class Registry;

/**
 * struct Session - one session as the core sees it.
 *
 * @priv belongs to the caller (the C layer hangs its per-session state
 * there); the core never touches it.
 */
struct Session {
	char name[kNameBuf];
	u32 name_len;
	u32 hash;
	Direction dir;
	void *priv;

private:
	friend class Registry;
	u32 refs;
	bool listed;
	Session *hash_next;
	Session *prev; /* creation order */
	Session *next;
};

class Registry {
public:
	Registry() = default;
	Registry(const Registry &) = delete;
	Registry &operator=(const Registry &) = delete;

	/* Allocate the lock and the first buckets; ENOMEM on failure. */
	Status init();
	/* Tear down; every session must have been removed and put. */
	void destroy();

	/*
	 * Validate a 64-byte name buffer: EINVAL unless a NUL ends a name of
	 * 1..63 bytes.  On success *len is the name's length.
	 */
	static Status check_name(const char *buf, u32 *len);

	/*
	 * Create and list a session: EINVAL for a bad name, EEXIST if the name
	 * is already listed in that direction, ENOMEM.  The returned session
	 * carries one reference for the caller besides the registry's.
	 */
	Result<Session *> create(const char *name_buf, Direction dir);

	/* Find a listed session and take a reference, or nullptr. */
	Session *lookup(const char *name_buf, Direction dir);

	/* Take another reference on a session the caller already holds. */
	void get(Session *s);
	/* Drop a reference; the last one frees the session. */
	void put(Session *s);

	/*
	 * Unlist a session and drop the registry's reference.  Returns false
	 * if it was already unlisted (so two racing removers are harmless).
	 */
	bool remove(Session *s);

	size_t count(Direction dir);
	u32 buckets() const { return nbuckets_; }

	/*
	 * Visit listed sessions of @dir in creation order under the table
	 * lock; @fn returns false to stop early.  @fn must not call back into
	 * the registry.
	 */
	template <typename Fn> void for_each(Direction dir, Fn fn)
	{
		Guard g{lock_};

		for (Session *s = head_; s; s = s->next)
			if (s->dir == dir && !fn(s))
				break;
	}

private:
	static u32 hash_name(const char *name, u32 len, Direction dir);
	Session **bucket(u32 hash) { return &buckets_[hash & (nbuckets_ - 1)]; }
	Session *find_locked(const char *name, u32 len, u32 hash,
			     Direction dir);
	void grow_locked();

	Mutex lock_;
	Session **buckets_ = nullptr;
	u32 nbuckets_ = 0;
	size_t count_[2] = {0, 0};
	Session *head_ = nullptr;
	Session *tail_ = nullptr;
};

} /* namespace luo */

#endif /* LUO_REGISTRY_H */
