// SPDX-License-Identifier: GPL-2.0
/*
 * ioctl.cpp - the dispatch rules of every ioctl, as data.
 *
 * DOC: Dispatch
 *
 * Every ioctl of /dev/liveupdate and of a session's file passes the same
 * steps in the same order (luo_ioctl_find() in include/luo/core.h lists
 * them) before its operation runs, so that a given mistake gives the same
 * errno whichever ioctl made it: upstream's order, which its selftests
 * check.  The table below is the one place that says, per ioctl, its
 * command word, the size of its struct, the least size a caller may pass,
 * which sessions it applies to and whether it replies.
 */
#include <luo/base.h>
#include <luo/core.h>

namespace {

constexpr unsigned int kOut = 1u << LUO_OUTGOING;
constexpr unsigned int kIn = 1u << LUO_INCOMING;

/*
 * Sizes and minimums as include/uapi/linux/liveupdate{,_mem}.h lay the structs
 * out (the C layer asserts both): a u32 size, then the fields.
 */
constexpr luo_ioctl_rule kDevice[] = {
	/* struct liveupdate_ioctl_create_session: size, fd, name[64] */
	{LUO_OP_CREATE_SESSION, LUO_IOC(LUO_IOC_DEVICE_BASE + 0), 72, 72, 0,
	 true},
	/* struct liveupdate_ioctl_retrieve_session: the same */
	{LUO_OP_RETRIEVE_SESSION, LUO_IOC(LUO_IOC_DEVICE_BASE + 1), 72, 72, 0,
	 true},
};

constexpr luo_ioctl_rule kSession[] = {
	/* struct liveupdate_session_preserve_fd: size, fd, token */
	{LUO_OP_PRESERVE_FD, LUO_IOC(LUO_IOC_SESSION_BASE + 0), 16, 16, kOut,
	 false},
	/* struct liveupdate_session_retrieve_fd: size, fd (out), token */
	{LUO_OP_RETRIEVE_FD, LUO_IOC(LUO_IOC_SESSION_BASE + 1), 16, 16, kIn,
	 true},
	/* struct liveupdate_session_finish: size, reserved */
	{LUO_OP_FINISH, LUO_IOC(LUO_IOC_SESSION_BASE + 2), 8, 8, kIn, false},
	/* struct liveupdate_session_get_name: size, reserved, name[64] */
	{LUO_OP_GET_NAME, LUO_IOC(LUO_IOC_SESSION_BASE + 3), 72, 72, kOut | kIn,
	 true},
};

/* struct liveupdate_mem_create: size, fd (out), length, flags, reserved */
constexpr luo_ioctl_rule kMem[] = {
	{LUO_OP_MEM_CREATE, LUO_IOC(LUO_IOC_MEM_BASE + 0), 24, 24, 0, true},
};

template <typename T, luo::size_t N> constexpr luo::size_t count(T (&)[N])
{
	return N;
}

} /* namespace */

extern "C" {

const luo_ioctl_rule *luo_ioctl_find(luo_ioctl_target target, unsigned int cmd)
{
	unsigned int nr = cmd & 0xff;

	if (target == LUO_ON_DEVICE)
		return nr - LUO_IOC_DEVICE_BASE < count(kDevice)
			       ? &kDevice[nr - LUO_IOC_DEVICE_BASE]
			       : nullptr;
	if (target == LUO_ON_MEM)
		return nr - LUO_IOC_MEM_BASE < count(kMem)
			       ? &kMem[nr - LUO_IOC_MEM_BASE]
			       : nullptr;
	return nr - LUO_IOC_SESSION_BASE < count(kSession)
		       ? &kSession[nr - LUO_IOC_SESSION_BASE]
		       : nullptr;
}

int luo_ioctl_admit(const luo_ioctl_rule *rule, unsigned int cmd, luo_dir dir,
		    unsigned int usize)
{
	if (cmd != rule->cmd)
		return -luo::kENOTTY;
	if (rule->on_dirs && !(rule->on_dirs & (1u << dir)))
		return -luo::kEINVAL;
	if (usize < rule->min_size)
		return -luo::kEINVAL;
	return 0;
}

} /* extern "C" */
