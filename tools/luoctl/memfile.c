// SPDX-License-Identifier: GPL-2.0
/*
 * luoctl memfile: a memory file (/dev/liveupdate_mem) handed to a
 * command as a descriptor -- guest RAM that crosses a kexec without a
 * copy, for a VMM that takes its RAM as a file (QEMU's
 * memory-backend-file,mem-path=/proc/self/fd/N,share=on).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "luoctl.h"

/* "256M", "1G", "2097152": a byte count with an optional K/M/G/T suffix. */
static bool parse_length(const char *s, uint64_t *out)
{
	static const char suffix[] = "KMGT";
	char *end;
	const char *p;
	uint64_t v;

	if (!*s || *s < '0' || *s > '9')
		return false;
	errno = 0;
	v = strtoull(s, &end, 0);
	if (errno)
		return false;
	if (*end) {
		p = strchr(suffix, *end);
		if (!p || end[1])
			return false;
		for (int i = 0; i <= p - suffix; i++) {
			if (v > UINT64_MAX / 1024)
				return false;
			v *= 1024;
		}
	}
	*out = v;
	return true;
}

static const char *create_hint(int err)
{
	switch (err) {
	case ENOENT:
		return "no /dev/liveupdate_mem: luo is not loaded, has no handover range, or its kernel lacks CONFIG_ZONE_DEVICE";
	case EINVAL:
		return "the length must be a non-zero multiple of 2 MiB";
	case ENOSPC:
		return "the handover range has no room for it: 'luoctl status' shows the pool";
	case EACCES:
	case EPERM:
		return "run as root, or as a member of the device's group (udev rule 60-liveupdate.rules)";
	default:
		return NULL;
	}
}

int cmd_memfile(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "length", required_argument, NULL, 'l' },
		{ "fd", required_argument, NULL, 'f' },
		{ "help", no_argument, NULL, 'h' },
		{}
	};
	uint64_t length = 0, n;
	int first = 3, c, fd, err;
	char num[32];

	while ((c = getopt_long(argc, argv, "+l:f:h", opts, NULL)) != -1) {
		switch (c) {
		case 'l':
			if (!parse_length(optarg, &length) || !length)
				return usage_error(
					"memfile",
					"--length wants a size: 256M, 1G, bytes");
			break;
		case 'f':
			if (!parse_u64(optarg, &n) || n < 3 || n > 1000)
				return usage_error(
					"memfile",
					"--fd wants a number from 3 to 1000");
			first = (int)n;
			break;
		case 'h':
			printf("usage: luoctl memfile --length SIZE [--fd N] -- CMD [ARG...]\n\n"
			       "Create a memory file of SIZE bytes (K, M, G, T suffixes; a multiple\n"
			       "of 2 MiB) on /dev/liveupdate_mem ($LUO_MEM_DEVICE) and run CMD with\n"
			       "it as descriptor N (default 3), $LUO_FD.  Its pages are the handover\n"
			       "range: preserved (luoctl preserve /proc/PID/fd/N), it crosses the\n"
			       "kexec without a copy.  For QEMU:\n"
			       "  luoctl memfile --length 4G -- qemu-system-x86_64 -m 4G \\\n"
			       "    -object memory-backend-file,id=ram,size=4G,mem-path=/proc/self/fd/3,share=on \\\n"
			       "    -machine memory-backend=ram ...\n");
			return EXIT_OK;
		default:
			return bad_option("memfile", argv);
		}
	}
	if (!length)
		return usage_error("memfile", "--length SIZE is required");
	if (optind == argc)
		return usage_error("memfile", "no command: -- CMD [ARG...]");
	if (!executable(argv[optind]))
		return fail_errno(ENOENT, NULL, "cannot find the command %s",
				  argv[optind]);

	fd = luo_mem_create(length);
	if (fd < 0)
		return fail_errno(-fd, create_hint(-fd),
				  "cannot create a memory file of %" PRIu64
				  " bytes",
				  length);
	if (fd != first) {
		if (dup2(fd, first) < 0)
			return fail_errno(errno, NULL, "dup2");
		close(fd);
	}
	snprintf(num, sizeof(num), "%d", first);
	setenv("LUO_FD", num, 1);
	execvp(argv[optind], argv + optind);
	err = errno;
	fail_errno(err, NULL, "cannot run %s", argv[optind]);
	return err == ENOENT ? 127 : 126;
}
