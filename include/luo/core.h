/* SPDX-License-Identifier: GPL-2.0 */
/*
 * core.h - the C++ core as the C layer (and KUnit) sees it.
 *
 * Plain C with opaque handles; implemented in luo/core/ on top of the C++
 * classes.  Errors are 0 or -errno, as everywhere in the kernel.  Includes
 * nothing, so it can be included after any kernel header.
 *
 * The core owns luo's logic: sessions and files with their states, the
 * rules of every operation (which errno, in which order, what is undone
 * when a step fails), capacity, FINISH's all-or-nothing, serialization
 * and the validating decoder.  What needs the kernel (file references,
 * anon inodes, the handlers' page work) it reaches through the two
 * tables the C layer gives luo_core_new(): struct luo_kernel_ops and the
 * file handlers.  Each operation's function below is named after its
 * ioctl, and is called with the serialize rwsem held for reading (the
 * C layer's luo_mutation_begin()); the lock order is in luo/kernel/luo.h.
 */
#ifndef LUO_CORE_H
#define LUO_CORE_H

#ifdef __cplusplus
extern "C" {
#endif

/* Length of a session name buffer in the UAPI: 1..63 bytes and a NUL. */
#define LUO_NAME_BUF 64

struct file; /* the kernel's; the core only passes it around */
struct luo_core;
struct luo_session;
struct luo_memfile;

/**
 * enum luo_dir - which kernel a session belongs to.
 * @LUO_OUTGOING: created here, to be handed to the next kernel.
 * @LUO_INCOMING: handed over by the previous kernel.
 */
enum luo_dir {
	LUO_OUTGOING = 0,
	LUO_INCOMING = 1,
};

/* ---- what the C layer provides ---------------------------------------- */

struct luo_file_handler;

/**
 * struct luo_file - a file luo holds, as its handler sees it.
 * @file: luo's own reference to the kernel file.
 * @hpriv: the handler's state.
 * @reserve: handler data bytes reserved in the handover (set by
 *	@preserve).
 * @size: bytes of the file's contents, for the listing, where they are
 *	not about @reserve (set by @preserve; 0: @reserve).  A memory file's
 *	record is 32 bytes; its contents are its memory.
 * @h: its handler.
 *
 * Part of the core's record of the file: one object per preserved or
 * retrieved file, owned by its session.
 */
struct luo_file {
	struct file *file;
	void *hpriv;
	unsigned long long reserve;
	unsigned long long size;
	const struct luo_file_handler *h;
};

/**
 * struct luo_file_handler - one kind of file luo can preserve.
 * @name: stored in the image to find the handler again ("memfd-v1").
 * @can_preserve: quick check whether @file is of this kind.
 * @preserve: take over the file for preservation; set @lf->reserve to
 *	the handler data bytes it will write.  Must not allocate in
 *	proportion to the file: the capacity is reserved only after it
 *	returns.  May fail with -errno.
 * @populate: after the capacity was reserved, whatever the freeze will
 *	need of the file (e.g. bring its pages in).  NULL: nothing.  May
 *	fail with -errno; then @unpreserve undoes @preserve.
 * @unpreserve: undo @preserve (the session was closed).  NULL: nothing.
 * @freeze: capture the last state at serialization; may refuse.  NULL:
 *	nothing to capture.
 * @unfreeze: undo @freeze.  NULL: nothing.
 * @data_len: bytes of handler data (the core writes at most
 *	@lf->reserve).
 * @write_data: write them; must not allocate.
 * @check: is this handler data well formed (0, else -EINVAL or
 *	-EOPNOTSUPP)?  Called for every file of an incoming image before
 *	any session is created, so that a bad file rejects the image whole;
 *	must not allocate.  NULL: any data.  @retrieve may then trust what
 *	it checked.
 * @retrieve: rebuild a file from handler data into @out.  -ENOMEM,
 *	-ENOSPC, -EINTR and -EAGAIN say "not now" (the caller may try
 *	again); any other error is a verdict on the data, kept for good.
 * @can_finish: may this (retrieved) file be finished now?  NULL: yes.
 * @finish: drop what the retrieved file still holds; NULL: nothing.
 * @claim: at load, once @check passed for every file of the image, take
 *	what the data names, so that nothing else can; 0, or -EINVAL to
 *	reject the image whole.  Must not allocate.  NULL: nothing to take.
 *	A successful @retrieve turns the claim into the file it returns.
 * @unclaim: give back what @claim took, for a file that was never
 *	retrieved (or whose data @retrieve judged bad) when its session is
 *	finished or discarded.  NULL: nothing.
 * @content_len: for the listing, the bytes of contents the handler data
 *	of an incoming file stands for (checked by @check); NULL: the
 *	data's own length.
 *
 * The hooks that find or take resources get the core that calls them
 * (@c): the core's own handler, memory files' "luomem-v1", needs its
 * pool.  The C layer's handlers are memfds' (luo/kernel/memfd.c).
 */
struct luo_file_handler {
	const char *name;
	bool (*can_preserve)(struct luo_core *c, struct file *file);
	int (*preserve)(struct luo_core *c, struct luo_file *lf);
	int (*populate)(struct luo_file *lf);
	void (*unpreserve)(struct luo_file *lf);
	int (*freeze)(struct luo_file *lf);
	void (*unfreeze)(struct luo_file *lf);
	unsigned long long (*data_len)(struct luo_file *lf);
	int (*write_data)(struct luo_file *lf, void *dst,
			  unsigned long long len);
	int (*check)(struct luo_core *c, const void *data,
		     unsigned long long len);
	int (*retrieve)(struct luo_core *c, const void *data,
			unsigned long long len, struct file **out);
	bool (*can_finish)(struct luo_file *lf);
	void (*finish)(struct luo_file *lf);
	int (*claim)(struct luo_core *c, const void *data,
		     unsigned long long len);
	void (*unclaim)(struct luo_core *c, const void *data,
			unsigned long long len);
	unsigned long long (*content_len)(const void *data,
					  unsigned long long len);
};

/**
 * struct luo_kernel_ops - the kernel services the core's operations use.
 * @get_file: take another reference to @file.
 * @fput: drop a reference.
 * @file_key: what identifies @file's contents (its inode): a file is
 *	preserved at most once, in any session.
 * @session_file: the file a session is handed out as (an anon inode
 *	holding the caller's reference to @s), or -errno.
 * @gate_close: the freeze's drain: turn new mutations away, then wait at
 *	most @timeout_ms for those inside to leave; true with every
 *	mutation excluded (the serialize rwsem held for writing), false
 *	with them still turned away and the lock not held.
 * @gate_release: give up what @gate_close took, new mutations still
 *	turned away (after a failed freeze, until the jump or a thaw).
 * @memfile_of: the memory file @file is (a file of
 *	/dev/liveupdate_mem), or NULL.  NULL: no memory files here.
 * @memfile_open: a new file over @m, which it owns from then on;
 *	-errno (-ENODEV: no device for memory files), and @m is not
 *	touched.  NULL: -EOPNOTSUPP.
 */
struct luo_kernel_ops {
	void (*get_file)(struct file *file);
	void (*fput)(struct file *file);
	const void *(*file_key)(struct file *file);
	int (*session_file)(struct luo_session *s, struct file **out);
	bool (*gate_close)(unsigned int timeout_ms);
	void (*gate_release)(void);
	struct luo_memfile *(*memfile_of)(struct file *file);
	int (*memfile_open)(struct luo_memfile *m, struct file **out);
};

/**
 * luo_core_new() - allocate an empty core.
 * @kops: the kernel services.
 * @handlers: the file handlers, looked up in this order, before the
 *	core's own for memory files.
 * @nhandlers: how many.
 * @out: where to store it.
 *
 * The capacity is unlimited until luo_core_set_capacity().
 *
 * Return: 0 or -ENOMEM.
 */
int luo_core_new(const struct luo_kernel_ops *kops,
		 const struct luo_file_handler *const *handlers,
		 unsigned int nhandlers, struct luo_core **out);

/**
 * luo_core_free() - free a core whose sessions are all gone.
 * @c: the core, or NULL.
 */
void luo_core_free(struct luo_core *c);

/**
 * luo_core_set_capacity() - bytes of handover image sessions may reserve.
 * @c: the core.
 * @bytes: the capacity, not counting the image header.
 *
 * Every session and file reserves what its record will take when it is
 * created, so that running out of room is ENOSPC at the ioctl and never
 * a failure at the freeze.
 */
void luo_core_set_capacity(struct luo_core *c, unsigned long long bytes);

/* ---- the operations, one per ioctl ------------------------------------ */

/**
 * luo_create_session() - CREATE_SESSION: a new outgoing session.
 * @c: the core.
 * @name: LUO_NAME_BUF bytes from userspace.
 * @out: the session file, holding the session.
 *
 * Return: 0, -EINVAL (bad name), -EEXIST (an outgoing session has it),
 * -ENOSPC (no room in the handover), -ENOMEM, or session_file()'s error;
 * on failure nothing changed.
 */
int luo_create_session(struct luo_core *c, const char *name, struct file **out);

/**
 * luo_retrieve_session() - RETRIEVE_SESSION: hand out an incoming session.
 * @c: the core.
 * @name: LUO_NAME_BUF bytes from userspace.
 * @out: the session file, holding the session.
 *
 * Once only: pending -> retrieved, decided under the session mutex, which
 * the discard takes too.
 *
 * Return: 0, -EINVAL (bad name; already retrieved), -ENOENT (no such
 * session, or discarded), or session_file()'s error (still pending).
 */
int luo_retrieve_session(struct luo_core *c, const char *name,
			 struct file **out);

/**
 * luo_close_session() - the release of a session file.
 * @c: the core.
 * @s: the session; its file's reference is dropped.
 *
 * Outgoing: every file is unpreserved, newest first, its capacity given
 * back, and the session removed.  Incoming: an implicit FINISH; if a file
 * cannot finish, the session stays (retrieved, never to be handed out
 * again) until the module is unloaded.  Cannot fail.
 */
void luo_close_session(struct luo_core *c, struct luo_session *s);

/**
 * luo_preserve_fd() - PRESERVE_FD: give a file to an outgoing session.
 * @c: the core.
 * @s: the session.
 * @file: the file the caller's descriptor names (luo takes its own
 *	reference), or NULL for a bad descriptor.
 * @token: the caller's name for the file.
 *
 * Checked in this order: the token (-EEXIST), the descriptor (-EBADF),
 * a handler for the file (-ENOENT), the file not preserved anywhere yet
 * (-EBUSY), the handler's preserve (-EOPNOTSUPP, ...), room in the
 * handover (-ENOSPC), the handler's populate; -ENOMEM; -EINVAL for an
 * incoming session.  On failure nothing changed.
 *
 * Return: 0 or -errno.
 */
int luo_preserve_fd(struct luo_core *c, struct luo_session *s,
		    struct file *file, unsigned long long token);

/**
 * luo_retrieve_fd() - RETRIEVE_FD: the file of @token in an incoming
 * session.
 * @c: the core.
 * @s: the session.
 * @token: the token.
 * @out: a new reference to the file.
 *
 * The first success is kept and every later call returns the same file;
 * a failure that judges the data is kept too, and returned for good; a
 * transient one (-ENOMEM, -ENOSPC, -EINTR, -EAGAIN) records nothing.
 *
 * Return: 0, -ENOENT (unknown token), -EINVAL (outgoing session), a
 * transient error, or the permanent one.
 */
int luo_retrieve_fd(struct luo_core *c, struct luo_session *s,
		    unsigned long long token, struct file **out);

/**
 * luo_finish() - FINISH: release every file of an incoming session.
 * @c: the core.
 * @s: the session.
 *
 * All or nothing: if any retrieved file cannot finish, nothing changes.
 * Otherwise every file is finished, newest first (files never retrieved
 * just die with the image) and the session is finished; again is a no-op.
 *
 * Return: 0, -EBUSY, or -EINVAL for an outgoing session.
 */
int luo_finish(struct luo_core *c, struct luo_session *s);

/**
 * luo_session_name() - GET_NAME: the session's NUL-terminated name.
 * @s: the session.
 *
 * Return: the name, valid while a reference is held.
 */
const char *luo_session_name(const struct luo_session *s);

/**
 * luo_session_dir() - the session's direction.
 * @s: the session.
 *
 * Return: LUO_OUTGOING or LUO_INCOMING.
 */
enum luo_dir luo_session_dir(const struct luo_session *s);

/**
 * luo_discard_unretrieved() - the sysfs discard: drop the incoming
 * sessions nobody retrieved.
 * @c: the core.
 *
 * Each candidate is decided under its session mutex, which
 * luo_retrieve_session() also holds: a session is either retrieved (and
 * kept) or discarded (and a retrieval that found it is -ENOENT), never
 * both.
 *
 * Return: how many were removed.
 */
unsigned long luo_discard_unretrieved(struct luo_core *c);

/**
 * luo_discard_incoming() - remove every incoming session.
 * @c: the core.
 *
 * For a failed load and the unload, when no session file is open: files
 * still retrieved (of a session that could not finish on close) are
 * finished and released; files never retrieved die with the image.
 */
void luo_discard_incoming(struct luo_core *c);

/* ---- the ioctl rules ----------------------------------------------------- */

/*
 * The ABI's command words, as include/uapi/linux/liveupdate.h spells them
 * (_IO(0xBA, nr): no size or direction in the word); the C layer asserts
 * that they agree.
 */
#define LUO_IOC(nr) ((0xBAu << 8) | (nr))
#define LUO_IOC_DEVICE_BASE 0x00
#define LUO_IOC_SESSION_BASE 0x40
#define LUO_IOC_MEM_BASE 0x80

/**
 * enum luo_ioctl_target - which file an ioctl was issued on.
 * @LUO_ON_DEVICE: /dev/liveupdate.
 * @LUO_ON_SESSION: a session's file.
 * @LUO_ON_MEM: /dev/liveupdate_mem.
 */
enum luo_ioctl_target {
	LUO_ON_DEVICE,
	LUO_ON_SESSION,
	LUO_ON_MEM,
};

/**
 * enum luo_ioctl_op - every ioctl, in the order of its nr.
 * @LUO_OP_CREATE_SESSION: CREATE_SESSION, on the device.
 * @LUO_OP_RETRIEVE_SESSION: RETRIEVE_SESSION, on the device.
 * @LUO_OP_PRESERVE_FD: PRESERVE_FD, on an outgoing session.
 * @LUO_OP_RETRIEVE_FD: RETRIEVE_FD, on an incoming session.
 * @LUO_OP_FINISH: FINISH, on an incoming session.
 * @LUO_OP_GET_NAME: GET_NAME, on either.
 * @LUO_OP_MEM_CREATE: LIVEUPDATE_MEM_CREATE, on /dev/liveupdate_mem.
 */
enum luo_ioctl_op {
	LUO_OP_CREATE_SESSION,
	LUO_OP_RETRIEVE_SESSION,
	LUO_OP_PRESERVE_FD,
	LUO_OP_RETRIEVE_FD,
	LUO_OP_FINISH,
	LUO_OP_GET_NAME,
	LUO_OP_MEM_CREATE,
};

/**
 * struct luo_ioctl_rule - how one ioctl is dispatched.
 * @op: which it is.
 * @cmd: its command word.
 * @size: bytes of its struct in this kernel's ABI.
 * @min_size: the smallest size userspace may pass: up to the end of the
 *	last field it must set.
 * @on_dirs: the sessions it applies to, a bit per enum luo_dir (0: it is
 *	the device's).
 * @reply: the struct is copied back on success.
 */
struct luo_ioctl_rule {
	enum luo_ioctl_op op;
	unsigned int cmd;
	unsigned int size;
	unsigned int min_size;
	unsigned int on_dirs;
	bool reply;
};

/**
 * luo_ioctl_find() - the first step of every ioctl: find its rule by nr.
 * @target: the file it was issued on.
 * @cmd: the command word.
 *
 * The dispatch order, the same for every ioctl, on every file:
 *
 *  1. nr outside the file's range: -EINVAL (this function: NULL);
 *  2. the caller's ``size`` (the struct's first u32) unreadable: -EFAULT;
 *  3. not exactly the command word of that nr: -ENOTTY;
 *  4. on a session of the wrong direction: -EINVAL;
 *  5. ``size`` below @min_size: -EINVAL;
 *  6. bytes past @size that are not zero: -E2BIG (the struct copied in,
 *     unreadable: -EFAULT);
 *  7. the operation itself, with its own errnos (see each one above).
 *
 * Steps 2 and 6 touch user memory, so they are the C layer's; 3 to 5 are
 * luo_ioctl_admit().
 *
 * Return: the rule, or NULL for step 1.
 */
const struct luo_ioctl_rule *luo_ioctl_find(enum luo_ioctl_target target,
					    unsigned int cmd);

/**
 * luo_ioctl_admit() - steps 3 to 5 of the dispatch order.
 * @rule: from luo_ioctl_find().
 * @cmd: the command word.
 * @dir: the session's direction (ignored on the device).
 * @usize: the caller's ``size``.
 *
 * Return: 0, -ENOTTY or -EINVAL.
 */
int luo_ioctl_admit(const struct luo_ioctl_rule *rule, unsigned int cmd,
		    enum luo_dir dir, unsigned int usize);

/* ---- status and listing ----------------------------------------------- */

/**
 * struct luo_counts - what the status file shows of the core.
 * @sessions: listed sessions, by direction.
 * @files: their files, by direction.
 * @reserved: handover bytes reserved, the header not counted.
 */
struct luo_counts {
	unsigned long sessions[2];
	unsigned long long files[2];
	unsigned long long reserved;
};

/**
 * luo_core_counts() - the counts of the status file.
 * @c: the core.
 * @out: filled in.
 */
void luo_core_counts(struct luo_core *c, struct luo_counts *out);

/**
 * luo_core_sessions() - how many sessions are listed in one direction.
 * @c: the core.
 * @dir: the direction.
 *
 * Return: the count.
 */
unsigned long luo_core_sessions(struct luo_core *c, enum luo_dir dir);

/**
 * struct luo_session_view - one session line of the listing.
 * @name: its name.
 * @dir: its direction.
 * @state: "open", "frozen", "pending", "retrieved" or "finished".
 * @nfiles: its files.
 */
struct luo_session_view {
	const char *name;
	enum luo_dir dir;
	const char *state;
	unsigned int nfiles;
};

/**
 * struct luo_file_view - one file line of the listing.
 * @token: its token.
 * @handler: its handler's name.
 * @bytes: what it takes (or took) in the handover image.
 * @state: "preserved", "frozen", "pending", "retrieved" or "failed".
 * @error: for "failed", the errno (positive).
 */
struct luo_file_view {
	unsigned long long token;
	const char *handler;
	unsigned long long bytes;
	const char *state;
	int error;
};

/**
 * struct luo_listing_ops - how luo_core_list() hands out each line.
 * @session: a session; its files follow.
 * @file: a file of the last session.
 */
struct luo_listing_ops {
	void (*session)(void *arg, const struct luo_session_view *v);
	void (*file)(void *arg, const struct luo_file_view *v);
};

/**
 * luo_core_list() - walk every listed session and its files.
 * @c: the core.
 * @ops: called for each line, with the table and the session mutex held:
 *	they must not call back into the core.
 * @arg: passed to @ops.
 *
 * Outgoing sessions, then incoming ones, each in creation order, their
 * files in preservation order.  Takes no part in the serialize rwsem: the
 * listing works after the freeze.
 */
void luo_core_list(struct luo_core *c, const struct luo_listing_ops *ops,
		   void *arg);

/** luo_image_header_cost() - bytes of an image's header. */
unsigned long long luo_image_header_cost(void);

/* ---- memory files and the pool (include/luo/pool.h) ------------------- */

/**
 * struct luo_pool_stats - the pool, for the status file.
 * @size: bytes of whole 2 MiB chunks in the range.
 * @used: bytes of memory files, the previous kernel's not yet finished
 *	included.
 * @free: bytes a memory file could be given now (above the image).
 * @largest: the longest free run of chunks among those.
 * @files: memory files, the previous kernel's not yet finished included.
 */
struct luo_pool_stats {
	unsigned long long size;
	unsigned long long used;
	unsigned long long free;
	unsigned long long largest;
	unsigned long files;
};

/**
 * luo_core_set_range() - the capacity is a range of memory.
 * @c: the core.
 * @size: bytes of the range (the image header included).
 * @first: offset in the range of its first 2 MiB-aligned chunk.
 * @huge: offset in the range of its first 1 GiB boundary of physical
 *	memory, where memory files of 1 GiB or more start if they can.
 *
 * Replaces luo_core_set_capacity(): the image and the memory files share
 * the range (include/luo/pool.h).  Call before anything is reserved.
 *
 * Return: 0, -ENOMEM or -EINVAL (no room for the header).
 */
int luo_core_set_range(struct luo_core *c, unsigned long long size,
		       unsigned long long first, unsigned long long huge);

/**
 * luo_pool_hold_incoming() - keep chunks out of the previous kernel's image.
 * @c: the core.
 * @len: bytes of that image at the start of the range; 0 once no incoming
 *	session points into it.
 */
void luo_pool_hold_incoming(struct luo_core *c, unsigned long long len);

/** luo_pool_read_stats() - fill @out with the pool's figures.  @c: the core. */
void luo_pool_read_stats(struct luo_core *c, struct luo_pool_stats *out);

/**
 * luo_memfile_create() - chunks for a new memory file.
 * @c: the core.
 * @length: bytes, a non-zero multiple of 2 MiB.
 * @out: the memory file; the caller zeroes its memory.
 *
 * Return: 0, -EINVAL (@length), -ENOSPC (no room) or -ENOMEM.
 */
int luo_memfile_create(struct luo_core *c, unsigned long long length,
		       struct luo_memfile **out);

/** luo_memfile_free() - give a memory file's chunks back.  @m: or NULL. */
void luo_memfile_free(struct luo_memfile *m);

/** luo_memfile_length() - bytes of @m. */
unsigned long long luo_memfile_length(const struct luo_memfile *m);

/**
 * luo_memfile_locate() - where a byte of a memory file is.
 * @m: the memory file.
 * @pos: a byte offset in the file.
 * @range_off: where it is, as an offset in the range.
 *
 * Return: bytes contiguous in the range from there (to the end of the
 * extent), or 0 if @pos is past the end of the file.
 */
unsigned long long luo_memfile_locate(const struct luo_memfile *m,
				      unsigned long long pos,
				      unsigned long long *range_off);

/* ---- serialization ---------------------------------------------------- */

/**
 * struct luo_image_stamp - what the header of a new image records.
 * @generation: the generation number.
 * @wall_time: wall-clock time of the freeze, seconds since 1970.
 * @start_ns: luo_shim_now_ns() when the freeze began (the drain of
 *	in-flight operations included): the header records the duration.
 */
struct luo_image_stamp {
	unsigned long long generation;
	unsigned long long wall_time;
	unsigned long long start_ns;
};

/**
 * luo_core_freeze() - the freeze controller: drain, freeze, write.
 * @c: the core.
 * @dst: where the image goes, or NULL (handover off: freeze only).
 * @cap: bytes at @dst.
 * @timeout_ms: how long the drain waits for in-flight mutations.
 * @stamp: generation and times for the header.
 * @used: bytes of image written (0 on failure).
 * @why: the reason on failure, also in the failed header.
 * @why_len: bytes at @why.
 *
 * Allocates nothing and never blocks past @timeout_ms on userspace.  If
 * the drain times out, or a file refuses to freeze, @dst gets the header
 * of a failed freeze with the reason (the next kernel reports it), no
 * file stays frozen, and new mutations stay turned away.  On success every
 * mutation stays excluded: the jump (or a test thaw) ends it.
 *
 * Return: 0, -ETIMEDOUT, or a file's freeze error.
 */
int luo_core_freeze(struct luo_core *c, void *dst, unsigned long long cap,
		    unsigned int timeout_ms,
		    const struct luo_image_stamp *stamp,
		    unsigned long long *used, char *why, unsigned long why_len);

/**
 * luo_core_freeze_drained() - luo_core_freeze() once the drain is done.
 * @c: the core; the caller's gate_close() succeeded.
 * @dst: as for luo_core_freeze().
 * @cap: bytes at @dst.
 * @stamp: generation and times.
 * @used: bytes of image written.
 * @why: the reason on failure.
 * @why_len: bytes at @why.
 *
 * For a caller that sizes @dst only once nothing can change (the test
 * round trip).  On failure the failed header is written and gate_release()
 * called.
 *
 * Return: 0 or a file's freeze error.
 */
int luo_core_freeze_drained(struct luo_core *c, void *dst,
			    unsigned long long cap,
			    const struct luo_image_stamp *stamp,
			    unsigned long long *used, char *why,
			    unsigned long why_len);

/**
 * luo_unfreeze_all() - unfreeze every outgoing file, newest first.
 * @c: the core.
 */
void luo_unfreeze_all(struct luo_core *c);

/**
 * struct luo_image_info - what the header of a checked image says.
 * @generation: live updates behind it.
 * @wall_time: wall-clock time of its freeze, seconds since 1970.
 * @freeze_us: how long that freeze took.
 * @total_len: bytes of the image.
 * @nsessions: sessions in it.
 * @nfiles: files in it.
 * @reason: for a failed freeze, why (NUL-terminated).
 */
struct luo_image_info {
	unsigned long long generation;
	unsigned long long wall_time;
	unsigned long long freeze_us;
	unsigned long long total_len;
	unsigned long long nsessions;
	unsigned long long nfiles;
	char reason[48];
};

/**
 * luo_image_check() - validate an image's header and checksum.
 * @img: the image.
 * @len: bytes available at @img.
 * @info: what the header says, if it is valid (may be NULL).
 * @why: a reason on failure (may be NULL).
 * @why_len: bytes at @why.
 *
 * Reads every byte once (the checksum); luo_image_decode() then trusts
 * the checksum and checks every record.
 *
 * Return: 0, -ENOENT (no image: bad magic), -EINVAL (corrupt or
 * incompatible) or -ECANCELED (the header of a failed freeze; @info has
 * the reason).
 */
int luo_image_check(const void *img, unsigned long long len,
		    struct luo_image_info *info, char *why,
		    unsigned long why_len);

/**
 * luo_image_decode() - create the incoming sessions of a checked image.
 * @c: the core, with no incoming session.
 * @img: an image luo_image_check() accepted; must stay valid while
 *	incoming sessions exist.
 * @why: a reason on failure (may be NULL).
 * @why_len: bytes at @why.
 *
 * A first pass walks every record and asks each file's handler (found by
 * name among the core's handlers) to check its data; a handler this
 * kernel lacks or data it refuses rejects the image before anything is
 * created.
 *
 * Return: as luo_deserialize(); on failure no incoming session was
 * created.
 */
int luo_image_decode(struct luo_core *c, const void *img, char *why,
		     unsigned long why_len);

/**
 * luo_image_invalidate() - make an image unreadable (clear its magic).
 * @img: the image; its records stay in place.
 */
void luo_image_invalidate(void *img);

/**
 * luo_image_seal() - recompute the checksum of an image in place.
 * @img: the image.
 * @len: its total length.
 *
 * For tests that craft images; the serializer seals its own.
 */
void luo_image_seal(void *img, unsigned long long len);

/**
 * luo_deserialize() - luo_image_check(), then luo_image_decode().
 * @c: the core, with no incoming session.
 * @img: the image; must stay valid while incoming sessions exist.
 * @len: bytes at @img.
 * @why: a reason on failure (may be NULL).
 * @why_len: bytes at @why.
 *
 * Return: 0, -ENOENT, -EINVAL, -ECANCELED, -EBUSY (incoming sessions
 * exist) or -ENOMEM; on failure no incoming session was created.
 */
int luo_deserialize(struct luo_core *c, const void *img, unsigned long long len,
		    char *why, unsigned long why_len);

#ifdef __cplusplus
}
#endif

#endif /* LUO_CORE_H */
