// SPDX-License-Identifier: GPL-2.0
/*
 * luo_crafted.c - images that lie, put in the handover range of a real
 * kernel before luo loads (the host tests of tests/image_test.cpp run the
 * whole matrix against the decoder; this runs a representative few
 * through the module load itself).
 *
 *   stage 1   two sessions, each with a memfd, held until the jump
 *   stage 2   luo not loaded (qemu/run --skip-load 2): for each lie, the
 *             image as the previous kernel wrote it, changed and (unless
 *             the lie is the checksum) with its checksum recomputed, is
 *             put in the range through /dev/mem; luo loads, refuses it
 *             with its reason in the status file, restores nothing, and
 *             leaves the range as it found it; luo is unloaded.  Then the
 *             true image is put back, and luo restores every byte of it.
 *
 * The checksum and the offsets are those of docs/handover-format.md,
 * written here again from that document, so that a change of the format
 * that the document does not follow fails this test.  Needs luo loaded
 * with handover_max_age=0 in stage 2 (the lies take time).  Output: TAP.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/liveupdate.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "luo_tap.h"
#include "luo_range.h"
#include "luo_util.h"

/* docs/handover-format.md */
#define HDR_ABI 8
#define HDR_GENERATION 24
#define HDR_TOTAL_LEN 32
#define HDR_CHECKSUM 40
#define HDR_NSESSIONS 52
#define HDR_LEN 128
#define SES_NAME 0
#define SES_LEN 72
#define FILE_HANDLER 8
#define FILE_DATA_LEN 32
#define FILE_LEN 40
#define MEMFD_FLAGS 20 /* in the handler data */

#define A_BYTES (16 * 4096)
#define B_BYTES 4096

static uint64_t get64(const unsigned char *p)
{
	uint64_t v;

	memcpy(&v, p, sizeof(v));
	return v;
}

static void put64(unsigned char *p, uint64_t v)
{
	memcpy(p, &v, sizeof(v));
}

static void put32(unsigned char *p, uint32_t v)
{
	memcpy(p, &v, sizeof(v));
}

/* The format's checksum over @len bytes, the checksum field read as 0. */
static uint64_t checksum(const unsigned char *p, uint64_t len)
{
	uint64_t h = 0x9e3779b97f4a7c15ULL ^ len, i;

	for (i = 0; i + 8 <= len; i += 8) {
		uint64_t w = i == HDR_CHECKSUM ? 0 : get64(p + i);

		h ^= w * 0xff51afd7ed558ccdULL;
		h = (h << 31) | (h >> 33);
		h *= 0xc4ceb9fe1a85ec53ULL;
	}
	return h ^ (h >> 29);
}

static void fill(char *data, size_t len, int seed)
{
	size_t i;

	for (i = 0; i < len; i++)
		data[i] = (char)(i * 7 + seed);
}

/* Where the records are: session a, its file, session b, its file. */
static size_t ses_a, file_a, ses_b, file_b;

static void find_records(const unsigned char *img)
{
	ses_a = HDR_LEN;
	file_a = ses_a + SES_LEN;
	ses_b = file_a + FILE_LEN +
		((get64(img + file_a + FILE_DATA_LEN) + 7) & ~7ULL);
	file_b = ses_b + SES_LEN;
}

/* One lie: how to tell it, what luo must say, and the checksum's fate. */
struct lie {
	const char *what;
	void (*tell)(unsigned char *img);
	const char *reason; /* in last_error */
	int keep_checksum; /* the lie is the checksum itself */
};

static void flip_data(unsigned char *img)
{
	img[file_a + FILE_LEN + 32 + 100] ^= 0x40;
}

static void old_abi(unsigned char *img)
{
	memcpy(img + HDR_ABI, "luo-image-1", 12);
}

static void generation_0(unsigned char *img)
{
	put64(img + HDR_GENERATION, 0);
}

static void total_len_max(unsigned char *img)
{
	put64(img + HDR_TOTAL_LEN, UINT64_MAX & ~7ULL);
}

static void one_session_more(unsigned char *img)
{
	put32(img + HDR_NSESSIONS, 3);
}

static void data_len_plus_8(unsigned char *img)
{
	unsigned char *p = img + file_a + FILE_DATA_LEN;

	put64(p, get64(p) + 8);
}

static void unknown_handler(unsigned char *img)
{
	memcpy(img + file_b + FILE_HANDLER, "memfd-v9", 9);
}

static void memfd_flags(unsigned char *img)
{
	put32(img + file_b + FILE_LEN + MEMFD_FLAGS, 1);
}

static void duplicate_name(unsigned char *img)
{
	memcpy(img + ses_b + SES_NAME, img + ses_a + SES_NAME, 64);
}

static void name_without_nul(unsigned char *img)
{
	memset(img + ses_b + SES_NAME, 'x', 64);
}

#define LIE(what, tell, reason)       \
	{                             \
		what, tell, reason, 0 \
	}
