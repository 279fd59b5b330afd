/* test_afile.c - the checks of afile.c that no other test pinned: which
 * outputs of one run may replace which (afile_track_outputs, the
 * *_rewrite artifacts), two outputs with one base name in two folders,
 * the signals that remove temporary files, and which stale temporary
 * files afile_open sweeps (only those whose writer is gone), and a write
 * lost at close (fclose failing after the fsync: faultinj.h).
 * The process tracks its outputs (as every stage does), so each test
 * writes files of its own names.
 */
#include "testutil.h"

#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include "afile.h"
#include "capture.h"
#define FAULTINJ_FCLOSE
#include "faultinj.h"

static int exists(const char *path)
{
	return access(path, F_OK) == 0;
}

static void put(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

/* afile_open(path) fails; its message holds want. */
static void open_refused(const char *path, const char *want)
{
	struct afile af;
	capture_begin();
	int rc = afile_open(&af, path);
	const char *err = capture_end();
	assert_int_equal(rc, -1);
	assert_non_null(strstr(err, want));
}

/* "--output x --stats ./x" with the stats written last: the second output
 * is refused, under another spelling too, and the first is left alone. */
static void test_output_never_replaces_another(void **state)
{
	(void)state;
	const char *x = test_path("once.tok");
	assert_int_equal(afile_write_all(x, "tokens", 6), 0);
	char other[4200];
	snprintf(other, sizeof(other), "%s/./once.tok", test_tmpdir());
	open_refused(other, "already written by this run");
	open_refused(x, "already written by this run");
	struct afile af;
	capture_begin();
	int rc = afile_reserve_rewrite(&af, x); /* a checkpoint named like an output */
	capture_end();
	assert_int_equal(rc, -1);
}

/* A checkpoint (afile_*_rewrite) replaces itself, under the name it was
 * written with; a plain output, or another spelling, may not replace it. */
static void test_rewrite_only_itself(void **state)
{
	(void)state;
	const char *ck = test_path("ck.h5");
	assert_int_equal(afile_write_all_rewrite(ck, "epoch 1", 7), 0);
	assert_int_equal(afile_write_all_rewrite(ck, "epoch 2", 7), 0);
	open_refused(ck, "already written by this run");
	char other[4200];
	snprintf(other, sizeof(other), "%s/./ck.h5", test_tmpdir());
	struct afile af;
	capture_begin();
	int rc = afile_reserve_rewrite(&af, other);
	capture_end();
	assert_int_equal(rc, -1);
}

/* An output held back by a lead (a stats file) counts as written by the
 * run once the lead renamed it. */
static void test_held_output_is_committed(void **state)
{
	(void)state;
	const char *out = test_path("held.tok");
	struct afile lead;
	assert_int_equal(afile_open(&lead, test_path("held.json")), 0);
	afile_lead(&lead);
	assert_int_equal(afile_write_all(out, "tokens", 6), 0);
	fputs("{}", lead.fp);
	assert_int_equal(afile_commit(&lead), 0);
	assert_true(exists(out));
	open_refused(out, "already written by this run");
}

/* A checkpoint rewritten every epoch, for more epochs than the table of
 * committed outputs has entries: each commit takes over the entry of the
 * file it replaced, so the table does not fill up and the checkpoint is
 * still known at the end. */
static void test_rewrite_many_epochs(void **state)
{
	(void)state;
	const char *ck = test_path("epochs.h5");
	for (int epoch = 0; epoch < 300; epoch++)
		assert_int_equal(afile_write_all_rewrite(ck, "ck", 2), 0);
	open_refused(ck, "already written by this run");
	/* and the table has room for the outputs after it */
	assert_int_equal(afile_write_all(test_path("after.tok"), "x", 1), 0);
	open_refused(test_path("after.tok"), "already written by this run");
}

/* The committed-output table knows a file by device, inode and change
 * time: a new file that got the inode of a removed output (ext4 hands
 * the freed number out again) is not that output. */
static void test_reused_inode_is_another_file(void **state)
{
	(void)state;
	const char *gone = test_path("reuse-old.tok");
	assert_int_equal(afile_write_all(gone, "old", 3), 0);
	struct stat st;
	assert_int_equal(stat(gone, &st), 0);
	ino_t ino = st.st_ino;
	assert_int_equal(unlink(gone), 0);
	char name[64];
	const char *p = NULL;
	for (int i = 0; i < 50 && !p; i++) {
		snprintf(name, sizeof(name), "reuse-%d.tok", i);
		put(test_path(name), "someone else's");
		assert_int_equal(stat(test_path(name), &st), 0);
		if (st.st_ino == ino)
			p = test_path(name);
	}
	if (!p)
		skip(); /* this file system does not reuse inode numbers at once */
	assert_int_equal(afile_write_all(p, "mine", 4), 0);
}

/* Outputs with one base name in two folders are two files, each with its
 * own temporary file: both may be open at once. */
static void test_same_name_two_folders(void **state)
{
	(void)state;
	char a[4200], b[4200];
	snprintf(a, sizeof(a), "%s/left/out.tok", test_tmpdir());
	snprintf(b, sizeof(b), "%s/right/out.tok", test_tmpdir());
	struct afile fa, fb;
	assert_int_equal(afile_open(&fa, a), 0);
	assert_int_equal(afile_open(&fb, b), 0);
	fputs("a", fa.fp);
	fputs("b", fb.fp);
	assert_int_equal(afile_commit(&fa), 0);
	assert_int_equal(afile_commit(&fb), 0);
	assert_true(exists(a) && exists(b));
}

/* Each signal of afile_install_signal_cleanup() removes the temporary
 * file of an open afile and still ends the process by that signal. */
static void test_signals_remove_temporaries(void **state)
{
	(void)state;
	const int sigs[] = {SIGINT, SIGTERM, SIGHUP, SIGPIPE};
	for (size_t s = 0; s < sizeof(sigs) / sizeof(*sigs); s++) {
		char name[64];
		snprintf(name, sizeof(name), "sig-%d.tok", sigs[s]);
		const char *path = test_path(name);
		char tmp[4200];
		pid_t pid = fork();
		assert_true(pid >= 0);
		snprintf(tmp, sizeof(tmp), "%s.tmp.%ld", path, (long)(pid ? pid : getpid()));
		if (pid == 0) {
			afile_install_signal_cleanup();
			struct afile af;
			if (afile_open(&af, path) || !exists(tmp))
				_exit(3);
			raise(sigs[s]);
			_exit(4);
		}
		int status;
		assert_int_equal(waitpid(pid, &status, 0), pid);
		assert_true(WIFSIGNALED(status));
		assert_int_equal(WTERMSIG(status), sigs[s]);
		assert_false(exists(tmp));
		assert_false(exists(path));
	}
}

/* "<path>.tmp.<pid>" of a writer that still runs is left alone by
 * afile_open of path; one whose writer is gone is removed, a zombie
 * (killed, not yet reaped) counting as gone. */
static void test_stale_sweep_spares_live_writers(void **state)
{
	(void)state;
	const char *path = test_path("sweep.tok");
	char live_tmp[4200], zombie_tmp[4200], gone_tmp[4200];
	pid_t live = fork();
	assert_true(live >= 0);
	if (live == 0) {
		pause();
		_exit(0);
	}
	pid_t zombie = fork();
	assert_true(zombie >= 0);
	if (zombie == 0)
		_exit(0);
	pid_t gone = fork();
	assert_true(gone >= 0);
	if (gone == 0)
		_exit(0);
	assert_int_equal(waitpid(gone, NULL, 0), gone);
	/* the zombie: exited, not reaped */
	siginfo_t si;
	assert_int_equal(waitid(P_PID, zombie, &si, WEXITED | WNOWAIT), 0);
	snprintf(live_tmp, sizeof(live_tmp), "%s.tmp.%ld", path, (long)live);
	snprintf(zombie_tmp, sizeof(zombie_tmp), "%s.tmp.%ld", path, (long)zombie);
	snprintf(gone_tmp, sizeof(gone_tmp), "%s.tmp.%ld", path, (long)gone);
	put(live_tmp, "writing");
	put(zombie_tmp, "killed");
	put(gone_tmp, "killed");
	/* not a temporary name of afile's: "<path>.tmp.<pid>" and no more */
	char other[4300];
	snprintf(other, sizeof(other), "%s.bak", gone_tmp);
	put(other, "a backup");
	assert_int_equal(afile_write_all(path, "new", 3), 0);
	int live_kept = exists(live_tmp);
	kill(live, SIGKILL);
	waitpid(live, NULL, 0);
	waitpid(zombie, NULL, 0);
	assert_true(live_kept);
	assert_false(exists(zombie_tmp));
	assert_false(exists(gone_tmp));
	assert_true(exists(other));
	unlink(live_tmp);
}

/* An empty name (an unset variable) is refused, not written as
 * ".tmp.<pid>" in the current folder. */
static void test_empty_name(void **state)
{
	(void)state;
	open_refused("", "empty name");
}

/* A write that failed before the end (EIO, ENOSPC) while the last flush
 * succeeds: the stream's error flag fails the commit, and nothing is
 * renamed into place. */
static void test_earlier_write_error_fails_commit(void **state)
{
	(void)state;
	const char *path = test_path("ioerr.tok");
	struct afile af;
	assert_int_equal(afile_open(&af, path), 0);
	/* a stream on the temporary file whose writes fail (EBADF) */
	fclose(af.fp);
	af.fp = fopen(af.tmp, "r");
	assert_non_null(af.fp);
	assert_int_equal(fputs("lost", af.fp), EOF);
	char tmp[4200];
	snprintf(tmp, sizeof(tmp), "%s", af.tmp);
	capture_begin();
	int rc = afile_commit(&af);
	const char *err = capture_end();
	assert_int_equal(rc, -1);
	assert_non_null(strstr(err, "cannot write"));
	assert_false(exists(path));
	assert_false(exists(tmp));
}

/* The data flushed and synced, then fclose reports a lost write: the
 * commit fails naming the output and the error, the output is not made
 * and the temporary file is gone. */
static void test_close_error_fails_commit(void **state)
{
	(void)state;
	const char *path = test_path("closeerr.tok");
	struct afile af;
	assert_int_equal(afile_open(&af, path), 0);
	assert_true(fputs("written", af.fp) >= 0);
	char tmp[4200];
	snprintf(tmp, sizeof(tmp), "%s", af.tmp);
	capture_begin();
	faultinj_arm(&fclose_fault, 0);
	int rc = afile_commit(&af);
	faultinj_arm(&fclose_fault, -1);
	const char *err = capture_end();
	assert_int_equal(rc, -1);
	assert_non_null(strstr(err, "cannot write"));
	assert_non_null(strstr(err, "closeerr.tok"));
	assert_non_null(strstr(err, strerror(EIO)));
	assert_false(exists(path));
	assert_false(exists(tmp));
}

/* afile_reserve() for a writer that never created the file (HDF5 failed
 * before H5Fcreate): the commit fails, names the temporary file and says
 * that it could not be opened. */
static void test_reserved_file_never_written(void **state)
{
	(void)state;
	const char *path = test_path("never.h5");
	struct afile af;
	assert_int_equal(afile_reserve(&af, path), 0);
	capture_begin();
	int rc = afile_commit(&af);
	const char *err = capture_end();
	assert_int_equal(rc, -1);
	assert_non_null(strstr(err, "cannot open"));
	assert_non_null(strstr(err, "never.h5.tmp."));
	assert_false(exists(path));
}

int main(void)
{
	afile_track_outputs();
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_output_never_replaces_another),
		cmocka_unit_test(test_rewrite_only_itself),
		cmocka_unit_test(test_held_output_is_committed),
		cmocka_unit_test(test_rewrite_many_epochs),
		cmocka_unit_test(test_reused_inode_is_another_file),
		cmocka_unit_test(test_same_name_two_folders),
		cmocka_unit_test(test_signals_remove_temporaries),
		cmocka_unit_test(test_stale_sweep_spares_live_writers),
		cmocka_unit_test(test_empty_name),
		cmocka_unit_test(test_earlier_write_error_fails_commit),
		cmocka_unit_test(test_reserved_file_never_written),
		cmocka_unit_test(test_close_error_fails_commit),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
