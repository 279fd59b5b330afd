/* h5golden.h - tiny HDF5 readers for the golden-file tests, and the
 * tolerance comparison every numeric test uses.
 *
 * Test-only, header-only (static functions): reads whole small datasets and
 * scalar attributes with the HDF5 C API, converting to the wanted type.
 * The library's own HDF5 layer is common/h5util (not used here so the
 * engine tests stand alone).  HDF5's error-stack printing is turned off.
 */
#ifndef RNNPIPE_H5GOLDEN_H
#define RNNPIPE_H5GOLDEN_H

#include <hdf5.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static inline hid_t h5g_open(const char *path)
{
	H5Eset_auto2(H5E_DEFAULT, NULL, NULL);
	return H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT);
}

/* 1 when every link of path (a/b/c) exists. */
static inline int h5g_exists(hid_t f, const char *path)
{
	char buf[256];
	snprintf(buf, sizeof(buf), "%s", path);
	for (char *p = buf; (p = strchr(p + 1, '/')) != NULL;) {
		*p = 0;
		if (H5Lexists(f, buf, H5P_DEFAULT) <= 0)
			return 0;
		*p = '/';
	}
	return H5Lexists(f, buf, H5P_DEFAULT) > 0;
}

/* Reads a dataset converted to mem_type into a new buffer; *n elements,
 * dims (up to 4) and *ndim when not NULL.  NULL when missing. */
static inline void *h5g_read(hid_t f, const char *path, hid_t mem_type, size_t elem, size_t *n,
		      int *ndim, hsize_t dims[4])
{
	if (!h5g_exists(f, path))
		return NULL;
	hid_t d = H5Dopen2(f, path, H5P_DEFAULT);
	if (d < 0)
		return NULL;
	hid_t s = H5Dget_space(d);
	hsize_t dd[4] = {1, 1, 1, 1};
	int nd = H5Sget_simple_extent_ndims(s);
	if (nd > 4) {
		H5Sclose(s);
		H5Dclose(d);
		return NULL;
	}
	H5Sget_simple_extent_dims(s, dd, NULL);
	size_t count = 1;
	for (int i = 0; i < nd; i++)
		count *= dd[i];
	void *buf = calloc(count ? count : 1, elem);
	if (buf && H5Dread(d, mem_type, H5S_ALL, H5S_ALL, H5P_DEFAULT, buf) < 0) {
		free(buf);
		buf = NULL;
	}
	H5Sclose(s);
	H5Dclose(d);
	if (n)
		*n = count;
	if (ndim)
		*ndim = nd;
	if (dims)
		memcpy(dims, dd, sizeof(dd));
	return buf;
}

static inline float *h5g_read_f(hid_t f, const char *path, size_t *n, int *ndim, hsize_t dims[4])
{
	return h5g_read(f, path, H5T_NATIVE_FLOAT, sizeof(float), n, ndim, dims);
}

static inline double *h5g_read_d(hid_t f, const char *path, size_t *n)
{
	return h5g_read(f, path, H5T_NATIVE_DOUBLE, sizeof(double), n, NULL, NULL);
}

static inline int32_t *h5g_read_i32(hid_t f, const char *path, size_t *n)
{
	return h5g_read(f, path, H5T_NATIVE_INT32, sizeof(int32_t), n, NULL, NULL);
}

/* Scalar numeric attribute of the root group; 0 or -1. */
static inline int h5g_attr_d(hid_t f, const char *name, double *out)
{
	if (H5Aexists(f, name) <= 0)
		return -1;
	hid_t a = H5Aopen(f, name, H5P_DEFAULT);
	int rc = H5Aread(a, H5T_NATIVE_DOUBLE, out) < 0 ? -1 : 0;
	H5Aclose(a);
	return rc;
}

static inline long h5g_attr_l(hid_t f, const char *name, long dflt)
{
	double v;
	return h5g_attr_d(f, name, &v) ? dflt : (long)v;
}

/* Fixed-length string attribute of the root group into buf; 0 or -1. */
static inline int h5g_attr_s(hid_t f, const char *name, char *buf, size_t size)
{
	if (H5Aexists(f, name) <= 0)
		return -1;
	hid_t a = H5Aopen(f, name, H5P_DEFAULT);
	hid_t t = H5Aget_type(a);
	int rc = -1;
	if (H5Tget_class(t) == H5T_STRING && !H5Tis_variable_str(t)) {
		size_t len = H5Tget_size(t);
		char *tmp = calloc(len + 1, 1);
		if (tmp && H5Aread(a, t, tmp) >= 0) {
			snprintf(buf, size, "%s", tmp);
			rc = 0;
		}
		free(tmp);
	}
	H5Tclose(t);
	H5Aclose(a);
	return rc;
}

/* ---- comparison: |got - ref| <= atol + rtol * |ref| ---- */

struct cmp_result {
	double max_abs, max_rel; /* over all elements (rel: |d| / max(|ref|, atol)) */
	size_t worst;            /* index of the element furthest beyond tolerance */
	double worst_excess;     /* |d| - (atol + rtol |ref|) there; <= 0: all fine */
	double worst_got, worst_ref;
};

static inline struct cmp_result cmp_arrays(const float *got, const double *ref, size_t n, double atol,
				    double rtol)
{
	struct cmp_result r = {0, 0, 0, -INFINITY, 0, 0};
	for (size_t i = 0; i < n; i++) {
		double d = fabs((double)got[i] - ref[i]);
		if (isnan(d))
			d = INFINITY;
		double rel = d / fmax(fabs(ref[i]), atol);
		double excess = d - (atol + rtol * fabs(ref[i]));
		if (d > r.max_abs)
			r.max_abs = d;
		if (rel > r.max_rel)
			r.max_rel = rel;
		if (excess > r.worst_excess) {
			r.worst_excess = excess;
			r.worst = i;
			r.worst_got = got[i];
			r.worst_ref = ref[i];
		}
	}
	return r;
}

/* Prints one line (name, errors, worst element) and returns 1 when within
 * tolerance. */
static inline int cmp_report(const char *what, const char *name, const float *got, const double *ref,
		      size_t n, double atol, double rtol)
{
	struct cmp_result r = cmp_arrays(got, ref, n, atol, rtol);
	int ok = r.worst_excess <= 0;
	printf("  %-5s %-30s n=%-5zu max_abs=%.3e max_rel=%.3e worst[%zu] got=%.9g ref=%.9g%s\n",
	       what, name, n, r.max_abs, r.max_rel, r.worst, r.worst_got, r.worst_ref,
	       ok ? "" : "  FAIL");
	return ok;
}

#endif
