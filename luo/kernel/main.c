// SPDX-License-Identifier: GPL-2.0
/*
 * main.c - module entry and exit of luo, the Live Update Orchestrator.
 *
 * DOC: Module lifecycle
 *
 * Loading luo creates the session registry (the C++ core), maps the
 * handover range and restores the incoming sessions it holds
 * (luo_core_init()), registers the reboot notifier, gives the range's
 * chunks struct pages and /dev/liveupdate_mem, and then the device node,
 * in that order, so that
 * userspace never sees a device whose state is not ready.  Only then, when
 * nothing can fail any more, is the incoming image marked consumed: a
 * load that fails leaves it for the next one.  Unloading does the
 * reverse.  A module with open
 * session files cannot be unloaded: every session file holds a reference
 * on the module through its file_operations owner.
 *
 * Parameters are read-only after load (0444): they describe the machine
 * the module was loaded on, not something to change while sessions exist.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/init.h>
#include <linux/module.h>
#include <linux/moduleparam.h>

#include <luo/core.h>
#include "compat.h"
#include "luo.h"

struct luo_state luo_state;

static char *device = "liveupdate";
module_param(device, charp, 0444);
MODULE_PARM_DESC(device,
		 "name of the device node under /dev (default: liveupdate)");

static unsigned long capacity = 256UL << 20;
module_param(capacity, ulong, 0444);
MODULE_PARM_DESC(
	capacity,
	"bytes of handover image that sessions and preserved files may reserve when handover is off (with a range, its size); beyond it CREATE_SESSION and PRESERVE_FD fail with ENOSPC (default: 268435456)");

static bool test_hooks;
module_param(test_hooks, bool, 0444);
MODULE_PARM_DESC(
	test_hooks,
	"expose debugfs luo/roundtrip, which serializes outgoing sessions and decodes them as incoming ones in the same kernel; for tests only (default: false)");

/*
 * The first steps of the load: the core, the handover range with the
 * previous kernel's image decoded into incoming sessions, the capacity.
 */
static int __init luo_core_init(void)
{
	int err;

	if (capacity < luo_image_header_cost()) {
		pr_err("capacity=%lu: below the image header's %llu bytes\n",
		       capacity, luo_image_header_cost());
		return -EINVAL;
	}
	err = luo_core_new(&luo_kernel_ops, luo_handlers, luo_nhandlers,
			   &luo_state.core);
	if (err)
		return err;
	err = luo_handover_init();
	if (err) {
		luo_core_free(luo_state.core);
		return err;
	}
	/* With a range, its size is the capacity (set by handover.c). */
	luo_state.capacity = luo_handover.map ? luo_handover.size : capacity;
	if (!luo_handover.map)
		luo_core_set_capacity(luo_state.core,
				      capacity - luo_image_header_cost());
	return 0;
}

static int __init luo_init(void)
{
	int err;

	luo_state.devname = device;
	err = luo_core_init();
	if (err)
		return err;
	err = luo_freeze_init(test_hooks);
	if (err)
		goto out_core;
	err = luo_mem_init();
	if (err)
		goto out_freeze;
	err = luo_dev_init();
	if (err)
		goto out_mem;
	/* Nothing can fail from here on: the image is consumed. */
	luo_handover_commit();
	pr_info("version %s ready on /dev/%s (handover %s)\n", LUO_VERSION,
		device, luo_handover.state);
	return 0;

out_mem:
	luo_mem_exit();
out_freeze:
	luo_freeze_exit();
out_core:
	luo_discard_incoming(luo_state.core);
	luo_handover_exit();
	luo_core_free(luo_state.core);
	return err;
}

static void __exit luo_exit(void)
{
	luo_dev_exit();
	luo_memfd_exit();
	luo_mem_exit();
	luo_freeze_exit();
	luo_handover_exit();
	luo_core_free(luo_state.core);
}

module_init(luo_init);
module_exit(luo_exit);

MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("Live Update Orchestrator: keep files across kexec");
MODULE_VERSION(LUO_VERSION);
