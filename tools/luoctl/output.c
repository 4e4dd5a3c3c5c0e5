// SPDX-License-Identifier: GPL-2.0
/*
 * luoctl: what every command shares - the globals (device name, run
 * directory), under_systemd(), the messages and the usage errors, and
 * the small helpers: reading a file whole, numbers, human-readable sizes
 * and times, JSON strings.  See luoctl.h for the overview.
 */
#define _GNU_SOURCE
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "luoctl.h"

const char *devname = "liveupdate";
const char *rundir = "/run/luoctl";

/*
 * Is systemd the init system, so that a jump must go through it and the
 * holders must outlive its shutdown?  sd_booted()'s test; root only (a
 * user cannot start system scopes, and '@' protects only root).
 */
bool under_systemd(void)
{
	const char *e = getenv("LUOCTL_NO_SYSTEMD");

	if (e && *e && strcmp(e, "0"))
		return false;
	return geteuid() == 0 && !access("/run/systemd/system", F_OK);
}

/* ---- messages ------------------------------------------------------------ */

const char *errname(int err)
{
	const char *n = strerrorname_np(err);

	return n ? n : "E?";
}

/* "luoctl: WHAT: ENAME (text)" and, if given, an indented hint. */
int fail_errno(int err, const char *hint, const char *fmt, ...)
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

int fail_msg(int code, const char *fmt, ...)
{
	va_list ap;

	fputs("luoctl: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	return code;
}

int usage_error(const char *cmd, const char *what)
{
	fprintf(stderr, "luoctl %s: %s\nTry 'luoctl %s --help'.\n", cmd, what,
		cmd);
	return EXIT_USAGE;
}

/* getopt_long() returned '?' or ':' for argv[optind - 1]. */
int bad_option(const char *cmd, char **argv)
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

int open_device(void)
{
	int dev = luo_open();

	if (dev < 0)
		fail_errno(-dev, open_hint(-dev), "cannot open /dev/%s",
			   devname);
	return dev;
}

/* For the commands that take only names: is the first one --help? */
bool wants_help(int argc, char **argv)
{
	return argc > 1 &&
	       (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"));
}

/* ---- small helpers ------------------------------------------------------- */

char *read_all(const char *path, int *err)
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

bool parse_u64(const char *s, uint64_t *out)
{
	char *end;

	if (!*s || *s == '-' || isspace((unsigned char)*s))
		return false;
	errno = 0;
	*out = strtoull(s, &end, 0);
	return !errno && !*end;
}

const char *human_bytes(uint64_t b, char *buf, size_t len)
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

const char *human_us(uint64_t us, char *buf, size_t len)
{
	if (us < 10000)
		snprintf(buf, len, "%" PRIu64 " us", us);
	else if (us < 10000000)
		snprintf(buf, len, "%" PRIu64 " ms", us / 1000);
	else
		snprintf(buf, len, "%.1f s", us / 1e6);
	return buf;
}

void json_string(FILE *f, const char *s)
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

/* Is @cmd a file execvp() could run? */
bool executable(const char *cmd)
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
