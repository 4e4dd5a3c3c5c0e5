// SPDX-License-Identifier: GPL-2.0
/*
 * lifecycle.cpp - sessions and files from creation to close: the rules of
 * every operation (include/luo/core.h).
 *
 * DOC: The lifecycle of a session
 *
 * CREATE_SESSION lists an outgoing session (kOpen) and reserves its
 * record's bytes in the handover; PRESERVE_FD gives it files (kPreserved);
 * the freeze serializes it (kFrozen, image.cpp); the release of its file
 * unpreserves its files newest first, gives their bytes back and removes
 * it.  After the kexec (or the test round trip), decoding lists it as an
 * incoming session (kPending) whose files point into the image (kPending);
 * RETRIEVE_SESSION hands it out once (kRetrieved), or the discard drops it
 * (kDiscarded) - decided under the session mutex, so never both.
 * RETRIEVE_FD asks the file's handler to rebuild it: the first success is
 * kept (kRetrieved), and so is a verdict on the data (kFailed); a transient
 * failure records nothing.  FINISH, or the release of the session's file,
 * finishes every file or, if one cannot finish, none (kFinished).
 *
 * Every operation checks before it changes anything, in the order its
 * kernel-doc gives, and undoes its own steps in reverse when a later one
 * fails: a failed call leaves the core as it was.  Each runs with the
 * serialize rwsem held for reading (the caller's) and takes the session
 * mutex for the session's state and files; the set of held inodes has its
 * own leaf lock.
 */
#include <luo/image.h>
#include <luo/lifecycle.h>

using luo::Direction;
using luo::File;
using luo::FileState;
using luo::Registry;
using luo::Session;
using luo::SessionState;

namespace luo {

File **HeldSet::bucket(const void *key)
{
	auto v = reinterpret_cast<unsigned long>(key);

	return &buckets_[(v >> 6) % kBuckets];
}

Status HeldSet::claim(File *f)
{
	luo::Guard g{lock_};
	File **b = bucket(f->key);

	for (File *it = *b; it; it = it->key_next)
		if (it->key == f->key)
			return Status::error(kEBUSY);
	f->key_next = *b;
	*b = f;
	return Status();
}

void HeldSet::release(File *f)
{
	luo::Guard g{lock_};
	File **pp = bucket(f->key);

	while (*pp != f)
		pp = &(*pp)->key_next;
	*pp = f->key_next;
	f->key_next = nullptr;
}

} /* namespace luo */

/* The C layer's handlers, then the core's own: i in 0..nhandlers. */
const luo_file_handler *luo_core::handler(unsigned int i) const
{
	return i < nhandlers ? handlers[i] : &luo::kMemHandler;
}

const luo_file_handler *luo_core::handler_for(struct file *file)
{
	for (unsigned int i = 0; i <= nhandlers; i++)
		if (handler(i)->can_preserve(this, file))
			return handler(i);
	return nullptr;
}

const luo_file_handler *luo_core::handler_named(const char *name) const
{
	for (unsigned int i = 0; i <= nhandlers; i++) {
		const char *n = handler(i)->name;
		luo::size_t len = luo::strnlen(n, luo::kHandlerBuf);

		if (luo::mem_equal(n, name, len) && !name[len])
			return handler(i);
	}
	return nullptr;
}

