// SPDX-License-Identifier: GPL-2.0
/*
 * image_test.cpp - host tests of the core's lifecycle (luo/core/lifecycle.cpp:
 * every operation's rules, states, capacity, FINISH) and of serialization
 * and decoding (image.cpp), through core.h with the fakes of
 * fake_kernel.h.
 */
#include <atomic>
#include <cerrno>
#include <cstring>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include <luo/core.h>
#include <luo/image.h>

#include "fake_kernel.h"
#include "host_shim.h"

namespace {

using ImageTest = CoreTest;

TEST_F(ImageTest, EmptyImageRoundTrips)
{
	auto img = serialize();
	ASSERT_EQ(img.size(), luo_image_header_cost());
	luo_image_info info = {};
	EXPECT_EQ(0,
		  luo_image_check(img.data(), img.size(), &info, nullptr, 0));
	EXPECT_EQ(7u, info.generation);
	EXPECT_EQ(kTestStamp.wall_time, info.wall_time);
	EXPECT_EQ(img.size(), info.total_len);
	EXPECT_EQ(0, luo_deserialize(r, img.data(), img.size(), nullptr, 0));
	EXPECT_EQ(0u, luo_core_sessions(r, LUO_INCOMING));
}

TEST_F(ImageTest, SessionsFilesAndDataRoundTrip)
{
	FakeFile &a = fake("hello"), &b = fake(""),
		 &c = fake(std::string(1000, 'z'));
	luo_session *s1 = session("one");
	session("empty");
	luo_session *s3 = session("three");
	add(s1, 1, &a);
	add(s1, 2, &b);
	add(s3, 0xffffffffffffffffULL, &c);

	auto img = serialize();
	EXPECT_EQ(img.size(), luo_image_header_cost() + 3 * luo::kSessionCost +
				      luo::file_cost(5) + luo::file_cost(0) +
				      luo::file_cost(1000));
	EXPECT_EQ(1, a.frozen);
	luo_unfreeze_all(r);
	EXPECT_EQ(0, a.frozen);

	ASSERT_EQ(0, luo_deserialize(r, img.data(), img.size(), nullptr, 0));
	EXPECT_EQ(3u, luo_core_sessions(r, LUO_INCOMING));
	std::vector<std::string> want = {
		"session out open 2 one",
		"file 1 fake-v1 5 preserved",
		"file 2 fake-v1 0 preserved",
		"session out open 0 empty",
		"session out open 1 three",
		"file 18446744073709551615 fake-v1 1000 preserved",
		"session in pending 2 one",
		"file 1 fake-v1 5 pending",
		"file 2 fake-v1 0 pending",
		"session in pending 0 empty",
		"session in pending 1 three",
		"file 18446744073709551615 fake-v1 1000 pending",
	};
	EXPECT_EQ(want, listing());
	luo_session *in = retrieve("one");
	ASSERT_NE(nullptr, in);
	EXPECT_EQ("hello", retrieve_fd(in, 1));
	EXPECT_EQ("", retrieve_fd(in, 2));
	in = retrieve("three");
	ASSERT_NE(nullptr, in);
	EXPECT_EQ(std::string(1000, 'z'), retrieve_fd(in, ~0ULL));
	/* A second decode while incoming sessions exist is refused. */
	EXPECT_EQ(-EBUSY,
		  luo_deserialize(r, img.data(), img.size(), nullptr, 0));
}

TEST_F(ImageTest, FreezeFailureUnfreezesTheOthersNewestFirst)
{
	std::vector<std::string> log;
	FakeFile &a = fake("a"), &b = fake("b"), &c = fake("c"), &d = fake("d");
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
	a.log = b.log = c.log = d.log = nullptr; /* TearDown outlives it */
}

TEST_F(ImageTest, NoDestinationOnlyFreezes)
{
	FakeFile &a = fake("a");
	add(session("s"), 1, &a);
	unsigned long long used = 99;
	EXPECT_EQ(0, luo::serialize(r, nullptr, 0, &kTestStamp, &used));
	EXPECT_EQ(0u, used);
	EXPECT_EQ(1, a.frozen);
	luo_unfreeze_all(r);
	EXPECT_EQ(0, a.frozen);
}

TEST_F(ImageTest, TooSmallDestinationLeavesNoValidHeader)
{
	FakeFile &a = fake(std::string(100, 'x'));
	add(session("s"), 1, &a);
	std::vector<unsigned char> img(128, 0xAA);
	unsigned long long used = 0;
	EXPECT_EQ(-ENOSPC, luo::serialize(r, img.data(), img.size(),
					  &kTestStamp, &used));
	EXPECT_EQ(-ENOENT,
		  luo_image_check(img.data(), img.size(), nullptr, nullptr, 0));
	EXPECT_EQ(0, a.frozen);
}

/* Every single flipped byte of an image is caught, and decodes nothing. */
TEST_F(ImageTest, AnyCorruptionIsRejectedWhole)
{
	FakeFile &a = fake("payload-1"), &b = fake("payload-22");
	luo_session *s = session("victim");
	add(s, 1, &a);
	add(s, 2, &b);
	auto img = serialize();
	luo_unfreeze_all(r);
	for (size_t i = 0; i < img.size(); i++) {
		auto bad = img;
		bad[i] ^= 0x40;
		char why[64] = "";
		EXPECT_NE(0, luo_deserialize(r, bad.data(), bad.size(), why,
					     sizeof(why)))
			<< "byte " << i;
		EXPECT_NE('\0', why[0]);
		ASSERT_EQ(0u, luo_core_sessions(r, LUO_INCOMING));
	}
	/* Truncated. */
	for (size_t len : {size_t(0), size_t(8), size_t(63), img.size() - 8})
		EXPECT_NE(0, luo_deserialize(r, img.data(), len, nullptr, 0));
	EXPECT_EQ(0, luo_deserialize(r, img.data(), img.size(), nullptr, 0));
}

/* An older, a future and a garbled ABI string: incompatible, whole. */
TEST_F(ImageTest, IncompatibleAbiIsRejected)
{
	FakeFile &a = fake("x");
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
						   why, sizeof(why)))
			<< abi;
		EXPECT_STREQ("incompatible image ABI version", why) << abi;
		EXPECT_EQ(0u, luo_core_sessions(r, LUO_INCOMING));
	}
	EXPECT_EQ(0, luo_deserialize(r, good.data(), good.size(), nullptr, 0));
}

