/* test_batches.c - pack-hdf5's writer (dsfile) and the streaming batch
 * reader: every row once per epoch with the right content, seeded order,
 * the last partial batch, trimming, bucketing, and rejection of corrupted,
 * truncated, foreign and mismatched files with a message that says how to
 * rebuild.  Data: small synthetic token files (toksynth). */
#include "testutil.h"

#include <sys/stat.h>

#include "batches.h"
#include "capture.h"
#include "dsfile.h"
#include "h5util.h"
#include "tokfile.h"
#include "tokmeta_fixture.h"
#include "toksynth.h"

#define N_TRAIN 1000
#define N_VAL 77
#define T 64
#define CHUNK 64

/* The train split as written to the token file, for checking content. */
static struct {
	int32_t ids[N_TRAIN][T], len[N_TRAIN], label[N_TRAIN];
	uint64_t hash[N_TRAIN];
} ref;

static const char *plain_h5, *bucket_h5;

static void make_tok(const char *path, int split, uint64_t count, uint64_t seed)
{
	struct toksynth_opts o = TOKSYNTH_OPTS_DEFAULT;
	o.seed = seed;
	o.count = count;
	o.split = split;
	o.max_len = T;
	o.len_mu = 3.5; /* median 33 ids: about a fifth reach max_len */
	o.len_sigma = 0.6;
	assert_int_equal(toksynth_write(path, &o), 0);
}

/* Packs the token files paths[0..n) (named <split>.tok) into out. */
static int pack(const char *out, const char **paths, int n, struct dswriter_opts *o)
{
	struct tokreader *r0 = tokreader_open(paths[0]);
	assert_non_null(r0);
	struct dswriter *w = dswriter_open(out, tokreader_meta(r0), 0, o);
	tokreader_close(r0);
	if (!w)
		return -1;
	for (int i = 0; i < n; i++) {
		const char *base = strrchr(paths[i], '/') + 1;
		char split[32];
		snprintf(split, sizeof(split), "%.*s", (int)(strchr(base, '.') - base), base);
		struct tokreader *r = tokreader_open(paths[i]);
		assert_non_null(r);
		int rc = dswriter_add_split(w, split, r, paths[i]);
		tokreader_close(r);
		if (rc) {
			dswriter_abort(w);
			return -1;
		}
	}
	return dswriter_commit(w);
}

static char *copy_file(const char *from, const char *name)
{
	char *to = test_path_kept(name);
	FILE *a = fopen(from, "rb"), *b = fopen(to, "wb");
	assert_true(a && b);
	char buf[65536];
	size_t n;
	while ((n = fread(buf, 1, sizeof(buf), a)) > 0)
		assert_int_equal(fwrite(buf, 1, n, b), n);
	fclose(a);
	fclose(b);
	return to;
}

static int setup(void **state)
{
	const char *toks[3] = {test_path_kept("train.tok"), test_path_kept("validation.tok"),
			       test_path_kept("test.tok")};
	make_tok(toks[0], SPLIT_TRAIN, N_TRAIN, 1);
	make_tok(toks[1], SPLIT_VALIDATION, N_VAL, 1);
	make_tok(toks[2], SPLIT_TEST, 0, 1); /* an empty split packs and reads */
	struct dswriter_opts o = DSWRITER_OPTS_DEFAULT;
	o.chunk_rows = CHUNK;
	plain_h5 = test_path_kept("plain.h5");
	assert_int_equal(pack(plain_h5, toks, 3, &o), 0);
	o.bucket_window = 4 * CHUNK;
	bucket_h5 = test_path_kept("bucket.h5");
	assert_int_equal(pack(bucket_h5, toks, 2, &o), 0);

	struct tokreader *r = tokreader_open(toks[0]);
	struct tokrec rec;
	for (int i = 0; i < N_TRAIN; i++) {
		assert_int_equal(tokreader_next(r, &rec), 1);
		for (uint32_t t = 0; t < T; t++)
			ref.ids[i][t] = t < rec.n_ids ? (int32_t)rec.ids[t] : TOKSYNTH_PAD;
		ref.len[i] = (int32_t)rec.n_ids;
		ref.label[i] = rec.label;
		ref.hash[i] = rec.hash;
	}
	tokreader_close(r);
	return 0;
}

static int ref_index(uint64_t hash)
{
	for (int i = 0; i < N_TRAIN; i++)
		if (ref.hash[i] == hash)
			return i;
	return -1;
}

static struct batches *open_cfg(const char *path, int shuffle, uint64_t seed, int prefetch)
{
	struct batches_config c;
	batches_config_init(&c);
	c.shuffle = shuffle;
	c.seed = seed;
	c.prefetch = prefetch;
	c.shuffle_rows = 256;
	return batches_open(path, &c);
}

/* Reads one epoch; checks each row against the token file; returns the row
 * numbers in delivery order (rows[]) and the batch sizes (sizes[]). */
