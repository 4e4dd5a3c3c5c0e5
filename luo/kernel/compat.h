/* SPDX-License-Identifier: GPL-2.0 */
/*
 * compat.h - the one place where kernel versions differ.
 *
 * Differences are probed by feature (in Kbuild, by the headers a kernel
 * has), never by version number, so a distribution backport is picked up
 * as it is.  Nothing here reaches the C++ core.  EXPORT_SYMBOL_IF_KUNIT()
 * (6.2+) is handled in Kbuild, by building kunit_exports.c and the KUnit
 * module only where it exists; the rest is below.
 */
#ifndef LUO_KERNEL_COMPAT_H
#define LUO_KERNEL_COMPAT_H

#include <linux/fcntl.h>

/* F_SEAL_EXEC appeared in 6.3: a kernel without it never sets it. */
#ifdef F_SEAL_EXEC
#define LUO_F_SEAL_EXEC F_SEAL_EXEC
#else
#define LUO_F_SEAL_EXEC 0
#endif

#ifndef LUO_VERSION
#define LUO_VERSION "unknown"
#endif

#endif /* LUO_KERNEL_COMPAT_H */
