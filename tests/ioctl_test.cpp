// SPDX-License-Identifier: GPL-2.0
/*
 * ioctl_test.cpp - host tests of the dispatch rules (luo/core/ioctl.cpp):
 * the table agrees with the UAPI header, and every step of the order
 * gives its errno.
 */
#include <cerrno>
#include <cstddef>

#include <gtest/gtest.h>
#include <linux/liveupdate.h>
#include <linux/liveupdate_mem.h>

#include <luo/core.h>

namespace {

struct Want {
	unsigned int cmd;
	luo_ioctl_target on;
	luo_ioctl_op op;
	size_t size, min_size;
	unsigned int dirs;
	bool reply;
};

constexpr unsigned int kOut = 1u << LUO_OUTGOING, kIn = 1u << LUO_INCOMING;

/* What include/uapi/linux/liveupdate.h says, field by field. */
const Want kAbi[] = {
	{LIVEUPDATE_IOCTL_CREATE_SESSION, LUO_ON_DEVICE, LUO_OP_CREATE_SESSION,
	 sizeof(liveupdate_ioctl_create_session),
	 offsetof(liveupdate_ioctl_create_session, name) +
		 sizeof(liveupdate_ioctl_create_session::name),
	 0, true},
	{LIVEUPDATE_IOCTL_RETRIEVE_SESSION, LUO_ON_DEVICE,
	 LUO_OP_RETRIEVE_SESSION, sizeof(liveupdate_ioctl_retrieve_session),
	 offsetof(liveupdate_ioctl_retrieve_session, name) +
		 sizeof(liveupdate_ioctl_retrieve_session::name),
	 0, true},
	{LIVEUPDATE_SESSION_PRESERVE_FD, LUO_ON_SESSION, LUO_OP_PRESERVE_FD,
	 sizeof(liveupdate_session_preserve_fd),
	 offsetof(liveupdate_session_preserve_fd, token) + 8, kOut, false},
	{LIVEUPDATE_SESSION_RETRIEVE_FD, LUO_ON_SESSION, LUO_OP_RETRIEVE_FD,
	 sizeof(liveupdate_session_retrieve_fd),
	 offsetof(liveupdate_session_retrieve_fd, token) + 8, kIn, true},
	{LIVEUPDATE_SESSION_FINISH, LUO_ON_SESSION, LUO_OP_FINISH,
	 sizeof(liveupdate_session_finish),
	 offsetof(liveupdate_session_finish, reserved) + 4, kIn, false},
	{LIVEUPDATE_SESSION_GET_NAME, LUO_ON_SESSION, LUO_OP_GET_NAME,
	 sizeof(liveupdate_session_get_name),
	 offsetof(liveupdate_session_get_name, name) +
		 sizeof(liveupdate_session_get_name::name),
	 kOut | kIn, true},
	{LIVEUPDATE_MEM_CREATE, LUO_ON_MEM, LUO_OP_MEM_CREATE,
	 sizeof(liveupdate_mem_create),
	 offsetof(liveupdate_mem_create, reserved) + 4, 0, true},
};

TEST(IoctlRules, TheTableIsTheUapiHeaders)
{
	for (const Want &w : kAbi) {
		const luo_ioctl_rule *r = luo_ioctl_find(w.on, w.cmd);
		ASSERT_NE(nullptr, r) << std::hex << w.cmd;
		EXPECT_EQ(w.cmd, r->cmd);
		EXPECT_EQ(w.op, r->op);
		EXPECT_EQ(w.size, r->size) << std::hex << w.cmd;
		EXPECT_EQ(w.min_size, r->min_size) << std::hex << w.cmd;
		EXPECT_EQ(w.dirs, r->on_dirs) << std::hex << w.cmd;
		EXPECT_EQ(w.reply, r->reply) << std::hex << w.cmd;
		/* Admitted at exactly its size and beyond, on its sessions. */
		luo_dir d = w.dirs & kIn ? LUO_INCOMING : LUO_OUTGOING;
		EXPECT_EQ(0, luo_ioctl_admit(r, w.cmd, d, w.min_size));
		EXPECT_EQ(0, luo_ioctl_admit(r, w.cmd, d, 4096));
	}
}

TEST(IoctlRules, EachStepOfTheOrderGivesItsErrno)
{
	/* 1. nr outside the file's range. */
	EXPECT_EQ(nullptr, luo_ioctl_find(LUO_ON_DEVICE, _IO(0xBA, 0x02)));
	EXPECT_EQ(nullptr, luo_ioctl_find(LUO_ON_DEVICE, _IO(0xBA, 0x40)));
	EXPECT_EQ(nullptr, luo_ioctl_find(LUO_ON_SESSION, _IO(0xBA, 0x00)));
	EXPECT_EQ(nullptr, luo_ioctl_find(LUO_ON_SESSION, _IO(0xBA, 0x3f)));
	EXPECT_EQ(nullptr, luo_ioctl_find(LUO_ON_MEM, _IO(0xBA, 0x00)));
	EXPECT_EQ(nullptr, luo_ioctl_find(LUO_ON_MEM, _IO(0xBA, 0x81)));
	EXPECT_EQ(nullptr, luo_ioctl_find(LUO_ON_MEM, _IO(0xBA, 0x7f)));
	EXPECT_EQ(nullptr, luo_ioctl_find(LUO_ON_SESSION, _IO(0xBA, 0x44)));
	EXPECT_EQ(nullptr, luo_ioctl_find(LUO_ON_SESSION, _IO(0xBA, 0xff)));
	/* 3. the right nr in the wrong word: another type, size or dir. */
	const luo_ioctl_rule *p =
		luo_ioctl_find(LUO_ON_SESSION, LIVEUPDATE_SESSION_PRESERVE_FD);
	ASSERT_NE(nullptr, p);
	for (unsigned int cmd :
	     {unsigned(_IO(0xBB, 0x40)), unsigned(_IOW(0xBA, 0x40, int)),
	      unsigned(_IOR(0xBA, 0x40, long)),
	      unsigned(_IOWR(0xBA, 0x40, char[16]))}) {
		ASSERT_EQ(p, luo_ioctl_find(LUO_ON_SESSION, cmd));
		EXPECT_EQ(-ENOTTY,
			  luo_ioctl_admit(p, cmd, LUO_OUTGOING, p->size));
	}
	/* 4. the wrong kind of session, before the size. */
	EXPECT_EQ(-EINVAL, luo_ioctl_admit(p, p->cmd, LUO_INCOMING, p->size));
	EXPECT_EQ(-EINVAL, luo_ioctl_admit(p, p->cmd, LUO_INCOMING, 0));
	const luo_ioctl_rule *f =
		luo_ioctl_find(LUO_ON_SESSION, LIVEUPDATE_SESSION_FINISH);
	EXPECT_EQ(-EINVAL, luo_ioctl_admit(f, f->cmd, LUO_OUTGOING, f->size));
	/* 5. a size below the last field it must set. */
	EXPECT_EQ(-EINVAL, luo_ioctl_admit(p, p->cmd, LUO_OUTGOING, 15));
	EXPECT_EQ(-EINVAL, luo_ioctl_admit(p, p->cmd, LUO_OUTGOING, 0));
	const luo_ioctl_rule *c =
		luo_ioctl_find(LUO_ON_DEVICE, LIVEUPDATE_IOCTL_CREATE_SESSION);
	EXPECT_EQ(-EINVAL, luo_ioctl_admit(c, c->cmd, LUO_OUTGOING, 71));
	/* The wrong word is found before the size. */
	EXPECT_EQ(-ENOTTY, luo_ioctl_admit(c, _IO(0xBA, 0x00) | (8 << 16),
					   LUO_OUTGOING, 0));
}

} // namespace
