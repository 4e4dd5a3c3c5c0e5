// SPDX-License-Identifier: GPL-2.0
/*
 * handover.c - the reserved RAM range that carries the image across kexec.
 *
 * DOC: The handover range
 *
 * 6.1 and 6.12 have no Kexec HandOver, so the image travels in a physical
 * RAM range that every kernel in the chain keeps out of its allocator:
 * ``memmap=SIZE$ADDR`` on the kernel command line, the same on the kexec
 * command line.  The module is told the range by the ``handover_base`` and
 * ``handover_size`` parameters and refuses to load unless the range is
 * page aligned, not System RAM of this kernel, and, page by page, RAM in
 * the firmware's memory map (a memmap= over a hole is accepted by the
 * kernel and loses everything written to it) and reserved in the kernel's
 * own map: exactly what ``memmap=SIZE$ADDR`` makes of RAM, so a range the
 * firmware reserved for itself is refused.  After a kexec the firmware
 * map kexec-tools hands on (/sys/firmware/memmap) shows the range as RAM
 * again, and the new command line's memmap= reserves it again.  The range
 * is then claimed with request_mem_region() ("luo handover" in
 * /proc/iomem), so no other driver maps it.  Without the parameters luo
 * works within one kernel and says that handover is off.
 *
 * At load, an image found in the range is checked as a whole (magic, ABI,
 * lengths, checksum, every record) and decoded into incoming sessions that
 * point into the range.  Only once the load can no longer fail (the
 * device exists, luo_handover_commit()) is its header invalidated, so
 * that a later reboot cannot restore the same sessions again, while a
 * load that fails (a bad ``device=``) leaves the image to the next try.
 * No image (a cold boot) is the normal case; a corrupt, truncated or
 * incompatible one is rejected with one log line and the reason in the
 * status file, and nothing of it is restored.  So is an image older than
 * ``handover_max_age`` seconds (stale: the kernel in between did not load
 * luo, and whatever the sessions described has moved on), and the header
 * of a failed freeze, which the status file reports as "previous freeze
 * failed: <reason>".  A refused image stays in the range as it is.
 *
 * At kexec the reboot notifier serializes the outgoing sessions into the
 * range (freeze.c); the capacity every session and file reserved is the
 * range's size, so that step cannot run out of room.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/io.h>
#include <linux/ioport.h>
#include <linux/kernel.h>
#include <linux/ktime.h>
#include <linux/mm.h>
#include <linux/moduleparam.h>
#include <linux/sched.h>
#include <linux/sizes.h>
#include <linux/string.h>
#include <linux/timekeeping.h>
#include <asm/e820/api.h>

#include <luo/core.h>
#include "luo.h"

static unsigned long handover_base;
module_param(handover_base, ulong, 0444);
MODULE_PARM_DESC(
	handover_base,
	"physical address of the reserved handover range, as in memmap=SIZE$ADDR (default: 0, handover off)");

static unsigned long handover_size;
module_param(handover_size, ulong, 0444);
MODULE_PARM_DESC(
	handover_size,
	"bytes of the reserved handover range (default: 0, handover off)");

static unsigned int handover_max_age = 600;
module_param(handover_max_age, uint, 0444);
MODULE_PARM_DESC(
	handover_max_age,
	"seconds after its freeze an image may still be restored; older ones are refused as stale (default: 600, 0: no limit)");

struct luo_handover luo_handover;

/*
 * Is every page of [base, base + size) RAM in the firmware's map (a hole
 * has no entry at all)?  And reserved in the kernel's map, which is the
 * firmware's as memmap= changed it?  Both: the range is RAM a memmap=$
 * took out of the allocator.
 */
static bool luo_range_in_map(u64 base, u64 size, bool firmware)
{
	u64 p;

	for (p = base; p < base + size; p += PAGE_SIZE) {
		if (firmware ? !e820__mapped_raw_any(p, p + PAGE_SIZE,
						     E820_TYPE_RAM) :
			       !e820__mapped_any(p, p + PAGE_SIZE,
						 E820_TYPE_RESERVED))
			return false;
		if (!(p & (SZ_1G - 1)))
			cond_resched();
	}
	return true;
}

/* Is [base, base + size) a range memmap=$ reserved?  Says why not. */
static int luo_range_check(u64 base, u64 size)
{
	if (!PAGE_ALIGNED(base) || !PAGE_ALIGNED(size) || size < PAGE_SIZE ||
	    base + size < base) {
		pr_err("handover range %#llx+%#llx: base and size must be page aligned and non-zero\n",
		       base, size);
		return -EINVAL;
	}
	if (region_intersects(base, size, IORESOURCE_SYSTEM_RAM,
			      IORES_DESC_NONE) != REGION_DISJOINT) {
		pr_err("handover range %#llx+%#llx is not reserved: boot (and kexec) with memmap=%llu$%#llx\n",
		       base, size, size, base);
		return -EINVAL;
	}
	if (!luo_range_in_map(base, size, true)) {
		pr_err("handover range %#llx+%#llx is not RAM in the firmware memory map (a hole, or the firmware's own): writes there would be lost\n",
		       base, size);
		return -EINVAL;
	}
	if (!luo_range_in_map(base, size, false)) {
		pr_err("handover range %#llx+%#llx is not what memmap=%llu$%#llx reserves (the kernel's e820 map does not say reserved there)\n",
		       base, size, size, base);
		return -EINVAL;
	}
	return 0;
}

