/* SPDX-License-Identifier: GPL-2.0 */
/*
 * core.h - the C++ core as the C layer (and KUnit) sees it.
 *
 * Plain C with opaque handles; implemented in luo/core/capi.cpp on top of
 * the C++ classes.  Errors are 0 or -errno, as everywhere in the kernel.
 * Includes nothing, so it can be included after any kernel header.
 */
#ifndef LUO_CORE_H
#define LUO_CORE_H

#ifdef __cplusplus
extern "C" {
#endif

/* Length of a session name buffer in the UAPI: 1..63 bytes and a NUL. */
#define LUO_NAME_BUF 64

struct luo_registry;
struct luo_session;

/**
 * enum luo_dir - which kernel a session belongs to.
 * @LUO_OUTGOING: created here, to be handed to the next kernel.
 * @LUO_INCOMING: handed over by the previous kernel.
 */
enum luo_dir {
	LUO_OUTGOING = 0,
	LUO_INCOMING = 1,
};

/**
 * luo_registry_new() - allocate an empty session registry.
 * @out: where to store it.
 *
 * Return: 0 or -ENOMEM.
 */
int luo_registry_new(struct luo_registry **out);

/**
 * luo_registry_free() - free a registry whose sessions are all gone.
 * @r: the registry, or NULL.
 */
void luo_registry_free(struct luo_registry *r);

/**
 * luo_registry_count() - number of listed sessions in one direction.
 * @r: the registry.
 * @dir: the direction.
 *
 * Return: the count.
 */
unsigned long luo_registry_count(struct luo_registry *r, enum luo_dir dir);

/**
 * luo_registry_visit() - call @fn for each listed session of @dir.
 * @r: the registry.
 * @dir: the direction.
 * @fn: the visitor; returns nonzero to stop.
 * @arg: passed to @fn.
 *
 * Sessions are visited in creation order with the table mutex held, so
 * that none can go away meanwhile.  @fn may take the session mutex (it
 * nests inside the table mutex) but must not call back into the registry.
 */
void luo_registry_visit(struct luo_registry *r, enum luo_dir dir,
			int (*fn)(struct luo_session *s, void *arg), void *arg);

/**
 * luo_registry_buckets() - current size of the name hash table.
 * @r: the registry.
 *
 * Return: number of buckets (a power of two); for tests and status.
 */
unsigned int luo_registry_buckets(struct luo_registry *r);

/**
 * luo_name_check() - validate a session name buffer.
 * @name: LUO_NAME_BUF bytes.
 *
 * Return: the name's length (1..63), or -EINVAL if no NUL ends a
 * non-empty name within the buffer.
 */
int luo_name_check(const char *name);

/**
 * luo_session_create() - list a new session.
 * @r: the registry.
 * @name: LUO_NAME_BUF bytes holding the name.
 * @dir: its direction.
 * @out: the session, holding one reference for the caller.
 *
 * Return: 0, -EINVAL (bad name), -EEXIST (name listed in @dir), -ENOMEM.
 */
int luo_session_create(struct luo_registry *r, const char *name,
		       enum luo_dir dir, struct luo_session **out);

/**
 * luo_session_lookup() - find a listed session by name and reference it.
 * @r: the registry.
 * @name: LUO_NAME_BUF bytes holding the name.
 * @dir: the direction to search.
 *
 * Return: the session (put it when done) or NULL.
 */
struct luo_session *luo_session_lookup(struct luo_registry *r, const char *name,
				       enum luo_dir dir);

/**
 * luo_session_get() - take another reference.
 * @r: the registry.
 * @s: a session the caller holds a reference on.
 */
void luo_session_get(struct luo_registry *r, struct luo_session *s);

/**
 * luo_session_put() - drop a reference; the last one frees the session.
 * @r: the registry.
 * @s: the session.
 */
void luo_session_put(struct luo_registry *r, struct luo_session *s);

/**
 * luo_session_remove() - unlist a session and drop the registry's reference.
 * @r: the registry.
 * @s: a session the caller holds a reference on.
 *
 * Return: 1 if this call unlisted it, 0 if it was already unlisted.
 */
int luo_session_remove(struct luo_registry *r, struct luo_session *s);

/**
 * luo_session_name() - the session's NUL-terminated name.
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

/* ---- handover capacity ------------------------------------------------ */

/**
 * luo_registry_set_capacity() - bytes of handover image sessions may use.
 * @r: the registry.
 * @bytes: the capacity.
 */
void luo_registry_set_capacity(struct luo_registry *r,
			       unsigned long long bytes);

/**
 * luo_registry_reserved() - image bytes currently reserved.
 * @r: the registry.
 *
 * Return: the bytes, not counting the image header.
 */
unsigned long long luo_registry_reserved(struct luo_registry *r);

/**
 * luo_registry_reserve() - reserve image bytes for a record.
 * @r: the registry.
 * @bytes: how many.
 *
 * Return: 0, or -ENOSPC if the capacity would be exceeded.
 */
int luo_registry_reserve(struct luo_registry *r, unsigned long long bytes);

/**
 * luo_registry_release() - give back bytes from luo_registry_reserve().
 * @r: the registry.
 * @bytes: how many.
 */
void luo_registry_release(struct luo_registry *r, unsigned long long bytes);

/* Image bytes of the header, a session record, a file record with data. */
unsigned long long luo_image_header_cost(void);
unsigned long long luo_session_cost(void);
unsigned long long luo_file_cost(unsigned long long data_len);

/* ---- sessions: state under the session mutex -------------------------- */

/** luo_session_lock() - take the session mutex of @s. */
void luo_session_lock(struct luo_session *s);
/** luo_session_unlock() - release the session mutex of @s. */
void luo_session_unlock(struct luo_session *s);
/** luo_session_nfiles() - number of files in @s (session mutex held). */
unsigned int luo_session_nfiles(struct luo_session *s);
/** luo_session_retrieved() - has RETRIEVE_SESSION handed @s out? */
int luo_session_retrieved(struct luo_session *s);
/**
 * luo_session_discarded() - has discard dropped @s (session mutex held)?
 * A lookup may still find it a moment before: it must not be handed out.
 */
int luo_session_discarded(struct luo_session *s);
/** luo_session_set_retrieved() - mark @s handed out (session mutex held). */
void luo_session_set_retrieved(struct luo_session *s);
/** luo_session_finished() - has @s been finished? */
int luo_session_finished(struct luo_session *s);
/** luo_session_reserved() - image bytes @s reserved for its own record. */
unsigned long long luo_session_reserved(struct luo_session *s);
/** luo_session_set_reserved() - record what @s reserved. */
void luo_session_set_reserved(struct luo_session *s, unsigned long long b);

/* ---- files of a session (session mutex held) -------------------------- */

struct luo_file_rec;

/**
 * luo_file_add() - append a file record with a token unique in @s.
 * @s: the session.
 * @token: the token.
 * @out: the new record.
 *
 * Return: 0, -EEXIST (token used in @s) or -ENOMEM.
 */
int luo_file_add(struct luo_session *s, unsigned long long token,
		 struct luo_file_rec **out);
/** luo_file_find() - the record of @token in @s, or NULL. */
struct luo_file_rec *luo_file_find(struct luo_session *s,
				   unsigned long long token);
/** luo_file_last() - the newest record of @s, or NULL. */
struct luo_file_rec *luo_file_last(struct luo_session *s);
/** luo_file_first() - the oldest record of @s, or NULL. */
struct luo_file_rec *luo_file_first(struct luo_session *s);
/** luo_file_next() - the record preserved after @f in its session, or NULL. */
struct luo_file_rec *luo_file_next(struct luo_file_rec *f);
/** luo_file_del() - remove and free record @f of @s. */
void luo_file_del(struct luo_session *s, struct luo_file_rec *f);
/** luo_file_priv() - the C layer's pointer stored in @f. */
void *luo_file_priv(struct luo_file_rec *f);
/** luo_file_set_priv() - store the C layer's pointer in @f. */
void luo_file_set_priv(struct luo_file_rec *f, void *priv);
/** luo_file_token() - the token of @f. */
unsigned long long luo_file_token(struct luo_file_rec *f);
/** luo_file_reserved() - image bytes @f reserved. */
unsigned long long luo_file_reserved(struct luo_file_rec *f);
/** luo_file_set_reserved() - record what @f reserved. */
void luo_file_set_reserved(struct luo_file_rec *f, unsigned long long b);
/** luo_file_retrieve_status() - 0 untried, 1 done, -errno failed. */
int luo_file_retrieve_status(struct luo_file_rec *f);
/** luo_file_set_retrieve_status() - record the outcome of a retrieve. */
void luo_file_set_retrieve_status(struct luo_file_rec *f, int status);
/** luo_file_handler() - incoming: the handler name from the image. */
const char *luo_file_handler(struct luo_file_rec *f);
/** luo_file_data() - incoming: the handler data in the image. */
const void *luo_file_data(struct luo_file_rec *f);
/** luo_file_data_len() - incoming: its length. */
unsigned long long luo_file_data_len(struct luo_file_rec *f);

/**
 * struct luo_finish_ops - how FINISH asks and tells each file.
 * @can_finish: nonzero if the file can be finished now.
 * @finish: release the file's handed-over state; cannot fail.
 */
struct luo_finish_ops {
	int (*can_finish)(struct luo_file_rec *f);
	void (*finish)(struct luo_file_rec *f);
};

/**
 * luo_session_finish() - finish every file of an incoming session.
 * @s: the session; the caller holds its mutex.
 * @ops: the C layer's callbacks.
 *
 * All or nothing: if any file cannot finish, nothing changes.
 * Otherwise every file is finished, newest first, and its record freed;
 * the session is marked finished.
 *
 * Return: 0, -EBUSY, or -EINVAL for an outgoing session.
 */
int luo_session_finish(struct luo_session *s, const struct luo_finish_ops *ops);

/* ---- serialization ---------------------------------------------------- */

/**
 * struct luo_serialize_ops - what serialization needs of each file.
 * @freeze: last chance to capture state; may refuse with -errno.
 * @unfreeze: undo @freeze (the update did not happen).
 * @handler: the handler's name, stored in the image.
 * @data_len: bytes of handler data; at most what the file reserved.
 * @write_data: write exactly @len bytes of handler data to @dst; must not
 *	allocate or sleep on anything userspace controls.
 *
 * Each callback receives the pointer stored with luo_file_set_priv().
 */
struct luo_serialize_ops {
	int (*freeze)(void *priv);
	void (*unfreeze)(void *priv);
	const char *(*handler)(void *priv);
	unsigned long long (*data_len)(void *priv);
	int (*write_data)(void *priv, void *dst, unsigned long long len);
};

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
 * luo_serialize() - freeze all outgoing files and write the image.
 * @r: the registry; mutators are excluded by the caller.
 * @ops: the C layer's callbacks.
 * @dst: where to write, or NULL to only freeze (no handover destination).
 * @cap: bytes at @dst.
 * @stamp: generation and times for the header.
 * @used: bytes written on success.
 *
 * Allocates nothing.  On failure no file stays frozen and the header at
 * @dst (if it has room for one) is invalid.
 *
 * Return: 0 or -errno.
 */
int luo_serialize(struct luo_registry *r, const struct luo_serialize_ops *ops,
		  void *dst, unsigned long long cap,
		  const struct luo_image_stamp *stamp,
		  unsigned long long *used);

/**
 * luo_image_write_failed() - write the header of a freeze that failed.
 * @dst: where the image goes.
 * @cap: bytes at @dst; nothing is written below luo_image_header_cost().
 * @stamp: generation and times.
 * @reason: why, for the next kernel's status (truncated to 47 bytes).
 *
 * The next kernel's luo_image_check() returns -ECANCELED with the reason.
 */
void luo_image_write_failed(void *dst, unsigned long long cap,
			    const struct luo_image_stamp *stamp,
			    const char *reason);

/**
 * luo_unfreeze_all() - unfreeze every outgoing file, newest first.
 * @r: the registry.
 * @ops: the C layer's callbacks.
 */
void luo_unfreeze_all(struct luo_registry *r,
		      const struct luo_serialize_ops *ops);

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
 * struct luo_decode_ops - the C layer's verdict on each file of an image.
 * @check_file: 0 if this kernel has the handler named @handler and @data
 *	(@len bytes) is well formed for it; -ENOENT for an unknown handler,
 *	-EINVAL for bad data.  Must not allocate or sleep for long: it runs
 *	for every file at load, before anything is created.
 */
struct luo_decode_ops {
	int (*check_file)(const char *handler, const void *data,
			  unsigned long long len);
};

/**
 * luo_image_decode() - create the incoming sessions of a checked image.
 * @r: the registry, with no incoming session.
 * @img: an image luo_image_check() accepted; must stay valid while
 *	incoming sessions exist.
 * @ops: checks every file's handler and data before anything is created.
 * @why: a reason on failure (may be NULL).
 * @why_len: bytes at @why.
 *
 * Return: as luo_deserialize(); on failure no incoming session was
 * created.
 */
int luo_image_decode(struct luo_registry *r, const void *img,
		     const struct luo_decode_ops *ops, char *why,
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
 * @r: the registry, with no incoming session.
 * @img: the image; must stay valid while incoming sessions exist.
 * @len: bytes at @img.
 * @ops: as for luo_image_decode().
 * @why: a reason on failure (may be NULL).
 * @why_len: bytes at @why.
 *
 * Return: 0, -ENOENT, -EINVAL, -ECANCELED, -EBUSY (incoming sessions
 * exist) or -ENOMEM; on failure no incoming session was created.
 */
int luo_deserialize(struct luo_registry *r, const void *img,
		    unsigned long long len, const struct luo_decode_ops *ops,
		    char *why, unsigned long why_len);

/**
 * luo_discard_incoming() - remove every incoming session.
 * @r: the registry.
 *
 * For rollback and for an image nobody will retrieve; the files are
 * dropped without calling any handler.
 */
void luo_discard_incoming(struct luo_registry *r);

/**
 * luo_discard_unretrieved() - remove the incoming sessions nobody retrieved.
 * @r: the registry.
 *
 * Each candidate is decided under its session mutex, which
 * RETRIEVE_SESSION also holds: a session is either retrieved (and kept)
 * or marked discarded (and a retrieval that found it is ENOENT), never
 * both.
 *
 * Return: how many were removed.
 */
unsigned long luo_discard_unretrieved(struct luo_registry *r);

#ifdef __cplusplus
}
#endif

#endif /* LUO_CORE_H */
