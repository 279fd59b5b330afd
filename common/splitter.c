/* splitter.c - train/validation/test by named split or text hash (see
 * splitter.h).  One pass; memory is one hash-map slot per review. */
#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "jsonw.h"
#include "splitter.h"
#include "tokfile.h"
#include "u64map.h"

struct splitcount {
	long n, named, hashed;
	long cls[TOKFILE_MAX_LABELS];
	long unlabeled;
};

/* One run: its inputs, the merged metadata, where each review went. */
struct split_run {
	const struct splitter_opts *o;
	const char *const *paths;
	int n;
	struct tokreader **r;
	uint32_t *offset;        /* (n) of each input's sources in meta */
	struct tokwriter *w[4];  /* by enum tok_split */
	struct tokmeta meta;     /* of the outputs */
	struct u64map seen;      /* text hashes written */
	struct splitcount sc[4];
	long total, dups;
};

/* Opens the inputs, checks that they can be merged (same vocabulary,
 * settings and labels) and builds the outputs' metadata with every input's
 * dumps as sources. */
static int open_inputs(struct split_run *S)
{
	struct tokmeta *meta = &S->meta;
	uint64_t expect = 0;
	for (int i = 0; i < S->n; i++) {
		if (tokmerge_add(meta, i ? S->r[0] : NULL, S->paths[0], S->paths[i], 1, &S->r[i],
				 &S->offset[i]))
			return -1;
		expect += tokreader_count(S->r[i]);
	}
	free(meta->producer);
	if (!(meta->producer = strdup(S->o->producer ? S->o->producer : "split")))
		return error("out of memory"); /* not files with no producer */
	return u64map_init(&S->seen, expect);
}

/* Deals input i's reviews to the writers: the split its dump named, else
 * the one of its text hash; a text seen before is dropped. */
static int deal_input(struct split_run *S, int i)
{
	const struct splitter_opts *o = S->o;
	const struct tokmeta *m = tokreader_meta(S->r[i]);
	struct tokrec rec;
	int got;
	while ((got = tokreader_next(S->r[i], &rec)) == 1) {
		int found;
		S->total++;
		if (!u64map_put(&S->seen, rec.hash, &found))
			return -1;
		if (found) {
			if (S->dups++ < 5)
				warning("'%s': record from %s:%u repeats an earlier text; "
					"kept the first copy only (run filter-relabel first)",
					S->paths[i], rec.source < (uint32_t)m->n_sources ?
					m->sources[rec.source].name : "?", rec.line);
			continue;
		}
		int s = rec.split;
		int named = !o->ignore_named && s >= SPLIT_TRAIN && s <= SPLIT_TEST;
		if (!named)
			s = split_assign(rec.hash, &o->fracs);
		rec.split = (uint8_t)s;
		rec.source += S->offset[i];
		struct splitcount *c = &S->sc[s];
		c->n++;
		if (named)
			c->named++;
		else
			c->hashed++;
		if (rec.label >= 0 && rec.label < S->meta.n_labels)
			c->cls[rec.label]++;
		else
			c->unlabeled++;
		if (tokwriter_add(S->w[s], &rec))
			return -1;
	}
	return got < 0 ? -1 : 0;
}

/* The stats object (splitter.h), also of a failed run. */
static json_t *stats_json(const struct split_run *S, int rc)
{
	const struct splitter_opts *o = S->o;
	json_t *splits = json_object(), *inputs = json_array();
	long kept = S->total - S->dups;
	int bad = 0; /* jsonw_unless */
	for (int i = 0; i < S->n; i++)
		bad |= json_array_append_new(inputs, json_string(S->paths[i]));
	for (int s = SPLIT_TRAIN; s <= SPLIT_TEST; s++) {
		const struct splitcount *c = &S->sc[s];
		json_t *cls = json_object();
		for (int k = 0; k < S->meta.n_labels; k++)
			bad |= json_object_set_new(cls, S->meta.labels[k], json_integer(c->cls[k]));
		if (c->unlabeled)
			bad |= json_object_set_new(cls, "(unlabeled)", json_integer(c->unlabeled));
		bad |= json_object_set_new(splits, tok_split_name(s), json_pack(
			"{s:s, s:I, s:f, s:I, s:I, s:o}", "file", o->out[s],
			"n", (json_int_t)c->n, "fraction", kept ? (double)c->n / kept : 0.0,
			"named", (json_int_t)c->named, "hashed", (json_int_t)c->hashed,
			"classes", cls));
	}
	json_t *j = json_pack("{s:s, s:o, s:{s:f, s:f, s:f}, s:b, s:I, s:I, s:o}",
			      "status", rc ? "failed" : "ok", "inputs", inputs,
			      "fractions", "train", o->fracs.train, "validation",
			      o->fracs.validation, "test", o->fracs.test,
			      "named_splits_honoured", !o->ignore_named,
			      "in", (json_int_t)S->total, "duplicates_dropped", (json_int_t)S->dups,
			      "splits", splits);
	return jsonw_unless(j, bad);
}

int splitter_run(const char *const *paths, int n, const struct splitter_opts *o,
		 json_t **stats)
{
	int rc = -1;
	struct split_run S = {.o = o, .paths = paths, .n = n, .r = calloc(n, sizeof(*S.r)),
			      .offset = calloc(n, sizeof(*S.offset))};
	if (stats)
		*stats = NULL;
	if (!S.r || !S.offset) {
		error("out of memory");
		goto out;
	}
	if (open_inputs(&S))
		goto out;
	for (int s = SPLIT_TRAIN; s <= SPLIT_TEST; s++)
		if (!(S.w[s] = tokwriter_open(o->out[s], &S.meta)))
			goto out;
	for (int i = 0; i < n; i++)
		if (deal_input(&S, i))
			goto out;
	if (S.dups > 5)
		warning("%ld repeated texts in all (kept the first copy of each)", S.dups);
	for (int s = SPLIT_TRAIN; s <= SPLIT_TEST; s++) {
		int bad = tokwriter_commit(S.w[s]);
		S.w[s] = NULL;
		if (bad)
			goto out;
	}
	rc = 0;
out:
	for (int s = SPLIT_TRAIN; s <= SPLIT_TEST; s++)
		if (S.w[s])
			tokwriter_abort(S.w[s]);
	if (stats)
		*stats = stats_json(&S, rc);
	for (int i = 0; i < n && S.r; i++)
		tokreader_close(S.r[i]);
	free(S.r);
	free(S.offset);
	tokmeta_free(&S.meta);
	u64map_free(&S.seen);
	return rc;
}
