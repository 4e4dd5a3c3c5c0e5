// SPDX-License-Identifier: GPL-2.0
/*
 * mem.c - /dev/liveupdate_mem: memory files whose pages are the handover
 * range.
 *
 * DOC: Memory files, kernel side
 *
 * A memfd's pages come from the buddy allocator, which the next kernel
 * reuses, so a memfd can only cross a kexec by being copied.  A memory
 * file's pages are chunks of the reserved handover range, which no kernel
 * of the chain gives to its allocator: preserving one hands the pages over
 * where they are.  The core (luo/core/pool.cpp) decides which chunks a
 * file gets and what its record says; this file does what needs the
 * kernel:
 *
 * - At load, memremap_pages() gives the range's whole 2 MiB chunks struct
 *   pages (ZONE_DEVICE, MEMORY_DEVICE_GENERIC, as device-dax), so that
 *   get_user_pages() works on a mapping: process_vm_readv(), O_DIRECT,
 *   vmsplice, VFIO.  The chunks are then in the kernel's direct map too.
 * - LIVEUPDATE_MEM_CREATE takes chunks from the core, zeroes them, and
 *   returns a file of a private pseudo filesystem (so that
 *   /proc/self/fd/N can be opened again): a regular inode of a fixed size
 *   whose i_private is the core's luo_memfile.
 * - mmap(MAP_SHARED) inserts the chunks' pfns as devmap entries: 1 GiB
 *   or 2 MiB at a time where the mapping, the file offset and the
 *   physical memory line up (the mapping is placed so that they do) and
 *   the kernel allows it (LUO_MEM_HUGE), else 4 KiB; read and write copy
 *   through the direct map.
 * - The last reference to the file evicts its inode, which gives the
 *   chunks back (luo_memfile_free()).  While the file is preserved luo
 *   holds a reference, so that cannot happen before the kexec.  But a
 *   page can outlive its file: get_user_pages() took a reference through
 *   a mapping (a vmsplice into a pipe, an O_DIRECT in flight, a device's
 *   pin), and the mapping went.  Such a file's chunks are held back, and
 *   looked at again every second, until no page of them is referenced:
 *   they never reach another file while someone can still read or write
 *   them.  luo stays loaded meanwhile (the pages' struct pages are its).
 * - Their handler, "luomem-v1", is the core's: it writes the record at
 *   the freeze and, in the next kernel, claims the chunks at load and, at
 *   RETRIEVE_FD, asks luo_memfile_open() for a file over them: nothing
 *   is copied or zeroed.  luo_memfile_of_file() tells it which files are
 *   memory files.
 *
 * Without CONFIG_ZONE_DEVICE, or without a range, there is no device and
 * no memory file.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/compat.h>
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/memremap.h>
#include <linux/miscdevice.h>
#include <linux/mm.h>
#include <linux/mman.h>
#include <linux/module.h>
#include <linux/mount.h>
#include <linux/pfn_t.h>
#include <linux/pseudo_fs.h>
#include <linux/sched/mm.h>
#include <linux/sched/signal.h>
#include <linux/sizes.h>
#include <linux/uaccess.h>
#include <linux/uio.h>
#include <linux/workqueue.h>
#include <uapi/linux/liveupdate_mem.h>

#include <luo/core.h>
#include "compat.h"
#include "luo.h"

static char *mem_device = "liveupdate_mem";
module_param(mem_device, charp, 0444);
MODULE_PARM_DESC(
	mem_device,
	"name of the memory file device under /dev, present when a handover range is configured (default: liveupdate_mem)");

#if IS_ENABLED(CONFIG_ZONE_DEVICE)

#define LUO_MEM_MAGIC 0x4c554f4d /* "LUOM" */

/**
 * struct luo_mem - the kernel side of the pool.
 * @pgmap: struct pages for the chunks (ZONE_DEVICE).
 * @virt: the chunks in the direct map, from memremap_pages().
 * @first: offset of the first chunk in the range.
 * @mnt: the pseudo filesystem of memory files' inodes.
 * @misc: /dev/<mem_device>.
 * @up: all of the above exists.
 * @held_lock: protects @held and @nheld; taken before the pool's lock
 *	(luo_memfile_free()), never inside any other luo lock.
 * @held: closed memory files a page of which is still referenced, their
 *	chunks held back from the pool (struct luo_mem_inode.held).
 * @nheld: how many; while not 0 luo holds a module reference.
 * @reap: looks at @held again every second while it is not empty.
 *
 * Set up at load and torn down at unload; a memory file holds a module
 * reference, and so does a non-empty @held, so none exists at unload.
 */
