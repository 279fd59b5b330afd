/* fuzz_tspred.c - libFuzzer target: the forecasts file that ts-metrics
 * --predictions reads (common/ts_metrics.c ts_predictions_read: one line
 * per example, k numbers separated by spaces, tabs or commas, blank and
 * '#' lines skipped) on arbitrary bytes.  The first byte gives the
 * examples expected (ctl % 8) and the horizon k (1 + (ctl >> 3) % 4); the
 * rest is the file.  A file that reads gives rows x k finite numbers. */
#include <math.h>

#include "fuzz_util.h"
#include "error.h"
#include "ts_metrics.h"

static volatile double sink;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t ctl = fuzz_take_byte(&data, &size);
	size_t rows = ctl % 8, k = 1 + (ctl >> 3) % 4;
	const char *path = fuzz_write_scratch(0, ".txt", data, size);
	double *v = NULL;
	if (ts_predictions_read(path, rows, k, &v))
		return 0;
	if (!v)
		abort();
	for (size_t i = 0; i < rows * k; i++) {
		if (!isfinite(v[i]))
			abort();
		sink += v[i];
	}
	free(v);
	return 0;
}
