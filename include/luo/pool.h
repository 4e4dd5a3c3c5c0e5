/* SPDX-License-Identifier: GPL-2.0 */
/*
 * pool.h - the handover range as one capacity: the image and the pool of
 * memory files.
 *
 * The range is laid out from both ends.  The image (its header, then one
 * record per session and per file) is written from offset 0 at the
 * freeze; the bytes it will take are reserved when each record is
 * created.  Memory files take 2 MiB chunks, handed out from the top of
 * the range down, so that the two meet as late as possible.  The rule
 * that keeps them apart: the image's reserved end never passes the lowest
 * chunk in use, and no chunk is handed out below the image's reserved end
 * - nor below the previous kernel's image while incoming sessions still
 * point into it.  Running out either way is ENOSPC at the call that asked,
 * never at the freeze.
 *
 * Without a range (handover off) there are no chunks, only the image's
 * capacity.
 *
 * Locking: one leaf mutex (LUO_LOCK_POOL), taken inside the session mutex
 * by the reservations of CREATE_SESSION and PRESERVE_FD; nothing is called
 * under it.
 */
#ifndef LUO_POOL_H
#define LUO_POOL_H

#include <luo/base.h>
#include <luo/core.h>

namespace luo {

/* The unit of the pool, and the alignment of a memory file's length. */
constexpr u64 kChunk = 2ULL << 20;

/*
 * A memory file of at least this much starts at a kHuge boundary of
 * physical memory where a free run allows it, so that the kernel can map
 * it with 1 GiB entries.
 */
constexpr u64 kHuge = 1ULL << 30;

/* Most extents one memory file may be made of (a fragmented pool). */
constexpr u32 kMaxExtents = 64;

/* A run of chunks: range offset and length, both multiples of kChunk. */
struct Extent {
	u64 off;
	u64 len;
};

class Pool {
public:
	Pool() = default;
	~Pool() { luo_shim_free(bits_); }
	Pool(const Pool &) = delete;
	Pool &operator=(const Pool &) = delete;

	Status init() { return lock_.init(LUO_LOCK_POOL); }

	/* No range: @bytes of image, no chunks. */
	void set_capacity(u64 bytes);
	/*
	 * A range of @size bytes whose image header takes @header bytes at
	 * offset 0, whose first whole chunk starts at offset @first and
	 * whose first kHuge boundary of physical memory is at offset
	 * @huge (a multiple of kChunk past @first; any other value: none).
	 * ENOMEM (the chunk map) or EINVAL (no room for the header).
	 */
	Status set_range(u64 size, u64 header, u64 first, u64 huge = ~0ULL);

	/* Image bytes (not counting the header): ENOSPC when they don't fit. */
	Status reserve_image(u64 bytes);
	void unreserve_image(u64 bytes);
	u64 image_reserved();
	u64 image_capacity() const { return image_cap_; }

	/* The previous kernel's image, [0, @len), is in use (0: no longer). */
	void hold_incoming(u64 len);

	/*
	 * Chunks for one memory file of @bytes (a non-zero multiple of
	 * kChunk): one extent if a run that long is free - from a kHuge
	 * boundary if @bytes is kHuge or more and such a run is free - else
	 * up to kMaxExtents, highest first.  ENOSPC, and nothing taken, if
	 * they are not there.
	 */
	Status alloc(u64 bytes, Extent *out, u32 *nr);
	/* Give back one file's chunks, which alloc() or claim() took. */
	void free(const Extent *e, u32 nr);
	/*
	 * Take exactly these chunks for one file (a memory file of the
	 * previous kernel): EINVAL if one is outside the pool, in the
	 * incoming image or already taken; then nothing is taken.
	 */
	Status claim(const Extent *e, u32 nr);
	/* Is @e a well-formed run of chunks of this pool? */
	bool valid(const Extent &e) const;

	void stats(luo_pool_stats *out);

private:
	bool used(u32 i) const { return bits_[i / 64] >> (i % 64) & 1; }
	void mark(u32 i, u32 n, bool on);
	u64 chunk_off(u32 i) const { return first_ + i * kChunk; }
	/* The lowest chunk the image and the incoming image leave free. */
	u32 floor_locked() const;
	/* The lowest chunk in use, or nchunks_. */
	u32 lowest_used_locked() const;
	/* Highest free run of @n chunks at or above @lo, or nchunks_. */
	u32 find_run_locked(u32 lo, u32 n) const;
	/* The same, starting at a kHuge boundary, or nchunks_. */
	u32 find_huge_run_locked(u32 lo, u32 n) const;
	/*
	 * The free runs from the top down for @n chunks at or above @lo, in
	 * at most kMaxExtents extents: false if they are not there.
	 */
	bool gather_locked(u32 lo, u32 n, Extent *out, u32 *nr) const;

	Mutex lock_;
	u64 *bits_ = nullptr;
	u32 nchunks_ = 0;
	u32 used_chunks_ = 0;
	u32 files_ = 0; /* alloc() and claim() less free() */
	u64 first_ = 0;
	u32 huge_phase_ = ~0U; /* the first chunk at a kHuge boundary */
	u64 header_ = 0;
	u64 image_cap_ = ~0ULL;
	u64 image_used_ = 0;
	u64 in_len_ = 0;
};

/*
 * A memory file's memory: its length and the extents it is made of, in
 * file order.  Owned by the kernel file that maps it (luo_memfile in the
 * C API); freeing it gives the chunks back to the pool.
 */
struct MemFile {
	Pool *pool;
	u64 length;
	u32 nr;
	Extent ext[kMaxExtents];
};

/*
 * What a preserved memory file leaves in the image (handler "luomem-v1"):
 * this header, then @nr extents.  Little-endian, as everything in the
 * image (luo is x86-64 only).
 */
struct MemRecord {
	u64 length;
	u32 nr;
	u32 reserved;
};
static_assert(sizeof(MemRecord) == 16, "image layout");
static_assert(sizeof(Extent) == 16, "image layout");

/*
 * The handler of memory files, "luomem-v1" (pool.cpp): every core has it,
 * after the C layer's handlers.
 */
extern const luo_file_handler kMemHandler;

} /* namespace luo */

#endif /* LUO_POOL_H */
