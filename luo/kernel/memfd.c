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
 * added; unpreserve removes exactly those.  While preserved, F_GET_SEALS
 * therefore shows them.  Seals luo does not know are EOPNOTSUPP.
 *
 * PRESERVE_FD also faults in and pins every page (holes are filled), so
 * that serialization can copy the contents without allocating or reading
 * swap; and it reserves the handover bytes for them.  Freezing records the
 * file position; the image holds size, position, the caller's seals and
 * the contents.  A hole punched into a preserved memfd is not seen by
 * serialization (the pinned page is copied).
 *
 * RETRIEVE_FD builds a new memfd ("memfd:luo") with the same size,
 * contents, position and seals.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/fcntl.h>
#include <linux/fs.h>
#include <linux/highmem.h>
#include <linux/mm.h>
#include <linux/pagemap.h>
#include <linux/shmem_fs.h>
#include <linux/slab.h>

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
 * @seals: the seals the caller had set.
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
 * @pos: the position at freeze.
 * @seals: the caller's seals.
 * @added: the freeze seals luo added.
 * @npages: pages pinned.
 * @pages: one reference per page index.
 */
struct luo_memfd {
	u64 size;
	loff_t pos;
	unsigned int seals;
	unsigned int added;
	pgoff_t npages;
	struct page **pages;
};

static bool luo_memfd_can_preserve(struct file *file)
{
	return shmem_file(file) && file_inode(file)->i_nlink == 0;
}

static void luo_memfd_unpin(struct luo_memfd *m)
{
	pgoff_t i;

	for (i = 0; i < m->npages; i++)
		if (m->pages[i])
			put_page(m->pages[i]);
	kvfree(m->pages);
}

static void luo_memfd_unseal(struct inode *inode, unsigned int added)
{
	inode_lock(inode);
	SHMEM_I(inode)->seals &= ~added;
	inode_unlock(inode);
}

static int luo_memfd_preserve(struct luo_file *lf)
{
	struct inode *inode = lf->inode;
	struct address_space *mapping = inode->i_mapping;
	struct luo_memfd *m;
	unsigned int seals;
	pgoff_t i;
	int err;

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

	m->npages = DIV_ROUND_UP(m->size, PAGE_SIZE);
	m->pages =
		kvcalloc(m->npages ?: 1, sizeof(*m->pages), GFP_KERNEL_ACCOUNT);
	if (!m->pages) {
		err = -ENOMEM;
		goto undo;
	}
	for (i = 0; i < m->npages; i++) {
		struct page *page;

		page = shmem_read_mapping_page_gfp(mapping, i,
						   mapping_gfp_mask(mapping));
		if (IS_ERR(page)) {
			err = PTR_ERR(page);
			goto undo;
		}
		m->pages[i] = page;
		if (fatal_signal_pending(current)) {
			err = -EINTR;
			goto undo;
		}
		cond_resched();
	}
	m->pos = lf->file->f_pos;
	lf->hpriv = m;
	lf->reserve = sizeof(struct luo_memfd_data) + m->size;
	return 0;

undo:
	if (m->pages)
		luo_memfd_unpin(m);
	luo_memfd_unseal(inode, m->added);
	kfree(m);
	return err;
}

static void luo_memfd_unpreserve(struct luo_file *lf)
{
	struct luo_memfd *m = lf->hpriv;

	luo_memfd_unpin(m);
	luo_memfd_unseal(lf->inode, m->added);
	kfree(m);
	lf->hpriv = NULL;
}

static int luo_memfd_freeze(struct luo_file *lf)
{
	struct luo_memfd *m = lf->hpriv;

	m->pos = READ_ONCE(lf->file->f_pos);
	return 0;
}

static u64 luo_memfd_data_len(struct luo_file *lf)
{
	struct luo_memfd *m = lf->hpriv;

	return sizeof(struct luo_memfd_data) + m->size;
}

static int luo_memfd_write_data(struct luo_file *lf, void *dst, u64 len)
{
	struct luo_memfd *m = lf->hpriv;
	struct luo_memfd_data *d = dst;
	u8 *out = (u8 *)(d + 1);
	pgoff_t i;

	if (len != luo_memfd_data_len(lf))
		return -EINVAL;
	d->size = cpu_to_le64(m->size);
	d->pos = cpu_to_le64(m->pos);
	d->seals = cpu_to_le32(m->seals);
	d->flags = 0;
	d->reserved = 0;
	for (i = 0; i < m->npages; i++) {
		u64 off = (u64)i << PAGE_SHIFT;
		size_t n = min_t(u64, PAGE_SIZE, m->size - off);
		void *src = kmap_local_page(m->pages[i]);

		memcpy(out + off, src, n);
		kunmap_local(src);
	}
	return 0;
}

static struct file *luo_memfd_retrieve(const void *data, u64 len)
{
	const struct luo_memfd_data *d = data;
	struct file *file;
	unsigned int seals;
	loff_t off = 0;
	ssize_t n;
	u64 size;

	if (len < sizeof(*d))
		return ERR_PTR(-EINVAL);
	size = le64_to_cpu(d->size);
	seals = le32_to_cpu(d->seals);
	if (size != len - sizeof(*d) || d->flags || d->reserved ||
	    le64_to_cpu(d->pos) > MAX_LFS_FILESIZE)
		return ERR_PTR(-EINVAL);
	if (seals & ~LUO_MEMFD_SEALS)
		return ERR_PTR(-EOPNOTSUPP);

	file = shmem_file_setup("memfd:luo", size, VM_NORESERVE);
	if (IS_ERR(file))
		return file;
	file->f_mode |= FMODE_LSEEK | FMODE_PREAD | FMODE_PWRITE;
	file->f_flags |= O_LARGEFILE;
	/* New shmem inodes start with F_SEAL_SEAL: allow sealing, as memfd. */
	SHMEM_I(file_inode(file))->seals = 0;
	if (size) {
		n = kernel_write(file, d + 1, size, &off);
		if (n != size) {
			fput(file);
			return ERR_PTR(n < 0 ? n : -EIO);
		}
	}
	SHMEM_I(file_inode(file))->seals = seals;
	file->f_pos = le64_to_cpu(d->pos);
	return file;
}

const struct luo_file_handler luo_memfd_handler = {
	.name = "memfd-v1",
	.can_preserve = luo_memfd_can_preserve,
	.preserve = luo_memfd_preserve,
	.unpreserve = luo_memfd_unpreserve,
	.freeze = luo_memfd_freeze,
	.data_len = luo_memfd_data_len,
	.write_data = luo_memfd_write_data,
	.retrieve = luo_memfd_retrieve,
};
