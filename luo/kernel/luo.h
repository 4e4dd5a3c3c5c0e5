/* SPDX-License-Identifier: GPL-2.0 */
/*
 * luo.h - internal interfaces of luo's C layer.
 *
 * Locks of luo, outermost first (documented here, where they are
 * declared, and asserted with lockdep where they are relied on):
 *
 *   luo_dev.open_lock     serializes open/release of the device node; a
 *                         leaf, never held while calling into the core.
 *   (sessions issue)      serialize rwsem -> table mutex -> session mutex;
 *                         the table and session mutexes are created by the
 *                         core through luo_shim_mutex_create(), one lockdep
 *                         class per kind (luo/kernel/shim.c).
 */
#ifndef LUO_KERNEL_LUO_H
#define LUO_KERNEL_LUO_H

#include <linux/types.h>

struct luo_registry;

/**
 * struct luo_state - the module's global state.
 * @registry: all sessions, outgoing and incoming (the C++ core).
 * @devname: name of the misc device node (module parameter).
 */
struct luo_state {
	struct luo_registry *registry;
	const char *devname;
};

extern struct luo_state luo_state;

int luo_dev_init(void);
void luo_dev_exit(void);

#endif /* LUO_KERNEL_LUO_H */
