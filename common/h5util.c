/* h5util.c - checked HDF5 helpers (see h5util.h). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include "error.h"
#include "h5util.h"

#define CK H5CALL

/* HDF5's exit handler closes files still open; one whose close failed
 * (a write error: disk full, file-size limit) makes it crash in
 * H5F__close_cb (HDF5 1.10), turning a clean "cannot write" exit 1 into a
 * segfault.  Files the project writes are closed (or abandoned and
 * removed) explicitly, so the handler is not needed: it is switched off
 * before main, as H5dont_atexit() must come before HDF5 initialises (any
 * H5T_NATIVE_* or H5P_* macro initialises it). */
__attribute__((constructor)) static void h5util_no_atexit(void)
{
	H5dont_atexit();
}

void h5_init_thread(void)
{
	static _Thread_local int done;
	if (!done) {
		H5Eset_auto2(H5E_DEFAULT, NULL, NULL);
		done = 1;
	}
}

/* ---- error reporting ---- */

struct walk {
	char inner[512]; /* the innermost (last) entry's description */
	char minor[128];
	int oom;         /* an entry says an allocation failed */
};

static herr_t walk_cb(unsigned n, const H5E_error2_t *e, void *data)
{
	struct walk *w = data;
	(void)n;
	if (e->desc && *e->desc)
		snprintf(w->inner, sizeof(w->inner), "%s", e->desc);
	if (H5Eget_msg(e->min_num, NULL, w->minor, sizeof(w->minor)) < 0)
		w->minor[0] = '\0';
	/* H5E_RESOURCE also holds running out of file ids, locks and the like;
	 * these two minors are failed allocations, and some failed allocations
	 * come with a minor of what could not be done (H5E_CANTINIT) */
	if (e->min_num == H5E_CANTALLOC || e->min_num == H5E_NOSPACE ||
	    (e->desc && strstr(e->desc, "memory allocation failed")))
		w->oom = 1;
	return 0;
}

hid_t h5_check_at(hid_t rc, const char *expr, const char *file, int line)
{
	int err = errno;
	const char *paren = strchr(expr, '(');
	int flen = paren ? (int)(paren - expr) : (int)strlen(expr);
	if (rc >= 0 && err == ENOMEM) {
		/* HDF5 1.10 goes on past some failed allocations and returns
		 * success: a chunk whose deflate filter (optional, as
		 * H5Pset_deflate sets it) could not allocate is stored
		 * uncompressed, so the file's bytes and hash (a model's
		 * dataset_hash) depend on the memory at hand; an access property
		 * list left incomplete fails a later call with "can't find
		 * property in skip list" */
		H5Eclear2(H5E_DEFAULT);
		if (rc > 0 && H5Iis_valid(rc) > 0)
			H5Idec_ref(rc);
		error("%.*s failed at %s:%d: out of memory (HDF5 went on past a failed "
		      "allocation)", flen, expr, file, line);
		return -1;
	}
	if (rc >= 0)
		return rc;
	struct walk w = {"", "", 0};
	H5Ewalk2(H5E_DEFAULT, H5E_WALK_DOWNWARD, walk_cb, &w);
	H5Eclear2(H5E_DEFAULT);
	/* an allocation failed in the call (H5CALL cleared errno), whether HDF5
	 * said so or not (nor could record it) */
	int oom = w.oom || err == ENOMEM;
	if (oom)
		error("%.*s failed at %s:%d: out of memory (%s)", flen, expr, file, line,
		      w.inner[0] ? w.inner : "HDF5 could not allocate");
	else if (w.inner[0] && w.minor[0] && strcmp(w.inner, w.minor))
		error("%.*s failed at %s:%d: %s (%s)", flen, expr, file, line, w.inner, w.minor);
	else
		error("%.*s failed at %s:%d: %s", flen, expr, file, line,
		      w.inner[0] ? w.inner : w.minor[0] ? w.minor : "unknown HDF5 error");
	return -1;
}

const char *h5_name(hid_t obj, char *buf, size_t size)
{
	char f[1024] = "?", o[1024] = "?";
	if (H5Fget_name(obj, f, sizeof(f)) < 0)
		snprintf(f, sizeof(f), "?");
	if (H5Iget_name(obj, o, sizeof(o)) < 0)
		snprintf(o, sizeof(o), "?");
	H5Eclear2(H5E_DEFAULT);
	snprintf(buf, size, "'%s':%s", f, o);
	return buf;
}

/* ---- files and groups ---- */

