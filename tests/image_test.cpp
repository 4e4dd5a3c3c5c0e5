// SPDX-License-Identifier: GPL-2.0
/*
 * image_test.cpp - host tests of serialization, decoding, finish and the
 * handover capacity (luo/core/image.cpp, capi.cpp), with fake files.
 */
#include <cerrno>
#include <cstring>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include <luo/core.h>
#include <luo/image.h>

#include "host_shim.h"

namespace {

/* A fake preserved file: its data is a string. */
struct FakeFile {
	std::string data;
	int freeze_err = 0;
	int frozen = 0;
	bool can_finish = true;
	int finished = 0;
	std::vector<std::string> *log = nullptr;
	std::string name;
};

int fake_freeze(void *p)
{
	auto *f = static_cast<FakeFile *>(p);
	if (f->log)
		f->log->push_back("freeze " + f->name);
	if (f->freeze_err)
		return f->freeze_err;
	f->frozen++;
	return 0;
}

void fake_unfreeze(void *p)
{
	auto *f = static_cast<FakeFile *>(p);
	if (f->log)
		f->log->push_back("unfreeze " + f->name);
	f->frozen--;
}

const char *fake_handler(void *)
{
	return "fake-v1";
}

unsigned long long fake_len(void *p)
{
	return static_cast<FakeFile *>(p)->data.size();
}

int fake_write(void *p, void *dst, unsigned long long len)
{
	memcpy(dst, static_cast<FakeFile *>(p)->data.data(), len);
	return 0;
}

const luo_serialize_ops kOps = {fake_freeze, fake_unfreeze, fake_handler,
				fake_len, fake_write};

/* The decoder's handler check: "fake-v1" only; data "BAD..." refused. */
int fake_check(const char *handler, const void *data, unsigned long long len)
{
	if (strcmp(handler, "fake-v1"))
		return -ENOENT;
	if (len >= 3 && !memcmp(data, "BAD", 3))
		return -EINVAL;
	return 0;
}

const luo_decode_ops kDecode = {fake_check};

const luo_image_stamp kStamp = {7, 1700000000, 0};

class ImageTest : public ::testing::Test {
protected:
	void SetUp() override { ASSERT_EQ(0, luo_registry_new(&r)); }
	void TearDown() override
	{
		luo_discard_incoming(r);
		for (luo_session *s : out) {
			luo_session_remove(r, s);
			luo_session_put(r, s);
		}
		luo_registry_free(r);
	}
	luo_session *session(const char *name)
	{
		char buf[64] = {};
		strncpy(buf, name, 63);
		luo_session *s = nullptr;
		EXPECT_EQ(0, luo_session_create(r, buf, LUO_OUTGOING, &s));
		out.push_back(s);
		return s;
	}
	void add(luo_session *s, unsigned long long token, FakeFile *f)
	{
		luo_file_rec *rec;
		luo_session_lock(s);
		ASSERT_EQ(0, luo_file_add(s, token, &rec));
		luo_file_set_priv(rec, f);
		luo_session_unlock(s);
	}
	std::vector<unsigned char> serialize(int *err = nullptr)
	{
		std::vector<unsigned char> img(1 << 16);
		unsigned long long used = 0;
		int e = luo_serialize(r, &kOps, img.data(), img.size(), &kStamp,
				      &used);
		if (err)
			*err = e;
		else
			EXPECT_EQ(0, e);
		img.resize(e ? 0 : used);
		return img;
	}
	luo_registry *r = nullptr;
	std::vector<luo_session *> out;
};

TEST_F(ImageTest, EmptyImageRoundTrips)
{
	auto img = serialize();
	ASSERT_EQ(img.size(), luo_image_header_cost());
	luo_image_info info = {};
	EXPECT_EQ(0,
		  luo_image_check(img.data(), img.size(), &info, nullptr, 0));
	EXPECT_EQ(7u, info.generation);
	EXPECT_EQ(kStamp.wall_time, info.wall_time);
	EXPECT_EQ(img.size(), info.total_len);
	EXPECT_EQ(0, luo_deserialize(r, img.data(), img.size(), &kDecode,
				     nullptr, 0));
	EXPECT_EQ(0u, luo_registry_count(r, LUO_INCOMING));
}

TEST_F(ImageTest, SessionsFilesAndDataRoundTrip)
{
	FakeFile a{"hello"}, b{""}, c{std::string(1000, 'z')};
	luo_session *s1 = session("one");
	session("empty");
	luo_session *s3 = session("three");
	add(s1, 1, &a);
	add(s1, 2, &b);
	add(s3, 0xffffffffffffffffULL, &c);

	auto img = serialize();
	EXPECT_EQ(img.size(), luo_image_header_cost() + 3 * luo_session_cost() +
				      luo_file_cost(5) + luo_file_cost(0) +
				      luo_file_cost(1000));
	EXPECT_EQ(1, a.frozen);
	luo_unfreeze_all(r, &kOps);
	EXPECT_EQ(0, a.frozen);

	ASSERT_EQ(0, luo_deserialize(r, img.data(), img.size(), &kDecode,
				     nullptr, 0));
	EXPECT_EQ(3u, luo_registry_count(r, LUO_INCOMING));
	char name[64] = "one";
	luo_session *in = luo_session_lookup(r, name, LUO_INCOMING);
	ASSERT_NE(nullptr, in);
	luo_session_lock(in);
	EXPECT_EQ(2u, luo_session_nfiles(in));
	luo_file_rec *f = luo_file_find(in, 1);
	ASSERT_NE(nullptr, f);
	EXPECT_STREQ("fake-v1", luo_file_handler(f));
	ASSERT_EQ(5u, luo_file_data_len(f));
	EXPECT_EQ(0, memcmp("hello", luo_file_data(f), 5));
	EXPECT_EQ(0, luo_file_retrieve_status(f));
	EXPECT_EQ(0u, luo_file_data_len(luo_file_find(in, 2)));
	luo_session_unlock(in);
	luo_session_put(r, in);
	strcpy(name, "three");
	in = luo_session_lookup(r, name, LUO_INCOMING);
	ASSERT_NE(nullptr, in);
	luo_session_lock(in);
	f = luo_file_find(in, 0xffffffffffffffffULL);
	ASSERT_NE(nullptr, f);
	EXPECT_EQ(std::string(1000, 'z'),
		  std::string((const char *)luo_file_data(f), 1000));
	luo_session_unlock(in);
	luo_session_put(r, in);
	/* A second decode while incoming sessions exist is refused. */
	EXPECT_EQ(-EBUSY, luo_deserialize(r, img.data(), img.size(), &kDecode,
					  nullptr, 0));
}

TEST_F(ImageTest, FreezeFailureUnfreezesTheOthersNewestFirst)
{
	std::vector<std::string> log;
	FakeFile a{"a"}, b{"b"}, c{"c"}, d{"d"};
	a.log = b.log = c.log = d.log = &log;
	a.name = "a", b.name = "b", c.name = "c", d.name = "d";
	c.freeze_err = -EIO;
	luo_session *s1 = session("s1");
	luo_session *s2 = session("s2");
	add(s1, 1, &a);
	add(s1, 2, &b);
	add(s2, 1, &c);
	add(s2, 2, &d);
	int err = 0;
	serialize(&err);
	EXPECT_EQ(-EIO, err);
	std::vector<std::string> want = {"freeze a", "freeze b", "freeze c",
					 "unfreeze b", "unfreeze a"};
	EXPECT_EQ(want, log);
	EXPECT_EQ(0, a.frozen + b.frozen + d.frozen);
}

TEST_F(ImageTest, NoDestinationOnlyFreezes)
{
	FakeFile a{"a"};
	add(session("s"), 1, &a);
	unsigned long long used = 99;
	EXPECT_EQ(0, luo_serialize(r, &kOps, nullptr, 0, &kStamp, &used));
	EXPECT_EQ(0u, used);
	EXPECT_EQ(1, a.frozen);
	luo_unfreeze_all(r, &kOps);
	EXPECT_EQ(0, a.frozen);
}

TEST_F(ImageTest, TooSmallDestinationLeavesNoValidHeader)
{
	FakeFile a{std::string(100, 'x')};
	add(session("s"), 1, &a);
	std::vector<unsigned char> img(128, 0xAA);
	unsigned long long used = 0;
	EXPECT_EQ(-ENOSPC, luo_serialize(r, &kOps, img.data(), img.size(),
					 &kStamp, &used));
	EXPECT_EQ(-ENOENT,
		  luo_image_check(img.data(), img.size(), nullptr, nullptr, 0));
	EXPECT_EQ(0, a.frozen);
}

/* Every single flipped byte of an image is caught, and decodes nothing. */
TEST_F(ImageTest, AnyCorruptionIsRejectedWhole)
{
	FakeFile a{"payload-1"}, b{"payload-22"};
	luo_session *s = session("victim");
	add(s, 1, &a);
	add(s, 2, &b);
	auto img = serialize();
	luo_unfreeze_all(r, &kOps);
	for (size_t i = 0; i < img.size(); i++) {
		auto bad = img;
		bad[i] ^= 0x40;
		char why[64] = "";
		EXPECT_NE(0, luo_deserialize(r, bad.data(), bad.size(),
					     &kDecode, why, sizeof(why)))
			<< "byte " << i;
		EXPECT_NE('\0', why[0]);
		ASSERT_EQ(0u, luo_registry_count(r, LUO_INCOMING));
	}
	/* Truncated. */
	for (size_t len : {size_t(0), size_t(8), size_t(63), img.size() - 8})
		EXPECT_NE(0, luo_deserialize(r, img.data(), len, &kDecode,
					     nullptr, 0));
	EXPECT_EQ(0, luo_deserialize(r, img.data(), img.size(), &kDecode,
				     nullptr, 0));
}

/* An older, a future and a garbled ABI string: incompatible, whole. */
TEST_F(ImageTest, IncompatibleAbiIsRejected)
{
	FakeFile a{"x"};
	add(session("s"), 1, &a);
	const auto good = serialize();
	for (const char *abi : {"luo-image-1", "luo-image-3", "luo-image-20",
				"luo-image-2 ", "LUO-IMAGE-2", ""}) {
		auto img = good;
		auto *hdr = reinterpret_cast<luo::ImageHeader *>(img.data());
		memset(hdr->abi, 0, sizeof(hdr->abi));
		memcpy(hdr->abi, abi, strlen(abi));
		hdr->checksum = luo::image_checksum(img.data(), img.size());
		char why[64];
		EXPECT_EQ(-EINVAL, luo_deserialize(r, img.data(), img.size(),
						   &kDecode, why, sizeof(why)))
			<< abi;
		EXPECT_STREQ("incompatible image ABI version", why) << abi;
		EXPECT_EQ(0u, luo_registry_count(r, LUO_INCOMING));
	}
	EXPECT_EQ(0, luo_deserialize(r, good.data(), good.size(), &kDecode,
				     nullptr, 0));
}

/*
 * Generations: a freeze writes its predecessor's + 1 and the first kernel
 * is 0, so 0 was never written by a freeze and the maximum would wrap the
 * next one.  Each is refused whole; its neighbours are fine.
 */
TEST_F(ImageTest, ImpossibleGenerationIsRejected)
{
	FakeFile a{"x"};
	add(session("s"), 1, &a);
	const auto good = serialize();
	for (unsigned long long gen : {0ULL, ~0ULL, 1ULL, ~0ULL - 1}) {
		auto img = good;
		auto *hdr = reinterpret_cast<luo::ImageHeader *>(img.data());
		hdr->generation = gen;
		hdr->checksum = luo::image_checksum(img.data(), img.size());
		char why[64] = "";
		int err = luo_deserialize(r, img.data(), img.size(), &kDecode,
					  why, sizeof(why));
		if (gen == 0 || gen == ~0ULL) {
			EXPECT_EQ(-EINVAL, err) << gen;
			EXPECT_STREQ("impossible image generation", why) << gen;
			EXPECT_EQ(0u, luo_registry_count(r, LUO_INCOMING));
			continue;
		}
		EXPECT_EQ(0, err) << gen << ": " << why;
		EXPECT_EQ(1u, luo_registry_count(r, LUO_INCOMING));
		luo_discard_incoming(r);
	}
}

/* A failed freeze leaves a header that says so, and why. */
TEST_F(ImageTest, FailedFreezeHeaderCarriesTheReason)
{
	std::vector<unsigned char> img(4096, 0xAA);
	luo_image_info info = {};
	char why[64];

	luo_image_write_failed(img.data(), img.size(), &kStamp,
			       "in-flight operations did not drain in 10 ms");
	EXPECT_EQ(-ECANCELED, luo_image_check(img.data(), img.size(), &info,
					      why, sizeof(why)));
	EXPECT_STREQ("in-flight operations did not drain in 10 ms",
		     info.reason);
	EXPECT_EQ(7u, info.generation);
	EXPECT_EQ(kStamp.wall_time, info.wall_time);
	/* Nothing to decode in it. */
	EXPECT_EQ(-ECANCELED, luo_deserialize(r, img.data(), img.size(),
					      &kDecode, nullptr, 0));
	EXPECT_EQ(0u, luo_registry_count(r, LUO_INCOMING));
	/* A reason too long for the header is cut, still NUL-terminated. */
	luo_image_write_failed(img.data(), img.size(), &kStamp,
			       std::string(200, 'r').c_str());
	EXPECT_EQ(-ECANCELED,
		  luo_image_check(img.data(), img.size(), &info, nullptr, 0));
	EXPECT_EQ(std::string(47, 'r'), info.reason);
	/* No room for a header: nothing written. */
	std::vector<unsigned char> tiny(64, 0);
	luo_image_write_failed(tiny.data(), tiny.size(), &kStamp, "x");
	EXPECT_EQ(std::vector<unsigned char>(64, 0), tiny);
}

/* Fields that must be zero are refused when they are not, whole. */
TEST_F(ImageTest, NonZeroFlagsOrReservedAreRejected)
{
	FakeFile a{"x"};
	add(session("s"), 1, &a);
	auto good = serialize();
	luo_unfreeze_all(r, &kOps);
	auto img = good;
	auto *hdr = reinterpret_cast<luo::ImageHeader *>(img.data());
	hdr->flags = 2;
	hdr->checksum = luo::image_checksum(img.data(), img.size());
	char why[64];
	EXPECT_EQ(-EINVAL, luo_deserialize(r, img.data(), img.size(), &kDecode,
					   why, sizeof(why)));
	EXPECT_STREQ("unknown image header flags", why);
	/* The failed flag on an image with sessions is a lie. */
	img = good;
	hdr = reinterpret_cast<luo::ImageHeader *>(img.data());
	hdr->flags = luo::kImageFailed;
	hdr->checksum = luo::image_checksum(img.data(), img.size());
	EXPECT_EQ(-EINVAL, luo_deserialize(r, img.data(), img.size(), &kDecode,
					   why, sizeof(why)));
	img = good;
	hdr = reinterpret_cast<luo::ImageHeader *>(img.data());
	auto *is = reinterpret_cast<luo::ImageSession *>(
		img.data() + sizeof(luo::ImageHeader));
	is->reserved = 1;
	hdr->checksum = luo::image_checksum(img.data(), img.size());
	EXPECT_EQ(-EINVAL, luo_deserialize(r, img.data(), img.size(), &kDecode,
					   why, sizeof(why)));
	EXPECT_STREQ("bad session record", why);
	EXPECT_EQ(0u, luo_registry_count(r, LUO_INCOMING));
	EXPECT_EQ(0, luo_deserialize(r, good.data(), good.size(), &kDecode,
				     nullptr, 0));
}

/*
 * Duplicate tokens in a session are found however far apart they are (the
 * decoder sorts them), and a file count the image cannot hold is refused
 * before anything is allocated for it.
 */
TEST_F(ImageTest, DuplicateTokensAndLyingCountsAreRejectedWhole)
{
	std::vector<FakeFile> files(1000, FakeFile{""});
	luo_session *s = session("many");
	for (unsigned i = 0; i < files.size(); i++)
		add(s, 1000 - i, &files[i]);
	auto good = serialize();
	luo_unfreeze_all(r, &kOps);
	const size_t first = sizeof(luo::ImageHeader) + luo::kSessionCost;
	auto *f0 = reinterpret_cast<luo::ImageFile *>(good.data() + first);
	ASSERT_EQ(1000u, f0->token);

	auto img = good;
	/* The last file gets the first one's token. */
	auto *flast = reinterpret_cast<luo::ImageFile *>(
		img.data() + first + 999 * luo::file_cost(0));
	ASSERT_EQ(1u, flast->token);
	flast->token = 1000;
	auto *hdr = reinterpret_cast<luo::ImageHeader *>(img.data());
	hdr->checksum = luo::image_checksum(img.data(), img.size());
	char why[64];
	EXPECT_EQ(-EINVAL, luo_deserialize(r, img.data(), img.size(), &kDecode,
					   why, sizeof(why)));
	EXPECT_STREQ("duplicate session name or token", why);
	EXPECT_EQ(0u, luo_registry_count(r, LUO_INCOMING));

	img = good;
	hdr = reinterpret_cast<luo::ImageHeader *>(img.data());
	auto *is = reinterpret_cast<luo::ImageSession *>(
		img.data() + sizeof(luo::ImageHeader));
	is->nfiles = 0xffffffffu;
	hdr->checksum = luo::image_checksum(img.data(), img.size());
	EXPECT_EQ(-EINVAL, luo_deserialize(r, img.data(), img.size(), &kDecode,
					   why, sizeof(why)));
	EXPECT_STREQ("bad session record", why);

	EXPECT_EQ(0, luo_deserialize(r, good.data(), good.size(), &kDecode,
				     nullptr, 0));
	luo_session *in = nullptr;
	char name[64] = "many";
	in = luo_session_lookup(r, name, LUO_INCOMING);
	ASSERT_NE(nullptr, in);
	EXPECT_EQ(1000u, luo_session_nfiles(in));
	luo_session_put(r, in);
}

/*
 * The crafted-image matrix: images that pass the checksum (recomputed
 * here) but lie.  Every length and count field at 0, 1, the true value
 * +- 1 and its type's maximum; a truncation at every 8-byte boundary; a
 * name without its NUL.  Each is rejected whole, with a reason.
 */
class CraftedImage : public ImageTest {
protected:
	void SetUp() override
	{
		ImageTest::SetUp();
		/*
		 * Data of 8 and 16 bytes: no padding, so data_len + 1 moves
		 * every later record, and - 1 leaves a non-zero byte where
		 * the padding must be zeros.  (A data_len that grows into
		 * zero padding is a well-formed image of other data; the
		 * handler refuses that at RETRIEVE_FD: a memfd's size must
		 * match.)
		 */
		a.data = "payload1";
		b.data = "payload-2222222x";
		luo_session *s = session("victim");
		add(s, 1, &a);
		add(s, 2, &b);
		session("second");
		good = serialize();
		luo_unfreeze_all(r, &kOps);
	}
	/* Reseal @img and expect it rejected whole, with a reason. */
	void expect_rejected(std::vector<unsigned char> img, const char *what)
	{
		auto *hdr = reinterpret_cast<luo::ImageHeader *>(img.data());
		if (img.size() >= sizeof(*hdr) && hdr->total_len <= img.size())
			hdr->checksum =
				luo::image_checksum(img.data(), hdr->total_len);
		char why[64] = "";
		EXPECT_NE(0, luo_deserialize(r, img.data(), img.size(),
					     &kDecode, why, sizeof(why)))
			<< what;
		EXPECT_NE('\0', why[0]) << what;
		ASSERT_EQ(0u, luo_registry_count(r, LUO_INCOMING)) << what;
	}
	template <typename T>
	void lie(size_t off, unsigned long long truth_in, const char *field)
	{
		const T truth = T(truth_in);
		const T values[] = {0, 1, T(truth - 1), T(truth + 1), T(~T(0))};
		for (T v : values) {
			if (v == truth)
				continue;
			auto img = good;
			__builtin_memcpy(img.data() + off, &v, sizeof(v));
			std::string what =
				std::string(field) + " = " + std::to_string(v);
			expect_rejected(img, what.c_str());
		}
	}
	FakeFile a{""}, b{""};
	std::vector<unsigned char> good;
};

TEST_F(CraftedImage, EveryLengthAndCountFieldThatLiesIsRejected)
{
	using luo::ImageFile;
	using luo::ImageHeader;
	using luo::ImageSession;
	using luo::u32;
	using luo::u64;
	const auto *hdr = reinterpret_cast<const ImageHeader *>(good.data());
	const size_t s1 = sizeof(ImageHeader);
	const size_t f1 = s1 + sizeof(ImageSession);
	const size_t f2 = f1 + luo::file_cost(a.data.size());
	const size_t s2 = f2 + luo::file_cost(b.data.size());

	lie<u64>(offsetof(ImageHeader, total_len), hdr->total_len, "total_len");
	lie<u32>(offsetof(ImageHeader, header_len), hdr->header_len,
		 "header_len");
	lie<u32>(offsetof(ImageHeader, nsessions), hdr->nsessions, "nsessions");
	lie<u32>(offsetof(ImageHeader, nfiles), hdr->nfiles, "nfiles");
	lie<u32>(s1 + offsetof(ImageSession, nfiles), 2, "session 1 nfiles");
	lie<u32>(s2 + offsetof(ImageSession, nfiles), 0, "session 2 nfiles");
	lie<u64>(f1 + offsetof(ImageFile, data_len), a.data.size(),
		 "file 1 data_len");
	lie<u64>(f2 + offsetof(ImageFile, data_len), b.data.size(),
		 "file 2 data_len");
	/* And the truth decodes. */
	EXPECT_EQ(0, luo_deserialize(r, good.data(), good.size(), &kDecode,
				     nullptr, 0));
}

TEST_F(CraftedImage, TruncationAtEveryBoundaryIsRejected)
{
	for (size_t len = 0; len < good.size(); len += 8) {
		auto img = good;
		img.resize(len);
		if (len >= sizeof(luo::ImageHeader)) {
			auto *hdr = reinterpret_cast<luo::ImageHeader *>(
				img.data());
			hdr->total_len = len; /* the header agrees */
		}
		expect_rejected(
			img, ("truncated to " + std::to_string(len)).c_str());
	}
}

TEST_F(CraftedImage, NamesWithoutNulAreRejected)
{
	auto img = good;
	auto *is = reinterpret_cast<luo::ImageSession *>(
		img.data() + sizeof(luo::ImageHeader));
	memset(is->name, 'n', sizeof(is->name));
	expect_rejected(img, "session name without NUL");
	img = good;
	auto *f = reinterpret_cast<luo::ImageFile *>(img.data() +
						     sizeof(luo::ImageHeader) +
						     sizeof(luo::ImageSession));
	memset(f->handler, 'h', sizeof(f->handler));
	expect_rejected(img, "handler name without NUL");
	img = good;
	f = reinterpret_cast<luo::ImageFile *>(img.data() +
					       sizeof(luo::ImageHeader) +
					       sizeof(luo::ImageSession));
	memset(f->handler, 0, sizeof(f->handler));
	expect_rejected(img, "empty handler name");
}

/*
 * The format has no offsets: records follow each other, so a data_len is
 * what could point outside, overlap or wrap.  Lengths that run past the
 * end, that wrap the cursor back to the header or onto an earlier record,
 * and that stop inside the next record are all refused.
 */
TEST_F(CraftedImage, DataLengthsThatPointOutsideOrWrapAreRejected)
{
	using luo::ImageFile;
	using luo::u64;
	const size_t f1 = sizeof(luo::ImageHeader) + sizeof(luo::ImageSession);
	const size_t d1 = f1 + sizeof(ImageFile);
	const u64 wraps[] = {
		good.size() - d1 + 8,	    /* past the end */
		u64(0) - d1,		    /* cursor back to offset 0 */
		u64(0) - sizeof(ImageFile), /* back onto its own record */
		u64(0) - 8,		    /* rounds up to 0 */
		u64(0) - 1,
		(u64(1) << 63) + 8, /* a sign bit */
	};
	for (u64 v : wraps) {
		auto img = good;
		memcpy(img.data() + f1 + offsetof(ImageFile, data_len), &v,
		       sizeof(v));
		expect_rejected(img, ("data_len " + std::to_string(v)).c_str());
	}
}

/*
 * A handler this kernel does not have, or data its handler refuses,
 * rejects the image whole, before any session exists: nothing is
 * half-restored for RETRIEVE_FD to trip over later.
 */
TEST_F(CraftedImage, UnknownHandlersAndRefusedDataAreRejectedWhole)
{
	const size_t f2 = sizeof(luo::ImageHeader) + sizeof(luo::ImageSession) +
			  luo::file_cost(a.data.size());
	for (const char *h : {"memfd-v2", "fake-v0", "fake-v1 ", "x"}) {
		auto img = good;
		auto *f = reinterpret_cast<luo::ImageFile *>(img.data() + f2);
		memset(f->handler, 0, sizeof(f->handler));
		memcpy(f->handler, h, strlen(h));
		expect_rejected(img, h);
		char why[64] = "";
		luo::ImageHeader *hdr =
			reinterpret_cast<luo::ImageHeader *>(img.data());
		hdr->checksum = luo::image_checksum(img.data(), img.size());
		luo_deserialize(r, img.data(), img.size(), &kDecode, why,
				sizeof(why));
		EXPECT_STREQ("unknown file handler", why) << h;
	}
	auto img = good;
	memcpy(img.data() + f2 + sizeof(luo::ImageFile), "BAD", 3);
	expect_rejected(img, "data the handler refuses");
	char why[64] = "";
	auto *hdr = reinterpret_cast<luo::ImageHeader *>(img.data());
	hdr->checksum = luo::image_checksum(img.data(), img.size());
	EXPECT_EQ(-EINVAL, luo_deserialize(r, img.data(), img.size(), &kDecode,
					   why, sizeof(why)));
	EXPECT_STREQ("bad handler data", why);
	EXPECT_EQ(0u, luo_registry_count(r, LUO_INCOMING));
}

/* A well-formed image with a duplicate name is refused, whole. */
TEST_F(ImageTest, DuplicateNamesInAnImageAreRejectedWhole)
{
	FakeFile a{"x"};
	add(session("dup"), 1, &a);
	session("other");
	auto img = serialize();
	auto *s2 = reinterpret_cast<luo::ImageSession *>(
		img.data() + sizeof(luo::ImageHeader) + luo::kSessionCost +
		luo::file_cost(1));
	ASSERT_STREQ("other", s2->name);
	strcpy(s2->name, "dup");
	auto *hdr = reinterpret_cast<luo::ImageHeader *>(img.data());
	hdr->checksum = luo::image_checksum(img.data(), img.size());
	char why[64];
	EXPECT_EQ(-EINVAL, luo_deserialize(r, img.data(), img.size(), &kDecode,
					   why, sizeof(why)));
	EXPECT_EQ(0u, luo_registry_count(r, LUO_INCOMING));
}

int can_finish_cb(luo_file_rec *f)
{
	return static_cast<FakeFile *>(luo_file_priv(f))->can_finish;
}

void finish_cb(luo_file_rec *f)
{
	static_cast<FakeFile *>(luo_file_priv(f))->finished++;
}

TEST_F(ImageTest, FinishIsAllOrNothing)
{
	FakeFile a{"1"}, b{"2"};
	luo_session *s = session("fin");
	add(s, 1, &a);
	add(s, 2, &b);
	luo_finish_ops ops = {can_finish_cb, finish_cb};
	/* Outgoing sessions are never finished. */
	luo_session_lock(s);
	EXPECT_EQ(-EINVAL, luo_session_finish(s, &ops));
	luo_session_unlock(s);
	/* Make it incoming through a round trip. */
	auto img = serialize();
	luo_unfreeze_all(r, &kOps);
	ASSERT_EQ(0, luo_deserialize(r, img.data(), img.size(), &kDecode,
				     nullptr, 0));
	char name[64] = "fin";
	luo_session *in = luo_session_lookup(r, name, LUO_INCOMING);
	ASSERT_NE(nullptr, in);
	luo_session_lock(in);
	luo_file_set_priv(luo_file_find(in, 1), &a);
	luo_file_set_priv(luo_file_find(in, 2), &b);
	luo_session_unlock(in);
	luo_session_put(r, in);
	s = in;
	b.can_finish = false;
	luo_session_lock(s);
	EXPECT_EQ(-EBUSY, luo_session_finish(s, &ops));
	EXPECT_EQ(0, a.finished + b.finished);
	EXPECT_EQ(2u, luo_session_nfiles(s));
	EXPECT_FALSE(luo_session_finished(s));
	b.can_finish = true;
	EXPECT_EQ(0, luo_session_finish(s, &ops));
	EXPECT_EQ(1, a.finished);
	EXPECT_EQ(1, b.finished);
	EXPECT_EQ(0u, luo_session_nfiles(s));
	EXPECT_TRUE(luo_session_finished(s));
	luo_session_unlock(s);
}

TEST_F(ImageTest, DiscardKeepsRetrievedSessions)
{
	session("a");
	session("b");
	auto img = serialize();
	ASSERT_EQ(0, luo_deserialize(r, img.data(), img.size(), &kDecode,
				     nullptr, 0));
	char name[64] = "a";
	luo_session *in = luo_session_lookup(r, name, LUO_INCOMING);
	ASSERT_NE(nullptr, in);
	luo_session_lock(in);
	luo_session_set_retrieved(in);
	luo_session_unlock(in);
	EXPECT_EQ(1u, luo_discard_unretrieved(r));
	EXPECT_EQ(1u, luo_registry_count(r, LUO_INCOMING));
	EXPECT_EQ(0u, luo_discard_unretrieved(r));
	luo_session_put(r, in);
}

TEST_F(ImageTest, TokensAreUniquePerSession)
{
	luo_session *s = session("tok");
	luo_session *t = session("tok2");
	luo_file_rec *rec;
	luo_session_lock(s);
	EXPECT_EQ(0, luo_file_add(s, 5, &rec));
	EXPECT_EQ(-EEXIST, luo_file_add(s, 5, &rec));
	luo_session_unlock(s);
	luo_session_lock(t);
	EXPECT_EQ(0, luo_file_add(t, 5, &rec));
	luo_session_unlock(t);
}

TEST(Capacity, ReserveIsENOSPCBeyondTheCapacity)
{
	luo_registry *r;
	ASSERT_EQ(0, luo_registry_new(&r));
	luo_registry_set_capacity(r, 100);
	EXPECT_EQ(0, luo_registry_reserve(r, 60));
	EXPECT_EQ(-ENOSPC, luo_registry_reserve(r, 41));
	EXPECT_EQ(0, luo_registry_reserve(r, 40));
	EXPECT_EQ(100u, luo_registry_reserved(r));
	EXPECT_EQ(-ENOSPC, luo_registry_reserve(r, ~0ULL));
	luo_registry_release(r, 100);
	EXPECT_EQ(0u, luo_registry_reserved(r));
	luo_registry_free(r);
}

} // namespace