/*
 * Generations: a freeze writes its predecessor's + 1 and the first kernel
 * is 0, so 0 was never written by a freeze and the maximum would wrap the
 * next one.  Each is refused whole; its neighbours are fine.
 */
TEST_F(ImageTest, ImpossibleGenerationIsRejected)
{
	FakeFile &a = fake("x");
	add(session("s"), 1, &a);
	const auto good = serialize();
	for (unsigned long long gen : {0ULL, ~0ULL, 1ULL, ~0ULL - 1}) {
		auto img = good;
		auto *hdr = reinterpret_cast<luo::ImageHeader *>(img.data());
		hdr->generation = gen;
		hdr->checksum = luo::image_checksum(img.data(), img.size());
		char why[64] = "";
		int err = luo_deserialize(r, img.data(), img.size(), why,
					  sizeof(why));
		if (gen == 0 || gen == ~0ULL) {
			EXPECT_EQ(-EINVAL, err) << gen;
			EXPECT_STREQ("impossible image generation", why) << gen;
			EXPECT_EQ(0u, luo_core_sessions(r, LUO_INCOMING));
			continue;
		}
		EXPECT_EQ(0, err) << gen << ": " << why;
		EXPECT_EQ(1u, luo_core_sessions(r, LUO_INCOMING));
		luo_discard_incoming(r);
	}
}

