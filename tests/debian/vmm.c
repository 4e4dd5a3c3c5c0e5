// SPDX-License-Identifier: GPL-2.0
/*
 * vmm.c - the VMM of the Debian test VM (tests/debian/guide-test.sh),
 * built there against the installed libluo-dev with the user's guide's
 * own command line (cc -o vmm vmm.c $(pkg-config --cflags --libs libluo)).
 *
 *   vmm serve MIB SEED FILE   as a systemd service: "guest memory" in a
 *                             memfd of MIB MiB, every byte a function of
 *                             SEED; writes "PID FD" to FILE and waits,
 *                             holding it (luoctl preserve takes it from
 *                             /proc/PID/fd/FD)
 *   vmm check MIB SEED        under luoctl retrieve: the memfd is fd 3
 *                             ($LUO_FD), the session $LUO_SESSION_FD;
 *                             checks the session's name with libluo and
 *                             every byte of the memory
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <luo.h>

/* Byte i of the guest memory: a xorshift of (seed, i / 8). */
static uint8_t pattern(uint64_t seed, uint64_t i)
{
	uint64_t x = seed * 0x9e3779b97f4a7c15ull + (i >> 3) + 1;

	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	return (uint8_t)(x >> ((i & 7) * 8));
}

static int serve(size_t size, uint64_t seed, const char *file)
{
	int fd = memfd_create("guest-ram", MFD_CLOEXEC);
	uint8_t *m;
	FILE *f;
	size_t i;

	if (fd < 0 || ftruncate(fd, (off_t)size)) {
		perror("vmm: memfd");
		return 1;
	}
	m = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (m == MAP_FAILED) {
		perror("vmm: mmap");
		return 1;
	}
	for (i = 0; i < size; i++)
		m[i] = pattern(seed, i);
	munmap(m, size);
	f = fopen(file, "w");
	if (!f || fprintf(f, "%d %d\n", getpid(), fd) < 0 || fclose(f)) {
		perror("vmm: pid file");
		return 1;
	}
	printf("vmm: %zu bytes of guest memory in fd %d\n", size, fd);
	fflush(stdout);
	for (;;)
		pause();
}

static int check(size_t size, uint64_t seed)
{
	const char *sfd = getenv("LUO_SESSION_FD");
	char name[LUO_SESSION_NAME_MAX];
	size_t i, bad = 0;
	struct stat st;
	uint8_t *m;
	int err;

	if (!sfd) {
		fprintf(stderr,
			"vmm: no $LUO_SESSION_FD: not under luoctl retrieve\n");
		return 1;
	}
	err = luo_get_name(atoi(sfd), name);
	if (err) {
		fprintf(stderr, "vmm: luo_get_name: %s\n", strerror(-err));
		return 1;
	}
	if (fstat(3, &st)) {
		perror("vmm: fd 3");
		return 1;
	}
	if ((size_t)st.st_size != size) {
		fprintf(stderr, "vmm: memfd of %lld bytes, want %zu\n",
			(long long)st.st_size, size);
		return 1;
	}
	m = mmap(NULL, size, PROT_READ, MAP_SHARED, 3, 0);
	if (m == MAP_FAILED) {
		perror("vmm: mmap");
		return 1;
	}
	for (i = 0; i < size; i++) {
		if (m[i] == pattern(seed, i))
			continue;
		if (!bad++)
			fprintf(stderr, "vmm: first bad byte at %zu\n", i);
	}
	if (bad) {
		fprintf(stderr, "vmm: %zu of %zu bytes differ\n", bad, size);
		return 1;
	}
	printf("vmm: session '%s': all %zu bytes match\n", name, size);
	return 0;
}

int main(int argc, char **argv)
{
	size_t size;
	uint64_t seed;

	if (argc < 4) {
		fprintf(stderr,
			"usage: vmm serve MIB SEED FILE | check MIB SEED\n");
		return 2;
	}
	size = strtoull(argv[2], NULL, 0) << 20;
	seed = strtoull(argv[3], NULL, 0);
	if (!strcmp(argv[1], "serve") && argc == 5)
		return serve(size, seed, argv[4]);
	if (!strcmp(argv[1], "check"))
		return check(size, seed);
	fprintf(stderr, "vmm: bad arguments\n");
	return 2;
}
