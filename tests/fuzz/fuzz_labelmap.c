/* fuzz_labelmap.c - libFuzzer target: label map parsing and lookup
 * (common/labelmap.c).  The input up to the first NUL is a --labels spec;
 * the rest is a list of raw labels separated by newlines, looked up in the
 * parsed map.  The written-out spec must parse again into the same map. */
#include "fuzz_util.h"
#include "error.h"
#include "labelmap.h"
#include "tokfile.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *nul = memchr(data, 0, size);
	size_t n = nul ? (size_t)(nul - (const char *)data) : size;
	char *spec = strndup((const char *)data, n);
	if (!spec)
		return 0;
	struct labelmap *m = labelmap_parse(spec);
	free(spec);
	if (!m)
		return 0;
	int k = labelmap_n_classes(m);
	if (k < 1 || k > TOKFILE_MAX_LABELS)
		abort();
	for (int i = 0; i < k; i++)
		if (!labelmap_class(m, i))
			abort();
	struct labelmap *again = labelmap_parse(labelmap_spec(m));
	if (!again || labelmap_n_classes(again) != k || strcmp(labelmap_spec(again), labelmap_spec(m)))
		abort(); /* the spec written out parses back to itself */
	const char *p = nul ? nul + 1 : (const char *)data + size;
	const char *end = (const char *)data + size;
	while (p < end) {
		const char *nl = memchr(p, '\n', end - p);
		size_t len = nl ? (size_t)(nl - p) : (size_t)(end - p);
		int c = labelmap_lookup(m, p, len);
		if (c != LABEL_UNKNOWN && c != LABEL_DROP && (c < 0 || c >= k))
			abort();
		if (labelmap_lookup(again, p, len) != c)
			abort();
		label_sentiment(p, len);
		p += len + 1;
	}
	labelmap_free(again);
	labelmap_free(m);
	return 0;
}
