// SPDX-License-Identifier: GPL-2.0
/*
 * pool.cpp - the handover range's capacity, and the memory files whose
 * pages are the range itself (include/luo/pool.h).
 *
 * DOC: Memory files and the pool
 *
 * LIVEUPDATE_MEM_CREATE (/dev/liveupdate_mem) asks luo_memfile_create()
 * for chunks of the range; the C layer (luo/kernel/mem.c) zeroes them and
 * builds the file that maps them.  Their handler, "luomem-v1", is the
 * core's own (kMemHandler, at the end of this file).  While the file is
 * preserved luo holds a reference to it, so its chunks stay taken; the
 * freeze writes only its record (mem_write_data(): the length and the
 * extents), never its memory.  The next kernel's decode claims each such
 * record's chunks in that kernel's pool (mem_claim()) before any session
 * exists: a record that names memory outside the pool, under the image or
 * twice rejects the image whole.  RETRIEVE_FD turns the claim into a
 * memory file over the same memory (mem_retrieve(), which asks the C
 * layer for the file); FINISH gives the chunks of a file never retrieved
 * back (mem_unclaim()); and the last reference to a retrieved or new file
 * that is not preserved gives its chunks back when the file is freed
 * (luo_memfile_free()).
 */
#include <luo/lifecycle.h>
#include <luo/pool.h>

