// SPDX-License-Identifier: GPL-2.0
/*
 * image.cpp - freeze and encode outgoing sessions; validate and decode
 * incoming ones.
 *
 * DOC: Serialization
 *
 * luo_serialize() runs with the serialize rwsem held for writing (by the
 * reboot notifier, or by a test or dry run), so no session or file can
 * change under it.  It first freezes every outgoing file in preservation
 * order, sessions in creation order; if a freeze fails, the files already
 * frozen are unfrozen in reverse order and the error is returned.  Then
 * it writes the image into the destination, which is large enough by
 * construction (every record's bytes were reserved when it was created),
 * and allocates nothing.  The header is written last, with the freeze's
 * wall-clock time and duration: if anything fails on the way, the
 * destination is left with an invalid header, never a valid-looking half
 * image, and every file is unfrozen again.  The caller then writes the
 * header of a failed freeze (luo_image_write_failed()): no sessions, a
 * flag and the reason, for the next kernel to report.
 *
 * DOC: Deserialization
 *
 * Nothing is trusted.  luo_image_check() reads the header (magic, ABI
 * string, lengths, flags) and computes the checksum, once, over the whole
 * image; luo_image_decode() then walks every record within bounds,
 * checking counts, names, handler names and reserved fields, and asks
 * the C layer (luo_decode_ops) whether each file's handler exists in
 * this kernel and its data is well formed (a first pass that creates
 * nothing).  A second pass decodes into
 * incoming sessions, whose files point into the image (which must
 * therefore outlive them); the registry itself refuses a duplicate name
 * or a duplicate token in a session, and any failure there removes what
 * the pass created, so an image is taken whole or not at all.
 */
#include <luo/core.h>
#include <luo/image.h>
#include <luo/lifecycle.h>

namespace luo {

namespace {

/* Bounded reader over the image for the validation and decode passes. */
class Cursor {
public:
	Cursor(const u8 *base, u64 len) : base_(base), len_(len) {}
	template <typename T> const T *take()
	{
		return reinterpret_cast<const T *>(take_bytes(sizeof(T)));
	}
	/* n bytes, padded to 8; nullptr if they do not fit. */
	const u8 *take_bytes(u64 n)
	{
		if (n > len_ - off_ || align8(n) > len_ - off_)
			return nullptr;
		const u8 *p = base_ + off_;
		off_ += align8(n);
		return p;
	}
	u64 offset() const { return off_; }

private:
	const u8 *base_;
	u64 len_;
	u64 off_ = 0;
};

/*
 * The serializer zeroes the padding after a record's data: a data_len
 * that lies by less than the padding shows there.
 */
bool padding_zero(const u8 *data, u64 len)
{
	for (u64 i = len; i < align8(len); i++)
		if (data[i])
			return false;
	return true;
}

bool handler_valid(const char *h)
{
	size_t n = strnlen(h, kHandlerBuf);

	return n > 0 && n < kHandlerBuf;
}

/* Sort @n tokens in place (heapsort: no recursion, no allocation). */
void sort_tokens(u64 *a, u64 n)
{
	auto sift = [a](u64 root, u64 end) {
		while (2 * root + 1 < end) {
			u64 child = 2 * root + 1;
			if (child + 1 < end && a[child] < a[child + 1])
				child++;
			if (!(a[root] < a[child]))
				return;
			u64 t = a[root];
			a[root] = a[child];
			a[child] = t;
			root = child;
		}
	};
	for (u64 i = n / 2; i-- > 0;)
		sift(i, n);
	for (u64 end = n; end > 1; end--) {
		u64 t = a[0];
		a[0] = a[end - 1];
		a[end - 1] = t;
		sift(0, end - 1);
	}
}

void set_why(char *why, unsigned long why_len, const char *msg)
{
	if (!why || !why_len)
		return;
	unsigned long i = 0;
	for (; msg[i] && i + 1 < why_len; i++)
		why[i] = msg[i];
	why[i] = '\0';
}

/* The handler's view of an outgoing file. */
int freeze_file(File *f)
{
	int err = f->k.h->freeze ? f->k.h->freeze(&f->k) : 0;

	if (!err)
		f->state = FileState::kFrozen;
	return err;
}

void unfreeze_file(File *f)
{
	if (f->k.h->unfreeze)
		f->k.h->unfreeze(&f->k);
	f->state = FileState::kPreserved;
}

/* What the handler writes; never more than the file reserved. */
u64 file_data_len(File *f)
{
	u64 len = f->k.h->data_len(&f->k);

	return len < f->k.reserve ? len : f->k.reserve;
}

/* An incoming file's handler takes what its data names (pass 2). */
int claim(luo_core *c, File *rec)
{
	const luo_file_handler *h = c->handler_named(rec->handler);

	if (!h->claim)
		return 0;
	int err = h->claim(rec->data, rec->data_len);
	rec->claimed = !err;
	return err ? -kEINVAL : 0;
}

/* The header fields every image has; the checksum is left to the caller. */
void write_header(ImageHeader *hdr, const luo_image_stamp *stamp)
{
	hdr->magic = kImageMagic;
	__builtin_memcpy(hdr->abi, kImageAbi, sizeof(kImageAbi));
	hdr->generation = stamp->generation;
	hdr->header_len = sizeof(ImageHeader);
	hdr->freeze_time = stamp->wall_time;
	hdr->freeze_us = (luo_shim_now_ns() - stamp->start_ns) / 1000;
}

} /* namespace */

} /* namespace luo */

