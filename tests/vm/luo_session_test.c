// SPDX-License-Identifier: GPL-2.0
/*
 * luo_session_test.c - the ioctl ABI of /dev/liveupdate through the real
 * syscalls, in the test VM (kselftest harness; run by scripts/vm-test.sh
 * with luo.ko loaded as test_hooks=1).
 *
 * Covers the dispatch rules and the errno table of every command, session
 * and file lifetime, the size freeze of a preserved memfd, scale (2000
 * sessions, 500 files), capacity (ENOSPC), and the incoming side through
 * the debugfs round trip (serialize, thaw, decode in the same kernel).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/liveupdate.h>
#include <linux/liveupdate_mem.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <signal.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "luo_fail_nth.h"
#include "luo_util.h"

#define DEV "/dev/liveupdate"
#define ROUNDTRIP "/sys/kernel/debug/luo/roundtrip"
#define KO "/lib/modules/luo.ko"

#define create_session luo_create_session
#define retrieve_session luo_retrieve_session
#define preserve luo_preserve
#define retrieve_fd luo_retrieve_fd
#define finish luo_finish

static int sh(const char *cmd)
{
	int st = system(cmd);

	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static int memfd_with(const char *data, size_t len, unsigned int flags)
{
	int fd = memfd_create("luo-test", flags);

	if (fd < 0)
		return -errno;
	if (len && write(fd, data, len) != (ssize_t)len)
		return -errno;
	return fd;
}

static int roundtrip(void)
{
	return luo_write_file(ROUNDTRIP, "1");
}

FIXTURE(dev)
{
	int dev;
};

FIXTURE_SETUP(dev)
{
	self->dev = open(DEV, O_RDWR);
	ASSERT_LE(0, self->dev);
}

FIXTURE_TEARDOWN(dev)
{
	close(self->dev);
}

/* ---- dispatch rules ---------------------------------------------------- */

TEST_F(dev, unknown_nr_is_einval)
{
	struct liveupdate_ioctl_create_session a = { .size = sizeof(a) };
	int s;

	EXPECT_EQ(-1, ioctl(self->dev, _IO(0xBA, 0x02), &a));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(-1, ioctl(self->dev, _IO(0xBA, 0x40), &a));
	EXPECT_EQ(EINVAL, errno);
	s = create_session(self->dev, "nr");
	ASSERT_LE(0, s);
	EXPECT_EQ(-1, ioctl(s, _IO(0xBA, 0x44), &a));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(-1, ioctl(s, _IO(0xBA, 0x00), &a));
	EXPECT_EQ(EINVAL, errno);
	close(s);
}

TEST_F(dev, bad_pointer_is_efault)
{
	EXPECT_EQ(-1, ioctl(self->dev, LIVEUPDATE_IOCTL_CREATE_SESSION, NULL));
	EXPECT_EQ(EFAULT, errno);
}

TEST_F(dev, other_command_word_is_enotty)
{
	struct liveupdate_ioctl_create_session a = { .size = sizeof(a) };
	int s;

	strcpy((char *)a.name, "tty");
	EXPECT_EQ(-1, ioctl(self->dev,
			    _IOWR(0xBA, 0x00,
				  struct liveupdate_ioctl_create_session),
			    &a));
	EXPECT_EQ(ENOTTY, errno);
	EXPECT_EQ(-1, ioctl(self->dev, _IO(0xBB, 0x00), &a));
	EXPECT_EQ(ENOTTY, errno);
	s = create_session(self->dev, "tty");
	ASSERT_LE(0, s); /* nothing was created by the refused calls */
	EXPECT_EQ(-1, ioctl(s, _IOR(0xBA, 0x43, int), &a));
	EXPECT_EQ(ENOTTY, errno);
	close(s);
}

TEST_F(dev, size_rules)
{
	struct {
		struct liveupdate_ioctl_create_session a;
		char extra[16];
	} big;
	struct liveupdate_session_get_name gn;
	int s;

	memset(&big, 0, sizeof(big));
	strcpy((char *)big.a.name, "sz");
	big.a.size = sizeof(big.a) - 1;
	EXPECT_EQ(-1, ioctl(self->dev, LIVEUPDATE_IOCTL_CREATE_SESSION, &big));
	EXPECT_EQ(EINVAL, errno);
	big.a.size = sizeof(big);
	big.extra[3] = 1;
	EXPECT_EQ(-1, ioctl(self->dev, LIVEUPDATE_IOCTL_CREATE_SESSION, &big));
	EXPECT_EQ(E2BIG, errno);
	big.extra[3] = 0;
	big.a.fd = -7;
	ASSERT_EQ(0, ioctl(self->dev, LIVEUPDATE_IOCTL_CREATE_SESSION, &big));
	s = big.a.fd;
	EXPECT_LE(0, s);
	/* The reply fills min(size, struct) bytes: the extra stays zero. */
	for (int i = 0; i < 16; i++)
		EXPECT_EQ(0, big.extra[i]);
	memset(&gn, 0xff, sizeof(gn));
	gn.size = 8; /* below the struct: EINVAL, nothing written */
	gn.reserved = 0;
	EXPECT_EQ(-1, ioctl(s, LIVEUPDATE_SESSION_GET_NAME, &gn));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(0xff, gn.name[0]);
	close(s);
}

/* ---- sessions ------------------------------------------------------------ */

