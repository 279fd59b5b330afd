/* splitter.c - train/validation/test by named split or text hash (see
 * splitter.h).  One pass; memory is one hash-map slot per review. */
#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "splitter.h"
#include "tokfile.h"
#include "u64map.h"

struct splitcount {
	long n, named, hashed;
	long cls[TOKFILE_MAX_LABELS];
	long unlabeled;
};

int splitter_run(const char *const *paths, int n, const struct splitter_opts *o,
		 json_t **stats)
{
	int rc = -1;
	struct tokreader **r = calloc(n, sizeof(*r));
	uint32_t *offset = calloc(n, sizeof(*offset));
	struct tokwriter *w[4] = {0};
	struct tokmeta meta = {0};
	struct u64map seen = {0};
	struct splitcount sc[4];
	long total = 0, dups = 0;
	memset(sc, 0, sizeof(sc));
	if (stats)
		*stats = NULL;
	if (!r || !offset) {
		error("out of memory");
		goto out;
	}
	uint64_t expect = 0;
	for (int i = 0; i < n; i++) {
		if (!(r[i] = tokreader_open(paths[i])))
			goto out;
		const struct tokmeta *m = tokreader_meta(r[i]);
		if (i == 0) {
			if (tokmeta_copy(&meta, m))
				goto out;
			for (int k = 0; k < meta.n_sources; k++)
				free(meta.sources[k].name);
			free(meta.sources);
			meta.sources = NULL;
			meta.n_sources = 0;
		} else {
			if (tokmeta_compatible(tokreader_meta(r[0]), paths[0], m, paths[i]))
				goto out;
			if (!tokmeta_same_labels(tokreader_meta(r[0]), m)) {
				error("'%s' and '%s' have different label names; re-run "
				      "filter-relabel on both with the same --labels", paths[0], paths[i]);
				goto out;
			}
		}
		offset[i] = meta.n_sources;
		for (int k = 0; k < m->n_sources; k++)
			if (tokmeta_add_source(&meta, m->sources[k].name, m->sources[k].hash) < 0)
				goto out;
		expect += tokreader_count(r[i]);
	}
	free(meta.producer);
	meta.producer = strdup(o->producer ? o->producer : "split");
	if (u64map_init(&seen, expect))
		goto out;
	for (int s = SPLIT_TRAIN; s <= SPLIT_TEST; s++)
		if (!(w[s] = tokwriter_open(o->out[s], &meta)))
			goto out;

	for (int i = 0; i < n; i++) {
		const struct tokmeta *m = tokreader_meta(r[i]);
		struct tokrec rec;
		int got;
		while ((got = tokreader_next(r[i], &rec)) == 1) {
			int found;
			total++;
			if (!u64map_put(&seen, rec.hash, &found))
				goto out;
			if (found) {
				if (dups++ < 5)
					warning("'%s': record from %s:%u repeats an earlier text; "
						"kept the first copy only (run filter-relabel first)",
						paths[i], rec.source < (uint32_t)m->n_sources ?
						m->sources[rec.source].name : "?", rec.line);
				continue;
			}
			int s = rec.split;
			int named = !o->ignore_named && s >= SPLIT_TRAIN && s <= SPLIT_TEST;
			if (!named)
				s = split_assign(rec.hash, &o->fracs);
			rec.split = (uint8_t)s;
			rec.source += offset[i];
			sc[s].n++;
			if (named)
				sc[s].named++;
			else
				sc[s].hashed++;
			if (rec.label >= 0 && rec.label < meta.n_labels)
				sc[s].cls[rec.label]++;
			else
				sc[s].unlabeled++;
			if (tokwriter_add(w[s], &rec))
				goto out;
		}
		if (got < 0)
			goto out;
	}
	if (dups > 5)
		warning("%ld repeated texts in all (kept the first copy of each)", dups);
	for (int s = SPLIT_TRAIN; s <= SPLIT_TEST; s++) {
		int bad = tokwriter_commit(w[s]);
		w[s] = NULL;
		if (bad)
			goto out;
	}
	rc = 0;

out:
	for (int s = SPLIT_TRAIN; s <= SPLIT_TEST; s++)
		if (w[s])
			tokwriter_abort(w[s]);
	if (stats) {
		json_t *splits = json_object(), *inputs = json_array();
		long kept = total - dups;
		for (int i = 0; i < n; i++)
			json_array_append_new(inputs, json_string(paths[i]));
		for (int s = SPLIT_TRAIN; s <= SPLIT_TEST; s++) {
			json_t *cls = json_object();
			for (int k = 0; k < meta.n_labels; k++)
				json_object_set_new(cls, meta.labels[k], json_integer(sc[s].cls[k]));
			if (sc[s].unlabeled)
				json_object_set_new(cls, "(unlabeled)", json_integer(sc[s].unlabeled));
			json_object_set_new(splits, tok_split_name(s), json_pack(
				"{s:s, s:I, s:f, s:I, s:I, s:o}", "file", o->out[s],
				"n", (json_int_t)sc[s].n, "fraction", kept ? (double)sc[s].n / kept : 0.0,
				"named", (json_int_t)sc[s].named, "hashed", (json_int_t)sc[s].hashed,
				"classes", cls));
		}
		*stats = json_pack("{s:s, s:o, s:{s:f, s:f, s:f}, s:b, s:I, s:I, s:o}",
				   "status", rc ? "failed" : "ok", "inputs", inputs,
				   "fractions", "train", o->fracs.train, "validation",
				   o->fracs.validation, "test", o->fracs.test,
				   "named_splits_honoured", !o->ignore_named,
				   "in", (json_int_t)total, "duplicates_dropped", (json_int_t)dups,
				   "splits", splits);
	}
	for (int i = 0; i < n && r; i++)
		tokreader_close(r[i]);
	free(r);
	free(offset);
	tokmeta_free(&meta);
	u64map_free(&seen);
	return rc;
}
