// SPDX-License-Identifier: GPL-2.0
/*
 * dev.c - the /dev/liveupdate misc device.
 *
 * DOC: The device node
 *
 * /dev/liveupdate (the name is the ``device`` module parameter) is where a
 * live update starts: the agent that orchestrates it (a VMM, systemd)
 * opens it and creates (CREATE_SESSION) or retrieves (RETRIEVE_SESSION)
 * sessions through it.  Only one open
 * file may exist at a time; a second open() gets -EBUSY, so two agents
 * cannot both believe they own the update.  Closing the device does not
 * touch sessions: they live in their own files.
 *
 * The node is root-only (0600) unless a udev rule widens it.  The device's
 * sysfs directory carries a read-only ``status`` file for operators and
 * tests, and a write-only ``discard`` that drops the incoming sessions
 * nobody retrieved: /sys/class/misc/<device>/{status,discard}.
 * /proc/driver/<device> lists every session and file (luo_sessions_show()):
 * a listing can be longer than the page a sysfs file may hold, and it must
 * be readable while an agent has the device open.
 *
 * A kernel that already has the built-in LUO owns /dev/liveupdate; luo
 * refuses to load over it rather than fail later in an obscure way.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/ctype.h>
#include <linux/device.h>
#include <linux/err.h>
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/miscdevice.h>
#include <linux/module.h>
#include <linux/mutex.h>
#include <linux/namei.h>
#include <linux/proc_fs.h>
#include <linux/sysfs.h>
#include <linux/uaccess.h>
#include <uapi/linux/liveupdate.h>

#include <luo/core.h>
#include "compat.h"
#include "luo.h"

/**
 * struct luo_dev - the device node and who has it open.
 * @misc: the misc device.
 * @open_lock: protects @busy.  A leaf lock: nothing else is taken under it.
 * @busy: true while a file of the device is open.
 * @proc: /proc/driver/<device>, or NULL.
 * @proc_name: its name below /proc.
 */
struct luo_dev {
	struct miscdevice misc;
	struct mutex open_lock;
	bool busy;
	struct proc_dir_entry *proc;
	char proc_name[48];
};

static struct luo_dev luo_dev;

static int luo_dev_open(struct inode *inode, struct file *file)
{
	int err = 0;

	mutex_lock(&luo_dev.open_lock);
	if (luo_dev.busy)
		err = -EBUSY;
	else
		luo_dev.busy = true;
	mutex_unlock(&luo_dev.open_lock);
	return err;
}

static int luo_dev_release(struct inode *inode, struct file *file)
{
	mutex_lock(&luo_dev.open_lock);
	luo_dev.busy = false;
	mutex_unlock(&luo_dev.open_lock);
	return 0;
}

static_assert(sizeof(struct liveupdate_ioctl_create_session) ==
	      sizeof(struct liveupdate_ioctl_retrieve_session));

/* The core's rules (luo/core/ioctl.cpp) spell the same command words. */
static_assert(LUO_IOC(LUO_IOC_DEVICE_BASE + 0) ==
	      LIVEUPDATE_IOCTL_CREATE_SESSION);
static_assert(LUO_IOC(LUO_IOC_DEVICE_BASE + 1) ==
	      LIVEUPDATE_IOCTL_RETRIEVE_SESSION);

/**
 * luo_ioctl_copy_in() - steps 1 to 6 of the dispatch order
 * (luo_ioctl_find() in core.h): the ioctl's rule, the caller's size, its
 * struct copied in.
 * @target: the file the ioctl was issued on.
 * @dir: the session's direction (ignored on the device).
 * @cmd: the command word.
 * @uarg: the caller's struct.
 * @buf: where to copy it: the rule's size in bytes.
 * @usize: the caller's size.
 *
 * Return: the ioctl's rule, or an ERR_PTR() with the errno of the step
 * that refused it.
 */
const struct luo_ioctl_rule *
luo_ioctl_copy_in(enum luo_ioctl_target target, enum luo_dir dir,
		  unsigned int cmd, void __user *uarg, void *buf, u32 *usize)
{
	const struct luo_ioctl_rule *rule;
	int err;

	rule = luo_ioctl_find(target, cmd);
	if (!rule)
		return ERR_PTR(-EINVAL);
	if (get_user(*usize, (u32 __user *)uarg))
		return ERR_PTR(-EFAULT);
	err = luo_ioctl_admit(rule, cmd, dir, *usize);
	if (!err)
		err = copy_struct_from_user(buf, rule->size, uarg, *usize);
	return err ? ERR_PTR(err) : rule;
}