namespace {

/* A file that holds a kernel file gives it (and its inode) back. */
void drop_kernel_file(luo_core *c, File *f)
{
	c->held.release(f);
	c->kops->fput(f->k.file);
	f->k.file = nullptr;
}

/* Outgoing, newest first: the reverse of luo_preserve_fd(). */
void unpreserve_all(luo_core *c, Session *s)
{
	luo::Guard g{*s};

	while (File *f = s->files.back()) {
		if (f->k.h->unpreserve)
			f->k.h->unpreserve(&f->k);
		drop_kernel_file(c, f);
		c->pool.unreserve_image(f->reserved);
		s->file_del(f);
	}
}

bool can_finish(const File *f)
{
	const luo_file_handler *h = f->k.h;

	if (f->state != FileState::kRetrieved || !h->can_finish)
		return true;
	return h->can_finish(const_cast<luo_file *>(&f->k));
}

/* One file of a session being finished (or dropped at the unload). */
void finish_one(luo_core *c, File *f)
{
	if (f->state == FileState::kRetrieved) {
		if (f->k.h->finish)
			f->k.h->finish(&f->k);
		drop_kernel_file(c, f);
	}
	/*
	 * Never retrieved (or failed): its data dies with the image, and
	 * what the handler claimed at load goes back.
	 */
	if (f->claimed) {
		c->handler_named(f->handler)->unclaim(c, f->data, f->data_len);
		f->claimed = false;
	}
}

/* Every file of an incoming session, newest first; its mutex is held. */
void finish_all(luo_core *c, Session *s)
{
	s->assert_held();
	while (File *f = s->files.back()) {
		finish_one(c, f);
		s->file_del(f);
	}
}

/* The session mutex is held. */
int finish_locked(luo_core *c, Session *s)
{
	s->assert_held();
	for (File *f : s->files)
		if (!can_finish(f))
			return -luo::kEBUSY;
	finish_all(c, s);
	s->set_state(SessionState::kFinished);
	return 0;
}

bool retrieve_transient(int err)
{
	return err == -luo::kENOMEM || err == -luo::kENOSPC ||
	       err == -luo::kEINTR || err == -luo::kEAGAIN;
}

/*
 * PRESERVE_FD's steps once @f has its handler: hold the file and claim
 * its inode, the handler's preserve, the capacity, the handler's
 * populate; each undone, in reverse, when a later one fails.
 */
int preserve_steps(luo_core *c, File *f, struct file *file)
{
	int err;

	c->kops->get_file(file);
	f->k.file = file;
	f->key = c->kops->file_key(file);
	err = c->held.claim(f).to_kernel();
	if (err)
		goto out_put;
	err = f->k.h->preserve(c, &f->k);
	if (err)
		goto out_release;
	f->reserved = luo::file_cost(f->k.reserve);
	err = c->pool.reserve_image(f->reserved).to_kernel();
	if (err)
		goto out_unpreserve;
	if (f->k.h->populate) {
		err = f->k.h->populate(&f->k);
		if (err)
			goto out_unreserve;
	}
	return 0;

out_unreserve:
	c->pool.unreserve_image(f->reserved);
out_unpreserve:
	if (f->k.h->unpreserve)
		f->k.h->unpreserve(&f->k);
out_release:
	c->held.release(f);
out_put:
	c->kops->fput(file);
	f->k.file = nullptr;
	return err;
}

/*
 * The first RETRIEVE_FD of @f: its handler (by the name in the image)
 * rebuilds the file, whose inode is then claimed.  The outcome is kept
 * (kRetrieved, or kFailed with the error) unless it is transient.
 */
int retrieve_first(luo_core *c, File *f)
{
	const luo_file_handler *h = c->handler_named(f->handler);
	struct file *file = nullptr;
	int err =
		h ? h->retrieve(c, f->data, f->data_len, &file) : -luo::kENOENT;

	if (err && retrieve_transient(err))
		return err; /* not a verdict on the data: try again */
	if (!err) {
		/* The file owns what the handler claimed at load. */
		f->claimed = false;
		f->k.h = h;
		f->k.file = file;
		f->key = c->kops->file_key(file);
		err = c->held.claim(f).to_kernel();
		if (err) {
			c->kops->fput(file);
			f->k.file = nullptr;
			f->k.h = nullptr;
		}
	}
	if (err) {
		f->state = FileState::kFailed;
		f->error = err;
		return err;
	}
	f->state = FileState::kRetrieved;
	return 0;
}

/* Under the registry's walk: drop (all) or only the pending ones. */
unsigned long discard(luo_core *c, bool all)
{
	unsigned long n = 0;

	/* Remove one at a time: remove() must not run inside for_each(). */
	do {
		luo::RefPtr<Session> s;

		c->reg.for_each(Direction::kIncoming, [&](Session *it) {
			if (!all && it->get_state() != SessionState::kPending)
				return true;
			it->get();
			s = luo::RefPtr<Session>::adopt(it);
			return false;
		});
		if (!s)
			break;
		bool drop;
		{
			/* Decided under the mutex RETRIEVE_SESSION holds. */
			luo::Guard g{*s};

			drop = all || s->state == SessionState::kPending;
			if (drop) {
				finish_all(c, s.get());
				s->set_state(SessionState::kDiscarded);
			}
		}
		if (drop)
			n += c->reg.remove(s.get());
	} while (true);
	return n;
}

const char *state_name(SessionState st)
{
	switch (st) {
	case SessionState::kOpen:
		return "open";
	case SessionState::kFrozen:
		return "frozen";
	case SessionState::kPending:
		return "pending";
	case SessionState::kRetrieved:
		return "retrieved";
	case SessionState::kFinished:
		return "finished";
	case SessionState::kDiscarded:
		return "discarded";
	}
	return "?";
}

const char *state_name(FileState st)
{
	switch (st) {
	case FileState::kPreserved:
		return "preserved";
	case FileState::kFrozen:
		return "frozen";
	case FileState::kPending:
		return "pending";
	case FileState::kRetrieved:
		return "retrieved";
	case FileState::kFailed:
		return "failed";
	}
	return "?";
}

} /* namespace */

