/* test_fuzz_findings.c - regression tests for what fuzzing found in the
 * parsers of outside input (docs/reliability.md, findings table).  Each
 * test rebuilds the failing input by hand from a valid file, so it reads
 * as a description of the bug; the raw inputs are also replayed by
 * `make fuzz-regress` from tests/fuzz/corpus/<target>/regress-*. */
#include "testutil.h"

#include <sys/stat.h>

#include "capture.h"
#include "h5util.h"
#include "modelfile.h"
#include "tokfile.h"
#include "tokmeta_fixture.h"
#include "tsfile.h"
#include "vocab.h"

static void write_tok(const char *path)
{
	struct tokmeta m;
	test_tokmeta(&m, 0, 12, 8, 0);
	tokmeta_add_source(&m, "d.jsonl", 1);
	struct tokwriter *w = tokwriter_open(path, &m);
	assert_non_null(w);
	uint32_t ids[3] = {2, 5, 3};
	struct tokrec r = {.hash = 9, .label = -1, .n_full = 3, .n_ids = 3, .ids = ids,
			   .label_raw = "positive", .label_raw_len = 8, .text = "good",
			   .text_len = 4};
	assert_int_equal(tokwriter_add(w, &r), 0);
	assert_int_equal(tokwriter_commit(w), 0);
	tokmeta_free(&m);
}

static void set_u32(const char *path, long off, uint32_t v)
{
	FILE *f = fopen(path, "r+b");
	assert_non_null(f);
	unsigned char b[4] = {v & 255, (v >> 8) & 255, (v >> 16) & 255, v >> 24};
	assert_int_equal(fseek(f, off, SEEK_SET), 0);
	assert_int_equal(fwrite(b, 1, 4, f), 4);
	fclose(f);
}

/* fuzz_tokfile: the metadata length in the header was trusted: 0xffff00da
 * asked malloc for 4 GiB (out of memory under a limit), and 0xffffffff
 * wrapped mlen + 1 to 0, so fread wrote the file into a 0-byte buffer
 * (heap overflow).  Now a length past the end of the file is corruption. */
static void test_tokfile_meta_length(void **state)
{
	static const uint32_t lens[] = {0xffff00da, 0xffffffff, 0x7fffffff, 100000};
	for (size_t i = 0; i < sizeof(lens) / sizeof(lens[0]); i++) {
		char path[4096];
		snprintf(path, sizeof(path), "%s", test_path("meta.tok"));
		write_tok(path);
		set_u32(path, 12, lens[i]);
		capture_begin();
		struct tokreader *r = tokreader_open(path);
		const char *err = capture_end();
		assert_null(r);
		assert_non_null(strstr(err, "its length is past the end of the file"));
		assert_non_null(strstr(err, path));
	}
}

/* fuzz_vocab: a token with a NUL byte loaded, but vocab_token() returned
 * it cut at the NUL (and no text could ever match it).  Now refused. */
static void test_vocab_nul_in_token(void **state)
{
	static const char text[] = "[PAD]\n[UNK]\n[C\x7f\x01\0\0LS\n##a\n";
	char path[4096];
	snprintf(path, sizeof(path), "%s", test_path("nul-vocab.txt"));
	write_file(path, text, sizeof(text) - 1);
	capture_begin();
	struct vocab *v = vocab_load(path);
	const char *err = capture_end();
	assert_null(v);
	char want[4200];
	snprintf(want, sizeof(want), "%s:3: NUL byte at byte 5 of the token", path);
	assert_non_null(strstr(err, want));
}

/* Replaces dataset name of the open file f by one of type, rank and dims
 * declared but never written (external: its values in /dev/zero, an HDF5
 * external file, instead), as a faulty writer or a crafted file would. */
static void declare_only(hid_t f, const char *name, hid_t type, int rank, const hsize_t *dims,
			 int external)
{
	assert_true(H5Ldelete(f, name, H5P_DEFAULT) >= 0);
	hid_t dcpl = H5Pcreate(H5P_DATASET_CREATE);
	hsize_t bytes = H5Tget_size(type);
	for (int i = 0; i < rank; i++)
		bytes *= dims[i];
	if (external)
		assert_true(H5Pset_external(dcpl, "/dev/zero", 0, bytes) >= 0);
	hid_t sp = H5Screate_simple(rank, dims, NULL);
	hid_t d = H5Dcreate2(f, name, type, sp, H5P_DEFAULT, dcpl, H5P_DEFAULT);
	assert_true(d >= 0);
	H5Dclose(d);
	H5Sclose(sp);
	H5Pclose(dcpl);
}

