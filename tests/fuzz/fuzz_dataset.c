/* fuzz_dataset.c - libFuzzer target: validation of artifacts/dataset.h5
 * (common/h5util.c h5_seal_check, common/dsfile.c dsinfo_read,
 * common/batches.c batches_open and the row checks of batches_next) on
 * mutated files.  The first byte picks the mode, the rest is the file:
 *   even: the file as it is: the integrity seal must refuse any mutation
 *         of a sealed file before HDF5 reads it (what train sees);
 *   odd:  the mutated file is sealed again first, as if a faulty writer
 *         had made it, so HDF5's checks and the project's attribute and
 *         row checks are what stands between it and the model.
 * Every split present is streamed for one epoch without the prefetch
 * thread; batches handed out must respect their contract (lengths, labels
 * and ids in range). */
#include "batches.h"
#include "dsfile.h"
#include "fuzz_util.h"
#include "error.h"
#include "h5util.h"

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

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t ctl = fuzz_take_byte(&data, &size);
	const char *path = fuzz_write_scratch(0, ".h5", data, size);
	h5_init_thread();
	if ((ctl & 1) && size >= H5_SEAL_BYTES && h5_seal(path))
		abort();
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
	stream(path, "train", (ctl >> 1) & 1);
	stream(path, "validation", 0);
	stream(path, "test", 0);
	return 0;
}
