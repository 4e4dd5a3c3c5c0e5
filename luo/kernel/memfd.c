// SPDX-License-Identifier: GPL-2.0
/*
 * memfd.c - the memfd file handler ("memfd-v1").
 *
 * DOC: Preserving a memfd
 *
 * Accepted: shmem-backed files with no links (memfd_create(), unlinked
 * tmpfs files).  hugetlb memfds are not shmem and are refused (ENOENT).
 *
 * While a memfd is preserved its size is frozen: writes inside the size
 * work, growing or shrinking fails with EPERM.  6.1 and 6.12 have no
 * shmem_freeze(), so luo builds the freeze from seals: PRESERVE_FD adds
 * F_SEAL_GROW and F_SEAL_SHRINK to the inode's seals (shmem enforces them
 * on write, truncate and fallocate) and remembers which of the two it
 * added; unpreserve removes exactly those - unless the owner set
 * F_SEAL_SEAL while the file was preserved: it locked the seals it saw,
 * and whoever it handed the file to may rely on them, so they stay.
 * While preserved, F_GET_SEALS therefore shows GROW and SHRINK.  Seals
 * luo does not know are EOPNOTSUPP.  Memfds sealed before preservation
 * (plain memfd_create() ones carry F_SEAL_SEAL from birth) are accepted.
 *
 * The capacity a memfd takes in the handover is reserved from its size
 * alone, before anything is allocated, so a memfd too large for the room
 * left is ENOSPC at once.  Then luo makes sure every page stays resident
 * until the freeze without pinning any: the mapping is marked unevictable
 * (as SHM_LOCK does), and pages already swapped out are read back in.
 * Nothing holds a reference to a page, so a hole the VMM punches
 * (fallocate(FALLOC_FL_PUNCH_HOLE), madvise(MADV_REMOVE): virtio-balloon,
 * virtio-mem, free page reporting) really frees the memory.
 *
 * At the freeze the handler follows the file as it is then: it looks each
 * index up in the page cache again, without allocating, and copies the
 * page it finds, or writes zeros where there is a hole (or a page that
 * fallocate() reserved and nothing wrote yet, which shmem has not
 * cleared).  So the next
 * kernel gets what the memfd holds at the freeze, holes included.  The
 * image holds size, position, the seals the owner set and the contents.
 *
 * RETRIEVE_FD builds a new memfd ("memfd:luo") page by page, leaving
 * pages that are all zeros as holes, with the same size, contents,
 * position and seals; one with F_SEAL_EXEC has no execute bits, as a
 * memfd made with MFD_NOEXEC_SEAL.  Running out of memory or a signal
 * during that is not a verdict on the data: the caller may try again.
 * What bounds it is the page cache's allocation of each new page, not
 * the copy: so the new memfd is a shmem file of luo's own tmpfs mount
 * with huge=within_size, whose page cache takes 2 MiB folios where the
 * memory allows (128 allocations for 256 MiB instead of 65 536), and
 * small pages where it does not.  Without THP (the option is refused),
 * the memfd is on the kernel's shm mount, as memfd_create() makes them.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/fcntl.h>
#include <linux/fs.h>
#include <linux/highmem.h>
#include <linux/mm.h>
#include <linux/mount.h>
#include <linux/mutex.h>
#include <linux/pagemap.h>
#include <linux/pagevec.h>
#include <linux/sched/signal.h>
#include <linux/shmem_fs.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/swap.h>

#include "compat.h"
#include "luo.h"

#define LUO_MEMFD_SEALS                                             \
	(F_SEAL_SEAL | F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE | \
	 F_SEAL_FUTURE_WRITE | LUO_F_SEAL_EXEC)
#define LUO_MEMFD_FREEZE_SEALS (F_SEAL_GROW | F_SEAL_SHRINK)

/**
 * struct luo_memfd_data - the handler data in the image, then the bytes.
 * @size: file size in bytes.
 * @pos: file position.
 * @seals: the seals the owner had set.
 * @flags: zero.
 * @reserved: zero.
 */
struct luo_memfd_data {
	__le64 size;
	__le64 pos;
	__le32 seals;
	__le32 flags;
	__le64 reserved;
};
static_assert(sizeof(struct luo_memfd_data) == 32);

/**
 * struct luo_memfd - a preserved memfd.
 * @size: the frozen size.
 * @pos: the position at the freeze.
 * @seals: the owner's seals when it was preserved.
 * @added: the freeze seals luo added.
 * @seals_at_freeze: the owner's seals at the freeze.
 * @unevictable: luo marked the mapping unevictable (it was not).
 */