namespace luo {

void Pool::set_capacity(u64 bytes)
{
	Guard g{lock_};

	image_cap_ = bytes;
}

Status Pool::set_range(u64 size, u64 header, u64 first, u64 huge)
{
	if (size < header)
		return Status::error(kEINVAL);
	u32 n = first < size ? (size - first) / kChunk : 0;
	u64 *bits = nullptr;
	if (n) {
		bits = static_cast<u64 *>(
			luo_shim_zalloc((n + 63) / 64 * sizeof(u64)));
		if (!bits)
			return Status::error(kENOMEM);
	}
	Guard g{lock_};
	luo_shim_free(bits_);
	bits_ = bits;
	nchunks_ = n;
	used_chunks_ = 0;
	first_ = first;
	huge_phase_ = ~0U;
	if (huge >= first && huge < size && !((huge - first) % kChunk))
		huge_phase_ = (huge - first) / kChunk % (kHuge / kChunk);
	header_ = header;
	image_cap_ = size - header;
	return Status();
}

void Pool::mark(u32 i, u32 n, bool on)
{
	for (u32 k = i; k < i + n; k++) {
		u64 bit = 1ULL << (k % 64);

		LUO_BUG_ON(used(k) == on);
		if (on)
			bits_[k / 64] |= bit;
		else
			bits_[k / 64] &= ~bit;
	}
	if (on)
		used_chunks_ += n;
	else
		used_chunks_ -= n;
}

u32 Pool::lowest_used_locked() const
{
	if (!used_chunks_)
		return nchunks_;
	for (u32 w = 0; w < (nchunks_ + 63) / 64; w++)
		if (bits_[w])
			return w * 64 + __builtin_ctzll(bits_[w]);
	return nchunks_;
}

u32 Pool::floor_locked() const
{
	u64 end = header_ + image_used_;

	if (in_len_ > end)
		end = in_len_;
	if (end <= first_)
		return 0;
	u64 i = (end - first_ + kChunk - 1) / kChunk;
	return i < nchunks_ ? static_cast<u32>(i) : nchunks_;
}

Status Pool::reserve_image(u64 bytes)
{
	Guard g{lock_};
	u64 limit = image_cap_;
	u32 low = lowest_used_locked();

	/* The image must end where the lowest chunk in use begins. */
	if (low < nchunks_ && chunk_off(low) - header_ < limit)
		limit = chunk_off(low) - header_;
	if (bytes > limit || image_used_ > limit - bytes)
		return Status::error(kENOSPC);
	image_used_ += bytes;
	return Status();
}

void Pool::unreserve_image(u64 bytes)
{
	Guard g{lock_};

	LUO_BUG_ON(image_used_ < bytes);
	image_used_ -= bytes;
}

u64 Pool::image_reserved()
{
	Guard g{lock_};

	return image_used_;
}

void Pool::hold_incoming(u64 len)
{
	Guard g{lock_};

	in_len_ = len;
}

u32 Pool::find_run_locked(u32 lo, u32 n) const
{
	u32 run = 0;

	for (u32 i = nchunks_; i-- > lo;) {
		run = used(i) ? 0 : run + 1;
		if (run == n)
			return i;
	}
	return nchunks_;
}

u32 Pool::find_huge_run_locked(u32 lo, u32 n) const
{
	constexpr u32 per = kHuge / kChunk;

	if (huge_phase_ >= per || n > nchunks_ - huge_phase_)
		return nchunks_;
	/* Boundaries from the highest a run of @n fits below the top. */
	for (u32 s = huge_phase_ + (nchunks_ - n - huge_phase_) / per * per;
	     s >= lo; s -= per) {
		u32 k = 0;

		while (k < n && !used(s + k))
			k++;
		if (k == n)
			return s;
		if (s < per)
			break;
	}
	return nchunks_;
}

Status Pool::alloc(u64 bytes, Extent *out, u32 *nr)
{
	if (!bytes || bytes % kChunk)
		return Status::error(kEINVAL);
	Guard g{lock_};
	u32 lo = floor_locked();
	u64 want = bytes / kChunk;
	if (want > nchunks_ - lo)
		return Status::error(kENOSPC);
	u32 n = static_cast<u32>(want);
	u32 at = bytes >= kHuge ? find_huge_run_locked(lo, n) : nchunks_;
	if (at == nchunks_)
		at = find_run_locked(lo, n);
	if (at < nchunks_) {
		out[0] = {chunk_off(at), n * kChunk};
		*nr = 1;
	} else if (!gather_locked(lo, n, out, nr)) {
		return Status::error(kENOSPC);
	}
	for (u32 e = 0; e < *nr; e++)
		mark((out[e].off - first_) / kChunk, out[e].len / kChunk, true);
	files_++;
	return Status();
}

bool Pool::gather_locked(u32 lo, u32 n, Extent *out, u32 *nr) const
{
	u32 k = 0, left = n;

	for (u32 i = nchunks_; i-- > lo && left;) {
		if (used(i))
			continue;
		u32 start = i;
		while (start > lo && !used(start - 1) && i - start + 1 < left)
			start--;
		if (k == kMaxExtents)
			return false;
		u32 len = i - start + 1;
		out[k++] = {chunk_off(start), len * kChunk};
		left -= len;
		i = start;
	}
	*nr = k;
	return !left;
}

void Pool::free(const Extent *e, u32 nr)
{
	Guard g{lock_};

	for (u32 k = 0; k < nr; k++)
		mark((e[k].off - first_) / kChunk, e[k].len / kChunk, false);
	LUO_BUG_ON(!files_);
	files_--;
}

bool Pool::valid(const Extent &e) const
{
	if (e.off < first_ || (e.off - first_) % kChunk || !e.len ||
	    e.len % kChunk)
		return false;
	u64 i = (e.off - first_) / kChunk;
	return i < nchunks_ && e.len / kChunk <= nchunks_ - i;
}

Status Pool::claim(const Extent *e, u32 nr)
{
	Guard g{lock_};

	for (u32 k = 0; k < nr; k++) {
		if (!valid(e[k]) || e[k].off < in_len_ ||
		    e[k].off < header_ + image_used_)
			return Status::error(kEINVAL);
		u32 i = (e[k].off - first_) / kChunk;
		u32 n = e[k].len / kChunk;
		for (u32 c = i; c < i + n; c++) {
			if (!used(c))
				continue;
			/* Taken (by this record, too): undo what it took. */
			for (u32 j = 0; j < k; j++)
				mark((e[j].off - first_) / kChunk,
				     e[j].len / kChunk, false);
			return Status::error(kEINVAL);
		}
		mark(i, n, true);
	}
	files_++;
	return Status();
}

void Pool::stats(luo_pool_stats *out)
{
	Guard g{lock_};
	u32 lo = floor_locked();
	u32 run = 0, best = 0, free = 0;

	for (u32 i = lo; i < nchunks_; i++) {
		run = used(i) ? 0 : run + 1;
		free += !used(i);
		best = run > best ? run : best;
	}
	out->size = nchunks_ * kChunk;
	out->used = used_chunks_ * kChunk;
	out->free = free * kChunk;
	out->largest = best * kChunk;
	out->files = files_;
}

} /* namespace luo */

