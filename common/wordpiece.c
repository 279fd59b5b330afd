/* wordpiece.c - BERT WordPiece encoding as Hugging Face's fast BertTokenizer
 * (see wordpiece.h, docs/tokenizer.md), framing with [CLS]/[SEP] and
 * truncation, and the growable id array.
 *
 * Words come from pretok.c; each is matched greedily, longest piece first,
 * by walking the vocabulary's code-point trie (vocab_trie.h) once per piece:
 * no substring hashing, no allocation per word.  Does not read files.
 */
#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "grow.h"
#include "pretok.h"
#include "vocab_trie.h"
#include "wordpiece.h"

/* ---- idvec ---- */

int idvec_push(struct idvec *a, uint32_t id)
{
	if (a->n == a->cap && GROW_ARRAY(a->v, a->cap, a->n + 1, 64))
		return -1;
	a->v[a->n++] = id;
	return 0;
}

void idvec_free(struct idvec *a)
{
	free(a->v);
	a->v = NULL;
	a->n = a->cap = 0;
}

/* ---- the tokenizer ---- */

struct wordpiece {
	const struct vocab *v;
	const struct vtrie *t;
	struct wordpiece_opts o;
	uint32_t unk;
	struct pretok pt;
	struct idvec *out; /* of the running wordpiece_encode() */
};

struct wordpiece *wordpiece_new(const struct vocab *v, const struct wordpiece_opts *o)
{
	struct wordpiece_opts def = WORDPIECE_OPTS_DEFAULT;
	struct wordpiece *wp = calloc(1, sizeof(*wp));
	if (!wp) {
		error("out of memory");
		return NULL;
	}
	wp->v = v;
	wp->t = vocab_trie(v);
	wp->o = o ? *o : def;
	struct vocab_specials sp = vocab_specials(v);
	wp->unk = (uint32_t)sp.unk; /* vocab_load() insists on [UNK] */
	struct pretok_special lit[5] = {
		{"[PAD]", 5, sp.pad}, {"[UNK]", 5, sp.unk}, {"[CLS]", 5, sp.cls},
		{"[SEP]", 5, sp.sep}, {"[MASK]", 6, sp.mask},
	};
	if (pretok_init(&wp->pt, wp->o.max_chars_per_word, wp->o.nfc, lit, 5) < 0) {
		wordpiece_free(wp);
		return NULL;
	}
	return wp;
}

void wordpiece_free(struct wordpiece *wp)
{
	if (!wp)
		return;
	pretok_free(&wp->pt);
	free(wp);
}

static inline int push(struct idvec *a, uint32_t id)
{
	if (a->n == a->cap && GROW_ARRAY(a->v, a->cap, a->n + 1, 64))
		return -1;
	a->v[a->n++] = id;
	return 0;
}

/* One word: greedy longest match; any position without a match, or more
 * than max_chars code points, makes the whole word one [UNK]. */
static int encode_word(void *ctx, const uint32_t *cp, size_t n, int32_t special)
{
	struct wordpiece *wp = ctx;
	struct idvec *out = wp->out;
	if (special >= 0)
		return push(out, (uint32_t)special);
	if (n > (size_t)wp->o.max_chars_per_word)
		return push(out, wp->unk);
	const struct vtrie *t = wp->t;
	size_t n0 = out->n, start = 0;
	while (start < n) {
		uint32_t node = start ? t->cont_root : 0;
		int32_t best = -1;
		size_t best_end = start;
		for (size_t k = start; k < n && node != VTRIE_NONE; k++) {
			const struct vtrie_edge *e = vtrie_step(t, node, cp[k]);
			if (!e)
				break;
			node = e->child;
			if (e->tok >= 0) {
				best = e->tok;
				best_end = k + 1;
			}
		}
		if (best < 0) {
			out->n = n0;
			return push(out, wp->unk);
		}
		if (push(out, (uint32_t)best) < 0)
			return -1;
		start = best_end;
	}
	return 0;
}

int wordpiece_encode(struct wordpiece *wp, const char *text, size_t len, struct idvec *out,
		     uint64_t *text_hash, size_t *bad_offset)
{
	size_t n0 = out->n;
	wp->out = out;
	int rc = pretok_run(&wp->pt, text, len, encode_word, wp, text_hash, bad_offset);
	wp->out = NULL;
	if (rc != 0)
		out->n = n0;
	return rc;
}

/* ---- framing ---- */

int trunc_side_parse(const char *s)
{
	if (!strcmp(s, "head"))
		return TRUNC_HEAD;
	if (!strcmp(s, "tail"))
		return TRUNC_TAIL;
	if (!strcmp(s, "head+tail"))
		return TRUNC_HEAD_TAIL;
	return -1;
}

const char *trunc_side_name(int side)
{
	switch (side) {
	case TRUNC_HEAD:
		return "head";
	case TRUNC_TAIL:
		return "tail";
	case TRUNC_HEAD_TAIL:
		return "head+tail";
	default:
		return NULL;
	}
}

int wordpiece_frame(const uint32_t *pieces, size_t n, uint32_t max_len, int side,
		    int32_t cls_id, int32_t sep_id, struct idvec *out)
{
	if (cls_id < 0 || sep_id < 0)
		return error("the vocabulary lacks [CLS] or [SEP]");
	if (max_len == 1)
		return error("max_len 1 cannot hold [CLS] and [SEP]");
	if (!trunc_side_name(side))
		return error("unknown truncation side %d", side);
	size_t room = max_len ? (size_t)max_len - 2 : n;
	size_t head = n, tail = 0; /* keep pieces[0..head) and pieces[n-tail..n) */
	if (n > room) {
		if (side == TRUNC_HEAD) {
			head = room;
		} else if (side == TRUNC_TAIL) {
			head = 0;
			tail = room;
		} else {
			head = room / 4;
			tail = room - head;
		}
	}
	out->n = 0;
	if (GROW_ARRAY(out->v, out->cap, head + tail + 2, 64))
		return -1;
	out->v[out->n++] = (uint32_t)cls_id;
	if (head)
		memcpy(out->v + out->n, pieces, head * sizeof(*pieces));
	out->n += head;
	if (tail)
		memcpy(out->v + out->n, pieces + n - tail, tail * sizeof(*pieces));
	out->n += tail;
	out->v[out->n++] = (uint32_t)sep_id;
	return 0;
}
