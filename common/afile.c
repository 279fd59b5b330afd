/* afile.c - atomic artifact output (see afile.h). */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "afile.h"
#include "error.h"
#include "grow.h"

/* Temporary names to remove on a signal.  A fixed table of plain char
 * arrays: the handler may only call async-signal-safe unlink().  Sized
 * for the outputs a --stats lead holds back (afile_lead): tokenize
 * --out-dir writes one file a dump and renames none before the stats, so
 * 64 left the 65th dump's file behind on SIGTERM.  Past the table a file
 * is still removed on every normal path, not on a signal.  (4 MiB of
 * zeroed memory, touched only as far as it is used.) */
#define AFILE_MAX_OPEN 1024
static char pending[AFILE_MAX_OPEN][4096];
static volatile sig_atomic_t pending_used[AFILE_MAX_OPEN];
/* The folder each temporary file is in (device and inode), so that two
 * open afiles of one process for the same file under two spellings
 * ("x.tok" and "./x.tok", or through a symlinked folder) are told apart
 * from two different files: they would share one temporary name. */
static dev_t pending_dev[AFILE_MAX_OPEN];
static ino_t pending_ino[AFILE_MAX_OPEN];

static const char *base_name(const char *path)
{
	const char *slash = strrchr(path, '/');
	return slash ? slash + 1 : path;
}

/* The folder of path into dir (4096 bytes): "." without a slash, "/" for
 * a file at the root.  0, or -1 (errno ENAMETOOLONG). */
static int dir_of(const char *path, char *dir)
{
	const char *slash = strrchr(path, '/');
	if (!slash) {
		strcpy(dir, ".");
	} else if (slash == path) {
		strcpy(dir, "/");
	} else {
		if ((size_t)(slash - path) >= 4096) {
			errno = ENAMETOOLONG;
			return -1;
		}
		memcpy(dir, path, slash - path);
		dir[slash - path] = '\0';
	}
	return 0;
}

/* The folder of path: device and inode.  0, or -1 (errno set). */
static int dir_id(const char *path, dev_t *dev, ino_t *ino)
{
	char dir[4096];
	if (dir_of(path, dir))
		return -1;
	struct stat st;
	if (stat(dir, &st))
		return -1;
	if (!S_ISDIR(st.st_mode)) { /* mkdir_parents took the file for a folder (EEXIST) */
		errno = ENOTDIR;
		return -1;
	}
	*dev = st.st_dev;
	*ino = st.st_ino;
	return 0;
}

/* -1 after error() when another open afile of this process has the
 * temporary name tmp (in folder dev/ino): the same final file, named twice. */
static int pending_clash(const char *path, const char *tmp, dev_t dev, ino_t ino)
{
	for (int i = 0; i < AFILE_MAX_OPEN; i++) {
		if (!pending_used[i] || pending_dev[i] != dev || pending_ino[i] != ino ||
		    strcmp(base_name(pending[i]), base_name(tmp)))
			continue;
		/* the other final name: its temporary name less ".tmp.<pid>" */
		size_t n = strlen(pending[i]) - (strlen(tmp) - strlen(path));
		return error("'%s' and '%.*s' are the same file; give each output its own name",
			     path, (int)n, pending[i]);
	}
	return 0;
}

/* Inputs of this run (device, inode): never replaced by an artifact. */
#define AFILE_MAX_INPUTS 256
static struct {
	dev_t dev;
	ino_t ino;
} inputs[AFILE_MAX_INPUTS];
static int n_inputs;

int afile_protect_input(const char *path)
{
	struct stat st;
	if (stat(path, &st) || !S_ISREG(st.st_mode))
		return 0; /* its reader reports it */
	for (int i = 0; i < n_inputs; i++)
		if (inputs[i].dev == st.st_dev && inputs[i].ino == st.st_ino)
			return 0;
	if (n_inputs == AFILE_MAX_INPUTS)
		return 0; /* table full: not checked */
	inputs[n_inputs].dev = st.st_dev;
	inputs[n_inputs].ino = st.st_ino;
	n_inputs++;
	return 0;
}

/* Outputs committed by this run: the file (device, inode, change time:
 * an inode number freed and reused for another file is not taken for
 * it), the name it was written under, and whether it is an artifact the
 * run rewrites (afile_reserve_rewrite).  Another output of the run never
 * replaces one of them ("tokenize --output x --stats ./x" used to replace
 * the token file with the stats). */
