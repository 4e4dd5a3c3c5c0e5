// SPDX-License-Identifier: GPL-2.0
/*
 * registry_test.cpp - host tests of the session registry (luo/core).
 *
 * Same sources as the module; run under ASan+UBSan (use-after-free of a
 * session, leaks at exit) and TSan (the concurrency cases).
 */
#include <atomic>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include <luo/core.h>
#include <luo/registry.h>

#include "host_shim.h"

using luo::Direction;
using luo::Registry;
using luo::Session;

namespace {

struct Name {
	char buf[luo::kNameBuf];
	explicit Name(const std::string &s)
	{
		memset(buf, 0, sizeof(buf));
		memcpy(buf, s.data(), std::min(s.size(), sizeof(buf)));
	}
};

class RegistryTest : public ::testing::Test {
protected:
	void SetUp() override
	{
		live_ = host_shim_live_allocs();
		ASSERT_TRUE(reg.init().ok());
	}
	void TearDown() override { reg.destroy(); }
	Session *create(const std::string &n,
			Direction d = Direction::kOutgoing)
	{
		auto r = reg.create(Name(n).buf, d);
		EXPECT_TRUE(r.ok()) << n;
		return r.ok() ? r.value() : nullptr;
	}
	void drop(Session *s)
	{
		reg.remove(s);
		s->put();
	}
	/* A lookup whose reference the test drops by hand (put()). */
	Session *find(const char *buf, Direction d)
	{
		return reg.lookup(buf, d).leak();
	}
	Registry reg;
	long live_ = 0;
};

TEST(NameRules, EmptyIsInvalid)
{
	char buf[64] = {};
	luo::u32 len = 99;

	EXPECT_EQ(Registry::check_name(buf, &len).err(), EINVAL);
	EXPECT_EQ(len, 99u); /* untouched on failure */
}

TEST(NameRules, LengthsOneTo63)
{
	luo::u32 len;

	for (int n = 1; n <= 63; n++) {
		char buf[64] = {};
		memset(buf, 'a', n);
		ASSERT_TRUE(Registry::check_name(buf, &len).ok()) << n;
		EXPECT_EQ(len, (luo::u32)n);
	}
}

TEST(NameRules, NoNulWithin64IsInvalid)
{
	char buf[64];
	luo::u32 len;

	memset(buf, 'x', sizeof(buf));
	EXPECT_EQ(Registry::check_name(buf, &len).err(), EINVAL);
}

TEST(NameRules, BytesAfterTheNulAreIgnored)
{
	char buf[64];
	luo::u32 len;

	memset(buf, 'x', sizeof(buf));
	buf[5] = '\0';
	ASSERT_TRUE(Registry::check_name(buf, &len).ok());
	EXPECT_EQ(len, 5u);
}

TEST_F(RegistryTest, CreateLookupRemove)
{
	Session *s = create("vm-1");
	ASSERT_NE(s, nullptr);
	EXPECT_STREQ(s->name, "vm-1");
	EXPECT_EQ(s->name_len, 4u);
	EXPECT_EQ(reg.count(Direction::kOutgoing), 1u);

	Session *f = find(Name("vm-1").buf, Direction::kOutgoing);
	EXPECT_EQ(f, s);
	EXPECT_EQ(find(Name("vm-1").buf, Direction::kIncoming), nullptr);
	EXPECT_EQ(find(Name("vm-").buf, Direction::kOutgoing), nullptr);
	EXPECT_EQ(find(Name("vm-11").buf, Direction::kOutgoing), nullptr);

	EXPECT_TRUE(reg.remove(s));
	EXPECT_FALSE(reg.remove(s));
	EXPECT_EQ(reg.count(Direction::kOutgoing), 0u);
	EXPECT_EQ(find(Name("vm-1").buf, Direction::kOutgoing), nullptr);
	/* The finder's reference keeps it alive after removal (ASan checks). */
	EXPECT_STREQ(f->name, "vm-1");
	f->put();
	s->put();
	EXPECT_EQ(host_shim_live_allocs(), live_ + 2); /* lock + buckets */
}

TEST_F(RegistryTest, NameCanBeReusedAfterRemove)
{
	Session *s = create("again");
	drop(s);
	Session *t = create("again");
	ASSERT_NE(t, nullptr);
	drop(t);
}

TEST_F(RegistryTest, DuplicateNameInSameDirectoryIsEEXIST)
{
	Session *s = create("dup");
	auto r = reg.create(Name("dup").buf, Direction::kOutgoing);
	EXPECT_EQ(r.status().err(), EEXIST);
	EXPECT_EQ(reg.count(Direction::kOutgoing), 1u);
	drop(s);
}

TEST_F(RegistryTest, IncomingAndOutgoingMayShareAName)
{
	Session *in = create("shared", Direction::kIncoming);
	Session *out = create("shared", Direction::kOutgoing);
	ASSERT_NE(in, nullptr);
	ASSERT_NE(out, nullptr);
	EXPECT_NE(in, out);
	EXPECT_EQ(find(Name("shared").buf, Direction::kIncoming), in);
	in->put();
	EXPECT_EQ(reg.count(Direction::kIncoming), 1u);
	EXPECT_EQ(reg.count(Direction::kOutgoing), 1u);
	drop(in);
	drop(out);
}

TEST_F(RegistryTest, InvalidNameCreatesNothing)
{
	char bad[64];

	memset(bad, 'z', sizeof(bad));
	EXPECT_EQ(reg.create(bad, Direction::kOutgoing).status().err(), EINVAL);
	EXPECT_EQ(find(bad, Direction::kOutgoing), nullptr);
	EXPECT_EQ(reg.count(Direction::kOutgoing), 0u);
}

TEST_F(RegistryTest, AllocationFailureIsENOMEMAndChangesNothing)
{
	host_shim_fail_nth_alloc(1);
	auto r = reg.create(Name("oom").buf, Direction::kOutgoing);
	EXPECT_EQ(r.status().err(), ENOMEM);
	EXPECT_EQ(reg.count(Direction::kOutgoing), 0u);
	Session *s = create("oom"); /* the name was not taken */
	drop(s);
}

TEST_F(RegistryTest, TableGrowsWithLoad)
{
	const int n = 2000;
	std::vector<Session *> v;
	char name[64];

	for (int i = 0; i < n; i++) {
		snprintf(name, sizeof(name), "s%d", i);
		v.push_back(create(name));
	}
	EXPECT_EQ(reg.count(Direction::kOutgoing), (size_t)n);
	EXPECT_GE(reg.buckets(), (luo::u32)n);
	for (int i = 0; i < n; i++) {
		snprintf(name, sizeof(name), "s%d", i);
		Session *f = find(Name(name).buf, Direction::kOutgoing);
		ASSERT_EQ(f, v[i]);
		f->put();
	}
	for (Session *s : v)
		drop(s);
}

TEST_F(RegistryTest, FailedGrowthKeepsWorking)
{
	char name[64];
	std::vector<Session *> v;

	/* Fill to the first growth point; then the growth's allocation fails. */
	for (luo::u32 i = 0; i < reg.buckets(); i++) {
		snprintf(name, sizeof(name), "g%u", i);
		v.push_back(create(name));
	}
	luo::u32 before = reg.buckets();
	host_shim_fail_nth_alloc(3); /* the session, its mutex, the table */
	v.push_back(create("over"));
	EXPECT_EQ(reg.buckets(), before);
	Session *f = find(Name("over").buf, Direction::kOutgoing);
	EXPECT_EQ(f, v.back());
	f->put();
	/* The next creation grows it. */
	v.push_back(create("over2"));
	EXPECT_GT(reg.buckets(), before);
	for (Session *s : v)
		drop(s);
}

TEST_F(RegistryTest, ForEachVisitsInCreationOrderPerDirection)
{
	Session *a = create("a");
	Session *b = create("b", Direction::kIncoming);
	Session *c = create("c");
	Session *d = create("d");
	reg.remove(c);

	std::string seen;
	reg.for_each(Direction::kOutgoing, [&](Session *s) {
		seen += s->name;
		return true;
	});
	EXPECT_EQ(seen, "ad");
	seen.clear();
	reg.for_each(Direction::kOutgoing, [&](Session *s) {
		seen += s->name;
		return false;
	});
	EXPECT_EQ(seen, "a");
	c->put();
	drop(a);
	drop(b);
	drop(d);
}

/* Lookups race with creation and removal of the same names. */
TEST_F(RegistryTest, ConcurrentLookupCreateRemove)
{
	std::atomic<bool> stop{false};
	std::atomic<long> found{0};
	std::atomic<int> bad{0};
	std::vector<std::thread> readers;

	for (int t = 0; t < 3; t++)
		readers.emplace_back([&, t] {
			char name[64];
			for (int i = t; !stop; i++) {
				snprintf(name, sizeof(name), "r%d", i % 16);
				Session *s = find(Name(name).buf,
						  Direction::kOutgoing);
				if (!s)
					continue;
				if (strcmp(s->name, name))
					bad++;
				found++;
				s->put();
			}
		});
	std::thread writer2([&] {
		char name[64];
		for (int round = 0; round < 300; round++)
			for (int i = 8; i < 16; i++) {
				snprintf(name, sizeof(name), "r%d", i);
				auto r = reg.create(Name(name).buf,
						    Direction::kOutgoing);
				if (r.ok())
					drop(r.value());
			}
	});
	char name[64];
	for (int round = 0; round < 300; round++) {
		Session *s[8];
		for (int i = 0; i < 8; i++) {
			snprintf(name, sizeof(name), "r%d", i);
			s[i] = create(name);
		}
		for (int i = 0; i < 8; i++)
			drop(s[i]);
	}
	writer2.join();
	stop = true;
	for (auto &t : readers)
		t.join();
	EXPECT_EQ(bad.load(), 0);
	EXPECT_EQ(reg.count(Direction::kOutgoing), 0u);
}

/* Two threads race to remove the same session: exactly one wins. */
TEST_F(RegistryTest, ConcurrentRemoveHasOneWinner)
{
	for (int round = 0; round < 200; round++) {
		Session *s = create("contended");
		s->get();
		std::atomic<int> wins{0};
		std::thread a([&] {
			wins += reg.remove(s);
		});
		std::thread b([&] {
			wins += reg.remove(s);
		});
		a.join();
		b.join();
		EXPECT_EQ(wins.load(), 1);
		s->put();
		s->put();
	}
}

} // namespace