/* A failed freeze leaves a header that says so, and why. */
TEST_F(ImageTest, FailedFreezeHeaderCarriesTheReason)
{
	std::vector<unsigned char> img(4096, 0xAA);
	luo_image_info info = {};
	char why[64];

	luo::write_failed_header(img.data(), img.size(), &kTestStamp,
				 "in-flight operations did not drain in 10 ms");
	EXPECT_EQ(-ECANCELED, luo_image_check(img.data(), img.size(), &info,
					      why, sizeof(why)));
	EXPECT_STREQ("in-flight operations did not drain in 10 ms",
		     info.reason);
	EXPECT_EQ(7u, info.generation);
	EXPECT_EQ(kTestStamp.wall_time, info.wall_time);
	/* Nothing to decode in it. */
	EXPECT_EQ(-ECANCELED,
		  luo_deserialize(r, img.data(), img.size(), nullptr, 0));
	EXPECT_EQ(0u, luo_core_sessions(r, LUO_INCOMING));
	/* A reason too long for the header is cut, still NUL-terminated. */
	luo::write_failed_header(img.data(), img.size(), &kTestStamp,
				 std::string(200, 'r').c_str());
	EXPECT_EQ(-ECANCELED,
		  luo_image_check(img.data(), img.size(), &info, nullptr, 0));
	EXPECT_EQ(std::string(47, 'r'), info.reason);
	/* No room for a header: nothing written. */
	std::vector<unsigned char> tiny(64, 0);
	luo::write_failed_header(tiny.data(), tiny.size(), &kTestStamp, "x");
	EXPECT_EQ(std::vector<unsigned char>(64, 0), tiny);
}

/* Fields that must be zero are refused when they are not, whole. */
TEST_F(ImageTest, NonZeroFlagsOrReservedAreRejected)
{
	FakeFile &a = fake("x");
	add(session("s"), 1, &a);
	auto good = serialize();
	luo_unfreeze_all(r);
	auto img = good;
	auto *hdr = reinterpret_cast<luo::ImageHeader *>(img.data());
	hdr->flags = 2;
	hdr->checksum = luo::image_checksum(img.data(), img.size());
	char why[64];
	EXPECT_EQ(-EINVAL,
		  luo_deserialize(r, img.data(), img.size(), why, sizeof(why)));
	EXPECT_STREQ("unknown image header flags", why);
	/* The failed flag on an image with sessions is a lie. */
	img = good;
	hdr = reinterpret_cast<luo::ImageHeader *>(img.data());
	hdr->flags = luo::kImageFailed;
	hdr->checksum = luo::image_checksum(img.data(), img.size());
	EXPECT_EQ(-EINVAL,
		  luo_deserialize(r, img.data(), img.size(), why, sizeof(why)));
	img = good;
	hdr = reinterpret_cast<luo::ImageHeader *>(img.data());
	auto *is = reinterpret_cast<luo::ImageSession *>(
		img.data() + sizeof(luo::ImageHeader));
	is->reserved = 1;
	hdr->checksum = luo::image_checksum(img.data(), img.size());
	EXPECT_EQ(-EINVAL,
		  luo_deserialize(r, img.data(), img.size(), why, sizeof(why)));
	EXPECT_STREQ("bad session record", why);
	EXPECT_EQ(0u, luo_core_sessions(r, LUO_INCOMING));
	EXPECT_EQ(0, luo_deserialize(r, good.data(), good.size(), nullptr, 0));
}

/*
 * Duplicate tokens in a session are found however far apart they are (the
 * decoder sorts them), and a file count the image cannot hold is refused
 * before anything is allocated for it.
 */