#define AFILE_MAX_COMMITTED 256
static struct {
	dev_t dev;
	ino_t ino;
	struct timespec ctime;
	char *path;
	int rewrite;
} committed[AFILE_MAX_COMMITTED];
static int n_committed;
static int track_committed; /* afile_track_outputs() was called */

static int same_file(const struct stat *st, int i)
{
	return committed[i].dev == st->st_dev && committed[i].ino == st->st_ino &&
	       committed[i].ctime.tv_sec == st->st_ctim.tv_sec &&
	       committed[i].ctime.tv_nsec == st->st_ctim.tv_nsec;
}

/* -1 after error() when the file at path (one stat) is one of the
 * protected inputs, or a file an earlier output of this run committed,
 * unless both are the one artifact rewritten (rewrite set for both, the
 * same name). */
static int replaces_own_file(const char *path, int rewrite)
{
	struct stat st;
	if (stat(path, &st))
		return 0;
	for (int i = 0; i < n_inputs; i++)
		if (inputs[i].dev == st.st_dev && inputs[i].ino == st.st_ino)
			return error("'%s' is an input of this run; refusing to replace it "
				     "with an output", path);
	for (int i = 0; i < n_committed; i++) {
		if (!same_file(&st, i))
			continue;
		if (rewrite && committed[i].rewrite && !strcmp(committed[i].path, path))
			return 0;
		return error("'%s' and '%s' are the same file; give each output its own name "
			     "('%s' was already written by this run)",
			     path, committed[i].path, committed[i].path);
	}
	return 0;
}

/* Records path, just renamed into place, as committed; old is the stat of
 * the file it replaced (old_ok 0: none), whose entry it takes over. */
static void committed_add(const char *path, int rewrite, const struct stat *old, int old_ok)
{
	struct stat st;
	if (!track_committed || stat(path, &st))
		return;
	int i = 0;
	if (old_ok)
		while (i < n_committed && !same_file(old, i))
			i++;
	else
		i = n_committed;
	if (i == n_committed) {
		char *p = strdup(path);
		if (i == AFILE_MAX_COMMITTED || !p) {
			free(p);
			return; /* table full: not checked */
		}
		committed[i].path = p;
		n_committed++;
	}
	committed[i].dev = st.st_dev;
	committed[i].ino = st.st_ino;
	committed[i].ctime = st.st_ctim;
	committed[i].rewrite = rewrite;
}

void afile_track_outputs(void)
{
	track_committed = 1;
}

static int pending_add(const char *tmp, dev_t dev, ino_t ino)
{
	for (int i = 0; i < AFILE_MAX_OPEN; i++) {
		if (!pending_used[i]) {
			snprintf(pending[i], sizeof(pending[i]), "%s", tmp);
			pending_dev[i] = dev;
			pending_ino[i] = ino;
			pending_used[i] = 1;
			return 0;
		}
	}
	return 0; /* table full: the file is still removed on normal paths */
}

static void pending_del(const char *tmp)
{
	for (int i = 0; i < AFILE_MAX_OPEN; i++)
		if (pending_used[i] && !strcmp(pending[i], tmp))
			pending_used[i] = 0;
}

static void on_signal(int sig)
{
	for (int i = 0; i < AFILE_MAX_OPEN; i++)
		if (pending_used[i])
			unlink(pending[i]);
	signal(sig, SIG_DFL);
	raise(sig);
}

void afile_install_signal_cleanup(void)
{
	struct sigaction sa;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	/* tokenize --print-ids --output x.tok d | head: the reader going away
	 * kills the writer as surely as SIGTERM */
	sigaction(SIGPIPE, &sa, NULL);
	/* past a file-size limit (ulimit -f) a write raises SIGXFSZ, which
	 * kills the process and leaves the temporary file; ignored, the write
	 * fails with EFBIG and the error path removes it */
	signal(SIGXFSZ, SIG_IGN);
}

int mkdir_parents(const char *path)
{
	char buf[4096];
	size_t n = strlen(path);
	if (n >= sizeof(buf))
		return error("path too long: '%s'", path);
	memcpy(buf, path, n + 1);
	char *slash = strrchr(buf, '/');
	if (!slash || slash == buf)
		return 0;
	*slash = '\0';
	for (char *p = buf + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(buf, 0777) && errno != EEXIST)
			return error("cannot create folder '%s': %s", buf, strerror(errno));
		*p = '/';
	}
	if (mkdir(buf, 0777) && errno != EEXIST)
		return error("cannot create folder '%s': %s", buf, strerror(errno));
	return 0;
}

