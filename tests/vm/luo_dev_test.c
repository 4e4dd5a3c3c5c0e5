// SPDX-License-Identifier: GPL-2.0
/*
 * luo_dev_test.c - /dev/liveupdate from userspace, in the test VM.
 *
 * kselftest harness style; built static and run through qemu/run by
 * scripts/vm-test.sh (luo.ko is already loaded with default parameters).
 * Covers what the device does before sessions exist: the node, its mode,
 * exclusive open, the status file, and loading with other device names.
 * Needs the fixtures of tests/vm/fixtures/ in /extra (qemu/run --add).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <unistd.h>

#include "kselftest_harness.h"

#define DEV "/dev/liveupdate"
#define STATUS "/sys/class/misc/liveupdate/status"
#define KO "/lib/modules/luo.ko"
/* Load luo as qemu/run did (with the handover range), plus extra params. */
#define LOAD ". /etc/luo-run.conf && insmod " KO " $LUO_PARAMS"
#define SQUATTER "/extra/luo_squatter.ko"

static int read_file(const char *path, char *buf, size_t len)
{
	int fd = open(path, O_RDONLY);
	ssize_t n;

	if (fd < 0)
		return -errno;
	n = read(fd, buf, len - 1);
	close(fd);
	if (n < 0)
		return -errno;
	buf[n] = '\0';
	return 0;
}

/* Run a shell command; return its exit status (or -1). */
static int sh(const char *cmd)
{
	int st = system(cmd);

	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

TEST(node_is_a_root_only_char_device)
{
	struct stat st;

	ASSERT_EQ(0, stat(DEV, &st));
	EXPECT_TRUE(S_ISCHR(st.st_mode));
	EXPECT_EQ(0600U, st.st_mode & 07777);
	EXPECT_EQ(0U, st.st_uid);
	EXPECT_EQ(10U, major(st.st_rdev)); /* misc */
}

TEST(second_open_is_ebusy)
{
	int a, b;

	a = open(DEV, O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, a);
	b = open(DEV, O_RDWR | O_CLOEXEC);
	EXPECT_EQ(-1, b);
	EXPECT_EQ(EBUSY, errno);
	/* Read-only is an open too. */
	b = open(DEV, O_RDONLY);
	EXPECT_EQ(-1, b);
	EXPECT_EQ(EBUSY, errno);
	EXPECT_EQ(0, close(a));
	b = open(DEV, O_RDWR);
	EXPECT_LE(0, b);
	close(b);
}

TEST(dup_and_fork_share_the_one_open)
{
	int a, d;
	pid_t pid;
	int st;

	a = open(DEV, O_RDWR);
	ASSERT_LE(0, a);
	d = dup(a);
	ASSERT_LE(0, d);
	close(a);
	/* Still open through the dup: a new open is refused. */
	EXPECT_EQ(-1, open(DEV, O_RDWR));
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		close(d);
		_exit(open(DEV, O_RDWR) == -1 && errno == EBUSY ? 0 : 1);
	}
	ASSERT_EQ(pid, waitpid(pid, &st, 0));
	EXPECT_EQ(0, WEXITSTATUS(st));
	close(d);
	a = open(DEV, O_RDWR);
	EXPECT_LE(0, a);
	close(a);
}

TEST(open_close_many_times)
{
	for (int i = 0; i < 1000; i++) {
		int fd = open(DEV, O_RDWR);

		ASSERT_LE(0, fd);
		ASSERT_EQ(0, close(fd));
	}
}

TEST(non_root_cannot_open)
{
	pid_t pid = fork();
	int st;

	ASSERT_LE(0, pid);
	if (pid == 0) {
		if (setgid(65534) || setuid(65534))
			_exit(2);
		_exit(open(DEV, O_RDWR) == -1 && errno == EACCES ? 0 : 1);
	}
	ASSERT_EQ(pid, waitpid(pid, &st, 0));
	EXPECT_EQ(0, WEXITSTATUS(st));
}

TEST(status_file)
{
	char buf[4096];

	ASSERT_EQ(0, read_file(STATUS, buf, sizeof(buf)));
	EXPECT_NE(NULL, strstr(buf, "version: "));
	EXPECT_NE(NULL, strstr(buf, "device: /dev/liveupdate\n"));
	EXPECT_NE(NULL, strstr(buf, "handover: "));
	EXPECT_NE(NULL, strstr(buf, "generation: "));
	EXPECT_NE(NULL, strstr(buf, "last_error: "));
	EXPECT_NE(NULL, strstr(buf, "sessions_out: 0\n"));
	EXPECT_NE(NULL, strstr(buf, "sessions_in: 0\n"));
}

