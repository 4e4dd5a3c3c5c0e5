// SPDX-License-Identifier: GPL-2.0
/*
 * fake_kernel.cpp - the host tests' kernel files, descriptors and
 * "fake-v1" handler (fake_kernel.h).
 */
#include "fake_kernel.h"

#include <cerrno>

#include <luo/image.h>

namespace fake {

int retrieve_nomem;
std::map<std::string, int> claims;
bool gate_drains = true;
int gate_held;
unsigned int gate_timeout_ms;

namespace {

void note(struct file *f, const std::string &what)
{
	if (f->log)
		f->log->push_back(what + " " + f->name);
}

void kget_file(struct file *f)
{
	f->refs++;
}

void kfput(struct file *f)
{
	EXPECT_GT(f->refs, 0) << f->name;
	if (--f->refs == 0 && f->heap) {
		luo_memfile_free(f->mem);
		delete f;
	}
}

const void *kfile_key(struct file *f)
{
	return f;
}

int ksession_file(luo_session *s, struct file **out)
{
	auto *f = new struct file;

	f->heap = true;
	f->session = s;
	*out = f;
	return 0;
}

bool can_preserve(luo_core *, struct file *f)
{
	return !f->refuse && !f->session && !f->claims && !f->mem;
}

bool can_preserve_claims(luo_core *, struct file *f)
{
	return !f->refuse && !f->session && f->claims;
}

int preserve(luo_core *, luo_file *lf)
{
	if (lf->file->preserve_err)
		return lf->file->preserve_err;
	lf->reserve = lf->file->data.size();
	/* fake-claim-v1's contents: a thousand bytes per byte of data. */
	if (lf->file->claims)
		lf->size = lf->file->data.size() * 1000;
	lf->file->preserved++;
	return 0;
}

int populate(luo_file *lf)
{
	return lf->file->populate_err;
}

void unpreserve(luo_file *lf)
{
	note(lf->file, "unpreserve");
	lf->file->preserved--;
}

int freeze(luo_file *lf)
{
	note(lf->file, "freeze");
	if (lf->file->freeze_err)
		return lf->file->freeze_err;
	lf->file->frozen++;
	return 0;
}

void unfreeze(luo_file *lf)
{
	note(lf->file, "unfreeze");
	lf->file->frozen--;
}

unsigned long long data_len(luo_file *lf)
{
	return lf->file->data.size();
}

int write_data(luo_file *lf, void *dst, unsigned long long len)
{
	memcpy(dst, lf->file->data.data(), len);
	return 0;
}

int check(luo_core *, const void *data, unsigned long long len)
{
	return len >= 3 && !memcmp(data, "BAD", 3) ? -EINVAL : 0;
}

int retrieve(luo_core *, const void *data, unsigned long long len,
	     struct file **out)
{
	std::string d(static_cast<const char *>(data), len);

	if (d.compare(0, 4, "FAIL") == 0)
		return -EIO;
	if (d.compare(0, 5, "NOMEM") == 0 && retrieve_nomem > 0) {
		retrieve_nomem--;
		return -ENOMEM;
	}
	auto *f = new struct file;
	f->data = d;
	f->heap = true;
	*out = f;
	if (claims[d] > 0)
		claims[d]--;
	return 0;
}

int claim(luo_core *, const void *data, unsigned long long len)
{
	std::string d(static_cast<const char *>(data), len);

	if (d.compare(0, 8, "CLAIMBAD") == 0)
		return -EINVAL;
	claims[d]++;
	return 0;
}

unsigned long long content_len(const void *data, unsigned long long len)
{
	return len * 1000;
}

void unclaim(luo_core *, const void *data, unsigned long long len)
{
	std::string d(static_cast<const char *>(data), len);

	EXPECT_GT(claims[d], 0) << d;
	claims[d]--;
}

bool can_finish(luo_file *lf)
{
	return lf->file->can_finish;
}

void finish(luo_file *lf)
{
	lf->file->finished++;
}

luo_memfile *kmemfile_of(struct file *f)
{
	return f->mem;
}

int kmemfile_open(luo_memfile *m, struct file **out)
{
	auto *f = new struct file;

	f->heap = true;
	f->mem = m;
	*out = f;
	return 0;
}

bool kgate_close(unsigned int timeout_ms)
{
	gate_timeout_ms = timeout_ms;
	if (!gate_drains)
		return false;
	gate_held++;
	return true;
}

void kgate_release()
{
	EXPECT_GT(gate_held, 0);
	gate_held--;
}

} /* namespace */

const luo_kernel_ops kKops = {
	kget_file,   kfput,	    kfile_key,	 ksession_file,
	kgate_close, kgate_release, kmemfile_of, kmemfile_open,
};

const luo_file_handler kHandler = {
	"fake-v1", can_preserve, preserve, populate,   unpreserve,
	freeze,	   unfreeze,	 data_len, write_data, check,
	retrieve,  can_finish,	 finish,
};

const luo_file_handler kClaimHandler = {
	"fake-claim-v1", can_preserve_claims,
	preserve,	 populate,
	unpreserve,	 freeze,
	unfreeze,	 data_len,
	write_data,	 check,
	retrieve,	 can_finish,
	finish,		 claim,
	unclaim,	 content_len,
};

const luo_file_handler *const kHandlers[2] = {&kHandler, &kClaimHandler};

} /* namespace fake */

