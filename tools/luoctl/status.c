// SPDX-License-Identifier: GPL-2.0
/*
 * luoctl status: the module's status file
 * (/sys/class/misc/<device>/status) read and shown, in words or as JSON.
 * The status reader is shared with list and kexec.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "luoctl.h"

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

const char *status_get(const struct status *st, const char *key)
{
	for (int i = 0; i < st->n; i++)
		if (!strcmp(st->key[i], key))
			return st->val[i];
	return "";
}

uint64_t status_num(const struct status *st, const char *key)
{
	uint64_t v;

	return parse_u64(status_get(st, key), &v) ? v : 0;
}

/* The range is "BASE+SIZE" in hex; both 0 when handover is off. */
void status_range(const struct status *st, uint64_t *base, uint64_t *size)
{
	unsigned long long b = 0, s = 0;

	sscanf(status_get(st, "range"), "%llx+%llx", &b, &s);
	*base = b;
	*size = s;
}

int status_or_not_loaded(struct status *st)
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
	if (status_num(st, "pool_bytes")) {
		char d[32];

		printf("pool:        %s used of %s (%s free, largest %s), %s memory file(s)\n",
		       human_bytes(status_num(st, "pool_used_bytes"), a,
				   sizeof(a)),
		       human_bytes(status_num(st, "pool_bytes"), b, sizeof(b)),
		       human_bytes(status_num(st, "pool_free_bytes"), c,
				   sizeof(c)),
		       human_bytes(status_num(st, "pool_largest_free_bytes"), d,
				   sizeof(d)),
		       status_get(st, "pool_files"));
		if (status_get(st, "pool_page_sizes")[0])
			printf("             mapped with %s pages\n",
			       status_get(st, "pool_page_sizes"));
		if (status_num(st, "pool_held_files"))
			printf("             %s of them closed, held until nothing references their pages\n",
			       status_get(st, "pool_held_files"));
	}
	if (status_num(st, "generation"))
		printf("last restore: %s session(s), %s file(s), %s in %s (the previous kernel froze in %s)\n",
		       status_get(st, "restored_sessions"),
		       status_get(st, "restored_files"),
		       human_bytes(status_num(st, "restored_bytes"), a,
				   sizeof(a)),
		       human_us(status_num(st, "restore_us"), c, sizeof(c)),
		       human_us(status_num(st, "previous_freeze_us"), b,
				sizeof(b)));
	if (status_num(st, "last_freeze_bytes") ||
	    status_num(st, "last_freeze_us"))
		printf("last freeze: %s in %s\n",
		       human_bytes(status_num(st, "last_freeze_bytes"), a,
				   sizeof(a)),
		       human_us(status_num(st, "last_freeze_us"), b,
				sizeof(b)));
	printf("last error:  %s\n", status_get(st, "last_error"));
}

int cmd_status(int argc, char **argv)
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
				      "sessions and files in and out, the pool of memory files, the\n"
				      "last freeze and restore, the last error.  --json prints one JSON object (luoctl(8)).\n"),
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
