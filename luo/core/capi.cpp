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

} /* extern "C" */
