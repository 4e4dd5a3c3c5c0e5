/* SPDX-License-Identifier: GPL-2.0 */
/*
 * luo_tap.h - what luo's TAP guest programs (tests/vm/) share: one check
 * line per result, the counts a stage prints, and the fields of luo's
 * status file.  The kselftest-harness programs do not need it.
 */
#ifndef LUO_TESTS_VM_TAP_H
#define LUO_TESTS_VM_TAP_H

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define LUO_STATUS "/sys/class/misc/liveupdate/status"

static int failures, checks;

/* "ok N - what" or "not ok N - what". */
static inline __attribute__((format(printf, 2, 3))) void
check(int ok, const char *fmt, ...)
{
	va_list ap;

	checks++;
	printf("%s %d - ", ok ? "ok" : "not ok", checks);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	if (!ok)
		failures++;
}

static inline void die(const char *what)
{
	printf("Bail out! %s: %s\n", what, strerror(errno));
	exit(1);
}

/*
 * The value of "KEY: value" in @path (a status file), or NULL.  The
 * buffer is static: copy the value before the next call.
 */
static inline char *field_of(const char *path, const char *key)
{
	static char line[256];
	FILE *f = fopen(path, "r");
	size_t n = strlen(key);

	while (f && fgets(line, sizeof(line), f)) {
		if (!strncmp(line, key, n) && line[n] == ':') {
			fclose(f);
			line[strcspn(line, "\n")] = '\0';
			return line + n + 2;
		}
	}
	if (f)
		fclose(f);
	return NULL;
}

static inline char *status_field(const char *key)
{
	return field_of(LUO_STATUS, key);
}

/* A number from the status file, -1 if it has no such field. */
static inline long status_num(const char *key)
{
	char *v = status_field(key);

	return v ? atol(v) : -1;
}

#endif /* LUO_TESTS_VM_TAP_H */
