// SPDX-License-Identifier: GPL-2.0
/*
 * luoctl list: the session listing (/proc/driver/<device>) read and
 * shown, with the luoctl holder of each outgoing session.  The listing
 * reader and the holder look-ups are shared with preserve, cancel,
 * retrieve and kexec.
 */
#define _GNU_SOURCE
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "luoctl.h"

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

void listing_free(struct listing *l)
{
	for (size_t i = 0; i < l->n; i++)
		free(l->s[i].files);
	free(l->s);
}

int listing_read(struct listing *l)
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
void pidfile_path(const char *name, char *path, size_t len)
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

/* The pid of the live holder of outgoing session @name, or 0. */
pid_t holder_of(const char *name)
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
bool holds_session(pid_t pid, const char *name)
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

int cmd_list(int argc, char **argv)
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