/* A small RNN classifier (hidden 2) saved to path, then reopened with
 * hidden set to 65536 and each recurrent and output tensor replaced by
 * one of the shape that hidden gives, declared but never written
 * (external: stored in an external file instead, /dev/zero), and sealed
 * again as a faulty writer or a crafted file would be. */
static void write_hollow_model(const char *path, int external)
{
	struct model_meta m;
	memset(&m, 0, sizeof(m));
	m.cfg = (struct rnn_config){.cell = RNN_CELL_RNN, .task = RNN_TASK_CLASSIFY, .vocab = 9,
				    .embed = 3, .hidden = 2, .layers = 1, .outputs = 2,
				    .pool = RNN_POOL_MEAN};
	m.labels[m.n_labels++] = strdup("negative");
	m.labels[m.n_labels++] = strdup("positive");
	m.vocab_size = 9;
	m.unk_id = 1, m.cls_id = 2, m.sep_id = 3;
	m.max_len = 8;
	struct rnn_layout l;
	assert_int_equal(rnn_layout_build(&m.cfg, &l), 0);
	float *p = rnn_alloc_floats(l.total);
	assert_int_equal(modelfile_save(path, &m, p), 0);
	free(p);
	model_meta_free(&m);

	hid_t f = H5Fopen(path, H5F_ACC_RDWR, H5P_DEFAULT);
	assert_true(f >= 0);
	assert_int_equal(h5_attr_write_int(f, "hidden", 65536), 0);
	static const struct {
		const char *name;
		int rank;
		hsize_t dims[2];
	} t[] = {{"rnn.weight_ih_l0", 2, {65536, 3}}, {"rnn.weight_hh_l0", 2, {65536, 65536}},
		 {"rnn.bias_ih_l0", 1, {65536}}, {"rnn.bias_hh_l0", 1, {65536}},
		 {"fc.weight", 2, {2, 65536}}};
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++)
		declare_only(f, t[i].name, H5T_IEEE_F32LE, t[i].rank, t[i].dims, external);
	assert_true(H5Fclose(f) >= 0);
	assert_int_equal(h5_seal(path), 0);
}

/* fuzz_model: a model file of 12 kB whose attributes say hidden 65536
 * and whose tensors have the shapes that gives, declared but never
 * written (HDF5 reads such a dataset back as zeros), passed every check
 * (the shapes agree with the attributes): modelfile_load allocated and
 * zeroed 16 GiB for them (libFuzzer: out-of-memory, malloc(17181704384)).
 * Tensors stored outside the file (HDF5 external storage) are the same
 * case.  Now a tensor must be stored in full, in the file. */
static void test_model_hollow_tensors(void **state)
{
	for (int external = 0; external < 2; external++) {
		char path[4096];
		snprintf(path, sizeof(path), "%s", test_path("hollow.h5"));
		write_hollow_model(path, external);
		struct stat st;
		assert_int_equal(stat(path, &st), 0);
		assert_true(st.st_size < 100000);
		struct model_meta m;
		capture_begin();
		float *p = modelfile_load(path, &m);
		const char *err = capture_end();
		assert_null(p);
		assert_non_null(strstr(err, path));
		assert_non_null(strstr(err, external ? "/rnn.weight_ih_l0: its values are not stored in the file"
						     : "/rnn.weight_ih_l0: its values were never written in full"));
		unlink(path);
	}
}

/* A small time-series dataset saved to path, then reopened with
 * series_length and split_bounds saying 2^31 values and series/values
 * replaced by a dataset of that shape declared but never written
 * (external: stored in /dev/zero instead), sealed again. */
