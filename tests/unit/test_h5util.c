/* test_h5util.c - checked HDF5 helpers: attribute round trips, shape
 * checks, error messages with call sites, reproducible bytes. */
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
	float w[2][3] = {{1, 2, 3}, {4, 5, 6}}, r[2][3];
	hsize_t dims[2] = {2, 3}, bad[2] = {3, 2};
	assert_int_equal(h5_write_array(f, "fc.weight", H5T_IEEE_F32LE, H5T_NATIVE_FLOAT, 2, dims, w), 0);
	assert_int_equal(h5_read_array(f, "fc.weight", H5T_NATIVE_FLOAT, 2, dims, r), 0);
	assert_memory_equal(w, r, sizeof(w));
	capture_begin();
	int rc = h5_read_array(f, "fc.weight", H5T_NATIVE_FLOAT, 2, bad, r);
	int rc2 = h5_read_array(f, "fc.bias", H5T_NATIVE_FLOAT, 1, dims, r);
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

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_attr_round_trip),
		cmocka_unit_test(test_arrays_and_shapes),
		cmocka_unit_test(test_errors_name_call_site),
		cmocka_unit_test(test_same_content_same_bytes),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
