/* splitassign.c - hash -> split (see splitassign.h). */
#include <errno.h>
#include <math.h>
#include <stdlib.h>

#include "error.h"
#include "pretok.h"
#include "splitassign.h"
#include "tokfile.h"

int split_fracs_parse(const char *s, struct split_fracs *f)
{
	double v[3];
	const char *p = s;
	for (int i = 0; i < 3; i++) {
		char *end;
		errno = 0;
		v[i] = strtod(p, &end);
		if (errno || end == p || !isfinite(v[i]) || v[i] < 0)
			return error("--fractions '%s': expected TRAIN/VALIDATION/TEST, e.g. 80/10/10", s);
		p = end;
		if (i < 2) {
			if (*p != '/' && *p != ',' && *p != ':')
				return error("--fractions '%s': expected TRAIN/VALIDATION/TEST, e.g. 80/10/10", s);
			p++;
		}
	}
	if (*p)
		return error("--fractions '%s': expected TRAIN/VALIDATION/TEST, e.g. 80/10/10", s);
	double sum = v[0] + v[1] + v[2];
	double scale;
	if (fabs(sum - 100) < 1e-6)
		scale = 100;
	else if (fabs(sum - 1) < 1e-6)
		scale = 1;
	else
		return error("--fractions '%s': the three parts sum to %g, not 100 (or 1)", s, sum);
	f->train = v[0] / scale;
	f->validation = v[1] / scale;
	f->test = v[2] / scale;
	return 0;
}

int split_assign(uint64_t hash, const struct split_fracs *f)
{
	double u = (double)(hash >> 11) * 0x1.0p-53; /* [0, 1), 53 bits */
	if (u < f->train)
		return SPLIT_TRAIN;
	if (u < f->train + f->validation)
		return SPLIT_VALIDATION;
	return SPLIT_TEST;
}

/* ---- the text hash without a vocabulary ---- */

struct texthasher {
	struct pretok pt;
};

struct texthasher *texthasher_new(int max_chars, int nfc)
{
	/* the specials wordpiece_new() registers; their ids do not enter the hash */
	static const struct pretok_special sp[5] = {
		{"[PAD]", 5, 0}, {"[UNK]", 5, 1}, {"[CLS]", 5, 2}, {"[SEP]", 5, 3}, {"[MASK]", 6, 4},
	};
	struct texthasher *t = calloc(1, sizeof(*t));
	if (!t) {
		error("out of memory");
		return NULL;
	}
	if (pretok_init(&t->pt, max_chars, nfc, sp, 5)) {
		free(t);
		return NULL;
	}
	return t;
}

static int skip_word(void *ctx, const uint32_t *cp, size_t n, int32_t special)
{
	return 0;
}

int texthasher_hash(struct texthasher *t, const char *text, size_t len, uint64_t *hash,
		    size_t *bad_at)
{
	return pretok_run(&t->pt, text, len, skip_word, NULL, hash, bad_at);
}

void texthasher_free(struct texthasher *t)
{
	if (!t)
		return;
	pretok_free(&t->pt);
	free(t);
}
