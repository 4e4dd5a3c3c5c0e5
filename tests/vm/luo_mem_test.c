// SPDX-License-Identifier: GPL-2.0
/*
 * luo_mem_test.c - memory files (/dev/liveupdate_mem) in a chain of
 * kernels: run by qemu/run --kexec 2 in every stage ($LUO_STAGE).
 *
 * Stage 1: the interface (the ioctl's errnos, the file: size, mmap,
 * read/write, reopen, ftruncate, fallocate, GUP through process_vm_readv
 * and vmsplice, zeros when new and after reuse, ENOSPC, the pool's
 * figures, a page that outlives its file in a pipe, O_DIRECT, a
 * long-term pin); then two memory files, one of them in two extents,
 * whose every page holds its own physical address, preserved in a
 * session, and two more alone in sessions of their own.
 * Stage 2: the memory of those two back in the pool, one at FINISH of
 * its session, one when its session is discarded, neither retrieved;
 * the first two retrieved, each page still at the physical address it
 * holds, every byte intact; one preserved again in a new session.
 * Stage 3: that one once more.
 * With the argument "huge" (a range holding a whole 1 GiB of physical
 * memory, qemu/run --kexec 1): a 1 GiB memory file mapped with 1 GiB
 * entries in both kernels, the same memory after the kexec.
 * With the argument "big" (a range of several GiB, qemu/run --kexec 2):
 * a guest-sized memory file of LUO_BIG_MIB (default 4608) through a chain
 * of three kernels, every word of it checked in each.
 * A TAP program (luo_tap.h).
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <linux/io_uring.h>
#include <linux/liveupdate_mem.h>
#include <linux/loop.h>
#include <stdint.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <sys/uio.h>
#include <time.h>

#include "luo_tap.h"
#include "luo_util.h"

#define MiB (1UL << 20)
#define PAGE 4096UL

static int mem_dev;

static int mem_create_raw(unsigned long cmd, void *arg)
{
	return ioctl(mem_dev, cmd, arg) ? -errno : 0;
}

static int mem_create(uint64_t length)
{
	struct liveupdate_mem_create a = {
		.size = sizeof(a),
		.length = length,
	};
	int err = mem_create_raw(LIVEUPDATE_MEM_CREATE, &a);

	return err ? err : a.fd;
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* The physical address behind @addr (root sees PFNs), or 0 if absent. */
static uint64_t phys_of(const void *addr)
{
	static int pm = -1;
	uint64_t e;

	if (pm < 0)
		pm = open("/proc/self/pagemap", O_RDONLY);
	if (pread(pm, &e, 8, (uintptr_t)addr / PAGE * 8) != 8)
		return 0;
	if (!(e >> 63 & 1))
		return 0;
	return (e & ((1ULL << 55) - 1)) * PAGE + (uintptr_t)addr % PAGE;
}

static long minor_faults(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return ru.ru_minflt;
}

/*
 * Does pool_page_sizes list @size?  It must say 2M from 6.12 on, where
 * the kernel allows huge entries in luo's mappings.
 */
static int huge_entries(const char *size)
{
	static int checked;
	const char *field = status_field("pool_page_sizes");
	char sizes[64];
	struct utsname u;
	int major = 0, minor = 0;

	snprintf(sizes, sizeof(sizes), "%s", field ? field : "(none)");

	if (!checked++) {
		uname(&u);
		sscanf(u.release, "%d.%d", &major, &minor);
		check(!strcmp(sizes, "4K") || !strcmp(sizes, "4K 2M") ||
			      !strcmp(sizes, "4K 2M 1G"),
		      "pool_page_sizes: %s", sizes);
		if (major > 6 || (major == 6 && minor >= 12))
			check(strstr(sizes, "2M") != NULL,
			      "%s: huge entries (2M in pool_page_sizes)",
			      u.release);
	}
	return strstr(sizes, size) != NULL;
}

static void *map(int fd, size_t len)
{
	void *p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);

	if (p == MAP_FAILED)
		die("mmap");
	return p;
}

static size_t nonzero(const void *p, size_t len)
{
	const uint64_t *w = p;
	size_t i, n = 0;

	for (i = 0; i < len / 8; i++)
		n += w[i] != 0;
	return n;
}