TEST_F(dev, create_session_fd)
{
	char link[128], path[64];
	ssize_t n;
	int s;

	s = create_session(self->dev, "vm-1");
	ASSERT_LE(0, s);
	EXPECT_EQ(FD_CLOEXEC, fcntl(s, F_GETFD) & FD_CLOEXEC);
	snprintf(path, sizeof(path), "/proc/self/fd/%d", s);
	n = readlink(path, link, sizeof(link) - 1);
	ASSERT_LT(0, n);
	link[n] = '\0';
	EXPECT_STREQ("anon_inode:[luo_session] vm-1", link);
	close(s);
}

/* A call that fails leaves the caller's struct as it was. */
TEST_F(dev, failed_create_or_retrieve_leaves_the_struct_alone)
{
	struct liveupdate_ioctl_create_session a = { .size = sizeof(a),
						     .fd = -7 };
	struct liveupdate_ioctl_create_session before;
	int s = create_session(self->dev, "taken");

	ASSERT_LE(0, s);
	strcpy((char *)a.name, "taken");
	before = a;
	EXPECT_EQ(-1, ioctl(self->dev, LIVEUPDATE_IOCTL_CREATE_SESSION, &a));
	EXPECT_EQ(EEXIST, errno);
	EXPECT_EQ(0, memcmp(&before, &a, sizeof(a)));
	strcpy((char *)a.name, "no-such-incoming");
	before = a;
	EXPECT_EQ(-1, ioctl(self->dev, LIVEUPDATE_IOCTL_RETRIEVE_SESSION, &a));
	EXPECT_EQ(ENOENT, errno);
	EXPECT_EQ(0, memcmp(&before, &a, sizeof(a)));
	close(s);
}

TEST_F(dev, session_names)
{
	struct liveupdate_ioctl_create_session a = { .size = sizeof(a) };
	char name63[64];
	int s;

	EXPECT_EQ(-EINVAL, create_session(self->dev, ""));
	memset(a.name, 'x', sizeof(a.name));
	EXPECT_EQ(-1, ioctl(self->dev, LIVEUPDATE_IOCTL_CREATE_SESSION, &a));
	EXPECT_EQ(EINVAL, errno);
	memset(name63, 'n', 63);
	name63[63] = '\0';
	s = create_session(self->dev, name63);
	ASSERT_LE(0, s);
	EXPECT_EQ(-EEXIST, create_session(self->dev, name63));
	close(s);
	/* Closed: the name is free again. */
	s = create_session(self->dev, name63);
	EXPECT_LE(0, s);
	close(s);
}

TEST_F(dev, get_name)
{
	struct liveupdate_session_get_name gn = { .size = sizeof(gn) };
	int s = create_session(self->dev, "named");

	ASSERT_LE(0, s);
	ASSERT_EQ(0, ioctl(s, LIVEUPDATE_SESSION_GET_NAME, &gn));
	EXPECT_STREQ("named", (char *)gn.name);
	gn.reserved = 1;
	EXPECT_EQ(-1, ioctl(s, LIVEUPDATE_SESSION_GET_NAME, &gn));
	EXPECT_EQ(EINVAL, errno);
	close(s);
}

TEST_F(dev, sessions_survive_closing_the_device)
{
	int s = create_session(self->dev, "outlives");

	ASSERT_LE(0, s);
	close(self->dev);
	self->dev = open(DEV, O_RDWR);
	ASSERT_LE(0, self->dev);
	EXPECT_EQ(-EEXIST, create_session(self->dev, "outlives"));
	close(s);
}

TEST_F(dev, wrong_kind_of_session_is_einval)
{
	int s = create_session(self->dev, "kind");
	struct liveupdate_session_retrieve_fd r = { .size = sizeof(r) };

	ASSERT_LE(0, s);
	EXPECT_EQ(-1, ioctl(s, LIVEUPDATE_SESSION_RETRIEVE_FD, &r));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(-EINVAL, finish(s));
	close(s);
}

TEST_F(dev, retrieve_unknown_session_is_enoent)
{
	EXPECT_EQ(-ENOENT, retrieve_session(self->dev, "nobody"));
	EXPECT_EQ(-EINVAL, retrieve_session(self->dev, ""));
}

/* Room for a few thousand descriptors (the default limit is 1024). */
static void raise_nofile(void)
{
	struct rlimit rl = { .rlim_cur = 8192, .rlim_max = 8192 };

	setrlimit(RLIMIT_NOFILE, &rl);
}

TEST_F(dev, two_thousand_sessions)
{
	static int fds[2000];
	char name[32];
	int i;

	raise_nofile();
	for (i = 0; i < 2000; i++) {
		snprintf(name, sizeof(name), "many-%d", i);
		fds[i] = create_session(self->dev, name);
		ASSERT_LE(0, fds[i]) TH_LOG("session %d: %d", i, fds[i]);
	}
	EXPECT_EQ(-EEXIST, create_session(self->dev, "many-1234"));
	for (i = 0; i < 2000; i++)
		close(fds[i]);
}

/* ---- files --------------------------------------------------------------- */