TEST(parameters_are_visible)
{
	char buf[256];

	ASSERT_EQ(0, read_file("/sys/module/luo/parameters/device", buf,
			       sizeof(buf)));
	EXPECT_STREQ("liveupdate\n", buf);
}

/* The tests below reload the module; each leaves it loaded as it was. */

TEST(reload_under_another_name)
{
	struct stat st;

	ASSERT_EQ(0, sh("rmmod luo"));
	EXPECT_NE(0, stat(DEV, &st));
	ASSERT_EQ(0, sh("insmod " KO " device=luo_test"));
	EXPECT_EQ(0, stat("/dev/luo_test", &st));
	EXPECT_NE(0, stat(DEV, &st));
	EXPECT_EQ(0, sh("grep -qx 'device: /dev/luo_test' "
			"/sys/class/misc/luo_test/status"));
	ASSERT_EQ(0, sh("rmmod luo"));
	ASSERT_EQ(0, sh(LOAD));
	EXPECT_EQ(0, stat(DEV, &st));
}

TEST(refuses_a_taken_device_name)
{
	/*
	 * The squatter fixture owns /dev/liveupdate as a kernel with the
	 * built-in LUO would: luo must refuse to load, and say why.
	 */
	ASSERT_EQ(0, sh("rmmod luo"));
	ASSERT_EQ(0, sh("insmod " SQUATTER));
	EXPECT_NE(0, sh("insmod " KO " 2>/dev/null"));
	EXPECT_EQ(0, sh("dmesg | tail -n 5 | grep -q "
			"'/dev/liveupdate is already registered'"));
	EXPECT_EQ(0, sh("insmod " KO " device=luo2"));
	EXPECT_EQ(0, access("/dev/luo2", F_OK));
	EXPECT_EQ(0, sh("rmmod luo"));
	ASSERT_EQ(0, sh("rmmod luo_squatter"));
	ASSERT_EQ(0, sh(LOAD));
}

TEST(refuses_bad_device_names)
{
	ASSERT_EQ(0, sh("rmmod luo"));
	EXPECT_NE(0, sh("insmod " KO " device=../evil 2>/dev/null"));
	EXPECT_NE(0, sh("insmod " KO " device= 2>/dev/null"));
	EXPECT_NE(0, sh("insmod " KO " device=" /* 33 characters */
			"abcdefghijklmnopqrstuvwxyz0123456 2>/dev/null"));
	ASSERT_EQ(0, sh(LOAD));
}

/*
 * The range must be RAM that memmap= reserved, and luo claims it: a range
 * the firmware reserved for itself (the BIOS area at 0xf0000), one that is
 * System RAM, and one beyond the end of RAM are refused, each with a
 * reason; the real one shows in /proc/iomem while luo is loaded.
 */
TEST(refuses_ranges_memmap_did_not_reserve)
{
	ASSERT_EQ(0, sh("grep -q 'luo handover' /proc/iomem"));
	ASSERT_EQ(0, sh("rmmod luo"));
	EXPECT_NE(0, sh("grep -q 'luo handover' /proc/iomem"));
	EXPECT_NE(0, sh("insmod " KO " handover_base=0xf0000 "
			"handover_size=65536 2>/dev/null"));
	EXPECT_EQ(0, sh("dmesg | tail -n 3 | grep -q 'is not RAM in the "
			"firmware memory map'"));
	EXPECT_NE(0, sh("insmod " KO " handover_base=0x1000000 "
			"handover_size=65536 2>/dev/null"));
	EXPECT_EQ(0, sh("dmesg | tail -n 3 | grep -q 'is not reserved'"));
	EXPECT_NE(0, sh("insmod " KO " handover_base=0x10000000000 "
			"handover_size=65536 2>/dev/null"));
	ASSERT_EQ(0, sh(LOAD));
	EXPECT_EQ(0, sh("grep -q 'luo handover' /proc/iomem"));
}

TEST(cannot_unload_while_open)
{
	int fd = open(DEV, O_RDWR);

	ASSERT_LE(0, fd);
	EXPECT_NE(0, sh("rmmod luo 2>/dev/null"));
	close(fd);
	EXPECT_EQ(0, access(DEV, F_OK));
}

TEST_HARNESS_MAIN