/* Does /proc/driver/liveupdate have this line? */
static int listed(const char *want)
{
	FILE *f = fopen("/proc/driver/liveupdate", "r");
	char line[256];
	int found = 0;

	while (f && !found && fgets(line, sizeof(line), f))
		found = !strncmp(line, want, strlen(want));
	if (f)
		fclose(f);
	return found;
}

static void test_ioctl_rules(void)
{
	struct {
		struct liveupdate_mem_create a;
		uint64_t tail;
	} big = { { .size = sizeof(big), .length = 2 * MiB }, 1 };
	struct liveupdate_mem_create a = { .size = sizeof(a),
					   .length = 2 * MiB };

	check(mem_create_raw(_IO(0xBA, 0x00), &a) == -EINVAL,
	      "nr outside the device's range: EINVAL");
	check(mem_create_raw(_IO(0xBA, 0x81), &a) == -EINVAL,
	      "nr past the last: EINVAL");
	check(mem_create_raw(_IO(0xBA, 0x80), (void *)16) == -EFAULT,
	      "unreadable size: EFAULT");
	check(mem_create_raw(_IOW(0xBA, 0x80, int), &a) == -ENOTTY,
	      "other command word: ENOTTY");
	a.size = 16;
	check(mem_create_raw(LIVEUPDATE_MEM_CREATE, &a) == -EINVAL,
	      "size below the struct: EINVAL");
	a.size = sizeof(a);
	check(mem_create_raw(LIVEUPDATE_MEM_CREATE, &big) == -E2BIG,
	      "non-zero bytes past the struct: E2BIG");
	big.tail = 0;
	check(mem_create_raw(LIVEUPDATE_MEM_CREATE, &big) == 0 && big.a.fd > 2,
	      "zero bytes past the struct: a file");
	close(big.a.fd);
	check(mem_create(0) == -EINVAL, "length 0: EINVAL");
	check(mem_create(MiB) == -EINVAL, "length 1 MiB: EINVAL");
	check(mem_create(2 * MiB + PAGE) == -EINVAL,
	      "length 2 MiB + 4 KiB: EINVAL");
	a.flags = 1;
	check(mem_create_raw(LIVEUPDATE_MEM_CREATE, &a) == -EINVAL,
	      "flags: EINVAL");
	a.flags = 0;
	a.reserved = 1;
	check(mem_create_raw(LIVEUPDATE_MEM_CREATE, &a) == -EINVAL,
	      "reserved: EINVAL");
	check(mem_create(status_num("pool_bytes") + 2 * MiB) == -ENOSPC,
	      "more than the pool: ENOSPC");
	check(status_num("pool_used_bytes") == 0 &&
		      status_num("pool_files") == 0,
	      "the failures took nothing");
}

/* A loop device over a file in the guest's root, or -1 (no loop here). */
static int loop_open(void)
{
	int ctl = open("/dev/loop-control", O_RDWR), n, back, dev;
	char path[32];

	if (ctl < 0)
		return -1;
	n = ioctl(ctl, LOOP_CTL_GET_FREE);
	close(ctl);
	back = open("/tmp/luo-mem-disk", O_RDWR | O_CREAT, 0600);
	if (n < 0 || back < 0 || ftruncate(back, 4 * MiB))
		die("loop backing file");
	snprintf(path, sizeof(path), "/dev/loop%d", n);
	dev = open(path, O_RDWR | O_DIRECT);
	if (dev < 0 || ioctl(dev, LOOP_SET_FD, back))
		die("loop device");
	close(back);
	return dev;
}

/* O_DIRECT reads and writes the memory file's pages in place. */
static void test_direct_io(unsigned char *p)
{
	int dev = loop_open();

	if (dev < 0) {
		check(1, "O_DIRECT # SKIP no loop device in this kernel");
		return;
	}
	memset(p, 0x3c, 2 * MiB);
	check(pwrite(dev, p, 2 * MiB, 0) == (ssize_t)(2 * MiB),
	      "O_DIRECT write from the mapping");
	memset(p + 2 * MiB, 0, 2 * MiB);
	check(pread(dev, p + 2 * MiB, 2 * MiB, 0) == (ssize_t)(2 * MiB) &&
		      !memcmp(p, p + 2 * MiB, 2 * MiB),
	      "O_DIRECT read into the mapping");
	ioctl(dev, LOOP_CLR_FD, 0);
	close(dev);
	unlink("/tmp/luo-mem-disk");
}