static const struct lie lies[] = {
	{ "a flipped data byte", flip_data, "image checksum mismatch", 1 },
	LIE("an older ABI string", old_abi, "incompatible image ABI version"),
	LIE("generation 0", generation_0, "impossible image generation"),
	LIE("total_len at its maximum", total_len_max, "bad image lengths"),
	LIE("one session more than there are", one_session_more,
	    "bad session record"),
	LIE("a data_len 8 bytes too long", data_len_plus_8, "bad "),
	LIE("an unknown handler", unknown_handler, "unknown file handler"),
	LIE("memfd data with a flag set", memfd_flags, "bad handler data"),
	LIE("a duplicate session name", duplicate_name,
	    "duplicate session name or token"),
	LIE("a name without its NUL", name_without_nul, "bad session record"),
};

static int retrieve_fails(int dev, const char *name)
{
	int s = luo_retrieve_session(dev, name);

	if (s >= 0)
		close(s);
	return s == -ENOENT;
}

static void tell(const struct lie *l, unsigned char *img)
{
	char why[256], *v;
	uint64_t len;
	int dev;

	memcpy(img, luo_saved, luo_image_len);
	l->tell(img);
	/* Over what the header claims, as far as the copy goes. */
	len = get64(img + HDR_TOTAL_LEN);
	if (len > luo_image_len)
		len = luo_image_len;
	if (!l->keep_checksum)
		put64(img + HDR_CHECKSUM, checksum(img, len));
	memcpy(luo_range, img, luo_image_len);
	if (luo_load()) {
		check(0, "%s: luo loads (%s)", l->what, strerror(errno));
		return;
	}
	v = status_field("last_error");
	snprintf(why, sizeof(why), "%s", v ? v : "(none)");
	v = status_field("handover");
	check(v && !strcmp(v, "rejected") && strstr(why, l->reason),
	      "%s: rejected (%s: %s)", l->what, v ? v : "?", why);
	dev = open("/dev/liveupdate", O_RDWR);
	check(status_num("sessions_in") == 0 && dev >= 0 &&
		      retrieve_fails(dev, "crafted-a") &&
		      retrieve_fails(dev, "crafted-b"),
	      "%s: nothing restored", l->what);
	close(dev);
	check(!memcmp(luo_range, img, luo_image_len),
	      "%s: the range left as it was", l->what);
	luo_unload();
}

static int stage2(void)
{
	char a[A_BYTES], b[B_BYTES], got[A_BYTES];
	unsigned char *img;
	int dev, in, m, ok;
	size_t i;

	luo_read_params();
	luo_map_image();
	find_records(luo_saved);
	check(checksum(luo_saved, get64(luo_saved + HDR_TOTAL_LEN)) ==
			      get64(luo_saved + HDR_CHECKSUM) &&
		      !strcmp((char *)luo_saved + ses_b, "crafted-b"),
	      "the image is laid out as docs/handover-format.md says");
	img = malloc(luo_image_len);
	if (!img)
		die("malloc");
	for (i = 0; i < sizeof(lies) / sizeof(lies[0]); i++)
		tell(&lies[i], img);

	memcpy(luo_range, luo_saved, luo_image_len);
	check(!luo_load(), "luo loads with the true image");
	fill(a, sizeof(a), 1);
	fill(b, sizeof(b), 2);
	dev = open("/dev/liveupdate", O_RDWR);
	in = luo_retrieve_session(dev, "crafted-a");
	m = in >= 0 ? luo_retrieve_fd(in, 1) : -1;
	ok = m >= 0 && pread(m, got, sizeof(a), 0) == sizeof(a) &&
	     !memcmp(got, a, sizeof(a)) && !luo_finish(in);
	close(m);
	close(in);
	in = luo_retrieve_session(dev, "crafted-b");
	m = in >= 0 ? luo_retrieve_fd(in, 2) : -1;
	ok = ok && m >= 0 && pread(m, got, sizeof(b), 0) == sizeof(b) &&
	     !memcmp(got, b, sizeof(b)) && !luo_finish(in);
	check(ok, "after %zu lies, the true image restores every byte", i);
	printf("# figures: crafted images: %zu rejected whole in the VM\n", i);
	close(m);
	close(in);
	close(dev);
	printf("1..%d\n", checks);
	return failures ? 1 : 0;
}

static int stage1(void)
{
	char a[A_BYTES], b[B_BYTES];
	int dev, sa, sb, ma, mb;

	fill(a, sizeof(a), 1);
	fill(b, sizeof(b), 2);
	dev = open("/dev/liveupdate", O_RDWR);
	sa = luo_create_session(dev, "crafted-a");
	sb = luo_create_session(dev, "crafted-b");
	ma = memfd_create("a", 0);
	mb = memfd_create("b", 0);
	check(sa >= 0 && sb >= 0 && ma >= 0 && mb >= 0 &&
		      write(ma, a, sizeof(a)) == sizeof(a) &&
		      write(mb, b, sizeof(b)) == sizeof(b) &&
		      !luo_preserve(sa, ma, 1) && !luo_preserve(sb, mb, 2),
	      "stage 1: two sessions, a memfd each, preserved");
	printf("1..%d\n", checks);
	fflush(stdout);
	return daemonize_holding(NULL) || failures ? 1 : 0;
}

int main(int argc, char **argv)
{
	const char *stage = getenv("LUO_STAGE");

	setvbuf(stdout, NULL, _IOLBF, 0);
	if (stage && atoi(stage) >= 2)
		return stage2();
	return stage1();
}
