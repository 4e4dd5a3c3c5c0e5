// SPDX-License-Identifier: GPL-2.0
/*
 * luo_fuzz.c - a coverage-guided, seeded fuzzer of luo's ioctls.
 *
 * Runs in the guest (static binary, through qemu/run).  An input is a
 * thread count and a list of up to MAX_OPS operations of OP_BYTES bytes
 * each; every byte is interpreted (which operation, which slot, which
 * size, which flags...), so any byte string is a valid input.  The
 * operations act on a table of descriptor slots: /dev/liveupdate, session
 * fds of both kinds (created here, or retrieved after a serialize+thaw
 * through debugfs luo/roundtrip), memfds of random sizes, holes and
 * seals, pipes, sockets, /dev/null, eventfds, O_TMPFILE files, closed and
 * dup'd fds.  Operations: the six ioctls with chosen or random sizes and
 * contents, raw random command words, close, dup, fork (a child that acts
 * on inherited fds and exits while the parent goes on), ftruncate/write
 * on memfds, the round trip, discard, reading the status and listing.
 * With 2 or 3 threads the operations of one input run concurrently.
 * Every input starts from a clean table and ends by closing everything
 * and discarding what was decoded, so that an input replays alone.
 *
 * Coverage: each thread has its own /sys/kernel/debug/kcov (TRACE_PC);
 * PCs inside luo's .text (/sys/module/luo/sections/) are kept, an edge is
 * a hash of two consecutive luo PCs, and an input that reaches a new edge
 * joins the corpus, from which new inputs are mutated.  Without KCOV the
 * fuzzer runs in random mode and says so.
 *
 * Oracle: every errno must be one the SPEC table allows for that ioctl;
 * where the dispatch rules fix it (nr out of range, a faulting argument,
 * a wrong command word, a session of the wrong kind, a short size, a
 * non-zero tail, a name with no NUL, reserved fields, a closed fd or a
 * file no handler takes) it must be exactly that one (single-threaded
 * inputs only: with threads, slots change under the caller).  A new fd
 * must be close-on-exec; a preserved memfd must refuse to change size.
 * Kernel reports are qemu/run's business (it fails the run).
 *
 *   luo_fuzz [--seed N] [--iters N | --time S] [--threads N]
 *            [--replay HEX] [--kexec] [--pcs] [--no-roundtrip]
 *            [--forbid ERRNO] [--text-size N]
 *
 * --kexec: after fuzzing (LUO_STAGE=1) leave a deterministic set of
 * sessions (from the seed) with a manifest memfd in session "fz-manifest"
 * and hold them open across the jump; at LUO_STAGE=2 retrieve every one
 * and check sizes and contents against the manifest that travelled in the
 * handover itself.  --pcs prints every luo PC reached (offsets in .text)
 * for line coverage on the host (scripts/fuzz.sh).  A failing input is
 * printed as "fuzz: input HEX" and replays with --replay HEX.  --forbid
 * ERRNO takes an errno out of every table: the oracle's self-test (it
 * must then report findings).  --text-size: luo's .text size (from the
 * host's luo.ko; default: up to the next section in sysfs).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/liveupdate.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <dirent.h>

#include "luo_tap.h"
#include "luo_util.h"

#define DEV "/dev/liveupdate"
#define STATUS "/sys/class/misc/liveupdate/status"
#define LISTING "/proc/driver/liveupdate"
#define ROUNDTRIP "/sys/kernel/debug/luo/roundtrip"
#define DISCARD "/sys/class/misc/liveupdate/discard"

#define KCOV_INIT_TRACE _IOR('c', 1, unsigned long)
#define KCOV_ENABLE _IO('c', 100)
#define KCOV_TRACE_PC 0
#define COVER_SIZE (256 << 10)

#define MAX_OPS 48
#define OP_BYTES 16
#define NSLOTS 16
#define MAX_THREADS 3
#define CLOSED_FD 700 /* never open: fds stay far below it */
#define HIGH_FD 1000 /* the fuzzer's own fds (kcov) live above it */
#define EDGE_BITS 22
#define MAX_CORPUS 4096

struct input {
	uint8_t nthreads, nops, flags, pad;
	uint8_t op[MAX_OPS][OP_BYTES];
};

enum kind {
	K_NONE,
	K_DEV,
	K_OUT,
	K_IN,
	K_MEMFD,
	K_PIPE,
	K_SOCK,
	K_NULL,
	K_EVENT,
	K_TMPF,
	K_CLOSED,
	K_NKINDS
};

struct slot {
	int fd;
	int kind;
	int preserved; /* memfd: a PRESERVE_FD of it succeeded */
	char name[LIVEUPDATE_SESSION_NAME_LENGTH];
};

enum ioc {
	I_CREATE,
	I_RETRIEVE,
	I_PRESERVE,
	I_RETRIEVE_FD,
	I_FINISH,
	I_GET_NAME,
	I_NIOC
};

static const char *const ioc_name[I_NIOC] = {
	"CREATE_SESSION", "RETRIEVE_SESSION", "PRESERVE_FD",
	"RETRIEVE_FD",	  "FINISH",	      "GET_NAME",
};
static const unsigned long ioc_cmd[I_NIOC] = {
	LIVEUPDATE_IOCTL_CREATE_SESSION, LIVEUPDATE_IOCTL_RETRIEVE_SESSION,
	LIVEUPDATE_SESSION_PRESERVE_FD,	 LIVEUPDATE_SESSION_RETRIEVE_FD,
	LIVEUPDATE_SESSION_FINISH,	 LIVEUPDATE_SESSION_GET_NAME,
};
static const unsigned int ioc_size[I_NIOC] = {
	sizeof(struct liveupdate_ioctl_create_session),
	sizeof(struct liveupdate_ioctl_retrieve_session),
	sizeof(struct liveupdate_session_preserve_fd),
	sizeof(struct liveupdate_session_retrieve_fd),
	sizeof(struct liveupdate_session_finish),
	sizeof(struct liveupdate_session_get_name),
};

/* The SPEC table: the errnos each ioctl may return (EINTR: a signal). */
#define E(x) ((__uint128_t)1 << (x))
#define COMMON (E(EINVAL) | E(EFAULT) | E(ENOTTY) | E(E2BIG) | E(EINTR))
static __uint128_t allowed[I_NIOC] = {
	COMMON | E(EEXIST) | E(ENOSPC) | E(ENOMEM) | E(EMFILE),
	COMMON | E(ENOENT) | E(ENOMEM) | E(EMFILE),
	COMMON | E(EEXIST) | E(EBADF) | E(ENOENT) | E(EBUSY) | E(EOPNOTSUPP) |
		E(ENOSPC) | E(ENOMEM) | E(EAGAIN),
	COMMON | E(ENOENT) | E(EMFILE) | E(ENOMEM) | E(ENOSPC) | E(EAGAIN),
	COMMON | E(EBUSY),
	COMMON,
};

/* ---- state ---------------------------------------------------------- */

static struct slot slots[NSLOTS];
static pthread_mutex_t slot_lock = PTHREAD_MUTEX_INITIALIZER;
static int nthreads_now;
static int use_roundtrip = 1;
static int failed;
static struct input cur, orig; /* running: normalized, as given */
static int decoded; /* a round trip made incoming sessions */
static int quiet; /* minimizing: count findings, print none */

