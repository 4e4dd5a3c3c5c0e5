// SPDX-License-Identifier: GPL-2.0
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
 */
#define _GNU_SOURCE
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <getopt.h>
#include <inttypes.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "luo.h"

#ifndef LUOCTL_VERSION
#define LUOCTL_VERSION "unknown"
#endif

/* Exit codes (luoctl(8), EXIT STATUS). */
enum {
	EXIT_OK = 0,
	EXIT_FAIL = 1, /* the kernel or the system refused; errno printed */
	EXIT_USAGE = 2,
	EXIT_NOT_READY = 3, /* luo is not loaded, or not ready to jump */
};

static const char *devname = "liveupdate";
static const char *rundir = "/run/luoctl";

/*
 * Is systemd the init system, so that a jump must go through it and the
 * holders must outlive its shutdown?  sd_booted()'s test; root only (a
 * user cannot start system scopes, and '@' protects only root).
 */
static bool under_systemd(void)
{
	const char *e = getenv("LUOCTL_NO_SYSTEMD");

	if (e && *e && strcmp(e, "0"))
		return false;
	return geteuid() == 0 && !access("/run/systemd/system", F_OK);
}

/* ---- messages ------------------------------------------------------------ */

static const char *errname(int err)
{
	const char *n = strerrorname_np(err);

	return n ? n : "E?";
}

/* "luoctl: WHAT: ENAME (text)" and, if given, an indented hint. */
static int fail_errno(int err, const char *hint, const char *fmt, ...)
{
	va_list ap;

	fputs("luoctl: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, ": %s (%s)\n", errname(err), strerror(err));
	if (hint)
		fprintf(stderr, "  %s\n", hint);
	return EXIT_FAIL;
}

static int fail_msg(int code, const char *fmt, ...)
{
	va_list ap;

	fputs("luoctl: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	return code;
}

static int usage_error(const char *cmd, const char *what)
{
	fprintf(stderr, "luoctl %s: %s\nTry 'luoctl %s --help'.\n", cmd, what,
		cmd);
	return EXIT_USAGE;
}

/* getopt_long() returned '?' or ':' for argv[optind - 1]. */
static int bad_option(const char *cmd, char **argv)
{
	char what[128];

	snprintf(what, sizeof(what), "bad option or missing argument: %s",
		 argv[optind - 1]);
	return usage_error(cmd, what);
}

/* What to do about the errno of opening the device. */
static const char *open_hint(int err)
{
	switch (err) {
	case ENOENT:
	case ENODEV:
	case ENXIO:
		return "is the luo module loaded? (modprobe luo handover_base=... handover_size=...; see luoctl(8))";
	case EBUSY:
		return "another process has the device open (only one may): find it with 'fuser -v /dev/liveupdate'";
	case EACCES:
	case EPERM:
		return "run as root, or as a member of the device's group (udev rule 60-liveupdate.rules)";
	default:
		return NULL;
	}
}

static int open_device(void)
{
	int dev = luo_open();

	if (dev < 0)
		fail_errno(-dev, open_hint(-dev), "cannot open /dev/%s",
			   devname);
	return dev;
}

/* ---- small helpers ------------------------------------------------------- */

static char *read_all(const char *path, int *err)
{
	size_t len = 0, cap = 4096;
	char *buf = malloc(cap);
	ssize_t n;
	int fd;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0 || !buf) {
		*err = fd < 0 ? errno : ENOMEM;
		if (fd >= 0)
			close(fd);
		free(buf);
		return NULL;
	}
	for (;;) {
		if (cap - len < 2) {
			char *nb = realloc(buf, cap * 2);

			if (!nb) {
				*err = ENOMEM;
				goto fail;
			}
			buf = nb;
			cap *= 2;
		}
		n = read(fd, buf + len, cap - len - 1);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			*err = errno;
			goto fail;
		}
		if (n == 0)
			break;
		len += n;
	}
	close(fd);
	buf[len] = '\0';
	return buf;
fail:
	close(fd);
	free(buf);
	return NULL;
}

static bool parse_u64(const char *s, uint64_t *out)
{
	char *end;

	if (!*s || *s == '-' || isspace((unsigned char)*s))
		return false;
	errno = 0;
	*out = strtoull(s, &end, 0);
	return !errno && !*end;
}

static const char *human_bytes(uint64_t b, char *buf, size_t len)
{
	static const char *const unit[] = { "B", "KiB", "MiB", "GiB", "TiB" };
	double v = (double)b;
	int i = 0;

	while (v >= 1024 && i < 4) {
		v /= 1024;
		i++;
	}
	if (i == 0)
		snprintf(buf, len, "%" PRIu64 " B", b);
	else
		snprintf(buf, len, "%.1f %s", v, unit[i]);
	return buf;
}

static const char *human_us(uint64_t us, char *buf, size_t len)
{
	if (us < 10000)
		snprintf(buf, len, "%" PRIu64 " us", us);
	else if (us < 10000000)
		snprintf(buf, len, "%" PRIu64 " ms", us / 1000);
	else
		snprintf(buf, len, "%.1f s", us / 1e6);
	return buf;
}

static void json_string(FILE *f, const char *s)
{
	fputc('"', f);
	for (; *s; s++) {
		unsigned char c = *s;

		if (c == '"' || c == '\\')
			fprintf(f, "\\%c", c);
		else if (c < 0x20 || c == 0x7f)
			fprintf(f, "\\u%04x", c);
		else
			fputc(c, f);
	}
	fputc('"', f);
}

/* ---- status -------------------------------------------------------------- */

#define MAX_KEYS 32

struct status {
	int n;
	char *key[MAX_KEYS];
	char *val[MAX_KEYS];
	char *buf;
};

static int status_read(struct status *st)
{
	char path[PATH_MAX], *line, *save = NULL;
	int err = 0;

	snprintf(path, sizeof(path), "/sys/class/misc/%s/status", devname);
	st->n = 0;
	st->buf = read_all(path, &err);
	if (!st->buf)
		return -err;
	for (line = strtok_r(st->buf, "\n", &save); line && st->n < MAX_KEYS;
	     line = strtok_r(NULL, "\n", &save)) {
		char *colon = strstr(line, ": ");

		if (!colon)
			continue;
		*colon = '\0';
		st->key[st->n] = line;
		st->val[st->n] = colon + 2;
		st->n++;
	}
	return 0;
}

static const char *status_get(const struct status *st, const char *key)
{
	for (int i = 0; i < st->n; i++)
		if (!strcmp(st->key[i], key))
			return st->val[i];
	return "";
}

static uint64_t status_num(const struct status *st, const char *key)
{
	uint64_t v;

	return parse_u64(status_get(st, key), &v) ? v : 0;
}

/* The range is "BASE+SIZE" in hex; both 0 when handover is off. */
static void status_range(const struct status *st, uint64_t *base,
			 uint64_t *size)
{
	unsigned long long b = 0, s = 0;

	sscanf(status_get(st, "range"), "%llx+%llx", &b, &s);
	*base = b;
	*size = s;
}

static int status_or_not_loaded(struct status *st)
{
	int err = status_read(st);

	if (err == -ENOENT)
		return fail_msg(
			EXIT_NOT_READY,
			"luo is not loaded (no /sys/class/misc/%s): modprobe luo handover_base=... handover_size=...",
			devname);
	if (err)
		return fail_errno(-err, NULL, "cannot read luo's status");
	return EXIT_OK;
}

