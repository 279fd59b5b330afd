/* fuzz_dataset.c - libFuzzer target: validation of artifacts/dataset.h5
 * (common/h5util.c h5_seal_check, common/dsfile.c dsinfo_read,
 * common/batches.c batches_open and the row checks of batches_next) on
 * hostile files.  The first byte ctl picks the mode, as in fuzz_model.c:
 *   ctl & 3 == 0: the file as it is: the integrity seal must refuse any
 *                 mutation of a sealed file before HDF5 reads it (what
 *                 train sees);
 *   ctl & 3 == 1: the mutated file is sealed again first, as if a faulty
 *                 writer had made it, so HDF5's checks and the project's
 *                 attribute and row checks are what stands between it and
 *                 the model;
 *   ctl & 3 >= 2: a recipe (fuzz_h5edit.h) applied to a small valid
 *                 dataset packed here (ctl >> 2 picks: labels, max_len,
 *                 chunk rows, bucketing, id type), then sealed.
 * Bit 2 of ctl also streams the training split shuffled.  Every split
 * present is streamed for one epoch without the prefetch thread; batches
 * handed out must respect their contract (lengths, labels and ids in
 * range). */
#include "batches.h"
#include "dsfile.h"
#include "error.h"
#include "fuzz_h5edit.h"
#include "h5util.h"
#include "tokfile.h"
#include "toksynth.h"

static void stream(const char *path, const char *split, int shuffle)
{
	struct batches_config c;
	batches_config_init(&c);
	c.split = split;
	c.batch_size = 3;
	c.shuffle = shuffle;
	c.prefetch = 0;
	c.shuffle_rows = 4;
	struct batches *b = batches_open(path, &c);
	if (!b)
		return;
	const struct dsinfo *info = batches_info(b);
	const struct batch *bt;
	uint64_t rows = 0;
	int rc = batches_start_epoch(b, 0);
	while (rc == 0 && (rc = batches_next(b, &bt)) == 1) {
		if (bt->n == 0 || bt->n > c.batch_size || bt->t == 0 || bt->t > info->meta.max_len)
			abort();
		for (uint32_t i = 0; i < bt->n; i++) {
			int32_t len = bt->lengths[i];
			if (len < 1 || (uint32_t)len > bt->t || bt->labels[i] < 0 ||
			    bt->labels[i] >= info->meta.n_labels)
				abort();
			for (uint32_t t = 0; t < bt->t; t++) {
				int32_t id = bt->ids[(size_t)i * bt->t + t];
				if (id < 0 || (uint32_t)id >= info->meta.vocab_size)
					abort();
			}
		}
		rows += bt->n;
		if (rows > batches_rows(b))
			abort();
		rc = 0;
	}
	batches_close(b);
}

/* ---- the recipe's base files ---- */

static const char *const attr_names[] = {
	"format", "format_version", "producer", "tokenizer", "vocab_size", "vocab_hash",
	"pad_id", "unk_id", "cls_id", "sep_id", "max_len", "tokenize_max_len", "truncation",
	"label_names", "splits", "source_names", "source_hashes", "id_dtype", "chunk_rows",
	"bucket_window", "deflate", "n_train", "n_validation", "n_test", "count",
	"label_counts", "n_truncated", "description", "x",
};

static const char *const group_names[] = {"/", "train", "validation", "test"};

static const char *const dset_names[] = {
	"train/ids", "train/lengths", "train/labels", "train/hashes", "train/n_full",
	"validation/ids", "validation/lengths", "validation/labels", "validation/hashes",
	"validation/n_full", "test/ids", "test/lengths", "train", "x",
};

static struct fz_base bases[64];

/* A dataset of v's shape: a training split of 5..12 reviews and a
 * validation split of 3 over a vocabulary of 2000, packed as pack-hdf5
 * does. */
static const struct fz_base *base_get(int v)
{
	struct fz_base *b = &bases[v];
	if (b->bytes)
		return b;
	b->names = FZ_NAMES(attr_names, dset_names, group_names);
	const char *tok[2] = {fuzz_scratch_path(2, ".tok"), fuzz_scratch_path(3, ".tok")};
	for (int sp = 0; sp < 2; sp++) {
		struct toksynth_opts o = TOKSYNTH_OPTS_DEFAULT;
		o.seed = (uint64_t)v + 1;
		o.count = sp ? 3 : 5 + (uint64_t)(v & 7);
		o.split = sp ? SPLIT_VALIDATION : SPLIT_TRAIN;
		o.max_len = (v & 8) ? 8 : 5;
		o.vocab_size = 2000; /* toksynth's least */
		o.len_mu = 1.5;
		o.len_sigma = 0.5;
		o.n_labels = (v & 16) ? 3 : 2;
		if (toksynth_write(tok[sp], &o))
			abort();
	}
	struct dswriter_opts o = DSWRITER_OPTS_DEFAULT;
	o.chunk_rows = (v & 32) ? 2 : 4;
	o.bucket_window = (v & 1) ? 4 : 0;
	o.id_dtype = (v & 2) ? "uint16" : "auto";
	o.producer = "fuzz_dataset";
	const char *path = fuzz_scratch_path(1, ".h5");
	struct tokreader *r = tokreader_open(tok[0]);
	struct dswriter *w = r ? dswriter_open(path, tokreader_meta(r), 0, &o) : NULL;
	if (!w)
		abort();
	for (int sp = 0; sp < 2; sp++) {
		struct tokreader *rs = tokreader_open(tok[sp]);
		if (!rs || dswriter_add_split(w, sp ? "validation" : "train", rs, tok[sp]))
			abort();
		tokreader_close(rs);
	}
	tokreader_close(r);
	if (dswriter_commit(w))
		abort();
	unlink(tok[0]);
	unlink(tok[1]);
	fz_slurp(path, &b->bytes, &b->len);
	return b;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t ctl = fuzz_take_byte(&data, &size);
	h5_init_thread();
	const char *path = fz_input(ctl, data, size, base_get);
	if (!path)
		return 0;
	if (h5_seal_check(path, 1))
		return 0;
	hid_t f = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT);
	if (f < 0) {
		H5Eclear2(H5E_DEFAULT);
		return 0;
	}
	struct dsinfo info;
	int ok = dsinfo_read(f, path, &info) == 0;
	H5Fclose(f);
	if (!ok)
		return 0;
	dsinfo_free(&info);
	stream(path, "train", (ctl >> 2) & 1);
	stream(path, "validation", 0);
	stream(path, "test", 0);
	return 0;
}