/*
 * A long-term pin of the mapping, the kind VFIO takes of guest RAM:
 * io_uring's fixed buffers are pinned with FOLL_LONGTERM | FOLL_WRITE,
 * which the kernel refuses to fsdax files and to memory it cannot keep
 * in place.  Skipped where the kernel has no io_uring or its io_uring
 * takes no file-backed buffers at all (6.1: EOPNOTSUPP, before GUP is
 * asked).
 */
static void test_longterm_pin(unsigned char *p)
{
	struct io_uring_params prm = { 0 };
	struct iovec v = { p, 2 * MiB };
	int ring = syscall(__NR_io_uring_setup, 1, &prm), err;

	if (ring < 0) {
		check(1, "FOLL_LONGTERM pin # SKIP no io_uring here (%d)",
		      errno);
		return;
	}
	err = syscall(__NR_io_uring_register, ring, IORING_REGISTER_BUFFERS, &v,
		      1);
	if (err)
		err = -errno;
	if (err == -EOPNOTSUPP)
		check(1,
		      "FOLL_LONGTERM pin # SKIP this io_uring takes no file-backed buffers");
	else
		check(!err && !syscall(__NR_io_uring_register, ring,
				       IORING_UNREGISTER_BUFFERS, NULL, 0),
		      "FOLL_LONGTERM pin of the mapping (an io_uring fixed buffer): %d",
		      err);
	close(ring);
}

