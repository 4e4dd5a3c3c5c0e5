// SPDX-License-Identifier: GPL-2.0
/*
 * luo_soak.c - many threads creating, preserving, retrieving, finishing
 * and closing for a while, with the handover serialized under them.
 *
 *   luo_soak [-t THREADS] [-s SECONDS]   (default 8 threads, 60 s)
 *	Each worker keeps its last RING sessions open, each with one memfd
 *	of a known pattern, and closes the oldest as it creates a new one;
 *	it retrieves, checks, finishes and closes the incoming copies of its
 *	open sessions.  The main thread, once a second, discards what nobody
 *	retrieved and serializes + thaws + decodes the outgoing sessions
 *	through debugfs luo/roundtrip (test_hooks=1).  At the end the status
 *	file's counts are exactly what the workers hold, and after closing
 *	everything they are zero.
 *
 *   luo_soak --kexec [-t THREADS]        (stage 1, then stage 2)
 *	Stage 1 leaves the workers running in a daemon so that the machine
 *	jumps under them.  Stage 2 checks, per worker, that the sessions that
 *	arrived are the last ones it held (contiguous, at most RING + 1: one
 *	being created and one being closed at the freeze), that each whose
 *	PRESERVE_FD returned carries its memfd, and every byte of it.
 *	make check runs it with half the soak's threads (4): under TCG with
 *	KASAN, 8 threads slowed the jump past qemu/run's timeout.
 *
 * Errnos outside the SPEC table, a wrong byte or a count that does not add
 * up fail; the kernel's reports (WARN, lockdep, KASAN, kmemleak) fail the
 * run through qemu/run.  Output: TAP, and one "soak:" figures line.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/liveupdate.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "luo_tap.h"
#include "luo_util.h"

#define ROUNDTRIP "/sys/kernel/debug/luo/roundtrip"
#define DISCARD "/sys/class/misc/liveupdate/discard"
#define LISTING "/proc/driver/liveupdate"
#define RING 4
#define MAX_THREADS 64
#define PAGE 4096

static int dev, nthreads = 8, seconds = 60, kexec_mode;
static volatile int stop;
/*
 * Round trips begun and the last one completed: a session's incoming copy
 * holds its memfd only if the round trip began after its PRESERVE_FD
 * returned.
 */
static unsigned int begun, completed;
static long created, preserved, retrieved, closed, bad;

struct held {
	int fd; /* outgoing session, -1 if the slot is free */
	unsigned int idx; /* its number: name "w<thread>-<idx>" */
	unsigned int seen; /* round trips before it was held, or taken */
};

struct worker {
	pthread_t tid;
	int t;
	struct held ring[RING];
	int head, n;
};

static struct worker workers[MAX_THREADS];

static size_t size_of(unsigned int idx)
{
	return PAGE * (1 + idx % 4);
}

static unsigned char byte_of(int t, unsigned int idx, size_t pos)
{
	return (unsigned char)(t * 37 + idx * 11 + pos / 8);
}

static void add(long *c)
{
	__atomic_fetch_add(c, 1, __ATOMIC_RELAXED);
}

static void bad_errno(const char *op, int err)
{
	add(&bad);
	fprintf(stderr, "# %s: unexpected %s\n", op, strerror(-err));
}

static int make_memfd(int t, unsigned int idx)
{
	size_t len = size_of(idx), i;
	unsigned char *buf = malloc(len);
	int m = memfd_create("soak", MFD_ALLOW_SEALING);

	if (!buf || m < 0)
		die("memfd");
	for (i = 0; i < len; i++)
		buf[i] = byte_of(t, idx, i);
	if (write(m, buf, len) != (ssize_t)len)
		die("write memfd");
	free(buf);
	return m;
}

/* Every byte of a retrieved memfd; 0 if right. */
static int check_memfd(int m, int t, unsigned int idx)
{
	size_t len = size_of(idx), i;
	unsigned char *p;
	int wrong = 0;

	if (lseek(m, 0, SEEK_END) != (off_t)len)
		return 1;
	p = mmap(NULL, len, PROT_READ, MAP_SHARED, m, 0);
	if (p == MAP_FAILED)
		return 1;
	for (i = 0; i < len && !wrong; i++)
		wrong = p[i] != byte_of(t, idx, i);
	munmap(p, len);
	return wrong;
}

