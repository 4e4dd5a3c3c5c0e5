// SPDX-License-Identifier: GPL-2.0
/*
 * fake_vmm - the part of a VMM that luoctl's tests need: guest memory in a
 * memfd, owned by a running process.
 *
 *   fake_vmm start SIZE SEED   fill a memfd with a pattern from SEED, leave
 *                              a process holding it as fd 3, print its pid
 *   fake_vmm check SIZE SEED   compare fd $LUO_FD (3) with the pattern:
 *                              exit 0 if every byte and the size match
 */
#define _GNU_SOURCE
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "luo_util.h"

static uint8_t pattern(uint64_t *x)
{
	*x ^= *x << 13;
	*x ^= *x >> 7;
	*x ^= *x << 17;
	return (uint8_t)*x;
}

static int start(size_t size, uint64_t seed)
{
	int fd = memfd_create("guest-ram", 0);
	uint8_t buf[4096];
	size_t done = 0, i;
	pid_t pid;

	if (fd < 0 || dup2(fd, 3) != 3) {
		perror("fake_vmm start");
		return 1;
	}
	while (done < size) {
		size_t n = size - done < sizeof(buf) ? size - done :
						       sizeof(buf);

		for (i = 0; i < n; i++)
			buf[i] = pattern(&seed);
		if (write(3, buf, n) != (ssize_t)n) {
			perror("fake_vmm write");
			return 1;
		}
		done += n;
	}
	fflush(stdout);
	if (daemonize_holding(&pid)) {
		perror("fake_vmm: cannot leave a process holding the memfd");
		return 1;
	}
	printf("%d\n", (int)pid);
	return 0;
}

static int check(size_t size, uint64_t seed)
{
	const char *env = getenv("LUO_FD");
	int fd = env ? atoi(env) : 3;
	uint8_t buf[4096];
	size_t done = 0, i;
	struct stat st;

	if (fstat(fd, &st) || (size_t)st.st_size != size) {
		fprintf(stderr, "fake_vmm: fd %d: size %lld, want %zu\n", fd,
			(long long)st.st_size, size);
		return 1;
	}
	while (done < size) {
		size_t n = size - done < sizeof(buf) ? size - done :
						       sizeof(buf);

		if (pread(fd, buf, n, done) != (ssize_t)n) {
			perror("fake_vmm read");
			return 1;
		}
		for (i = 0; i < n; i++) {
			if (buf[i] != pattern(&seed)) {
				fprintf(stderr, "fake_vmm: byte %zu differs\n",
					done + i);
				return 1;
			}
		}
		done += n;
	}
	printf("fake_vmm: %zu bytes match\n", size);
	return 0;
}

int main(int argc, char **argv)
{
	size_t size;
	uint64_t seed;

	if (argc != 4) {
		fprintf(stderr, "usage: fake_vmm start|check SIZE SEED\n");
		return 2;
	}
	size = strtoull(argv[2], NULL, 0);
	seed = strtoull(argv[3], NULL, 0) | 1;
	if (!strcmp(argv[1], "start"))
		return start(size, seed);
	if (!strcmp(argv[1], "check"))
		return check(size, seed);
	return 2;
}
