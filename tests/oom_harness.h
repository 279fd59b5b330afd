/* oom_harness.h - the out-of-memory tests' harness (test_oom,
 * test_oom_hdf5): the allocator, running a target with its n-th
 * allocation failing, and judging the run.
 *
 * The test program defines malloc, calloc, realloc, free, aligned_alloc and
 * posix_memalign (forwarding to glibc's __libc_* functions), so the calls
 * of the project's library, of glibc itself (fopen, getline, strdup) and of
 * the shared libraries (jansson, zlib, libcsv, utf8proc, HDF5) all come
 * here.  A target is run once to warm up (lazy buffers), once counted,
 * then with allocation n made to fail for n = 1, 2, 3, ...: only the n-th
 * (mode 1), or the n-th and every one after it (mode 2, so error paths
 * that allocate are met too).  judge() says whether a run went right: it
 * failed, returning an error, with a message that says memory ran out
 * ("out of memory", "Cannot allocate memory") and never one that calls the
 * input bad ("not valid JSON"), or it succeeded with the result of the run
 * without faults; and it left no allocation of its own behind.  stderr
 * goes to a file meanwhile, read back after each run.  Nothing of this
 * builds under AddressSanitizer, which owns malloc (OOM_UNDER_ASAN: the
 * tests then SKIP).  OOM_TARGET=name runs one target; OOM_BT=k prints a
 * backtrace at allocation k of each run.
 */
#ifndef RNNPIPE_OOM_HARNESS_H
#define RNNPIPE_OOM_HARNESS_H

#include "testutil.h"

#include <dlfcn.h>
#include <errno.h>
#include <execinfo.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdint.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>

#include "error.h"
#include "hash.h"
#include "jsonoom.h"

#if defined(__SANITIZE_ADDRESS__)
#define OOM_UNDER_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define OOM_UNDER_ASAN 1
#endif
#endif

#ifndef OOM_UNDER_ASAN

/* ---- the allocator ---- */

extern void *__libc_malloc(size_t);
extern void *__libc_calloc(size_t, size_t);
extern void *__libc_realloc(void *, size_t);
extern void __libc_free(void *);
extern void *__libc_memalign(size_t, size_t);

/* Allocations made while a window is open, by address: open addressing
 * with a generation per window, so a new window starts empty for free. */
#define LIVE_BITS 19
#define LIVE_CAP ((size_t)1 << LIVE_BITS)
#define TOMB ((void *)1)
struct slot {
	void *p;
	size_t size;
	uint32_t gen, seq;
};
static struct slot live[LIVE_CAP];
static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static uint32_t gen;       /* of the open window; 0: none */
static int counting;       /* allocations are counted (and may fail) */
static long calls;         /* allocations counted in this window */
static long fail_at;       /* 0: none */
static int fail_mode;      /* 1: only fail_at; 2: fail_at and every later one */
static long injected;      /* failures injected in this window */
static long n_live, n_used; /* live entries; slots used in this window */
static int lexer_pass;     /* only jansson's token buffers are counted and failed */
static long bt_at;         /* OOM_BT */
static int bt_fd = -1;
static int tracking = 1;   /* live allocations are recorded (for leaks) */

static size_t slot_of(const void *p) { return (size_t)(((uintptr_t)p >> 4) * 0x9e3779b97f4a7c15ULL >> (64 - LIVE_BITS)); }

static void record(void *p, size_t size)
{
	if (!gen || !counting || !p || !tracking)
		return;
	if (n_used > (long)(LIVE_CAP / 2)) {
		static const char m[] = "test_oom: too many allocations in one window\n";
		if (write(bt_fd >= 0 ? bt_fd : 2, m, sizeof(m) - 1) < 0)
			abort();
		abort();
	}
	size_t i = slot_of(p), tomb = LIVE_CAP;
	for (;; i = (i + 1) & (LIVE_CAP - 1)) {
		if (live[i].gen != gen)
			break;
		if (live[i].p == TOMB && tomb == LIVE_CAP)
			tomb = i;
	}
	if (tomb == LIVE_CAP) {
		tomb = i;
		n_used++;
	}
	live[tomb] = (struct slot){p, size, gen, (uint32_t)calls};
	n_live++;
}

static void forget(void *p)
{
	if (!gen || !p || !tracking)
		return;
	for (size_t i = slot_of(p); live[i].gen == gen; i = (i + 1) & (LIVE_CAP - 1))
		if (live[i].p == p) {
			live[i].p = TOMB;
			n_live--;
			return;
		}
}