/**
 * luo_reply_with_fd() - the last step of an ioctl that hands out a file:
 * the reply, then the fd.
 * @dst: where the reply goes in the caller's memory.
 * @reply: the reply, the new fd's number in it.
 * @len: its length.
 * @fd: the fd reserved for @file (get_unused_fd_flags()).
 * @file: the new file, one reference.
 *
 * If the reply cannot be written, the fd was never the caller's: it is
 * released, and fput() drops the new file (a session file's release
 * closes the session, a memory file's returns its memory to the pool).
 * The device ioctls write the caller's struct back before they act, so
 * for them only a racing munmap() gets there.
 *
 * Return: 0, or -EFAULT.
 */
int luo_reply_with_fd(void __user *dst, const void *reply, size_t len, int fd,
		      struct file *file)
{
	if (copy_to_user(dst, reply, len)) {
		fput(file);
		put_unused_fd(fd);
		return -EFAULT;
	}
	fd_install(fd, file);
	return 0;
}

/* The operation of a device ioctl, inside the serialize rwsem. */
static int luo_dev_op(enum luo_ioctl_op op, const char *name,
		      struct file **sfile)
{
	int err;

	err = luo_mutation_begin_interruptible();
	if (err)
		return err;
	if (op == LUO_OP_CREATE_SESSION)
		err = luo_create_session(luo_state.core, name, sfile);
	else
		err = luo_retrieve_session(luo_state.core, name, sfile);
	luo_mutation_end();
	return err;
}

/*
 * CREATE_SESSION and RETRIEVE_SESSION.  Before anything changes, the
 * caller's own bytes are written back to it: a reply pointer that cannot
 * be written is EFAULT with nothing lost, and a failed call leaves the
 * caller's struct as it was.  The reply with the fd number is copied out
 * once the session file exists; the fd is installed last.
 */
static long luo_dev_ioctl(struct file *file, unsigned int cmd,
			  unsigned long arg)
{
	struct liveupdate_ioctl_create_session a;
	struct liveupdate_ioctl_create_session __user *uarg =
		(void __user *)arg;
	const struct luo_ioctl_rule *rule;
	struct file *sfile;
	u32 usize;
	int fd, err;

	rule = luo_ioctl_copy_in(LUO_ON_DEVICE, LUO_OUTGOING, cmd, uarg, &a,
				 &usize);
	if (IS_ERR(rule))
		return PTR_ERR(rule);
	if (copy_to_user(uarg, &a, min_t(size_t, sizeof(a), usize)))
		return -EFAULT;
	fd = get_unused_fd_flags(O_CLOEXEC);
	if (fd < 0)
		return fd;
	err = luo_dev_op(rule->op, a.name, &sfile);
	if (err) {
		put_unused_fd(fd);
		return err;
	}
	a.fd = fd;
	return luo_reply_with_fd(&uarg->fd, &a.fd, sizeof(a.fd), fd, sfile);
}

static const struct file_operations luo_dev_fops = {
	.owner = THIS_MODULE,
	.open = luo_dev_open,
	.release = luo_dev_release,
	.unlocked_ioctl = luo_dev_ioctl,
	.compat_ioctl = compat_ptr_ioctl,
	.llseek = noop_llseek,
};

/* The status file's lines about the memory files' pool, at @at. */
static int luo_status_pool(char *buf, int at)
{
	struct luo_pool_stats p;

	luo_pool_read_stats(luo_state.core, &p);
	return sysfs_emit_at(buf, at,
			     "pool_bytes: %llu\n"
			     "pool_used_bytes: %llu\n"
			     "pool_free_bytes: %llu\n"
			     "pool_largest_free_bytes: %llu\n"
			     "pool_files: %lu\n"
			     "pool_held_files: %lu\n"
			     "pool_page_sizes: %s\n",
			     p.size, p.used, p.free, p.largest, p.files,
			     luo_mem_held_files(), luo_mem_page_sizes());
}