struct luo_mem {
	struct dev_pagemap pgmap;
	u8 *virt;
	u64 first;
	struct vfsmount *mnt;
	struct miscdevice misc;
	bool up;
	struct mutex held_lock;
	struct list_head held;
	unsigned long nheld;
	struct delayed_work reap;
};

/**
 * struct luo_mem_inode - what a memory file's inode points to.
 * @m: the core's memory file: its chunks.
 * @held: on luo_mem.held once the file is gone and a page is not.
 *
 * Allocated with the file, so that its eviction allocates nothing.
 */
struct luo_mem_inode {
	struct luo_memfile *m;
	struct list_head held;
};

static struct luo_mem luo_mem;

static const struct file_operations luo_mem_file_fops;

/* Where a range offset inside a chunk is, in the kernel's direct map. */
static void *luo_mem_virt(u64 range_off)
{
	return luo_mem.virt + (range_off - luo_mem.first);
}

static struct luo_memfile *luo_memfile_of(struct file *file)
{
	struct luo_mem_inode *mi = file_inode(file)->i_private;

	return mi->m;
}

static vm_fault_t luo_mem_fault(struct vm_fault *vmf)
{
	struct luo_memfile *m = luo_memfile_of(vmf->vma->vm_file);
	u64 off;

	if (!luo_memfile_locate(m, (u64)vmf->pgoff << PAGE_SHIFT, &off))
		return VM_FAULT_SIGBUS;
	return vmf_insert_mixed(vmf->vma, vmf->address,
				phys_to_pfn_t(luo_handover.base + off,
					      PFN_DEV | PFN_MAP));
}

/*
 * Huge entries (LUO_MEM_HUGE) need a kernel that lets a VM_MIXEDMAP
 * mapping take them in a fault (6.12).  6.1 refuses them to any
 * VM_SPECIAL mapping, and the way around that, S_DAX, would make the file
 * fsdax, which FOLL_LONGTERM pins (VFIO) refuse: there every entry is
 * 4 KiB.
 */
#if defined(CONFIG_TRANSPARENT_HUGEPAGE) && defined(LUO_HAVE_HUGE_PFNMAP)
#define LUO_MEM_HUGE 1
#define LUO_MEM_HUGE_PUD IS_ENABLED(CONFIG_HAVE_ARCH_TRANSPARENT_HUGEPAGE_PUD)

/*
 * Where the @size-aligned block of the mapping around the fault lies in
 * one extent of the file at a @size-aligned physical address, its pfn;
 * else false, and the fault falls back to a smaller entry.
 */
static bool luo_mem_huge_pfn(struct vm_fault *vmf, unsigned long size,
			     pfn_t *pfn)
{
	struct vm_area_struct *vma = vmf->vma;
	unsigned long addr = ALIGN_DOWN(vmf->address, size);
	u64 pos, off;

	if (addr < vma->vm_start || addr + size > vma->vm_end)
		return false;
	pos = ((u64)vma->vm_pgoff << PAGE_SHIFT) + (addr - vma->vm_start);
	if (!IS_ALIGNED(pos, size) ||
	    luo_memfile_locate(luo_memfile_of(vma->vm_file), pos, &off) <
		    size ||
	    !IS_ALIGNED(luo_handover.base + off, size))
		return false;
	*pfn = phys_to_pfn_t(luo_handover.base + off, PFN_DEV | PFN_MAP);
	return true;
}

/*
 * 2 MiB entries where the mapping, the file offset and the chunk line
 * up; 1 GiB entries where they line up with a 1 GiB boundary of physical
 * memory, at which the pool starts files of 1 GiB or more when it can
 * (include/luo/pool.h).
 */
static vm_fault_t luo_mem_huge_fault(struct vm_fault *vmf, unsigned int order)
{
	bool write = vmf->flags & FAULT_FLAG_WRITE;
	pfn_t pfn;

	if (order == PMD_ORDER && luo_mem_huge_pfn(vmf, PMD_SIZE, &pfn))
		return vmf_insert_pfn_pmd(vmf, pfn, write);
#if LUO_MEM_HUGE_PUD
	if (order == PUD_ORDER && luo_mem_huge_pfn(vmf, PUD_SIZE, &pfn))
		return vmf_insert_pfn_pud(vmf, pfn, write);
#endif
	return VM_FAULT_FALLBACK;
}

