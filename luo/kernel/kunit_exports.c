// SPDX-License-Identifier: GPL-2.0
/*
 * kunit_exports.c - the core's C API, exported to luo's KUnit module.
 *
 * DOC: Exports for tests
 *
 * The functions are defined in C++ (luo/core/capi.cpp), so the exports
 * cannot follow their definitions as kernel style asks; they are gathered
 * here instead.  EXPORT_SYMBOL_IF_KUNIT() exports them only in kernels
 * built with KUnit, into the EXPORTED_FOR_KUNIT_TESTING namespace: a
 * production kernel sees no symbol from luo.  Kernels without
 * <kunit/visibility.h> (6.1) do not build this file at all.
 */
#include <linux/export.h>
#include <kunit/visibility.h>

#include <luo/core.h>

EXPORT_SYMBOL_IF_KUNIT(luo_registry_new);
EXPORT_SYMBOL_IF_KUNIT(luo_registry_free);
EXPORT_SYMBOL_IF_KUNIT(luo_registry_count);
EXPORT_SYMBOL_IF_KUNIT(luo_registry_buckets);
EXPORT_SYMBOL_IF_KUNIT(luo_name_check);
EXPORT_SYMBOL_IF_KUNIT(luo_session_create);
EXPORT_SYMBOL_IF_KUNIT(luo_session_lookup);
EXPORT_SYMBOL_IF_KUNIT(luo_session_get);
EXPORT_SYMBOL_IF_KUNIT(luo_session_put);
EXPORT_SYMBOL_IF_KUNIT(luo_session_remove);
EXPORT_SYMBOL_IF_KUNIT(luo_session_name);
EXPORT_SYMBOL_IF_KUNIT(luo_session_dir);
