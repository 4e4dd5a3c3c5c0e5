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
 * Lifetime: a session is reference counted (Session::get()/put(), held
 * in a RefPtr<Session> inside the core).  The registry holds one
 * reference while the session is listed; lookup() returns another, so a
 * session found by name cannot be freed under its finder, even if it is
 * removed concurrently; a session file holds one until its release.  The
 * last put() frees the session and its file records.
 *
 * Locking: the registry's table mutex (LUO_LOCK_TABLE) protects the table
 * and the list; it is taken inside the registry's methods and never held
 * on return (the order of all locks: luo/kernel/luo.h).
 */
#ifndef LUO_REGISTRY_H
#define LUO_REGISTRY_H

#include <luo/base.h>
#include <luo/core.h>

namespace luo {

/* Session names: a 64-byte buffer, 1..63 bytes then a NUL (the UAPI's). */
constexpr size_t kNameBuf = 64;

enum class Direction : u8 {
	kOutgoing = 0,
	kIncoming = 1,
};

/* Handler names in the image ("memfd-v1"), NUL included. */
constexpr size_t kHandlerBuf = 24;

class Registry;

/*
 * The states of a session.  Outgoing: kOpen until the freeze, kFrozen while
 * serialized (a test thaw returns it to kOpen).  Incoming: kPending until
 * RETRIEVE_SESSION hands it out (kRetrieved) or discard drops it
 * (kDiscarded), kFinished once FINISH released its files.
 */
enum class SessionState : u8 {
	kOpen,
	kFrozen,
	kPending,
	kRetrieved,
	kFinished,
	kDiscarded,
};

/*
 * The states of a file.  Outgoing: kPreserved, kFrozen while serialized.
 * Incoming: kPending until the first RETRIEVE_FD, then kRetrieved (a file
 * exists and every RETRIEVE_FD returns it) or kFailed (the handler judged
 * the data: every RETRIEVE_FD returns that error, for good).  FINISH
 * frees the records with their session's files.
 */
enum class FileState : u8 {
	kPreserved,
	kFrozen,
	kPending,
	kRetrieved,
	kFailed,
};

/**
 * struct File - one file of a session: the one object luo keeps for it.
 *
 * @k is what the file's handler sees (struct luo_file: the kernel file,
 * the handler's own state, the bytes it reserved); it is set while the
 * file is preserved or retrieved.  @reserved: handover bytes this record
 * holds (outgoing).  Incoming: @handler, @data and @data_len point into
 * the decoded image; @error is the verdict of a kFailed file.  While the
 * file holds a kernel file, @key (its inode) is in the core's set of
 * preserved inodes (@key_next).  All of it under the session mutex.
 */
struct File {
	luo_file k;
	u64 token;
	FileState state;
	int error;
	bool claimed; /* incoming: the handler's claim() holds what it names */
	u64 reserved;
	char handler[kHandlerBuf];
	const u8 *data;
	u64 data_len;
	const void *key;
	File *key_next;
	ListNode<File> link; /* the session's files, preservation order */
};

/**
 * struct Session - one session as the core sees it.
 *
 * The file list, @state and @nfiles are protected by the session mutex
 * (lock()/unlock()); the name and direction never change.  The core reads
 * @state without the mutex only where a stale answer is harmless (the
 * discard's first look, decided again under the mutex).
 */
struct Session {
	char name[kNameBuf];
	u32 name_len;
	u32 hash;
	Direction dir;
	SessionState state;
	u64 reserved; /* handover bytes of the session record */
	u32 nfiles;
	List<File, &File::link> files; /* preservation order */

	void lock() { luo_shim_mutex_lock(mutex); }
	void unlock() { luo_shim_mutex_unlock(mutex); }
	void assert_held() { luo_shim_mutex_assert_held(mutex); }

	/*
	 * @state is written under the session mutex (or with every mutator
	 * excluded, at the freeze), and read under it except by the
	 * discard's first look: hence atomic, relaxed.
	 */
	SessionState get_state() const
	{
		SessionState st;

		__atomic_load(&state, &st, __ATOMIC_RELAXED);
		return st;
	}
	void set_state(SessionState st)
	{
		__atomic_store(&state, &st, __ATOMIC_RELAXED);
	}

	/* File list; the caller holds the session mutex. */
	File *file_find(u64 token);
	/* Append a record the caller allocated (file_new()). */
	void file_append(File *f);
	/* Unlink and free a record. */
	void file_del(File *f);
	/* A zeroed record for @token, or nullptr (no memory). */
	static File *file_new(u64 token);

	/* Take another reference on a session the caller already holds. */
	void get();
	/* Drop a reference; the last one frees the session and its files. */
	void put();

	ListNode<Session> order; /* the registry's, creation order */

private:
	friend class Registry;
	luo_mutex *mutex;
	u32 refs;
	bool listed;
	Session *hash_next;
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
	 * carries one reference for the caller besides the registry's; it is
	 * kOpen (outgoing) or kPending (incoming).
	 */
	Result<Session *> create(const char *name_buf, Direction dir);

	/* Find a listed session and take a reference; empty if none. */
	RefPtr<Session> lookup(const char *name_buf, Direction dir);

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

		for (Session *s : sessions_)
			if (s->dir == dir && !fn(s))
				break;
	}

	/* The same, newest first. */
	template <typename Fn> void for_each_reverse(Direction dir, Fn fn)
	{
		Guard g{lock_};

		for (Session *s : sessions_.reverse())
			if (s->dir == dir && !fn(s))
				break;
	}

private:
	static u32 hash_name(const char *name, u32 len, Direction dir);
	Session **bucket(u32 hash) { return &buckets_[hash & (nbuckets_ - 1)]; }
	Session *find_locked(const char *name, u32 len, u32 hash,
			     Direction dir);
	void grow_locked();
	/* A new session, unlisted, with both references; nullptr: ENOMEM. */
	static Session *session_new(const char *name, u32 len, Direction dir);
	/* List @s (the table lock is held). */
	void insert_locked(Session *s);

	Mutex lock_;
	Session **buckets_ = nullptr;
	u32 nbuckets_ = 0;
	size_t count_[2] = {0, 0};
	List<Session, &Session::order> sessions_; /* creation order */
};

} /* namespace luo */

#endif /* LUO_REGISTRY_H */