struct luo_memfd {
	u64 size;
	loff_t pos;
	unsigned int seals;
	unsigned int added;
	unsigned int seals_at_freeze;
	bool unevictable;
};

static bool luo_memfd_can_preserve(struct luo_core *c, struct file *file)
{
	return shmem_file(file) && file_inode(file)->i_nlink == 0;
}

/*
 * The owner's view of @cur, the inode's seals now: without the freeze
 * seals luo added, unless the owner sealed the seals while preserved.
 */
static unsigned int luo_memfd_owner_seals(const struct luo_memfd *m,
					  unsigned int cur)
{
	if ((cur & F_SEAL_SEAL) && !(m->seals & F_SEAL_SEAL))
		return cur;
	return cur & ~m->added;
}

/*
 * Put the folios of a mapping that is evictable again back on the LRU
 * lists reclaim scans (they sit on the unevictable one).
 */
static void luo_memfd_rescue(struct address_space *mapping)
{
	struct folio_batch fbatch;
	pgoff_t index = 0;

	folio_batch_init(&fbatch);
	while (filemap_get_folios(mapping, &index, ULONG_MAX, &fbatch)) {
		check_move_unevictable_folios(&fbatch);
		folio_batch_release(&fbatch);
		cond_resched();
	}
}

static void luo_memfd_give_back(struct luo_file *lf, struct luo_memfd *m)
{
	struct inode *inode = file_inode(lf->file);

	inode_lock(inode);
	SHMEM_I(inode)->seals = luo_memfd_owner_seals(m, SHMEM_I(inode)->seals);
	inode_unlock(inode);
	if (m->unevictable) {
		mapping_clear_unevictable(inode->i_mapping);
		luo_memfd_rescue(inode->i_mapping);
	}
}

static int luo_memfd_preserve(struct luo_core *c, struct luo_file *lf)
{
	struct inode *inode = file_inode(lf->file);
	struct luo_memfd *m;
	unsigned int seals;

	m = kzalloc(sizeof(*m), GFP_KERNEL_ACCOUNT);
	if (!m)
		return -ENOMEM;

	inode_lock(inode);
	seals = SHMEM_I(inode)->seals;
	if (seals & ~LUO_MEMFD_SEALS) {
		inode_unlock(inode);
		kfree(m);
		return -EOPNOTSUPP;
	}
	m->seals = seals;
	m->added = LUO_MEMFD_FREEZE_SEALS & ~seals;
	SHMEM_I(inode)->seals |= m->added;
	m->size = i_size_read(inode);
	inode_unlock(inode);

	m->pos = lf->file->f_pos;
	lf->hpriv = m;
	/* Reserved from the size alone, before a page is touched. */
	lf->reserve = sizeof(struct luo_memfd_data) + m->size;
	return 0;
}

/*
 * After the capacity was reserved: keep every page resident until the
 * freeze.  New pages of an unevictable mapping never go to swap; pages
 * that went there before are read back (which fills holes too, but only
 * in a memfd that had been swapped).
 */
static int luo_memfd_populate(struct luo_file *lf)
{
	struct luo_memfd *m = lf->hpriv;
	struct address_space *mapping = file_inode(lf->file)->i_mapping;
	pgoff_t i, npages = DIV_ROUND_UP(m->size, PAGE_SIZE);
	int pass;

	if (!mapping_unevictable(mapping)) {
		mapping_set_unevictable(mapping);
		m->unevictable = true;
	}
	/* Reclaim already under way may still swap a page out: look again. */
	for (pass = 0; READ_ONCE(SHMEM_I(file_inode(lf->file))->swapped);
	     pass++) {
		if (pass == 3)
			return -EAGAIN;
		for (i = 0; i < npages; i++) {
			struct page *page;

			page = shmem_read_mapping_page_gfp(
				mapping, i, mapping_gfp_mask(mapping));
			if (IS_ERR(page))
				return PTR_ERR(page);
			put_page(page);
			if (fatal_signal_pending(current))
				return -EINTR;
			cond_resched();
		}
	}
	return 0;
}

static void luo_memfd_unpreserve(struct luo_file *lf)
{
	struct luo_memfd *m = lf->hpriv;

	luo_memfd_give_back(lf, m);
	kfree(m);
	lf->hpriv = NULL;
}

static int luo_memfd_freeze(struct luo_file *lf)
{
	struct luo_memfd *m = lf->hpriv;

	/* A page that went to swap after all: its data is not here. */
	if (READ_ONCE(SHMEM_I(file_inode(lf->file))->swapped))
		return -EIO;
	m->pos = READ_ONCE(lf->file->f_pos);
	m->seals_at_freeze = luo_memfd_owner_seals(
		m, READ_ONCE(SHMEM_I(file_inode(lf->file))->seals));
	return 0;
}

