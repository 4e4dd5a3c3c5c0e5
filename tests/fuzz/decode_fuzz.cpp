// SPDX-License-Identifier: GPL-2.0
/*
 * decode_fuzz.cpp - libFuzzer target: the incoming side, on the host.
 *
 * Every input is an image as the previous kernel might have left it.  The
 * harness recomputes its checksum (over what its header claims, as far as
 * the input goes), so that mutations reach the decoder's every check
 * rather than die at the checksum, and decodes it into a core with a fake
 * handler ("fake-v1", whose data is the file's contents).  An image the
 * decoder accepts must then behave: every session retrieved once, every
 * file retrieved (twice: the same file), FINISH, close; afterwards no
 * session, no reserved byte, no reference, no allocation is left.  A
 * rejected one must leave nothing either.  Any broken invariant traps
 * (luo_shim_bug()), any memory error is ASan's, any undefined behaviour
 * UBSan's.
 *
 * The seed corpus is made of real images, written by the serializer
 * itself from a few sessions of fake files (LLVMFuzzerInitialize(), into
 * an empty corpus directory given as the first argument).
 *
 *   scripts/fuzz-decode.sh [--check]   (make check: a bounded run)
 */
#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include <luo/core.h>
#include <luo/image.h>

#include "../host_shim.h"

/* The harness's kernel file: contents, and who holds it. */
struct file {
	std::string data;
	int refs = 1;
	luo_session *session = nullptr;
	bool heap = false;
};

namespace {

long live_files;

void die(const char *what)
{
	fprintf(stderr, "decode_fuzz: %s\n", what);
	__builtin_trap();
}

struct file *new_file()
{
	live_files++;
	auto *f = new struct file;
	f->heap = true;
	return f;
}

void kget_file(struct file *f)
{
	f->refs++;
}

void kfput(struct file *f)
{
	if (f->refs <= 0)
		die("fput of a file with no reference");
	if (--f->refs == 0 && f->heap) {
		live_files--;
		delete f;
	}
}

const void *kkey(struct file *f)
{
	return f;
}

int ksession_file(luo_session *s, struct file **out)
{
	*out = new_file();
	(*out)->session = s;
	return 0;
}

bool can_preserve(luo_core *, struct file *f)
{
	return !f->session;
}

int preserve(luo_core *, luo_file *lf)
{
	lf->reserve = lf->file->data.size();
	return 0;
}

void unpreserve(luo_file *) {}

unsigned long long data_len(luo_file *lf)
{
	return lf->file->data.size();
}

int write_data(luo_file *lf, void *dst, unsigned long long len)
{
	memcpy(dst, lf->file->data.data(), len);
	return 0;
}

/* Data starting "BAD" is refused at load, "FAIL" at RETRIEVE_FD. */
int check(luo_core *, const void *data, unsigned long long len)
{
	return len >= 3 && !memcmp(data, "BAD", 3) ? -EINVAL : 0;
}

int retrieve(luo_core *, const void *data, unsigned long long len,
	     struct file **out)
{
	if (len >= 4 && !memcmp(data, "FAIL", 4))
		return -EIO;
	*out = new_file();
	(*out)->data.assign(static_cast<const char *>(data), len);
	return 0;
}

const luo_kernel_ops kKops = {kget_file, kfput, kkey, ksession_file};
const luo_file_handler kHandler = {
	"fake-v1", can_preserve, preserve, nullptr,    unpreserve,
	nullptr,   nullptr,	 data_len, write_data, check,
	retrieve,  nullptr,	 nullptr,
};
const luo_file_handler *const kHandlers[] = {&kHandler};
const luo_image_stamp kStamp = {3, 1700000000, 0};

/* Each incoming session of the listing, by name (NUL-padded buffers). */
struct Seen {
	std::vector<std::string> names;
	std::vector<std::vector<unsigned long long>> tokens;
};

void seen_session(void *arg, const luo_session_view *v)
{
	auto *s = static_cast<Seen *>(arg);

	if (v->dir != LUO_INCOMING)
		return;
	s->names.push_back(v->name);
	s->tokens.emplace_back();
}

void seen_file(void *arg, const luo_file_view *v)
{
	auto *s = static_cast<Seen *>(arg);

	if (!s->tokens.empty())
		s->tokens.back().push_back(v->token);
}

/* The ioctls' use of an accepted image: all of it, then nothing left. */
void use(luo_core *c)
{
	Seen seen;
	luo_listing_ops ops = {seen_session, seen_file};

	luo_core_list(c, &ops, &seen);
	for (size_t i = 0; i < seen.names.size(); i++) {
		char name[LUO_NAME_BUF] = {};
		struct file *sf = nullptr;

		memcpy(name, seen.names[i].data(), seen.names[i].size());
		if (luo_retrieve_session(c, name, &sf))
			die("an accepted session cannot be retrieved");
		struct file *again = nullptr;
		if (luo_retrieve_session(c, name, &again) != -EINVAL)
			die("a session was retrieved twice");
		for (unsigned long long t : seen.tokens[i]) {
			struct file *a = nullptr, *b = nullptr;
			int e1 = luo_retrieve_fd(c, sf->session, t, &a);
			int e2 = luo_retrieve_fd(c, sf->session, t, &b);

			if (e1 != e2 || (!e1 && a != b))
				die("RETRIEVE_FD is not the same twice");
			if (!e1) {
				kfput(a);
				kfput(b);
			}
		}
		if (luo_finish(c, sf->session))
			die("FINISH of an accepted session failed");
		luo_close_session(c, sf->session);
		kfput(sf);
	}
}

/* A real image of @n sessions with the given contents. */
std::vector<unsigned char>
make_image(const std::vector<std::vector<std::string>> &sessions)
{
	luo_core *c = nullptr;
	std::vector<struct file *> sfiles;
	std::vector<struct file> files(64);
	size_t used_files = 0;

	if (luo_core_new(&kKops, kHandlers, 1, &c))
		die("core");
	for (size_t i = 0; i < sessions.size(); i++) {
		char name[LUO_NAME_BUF] = {};
		struct file *sf = nullptr;

		snprintf(name, sizeof(name), "seed-%zu", i);
		if (luo_create_session(c, name, &sf))
			die("seed session");
		sfiles.push_back(sf);
		for (size_t k = 0; k < sessions[i].size(); k++) {
			struct file *f = &files[used_files++];

			f->data = sessions[i][k];
			if (luo_preserve_fd(c, sf->session, f, 7 * k + i))
				die("seed file");
		}
	}
	std::vector<unsigned char> img(1 << 16);
	unsigned long long used = 0;
	if (luo::serialize(c, img.data(), img.size(), &kStamp, &used))
		die("seed serialize");
	luo_unfreeze_all(c);
	img.resize(used);
	for (struct file *sf : sfiles) {
		luo_close_session(c, sf->session);
		kfput(sf);
	}
	luo_core_free(c);
	return img;
}

} /* namespace */

