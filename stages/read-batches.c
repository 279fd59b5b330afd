/* read-batches - streams one split of a dataset file through the batch
 * reader (batches.h), exactly as train and evaluate do, and prints one JSON
 * object: rows, batches, wall and CPU seconds, time spent waiting in
 * batches_next, batches/s, padding and an order digest.
 * For checking a dataset file and measuring the reader; it computes no
 * model.  --work-us simulates a consumer's time per batch by sleeping, as a
 * CPU does while a GPU step runs, to show the prefetch overlap.
 */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "batches.h"
#include "error.h"
#include "hash.h"
#include "jsonw.h"
#include "opts.h"
#include "progress.h"
#include "stage.h"

/* CPU time of the whole process (both threads): a throughput measure that
 * other programs on a shared machine disturb much less than wall time. */
static double cpu_now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return ts.tv_sec + ts.tv_nsec * 1e-9;
}

static void sleep_us(long us)
{
	struct timespec ts = {us / 1000000, (us % 1000000) * 1000};
	while (nanosleep(&ts, &ts))
		;
}

int main(int argc, char **argv)
{
	const char *split = "train", *bucket = "auto", *vocab_hash = NULL;
	long batch = 32, epochs = 1, seed = 1, shuffle_rows = 2048, prefetch = 4,
	     cache_kib = 0, work_us = 0;
	int sequential = 0, no_trim = 0, drop_last = 0;
	const struct opt opts[] = {
		{"split", OPT_CHOICE, &split, "train|validation|test", "split to read", 0, 0},
		{"batch", OPT_INT, &batch, "N", "batch size", 1, 1 << 20},
		{"epochs", OPT_INT, &epochs, "N", "passes over the split", 1, 1000},
		{"seed", OPT_INT, &seed, "N", "shuffle seed", 0, 9e18},
		{"sequential", OPT_FLAG, &sequential, NULL, "file order (no shuffling)", 0, 0},
		{"shuffle-rows", OPT_INT, &shuffle_rows, "N", "rows shuffled together", 1, 1 << 26},
		{"bucket", OPT_CHOICE, &bucket, "auto|on|off", "sort pools by length", 0, 0},
		{"no-trim", OPT_FLAG, &no_trim, NULL, "keep every batch max_len wide", 0, 0},
		{"drop-last", OPT_FLAG, &drop_last, NULL, "drop the last partial batch", 0, 0},
		{"prefetch", OPT_INT, &prefetch, "N", "batches read ahead (0: no thread)", 0, 64},
		{"cache-kib", OPT_INT, &cache_kib, "N", "HDF5 chunk cache per dataset, KiB (0: one chunk)", 0, 1 << 22},
		{"vocab-hash", OPT_STR, &vocab_hash, "HEX", "expected vocabulary hash", 0, 0},
		{"work-us", OPT_INT, &work_us, "N", "sleep per batch (simulated GPU step), microseconds", 0, 1e7},
		{NULL},
	};
	const struct opts_program prog = {
		"read-batches", "[OPTIONS] DATASET.h5",
		"Streams a split through the batch reader and prints JSON statistics.",
		opts, 1, 1, 0,
	};
	char **args;
	int nargs;
	stage_start(&prog, argc, argv, &args, &nargs, NULL);

	struct batches_config cfg;
	batches_config_init(&cfg);
	cfg.split = split;
	cfg.batch_size = (uint32_t)batch;
	cfg.shuffle = !sequential;
	cfg.seed = (uint64_t)seed;
	cfg.shuffle_rows = (uint32_t)shuffle_rows;
	cfg.bucket = !strcmp(bucket, "auto") ? -1 : !strcmp(bucket, "on");
	cfg.trim = !no_trim;
	cfg.drop_last = drop_last;
	cfg.prefetch = (int)prefetch;
	cfg.cache_bytes = (size_t)cache_kib << 10;
	if (vocab_hash)
		cfg.vocab_hash = strtoull(vocab_hash, NULL, 16);
	double t0 = progress_now();
	struct batches *b = batches_open(args[0], &cfg);
	if (!b)
		return EXIT_FAIL;
	double t_open = progress_now() - t0;
	json_t *per_epoch = json_array();
	int oom = 0; /* jsonw_unless */
	uint64_t n_batches = 0, n_rows = 0, real = 0, cells = 0, digest = HASH64_SEED;
	double t_read = 0, t_wait = 0; /* t_wait: time spent inside batches_next */
	double c0 = cpu_now();
	for (long e = 0; e < epochs; e++) {
		double te = progress_now();
		uint64_t eb = 0;
		const struct batch *bt;
		int rc;
		if (batches_start_epoch(b, (uint64_t)e))
			return EXIT_FAIL;
		for (;;) {
			double tw = progress_now();
			rc = batches_next(b, &bt);
			t_wait += progress_now() - tw;
			if (rc != 1)
				break;
			eb++;
			n_rows += bt->n;
			cells += (uint64_t)bt->n * bt->t;
			for (uint32_t i = 0; i < bt->n; i++)
				real += (uint64_t)bt->lengths[i];
			digest = hash64_update(digest, bt->rows, bt->n * sizeof(uint64_t));
			if (work_us)
				sleep_us(work_us);
		}
		if (rc < 0) {
			batches_close(b);
			return EXIT_FAIL;
		}
		double dt = progress_now() - te;
		t_read += dt;
		n_batches += eb;
		oom |= json_array_append_new(per_epoch, json_pack("{s:I, s:f, s:f}", "batches",
					     (json_int_t)eb, "seconds", dt, "batches_per_s",
					     eb / (dt > 0 ? dt : 1e-9)));
	}
	double cpu = cpu_now() - c0;
	char hex[17];
	hash64_hex(hash64_final(digest), hex);
	const struct dsinfo *info = batches_info(b);
	json_t *j = json_pack(
		"{s:s, s:s, s:I, s:I, s:I, s:I, s:I, s:f, s:f, s:f, s:f, s:f, s:f, s:f, s:f, s:s, s:o}", "file",
		args[0], "split", split, "rows", (json_int_t)batches_rows(b), "batch_size",
		(json_int_t)batch, "max_len", (json_int_t)info->meta.max_len, "epochs",
		(json_int_t)epochs, "batches", (json_int_t)n_batches, "open_seconds", t_open,
		"seconds", t_read, "wait_seconds", t_wait, "cpu_seconds", cpu,
		"batches_per_cpu_s", n_batches / (cpu > 0 ? cpu : 1e-9), "batches_per_s", n_batches / (t_read > 0 ? t_read : 1e-9),
		"rows_per_s", n_rows / (t_read > 0 ? t_read : 1e-9), "padding_fraction",
		cells ? 1.0 - (double)real / (double)cells : 0.0, "order_digest", hex,
		"per_epoch", per_epoch);
	j = jsonw_unless(j, oom);
	char *s = j ? jsonw_dumps(j, JSON_COMPACT, NULL) : NULL;
	json_decref(j);
	batches_close(b);
	if (!s) {
		error("out of memory");
		return EXIT_FAIL;
	}
	printf("%s\n", s);
	free(s);
	return EXIT_OK;
}
