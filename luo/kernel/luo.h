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
 *	discard, and the release of a session file.  At a kexec the
 *	core's freeze controller closes the gate (luo_gate_close()): it
 *	turns new mutations away (luo_freezing), waits at most
 *	freeze_timeout_ms for the ones inside to drain, takes it for
 *	writing, and the core serializes.  No user memory is touched with
 *	it held: the ioctls copy their arguments in before and their
 *	replies out after.  On success the write side is held until
 *	the jump; if a file refuses to freeze it is released, and after a
 *	drain timeout it was never taken, but either way luo_freezing keeps
 *	new mutations out until the jump.  The test round trip thaws:
 *	releases it and lets mutations in again.
 *   luo_in_lock (freeze.c)
 *	Ownership of the incoming image buffer.  Taken without the rwsem
 *	(at load, by the test round trip, after a mutation ends) and held
 *	while decoding or counting, so the table and session mutexes nest
 *	inside it.
 *   registry table mutex (core, class "luo_table")
 *	The session table; taken inside the core's registry methods.
 *   session mutex (core, class "luo_session")
 *	A session's state and files; taken by the core's operations
 *	(luo/core/lifecycle.cpp).  Nests inside the table mutex when the
 *	listing and the status file walk the sessions (luo_core_list(),
 *	luo_core_counts()).  The file handlers' callbacks run under it;
 *	the memfd handler takes the memfd's inode_lock inside it, to add
 *	and remove its seals.
 *   held-inode set mutex (core, class "luo_held")
 *	The inodes of every preserved file, and of every retrieved one
 *	until its session is finished: a leaf, taken inside the session
 *	mutex.
 *   luo_mem.held_lock (mem.c)
 *	The closed memory files whose pages are still referenced: taken
 *	alone by a memory file's eviction, the work that gives their
 *	chunks back (the pool mutex inside it) and the status file.
 *   pool mutex (core, class "luo_pool")
 *	The handover range's capacity: the image bytes reserved and the
 *	memory files' chunks (include/luo/pool.h).  A leaf, taken inside
 *	the session mutex by CREATE_SESSION and PRESERVE_FD, inside
 *	luo_mem.held_lock by that work, and alone by LIVEUPDATE_MEM_CREATE
 *	and a memory file's last close.
 *   luo_memfd_mnt_lock (memfd.c)
 *	The mount of retrieved memfds, mounted once: a leaf, taken inside
 *	the session mutex by a memfd's RETRIEVE_FD.
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
#include <linux/types.h>
#include <luo/core.h>

struct luo_session;
struct seq_file;

/**
 * struct luo_state - the module's global state.
 * @core: all sessions and files, outgoing and incoming (the C++ core).
 * @devname: name of the misc device node (module parameter).
 * @capacity: bytes of handover image sessions and files may reserve.
 * @generation: number of live updates behind this kernel's image.
 */
struct luo_state {
	struct luo_core *core;
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
void luo_memfd_exit(void);

/* dev.c */
int luo_dev_init(void);
void luo_dev_exit(void);
bool luo_devname_valid(const char *name);

const struct luo_ioctl_rule *
luo_ioctl_copy_in(enum luo_ioctl_target target, enum luo_dir dir,
		  unsigned int cmd, void __user *uarg, void *buf, u32 *usize);
int luo_reply_with_fd(void __user *dst, const void *reply, size_t len, int fd,
		      struct file *file);

/* mem.c */
int luo_mem_init(void);
void luo_mem_exit(void);
unsigned long luo_mem_held_files(void);
const char *luo_mem_page_sizes(void);
struct luo_memfile *luo_memfile_of_file(struct file *file);
int luo_memfile_open(struct luo_memfile *m, struct file **out);

/* session.c */
int luo_session_file(struct luo_session *s, struct file **out);
int luo_sessions_show(struct seq_file *m, void *unused);

/* file.c */
extern const struct luo_kernel_ops luo_kernel_ops;
extern const struct luo_file_handler *const luo_handlers[];
extern const unsigned int luo_nhandlers;

/* handover.c */
int luo_handover_init(void);
void luo_handover_commit(void);
void luo_handover_exit(void);

/* freeze.c */
int luo_incoming_adopt(void *image, char *why, size_t why_len);
void luo_mutation_begin(void);
int luo_mutation_begin_interruptible(void);
bool luo_gate_close(unsigned int timeout_ms);
void luo_gate_release(void);
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
