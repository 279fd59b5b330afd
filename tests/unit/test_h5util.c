/* test_h5util.c - checked HDF5 helpers: attribute round trips, shape
 * checks, error messages with call sites, reproducible bytes, values
 * stored in the file; the layout of a created file, the readers'
 * refusals, the filters, chunk cache and row ranges of datasets. */
#include "testutil.h"

#include "capture.h"
#include "h5util.h"

static void test_attr_round_trip(void **state)
{
	const char *path = test_path("attrs.h5");
	hid_t f = h5_create(path);
	assert_true(f >= 0);
	const char *strs[] = {"негатив", "positive", ""};
	int64_t ints[] = {-1, 0, 119547, INT64_MAX};
	double dbl[] = {0.5, -2.25};
	assert_int_equal(h5_attr_write_int(f, "i", -42), 0);
	assert_int_equal(h5_attr_write_int(f, "i", 7), 0); /* replaces */
	assert_int_equal(h5_attr_write_double(f, "d", 1.5), 0);
	assert_int_equal(h5_attr_write_str(f, "s", "отзыв"), 0);
	assert_int_equal(h5_attr_write_strs(f, "ss", strs, 3), 0);
	assert_int_equal(h5_attr_write_strs(f, "empty", strs, 0), 0);
	assert_int_equal(h5_attr_write_ints(f, "ii", ints, 4), 0);
	assert_int_equal(h5_attr_write_doubles(f, "dd", dbl, 2), 0);
	hid_t g = h5_group_create(f, "g");
	assert_true(g >= 0);
	assert_int_equal(h5_attr_write_int(g, "count", 3), 0);
	assert_int_equal(h5_close(g), 0);
	assert_int_equal(h5_close(f), 0);

	f = h5_open(path, 0);
	assert_true(f >= 0);
	int64_t i;
	double d;
	char *s, **ss;
	size_t n;
	assert_int_equal(h5_attr_read_int(f, "i", &i), 0);
	assert_int_equal(i, 7);
	assert_int_equal(h5_attr_read_double(f, "d", &d), 0);
	assert_true(d == 1.5);
	assert_int_equal(h5_attr_read_double(f, "i", &d), 0); /* int reads as double */
	assert_true(d == 7.0);
	assert_int_equal(h5_attr_read_str(f, "s", &s), 0);
	assert_string_equal(s, "отзыв");
	free(s);
	assert_int_equal(h5_attr_read_strs(f, "ss", &ss, &n), 0);
	assert_int_equal(n, 3);
	assert_string_equal(ss[0], "негатив");
	assert_string_equal(ss[2], "");
	h5_strs_free(ss, n);
	assert_int_equal(h5_attr_read_strs(f, "empty", &ss, &n), 0);
	assert_int_equal(n, 0);
	h5_strs_free(ss, n);
	int64_t *iv;
	assert_int_equal(h5_attr_read_ints(f, "ii", &iv, &n), 0);
	assert_int_equal(n, 4);
	assert_memory_equal(iv, ints, sizeof(ints));
	free(iv);
	double *dv;
	assert_int_equal(h5_attr_read_doubles(f, "dd", &dv, &n), 0);
	assert_int_equal(n, 2);
	assert_true(dv[1] == -2.25);
	free(dv);
	assert_int_equal(h5_exists(f, "g"), 1);
	assert_int_equal(h5_exists(f, "g/nothing/deeper"), 0);
	assert_int_equal(h5_exists(f, "nothing/deeper"), 0);
	g = h5_group_open(f, "g");
	assert_true(g >= 0);
	assert_int_equal(h5_attr_read_int(g, "count", &i), 0);
	assert_int_equal(i, 3);
	h5_close(g);

	/* errors name the object and the attribute */
	capture_begin();
	int rc1 = h5_attr_read_int(f, "missing", &i);
	int rc2 = h5_attr_read_int(f, "s", &i);       /* a string */
	int rc3 = h5_attr_read_str(f, "ii", &s);      /* numbers */
	int rc4 = h5_attr_read_int(f, "ii", &i);      /* four values */
	hid_t g2 = h5_group_open(f, "nope");
	const char *err = capture_end();
	assert_int_equal(rc1, -1);
	assert_int_equal(rc2, -1);
	assert_int_equal(rc3, -1);
	assert_int_equal(rc4, -1);
	assert_true(g2 < 0);
	assert_non_null(strstr(err, "no attribute 'missing'"));
	assert_non_null(strstr(err, "attrs.h5"));
	assert_non_null(strstr(err, "no group 'nope'"));
	h5_close(f);
}

