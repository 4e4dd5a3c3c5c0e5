// SPDX-License-Identifier: GPL-2.0
/*
 * libluo_test.c - libluo (tools/libluo) against the real module, in the
 * test VM (kselftest harness; linked with build/tools/libluo.a; luo.ko
 * loaded with test_hooks=1 for the incoming side).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <luo.h>

#include "kselftest_harness.h"

static int memfd_with(const char *data)
{
	int fd = memfd_create("libluo", 0);

	if (fd >= 0 && write(fd, data, strlen(data)) != (ssize_t)strlen(data))
		return -1;
	return fd;
}

static int roundtrip(void)
{
	int fd = open("/sys/kernel/debug/luo/roundtrip", O_WRONLY);
	int ok;

	if (fd < 0)
		return -errno;
	ok = write(fd, "1", 1) == 1;
	close(fd);
	return ok ? 0 : -1;
}

TEST(open_is_exclusive_and_cloexec)
{
	int a = luo_open(), b;

	ASSERT_LE(0, a);
	EXPECT_EQ(FD_CLOEXEC, fcntl(a, F_GETFD) & FD_CLOEXEC);
	b = luo_open();
	EXPECT_EQ(-EBUSY, b);
	close(a);
	setenv("LUO_DEVICE", "/dev/nonexistent", 1);
	EXPECT_EQ(-ENOENT, luo_open());
	unsetenv("LUO_DEVICE");
}

TEST(names_are_checked_before_the_kernel)
{
	char longname[80];
	int dev = luo_open();

	ASSERT_LE(0, dev);
	memset(longname, 'a', sizeof(longname) - 1);
	longname[sizeof(longname) - 1] = '\0';
	EXPECT_EQ(-EINVAL, luo_create_session(dev, longname));
	EXPECT_EQ(-EINVAL, luo_create_session(dev, ""));
	EXPECT_EQ(-EINVAL, luo_create_session(dev, NULL));
	EXPECT_EQ(-EINVAL, luo_retrieve_session(dev, ""));
	EXPECT_EQ(-ENOENT, luo_retrieve_session(dev, "nobody"));
	close(dev);
}

TEST(every_call_returns_minus_errno)
{
	char name[LUO_SESSION_NAME_MAX];
	int dev = luo_open(), s, m;

	ASSERT_LE(0, dev);
	s = luo_create_session(dev, "lib-1");
	ASSERT_LE(0, s);
	EXPECT_EQ(-EEXIST, luo_create_session(dev, "lib-1"));
	ASSERT_EQ(0, luo_get_name(s, name));
	EXPECT_STREQ("lib-1", name);
	m = memfd_with("x");
	EXPECT_EQ(0, luo_preserve_fd(s, m, 1));
	EXPECT_EQ(-EEXIST, luo_preserve_fd(s, m, 1));
	EXPECT_EQ(-EBUSY, luo_preserve_fd(s, m, 2));
	EXPECT_EQ(-EBADF, luo_preserve_fd(s, -1, 3));
	EXPECT_EQ(-EINVAL, luo_retrieve_fd(s, 1)); /* outgoing */
	EXPECT_EQ(-EINVAL, luo_finish(s));
	EXPECT_EQ(-EBADF, luo_finish(-1));
	close(m);
	close(s);
	close(dev);
}

TEST(preserve_fds_stops_at_the_first_error)
{
	int dev = luo_open(), s, fds[3];
	uint64_t tokens[3] = { 10, 11, 10 };
	size_t done = 99;

	ASSERT_LE(0, dev);
	s = luo_create_session(dev, "lib-list");
	ASSERT_LE(0, s);
	fds[0] = memfd_with("a");
	fds[1] = memfd_with("b");
	fds[2] = memfd_with("c");
	EXPECT_EQ(-EEXIST, luo_preserve_fds(s, fds, tokens, 3, &done));
	EXPECT_EQ(2U, done);
	for (int i = 0; i < 3; i++)
		close(fds[i]);
	close(s);
	close(dev);
}

TEST(list_round_trip)
{
	uint64_t tokens[3] = { 1, 2, 3 };
	const char *data[3] = { "one", "two", "three" };
	int dev = luo_open(), s, in, fds[3], got[3];
	char buf[8];

	ASSERT_LE(0, dev);
	s = luo_create_session(dev, "lib-rt");
	ASSERT_LE(0, s);
	for (int i = 0; i < 3; i++)
		fds[i] = memfd_with(data[i]);
	ASSERT_EQ(0, luo_preserve_fds(s, fds, tokens, 3, NULL));
	ASSERT_EQ(0, roundtrip());
	in = luo_retrieve_session(dev, "lib-rt");
	ASSERT_LE(0, in);
	uint64_t bad[2] = { 1, 99 };
	EXPECT_EQ(-ENOENT, luo_retrieve_fds(in, bad, got, 2));
	ASSERT_EQ(0, luo_retrieve_fds(in, tokens, got, 3));
	for (int i = 0; i < 3; i++) {
		memset(buf, 0, sizeof(buf));
		EXPECT_EQ((ssize_t)strlen(data[i]),
			  pread(got[i], buf, sizeof(buf), 0));
		EXPECT_STREQ(data[i], buf);
		close(got[i]);
		close(fds[i]);
	}
	EXPECT_EQ(0, luo_finish(in));
	close(in);
	close(s);
	close(dev);
}

TEST(mem_create)
{
	int dev = luo_open(), s, m;
	struct stat st;
	char c = 1;

	ASSERT_LE(0, dev);
	EXPECT_EQ(-EINVAL, luo_mem_create(0));
	EXPECT_EQ(-EINVAL, luo_mem_create(LUO_MEM_ALIGN + 4096));
	m = luo_mem_create(2 * LUO_MEM_ALIGN);
	ASSERT_LE(0, m);
	EXPECT_EQ(FD_CLOEXEC, fcntl(m, F_GETFD));
	ASSERT_EQ(0, fstat(m, &st));
	EXPECT_EQ((off_t)(2 * LUO_MEM_ALIGN), st.st_size);
	EXPECT_EQ(1, pread(m, &c, 1, LUO_MEM_ALIGN));
	EXPECT_EQ(0, c);
	s = luo_create_session(dev, "lib-mem");
	ASSERT_LE(0, s);
	EXPECT_EQ(0, luo_preserve_fd(s, m, 1));
	close(m);
	close(s);
	close(dev);
	setenv("LUO_MEM_DEVICE", "/dev/null-not-there", 1);
	EXPECT_EQ(-ENOENT, luo_mem_create(LUO_MEM_ALIGN));
	unsetenv("LUO_MEM_DEVICE");
}

TEST_HARNESS_MAIN