static void status_json(const struct status *st)
{
	uint64_t base, size, v;

	status_range(st, &base, &size);
	printf("{");
	for (int i = 0; i < st->n; i++) {
		printf(i ? ", " : "");
		if (!strcmp(st->key[i], "range")) {
			printf("\"handover_base\": %" PRIu64
			       ", \"handover_size\": %" PRIu64,
			       base, size);
			continue;
		}
		json_string(stdout, st->key[i]);
		printf(": ");
		if (!strcmp(st->key[i], "last_error") &&
		    !strcmp(st->val[i], "none"))
			printf("null");
		else if (parse_u64(st->val[i], &v))
			printf("%" PRIu64, v);
		else
			json_string(stdout, st->val[i]);
	}
	printf(", \"ready\": %s}\n",
	       strcmp(status_get(st, "handover"), "off") ? "true" : "false");
}

static void status_human(const struct status *st)
{
	char a[32], b[32], c[32];
	uint64_t base, size;

	status_range(st, &base, &size);
	printf("luo %s on %s\n", status_get(st, "version"),
	       status_get(st, "device"));
	if (!size)
		printf("handover:    off (no handover_base/handover_size: nothing survives a kexec)\n");
	else
		printf("handover:    %s, range %#" PRIx64
		       "+%s, generation %s\n",
		       status_get(st, "handover"), base,
		       human_bytes(size, a, sizeof(a)),
		       status_get(st, "generation"));
	printf("outgoing:    %s session(s), %s file(s)\n",
	       status_get(st, "sessions_out"), status_get(st, "files_out"));
	printf("incoming:    %s session(s), %s file(s)\n",
	       status_get(st, "sessions_in"), status_get(st, "files_in"));
	printf("reserved:    %s of %s\n",
	       human_bytes(status_num(st, "reserved_bytes"), a, sizeof(a)),
	       human_bytes(status_num(st, "capacity_bytes"), b, sizeof(b)));
	if (status_num(st, "generation"))
		printf("last restore: %s session(s), %s file(s), %s in %s\n",
		       status_get(st, "restored_sessions"),
		       status_get(st, "restored_files"),
		       human_bytes(status_num(st, "restored_bytes"), a,
				   sizeof(a)),
		       human_us(status_num(st, "restore_us"), c, sizeof(c)));
	if (status_num(st, "last_freeze_bytes") ||
	    status_num(st, "last_freeze_us"))
		printf("last freeze: %s in %s\n",
		       human_bytes(status_num(st, "last_freeze_bytes"), a,
				   sizeof(a)),
		       human_us(status_num(st, "last_freeze_us"), b,
				sizeof(b)));
	printf("last error:  %s\n", status_get(st, "last_error"));
}

static int cmd_status(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{}
	};
	bool json = false;
	struct status st;
	int c, rc;

	while ((c = getopt_long(argc, argv, "jh", opts, NULL)) != -1) {
		if (c == 'j')
			json = true;
		else if (c == 'h')
			return printf("usage: luoctl status [--json]\n\n"
				      "Show the handover state, the reserved range, the generation,\n"
				      "sessions and files in and out, the last freeze and restore, the\n"
				      "last error.  --json prints one JSON object (luoctl(8)).\n"),
			       EXIT_OK;
		else
			return bad_option("status", argv);
	}
	if (optind != argc)
		return usage_error("status", "no arguments expected");
	rc = status_or_not_loaded(&st);
	if (rc)
		return rc;
	if (json)
		status_json(&st);
	else
		status_human(&st);
	free(st.buf);
	return EXIT_OK;
}

/* ---- the session listing ------------------------------------------------- */

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

/* Undo the kernel's octal escapes (\ooo). */
static void unescape(char *s)
{
	char *d = s;

	while (*s) {
		if (s[0] == '\\' && s[1] >= '0' && s[1] <= '3' && s[2] >= '0' &&
		    s[2] <= '7' && s[3] >= '0' && s[3] <= '7') {
			*d++ = (char)((s[1] - '0') << 6 | (s[2] - '0') << 3 |
				      (s[3] - '0'));
			s += 4;
		} else {
			*d++ = *s++;
		}
	}
	*d = '\0';
}

static void listing_free(struct listing *l)
{
	for (size_t i = 0; i < l->n; i++)
		free(l->s[i].files);
	free(l->s);
}

static int listing_read(struct listing *l)
{
	char path[PATH_MAX], *buf, *line, *save = NULL;
	struct lsession *cur = NULL;
	int err = 0;

	l->s = NULL;
	l->n = 0;
	snprintf(path, sizeof(path), "/proc/driver/%s", devname);
	buf = read_all(path, &err);
	if (!buf)
		return -err;
	for (line = strtok_r(buf, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save)) {
		char dir[8], name[4 * LUO_SESSION_NAME_MAX];
		struct lsession *s;
		struct lfile *f;

		if (!strncmp(line, "session ", 8)) {
			s = realloc(l->s, (l->n + 1) * sizeof(*s));
			if (!s)
				goto nomem;
			l->s = s;
			cur = &l->s[l->n];
			memset(cur, 0, sizeof(*cur));
			if (sscanf(line, "session %7s %15s %u %255s", dir,
				   cur->state, &cur->nfiles, name) != 4)
				continue;
			l->n++;
			unescape(name);
			if (strlen(name) >= sizeof(cur->name))
				continue;
			strcpy(cur->name, name);
			cur->out = !strcmp(dir, "out");
		} else if (!strncmp(line, "file ", 5) && cur) {
			f = realloc(cur->files, (cur->nf + 1) * sizeof(*f));
			if (!f)
				goto nomem;
			cur->files = f;
			f = &cur->files[cur->nf];
			if (sscanf(line,
				   "file %" SCNu64 " %31s %" SCNu64 " %31s",
				   &f->token, f->type, &f->bytes,
				   f->state) == 4)
				cur->nf++;
		}
	}
	free(buf);
	return 0;
nomem:
	free(buf);
	listing_free(l);
	return -ENOMEM;
}

/* The holder pid file of a session: unsafe characters as %XX. */
static void pidfile_path(const char *name, char *path, size_t len)
{
	size_t n = (size_t)snprintf(path, len, "%s/", rundir);

	for (; *name && n + 8 < len; name++) {
		unsigned char c = *name;

		if (isalnum(c) || c == '-' || c == '_' || c == '.')
			path[n++] = c;
		else
			n += snprintf(path + n, len - n, "%%%02X", c);
	}
	snprintf(path + n, len - n, ".pid");
}

static bool holds_session(pid_t pid, const char *name);

/* The pid of the live holder of outgoing session @name, or 0. */
static pid_t holder_of(const char *name)
{
	char path[PATH_MAX], comm[32] = "";
	long pid = 0;
	FILE *f;

	pidfile_path(name, path, sizeof(path));
	f = fopen(path, "re");
	if (!f)
		return 0;
	if (fscanf(f, "%ld", &pid) != 1)
		pid = 0;
	fclose(f);
	if (pid <= 0)
		return 0;
	snprintf(path, sizeof(path), "/proc/%ld/comm", pid);
	f = fopen(path, "re");
	if (!f)
		return 0;
	if (!fgets(comm, sizeof(comm), f))
		comm[0] = '\0';
	fclose(f);
	if (strncmp(comm, "luoctl-hold", 11))
		return 0;
	/* A pid file can outlive its holder: is that session open there? */
	return holds_session((pid_t)pid, name) ? (pid_t)pid : 0;
}