hid_t h5_create(const char *path)
{
	h5_init_thread();
	hid_t fapl = CK(H5Pcreate(H5P_FILE_ACCESS));
	if (fapl < 0)
		return -1;
	/* the file creation list is an object creation list: the root group
	 * gets no timestamps either */
	hid_t fcpl = CK(H5Pcreate(H5P_FILE_CREATE)), f = -1;
	if (fcpl >= 0 && CK(H5Pset_obj_track_times(fcpl, 0)) >= 0 &&
	    CK(H5Pset_userblock(fcpl, H5_SEAL_BYTES)) >= 0 &&
	    CK(H5Pset_libver_bounds(fapl, H5F_LIBVER_V110, H5F_LIBVER_V110)) >= 0)
		f = CK(H5Fcreate(path, H5F_ACC_TRUNC, fcpl, fapl));
	if (fcpl >= 0)
		H5Pclose(fcpl);
	H5Pclose(fapl);
	if (f < 0)
		error("cannot create HDF5 file '%s'", path);
	return f;
}

/* ---- seals ---- */

#define SEAL_MAGIC "rnnpipe-h5seal 1 "
#define SEAL_LINE SEAL_MAGIC "size=%llu crc32=%08x\n"

/* CRC-32 of path's bytes from offset H5_SEAL_BYTES to the end; the size of
 * the whole file in *size. */
static int seal_crc(FILE *f, const char *path, uint64_t *size, uint32_t *crc)
{
	enum { BUF = 1 << 16 };
	unsigned char *buf = malloc(BUF);
	if (!buf)
		return error("out of memory");
	uLong c = crc32(0L, Z_NULL, 0);
	uint64_t n = 0;
	size_t got;
	int rc = 0;
	if (fseek(f, H5_SEAL_BYTES, SEEK_SET))
		rc = error("cannot read '%s': %s", path, strerror(errno));
	while (!rc && (got = fread(buf, 1, BUF, f)) > 0) {
		c = crc32_z(c, buf, got);
		n += got;
	}
	if (!rc && ferror(f))
		rc = error("cannot read '%s': %s", path, strerror(errno));
	free(buf);
	*size = n + H5_SEAL_BYTES;
	*crc = (uint32_t)c;
	return rc;
}

int h5_seal(const char *path)
{
	FILE *f = fopen(path, "r+b");
	if (!f)
		return error("cannot open '%s': %s", path, strerror(errno));
	char blk[H5_SEAL_BYTES];
	uint64_t size;
	uint32_t crc;
	int rc = seal_crc(f, path, &size, &crc);
	if (!rc) {
		memset(blk, 0, sizeof(blk));
		snprintf(blk, sizeof(blk), SEAL_LINE, (unsigned long long)size, (unsigned)crc);
		if (fseek(f, 0, SEEK_SET) || fwrite(blk, 1, sizeof(blk), f) != sizeof(blk))
			rc = error("cannot write '%s': %s", path, strerror(errno));
	}
	if (fclose(f) && !rc)
		rc = error("cannot write '%s': %s", path, strerror(errno));
	return rc;
}

/* The block is exactly what h5_seal writes for these values, byte for
 * byte ("B5" for "b5", a leading zero, a stray byte after the line: all
 * damage). */
static int seal_canonical(const char *blk, unsigned long long size, unsigned crc)
{
	char want[H5_SEAL_BYTES];
	memset(want, 0, sizeof(want));
	snprintf(want, sizeof(want), SEAL_LINE, size, crc);
	return !memcmp(want, blk, H5_SEAL_BYTES);
}

int h5_seal_check(const char *path, int required)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return error("cannot open '%s': %s", path, strerror(errno));
	char blk[H5_SEAL_BYTES + 1];
	size_t got = fread(blk, 1, H5_SEAL_BYTES, f);
	blk[got] = '\0';
	int rc = 0;
	unsigned long long want_size;
	unsigned want_crc;
	if (got < sizeof(SEAL_MAGIC) - 1 || memcmp(blk, SEAL_MAGIC, sizeof(SEAL_MAGIC) - 1)) {
		if (required)
			rc = error("'%s': no integrity seal (not made by this project's writer, "
				   "or its first bytes are damaged)", path);
	} else if (got != H5_SEAL_BYTES ||
		   sscanf(blk + sizeof(SEAL_MAGIC) - 1, "size=%llu crc32=%8x", &want_size,
			  &want_crc) != 2 ||
		   !seal_canonical(blk, want_size, want_crc)) {
		rc = error("'%s': damaged integrity seal (corrupted)", path);
	} else {
		uint64_t size;
		uint32_t crc;
		struct stat st;
		if (fstat(fileno(f), &st))
			rc = error("cannot read '%s': %s", path, strerror(errno));
		else if ((unsigned long long)st.st_size != want_size)
			rc = error("'%s': %s (%lld bytes, %llu when written)", path,
				   (unsigned long long)st.st_size < want_size ? "truncated"
									: "has grown",
				   (long long)st.st_size, want_size);
		else if (seal_crc(f, path, &size, &crc))
			rc = -1;
		else if (size != want_size || crc != want_crc)
			rc = error("'%s': corrupted: the CRC-32 of its bytes is %08x, %08x when "
				   "written", path, (unsigned)crc, want_crc);
	}
	fclose(f);
	return rc;
}