TEST_F(dev, preserve_errors)
{
	int s = create_session(self->dev, "files");
	int t = create_session(self->dev, "files2");
	int m = memfd_with("abc", 3, 0);
	int null = open("/dev/null", O_RDWR);
	int d;

	ASSERT_LE(0, s);
	ASSERT_LE(0, t);
	ASSERT_LE(0, m);
	EXPECT_EQ(0, preserve(s, m, 1));
	EXPECT_EQ(-EEXIST, preserve(s, m, 1));
	EXPECT_EQ(-EBUSY, preserve(s, m, 2));
	d = dup(m);
	EXPECT_EQ(-EBUSY, preserve(s, d, 3));
	EXPECT_EQ(-EBUSY, preserve(t, m, 1));
	EXPECT_EQ(-EBADF, preserve(s, 9999, 4));
	EXPECT_EQ(-EBADF, preserve(s, -1, 4));
	EXPECT_EQ(-ENOENT, preserve(s, null, 5));
	EXPECT_EQ(-ENOENT, preserve(s, s, 6)); /* a session is no memfd */
	close(d);
	close(m);
	close(null);
	close(t);
	close(s);
}

TEST_F(dev, hugetlb_memfd_is_refused)
{
	int s = create_session(self->dev, "huge");
	int m = memfd_create("huge", MFD_HUGETLB);

	ASSERT_LE(0, s);
	if (m < 0)
		SKIP(close(s); return, "no hugetlb memfd here");
	EXPECT_EQ(-ENOENT, preserve(s, m, 1));
	close(m);
	close(s);
}

TEST_F(dev, preserved_memfd_size_is_frozen)
{
	int s = create_session(self->dev, "freeze");
	int m = memfd_with("0123456789", 10, MFD_ALLOW_SEALING);
	char buf[4];

	ASSERT_LE(0, s);
	ASSERT_LE(0, m);
	ASSERT_EQ(0, fcntl(m, F_ADD_SEALS, F_SEAL_SHRINK));
	ASSERT_EQ(0, preserve(s, m, 7));
	/* Inside the size: fine. */
	EXPECT_EQ(2, pwrite(m, "ab", 2, 3));
	EXPECT_EQ(4, pread(m, buf, 4, 2));
	EXPECT_EQ(0, memcmp(buf, "2ab5", 4));
	/* Growing or shrinking: refused. */
	EXPECT_EQ(-1, ftruncate(m, 4096));
	EXPECT_EQ(EPERM, errno);
	EXPECT_EQ(-1, ftruncate(m, 2));
	EXPECT_EQ(EPERM, errno);
	EXPECT_EQ(-1, pwrite(m, "z", 1, 10));
	EXPECT_EQ(EPERM, errno);
	EXPECT_EQ(-1, fallocate(m, 0, 0, 8192));
	EXPECT_EQ(EPERM, errno);
	/* Closing the session gives it back, with exactly its own seals. */
	close(s);
	EXPECT_EQ(F_SEAL_SHRINK, fcntl(m, F_GET_SEALS));
	EXPECT_EQ(0, ftruncate(m, 4096));
	EXPECT_EQ(-1, ftruncate(m, 2));
	close(m);
}

TEST_F(dev, caller_may_close_its_fd)
{
	int s = create_session(self->dev, "ref");
	int m = memfd_with("kept", 4, 0);

	ASSERT_LE(0, s);
	ASSERT_EQ(0, preserve(s, m, 1));
	close(m);
	/* Still luo's: a new memfd is another file and is accepted. */
	m = memfd_with("x", 1, 0);
	EXPECT_EQ(0, preserve(s, m, 2));
	close(m);
	close(s);
}

TEST_F(dev, five_hundred_files)
{
	int s = create_session(self->dev, "wide");
	int i;

	ASSERT_LE(0, s);
	for (i = 0; i < 500; i++) {
		int m = memfd_with("p", 1, 0);

		ASSERT_LE(0, m);
		ASSERT_EQ(0, preserve(s, m, 1000 + i)) TH_LOG("file %d", i);
		close(m);
	}
	close(s);
}

/* ---- capacity: the module is reloaded with a small one ------------------- */

TEST(capacity_is_enospc_at_the_ioctl)
{
	int dev, s, m, i, n = 0;

	ASSERT_EQ(0, sh("rmmod luo && insmod " KO " capacity=4096"));
	dev = open(DEV, O_RDWR);
	ASSERT_LE(0, dev);
	s = create_session(dev, "small");
	ASSERT_LE(0, s);
	m = memfd_with(NULL, 0, 0);
	ASSERT_EQ(0, ftruncate(m, 8192));
	EXPECT_EQ(-ENOSPC, preserve(s, m, 1));
	/* Nothing was preserved: the same memfd can grow again. */
	EXPECT_EQ(0, ftruncate(m, 100));
	EXPECT_EQ(0, preserve(s, m, 1));
	close(m);
	close(s);
	/* Sessions reserve room too: 72 bytes each. */
	int fds[64];
	for (i = 0; i < 64; i++) {
		char name[16];

		snprintf(name, sizeof(name), "c%d", i);
		fds[i] = create_session(dev, name);
		if (fds[i] < 0) {
			EXPECT_EQ(-ENOSPC, fds[i]);
			break;
		}
		n++;
	}
	EXPECT_LT(10, n);
	EXPECT_GT(64, n);
	for (i = 0; i < n; i++)
		close(fds[i]);
	close(dev);
	/* Back as qemu/run loaded it (range, test_hooks). */
	ASSERT_EQ(0, sh("rmmod luo && . /etc/luo-run.conf && insmod " KO
			" $LUO_PARAMS"));
}

/* ---- incoming sessions through the debugfs round trip -------------------- */