static int read_epoch(struct batches *b, uint64_t epoch, uint64_t *rows, uint32_t *sizes,
		      int by_hash)
{
	const struct batch *bt;
	int nb = 0, rc;
	size_t k = 0;
	assert_int_equal(batches_start_epoch(b, epoch), 0);
	while ((rc = batches_next(b, &bt)) == 1) {
		assert_int_equal(bt->index, (uint64_t)nb);
		assert_int_equal(bt->epoch, epoch);
		uint32_t tmax = 0;
		for (uint32_t i = 0; i < bt->n; i++) {
			int r = by_hash ? ref_index(bt->hashes[i]) : (int)bt->rows[i];
			assert_true(r >= 0 && r < N_TRAIN);
			assert_int_equal(bt->hashes[i], ref.hash[r]);
			assert_int_equal(bt->lengths[i], ref.len[r]);
			assert_int_equal(bt->labels[i], ref.label[r]);
			assert_memory_equal(bt->ids + (size_t)i * bt->t, ref.ids[r], bt->t * 4);
			if ((uint32_t)bt->lengths[i] > tmax)
				tmax = (uint32_t)bt->lengths[i];
			rows[k++] = by_hash ? (uint64_t)r : bt->rows[i];
		}
		assert_int_equal(bt->t, tmax); /* trimmed to the longest row */
		sizes[nb++] = bt->n;
	}
	assert_int_equal(rc, 0);
	assert_int_equal(batches_next(b, &bt), 0); /* stays over */
	return nb;
}

static void assert_permutation(const uint64_t *rows, size_t n)
{
	static unsigned char seen[N_TRAIN];
	memset(seen, 0, sizeof(seen));
	for (size_t i = 0; i < n; i++) {
		assert_true(rows[i] < N_TRAIN);
		assert_int_equal(seen[rows[i]], 0);
		seen[rows[i]] = 1;
	}
	assert_int_equal(n, N_TRAIN);
}

static uint64_t rows_a[N_TRAIN], rows_b[N_TRAIN];
static uint32_t sizes[N_TRAIN];

static void test_every_row_once_and_last_partial(void **state)
{
	struct batches *b = open_cfg(plain_h5, 1, 7, 2);
	assert_non_null(b);
	assert_int_equal(batches_rows(b), N_TRAIN);
	assert_int_equal(batches_per_epoch(b), (N_TRAIN + 31) / 32);
	const struct dsinfo *info = batches_info(b);
	assert_int_equal(info->meta.max_len, T);
	assert_int_equal(info->meta.n_labels, 2);
	assert_string_equal(info->meta.labels[1], "positive");
	assert_int_equal(info->counts[SPLIT_VALIDATION], N_VAL);
	for (uint64_t e = 0; e < 3; e++) {
		int nb = read_epoch(b, e, rows_a, sizes, 0);
		assert_int_equal(nb, (N_TRAIN + 31) / 32);
		for (int i = 0; i < nb - 1; i++)
			assert_int_equal(sizes[i], 32);
		assert_int_equal(sizes[nb - 1], N_TRAIN % 32); /* the partial one, last */
		assert_permutation(rows_a, N_TRAIN);
	}
	batches_close(b);
}

/* Batch sizes that leave rows over in each pool (carried to the next),
 * and batches larger than a pool: every row once, sizes B but the last. */
static void test_odd_batch_sizes(void **state)
{
	static const uint32_t sizes_b[] = {1, 7, 24, 300, 999, 1000, 1500};
	for (size_t k = 0; k < sizeof(sizes_b) / sizeof(sizes_b[0]); k++) {
		for (int mode = 0; mode < 4; mode++) {
			uint32_t B = sizes_b[k];
			struct batches_config c;
			batches_config_init(&c);
			c.batch_size = B;
			c.shuffle = mode != 1;
			c.bucket = mode == 2;
			c.prefetch = mode == 3 ? 0 : 3;
			c.shuffle_rows = 256;
			c.seed = 11;
			struct batches *b = batches_open(plain_h5, &c);
			assert_non_null(b);
			int nb = read_epoch(b, 2, rows_a, sizes, 0);
			assert_int_equal(nb, (N_TRAIN + B - 1) / B);
			for (int i = 0; i < nb - 1; i++)
				assert_int_equal(sizes[i], B);
			assert_int_equal(sizes[nb - 1], N_TRAIN - (uint32_t)(nb - 1) * B);
			assert_permutation(rows_a, N_TRAIN);
			if (mode == 1)
				for (int i = 0; i < N_TRAIN; i++)
					assert_int_equal(rows_a[i], i);
			if (mode == 3) { /* no thread: the same order as with one */
				c.prefetch = 3;
				struct batches *t = batches_open(plain_h5, &c);
				read_epoch(t, 2, rows_b, sizes, 0);
				assert_memory_equal(rows_a, rows_b, sizeof(rows_a));
				batches_close(t);
			}
			batches_close(b);
		}
	}
}

static void test_drop_last(void **state)
{
	struct batches_config c;
	batches_config_init(&c);
	c.drop_last = 1;
	struct batches *b = batches_open(plain_h5, &c);
	assert_non_null(b);
	assert_int_equal(batches_per_epoch(b), N_TRAIN / 32);
	const struct batch *bt;
	int n = 0, rc;
	assert_int_equal(batches_start_epoch(b, 0), 0);
	while ((rc = batches_next(b, &bt)) == 1) {
		assert_int_equal(bt->n, 32);
		n++;
	}
	assert_int_equal(rc, 0);
	assert_int_equal(n, N_TRAIN / 32);
	batches_close(b);
}

