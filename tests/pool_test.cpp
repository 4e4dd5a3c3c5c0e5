// SPDX-License-Identifier: GPL-2.0
/*
 * pool_test.cpp - the handover range as one capacity (luo::Pool), memory
 * files and their records, and the handlers' claim at load as the
 * lifecycle drives it.
 */
#include <cerrno>
#include <vector>

#include <gtest/gtest.h>

#include <luo/image.h>
#include <luo/lifecycle.h>
#include <luo/pool.h>

#include "fake_kernel.h"

namespace {

using luo::Extent;
using luo::kChunk;
using luo::Pool;

constexpr unsigned long long kHeader = 128;

/* A range of @chunks whole chunks after a first partial MiB. */
struct PoolTest : ::testing::Test {
	Pool p;
	static constexpr unsigned long long kFirst = 1ULL << 20;
	void SetUp() override
	{
		ASSERT_TRUE(p.init().ok());
		ASSERT_TRUE(p.set_range(kFirst + 16 * kChunk, kHeader, kFirst)
				    .ok());
	}
	luo_pool_stats stats()
	{
		luo_pool_stats s = {};

		p.stats(&s);
		return s;
	}
	unsigned long long chunk(unsigned int i) { return kFirst + i * kChunk; }
};

/*
 * Files of 1 GiB or more start at a 1 GiB boundary of physical memory
 * (here every 512 chunks from chunk 100) where a free run allows it, so
 * that the kernel can map them with 1 GiB entries; smaller ones, and big
 * ones with no such run, are placed as before.
 */
TEST(PoolHuge, BigFilesStartAtAHugeBoundary)
{
	constexpr unsigned long long first = 1ULL << 20, per = 512;
	Pool p;
	Extent e[luo::kMaxExtents];
	unsigned int nr = 0;
	auto chunk = [](unsigned long long i) {
		return first + i * kChunk;
	};

	ASSERT_TRUE(p.init().ok());
	ASSERT_TRUE(
		p.set_range(first + 1300 * kChunk, kHeader, first, chunk(100))
			.ok());
	ASSERT_TRUE(p.alloc(3 * kChunk, e, &nr).ok());
	EXPECT_EQ(chunk(1297), e[0].off) << "small: from the top";
	ASSERT_TRUE(p.alloc(per * kChunk, e, &nr).ok());
	ASSERT_EQ(1u, nr);
	EXPECT_EQ(chunk(612), e[0].off) << "the highest boundary that fits";
	Extent second[luo::kMaxExtents];
	unsigned int nr2 = 0;
	ASSERT_TRUE(p.alloc(per * kChunk, second, &nr2).ok());
	ASSERT_EQ(1u, nr2);
	EXPECT_EQ(chunk(100), second[0].off) << "the next boundary down";
	p.free(second, nr2);
	/* 1 GiB + 8 MiB from chunk 100 would reach the file at 612. */
	ASSERT_TRUE(p.alloc((per + 4) * kChunk, e, &nr).ok());
	ASSERT_EQ(1u, nr);
	EXPECT_EQ(chunk(612 - per - 4), e[0].off)
		<< "no free run from a boundary: the highest run, as any file";
}

TEST_F(PoolTest, HandsOutChunksFromTheTopAndTakesThemBack)
{
	Extent e[luo::kMaxExtents];
	unsigned int nr = 0;

	EXPECT_EQ(16 * kChunk, stats().size);
	EXPECT_EQ(16 * kChunk, stats().largest);
	ASSERT_TRUE(p.alloc(3 * kChunk, e, &nr).ok());
	ASSERT_EQ(1u, nr);
	EXPECT_EQ(chunk(13), e[0].off);
	EXPECT_EQ(3 * kChunk, e[0].len);
	luo_pool_stats s = stats();
	EXPECT_EQ(3 * kChunk, s.used);
	EXPECT_EQ(13 * kChunk, s.free);
	EXPECT_EQ(13 * kChunk, s.largest);
	EXPECT_EQ(1u, s.files);
	p.free(e, nr);
	EXPECT_EQ(0u, stats().used);
	EXPECT_EQ(0u, stats().files);
}

TEST_F(PoolTest, LengthsAreWholeChunks)
{
	Extent e[luo::kMaxExtents];
	unsigned int nr = 0;

	EXPECT_EQ(luo::kEINVAL, p.alloc(0, e, &nr).err());
	EXPECT_EQ(luo::kEINVAL, p.alloc(kChunk + 4096, e, &nr).err());
	EXPECT_EQ(luo::kENOSPC, p.alloc(17 * kChunk, e, &nr).err());
	EXPECT_EQ(0u, stats().used);
}

/* The image grows from the bottom, the chunks from the top: one capacity. */
TEST_F(PoolTest, ImageAndChunksShareTheRange)
{
	Extent e[luo::kMaxExtents];
	unsigned int nr = 0;

	/* The image may take everything below the lowest chunk in use. */
	ASSERT_TRUE(p.alloc(15 * kChunk, e, &nr).ok());
	const unsigned long long room = chunk(1) - kHeader;
	EXPECT_EQ(luo::kENOSPC, p.reserve_image(room + 1).err());
	ASSERT_TRUE(p.reserve_image(room).ok());
	EXPECT_EQ(luo::kENOSPC, p.reserve_image(1).err());
	/* ...and then no chunk is left for a memory file. */
	Extent e2[luo::kMaxExtents];
	unsigned int nr2 = 0;
	EXPECT_EQ(luo::kENOSPC, p.alloc(kChunk, e2, &nr2).err());
	EXPECT_EQ(0u, stats().free);
	p.unreserve_image(room);
	/* The image's reservation keeps chunks away from it, rounded up. */
	ASSERT_TRUE(p.reserve_image(kFirst).ok()); /* ends inside chunk 0 */
	EXPECT_EQ(luo::kENOSPC, p.alloc(kChunk, e2, &nr2).err());
	p.unreserve_image(kFirst);
	ASSERT_TRUE(p.alloc(kChunk, e2, &nr2).ok());
	EXPECT_EQ(chunk(0), e2[0].off);
	p.free(e2, nr2);
	p.free(e, nr);
	/* Nothing in use: the image may have the whole range. */
	EXPECT_EQ(kFirst + 16 * kChunk - kHeader, p.image_capacity());
	ASSERT_TRUE(p.reserve_image(p.image_capacity()).ok());
	p.unreserve_image(p.image_capacity());
}

TEST_F(PoolTest, FragmentedPoolGivesSeveralExtents)
{
	Extent a[luo::kMaxExtents], b[luo::kMaxExtents], c[luo::kMaxExtents];
	unsigned int na, nb, nc;

	ASSERT_TRUE(p.alloc(4 * kChunk, a, &na).ok()); /* 12..15 */
	ASSERT_TRUE(p.alloc(4 * kChunk, b, &nb).ok()); /* 8..11 */
	ASSERT_TRUE(p.alloc(4 * kChunk, c, &nc).ok()); /* 4..7 */
	p.free(b, nb);
	/* 8 free chunks in two runs of 4: no single run of 6. */
	EXPECT_EQ(4 * kChunk, stats().largest);
	Extent d[luo::kMaxExtents];
	unsigned int nd = 0;
	ASSERT_TRUE(p.alloc(6 * kChunk, d, &nd).ok());
	ASSERT_EQ(2u, nd);
	EXPECT_EQ(chunk(8), d[0].off);
	EXPECT_EQ(4 * kChunk, d[0].len);
	EXPECT_EQ(chunk(2), d[1].off);
	EXPECT_EQ(2 * kChunk, d[1].len);
	EXPECT_EQ(2 * kChunk, stats().free);
	EXPECT_EQ(luo::kENOSPC, p.alloc(3 * kChunk, b, &nb).err());
	EXPECT_EQ(14 * kChunk, stats().used); /* the failure took nothing */
	p.free(a, na);
	p.free(c, nc);
	p.free(d, nd);
	EXPECT_EQ(0u, stats().used);
}

TEST(PoolLimits, AtMostMaxExtentsPerFile)
{
	Pool p;
	const unsigned int n = 2 * luo::kMaxExtents + 2;
	ASSERT_TRUE(p.init().ok());
	/* Chunk 0 holds the image header: n chunks above it. */
	ASSERT_TRUE(p.set_range((n + 1) * kChunk, kHeader, 0).ok());
	/* Every other chunk taken: free runs of one chunk. */
	std::vector<std::vector<Extent>> held;
	for (unsigned int i = 0; i < n; i++) {
		std::vector<Extent> e(luo::kMaxExtents);
		unsigned int nr;
		ASSERT_TRUE(p.alloc(kChunk, e.data(), &nr).ok());
		e.resize(nr);
		held.push_back(e);
	}
	for (unsigned int i = 0; i < n; i += 2)
		p.free(held[i].data(), 1);
	std::vector<Extent> e(luo::kMaxExtents);
	unsigned int nr;
	EXPECT_EQ(
		luo::kENOSPC,
		p.alloc((luo::kMaxExtents + 1) * kChunk, e.data(), &nr).err());
	ASSERT_TRUE(p.alloc(luo::kMaxExtents * kChunk, e.data(), &nr).ok());
	EXPECT_EQ(luo::kMaxExtents, nr);
	p.free(e.data(), nr);
	for (unsigned int i = 1; i < n; i += 2)
		p.free(held[i].data(), 1);
}

TEST_F(PoolTest, ClaimTakesExactlyWhatIsNamedOrNothing)
{
	Extent two[2] = {{chunk(2), 2 * kChunk}, {chunk(10), kChunk}};
	ASSERT_TRUE(p.claim(two, 2).ok());
	EXPECT_EQ(3 * kChunk, stats().used);
	/* Overlapping a claim, outside the pool, misaligned: EINVAL. */
	Extent overlap[2] = {{chunk(6), kChunk}, {chunk(3), kChunk}};
	EXPECT_EQ(luo::kEINVAL, p.claim(overlap, 2).err());
	Extent self[2] = {{chunk(6), kChunk}, {chunk(6), kChunk}};
	EXPECT_EQ(luo::kEINVAL, p.claim(self, 2).err());
	Extent outside = {chunk(15), 2 * kChunk};
	EXPECT_EQ(luo::kEINVAL, p.claim(&outside, 1).err());
	Extent odd = {chunk(5) + 4096, kChunk};
	EXPECT_EQ(luo::kEINVAL, p.claim(&odd, 1).err());
	Extent below = {0, kChunk};
	EXPECT_EQ(luo::kEINVAL, p.claim(&below, 1).err());
	EXPECT_EQ(3 * kChunk, stats().used); /* the failures took nothing */
	EXPECT_EQ(1u, stats().files);
	/* Inside the previous kernel's image: EINVAL. */
	p.hold_incoming(chunk(4) + 1);
	Extent in_image = {chunk(4), kChunk};
	EXPECT_EQ(luo::kEINVAL, p.claim(&in_image, 1).err());
	/* ...and no chunk is handed out there either: 5..15 less 10. */
	EXPECT_EQ(10 * kChunk, stats().free);
	p.hold_incoming(0);
	p.free(two, 2);
	EXPECT_EQ(0u, stats().used);
}

/*
 * Memory files through the C API, and their records through the core's
 * handler "luomem-v1" (its kernel side: fake_kernel.cpp's kmemfile_*).
 */
struct MemFileTest : ::testing::Test {
	luo_core *c = nullptr;
	const luo_file_handler &h = luo::kMemHandler;
	void SetUp() override
	{
		ASSERT_EQ(0, luo_core_new(&fake::kKops, nullptr, 0, &c));
		ASSERT_EQ(0, luo_core_set_range(c, 64 * kChunk, 0, 0));
	}
	/* The record PRESERVE_FD and the freeze would write of @m. */
	std::vector<unsigned char> record(luo_memfile *m)
	{
		FakeFile f;
		f.mem = m;
		luo_file lf = {&f, nullptr, 0, 0, nullptr};

		EXPECT_TRUE(h.can_preserve(c, &f));
		EXPECT_EQ(0, h.preserve(c, &lf));
		EXPECT_EQ(luo_memfile_length(m), lf.size);
		std::vector<unsigned char> rec(h.data_len(&lf));
		EXPECT_EQ(lf.reserve, rec.size());
		EXPECT_EQ(-ENOSPC,
			  h.write_data(&lf, rec.data(), rec.size() - 1));
		EXPECT_EQ(0, h.write_data(&lf, rec.data(), rec.size()));
		return rec;
	}
	void TearDown() override
	{
		luo_pool_stats s = {};

		luo_pool_read_stats(c, &s);
		EXPECT_EQ(0u, s.used);
		EXPECT_EQ(0u, s.files);
		luo_core_free(c);
	}
};

TEST_F(MemFileTest, CreateLocateAndFree)
{
	luo_memfile *m = nullptr;

	EXPECT_EQ(-EINVAL, luo_memfile_create(c, 0, &m));
	EXPECT_EQ(-EINVAL, luo_memfile_create(c, kChunk / 2, &m));
	/* Chunk 0 holds the image header. */
	EXPECT_EQ(-ENOSPC, luo_memfile_create(c, 64 * kChunk, &m));
	ASSERT_EQ(0, luo_memfile_create(c, 4 * kChunk, &m));
	EXPECT_EQ(4 * kChunk, luo_memfile_length(m));
	unsigned long long off = 0;
	EXPECT_EQ(4 * kChunk, luo_memfile_locate(m, 0, &off));
	EXPECT_EQ(60 * kChunk, off);
	EXPECT_EQ(kChunk - 5, luo_memfile_locate(m, 3 * kChunk + 5, &off));
	EXPECT_EQ(63 * kChunk + 5, off);
	EXPECT_EQ(0u, luo_memfile_locate(m, 4 * kChunk, &off));
	luo_memfile_free(m);
	luo_memfile_free(nullptr);
}

TEST_F(MemFileTest, RecordRoundTripMapsTheSameMemory)
{
	luo_memfile *a, *b, *hole;

	ASSERT_EQ(0, luo_memfile_create(c, 2 * kChunk, &a));
	ASSERT_EQ(0, luo_memfile_create(c, 2 * kChunk, &hole));
	ASSERT_EQ(0, luo_memfile_create(c, 58 * kChunk, &b));
	luo_memfile_free(hole);
	luo_memfile *m;
	/* Fragmented: 2 + 1 chunks (chunk 0 holds the image header). */
	ASSERT_EQ(0, luo_memfile_create(c, 3 * kChunk, &m));
	std::vector<unsigned char> rec = record(m);
	EXPECT_EQ(16u + 2 * 16u, rec.size());
	EXPECT_EQ(0, h.check(c, rec.data(), rec.size()));
	EXPECT_EQ(3 * kChunk, h.content_len(rec.data(), rec.size()));
	/* In this kernel the chunks are taken: a claim must fail. */
	EXPECT_EQ(-EINVAL, h.claim(c, rec.data(), rec.size()));

	/* The next kernel: the same range, nothing else taken. */
	luo_core *next = nullptr;
	ASSERT_EQ(0, luo_core_new(&fake::kKops, nullptr, 0, &next));
	ASSERT_EQ(0, luo_core_set_range(next, 64 * kChunk, 0, 0));
	ASSERT_EQ(0, h.claim(next, rec.data(), rec.size()));
	struct file *file = nullptr;
	ASSERT_EQ(0, h.retrieve(next, rec.data(), rec.size(), &file));
	luo_memfile *n = file->mem;
	EXPECT_EQ(3 * kChunk, luo_memfile_length(n));
	for (unsigned long long pos = 0; pos < 3 * kChunk; pos += kChunk / 2) {
		unsigned long long o1 = 0, o2 = 0;
		EXPECT_EQ(luo_memfile_locate(m, pos, &o1),
			  luo_memfile_locate(n, pos, &o2));
		EXPECT_EQ(o1, o2) << pos;
	}
	/* New memory files there cannot get the same chunks. */
	luo_memfile *other = nullptr;
	EXPECT_EQ(-ENOSPC, luo_memfile_create(next, 62 * kChunk, &other));
	fake::kKops.fput(file); /* its last reference frees n */
	luo_pool_stats s = {};
	luo_pool_read_stats(next, &s);
	EXPECT_EQ(0u, s.used);
	luo_core_free(next);
	luo_memfile_free(m);
	luo_memfile_free(a);
	luo_memfile_free(b);
}

TEST_F(MemFileTest, RecordCheckRefusesLies)
{
	struct {
		luo::MemRecord h;
		Extent e[2];
	} r = {{2 * kChunk, 2, 0}, {{0, kChunk}, {4 * kChunk, kChunk}}};
	auto check = [&](unsigned long long len) {
		return h.check(c, &r, len);
	};

	EXPECT_EQ(0, check(sizeof(r)));
	EXPECT_EQ(-EINVAL, check(sizeof(r) - 1));
	EXPECT_EQ(-EINVAL, check(sizeof(r) + 16));
	EXPECT_EQ(-EINVAL, check(8));
	r.h.reserved = 1;
	EXPECT_EQ(-EINVAL, check(sizeof(r)));
	r.h.reserved = 0;
	r.h.length = 3 * kChunk; /* the extents add up to less */
	EXPECT_EQ(-EINVAL, check(sizeof(r)));
	r.h.length = kChunk; /* ...to more */
	EXPECT_EQ(-EINVAL, check(sizeof(r)));
	r.h.length = 2 * kChunk;
	r.e[1].off = 4 * kChunk + 4096; /* not a chunk */
	EXPECT_EQ(-EINVAL, check(sizeof(r)));
	r.e[1].off = 64 * kChunk; /* past the pool */
	EXPECT_EQ(-EINVAL, check(sizeof(r)));
	r.e[1].off = ~0ULL - kChunk + 1; /* wraps */
	EXPECT_EQ(-EINVAL, check(sizeof(r)));
	r.e[1] = {4 * kChunk, 0};
	EXPECT_EQ(-EINVAL, check(sizeof(r)));
	r.e[1] = {4 * kChunk, kChunk};
	r.h.nr = 0;
	EXPECT_EQ(-EINVAL, check(16));
	r.h.nr = luo::kMaxExtents + 1;
	EXPECT_EQ(-EINVAL, check(16 + 16ULL * r.h.nr));
}

/*
 * A memory file through the lifecycle: PRESERVE_FD, the freeze, the next
 * kernel's load (the same core, its old file gone) and RETRIEVE_FD give a
 * file over the same memory, and FINISH gives it back.
 */
class MemLifecycleTest : public CoreTest {};

TEST_F(MemLifecycleTest, AMemoryFileCrossesWhereItIs)
{
	ASSERT_EQ(0, luo_core_set_range(r, 64 * kChunk, 0, 0));
	luo_memfile *m = nullptr;
	ASSERT_EQ(0, luo_memfile_create(r, 3 * kChunk, &m));
	unsigned long long where = 0, again = 0;
	luo_memfile_locate(m, 0, &where);
	FakeFile &f = fake();
	f.mem = m;
	luo_session *s = session("vm");
	add(s, 7, &f);
	EXPECT_EQ("file 7 luomem-v1 " + std::to_string(3 * kChunk) +
			  " preserved",
		  listing().at(1));
	std::vector<unsigned char> img = serialize();
	luo_unfreeze_all(r);
	close(s);
	luo_memfile_free(m); /* the old kernel's file is gone */
	f.mem = nullptr;

	ASSERT_EQ(0, luo_deserialize(r, img.data(), img.size(), nullptr, 0));
	luo_pool_stats st = {};
	luo_pool_read_stats(r, &st);
	EXPECT_EQ(3 * kChunk, st.used); /* claimed at load */
	luo_session *in = retrieve("vm");
	struct file *nf = nullptr;
	ASSERT_EQ(0, luo_retrieve_fd(r, in, 7, &nf));
	ASSERT_NE(nullptr, nf->mem);
	EXPECT_EQ(3 * kChunk, luo_memfile_length(nf->mem));
	luo_memfile_locate(nf->mem, 0, &again);
	EXPECT_EQ(where, again);
	fake::kKops.fput(nf);
	EXPECT_EQ(0, luo_finish(r, in)); /* luo's reference: the last */
	luo_pool_read_stats(r, &st);
	EXPECT_EQ(0u, st.used);
	close(in);
}

/* The claim hook as the lifecycle drives it (fake-claim-v1 counts). */
class ClaimTest : public CoreTest {
protected:
	std::vector<unsigned char> keep_;
	FakeFile &claiming(const std::string &data)
	{
		FakeFile &f = fake(data);

		f.claims = true;
		return f;
	}
	void TearDown() override
	{
		CoreTest::TearDown();
		keep_.clear();
	}
	int round_trip()
	{
		keep_ = serialize();
		luo_unfreeze_all(r);
		return luo_deserialize(r, keep_.data(), keep_.size(), nullptr,
				       0);
	}
};

TEST_F(ClaimTest, FinishGivesBackWhatWasNeverRetrieved)
{
	luo_session *s = session("claims");
	add(s, 1, &claiming("retrieved"));
	add(s, 2, &claiming("never retrieved"));
	add(s, 3, &claiming("FAIL: judged bad"));
	ASSERT_EQ(0, round_trip());
	close(s);
	EXPECT_EQ(1, fake::claims["retrieved"]);
	EXPECT_EQ(1, fake::claims["never retrieved"]);
	luo_session *in = retrieve("claims");
	EXPECT_EQ("retrieved", retrieve_fd(in, 1));
	EXPECT_EQ(0, fake::claims["retrieved"]); /* the file has it */
	EXPECT_EQ("-5", retrieve_fd(in, 3));
	EXPECT_EQ(1, fake::claims["FAIL: judged bad"]);
	EXPECT_EQ(0, luo_finish(r, in));
	EXPECT_EQ(0, fake::claims["never retrieved"]);
	EXPECT_EQ(0, fake::claims["FAIL: judged bad"]);
}

/* A handler's contents, not its handover bytes, in the listing. */
TEST_F(ClaimTest, TheListingShowsWhatTheDataStandsFor)
{
	luo_session *s = session("sized");
	add(s, 1, &claiming("four"));
	std::vector<std::string> want = {
		"session out open 1 sized",
		"file 1 fake-claim-v1 4000 preserved",
	};
	EXPECT_EQ(want, listing());
	ASSERT_EQ(0, round_trip());
	close(s);
	want = {
		"session in pending 1 sized",
		"file 1 fake-claim-v1 4000 pending",
	};
	EXPECT_EQ(want, listing());
}

TEST_F(ClaimTest, DiscardGivesBackEveryClaim)
{
	luo_session *s = session("dropped");
	add(s, 1, &claiming("a"));
	add(s, 2, &claiming("b"));
	ASSERT_EQ(0, round_trip());
	close(s);
	EXPECT_EQ(1, fake::claims["a"]);
	EXPECT_EQ(1u, luo_discard_unretrieved(r));
	EXPECT_EQ(0, fake::claims["a"]);
	EXPECT_EQ(0, fake::claims["b"]);
}

TEST_F(ClaimTest, AClaimThatFailsRejectsTheImageWhole)
{
	luo_session *s1 = session("first");
	add(s1, 1, &claiming("claimed first"));
	luo_session *s2 = session("second");
	add(s2, 1, &claiming("claimed too"));
	add(s2, 2, &claiming("CLAIMBAD: twice"));
	keep_ = serialize();
	luo_unfreeze_all(r);
	char why[96] = "";
	EXPECT_EQ(-EINVAL, luo_deserialize(r, keep_.data(), keep_.size(), why,
					   sizeof(why)));
	EXPECT_STREQ("memory claimed twice or out of range", why);
	EXPECT_EQ(0u, luo_core_sessions(r, LUO_INCOMING));
	EXPECT_EQ(0, fake::claims["claimed first"]);
	EXPECT_EQ(0, fake::claims["claimed too"]);
}

} /* namespace */
