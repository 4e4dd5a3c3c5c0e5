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

#ifdef __cplusplus
}
#endif

#endif /* LUO_CORE_H */