hid_t h5_open(const char *path, int writable)
{
	h5_init_thread();
	if (access(path, writable ? R_OK | W_OK : R_OK))
		return error("cannot open '%s': %s", path, strerror(errno));
	unsigned long oom = error_oom_count();
	hid_t f = CK(H5Fopen(path, writable ? H5F_ACC_RDWR : H5F_ACC_RDONLY, H5P_DEFAULT));
	if (f < 0)
		error("cannot open '%s': %s", path,
		      error_oom_count() != oom ? "out of memory"
					       : "not an HDF5 file, or truncated or corrupted");
	return f;
}

int h5_close(hid_t id)
{
	if (id < 0)
		return 0;
	h5_init_thread();
	herr_t rc;
	switch (H5Iget_type(id)) {
	case H5I_FILE: rc = CK(H5Fclose(id)); break;
	case H5I_GROUP: rc = CK(H5Gclose(id)); break;
	case H5I_DATASET: rc = CK(H5Dclose(id)); break;
	case H5I_ATTR: rc = CK(H5Aclose(id)); break;
	case H5I_DATATYPE: rc = CK(H5Tclose(id)); break;
	case H5I_DATASPACE: rc = CK(H5Sclose(id)); break;
	case H5I_GENPROP_LST: rc = CK(H5Pclose(id)); break;
	default: return error("h5_close: not an open HDF5 id");
	}
	return rc < 0 ? -1 : 0;
}

/* Object creation property list without timestamps (reproducible bytes). */
static hid_t ocpl_new(hid_t cls)
{
	hid_t p = CK(H5Pcreate(cls));
	if (p >= 0 && CK(H5Pset_obj_track_times(p, 0)) < 0) {
		H5Pclose(p);
		return -1;
	}
	return p;
}

hid_t h5_group_create(hid_t loc, const char *name)
{
	h5_init_thread();
	hid_t gcpl = ocpl_new(H5P_GROUP_CREATE);
	if (gcpl < 0)
		return -1;
	hid_t g = CK(H5Gcreate2(loc, name, H5P_DEFAULT, gcpl, H5P_DEFAULT));
	H5Pclose(gcpl);
	if (g < 0) {
		char buf[1100];
		error("cannot create group '%s' in %s", name, h5_name(loc, buf, sizeof(buf)));
	}
	return g;
}

int h5_exists(hid_t loc, const char *name)
{
	h5_init_thread();
	char path[1024];
	if (strlen(name) >= sizeof(path))
		return error("HDF5 path too long: '%s'", name);
	strcpy(path, name);
	/* check "a", then "a/b", ...: H5Lexists fails on a missing middle part */
	for (char *p = path + (path[0] == '/');; p++) {
		if (*p != '/' && *p)
			continue;
		char c = *p;
		*p = '\0';
		htri_t e = CK(H5Lexists(loc, path, H5P_DEFAULT));
		*p = c;
		if (e <= 0)
			return e < 0 ? -1 : 0;
		if (!c)
			return 1;
	}
}

static int missing(hid_t loc, const char *what, const char *name)
{
	char buf[1100];
	return error("%s: no %s '%s'", h5_name(loc, buf, sizeof(buf)), what, name);
}

hid_t h5_group_open(hid_t loc, const char *name)
{
	int e = h5_exists(loc, name);
	if (e <= 0)
		return e < 0 ? -1 : missing(loc, "group", name);
	return CK(H5Gopen2(loc, name, H5P_DEFAULT));
}

/* ---- attributes ---- */

int h5_attr_exists(hid_t obj, const char *name)
{
	h5_init_thread();
	htri_t e = CK(H5Aexists(obj, name));
	return e < 0 ? -1 : e > 0;
}

hid_t h5_str_type(void)
{
	hid_t t = CK(H5Tcopy(H5T_C_S1));
	if (t < 0)
		return -1;
	if (CK(H5Tset_size(t, H5T_VARIABLE)) < 0 || CK(H5Tset_cset(t, H5T_CSET_UTF8)) < 0) {
		H5Tclose(t);
		return -1;
	}
	return t;
}