using namespace luo;

extern "C" {

unsigned long long luo_session_cost(void)
{
	return kSessionCost;
}

unsigned long long luo_file_cost(unsigned long long data_len)
{
	return file_cost(data_len);
}

unsigned long long luo_image_header_cost(void)
{
	return sizeof(ImageHeader);
}

int luo_serialize(struct luo_core *c, void *dst, unsigned long long cap,
		  const struct luo_image_stamp *stamp, unsigned long long *used)
{
	Registry &reg = c->reg;
	File *failed_at = nullptr;
	int err = 0;

	/* Freeze, in order; remember where it failed to undo the rest. */
	reg.for_each(Direction::kOutgoing, [&](Session *s) {
		for (File *f : s->files) {
			err = freeze_file(f);
			if (err) {
				failed_at = f;
				return false;
			}
		}
		s->set_state(SessionState::kFrozen);
		return true;
	});
	if (err) {
		bool undo = false;
		/* Unfreeze what was frozen, newest first. */
		reg.for_each_reverse(Direction::kOutgoing, [&](Session *s) {
			for (File *f : s->files.reverse()) {
				if (f == failed_at) {
					undo = true;
					continue;
				}
				if (undo)
					unfreeze_file(f);
			}
			s->set_state(SessionState::kOpen);
			return true;
		});
		return err;
	}

	/* No destination (handover off): the freeze is all there is. */
	if (!dst) {
		*used = 0;
		return 0;
	}

	u8 *out = static_cast<u8 *>(dst);
	auto *hdr = reinterpret_cast<ImageHeader *>(out);
	u64 off = sizeof(ImageHeader);
	u32 nsessions = 0, nfiles = 0;

	if (cap < sizeof(ImageHeader))
		err = -kENOSPC;
	else
		__builtin_memset(hdr, 0, sizeof(*hdr));
	reg.for_each(Direction::kOutgoing, [&](Session *s) {
		if (err)
			return false;
		if (cap - off < kSessionCost) {
			err = -kENOSPC;
			return false;
		}
		auto *is = reinterpret_cast<ImageSession *>(out + off);
		__builtin_memset(is, 0, sizeof(*is));
		__builtin_memcpy(is->name, s->name, s->name_len);
		is->nfiles = s->nfiles;
		off += kSessionCost;
		nsessions++;
		for (File *f : s->files) {
			u64 dlen = file_data_len(f);
			if (cap - off < file_cost(dlen)) {
				err = -kENOSPC;
				return false;
			}
			auto *ifile = reinterpret_cast<ImageFile *>(out + off);
			__builtin_memset(ifile, 0, sizeof(*ifile));
			ifile->token = f->token;
			const char *h = f->k.h->name;
			__builtin_memcpy(ifile->handler, h,
					 strnlen(h, kHandlerBuf - 1));
			ifile->data_len = dlen;
			off += sizeof(ImageFile);
			err = f->k.h->write_data(&f->k, out + off, dlen);
			if (err)
				return false;
			if (align8(dlen) != dlen)
				__builtin_memset(out + off + dlen, 0,
						 align8(dlen) - dlen);
			off += align8(dlen);
			nfiles++;
		}
		return true;
	});
	if (err) {
		/* Never leave a valid-looking half image behind. */
		if (cap >= sizeof(ImageHeader))
			__builtin_memset(hdr, 0, sizeof(*hdr));
		luo_shim_log(LUO_LOG_ERR,
			     "serialize failed (%d): image invalid", err);
		luo_unfreeze_all(c);
		return err;
	}
	write_header(hdr, stamp);
	hdr->total_len = off;
	hdr->nsessions = nsessions;
	hdr->nfiles = nfiles;
	hdr->checksum = image_checksum(out, off);
	*used = off;
	return 0;
}

void luo_image_write_failed(void *dst, unsigned long long cap,
			    const struct luo_image_stamp *stamp,
			    const char *reason)
{
	auto *hdr = static_cast<ImageHeader *>(dst);

	if (!dst || cap < sizeof(ImageHeader))
		return;
	__builtin_memset(hdr, 0, sizeof(*hdr));
	write_header(hdr, stamp);
	hdr->total_len = sizeof(ImageHeader);
	hdr->flags = kImageFailed;
	set_why(hdr->reason, kReasonBuf, reason);
	hdr->checksum = image_checksum(hdr, sizeof(*hdr));
}

void luo_image_invalidate(void *img)
{
	static_cast<ImageHeader *>(img)->magic = 0;
}

void luo_image_seal(void *img, unsigned long long len)
{
	auto *hdr = static_cast<ImageHeader *>(img);

	hdr->checksum = image_checksum(img, len);
}

void luo_unfreeze_all(struct luo_core *c)
{
	c->reg.for_each_reverse(Direction::kOutgoing, [&](Session *s) {
		for (File *f : s->files.reverse())
			unfreeze_file(f);
		s->set_state(SessionState::kOpen);
		return true;
	});
}

int luo_image_check(const void *img, unsigned long long len,
		    struct luo_image_info *info, char *why,
		    unsigned long why_len)
{
	const auto *hdr = static_cast<const ImageHeader *>(img);

	if (len < sizeof(ImageHeader)) {
		set_why(why, why_len, "image shorter than its header");
		return -kEINVAL;
	}
	if (hdr->magic != kImageMagic) {
		set_why(why, why_len, "no image (bad magic)");
		return -kENOENT;
	}
	if (!mem_equal(hdr->abi, kImageAbi, sizeof(kImageAbi))) {
		set_why(why, why_len, "incompatible image ABI version");
		return -kEINVAL;
	}
	if (hdr->header_len != sizeof(ImageHeader) ||
	    hdr->total_len < sizeof(ImageHeader) || hdr->total_len > len ||
	    hdr->total_len % 8) {
		set_why(why, why_len, "bad image lengths");
		return -kEINVAL;
	}
	if (image_checksum(img, hdr->total_len) != hdr->checksum) {
		set_why(why, why_len, "image checksum mismatch");
		return -kEINVAL;
	}
	/*
	 * Every freeze writes its predecessor's generation + 1, and the first
	 * kernel starts at 0: so 0 was never written by a freeze, and the
	 * largest value would make the next freeze wrap to 0.
	 */
	if (!hdr->generation || hdr->generation == ~0ULL) {
		set_why(why, why_len, "impossible image generation");
		return -kEINVAL;
	}
	if (hdr->flags & ~kImageFailed) {
		set_why(why, why_len, "unknown image header flags");
		return -kEINVAL;
	}
	if ((hdr->flags & kImageFailed) &&
	    (hdr->nsessions || hdr->nfiles ||
	     hdr->total_len != sizeof(ImageHeader) ||
	     strnlen(hdr->reason, kReasonBuf) == kReasonBuf)) {
		set_why(why, why_len, "bad failed-freeze header");
		return -kEINVAL;
	}
	if (info) {
		info->generation = hdr->generation;
		info->wall_time = hdr->freeze_time;
		info->freeze_us = hdr->freeze_us;
		info->total_len = hdr->total_len;
		info->nsessions = hdr->nsessions;
		info->nfiles = hdr->nfiles;
		__builtin_memcpy(info->reason, hdr->reason, kReasonBuf);
		info->reason[kReasonBuf - 1] = '\0';
	}
	if (hdr->flags & kImageFailed) {
		set_why(why, why_len, "previous freeze failed");
		return -kECANCELED;
	}
	return 0;
}

int luo_deserialize(struct luo_core *c, const void *img, unsigned long long len,
		    char *why, unsigned long why_len)
{
	int err = luo_image_check(img, len, nullptr, why, why_len);

	return err ? err : luo_image_decode(c, img, why, why_len);
}

int luo_image_decode(struct luo_core *c, const void *img, char *why,
		     unsigned long why_len)
{
	Registry &reg = c->reg;
	const auto *hdr = static_cast<const ImageHeader *>(img);
	int err = 0;

	if (reg.count(Direction::kIncoming)) {
		set_why(why, why_len, "incoming sessions already exist");
		return -kEBUSY;
	}

	/* Pass 1: walk every record within bounds; check what it says. */
	const u8 *base = static_cast<const u8 *>(img);
	Cursor cur(base, hdr->total_len);
	cur.take<ImageHeader>();
	u32 files_seen = 0;
	for (u32 i = 0; i < hdr->nsessions; i++) {
		const auto *is = cur.take<ImageSession>();
		u32 nlen;
		luo_shim_cond_resched();
		if (!is || is->reserved ||
		    !Registry::check_name(is->name, &nlen).ok()) {
			set_why(why, why_len, "bad session record");
			return -kEINVAL;
		}
		/* A count the bytes left cannot hold is a lie: no allocation. */
		if (is->nfiles >
		    (hdr->total_len - cur.offset()) / sizeof(ImageFile)) {
			set_why(why, why_len, "bad session record");
			return -kEINVAL;
		}
		/* Tokens, sorted, to find a duplicate in n log n, not n^2. */
		u64 *tokens = nullptr;
		if (is->nfiles > 1) {
			tokens = static_cast<u64 *>(
				luo_shim_zalloc(is->nfiles * sizeof(u64)));
			if (!tokens) {
				set_why(why, why_len,
					"out of memory while decoding");
				return -kENOMEM;
			}
		}
		for (u32 k = 0; k < is->nfiles; k++) {
			const auto *f = cur.take<ImageFile>();
			const u8 *d = f ? cur.take_bytes(f->data_len) : nullptr;
			if (!f || !handler_valid(f->handler) || !d ||
			    !padding_zero(d, f->data_len)) {
				luo_shim_free(tokens);
				set_why(why, why_len, "bad file record");
				return -kEINVAL;
			}
			const luo_file_handler *h =
				c->handler_named(f->handler);
			int verdict = !h	 ? -kENOENT
				      : h->check ? h->check(d, f->data_len)
						 : 0;
			if (verdict) {
				luo_shim_free(tokens);
				set_why(why, why_len,
					verdict == -kENOENT
						? "unknown file handler"
						: "bad handler data");
				return -kEINVAL;
			}
			if (tokens)
				tokens[k] = f->token;
			files_seen++;
			if (!(files_seen & 1023))
				luo_shim_cond_resched();
		}
		bool dup = false;
		if (tokens) {
			sort_tokens(tokens, is->nfiles);
			for (u32 k = 1; k < is->nfiles && !dup; k++)
				dup = tokens[k] == tokens[k - 1];
			luo_shim_free(tokens);
		}
		if (dup) {
			set_why(why, why_len,
				"duplicate session name or token");
			return -kEINVAL;
		}
	}
	if (files_seen != hdr->nfiles || cur.offset() != hdr->total_len) {
		set_why(why, why_len, "image counts do not add up");
		return -kEINVAL;
	}

	/* Pass 2: build.  Undo everything on failure. */
	Cursor b(base, hdr->total_len);
	b.take<ImageHeader>();
	for (u32 i = 0; i < hdr->nsessions; i++) {
		const auto *is = b.take<ImageSession>();
		Result<Session *> res =
			reg.create(is->name, Direction::kIncoming);
		if (!res.ok()) {
			err = res.status().to_kernel();
			break;
		}
		Session *s = res.value();
		s->lock();
		for (u32 k = 0; k < is->nfiles && !err; k++) {
			const auto *f = b.take<ImageFile>();
			const u8 *data = b.take_bytes(f->data_len);
			/* Unique: pass 1 checked. */
			File *rec = Session::file_new(f->token);
			if (!rec) {
				err = -kENOMEM;
				break;
			}
			rec->state = FileState::kPending;
			s->file_append(rec);
			__builtin_memcpy(rec->handler, f->handler, kHandlerBuf);
			rec->handler[kHandlerBuf - 1] = '\0';
			rec->data = data;
			rec->data_len = f->data_len;
			err = claim(c, rec);
		}
		s->unlock();
		s->put(); /* the registry's reference keeps it */
		if (err)
			break;
	}
	if (err) {
		luo_discard_incoming(c);
		set_why(why, why_len,
			err == -kEEXIST ? "duplicate session name or token"
			: err == -kEINVAL
				? "memory claimed twice or out of range"
				: "out of memory while decoding");
		return err == -kEEXIST ? -kEINVAL : err;
	}
	return 0;
}

} /* extern "C" */
