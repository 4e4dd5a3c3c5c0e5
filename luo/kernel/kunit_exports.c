// SPDX-License-Identifier: GPL-2.0
/*
 * kunit_exports.c - what luo's KUnit module calls: the core's C API and
 * the C layer's session, file and freeze entry points.
 *
 * DOC: Exports for tests
 *
 * Many of the functions are defined in C++ (luo/core/capi.cpp), so their
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
EXPORT_SYMBOL_IF_KUNIT(luo_registry_reserved);
EXPORT_SYMBOL_IF_KUNIT(luo_session_nfiles);
EXPORT_SYMBOL_IF_KUNIT(luo_discard_incoming);
EXPORT_SYMBOL_IF_KUNIT(luo_discard_unretrieved);
EXPORT_SYMBOL_IF_KUNIT(luo_session_lock);
EXPORT_SYMBOL_IF_KUNIT(luo_session_unlock);
EXPORT_SYMBOL_IF_KUNIT(luo_session_discarded);
EXPORT_SYMBOL_IF_KUNIT(luo_session_set_retrieved);
EXPORT_SYMBOL_IF_KUNIT(luo_state);
EXPORT_SYMBOL_IF_KUNIT(luo_mutation_begin);
EXPORT_SYMBOL_IF_KUNIT(luo_mutation_begin_interruptible);
EXPORT_SYMBOL_IF_KUNIT(luo_mutation_end);
EXPORT_SYMBOL_IF_KUNIT(luo_session_create_file);
EXPORT_SYMBOL_IF_KUNIT(luo_session_retrieve_file);
EXPORT_SYMBOL_IF_KUNIT(luo_file_preserve_file);
EXPORT_SYMBOL_IF_KUNIT(luo_file_retrieve);
EXPORT_SYMBOL_IF_KUNIT(luo_file_finish_session);
EXPORT_SYMBOL_IF_KUNIT(luo_incoming_maybe_release);
EXPORT_SYMBOL_IF_KUNIT(luo_test_serialize);
EXPORT_SYMBOL_IF_KUNIT(luo_test_thaw);
EXPORT_SYMBOL_IF_KUNIT(luo_test_deserialize);
EXPORT_SYMBOL_IF_KUNIT(luo_image_seal);
EXPORT_SYMBOL_IF_KUNIT(luo_image_check);
EXPORT_SYMBOL_IF_KUNIT(luo_deserialize);
EXPORT_SYMBOL_IF_KUNIT(luo_image_header_cost);
EXPORT_SYMBOL_IF_KUNIT(luo_freeze);
EXPORT_SYMBOL_IF_KUNIT(luo_freeze_abort);