/* Writes one attribute: rank 0 (scalar) when n < 0, else 1-D of n. */
static int attr_write(hid_t obj, const char *name, hid_t ftype, hid_t mtype,
		      const void *data, long n)
{
	h5_init_thread();
	int rc = -1;
	hid_t space = -1, a = -1;
	hsize_t dims[1] = {n < 0 ? 1 : (hsize_t)n};
	htri_t e = CK(H5Aexists(obj, name));
	if (e < 0 || (e > 0 && CK(H5Adelete(obj, name)) < 0))
		goto out;
	space = n < 0 ? CK(H5Screate(H5S_SCALAR)) : CK(H5Screate_simple(1, dims, NULL));
	if (space < 0)
		goto out;
	a = CK(H5Acreate2(obj, name, ftype, space, H5P_DEFAULT, H5P_DEFAULT));
	if (a < 0)
		goto out;
	if (n != 0 && CK(H5Awrite(a, mtype, data)) < 0)
		goto out;
	rc = 0;
out:
	if (a >= 0)
		H5Aclose(a);
	if (space >= 0)
		H5Sclose(space);
	if (rc) {
		char buf[1100];
		error("cannot write attribute '%s' of %s", name, h5_name(obj, buf, sizeof(buf)));
	}
	return rc;
}

int h5_attr_write_int(hid_t obj, const char *name, int64_t v)
{
	return attr_write(obj, name, H5T_STD_I64LE, H5T_NATIVE_INT64, &v, -1);
}

int h5_attr_write_double(hid_t obj, const char *name, double v)
{
	return attr_write(obj, name, H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, &v, -1);
}

int h5_attr_write_ints(hid_t obj, const char *name, const int64_t *v, size_t n)
{
	return attr_write(obj, name, H5T_STD_I64LE, H5T_NATIVE_INT64, v, (long)n);
}

int h5_attr_write_doubles(hid_t obj, const char *name, const double *v, size_t n)
{
	return attr_write(obj, name, H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, v, (long)n);
}

int h5_attr_write_str(hid_t obj, const char *name, const char *s)
{
	h5_init_thread();
	hid_t t = h5_str_type();
	if (t < 0)
		return -1;
	int rc = attr_write(obj, name, t, t, &s, -1);
	H5Tclose(t);
	return rc;
}

int h5_attr_write_strs(hid_t obj, const char *name, const char *const *s, size_t n)
{
	h5_init_thread();
	hid_t t = h5_str_type();
	if (t < 0)
		return -1;
	int rc = attr_write(obj, name, t, t, s, (long)n);
	H5Tclose(t);
	return rc;
}

/* Opens attribute name, checks its class, returns its element count. */
static hid_t attr_open(hid_t obj, const char *name, H5T_class_t want, int allow_float,
		       size_t *count)
{
	h5_init_thread();
	char buf[1100];
	htri_t e = CK(H5Aexists(obj, name));
	if (e <= 0) {
		if (e == 0)
			error("%s: no attribute '%s'", h5_name(obj, buf, sizeof(buf)), name);
		return -1;
	}
	hid_t a = CK(H5Aopen(obj, name, H5P_DEFAULT));
	if (a < 0)
		return -1;
	hid_t t = CK(H5Aget_type(a)), s = CK(H5Aget_space(a));
	H5T_class_t c = t >= 0 ? H5Tget_class(t) : H5T_NO_CLASS;
	int ok = c == want || (allow_float && (c == H5T_INTEGER || c == H5T_FLOAT));
	hssize_t n = s >= 0 ? H5Sget_simple_extent_npoints(s) : -1;
	int rank = s >= 0 ? H5Sget_simple_extent_ndims(s) : -1;
	if (t >= 0)
		H5Tclose(t);
	if (s >= 0)
		H5Sclose(s);
	if (!ok || n < 0 || rank > 1) {
		H5Aclose(a);
		error("%s: attribute '%s' is not %s", h5_name(obj, buf, sizeof(buf)), name,
		      want == H5T_STRING ? "a string or a list of strings"
					 : "a number or a list of numbers");
		return -1;
	}
	*count = (size_t)n;
	return a;
}