/* Has process @pid the session file "[luo_session] NAME" open? */
static bool holds_session(pid_t pid, const char *name)
{
	char dir[64], path[PATH_MAX], link[PATH_MAX], want[PATH_MAX];
	bool found = false;
	struct dirent *e;
	ssize_t n;
	DIR *d;

	snprintf(want, sizeof(want), "anon_inode:[luo_session] %s", name);
	snprintf(dir, sizeof(dir), "/proc/%d/fd", pid);
	d = opendir(dir);
	if (!d)
		return false;
	while (!found && (e = readdir(d))) {
		if (e->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
		n = readlink(path, link, sizeof(link) - 1);
		if (n < 0)
			continue;
		link[n] = '\0';
		found = !strcmp(link, want);
	}
	closedir(d);
	return found;
}

static void listing_json(const struct listing *l)
{
	printf("{\"sessions\": [");
	for (size_t i = 0; i < l->n; i++) {
		const struct lsession *s = &l->s[i];
		pid_t holder = s->out ? holder_of(s->name) : 0;

		printf("%s{\"name\": ", i ? ", " : "");
		json_string(stdout, s->name);
		printf(", \"direction\": \"%s\", \"state\": \"%s\", \"holder\": ",
		       s->out ? "outgoing" : "incoming", s->state);
		if (holder)
			printf("%d", holder);
		else
			printf("null");
		printf(", \"files\": [");
		for (unsigned int k = 0; k < s->nf; k++) {
			const struct lfile *f = &s->files[k];
			int err = 0;

			printf("%s{\"token\": %" PRIu64 ", \"type\": ",
			       k ? ", " : "", f->token);
			json_string(stdout, f->type);
			printf(", \"bytes\": %" PRIu64 ", \"state\": ",
			       f->bytes);
			if (sscanf(f->state, "failed:%d", &err) == 1)
				printf("\"failed\", \"error\": \"%s\"}",
				       errname(err));
			else
				printf("\"%s\", \"error\": null}", f->state);
		}
		printf("]}");
	}
	printf("]}\n");
}

static void listing_human(const struct listing *l)
{
	char b[32];

	if (!l->n) {
		printf("no sessions\n");
		return;
	}
	printf("%-4s %-24s %-10s %s\n", "DIR", "SESSION", "STATE", "FILES");
	for (size_t i = 0; i < l->n; i++) {
		const struct lsession *s = &l->s[i];
		pid_t holder = s->out ? holder_of(s->name) : 0;

		printf("%-4s %-24s %-10s %u", s->out ? "out" : "in", s->name,
		       s->state, s->nfiles);
		if (holder)
			printf("  (held by luoctl pid %d)", holder);
		printf("\n");
		for (unsigned int k = 0; k < s->nf; k++) {
			const struct lfile *f = &s->files[k];
			int err = 0;

			printf("     token %-8" PRIu64 " %-9s %10s  ", f->token,
			       f->type, human_bytes(f->bytes, b, sizeof(b)));
			if (sscanf(f->state, "failed:%d", &err) == 1)
				printf("failed: %s\n", errname(err));
			else
				printf("%s\n", f->state);
		}
	}
}

static int cmd_list(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{}
	};
	struct listing l;
	bool json = false;
	struct status st;
	int c, err, rc;

	while ((c = getopt_long(argc, argv, "jh", opts, NULL)) != -1) {
		if (c == 'j')
			json = true;
		else if (c == 'h')
			return printf("usage: luoctl list [--json]\n\n"
				      "List sessions, outgoing (to the next kernel) then incoming\n"
				      "(from the previous one), with their files: token, type, bytes\n"
				      "in the handover, state.  Outgoing sessions show the pid of the\n"
				      "luoctl holder that keeps them open.\n"),
			       EXIT_OK;
		else
			return bad_option("list", argv);
	}
	if (optind != argc)
		return usage_error("list", "no arguments expected");
	rc = status_or_not_loaded(&st);
	if (rc)
		return rc;
	free(st.buf);
	err = listing_read(&l);
	if (err)
		return fail_errno(-err, NULL, "cannot read /proc/driver/%s",
				  devname);
	if (json)
		listing_json(&l);
	else
		listing_human(&l);
	listing_free(&l);
	return EXIT_OK;
}

/* ---- preserve and the holder --------------------------------------------- */

static const char *preserve_hint(int err)
{
	switch (err) {
	case ENOENT:
		return "luo cannot preserve this kind of file: memfds and unlinked tmpfs files only (not hugetlb)";
	case EBUSY:
		return "this file is already preserved in a session (or retrieved and not finished): see 'luoctl list'";
	case EOPNOTSUPP:
		return "the file carries seals luo does not support";
	case EEXIST:
		return "two files were given the same token";
	case ENOSPC:
		return "the handover range is full: raise handover_size (and memmap=), or preserve less";
	case EINTR:
		return "interrupted by a signal; nothing of this file was kept";
	default:
		return NULL;
	}
}

static const char *create_hint(int err)
{
	switch (err) {
	case EEXIST:
		return "an outgoing session of that name exists: 'luoctl list'; 'luoctl cancel NAME' drops it";
	case EINVAL:
		return "a session name is 1 to 63 bytes";
	case ENOSPC:
		return "the handover range is full: raise handover_size (and memmap=)";
	default:
		return NULL;
	}
}

