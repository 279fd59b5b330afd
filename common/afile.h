/* afile.h - atomic artifact output: write "path.tmp.PID", fsync, rename.
 *
 * A killed or failed run never leaves a half-written file under the final
 * name: make would take it as fresh.  Temporary files of open afiles are
 * removed on SIGINT/SIGTERM/SIGHUP/SIGPIPE once afile_install_signal_cleanup() ran,
 * and by afile_abort() on error paths.  The PID in the temporary name keeps
 * two overlapping runs from writing into the same temporary file; a
 * temporary file whose writer died by SIGKILL (no handler can run) is
 * removed by the next afile_open/afile_reserve of the same path.
 */
#ifndef RNNPIPE_AFILE_H
#define RNNPIPE_AFILE_H

#include <stdio.h>

struct afile {
	char *path; /* final name */
	char *tmp;  /* temporary name, in the same folder */
	FILE *fp;   /* open on tmp, or NULL for afile_reserve() */
	int rewrite; /* opened by an *_rewrite function */
};

/* Opens a temporary file next to path for writing ("wb"); creates missing
 * parent folders.  Returns 0, or -1 after error(); -1 also when another
 * open afile of this process is for the same file under another spelling
 * ("x.tok" and "./x.tok", or through a symlinked folder): the two would
 * share one temporary file; and, after afile_track_outputs(), when path is
 * a file that an earlier output of this process committed, under any name ("tokenize --output x
 * --stats ./x" would replace the token file with the stats): the message
 * names both. */
int afile_open(struct afile *af, const char *path);

/* Marks path, an input of this run, as never to be replaced: a later
 * afile_open()/afile_reserve() of the same file (device and inode, under
 * any name) fails, so "tokenize --output d.jsonl d.jsonl" cannot destroy
 * the dump.  A path that cannot be stat'ed is ignored (its reader reports
 * it).  Returns 0. */
int afile_protect_input(const char *path);

/* Like afile_open() but only reserves the temporary name (af->fp stays
 * NULL): for writers that create the file themselves (HDF5). */
int afile_reserve(struct afile *af, const char *path);

/* Like afile_reserve(), for an artifact that the run writes again and
 * again (a checkpoint every epoch): it may replace the file that an
 * earlier afile_reserve_rewrite()/afile_write_all_rewrite() of the same
 * path (the same spelling) committed; any other committed output is
 * refused as by afile_open(). */
int afile_reserve_rewrite(struct afile *af, const char *path);

/* The checks of afile_open() for an output that is opened later in the
 * run (its folders are created; it may not be an input, a committed output
 * or the file of an open afile, such as a stats file opened first), without
 * creating anything: so that the stats file of a run is never committed over
 * an output named twice ("--output x --stats ./x").  0 or -1 after error(). */
int afile_check(const char *path);

/* Flushes, fsyncs and closes the temporary file, then renames it over path
 * (while a lead is open, afile_lead(), the rename waits for the lead's).
 * On failure removes the temporary file.  Returns 0 or -1 after error().
 * The afile is released either way. */
int afile_commit(struct afile *af);

/* Closes and removes the temporary file; releases the afile. */
void afile_abort(struct afile *af);

/* Makes af (open, by afile_open(): a run's --stats file) the lead of the
 * run's outputs: from now on afile_commit() of any other afile writes,
 * fsyncs and closes its temporary file as before but holds back the
 * rename (the file stays under its temporary name, removed on a signal),
 * and returns 0.  afile_commit(af) then writes the lead in full, renames
 * it, and renames the held files in the order they were committed; if the
 * lead cannot be written or renamed, or afile_abort(af) is called, the held
 * temporary files are removed instead.  So a run whose stats file fails
 * at the very end (a full disk) leaves no output that make would take for
 * fresh: a stats file newer than a missing output is harmless, the other
 * way round is not.  Should a held rename fail after the lead's, the
 * outputs of the run renamed before it are removed (with a warning) and
 * the commit of the lead returns -1.  af must stay at its address until it
 * is committed or aborted. */
void afile_lead(const struct afile *af);

/* Installs handlers that remove every open temporary file and re-raise
 * SIGINT, SIGTERM, SIGHUP and SIGPIPE, and ignores SIGXFSZ so that a write past a
 * file-size limit fails (EFBIG) like a full disk instead of killing the
 * process.  Call once from main. */
void afile_install_signal_cleanup(void);

/* Starts remembering the outputs this process commits, so that another
 * output of the same run never replaces one (afile_open()).  Called once
 * from main (stage_start() does); a process that runs several independent
 * writes of one file (a unit test) leaves it off. */
void afile_track_outputs(void);

/* Creates the folders leading to path (like mkdir -p of dirname). */
int mkdir_parents(const char *path);

/* Writes a whole buffer atomically to path (afile_open + write + commit). */
int afile_write_all(const char *path, const void *buf, size_t len);

/* afile_write_all() for an artifact rewritten by the run (see
 * afile_reserve_rewrite()). */
int afile_write_all_rewrite(const char *path, const void *buf, size_t len);

#endif