using luo::Extent;
using luo::kChunk;
using luo::MemFile;
using luo::MemRecord;
using luo::u32;
using luo::u64;

namespace {

MemFile *M(luo_memfile *m)
{
	return reinterpret_cast<MemFile *>(m);
}

const MemFile *M(const luo_memfile *m)
{
	return reinterpret_cast<const MemFile *>(m);
}

/*
 * The record's header and extents, if @len bytes at @data are one
 * well-formed for @pool: a length that its extents add up to, exactly.
 */
const MemRecord *record_parse(const luo::Pool &pool, const void *data,
			      unsigned long long len)
{
	const auto *r = static_cast<const MemRecord *>(data);

	if (len < sizeof(*r) || r->reserved || !r->nr ||
	    r->nr > luo::kMaxExtents ||
	    len != sizeof(*r) + r->nr * sizeof(Extent) || !r->length ||
	    r->length % kChunk)
		return nullptr;
	const auto *e = reinterpret_cast<const Extent *>(r + 1);
	u64 sum = 0;
	for (u32 k = 0; k < r->nr; k++) {
		if (!pool.valid(e[k]) || e[k].len > r->length - sum)
			return nullptr;
		sum += e[k].len;
	}
	return sum == r->length ? r : nullptr;
}

const Extent *record_extents(const MemRecord *r)
{
	return reinterpret_cast<const Extent *>(r + 1);
}

} /* namespace */

extern "C" {

int luo_core_set_range(struct luo_core *c, unsigned long long size,
		       unsigned long long first, unsigned long long huge)
{
	return c->pool.set_range(size, luo_image_header_cost(), first, huge)
		.to_kernel();
}

void luo_pool_hold_incoming(struct luo_core *c, unsigned long long len)
{
	c->pool.hold_incoming(len);
}

void luo_pool_read_stats(struct luo_core *c, struct luo_pool_stats *out)
{
	c->pool.stats(out);
}

int luo_memfile_create(struct luo_core *c, unsigned long long length,
		       struct luo_memfile **out)
{
	if (!length || length % kChunk)
		return -luo::kEINVAL;
	MemFile *m = luo::make<MemFile>();
	if (!m)
		return -luo::kENOMEM;
	int err = c->pool.alloc(length, m->ext, &m->nr).to_kernel();
	if (err) {
		luo::destroy(m);
		return err;
	}
	m->pool = &c->pool;
	m->length = length;
	*out = reinterpret_cast<luo_memfile *>(m);
	return 0;
}

void luo_memfile_free(struct luo_memfile *mf)
{
	MemFile *m = M(mf);

	if (!m)
		return;
	m->pool->free(m->ext, m->nr);
	luo::destroy(m);
}

unsigned long long luo_memfile_length(const struct luo_memfile *m)
{
	return M(m)->length;
}

unsigned long long luo_memfile_locate(const struct luo_memfile *mf,
				      unsigned long long pos,
				      unsigned long long *range_off)
{
	const MemFile *m = M(mf);
	u64 at = 0;

	for (u32 k = 0; k < m->nr; k++) {
		const Extent &e = m->ext[k];

		if (pos < at + e.len) {
			*range_off = e.off + (pos - at);
			return e.len - (pos - at);
		}
		at += e.len;
	}
	return 0;
}

} /* extern "C" */