/* Open FILE or take FD (a number) as a file to preserve. */
static int open_arg(const char *arg, bool *opened)
{
	uint64_t n;
	int fd;

	*opened = false;
	if (parse_u64(arg, &n) && n <= INT_MAX) {
		if (fcntl((int)n, F_GETFD) < 0)
			return -errno;
		return (int)n;
	}
	fd = open(arg, O_RDWR | O_CLOEXEC);
	if (fd < 0 && (errno == EACCES || errno == EROFS))
		fd = open(arg, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	*opened = true;
	return fd;
}

static int write_pidfile(const char *name, pid_t pid)
{
	char path[PATH_MAX], tmp[PATH_MAX + 8];
	FILE *f;

	if (mkdir(rundir, 0700) && errno != EEXIST)
		return -errno;
	pidfile_path(name, path, sizeof(path));
	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	f = fopen(tmp, "we");
	if (!f)
		return -errno;
	fprintf(f, "%d\n", pid);
	if (fclose(f) || rename(tmp, path))
		return -errno;
	return 0;
}

/*
 * The holder: a child that keeps @session open until the jump (or until
 * "luoctl cancel" sends it SIGTERM).  Reports on @ready: "0" once its pid
 * file is written, or an errno.
 */
static void __attribute__((noreturn))
hold(int session, const char *name, int ready)
{
	int null, fd, err;

	setsid();
	if (chdir("/"))
		_exit(EXIT_FAIL);
	prctl(PR_SET_NAME, "luoctl-hold");
	null = open("/dev/null", O_RDWR);
	if (null >= 0) {
		dup2(null, 0);
		dup2(null, 1);
		dup2(null, 2);
		if (null > 2)
			close(null);
	}
	for (fd = 3; fd < 1024; fd++)
		if (fd != session && fd != ready)
			close(fd);
	/* Losing the holder unpreserves: keep the OOM killer away. */
	fd = open("/proc/self/oom_score_adj", O_WRONLY | O_CLOEXEC);
	if (fd >= 0) {
		if (write(fd, "-1000", 5) < 0) {
			/* best effort: unprivileged holders cannot */
		}
		close(fd);
	}
	err = write_pidfile(name, getpid());
	if (write(ready, &err, sizeof(err)) != sizeof(err) || err)
		_exit(EXIT_FAIL);
	close(ready);
	for (;;)
		pause();
}

/* The unit name of a session's holder scope: systemd-escape's rules. */
static bool scope_name(const char *name, char *unit, size_t len)
{
	size_t n = (size_t)snprintf(unit, len, "luoctl-hold-");

	for (; *name; name++) {
		unsigned char c = *name;

		if (n + 16 >= len)
			return false;
		if (isalnum(c) || c == '_' || c == '.' || c == ':')
			unit[n++] = c;
		else if (c == '/')
			unit[n++] = '-';
		else
			n += snprintf(unit + n, len - n, "\\x%02x", c);
	}
	snprintf(unit + n, len - n, ".scope");
	return true;
}

/*
 * The holder under systemd, in the forked child: systemd-run puts this
 * process into a new scope and executes "luoctl __hold SESSION READY
 * NAME" in it, which re-executes itself as "@luoctl-hold" (main()).  The
 * two descriptors are inherited.  Only returns if systemd-run cannot be
 * run; a systemd-run that fails closes @ready without a word.
 */
static void hold_in_scope(int session, const char *name, int ready,
			  const char *self)
{
	char sfd[16], rfd[16], unit[256], desc[320];
	const char *args[16];
	int n = 0, err;

	if (fcntl(session, F_SETFD, 0) || fcntl(ready, F_SETFD, 0))
		goto fail;
	snprintf(sfd, sizeof(sfd), "%d", session);
	snprintf(rfd, sizeof(rfd), "%d", ready);
	snprintf(desc, sizeof(desc),
		 "--description=luoctl holder of luo session %s", name);
	args[n++] = "systemd-run";
	args[n++] = "--scope";
	args[n++] = "--quiet";
	args[n++] = "--collect";
	args[n++] = "-p";
	args[n++] = "DefaultDependencies=no";
	if (scope_name(name, unit, sizeof(unit))) {
		args[n++] = "--unit";
		args[n++] = unit;
	}
	args[n++] = desc;
	args[n++] = "--";
	args[n++] = self;
	args[n++] = "__hold";
	args[n++] = sfd;
	args[n++] = rfd;
	args[n++] = name;
	args[n] = NULL;
	execvp(args[0], (char *const *)args);
fail:
	err = errno;
	if (write(ready, &err, sizeof(err)) != sizeof(err)) {
		/* the parent sees EOF */
	}
	_exit(EXIT_FAIL);
}

/* "luoctl __hold SESSION READY NAME", from hold_in_scope(). */
static int cmd_hold(int argc, char **argv)
{
	char self[PATH_MAX];
	ssize_t n;

	if (argc != 5)
		return usage_error("__hold", "internal command");
	if (argv[0][0] != '@') {
		n = readlink("/proc/self/exe", self, sizeof(self) - 1);
		if (n > 0) {
			self[n] = '\0';
			argv[0] = "@luoctl-hold";
			execv(self, argv);
		}
		/* without the '@', systemd-shutdown kills the holder */
		fprintf(stderr, "luoctl: cannot re-execute %s: %s\n",
			n > 0 ? self : "/proc/self/exe", strerror(errno));
		return EXIT_FAIL;
	}
	hold(atoi(argv[2]), argv[4], atoi(argv[3]));
}

static int cmd_preserve(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "session", required_argument, NULL, 's' },
		{ "token", required_argument, NULL, 't' },
		{ "help", no_argument, NULL, 'h' },
		{}
	};
	const char *name = NULL;
	uint64_t token = 0;
	int c, dev, session, p[2], err = 0, i;
	bool scope = under_systemd();
	char self[PATH_MAX];
	pid_t pid;
	ssize_t n;

	while ((c = getopt_long(argc, argv, "s:t:h", opts, NULL)) != -1) {
		switch (c) {
		case 's':
			name = optarg;
			break;
		case 't':
			if (!parse_u64(optarg, &token))
				return usage_error("preserve",
						   "--token wants a number");
			break;
		case 'h':
			printf("usage: luoctl preserve --session NAME [--token T] FILE|FD...\n\n"
			       "Create the outgoing session NAME and preserve each FILE (a path,\n"
			       "e.g. /proc/PID/fd/N of a VMM's memfd) or FD (a descriptor luoctl\n"
			       "inherited) in it, under tokens T, T+1, ... (default 0).  A holder\n"
			       "process keeps the session open until the kexec; 'luoctl cancel\n"
			       "NAME' stops it, which unpreserves the files.\n");
			return EXIT_OK;
		default:
			return bad_option("preserve", argv);
		}
	}
	if (!name)
		return usage_error("preserve", "--session NAME is required");
	if (optind == argc)
		return usage_error("preserve", "no FILE or FD to preserve");

	dev = open_device();
	if (dev < 0)
		return EXIT_FAIL;
	session = luo_create_session(dev, name);
	close(dev);
	if (session < 0)
		return fail_errno(-session, create_hint(-session),
				  "cannot create session '%s'", name);
	for (i = optind; i < argc; i++, token++) {
		bool opened;
		int fd = open_arg(argv[i], &opened);

		if (fd < 0) {
			err = fail_errno(-fd, NULL, "cannot open %s", argv[i]);
			break;
		}
		err = luo_preserve_fd(session, fd, token);
		if (opened)
			close(fd);
		if (err) {
			err = fail_errno(-err, preserve_hint(-err),
					 "cannot preserve %s in '%s'", argv[i],
					 name);
			break;
		}
	}
	if (err) {
		close(session); /* unpreserves what was preserved */
		fprintf(stderr, "  nothing was preserved in '%s'\n", name);
		return err;
	}

	n = scope ? readlink("/proc/self/exe", self, sizeof(self) - 1) : 0;
	if (n < 0) {
		close(session);
		return fail_errno(errno, NULL, "readlink /proc/self/exe");
	}
	self[n] = '\0';
	if (pipe2(p, O_CLOEXEC))
		return fail_errno(errno, NULL, "pipe");
	fflush(NULL);
	pid = fork();
	if (pid < 0)
		return fail_errno(errno, NULL, "fork");
	if (pid == 0) {
		close(p[0]);
		if (scope)
			hold_in_scope(session, name, p[1], self);
		hold(session, name, p[1]);
	}
	close(p[1]);
	close(session);
	if (read(p[0], &err, sizeof(err)) != sizeof(err)) {
		kill(pid, SIGTERM);
		return fail_msg(
			EXIT_FAIL,
			"the holder of '%s' did not start%s; nothing is preserved",
			name,
			scope ? " (systemd-run failed, see above; LUOCTL_NO_SYSTEMD=1 holds without systemd, but then systemctl kexec kills the holder)" :
				"");
	}
	if (err) {
		kill(pid, SIGTERM);
		if (scope && err == ENOENT)
			return fail_errno(
				err,
				"install systemd-run (package systemd), or LUOCTL_NO_SYSTEMD=1",
				"cannot run systemd-run for the holder of '%s'",
				name);
		return fail_errno(err,
				  "set LUOCTL_RUNDIR to a writable directory",
				  "holder cannot write its pid file in %s",
				  rundir);
	}
	printf("session '%s': %d file(s) preserved (tokens %" PRIu64
	       "..%" PRIu64 "), held by pid %d until the kexec\n",
	       name, argc - optind, token - (argc - optind), token - 1, pid);
	return EXIT_OK;
}