static void test_file(void)
{
	const size_t len = 8 * MiB;
	char buf[64], path[64];
	struct stat st;
	int fd = mem_create(len), fd2;
	unsigned char *p, *q;
	struct iovec local, remote;
	long faults;
	size_t i;

	check(fd >= 0, "created an 8 MiB memory file (%d)", fd);
	if (fd < 0)
		return;
	check(fcntl(fd, F_GETFD) == FD_CLOEXEC, "close-on-exec");
	check((fcntl(fd, F_GETFL) & O_ACCMODE) == O_RDWR, "read-write");
	check(!fstat(fd, &st) && S_ISREG(st.st_mode) &&
		      (size_t)st.st_size == len,
	      "fstat: a regular file of 8 MiB");
	check(status_num("pool_files") == 1 &&
		      status_num("pool_used_bytes") == (long)len,
	      "the pool counts it");
	p = map(fd, len);
	check(nonzero(p, len) == 0, "new memory reads as zeros");
	if (huge_entries("2M"))
		check(((uintptr_t)p & (2 * MiB - 1)) == 0,
		      "mapped 2 MiB aligned");
	p[0] = 1;
	/* A second mapping, untouched: the first one was read whole. */
	q = map(fd, len);
	faults = minor_faults();
	for (i = 2 * MiB; i < 4 * MiB; i += PAGE)
		(void)*(volatile unsigned char *)(q + i);
	faults = minor_faults() - faults;
	if (huge_entries("2M"))
		check(faults < 8,
		      "one fault maps a whole 2 MiB (a PMD entry): %ld for 512 pages",
		      faults);
	else
		check(faults >= 512,
		      "4 KiB entries, as pool_page_sizes says: %ld faults for 512 pages",
		      faults);
	munmap(q, len);
	check(phys_of(p) >= strtoull(status_field("range"), NULL, 0),
	      "its pages are in the handover range");
	memset(p, 0x5a, len);
	check(pread(fd, buf, sizeof(buf), 3 * MiB) == sizeof(buf) &&
		      buf[0] == 0x5a && buf[63] == 0x5a,
	      "pread sees what the mapping wrote");
	memset(buf, 0xc3, sizeof(buf));
	check(pwrite(fd, buf, sizeof(buf), 5 * MiB - 10) == sizeof(buf) &&
		      p[5 * MiB - 10] == 0xc3 && p[5 * MiB + 53] == 0xc3,
	      "pwrite across 2 MiB shows in the mapping");
	check(pread(fd, buf, sizeof(buf), len) == 0, "read at the end: 0");
	check(pwrite(fd, buf, 1, len) < 0 && errno == ENOSPC,
	      "write at the end: ENOSPC");
	check(pwrite(fd, buf, sizeof(buf), len - 8) == 8,
	      "write across the end: short");
	check(ftruncate(fd, len * 2) && errno == EPERM, "ftruncate: EPERM");
	check(!ftruncate(fd, len), "ftruncate to its size: nothing to do");
	check(fallocate(fd, 0, 0, len) && errno == EOPNOTSUPP,
	      "fallocate: EOPNOTSUPP");
	check(mmap(NULL, len, PROT_READ, MAP_PRIVATE, fd, 0) == MAP_FAILED &&
		      errno == EINVAL,
	      "MAP_PRIVATE: EINVAL");
	q = mmap(NULL, PAGE, PROT_READ, MAP_SHARED, fd, 2 * MiB + PAGE);
	check(q != MAP_FAILED && q[0] == 0x5a &&
		      phys_of(q) == phys_of(p + 2 * MiB + PAGE),
	      "read-only mapping at an offset: the same page");
	if (q != MAP_FAILED)
		munmap(q, PAGE);
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	fd2 = open(path, O_RDWR);
	check(fd2 >= 0, "/proc/self/fd/N opens it again");
	if (fd2 >= 0) {
		q = map(fd2, len);
		check(q[7 * MiB] == 0x5a &&
			      phys_of(q + 7 * MiB) == phys_of(p + 7 * MiB),
		      "the same memory through it");
		munmap(q, len);
		close(fd2);
	}
	/* GUP: another process's view (here our own) through the kernel. */
	memset(buf, 0, sizeof(buf));
	local = (struct iovec){ buf, sizeof(buf) };
	remote = (struct iovec){ p + 5 * MiB - 10, sizeof(buf) };
	check(process_vm_readv(getpid(), &local, 1, &remote, 1, 0) ==
			      sizeof(buf) &&
		      buf[0] == (char)0xc3,
	      "process_vm_readv reads it");
	{
		int pp[2];
		struct iovec v = { p + 6 * MiB, 4 * PAGE };

		p[6 * MiB] = 0x77;
		check(!pipe(pp) && vmsplice(pp[1], &v, 1, 0) == 4 * PAGE &&
			      read(pp[0], buf, 1) == 1 && buf[0] == 0x77,
		      "vmsplice pins and reads it");
		close(pp[0]);
		close(pp[1]);
	}
	test_direct_io(p);
	test_longterm_pin(p);
	munmap(p, len);
	close(fd);
	check(status_num("pool_files") == 0 &&
		      status_num("pool_used_bytes") == 0,
	      "closed and unmapped: its memory is the pool's again");
	/* The same chunks again: zeroed before they are handed out. */
	fd = mem_create(len);
	p = fd >= 0 ? map(fd, len) : NULL;
	check(p && nonzero(p, len) == 0,
	      "memory that held another file's data reads as zeros");
	if (p)
		munmap(p, len);
	close(fd);
}

/* Every page of the file holds the physical address it is at. */
static void stamp(unsigned char *p, size_t len, uint64_t salt)
{
	size_t off;

	for (off = 0; off < len; off += PAGE) {
		uint64_t *w = (uint64_t *)(p + off);

		w[1] = salt ^ off;
		w[0] = phys_of(p + off);
	}
}

static void verify(int fd, size_t len, uint64_t salt, const char *what)
{
	unsigned char *p = map(fd, len);
	size_t off, moved = 0, bad = 0, absent = 0;

	for (off = 0; off < len; off += PAGE) {
		const uint64_t *w = (const uint64_t *)(p + off);
		uint64_t at;

		bad += w[1] != (salt ^ off); /* the read maps it */
		at = phys_of(p + off);
		absent += !at;
		moved += at != w[0];
	}
	check(!bad, "%s: every page intact (%zu differ)", what, bad);
	check(!absent && !moved,
	      "%s: the same physical memory (%zu pages elsewhere)", what,
	      moved);
	munmap(p, len);
}

#define A_LEN (16 * MiB)
#define B_LEN (6 * MiB)
#define C_LEN (4 * MiB) /* in session "left": FINISHed, never retrieved */
#define D_LEN (2 * MiB) /* in session "dropped": discarded */

/*
 * A page that outlives its file: vmsplice put it in a pipe, then the
 * mapping and the file went.  Its chunk must not reach another file while
 * the pipe can still read it; once the pipe lets it go, it is the pool's.
 */