static void test_seeded_order(void **state)
{
	struct batches *a = open_cfg(plain_h5, 1, 7, 2);
	struct batches *s = open_cfg(plain_h5, 1, 7, 0); /* no thread: same order */
	struct batches *o = open_cfg(plain_h5, 1, 8, 2);
	assert_true(a && s && o);
	read_epoch(a, 0, rows_a, sizes, 0);
	read_epoch(s, 0, rows_b, sizes, 0);
	assert_memory_equal(rows_a, rows_b, sizeof(rows_a));
	read_epoch(o, 0, rows_b, sizes, 0); /* another seed */
	assert_permutation(rows_b, N_TRAIN);
	assert_memory_not_equal(rows_a, rows_b, sizeof(rows_a));
	read_epoch(a, 1, rows_b, sizes, 0); /* another epoch */
	assert_memory_not_equal(rows_a, rows_b, sizeof(rows_a));
	read_epoch(a, 0, rows_b, sizes, 0); /* epoch 0 again: replayed exactly */
	assert_memory_equal(rows_a, rows_b, sizeof(rows_a));
	/* shuffled across chunks: the first batch is not from one chunk */
	int spread = 0;
	for (int i = 1; i < 32; i++)
		spread |= rows_a[i] / CHUNK != rows_a[0] / CHUNK;
	assert_true(spread);
	batches_close(a);
	batches_close(s);
	batches_close(o);
}

static void test_restart_mid_epoch(void **state)
{
	struct batches *a = open_cfg(plain_h5, 1, 3, 2);
	assert_non_null(a);
	const struct batch *bt;
	assert_int_equal(batches_start_epoch(a, 5), 0);
	for (int i = 0; i < 4; i++)
		assert_int_equal(batches_next(a, &bt), 1);
	read_epoch(a, 5, rows_a, sizes, 0); /* restart: the full epoch again */
	assert_permutation(rows_a, N_TRAIN);
	batches_close(a);
}

static void test_sequential_is_file_order(void **state)
{
	for (int prefetch = 0; prefetch <= 2; prefetch += 2) {
		struct batches *b = open_cfg(plain_h5, 0, 1, prefetch);
		assert_non_null(b);
		int nb = read_epoch(b, 0, rows_a, sizes, 0);
		assert_int_equal(nb, (N_TRAIN + 31) / 32);
		for (int i = 0; i < N_TRAIN; i++)
			assert_int_equal(rows_a[i], i);
		batches_close(b);
	}
}

static void test_no_trim_and_other_split(void **state)
{
	struct batches_config c;
	batches_config_init(&c);
	c.trim = 0;
	c.split = "validation";
	c.batch_size = 10;
	struct batches *b = batches_open(plain_h5, &c);
	assert_non_null(b);
	assert_int_equal(batches_rows(b), N_VAL);
	const struct batch *bt;
	int n = 0, rows = 0, rc;
	assert_int_equal(batches_start_epoch(b, 0), 0);
	while ((rc = batches_next(b, &bt)) == 1) {
		assert_int_equal(bt->t, T);
		for (uint32_t i = 0; i < bt->n; i++)
			for (uint32_t t = (uint32_t)bt->lengths[i]; t < T; t++)
				assert_int_equal(bt->ids[i * T + t], TOKSYNTH_PAD);
		n++;
		rows += bt->n;
	}
	assert_int_equal(rc, 0);
	assert_int_equal(n, 8);
	assert_int_equal(rows, N_VAL);
	batches_close(b);

	c.split = "test"; /* empty: zero batches, no error */
	b = batches_open(plain_h5, &c);
	assert_non_null(b);
	assert_int_equal(batches_start_epoch(b, 0), 0);
	assert_int_equal(batches_next(b, &bt), 0);
	batches_close(b);
}

static double padding(const char *path, int bucket)
{
	struct batches_config c;
	batches_config_init(&c);
	c.bucket = bucket;
	c.shuffle_rows = 512;
	struct batches *b = batches_open(path, &c);
	assert_non_null(b);
	const struct batch *bt;
	double cells = 0, real = 0;
	size_t k = 0;
	assert_int_equal(batches_start_epoch(b, 0), 0);
	while (batches_next(b, &bt) == 1) {
		cells += (double)bt->n * bt->t;
		for (uint32_t i = 0; i < bt->n; i++) {
			real += bt->lengths[i];
			rows_a[k++] = (uint64_t)ref_index(bt->hashes[i]);
		}
	}
	assert_permutation(rows_a, k);
	batches_close(b);
	return 1 - real / cells;
}

static void test_bucketing(void **state)
{
	/* the bucketed file: rows sorted by length within windows of 4 chunks */
	hid_t f = h5_open(bucket_h5, 0);
	int32_t len[N_TRAIN];
	hid_t d = h5_dataset_open(f, "train/lengths", 0);
	assert_int_equal(h5_dataset_read(d, H5T_NATIVE_INT32, len), 0);
	h5_close(d);
	h5_close(f);
	for (int i = 1; i < N_TRAIN; i++)
		if (i % (4 * CHUNK))
			assert_true(len[i - 1] <= len[i]);
	/* every row still once, with its own content */
	struct batches *b = open_cfg(bucket_h5, 1, 7, 2);
	assert_non_null(b);
	read_epoch(b, 0, rows_a, sizes, 1);
	assert_permutation(rows_a, N_TRAIN);
	batches_close(b);
	double plain = padding(plain_h5, 0), pooled = padding(plain_h5, 1),
	       file = padding(bucket_h5, -1);
	print_message("padding: plain %.3f, bucketed pools %.3f, bucketed file %.3f\n", plain,
		      pooled, file);
	assert_true(pooled < plain / 2);
	assert_true(file < plain / 2);
}

/* Row numbers (in the file's split) of one epoch, in delivery order, with
 * each batch's width t; no content check (for files in another order than
 * the token file).  Returns the batch count. */