static void afile_release(struct afile *af)
{
	if (af->tmp)
		pending_del(af->tmp);
	free(af->path);
	free(af->tmp);
	af->path = af->tmp = NULL;
	af->fp = NULL;
}

/* 1 when process pid has exited: no such process, or a zombie (killed,
 * not yet reaped: a SIGKILLed make's children wait for init to reap them,
 * and until then kill(pid, 0) still succeeds). */
static int process_gone(long pid)
{
	if (kill((pid_t)pid, 0) != 0)
		return errno == ESRCH;
	char p[64], buf[512];
	snprintf(p, sizeof(p), "/proc/%ld/stat", pid);
	FILE *f = fopen(p, "r");
	if (!f)
		return 0;
	size_t n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	const char *rp = strrchr(buf, ')'); /* "pid (comm) S ..." */
	return rp && rp[1] == ' ' && rp[2] == 'Z';
}

/* Removes "<path>.tmp.<pid>" files left by writers that were killed with
 * SIGKILL (no handler runs then): those whose process no longer exists.
 * They were never taken for artifacts, but they would pile up. */
static void remove_stale_tmps(const char *path)
{
	char dir[4096];
	const char *base = base_name(path);
	if (dir_of(path, dir))
		return;
	DIR *d = opendir(dir);
	if (!d)
		return;
	size_t blen = strlen(base);
	struct dirent *e;
	while ((e = readdir(d))) {
		const char *n = e->d_name;
		if (strncmp(n, base, blen) || strncmp(n + blen, ".tmp.", 5))
			continue;
		char *end;
		long pid = strtol(n + blen + 5, &end, 10);
		if (*end || pid <= 0 || pid == (long)getpid())
			continue;
		if (!process_gone(pid))
			continue; /* its writer may still be running */
		char full[8192];
		snprintf(full, sizeof(full), "%s/%s", dir, n);
		unlink(full);
	}
	closedir(d);
}

static int reserve(struct afile *af, const char *path, int rewrite)
{
	memset(af, 0, sizeof(*af));
	af->rewrite = rewrite;
	/* '' would be written as '.tmp.PID' in the current folder, then fail
	 * to rename (and the stale-file sweep would look at '.tmp.*' there) */
	if (!*path)
		return error("cannot write a file with an empty name");
	if (replaces_own_file(path, rewrite) || mkdir_parents(path))
		return -1;
	remove_stale_tmps(path);
	size_t n = strlen(path) + 32;
	af->path = strdup(path);
	af->tmp = malloc(n);
	if (!af->path || !af->tmp) {
		afile_release(af);
		return error("out of memory");
	}
	snprintf(af->tmp, n, "%s.tmp.%ld", path, (long)getpid());
	dev_t dev;
	ino_t ino;
	int bad = 0;
	if (dir_id(path, &dev, &ino))
		bad = error("cannot create '%s': %s", path, strerror(errno));
	else
		bad = pending_clash(path, af->tmp, dev, ino);
	if (bad) { /* not afile_release: the clashing entry is another afile's */
		free(af->path);
		free(af->tmp);
		af->path = af->tmp = NULL;
		return -1;
	}
	pending_add(af->tmp, dev, ino);
	return 0;
}

int afile_reserve(struct afile *af, const char *path)
{
	return reserve(af, path, 0);
}

int afile_reserve_rewrite(struct afile *af, const char *path)
{
	return reserve(af, path, 1);
}

int afile_check(const char *path)
{
	struct afile af;
	char dir[4096];
	if (reserve(&af, path, 0))
		return -1;
	afile_release(&af);
	if (!dir_of(path, dir) && access(dir, W_OK | X_OK))
		return error("cannot create '%s': %s", path, strerror(errno));
	return 0;
}

static int open_file(struct afile *af, const char *path, int rewrite)
{
	if (reserve(af, path, rewrite))
		return -1;
	af->fp = fopen(af->tmp, "wb");
	if (!af->fp) {
		int e = errno;
		afile_release(af);
		return error("cannot create '%s': %s", path, strerror(e));
	}
	return 0;
}

int afile_open(struct afile *af, const char *path)
{
	return open_file(af, path, 0);
}

/* The run's lead file (afile_lead), and the outputs committed while it was
 * open: fsynced and closed, still under their temporary names (and in the
 * pending table, so a signal removes them), renamed when the lead is. */