TEST_F(dev, incoming_round_trip)
{
	struct liveupdate_session_finish fin = { .size = sizeof(fin) };
	char data[3 * 4096 + 100], got[sizeof(data)];
	struct stat st1, st2;
	int s, in, m, m2, r, r2;
	size_t i;

	for (i = 0; i < sizeof(data); i++)
		data[i] = (char)(i * 7 + 1);
	s = create_session(self->dev, "rt");
	ASSERT_LE(0, s);
	m = memfd_with(data, sizeof(data), MFD_ALLOW_SEALING);
	ASSERT_LE(0, m);
	ASSERT_EQ(0, fcntl(m, F_ADD_SEALS, F_SEAL_WRITE | F_SEAL_SHRINK));
	ASSERT_EQ(1234, lseek(m, 1234, SEEK_SET));
	ASSERT_EQ(0, preserve(s, m, 0x1A));
	m2 = memfd_with(NULL, 0, 0); /* an empty one too */
	ASSERT_EQ(0, preserve(s, m2, 0x2B));
	ASSERT_EQ(0, roundtrip());
	/* Once is enough: a second decode while incoming exist is EBUSY. */
	EXPECT_EQ(-EBUSY, roundtrip());

	in = retrieve_session(self->dev, "rt");
	ASSERT_LE(0, in);
	EXPECT_EQ(-EINVAL, retrieve_session(self->dev, "rt"));
	EXPECT_EQ(-EINVAL, preserve(in, m, 9));
	EXPECT_EQ(-ENOENT, retrieve_fd(in, 0x99));

	r = retrieve_fd(in, 0x1A);
	ASSERT_LE(0, r);
	EXPECT_EQ(FD_CLOEXEC, fcntl(r, F_GETFD) & FD_CLOEXEC);
	ASSERT_EQ(0, fstat(r, &st1));
	EXPECT_EQ((off_t)sizeof(data), st1.st_size);
	EXPECT_EQ(1234, lseek(r, 0, SEEK_CUR));
	EXPECT_EQ(F_SEAL_WRITE | F_SEAL_SHRINK, fcntl(r, F_GET_SEALS));
	ASSERT_EQ((ssize_t)sizeof(got), pread(r, got, sizeof(got), 0));
	EXPECT_EQ(0, memcmp(data, got, sizeof(data)));
	/* A repeat gives another fd of the same file. */
	r2 = retrieve_fd(in, 0x1A);
	ASSERT_LE(0, r2);
	ASSERT_EQ(0, fstat(r2, &st2));
	EXPECT_EQ(st1.st_ino, st2.st_ino);
	EXPECT_NE(r, r2);
	/* Retrieved and not finished: cannot be preserved again. */
	EXPECT_EQ(-EBUSY, preserve(s, r, 0x3C));

	/* A non-zero reserved field is refused and changes nothing. */
	fin.reserved = 1;
	EXPECT_EQ(-1, ioctl(in, LIVEUPDATE_SESSION_FINISH, &fin));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(0, finish(in));
	EXPECT_EQ(-ENOENT, retrieve_fd(in, 0x2B));
	/* Finished: an ordinary memfd, which a new session may preserve. */
	EXPECT_EQ(0, preserve(s, r, 0x3C));
	close(in);
	EXPECT_EQ(-ENOENT, retrieve_session(self->dev, "rt"));
	close(r);
	close(r2);
	close(m);
	close(m2);
	close(s);
}

TEST_F(dev, close_finishes_implicitly)
{
	int s = create_session(self->dev, "imp");
	int m = memfd_with("data", 4, 0);
	int in, r;

	ASSERT_LE(0, s);
	ASSERT_EQ(0, preserve(s, m, 5));
	ASSERT_EQ(0, roundtrip());
	close(s);
	in = retrieve_session(self->dev, "imp");
	ASSERT_LE(0, in);
	r = retrieve_fd(in, 5);
	ASSERT_LE(0, r);
	close(in); /* implicit FINISH */
	EXPECT_EQ(-ENOENT, retrieve_session(self->dev, "imp"));
	/* The restored memfd lives on as an ordinary file. */
	EXPECT_EQ(0, ftruncate(r, 1 << 20));
	close(r);
	close(m);
}

/* ---- the listing an operator reads -------------------------------------- */

#define LISTING "/proc/driver/liveupdate"
#define STATUS "/sys/class/misc/liveupdate/status"

/* The line of @path that starts with @prefix, without its newline. */
static int line_of(const char *path, const char *prefix, char *out, size_t len)
{
	static char buf[1 << 16];
	ssize_t n;
	char *p, *end;
	int fd = open(path, O_RDONLY);

	if (fd < 0)
		return -errno;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n < 0)
		return -errno;
	buf[n] = '\0';
	for (p = buf; *p; p = end + 1) {
		end = strchrnul(p, '\n');
		if (!strncmp(p, prefix, strlen(prefix))) {
			snprintf(out, len, "%.*s", (int)(end - p), p);
			return 0;
		}
		if (!*end)
			break;
	}
	return -ENOENT;
}

/* ---- what a VMM does to guest memory: holes, seals, size ---------------- */

#define PG 4096

/* Page @i of a pattern file: every byte says which page and which seed. */
static void page_pattern(unsigned char *p, int i, int seed)
{
	int k;

	for (k = 0; k < PG; k++)
		p[k] = (unsigned char)(i * 31 + k * 7 + seed);
}