static int attr_read_nums(hid_t obj, const char *name, hid_t mtype, size_t esize,
			  void **out, size_t *n, int scalar)
{
	char buf[1100];
	size_t cnt;
	hid_t a = attr_open(obj, name, mtype == H5T_NATIVE_DOUBLE ? H5T_FLOAT : H5T_INTEGER,
			    mtype == H5T_NATIVE_DOUBLE, &cnt);
	if (a < 0)
		return -1;
	if (scalar && cnt != 1) {
		H5Aclose(a);
		return error("%s: attribute '%s' has %zu values, expected one",
			     h5_name(obj, buf, sizeof(buf)), name, cnt);
	}
	void *v = malloc(cnt ? cnt * esize : 1);
	if (!v) {
		H5Aclose(a);
		return error("out of memory");
	}
	herr_t rc = cnt ? CK(H5Aread(a, mtype, v)) : 0;
	H5Aclose(a);
	if (rc < 0) {
		free(v);
		return error("cannot read attribute '%s' of %s", name, h5_name(obj, buf, sizeof(buf)));
	}
	*out = v;
	if (n)
		*n = cnt;
	return 0;
}

int h5_attr_read_int(hid_t obj, const char *name, int64_t *out)
{
	void *v;
	if (attr_read_nums(obj, name, H5T_NATIVE_INT64, 8, &v, NULL, 1))
		return -1;
	memcpy(out, v, 8);
	free(v);
	return 0;
}

int h5_attr_read_double(hid_t obj, const char *name, double *out)
{
	void *v;
	if (attr_read_nums(obj, name, H5T_NATIVE_DOUBLE, 8, &v, NULL, 1))
		return -1;
	memcpy(out, v, 8);
	free(v);
	return 0;
}

int h5_attr_read_ints(hid_t obj, const char *name, int64_t **out, size_t *n)
{
	return attr_read_nums(obj, name, H5T_NATIVE_INT64, 8, (void **)out, n, 0);
}

int h5_attr_read_doubles(hid_t obj, const char *name, double **out, size_t *n)
{
	return attr_read_nums(obj, name, H5T_NATIVE_DOUBLE, 8, (void **)out, n, 0);
}

void h5_strs_free(char **s, size_t n)
{
	if (!s)
		return;
	for (size_t i = 0; i < n; i++)
		free(s[i]);
	free(s);
}

int h5_attr_read_strs(hid_t obj, const char *name, char ***out, size_t *n)
{
	char buf[1100];
	size_t cnt;
	hid_t a = attr_open(obj, name, H5T_STRING, 0, &cnt);
	if (a < 0)
		return -1;
	int rc = -1, oom = 0; /* oom: one of ours failed (HDF5's say so themselves) */
	char **res = calloc(cnt ? cnt : 1, sizeof(char *));
	hid_t ft = CK(H5Aget_type(a)), mt = -1, space = -1;
	htri_t vstr = ft >= 0 ? CK(H5Tis_variable_str(ft)) : -1;
	if (!res || vstr < 0) {
		oom = !res;
		goto out;
	}
	if (vstr) {
		char **raw = calloc(cnt ? cnt : 1, sizeof(char *));
		mt = h5_str_type();
		space = CK(H5Aget_space(a));
		if (!raw || mt < 0 || space < 0 || (cnt && CK(H5Aread(a, mt, raw)) < 0)) {
			oom = !raw;
			free(raw);
			goto out;
		}
		for (size_t i = 0; i < cnt; i++)
			if (!(res[i] = strdup(raw[i] ? raw[i] : "")))
				oom = 1;
		if (cnt)
			H5Dvlen_reclaim(mt, space, H5P_DEFAULT, raw);
		free(raw);
		if (oom)
			goto out;
	} else {
		size_t sz = H5Tget_size(ft);
		char *raw = malloc(cnt * sz + 1);
		mt = CK(H5Tcopy(ft));
		if (!raw || mt < 0 || (cnt && CK(H5Aread(a, mt, raw)) < 0)) {
			oom = !raw;
			free(raw);
			goto out;
		}
		for (size_t i = 0; i < cnt; i++) {
			res[i] = strndup(raw + i * sz, sz); /* NUL- or space-padded */
			if (!res[i]) {
				oom = 1;
				free(raw);
				goto out;
			}
			for (size_t k = strlen(res[i]); k > 0 && res[i][k - 1] == ' '; k--)
				res[i][k - 1] = '\0';
		}
		free(raw);
	}
	rc = 0;
out:
	if (mt >= 0)
		H5Tclose(mt);
	if (ft >= 0)
		H5Tclose(ft);
	if (space >= 0)
		H5Sclose(space);
	H5Aclose(a);
	if (rc) {
		h5_strs_free(res, cnt);
		return error("cannot read attribute '%s' of %s%s", name,
			     h5_name(obj, buf, sizeof(buf)), oom ? ": out of memory" : "");
	}
	*out = res;
	*n = cnt;
	return 0;
}