/* For the commands that take only names: is the first one --help? */
static bool wants_help(int argc, char **argv)
{
	return argc > 1 &&
	       (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"));
}

static int cmd_cancel(int argc, char **argv)
{
	int i, rc = EXIT_OK;

	if (wants_help(argc, argv)) {
		printf("usage: luoctl cancel NAME...\n\n"
		       "Stop the luoctl holder of the outgoing session NAME: the session\n"
		       "closes and its files are unpreserved (they stay as they are).\n");
		return EXIT_OK;
	}
	if (argc < 2)
		return usage_error("cancel", "which session?");
	for (i = 1; i < argc; i++) {
		char path[PATH_MAX];
		pid_t pid = holder_of(argv[i]);
		int tries;

		if (!pid) {
			rc = fail_msg(
				EXIT_FAIL,
				"no luoctl holder for session '%s' (luoctl list shows the sessions and their holders)",
				argv[i]);
			continue;
		}
		if (kill(pid, SIGTERM)) {
			rc = fail_errno(errno, NULL, "cannot stop pid %d", pid);
			continue;
		}
		/* Gone once its files are closed: a zombie counts as gone. */
		for (tries = 0; tries < 500 && holds_session(pid, argv[i]);
		     tries++)
			usleep(10000);
		pidfile_path(argv[i], path, sizeof(path));
		unlink(path);
		printf("session '%s': holder %d stopped, files unpreserved\n",
		       argv[i], pid);
	}
	return rc;
}

/* ---- retrieve, finish ---------------------------------------------------- */

static const char *retrieve_session_hint(int err)
{
	switch (err) {
	case ENOENT:
		return "no incoming session of that name: 'luoctl list' shows what came over";
	case EINVAL:
		return "the session was already retrieved (once per boot); its owner finishes it";
	default:
		return NULL;
	}
}

#define MAX_TOKENS 64

/* Is @cmd a file execvp() could run? */
static bool executable(const char *cmd)
{
	char path[PATH_MAX], *dirs, *dir, *save = NULL;
	const char *env = getenv("PATH");
	bool found = false;

	if (strchr(cmd, '/'))
		return !access(cmd, X_OK);
	dirs = strdup(env && *env ? env : "/bin:/usr/bin");
	if (!dirs)
		return true; /* let execvp decide */
	for (dir = strtok_r(dirs, ":", &save); dir && !found;
	     dir = strtok_r(NULL, ":", &save)) {
		snprintf(path, sizeof(path), "%s/%s", dir, cmd);
		found = !access(path, X_OK);
	}
	free(dirs);
	return found;
}

/*
 * The incoming session @name must be pending and hold every token.  A
 * missing listing (no /proc) skips the check; the ioctls still decide.
 */
static int check_tokens(const char *name, const uint64_t *tokens, int ntok)
{
	const struct lsession *s = NULL;
	struct listing l;
	int i, rc = EXIT_OK;
	unsigned int k;

	if (listing_read(&l))
		return EXIT_OK;
	for (size_t j = 0; j < l.n; j++)
		if (!l.s[j].out && !strcmp(l.s[j].name, name))
			s = &l.s[j];
	if (!s) {
		rc = fail_errno(ENOENT, retrieve_session_hint(ENOENT),
				"no incoming session '%s'", name);
		goto out;
	}
	if (strcmp(s->state, "pending")) {
		rc = fail_errno(EINVAL, retrieve_session_hint(EINVAL),
				"session '%s' is %s", name, s->state);
		goto out;
	}
	for (i = 0; i < ntok; i++) {
		for (k = 0; k < s->nf; k++)
			if (s->files[k].token == tokens[i])
				break;
		if (k < s->nf)
			continue;
		fprintf(stderr,
			"luoctl: session '%s' has no token %" PRIu64
			": ENOENT\n  its tokens:",
			name, tokens[i]);
		for (k = 0; k < s->nf; k++)
			fprintf(stderr, " %" PRIu64, s->files[k].token);
		fprintf(stderr, "%s\n  nothing was retrieved\n",
			s->nf ? "" : " none");
		rc = EXIT_FAIL;
		goto out;
	}
out:
	listing_free(&l);
	return rc;
}

static int cmd_retrieve(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "session", required_argument, NULL, 's' },
		{ "token", required_argument, NULL, 't' },
		{ "fd", required_argument, NULL, 'f' },
		{ "finish", no_argument, NULL, 'F' },
		{ "help", no_argument, NULL, 'h' },
		{}
	};
	uint64_t tokens[MAX_TOKENS], n;
	int fds[MAX_TOKENS], ntok = 0, first = 3, c, dev, session, i, err;
	char env[32 * MAX_TOKENS], num[32];
	const char *name = NULL;
	bool finish = false;

	while ((c = getopt_long(argc, argv, "+s:t:f:h", opts, NULL)) != -1) {
		switch (c) {
		case 's':
			name = optarg;
			break;
		case 't':
			if (ntok == MAX_TOKENS || !parse_u64(optarg, &n))
				return usage_error(
					"retrieve",
					"--token wants a number (at most 64 of them)");
			tokens[ntok++] = n;
			break;
		case 'f':
			if (!parse_u64(optarg, &n) || n < 3 || n > 1000)
				return usage_error(
					"retrieve",
					"--fd wants a number from 3 to 1000");
			first = (int)n;
			break;
		case 'F':
			finish = true;
			break;
		case 'h':
			printf("usage: luoctl retrieve --session NAME --token T [--token T2...]\n"
			       "                      [--fd N] [--finish] -- CMD [ARG...]\n\n"
			       "Retrieve the incoming session NAME and its files by token, and run\n"
			       "CMD with them as descriptors N, N+1, ... (default 3), listed in\n"
			       "$LUO_FDS ($LUO_FD is the first).  The session stays open in CMD as\n"
			       "$LUO_SESSION_FD, so CMD may retrieve more and finish it; it is\n"
			       "finished at the latest when CMD exits.  --finish finishes it before\n"
			       "CMD starts: the files become ordinary memfds and tokens not\n"
			       "retrieved are released.\n");
			return EXIT_OK;
		default:
			return bad_option("retrieve", argv);
		}
	}
	if (!name || !ntok)
		return usage_error("retrieve",
				   "--session NAME and --token T are required");
	if (optind == argc)
		return usage_error("retrieve", "no command: -- CMD [ARG...]");

	/*
	 * Once retrieved, the session is finished when its last fd closes,
	 * and finishing releases every file nobody retrieved: check the
	 * tokens and CMD before taking it.
	 */
	err = check_tokens(name, tokens, ntok);
	if (err)
		return err;
	if (!executable(argv[optind]))
		return fail_errno(ENOENT, "nothing was retrieved",
				  "cannot find the command %s", argv[optind]);

	dev = open_device();
	if (dev < 0)
		return EXIT_FAIL;
	session = luo_retrieve_session(dev, name);
	close(dev);
	if (session < 0)
		return fail_errno(-session, retrieve_session_hint(-session),
				  "cannot retrieve session '%s'", name);
	for (i = 0; i < ntok; i++) {
		err = luo_retrieve_fd(session, tokens[i]);
		if (err < 0) {
			fail_errno(
				-err,
				-err == ENOENT ?
					"no such token in the session: 'luoctl list'" :
					"the restore failed; it fails the same way every time",
				"cannot retrieve token %" PRIu64
				" of session '%s'",
				tokens[i], name);
			fprintf(stderr,
				"  the session is finished as luoctl exits\n");
			return EXIT_FAIL;
		}
		/* Out of the way of the target numbers, still close-on-exec. */
		fds[i] = fcntl(err, F_DUPFD_CLOEXEC, first + ntok + 1);
		close(err);
		if (fds[i] < 0)
			return fail_errno(errno, NULL, "fcntl");
	}
	if (finish) {
		err = luo_finish(session);
		if (err)
			return fail_errno(
				-err,
				"a file cannot finish yet; run without --finish and let CMD finish",
				"cannot finish session '%s'", name);
		close(session);
	} else {
		int s = fcntl(session, F_DUPFD, first + ntok);

		if (s < 0)
			return fail_errno(errno, NULL, "fcntl");
		close(session);
		snprintf(num, sizeof(num), "%d", s);
		setenv("LUO_SESSION_FD", num, 1);
	}
	env[0] = '\0';
	for (i = 0; i < ntok; i++) {
		if (dup2(fds[i], first + i) < 0)
			return fail_errno(errno, NULL, "dup2");
		close(fds[i]);
		snprintf(num, sizeof(num), "%s%d", i ? " " : "", first + i);
		strcat(env, num);
	}
	setenv("LUO_FDS", env, 1);
	snprintf(num, sizeof(num), "%d", first);
	setenv("LUO_FD", num, 1);
	setenv("LUO_SESSION", name, 1);
	execvp(argv[optind], argv + optind);
	err = errno;
	fail_errno(err, NULL, "cannot run %s", argv[optind]);
	return err == ENOENT ? 127 : 126;
}