/* The listing's walk: creation order, one direction, files in order. */
TEST_F(ImageTest, VisitWalksSessionsAndFilesInOrder)
{
	FakeFile f1, f2, f3;
	luo_session *a = session("a");
	luo_session *b = session("b");
	add(a, 3, &f1);
	add(a, 1, &f2);
	add(b, 2, &f3);
	auto img = serialize();
	ASSERT_EQ(0, luo_deserialize(r, img.data(), img.size(), &kDecode,
				     nullptr, 0));

	struct Walk {
		std::string seen;
		int stop_after;
	} w{"", 99};
	auto fn = [](luo_session *s, void *arg) -> int {
		auto *w = static_cast<Walk *>(arg);
		w->seen += luo_session_name(s);
		luo_session_lock(s);
		for (luo_file_rec *f = luo_file_first(s); f;
		     f = luo_file_next(f))
			w->seen += std::to_string(luo_file_token(f));
		luo_session_unlock(s);
		w->seen += ";";
		return --w->stop_after == 0;
	};
	luo_registry_visit(r, LUO_OUTGOING, fn, &w);
	EXPECT_EQ(w.seen, "a31;b2;");
	w = {"", 99};
	luo_registry_visit(r, LUO_INCOMING, fn, &w);
	EXPECT_EQ(w.seen, "a31;b2;");
	w = {"", 1};
	luo_registry_visit(r, LUO_OUTGOING, fn, &w);
	EXPECT_EQ(w.seen, "a31;");
}