static unsigned long long n_ioctls, n_inputs, n_errors[I_NIOC][64];
static unsigned long long n_ok[I_NIOC];

static uintptr_t text_lo, text_hi;
static int have_kcov;
static uint8_t *edges, *pcmap;
static unsigned long n_edges, n_pcs;

struct worker {
	int id;
	pthread_t th;
	uint64_t *cover;
	uint8_t *arg; /* two pages, the second PROT_NONE */
	uint64_t rng;
};

static struct worker workers[MAX_THREADS];
static pthread_barrier_t start_bar, end_bar;
static volatile int quitting;

/* ---- random numbers (splitmix64) ------------------------------------ */

static uint64_t rnd(uint64_t *s)
{
	uint64_t z = (*s += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static uint64_t fnv(const void *p, size_t n, uint64_t h)
{
	const uint8_t *b = p;

	while (n--)
		h = (h ^ *b++) * 0x100000001b3ULL;
	return h;
}

/* ---- reporting ------------------------------------------------------ */

static void print_input(const char *label, const struct input *in)
{
	const uint8_t *b = (const uint8_t *)in;
	size_t n = 4 + (size_t)in->nops * OP_BYTES, i;

	printf("fuzz: %s ", label);
	for (i = 0; i < n; i++)
		printf("%02x", b[i]);
	printf("\n");
}

static __attribute__((format(printf, 1, 2))) void finding(const char *fmt, ...)
{
	va_list ap;

	pthread_mutex_lock(&slot_lock);
	if (quiet) {
		failed++;
		pthread_mutex_unlock(&slot_lock);
		return;
	}
	printf("fuzz: FINDING: ");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf(" (threads %d)\n", cur.nthreads);
	print_input("input", &orig);
	fflush(stdout);
	failed++;
	pthread_mutex_unlock(&slot_lock);
}

/* Write @s to @path: 0 or -errno. */
static int write_file(const char *path, const char *s)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC), err = 0;

	if (fd < 0)
		return -errno;
	if (write(fd, s, strlen(s)) < 0)
		err = -errno;
	close(fd);
	return err;
}

/* ---- slots ---------------------------------------------------------- */

static int slot_fd(int i, int *kind)
{
	struct slot *s = &slots[i % NSLOTS];

	*kind = __atomic_load_n(&s->kind, __ATOMIC_RELAXED);
	if (*kind == K_CLOSED)
		return CLOSED_FD + i % 8;
	return __atomic_load_n(&s->fd, __ATOMIC_RELAXED);
}

/* Put @fd (kind @kind) into slot @i, closing what was there. */
static void slot_set(int i, int fd, int kind, const char *name)
{
	struct slot *s = &slots[i % NSLOTS];
	int old;

	if (fd >= HIGH_FD) { /* never: keep the fuzzer's own fds out */
		close(fd);
		return;
	}
	pthread_mutex_lock(&slot_lock);
	old = s->fd;
	s->fd = fd;
	s->kind = kind;
	s->preserved = 0;
	snprintf(s->name, sizeof(s->name), "%s", name ? name : "");
	pthread_mutex_unlock(&slot_lock);
	if (old >= 0)
		close(old);
}

static void slot_close(int i)
{
	slot_set(i, -1, K_NONE, NULL);
}

static void slots_reset(void)
{
	int i;

	for (i = 0; i < NSLOTS; i++)
		slot_close(i);
}

/* ---- the ioctl and its oracle --------------------------------------- */

static int luo_kind(int kind)
{
	return kind == K_DEV || kind == K_OUT || kind == K_IN;
}

/*
 * Issue @cmd on @fd with @arg; @which is the ioctl the command word's nr
 * names (-1: none of luo's), @exact the errno the rules fix (0: success
 * allowed, -1: anything @which allows).
 */
static long fz_ioctl(int fd, int kind, unsigned long cmd, void *arg, int which,
		     int exact)
{
	long r;
	int e = 0;

	r = ioctl(fd, cmd, arg);
	if (r < 0)
		e = errno;
	__atomic_add_fetch(&n_ioctls, 1, __ATOMIC_RELAXED);
	if (!luo_kind(kind))
		return r < 0 ? -e : r;
	if (which >= 0) {
		if (e)
			__atomic_add_fetch(&n_errors[which][e < 64 ? e : 63], 1,
					   __ATOMIC_RELAXED);
		else
			__atomic_add_fetch(&n_ok[which], 1, __ATOMIC_RELAXED);
	}
	if (nthreads_now > 1) {
		/* Slots move under us: only the union of the tables. */
		__uint128_t any = COMMON | E(EBADF) | E(EEXIST) | E(ENOENT) |
				  E(EBUSY) | E(EOPNOTSUPP) | E(ENOSPC) |
				  E(ENOMEM) | E(EAGAIN) | E(EMFILE);

		if (e && (e >= 128 || !(any & E(e))))
			finding("%s on fd %d (kind %d) cmd %#lx: errno %d (%s)",
				which >= 0 ? ioc_name[which] : "raw", fd, kind,
				cmd, e, strerror(e));
		return r < 0 ? -e : r;
	}
	if (exact > 0 && e != exact)
		finding("%s on kind %d cmd %#lx: got %s, the rules say %s",
			which >= 0 ? ioc_name[which] : "raw", kind, cmd,
			e ? strerror(e) : "success", strerror(exact));
	else if (exact < 0 && e && which >= 0 &&
		 (e >= 128 || !(allowed[which] & E(e))))
		finding("%s: errno %d (%s) is not in the SPEC table",
			ioc_name[which], e, strerror(e));
	else if (exact < 0 && e && which < 0)
		finding("raw cmd %#lx: errno %d (%s)", cmd, e, strerror(e));
	else if (exact == 0 && e)
		finding("%s on kind %d: %s where success was due",
			which >= 0 ? ioc_name[which] : "raw", kind,
			strerror(e));
	return r < 0 ? -e : r;
}

/* Which of luo's ioctls a kind of fd takes, as nr range. */
static int nr_in_range(int kind, unsigned int nr)
{
	if (kind == K_DEV)
		return nr <= 0x01;
	return nr >= 0x40 && nr <= 0x43;
}

static int which_of(int kind, unsigned int nr)
{
	if (!nr_in_range(kind, nr))
		return -1;
	return kind == K_DEV ? (int)nr : 2 + (int)(nr - 0x40);
}

/*
 * Lay out an argument of @len bytes (struct @ssize bytes, caller's @size)
 * in the worker's buffer so that it ends at the guard page, or before it
 * with @slack bytes to spare.  Returns where it starts.
 */
static uint8_t *arg_at(struct worker *w, size_t len, size_t slack)
{
	if (len + slack > 4096)
		len = 4096 - slack;
	return w->arg + 4096 - len - slack;
}

/*
 * The size word and the tail: returns the size and sets *@tail_nonzero;
 * *@fault is set when the tail runs into the guard page.
 */