/*
 * A mapping that holds a whole 1 GiB-aligned GiB of the file gets an
 * address congruent to its file offset modulo 1 GiB: the unmapped area is
 * asked for 1 GiB more than the mapping and trimmed.  Anything else, or no
 * such area, is left to thp_get_unmapped_area() (2 MiB).
 */
static unsigned long luo_mem_get_unmapped_area(struct file *file,
					       unsigned long addr,
					       unsigned long len,
					       unsigned long pgoff,
					       unsigned long flags)
{
	u64 off = (u64)pgoff << PAGE_SHIFT;
	unsigned long got;

	if (LUO_MEM_HUGE_PUD && !addr && !(flags & MAP_FIXED) &&
	    !in_compat_syscall() && len <= TASK_SIZE - PUD_SIZE &&
	    round_up(off, PUD_SIZE) + PUD_SIZE <= off + len) {
		got = mm_get_unmapped_area(current->mm, file, 0, len + PUD_SIZE,
					   pgoff, flags);
		if (!IS_ERR_VALUE(got))
			return got + ((off - got) & (PUD_SIZE - 1));
	}
	return thp_get_unmapped_area(file, addr, len, pgoff, flags);
}
#else
#define LUO_MEM_HUGE 0
#define LUO_MEM_HUGE_PUD 0
#define luo_mem_get_unmapped_area NULL
#endif

/**
 * luo_mem_page_sizes() - the entries a memory file's mapping can have.
 *
 * Return: "4K", "4K 2M" or "4K 2M 1G", for the status file.
 */
const char *luo_mem_page_sizes(void)
{
	if (!LUO_MEM_HUGE)
		return "4K";
	return LUO_MEM_HUGE_PUD ? "4K 2M 1G" : "4K 2M";
}

static const struct vm_operations_struct luo_mem_vm_ops = {
	.fault = luo_mem_fault,
#if LUO_MEM_HUGE
	.huge_fault = luo_mem_huge_fault,
#endif
};

static int luo_mem_mmap(struct file *file, struct vm_area_struct *vma)
{
	/* The pages are the range's: a private copy has nowhere to live. */
	if (!(vma->vm_flags & VM_SHARED))
		return -EINVAL;
	file_accessed(file);
	vma->vm_ops = &luo_mem_vm_ops;
	/*
	 * VM_MIXEDMAP: the entries are devmap pfns whose pages nobody
	 * refcounts per mapping, so unmapping must not put them (what
	 * vma_is_special_huge() decides for a 2 MiB entry).
	 */
	luo_vm_flags_set(vma, VM_MIXEDMAP | (LUO_MEM_HUGE ? VM_HUGEPAGE : 0));
	return 0;
}

/* Copy between the file and @iter, within its size. */
static ssize_t luo_mem_copy(struct kiocb *iocb, struct iov_iter *iter,
			    bool write)
{
	struct luo_memfile *m = luo_memfile_of(iocb->ki_filp);
	u64 size = luo_memfile_length(m);
	ssize_t done = 0;

	while (iov_iter_count(iter) && iocb->ki_pos < size) {
		u64 off, n = luo_memfile_locate(m, iocb->ki_pos, &off);
		size_t want =
			min_t(u64, min_t(u64, n, SZ_2M), iov_iter_count(iter));
		size_t got =
			write ? copy_from_iter(luo_mem_virt(off), want, iter) :
				copy_to_iter(luo_mem_virt(off), want, iter);

		iocb->ki_pos += got;
		done += got;
		if (got < want)
			return done ? done : -EFAULT;
		cond_resched();
	}
	/* Its size is fixed: a write at or past the end has no room. */
	if (write && !done && iov_iter_count(iter))
		return -ENOSPC;
	return done;
}

static ssize_t luo_mem_read_iter(struct kiocb *iocb, struct iov_iter *to)
{
	return luo_mem_copy(iocb, to, false);
}

static ssize_t luo_mem_write_iter(struct kiocb *iocb, struct iov_iter *from)
{
	if (iocb->ki_flags & IOCB_APPEND)
		iocb->ki_pos = i_size_read(file_inode(iocb->ki_filp));
	return luo_mem_copy(iocb, from, true);
}

static const struct file_operations luo_mem_file_fops = {
	.owner = THIS_MODULE,
	.mmap = luo_mem_mmap,
	.read_iter = luo_mem_read_iter,
	.write_iter = luo_mem_write_iter,
	.llseek = generic_file_llseek,
	.fsync = noop_fsync,
	/* Aligned where it can be, so that huge entries fit. */
	.get_unmapped_area = luo_mem_get_unmapped_area,
};

