/* fuzz_vocab.c - libFuzzer target: the vocab.txt loader (common/vocab.c:
 * lines, UTF-8, duplicates, specials, the string table and trie) on
 * arbitrary bytes.  A loaded vocabulary must give back every token by id
 * and every id by token, and a tokenizer must build and encode with it. */
#include "fuzz_util.h"
#include "error.h"
#include "vocab.h"
#include "wordpiece.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *path = fuzz_write_scratch(0, ".txt", data, size);
	struct vocab *v = vocab_load(path);
	if (!v)
		return 0;
	uint32_t n = vocab_size(v);
	for (uint32_t i = 0; i < n; i++) {
		const char *t = vocab_token(v, i);
		if (!t || vocab_id(v, t, strlen(t)) != (int32_t)i)
			abort();
	}
	if (vocab_token(v, n))
		abort();
	struct vocab_specials sp = vocab_specials(v);
	if (sp.unk < 0 || (uint32_t)sp.unk >= n)
		abort(); /* vocab_load insists on [UNK] */
	struct wordpiece *wp = wordpiece_new(v, NULL);
	if (wp) {
		/* the file itself as text: every token of it is known */
		struct idvec out = {0};
		size_t bad;
		if (wordpiece_encode(wp, (const char *)data, size, &out, NULL, &bad) == WP_OK)
			for (size_t i = 0; i < out.n; i++)
				if (out.v[i] >= n)
					abort();
		idvec_free(&out);
		wordpiece_free(wp);
	}
	vocab_free(v);
	return 0;
}