/* Retrieve, check, finish and close session w<t>-<idx>; 1 if it was there. */
static int take_incoming(int t, unsigned int idx, int must)
{
	char name[32];
	int s, m, r;

	snprintf(name, sizeof(name), "w%d-%u", t, idx);
	s = luo_retrieve_session(dev, name);
	if (s == -ENOENT && !must)
		return 0;
	if (s < 0) {
		bad_errno("RETRIEVE_SESSION", s);
		return 0;
	}
	m = luo_retrieve_fd(s, idx + 1);
	if (m < 0) {
		/* Stage 2: the newest may have lost the race to the freeze. */
		if (!(m == -ENOENT && !must))
			bad_errno("RETRIEVE_FD", m);
	} else {
		if (check_memfd(m, t, idx)) {
			add(&bad);
			fprintf(stderr, "# %s: wrong contents\n", name);
		}
		close(m);
	}
	r = luo_finish(s);
	if (r)
		bad_errno("FINISH", r);
	close(s);
	add(&retrieved);
	return 1;
}

/* One new session with its memfd; the oldest goes when the ring is full. */
static void step(struct worker *w, unsigned int *next)
{
	char name[32];
	struct held *h;
	int s, m, r, i;

	snprintf(name, sizeof(name), "w%d-%u", w->t, *next);
	s = luo_create_session(dev, name);
	if (s < 0) {
		if (s != -ENOSPC && s != -EINTR)
			bad_errno("CREATE_SESSION", s);
		return;
	}
	add(&created);
	m = make_memfd(w->t, *next);
	r = luo_preserve(s, m, *next + 1);
	close(m);
	if (r) {
		/* Retry the same number: the names stay contiguous. */
		if (r != -ENOSPC && r != -EINTR)
			bad_errno("PRESERVE_FD", r);
		close(s);
		add(&closed);
		return;
	}
	add(&preserved);
	if (w->n == RING) {
		close(w->ring[w->head].fd);
		add(&closed);
		w->head = (w->head + 1) % RING;
		w->n--;
	}
	h = &w->ring[(w->head + w->n) % RING];
	h->fd = s;
	h->idx = (*next)++;
	h->seen = __atomic_load_n(&begun, __ATOMIC_ACQUIRE);
	w->n++;
	if (kexec_mode)
		return;
	/* The incoming copies of what was open at the last round trip. */
	for (i = 0; i < w->n; i++) {
		unsigned int g = __atomic_load_n(&completed, __ATOMIC_ACQUIRE);

		h = &w->ring[(w->head + i) % RING];
		if (g <= h->seen)
			continue;
		h->seen = g;
		take_incoming(w->t, h->idx, 0);
	}
}

static void *work(void *arg)
{
	struct worker *w = arg;
	unsigned int next = 0;

	while (!stop)
		step(w, &next);
	return NULL;
}

static void start_workers(void)
{
	int t;

	for (t = 0; t < nthreads; t++) {
		workers[t].t = t;
		if (pthread_create(&workers[t].tid, NULL, work, &workers[t]))
			die("pthread_create");
	}
}

static void soak(void)
{
	long busy = 0, trips = 0, held = 0, base;
	time_t end = time(NULL) + seconds;
	unsigned int g;
	int t, i, r;

	base = status_num("reserved_bytes");
	start_workers();
	while (time(NULL) < end) {
		sleep(1);
		r = luo_write_file(DISCARD, "1");
		if (r)
			bad_errno("discard", r);
		g = __atomic_add_fetch(&begun, 1, __ATOMIC_ACQ_REL);
		r = luo_write_file(ROUNDTRIP, "1");
		if (!r) {
			trips++;
			__atomic_store_n(&completed, g, __ATOMIC_RELEASE);
		} else if (r == -EBUSY) {
			busy++; /* a retrieved copy not yet finished */
		} else {
			bad_errno("round trip", r);
		}
	}
	stop = 1;
	for (t = 0; t < nthreads; t++)
		pthread_join(workers[t].tid, NULL);
	for (t = 0; t < nthreads; t++)
		held += workers[t].n;
	check(status_num("sessions_out") == held &&
		      status_num("files_out") == held,
	      "the status counts what the workers hold: %ld sessions, %ld files",
	      held, held);
	for (t = 0; t < nthreads; t++)
		for (i = 0; i < workers[t].n; i++)
			close(workers[t].ring[(workers[t].head + i) % RING].fd);
	luo_write_file(DISCARD, "1");
	check(status_num("sessions_out") == 0 &&
		      status_num("sessions_in") == 0 &&
		      status_num("files_out") == 0 &&
		      status_num("files_in") == 0 &&
		      status_num("reserved_bytes") == base,
	      "after closing everything: no session, no file, no capacity held");
	check(trips > 0 && retrieved > 0,
	      "%ld round trips, %ld incoming copies retrieved", trips,
	      retrieved);
	check(!bad, "no errno outside the table, no wrong byte (%ld)", bad);
	printf("soak: %d threads, %d s: %ld sessions created, %ld files preserved, %ld retrieved and finished, %ld closed, %ld round trips (%ld busy)\n",
	       nthreads, seconds, created, preserved, retrieved, closed, trips,
	       busy);
}