static void test_arrays_and_shapes(void **state)
{
	const char *path = test_path("arrays.h5");
	hid_t f = h5_create(path);
	assert_true(f >= 0);
	float w[2][3] = {{1, 2, 3}, {4, 5, 6}}, *r;
	hsize_t dims[2] = {2, 3};
	int64_t want23[2] = {2, 3}, bad[2] = {3, 2};
	assert_int_equal(h5_write_array(f, "fc.weight", H5T_IEEE_F32LE, H5T_NATIVE_FLOAT, 2, dims, w), 0);
	assert_int_equal(h5_read_array_alloc(f, "fc.weight", H5T_NATIVE_FLOAT, 2, want23, (void **)&r), 0);
	assert_memory_equal(w, r, sizeof(w));
	free(r);
	capture_begin();
	int rc = h5_read_array_alloc(f, "fc.weight", H5T_NATIVE_FLOAT, 2, bad, (void **)&r);
	int rc2 = h5_read_array_alloc(f, "fc.bias", H5T_NATIVE_FLOAT, 1, want23, (void **)&r);
	const char *err = capture_end();
	assert_int_equal(rc, -1);
	assert_int_equal(rc2, -1);
	assert_non_null(strstr(err, "shape (2, 3), expected (3, 2)"));
	assert_non_null(strstr(err, "no dataset 'fc.bias'"));

	/* chunked rows: write in pieces, read a slice back */
	hsize_t d2[2] = {10, 4}, ch[2] = {3, 4};
	int32_t fill = -1;
	struct h5_layout lay = {ch, 4, 1, 1, &fill};
	hid_t d = h5_dataset_create(f, "rows", H5T_STD_I32LE, 2, d2, &lay);
	assert_true(d >= 0);
	int32_t a[3][4], out[10][4];
	for (int i = 0; i < 3; i++)
		for (int j = 0; j < 4; j++)
			a[i][j] = 10 * i + j;
	assert_int_equal(h5_dataset_write_rows(d, H5T_NATIVE_INT32, 2, 3, a), 0);
	assert_int_equal(h5_dataset_read(d, H5T_NATIVE_INT32, out), 0);
	assert_int_equal(out[0][0], -1); /* fill value */
	assert_int_equal(out[3][2], 12);
	assert_int_equal(h5_dataset_read_rows(d, H5T_NATIVE_INT32, 4, 1, a), 0);
	assert_int_equal(a[0][3], 23);
	capture_begin();
	rc = h5_dataset_read_rows(d, H5T_NATIVE_INT32, 8, 3, out);
	err = capture_end();
	assert_int_equal(rc, -1);
	assert_non_null(strstr(err, "out of range"));
	int64_t want[2] = {10, -1};
	assert_int_equal(h5_dataset_check_shape(d, 2, want), 0);
	h5_close(d);
	h5_close(f);
}

static void test_errors_name_call_site(void **state)
{
	const char *path = test_path("not.h5");
	write_file(path, "this is not an HDF5 file, not at all......", 43);
	capture_begin();
	hid_t f = h5_open(path, 0);
	hid_t f2 = h5_open(test_path("missing.h5"), 0);
	herr_t rc = H5CALL(H5Dclose(12345));
	const char *err = capture_end();
	assert_true(f < 0 && f2 < 0 && rc < 0);
	/* HDF5's own stack printing is off: only our lines */
	assert_null(strstr(err, "HDF5-DIAG"));
	assert_non_null(strstr(err, "H5Fopen failed at common/h5util.c:"));
	assert_non_null(strstr(err, "not.h5"));
	assert_non_null(strstr(err, "missing.h5"));
	assert_non_null(strstr(err, "H5Dclose failed at tests/unit/test_h5util.c:"));
}