/* The size is fixed: ftruncate() to another size is EPERM. */
static int luo_mem_setattr(LUO_SETATTR_ARGS)
{
	struct inode *inode = d_inode(dentry);

	if ((attr->ia_valid & ATTR_SIZE) && attr->ia_size != inode->i_size)
		return -EPERM;
	attr->ia_valid &= ~ATTR_SIZE;
	return simple_setattr(LUO_SETATTR_PASS, dentry, attr);
}

static const struct inode_operations luo_mem_iops = {
	.setattr = luo_mem_setattr,
};

/*
 * Is a page of @m referenced by anything but its struct page's own count
 * (1 for a ZONE_DEVICE page of MEMORY_DEVICE_GENERIC)?  No mapping of the
 * file is left, so what holds one got it through get_user_pages().
 */
static bool luo_mem_referenced(struct luo_memfile *m)
{
	u64 pos, n, i, size = luo_memfile_length(m);

	for (pos = 0; pos < size; pos += n) {
		u64 off;

		n = luo_memfile_locate(m, pos, &off);
		for (i = 0; i < n; i += PAGE_SIZE) {
			phys_addr_t pa = luo_handover.base + off + i;

			if (page_ref_count(pfn_to_page(PHYS_PFN(pa))) != 1)
				return true;
			if (IS_ALIGNED(i + PAGE_SIZE, SZ_2M))
				cond_resched();
		}
	}
	return false;
}

/* Give back the chunks of held files nothing references any more. */
static void luo_mem_reap(struct work_struct *work)
{
	struct luo_mem_inode *mi, *next;
	bool empty;

	mutex_lock(&luo_mem.held_lock);
	list_for_each_entry_safe(mi, next, &luo_mem.held, held) {
		if (luo_mem_referenced(mi->m))
			continue;
		list_del(&mi->held);
		luo_mem.nheld--;
		luo_memfile_free(mi->m);
		kfree(mi);
	}
	empty = !luo_mem.nheld;
	if (!empty)
		schedule_delayed_work(&luo_mem.reap, HZ);
	mutex_unlock(&luo_mem.held_lock);
	/* The last thing: luo_mem_exit() waits for this work to return. */
	if (empty)
		module_put(THIS_MODULE);
}

static void luo_mem_evict_inode(struct inode *inode)
{
	struct luo_mem_inode *mi = inode->i_private;

	truncate_inode_pages_final(&inode->i_data);
	clear_inode(inode);
	if (!mi)
		return; /* luo_mem_file_new() failed: its caller frees */
	if (!luo_mem_referenced(mi->m)) {
		luo_memfile_free(mi->m);
		kfree(mi);
		return;
	}
	mutex_lock(&luo_mem.held_lock);
	list_add_tail(&mi->held, &luo_mem.held);
	/* The file still holds luo: this reference keeps it for @held. */
	if (!luo_mem.nheld++) {
		__module_get(THIS_MODULE);
		schedule_delayed_work(&luo_mem.reap, HZ);
	}
	mutex_unlock(&luo_mem.held_lock);
}

/**
 * luo_mem_held_files() - closed memory files whose chunks wait for a page
 * reference to go (the status file's pool_held_files).
 *
 * Return: how many.
 */
unsigned long luo_mem_held_files(void)
{
	unsigned long n;

	if (!luo_mem.up)
		return 0;
	mutex_lock(&luo_mem.held_lock);
	n = luo_mem.nheld;
	mutex_unlock(&luo_mem.held_lock);
	return n;
}

static const struct super_operations luo_mem_sops = {
	.statfs = simple_statfs,
	.evict_inode = luo_mem_evict_inode,
};

static int luo_mem_init_fs_context(struct fs_context *fc)
{
	struct pseudo_fs_context *ctx = init_pseudo(fc, LUO_MEM_MAGIC);

	if (!ctx)
		return -ENOMEM;
	ctx->ops = &luo_mem_sops;
	return 0;
}

static struct file_system_type luo_mem_fs = {
	.name = "luo_mem",
	.init_fs_context = luo_mem_init_fs_context,
	.kill_sb = kill_anon_super,
};

/*
 * A file over @m, which it then owns (on failure @m is the caller's).
 * The same for a new memory file and a retrieved one.
 */
