// SPDX-License-Identifier: GPL-2.0
/*
 * luo-guest - a guest whose memory proves that a live update kept it.
 *
 * DOC: what the guest does
 *
 * A freestanding 32-bit x86 program that QEMU boots with -kernel (it is a
 * Multiboot ELF; see start.S).  It fills the largest RAM region above its
 * image with a pattern: every 4 KiB page holds its generation in word 0
 * and, in words 1..1023, a run of values derived from its number and
 * generation.  Then it loops for ever over the pages, one per step: it
 * checks the page (its generation must be the number of times the loop
 * came by, its words must follow from it), bumps its generation and
 * rewrites it.  A running checksum -- the sum of every word of the region
 * -- is kept as pages are rewritten and, at the end of every sweep over
 * the region, compared with a sum computed afresh.
 *
 * It prints on the first serial port (COM1):
 *
 *   luo-guest: boot: 252 MiB at 0x00400000-0x10000000, 64512 pages
 *   luo-guest: count=4096 sweep=0 sum=0x1f2e3d4c
 *   luo-guest: sweep 1 ok sum=0x...
 *   luo-guest: BAD page 17 word 3: want 0x... got 0x...   (then it stops)
 *
 * count goes up by one per page.  A live update that keeps the guest's
 * memory and CPU state shows a count that goes on from where it stopped,
 * no second "boot" line, and no BAD line: memory that was lost or came
 * back stale fails the check of the first page the loop meets.
 *
 * The Multiboot command line (-append) may say "every=N": a count line
 * every N pages (default 4096).
 */
#include <stdint.h>

#define PAGE_SIZE 4096u
#define PAGE_WORDS (PAGE_SIZE / 4)
#define MB_BOOT_MAGIC 0x2badb002u
#define MB_INFO_CMDLINE (1u << 2)
#define MB_INFO_MMAP (1u << 6)
#define COM1 0x3f8

struct mb_info {
	uint32_t flags, mem_lower, mem_upper, boot_device, cmdline;
	uint32_t mods_count, mods_addr, syms[4];
	uint32_t mmap_length, mmap_addr;
} __attribute__((packed));

struct mb_mmap {
	uint32_t size;
	uint64_t addr, len;
	uint32_t type;
} __attribute__((packed));

extern char _end[];

/* All state is in RAM: a live update must carry it like the pattern. */
static volatile uint32_t *region;
static uint32_t npages, count, sweeps, sum, every = 4096;

static inline void outb(uint16_t port, uint8_t v)
{
	__asm__ volatile("outb %0, %1" : : "a"(v), "Nd"(port));
}

static inline uint8_t inb(uint16_t port)
{
	uint8_t v;

	__asm__ volatile("inb %1, %0" : "=a"(v) : "Nd"(port));
	return v;
}

static void serial_init(void)
{
	outb(COM1 + 1, 0x00); /* no interrupts */
	outb(COM1 + 3, 0x80); /* DLAB */
	outb(COM1 + 0, 0x01); /* 115200 baud */
	outb(COM1 + 1, 0x00);
	outb(COM1 + 3, 0x03); /* 8N1 */
	outb(COM1 + 2, 0xc7); /* FIFO */
}

static void putc(char c)
{
	while (!(inb(COM1 + 5) & 0x20))
		;
	outb(COM1, c);
}

static void puts(const char *s)
{
	while (*s)
		putc(*s++);
}

static void putu(uint32_t v)
{
	char buf[11];
	int i = 0;

	do {
		buf[i++] = '0' + v % 10;
		v /= 10;
	} while (v);
	while (i)
		putc(buf[--i]);
}

static void putx(uint32_t v)
{
	int i;

	puts("0x");
	for (i = 28; i >= 0; i -= 4)
		putc("0123456789abcdef"[(v >> i) & 15]);
}

/* The first word of page @p at generation @g; the next ones step by 0x9e3779b9. */
static uint32_t seed(uint32_t p, uint32_t g)
{
	uint32_t x = p * 0x85ebca77u ^ (g + 1) * 0xc2b2ae3du;

	x ^= x >> 15;
	x *= 0x2c1b3c6du;
	x ^= x >> 12;
	return x;
}

/* Write page @p at generation @g; return the sum of its words. */
static uint32_t page_write(uint32_t p, uint32_t g)
{
	volatile uint32_t *w = region + p * PAGE_WORDS;
	uint32_t v = seed(p, g), s = g;
	uint32_t j;

	w[0] = g;
	for (j = 1; j < PAGE_WORDS; j++, v += 0x9e3779b9u) {
		w[j] = v;
		s += v;
	}
	return s;
}