static long file_bytes(const char *path, char *buf, size_t cap)
{
	FILE *f = fopen(path, "rb");
	assert_non_null(f);
	long n = (long)fread(buf, 1, cap, f);
	fclose(f);
	return n;
}

static void write_small(const char *path)
{
	hid_t f = h5_create(path);
	assert_true(f >= 0);
	hid_t g = h5_group_create(f, "train");
	hsize_t dims[1] = {5}, ch[1] = {2};
	struct h5_layout lay = {ch, 4, 1, 1, NULL};
	hid_t d = h5_dataset_create(g, "x", H5T_STD_I32LE, 1, dims, &lay);
	int32_t v[5] = {1, 2, 3, 4, 5};
	assert_int_equal(h5_dataset_write(d, H5T_NATIVE_INT32, v), 0);
	assert_int_equal(h5_attr_write_str(f, "producer", "test"), 0);
	h5_close(d);
	h5_close(g);
	h5_close(f);
}

static void test_same_content_same_bytes(void **state)
{
	static char a[1 << 16], b[1 << 16];
	write_small(test_path("r1.h5"));
	sleep(1); /* timestamps, if any were stored, would now differ */
	write_small(test_path("r2.h5"));
	long na = file_bytes(test_path("r1.h5"), a, sizeof(a));
	long nb = file_bytes(test_path("r2.h5"), b, sizeof(b));
	assert_int_equal(na, nb);
	assert_memory_equal(a, b, na);
}

/* One dataset "d" of 6 int32 in a new file at path, created with dcpl
 * (H5P_DEFAULT: contiguous); rows: how many of its values to write (0:
 * none, declared only). */
static hid_t stored_case(const char *path, hid_t dcpl, int rows)
{
	hid_t f = H5Fcreate(path, H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
	assert_true(f >= 0);
	hsize_t dims[1] = {6}, n[1] = {(hsize_t)rows}, at[1] = {0};
	hid_t sp = H5Screate_simple(1, dims, NULL);
	hid_t d = H5Dcreate2(f, "d", H5T_STD_I32LE, sp, H5P_DEFAULT, dcpl, H5P_DEFAULT);
	assert_true(d >= 0);
	if (rows) {
		int32_t v[6] = {1, 2, 3, 4, 5, 6};
		hid_t mem = H5Screate_simple(1, n, NULL);
		assert_true(H5Sselect_hyperslab(sp, H5S_SELECT_SET, at, NULL, n, NULL) >= 0);
		assert_true(H5Dwrite(d, H5T_NATIVE_INT32, mem, sp, H5P_DEFAULT, v) >= 0);
		H5Sclose(mem);
	}
	H5Dclose(d);
	H5Sclose(sp);
	H5Fclose(f);
	f = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT);
	assert_true(f >= 0);
	return f;
}

/* 0, or the message h5_dataset_check_stored() gave for "d" in f. */
static const char *stored_msg(hid_t f)
{
	hid_t d = H5Dopen2(f, "d", H5P_DEFAULT);
	assert_true(d >= 0);
	capture_begin();
	int rc = h5_dataset_check_stored(d);
	const char *err = capture_end();
	H5Dclose(d);
	H5Fclose(f);
	assert_true(rc == 0 || rc == -1);
	assert_true((rc == 0) == (err[0] == 0));
	return rc ? err : NULL;
}

/* Every way HDF5 can hold a dataset's values: written in full (contiguous,
 * chunked, compressed chunks, compact) passes; declared only, written in
 * part, in an external file or virtual (mapped from another file) fails,
 * naming the file and the dataset. */