static u64 luo_memfd_data_len(struct luo_file *lf)
{
	struct luo_memfd *m = lf->hpriv;

	return sizeof(struct luo_memfd_data) + m->size;
}

/* Pages [@from, @to) of the data are zeros (holes), clipped to @size. */
static void luo_memfd_zero(u8 *out, u64 size, pgoff_t from, pgoff_t to)
{
	u64 a = (u64)from << PAGE_SHIFT,
	    b = min_t(u64, (u64)to << PAGE_SHIFT, size);

	if (a < b)
		memset(out + a, 0, b - a);
}

/*
 * Copy @folio's pages below @npages into the data, zeros for the holes
 * between @next and it.  Return the index after it.
 */
static pgoff_t luo_memfd_copy_folio(struct folio *folio, u8 *out, u64 size,
				    pgoff_t next, pgoff_t npages)
{
	pgoff_t i, end = min_t(pgoff_t, folio_next_index(folio), npages);
	void *src;

	luo_memfd_zero(out, size, next, folio->index);
	/* fallocate()d and never written: zeros, not yet cleared. */
	if (!folio_test_uptodate(folio)) {
		luo_memfd_zero(out, size, folio->index, end);
		return end;
	}
	for (i = max(folio->index, next); i < end; i++) {
		u64 off = (u64)i << PAGE_SHIFT;

		src = kmap_local_page(folio_file_page(folio, i));
		memcpy(out + off, src, min_t(u64, PAGE_SIZE, size - off));
		kunmap_local(src);
	}
	return end;
}

/*
 * The contents as the page cache has them now, a batch of folios per
 * lookup (no allocation; the references are dropped with each batch);
 * a hole is zeros.
 */
static int luo_memfd_write_data(struct luo_file *lf, void *dst, u64 len)
{
	struct luo_memfd *m = lf->hpriv;
	struct address_space *mapping = file_inode(lf->file)->i_mapping;
	struct luo_memfd_data *d = dst;
	u8 *out = (u8 *)(d + 1);
	pgoff_t index = 0, next = 0, npages = DIV_ROUND_UP(m->size, PAGE_SIZE);
	struct folio_batch fbatch;
	unsigned int k;

	if (len != luo_memfd_data_len(lf))
		return -EINVAL;
	d->size = cpu_to_le64(m->size);
	d->pos = cpu_to_le64(m->pos);
	d->seals = cpu_to_le32(m->seals_at_freeze);
	d->flags = 0;
	d->reserved = 0;
	folio_batch_init(&fbatch);
	while (npages &&
	       filemap_get_folios(mapping, &index, npages - 1, &fbatch)) {
		for (k = 0; k < folio_batch_count(&fbatch); k++)
			next = luo_memfd_copy_folio(fbatch.folios[k], out,
						    m->size, next, npages);
		folio_batch_release(&fbatch);
		cond_resched();
	}
	luo_memfd_zero(out, m->size, next, npages);
	return 0;
}

/*
 * Fill @file from @src; pages of zeros stay holes.  A page that is not
 * zeros gets its folio from shmem (2 MiB on luo's mount where the kernel
 * has THP), and the rest of that folio is copied while it is at hand:
 * one page cache lookup per folio, not per page.  The pages are charged
 * to the caller's memory cgroup; at its limit the retrieval fails with
 * -ENOMEM (the caller may retry) instead of calling the OOM killer on its
 * behalf.
 */
static int luo_memfd_fill(struct file *file, const u8 *src, u64 size)
{
	struct address_space *mapping = file->f_mapping;
	pgoff_t i = 0, npages = DIV_ROUND_UP(size, PAGE_SIZE);
	gfp_t gfp = mapping_gfp_mask(mapping) | __GFP_RETRY_MAYFAIL |
		    __GFP_NOWARN;

	while (i < npages) {
		u64 off = (u64)i << PAGE_SHIFT;
		struct folio *folio;
		struct page *page;
		pgoff_t end;
		void *dst;

		if (signal_pending(current))
			return -EINTR;
		cond_resched();
		if (!memchr_inv(src + off, 0,
				min_t(u64, PAGE_SIZE, size - off))) {
			i++;
			continue;
		}
		page = shmem_read_mapping_page_gfp(mapping, i, gfp);
		if (IS_ERR(page))
			return PTR_ERR(page);
		folio = page_folio(page);
		end = min(folio->index + folio_nr_pages(folio), npages);
		for (; i < end; i++) {
			off = (u64)i << PAGE_SHIFT;
			dst = kmap_local_page(folio_file_page(folio, i));
			memcpy(dst, src + off,
			       min_t(u64, PAGE_SIZE, size - off));
			kunmap_local(dst);
		}
		folio_mark_dirty(folio);
		folio_put(folio);
	}
	return 0;
}