int h5_attr_read_str(hid_t obj, const char *name, char **out)
{
	char **s;
	size_t n;
	if (h5_attr_read_strs(obj, name, &s, &n))
		return -1;
	if (n != 1) {
		char buf[1100];
		h5_strs_free(s, n);
		return error("%s: attribute '%s' has %zu strings, expected one",
			     h5_name(obj, buf, sizeof(buf)), name, n);
	}
	*out = s[0];
	free(s);
	return 0;
}

/* ---- datasets ---- */

hid_t h5_dataset_create(hid_t loc, const char *name, hid_t file_type, int rank,
			const hsize_t *dims, const struct h5_layout *lay)
{
	h5_init_thread();
	hid_t dcpl = ocpl_new(H5P_DATASET_CREATE), space = -1, d = -1;
	if (dcpl < 0)
		goto out;
	if (lay && lay->chunk) {
		if (CK(H5Pset_chunk(dcpl, rank, lay->chunk)) < 0 ||
		    (lay->shuffle && CK(H5Pset_shuffle(dcpl)) < 0) ||
		    (lay->deflate > 0 && CK(H5Pset_deflate(dcpl, (unsigned)lay->deflate)) < 0) ||
		    (lay->fletcher32 && CK(H5Pset_fletcher32(dcpl)) < 0))
			goto out;
	}
	if (lay && lay->fill && CK(H5Pset_fill_value(dcpl, file_type, lay->fill)) < 0)
		goto out;
	space = CK(H5Screate_simple(rank, dims, NULL));
	if (space < 0)
		goto out;
	d = CK(H5Dcreate2(loc, name, file_type, space, H5P_DEFAULT, dcpl, H5P_DEFAULT));
out:
	if (space >= 0)
		H5Sclose(space);
	if (dcpl >= 0)
		H5Pclose(dcpl);
	if (d < 0) {
		char buf[1100];
		error("cannot create dataset '%s' in %s", name, h5_name(loc, buf, sizeof(buf)));
	}
	return d;
}

hid_t h5_dataset_open(hid_t loc, const char *name, size_t cache_bytes)
{
	int e = h5_exists(loc, name);
	if (e <= 0)
		return e < 0 ? -1 : missing(loc, "dataset", name);
	hid_t d = CK(H5Dopen2(loc, name, H5P_DEFAULT));
	if (d < 0 || cache_bytes == H5_CACHE_DEFAULT)
		return d;
	if (cache_bytes == H5_CACHE_ONE_CHUNK) {
		int64_t n = h5_dataset_chunk_bytes(d);
		if (n < 0) {
			H5Dclose(d);
			return -1;
		}
		cache_bytes = (size_t)n;
	}
	/* the cache is set on the access list at open: reopen with it.  The
	 * slot count is a prime well above the chunks the cache can hold. */
	H5Dclose(d);
	hid_t dapl = CK(H5Pcreate(H5P_DATASET_ACCESS));
	if (dapl < 0)
		return -1;
	if (CK(H5Pset_chunk_cache(dapl, 521, cache_bytes, 1.0)) < 0) {
		H5Pclose(dapl);
		return -1;
	}
	d = CK(H5Dopen2(loc, name, dapl));
	H5Pclose(dapl);
	return d;
}

int64_t h5_dataset_chunk_bytes(hid_t d)
{
	h5_init_thread();
	hid_t p = CK(H5Dget_create_plist(d)), t = CK(H5Dget_type(d));
	int64_t n = -1;
	if (p >= 0 && t >= 0) {
		n = 0;
		if (H5Pget_layout(p) == H5D_CHUNKED) {
			hsize_t dims[H5S_MAX_RANK];
			int r = CK(H5Pget_chunk(p, H5S_MAX_RANK, dims));
			n = r < 0 ? -1 : (int64_t)H5Tget_size(t);
			for (int i = 0; i < r; i++)
				n *= (int64_t)dims[i];
		}
	}
	if (p >= 0)
		H5Pclose(p);
	if (t >= 0)
		H5Tclose(t);
	return n;
}

int h5_dataset_shape(hid_t dset, int *rank, hsize_t *dims, int max_rank)
{
	h5_init_thread();
	hid_t s = CK(H5Dget_space(dset));
	if (s < 0)
		return -1;
	int r = CK(H5Sget_simple_extent_ndims(s));
	if (r < 0 || r > max_rank) {
		H5Sclose(s);
		return r < 0 ? -1 : error("dataset of rank %d, expected at most %d", r, max_rank);
	}
	H5Sget_simple_extent_dims(s, dims, NULL);
	H5Sclose(s);
	*rank = r;
	return 0;
}

