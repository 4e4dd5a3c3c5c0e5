// SPDX-License-Identifier: GPL-2.0
/*
 * freeze.cpp - the freeze controller: drain, freeze, write, or say why not.
 *
 * DOC: The freeze controller
 *
 * At a kexec the reboot notifier (luo/kernel/freeze.c) calls
 * luo_core_freeze(), which must neither fail the reboot nor hang it.  It
 * asks the C layer's gate to turn new mutations away and to wait, at most
 * the timeout, for those inside to leave (an operation can be stuck: a
 * PRESERVE_FD waiting for a memfd's inode lock that a writer faulting on
 * a userfaultfd page holds).  Drained, it freezes every file and writes
 * the image (image.cpp).  If the drain times out or a file refuses to
 * freeze, the destination gets the header of a failed freeze with the
 * reason, which the next kernel reports as "previous freeze failed:
 * <reason>", no file stays frozen, and new mutations stay turned away
 * until the jump.  Nothing here allocates: every byte of the image was
 * reserved when its record was created.
 */
#include <luo/image.h>
#include <luo/lifecycle.h>

namespace {

/* A reason in a fixed buffer, as the failed header records it. */
class Why {
public:
	Why(char *buf, unsigned long len) : buf_(buf), len_(len)
	{
		if (len_)
			buf_[0] = '\0';
	}
	Why &put(const char *s)
	{
		while (*s)
			add(*s++);
		return *this;
	}
	Why &num(long long v)
	{
		char d[24];
		int n = 0;
		unsigned long long u = v < 0 ? 0ULL - v : v;

		if (v < 0)
			add('-');
		do {
			d[n++] = static_cast<char>('0' + u % 10);
			u /= 10;
		} while (u);
		while (n)
			add(d[--n]);
		return *this;
	}

private:
	void add(char c)
	{
		if (at_ + 1 < len_) {
			buf_[at_++] = c;
			buf_[at_] = '\0';
		}
	}
	char *buf_;
	unsigned long len_;
	unsigned long at_ = 0;
};

} /* namespace */

extern "C" {

int luo_core_freeze_drained(luo_core *c, void *dst, unsigned long long cap,
			    const luo_image_stamp *stamp,
			    unsigned long long *used, char *why,
			    unsigned long why_len)
{
	int err = luo::serialize(c, dst, cap, stamp, used);

	if (err) {
		Why(why, why_len)
			.put("a file could not be frozen (")
			.num(err)
			.put(")");
		luo::write_failed_header(dst, cap, stamp, why);
		c->kops->gate_release();
	}
	return err;
}

int luo_core_freeze(luo_core *c, void *dst, unsigned long long cap,
		    unsigned int timeout_ms, const luo_image_stamp *stamp,
		    unsigned long long *used, char *why, unsigned long why_len)
{
	*used = 0;
	if (!c->kops->gate_close(timeout_ms)) {
		Why(why, why_len)
			.put("in-flight operations did not drain in ")
			.num(timeout_ms)
			.put(" ms");
		luo::write_failed_header(dst, cap, stamp, why);
		return -luo::kETIMEDOUT;
	}
	return luo_core_freeze_drained(c, dst, cap, stamp, used, why, why_len);
}

} /* extern "C" */