static int cmd_finish(int argc, char **argv)
{
	int i, rc = EXIT_OK;

	if (wants_help(argc, argv)) {
		printf("usage: luoctl finish NAME...\n\n"
		       "Finish incoming sessions nobody retrieved: their files are\n"
		       "released (all or nothing).  A session a process retrieved is\n"
		       "finished by that process (FINISH, or closing it).\n");
		return EXIT_OK;
	}
	if (argc < 2)
		return usage_error("finish", "which session?");
	for (i = 1; i < argc; i++) {
		int dev = open_device(), s, err;

		if (dev < 0)
			return EXIT_FAIL;
		s = luo_retrieve_session(dev, argv[i]);
		close(dev);
		if (s < 0) {
			rc = fail_errno(-s, retrieve_session_hint(-s),
					"cannot finish session '%s'", argv[i]);
			continue;
		}
		err = luo_finish(s);
		if (err) {
			rc = fail_errno(
				-err,
				"a file cannot finish yet; nothing changed, try again",
				"cannot finish session '%s'", argv[i]);
			fprintf(stderr,
				"  closing it now; it stays listed and cannot be retrieved again\n");
		} else {
			printf("session '%s': finished\n", argv[i]);
		}
		close(s);
	}
	return rc;
}

/* ---- kexec --------------------------------------------------------------- */

static uint64_t memparse(const char *s, const char **end)
{
	char *e;
	uint64_t v = strtoull(s, &e, 0);

	switch (*e) {
	case 'T':
	case 't':
		v <<= 10;
		/* fall through */
	case 'G':
	case 'g':
		v <<= 10;
		/* fall through */
	case 'M':
	case 'm':
		v <<= 10;
		/* fall through */
	case 'K':
	case 'k':
		v <<= 10;
		e++;
		break;
	}
	*end = e;
	return v;
}

/* Does a memmap=SIZE$BASE (or SIZE!BASE) of @cmdline cover the range? */
static bool memmap_covers(const char *cmdline, uint64_t base, uint64_t size)
{
	const char *p = cmdline;

	while ((p = strstr(p, "memmap="))) {
		const char *e;
		uint64_t sz, at;

		if (p != cmdline && p[-1] != ' ') {
			p++;
			continue;
		}
		p += 7;
		for (;;) {
			sz = memparse(p, &e);
			if (*e != '$' && *e != '!')
				break;
			at = memparse(e + 1, &e);
			if (at <= base && base + size <= at + sz)
				return true;
			if (*e != ',')
				break;
			p = e + 1;
		}
	}
	return false;
}

/*
 * The release of the kernel image @path, from the version string a
 * bzImage carries ("6.12.117+deb12-amd64 (debian-kernel@...) #1 ..."),
 * else from a name of the form vmlinuz-RELEASE.
 */
static bool kernel_release(const char *path, char *rel, size_t len)
{
	unsigned char hdr[0x210];
	char ver[128];
	const char *b;
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	bool ok = false;

	if (fd >= 0 && pread(fd, hdr, sizeof(hdr), 0) == sizeof(hdr) &&
	    !memcmp(hdr + 0x202, "HdrS", 4)) {
		unsigned int off = hdr[0x20e] | hdr[0x20f] << 8;
		ssize_t n = off ? pread(fd, ver, sizeof(ver) - 1, 0x200 + off) :
				  -1;

		if (n > 0) {
			ver[n] = '\0';
			ver[strcspn(ver, " ")] = '\0';
			ok = ver[0] != '\0';
			snprintf(rel, len, "%s", ver);
		}
	}
	if (fd >= 0)
		close(fd);
	b = strrchr(path, '/');
	b = b ? b + 1 : path;
	if (!ok && !strncmp(b, "vmlinuz-", 8) && b[8]) {
		snprintf(rel, len, "%s", b + 8);
		ok = true;
	}
	return ok;
}

static bool found_luo_ko;

static int find_luo_ko(const char *path, const struct stat *sb, int type,
		       struct FTW *ftw)
{
	const char *b = path + ftw->base;

	(void)sb;
	/* luo.ko, or compressed: luo.ko.xz, .zst, .gz */
	if (type == FTW_F && !strncmp(b, "luo.ko", 6) &&
	    (b[6] == '\0' || b[6] == '.')) {
		found_luo_ko = true;
		return 1;
	}
	return 0;
}

/* Is there a luo module where modprobe looks for kernel @rel? */
static bool luo_module_installed(const char *rel)
{
	char dir[PATH_MAX];

	snprintf(dir, sizeof(dir), "/lib/modules/%s", rel);
	found_luo_ko = false;
	nftw(dir, find_luo_ko, 16, FTW_PHYS);
	return found_luo_ko;
}

static bool kexec_disabled(void)
{
	int err = 0;
	char *v = read_all("/proc/sys/kernel/kexec_load_disabled", &err);
	bool off = v && v[0] == '1';

	free(v);
	return off;
}