static uint32_t pick_size(uint8_t b, uint8_t c, unsigned int ssize,
			  int *tail_nonzero, int *fault, size_t *len)
{
	uint32_t size;

	*tail_nonzero = 0;
	*fault = 0;
	switch (b % 10) {
	case 0:
		size = 0;
		break;
	case 1:
		size = c % ssize;
		break;
	case 2:
	case 3:
		size = ssize + 1 + c % 64;
		*tail_nonzero = c & 0x80;
		break;
	case 4:
		size = c & 1 ? 0xffffffffu : 4096u + c;
		*fault = 1;
		break;
	default:
		size = ssize;
		break;
	}
	*len = size < ssize ? ssize : size;
	if (*len > 4096)
		*len = 4096;
	return size;
}

/* Fill a name: valid from a small set (collisions), or random bytes. */
static void pick_name(uint8_t *name, uint8_t b, uint8_t c, int *valid)
{
	int i;

	memset(name, 0, LIVEUPDATE_SESSION_NAME_LENGTH);
	*valid = 1;
	switch (b % 8) {
	case 0: /* empty */
		*valid = 0;
		break;
	case 1: /* no NUL in 64 bytes */
		memset(name, 'a' + c % 26, LIVEUPDATE_SESSION_NAME_LENGTH);
		*valid = 0;
		break;
	case 2: /* 63 bytes, the longest */
		memset(name, 'z', LIVEUPDATE_SESSION_NAME_LENGTH - 1);
		break;
	case 3: /* odd bytes */
		for (i = 0; i < 1 + c % 12; i++)
			name[i] = 1 + (uint8_t)((c * 37 + i * 91) % 255);
		break;
	default:
		snprintf((char *)name, LIVEUPDATE_SESSION_NAME_LENGTH, "fz%d",
			 c % 6);
		break;
	}
}

static void check_cloexec(int fd, const char *what)
{
	int fl = fcntl(fd, F_GETFD);

	if (fl >= 0 && !(fl & FD_CLOEXEC))
		finding("%s: new fd %d is not close-on-exec", what, fd);
}

/* The six ioctls with a struct built from @o. */
static void op_ioctl(struct worker *w, const uint8_t *o, int which)
{
	int kind, fd, tailnz, fault, valid = 1, exact = -1, i;
	unsigned int ssize = ioc_size[which];
	uint32_t size;
	size_t len;
	uint8_t *a, *p;
	long r;
	int target_kind = K_NONE, target_fd = -1;
	int is_dev = which <= I_RETRIEVE;

	fd = slot_fd(is_dev && o[1] & 1 ? 0 : o[1], &kind);
	size = pick_size(o[2], o[3], ssize, &tailnz, &fault, &len);
	a = arg_at(w, len, fault ? 0 : (o[4] & 7) * 8);
	memset(a, 0, len);
	memcpy(a, &size, 4);
	if (tailnz)
		a[ssize + (o[3] % (len - ssize))] = o[5] | 1;
	switch (which) {
	case I_CREATE:
	case I_RETRIEVE:
		pick_name(a + 8, o[6], o[7], &valid);
		memcpy(a + 4, &o[8], 4); /* the out fd: junk in */
		break;
	case I_PRESERVE:
		target_fd = slot_fd(o[6], &target_kind);
		if (o[7] % 16 == 0)
			target_fd = -1 - (o[8] & 3);
		memcpy(a + 4, &target_fd, 4);
		/* tokens: a few (collisions) or anything */
		memcpy(a + 8, &o[8], 8);
		if (o[7] & 0x10)
			memset(a + 9, 0, 7);
		break;
	case I_RETRIEVE_FD:
		memcpy(a + 4, &o[6], 4);
		memcpy(a + 8, &o[8], 8);
		if (o[7] & 0x10)
			memset(a + 9, 0, 7);
		break;
	case I_FINISH:
	case I_GET_NAME:
		if (o[6] % 4 == 0)
			memcpy(a + 4, &o[7], 4);
		break;
	}
	p = a;
	if (o[13] % 32 == 0) {
		p = NULL;
		fault = 2;
	} else if (o[13] % 32 == 1) {
		p = w->arg + 4096;
		fault = 2;
	}

	/* What the dispatch rules fix, in their order. */
	if (!luo_kind(kind)) {
		exact = -1;
	} else if (!nr_in_range(kind, _IOC_NR(ioc_cmd[which]))) {
		exact = EINVAL;
	} else if (fault == 2) {
		exact = EFAULT;
	} else if (!is_dev && ((which == I_PRESERVE && kind != K_OUT) ||
			       ((which == I_RETRIEVE_FD || which == I_FINISH) &&
				kind != K_IN))) {
		exact = EINVAL;
	} else if (size < ssize) {
		exact = EINVAL;
	} else if (fault) {
		exact = -1; /* EFAULT or E2BIG, both allowed */
	} else if (tailnz) {
		exact = E2BIG;
	} else if ((which == I_CREATE || which == I_RETRIEVE) && !valid) {
		exact = EINVAL;
	} else if ((which == I_FINISH || which == I_GET_NAME) &&
		   memcmp(a + 4, "\0\0\0\0", 4)) {
		exact = EINVAL;
	} else if (which == I_PRESERVE && target_fd < 0) {
		exact = -1; /* EBADF, or EEXIST first */
	}
	r = fz_ioctl(fd, kind, ioc_cmd[which], p, which, exact);
	if (r < 0 || !luo_kind(kind))
		return;

	switch (which) {
	case I_CREATE:
	case I_RETRIEVE: {
		int nfd;

		memcpy(&nfd, a + 4, 4);
		if (nfd < 0 || nfd >= HIGH_FD) {
			finding("%s: bad fd %d", ioc_name[which], nfd);
			return;
		}
		check_cloexec(nfd, ioc_name[which]);
		slot_set(o[10], nfd, which == I_CREATE ? K_OUT : K_IN,
			 (char *)a + 8);
		break;
	}
	case I_PRESERVE:
		if (nthreads_now == 1 && target_kind == K_MEMFD &&
		    (o[11] & 1)) {
			struct stat st;

			if (!fstat(target_fd, &st) &&
			    !ftruncate(target_fd, st.st_size + 4096))
				finding("a preserved memfd grew");
		}
		if (nthreads_now == 1 && target_kind != K_MEMFD &&
		    target_kind != K_TMPF)
			finding("PRESERVE_FD took a file of kind %d",
				target_kind);
		if (target_kind == K_MEMFD &&
		    o[11] & 2) /* the module holds it */
			slot_close(o[6]);
		break;
	case I_RETRIEVE_FD: {
		int nfd;

		memcpy(&nfd, a + 4, 4);
		if (nfd < 0 || nfd >= HIGH_FD) {
			finding("RETRIEVE_FD: bad fd %d", nfd);
			return;
		}
		check_cloexec(nfd, "RETRIEVE_FD");
		slot_set(o[10], nfd, K_MEMFD, NULL);
		break;
	}
	case I_GET_NAME:
		if (size >= ssize) {
			for (i = 8; i < 8 + LIVEUPDATE_SESSION_NAME_LENGTH; i++)
				if (!a[i])
					break;
			if (i == 8 + LIVEUPDATE_SESSION_NAME_LENGTH)
				finding("GET_NAME: no NUL");
			else if (nthreads_now == 1 &&
				 slots[o[1] % NSLOTS].name[0] &&
				 strcmp((char *)a + 8,
					slots[o[1] % NSLOTS].name))
				finding("GET_NAME: \"%s\", created as \"%s\"",
					(char *)a + 8,
					slots[o[1] % NSLOTS].name);
		}
		break;
	}
}

