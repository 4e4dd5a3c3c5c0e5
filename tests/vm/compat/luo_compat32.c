// SPDX-License-Identifier: GPL-2.0
/*
 * luo_compat32.c - every ioctl from a 32-bit process (built with -m32).
 *
 * The argument structs have the same layout in 32-bit and 64-bit code
 * (__aligned_u64), so luo serves 32-bit callers with compat_ptr_ioctl.
 * Run in a kernel with IA32 emulation (the stock ones), luo loaded with
 * test_hooks=1 for the debugfs round trip.  Output: TAP.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/liveupdate.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include "../luo_tap.h"
#include "../luo_util.h"

_Static_assert(sizeof(void *) == 4, "build with -m32");
_Static_assert(sizeof(struct liveupdate_session_preserve_fd) == 16,
	       "same layout as in 64-bit code");

int main(void)
{
	struct liveupdate_session_get_name gn = { .size = sizeof(gn) };
	struct {
		struct liveupdate_session_finish f;
		unsigned int extra;
	} big = { { .size = sizeof(big) }, 1 };
	char data[] = "32-bit guest memory", got[sizeof(data)];
	int dev, s, m, in, r, rt;

	setvbuf(stdout, NULL, _IOLBF, 0);
	dev = open("/dev/liveupdate", O_RDWR);
	if (dev < 0)
		die("open /dev/liveupdate");
	s = luo_create_session(dev, "compat");
	check(s >= 0, "CREATE_SESSION (%d)", s);
	m = memfd_create("compat", 0);
	check(m >= 0 && write(m, data, sizeof(data)) == sizeof(data),
	      "a memfd");
	check(!luo_preserve(s, m, 32), "PRESERVE_FD");
	check(!ioctl(s, LIVEUPDATE_SESSION_GET_NAME, &gn) &&
		      !strcmp((char *)gn.name, "compat"),
	      "GET_NAME: %s", (char *)gn.name);
	rt = open("/sys/kernel/debug/luo/roundtrip", O_WRONLY);
	check(rt >= 0 && write(rt, "1", 1) == 1, "round trip");
	close(s);
	in = luo_retrieve_session(dev, "compat");
	check(in >= 0, "RETRIEVE_SESSION (%d)", in);
	r = luo_retrieve_fd(in, 32);
	check(r >= 0 && pread(r, got, sizeof(got), 0) == sizeof(got) &&
		      !memcmp(data, got, sizeof(data)),
	      "RETRIEVE_FD: the contents (%d)", r);
	check(ioctl(in, LIVEUPDATE_SESSION_FINISH, &big) == -1 &&
		      errno == E2BIG,
	      "the size rules: E2BIG for a non-zero byte past the struct");
	check(!luo_finish(in), "FINISH");
	printf("# %d checks, %d failed\n", checks, failures);
	return failures ? 1 : 0;
}