/*
 * The mount new memfds are made on: mounted at the first RETRIEVE_FD of a
 * memfd, an ERR_PTR once the kernel refused it (then shm_mnt is used), and
 * unmounted at exit (its files hold their own references to it).
 * luo_memfd_mnt_lock serializes the mounting: a leaf.
 */
static DEFINE_MUTEX(luo_memfd_mnt_lock);
static struct vfsmount *luo_memfd_mnt;

static struct file *luo_memfd_new(u64 size)
{
	struct file_system_type *tmpfs;
	struct vfsmount *mnt;
	char opts[] = "huge=within_size"; /* parsed in place */

	mutex_lock(&luo_memfd_mnt_lock);
	if (!luo_memfd_mnt) {
		/* tmpfs is built in: its type has no module reference. */
		tmpfs = get_fs_type("tmpfs");
		mnt = tmpfs ? vfs_kern_mount(tmpfs, SB_KERNMOUNT, "luo", opts) :
			      ERR_PTR(-ENODEV);
		/* Out of memory is "not now"; only a refusal is for good. */
		if (IS_ERR(mnt) && PTR_ERR(mnt) != -EINVAL &&
		    PTR_ERR(mnt) != -ENODEV) {
			mutex_unlock(&luo_memfd_mnt_lock);
			return ERR_CAST(mnt);
		}
		luo_memfd_mnt = mnt;
	}
	mnt = luo_memfd_mnt;
	mutex_unlock(&luo_memfd_mnt_lock);
	if (IS_ERR(mnt))
		return shmem_file_setup("memfd:luo", size, VM_NORESERVE);
	return shmem_file_setup_with_mnt(mnt, "memfd:luo", size, VM_NORESERVE);
}

/**
 * luo_memfd_exit() - unmount the mount of retrieved memfds, if any.
 */
void luo_memfd_exit(void)
{
	if (!IS_ERR_OR_NULL(luo_memfd_mnt))
		kern_unmount(luo_memfd_mnt);
	luo_memfd_mnt = NULL;
}

/* The header of the data must describe exactly the bytes that follow. */
static int luo_memfd_check(struct luo_core *c, const void *data, u64 len)
{
	const struct luo_memfd_data *d = data;
	u64 size;

	if (len < sizeof(*d))
		return -EINVAL;
	size = le64_to_cpu(d->size);
	if (size != len - sizeof(*d) || size > MAX_LFS_FILESIZE || d->flags ||
	    d->reserved || le64_to_cpu(d->pos) > MAX_LFS_FILESIZE)
		return -EINVAL;
	if (le32_to_cpu(d->seals) & ~LUO_MEMFD_SEALS)
		return -EOPNOTSUPP;
	return 0;
}

static int luo_memfd_retrieve(struct luo_core *c, const void *data, u64 len,
			      struct file **out)
{
	const struct luo_memfd_data *d = data;
	struct file *file;
	unsigned int seals;
	u64 size;
	int err;

	/* Checked at load already; cheap, and retrieve trusts nothing. */
	err = luo_memfd_check(c, data, len);
	if (err)
		return err;
	size = le64_to_cpu(d->size);
	seals = le32_to_cpu(d->seals);

	file = luo_memfd_new(size);
	if (IS_ERR(file))
		return PTR_ERR(file);
	file->f_mode |= FMODE_LSEEK | FMODE_PREAD | FMODE_PWRITE;
	file->f_flags |= O_LARGEFILE;
	err = luo_memfd_fill(file, (const u8 *)(d + 1), size);
	if (err) {
		fput(file);
		return err;
	}
	/* As memfd_create(MFD_NOEXEC_SEAL): no execute bits with that seal. */
	if (seals & LUO_F_SEAL_EXEC)
		file_inode(file)->i_mode &= ~0111;
	SHMEM_I(file_inode(file))->seals = seals;
	file->f_pos = le64_to_cpu(d->pos);
	*out = file;
	return 0;
}

const struct luo_file_handler luo_memfd_handler = {
	.name = "memfd-v1",
	.can_preserve = luo_memfd_can_preserve,
	.preserve = luo_memfd_preserve,
	.populate = luo_memfd_populate,
	.unpreserve = luo_memfd_unpreserve,
	.freeze = luo_memfd_freeze,
	.data_len = luo_memfd_data_len,
	.write_data = luo_memfd_write_data,
	.check = luo_memfd_check,
	.retrieve = luo_memfd_retrieve,
};