/* Command words the VFS handles itself: not luo's to answer. */
static int vfs_type(unsigned int type)
{
	return type == 'T' || type == 'f' || type == 'X' || type == 0x94 ||
	       type == 0x15 || type == 0;
}

static void op_raw(struct worker *w, const uint8_t *o)
{
	static const uint8_t nrs[] = { 0,    1,	   2,	 0x3f, 0x40, 0x41,
				       0x42, 0x43, 0x44, 0x80, 0xff };
	unsigned int nr, type, dir, sz;
	unsigned long cmd;
	int kind, fd, exact, which;
	uint8_t *a;
	void *p;
	long r;

	fd = slot_fd(o[1], &kind);
	nr = o[2] & 0x80 ? o[3] : nrs[o[3] % sizeof(nrs)];
	type = o[4] % 4 ? LIVEUPDATE_IOCTL_TYPE : o[5];
	if (vfs_type(type))
		type = LIVEUPDATE_IOCTL_TYPE;
	dir = o[6] % 4 ? 0 : o[7] & 3;
	sz = o[6] % 4 ? 0 : ((unsigned int)o[8] << 6 | o[7] >> 2) & 0x3fff;
	cmd = _IOC(dir, type, nr, sz);
	a = arg_at(w, 256, 0);
	memcpy(a, &o[9], 7);
	memset(a + 7, o[15], 249);
	if (o[2] & 0x40) { /* a plausible size word */
		uint32_t s = o[9] % 80;

		memcpy(a, &s, 4);
	}
	p = o[10] % 8 == 0 ? NULL : a;
	which = which_of(kind, nr);
	if (!luo_kind(kind))
		exact = -1;
	else if (!nr_in_range(kind, nr))
		exact = EINVAL;
	else if (!p)
		exact = EFAULT;
	else if (cmd != ioc_cmd[which])
		exact = ENOTTY;
	else
		exact = -1; /* the real command: its table */
	if (which < 0 && exact < 0)
		exact = EINVAL;
	r = fz_ioctl(fd, kind, cmd, p, exact == -1 ? which : -1, exact);
	if (r == 0 && luo_kind(kind) && which >= 0 && which != I_PRESERVE &&
	    which != I_FINISH && which != I_GET_NAME) {
		/* A new fd from random contents: keep it, to be closed. */
		int nfd;

		memcpy(&nfd, a + 4, 4);
		if (nfd >= 0 && nfd < HIGH_FD)
			slot_set(o[11], nfd,
				 which == I_CREATE   ? K_OUT :
				 which == I_RETRIEVE ? K_IN :
						       K_MEMFD,
				 NULL);
	}
}

static void op_memfd(const uint8_t *o)
{
	static const unsigned int seal_bits[] = {
		F_SEAL_SEAL,  F_SEAL_SHRINK,	   F_SEAL_GROW,
		F_SEAL_WRITE, F_SEAL_FUTURE_WRITE, 0x20 /* F_SEAL_EXEC */
	};
	unsigned int flags = 0, seals = 0, i;
	off_t size;
	int fd;

	if (o[2] & 1)
		flags |= MFD_ALLOW_SEALING;
	if (o[2] & 2)
		flags |= 0x0008; /* MFD_NOEXEC_SEAL */
	if (o[2] % 32 == 4)
		flags |= MFD_HUGETLB;
	fd = memfd_create("fz", flags);
	if (fd < 0)
		return;
	switch (o[3] % 6) {
	case 0:
		size = 0;
		break;
	case 1:
		size = 1 + o[4];
		break;
	case 2:
		size = 4096 * (1 + o[4] % 16);
		break;
	case 3:
		/* mostly small: a round trip copies every byte */
		size = o[4] == 255 ? (1 << 20) + o[5] :
				     (off_t)(1 + o[4] % 16) << 12 | o[5];
		break;
	default:
		size = 4096 * (o[4] % 4) + o[5] * 13;
		break;
	}
	if (ftruncate(fd, size) == 0 && size) {
		uint8_t buf[512];

		memset(buf, o[6], sizeof(buf));
		if (pwrite(fd, buf,
			   sizeof(buf) < (size_t)size ? sizeof(buf) :
							(size_t)size,
			   o[7] % 2 ? 0 : size / 2) < 0) {
		}
		if (o[8] & 1) /* a hole */
			fallocate(fd,
				  FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, 0,
				  4096);
		if (o[8] & 2)
			fallocate(fd, 0, 0, size);
		lseek(fd, o[9] % 2 ? size / 3 : 0, SEEK_SET);
	}
	for (i = 0; i < 6; i++)
		if (o[10] & (1 << i))
			seals |= seal_bits[i];
	if (seals && fcntl(fd, F_ADD_SEALS, seals & ~F_SEAL_SEAL) == 0 &&
	    seals & F_SEAL_SEAL)
		fcntl(fd, F_ADD_SEALS, F_SEAL_SEAL);
	slot_set(o[1], fd, K_MEMFD, NULL);
}

static void op_other_fd(const uint8_t *o)
{
	int p[2], fd = -1, kind = K_NONE;

	switch (o[2] % 8) {
	case 0:
		if (!pipe2(p, O_CLOEXEC)) {
			close(p[o[3] & 1]);
			fd = p[!(o[3] & 1)];
			kind = K_PIPE;
		}
		break;
	case 1:
		if (!socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, p)) {
			close(p[1]);
			fd = p[0];
			kind = K_SOCK;
		}
		break;
	case 2:
		fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
		kind = K_SOCK;
		break;
	case 3:
		fd = open("/dev/null", O_RDWR | O_CLOEXEC);
		kind = K_NULL;
		break;
	case 4:
		fd = eventfd(0, EFD_CLOEXEC);
		kind = K_EVENT;
		break;
	case 5:
		fd = open("/tmp", O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
		if (fd >= 0 && ftruncate(fd, o[4] * 100)) {
		}
		kind = K_TMPF;
		break;
	case 6:
		fd = open(DEV, O_RDWR | O_CLOEXEC);
		if (fd < 0 && errno != EBUSY)
			finding("second open of " DEV ": %s", strerror(errno));
		kind = K_DEV;
		break;
	case 7:
		slot_set(o[1], -1, K_CLOSED, NULL);
		return;
	}
	if (fd >= 0)
		slot_set(o[1], fd, kind, NULL);
}

static void op_dup(const uint8_t *o)
{
	struct slot *s = &slots[o[1] % NSLOTS];
	int fd, nfd, kind;
	char name[LIVEUPDATE_SESSION_NAME_LENGTH];

	pthread_mutex_lock(&slot_lock);
	fd = s->fd;
	kind = s->kind;
	memcpy(name, s->name, sizeof(name));
	nfd = fd >= 0 ? fcntl(fd, o[3] & 1 ? F_DUPFD_CLOEXEC : F_DUPFD, 3) : -1;
	pthread_mutex_unlock(&slot_lock);
	if (nfd >= 0)
		slot_set(o[2], nfd, kind, name);
}