/*
 * A balloon punches holes into guest memory that luo already preserves,
 * and the guest writes into part of them again: the next kernel sees
 * zeros where the holes still are and the new data where it was written.
 * The retrieved memfd keeps the holes as holes (st_blocks).
 */
TEST_F(dev, punched_holes_are_handed_over_as_zeros)
{
	enum { N = 16 };
	unsigned char want[PG], got[PG];
	int s, m, in, r, i;
	struct stat st;
	char *map;

	s = create_session(self->dev, "balloon");
	m = memfd_create("guest-ram", 0);
	ASSERT_LE(0, s);
	ASSERT_LE(0, m);
	for (i = 0; i < N; i++) {
		page_pattern(want, i, 1);
		ASSERT_EQ(PG, pwrite(m, want, PG, (off_t)i * PG));
	}
	ASSERT_EQ(0, preserve(s, m, 1));
	/* Pages 2..5 punched, 3 rewritten; 8..9 removed through a mapping. */
	ASSERT_EQ(0, fallocate(m, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE,
			       2 * PG, 4 * PG));
	page_pattern(want, 3, 2);
	ASSERT_EQ(PG, pwrite(m, want, PG, 3 * PG));
	map = mmap(NULL, N * PG, PROT_READ | PROT_WRITE, MAP_SHARED, m, 0);
	ASSERT_NE(MAP_FAILED, map);
	ASSERT_EQ(0, madvise(map + 8 * PG, 2 * PG, MADV_REMOVE));
	munmap(map, N * PG);
	ASSERT_EQ(0, fstat(m, &st));
	EXPECT_EQ((N - 5) * PG / 512, st.st_blocks);

	ASSERT_EQ(0, roundtrip());
	close(s);
	in = retrieve_session(self->dev, "balloon");
	ASSERT_LE(0, in);
	r = retrieve_fd(in, 1);
	ASSERT_LE(0, r);
	for (i = 0; i < N; i++) {
		if (i == 2 || i == 4 || i == 5 || i == 8 || i == 9)
			memset(want, 0, PG);
		else
			page_pattern(want, i, i == 3 ? 2 : 1);
		ASSERT_EQ(PG, pread(r, got, PG, (off_t)i * PG));
		EXPECT_EQ(0, memcmp(want, got, PG))
		TH_LOG("page %d differs", i);
	}
	/* Pages of zeros are not allocated in the restored memfd. */
	ASSERT_EQ(0, fstat(r, &st));
	EXPECT_EQ((off_t)N * PG, st.st_size);
	EXPECT_EQ((N - 5) * PG / 512, st.st_blocks);
	EXPECT_EQ(0, finish(in));
	close(in);
	close(r);
	close(m);
}

/* The seals a memfd gets back when its session is closed. */
static int seals_after_preserve(int dev, unsigned int mfd_flags, int before,
				int during)
{
	int s = create_session(dev, "seals");
	int m = memfd_create("sealed", mfd_flags);
	int seals;

	if (s < 0 || m < 0)
		return -1;
	if (before && fcntl(m, F_ADD_SEALS, before))
		return -1;
	if (preserve(s, m, 1))
		return -1;
	if (during && fcntl(m, F_ADD_SEALS, during))
		return -1;
	close(s);
	seals = fcntl(m, F_GET_SEALS);
	close(m);
	return seals;
}

TEST_F(dev, unpreserve_gives_back_exactly_the_seals)
{
	/* A plain memfd carries F_SEAL_SEAL from birth: accepted, kept. */
	EXPECT_EQ(F_SEAL_SEAL, seals_after_preserve(self->dev, 0, 0, 0));
	EXPECT_EQ(0, seals_after_preserve(self->dev, MFD_ALLOW_SEALING, 0, 0));
	EXPECT_EQ(F_SEAL_WRITE | F_SEAL_GROW,
		  seals_after_preserve(self->dev, MFD_ALLOW_SEALING,
				       F_SEAL_WRITE | F_SEAL_GROW, 0));
	/* Seals the owner adds while preserved are the owner's. */
	EXPECT_EQ(F_SEAL_WRITE,
		  seals_after_preserve(self->dev, MFD_ALLOW_SEALING, 0,
				       F_SEAL_WRITE));
	/*
	 * The owner sealed the seals while it saw GROW and SHRINK: whoever
	 * it gave the file to may rely on them, so they stay.
	 */
	EXPECT_EQ(F_SEAL_SEAL | F_SEAL_GROW | F_SEAL_SHRINK,
		  seals_after_preserve(self->dev, MFD_ALLOW_SEALING, 0,
				       F_SEAL_SEAL));
}

#ifndef MFD_NOEXEC_SEAL
#define MFD_NOEXEC_SEAL 0x0008U
#endif
#ifndef F_SEAL_EXEC
#define F_SEAL_EXEC 0x0020
#endif

/* MFD_NOEXEC_SEAL (6.3+): the restored memfd has no execute bits either. */
TEST_F(dev, noexec_memfd_comes_back_without_exec)
{
	int s, m, in, r;
	struct stat st;

	m = memfd_create("noexec", MFD_NOEXEC_SEAL);
	if (m < 0)
		SKIP(return, "no MFD_NOEXEC_SEAL in this kernel");
	s = create_session(self->dev, "noexec");
	ASSERT_LE(0, s);
	ASSERT_EQ(0, preserve(s, m, 1));
	ASSERT_EQ(0, roundtrip());
	close(s);
	in = retrieve_session(self->dev, "noexec");
	ASSERT_LE(0, in);
	r = retrieve_fd(in, 1);
	ASSERT_LE(0, r);
	ASSERT_EQ(0, fstat(r, &st));
	EXPECT_EQ(0, (int)(st.st_mode & 0111));
	EXPECT_EQ(fcntl(m, F_GET_SEALS), fcntl(r, F_GET_SEALS));
	EXPECT_NE(0, fcntl(r, F_GET_SEALS) & F_SEAL_EXEC);
	EXPECT_EQ(0, finish(in));
	close(in);
	close(r);
	close(m);
}

