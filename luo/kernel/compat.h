/* SPDX-License-Identifier: GPL-2.0 */
/*
 * compat.h - the one place where kernel versions differ.
 *
 * Probed by feature (__has_include, defined macros), never by version
 * number, so a distribution backport is picked up as it is.  Nothing here
 * reaches the C++ core.
 */
#ifndef LUO_KERNEL_COMPAT_H
#define LUO_KERNEL_COMPAT_H

#include <linux/export.h>

/* EXPORT_SYMBOL_IF_KUNIT() appeared in 6.2; 6.1 exports nothing to tests. */
#if __has_include(<kunit/visibility.h>)
#include <kunit/visibility.h>
#endif
#ifndef EXPORT_SYMBOL_IF_KUNIT
#define EXPORT_SYMBOL_IF_KUNIT(sym)
#endif

#ifndef LUO_VERSION
#define LUO_VERSION "unknown"
#endif

#endif /* LUO_KERNEL_COMPAT_H */