/* jansson 2.14's lexer ignores a failed growth of its token buffer
 * (lex_save) and goes on with a byte missing, to an assertion that aborts
 * (lex_scan_string, lex_unget_unsave).  Those buffers are powers of two
 * from 32 bytes, asked for through jsonoom_malloc: such allocations are
 * neither counted nor failed (hash tables' buckets, the same sizes, with
 * them). */
static int jansson_buffer(const void *ra, size_t n)
{
	return (uintptr_t)ra - (uintptr_t)jsonoom_malloc < 64 && n >= 32 && !(n & (n - 1));
}

/* Counts one allocation; 1 when it is to fail. */
static int fails(const void *ra, size_t n)
{
	if (!gen || !counting || jansson_buffer(ra, n) != lexer_pass)
		return 0;
	long k = ++calls;
	if (k == bt_at) {
		void *f[32];
		backtrace_symbols_fd(f, backtrace(f, 32), bt_fd >= 0 ? bt_fd : 2);
	}
	if (fail_at && (k == fail_at || (fail_mode == 2 && k > fail_at))) {
		injected++;
		return 1;
	}
	return 0;
}

void *malloc(size_t n)
{
	pthread_mutex_lock(&mu);
	void *p = NULL;
	if (!fails(__builtin_return_address(0), n) && (p = __libc_malloc(n)))
		record(p, n);
	pthread_mutex_unlock(&mu);
	if (!p)
		errno = ENOMEM;
	return p;
}

void *calloc(size_t n, size_t size)
{
	pthread_mutex_lock(&mu);
	void *p = NULL;
	if (!fails(__builtin_return_address(0), n * size) && (p = __libc_calloc(n, size)))
		record(p, n * size);
	pthread_mutex_unlock(&mu);
	if (!p)
		errno = ENOMEM;
	return p;
}

void *realloc(void *old, size_t n)
{
	if (old && !n) { /* glibc frees it */
		free(old);
		return NULL;
	}
	pthread_mutex_lock(&mu);
	void *p = NULL;
	if (!fails(__builtin_return_address(0), n) && (p = __libc_realloc(old, n))) {
		forget(old);
		record(p, n);
	}
	pthread_mutex_unlock(&mu);
	if (!p)
		errno = ENOMEM;
	return p;
}

void free(void *p)
{
	if (!p)
		return;
	pthread_mutex_lock(&mu);
	forget(p);
	pthread_mutex_unlock(&mu);
	__libc_free(p);
}

void *aligned_alloc(size_t align, size_t n)
{
	pthread_mutex_lock(&mu);
	void *p = NULL;
	if (!fails(__builtin_return_address(0), n) && (p = __libc_memalign(align, n)))
		record(p, n);
	pthread_mutex_unlock(&mu);
	if (!p)
		errno = ENOMEM;
	return p;
}

int posix_memalign(void **out, size_t align, size_t n)
{
	void *p = aligned_alloc(align, n);
	if (!p)
		return ENOMEM;
	*out = p;
	return 0;
}

/* Stops counting (and failing) while the test itself works inside a
 * window: hashing an output file.  Frees still close entries. */
static void pause_counting(int pause)
{
	pthread_mutex_lock(&mu);
	counting = !pause;
	pthread_mutex_unlock(&mu);
}

/* ---- running a target ---- */

typedef int (*target_fn)(uint64_t *digest);

static int failures;

/* The file's bytes as a digest part (not counted: the test's own work). */
static uint64_t file_digest(const char *path)
{
	pause_counting(1);
	uint64_t h = 0;
	if (hash64_file(path, &h))
		h = 1;
	pause_counting(0);
	return h;
}

struct run {
	int rc;
	uint64_t digest;
	long calls, injected, leaked;
	uint32_t leak_seq;
	size_t leak_size;
	char text[4096]; /* what it printed */
};

