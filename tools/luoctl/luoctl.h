/* SPDX-License-Identifier: GPL-2.0 */
/*
 * luoctl - the operator's command line for luo, the Live Update
 * Orchestrator.  See luoctl(8) (tools/luoctl/luoctl.8) for the manual.
 *
 *   luoctl status [--json]         what luo holds and what happened
 *   luoctl list [--json]           sessions and files, in and out
 *   luoctl preserve ...            preserve files in a held session
 *   luoctl cancel NAME...          stop holding (unpreserve) a session
 *   luoctl retrieve ... -- CMD     hand restored files to CMD
 *   luoctl finish NAME...          finish incoming sessions
 *   luoctl memfile ... -- CMD      a memory file handed to CMD
 *   luoctl kexec ...               check, load the next kernel, jump
 *
 * Everything goes through libluo and the module's two read-only files,
 * /sys/class/misc/<device>/status and /proc/driver/<device>; the device
 * itself is opened only for as long as a command needs it, because only
 * one process may have it open.
 *
 * A session lives as long as a file refers to it: closing an outgoing
 * session unpreserves its files.  So "preserve" leaves a small holder
 * process behind (named luoctl-hold) that keeps the session open until
 * the machine jumps; its pid is in $LUOCTL_RUNDIR (/run/luoctl).
 *
 * Under systemd (PID 1, run as root), the holder must also live through
 * `systemctl kexec`, which stops every unit and then, in systemd-shutdown,
 * kills every process left.  So it is started in a scope of its own,
 * `systemd-run --scope -p DefaultDependencies=no` (no Conflicts= on
 * shutdown.target: the shutdown does not stop it), and re-executes
 * itself with argv[0] "@luoctl-hold": systemd-shutdown leaves processes
 * of root whose argv[0] starts with '@' alone (systemd's "storage daemons
 * for the root file system" convention).  "luoctl kexec" then asks
 * systemd for the jump (systemctl kexec) instead of running kexec -e.
 * LUOCTL_NO_SYSTEMD=1 turns both off.
 *
 * The files, by verb: main.c (global options, usage, dispatch),
 * status.c, list.c (and the listing and holder look-ups the others
 * use), preserve.c (preserve, cancel, the holder), retrieve.c (retrieve,
 * finish), memfile.c, kexec.c; output.c is what they share (the globals, messages,
 * small helpers), declared here.
 */
#ifndef LUOCTL_H
#define LUOCTL_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>

#include "luo.h"

/* Exit codes (luoctl(8), EXIT STATUS). */
enum {
	EXIT_OK = 0,
	EXIT_FAIL = 1, /* the kernel or the system refused; errno printed */
	EXIT_USAGE = 2,
	EXIT_NOT_READY = 3, /* luo is not loaded, or not ready to jump */
};

/* ---- output.c: the globals, messages, small helpers ---------------------- */

/* luo's device name: -d, else the basename of $LUO_DEVICE (main()). */
extern const char *devname;
/* Where the holders' pid files are: $LUOCTL_RUNDIR, else /run/luoctl. */
extern const char *rundir;

/* Is systemd PID 1 (and are we root), so jumps and holders go through it? */
bool under_systemd(void);

/* The errno's name, "ENOENT"; "E?" if unknown. */
const char *errname(int err);
/* "luoctl: WHAT: ENAME (text)" and an optional hint; returns EXIT_FAIL. */
int fail_errno(int err, const char *hint, const char *fmt, ...);
/* "luoctl: MESSAGE"; returns @code. */
int fail_msg(int code, const char *fmt, ...);
/* "luoctl CMD: WHAT" and where the help is; returns EXIT_USAGE. */
int usage_error(const char *cmd, const char *what);
/* The usage error of an option getopt_long() refused. */
int bad_option(const char *cmd, char **argv);
/* For the commands that take only names: is the first one --help? */
bool wants_help(int argc, char **argv);
/* luo_open(), saying why not (and what to do) on failure. */
int open_device(void);

/* The whole of @path, NUL-terminated and malloc()ed; NULL and *@err. */
char *read_all(const char *path, int *err);
/* A whole string as an unsigned number (any base strtoull() takes). */
bool parse_u64(const char *s, uint64_t *out);
/* "512 B", "1.5 MiB"... in @buf. */
const char *human_bytes(uint64_t b, char *buf, size_t len);
/* "800 us", "12 ms", "1.5 s" in @buf. */
const char *human_us(uint64_t us, char *buf, size_t len);
/* @s as a quoted, escaped JSON string. */
void json_string(FILE *f, const char *s);
/* Is @cmd a file execvp() could run? */
bool executable(const char *cmd);

/* ---- status.c ------------------------------------------------------------ */

#define MAX_KEYS 48

/* The status file, split into "key: value" lines; free buf. */
struct status {
	int n;
	char *key[MAX_KEYS];
	char *val[MAX_KEYS];
	char *buf;
};

/* Read the status, or say that luo is not loaded (EXIT_NOT_READY). */
int status_or_not_loaded(struct status *st);
/* The value of @key, "" if none. */
const char *status_get(const struct status *st, const char *key);
/* The value of @key as a number, 0 if none. */
uint64_t status_num(const struct status *st, const char *key);
/* The handover range; both 0 when handover is off. */
void status_range(const struct status *st, uint64_t *base, uint64_t *size);

/* ---- list.c -------------------------------------------------------------- */

/* The session listing: sessions in and out, their files. */
struct lfile {
	uint64_t token;
	char type[32];
	uint64_t bytes;
	char state[32];
};

struct lsession {
	char name[LUO_SESSION_NAME_MAX];
	bool out;
	char state[16];
	unsigned int nfiles;
	struct lfile *files;
	unsigned int nf;
};

struct listing {
	struct lsession *s;
	size_t n;
};

/* Read /proc/driver/<device>; listing_free() it after. */
int listing_read(struct listing *l);
void listing_free(struct listing *l);
/* The holder pid file of session @name, in rundir. */
void pidfile_path(const char *name, char *path, size_t len);
/* The pid of the live holder of outgoing session @name, or 0. */
pid_t holder_of(const char *name);
/* Has process @pid the session file "[luo_session] NAME" open? */
bool holds_session(pid_t pid, const char *name);

/* ---- the commands: argv[0] is the command's name ------------------------- */

int cmd_status(int argc, char **argv); /* status.c */
int cmd_list(int argc, char **argv); /* list.c */
int cmd_preserve(int argc, char **argv); /* preserve.c */
int cmd_cancel(int argc, char **argv);
/* "luoctl __hold SESSION READY NAME": the holder in its systemd scope. */
int cmd_hold(int argc, char **argv);
int cmd_retrieve(int argc, char **argv); /* retrieve.c */
int cmd_finish(int argc, char **argv);
int cmd_memfile(int argc, char **argv); /* memfile.c */
int cmd_kexec(int argc, char **argv); /* kexec.c */

#endif /* LUOCTL_H */
