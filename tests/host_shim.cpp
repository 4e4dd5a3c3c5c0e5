// SPDX-License-Identifier: GPL-2.0
/*
 * host_shim.cpp - include/luo/shim.h for the host: libc and pthreads.
 *
 * The same core sources that go into luo.ko link against this for the
 * GoogleTest suites, under ASan/UBSan and TSan.  It adds two things the
 * kernel shim does not need: allocation failure injection, and a real
 * check of luo_shim_mutex_assert_held() (lockdep's job in the kernel).
 */
#include <atomic>
#include <cstdarg>
#include <cstdio>
#include <cstdlib>
#include <pthread.h>
#include <time.h>

#include <luo/base.h>

#include "host_shim.h"

namespace {
std::atomic<int> fail_countdown{0};
std::atomic<long> live_allocs{0};
std::atomic<int> log_lines{0};
} // namespace

void host_shim_fail_nth_alloc(int n)
{
	fail_countdown.store(n);
}

long host_shim_live_allocs(void)
{
	return live_allocs.load();
}

int host_shim_log_lines(void)
{
	return log_lines.load();
}

extern "C" {

void *luo_shim_zalloc(unsigned long size)
{
	int c = fail_countdown.load();

	while (c > 0) {
		if (fail_countdown.compare_exchange_weak(c, c - 1)) {
			if (c == 1)
				return nullptr;
			break;
		}
	}
	void *p = calloc(1, size);
	if (p)
		live_allocs++;
	return p;
}

void luo_shim_free(void *ptr)
{
	if (ptr)
		live_allocs--;
	free(ptr);
}

unsigned long long luo_shim_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

void luo_shim_cond_resched(void) {}

/* Nothing to do: the host builds checksum.cpp with ASan. */
void luo_shim_check_read(const void *, unsigned long long) {}

void luo_shim_log(int level, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fprintf(stderr, "luo<%d>: ", level);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
	log_lines++;
}

void luo_shim_bug(const char *what)
{
	fprintf(stderr, "luo: core invariant broken: %s\n", what);
}

struct luo_mutex {
	pthread_mutex_t m;
	std::atomic<pthread_t> owner;
	std::atomic<bool> held;
	enum luo_lock_kind kind;
};

struct luo_mutex *luo_shim_mutex_create(enum luo_lock_kind kind)
{
	auto *m = static_cast<luo_mutex *>(luo_shim_zalloc(sizeof(luo_mutex)));

	if (!m)
		return nullptr;
	pthread_mutex_init(&m->m, nullptr);
	m->kind = kind;
	return m;
}

void luo_shim_mutex_destroy(struct luo_mutex *m)
{
	if (!m)
		return;
	if (m->held)
		abort();
	pthread_mutex_destroy(&m->m);
	luo_shim_free(m);
}

void luo_shim_mutex_lock(struct luo_mutex *m)
{
	pthread_mutex_lock(&m->m);
	m->owner = pthread_self();
	m->held = true;
}

void luo_shim_mutex_unlock(struct luo_mutex *m)
{
	m->held = false;
	pthread_mutex_unlock(&m->m);
}

void luo_shim_mutex_assert_held(struct luo_mutex *m)
{
	if (!m->held || !pthread_equal(m->owner, pthread_self())) {
		fprintf(stderr, "luo: lock of kind %d not held\n", m->kind);
		abort();
	}
}

} /* extern "C" */
