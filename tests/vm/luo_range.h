/* SPDX-License-Identifier: GPL-2.0 */
/*
 * luo_range.h - for guest programs that load luo themselves (qemu/run
 * --skip-load) while an image waits in the handover range: the module's
 * load and unload with the parameters qemu/run would have given it, and
 * the range itself through /dev/mem (it is not System RAM, so /dev/mem
 * maps it), with a copy of the image as the previous kernel left it.
 * Needs luo_tap.h first.
 */
#ifndef LUO_TESTS_VM_RANGE_H
#define LUO_TESTS_VM_RANGE_H

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#define LUO_KO "/lib/modules/luo.ko"

static int luo_ko_fd = -1;
static char luo_params[512];

/* The parameters qemu/run wrote to /etc/luo-run.conf, and luo.ko. */
static inline void luo_read_params(void)
{
	FILE *f = popen(". /etc/luo-run.conf && echo \"$LUO_PARAMS\"", "r");

	if (!f || !fgets(luo_params, sizeof(luo_params), f))
		die("LUO_PARAMS");
	luo_params[strcspn(luo_params, "\n")] = '\0';
	pclose(f);
	luo_ko_fd = open(LUO_KO, O_RDONLY | O_CLOEXEC);
	if (luo_ko_fd < 0)
		die(LUO_KO);
}

/* 0 or -errno. */
static inline int luo_load(void)
{
	return syscall(SYS_finit_module, luo_ko_fd, luo_params, 0) ? -errno : 0;
}

static inline void luo_unload(void)
{
	if (syscall(SYS_delete_module, "luo", O_NONBLOCK))
		die("delete_module luo");
}

/* The image in the range, writable, and the copy taken when mapped. */
static unsigned char *luo_range, *luo_saved;
static size_t luo_image_len; /* total_len, rounded up to a page */

static inline void luo_map_image(void)
{
	FILE *f = popen(". /etc/luo-run.conf && echo $LUO_HANDOVER_BASE", "r");
	unsigned long long base = 0, len;
	int fd = open("/dev/mem", O_RDWR | O_SYNC);

	if (!f || fscanf(f, "%lli", &base) != 1 || fd < 0)
		die("handover range");
	pclose(f);
	luo_range = mmap(NULL, 4096, PROT_READ, MAP_SHARED, fd, base);
	if (luo_range == MAP_FAILED)
		die("mmap /dev/mem");
	memcpy(&len, luo_range + 32, sizeof(len)); /* header: total_len */
	munmap(luo_range, 4096);
	luo_image_len = (len + 4095) & ~4095ULL;
	luo_range = mmap(NULL, luo_image_len, PROT_READ | PROT_WRITE,
			 MAP_SHARED, fd, base);
	luo_saved = malloc(luo_image_len);
	if (luo_range == MAP_FAILED || !luo_saved)
		die("mmap the image");
	memcpy(luo_saved, luo_range, luo_image_len);
	close(fd);
}

#endif /* LUO_TESTS_VM_RANGE_H */