static void test_held_page(void)
{
	long free0 = status_num("pool_free_bytes"), rest;
	unsigned char *p, *q;
	char buf[PAGE];
	struct iovec v;
	int fd, fd2, pp[2];
	double t0;

	fd = mem_create(2 * MiB);
	if (fd < 0 || pipe(pp)) {
		check(0, "a memory file and a pipe");
		return;
	}
	p = map(fd, 2 * MiB);
	memset(p, 0xa5, 2 * MiB);
	v = (struct iovec){ p + PAGE, PAGE };
	check(vmsplice(pp[1], &v, 1, 0) == PAGE,
	      "vmsplice: a pipe references a page of a memory file");
	munmap(p, 2 * MiB);
	close(fd);
	check(status_num("pool_held_files") == 1 &&
		      status_num("pool_used_bytes") == (long)(2 * MiB) &&
		      status_num("pool_free_bytes") == free0 - (long)(2 * MiB),
	      "closed while the pipe holds its page: its chunk is held back");
	/* All the pool has left; without the hold, the chunk would be in it. */
	rest = status_num("pool_free_bytes");
	fd2 = mem_create(rest);
	q = fd2 >= 0 ? map(fd2, rest) : NULL;
	if (q)
		memset(q, 0x3c, rest);
	check(q != NULL, "the rest of the pool in one new file, written");
	memset(buf, 0, sizeof(buf));
	check(read(pp[0], buf, PAGE) == PAGE && buf[0] == (char)0xa5 &&
		      buf[PAGE - 1] == (char)0xa5,
	      "the pipe reads the closed file's data, not the new file's");
	if (q)
		munmap(q, rest);
	close(fd2);
	close(pp[0]);
	close(pp[1]);
	t0 = now_s();
	while (status_num("pool_held_files") && now_s() - t0 < 10)
		usleep(100000);
	check(status_num("pool_held_files") == 0 &&
		      status_num("pool_used_bytes") == 0 &&
		      status_num("pool_free_bytes") == free0,
	      "the page read out of the pipe: the chunk is the pool's again (%.1f s)",
	      now_s() - t0);
}

#define GiB (1UL << 30)

/*
 * A 1 GiB file's mapping at @p: one fault maps all of it (a PUD entry),
 * at a 1 GiB boundary of physical memory.  Counted in faults, because
 * /proc/self/pagemap splits a PUD entry to read it (it zaps it, and a
 * devmap PUD shows as a hole); the address is read through a small
 * second mapping, which has PTEs.  Returns it, or 0.
 */
static uint64_t huge_mapped(int fd, unsigned char *p, const char *when)
{
	uint64_t phys = 0, off;
	unsigned char *q;
	long faults;

	if (huge_entries("1G"))
		check(((uintptr_t)p & (GiB - 1)) == 0,
		      "%s: mapped 1 GiB aligned", when);
	faults = minor_faults();
	for (off = 0; off < GiB; off += 2 * MiB)
		(void)*(volatile unsigned char *)(p + off);
	faults = minor_faults() - faults;
	if (huge_entries("1G"))
		check(faults < 8,
		      "%s: one fault maps the whole 1 GiB (a PUD entry): %ld for 512 touches",
		      when, faults);
	else
		check(faults >= 512,
		      "%s: no 1 GiB entries, as pool_page_sizes says: %ld faults for 512 touches",
		      when, faults);
	q = mmap(NULL, PAGE, PROT_READ, MAP_SHARED, fd, 0);
	if (q != MAP_FAILED) {
		(void)*(volatile unsigned char *)q;
		phys = phys_of(q);
	}
	check(phys && !(phys & (GiB - 1)),
	      "%s: at a 1 GiB boundary of physical memory (%#llx)", when,
	      (unsigned long long)phys);
	if (q != MAP_FAILED)
		munmap(q, PAGE);
	return phys;
}

static void huge1(int dev)
{
	int fd = mem_create(GiB), s;
	unsigned char *p;
	uint64_t phys, off;

	check(fd >= 0, "a 1 GiB memory file (%d)", fd);
	if (fd < 0)
		exit(1);
	p = map(fd, GiB);
	phys = huge_mapped(fd, p, "stage 1");
	for (off = 0; off < GiB; off += 2 * MiB)
		*(uint64_t *)(p + off) = phys + off;
	munmap(p, GiB);
	s = luo_create_session(dev, "huge");
	check(s >= 0 && !luo_preserve(s, fd, 1), "preserved");
	close(fd);
}