extern "C" {

int luo_core_new(const luo_kernel_ops *kops,
		 const luo_file_handler *const *handlers,
		 unsigned int nhandlers, luo_core **out)
{
	auto *c = luo::make<luo_core>();

	if (!c)
		return -luo::kENOMEM;
	luo::Status st = c->reg.init();
	if (st.ok())
		st = c->held.init();
	if (st.ok())
		st = c->pool.init();
	if (!st.ok()) {
		c->reg.destroy();
		luo::destroy(c);
		return st.to_kernel();
	}
	c->kops = kops;
	c->handlers = handlers;
	c->nhandlers = nhandlers;
	*out = c;
	return 0;
}

void luo_core_free(luo_core *c)
{
	if (!c)
		return;
	c->reg.destroy();
	luo::destroy(c);
}

void luo_core_set_capacity(luo_core *c, unsigned long long bytes)
{
	c->pool.set_capacity(bytes);
}

int luo_create_session(luo_core *c, const char *name, struct file **out)
{
	luo::Result<Session *> res = c->reg.create(name, Direction::kOutgoing);

	if (!res.ok())
		return res.status().to_kernel();
	auto s = luo::RefPtr<Session>::adopt(res.value());
	int err = c->pool.reserve_image(luo::kSessionCost).to_kernel();

	if (!err) {
		s->reserved = luo::kSessionCost;
		err = c->kops->session_file(luo::C(s.get()), out);
		if (!err) {
			s.leak(); /* the file holds the caller's reference */
			return 0;
		}
		c->pool.unreserve_image(luo::kSessionCost);
	}
	c->reg.remove(s.get());
	return err;
}

int luo_retrieve_session(luo_core *c, const char *name, struct file **out)
{
	luo::u32 len;

	if (!Registry::check_name(name, &len).ok())
		return -luo::kEINVAL;
	luo::RefPtr<Session> s = c->reg.lookup(name, Direction::kIncoming);
	if (!s)
		return -luo::kENOENT;
	int err;
	{
		luo::Guard g{*s};

		switch (s->state) {
		case SessionState::kPending:
			err = c->kops->session_file(luo::C(s.get()), out);
			if (!err)
				s->set_state(SessionState::kRetrieved);
			break;
		case SessionState::kDiscarded:
			/* Found a moment before the discard dropped it. */
			err = -luo::kENOENT;
			break;
		default:
			err = -luo::kEINVAL; /* once only */
			break;
		}
	}
	if (!err)
		s.leak(); /* the file keeps the lookup's reference */
	return err;
}

void luo_close_session(luo_core *c, luo_session *sess)
{
	/* The file's reference, dropped on return. */
	auto ref = luo::RefPtr<Session>::adopt(luo::S(sess));
	Session *s = ref.get();

	if (s->dir == Direction::kOutgoing) {
		unpreserve_all(c, s);
		c->pool.unreserve_image(s->reserved);
		c->reg.remove(s);
	} else {
		int err;
		{
			luo::Guard g{*s};

			err = finish_locked(c, s);
		}
		if (!err)
			c->reg.remove(s);
		else
			luo_shim_log(LUO_LOG_WARNING,
				     "session %s: could not finish on close; "
				     "it stays until unload\n",
				     s->name);
	}
}

int luo_preserve_fd(luo_core *c, luo_session *sess, struct file *file,
		    unsigned long long token)
{
	Session *s = luo::S(sess);

	if (s->dir != Direction::kOutgoing)
		return -luo::kEINVAL;
	luo::Guard g{*s};
	if (s->file_find(token))
		return -luo::kEEXIST;
	if (!file)
		return -luo::kEBADF;
	File *f = Session::file_new(token);
	if (!f)
		return -luo::kENOMEM;
	f->k.h = c->handler_for(file);
	if (!f->k.h) {
		luo_shim_free(f);
		return -luo::kENOENT;
	}
	int err = preserve_steps(c, f, file);
	if (err) {
		luo_shim_free(f);
		return err;
	}
	f->state = FileState::kPreserved;
	s->file_append(f);
	return 0;
}

int luo_retrieve_fd(luo_core *c, luo_session *sess, unsigned long long token,
		    struct file **out)
{
	Session *s = luo::S(sess);

	if (s->dir != Direction::kIncoming)
		return -luo::kEINVAL;
	luo::Guard g{*s};
	File *f = s->file_find(token);
	if (!f)
		return -luo::kENOENT;
	switch (f->state) {
	case FileState::kRetrieved:
		break;
	case FileState::kFailed:
		return f->error;
	default:
		if (int err = retrieve_first(c, f))
			return err;
		break;
	}
	c->kops->get_file(f->k.file);
	*out = f->k.file;
	return 0;
}

int luo_finish(luo_core *c, luo_session *sess)
{
	Session *s = luo::S(sess);

	/* Outgoing files are unpreserved by close, never finished. */
	if (s->dir != Direction::kIncoming)
		return -luo::kEINVAL;
	luo::Guard g{*s};
	return finish_locked(c, s);
}

const char *luo_session_name(const luo_session *s)
{
	return luo::S(s)->name;
}

luo_dir luo_session_dir(const luo_session *s)
{
	return static_cast<luo_dir>(luo::S(s)->dir);
}

unsigned long luo_discard_unretrieved(luo_core *c)
{
	return discard(c, false);
}

void luo_discard_incoming(luo_core *c)
{
	discard(c, true);
}

void luo_core_counts(luo_core *c, luo_counts *out)
{
	for (int d = 0; d < 2; d++) {
		Direction dir = static_cast<Direction>(d);

		out->sessions[d] = c->reg.count(dir);
		out->files[d] = 0;
		c->reg.for_each(dir, [&](Session *s) {
			luo::Guard g{*s};

			out->files[d] += s->nfiles;
			return true;
		});
	}
	out->reserved = c->pool.image_reserved();
}

unsigned long luo_core_sessions(luo_core *c, luo_dir dir)
{
	return c->reg.count(static_cast<Direction>(dir));
}

namespace {

/*
 * The bytes the listing gives a file: its contents where its handler
 * knows them apart from its handover bytes (a memory file), else those.
 */
luo::u64 listed_bytes(luo_core *c, const File *f, bool out)
{
	if (out)
		return f->k.size ? f->k.size : f->k.reserve;
	const luo_file_handler *h = c->handler_named(f->handler);
	return h && h->content_len ? h->content_len(f->data, f->data_len)
				   : f->data_len;
}

} /* namespace */

void luo_core_list(luo_core *c, const luo_listing_ops *ops, void *arg)
{
	for (int d = 0; d < 2; d++) {
		c->reg.for_each(static_cast<Direction>(d), [&](Session *s) {
			luo::Guard g{*s};
			luo_session_view sv = {s->name, static_cast<luo_dir>(d),
					       state_name(s->state), s->nfiles};

			ops->session(arg, &sv);
			for (File *f : s->files) {
				bool out = s->dir == Direction::kOutgoing;
				luo_file_view fv = {
					f->token,
					out ? f->k.h->name : f->handler,
					listed_bytes(c, f, out),
					state_name(f->state),
					f->state == FileState::kFailed
						? -f->error
						: 0,
				};

				ops->file(arg, &fv);
			}
			return true;
		});
	}
}

} /* extern "C" */