const luo_image_stamp kTestStamp = {7, 1700000000, 0};

void CoreTest::SetUp()
{
	fake::retrieve_nomem = 0;
	fake::claims.clear();
	fake::gate_drains = true;
	fake::gate_held = 0;
	ASSERT_EQ(0, luo_core_new(&fake::kKops, fake::kHandlers, 2, &r));
}

void CoreTest::TearDown()
{
	while (!files.empty())
		close(files.begin()->first);
	luo_discard_incoming(r);
	EXPECT_EQ(0u, luo_core_sessions(r, LUO_OUTGOING));
	EXPECT_EQ(0u, reserved_bytes(r));
	luo_core_free(r);
	/* Every claim went back, or to the file retrieved from it. */
	for (const auto &c : fake::claims)
		EXPECT_EQ(0, c.second) << c.first;
	/* Every reference the core took was given back. */
	for (const FakeFile &f : fakes_)
		EXPECT_EQ(1, f.refs) << f.data;
}

luo_session *CoreTest::session(const char *name)
{
	char buf[LUO_NAME_BUF] = {};
	struct file *f = nullptr;

	strncpy(buf, name, sizeof(buf) - 1);
	EXPECT_EQ(0, luo_create_session(r, buf, &f)) << name;
	if (!f)
		return nullptr;
	files[f->session] = f;
	return f->session;
}

void CoreTest::add(luo_session *s, unsigned long long token, struct file *f,
		   int err)
{
	EXPECT_EQ(err, luo_preserve_fd(r, s, f, token)) << token;
}

luo_session *CoreTest::retrieve(const char *name, int *err)
{
	char buf[LUO_NAME_BUF] = {};
	struct file *f = nullptr;

	strncpy(buf, name, sizeof(buf) - 1);
	int e = luo_retrieve_session(r, buf, &f);
	if (err)
		*err = e;
	else
		EXPECT_EQ(0, e) << name;
	if (e)
		return nullptr;
	files[f->session] = f;
	return f->session;
}

std::string CoreTest::retrieve_fd(luo_session *s, unsigned long long token)
{
	struct file *f = nullptr;
	int err = luo_retrieve_fd(r, s, token, &f);

	if (err)
		return std::to_string(err);
	std::string d = f->data;
	fake::kKops.fput(f);
	return d;
}

void CoreTest::close(luo_session *s)
{
	struct file *f = files.at(s);

	files.erase(s);
	luo_close_session(r, s);
	fake::kKops.fput(f);
}

std::vector<unsigned char> CoreTest::serialize(int *err)
{
	std::vector<unsigned char> img(1 << 16);
	unsigned long long used = 0;
	int e = luo::serialize(r, img.data(), img.size(), &kTestStamp, &used);

	if (err)
		*err = e;
	else
		EXPECT_EQ(0, e);
	img.resize(e ? 0 : used);
	return img;
}

std::vector<std::string> CoreTest::listing()
{
	std::vector<std::string> lines;
	luo_listing_ops ops = {
		[](void *arg, const luo_session_view *v) {
			static_cast<std::vector<std::string> *>(arg)->push_back(
				std::string("session ") +
				(v->dir == LUO_OUTGOING ? "out " : "in ") +
				v->state + " " + std::to_string(v->nfiles) +
				" " + v->name);
		},
		[](void *arg, const luo_file_view *v) {
			std::string l = "file " + std::to_string(v->token) +
					" " + v->handler + " " +
					std::to_string(v->bytes) + " " +
					v->state;
			if (v->error)
				l += ":" + std::to_string(v->error);
			static_cast<std::vector<std::string> *>(arg)->push_back(
				l);
		},
	};

	luo_core_list(r, &ops, &lines);
	return lines;
}

std::string CoreTest::state(luo_session *s)
{
	std::string suffix = std::string(" ") + luo_session_name(s);
	std::string dir = luo_session_dir(s) == LUO_OUTGOING ? "out " : "in ";

	for (const std::string &l : listing()) {
		if (l.rfind("session " + dir, 0) != 0 ||
		    l.size() < suffix.size() ||
		    l.compare(l.size() - suffix.size(), suffix.size(), suffix))
			continue;
		std::string rest = l.substr(8 + dir.size());
		return rest.substr(0, rest.find(' '));
	}
	return "(not listed)";
}

unsigned long long reserved_bytes(luo_core *c)
{
	luo_counts n;

	luo_core_counts(c, &n);
	return n.reserved;
}
