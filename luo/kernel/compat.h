/* SPDX-License-Identifier: GPL-2.0 */
/*
 * compat.h - the one place where kernel versions differ.
 *
 * Differences are probed by feature (in Kbuild, by the headers a kernel
 * has), never by version number, so a distribution backport is picked up
 * as it is.  Nothing here reaches the C++ core.  So far the only one is
 * EXPORT_SYMBOL_IF_KUNIT() (6.2+), handled in Kbuild by building
 * kunit_exports.c and the KUnit module only where it exists.
 */
#ifndef LUO_KERNEL_COMPAT_H
#define LUO_KERNEL_COMPAT_H

#ifndef LUO_VERSION
#define LUO_VERSION "unknown"
#endif

#endif /* LUO_KERNEL_COMPAT_H */
