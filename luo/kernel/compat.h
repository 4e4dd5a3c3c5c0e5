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

/*
 * vm_flags became read-only, set through vm_flags_set(), in 6.3
 * (LUO_HAVE_VM_FLAGS_SET, probed in Kbuild).
 */
#ifdef LUO_HAVE_VM_FLAGS_SET
#define luo_vm_flags_set(vma, flags) vm_flags_set(vma, flags)
#else
#define luo_vm_flags_set(vma, flags) ((vma)->vm_flags |= (flags))
#endif

/*
 * ->setattr() takes a struct mnt_idmap from 6.3, a struct user_namespace
 * before (LUO_HAVE_MNT_IDMAP).
 *
 * Huge entries in a VM_MIXEDMAP mapping's faults came with the huge
 * pfnmap work of 6.12, probed by its pmd_special() (LUO_HAVE_HUGE_PFNMAP,
 * used in mem.c, which also relies on what 6.12 has: ->huge_fault() with
 * an order, mm_get_unmapped_area()).
 */
#ifdef LUO_HAVE_MNT_IDMAP
#define LUO_SETATTR_ARGS \
	struct mnt_idmap *idmap, struct dentry *dentry, struct iattr *attr
#define LUO_SETATTR_PASS idmap
#else
#define LUO_SETATTR_ARGS \
	struct user_namespace *userns, struct dentry *dentry, struct iattr *attr
#define LUO_SETATTR_PASS userns
#endif

#ifndef LUO_VERSION
#define LUO_VERSION "unknown"
#endif

#endif /* LUO_KERNEL_COMPAT_H */
