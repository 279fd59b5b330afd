/* fuzz_wordpiece.c - libFuzzer target: WordPiece encoding and framing
 * (common/pretok.c, wordpiece.c) on arbitrary bytes as review text.
 *
 * Vocabulary: $FUZZ_VOCAB, else the multilingual BERT vocab.txt under
 * $SHARED when present, else a small Cyrillic/Latin vocabulary written
 * here.  The first byte picks NFC, a short word limit, max_len and the
 * truncation side.  Checks: ids in range, [CLS]/[SEP] framing, max_len
 * respected, invalid UTF-8 reported at an offset inside the text, and the
 * text hash stable for a second encoding of the same text.
 */
#include "fuzz_util.h"
#include "error.h"
#include "vocab.h"
#include "wordpiece.h"

static const char small_vocab[] =
	"[PAD]\n[UNK]\n[CLS]\n[SEP]\n[MASK]\n"
	"фильм\n##ы\n##а\nне\nсовет\n##ую\nотстой\n.\n,\n!\n?\nхорош\n##ий\nплох\n##о\n"
	"the\nfilm\n##s\ngood\nbad\na\n##b\n##c\nb\nc\n1\n##2\n中\n##é\né\n";

static struct vocab *voc;
static struct wordpiece *wp[4];

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	char path[4096];
	const char *v = getenv("FUZZ_VOCAB"), *shared = getenv("SHARED");
	if (!v && shared) {
		snprintf(path, sizeof(path), "%s/vocab/bert-base-multilingual-cased/vocab.txt",
			 shared);
		if (access(path, R_OK) == 0)
			v = path;
	}
	if (!v)
		v = fuzz_write_scratch(1, ".txt", small_vocab, sizeof(small_vocab) - 1);
	voc = vocab_load(v);
	if (!voc)
		abort();
	fprintf(stderr, "fuzz_wordpiece: vocabulary '%s' (%u tokens)\n", v, vocab_size(voc));
	for (int i = 0; i < 4; i++) {
		struct wordpiece_opts o = {(i & 1) ? 100 : 5, (i & 2) ? 1 : 0};
		wp[i] = wordpiece_new(voc, &o);
		if (!wp[i])
			abort();
	}
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t ctl = fuzz_take_byte(&data, &size);
	struct wordpiece *w = wp[ctl & 3];
	static const uint32_t max_lens[4] = {0, 2, 3, 16};
	uint32_t max_len = max_lens[(ctl >> 2) & 3];
	int side = ((ctl >> 4) & 3) % 3;
	struct vocab_specials sp = vocab_specials(voc);
	uint32_t n_voc = vocab_size(voc);

	struct idvec pieces = {0}, framed = {0}, again = {0};
	uint64_t h1 = 0, h2 = 0;
	size_t bad = (size_t)-1;
	const char *text = (const char *)data;
	int rc = wordpiece_encode(w, text, size, &pieces, &h1, &bad);
	if (rc == WP_BAD_UTF8) {
		if (bad >= size || pieces.n != 0)
			abort();
		goto out;
	}
	if (rc != WP_OK)
		abort();
	for (size_t i = 0; i < pieces.n; i++)
		if (pieces.v[i] >= n_voc)
			abort();
	if (wordpiece_encode(w, text, size, &again, &h2, &bad) != WP_OK || h1 != h2 ||
	    again.n != pieces.n || (pieces.n && memcmp(again.v, pieces.v, pieces.n * 4)))
		abort(); /* encoding is a function of the text */
	if (sp.cls >= 0 && sp.sep >= 0) {
		if (wordpiece_frame(pieces.v, pieces.n, max_len, side, sp.cls, sp.sep, &framed))
			abort();
		if (framed.n < 2 || framed.v[0] != (uint32_t)sp.cls ||
		    framed.v[framed.n - 1] != (uint32_t)sp.sep)
			abort();
		if (max_len && framed.n > max_len && max_len >= 2)
			abort();
		if (!max_len && framed.n != pieces.n + 2)
			abort();
	}
out:
	idvec_free(&pieces);
	idvec_free(&framed);
	idvec_free(&again);
	return 0;
}
