/* faultinj.h - make one call of a shared library fail, for the error paths
 * no real file reaches on demand: an fclose that reports a lost write after
 * the data was flushed and synced (as NFS does), a read that fails partway
 * through a dataset.  A test defines the function it wants to fail, with
 * the library's own signature, in its own file: the test program's
 * definition is the one the project's library (linked statically) calls,
 * and the definition forwards to the real one (faultinj_real), then asks
 * faultinj_fires() whether this call is the one to fail (fclose is here:
 * define FAULTINJ_FCLOSE before including this header; its fault is
 * fclose_fault):
 *
 *	static struct faultinj read_fault = FAULTINJ_OFF;
 *	herr_t H5Dread(hid_t d, hid_t mt, hid_t ms, hid_t fs, hid_t pl, void *buf)
 *	{
 *		static herr_t (*real)(hid_t, hid_t, hid_t, hid_t, hid_t, void *);
 *		if (!real)
 *			real = faultinj_real("H5Dread");
 *		if (faultinj_fires(&read_fault))
 *			return -1;
 *		return real(d, mt, ms, fs, pl, buf);
 *	}
 *
 * Counting is atomic: the batch reader calls HDF5 from its prefetch thread.
 */
#ifndef RNNPIPE_FAULTINJ_H
#define RNNPIPE_FAULTINJ_H

#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>

struct faultinj {
	int after; /* calls still let through before the failing one; -1: off */
	int calls; /* calls seen since faultinj_arm (or since the start) */
};

#define FAULTINJ_OFF {-1, 0}

/* The next function named name after this program (the C library's, the
 * HDF5 library's, or a sanitizer's wrapper of it). */
static inline void *faultinj_real(const char *name)
{
	void *p = dlsym(RTLD_NEXT, name);
	if (!p) {
		fprintf(stderr, "faultinj: no function '%s' to forward to\n", name);
		abort();
	}
	return p;
}

/* Let `after` calls through, fail the one after them, then stop failing;
 * after -1 only counts the calls. */
static inline void faultinj_arm(struct faultinj *f, int after)
{
	__atomic_store_n(&f->calls, 0, __ATOMIC_SEQ_CST);
	__atomic_store_n(&f->after, after, __ATOMIC_SEQ_CST);
}

/* Counts this call; 1 when it is the one to fail (the fault is then off). */
static inline int faultinj_fires(struct faultinj *f)
{
	__atomic_add_fetch(&f->calls, 1, __ATOMIC_SEQ_CST);
	int left = __atomic_load_n(&f->after, __ATOMIC_SEQ_CST);
	while (left >= 0) {
		int next = left > 0 ? left - 1 : -1;
		if (__atomic_compare_exchange_n(&f->after, &left, next, 0, __ATOMIC_SEQ_CST,
						__ATOMIC_SEQ_CST))
			return left == 0;
	}
	return 0;
}

static inline int faultinj_calls(struct faultinj *f)
{
	return __atomic_load_n(&f->calls, __ATOMIC_SEQ_CST);
}

#ifdef FAULTINJ_FCLOSE
#include <errno.h>

/* fclose as the project's library sees it, for the test that defines
 * FAULTINJ_FCLOSE before including this header: the real one (the data is
 * flushed and the file closed), then EIO when fclose_fault fires. */
static struct faultinj fclose_fault = FAULTINJ_OFF;

int fclose(FILE *f)
{
	static int (*real)(FILE *);
	if (!real)
		real = (int (*)(FILE *))faultinj_real("fclose");
	int rc = real(f);
	if (faultinj_fires(&fclose_fault)) {
		errno = EIO;
		return EOF;
	}
	return rc;
}
#endif

#endif