extern "C" int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	/* Seeds into the corpus directory, if it is empty. */
	for (int i = 1; i < *argc; i++) {
		const char *dir = (*argv)[i];
		std::string probe = std::string(dir) + "/seed-0";

		if (dir[0] == '-')
			continue;
		if (FILE *f = fopen(probe.c_str(), "rb")) {
			fclose(f);
			return 0;
		}
		const std::vector<std::vector<std::vector<std::string>>> seeds =
			{
				{},
				{{}},
				{{"hello"}},
				{{"a", "bb", std::string(100, 'c')},
				 {},
				 {"FAIL"}},
				{{"x"}, {"yy", "zzz"}, {"0123456789abcdef"}},
			};
		for (size_t k = 0; k < seeds.size(); k++) {
			auto img = make_image(seeds[k]);
			std::string p =
				std::string(dir) + "/seed-" + std::to_string(k);
			if (FILE *f = fopen(p.c_str(), "wb")) {
				fwrite(img.data(), 1, img.size(), f);
				fclose(f);
			}
		}
		return 0;
	}
	return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* 8-byte aligned, as the range and a test buffer are. */
	std::vector<unsigned long long> buf((size + 7) / 8);
	auto *img = reinterpret_cast<unsigned char *>(buf.data());
	long allocs = host_shim_live_allocs();
	luo_core *c = nullptr;
	char why[64];

	if (size)
		memcpy(img, data, size);
	if (size >= sizeof(luo::ImageHeader)) {
		auto *hdr = reinterpret_cast<luo::ImageHeader *>(img);
		unsigned long long len = hdr->total_len;

		luo_image_seal(img, len < size ? len : size);
	}
	luo_counts n;

	if (luo_core_new(&kKops, kHandlers, 1, &c))
		die("core");
	if (!luo_deserialize(c, img, size, why, sizeof(why)))
		use(c);
	else if (luo_core_sessions(c, LUO_INCOMING))
		die("a rejected image left incoming sessions");
	luo_core_counts(c, &n);
	if (n.sessions[LUO_INCOMING] || n.reserved)
		die("something is left after close");
	luo_core_free(c);
	if (live_files)
		die("a file reference leaked");
	if (host_shim_live_allocs() != allocs)
		die("an allocation leaked");
	return 0;
}