TEST_F(ImageTest, DuplicateTokensAndLyingCountsAreRejectedWhole)
{
	luo_session *s = session("many");
	for (unsigned i = 0; i < 1000; i++)
		add(s, 1000 - i, &fake());
	auto good = serialize();
	luo_unfreeze_all(r);
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
	EXPECT_EQ(-EINVAL,
		  luo_deserialize(r, img.data(), img.size(), why, sizeof(why)));
	EXPECT_STREQ("duplicate session name or token", why);
	EXPECT_EQ(0u, luo_core_sessions(r, LUO_INCOMING));

	img = good;
	hdr = reinterpret_cast<luo::ImageHeader *>(img.data());
	auto *is = reinterpret_cast<luo::ImageSession *>(
		img.data() + sizeof(luo::ImageHeader));
	is->nfiles = 0xffffffffu;
	hdr->checksum = luo::image_checksum(img.data(), img.size());
	EXPECT_EQ(-EINVAL,
		  luo_deserialize(r, img.data(), img.size(), why, sizeof(why)));
	EXPECT_STREQ("bad session record", why);

	EXPECT_EQ(0, luo_deserialize(r, good.data(), good.size(), nullptr, 0));
	luo_counts n;
	luo_core_counts(r, &n);
	EXPECT_EQ(1u, n.sessions[LUO_INCOMING]);
	EXPECT_EQ(1000u, n.files[LUO_INCOMING]);
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
		luo_unfreeze_all(r);
	}
	/* Reseal @img and expect it rejected whole, with a reason. */
	void expect_rejected(std::vector<unsigned char> img, const char *what)
	{
		auto *hdr = reinterpret_cast<luo::ImageHeader *>(img.data());
		if (img.size() >= sizeof(*hdr) && hdr->total_len <= img.size())
			hdr->checksum =
				luo::image_checksum(img.data(), hdr->total_len);
		char why[64] = "";
		EXPECT_NE(0, luo_deserialize(r, img.data(), img.size(), why,
					     sizeof(why)))
			<< what;
		EXPECT_NE('\0', why[0]) << what;
		ASSERT_EQ(0u, luo_core_sessions(r, LUO_INCOMING)) << what;
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
	FakeFile a, b;
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
	EXPECT_EQ(0, luo_deserialize(r, good.data(), good.size(), nullptr, 0));
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
		luo_deserialize(r, img.data(), img.size(), why, sizeof(why));
		EXPECT_STREQ("unknown file handler", why) << h;
	}
	auto img = good;
	memcpy(img.data() + f2 + sizeof(luo::ImageFile), "BAD", 3);
	expect_rejected(img, "data the handler refuses");
	char why[64] = "";
	auto *hdr = reinterpret_cast<luo::ImageHeader *>(img.data());
	hdr->checksum = luo::image_checksum(img.data(), img.size());
	EXPECT_EQ(-EINVAL,
		  luo_deserialize(r, img.data(), img.size(), why, sizeof(why)));
	EXPECT_STREQ("bad handler data", why);
	EXPECT_EQ(0u, luo_core_sessions(r, LUO_INCOMING));
}

/* A well-formed image with a duplicate name is refused, whole. */
TEST_F(ImageTest, DuplicateNamesInAnImageAreRejectedWhole)
{
	FakeFile &a = fake("x");
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
	EXPECT_EQ(-EINVAL,
		  luo_deserialize(r, img.data(), img.size(), why, sizeof(why)));
	EXPECT_EQ(0u, luo_core_sessions(r, LUO_INCOMING));
}

/* Make the outgoing sessions incoming through a round trip. */
#define ROUND_TRIP()                                                           \
	do {                                                                   \
		keep_ = serialize();                                           \
		luo_unfreeze_all(r);                                           \
		ASSERT_EQ(0, luo_deserialize(r, keep_.data(), keep_.size(),    \
					     nullptr, 0));                     \
	} while (0)

class LifecycleTest : public CoreTest {
protected:
	/* Incoming sessions point into their image: it outlives them. */
	std::vector<unsigned char> keep_;
	void TearDown() override
	{
		CoreTest::TearDown();
		keep_.clear();
	}
};