static int luo_mem_file_new(struct luo_memfile *m, struct file **out)
{
	struct luo_mem_inode *mi;
	struct inode *inode;
	struct file *file;

	mi = kzalloc(sizeof(*mi), GFP_KERNEL_ACCOUNT);
	if (!mi)
		return -ENOMEM;
	mi->m = m;
	inode = alloc_anon_inode(luo_mem.mnt->mnt_sb);
	if (IS_ERR(inode)) {
		kfree(mi);
		return PTR_ERR(inode);
	}
	inode->i_mode |= S_IFREG;
	inode->i_op = &luo_mem_iops;
	inode->i_fop = &luo_mem_file_fops;
	inode->i_size = luo_memfile_length(m);
	/* The file's reference to the module, which __fput() drops. */
	__module_get(THIS_MODULE);
	file = alloc_file_pseudo(inode, luo_mem.mnt, "[luo_mem]", O_RDWR,
				 &luo_mem_file_fops);
	if (IS_ERR(file)) {
		module_put(THIS_MODULE);
		iput(inode);
		kfree(mi);
		return PTR_ERR(file);
	}
	/* From here the inode's eviction frees @m. */
	inode->i_private = mi;
	file->f_mode |= FMODE_LSEEK | FMODE_PREAD | FMODE_PWRITE;
	file->f_flags |= O_LARGEFILE;
	*out = file;
	return 0;
}

/* New memory reads as zeros, whatever the chunks held before. */
static int luo_mem_zero(struct luo_memfile *m)
{
	u64 pos, size = luo_memfile_length(m);

	for (pos = 0; pos < size; pos += SZ_2M) {
		u64 off;

		luo_memfile_locate(m, pos, &off);
		memset(luo_mem_virt(off), 0, SZ_2M);
		if (fatal_signal_pending(current))
			return -EINTR;
		cond_resched();
	}
	return 0;
}

static int luo_mem_create(u64 length, struct file **out)
{
	struct luo_memfile *m;
	int err;

	err = luo_memfile_create(luo_state.core, length, &m);
	if (err)
		return err;
	err = luo_mem_zero(m);
	if (!err)
		err = luo_mem_file_new(m, out);
	if (err)
		luo_memfile_free(m);
	return err;
}

static_assert(sizeof(struct liveupdate_mem_create) == 24);
static_assert(LUO_IOC(LUO_IOC_MEM_BASE + 0) == LIVEUPDATE_MEM_CREATE);

/*
 * LIVEUPDATE_MEM_CREATE, dispatched by the core's rules like the ioctls
 * of /dev/liveupdate; the fd is installed once the reply is out.
 */
static long luo_mem_ioctl(struct file *file, unsigned int cmd,
			  unsigned long arg)
{
	struct liveupdate_mem_create __user *uarg = (void __user *)arg;
	const struct luo_ioctl_rule *rule;
	struct liveupdate_mem_create a;
	struct file *mfile;
	u32 usize;
	int fd, err;

	rule = luo_ioctl_copy_in(LUO_ON_MEM, LUO_OUTGOING, cmd, uarg, &a,
				 &usize);
	if (IS_ERR(rule))
		return PTR_ERR(rule);
	if (a.flags || a.reserved)
		return -EINVAL;
	if (copy_to_user(uarg, &a, min_t(size_t, sizeof(a), usize)))
		return -EFAULT;
	fd = get_unused_fd_flags(O_CLOEXEC);
	if (fd < 0)
		return fd;
	err = luo_mem_create(a.length, &mfile);
	if (err) {
		put_unused_fd(fd);
		return err;
	}
	a.fd = fd;
	return luo_reply_with_fd(&uarg->fd, &a.fd, sizeof(a.fd), fd, mfile);
}

static const struct file_operations luo_mem_dev_fops = {
	.owner = THIS_MODULE,
	.unlocked_ioctl = luo_mem_ioctl,
	.compat_ioctl = compat_ptr_ioctl,
	.llseek = noop_llseek,
};

/**
 * luo_memfile_of_file() - the core's memfile_of service
 * (struct luo_kernel_ops).
 * @file: any file.
 *
 * Return: the memory file @file is, or NULL if it is not one.
 */
struct luo_memfile *luo_memfile_of_file(struct file *file)
{
	return file->f_op == &luo_mem_file_fops ? luo_memfile_of(file) : NULL;
}