static long shmem_kib(void)
{
	char line[128];
	long kib = -1;
	FILE *f = fopen("/proc/meminfo", "r");

	while (f && fgets(line, sizeof(line), f))
		if (sscanf(line, "Shmem: %ld kB", &kib) == 1)
			break;
	if (f)
		fclose(f);
	return kib;
}

/*
 * A memfd larger than the room left is refused from its size, before a
 * page is allocated: a sparse 1 TiB one is ENOSPC at once (allocating it
 * first would OOM the VM), and no size makes the kernel WARN.
 */
TEST_F(dev, too_large_is_enospc_before_any_allocation)
{
	static const off_t sizes[] = {
		1LL << 40, (1LL << 31) - 4096,	1LL << 31,
		1LL << 32, LLONG_MAX & ~4095LL,
	};
	int s = create_session(self->dev, "huge");
	long before = shmem_kib();
	size_t i;

	ASSERT_LE(0, s);
	for (i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		int m = memfd_create("sparse", MFD_ALLOW_SEALING);

		ASSERT_LE(0, m);
		ASSERT_EQ(0, ftruncate(m, sizes[i]));
		EXPECT_EQ(-ENOSPC, preserve(s, m, i))
		TH_LOG("size %lld", (long long)sizes[i]);
		EXPECT_EQ(0, fcntl(m, F_GET_SEALS));
		close(m);
	}
	/* Nothing was filled in (a few pages of slack for the system). */
	EXPECT_GT(before + 1024, shmem_kib());
	close(s);
}

static void on_alarm(int sig)
{
}

/*
 * A RETRIEVE_FD interrupted by a signal is not a verdict on the data: the
 * same call then succeeds and restores every byte.
 */
TEST_F(dev, interrupted_retrieve_can_be_retried)
{
	enum { SIZE = 32 << 20 };
	struct sigaction sa = { .sa_handler = on_alarm };
	struct itimerval it = { .it_value = { .tv_usec = 1000 } };
	unsigned char want[PG], got[PG];
	int s, m, in, r, i;
	char line[128];

	s = create_session(self->dev, "eintr");
	m = memfd_create("big", 0);
	ASSERT_LE(0, s);
	ASSERT_LE(0, m);
	ASSERT_EQ(0, ftruncate(m, SIZE));
	for (i = 0; i < SIZE / PG; i += 97) {
		page_pattern(want, i, 3);
		ASSERT_EQ(PG, pwrite(m, want, PG, (off_t)i * PG));
	}
	/* Every page non-zero: each one costs the retrieval a copy. */
	memset(want, 0xa5, PG);
	for (i = 0; i < SIZE / PG; i++)
		if (i % 97)
			ASSERT_EQ(PG, pwrite(m, want, PG, (off_t)i * PG));
	ASSERT_EQ(0, preserve(s, m, 1));
	ASSERT_EQ(0, roundtrip());
	close(s);
	close(m);
	in = retrieve_session(self->dev, "eintr");
	ASSERT_LE(0, in);

	ASSERT_EQ(0, sigaction(SIGALRM, &sa, NULL));
	ASSERT_EQ(0, setitimer(ITIMER_REAL, &it, NULL));
	EXPECT_EQ(-EINTR, retrieve_fd(in, 1));
	ASSERT_EQ(0, line_of(LISTING, "file 1 ", line, sizeof(line)));
	EXPECT_STREQ("file 1 memfd-v1 33554464 pending", line);
	r = retrieve_fd(in, 1);
	ASSERT_LE(0, r);
	for (i = 0; i < SIZE / PG; i++) {
		if (i % 97)
			memset(want, 0xa5, PG);
		else
			page_pattern(want, i, 3);
		ASSERT_EQ(PG, pread(r, got, PG, (off_t)i * PG));
		ASSERT_EQ(0, memcmp(want, got, PG)) TH_LOG("page %d", i);
	}
	EXPECT_EQ(0, finish(in));
	close(in);
	close(r);
}

/*
 * RETRIEVE_FD with the 1st, 2nd, ... allocation of the call failing
 * (/proc/thread-self/fail-nth) until it succeeds (the first success is
 * final; it may come at a site allowed to fail, such as KASAN's or
 * kmemleak's own bookkeeping): every failure is one that says "not now"
 * (ENOMEM, or ENOSPC: shmem's answer when it cannot allocate the new
 * memfd's inode), nothing is recorded as permanent (the listing says
 * pending),
 * and then the call restores every byte.  The memcg test below reaches
 * the page allocations behind these.
 */