TEST_F(LifecycleTest, FinishIsAllOrNothing)
{
	luo_session *s = session("fin");
	add(s, 1, &fake("1"));
	add(s, 2, &fake("2"));
	add(s, 3, &fake("3 never retrieved"));
	/* Outgoing sessions are never finished. */
	EXPECT_EQ(-EINVAL, luo_finish(r, s));
	ROUND_TRIP();
	luo_session *in = retrieve("fin");
	ASSERT_NE(nullptr, in);
	struct file *f1 = nullptr, *f2 = nullptr;
	ASSERT_EQ(0, luo_retrieve_fd(r, in, 1, &f1));
	ASSERT_EQ(0, luo_retrieve_fd(r, in, 2, &f2));
	f2->can_finish = false;
	EXPECT_EQ(-EBUSY, luo_finish(r, in));
	EXPECT_EQ(0, f1->finished + f2->finished);
	EXPECT_EQ("retrieved", state(in));
	EXPECT_EQ("1", retrieve_fd(in, 1)); /* still there */
	f2->can_finish = true;
	EXPECT_EQ(0, luo_finish(r, in));
	EXPECT_EQ(1, f1->finished);
	EXPECT_EQ(1, f2->finished);
	EXPECT_EQ("finished", state(in));
	EXPECT_EQ("-2", retrieve_fd(in, 1)); /* the files are gone */
	EXPECT_EQ(0, luo_finish(r, in));     /* again: nothing to do */
	/* Ours are the last references: they die with their fput. */
	fake::kKops.fput(f1);
	fake::kKops.fput(f2);
	close(in);
	EXPECT_EQ(0u, luo_core_sessions(r, LUO_INCOMING));
}

/* Closing an incoming session is FINISH; one that cannot finish stays. */
TEST_F(LifecycleTest, CloseOfAnIncomingSessionThatCannotFinishKeepsIt)
{
	add(session("stay"), 1, &fake("x"));
	ROUND_TRIP();
	luo_session *in = retrieve("stay");
	struct file *f = nullptr;
	ASSERT_EQ(0, luo_retrieve_fd(r, in, 1, &f));
	f->can_finish = false;
	int logged = host_shim_log_lines();
	close(in);
	EXPECT_EQ(logged + 1, host_shim_log_lines());
	EXPECT_EQ(1u, luo_core_sessions(r, LUO_INCOMING));
	int err = 0;
	EXPECT_EQ(nullptr, retrieve("stay", &err));
	EXPECT_EQ(-EINVAL, err); /* retrieved once, never again */
	/* The unload drops it, finishing its file. */
	luo_discard_incoming(r);
	EXPECT_EQ(1, f->finished);
	fake::kKops.fput(f);
}

TEST_F(LifecycleTest, DiscardKeepsRetrievedSessions)
{
	session("a");
	session("b");
	ROUND_TRIP();
	luo_session *in = retrieve("a");
	ASSERT_NE(nullptr, in);
	EXPECT_EQ(1u, luo_discard_unretrieved(r));
	EXPECT_EQ(1u, luo_core_sessions(r, LUO_INCOMING));
	EXPECT_EQ(0u, luo_discard_unretrieved(r));
	int err = 0;
	EXPECT_EQ(nullptr, retrieve("b", &err));
	EXPECT_EQ(-ENOENT, err);
}

/*
 * The sysfs discard and RETRIEVE_SESSION of the same session on two
 * threads (TSan watches): exactly one wins.  A retrieved session stays
 * and its file is restored; a discarded one is not found.
 */
TEST_F(LifecycleTest, DiscardRacingRetrieveSessionHasOneWinner)
{
	int retrieved = 0;

	for (int round = 0; round < 200; round++) {
		luo_session *out = session("race");
		add(out, 1, &fake("kept"));
		ROUND_TRIP();
		close(out);
		unsigned long discarded = 99;
		std::atomic<int> ready{0};
		auto start = [&ready] {
			ready++;
			while (ready.load() < 2) {
			}
		};
		std::thread t([&] {
			start();
			discarded = luo_discard_unretrieved(r);
		});
		int err = 0;
		start();
		luo_session *in = retrieve("race", &err);
		t.join();
		if (in) {
			retrieved++;
			EXPECT_EQ(0u, discarded);
			EXPECT_EQ(1u, luo_core_sessions(r, LUO_INCOMING));
			EXPECT_EQ("kept", retrieve_fd(in, 1));
			close(in);
		} else {
			EXPECT_EQ(-ENOENT, err);
			EXPECT_EQ(1u, discarded);
		}
		ASSERT_EQ(0u, luo_core_sessions(r, LUO_INCOMING));
	}
	/* Both orders happened (not a check of the rule, of the test). */
	RecordProperty("retrieved", retrieved);
}