static void test_check_stored(void **state)
{
	char path[4096];
	snprintf(path, sizeof(path), "%s", test_path("stored.h5"));
	const char *partly = "/d: its values were never written in full";
	const char *elsewhere = "/d: its values are not stored in the file";
	hsize_t ch[1] = {2};
	hid_t chunked = H5Pcreate(H5P_DATASET_CREATE);
	assert_true(H5Pset_chunk(chunked, 1, ch) >= 0);
	hid_t deflated = H5Pcopy(chunked);
	assert_true(H5Pset_deflate(deflated, 9) >= 0);
	hid_t compact = H5Pcreate(H5P_DATASET_CREATE);
	assert_true(H5Pset_layout(compact, H5D_COMPACT) >= 0);
	hid_t early = H5Pcreate(H5P_DATASET_CREATE);
	assert_true(H5Pset_alloc_time(early, H5D_ALLOC_TIME_EARLY) >= 0);
	hid_t external = H5Pcreate(H5P_DATASET_CREATE);
	assert_true(H5Pset_external(external, "/dev/zero", 0, 24) >= 0);

	assert_null(stored_msg(stored_case(path, H5P_DEFAULT, 6)));
	assert_null(stored_msg(stored_case(path, chunked, 6)));
	assert_null(stored_msg(stored_case(path, deflated, 6)));
	assert_null(stored_msg(stored_case(path, compact, 6)));
	/* storage allocated when created holds fill values, but it is in the
	 * file at its full size: nothing is allocated past it */
	assert_null(stored_msg(stored_case(path, early, 0)));

	const char *err = stored_msg(stored_case(path, H5P_DEFAULT, 0));
	assert_non_null(err);
	assert_non_null(strstr(err, "stored.h5':/d"));
	assert_non_null(strstr(err, partly));
	assert_non_null(strstr(stored_msg(stored_case(path, chunked, 0)), partly));
	assert_non_null(strstr(stored_msg(stored_case(path, chunked, 3)), partly)); /* 2 of 3 chunks */
	assert_non_null(strstr(stored_msg(stored_case(path, deflated, 4)), partly));
	assert_null(stored_msg(stored_case(path, chunked, 5))); /* chunk 3 partly written */
	assert_non_null(strstr(stored_msg(stored_case(path, external, 0)), elsewhere));

	/* a virtual dataset mapping the values of another file */
	char src[4096];
	snprintf(src, sizeof(src), "%s", test_path("stored_src.h5"));
	H5Fclose(stored_case(src, H5P_DEFAULT, 6));
	hsize_t dims[1] = {6};
	hid_t sp = H5Screate_simple(1, dims, NULL);
	hid_t vds = H5Pcreate(H5P_DATASET_CREATE);
	assert_true(H5Pset_virtual(vds, sp, src, "/d", sp) >= 0);
	hid_t f = H5Fcreate(path, H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
	hid_t d = H5Dcreate2(f, "d", H5T_STD_I32LE, sp, H5P_DEFAULT, vds, H5P_DEFAULT);
	assert_true(d >= 0);
	H5Dclose(d);
	H5Fclose(f);
	assert_non_null(strstr(stored_msg(H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT)), elsewhere));

	/* no elements: nothing to hold */
	hsize_t zero[1] = {0};
	hid_t sp0 = H5Screate_simple(1, zero, NULL);
	f = H5Fcreate(path, H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
	d = H5Dcreate2(f, "d", H5T_STD_I32LE, sp0, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
	assert_true(d >= 0);
	H5Dclose(d);
	H5Fclose(f);
	assert_null(stored_msg(H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT)));

	H5Sclose(sp0);
	H5Sclose(sp);
	H5Pclose(vds);
	H5Pclose(chunked);
	H5Pclose(deflated);
	H5Pclose(compact);
	H5Pclose(early);
	H5Pclose(external);
}

/* h5_read_array_alloc: a dataset of the expected shape held in full is
 * read into a new buffer; a shape other than the attributes' or values
 * never written are refused before anything is allocated (*out NULL),
 * naming the file and dataset. */
static void test_read_array_alloc(void **state)
{
	(void)state;
	char path[4096];
	snprintf(path, sizeof(path), "%s", test_path("alloc.h5"));
	int64_t six[1] = {6}, seven[1] = {7}, huge[2] = {INT64_MAX / 2, 4}, none[1] = {0};
	int32_t *v = (int32_t *)1;
	hid_t f = stored_case(path, H5P_DEFAULT, 6);
	assert_int_equal(h5_read_array_alloc(f, "d", H5T_NATIVE_INT32, 1, six, (void **)&v), 0);
	for (int i = 0; i < 6; i++)
		assert_int_equal(v[i], i + 1);
	free(v);
	capture_begin();
	int rc_shape = h5_read_array_alloc(f, "d", H5T_NATIVE_INT32, 1, seven, (void **)&v);
	int32_t *v2 = (int32_t *)1;
	int rc_huge = h5_read_array_alloc(f, "d", H5T_NATIVE_INT32, 2, huge, (void **)&v2);
	const char *err = capture_end();
	assert_int_equal(rc_shape, -1);
	assert_null(v);
	assert_int_equal(rc_huge, -1);
	assert_null(v2);
	assert_non_null(strstr(err, "alloc.h5':/d: shape (6,), expected (7,)"));
	assert_non_null(strstr(err, "alloc.h5':/d: shape (6,), expected (4611686018427387903, 4)"));
	H5Fclose(f);

	f = stored_case(path, H5P_DEFAULT, 0); /* declared, never written */
	v = (int32_t *)1;
	capture_begin();
	int rc = h5_read_array_alloc(f, "d", H5T_NATIVE_INT32, 1, six, (void **)&v);
	err = capture_end();
	assert_int_equal(rc, -1);
	assert_null(v);
	assert_non_null(strstr(err, "alloc.h5':/d: its values were never written in full"));
	H5Fclose(f);

	/* no elements: a buffer of one element, nothing read */
	f = h5_create(path);
	hsize_t zero[1] = {0};
	assert_int_equal(h5_write_array(f, "e", H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, 1, zero, NULL), 0);
	double *e = NULL;
	assert_int_equal(h5_read_array_alloc(f, "e", H5T_NATIVE_DOUBLE, 1, none, (void **)&e), 0);
	assert_non_null(e);
	free(e);
	h5_close(f);
}

/* The file h5_create makes: the HDF5 superblock after a 512-byte user
 * block (the seal's room), the format pinned to HDF5 1.10 both ways. */
static void test_create_layout(void **state)
{
	const char *path = test_path("layout.h5");
	hid_t f = h5_create(path);
	assert_true(f >= 0);
	hid_t fapl = H5Fget_access_plist(f);
	H5F_libver_t lo, hi;
	assert_true(H5Pget_libver_bounds(fapl, &lo, &hi) >= 0);
	assert_int_equal(lo, H5F_LIBVER_V110);
	assert_int_equal(hi, H5F_LIBVER_V110);
	H5Pclose(fapl);
	assert_int_equal(h5_close(f), 0);
	char b[H5_SEAL_BYTES + 8];
	assert_int_equal(file_bytes(path, b, sizeof(b)), sizeof(b));
	assert_memory_equal(b + H5_SEAL_BYTES, "\x89HDF\r\n\x1a\n", 8);
	for (int i = 0; i < H5_SEAL_BYTES; i++)
		assert_int_equal(b[i], 0);
}

/* The readers' refusals: an attribute of the wrong kind or shape, a list
 * where one value is wanted, an absolute path; a missing file says so. */
static void test_attr_refusals(void **state)
{
	const char *path = test_path("refuse.h5");
	hid_t f = h5_create(path);
	assert_true(f >= 0);
	int64_t none[1] = {0};
	const char *strs[] = {"a", "b"};
	assert_int_equal(h5_attr_write_double(f, "half", 1.5), 0);
	assert_int_equal(h5_attr_write_ints(f, "none", none, 0), 0);
	assert_int_equal(h5_attr_write_strs(f, "two", strs, 2), 0);
	/* a 2-D attribute, and a fixed-length space-padded string */
	hsize_t d2[2] = {2, 2};
	int64_t m[4] = {1, 2, 3, 4};
	hid_t sp = H5Screate_simple(2, d2, NULL);
	hid_t a = H5Acreate2(f, "matrix", H5T_STD_I64LE, sp, H5P_DEFAULT, H5P_DEFAULT);
	assert_true(a >= 0 && H5Awrite(a, H5T_NATIVE_INT64, m) >= 0);
	H5Aclose(a);
	H5Sclose(sp);
	hid_t t = H5Tcopy(H5T_C_S1);
	H5Tset_size(t, 8);
	H5Tset_strpad(t, H5T_STR_SPACEPAD);
	sp = H5Screate(H5S_SCALAR);
	a = H5Acreate2(f, "fixed", t, sp, H5P_DEFAULT, H5P_DEFAULT);
	assert_true(a >= 0 && H5Awrite(a, t, "abc     ") >= 0);
	H5Aclose(a);
	H5Sclose(sp);
	H5Tclose(t);
	hid_t g = h5_group_create(f, "g");
	h5_close(g);

	int64_t i;
	char *s;
	assert_int_equal(h5_attr_read_str(f, "fixed", &s), 0);
	assert_string_equal(s, "abc");
	free(s);
	assert_int_equal(h5_exists(f, "/g"), 1);
	assert_int_equal(h5_exists(f, "/g/nothing"), 0);
	capture_begin();
	int rc1 = h5_attr_read_int(f, "half", &i);  /* a float is not an integer */
	int rc2 = h5_attr_read_int(f, "none", &i);  /* no value */
	int rc3 = h5_attr_read_str(f, "two", &s);   /* two strings */
	int64_t *iv;
	size_t n;
	int rc4 = h5_attr_read_ints(f, "matrix", &iv, &n); /* 2-D */
	hid_t f2 = h5_open(test_path("absent.h5"), 0);
	const char *err = capture_end();
	assert_int_equal(rc1, -1);
	assert_int_equal(rc2, -1);
	assert_int_equal(rc3, -1);
	assert_int_equal(rc4, -1);
	assert_true(f2 < 0);
	assert_non_null(strstr(err, "attribute 'half' is not a number or a list of numbers"));
	assert_non_null(strstr(err, "attribute 'none' has 0 values, expected one"));
	assert_non_null(strstr(err, "attribute 'two' has 2 strings, expected one"));
	assert_non_null(strstr(err, "attribute 'matrix' is not a number or a list of numbers"));
	assert_non_null(strstr(err, "absent.h5': No such file or directory"));
	h5_close(f);
}

/* Datasets: the filters a layout asks for are there, chunk bytes, the
 * one-chunk cache, ranks and shapes refused, rows past the end refused
 * (an overflowing row0 + n too), a last chunk only partly covered by the
 * data still required. */
static void test_dataset_layout_and_shapes(void **state)
{
	const char *path = test_path("dsets.h5");
	hid_t f = h5_create(path);
	assert_true(f >= 0);
	hsize_t dims[2] = {10, 4}, ch[2] = {3, 4};
	struct h5_layout lay = {ch, 4, 1, 1, NULL};
	hid_t d = h5_dataset_create(f, "rows", H5T_STD_I32LE, 2, dims, &lay);
	assert_true(d >= 0);
	int32_t v[40] = {0};
	assert_int_equal(h5_dataset_write(d, H5T_NATIVE_INT32, v), 0);
	hid_t dcpl = H5Dget_create_plist(d);
	unsigned flags;
	size_t nelm = 0;
	H5Z_filter_t ids[] = {H5Z_FILTER_SHUFFLE, H5Z_FILTER_DEFLATE, H5Z_FILTER_FLETCHER32};
	for (size_t k = 0; k < 3; k++) {
		nelm = 0;
		assert_true(H5Pget_filter_by_id2(dcpl, ids[k], &flags, &nelm, NULL, 0, NULL,
						 NULL) >= 0);
	}
	H5Pclose(dcpl);
	assert_int_equal(h5_dataset_chunk_bytes(d), 3 * 4 * 4);
	h5_close(d);
	assert_int_equal(h5_write_array(f, "flat", H5T_IEEE_F32LE, H5T_NATIVE_FLOAT, 1, dims,
					(float[10]){0}), 0);
	d = h5_dataset_open(f, "flat", H5_CACHE_DEFAULT);
	assert_int_equal(h5_dataset_chunk_bytes(d), 0);
	h5_close(d);
	h5_close(f);

	f = h5_open(path, 0);
	d = h5_dataset_open(f, "rows", H5_CACHE_ONE_CHUNK);
	assert_true(d >= 0);
	hid_t dapl = H5Dget_access_plist(d);
	size_t slots, bytes;
	double w0;
	assert_true(H5Pget_chunk_cache(dapl, &slots, &bytes, &w0) >= 0);
	assert_int_equal(bytes, 3 * 4 * 4);
	H5Pclose(dapl);
	int r;
	hsize_t got[2];
	int64_t want_ok[2] = {10, 4}, want_zero[2] = {10, 0}, want_1d[1] = {10};
	capture_begin();
	int rc1 = h5_dataset_shape(d, &r, got, 1);
	int rc2 = h5_dataset_check_shape(d, 2, want_zero);
	int rc3 = h5_dataset_check_shape(d, 1, want_1d);
	int rc4 = h5_dataset_read_rows(d, H5T_NATIVE_INT32, UINT64_MAX, 2, v);
	const char *err = capture_end();
	assert_int_equal(rc1, -1);
	assert_int_equal(rc2, -1);
	assert_int_equal(rc3, -1);
	assert_int_equal(rc4, -1);
	assert_non_null(strstr(err, "dataset of rank 2, expected at most 1"));
	assert_non_null(strstr(err, "shape (10, 4), expected (10, 0)"));
	assert_non_null(strstr(err, "shape (10, 4), expected (10,)"));
	assert_non_null(strstr(err, "out of range (10 rows)"));
	assert_int_equal(h5_dataset_check_shape(d, 2, want_ok), 0);
	h5_close(d);
	h5_close(f);

	/* 6 values in chunks of 4: two chunks, the second partly covered; 4
	 * values written fill only the first */
	char p2[4096];
	snprintf(p2, sizeof(p2), "%s", test_path("stored4.h5"));
	hsize_t c4[1] = {4};
	hid_t chunk4 = H5Pcreate(H5P_DATASET_CREATE);
	assert_true(H5Pset_chunk(chunk4, 1, c4) >= 0);
	assert_non_null(strstr(stored_msg(stored_case(p2, chunk4, 4)), "never written in full"));
	assert_null(stored_msg(stored_case(p2, chunk4, 6)));
	H5Pclose(chunk4);
}

/* h5_close passes a failing close on: a file opened with the "semi"
 * close degree cannot be closed while a group of it is open. */
static void test_close_failure(void **state)
{
	hid_t fapl = H5Pcreate(H5P_FILE_ACCESS);
	assert_true(H5Pset_fclose_degree(fapl, H5F_CLOSE_SEMI) >= 0);
	hid_t f = H5Fcreate(test_path("semi.h5"), H5F_ACC_TRUNC, H5P_DEFAULT, fapl);
	H5Pclose(fapl);
	assert_true(f >= 0);
	hid_t g = h5_group_create(f, "g");
	assert_true(g >= 0);
	capture_begin();
	int rc = h5_close(f);
	const char *err = capture_end();
	assert_int_equal(rc, -1);
	assert_non_null(strstr(err, "H5Fclose failed"));
	assert_int_equal(h5_close(g), 0);
	assert_int_equal(h5_close(f), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_attr_round_trip),
		cmocka_unit_test(test_arrays_and_shapes),
		cmocka_unit_test(test_errors_name_call_site),
		cmocka_unit_test(test_same_content_same_bytes),
		cmocka_unit_test(test_check_stored),
		cmocka_unit_test(test_read_array_alloc),
		cmocka_unit_test(test_create_layout),
		cmocka_unit_test(test_attr_refusals),
		cmocka_unit_test(test_dataset_layout_and_shapes),
		cmocka_unit_test(test_close_failure),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