TEST_F(dev, retrieve_after_allocation_failures_succeeds)
{
	enum { SIZE = 16 * PG };
	unsigned char want[SIZE], got[SIZE];
	int s, m, in, r = -1, n, failed = 0, nth, left = 0;
	char line[128];

	nth = luo_fail_nth_open();
	if (nth < 0)
		SKIP(return, "no fault injection in this kernel");
	s = create_session(self->dev, "fail-nth");
	ASSERT_LE(0, s);
	for (n = 0; n < SIZE / PG; n++)
		page_pattern(want + n * PG, n, 4);
	m = memfd_with((char *)want, SIZE, 0);
	ASSERT_LE(0, m);
	ASSERT_EQ(0, preserve(s, m, 1));
	ASSERT_EQ(0, roundtrip());
	close(s);
	close(m);
	in = retrieve_session(self->dev, "fail-nth");
	ASSERT_LE(0, in);
	for (n = 1; n < 10000; n++) {
		luo_fail_nth(nth, n);
		r = retrieve_fd(in, 1);
		left = luo_fail_nth(nth, 0);
		if (r >= 0)
			break;
		failed++;
		EXPECT_TRUE(r == -ENOMEM || r == -ENOSPC)
		TH_LOG("fault %d: %d", n, r);
		ASSERT_EQ(0, line_of(LISTING, "file 1 ", line, sizeof(line)));
		EXPECT_STREQ("file 1 memfd-v1 65568 pending", line);
	}
	close(nth);
	ASSERT_LE(0, r);
	TH_LOG("RETRIEVE_FD: failed %d time(s) under fault injection, then succeeded at fault %d (%s)",
	       failed, n, left ? "not reached" : "reached, and tolerated");
	EXPECT_LE(1, failed);
	ASSERT_EQ(SIZE, pread(r, got, SIZE, 0));
	EXPECT_EQ(0, memcmp(want, got, SIZE));
	EXPECT_EQ(0, finish(in));
	close(in);
	close(r);
}

#define CG "/sys/fs/cgroup"

/* cgroup v2 with the memory controller, and a child group luo-test. */
static int memcg_ready(void)
{
	if (access(CG "/cgroup.controllers", F_OK))
		sh("mount -t cgroup2 none " CG " 2>/dev/null");
	return !sh("grep -qw memory " CG "/cgroup.controllers && "
		   "echo +memory > " CG "/cgroup.subtree_control && "
		   "mkdir -p " CG "/luo-test");
}

/*
 * A VMM in a memory cgroup retrieves more than its limit allows: ENOMEM,
 * not the OOM killer and not a permanent failure; once the limit is
 * raised, the same call restores every byte.
 */
TEST_F(dev, retrieve_at_a_memcg_limit_can_be_retried)
{
	enum { SIZE = 32 << 20 };
	unsigned char want[PG], got[PG];
	char line[128], pid[16];
	int s, m, in, r, i;

	if (!memcg_ready())
		SKIP(return, "no memory cgroup here");
	s = create_session(self->dev, "memcg");
	m = memfd_create("guest", 0);
	ASSERT_LE(0, s);
	ASSERT_LE(0, m);
	for (i = 0; i < SIZE / PG; i++) {
		page_pattern(want, i, 5);
		ASSERT_EQ(PG, pwrite(m, want, PG, (off_t)i * PG));
	}
	ASSERT_EQ(0, preserve(s, m, 1));
	ASSERT_EQ(0, roundtrip());
	close(s);
	close(m);
	in = retrieve_session(self->dev, "memcg");
	ASSERT_LE(0, in);

	/* Room for a quarter of it; charges start at zero in a new group. */
	snprintf(pid, sizeof(pid), "%d", getpid());
	ASSERT_EQ(0, luo_write_file(CG "/luo-test/memory.max", "8M"));
	ASSERT_EQ(0, luo_write_file(CG "/luo-test/cgroup.procs", pid));
	EXPECT_EQ(-ENOMEM, retrieve_fd(in, 1));
	ASSERT_EQ(0, line_of(LISTING, "file 1 ", line, sizeof(line)));
	EXPECT_STREQ("file 1 memfd-v1 33554464 pending", line);
	ASSERT_EQ(0, luo_write_file(CG "/luo-test/memory.max", "max"));
	r = retrieve_fd(in, 1);
	ASSERT_LE(0, r);
	for (i = 0; i < SIZE / PG; i++) {
		page_pattern(want, i, 5);
		ASSERT_EQ(PG, pread(r, got, PG, (off_t)i * PG));
		ASSERT_EQ(0, memcmp(want, got, PG)) TH_LOG("page %d", i);
	}
	EXPECT_EQ(0, finish(in));
	close(in);
	close(r);
	luo_write_file(CG "/cgroup.procs", pid);
}

/* Session names and tokens are the host's business: root only. */
TEST(listing_is_root_only)
{
	struct stat st;

	ASSERT_EQ(0, stat(LISTING, &st));
	EXPECT_EQ(0400, (int)(st.st_mode & 0777));
}