TEST_F(LifecycleTest, RetrieveSessionRules)
{
	luo_session *first = session("once");
	ROUND_TRIP();
	int err = 0;
	char bad[LUO_NAME_BUF];
	memset(bad, 'x', sizeof(bad));
	struct file *f = nullptr;
	EXPECT_EQ(-EINVAL, luo_retrieve_session(r, bad, &f));
	EXPECT_EQ(nullptr, retrieve("nobody", &err));
	EXPECT_EQ(-ENOENT, err);
	luo_session *in = retrieve("once");
	ASSERT_NE(nullptr, in);
	EXPECT_EQ(nullptr, retrieve("once", &err));
	EXPECT_EQ(-EINVAL, err);
	/* An incoming session takes no file and is not outgoing. */
	EXPECT_EQ(-EINVAL, luo_preserve_fd(r, in, &fake("x"), 1));
	/* An outgoing session of the same name is another session. */
	close(first);
	luo_session *out = session("once");
	EXPECT_NE(out, in);
	EXPECT_EQ("-22", retrieve_fd(out, 1));
}

/*
 * RETRIEVE_FD keeps its first success and a verdict on the data, for
 * good; a transient failure (no memory) records nothing.
 */
TEST_F(LifecycleTest, RetrieveFailureIsPermanentAndTransientIsNot)
{
	luo_session *s = session("perm");
	add(s, 1, &fake("FAIL: the handler refuses this"));
	add(s, 2, &fake("NOMEM, then fine"));
	add(s, 3, &fake("good"));
	ROUND_TRIP();
	close(s);
	luo_session *in = retrieve("perm");
	EXPECT_EQ("-5", retrieve_fd(in, 1));
	EXPECT_EQ("-5", retrieve_fd(in, 1));
	fake::retrieve_nomem = 2;
	EXPECT_EQ("-12", retrieve_fd(in, 2));
	EXPECT_EQ("-12", retrieve_fd(in, 2));
	EXPECT_EQ("NOMEM, then fine", retrieve_fd(in, 2));
	EXPECT_EQ("good", retrieve_fd(in, 3));
	EXPECT_EQ("-2", retrieve_fd(in, 4));
	/* The same file every time, one reference per call. */
	struct file *a = nullptr, *b = nullptr;
	ASSERT_EQ(0, luo_retrieve_fd(r, in, 3, &a));
	ASSERT_EQ(0, luo_retrieve_fd(r, in, 3, &b));
	EXPECT_EQ(a, b);
	EXPECT_EQ(3, a->refs); /* the core's and ours */
	fake::kKops.fput(a);
	fake::kKops.fput(b);
	std::vector<std::string> want = {
		"session in retrieved 3 perm",
		"file 1 fake-v1 30 failed:5",
		"file 2 fake-v1 16 retrieved",
		"file 3 fake-v1 4 retrieved",
	};
	EXPECT_EQ(want, listing());
	EXPECT_EQ(0, luo_finish(r, in));
}

/*
 * PRESERVE_FD checks in its documented order, and a failure at any step
 * leaves nothing behind: no record, no reference, no capacity, no claim.
 */
