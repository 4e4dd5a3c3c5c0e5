// SPDX-License-Identifier: GPL-2.0
/*
 * kunit_exports.c - what luo's KUnit module calls: the core's C API and
 * the C layer's session, file and freeze entry points.
 *
 * DOC: Exports for tests
 *
 * Many of the functions are defined in C++ (luo/core/), so their
 * exports cannot follow their definitions as kernel style asks; all the
 * exports for tests are gathered here instead.  EXPORT_SYMBOL_IF_KUNIT() exports them only in kernels
 * built with KUnit, into the EXPORTED_FOR_KUNIT_TESTING namespace: a
 * production kernel sees no symbol from luo.  Kernels without
 * <kunit/visibility.h> (6.1) do not build this file at all.
 */
#include <linux/export.h>
#include <kunit/visibility.h>

#include <luo/core.h>
#include "luo.h"

EXPORT_SYMBOL_IF_KUNIT(luo_core_new);
EXPORT_SYMBOL_IF_KUNIT(luo_core_free);
EXPORT_SYMBOL_IF_KUNIT(luo_core_sessions);
EXPORT_SYMBOL_IF_KUNIT(luo_core_list);
EXPORT_SYMBOL_IF_KUNIT(luo_core_counts);
EXPORT_SYMBOL_IF_KUNIT(luo_close_session);
EXPORT_SYMBOL_IF_KUNIT(luo_core_freeze);
EXPORT_SYMBOL_IF_KUNIT(luo_unfreeze_all);
EXPORT_SYMBOL_IF_KUNIT(luo_deserialize);
EXPORT_SYMBOL_IF_KUNIT(luo_session_name);
EXPORT_SYMBOL_IF_KUNIT(luo_session_dir);
EXPORT_SYMBOL_IF_KUNIT(luo_discard_incoming);
EXPORT_SYMBOL_IF_KUNIT(luo_discard_unretrieved);
EXPORT_SYMBOL_IF_KUNIT(luo_state);
EXPORT_SYMBOL_IF_KUNIT(luo_mutation_begin);
EXPORT_SYMBOL_IF_KUNIT(luo_mutation_begin_interruptible);
EXPORT_SYMBOL_IF_KUNIT(luo_mutation_end);
EXPORT_SYMBOL_IF_KUNIT(luo_create_session);
EXPORT_SYMBOL_IF_KUNIT(luo_retrieve_session);
EXPORT_SYMBOL_IF_KUNIT(luo_preserve_fd);
EXPORT_SYMBOL_IF_KUNIT(luo_retrieve_fd);
EXPORT_SYMBOL_IF_KUNIT(luo_finish);
EXPORT_SYMBOL_IF_KUNIT(luo_incoming_maybe_release);
EXPORT_SYMBOL_IF_KUNIT(luo_test_serialize);
EXPORT_SYMBOL_IF_KUNIT(luo_test_thaw);
EXPORT_SYMBOL_IF_KUNIT(luo_test_deserialize);
EXPORT_SYMBOL_IF_KUNIT(luo_image_seal);
EXPORT_SYMBOL_IF_KUNIT(luo_image_check);
EXPORT_SYMBOL_IF_KUNIT(luo_image_header_cost);
EXPORT_SYMBOL_IF_KUNIT(luo_freeze);
EXPORT_SYMBOL_IF_KUNIT(luo_freeze_abort);