TEST_F(dev, listing_shows_sessions_and_files)
{
	const char name[] = "list me\\\n";
	const char esc[] = "list\\040me\\134\\012";
	unsigned long long bytes, bytes2;
	char line[256], want[128], state[32];
	int s, m1, m2, in, r;

	s = create_session(self->dev, name);
	ASSERT_LE(0, s);
	m1 = memfd_with("abc", 3, 0);
	m2 = memfd_with(NULL, 0, 0);
	ASSERT_EQ(0, preserve(s, m1, 7));
	ASSERT_EQ(0, preserve(s, m2, 1ULL << 40));

	snprintf(want, sizeof(want), "session out open 2 %s", esc);
	ASSERT_EQ(0, line_of(LISTING, "session out", line, sizeof(line)));
	EXPECT_STREQ(want, line);
	ASSERT_EQ(0, line_of(LISTING, "file 7 ", line, sizeof(line)));
	ASSERT_EQ(2, sscanf(line, "file 7 memfd-v1 %llu %31s", &bytes, state));
	EXPECT_LE(3ULL, bytes);
	EXPECT_STREQ("preserved", state);
	ASSERT_EQ(0, line_of(LISTING, "file 1099511627776 memfd-v1 ", line,
			     sizeof(line)));
	ASSERT_EQ(1, sscanf(line, "file 1099511627776 memfd-v1 %llu", &bytes2));
	ASSERT_EQ(0, line_of(STATUS, "files_out:", line, sizeof(line)));
	EXPECT_STREQ("files_out: 2", line);

	ASSERT_EQ(0, roundtrip());
	snprintf(want, sizeof(want), "session in pending 2 %s", esc);
	ASSERT_EQ(0, line_of(LISTING, "session in", line, sizeof(line)));
	EXPECT_STREQ(want, line);
	ASSERT_EQ(0, line_of(STATUS, "files_in:", line, sizeof(line)));
	EXPECT_STREQ("files_in: 2", line);

	in = retrieve_session(self->dev, name);
	ASSERT_LE(0, in);
	r = retrieve_fd(in, 7);
	ASSERT_LE(0, r);
	ASSERT_EQ(0, line_of(LISTING, "session in", line, sizeof(line)));
	snprintf(want, sizeof(want), "session in retrieved 2 %s", esc);
	EXPECT_STREQ(want, line);
	/* Incoming files follow the outgoing ones; match on the state. */
	snprintf(want, sizeof(want), "file 7 memfd-v1 %llu retrieved", bytes);
	EXPECT_EQ(0, line_of(LISTING, want, line, sizeof(line)));
	snprintf(want, sizeof(want), "file 1099511627776 memfd-v1 %llu pending",
		 bytes2);
	EXPECT_EQ(0, line_of(LISTING, want, line, sizeof(line)));
	snprintf(want, sizeof(want), "file 7 memfd-v1 %llu pending", bytes);
	EXPECT_EQ(-ENOENT, line_of(LISTING, want, line, sizeof(line)));
	EXPECT_EQ(0, finish(in));
	snprintf(want, sizeof(want), "session in finished 0 %s", esc);
	ASSERT_EQ(0, line_of(LISTING, "session in", line, sizeof(line)));
	EXPECT_STREQ(want, line);
	close(in);
	EXPECT_EQ(-ENOENT, line_of(LISTING, "session in", line, sizeof(line)));
	close(s);
	EXPECT_EQ(-ENOENT, line_of(LISTING, "session", line, sizeof(line)));
	EXPECT_EQ(-ENOENT, line_of(LISTING, "file", line, sizeof(line)));
	close(r);
	close(m1);
	close(m2);
}

TEST_F(dev, discard_drops_what_nobody_retrieved)
{
	int a = create_session(self->dev, "keep");
	int b = create_session(self->dev, "drop");
	int m = memfd_with("x", 1, 0);
	int in;

	ASSERT_LE(0, a);
	ASSERT_LE(0, b);
	ASSERT_EQ(0, preserve(b, m, 1));
	ASSERT_EQ(0, roundtrip());
	in = retrieve_session(self->dev, "keep");
	ASSERT_LE(0, in);
	ASSERT_EQ(0, sh("echo 1 > /sys/class/misc/liveupdate/discard"));
	EXPECT_EQ(-ENOENT, retrieve_session(self->dev, "drop"));
	/* The retrieved one is untouched. */
	EXPECT_EQ(0, finish(in));
	close(in);
	close(m);
	close(a);
	close(b);
	EXPECT_EQ(0, sh("grep -qx 'sessions_in: 0' "
			"/sys/class/misc/liveupdate/status"));
}

/*
 * The round trip cannot carry a memory file: its memory is still the
 * outgoing file's, so the decoded image cannot claim it.  The round trip
 * fails whole with EINVAL and the outgoing session is as it was.
 */
TEST_F(dev, round_trip_refuses_memory_files)
{
	struct liveupdate_mem_create mc = { .size = sizeof(mc),
					    .length = 2 << 20 };
	int mem = open("/dev/liveupdate_mem", O_RDWR), s;

	if (mem < 0)
		SKIP(return, "no /dev/liveupdate_mem (no handover range)");
	ASSERT_EQ(0, ioctl(mem, LIVEUPDATE_MEM_CREATE, &mc));
	s = create_session(self->dev, "rt-mem");
	ASSERT_LE(0, s);
	ASSERT_EQ(0, preserve(s, mc.fd, 1));
	EXPECT_EQ(-EINVAL, roundtrip());
	EXPECT_EQ(-ENOENT, retrieve_session(self->dev, "rt-mem"));
	EXPECT_EQ(-EBUSY, preserve(s, mc.fd, 2)); /* still preserved */
	EXPECT_EQ(0, sh("grep -qx 'files_out: 1' "
			"/sys/class/misc/liveupdate/status"));
	close(s);
	close(mc.fd);
	close(mem);
	EXPECT_EQ(0, sh("grep -qx 'pool_files: 0' "
			"/sys/class/misc/liveupdate/status"));
}

TEST_HARNESS_MAIN