TEST_F(LifecycleTest, PreserveChecksInOrderAndUndoesEveryStep)
{
	luo_session *s = session("p");
	FakeFile &a = fake("a");
	add(s, 1, &a);
	EXPECT_EQ(2, a.refs);
	EXPECT_EQ(-EEXIST, luo_preserve_fd(r, s, nullptr, 1));
	EXPECT_EQ(-EBADF, luo_preserve_fd(r, s, nullptr, 2));
	FakeFile &refused = fake("no handler");
	refused.refuse = true;
	add(s, 2, &refused, -ENOENT);
	add(s, 2, &a, -EBUSY); /* preserved once, in any session */
	add(session("q"), 1, &a, -EBUSY);
	const unsigned long long reserved = reserved_bytes(r);
	FakeFile &b = fake("b");
	b.preserve_err = -EOPNOTSUPP;
	add(s, 2, &b, -EOPNOTSUPP);
	b.preserve_err = 0;
	b.populate_err = -ENOMEM;
	add(s, 2, &b, -ENOMEM);
	EXPECT_EQ(0, b.preserved);
	EXPECT_EQ(1, b.refs);
	EXPECT_EQ(reserved, reserved_bytes(r));
	/* The capacity is checked after preserve, before populate. */
	luo_core_set_capacity(r, reserved + luo::file_cost(1) - 1);
	b.populate_err = 0;
	add(s, 2, &b, -ENOSPC);
	EXPECT_EQ(0, b.preserved);
	luo_core_set_capacity(r, reserved + luo::file_cost(1));
	add(s, 2, &b);
	EXPECT_EQ(reserved + luo::file_cost(1), reserved_bytes(r));
	/* Faults: each allocation failing leaves the state as it was. */
	FakeFile &c = fake("c");
	luo_core_set_capacity(r, ~0ULL);
	host_shim_fail_nth_alloc(1);
	add(s, 3, &c, -ENOMEM);
	EXPECT_EQ(1, c.refs);
	add(s, 3, &c);
	std::vector<std::string> want = {
		"session out open 3 p",	      "file 1 fake-v1 1 preserved",
		"file 2 fake-v1 1 preserved", "file 3 fake-v1 1 preserved",
		"session out open 0 q",
	};
	EXPECT_EQ(want, listing());
}

/* Closing an outgoing session unpreserves newest first, gives all back. */
TEST_F(LifecycleTest, CloseOfAnOutgoingSessionUnpreservesNewestFirst)
{
	std::vector<std::string> log;
	luo_session *s = session("c");
	FakeFile &a = fake("a"), &b = fake("b");
	a.log = b.log = &log;
	a.name = "a", b.name = "b";
	add(s, 1, &a);
	add(s, 2, &b);
	close(s);
	EXPECT_EQ((std::vector<std::string>{"unpreserve b", "unpreserve a"}),
		  log);
	EXPECT_EQ(0u, reserved_bytes(r));
	EXPECT_EQ(1, a.refs);
	EXPECT_EQ(1, b.refs);
	a.log = b.log = nullptr; /* TearDown outlives it */
	/* The files can be preserved again, the name used again. */
	add(session("c"), 1, &a);
}

TEST_F(LifecycleTest, CreateSessionRulesAndCapacity)
{
	char bad[LUO_NAME_BUF] = {};
	struct file *f = nullptr;
	EXPECT_EQ(-EINVAL, luo_create_session(r, bad, &f));
	session("x");
	char x[LUO_NAME_BUF] = "x";
	EXPECT_EQ(-EEXIST, luo_create_session(r, x, &f));
	luo_core_set_capacity(r, 2 * luo::kSessionCost);
	session("y");
	char z[LUO_NAME_BUF] = "z";
	EXPECT_EQ(-ENOSPC, luo_create_session(r, z, &f));
	EXPECT_EQ(2u, luo_core_sessions(r, LUO_OUTGOING));
	/* No memory: nothing listed, nothing reserved. */
	luo_core_set_capacity(r, ~0ULL);
	host_shim_fail_nth_alloc(1);
	EXPECT_EQ(-ENOMEM, luo_create_session(r, z, &f));
	EXPECT_EQ(2u, luo_core_sessions(r, LUO_OUTGOING));
	EXPECT_EQ(2 * luo::kSessionCost, reserved_bytes(r));
}