static int epoch_rows(struct batches *b, uint64_t epoch, uint64_t *rows, uint32_t *widths)
{
	const struct batch *bt;
	int nb = 0, rc;
	size_t k = 0;
	assert_int_equal(batches_start_epoch(b, epoch), 0);
	while ((rc = batches_next(b, &bt)) == 1) {
		for (uint32_t i = 0; i < bt->n; i++)
			rows[k++] = bt->rows[i];
		widths[nb++] = bt->t;
	}
	assert_int_equal(rc, 0);
	assert_permutation(rows, k);
	return nb;
}

/* How the shuffle mixes (batches.h): chunks are permuted, pools hold
 * shuffle_rows rounded up to whole chunks, bucketed batches leave a pool
 * in permuted order; reading without shuffle keeps file order even where
 * bucketing would be on by default.  (Seeded: a correct reader fails an
 * expectation below only for unlucky seeds, e.g. the first with a chance
 * of 1 in 1820, drawing chunks 0..3 first of 16; these seeds do not.) */
static void test_shuffle_mixes(void **state)
{
	static uint32_t w[N_TRAIN];
	/* chunk order permuted: the first pool (4 chunks of 64 rows) is not
	 * chunks 0..3, so the first batch has rows beyond row 255 */
	struct batches *b = open_cfg(plain_h5, 1, 7, 2);
	assert_non_null(b);
	epoch_rows(b, 0, rows_a, w);
	int beyond = 0;
	for (int i = 0; i < 32; i++)
		beyond |= rows_a[i] >= 4 * CHUNK;
	assert_true(beyond);
	batches_close(b);

	/* shuffle_rows 65 is rounded up to 2 chunks: the order of 128 */
	struct batches_config c;
	batches_config_init(&c);
	c.seed = 5;
	c.shuffle_rows = 65;
	b = batches_open(plain_h5, &c);
	assert_non_null(b);
	epoch_rows(b, 0, rows_a, w);
	batches_close(b);
	c.shuffle_rows = 128;
	b = batches_open(plain_h5, &c);
	assert_non_null(b);
	epoch_rows(b, 0, rows_b, w);
	batches_close(b);
	assert_memory_equal(rows_a, rows_b, sizeof(rows_a));

	/* bucketed (the packed file's windows turn it on): the 8 batches of
	 * the first pool (256 rows, sorted by length) leave in permuted order,
	 * not shortest first: their widths are not ascending */
	batches_config_init(&c);
	c.seed = 7;
	c.shuffle_rows = 4 * CHUNK;
	b = batches_open(bucket_h5, &c);
	assert_non_null(b);
	epoch_rows(b, 0, rows_a, w);
	int ascending = 1;
	for (int i = 1; i < 8; i++)
		ascending &= w[i - 1] <= w[i];
	assert_false(ascending);
	batches_close(b);

	/* no shuffle: file order, also for the bucketed file (bucketing
	 * "auto" is on only when shuffling), with a pool of the whole file */
	batches_config_init(&c);
	c.shuffle = 0;
	c.shuffle_rows = N_TRAIN;
	b = batches_open(bucket_h5, &c);
	assert_non_null(b);
	epoch_rows(b, 0, rows_a, w);
	for (int i = 0; i < N_TRAIN; i++)
		assert_int_equal(rows_a[i], i);
	batches_close(b);
}

/* ---- files the reader must refuse ---- */

static void expect_refused(const char *path, struct batches_config *c, const char *what)
{
	capture_begin();
	struct batches *b = batches_open(path, c);
	const char *err = capture_end();
	assert_null(b);
	assert_non_null(strstr(err, path));
	assert_non_null(strstr(err, "re-run 'make "));
	if (what)
		assert_non_null(strstr(err, what));
}

/* Reads every epoch batch; expects an error naming the file, the split
 * and how to rebuild. */
static void expect_read_error(const char *path, int shuffle)
{
	struct batches *b = open_cfg(path, shuffle, 1, 2);
	assert_non_null(b);
	const struct batch *bt;
	int rc;
	capture_begin();
	assert_int_equal(batches_start_epoch(b, 0), 0);
	while ((rc = batches_next(b, &bt)) == 1)
		;
	const char *err = capture_end();
	assert_int_equal(rc, -1);
	assert_non_null(strstr(err, path));
	assert_non_null(strstr(err, "split 'train'"));
	assert_non_null(strstr(err, "re-run 'make "));
	batches_close(b);
}

static void flip_bytes(const char *path, long off, int n)
{
	FILE *f = fopen(path, "r+b");
	assert_non_null(f);
	for (int i = 0; i < n; i++) {
		assert_int_equal(fseek(f, off + i, SEEK_SET), 0);
		int c = fgetc(f);
		assert_int_equal(fseek(f, off + i, SEEK_SET), 0);
		fputc(c ^ 0x5a, f);
	}
	fclose(f);
}

/* File offset and size of chunk k of dataset name. */
static void chunk_place(const char *path, const char *name, hsize_t k, long *off, long *size)
{
	hid_t f = h5_open(path, 0);
	hid_t d = h5_dataset_open(f, name, 0);
	hsize_t coord[2];
	unsigned mask;
	haddr_t addr;
	hsize_t sz;
	hid_t space = H5Dget_space(d);
	assert_true(H5Dget_chunk_info(d, space, k, coord, &mask, &addr, &sz) >= 0);
	H5Sclose(space);
	*off = (long)addr;
	*size = (long)sz;
	h5_close(d);
	h5_close(f);
}

/* A flipped byte is refused by the integrity seal (h5util.h) before HDF5
 * reads anything; sealed again (as a faulty writer would leave it), the
 * chunk checksums and the row checks still catch it while reading. */
