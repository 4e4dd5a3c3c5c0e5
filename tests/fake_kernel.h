/* SPDX-License-Identifier: GPL-2.0 */
/*
 * fake_kernel.h - what the C layer gives the core, faked for the host
 * tests: kernel files with a string for contents, a
 * file handler "fake-v1" whose every step a test can make fail, and the
 * fixture that creates, lists and closes sessions through core.h exactly
 * as the module's ioctls do.
 */
#ifndef LUO_TESTS_FAKE_KERNEL_H
#define LUO_TESTS_FAKE_KERNEL_H

#include <cstring>
#include <deque>
#include <map>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include <luo/core.h>

/*
 * The kernel's struct file, as the host tests have it: its contents are
 * @data; the rest says what the handler should do with it and counts what
 * was done.  A session's file has @session, a memory file @mem.  Files
 * the core made (by session_file, memfile_open, or the handler's
 * retrieve) are @heap and die at their last fput, with their @mem.
 */
struct file {
	std::string data;
	int freeze_err = 0;
	int preserve_err = 0;
	int populate_err = 0;
	int frozen = 0;
	int preserved = 0;
	int finished = 0;
	int refs = 1;
	bool refuse = false; /* no handler accepts it */
	bool claims = false; /* "fake-claim-v1" takes it, not "fake-v1" */
	bool can_finish = true;
	std::vector<std::string> *log = nullptr;
	std::string name;
	luo_session *session = nullptr;
	luo_memfile *mem = nullptr; /* a memory file: its memory */
	bool heap = false;
};

using FakeFile = struct file;

namespace fake {

/* "fake-v1" retrieve: data starting "FAIL" is a verdict, "NOMEM" not. */
extern int retrieve_nomem; /* how many -ENOMEM before a success */
/*
 * What "fake-claim-v1" (fake-v1 with the claim hooks, for files with
 * @claims) claimed at load, by data: claim() adds one, unclaim() and a
 * successful retrieve() (the file takes the claim over) take it back.
 * Data starting "CLAIMBAD" cannot be claimed.
 */
extern std::map<std::string, int> claims;
/* The freeze's gate: whether the drain succeeds, and whether it is held. */
extern bool gate_drains;
extern int gate_held;
extern unsigned int gate_timeout_ms;
extern const luo_kernel_ops kKops;
extern const luo_file_handler kHandler;
extern const luo_file_handler kClaimHandler;
extern const luo_file_handler *const kHandlers[2];

} /* namespace fake */

/* The handover bytes reserved, as luo_core_counts() says. */
unsigned long long reserved_bytes(luo_core *c);

/* generation 7, a fixed wall-clock time */
extern const luo_image_stamp kTestStamp;

/* The module's flow over a core with the fakes: sessions in and out. */
class CoreTest : public ::testing::Test {
protected:
	void SetUp() override;
	void TearDown() override;
	/* A file with @data, alive until after TearDown(). */
	FakeFile &fake(const std::string &data = "")
	{
		fakes_.emplace_back();
		fakes_.back().data = data;
		return fakes_.back();
	}
	/* CREATE_SESSION; the session. */
	luo_session *session(const char *name);
	/* PRESERVE_FD of @f under @token, expecting @err. */
	void add(luo_session *s, unsigned long long token, struct file *f,
		 int err = 0);
	/* RETRIEVE_SESSION: the session, or nullptr with *err set. */
	luo_session *retrieve(const char *name, int *err = nullptr);
	/* RETRIEVE_FD: the contents of the file, or the errno as "-N". */
	std::string retrieve_fd(luo_session *s, unsigned long long token);
	/* The release of a session's file. */
	void close(luo_session *s);
	/* Serialize into a new buffer (expecting @err, 0 by default). */
	std::vector<unsigned char> serialize(int *err = nullptr);
	/* The listing, a line per session and file. */
	std::vector<std::string> listing();
	/* The state the listing gives @s ("open", "retrieved", ...). */
	std::string state(luo_session *s);
	luo_core *r = nullptr;
	std::map<luo_session *, struct file *> files; /* the sessions' files */

private:
	std::deque<FakeFile> fakes_;
};

#endif /* LUO_TESTS_FAKE_KERNEL_H */
