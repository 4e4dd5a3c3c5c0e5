// SPDX-License-Identifier: GPL-2.0
/*
 * image.cpp - freeze and encode outgoing sessions; validate and decode
 * incoming ones.
 *
 * DOC: Serialization
 *
 * luo_serialize() runs with every mutation excluded (the freeze
 * controller closed the C layer's gate: the serialize rwsem is held for
 * writing), so no session or file can change under it.  freeze_all()
 * first freezes every outgoing file in preservation order, sessions in
 * creation order; if a freeze fails, the files already frozen are
 * unfrozen in reverse order and the error is returned.  Then a Writer
 * puts the session and file records into the destination, which is
 * large enough by construction (every record's bytes were reserved when
 * it was created), and allocates nothing.  The header is written last,
 * with the freeze's wall-clock time and duration: if anything fails on
 * the way, the destination is left with an invalid header, never a
 * valid-looking half image, and every file is unfrozen again.  The
 * controller then writes the header of a failed freeze
 * (luo_image_write_failed()): no sessions, a flag and the reason, for the
 * next kernel to report.
 *
 * DOC: Deserialization
 *
 * Nothing is trusted.  luo_image_check() reads the header (magic, ABI
 * string, lengths, flags) and computes the checksum, once, over the whole
 * image (header_verdict()); luo_image_decode() then walks every record
 * within bounds, checking counts, names, handler names, reserved fields
 * and unique tokens, and asks each file's handler, found by name among
 * the core's handlers, to check its data (check_records(), a first pass
 * that creates nothing).  A second pass (build_records()) decodes into
 * incoming sessions, whose files point into the image (which must
 * therefore outlive them); the registry itself refuses a duplicate name,
 * and any failure there removes what the pass created, so an image is
 * taken whole or not at all.
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
	int err = h->claim(c, rec->data, rec->data_len);
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

/* Unfreeze the files frozen before @failed_at, newest first. */
void unfreeze_before(Registry &reg, File *failed_at)
{
	bool undo = false;

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
}

/*
 * Freeze every outgoing file, sessions in creation order, files in
 * preservation order; if one refuses, unfreeze the ones before it.
 */
int freeze_all(Registry &reg)
{
	File *failed_at = nullptr;
	int err = 0;

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
	if (err)
		unfreeze_before(reg, failed_at);
	return err;
}

/* Writes the records after the header, never past the capacity. */
class Writer {
public:
	Writer(u8 *out, u64 cap) : out_(out), cap_(cap) {}
	/* A session record, then each file's; -ENOSPC or the handler's. */
	int session(Session *s);

	u64 off = sizeof(ImageHeader);
	u32 nsessions = 0;
	u32 nfiles = 0;

private:
	int file(File *f);

	u8 *out_;
	u64 cap_;
};

int Writer::session(Session *s)
{
	if (cap_ - off < kSessionCost)
		return -kENOSPC;
	auto *is = reinterpret_cast<ImageSession *>(out_ + off);
	__builtin_memset(is, 0, sizeof(*is));
	__builtin_memcpy(is->name, s->name, s->name_len);
	is->nfiles = s->nfiles;
	off += kSessionCost;
	nsessions++;
	for (File *f : s->files) {
		int err = file(f);
		if (err)
			return err;
	}
	return 0;
}

/* A file record and the handler's data, padded with zeros to 8 bytes. */
int Writer::file(File *f)
{
	u64 dlen = file_data_len(f);

	if (cap_ - off < file_cost(dlen))
		return -kENOSPC;
	auto *ifile = reinterpret_cast<ImageFile *>(out_ + off);
	__builtin_memset(ifile, 0, sizeof(*ifile));
	ifile->token = f->token;
	const char *h = f->k.h->name;
	__builtin_memcpy(ifile->handler, h, strnlen(h, kHandlerBuf - 1));
	ifile->data_len = dlen;
	off += sizeof(ImageFile);
	int err = f->k.h->write_data(&f->k, out_ + off, dlen);
	if (err)
		return err;
	if (align8(dlen) != dlen)
		__builtin_memset(out_ + off + dlen, 0, align8(dlen) - dlen);
	off += align8(dlen);
	nfiles++;
	return 0;
}

/* Every outgoing session's records, in creation order. */
int write_records(Registry &reg, Writer &w)
{
	int err = 0;

	reg.for_each(Direction::kOutgoing, [&](Session *s) {
		err = w.session(s);
		return !err;
	});
	return err;
}

/* A check's outcome: 0, or an errno and the reason for the log. */
struct Verdict {
	int err;
	const char *why;
};

