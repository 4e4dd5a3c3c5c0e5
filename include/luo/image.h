/* SPDX-License-Identifier: GPL-2.0 */
/*
 * image.h - the handover image: what one kernel writes for the next.
 *
 * Layout (little endian, every record 8-byte aligned):
 *
 *   ImageHeader                        128 bytes
 *   for each session, in creation order:
 *     ImageSession                      72 bytes
 *     for each file, in preservation order:
 *       ImageFile                       40 bytes
 *       handler data                    data_len bytes, padded to 8
 *
 * The checksum covers the whole image (total_len bytes) with the checksum
 * field read as zero.  A reader trusts nothing before checking magic, ABI
 * string, lengths, counts and checksum, and rejects the image as a whole.
 * The format is versioned by the ABI string: any change to it is a new
 * string, and an image with another string is rejected.
 *
 * A freeze that failed (in-flight operations did not drain in time, a
 * file refused to freeze) writes a header alone with kImageFailed and the
 * reason, so that the next kernel can say what happened instead of
 * mistaking it for a cold boot.
 */
#ifndef LUO_IMAGE_H
#define LUO_IMAGE_H

#include <luo/core.h>
#include <luo/registry.h>

namespace luo {

constexpr u64 kImageMagic = 0x3130474d494f554cULL; /* "LUOIMG01" */
constexpr char kImageAbi[16] = "luo-image-2";
constexpr u32 kImageFailed = 1; /* header flag: the freeze failed */
constexpr u32 kReasonBuf = 48;

struct ImageHeader {
	u64 magic;
	char abi[16];
	u64 generation; /* incremented by every live update */
	u64 total_len;	/* bytes of the whole image, header included */
	u64 checksum;
	u32 header_len;
	u32 nsessions;
	u32 nfiles;
	u32 flags;	 /* kImageFailed, or 0 */
	u64 freeze_time; /* wall clock at the freeze, seconds since 1970 */
	u64 freeze_us;	 /* the freeze until this header (not its checksum) */
	char reason[kReasonBuf]; /* kImageFailed: why, NUL-terminated */
};
static_assert(sizeof(ImageHeader) == 128, "image ABI");
static_assert(__builtin_offsetof(ImageHeader, checksum) == 40, "image ABI");
static_assert(__builtin_offsetof(ImageHeader, freeze_time) == 64, "image ABI");

struct ImageSession {
	char name[kNameBuf];
	u32 nfiles;
	u32 reserved;
};
static_assert(sizeof(ImageSession) == 72, "image ABI");

struct ImageFile {
	u64 token;
	char handler[kHandlerBuf];
	u64 data_len;
};
static_assert(sizeof(ImageFile) == 40, "image ABI");

constexpr u64 align8(u64 n)
{
	return (n + 7) & ~7ULL;
}

/* Image bytes a session record and a file record take. */
constexpr u64 kSessionCost = sizeof(ImageSession);
constexpr u64 file_cost(u64 data_len)
{
	return sizeof(ImageFile) + align8(data_len);
}

/* The checksum of the image format (not cryptographic). */
u64 image_checksum(const void *buf, u64 len);

/*
 * Freeze every outgoing file of @c and write the image at @dst (@cap
 * bytes; NULL: only freeze), the caller having excluded every mutation;
 * @used gets the bytes written.  Allocates nothing.  On failure no file
 * stays frozen and the header at @dst (if it has room for one) is
 * invalid.  0 or -errno.  The freeze controller (freeze.cpp,
 * luo_core_freeze()) is its one caller in the module.
 */
int serialize(luo_core *c, void *dst, unsigned long long cap,
	      const luo_image_stamp *stamp, unsigned long long *used);

/*
 * The header of a freeze that failed, at @dst (nothing if @cap has no
 * room for it), with @reason (47 bytes kept): the next kernel's
 * luo_image_check() returns -ECANCELED and reports it.
 */
void write_failed_header(void *dst, unsigned long long cap,
			 const luo_image_stamp *stamp, const char *reason);

} /* namespace luo */

#endif /* LUO_IMAGE_H */
