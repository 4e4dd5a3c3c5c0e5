/* SPDX-License-Identifier: GPL-2.0 */
/*
 * luo_fail_nth.h - the kernel's fault injection, for luo's guest tests:
 * make the n-th allocation of the next call fail.
 *
 * /proc/thread-self/fail-nth counts every allocation that may fail,
 * those allowed to fail too (KASAN's and kmemleak's bookkeeping, a slab
 * falling back to a smaller page): an operation may succeed at a fault it
 * reached.
 */
#ifndef LUO_TESTS_VM_FAIL_NTH_H
#define LUO_TESTS_VM_FAIL_NTH_H

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#define LUO_FAIL_NTH "/proc/thread-self/fail-nth"

/*
 * Fault injection for every allocation that may sleep, without the log
 * lines (and stack dumps) of each fault.  Returns a descriptor of this
 * thread's fail-nth, or -1 where the kernel has no fault injection.
 */
static inline int luo_fail_nth_open(void)
{
	int st = system("for d in /sys/kernel/debug/failslab "
			"/sys/kernel/debug/fail_page_alloc; do "
			"echo N > $d/ignore-gfp-wait && echo 0 > $d/verbose || "
			"exit 1; done 2>/dev/null; echo 0 > /sys/kernel/debug/"
			"fail_page_alloc/min-order");

	if (!WIFEXITED(st) || WEXITSTATUS(st))
		return -1;
	return open(LUO_FAIL_NTH, O_RDWR);
}

/*
 * Arm the @n-th fault of the next calls (0: disarm), through @fd: opening
 * or closing the file between the write and the call would use up the
 * count.  Returns what was left of the previous count: 0 if its fault
 * was injected, -1 if it cannot be read.
 */
static inline int luo_fail_nth(int fd, int n)
{
	char buf[16] = "";
	int len, left = -1;

	if (pread(fd, buf, sizeof(buf) - 1, 0) > 0)
		left = atoi(buf);
	len = snprintf(buf, sizeof(buf), "%d", n);
	if (pwrite(fd, buf, len, 0) != len)
		perror(LUO_FAIL_NTH);
	return left;
}

#endif /* LUO_TESTS_VM_FAIL_NTH_H */