/*
 * The handler "luomem-v1": a memory file's handler data is its record,
 * which names chunks of the range.  The core implements it all but the
 * two kernel steps it asks of the C layer (struct luo_kernel_ops): which
 * memory file a file is, and a new file over a memory file.
 */
namespace {

u64 record_len(const MemFile *m)
{
	return sizeof(MemRecord) + m->nr * sizeof(Extent);
}

bool mem_can_preserve(luo_core *c, struct file *file)
{
	return c->kops->memfile_of && c->kops->memfile_of(file);
}

int mem_preserve(luo_core *c, luo_file *lf)
{
	luo_memfile *m = c->kops->memfile_of(lf->file);

	lf->hpriv = m;
	lf->reserve = record_len(M(m));
	lf->size = M(m)->length;
	return 0;
}

unsigned long long mem_data_len(luo_file *lf)
{
	return record_len(M(static_cast<luo_memfile *>(lf->hpriv)));
}

int mem_write_data(luo_file *lf, void *dst, unsigned long long len)
{
	const MemFile *m = M(static_cast<luo_memfile *>(lf->hpriv));
	auto *r = static_cast<MemRecord *>(dst);

	if (len < record_len(m))
		return -luo::kENOSPC;
	r->length = m->length;
	r->nr = m->nr;
	r->reserved = 0;
	__builtin_memcpy(r + 1, m->ext, m->nr * sizeof(Extent));
	return 0;
}

/*
 * The record names chunks of the range: the pool checks and claims them
 * whether this kernel can map memory files or not, so that an image with
 * memory files is restored whole in any kernel with the range.
 */
int mem_check(luo_core *c, const void *data, unsigned long long len)
{
	return record_parse(c->pool, data, len) ? 0 : -luo::kEINVAL;
}

int mem_claim(luo_core *c, const void *data, unsigned long long len)
{
	const MemRecord *r = record_parse(c->pool, data, len);

	if (!r)
		return -luo::kEINVAL;
	return c->pool.claim(record_extents(r), r->nr).to_kernel();
}

void mem_unclaim(luo_core *c, const void *data, unsigned long long len)
{
	const MemRecord *r = record_parse(c->pool, data, len);

	LUO_BUG_ON(!r);
	c->pool.free(record_extents(r), r->nr);
}

/* A memory file over the claimed chunks, which then own them. */
int mem_retrieve(luo_core *c, const void *data, unsigned long long len,
		 struct file **out)
{
	const MemRecord *r = record_parse(c->pool, data, len);

	if (!r)
		return -luo::kEINVAL;
	if (!c->kops->memfile_open)
		return -luo::kEOPNOTSUPP;
	MemFile *m = luo::make<MemFile>();
	if (!m)
		return -luo::kENOMEM;
	m->pool = &c->pool;
	m->length = r->length;
	m->nr = r->nr;
	__builtin_memcpy(m->ext, record_extents(r), r->nr * sizeof(Extent));
	int err =
		c->kops->memfile_open(reinterpret_cast<luo_memfile *>(m), out);
	if (err)
		luo::destroy(m); /* the chunks stay claimed by the record */
	return err;
}

unsigned long long mem_content_len(const void *data, unsigned long long len)
{
	return static_cast<const MemRecord *>(data)->length;
}

} /* namespace */

const luo_file_handler luo::kMemHandler = {
	.name = "luomem-v1",
	.can_preserve = mem_can_preserve,
	.preserve = mem_preserve,
	.data_len = mem_data_len,
	.write_data = mem_write_data,
	.check = mem_check,
	.retrieve = mem_retrieve,
	.claim = mem_claim,
	.unclaim = mem_unclaim,
	.content_len = mem_content_len,
};