static void flipped_twice(const char *p)
{
	struct batches_config c;
	batches_config_init(&c);
	expect_refused(p, &c, "failed its integrity check");
	assert_int_equal(h5_seal(p), 0);
}

static void test_flipped_bytes_in_data(void **state)
{
	long off, size;
	const char *p = (copy_file(plain_h5, "flip-ids.h5"));
	chunk_place(p, "train/ids", 5, &off, &size);
	flip_bytes(p, off + size / 2, 2);
	flipped_twice(p);
	expect_read_error(p, 1);
	expect_read_error(p, 0);
	p = (copy_file(plain_h5, "flip-len.h5"));
	chunk_place(p, "train/lengths", 9, &off, &size);
	flip_bytes(p, off + size / 3, 1);
	flipped_twice(p);
	expect_read_error(p, 1);
	p = (copy_file(plain_h5, "flip-hash.h5")); /* hashes: stored raw, checksummed */
	chunk_place(p, "train/hashes", 2, &off, &size);
	flip_bytes(p, off + 5, 1);
	flipped_twice(p);
	expect_read_error(p, 0);
}

static void test_flipped_bytes_in_metadata(void **state)
{
	/* the superblock and object headers carry checksums (1.10 format) */
	const char *p = copy_file(plain_h5, "flip-super.h5");
	flip_bytes(p, H5_SEAL_BYTES + 20, 1);
	flipped_twice(p);
	struct batches_config c;
	batches_config_init(&c);
	expect_refused(p, &c, NULL);
	p = copy_file(plain_h5, "flip-seal.h5"); /* the seal line itself */
	flip_bytes(p, 30, 1);
	expect_refused(p, &c, "integrity");
}

static void test_truncated(void **state)
{
	const char *p = copy_file(plain_h5, "trunc.h5");
	struct stat st;
	assert_int_equal(stat(p, &st), 0);
	assert_int_equal(truncate(p, st.st_size * 2 / 3), 0);
	struct batches_config c;
	batches_config_init(&c);
	expect_refused(p, &c, "truncated");
	assert_int_equal(truncate(p, 100), 0);
	expect_refused(p, &c, NULL);
}

static void test_foreign_and_mismatched(void **state)
{
	struct batches_config c;
	batches_config_init(&c);
	const char *p = test_path_kept("foreign.h5");
	write_file(p, "not hdf5 at all", 15);
	expect_refused(p, &c, "no integrity seal");
	expect_refused(test_path_kept("absent.h5"), &c, "No such file");

	p = test_path_kept("other.h5"); /* HDF5, but not ours */
	hid_t f = h5_create(p);
	h5_close(f);
	expect_refused(p, &c, "no integrity seal");
	assert_int_equal(h5_seal(p), 0);
	expect_refused(p, &c, "not an rnnpipe dataset");
	/* below: files changed after packing are refused by the seal; sealed
	 * again, the layout checks refuse them */

	c.vocab_hash = 0x1234; /* the model was trained on another vocabulary */
	expect_refused(plain_h5, &c, "expected 0000000000001234");
	c.vocab_hash = 0;

	c.split = "test";
	expect_refused(bucket_h5, &c, "no split 'test'");
	c.split = "train";

	p = copy_file(plain_h5, "nolabels.h5");
	f = h5_open(p, 1);
	assert_true(H5Ldelete(f, "train/labels", H5P_DEFAULT) >= 0);
	h5_close(f);
	expect_refused(p, &c, "failed its integrity check");
	assert_int_equal(h5_seal(p), 0);
	expect_refused(p, &c, "no dataset 'labels'");

	p = copy_file(plain_h5, "shape.h5"); /* lengths one row short */
	f = h5_open(p, 1);
	assert_true(H5Ldelete(f, "train/lengths", H5P_DEFAULT) >= 0);
	hsize_t dims[1] = {N_TRAIN - 1};
	int32_t *zeros = calloc(N_TRAIN, 4);
	assert_int_equal(h5_write_array(f, "train/lengths", H5T_STD_I32LE, H5T_NATIVE_INT32, 1,
					dims, zeros),
			 0);
	free(zeros);
	h5_close(f);
	assert_int_equal(h5_seal(p), 0);
	expect_refused(p, &c, "shape (999,), expected (1000,)");
	hid_t d;

	/* ids of the right shape and chunks, declared but never written:
	 * zeros whatever the shape says (and the pools are sized from it) */
	p = copy_file(plain_h5, "hollow.h5");
	f = h5_open(p, 1);
	d = h5_dataset_open(f, "train/ids", 0);
	hid_t dcpl = H5Dget_create_plist(d), space = H5Dget_space(d), type = H5Dget_type(d);
	h5_close(d);
	assert_true(H5Ldelete(f, "train/ids", H5P_DEFAULT) >= 0);
	d = H5Dcreate2(f, "train/ids", type, space, H5P_DEFAULT, dcpl, H5P_DEFAULT);
	assert_true(d >= 0);
	H5Dclose(d);
	H5Tclose(type);
	H5Sclose(space);
	H5Pclose(dcpl);
	h5_close(f);
	assert_int_equal(h5_seal(p), 0);
	expect_refused(p, &c, "/train/ids: its values were never written in full");

	p = copy_file(plain_h5, "version.h5");
	f = h5_open(p, 1);
	assert_int_equal(h5_attr_write_int(f, "format_version", 99), 0);
	h5_close(f);
	assert_int_equal(h5_seal(p), 0);
	expect_refused(p, &c, "format version 99");

	p = copy_file(plain_h5, "pad.h5"); /* pad_id past the vocabulary */
	f = h5_open(p, 1);
	assert_int_equal(h5_attr_write_int(f, "pad_id", 1 << 30), 0);
	h5_close(f);
	assert_int_equal(h5_seal(p), 0);
	expect_refused(p, &c, "outside the vocabulary");

	p = copy_file(plain_h5, "badlen.h5"); /* lengths beyond max_len */
	f = h5_open(p, 1);
	d = h5_dataset_open(f, "train/lengths", 0);
	int32_t big[3] = {T + 1, T + 1, T + 1};
	assert_int_equal(h5_dataset_write_rows(d, H5T_NATIVE_INT32, 500, 3, big), 0);
	h5_close(d);
	h5_close(f);
	assert_int_equal(h5_seal(p), 0);
	expect_read_error(p, 0);
}