/* A child that acts on what it inherited, then exits. */
static void op_fork(struct worker *w, const uint8_t *o)
{
	pid_t pid = fork();
	int kind, fd;

	if (pid)
		return;
	nthreads_now = 2; /* its slots are the parent's, moving */
	fd = slot_fd(o[1], &kind);
	if (o[2] & 1 && luo_kind(kind))
		ioctl(fd, LIVEUPDATE_SESSION_GET_NAME, NULL);
	if (o[2] & 2) {
		struct liveupdate_session_preserve_fd a = {
			.size = sizeof(a),
			.token = o[4] % 8,
		};

		a.fd = slot_fd(o[3], &kind);
		ioctl(fd, LIVEUPDATE_SESSION_PRESERVE_FD, &a);
	}
	if (o[2] & 4)
		close(fd);
	if (o[2] & 8)
		usleep(o[5] * 10);
	_exit(0);
}

static void op_roundtrip(const uint8_t *o)
{
	if (!use_roundtrip)
		return;
	if (o[1] % 4 == 0)
		write_file(DISCARD, "1");
	else if (!write_file(ROUNDTRIP, "1"))
		__atomic_store_n(&decoded, 1, __ATOMIC_RELAXED);
}

static void op_memfd_io(const uint8_t *o)
{
	int kind, fd = slot_fd(o[1], &kind);
	char buf[64] = { 0 };

	if (kind != K_MEMFD)
		return;
	switch (o[2] % 4) {
	case 0:
		if (ftruncate(fd, o[3] * 4096)) {
		}
		break;
	case 1:
		if (pwrite(fd, buf, sizeof(buf), o[3] * 4096) < 0) {
		}
		break;
	case 2:
		fallocate(fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, 0,
			  o[3] * 4096);
		break;
	case 3:
		fcntl(fd, F_ADD_SEALS, o[3] & 0x1f);
		break;
	}
}

static void op_read_status(const uint8_t *o)
{
	char buf[4096];
	int fd = open(o[1] & 1 ? STATUS : LISTING, O_RDONLY);

	if (fd < 0)
		return;
	while (read(fd, buf, sizeof(buf)) > 0) {
	}
	close(fd);
}

static void run_op(struct worker *w, const uint8_t *o)
{
	switch (o[0] % 20) {
	case 0:
	case 1:
		op_ioctl(w, o, I_CREATE);
		break;
	case 2:
		op_ioctl(w, o, I_RETRIEVE);
		break;
	case 3:
	case 4:
		op_ioctl(w, o, I_PRESERVE);
		break;
	case 5:
		op_ioctl(w, o, I_RETRIEVE_FD);
		break;
	case 6:
		op_ioctl(w, o, I_FINISH);
		break;
	case 7:
		op_ioctl(w, o, I_GET_NAME);
		break;
	case 8:
	case 9:
		op_raw(w, o);
		break;
	case 10:
	case 11:
		op_memfd(o);
		break;
	case 12:
		op_other_fd(o);
		break;
	case 13:
		slot_close(o[1]);
		break;
	case 14:
		op_dup(o);
		break;
	case 15:
		if (o[1] % 4 == 0)
			op_fork(w, o);
		else if (o[1] % 4 == 1) /* EINTR: a signal, no SA_RESTART */
			pthread_kill(workers[(w->id + 1) % cur.nthreads].th,
				     SIGUSR1);
		else
			op_memfd_io(o);
		break;
	case 16:
		op_roundtrip(o);
		break;
	case 17:
		op_read_status(o);
		break;
	default: /* more of the ioctls on sessions */
		op_ioctl(w, o, I_PRESERVE + o[1] % 4);
		break;
	}
}

/* ---- coverage ------------------------------------------------------- */

/* luo's .text: from sysfs, bounded by the next section above it. */
static void find_text(uintptr_t text_size)
{
	char path[320], line[64];
	unsigned long long a, next = ~0ULL, kaslr = 0;
	FILE *f;
	int fd;
	DIR *d;
	struct dirent *de;

	f = fopen("/sys/module/luo/sections/.text", "r");
	if (!f || !fgets(line, sizeof(line), f))
		goto out;
	text_lo = strtoull(line, NULL, 16);
	fclose(f);
	f = NULL;
	d = opendir("/sys/module/luo/sections");
	while (d && (de = readdir(d))) {
		if (de->d_name[0] == '.' &&
		    (!de->d_name[1] || !strcmp(de->d_name, "..")))
			continue;
		snprintf(path, sizeof(path), "/sys/module/luo/sections/%s",
			 de->d_name);
		fd = open(path, O_RDONLY);
		if (fd < 0)
			continue;
		memset(line, 0, sizeof(line));
		if (read(fd, line, sizeof(line) - 1) > 0) {
			a = strtoull(line, NULL, 16);
			if (a > text_lo && a < next)
				next = a;
		}
		close(fd);
	}
	if (d)
		closedir(d);
	text_hi = text_size ?
			  text_lo + text_size :
			  (next - text_lo < (2 << 20) ? next :
							text_lo + (2 << 20));
	/*
	 * KCOV records PCs less the KASLR offset (canonicalize_ip()):
	 * _text's address against its link address, __START_KERNEL.
	 */
	f = fopen("/proc/kallsyms", "r");
	while (f && fgets(path, sizeof(path), f)) {
		char sym[64], t;

		if (sscanf(path, "%llx %c %63s", &a, &t, sym) == 3 &&
		    !strcmp(sym, "_text")) {
			kaslr = a - 0xffffffff81000000ULL;
			break;
		}
	}
	text_lo -= kaslr;
	text_hi -= kaslr;
out:
	if (f)
		fclose(f);
}

static void kcov_setup(struct worker *w)
{
	int fd = open("/sys/kernel/debug/kcov", O_RDWR | O_CLOEXEC), hi;

	if (fd < 0)
		return;
	hi = fcntl(fd, F_DUPFD_CLOEXEC, HIGH_FD + w->id);
	close(fd);
	if (hi < 0 || ioctl(hi, KCOV_INIT_TRACE, COVER_SIZE))
		return;
	w->cover = mmap(NULL, COVER_SIZE * sizeof(uint64_t),
			PROT_READ | PROT_WRITE, MAP_SHARED, hi, 0);
	if (w->cover == MAP_FAILED || ioctl(hi, KCOV_ENABLE, KCOV_TRACE_PC)) {
		w->cover = NULL;
		return;
	}
	__atomic_store_n(&w->cover[0], 0, __ATOMIC_RELAXED);
}

/* Fold a worker's trace into the maps; returns the new edges. */
static unsigned long collect(struct worker *w)
{
	uint64_t n, i, prev = 0, pc, off, e;
	unsigned long fresh = 0;

	if (!w->cover)
		return 0;
	n = __atomic_load_n(&w->cover[0], __ATOMIC_RELAXED);
	if (n > COVER_SIZE - 1)
		n = COVER_SIZE - 1;
	for (i = 0; i < n; i++) {
		pc = w->cover[i + 1];
		if (pc < text_lo || pc >= text_hi)
			continue;
		off = pc - text_lo;
		if (!(pcmap[off >> 3] & (1 << (off & 7)))) {
			pcmap[off >> 3] |= 1 << (off & 7);
			n_pcs++;
		}
		e = ((prev * 0x9e3779b1u) ^ off) & ((1 << EDGE_BITS) - 1);
		if (!(edges[e >> 3] & (1 << (e & 7)))) {
			edges[e >> 3] |= 1 << (e & 7);
			n_edges++;
			fresh++;
		}
		prev = off + 1;
	}
	__atomic_store_n(&w->cover[0], 0, __ATOMIC_RELAXED);
	return fresh;
}

