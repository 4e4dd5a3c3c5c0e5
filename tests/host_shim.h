/* SPDX-License-Identifier: GPL-2.0 */
/* host_shim.h - test controls of the userspace shim (tests/host_shim.cpp). */
#ifndef LUO_TESTS_HOST_SHIM_H
#define LUO_TESTS_HOST_SHIM_H

/* Make the n-th allocation from now fail (1 = the next); 0 disarms. */
void host_shim_fail_nth_alloc(int n);
/* Allocations made and not yet freed through the shim. */
long host_shim_live_allocs(void);
/* Lines logged through luo_shim_log() since the start. */
int host_shim_log_lines(void);

#endif