static void __attribute__((noreturn))
bad(uint32_t p, uint32_t j, uint32_t want, uint32_t got)
{
	puts("luo-guest: BAD page ");
	putu(p);
	puts(" word ");
	putu(j);
	puts(": want ");
	putx(want);
	puts(" got ");
	putx(got);
	puts(" at count ");
	putu(count);
	puts("\n");
	for (;;)
		__asm__ volatile("cli; hlt");
}

/* Check page @p at generation @g; return the sum of its words. */
static uint32_t page_check(uint32_t p, uint32_t g)
{
	volatile uint32_t *w = region + p * PAGE_WORDS;
	uint32_t v = seed(p, g), s = g;
	uint32_t j;

	if (w[0] != g)
		bad(p, 0, g, w[0]);
	for (j = 1; j < PAGE_WORDS; j++, v += 0x9e3779b9u) {
		if (w[j] != v)
			bad(p, j, v, w[j]);
		s += v;
	}
	return s;
}

/* The sum of the whole region, read afresh. */
static uint32_t region_sum(void)
{
	uint32_t i, s = 0;

	for (i = 0; i < npages * PAGE_WORDS; i++)
		s += region[i];
	return s;
}

/* The largest usable RAM above our image, from the Multiboot memory map. */
static void find_region(const struct mb_info *mbi)
{
	uint32_t start = ((uint32_t)_end + 0x3fffff) & ~0x3fffffu;
	uint32_t best = 0, off;

	if (mbi->flags & MB_INFO_MMAP) {
		for (off = 0; off < mbi->mmap_length;) {
			const struct mb_mmap *m =
				(const void *)(mbi->mmap_addr + off);
			uint64_t end = m->addr + m->len;

			off += m->size + 4;
			if (m->type != 1 || end <= start || m->addr > start)
				continue;
			if (end > 0xfffff000u)
				end = 0xfffff000u;
			if (end - start > best)
				best = end - start;
		}
	} else {
		best = 0x100000 + mbi->mem_upper * 1024 - start;
	}
	region = (volatile uint32_t *)start;
	npages = best / PAGE_SIZE;
}

static void parse_cmdline(const struct mb_info *mbi)
{
	const char *s = (const char *)mbi->cmdline;
	uint32_t n = 0;

	if (!(mbi->flags & MB_INFO_CMDLINE))
		return;
	for (; *s; s++) {
		if (s[0] != 'e' || s[1] != 'v' || s[2] != 'e' || s[3] != 'r' ||
		    s[4] != 'y' || s[5] != '=')
			continue;
		for (s += 6; *s >= '0' && *s <= '9'; s++)
			n = n * 10 + (*s - '0');
		if (n)
			every = n;
		return;
	}
}

void guest_main(uint32_t magic, const struct mb_info *mbi)
{
	uint32_t p;

	serial_init();
	if (magic != MB_BOOT_MAGIC) {
		puts("luo-guest: BAD not booted by a Multiboot loader\n");
		return;
	}
	parse_cmdline(mbi);
	find_region(mbi);
	if (npages < 16) {
		puts("luo-guest: BAD less than 64 KiB of RAM\n");
		return;
	}
	puts("luo-guest: boot: ");
	putu(npages / 256);
	puts(" MiB at ");
	putx((uint32_t)region);
	puts("-");
	putx((uint32_t)region + npages * PAGE_SIZE);
	puts(", ");
	putu(npages);
	puts(" pages\n");
	for (p = 0; p < npages; p++)
		sum += page_write(p, 0);
	puts("luo-guest: filled, sum=");
	putx(sum);
	puts("\n");

	for (;;) {
		uint32_t g = count / npages;

		p = count % npages;
		sum -= page_check(p, g);
		sum += page_write(p, g + 1);
		count++;
		if (count % every == 0) {
			puts("luo-guest: count=");
			putu(count);
			puts(" sweep=");
			putu(sweeps);
			puts(" sum=");
			putx(sum);
			puts("\n");
		}
		if (count % npages)
			continue;
		sweeps++;
		if (region_sum() != sum) {
			puts("luo-guest: BAD sweep ");
			putu(sweeps);
			puts(": sum ");
			putx(region_sum());
			puts(" kept ");
			putx(sum);
			puts("\n");
			for (;;)
				__asm__ volatile("cli; hlt");
		}
		puts("luo-guest: sweep ");
		putu(sweeps);
		puts(" ok sum=");
		putx(sum);
		puts("\n");
	}
}