/* ---- running an input ----------------------------------------------- */

static void run_ops(struct worker *w)
{
	int i;

	for (i = w->id; i < cur.nops; i += cur.nthreads) {
		const uint8_t *o = cur.op[i];
		int k = 1, kind = o[0] % 20;

		/* The ioctls again: a repeat has its own paths (EEXIST...). */
		if (kind < 10 || kind >= 18)
			k += o[14] & 3;
		while (k--)
			run_op(w, o);
	}
}

static void *worker_main(void *p)
{
	struct worker *w = p;

	kcov_setup(w);
	for (;;) {
		pthread_barrier_wait(&start_bar);
		if (quitting)
			return NULL;
		if (w->id < cur.nthreads)
			run_ops(w);
		pthread_barrier_wait(&end_bar);
	}
}

/* Run @in from a clean state; returns the new edges it reached. */
static unsigned long run_input(const struct input *in)
{
	struct rlimit rl;
	unsigned long fresh = 0;
	int i, fd;

	orig = cur = *in;
	if (cur.nops > MAX_OPS)
		cur.nops = MAX_OPS;
	cur.nthreads = 1 + cur.nthreads % MAX_THREADS;
	nthreads_now = cur.nthreads;
	n_inputs++;
	fd = open(DEV, O_RDWR | O_CLOEXEC);
	if (fd < 0) {
		finding("cannot open " DEV ": %s", strerror(errno));
		return 0;
	}
	slot_set(0, fd, K_DEV, NULL);
	if (cur.flags % 16 == 1) { /* few fds: EMFILE paths */
		getrlimit(RLIMIT_NOFILE, &rl);
		rl.rlim_cur = 24 + cur.flags / 16;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
	pthread_barrier_wait(&start_bar);
	if (cur.nthreads > 0)
		run_ops(&workers[0]);
	pthread_barrier_wait(&end_bar);
	if (cur.flags % 16 == 1) {
		getrlimit(RLIMIT_NOFILE, &rl);
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
	slots_reset();
	while (waitpid(-1, NULL, 0) > 0) {
	}
	/* Only after a round trip: each discard is a line on the console. */
	if (decoded)
		write_file(DISCARD, "1");
	decoded = 0;
	for (i = 0; i < MAX_THREADS; i++)
		fresh += collect(&workers[i]);
	return fresh;
}

/* ---- inputs --------------------------------------------------------- */

static void random_op(uint64_t *r, uint8_t *o)
{
	uint64_t a = rnd(r), b = rnd(r);

	memcpy(o, &a, 8);
	memcpy(o + 8, &b, 8);
	/* Small numbers are where the collisions are. */
	if (o[15] & 1)
		o[1] %= 4;
	if (o[15] & 2)
		o[8] %= 4, memset(o + 9, 0, 3);
	if (o[15] & 4)
		o[6] %= 4, o[10] %= 4;
}

/*
 * The life of a session in ops: create, a memfd, preserve, round trip,
 * retrieve the session and the file, finish.  Random inputs often start
 * with it, so that the incoming side is reached without luck.
 */
static void scenario(uint64_t *r, struct input *in)
{
	static const uint8_t tmpl[7][OP_BYTES] = {
		{ 0, 0, 5, 0, 0, 0, 4, 0, 0, 0, 1, 0, 0, 5 },
		{ 10, 2, 1, 2, 3, 0, 0x5a, 0, 0, 0, 0 },
		{ 3, 1, 5, 0, 0, 0, 2, 0x11, 0, 0, 0, 1, 0, 5 },
		{ 16, 1 },
		{ 2, 0, 5, 0, 0, 0, 4, 0, 0, 0, 3, 0, 0, 5 },
		{ 5, 3, 5, 0, 0, 0, 0, 0x10, 0, 0, 4, 0, 0, 5 },
		{ 6, 3, 5, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 5 },
	};
	int k = rnd(r) % 6, t = rnd(r) % 4, i, n = 3 + rnd(r) % 5;

	for (i = 0; i < n && i < in->nops; i++) {
		memcpy(in->op[i], tmpl[i], OP_BYTES);
		if (i == 0 || i == 4)
			in->op[i][7] = k;
		if (i == 2 || i == 5)
			in->op[i][8] = t;
	}
}

static void random_input(uint64_t *r, struct input *in)
{
	int i;

	memset(in, 0, sizeof(*in));
	in->nthreads = rnd(r) % 4 ? 0 : rnd(r) % MAX_THREADS;
	in->nops = 4 + rnd(r) % (MAX_OPS - 4);
	in->flags = rnd(r);
	for (i = 0; i < in->nops; i++)
		random_op(r, in->op[i]);
	if (rnd(r) % 2)
		scenario(r, in);
}

static struct input *corpus;
static int ncorpus;

static void mutate(uint64_t *r, struct input *in)
{
	int k = 1 + rnd(r) % 4, i, j;

	while (k--) {
		i = in->nops ? rnd(r) % in->nops : 0;
		switch (rnd(r) % 8) {
		case 0:
		case 1: /* a byte */
			in->op[i][rnd(r) % OP_BYTES] = rnd(r);
			break;
		case 2: /* a bit */
			in->op[i][rnd(r) % OP_BYTES] ^= 1 << rnd(r) % 8;
			break;
		case 3: /* a new op */
			random_op(r, in->op[i]);
			break;
		case 4: /* insert */
			if (in->nops < MAX_OPS) {
				memmove(in->op[i + 1], in->op[i],
					(in->nops - i) * OP_BYTES);
				random_op(r, in->op[i]);
				in->nops++;
			}
			break;
		case 5: /* delete */
			if (in->nops > 1) {
				memmove(in->op[i], in->op[i + 1],
					(in->nops - i - 1) * OP_BYTES);
				in->nops--;
			}
			break;
		case 6: /* splice from another corpus entry */
			if (ncorpus) {
				const struct input *o =
					&corpus[rnd(r) % ncorpus];

				j = o->nops ? rnd(r) % o->nops : 0;
				memcpy(in->op[i], o->op[j], OP_BYTES);
			}
			break;
		case 7:
			if (rnd(r) % 4 == 0)
				in->nthreads = rnd(r) % MAX_THREADS;
			else
				in->flags = rnd(r);
			break;
		}
	}
}

static int parse_hex(const char *hex, struct input *in)
{
	uint8_t *b = (uint8_t *)in;
	size_t n = strlen(hex) / 2, i;
	unsigned int v;

	memset(in, 0, sizeof(*in));
	if (n > sizeof(*in) || n < 4)
		return -1;
	for (i = 0; i < n; i++) {
		if (sscanf(hex + 2 * i, "%2x", &v) != 1)
			return -1;
		b[i] = v;
	}
	if (in->nops > (n - 4) / OP_BYTES)
		in->nops = (n - 4) / OP_BYTES;
	return 0;
}

/*
 * Drop the ops of a failing single-threaded input one at a time, keeping
 * each drop after which it still fails, and print what is left.
 */
static void minimize(const struct input *in)
{
	struct input best = *in, c;
	int i, before = failed, f;

	quiet = 1;
	for (i = best.nops - 1; i >= 0 && best.nops > 1; i--) {
		c = best;
		memmove(c.op[i], c.op[i + 1], (c.nops - i - 1) * OP_BYTES);
		c.nops--;
		f = failed;
		run_input(&c);
		if (failed > f)
			best = c;
	}
	quiet = 0;
	failed = before;
	printf("fuzz: minimized to %d op(s), replay with --replay:\n",
	       best.nops);
	print_input("minimized", &best);
}

/* ---- the real kexec ------------------------------------------------- */

#define MANIFEST "fz-manifest"

static uint64_t hash_fd(int fd, off_t size)
{
	uint8_t buf[4096];
	uint64_t h = 0xcbf29ce484222325ULL;
	off_t at = 0;
	ssize_t n;

	while (at < size) {
		n = pread(fd, buf, sizeof(buf), at);
		if (n <= 0)
			return 0;
		h = fnv(buf, n, h);
		at += n;
	}
	return h;
}

/*
 * Stage 1: sessions from the seed, each with memfds of random sizes,
 * contents, holes and seals; what was preserved goes into a manifest
 * memfd in its own session, and a daemon holds every session across the
 * jump.
 */
static int kexec_prepare(uint64_t seed)
{
	static const off_t sizes[] = { 0, 1, 4095, 4096, 65536 + 17, 1 << 20 };
	char mtext[8192], name[64];
	size_t ml = 0;
	uint64_t r = seed ^ 0x6b65786563ULL, h;
	int dev, nsess, i, j, nfiles, s, m, err, ms, total = 0;
	uint8_t buf[4096];
	off_t size, at;

	dev = open(DEV, O_RDWR);
	if (dev < 0) {
		printf("fuzz: FINDING: kexec: cannot open " DEV ": %s\n",
		       strerror(errno));
		return 1;
	}
	nsess = 1 + rnd(&r) % 5;
	for (i = 0; i < nsess; i++) {
		snprintf(name, sizeof(name), "fzk%d-%llx", i,
			 (unsigned long long)(rnd(&r) & 0xffff));
		s = luo_create_session(dev, name);
		if (s < 0) {
			printf("fuzz: FINDING: kexec: create %s: %s\n", name,
			       strerror(-s));
			return 1;
		}
		ml += snprintf(mtext + ml, sizeof(mtext) - ml, "S %s\n", name);
		nfiles = 1 + rnd(&r) % 4;
		for (j = 0; j < nfiles; j++) {
			uint64_t token = j * 1000 + rnd(&r) % 1000;

			m = memfd_create("fzk", MFD_ALLOW_SEALING);
			size = sizes[rnd(&r) % 6] + rnd(&r) % 3 * 4096;
			if (m < 0 || ftruncate(m, size))
				return 1;
			for (at = 0; at < size; at += sizeof(buf)) {
				size_t k;

				for (k = 0; k < sizeof(buf); k++)
					buf[k] = rnd(&r);
				if (pwrite(m, buf,
					   size - at < (off_t)sizeof(buf) ?
						   size - at :
						   (off_t)sizeof(buf),
					   at) < 0)
					return 1;
			}
			if (size > 8192 && rnd(&r) % 2)
				fallocate(m,
					  FALLOC_FL_PUNCH_HOLE |
						  FALLOC_FL_KEEP_SIZE,
					  4096, 4096);
			if (rnd(&r) % 3 == 0)
				fcntl(m, F_ADD_SEALS, F_SEAL_WRITE);
			lseek(m, size / 2, SEEK_SET);
			h = hash_fd(m, size);
			err = luo_preserve(s, m, token);
			if (err) {
				printf("fuzz: FINDING: kexec: preserve in %s: %s\n",
				       name, strerror(-err));
				return 1;
			}
			err = luo_preserve(s, m, token + 1000000);
			if (err != -EBUSY)
				printf("fuzz: FINDING: kexec: a second preserve of the same memfd: %s\n",
				       strerror(-err));
			ml += snprintf(mtext + ml, sizeof(mtext) - ml,
				       "F %llu %lld %llx\n",
				       (unsigned long long)token,
				       (long long)size, (unsigned long long)h);
			total++;
			if (rnd(&r) % 2)
				close(m); /* the module holds it */
		}
	}
	ms = luo_create_session(dev, MANIFEST);
	m = memfd_create("manifest", 0);
	if (ms < 0 || m < 0 || write(m, mtext, ml) != (ssize_t)ml ||
	    luo_preserve(ms, m, 1)) {
		printf("fuzz: FINDING: kexec: manifest: %s\n", strerror(errno));
		return 1;
	}
	printf("fuzz: kexec: %d sessions, %d files preserved for the jump\n",
	       nsess, total);
	fflush(stdout);
	return daemonize_holding(NULL);
}

static int kexec_check(void)
{
	char mtext[8192], *line, *save, *v;
	int dev, ms, m, s = -1, err, nsess = 0, nfiles = 0, bad = 0;
	unsigned long long token, hash;
	long long size;
	struct stat st;
	ssize_t n;

	v = field_of(STATUS, "handover");
	if (!v || strncmp(v, "restored", 8)) {
		printf("fuzz: FINDING: kexec: handover: %s\n", v ? v : "?");
		return 1;
	}
	dev = open(DEV, O_RDWR);
	ms = luo_retrieve_session(dev, MANIFEST);
	m = ms < 0 ? ms : luo_retrieve_fd(ms, 1);
	if (m < 0) {
		printf("fuzz: FINDING: kexec: manifest not restored: %s\n",
		       strerror(-m));
		return 1;
	}
	n = pread(m, mtext, sizeof(mtext) - 1, 0);
	mtext[n > 0 ? n : 0] = '\0';
	for (line = strtok_r(mtext, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save)) {
		if (line[0] == 'S') {
			if (s >= 0 && (err = luo_finish(s)))
				bad++, printf("fuzz: FINDING: kexec: finish: %s\n",
					      strerror(-err));
			if (s >= 0)
				close(s);
			s = luo_retrieve_session(dev, line + 2);
			nsess++;
			if (s < 0)
				bad++, printf("fuzz: FINDING: kexec: session %s: %s\n",
					      line + 2, strerror(-s));
		} else if (sscanf(line, "F %llu %lld %llx", &token, &size,
				  &hash) == 3 &&
			   s >= 0) {
			int fd = luo_retrieve_fd(s, token);

			nfiles++;
			if (fd < 0) {
				bad++;
				printf("fuzz: FINDING: kexec: token %llu: %s\n",
				       token, strerror(-fd));
				continue;
			}
			if (fstat(fd, &st) || st.st_size != size ||
			    hash_fd(fd, size) != hash) {
				bad++;
				printf("fuzz: FINDING: kexec: token %llu: size %lld (want %lld) or contents differ\n",
				       token, (long long)st.st_size, size);
			}
			close(fd);
		}
	}
	if (s >= 0 && (err = luo_finish(s)))
		bad++, printf("fuzz: FINDING: kexec: finish: %s\n",
			      strerror(-err));
	if (s >= 0)
		close(s);
	close(m);
	luo_finish(ms);
	close(ms);
	v = field_of(STATUS, "restored_sessions");
	if (!v || atoi(v) != nsess + 1) {
		bad++;
		printf("fuzz: FINDING: kexec: restored_sessions %s, want %d\n",
		       v ? v : "?", nsess + 1);
	}
	printf("fuzz: kexec: %d sessions, %d files restored, %d wrong\n", nsess,
	       nfiles, bad);
	return bad ? 1 : 0;
}

/* ---- main ----------------------------------------------------------- */

static void on_signal(int sig)
{
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static const char *errname(int e)
{
	static const char *const n[] = {
		[EINVAL] = "EINVAL",	     [EFAULT] = "EFAULT",
		[ENOTTY] = "ENOTTY",	     [E2BIG] = "E2BIG",
		[EINTR] = "EINTR",	     [EEXIST] = "EEXIST",
		[ENOSPC] = "ENOSPC",	     [ENOMEM] = "ENOMEM",
		[EMFILE] = "EMFILE",	     [ENOENT] = "ENOENT",
		[EBADF] = "EBADF",	     [EBUSY] = "EBUSY",
		[EOPNOTSUPP] = "EOPNOTSUPP", [EAGAIN] = "EAGAIN",
	};

	return e < (int)(sizeof(n) / sizeof(n[0])) && n[e] ? n[e] : "other";
}

int main(int argc, char **argv)
{
	unsigned long long seed = 0, iters = 0, max_ioctls = 0, text_size = 0;
	double limit = 0, t0;
	const char *replay = NULL, *stage = getenv("LUO_STAGE");
	int do_kexec = 0, pcs = 0, i, j, have_seed = 0;
	struct input in;
	uint64_t r;
	size_t off;

	for (i = 1; i < argc; i++) {
		const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : "0";

		if (!strcmp(a, "--seed"))
			seed = strtoull(v, NULL, 0), have_seed = 1, i++;
		else if (!strcmp(a, "--iters"))
			iters = strtoull(v, NULL, 0), i++;
		else if (!strcmp(a, "--ioctls"))
			max_ioctls = strtoull(v, NULL, 0), i++;
		else if (!strcmp(a, "--time"))
			limit = atof(v), i++;
		else if (!strcmp(a, "--text-size"))
			text_size = strtoull(v, NULL, 0), i++;
		else if (!strcmp(a, "--replay"))
			replay = v, i++;
		else if (!strcmp(a, "--kexec"))
			do_kexec = 1;
		else if (!strcmp(a, "--pcs"))
			pcs = 1;
		else if (!strcmp(a, "--forbid")) /* self-test of the oracle */
			for (j = 0, i++; j < I_NIOC; j++)
				allowed[j] &= ~E(atoi(v) & 127);
		else if (!strcmp(a, "--no-roundtrip"))
			use_roundtrip = 0;
		else {
			fprintf(stderr,
				"usage: see the comment in luo_fuzz.c\n");
			return 2;
		}
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (do_kexec && stage && atoi(stage) >= 2)
		return kexec_check();
	if (!have_seed)
		seed = (unsigned long long)time(NULL) ^ getpid();
	printf("fuzz: seed %llu\n", seed);
	if (!iters && !limit && !max_ioctls)
		iters = 1000;
	if (use_roundtrip && access(ROUNDTRIP, W_OK)) {
		printf("fuzz: no %s (load luo with test_hooks=1): no round trips\n",
		       ROUNDTRIP);
		use_roundtrip = 0;
	}
	signal(SIGPIPE, SIG_IGN);
	edges = calloc(1, 1 << (EDGE_BITS - 3));
	pcmap = calloc(1, 2 << 20 >> 3);
	corpus = calloc(MAX_CORPUS, sizeof(*corpus));
	for (i = 0; i < NSLOTS; i++)
		slots[i].fd = -1;
	find_text(text_size);
	pthread_barrier_init(&start_bar, NULL, MAX_THREADS);
	pthread_barrier_init(&end_bar, NULL, MAX_THREADS);
	for (i = 0; i < MAX_THREADS; i++) {
		workers[i].id = i;
		workers[i].arg = mmap(NULL, 8192, PROT_READ | PROT_WRITE,
				      MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		mprotect(workers[i].arg + 4096, 4096, PROT_NONE);
	}
	workers[0].th = pthread_self();
	{
		struct sigaction sa = { .sa_handler = on_signal };

		sigaction(SIGUSR1, &sa, NULL);
	}
	kcov_setup(&workers[0]);
	for (i = 1; i < MAX_THREADS; i++)
		pthread_create(&workers[i].th, NULL, worker_main, &workers[i]);
	/* let the workers set up kcov before the first input */
	usleep(100000);
	have_kcov = workers[0].cover && text_lo;
	if (have_kcov)
		printf("fuzz: kcov on, luo .text %#lx..%#lx\n",
		       (unsigned long)text_lo, (unsigned long)text_hi);
	else
		printf("fuzz: no kcov or no luo .text: random mode\n");

	r = seed;
	t0 = now();
	if (replay) {
		if (parse_hex(replay, &in)) {
			fprintf(stderr, "fuzz: bad --replay input\n");
			return 2;
		}
		run_input(&in);
		if (failed && in.nthreads % MAX_THREADS == 0)
			minimize(&in);
	}
	for (n_inputs = 0; !replay;) {
		if ((iters && n_inputs >= iters) || failed >= 20 ||
		    (max_ioctls && n_ioctls >= max_ioctls) ||
		    (limit && now() - t0 >= limit))
			break;
		if (!ncorpus || rnd(&r) % 8 == 0)
			random_input(&r, &in);
		else {
			in = corpus[rnd(&r) % ncorpus];
			mutate(&r, &in);
		}
		j = failed;
		if (run_input(&in) && ncorpus < MAX_CORPUS)
			corpus[ncorpus++] = orig;
		if (failed > j && j < 3 && orig.nthreads % MAX_THREADS == 0)
			minimize(&in);
		if (n_inputs % 500 == 0)
			printf("fuzz: %llu inputs, %llu ioctls, %lu edges, corpus %d, %.0f s\n",
			       n_inputs, n_ioctls, n_edges, ncorpus,
			       now() - t0);
	}
	quitting = 1;
	pthread_barrier_wait(&start_bar);
	for (i = 1; i < MAX_THREADS; i++)
		pthread_join(workers[i].th, NULL);

	for (i = 0; i < I_NIOC; i++) {
		printf("fuzz: %-16s ok %llu", ioc_name[i], n_ok[i]);
		for (j = 0; j < 64; j++)
			if (n_errors[i][j])
				printf(" %s %llu", errname(j), n_errors[i][j]);
		printf("\n");
	}
	if (pcs)
		for (off = 0;
		     off < (size_t)(text_hi - text_lo) && off < (2 << 20);
		     off++)
			if (pcmap[off >> 3] & (1 << (off & 7)))
				printf("fuzz: pc %zx\n", off);
	printf("fuzz: seconds %.1f\n", now() - t0);
	printf("fuzz: inputs %llu, corpus %d\n", n_inputs, ncorpus);
	printf("fuzz: ioctls %llu\n", n_ioctls);
	printf("fuzz: edges %lu\n", n_edges);
	printf("fuzz: pcs %lu\n", n_pcs);
	printf("fuzz: findings %d\n", failed);
	if (failed)
		return 1;
	if (do_kexec)
		return kexec_prepare(seed);
	return 0;
}