static int luo_handover_map(void)
{
	u64 base = handover_base, size = handover_size;
	int err;

	err = luo_range_check(base, size);
	if (err)
		return err;
	if (!request_mem_region(base, size, "luo handover")) {
		pr_err("handover range %#llx+%#llx is claimed by another driver (see /proc/iomem)\n",
		       base, size);
		return -EBUSY;
	}
	luo_handover.map = memremap(base, size, MEMREMAP_WB);
	if (!luo_handover.map) {
		pr_err("cannot map the handover range %#llx+%#llx\n", base,
		       size);
		release_mem_region(base, size);
		return -ENOMEM;
	}
	luo_handover.base = base;
	luo_handover.size = size;
	return 0;
}

/* Is the image of @info too old to restore?  Says why in last_error. */
static bool luo_image_stale(const struct luo_image_info *info)
{
	struct luo_handover *h = &luo_handover;
	time64_t now = ktime_get_real_seconds();

	h->image_age = now > info->wall_time ? now - info->wall_time : 0;
	if (!handover_max_age || h->image_age <= handover_max_age)
		return false;
	snprintf(h->last_error, sizeof(h->last_error),
		 "stale image: frozen %llu s ago, handover_max_age=%u",
		 h->image_age, handover_max_age);
	return true;
}

/* The header of a failed freeze: the previous kernel says why. */
static void luo_handover_freeze_failed(const struct luo_image_info *info)
{
	struct luo_handover *h = &luo_handover;

	h->state = "freeze failed";
	h->prev_freeze_us = info->freeze_us;
	snprintf(h->last_error, sizeof(h->last_error),
		 "previous freeze failed: %s", info->reason);
	pr_err("the previous kernel's freeze failed (%s): nothing to restore\n",
	       info->reason);
}

/* The image was decoded: take over its generation; the status and log. */
static void luo_handover_restored(const struct luo_image_info *info)
{
	struct luo_handover *h = &luo_handover;

	luo_state.generation = info->generation;
	h->state = "restored";
	h->prev_freeze_us = info->freeze_us;
	h->in_sessions = info->nsessions;
	h->in_bytes = info->total_len;
	h->in_files = info->nfiles;
	pr_info("restored generation %llu (frozen %llu s ago, taking %llu us): %llu session(s), %llu file(s), %llu bytes in %llu us\n",
		info->generation, h->image_age, info->freeze_us, h->in_sessions,
		h->in_files, h->in_bytes, h->restore_ns / 1000);
}

/*
 * Decode a checked image into incoming sessions.  While they point into
 * it, memory files' chunks stay clear of it.
 */
static int luo_handover_adopt(const struct luo_image_info *info)
{
	struct luo_handover *h = &luo_handover;
	int err;

	luo_pool_hold_incoming(luo_state.core, info->total_len);
	err = luo_incoming_adopt(h->map, h->last_error, sizeof(h->last_error));
	if (err)
		luo_pool_hold_incoming(luo_state.core, 0);
	return err;
}

/* Decode an image left in the range by the previous kernel, if any. */
static void luo_handover_restore(void)
{
	struct luo_handover *h = &luo_handover;
	struct luo_image_info info = {};
	ktime_t t0 = ktime_get();
	int err;

	err = luo_image_check(h->map, h->size, &info, h->last_error,
			      sizeof(h->last_error));
	if (err == -ENOENT) {
		h->state = "no image";
		h->last_error[0] = '\0';
		return;
	}
	if (err == -ECANCELED) {
		luo_handover_freeze_failed(&info);
		return;
	}
	if (!err && luo_image_stale(&info)) {
		h->state = "stale";
		pr_err("incoming image refused: %s; nothing restored\n",
		       h->last_error);
		return;
	}
	if (!err)
		err = luo_handover_adopt(&info);
	h->restore_ns = ktime_to_ns(ktime_sub(ktime_get(), t0));
	if (err) {
		h->state = "rejected";
		pr_err("incoming image rejected (%d): %s; nothing restored\n",
		       err, h->last_error);
		return;
	}
	luo_handover_restored(&info);
}

/**
 * luo_handover_commit() - the load can no longer fail: consume the image.
 *
 * A later reboot must not restore the same sessions again, so a restored
 * image's magic is cleared (its records stay: incoming sessions point
 * into them).  Until this point a failed load leaves the image in place.
 */
void luo_handover_commit(void)
{
	if (luo_handover.map && !strcmp(luo_handover.state, "restored"))
		luo_image_invalidate(luo_handover.map);
}

/**
 * luo_handover_init() - check and map the range; restore what it holds.
 *
 * Return: 0 (also when handover is off) or -errno (refuse to load).
 */
int luo_handover_init(void)
{
	int err;

	if (!handover_base && !handover_size) {
		luo_handover.state = "off";
		return 0;
	}
	err = luo_handover_map();
	if (err)
		return err;
	/* The image and the memory files' chunks share the range. */
	err = luo_core_set_range(
		luo_state.core, luo_handover.size,
		ALIGN(luo_handover.base, SZ_2M) - luo_handover.base,
		ALIGN(luo_handover.base, SZ_1G) - luo_handover.base);
	if (err) {
		luo_handover_exit();
		return err;
	}
	luo_handover_restore();
	return 0;
}

/**
 * luo_handover_exit() - unmap the range.
 *
 * The caller has dropped every incoming session (they point into it).
 */
void luo_handover_exit(void)
{
	if (luo_handover.map) {
		memunmap(luo_handover.map);
		release_mem_region(luo_handover.base, luo_handover.size);
	}
	luo_handover.map = NULL;
}