static ssize_t status_show(struct device *dev, struct device_attribute *attr,
			   char *buf)
{
	struct luo_handover *h = &luo_handover;
	struct luo_counts n;
	int len;

	luo_core_counts(luo_state.core, &n);
	len = sysfs_emit(buf,
			 "version: %s\n"
			 "device: /dev/%s\n"
			 "handover: %s\n"
			 "range: %#llx+%#llx\n"
			 "generation: %llu\n"
			 "sessions_out: %lu\n"
			 "sessions_in: %lu\n"
			 "files_out: %llu\n"
			 "files_in: %llu\n"
			 "restored_sessions: %llu\n"
			 "restored_files: %llu\n"
			 "restored_bytes: %llu\n"
			 "restore_us: %llu\n"
			 "previous_freeze_us: %llu\n"
			 "image_age_s: %llu\n"
			 "reserved_bytes: %llu\n"
			 "capacity_bytes: %llu\n"
			 "last_freeze_bytes: %llu\n"
			 "last_freeze_us: %llu\n",
			 LUO_VERSION, luo_state.devname, h->state, h->base,
			 h->size, luo_state.generation,
			 n.sessions[LUO_OUTGOING], n.sessions[LUO_INCOMING],
			 n.files[LUO_OUTGOING], n.files[LUO_INCOMING],
			 h->in_sessions, h->in_files, h->in_bytes,
			 h->restore_ns / 1000, h->prev_freeze_us, h->image_age,
			 n.reserved, luo_state.capacity, h->out_bytes,
			 h->freeze_ns / 1000);
	len += luo_status_pool(buf, len);
	return len + sysfs_emit_at(buf, len, "last_error: %s\n",
				   h->last_error[0] ? h->last_error : "none");
}
static DEVICE_ATTR_RO(status);

/*
 * Writing to "discard" drops the incoming sessions that nobody retrieved
 * (and so the memory their files hold).  Retrieved sessions are finished
 * by their owners.
 */
static ssize_t discard_store(struct device *dev, struct device_attribute *attr,
			     const char *buf, size_t len)
{
	unsigned long n;
	int err;

	err = luo_mutation_begin_interruptible();
	if (err)
		return err;
	n = luo_discard_unretrieved(luo_state.core);
	luo_mutation_end();
	luo_incoming_maybe_release();
	if (n)
		pr_info("discarded %lu incoming session(s) nobody retrieved\n",
			n);
	return len;
}
static DEVICE_ATTR_WO(discard);

static struct attribute *luo_dev_attrs[] = {
	&dev_attr_status.attr,
	&dev_attr_discard.attr,
	NULL,
};
ATTRIBUTE_GROUPS(luo_dev);

/**
 * luo_devname_valid() - is @name one path component of a few safe
 * characters (1..32 of [A-Za-z0-9_-])?
 * @name: a device name from a module parameter.
 *
 * Return: true if it is.
 */
bool luo_devname_valid(const char *name)
{
	size_t n = strlen(name);

	if (n == 0 || n > 32)
		return false;
	for (; *name; name++)
		if (!isalnum(*name) && *name != '_' && *name != '-')
			return false;
	return true;
}

/*
 * misc_register() of a name the misc class already has would trip over a
 * duplicate sysfs entry with a backtrace; look first and say why.
 */
static bool luo_devname_taken(const char *name)
{
	char *p = kasprintf(GFP_KERNEL, "/sys/class/misc/%s", name);
	struct path path;
	bool taken;

	if (!p)
		return false;
	taken = !kern_path(p, 0, &path);
	if (taken)
		path_put(&path);
	kfree(p);
	return taken;
}

int luo_dev_init(void)
{
	int err;

	if (!luo_devname_valid(luo_state.devname)) {
		pr_err("device=%s: want 1..32 of [A-Za-z0-9_-]\n",
		       luo_state.devname);
		return -EINVAL;
	}
	if (luo_devname_taken(luo_state.devname)) {
		pr_err("/dev/%s is already registered (is the kernel's built-in Live Update Orchestrator there?); load with device=<another name>\n",
		       luo_state.devname);
		return -EBUSY;
	}
	mutex_init(&luo_dev.open_lock);
	luo_dev.misc.minor = MISC_DYNAMIC_MINOR;
	luo_dev.misc.name = luo_state.devname;
	luo_dev.misc.fops = &luo_dev_fops;
	luo_dev.misc.mode = 0600;
	luo_dev.misc.groups = luo_dev_groups;
	err = misc_register(&luo_dev.misc);
	if (err) {
		pr_err("cannot register /dev/%s: %d\n", luo_state.devname, err);
		return err;
	}
	snprintf(luo_dev.proc_name, sizeof(luo_dev.proc_name), "driver/%s",
		 luo_state.devname);
	/* Session names and tokens are the host's business: root only. */
	luo_dev.proc = proc_create_single(luo_dev.proc_name, 0400, NULL,
					  luo_sessions_show);
	if (!luo_dev.proc)
		pr_warn("no /proc/%s: sessions cannot be listed\n",
			luo_dev.proc_name);
	return 0;
}

void luo_dev_exit(void)
{
	proc_remove(luo_dev.proc);
	misc_deregister(&luo_dev.misc);
	mutex_destroy(&luo_dev.open_lock);
}
