// SPDX-License-Identifier: GPL-2.0
/*
 * luoctl: the global options (-d, -V, --help), the usage, and the
 * dispatch to the commands.  See luoctl.h for the overview and
 * luoctl(8) for the manual.
 */
#define _GNU_SOURCE
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "luoctl.h"

#ifndef LUOCTL_VERSION
#define LUOCTL_VERSION "unknown"
#endif

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
		"  memfile --length SIZE -- CMD [ARG...]\n"
		"                              run CMD with a new memory file (zero-copy RAM)\n"
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
	{ "memfile", cmd_memfile },   { "kexec", cmd_kexec },
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
