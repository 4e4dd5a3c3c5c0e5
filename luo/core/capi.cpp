// SPDX-License-Identifier: GPL-2.0
/*
 * capi.cpp - the extern "C" face of the core (include/luo/core.h).
 *
 * DOC: C API
 *
 * Each function is a thin translation: opaque C handles to the C++ classes,
 * luo::Status to 0/-errno.  No logic lives here, so that the host tests of
 * the classes test what the module runs.
 */
#include <luo/core.h>
#include <luo/registry.h>

using luo::Direction;
using luo::FileRec;
using luo::Registry;
using luo::Session;

struct luo_registry {
	Registry reg;
};

static_assert(static_cast<int>(Direction::kOutgoing) == LUO_OUTGOING, "");
static_assert(static_cast<int>(Direction::kIncoming) == LUO_INCOMING, "");
static_assert(luo::kNameBuf == LUO_NAME_BUF, "");

static Session *S(luo_session *s)
{
	return reinterpret_cast<Session *>(s);
}

static const Session *S(const luo_session *s)
{
	return reinterpret_cast<const Session *>(s);
}

static FileRec *F(luo_file_rec *f)
{
	return reinterpret_cast<FileRec *>(f);
}

static luo_file_rec *F(FileRec *f)
{
	return reinterpret_cast<luo_file_rec *>(f);
}

static Direction D(luo_dir d)
{
	return static_cast<Direction>(d);
}

extern "C" {

int luo_registry_new(luo_registry **out)
{
	auto *r = luo::make<luo_registry>();

	if (!r)
		return -luo::kENOMEM;
	luo::Status st = r->reg.init();
	if (!st.ok()) {
		luo::destroy(r);
		return st.to_kernel();
	}
	*out = r;
	return 0;
}

void luo_registry_free(luo_registry *r)
{
	if (!r)
		return;
	r->reg.destroy();
	luo::destroy(r);
}

unsigned long luo_registry_count(luo_registry *r, luo_dir dir)
{
	return r->reg.count(D(dir));
}

void luo_registry_visit(luo_registry *r, luo_dir dir,
			int (*fn)(luo_session *s, void *arg), void *arg)
{
	r->reg.for_each(D(dir), [&](Session *s) {
		return fn(reinterpret_cast<luo_session *>(s), arg) == 0;
	});
}

unsigned int luo_registry_buckets(luo_registry *r)
{
	return r->reg.buckets();
}

int luo_name_check(const char *name)
{
	luo::u32 len;
	luo::Status st = Registry::check_name(name, &len);

	return st.ok() ? static_cast<int>(len) : st.to_kernel();
}

int luo_session_create(luo_registry *r, const char *name, luo_dir dir,
		       luo_session **out)
{
	luo::Result<Session *> res = r->reg.create(name, D(dir));

	if (!res.ok())
		return res.status().to_kernel();
	*out = reinterpret_cast<luo_session *>(res.value());
	return 0;
}

luo_session *luo_session_lookup(luo_registry *r, const char *name, luo_dir dir)
{
	return reinterpret_cast<luo_session *>(r->reg.lookup(name, D(dir)));
}

void luo_session_get(luo_registry *r, luo_session *s)
{
	r->reg.get(S(s));
}

void luo_session_put(luo_registry *r, luo_session *s)
{
	r->reg.put(S(s));
}

int luo_session_remove(luo_registry *r, luo_session *s)
{
	return r->reg.remove(S(s)) ? 1 : 0;
}

const char *luo_session_name(const luo_session *s)
{
	return S(s)->name;
}

luo_dir luo_session_dir(const luo_session *s)
{
	return static_cast<luo_dir>(S(s)->dir);
}

void luo_registry_set_capacity(luo_registry *r, unsigned long long bytes)
{
	r->reg.set_capacity(bytes);
}

unsigned long long luo_registry_reserved(luo_registry *r)
{
	return r->reg.reserved();
}

int luo_registry_reserve(luo_registry *r, unsigned long long bytes)
{
	return r->reg.reserve(bytes).to_kernel();
}

void luo_registry_release(luo_registry *r, unsigned long long bytes)
{
	r->reg.release(bytes);
}

void luo_session_lock(luo_session *s)
{
	S(s)->lock();
}

void luo_session_unlock(luo_session *s)
{
	S(s)->unlock();
}

unsigned int luo_session_nfiles(luo_session *s)
{
	return S(s)->nfiles;
}

int luo_session_retrieved(luo_session *s)
{
	return S(s)->retrieved;
}

int luo_session_discarded(luo_session *s)
{
	S(s)->assert_held();
	return S(s)->discarded;
}

void luo_session_set_retrieved(luo_session *s)
{
	S(s)->assert_held();
	S(s)->retrieved = true;
}

int luo_session_finished(luo_session *s)
{
	return S(s)->finished;
}

unsigned long long luo_session_reserved(luo_session *s)
{
	return S(s)->reserved;
}

void luo_session_set_reserved(luo_session *s, unsigned long long b)
{
	S(s)->reserved = b;
}

int luo_file_add(luo_session *s, unsigned long long token, luo_file_rec **out)
{
	luo::Result<FileRec *> r = S(s)->file_add(token);

	if (!r.ok())
		return r.status().to_kernel();
	*out = F(r.value());
	return 0;
}

luo_file_rec *luo_file_find(luo_session *s, unsigned long long token)
{
	S(s)->assert_held();
	return F(S(s)->file_find(token));
}

luo_file_rec *luo_file_last(luo_session *s)
{
	S(s)->assert_held();
	return F(S(s)->files_tail);
}

luo_file_rec *luo_file_first(luo_session *s)
{
	S(s)->assert_held();
	return F(S(s)->files);
}

luo_file_rec *luo_file_next(luo_file_rec *f)
{
	return F(F(f)->next);
}

void luo_file_del(luo_session *s, luo_file_rec *f)
{
	S(s)->assert_held();
	S(s)->file_del(F(f));
}

void *luo_file_priv(luo_file_rec *f)
{
	return F(f)->priv;
}

void luo_file_set_priv(luo_file_rec *f, void *priv)
{
	F(f)->priv = priv;
}

unsigned long long luo_file_token(luo_file_rec *f)
{
	return F(f)->token;
}

unsigned long long luo_file_reserved(luo_file_rec *f)
{
	return F(f)->reserved;
}

void luo_file_set_reserved(luo_file_rec *f, unsigned long long b)
{
	F(f)->reserved = b;
}

int luo_file_retrieve_status(luo_file_rec *f)
{
	return F(f)->retrieve_status;
}

void luo_file_set_retrieve_status(luo_file_rec *f, int status)
{
	F(f)->retrieve_status = status;
}

const char *luo_file_handler(luo_file_rec *f)
{
	return F(f)->handler;
}

const void *luo_file_data(luo_file_rec *f)
{
	return F(f)->data;
}

unsigned long long luo_file_data_len(luo_file_rec *f)
{
	return F(f)->data_len;
}

int luo_session_finish(luo_session *sess, const luo_finish_ops *ops)
{
	Session *s = S(sess);

	s->assert_held();
	/* Outgoing files are unpreserved by close, never finished. */
	if (s->dir != Direction::kIncoming)
		return -luo::kEINVAL;
	for (FileRec *f = s->files; f; f = f->next)
		if (!ops->can_finish(F(f)))
			return -luo::kEBUSY;
	while (s->files_tail) {
		FileRec *f = s->files_tail;

		ops->finish(F(f));
		s->file_del(f);
	}
	s->finished = true;
	return 0;
}

} /* extern "C" */