static void fmt_shape(char *buf, size_t size, int rank, const int64_t *d)
{
	int n = snprintf(buf, size, "(");
	for (int i = 0; i < rank && n > 0 && (size_t)n < size; i++) {
		if (d[i] < 0)
			n += snprintf(buf + n, size - n, "%sany", i ? ", " : "");
		else
			n += snprintf(buf + n, size - n, "%s%lld", i ? ", " : "", (long long)d[i]);
	}
	if (n > 0 && (size_t)n < size)
		snprintf(buf + n, size - n, "%s)", rank == 1 ? "," : "");
}

int h5_dataset_check_shape(hid_t dset, int rank, const int64_t *want)
{
	hsize_t dims[H5S_MAX_RANK];
	int r;
	if (h5_dataset_shape(dset, &r, dims, H5S_MAX_RANK))
		return -1;
	int ok = r == rank;
	for (int i = 0; ok && i < rank; i++)
		if (want[i] >= 0 && dims[i] != (hsize_t)want[i])
			ok = 0;
	if (ok)
		return 0;
	int64_t got[H5S_MAX_RANK];
	for (int i = 0; i < r; i++)
		got[i] = (int64_t)dims[i];
	char a[256], b[256], nm[1100];
	fmt_shape(a, sizeof(a), rank, want);
	fmt_shape(b, sizeof(b), r, got);
	return error("%s: shape %s, expected %s", h5_name(dset, nm, sizeof(nm)), b, a);
}

/* The reason dset's values are not all in this file, "" when they are,
 * NULL after an HDF5 error. */
static const char *not_stored(hid_t dset, hid_t space, hid_t dcpl)
{
	hsize_t dims[H5S_MAX_RANK], chunk[H5S_MAX_RANK], want = 1, got = 0;
	int rank = CK(H5Sget_simple_extent_dims(space, dims, NULL));
	hssize_t n = CK(H5Sget_simple_extent_npoints(space));
	H5D_layout_t layout = H5Pget_layout(dcpl);
	int ext = CK(H5Pget_external_count(dcpl));
	if (rank < 0 || n < 0 || layout < 0 || ext < 0)
		return NULL;
	if (n == 0)
		return "";
	if (ext > 0 || layout == H5D_VIRTUAL)
		return "its values are not stored in the file";
	if (layout == H5D_CHUNKED) {
		/* every chunk (compressed ones take less than their size) */
		if (CK(H5Pget_chunk(dcpl, H5S_MAX_RANK, chunk)) != rank)
			return NULL;
		for (int i = 0; i < rank; i++)
			want *= (dims[i] + chunk[i] - 1) / chunk[i];
		if (CK(H5Dget_num_chunks(dset, space, &got)) < 0)
			return NULL;
	} else {
		/* contiguous or compact: storage for every element */
		hid_t t = CK(H5Dget_type(dset));
		if (t < 0)
			return NULL;
		want = (hsize_t)n * H5Tget_size(t);
		H5Tclose(t);
		got = H5Dget_storage_size(dset);
	}
	return got < want ? "its values were never written in full" : "";
}

int h5_dataset_check_stored(hid_t dset)
{
	hid_t space = CK(H5Dget_space(dset));
	hid_t dcpl = space < 0 ? -1 : CK(H5Dget_create_plist(dset));
	const char *why = dcpl < 0 ? NULL : not_stored(dset, space, dcpl);
	if (dcpl >= 0)
		H5Pclose(dcpl);
	if (space >= 0)
		H5Sclose(space);
	char nm[1100];
	if (!why)
		return error("cannot read how %s is stored", h5_name(dset, nm, sizeof(nm)));
	return *why ? error("%s: %s", h5_name(dset, nm, sizeof(nm)), why) : 0;
}

int h5_dataset_write(hid_t dset, hid_t mem_type, const void *buf)
{
	h5_init_thread();
	if (CK(H5Dwrite(dset, mem_type, H5S_ALL, H5S_ALL, H5P_DEFAULT, buf)) < 0) {
		char nm[1100];
		return error("cannot write %s", h5_name(dset, nm, sizeof(nm)));
	}
	return 0;
}

int h5_dataset_read(hid_t dset, hid_t mem_type, void *buf)
{
	h5_init_thread();
	if (CK(H5Dread(dset, mem_type, H5S_ALL, H5S_ALL, H5P_DEFAULT, buf)) < 0) {
		char nm[1100];
		return error("cannot read %s", h5_name(dset, nm, sizeof(nm)));
	}
	return 0;
}

