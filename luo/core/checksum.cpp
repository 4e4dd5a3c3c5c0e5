// SPDX-License-Identifier: GPL-2.0
/*
 * checksum.cpp - the image checksum, alone in its object.
 *
 * DOC: The checksum loop
 *
 * image_checksum() reads every byte of an image twice per live update
 * (once at the freeze, once at the restore), so it is the hottest loop in
 * luo.  It lives in its own object so that Kbuild can leave it out of the
 * KCOV instrumentation the ioctl fuzzer uses (KCOV_INSTRUMENT_... := n
 * in Kbuild): a coverage callback per 8 bytes made the freeze and the
 * restore of a 256 MiB image several times slower on the test kernel, and
 * a loop whose branches depend only on the length has no coverage worth
 * tracing.
 *
 * For the same reason it is built without KASAN (KASAN_SANITIZE_... := n):
 * a check call per 8 bytes made the test kernel's freeze of a memfd 12
 * memcpys long.  KASAN still sees the whole read, checked once before the
 * loop (luo_shim_check_read()), as it checks a memcpy().
 */
#include <luo/core.h>
#include <luo/image.h>
#include <luo/shim.h>

namespace luo {

u64 image_checksum(const void *buf, u64 len)
{
	const u8 *p = static_cast<const u8 *>(buf);
	u64 h = 0x9e3779b97f4a7c15ULL ^ len;

	luo_shim_check_read(buf, len);
	for (u64 i = 0; i + 8 <= len; i += 8) {
		u64 w;

		if (!(i & ((1 << 20) - 1)))
			luo_shim_cond_resched();
		__builtin_memcpy(&w, p + i, 8);
		if (i == __builtin_offsetof(ImageHeader, checksum))
			w = 0;
		h ^= w * 0xff51afd7ed558ccdULL;
		h = (h << 31) | (h >> 33);
		h *= 0xc4ceb9fe1a85ec53ULL;
	}
	return h ^ (h >> 29);
}

} /* namespace luo */