/**
 * luo_memfile_open() - the core's memfile_open service: RETRIEVE_FD of a
 * memory file.
 * @m: the memory file the core made of a record; the new file owns it.
 * @out: the new file.
 *
 * Return: 0, -ENODEV (the range has no device for memory files here), or
 * luo_mem_file_new()'s error (then @m is still the caller's).
 */
int luo_memfile_open(struct luo_memfile *m, struct file **out)
{
	if (!luo_mem.up)
		return -ENODEV;
	return luo_mem_file_new(m, out);
}

/* struct pages for the chunks: [base + first, + len). */
static int luo_mem_map_pages(u64 first, u64 len)
{
	void *virt;

	luo_mem.pgmap.type = MEMORY_DEVICE_GENERIC;
	luo_mem.pgmap.range.start = luo_handover.base + first;
	luo_mem.pgmap.range.end = luo_handover.base + first + len - 1;
	luo_mem.pgmap.nr_range = 1;
	virt = memremap_pages(&luo_mem.pgmap, NUMA_NO_NODE);
	if (IS_ERR(virt))
		return PTR_ERR(virt);
	luo_mem.virt = virt;
	luo_mem.first = first;
	return 0;
}

/* The memory files' filesystem and /dev/<mem_device>. */
static int luo_mem_register(void)
{
	int err;

	luo_mem.mnt = kern_mount(&luo_mem_fs);
	if (IS_ERR(luo_mem.mnt))
		return PTR_ERR(luo_mem.mnt);
	luo_mem.misc.minor = MISC_DYNAMIC_MINOR;
	luo_mem.misc.name = mem_device;
	luo_mem.misc.fops = &luo_mem_dev_fops;
	luo_mem.misc.mode = 0600;
	err = misc_register(&luo_mem.misc);
	if (err) {
		pr_err("cannot register /dev/%s: %d\n", mem_device, err);
		kern_unmount(luo_mem.mnt);
	}
	return err;
}

/**
 * luo_mem_init() - the pool's pages, filesystem and device.
 *
 * Called at load, after the range was mapped and the incoming image
 * decoded (its memory files claimed their chunks).  Without a range, or
 * without a whole chunk in it, there is no device.
 *
 * Return: 0 or -errno (refuse to load).
 */
int luo_mem_init(void)
{
	u64 first, len;
	int err;

	if (!luo_handover.map)
		return 0;
	first = ALIGN(luo_handover.base, SZ_2M) - luo_handover.base;
	len = first < luo_handover.size ?
		      ALIGN_DOWN(luo_handover.size - first, SZ_2M) :
		      0;
	if (!len)
		return 0;
	if (!luo_devname_valid(mem_device)) {
		pr_err("mem_device=%s: want 1..32 of [A-Za-z0-9_-]\n",
		       mem_device);
		return -EINVAL;
	}
	err = luo_mem_map_pages(first, len);
	if (err) {
		pr_err("cannot give the handover range struct pages (%d)\n",
		       err);
		return err;
	}
	err = luo_mem_register();
	if (err) {
		memunmap_pages(&luo_mem.pgmap);
		return err;
	}
	mutex_init(&luo_mem.held_lock);
	INIT_LIST_HEAD(&luo_mem.held);
	INIT_DELAYED_WORK(&luo_mem.reap, luo_mem_reap);
	luo_mem.up = true;
	return 0;
}

/** luo_mem_exit() - undo luo_mem_init(); no memory file exists. */
void luo_mem_exit(void)
{
	if (!luo_mem.up)
		return;
	luo_mem.up = false;
	/* @held is empty (it holds luo); its last run may still be ending. */
	cancel_delayed_work_sync(&luo_mem.reap);
	mutex_destroy(&luo_mem.held_lock);
	misc_deregister(&luo_mem.misc);
	kern_unmount(luo_mem.mnt);
	memunmap_pages(&luo_mem.pgmap);
}

#else /* !CONFIG_ZONE_DEVICE */

struct luo_memfile *luo_memfile_of_file(struct file *file)
{
	return NULL;
}

int luo_memfile_open(struct luo_memfile *m, struct file **out)
{
	return -EOPNOTSUPP;
}

int luo_mem_init(void)
{
	if (luo_handover.map)
		pr_info("no /dev/%s: this kernel has no ZONE_DEVICE\n",
			mem_device);
	return 0;
}

unsigned long luo_mem_held_files(void)
{
	return 0;
}

const char *luo_mem_page_sizes(void)
{
	return "";
}

void luo_mem_exit(void)
{
}

#endif /* CONFIG_ZONE_DEVICE */