static void huge2(int dev)
{
	int s = luo_retrieve_session(dev, "huge"), fd;
	unsigned char *p;
	uint64_t phys, off, bad = 0;

	fd = s >= 0 ? luo_retrieve_fd(s, 1) : -1;
	check(fd >= 0, "stage 2: retrieved the 1 GiB file");
	if (fd < 0)
		exit(1);
	p = map(fd, GiB);
	phys = huge_mapped(fd, p, "stage 2");
	for (off = 0; off < GiB; off += 2 * MiB)
		bad += *(uint64_t *)(p + off) != phys + off;
	check(!bad, "every 2 MiB holds its physical address (%llu do not)",
	      (unsigned long long)bad);
	munmap(p, GiB);
	check(!luo_finish(s), "FINISH");
	close(fd);
	close(s);
}

/*
 * The end of a later stage, after FINISH: in the last one close @fd, the
 * retrieved memory file, after which the pool must be empty; before it,
 * preserve @fd again in a new session @name, for the next kernel.
 */
static void carry_or_close(int dev, int fd, const char *name, int last)
{
	int out;

	if (last) {
		close(fd);
		check(status_num("pool_files") == 0,
		      "closed after FINISH: the pool is empty");
		return;
	}
	out = luo_create_session(dev, name);
	check(out >= 0 && !luo_preserve(out, fd, 1),
	      "a retrieved memory file is preserved again");
	close(fd);
}

/*
 * A guest-sized memory file: LUO_BIG_MIB, by default 4608 MiB, past
 * 4 GiB, so that a length or an offset cut to 32 bits anywhere shows.
 * Every 8-byte word holds a value of its own offset (odd multiples are
 * distinct modulo 2^64) and is checked in every kernel of the chain; the
 * first word of three pages holds the page's physical address instead;
 * and the image each freeze wrote is the file's extents, not its memory.
 */
static uint64_t big_len(void)
{
	const char *mib = getenv("LUO_BIG_MIB");

	return (mib ? strtoull(mib, NULL, 0) : 4608) * MiB;
}

static uint64_t big_word(uint64_t off)
{
	return off * 0x9e3779b97f4a7c15ULL ^ 0x6c756f2d62696721ULL;
}

/* The pages that hold their physical address: first, at 4 GiB, last. */
static void big_samples(uint64_t len, uint64_t at[3])
{
	at[0] = 0;
	at[1] = len > 4 * GiB ? 4 * GiB : len / 2;
	at[2] = len - PAGE;
}

/* The physical address of the page at @off of @fd, through a small mapping. */
static uint64_t big_phys(int fd, uint64_t off, uint64_t *word)
{
	uint64_t *q =
		mmap(NULL, PAGE, PROT_READ | PROT_WRITE, MAP_SHARED, fd, off);
	uint64_t phys;

	if (q == MAP_FAILED)
		die("mmap of one page");
	*word = *(volatile uint64_t *)q;
	phys = phys_of(q);
	munmap(q, PAGE);
	return phys;
}

/* fstat() says the file is @len long. */
static void check_size(int fd, uint64_t len)
{
	struct stat st;

	if (fstat(fd, &st))
		st.st_size = -errno;
	check((uint64_t)st.st_size == len, "st_size is its length (%lld)",
	      (long long)st.st_size);
}

static void big1(int dev)
{
	uint64_t len = big_len(), i, at[3], phys, old;
	int fd = mem_create(len), s, k;
	uint64_t *p;
	double t0;

	check(fd >= 0, "a %llu MiB memory file (%d)",
	      (unsigned long long)(len / MiB), fd);
	if (fd < 0)
		exit(1);
	check_size(fd, len);
	p = map(fd, len);
	t0 = now_s();
	for (i = 0; i < len / 8; i++)
		p[i] = big_word(i * 8);
	printf("# figures: wrote %llu MiB through the mapping in %.2f s\n",
	       (unsigned long long)(len / MiB), now_s() - t0);
	big_samples(len, at);
	for (k = 0; k < 3; k++) {
		phys = big_phys(fd, at[k], &old);
		check(phys && old == big_word(at[k]),
		      "page at %#llx: written, at %#llx",
		      (unsigned long long)at[k], (unsigned long long)phys);
		p[at[k] / 8] = phys;
	}
	munmap(p, len);
	s = luo_create_session(dev, "big");
	check(s >= 0 && !luo_preserve(s, fd, 1), "preserved");
	close(fd);
}

