// SPDX-License-Identifier: GPL-2.0
/*
 * luoctl kexec: the checks that luo and the next kernel are ready, the
 * kexec -l, and the jump (systemctl kexec under systemd, else kexec -e).
 */
#define _GNU_SOURCE
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <getopt.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <unistd.h>

#include "luoctl.h"

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

int cmd_kexec(int argc, char **argv)
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
	/*
	 * kexec_file_load (-s): the kernel places the new kernel and its
	 * initrd in what it has as System RAM.  kexec_load (plain -l) lets
	 * kexec-tools place them from the firmware's memory map, where the
	 * handover range is RAM: it can put the initrd on preserved memory.
	 */
	kargs[nk++] = "-s";
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