/* A copy of plain_h5 with value v written at column col of row `row` of
 * train/<name> (col -1: a 1-D dataset), sealed again. */
static char *edited(const char *name, uint64_t row, int col, int32_t v)
{
	char file[64];
	snprintf(file, sizeof(file), "edge-%s-%d-%d.h5", name, col, (int)v);
	char *p = copy_file(plain_h5, file);
	char ds[64];
	snprintf(ds, sizeof(ds), "train/%s", name);
	hid_t f = h5_open(p, 1);
	hid_t d = h5_dataset_open(f, ds, 0);
	int32_t buf[T];
	assert_int_equal(h5_dataset_read_rows(d, H5T_NATIVE_INT32, row, 1, buf), 0);
	buf[col < 0 ? 0 : col] = v;
	assert_int_equal(h5_dataset_write_rows(d, H5T_NATIVE_INT32, row, 1, buf), 0);
	h5_close(d);
	h5_close(f);
	assert_int_equal(h5_seal(p), 0);
	return p;
}

/* Reads one epoch of path; returns NULL when it was read whole, else the
 * messages of the error (static, from capture_end). */
static const char *read_all(const char *path)
{
	struct batches *b = open_cfg(path, 0, 1, 0);
	assert_non_null(b);
	const struct batch *bt;
	int rc;
	capture_begin();
	assert_int_equal(batches_start_epoch(b, 0), 0);
	while ((rc = batches_next(b, &bt)) == 1)
		;
	const char *err = capture_end();
	batches_close(b);
	return rc == 0 ? NULL : err;
}

/* The row checks at their edges: length 0, a label equal to the number of
 * label names, an id equal to vocab_size are refused, naming the row;
 * length max_len, the last label and the last id are read. */
static void test_row_values_at_the_edges(void **state)
{
	struct batches *b = open_cfg(plain_h5, 0, 1, 0);
	assert_non_null(b);
	int32_t V = (int32_t)batches_info(b)->meta.vocab_size;
	int32_t L = (int32_t)batches_info(b)->meta.n_labels;
	batches_close(b);
	const struct {
		const char *name;
		uint64_t row;
		int col;
		int32_t v;
		const char *why; /* NULL: must be read */
	} cases[] = {
		{"lengths", 500, -1, 0, "row 500 has a length outside 1..max_len"},
		{"lengths", 500, -1, T, NULL},
		{"labels", 123, -1, L, "row 123 has a label outside the label names"},
		{"labels", 123, -1, L - 1, NULL},
		{"ids", 77, T - 1, V, "row 77 has an id outside the vocabulary"},
		{"ids", 77, T - 1, V - 1, NULL},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(*cases); i++) {
		char *p = edited(cases[i].name, cases[i].row, cases[i].col, cases[i].v);
		const char *err = read_all(p);
		if (!cases[i].why) {
			if (err)
				fail_msg("%s = %d refused: %s", cases[i].name, cases[i].v, err);
			continue;
		}
		if (!err)
			fail_msg("%s = %d read without an error", cases[i].name, cases[i].v);
		assert_non_null(strstr(err, p));
		assert_non_null(strstr(err, cases[i].why));
	}
}

/* ---- the writer ---- */

/* A copy of src in which record `which` has a label (bad_label) or a first
 * word-piece id (otherwise) that the dataset cannot hold. */
static void copy_tok_spoiled(const char *src, const char *dst, uint64_t which, int bad_label)
{
	struct tokreader *r = tokreader_open(src);
	assert_non_null(r);
	struct tokwriter *w = tokwriter_open(dst, tokreader_meta(r));
	assert_non_null(w);
	struct tokrec rec;
	uint32_t ids[T];
	for (uint64_t i = 0; tokreader_next(r, &rec) == 1; i++) {
		if (i == which) {
			memcpy(ids, rec.ids, rec.n_ids * sizeof(*ids));
			if (bad_label)
				rec.label = tokreader_meta(r)->n_labels;
			else
				ids[1] = tokreader_meta(r)->vocab_size;
			rec.ids = ids;
		}
		assert_int_equal(tokwriter_add(w, &rec), 0);
	}
	tokreader_close(r);
	assert_int_equal(tokwriter_commit(w), 0);
}


/* pack() of paths must fail with `what` in its messages and leave no out;
 * returns the messages for further checks. */
static const char *expect_pack_refused(const char *out, const char **paths, int n,
				       struct dswriter_opts *o, const char *what)
{
	capture_begin();
	int rc = pack(out, paths, n, o);
	const char *err = capture_end();
	assert_int_equal(rc, -1);
	assert_non_null(strstr(err, what));
	assert_int_not_equal(access(out, F_OK), 0);
	return err;
}