static void big2(int dev, int stage)
{
	uint64_t len = big_len(), i, at[3], bad = 0, word, phys;
	long image = status_num("restored_bytes");
	int s = luo_retrieve_session(dev, "big"), fd, k;
	uint64_t *p;
	double t0;

	check(image > 0 && image < (long)MiB,
	      "stage %d: the image held the extents, not the memory (%ld bytes for %llu MiB)",
	      stage, image, (unsigned long long)(len / MiB));
	t0 = now_s();
	fd = s >= 0 ? luo_retrieve_fd(s, 1) : -1;
	printf("# figures: RETRIEVE_FD of a %llu MiB memory file: %.3f ms\n",
	       (unsigned long long)(len / MiB), (now_s() - t0) * 1e3);
	check(fd >= 0, "stage %d: retrieved the big file", stage);
	if (fd < 0)
		exit(1);
	check_size(fd, len);
	big_samples(len, at);
	for (k = 0; k < 3; k++) {
		phys = big_phys(fd, at[k], &word);
		check(phys && phys == word,
		      "page at %#llx: the same physical memory (%#llx, was %#llx)",
		      (unsigned long long)at[k], (unsigned long long)phys,
		      (unsigned long long)word);
	}
	p = map(fd, len);
	t0 = now_s();
	for (i = 0; i < len / 8; i++)
		bad += p[i] != big_word(i * 8) && i * 8 != at[0] &&
		       i * 8 != at[1] && i * 8 != at[2];
	printf("# figures: read %llu MiB through the mapping in %.2f s\n",
	       (unsigned long long)(len / MiB), now_s() - t0);
	check(!bad, "every word intact (%llu differ)", (unsigned long long)bad);
	munmap(p, len);
	check(!luo_finish(s), "FINISH");
	close(s);
	carry_or_close(dev, fd, "big", stage == 3);
}

/* A memory file of @len preserved alone in session @name (kept open). */
static void preserve_alone(int dev, const char *name, size_t len)
{
	int s = luo_create_session(dev, name), fd = mem_create(len);

	check(s >= 0 && fd >= 0 && !luo_preserve(s, fd, 1),
	      "a %zu MiB memory file alone in session %s", len / MiB, name);
	close(fd);
}

/*
 * The memory of incoming files nobody retrieved goes back to the pool:
 * at FINISH of their session, and when the session is discarded.
 */
static void test_unretrieved(int dev)
{
	long used = status_num("pool_used_bytes");
	int s = luo_retrieve_session(dev, "left");

	check(status_num("pool_files") == 4 &&
		      used == (long)(A_LEN + B_LEN + C_LEN + D_LEN),
	      "the pool holds all four incoming files (%ld bytes)", used);
	check(s >= 0 && !luo_finish(s),
	      "FINISH of a session whose memory file nobody retrieved");
	check(status_num("pool_files") == 3 &&
		      status_num("pool_used_bytes") == used - (long)C_LEN,
	      "FINISH gave its memory back to the pool");
	close(s);
	check(!luo_write_file("/sys/class/misc/liveupdate/discard", "1"),
	      "discard");
	check(status_num("pool_files") == 2 &&
		      status_num("pool_used_bytes") ==
			      used - (long)(C_LEN + D_LEN),
	      "discarding a session gave its file's memory back to the pool");
	check(luo_retrieve_session(dev, "dropped") == -ENOENT,
	      "the discarded session is gone");
}