static int run(char *const argv[])
{
	int st;
	pid_t pid = fork();

	if (pid < 0)
		return -errno;
	if (pid == 0) {
		execvp(argv[0], argv);
		fprintf(stderr, "luoctl: cannot run %s: %s\n", argv[0],
			strerror(errno));
		_exit(127);
	}
	if (waitpid(pid, &st, 0) < 0)
		return -errno;
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

/* Does process @pid have '@' as the first character of its argv[0]? */
static bool spared_by_shutdown(pid_t pid)
{
	char path[64], c = 0;
	int fd;

	snprintf(path, sizeof(path), "/proc/%d/cmdline", pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return false;
	if (read(fd, &c, 1) != 1)
		c = 0;
	close(fd);
	return c == '@';
}

/*
 * Under systemd: would every luoctl holder of an outgoing session live
 * through systemctl kexec?  One started without systemd-run and '@'
 * (LUOCTL_NO_SYSTEMD=1, or by a user) is killed by the shutdown, and
 * its session is lost.  Sessions held by something else (a VMM of its
 * own) are that program's business: say so, do not refuse.
 */
static int check_holders(void)
{
	struct listing l;
	int rc = 0;
	size_t i;

	if (listing_read(&l))
		return 0; /* the other checks have read the status already */
	for (i = 0; i < l.n && !rc; i++) {
		pid_t pid;

		if (!l.s[i].out)
			continue;
		pid = holder_of(l.s[i].name);
		if (!pid)
			fprintf(stderr,
				"luoctl: note: outgoing session '%s' has no luoctl holder: whatever holds it must live through systemctl kexec\n",
				l.s[i].name);
		else if (!spared_by_shutdown(pid))
			rc = fail_msg(
				EXIT_NOT_READY,
				"refusing: the holder of session '%s' (pid %d) was not started through systemd (LUOCTL_NO_SYSTEMD=1?): systemctl kexec would kill it and lose the session; 'luoctl cancel %s' and preserve again, LUOCTL_NO_SYSTEMD=1 luoctl kexec to jump with kexec -e, or --force",
				l.s[i].name, pid, l.s[i].name);
	}
	listing_free(&l);
	return rc;
}

static int cmd_kexec(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "kernel", required_argument, NULL, 'k' },
		{ "initrd", required_argument, NULL, 'i' },
		{ "append", required_argument, NULL, 'a' },
		{ "command-line", required_argument, NULL, 'c' },
		{ "load-only", no_argument, NULL, 'l' },
		{ "dry-run", no_argument, NULL, 'n' },
		{ "force", no_argument, NULL, 'f' },
		{ "help", no_argument, NULL, 'h' },
		{}
	};
	char kernel[PATH_MAX] = "", initrd[PATH_MAX] = "", *cmdline, *p;
	const char *append = NULL, *newline = NULL, *kargs[8];
	bool load_only = false, dry = false, force = false;
	bool systemd = under_systemd();
	uint64_t base, size;
	struct utsname u;
	struct status st;
	int c, err, rc, nk = 0;
	size_t len;

	while ((c = getopt_long(argc, argv, "k:i:a:c:lnfh", opts, NULL)) !=
	       -1) {
		switch (c) {
		case 'k':
			snprintf(kernel, sizeof(kernel), "%s", optarg);
			break;
		case 'i':
			snprintf(initrd, sizeof(initrd), "%s", optarg);
			break;
		case 'a':
			append = optarg;
			break;
		case 'c':
			newline = optarg;
			break;
		case 'l':
			load_only = true;
			break;
		case 'n':
			dry = true;
			break;
		case 'f':
			force = true;
			break;
		case 'h':
			printf("usage: luoctl kexec [--kernel K] [--initrd I] [--append ARGS]\n"
			       "                   [--command-line LINE] [--load-only] [--dry-run]\n"
			       "                   [--force]\n\n"
			       "Check that luo is ready, load the next kernel (default: the running\n"
			       "one, /boot/vmlinuz-$(uname -r) and its initrd) with the current\n"
			       "command line (memmap= included, BOOT_IMAGE= dropped, ARGS added) or\n"
			       "LINE, and jump to it.  Refuses (exit 3) when luo is not loaded or\n"
			       "has no handover range, when kexec is missing or disabled, and\n"
			       "unless --force: when no memmap= on the next command line reserves\n"
			       "the range, incoming sessions are not finished (they would be lost),\n"
			       "nothing is preserved, or no luo module is installed for the next\n"
			       "kernel (/lib/modules/RELEASE), or (through systemd) a luoctl\n"
			       "holder was started without systemd and would be killed.\n"
			       "--load-only loads and stops; --dry-run prints the kexec command.\n"
			       "With systemd as init (and as root), the jump is systemctl kexec: an\n"
			       "orderly shutdown that the holders live through; otherwise (or with\n"
			       "LUOCTL_NO_SYSTEMD=1) it is kexec -e at once: stop services and\n"
			       "sync first.\n");
			return EXIT_OK;
		default:
			return bad_option("kexec", argv);
		}
	}
	if (optind != argc)
		return usage_error("kexec", "no arguments expected");

	rc = status_or_not_loaded(&st);
	if (rc)
		return rc;
	status_range(&st, &base, &size);
	if (!size) {
		free(st.buf);
		return fail_msg(
			EXIT_NOT_READY,
			"refusing: luo has no handover range, nothing would survive the jump; load luo with handover_base= and handover_size= inside a memmap= reservation");
	}
	cmdline = read_all("/proc/cmdline", &err);
	if (!cmdline) {
		free(st.buf);
		return fail_errno(err, NULL, "cannot read /proc/cmdline");
	}
	if (newline) {
		free(cmdline);
		cmdline = strdup(newline);
		if (!cmdline) {
			free(st.buf);
			return fail_errno(ENOMEM, NULL, "strdup");
		}
	}
	len = strlen(cmdline);
	while (len && isspace((unsigned char)cmdline[len - 1]))
		cmdline[--len] = '\0';
	/* The command line again, without the boot loader's BOOT_IMAGE=. */
	p = strstr(cmdline, "BOOT_IMAGE=");
	if (p && (p == cmdline || p[-1] == ' ')) {
		char *e = strchrnul(p, ' ');

		memmove(p, *e ? e + 1 : e, strlen(e) + 1);
	}
	if (append) {
		size_t n = strlen(cmdline) + strlen(append) + 2;
		char *line = malloc(n);

		if (!line) {
			rc = fail_errno(ENOMEM, NULL, "malloc");
			goto out;
		}
		snprintf(line, n, "%s%s%s", cmdline, *cmdline ? " " : "",
			 append);
		free(cmdline);
		cmdline = line;
	}
	if (!force && !memmap_covers(cmdline, base, size)) {
		rc = fail_msg(
			EXIT_NOT_READY,
			"refusing: no memmap= on the next kernel's command line reserves the handover range %#" PRIx64
			"+%#" PRIx64
			", so the next kernel may use it as RAM; add memmap=SIZE$BASE (or --force if the firmware reserves it)",
			base, size);
		goto out;
	}
	if (!force && status_num(&st, "sessions_in")) {
		rc = fail_msg(
			EXIT_NOT_READY,
			"refusing: %" PRIu64
			" incoming session(s) not finished would be lost: retrieve and finish them, 'luoctl finish NAME', or --force",
			status_num(&st, "sessions_in"));
		goto out;
	}
	if (!force && !status_num(&st, "sessions_out")) {
		rc = fail_msg(
			EXIT_NOT_READY,
			"refusing: nothing is preserved (0 outgoing sessions), the jump would carry nothing over: 'luoctl list', or --force");
		goto out;
	}
	if (systemd && !force) {
		rc = check_holders();
		if (rc)
			goto out;
	}
	if (!executable("kexec")) {
		rc = fail_msg(
			EXIT_NOT_READY,
			"refusing: no kexec in PATH; install kexec-tools");
		goto out;
	}
	if (kexec_disabled()) {
		rc = fail_msg(
			EXIT_NOT_READY,
			"refusing: kexec is disabled on this machine (kernel.kexec_load_disabled = 1, which only a reboot resets)");
		goto out;
	}
	if (!kernel[0]) {
		if (uname(&u)) {
			rc = fail_errno(errno, NULL, "uname");
			goto out;
		}
		snprintf(kernel, sizeof(kernel), "/boot/vmlinuz-%s", u.release);
		snprintf(initrd, sizeof(initrd), "/boot/initrd.img-%s",
			 u.release);
		if (access(initrd, R_OK))
			initrd[0] = '\0';
	}
	if (access(kernel, R_OK)) {
		rc = fail_errno(errno, "give the next kernel with --kernel",
				"cannot read kernel %s", kernel);
		goto out;
	}
	if (initrd[0] && access(initrd, R_OK)) {
		rc = fail_errno(errno, NULL, "cannot read initrd %s", initrd);
		goto out;
	}
	/* The commonest way to lose every VM: a next kernel without luo. */
	if (!force) {
		char rel[128];

		if (!kernel_release(kernel, rel, sizeof(rel))) {
			rc = fail_msg(
				EXIT_NOT_READY,
				"refusing: cannot tell which kernel release %s is, so not whether it has luo; or --force",
				kernel);
			goto out;
		}
		if (!luo_module_installed(rel)) {
			rc = fail_msg(
				EXIT_NOT_READY,
				"refusing: no luo module is installed for kernel %s (under /lib/modules/%s): nothing there would restore the sessions; install it (make install KDIR=..., or DKMS: dkms install luo/<version> -k %s), or --force",
				rel, rel, rel);
			goto out;
		}
	}

	{
		size_t n = strlen(cmdline) + 32;
		char *line = malloc(n);

		if (!line) {
			rc = fail_errno(ENOMEM, NULL, "malloc");
			goto out;
		}
		snprintf(line, n, "--command-line=%s", cmdline);
		free(cmdline);
		cmdline = line;
	}
	kargs[nk++] = "kexec";
	kargs[nk++] = "-l";
	kargs[nk++] = kernel;
	if (initrd[0]) {
		static char arg[PATH_MAX + 16];

		snprintf(arg, sizeof(arg), "--initrd=%s", initrd);
		kargs[nk++] = arg;
	}
	kargs[nk++] = cmdline;
	kargs[nk] = NULL;
	if (dry) {
		for (int i = 0; i < nk; i++)
			printf("%s%s", i ? " " : "", kargs[i]);
		if (load_only)
			printf("\n\n");
		else
			printf("\n%s\n",
			       systemd ? "systemctl kexec" : "kexec -e");
		rc = EXIT_OK;
		goto out;
	}
	rc = run((char *const *)kargs);
	if (rc) {
		rc = fail_msg(
			EXIT_FAIL,
			"kexec -l failed (exit %d): is kexec-tools installed, and is kexec allowed (kernel.kexec_load_disabled, lockdown)?",
			rc);
		goto out;
	}
	if (load_only) {
		printf("loaded %s; 'kexec -e' jumps\n", kernel);
		goto out;
	}
	printf("jumping to %s: %s outgoing session(s), %s file(s)%s\n", kernel,
	       status_get(&st, "sessions_out"), status_get(&st, "files_out"),
	       systemd ? ", through systemctl kexec" : "");
	fflush(stdout);
	sync();
	if (systemd) {
		/* Returns once the shutdown is queued; systemd jumps. */
		execlp("systemctl", "systemctl", "kexec", (char *)NULL);
		rc = fail_errno(errno,
				"LUOCTL_NO_SYSTEMD=1 jumps with kexec -e",
				"cannot run systemctl kexec");
		goto out;
	}
	execlp("kexec", "kexec", "-e", (char *)NULL);
	rc = fail_errno(errno, NULL, "cannot run kexec -e");
out:
	free(cmdline);
	free(st.buf);
	return rc;
}