static void test_writer_refuses_and_leaves_nothing(void **state)
{
	struct dswriter_opts o = DSWRITER_OPTS_DEFAULT;
	/* the same reviews in train and test, and files that say another split */
	const char *out = test_path_kept("refused.h5");
	const char *a = test_path_kept("same/train.tok"), *b = test_path_kept("same/test.tok");
	make_tok(a, SPLIT_NONE, 50, 9);
	make_tok(b, SPLIT_NONE, 50, 9);
	const char *both[2] = {a, b};
	expect_pack_refused(out, both, 2, &o, "must not overlap");
	/* a file whose records say another split */
	const char *c = test_path_kept("wrong/test.tok");
	make_tok(c, SPLIT_TRAIN, 20, 3);
	expect_pack_refused(out, &c, 1, &o, "belongs to split 'train'");
	/* records the dataset cannot hold: a label past the classes, an id past
	 * the vocabulary */
	const char *good = test_path_kept("good/train.tok");
	make_tok(good, SPLIT_NONE, 30, 4);
	const char *spoiled = test_path_kept("spoiled/train.tok");
	copy_tok_spoiled(good, spoiled, 17, 1);
	expect_pack_refused(out, &spoiled, 1, &o, "record 17 has label");
	copy_tok_spoiled(good, spoiled, 29, 0);
	const char *err = expect_pack_refused(out, &spoiled, 1, &o, "record 29 has id");
	assert_non_null(strstr(err, "outside the vocabulary"));
	/* no temporary file left behind either */
	char cmd[4200];
	snprintf(cmd, sizeof(cmd), "ls %s | grep -q 'refused.h5.tmp'", test_tmpdir());
	assert_int_not_equal(system(cmd), 0);
	/* uint16 cannot hold a 119547-id vocabulary */
	o.id_dtype = "uint16";
	expect_pack_refused(out, &a, 1, &o, "does not fit uint16");
}

static void test_dtypes_read_the_same(void **state)
{
	const char *toks[1] = {test_path_kept("train.tok")};
	struct dswriter_opts o = DSWRITER_OPTS_DEFAULT;
	o.chunk_rows = 100;
	o.id_dtype = "uint32";
	const char *p = test_path_kept("u32.h5");
	assert_int_equal(pack(p, toks, 1, &o), 0);
	struct batches *b = open_cfg(p, 1, 7, 2);
	assert_non_null(b);
	assert_string_equal(batches_info(b)->id_dtype, "uint32");
	read_epoch(b, 0, rows_a, sizes, 0); /* checks content against the tok file */
	assert_permutation(rows_a, N_TRAIN);
	batches_close(b);
}

/* A dataset whose pad_id is not 0: the writer pads every row with it
 * (past a review's length, readers see pad_id, as documented), and the
 * split's n_truncated counts only the reviews longer than max_len (a
 * review of exactly max_len ids is not truncated).  A record of no ids
 * at all cannot be packed. */
static void test_pad_id_and_truncated_count(void **state)
{
	(void)state;
	enum { ML = 8, PAD = 5 };
	struct tokmeta m;
	test_tokmeta(&m, 42, 50, ML, 1);
	m.pad_id = PAD;
	tokmeta_add_source(&m, "test", 1);
	const char *tok = test_path_kept("pad/train.tok"), *bad = test_path_kept("pad0/train.tok");
	struct tokwriter *w = tokwriter_open(tok, &m);
	assert_non_null(w);
	/* n_ids 3, 8 (exactly max_len), 8 of 20, 5, 8 of 9: two truncated */
	const uint32_t n_ids[5] = {3, ML, ML, 5, ML}, n_full[5] = {3, ML, 20, 5, 9};
	uint32_t ids[ML];
	for (int i = 0; i < 5; i++) {
		for (uint32_t t = 0; t < n_ids[i]; t++)
			ids[t] = 10 + t + (uint32_t)i;
		struct tokrec rec = {.hash = 100 + (uint64_t)i, .label = i % 2, .split = SPLIT_NONE,
				     .n_full = n_full[i], .n_ids = n_ids[i], .ids = ids,
				     .label_raw = "x", .label_raw_len = 1, .text = "x", .text_len = 1};
		assert_int_equal(tokwriter_add(w, &rec), 0);
	}
	assert_int_equal(tokwriter_commit(w), 0);
	struct dswriter_opts o = DSWRITER_OPTS_DEFAULT;
	o.chunk_rows = 2;
	const char *h5 = test_path_kept("pad.h5");
	assert_int_equal(pack(h5, &tok, 1, &o), 0);

	struct batches_config c;
	batches_config_init(&c);
	c.split = "train";
	c.batch_size = 5;
	c.shuffle = 0;
	c.trim = 0;
	struct batches *b = batches_open(h5, &c);
	assert_non_null(b);
	assert_int_equal(batches_info(b)->meta.pad_id, PAD);
	assert_int_equal(batches_start_epoch(b, 0), 0);
	const struct batch *bt;
	assert_int_equal(batches_next(b, &bt), 1);
	assert_int_equal(bt->n, 5);
	assert_int_equal(bt->t, ML);
	for (int i = 0; i < 5; i++) {
		assert_int_equal(bt->lengths[i], n_ids[i]);
		for (uint32_t t = 0; t < ML; t++)
			assert_int_equal(bt->ids[i * ML + t], t < n_ids[i] ? 10 + t + (uint32_t)i : PAD);
	}
	batches_close(b);

	hid_t f = h5_open(h5, 0);
	assert_true(f >= 0);
	hid_t g = h5_group_open(f, "train");
	assert_true(g >= 0);
	int64_t v;
	assert_int_equal(h5_attr_read_int(g, "n_truncated", &v), 0);
	assert_int_equal(v, 2);
	assert_int_equal(h5_attr_read_int(g, "count", &v), 0);
	assert_int_equal(v, 5);
	int64_t *lc;
	size_t nl;
	assert_int_equal(h5_attr_read_ints(g, "label_counts", &lc, &nl), 0);
	assert_int_equal(nl, 2);
	assert_true(lc[0] == 3 && lc[1] == 2);
	free(lc);
	H5Gclose(g);
	h5_close(f);

	/* a record of no ids */
	w = tokwriter_open(bad, &m);
	assert_non_null(w);
	struct tokrec rec = {.hash = 7, .label = 0, .split = SPLIT_NONE, .n_full = 0, .n_ids = 0,
			     .ids = ids, .label_raw = "x", .label_raw_len = 1, .text = "x",
			     .text_len = 1};
	assert_int_equal(tokwriter_add(w, &rec), 0);
	assert_int_equal(tokwriter_commit(w), 0);
	tokmeta_free(&m);
	expect_pack_refused(test_path_kept("pad0.h5"), &bad, 1, &o, "record 0 has 0 ids");
}