static void run_once(target_fn fn, long at, int mode, struct run *r)
{
	off_t off = lseek(2, 0, SEEK_END);
	pthread_mutex_lock(&mu);
	gen++;
	calls = injected = n_live = n_used = 0;
	fail_at = at;
	fail_mode = mode;
	counting = 1;
	pthread_mutex_unlock(&mu);
	r->digest = 0;
	r->rc = fn(&r->digest);
	pthread_mutex_lock(&mu);
	counting = 0;
	r->calls = calls;
	r->injected = injected;
	r->leaked = n_live;
	r->leak_seq = 0;
	r->leak_size = 0;
	if (n_live)
		for (size_t i = 0; i < LIVE_CAP; i++)
			if (live[i].gen == gen && live[i].p != TOMB) {
				r->leak_seq = live[i].seq;
				r->leak_size = live[i].size;
				break;
			}
	gen++; /* closes the window: later frees find nothing */
	pthread_mutex_unlock(&mu);
	ssize_t n = pread(2, r->text, sizeof(r->text) - 1, off);
	r->text[n > 0 ? n : 0] = '\0';
}

/* The problem with run r of a target whose clean run gave `want`, or NULL. */
static const char *judge(const struct run *r, uint64_t want)
{
	static char why[256];
	if (r->leaked) {
		snprintf(why, sizeof(why), "%ld allocation%s left (e.g. allocation %u, %zu bytes)",
			 r->leaked, r->leaked == 1 ? "" : "s", r->leak_seq, r->leak_size);
		return why;
	}
	if (strstr(r->text, "not valid JSON"))
		return "out of memory reported as bad JSON";
	if (r->rc == 0) {
		if (r->digest != want)
			return "returned success with a different result";
		return NULL;
	}
	if (!r->injected)
		return "failed with no allocation failing";
	if (!r->text[0])
		return "failed without a message";
	if (!strstr(r->text, "out of memory") && !strstr(r->text, "Cannot allocate memory"))
		return "failed with a message that does not say memory ran out";
	return NULL;
}

/* stderr into a file, read back after each run (run_once); returns the
 * descriptor of the real stderr, for stderr_back() and the test's own
 * messages. */
static int stderr_to_file(void)
{
	fflush(stderr);
	int saved = dup(2);
	int fd = open(test_path("stderr.txt"), O_RDWR | O_CREAT | O_TRUNC, 0644);
	assert_true(fd >= 0 && saved >= 0);
	dup2(fd, 2);
	close(fd);
	return saved;
}

static void stderr_back(int saved)
{
	fflush(stderr);
	dup2(saved, 2);
	close(saved);
}


static uint64_t mix(uint64_t h, uint64_t x) { return (h ^ x) * 0x100000001b3ULL + 0x9e37; }
static uint64_t mix_mem(uint64_t h, const void *p, size_t n) { return mix(h, hash64(p, n)); }

/* A child that dies inside a library (death_lib, by its stack) of a bug
 * that no caller can prevent: the handlers exit 3 for that, 4 for a death
 * elsewhere (after printing the stack).  Inside means: the first frame of
 * the stack outside the C library (and this program's handler) is the
 * library's, at the fault (a signal) or at the call of exit(). */
static int death_fd = -1;      /* the real stderr, in the child */
static const char *death_lib; /* "/libhdf5", "/libjansson" */

static const char *frame_object(void *pc)
{
	Dl_info di;
	return dladdr(pc, &di) && di.dli_fname ? di.dli_fname : "?";
}

/* 1 when the first frame that is neither the handler's (this program's,
 * on top) nor the C library's is in death_lib; otherwise prints the stack
 * to the real stderr. */
static int died_in_lib(const char *how)
{
	void *pc[64];
	int n = backtrace(pc, 64), k = 0;
	const char *self = frame_object(pc[0]);
	while (k < n && !strcmp(frame_object(pc[k]), self))
		k++;
	for (; k < n; k++) {
		const char *obj = frame_object(pc[k]);
		if (strstr(obj, "/libc.so"))
			continue;
		if (strstr(obj, death_lib))
			return 1;
		break;
	}
	dprintf(death_fd, "%s outside %s:\n", how, death_lib + 1);
	backtrace_symbols_fd(pc, n, death_fd);
	return 0;
}

static void child_on_signal(int sig)
{
	fail_at = 0; /* what follows may allocate */
	/* frames: this handler, the C library's signal return, the fault */
	_exit(died_in_lib(strsignal(sig)) ? 3 : 4);
}


/* cmocka's group setup for the tests: quiet, OOM_BT read, backtrace()
 * ready (its first call loads libgcc_s, which allocates) */
static int oom_group_setup(void **state)
{
	(void)state;
	error_set_quiet(1);
	const char *bt = getenv("OOM_BT");
	bt_at = bt ? atol(bt) : 0;
	void *f[4];
	backtrace(f, 4);
	return 0;
}

#endif /* OOM_UNDER_ASAN */
#endif
