/* SPDX-License-Identifier: GPL-2.0 */
/*
 * luo.h - internal interfaces of luo's C layer.
 *
 * Locks of luo, outermost first.  Documented here, where they are
 * declared, and asserted with lockdep where they are relied on:
 *
 *   luo_serialize_rwsem (freeze.c)
 *	Every mutation holds it for reading for its whole duration: CREATE
 *	and RETRIEVE_SESSION, every session ioctl (outgoing and incoming),
 *	discard, and the release of a session file.  The reboot notifier
 *	turns new mutations away (luo_freezing), waits at most
 *	freeze_timeout_ms for the ones inside to drain, takes it for
 *	writing and serializes; on success it is never released.  Test and
 *	dry runs release it again (thaw).
 *   luo_in_lock (freeze.c)
 *	Ownership of the incoming image buffer.  Taken without the rwsem
 *	(at load, by the test round trip, after a mutation ends) and held
 *	while decoding or counting, so the table and session mutexes nest
 *	inside it.
 *   registry table mutex (core, class "luo_table")
 *	The session table; taken inside the core's registry methods.
 *   session mutex (core, class "luo_session")
 *	A session's files and retrieve/finish state; luo_session_lock().
 *	Nests inside the table mutex when the listing and the status file
 *	walk the sessions (luo_registry_visit()).
 *   luo_preserved_lock (file.c)
 *	The table of inodes preserved (or retrieved and not finished) in
 *	any session: a leaf.
 *   luo_dev.open_lock (dev.c)
 *	Exclusive open of the device node: a leaf, never held while calling
 *	into anything else.
 *
 * Serialization does not take every session mutex (lockdep tracks at most
 * 48 held locks): the write side of the rwsem is what excludes mutators.
 */
#ifndef LUO_KERNEL_LUO_H
#define LUO_KERNEL_LUO_H

#include <linux/fs.h>
#include <linux/list.h>
#include <linux/types.h>
#include <luo/core.h>

struct luo_registry;
struct luo_session;
struct luo_file_rec;
struct luo_file;
struct seq_file;

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
 * @unpreserve: undo @preserve (the session was closed).
 * @freeze: capture the last state at serialization; may refuse.
 * @unfreeze: undo @freeze.
 * @data_len: bytes of handler data (at most @lf->reserve).
 * @write_data: write them; must not allocate.
 * @check: is this handler data well formed (0, else -EINVAL or
 *	-EOPNOTSUPP)?  Called for every file of an incoming image before
 *	any session is created, so that a bad file rejects the image whole;
 *	must not allocate.  @retrieve may then trust what it checked.
 * @retrieve: rebuild a file from handler data, or ERR_PTR.  -ENOMEM,
 *	-ENOSPC, -EINTR and -EAGAIN say "not now" (the caller may try
 *	again); any other error is a verdict on the data, kept for good.
 * @can_finish: may this (retrieved) file be finished now? NULL: yes.
 * @finish: drop what the retrieved file still holds; NULL: nothing.
 */
struct luo_file_handler {
	const char *name;
	bool (*can_preserve)(struct file *file);
	int (*preserve)(struct luo_file *lf);
	int (*populate)(struct luo_file *lf);
	void (*unpreserve)(struct luo_file *lf);
	int (*freeze)(struct luo_file *lf);
	void (*unfreeze)(struct luo_file *lf);
	u64 (*data_len)(struct luo_file *lf);
	int (*write_data)(struct luo_file *lf, void *dst, u64 len);
	int (*check)(const void *data, u64 len);
	struct file *(*retrieve)(const void *data, u64 len);
	bool (*can_finish)(struct luo_file *lf);
	void (*finish)(struct luo_file *lf);
};

/**
 * struct luo_file - a file luo holds: preserved (outgoing) or retrieved
 * (incoming, until finished).
 * @file: luo's own reference.
 * @inode: the key in the preserved table.
 * @h: its handler.
 * @hpriv: the handler's state.
 * @reserve: handler data bytes reserved in the handover.
 * @node: in the preserved table.
 */