/* The root attributes that say whether reviews were cut (docs/dataset-h5.md):
 * token files of max_len 0 (nothing cut, whatever side they name) give rows
 * as wide as the longest review (max_len 11 here), tokenize_max_len 0 and
 * truncation "none"; files of max_len 16 give max_len and tokenize_max_len
 * 16 and their side.  train copies max_len and truncation into the model. */
static void test_max_len_0_attributes(void **state)
{
	(void)state;
	const uint32_t n_ids[3] = {3, 11, 5};
	for (uint32_t ml = 0; ml <= 16; ml += 16) {
		struct tokmeta m;
		test_tokmeta(&m, 42, 50, ml, 1);
		free(m.truncation);
		m.truncation = strdup("tail");
		tokmeta_add_source(&m, "test", 1);
		char name[64];
		snprintf(name, sizeof(name), "ml%u/train.tok", ml);
		const char *tok = test_path_kept(name);
		struct tokwriter *tw = tokwriter_open(tok, &m);
		assert_non_null(tw);
		uint32_t ids[11] = {2, 10, 11, 12, 13, 14, 15, 16, 17, 18, 3};
		for (int i = 0; i < 3; i++) {
			ids[n_ids[i] - 1] = 3;
			struct tokrec rec = {.hash = 100 + (uint64_t)i, .label = i % 2,
					     .split = SPLIT_NONE, .n_full = n_ids[i], .n_ids = n_ids[i],
					     .ids = ids, .label_raw = "x", .label_raw_len = 1,
					     .text = "x", .text_len = 1};
			assert_int_equal(tokwriter_add(tw, &rec), 0);
		}
		assert_int_equal(tokwriter_commit(tw), 0);
		tokmeta_free(&m);

		snprintf(name, sizeof(name), "ml%u.h5", ml);
		const char *h5 = test_path_kept(name);
		struct tokreader *r = tokreader_open(tok);
		assert_non_null(r);
		struct dswriter_opts o = DSWRITER_OPTS_DEFAULT;
		/* max_len 0: pack-hdf5 gives the longest row as the width */
		struct dswriter *w = dswriter_open(h5, tokreader_meta(r), ml ? 0 : 11, &o);
		assert_non_null(w);
		assert_int_equal(dswriter_add_split(w, "train", r, tok), 0);
		tokreader_close(r);
		assert_int_equal(dswriter_commit(w), 0);

		hid_t f = h5_open(h5, 0);
		assert_true(f >= 0);
		int64_t v;
		char *trunc;
		assert_int_equal(h5_attr_read_int(f, "max_len", &v), 0);
		assert_int_equal(v, ml ? ml : 11);
		assert_int_equal(h5_attr_read_int(f, "tokenize_max_len", &v), 0);
		assert_int_equal(v, ml);
		assert_int_equal(h5_attr_read_str(f, "truncation", &trunc), 0);
		assert_string_equal(trunc, ml ? "tail" : "none");
		free(trunc);
		h5_close(f);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_every_row_once_and_last_partial),
		cmocka_unit_test(test_odd_batch_sizes),
		cmocka_unit_test(test_drop_last),
		cmocka_unit_test(test_seeded_order),
		cmocka_unit_test(test_restart_mid_epoch),
		cmocka_unit_test(test_sequential_is_file_order),
		cmocka_unit_test(test_no_trim_and_other_split),
		cmocka_unit_test(test_bucketing),
		cmocka_unit_test(test_shuffle_mixes),
		cmocka_unit_test(test_flipped_bytes_in_data),
		cmocka_unit_test(test_flipped_bytes_in_metadata),
		cmocka_unit_test(test_truncated),
		cmocka_unit_test(test_foreign_and_mismatched),
		cmocka_unit_test(test_row_values_at_the_edges),
		cmocka_unit_test(test_writer_refuses_and_leaves_nothing),
		cmocka_unit_test(test_dtypes_read_the_same),
		cmocka_unit_test(test_pad_id_and_truncated_count),
		cmocka_unit_test(test_max_len_0_attributes),
	};
	return cmocka_run_group_tests(tests, setup, NULL);
}