static void write_hollow_series(const char *path, int external)
{
	struct tsdata d;
	memset(&d, 0, sizeof(d));
	struct ts_synth p = {.n = 30, .waves = 1, .period = {6}, .amp = {1}, .level = 5,
			     .noise = 0.1, .seed = 1};
	assert_int_equal(tseries_synthetic(&p, &d.series), 0);
	assert_int_equal(tsdata_prepare(&d, 3, 1, 0, 0.6, 0.2), 0);
	assert_int_equal(tsfile_write(path, &d, NULL), 0);
	tsdata_free(&d);

	const int64_t n = (int64_t)1 << 31, bounds[4] = {0, n / 2, n / 4 * 3, n};
	hid_t f = H5Fopen(path, H5F_ACC_RDWR, H5P_DEFAULT);
	assert_true(f >= 0);
	assert_int_equal(h5_attr_write_int(f, "series_length", n), 0);
	assert_int_equal(h5_attr_write_ints(f, "split_bounds", bounds, 4), 0);
	hsize_t dims[1] = {(hsize_t)n};
	declare_only(f, TS_DS_VALUES, H5T_IEEE_F64LE, 1, dims, external);
	assert_true(H5Fclose(f) >= 0);
	assert_int_equal(h5_seal(path), 0);
}

/* fuzz_tsfile: a time-series dataset of 20 kB whose attributes say 2^31
 * values, over a series/values dataset of that shape declared but never
 * written (or stored in an external file), made tsdata_read allocate
 * 16 GiB before it compared the stored shape (libFuzzer: out-of-memory,
 * malloc(17179869184)); the time labels, each split's index, inputs and
 * targets were read the same way.  Now every dataset's shape and storage
 * are checked before anything is allocated from the attributes. */
static void test_tsfile_hollow_series(void **state)
{
	for (int external = 0; external < 2; external++) {
		char path[4096];
		snprintf(path, sizeof(path), "%s", test_path("hollow-ts.h5"));
		write_hollow_series(path, external);
		struct tsdata d;
		capture_begin();
		int rc = tsdata_read(path, &d);
		const char *err = capture_end();
		assert_int_equal(rc, -1);
		assert_non_null(strstr(err, path));
		assert_non_null(strstr(err, external ? "/series/values: its values are not stored "
						       "in the file"
						     : "/series/values: its values were never written"));
		assert_non_null(strstr(err, "cannot read the series"));
		unlink(path);
	}
	/* a split's inputs, chunked (as ts-prepare writes them) and never
	 * written: the split is refused before its buffer is allocated */
	char path[4096];
	snprintf(path, sizeof(path), "%s", test_path("hollow-split.h5"));
	struct tsdata d;
	memset(&d, 0, sizeof(d));
	struct ts_synth p = {.n = 30, .waves = 1, .period = {6}, .amp = {1}, .level = 5,
			     .noise = 0.1, .seed = 1};
	assert_int_equal(tseries_synthetic(&p, &d.series), 0);
	assert_int_equal(tsdata_prepare(&d, 3, 1, 0, 0.6, 0.2), 0);
	assert_int_equal(tsfile_write(path, &d, NULL), 0);
	hsize_t dims[3] = {d.count[TS_TRAIN], 3, 1}, chunk[3] = {4, 3, 1};
	tsdata_free(&d);
	hid_t f = H5Fopen(path, H5F_ACC_RDWR, H5P_DEFAULT);
	assert_true(f >= 0);
	assert_true(H5Ldelete(f, "train/inputs", H5P_DEFAULT) >= 0);
	hid_t dcpl = H5Pcreate(H5P_DATASET_CREATE);
	assert_true(H5Pset_chunk(dcpl, 3, chunk) >= 0);
	hid_t sp = H5Screate_simple(3, dims, NULL);
	hid_t ds = H5Dcreate2(f, "train/inputs", H5T_IEEE_F32LE, sp, H5P_DEFAULT, dcpl, H5P_DEFAULT);
	assert_true(ds >= 0);
	H5Dclose(ds);
	H5Sclose(sp);
	H5Pclose(dcpl);
	assert_true(H5Fclose(f) >= 0);
	assert_int_equal(h5_seal(path), 0);
	assert_int_equal(tsdata_read(path, &d), 0);
	float *in = NULL, *tg = NULL;
	size_t n = 0;
	capture_begin();
	int rc = tsfile_read_split(path, &d, TS_TRAIN, &in, &tg, &n);
	const char *err = capture_end();
	assert_int_equal(rc, -1);
	assert_non_null(strstr(err, "/train/inputs: its values were never written in full"));
	assert_int_equal(tsfile_read_split(path, &d, TS_TEST, &in, &tg, &n), 0);
	free(in);
	free(tg);
	tsdata_free(&d);
	unlink(path);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_tokfile_meta_length),
		cmocka_unit_test(test_vocab_nul_in_token),
		cmocka_unit_test(test_model_hollow_tensors),
		cmocka_unit_test(test_tsfile_hollow_series),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