static void stage1(int dev)
{
	int x, y, z, a, b, s;
	unsigned char *p;

	test_ioctl_rules();
	test_file();
	test_held_page();
	/* B in two extents: 4 MiB freed between two files, and 2 more. */
	x = mem_create(4 * MiB);
	y = mem_create(4 * MiB);
	z = mem_create(4 * MiB);
	close(y);
	a = mem_create(A_LEN);
	b = mem_create(B_LEN);
	close(x);
	close(z);
	check(a >= 0 && b >= 0, "two memory files to preserve");
	if (a < 0 || b < 0)
		exit(1);
	p = map(a, A_LEN);
	stamp(p, A_LEN, 0xa);
	munmap(p, A_LEN);
	p = map(b, B_LEN);
	stamp(p, B_LEN, 0xb);
	munmap(p, B_LEN);
	s = luo_create_session(dev, "guest");
	check(s >= 0, "session");
	check(!luo_preserve(s, a, 1) && !luo_preserve(s, b, 2),
	      "PRESERVE_FD takes memory files");
	check(luo_preserve(s, a, 3) == -EBUSY, "the same file twice: EBUSY");
	preserve_alone(dev, "left", C_LEN);
	preserve_alone(dev, "dropped", D_LEN);
	check(listed("file 1 luomem-v1 16777216 preserved"),
	      "listed with its length");
	close(a);
	close(b);
	check(status_num("pool_files") == 4, "luo keeps them alive");
}

static void stage2(int dev, int stage)
{
	int s = luo_retrieve_session(dev, "guest"), a, b, x;
	double t0;

	check(listed("file 1 luomem-v1 16777216 pending"),
	      "stage %d: listed with its length", stage);
	check(s >= 0, "stage %d: retrieved the session", stage);
	if (s < 0)
		exit(1);
	if (stage == 2)
		test_unretrieved(dev);
	check(status_num("pool_files") == (stage == 2 ? 2 : 1) &&
		      status_num("pool_used_bytes") ==
			      (long)(stage == 2 ? A_LEN + B_LEN : A_LEN),
	      "the pool holds the incoming files' memory");
	check(mem_create(status_num("pool_free_bytes") + 2 * MiB) == -ENOSPC,
	      "and does not hand it out");
	t0 = now_s();
	a = luo_retrieve_fd(s, 1);
	printf("# figures: RETRIEVE_FD of a %lu MiB memory file: %.3f ms\n",
	       A_LEN / MiB, (now_s() - t0) * 1e3);
	b = stage == 2 ? luo_retrieve_fd(s, 2) : -ENOENT;
	t0 = now_s();
	x = mem_create(2 * MiB);
	printf("# figures: for scale, LIVEUPDATE_MEM_CREATE of a 2 MiB memory file: %.3f ms\n",
	       (now_s() - t0) * 1e3);
	check(x >= 0, "a new memory file beside the incoming ones");
	close(x);
	check(a >= 0, "RETRIEVE_FD: the 16 MiB file");
	if (a < 0)
		exit(1);
	verify(a, A_LEN, 0xa, "16 MiB");
	if (stage == 2) {
		check(b >= 0, "RETRIEVE_FD: the 6 MiB file in two extents");
		if (b >= 0)
			verify(b, B_LEN, 0xb, "6 MiB");
		close(b);
	}
	check(!luo_finish(s), "FINISH");
	close(s);
	if (stage == 2)
		check(status_num("pool_files") == 1,
		      "the closed 6 MiB file went back to the pool");
	carry_or_close(dev, a, "guest", stage == 3);
}

int main(int argc, char **argv)
{
	const char *st = getenv("LUO_STAGE");
	int stage = st ? atoi(st) : 1, dev;
	const char *mode = argc > 1 ? argv[1] : "";
	int huge = !strcmp(mode, "huge"), big = !strcmp(mode, "big");

	setvbuf(stdout, NULL, _IOLBF, 0);
	dev = open("/dev/liveupdate", O_RDWR);
	mem_dev = open("/dev/liveupdate_mem", O_RDWR);
	if (dev < 0 || mem_dev < 0)
		die("open /dev/liveupdate and /dev/liveupdate_mem");
	if (huge)
		stage == 1 ? huge1(dev) : huge2(dev);
	else if (big)
		stage == 1 ? big1(dev) : big2(dev, stage);
	else if (stage == 1)
		stage1(dev);
	else
		stage2(dev, stage);
	printf("# stage %d: %d checks, %d failed\n", stage, checks, failures);
	if (stage < (huge ? 2 : 3) && daemonize_holding(NULL))
		die("daemonize");
	return failures ? 1 : 0;
}