constexpr Verdict kSound = {0, nullptr};

/*
 * What is wrong with the image at @hdr, @len bytes available, in the
 * order luo_image_check() checks it; kSound if nothing.
 */
Verdict header_verdict(const ImageHeader *hdr, u64 len)
{
	if (len < sizeof(ImageHeader))
		return {-kEINVAL, "image shorter than its header"};
	if (hdr->magic != kImageMagic)
		return {-kENOENT, "no image (bad magic)"};
	if (!mem_equal(hdr->abi, kImageAbi, sizeof(kImageAbi)))
		return {-kEINVAL, "incompatible image ABI version"};
	if (hdr->header_len != sizeof(ImageHeader) ||
	    hdr->total_len < sizeof(ImageHeader) || hdr->total_len > len ||
	    hdr->total_len % 8)
		return {-kEINVAL, "bad image lengths"};
	if (image_checksum(hdr, hdr->total_len) != hdr->checksum)
		return {-kEINVAL, "image checksum mismatch"};
	/*
	 * Every freeze writes its predecessor's generation + 1, and the first
	 * kernel starts at 0: so 0 was never written by a freeze, and the
	 * largest value would make the next freeze wrap to 0.
	 */
	if (!hdr->generation || hdr->generation == ~0ULL)
		return {-kEINVAL, "impossible image generation"};
	if (hdr->flags & ~kImageFailed)
		return {-kEINVAL, "unknown image header flags"};
	if ((hdr->flags & kImageFailed) &&
	    (hdr->nsessions || hdr->nfiles ||
	     hdr->total_len != sizeof(ImageHeader) ||
	     strnlen(hdr->reason, kReasonBuf) == kReasonBuf))
		return {-kEINVAL, "bad failed-freeze header"};
	return kSound;
}

void fill_info(luo_image_info *info, const ImageHeader *hdr)
{
	info->generation = hdr->generation;
	info->wall_time = hdr->freeze_time;
	info->freeze_us = hdr->freeze_us;
	info->total_len = hdr->total_len;
	info->nsessions = hdr->nsessions;
	info->nfiles = hdr->nfiles;
	__builtin_memcpy(info->reason, hdr->reason, kReasonBuf);
	info->reason[kReasonBuf - 1] = '\0';
}

/*
 * Pass 1, the @n file records of a session: bounds, handler names and
 * the handler's check of its data.  Their tokens go to @tokens, if any.
 */
Verdict check_files(luo_core *c, Cursor &cur, u32 n, u64 *tokens,
		    u32 *files_seen)
{
	for (u32 k = 0; k < n; k++) {
		const auto *f = cur.take<ImageFile>();
		const u8 *d = f ? cur.take_bytes(f->data_len) : nullptr;
		if (!f || !handler_valid(f->handler) || !d ||
		    !padding_zero(d, f->data_len))
			return {-kEINVAL, "bad file record"};
		const luo_file_handler *h = c->handler_named(f->handler);
		int verdict = !h	 ? -kENOENT
			      : h->check ? h->check(c, d, f->data_len)
					 : 0;
		if (verdict)
			return {-kEINVAL, verdict == -kENOENT
						  ? "unknown file handler"
						  : "bad handler data"};
		if (tokens)
			tokens[k] = f->token;
		(*files_seen)++;
		if (!(*files_seen & 1023))
			luo_shim_cond_resched();
	}
	return kSound;
}

/* Sorted in place: does any token appear twice? */
bool has_duplicate(u64 *tokens, u32 n)
{
	sort_tokens(tokens, n);
	for (u32 k = 1; k < n; k++)
		if (tokens[k] == tokens[k - 1])
			return true;
	return false;
}

/* Pass 1, one session record and its files; creates nothing. */
Verdict check_session(luo_core *c, Cursor &cur, u64 total_len, u32 *files_seen)
{
	const auto *is = cur.take<ImageSession>();
	u32 nlen;

	luo_shim_cond_resched();
	if (!is || is->reserved || !Registry::check_name(is->name, &nlen).ok())
		return {-kEINVAL, "bad session record"};
	/* A count the bytes left cannot hold is a lie: no allocation. */
	if (is->nfiles > (total_len - cur.offset()) / sizeof(ImageFile))
		return {-kEINVAL, "bad session record"};
	/* Tokens, sorted, to find a duplicate in n log n, not n^2. */
	u64 *tokens = nullptr;
	if (is->nfiles > 1) {
		tokens = static_cast<u64 *>(
			luo_shim_zalloc(is->nfiles * sizeof(u64)));
		if (!tokens)
			return {-kENOMEM, "out of memory while decoding"};
	}
	Verdict v = check_files(c, cur, is->nfiles, tokens, files_seen);
	if (!v.err && tokens && has_duplicate(tokens, is->nfiles))
		v = {-kEINVAL, "duplicate session name or token"};
	luo_shim_free(tokens);
	return v;
}