/* The states of the listing through a freeze and its thaw. */
TEST_F(LifecycleTest, FreezeAndThawShowInTheStates)
{
	add(session("st"), 1, &fake("x"));
	std::vector<unsigned char> img(1 << 12);
	unsigned long long used;
	ASSERT_EQ(0, luo::serialize(r, img.data(), img.size(), &kTestStamp,
				    &used));
	EXPECT_EQ((std::vector<std::string>{"session out frozen 1 st",
					    "file 1 fake-v1 1 frozen"}),
		  listing());
	luo_unfreeze_all(r);
	EXPECT_EQ((std::vector<std::string>{"session out open 1 st",
					    "file 1 fake-v1 1 preserved"}),
		  listing());
}

TEST_F(ImageTest, TokensAreUniquePerSession)
{
	luo_session *s = session("tok");
	luo_session *t = session("tok2");
	add(s, 5, &fake("a"));
	add(s, 5, &fake("b"), -EEXIST);
	add(t, 5, &fake("c"));
}

} // namespace

namespace {

/* The freeze controller (luo/core/freeze.cpp), with the fake gate. */
using FreezeTest = CoreTest;

TEST_F(FreezeTest, DrainedFreezeWritesTheImageAndKeepsTheGate)
{
	FakeFile &a = fake("abc");
	add(session("f"), 1, &a);
	std::vector<unsigned char> img(4096, 0xAA);
	unsigned long long used = 1;
	char why[48] = "";
	ASSERT_EQ(0, luo_core_freeze(r, img.data(), img.size(), 10, &kTestStamp,
				     &used, why, sizeof(why)));
	EXPECT_EQ(10u, fake::gate_timeout_ms);
	EXPECT_EQ(1, fake::gate_held); /* until the jump, or a thaw */
	EXPECT_EQ(1, a.frozen);
	EXPECT_EQ(luo_image_header_cost() + luo::kSessionCost +
			  luo::file_cost(3),
		  used);
	EXPECT_EQ(0, luo_image_check(img.data(), used, nullptr, nullptr, 0));
	luo_unfreeze_all(r);
	fake::gate_held = 0;
}

TEST_F(FreezeTest, ADrainThatTimesOutWritesWhyAndFreezesNothing)
{
	FakeFile &a = fake("abc");
	add(session("f"), 1, &a);
	fake::gate_drains = false;
	std::vector<unsigned char> img(4096, 0xAA);
	unsigned long long used = 1;
	char why[48];
	EXPECT_EQ(-ETIMEDOUT,
		  luo_core_freeze(r, img.data(), img.size(), 10000, &kTestStamp,
				  &used, why, sizeof(why)));
	EXPECT_STREQ("in-flight operations did not drain in 10000 ms", why);
	EXPECT_EQ(0u, used);
	EXPECT_EQ(0, a.frozen);
	EXPECT_EQ(0, fake::gate_held);
	luo_image_info info = {};
	EXPECT_EQ(-ECANCELED,
		  luo_image_check(img.data(), img.size(), &info, nullptr, 0));
	EXPECT_STREQ(why, info.reason);
}

TEST_F(FreezeTest, AFileThatRefusesWritesWhyAndReleasesTheGate)
{
	FakeFile &a = fake("a"), &b = fake("b");
	b.freeze_err = -EIO;
	luo_session *s = session("f");
	add(s, 1, &a);
	add(s, 2, &b);
	std::vector<unsigned char> img(4096, 0xAA);
	unsigned long long used = 1;
	char why[48];
	EXPECT_EQ(-EIO, luo_core_freeze(r, img.data(), img.size(), 10,
					&kTestStamp, &used, why, sizeof(why)));
	EXPECT_STREQ("a file could not be frozen (-5)", why);
	EXPECT_EQ(0, a.frozen + b.frozen);
	EXPECT_EQ(0, fake::gate_held); /* released; mutations still away */
	luo_image_info info = {};
	EXPECT_EQ(-ECANCELED,
		  luo_image_check(img.data(), img.size(), &info, nullptr, 0));
	EXPECT_STREQ("a file could not be frozen (-5)", info.reason);
	EXPECT_EQ((std::vector<std::string>{"session out open 2 f",
					    "file 1 fake-v1 1 preserved",
					    "file 2 fake-v1 1 preserved"}),
		  listing());
}

} // namespace