struct luo_file {
	struct file *file;
	struct inode *inode;
	const struct luo_file_handler *h;
	void *hpriv;
	u64 reserve;
	struct hlist_node node;
};

/**
 * struct luo_state - the module's global state.
 * @registry: all sessions, outgoing and incoming (the C++ core).
 * @devname: name of the misc device node (module parameter).
 * @capacity: bytes of handover image sessions and files may reserve.
 * @generation: number of live updates behind this kernel's image.
 */
struct luo_state {
	struct luo_registry *registry;
	const char *devname;
	u64 capacity;
	u64 generation;
};

extern struct luo_state luo_state;

/**
 * struct luo_handover - the reserved range and what happened to it.
 * @map: the range, mapped; NULL when handover is off.
 * @base: its physical address.
 * @size: its size.
 * @state: "off", "no image", "restored", "rejected", "stale" or
 *	"freeze failed" (the previous kernel's).
 * @last_error: why the last image was rejected or the last freeze failed.
 * @prev_freeze_us: how long the previous kernel's freeze took.
 * @image_age: seconds between that freeze and the load.
 * @in_sessions: sessions restored at load.
 * @in_files: files restored at load.
 * @in_bytes: bytes of the image restored at load.
 * @restore_ns: time spent validating and decoding it.
 * @out_bytes: bytes written at the last freeze.
 * @freeze_ns: time the last freeze took, drain of in-flight ioctls included.
 *
 * Written at load (before the device exists) and by the reboot notifier;
 * read by the status file.
 */
struct luo_handover {
	void *map;
	u64 base;
	u64 size;
	const char *state;
	char last_error[96];
	u64 prev_freeze_us;
	u64 image_age;
	u64 in_sessions;
	u64 in_files;
	u64 in_bytes;
	u64 restore_ns;
	u64 out_bytes;
	u64 freeze_ns;
};

extern struct luo_handover luo_handover;
extern const struct luo_file_handler luo_memfd_handler;

/* dev.c */
int luo_dev_init(void);
void luo_dev_exit(void);

/* session.c */
int luo_session_create_file(const char *name, struct file **filep);
int luo_session_retrieve_file(const char *name, struct file **filep);
int luo_sessions_show(struct seq_file *m, void *unused);
u64 luo_sessions_nfiles(enum luo_dir dir);

/* file.c */
int luo_file_preserve(struct luo_session *s, int fd, u64 token);
int luo_file_preserve_file(struct luo_session *s, struct file *file, u64 token);
void luo_file_unpreserve_all(struct luo_session *s);
int luo_file_retrieve(struct luo_session *s, u64 token, struct file **out);
int luo_file_finish_session(struct luo_session *s);
void luo_file_show(struct seq_file *m, struct luo_file_rec *rec,
		   enum luo_dir dir);
extern const struct luo_serialize_ops luo_file_serialize_ops;
extern const struct luo_decode_ops luo_file_decode_ops;

/* handover.c */
int luo_handover_init(void);
void luo_handover_commit(void);
void luo_handover_exit(void);

/* freeze.c */
int luo_incoming_adopt(void *image, char *why, size_t why_len);
void luo_mutation_begin(void);
int luo_mutation_begin_interruptible(void);
int luo_freeze(void *dst, u64 cap, unsigned int timeout_ms, u64 *used,
	       char *why, size_t why_len);
void luo_freeze_abort(void);
void luo_mutation_end(void);
void luo_incoming_maybe_release(void);
int luo_freeze_init(bool test_hooks);
void luo_freeze_exit(void);
int luo_test_serialize(void **image, u64 *len);
void luo_test_thaw(void);
int luo_test_deserialize(void *image, u64 len);

#endif /* LUO_KERNEL_LUO_H */