/* Pass 1: walk every record within bounds, check what it says. */
Verdict check_records(luo_core *c, const ImageHeader *hdr)
{
	Cursor cur(reinterpret_cast<const u8 *>(hdr), hdr->total_len);
	u32 files_seen = 0;

	cur.take<ImageHeader>();
	for (u32 i = 0; i < hdr->nsessions; i++) {
		Verdict v = check_session(c, cur, hdr->total_len, &files_seen);
		if (v.err)
			return v;
	}
	if (files_seen != hdr->nfiles || cur.offset() != hdr->total_len)
		return {-kEINVAL, "image counts do not add up"};
	return kSound;
}

/* Pass 2, one file record: pending, its data pointing into the image. */
int build_file(luo_core *c, Session *s, Cursor &cur)
{
	const auto *f = cur.take<ImageFile>();
	const u8 *data = cur.take_bytes(f->data_len);
	/* Unique: pass 1 checked. */
	File *rec = Session::file_new(f->token);

	if (!rec)
		return -kENOMEM;
	rec->state = FileState::kPending;
	s->file_append(rec);
	__builtin_memcpy(rec->handler, f->handler, kHandlerBuf);
	rec->handler[kHandlerBuf - 1] = '\0';
	rec->data = data;
	rec->data_len = f->data_len;
	return claim(c, rec);
}

/* Pass 2, one session record: list it, pending, with its files. */
int build_session(luo_core *c, Cursor &cur)
{
	const auto *is = cur.take<ImageSession>();
	Result<Session *> res = c->reg.create(is->name, Direction::kIncoming);

	if (!res.ok())
		return res.status().to_kernel();
	Session *s = res.value();
	int err = 0;
	s->lock();
	for (u32 k = 0; k < is->nfiles && !err; k++)
		err = build_file(c, s, cur);
	s->unlock();
	s->put(); /* the registry's reference keeps it */
	return err;
}

/* Pass 2: every session; the caller removes them all on failure. */
int build_records(luo_core *c, const ImageHeader *hdr)
{
	Cursor cur(reinterpret_cast<const u8 *>(hdr), hdr->total_len);
	int err = 0;

	cur.take<ImageHeader>();
	for (u32 i = 0; i < hdr->nsessions && !err; i++)
		err = build_session(c, cur);
	return err;
}

} /* namespace */

} /* namespace luo */

using namespace luo;

int luo::serialize(luo_core *c, void *dst, unsigned long long cap,
		   const luo_image_stamp *stamp, unsigned long long *used)
{
	int err = freeze_all(c->reg);

	if (err)
		return err;
	/* No destination (handover off): the freeze is all there is. */
	if (!dst) {
		*used = 0;
		return 0;
	}
	auto *hdr = static_cast<ImageHeader *>(dst);
	Writer w(static_cast<u8 *>(dst), cap);

	if (cap < sizeof(ImageHeader)) {
		err = -kENOSPC;
	} else {
		__builtin_memset(hdr, 0, sizeof(*hdr));
		err = write_records(c->reg, w);
	}
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
	hdr->total_len = w.off;
	hdr->nsessions = w.nsessions;
	hdr->nfiles = w.nfiles;
	hdr->checksum = image_checksum(dst, w.off);
	*used = w.off;
	return 0;
}

void luo::write_failed_header(void *dst, unsigned long long cap,
			      const luo_image_stamp *stamp, const char *reason)
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

extern "C" {

unsigned long long luo_image_header_cost(void)
{
	return sizeof(ImageHeader);
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
	Verdict v = header_verdict(hdr, len);

	if (v.err) {
		set_why(why, why_len, v.why);
		return v.err;
	}
	if (info)
		fill_info(info, hdr);
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
	const auto *hdr = static_cast<const ImageHeader *>(img);

	if (c->reg.count(Direction::kIncoming)) {
		set_why(why, why_len, "incoming sessions already exist");
		return -kEBUSY;
	}
	Verdict v = check_records(c, hdr);
	if (v.err) {
		set_why(why, why_len, v.why);
		return v.err;
	}
	int err = build_records(c, hdr);
	if (err) {
		/* Undo everything pass 2 made. */
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