/* ---- main ---------------------------------------------------------------- */

static int usage(FILE *f, int code)
{
	fprintf(f,
		"usage: luoctl [-d DEVICE] COMMAND [ARGS...]\n\n"
		"  status [--json]             handover state, sessions, files, last freeze/restore\n"
		"  list [--json]               sessions (in and out) and their files\n"
		"  preserve --session NAME [--token T] FILE|FD...\n"
		"                              preserve files; a holder keeps the session open\n"
		"  cancel NAME...              stop a holder: the session's files are unpreserved\n"
		"  retrieve --session NAME --token T [--fd N] [--finish] -- CMD [ARG...]\n"
		"                              run CMD with the restored files\n"
		"  finish NAME...              finish incoming sessions nobody retrieved\n"
		"  kexec [--kernel K] [--initrd I] [--append ARGS] [--command-line LINE]\n"
		"        [--load-only] [--dry-run] [--force]\n"
		"                              check luo is ready, load the next kernel, jump\n"
		"  help [COMMAND]              this, or a command's help\n\n"
		"  -d, --device NAME           luo's device name (default: liveupdate, or the\n"
		"                              basename of $LUO_DEVICE)\n"
		"  -V, --version               print the version\n\n"
		"Exit status: 0 done, 1 refused (the errno is printed), 2 usage,\n"
		"3 luo not loaded or not ready to jump.  See luoctl(8).\n");
	return code;
}

static const struct {
	const char *name;
	int (*fn)(int argc, char **argv);
} commands[] = {
	{ "status", cmd_status },     { "list", cmd_list },
	{ "preserve", cmd_preserve }, { "cancel", cmd_cancel },
	{ "retrieve", cmd_retrieve }, { "finish", cmd_finish },
	{ "kexec", cmd_kexec },
};

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "device", required_argument, NULL, 'd' },
		{ "version", no_argument, NULL, 'V' },
		{ "help", no_argument, NULL, 'h' },
		{}
	};
	static char devpath[64];
	const char *env = getenv("LUO_DEVICE"), *r;
	size_t i;
	int c;

	/* A holder starting in its systemd scope (hold_in_scope()). */
	if (argc == 5 && !strcmp(argv[1], "__hold"))
		return cmd_hold(argc, argv);
	if (env && *env) {
		const char *slash = strrchr(env, '/');

		devname = slash ? slash + 1 : env;
	}
	r = getenv("LUOCTL_RUNDIR");
	if (r && *r)
		rundir = r;
	opterr = 0; /* the commands say which option was wrong */
	while ((c = getopt_long(argc, argv, "+d:Vh", opts, NULL)) != -1) {
		switch (c) {
		case 'd':
			devname = optarg;
			break;
		case 'V':
			printf("luoctl %s\n", LUOCTL_VERSION);
			return EXIT_OK;
		case 'h':
			return usage(stdout, EXIT_OK);
		default:
			return usage(stderr, EXIT_USAGE);
		}
	}
	if (!*devname || strchr(devname, '/') || strlen(devname) > 32)
		return fail_msg(EXIT_USAGE, "bad device name '%s'", devname);
	snprintf(devpath, sizeof(devpath), "/dev/%s", devname);
	setenv("LUO_DEVICE", devpath, 1);
	if (optind == argc)
		return usage(stderr, EXIT_USAGE);
	argc -= optind;
	argv += optind;
	if (!strcmp(argv[0], "help")) {
		if (argc < 2)
			return usage(stdout, EXIT_OK);
		argv[0] = argv[1];
		argv[1] = "--help";
		argc = 2;
	}
	for (i = 0; i < sizeof(commands) / sizeof(commands[0]); i++) {
		if (strcmp(argv[0], commands[i].name))
			continue;
		optind = 1;
		return commands[i].fn(argc, argv);
	}
	fprintf(stderr, "luoctl: unknown command '%s'\n", argv[0]);
	return usage(stderr, EXIT_USAGE);
}
