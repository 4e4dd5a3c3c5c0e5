// SPDX-License-Identifier: GPL-2.0
/*
 * registry.cpp - session names, lookup and lifetime.
 *
 * DOC: The registry in the lifecycle
 *
 * Every session, outgoing or incoming, is listed here from its creation
 * (CREATE_SESSION, or decoding of the handover) until the release of its
 * file removes it (an incoming one once it is finished), or the discard
 * or the unload drops it.  The reboot-time serializer walks the outgoing sessions in
 * creation order; RETRIEVE_SESSION finds incoming ones by name.
 *
 * The table is a power-of-two array of singly linked chains, keyed by FNV-1a
 * over the name and the direction.  It doubles when it holds more sessions
 * than buckets; if that allocation fails, the table simply stays smaller
 * (lookups get slower, nothing fails).
 */
#include <luo/registry.h>

namespace luo {

namespace {

constexpr u32 kInitialBuckets = 16;

} /* namespace */

Status Registry::init()
{
	LUO_TRY(lock_.init(LUO_LOCK_TABLE));
	buckets_ = static_cast<Session **>(
		luo_shim_zalloc(kInitialBuckets * sizeof(*buckets_)));
	if (!buckets_)
		return Status::error(kENOMEM);
	nbuckets_ = kInitialBuckets;
	return Status();
}

void Registry::destroy()
{
	LUO_BUG_ON(!sessions_.empty());
	luo_shim_free(buckets_);
	buckets_ = nullptr;
	nbuckets_ = 0;
}

Status Registry::check_name(const char *buf, u32 *len)
{
	size_t n = strnlen(buf, kNameBuf);

	if (n == 0 || n == kNameBuf)
		return Status::error(kEINVAL);
	*len = static_cast<u32>(n);
	return Status();
}

u32 Registry::hash_name(const char *name, u32 len, Direction dir)
{
	u32 h = 2166136261u;

	for (u32 i = 0; i < len; i++) {
		h ^= static_cast<u8>(name[i]);
		h *= 16777619u;
	}
	h ^= static_cast<u32>(dir);
	h *= 16777619u;
	return h;
}

Session *Registry::find_locked(const char *name, u32 len, u32 hash,
			       Direction dir)
{
	lock_.assert_held();
	for (Session *s = *bucket(hash); s; s = s->hash_next)
		if (s->hash == hash && s->dir == dir && s->name_len == len &&
		    mem_equal(s->name, name, len))
			return s;
	return nullptr;
}

void Registry::grow_locked()
{
	u32 n = nbuckets_ * 2;
	auto **nb =
		static_cast<Session **>(luo_shim_zalloc(n * sizeof(Session *)));

	if (!nb)
		return;
	for (u32 i = 0; i < nbuckets_; i++) {
		Session *s = buckets_[i];

		while (s) {
			Session *next = s->hash_next;
			Session **b = &nb[s->hash & (n - 1)];

			s->hash_next = *b;
			*b = s;
			s = next;
		}
	}
	luo_shim_free(buckets_);
	buckets_ = nb;
	nbuckets_ = n;
}

Session *Registry::session_new(const char *name, u32 len, Direction dir)
{
	void *mem = luo_shim_zalloc(sizeof(Session));

	if (!mem)
		return nullptr;
	auto *s = new (mem) Session();
	s->mutex = luo_shim_mutex_create(LUO_LOCK_SESSION);
	if (!s->mutex) {
		luo_shim_free(s);
		return nullptr;
	}
	__builtin_memcpy(s->name, name, len);
	s->name_len = len;
	s->dir = dir;
	s->state = dir == Direction::kOutgoing ? SessionState::kOpen
					       : SessionState::kPending;
	s->hash = hash_name(s->name, len, dir);
	s->refs = 2; /* the registry's and the caller's */
	return s;
}

void Registry::insert_locked(Session *s)
{
	lock_.assert_held();
	size_t total = count_[0] + count_[1] + 1;
	if (total > nbuckets_)
		grow_locked();
	Session **b = bucket(s->hash);
	s->hash_next = *b;
	*b = s;
	sessions_.push_back(s);
	s->listed = true;
	count_[static_cast<u8>(s->dir)]++;
}

Result<Session *> Registry::create(const char *name_buf, Direction dir)
{
	u32 len;

	LUO_TRY(check_name(name_buf, &len));

	/*
	 * Allocate before taking the lock, which is held briefly: only the
	 * table's growth allocates under it, and its failure is harmless.
	 */
	Session *s = session_new(name_buf, len, dir);
	if (!s)
		return Status::error(kENOMEM);

	Guard g{lock_};
	if (find_locked(s->name, len, s->hash, dir)) {
		luo_shim_mutex_destroy(s->mutex);
		luo_shim_free(s);
		return Status::error(kEEXIST);
	}
	insert_locked(s);
	return s;
}

RefPtr<Session> Registry::lookup(const char *name_buf, Direction dir)
{
	u32 len;

	if (!check_name(name_buf, &len).ok())
		return RefPtr<Session>();
	u32 h = hash_name(name_buf, len, dir);
	Guard g{lock_};
	Session *s = find_locked(name_buf, len, h, dir);
	if (s)
		__atomic_add_fetch(&s->refs, 1, __ATOMIC_RELAXED);
	return RefPtr<Session>::adopt(s);
}

void Session::get()
{
	u32 old = __atomic_fetch_add(&refs, 1, __ATOMIC_RELAXED);

	LUO_BUG_ON(old == 0);
}

void Session::put()
{
	u32 old = __atomic_fetch_sub(&refs, 1, __ATOMIC_ACQ_REL);

	LUO_BUG_ON(old == 0);
	if (old == 1) {
		LUO_BUG_ON(listed);
		while (!files.empty())
			file_del(files.front());
		luo_shim_mutex_destroy(mutex);
		luo_shim_free(this);
	}
}

bool Registry::remove(Session *s)
{
	{
		Guard g{lock_};

		if (!s->listed)
			return false;
		Session **pp = bucket(s->hash);
		while (*pp != s)
			pp = &(*pp)->hash_next;
		*pp = s->hash_next;
		sessions_.remove(s);
		s->listed = false;
		count_[static_cast<u8>(s->dir)]--;
	}
	s->put();
	return true;
}

File *Session::file_new(u64 token)
{
	void *mem = luo_shim_zalloc(sizeof(File));

	if (!mem)
		return nullptr;
	auto *f = new (mem) File();
	f->token = token;
	return f;
}

void Session::file_append(File *f)
{
	assert_held();
	files.push_back(f);
	nfiles++;
}

File *Session::file_find(u64 token)
{
	for (File *f : files)
		if (f->token == token)
			return f;
	return nullptr;
}

void Session::file_del(File *f)
{
	/* Whoever held a kernel file through it gave it back first. */
	LUO_BUG_ON(f->k.file != nullptr);
	files.remove(f);
	nfiles--;
	luo_shim_free(f);
}

size_t Registry::count(Direction dir)
{
	Guard g{lock_};

	return count_[static_cast<u8>(dir)];
}

} /* namespace luo */