/* Stage 2: what arrived, per worker, from the listing. */
static void after_kexec(void)
{
	unsigned int lo[MAX_THREADS], hi[MAX_THREADS], cnt[MAX_THREADS];
	char line[256], name[80], state[16];
	unsigned int t, idx, nfiles, total = 0;
	FILE *f = fopen(LISTING, "r");
	int ok = 1;

	if (!f)
		die(LISTING);
	memset(cnt, 0, sizeof(cnt));
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "session in %15s %u %79s", state, &nfiles,
			   name) != 3)
			continue;
		if (sscanf(name, "w%u-%u", &t, &idx) != 2 || t >= MAX_THREADS)
			continue;
		if (!cnt[t] || idx < lo[t])
			lo[t] = idx;
		if (!cnt[t] || idx > hi[t])
			hi[t] = idx;
		cnt[t]++;
		total++;
	}
	fclose(f);
	for (t = 0; t < (unsigned int)nthreads; t++) {
		if (!cnt[t] || cnt[t] > RING + 1 ||
		    hi[t] - lo[t] + 1 != cnt[t]) {
			ok = 0;
			fprintf(stderr, "# worker %u: %u sessions, %u..%u\n", t,
				cnt[t], lo[t], hi[t]);
			continue;
		}
		/* All but the newest had their PRESERVE_FD reply. */
		for (idx = lo[t]; idx <= hi[t]; idx++)
			if (!take_incoming(t, idx, idx != hi[t]))
				ok = 0;
	}
	check(ok,
	      "every worker's last sessions arrived, contiguous (%u in all)",
	      total);
	check(!bad, "every preserved memfd arrived with every byte (%ld)", bad);
	printf("soak: kexec under %d threads: %u sessions arrived, %ld retrieved and checked\n",
	       nthreads, total, retrieved);
}

int main(int argc, char **argv)
{
	const char *stage = getenv("LUO_STAGE");
	int i;

	for (i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "-t") && i + 1 < argc)
			nthreads = atoi(argv[++i]);
		else if (!strcmp(argv[i], "-s") && i + 1 < argc)
			seconds = atoi(argv[++i]);
		else if (!strcmp(argv[i], "--kexec"))
			kexec_mode = 1;
		else
			die("usage: luo_soak [-t THREADS] [-s SECONDS] [--kexec]");
	}
	if (nthreads < 1 || nthreads > MAX_THREADS)
		die("threads: 1..64");
	dev = open("/dev/liveupdate", O_RDWR);
	if (dev < 0)
		die("/dev/liveupdate");
	if (!kexec_mode) {
		soak();
	} else if (!stage || !strcmp(stage, "1")) {
		pid_t pid = fork();

		if (pid < 0)
			die("fork");
		if (!pid) {
			/* The daemon: workers until the machine jumps. */
			int null = open("/dev/null", O_RDWR);

			setsid();
			dup2(null, 0);
			dup2(null, 1);
			dup2(null, 2);
			start_workers();
			for (;;)
				pause();
		}
		sleep(3);
		check(status_num("sessions_out") > 0,
		      "workers running when the machine jumps (%ld sessions)",
		      status_num("sessions_out"));
	} else {
		after_kexec();
	}
	printf("1..%d\n", checks);
	return failures ? 1 : 0;
}
