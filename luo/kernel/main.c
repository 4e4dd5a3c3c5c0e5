// SPDX-License-Identifier: GPL-2.0
/*
 * main.c - module entry and exit of luo, the Live Update Orchestrator.
 *
 * DOC: Module lifecycle
 *
 * Loading luo creates the session registry (the C++ core) and then the
 * device node, in that order, so that userspace never sees a device whose
 * state is not ready.  Unloading does the reverse.  A module with open
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

static int __init luo_init(void)
{
	int err;

	luo_state.devname = device;
	err = luo_registry_new(&luo_state.registry);
	if (err)
		return err;
	err = luo_dev_init();
	if (err) {
		luo_registry_free(luo_state.registry);
		return err;
	}
	pr_info("version %s ready on /dev/%s (handover off)\n", LUO_VERSION,
		device);
	return 0;
}

static void __exit luo_exit(void)
{
	luo_dev_exit();
	luo_registry_free(luo_state.registry);
}

module_init(luo_init);
module_exit(luo_exit);

MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("Live Update Orchestrator: keep files across kexec");
MODULE_VERSION(LUO_VERSION);