static const struct afile *lead;
static struct held_file {
	char *path, *tmp;
	int rewrite;
} *held; /* grown as needed: tokenize --out-dir has one output a dump */
static int n_held;
static size_t cap_held;

void afile_lead(const struct afile *af)
{
	lead = af;
}

static void held_free(void)
{
	free(held);
	held = NULL;
	n_held = 0;
	cap_held = 0;
}

/* Removes the held temporary files: their lead was not committed. */
static void held_drop(void)
{
	for (int i = 0; i < n_held; i++) {
		unlink(held[i].tmp);
		pending_del(held[i].tmp);
		free(held[i].path);
		free(held[i].tmp);
	}
	held_free();
}

/* Renames the held files into place, in the order they were committed.
 * A rename that fails (which a rename inside one folder hardly does)
 * removes the held files left and the ones renamed before it: the run
 * failed, and none of its outputs may look fresh.  0 or -1 after error(). */
static int held_rename(void)
{
	int rc = 0, done;
	for (done = 0; done < n_held; done++) { /* [0, done) renamed */
		struct stat old;
		int old_ok = !stat(held[done].path, &old);
		if (rename(held[done].tmp, held[done].path)) {
			rc = error("cannot rename '%s' to '%s': %s", held[done].tmp,
				   held[done].path, strerror(errno));
			break;
		}
		pending_del(held[done].tmp);
		committed_add(held[done].path, held[done].rewrite, &old, old_ok);
	}
	for (int i = 0; i < n_held; i++) {
		if (rc && i < done && !unlink(held[i].path))
			warning("removed '%s': the other outputs of this run could not be committed",
				held[i].path);
		if (rc && i >= done) {
			unlink(held[i].tmp);
			pending_del(held[i].tmp);
		}
		free(held[i].path);
		free(held[i].tmp);
	}
	held_free();
	return rc;
}

int afile_commit(struct afile *af)
{
	int rc = 0;
	if (af->fp) {
		if (fflush(af->fp) || ferror(af->fp) || fsync(fileno(af->fp))) {
			rc = error("cannot write '%s': %s", af->path, strerror(errno));
		}
		if (fclose(af->fp) && !rc)
			rc = error("cannot write '%s': %s", af->path, strerror(errno));
		af->fp = NULL;
	} else {
		/* written by someone else (HDF5): make it durable anyway */
		int fd = open(af->tmp, O_RDONLY);
		if (fd < 0)
			rc = error("cannot open '%s': %s", af->tmp, strerror(errno));
		else {
			if (fsync(fd))
				rc = error("cannot sync '%s': %s", af->tmp, strerror(errno));
			close(fd);
		}
	}
	if (!rc && lead && af != lead) {
		/* the lead is not on disk yet: hold the rename until it is */
		if (GROW_ARRAY(held, cap_held, (size_t)n_held + 1, 16)) {
			rc = -1;
		} else {
			held[n_held].path = af->path;
			held[n_held].tmp = af->tmp;
			held[n_held].rewrite = af->rewrite;
			n_held++;
			af->path = af->tmp = NULL; /* the held entry owns them now */
			return 0;
		}
	}
	int is_lead = lead && af == lead;
	struct stat old;
	int old_ok = !rc && !stat(af->path, &old);
	if (!rc && rename(af->tmp, af->path))
		rc = error("cannot rename '%s' to '%s': %s", af->tmp, af->path,
			   strerror(errno));
	if (rc)
		unlink(af->tmp);
	else
		committed_add(af->path, af->rewrite, &old, old_ok);
	afile_release(af);
	if (is_lead) {
		lead = NULL;
		if (rc)
			held_drop();
		else
			rc = held_rename();
	}
	return rc;
}

void afile_abort(struct afile *af)
{
	if (af->fp)
		fclose(af->fp);
	if (af->tmp)
		unlink(af->tmp);
	afile_release(af);
	if (lead && af == lead) {
		lead = NULL;
		held_drop();
	}
}

static int write_all(const char *path, const void *buf, size_t len, int rewrite)
{
	struct afile af;
	if (open_file(&af, path, rewrite))
		return -1;
	if (len && fwrite(buf, 1, len, af.fp) != len) {
		int e = errno;
		afile_abort(&af);
		return error("cannot write '%s': %s", path, strerror(e));
	}
	return afile_commit(&af);
}

int afile_write_all(const char *path, const void *buf, size_t len)
{
	return write_all(path, buf, len, 0);
}

int afile_write_all_rewrite(const char *path, const void *buf, size_t len)
{
	return write_all(path, buf, len, 1);
}