/* Selects rows [row0, row0+n) in the file and a matching memory space. */
static int rows_io(hid_t dset, hid_t mem_type, hsize_t row0, hsize_t n, void *buf,
		   int write)
{
	h5_init_thread();
	hsize_t dims[H5S_MAX_RANK], start[H5S_MAX_RANK] = {0}, count[H5S_MAX_RANK];
	int rank, rc = -1;
	hid_t fs = -1, ms = -1;
	if (h5_dataset_shape(dset, &rank, dims, H5S_MAX_RANK))
		goto out;
	if (rank < 1 || row0 + n > dims[0] || row0 + n < row0) {
		char nm[1100];
		error("%s: rows %llu..%llu out of range (%llu rows)", h5_name(dset, nm, sizeof(nm)),
		      (unsigned long long)row0, (unsigned long long)(row0 + n),
		      (unsigned long long)(rank ? dims[0] : 0));
		goto out;
	}
	if (n == 0)
		return 0;
	memcpy(count, dims, sizeof(hsize_t) * rank);
	start[0] = row0;
	count[0] = n;
	fs = CK(H5Dget_space(dset));
	if (fs < 0 || CK(H5Sselect_hyperslab(fs, H5S_SELECT_SET, start, NULL, count, NULL)) < 0)
		goto out;
	ms = CK(H5Screate_simple(rank, count, NULL));
	if (ms < 0)
		goto out;
	if (write)
		rc = CK(H5Dwrite(dset, mem_type, ms, fs, H5P_DEFAULT, buf)) < 0 ? -1 : 0;
	else
		rc = CK(H5Dread(dset, mem_type, ms, fs, H5P_DEFAULT, buf)) < 0 ? -1 : 0;
	if (rc) {
		char nm[1100];
		error("cannot %s rows %llu..%llu of %s", write ? "write" : "read",
		      (unsigned long long)row0, (unsigned long long)(row0 + n - 1),
		      h5_name(dset, nm, sizeof(nm)));
	}
out:
	if (fs >= 0)
		H5Sclose(fs);
	if (ms >= 0)
		H5Sclose(ms);
	return rc;
}

int h5_dataset_write_rows(hid_t dset, hid_t mem_type, hsize_t row0, hsize_t n,
			  const void *buf)
{
	return rows_io(dset, mem_type, row0, n, (void *)buf, 1);
}

int h5_dataset_read_rows(hid_t dset, hid_t mem_type, hsize_t row0, hsize_t n, void *buf)
{
	return rows_io(dset, mem_type, row0, n, buf, 0);
}

int h5_write_array(hid_t loc, const char *name, hid_t file_type, hid_t mem_type,
		   int rank, const hsize_t *dims, const void *data)
{
	hid_t d = h5_dataset_create(loc, name, file_type, rank, dims, NULL);
	if (d < 0)
		return -1;
	int rc = h5_dataset_write(d, mem_type, data);
	if (CK(H5Dclose(d)) < 0)
		rc = -1;
	return rc;
}

int h5_read_array_alloc(hid_t loc, const char *name, hid_t mem_type, int rank,
			const int64_t *dims, void **out)
{
	*out = NULL;
	size_t esz = H5Tget_size(mem_type);
	if (rank < 0 || rank > H5S_MAX_RANK || esz == 0)
		return error("h5_read_array_alloc: bad rank %d or memory type", rank);
	for (int i = 0; i < rank; i++)
		if (dims[i] < 0)
			return error("h5_read_array_alloc: dim %d is %lld", i, (long long)dims[i]);
	hid_t d = h5_dataset_open(loc, name, H5_CACHE_DEFAULT);
	if (d < 0)
		return -1;
	char nm[1100];
	void *buf = NULL;
	int rc = h5_dataset_check_shape(d, rank, dims);
	if (!rc)
		rc = h5_dataset_check_stored(d);
	/* all in the file: n * esz fits a 64-bit size, not always a 32-bit one */
	size_t n = 1;
	for (int i = 0; !rc && i < rank; i++) {
		if (dims[i] && n > SIZE_MAX / esz / (uint64_t)dims[i])
			rc = error("%s: too large to read into memory", h5_name(d, nm, sizeof(nm)));
		n *= (size_t)dims[i];
	}
	if (!rc && !(buf = malloc((n ? n : 1) * esz)))
		rc = error("out of memory (%zu values of %s)", n, h5_name(d, nm, sizeof(nm)));
	if (!rc)
		rc = h5_dataset_read(d, mem_type, buf);
	H5Dclose(d);
	if (rc)
		free(buf);
	else
		*out = buf;
	return rc;
}
