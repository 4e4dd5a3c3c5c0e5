// SPDX-License-Identifier: GPL-2.0
/*
 * base_test.cpp - the core's vocabulary (include/luo/base.h): the
 * intrusive list and the counted reference.
 */
#include <gtest/gtest.h>
#include <string>

#include <luo/base.h>

namespace {

struct Item {
	char name;
	luo::ListNode<Item> node;
};

using ItemList = luo::List<Item, &Item::node>;

std::string walk(const ItemList &l)
{
	std::string s;

	for (Item *i : l)
		s += i->name;
	s += '|';
	for (Item *i : l.reverse())
		s += i->name;
	return s;
}

TEST(ListTest, KeepsOrderAndUnlinksAnywhere)
{
	Item a{'a', {}}, b{'b', {}}, c{'c', {}};
	ItemList l;

	EXPECT_TRUE(l.empty());
	EXPECT_EQ(walk(l), "|");
	l.push_back(&a);
	l.push_back(&b);
	l.push_back(&c);
	EXPECT_EQ(walk(l), "abc|cba");
	l.remove(&b); /* the middle */
	EXPECT_EQ(walk(l), "ac|ca");
	EXPECT_EQ(b.node.prev, nullptr);
	EXPECT_EQ(b.node.next, nullptr);
	l.remove(&a); /* the head */
	EXPECT_EQ(l.front(), &c);
	l.push_back(&a);
	EXPECT_EQ(walk(l), "ca|ac");
	l.remove(&a); /* the tail */
	EXPECT_EQ(l.back(), &c);
	l.remove(&c);
	EXPECT_TRUE(l.empty());
	EXPECT_EQ(l.back(), nullptr);
}

struct Counted {
	int refs = 1;
	int *freed;
	void get() { refs++; }
	void put()
	{
		if (--refs == 0)
			(*freed)++;
	}
};

TEST(RefPtrTest, CountsCopiesMovesAndLeaks)
{
	int freed = 0;
	Counted o{1, &freed};
	{
		auto p = luo::RefPtr<Counted>::adopt(&o);
		EXPECT_EQ(o.refs, 1); /* adopt takes none */
		{
			luo::RefPtr<Counted> q = p;
			EXPECT_EQ(o.refs, 2);
			luo::RefPtr<Counted> r =
				static_cast<luo::RefPtr<Counted> &&>(q);
			EXPECT_EQ(o.refs, 2);
			EXPECT_FALSE(q);
			EXPECT_EQ(r.get(), &o);
		}
		EXPECT_EQ(o.refs, 1);
		luo::RefPtr<Counted> s;
		s = p;
		EXPECT_EQ(o.refs, 2);
		s = luo::RefPtr<Counted>();
		EXPECT_EQ(o.refs, 1);
		EXPECT_EQ(freed, 0);
	}
	EXPECT_EQ(freed, 1); /* the last reference freed it */

	Counted k{1, &freed};
	auto p = luo::RefPtr<Counted>::adopt(&k);
	EXPECT_EQ(p.leak(), &k);
	EXPECT_FALSE(p);
	EXPECT_EQ(k.refs, 1); /* handed on, not dropped */
}

} // namespace
