/* relabel.c - merge, relabel and deduplicate token-record files (see
 * relabel.h).  Pass 1 maps every label and records, per text hash, the
 * outcome of its first copy and whether a later copy disagrees; pass 2
 * rewinds the inputs and writes the survivors. */
#include <stdlib.h>
#include <string.h>

#include "badlog.h"
#include "error.h"
#include "grow.h"
#include "jsonw.h"
#include "relabel.h"
#include "tokfile.h"
#include "u64map.h"

enum fate { F_KEPT, F_UNKNOWN, F_LABEL, F_DUPLICATE, F_CONFLICT, F_N };
static const char *const fate_names[F_N] = {"kept", "unknown_label", "label", "duplicate",
					    "conflict"};

struct dupent {
	uint64_t first;  /* global index of the first copy */
	int32_t outcome; /* class index or LABEL_DROP */
	uint8_t conflict;
};

struct input {
	const char *path;
	struct tokreader *r;
	uint32_t src_offset;
	long fate[F_N];
	long in;
};

static const char *source_name(const struct tokmeta *m, uint32_t source)
{
	return source < (uint32_t)m->n_sources ? m->sources[source].name : "?";
}

static json_t *fates_json(const long *fate)
{
	json_t *d = json_object();
	int bad = 0; /* jsonw_unless */
	for (int f = F_UNKNOWN; f < F_N; f++)
		bad |= json_object_set_new(d, fate_names[f], json_integer(fate[f]));
	return jsonw_unless(d, bad);
}

/* One run: its inputs, the merged metadata and what pass 1 learnt. */
struct relabel {
	const struct relabel_opts *o;
	const struct labelmap *lm;
	struct input *in;
	int n;
	struct tokmeta meta;    /* of the output */
	struct u64map map;      /* text hash -> index in ents */
	struct dupent *ents;
	size_t n_ents, cap_ents;
	struct badlog bad;      /* unknown labels */
	struct strcount raw;    /* raw labels seen */
	long fate[F_N], total, conflict_texts;
	long per_class[TOKFILE_MAX_LABELS];
};

/* Opens the inputs, checks that they can be merged and builds the output
 * metadata: the first input's, with every input's dumps as sources and the
 * label map's classes as labels. */
static int open_inputs(struct relabel *R, const char *const *paths)
{
	struct tokmeta *meta = &R->meta;
	uint64_t expect = 0;
	for (int i = 0; i < R->n; i++) {
		struct input *in = &R->in[i];
		in->path = paths[i];
		if (tokmerge_add(meta, i ? R->in[0].r : NULL, paths[0], paths[i], 0, &in->r,
				 &in->src_offset))
			return -1;
		/* a file of no named dump stands for itself */
		if (tokreader_meta(in->r)->n_sources == 0 &&
		    tokmeta_add_source(meta, paths[i], 0) < 0)
			return -1;
		expect += tokreader_count(in->r);
	}
	for (int k = 0; k < labelmap_n_classes(R->lm); k++)
		if (!(meta->labels[meta->n_labels++] = strdup(labelmap_class(R->lm, k))))
			return error("out of memory");
	free(meta->producer);
	if (!(meta->producer = strdup(R->o->producer ? R->o->producer : "filter-relabel")))
		return error("out of memory"); /* not a file with no producer */
	return u64map_init(&R->map, expect);
}

/* Pass 1: the outcome of each text's first copy, and whether a later copy
 * disagrees. */
static int pass_outcomes(struct relabel *R)
{
	uint64_t g = 0;
	for (int i = 0; i < R->n; i++) {
		const struct tokmeta *m = tokreader_meta(R->in[i].r);
		struct tokrec rec;
		int got;
		while ((got = tokreader_next(R->in[i].r, &rec)) == 1) {
			int cls = labelmap_lookup(R->lm, rec.label_raw, rec.label_raw_len);
			strcount_add(&R->raw, rec.label_raw, rec.label_raw_len);
			if (cls == LABEL_UNKNOWN) {
				badlog_add(&R->bad, "unknown_label", source_name(m, rec.source), rec.line,
					   "unknown label '%.*s' (not in --labels %s)",
					   (int)(rec.label_raw_len > 60 ? 60 : rec.label_raw_len),
					   rec.label_raw, labelmap_spec(R->lm));
				if (R->o->fail_on_unknown)
					return error("unknown label and --on-error fail: nothing written");
				g++;
				continue;
			}
			int found;
			uint32_t *slot = u64map_put(&R->map, rec.hash, &found);
			if (!slot)
				return -1;
			if (!found) {
				if (GROW_ARRAY(R->ents, R->cap_ents, R->n_ents + 1, 1024))
					return -1;
				*slot = (uint32_t)R->n_ents;
				R->ents[R->n_ents++] = (struct dupent){.first = g, .outcome = cls};
			} else {
				struct dupent *e = &R->ents[*slot];
				if (e->outcome != cls && !e->conflict) {
					e->conflict = 1;
					R->conflict_texts++;
				}
			}
			g++;
		}
		if (got < 0)
			return -1;
	}
	return 0;
}

/* Pass 2: rewinds the inputs and writes the survivors to w. */
static int pass_write(struct relabel *R, struct tokwriter *w)
{
	uint64_t g = 0;
	for (int i = 0; i < R->n; i++) {
		struct input *in = &R->in[i];
		struct tokrec rec;
		int got;
		if (tokreader_rewind(in->r))
			return -1;
		while ((got = tokreader_next(in->r, &rec)) == 1) {
			int cls = labelmap_lookup(R->lm, rec.label_raw, rec.label_raw_len);
			int f;
			if (cls == LABEL_UNKNOWN) {
				f = F_UNKNOWN;
			} else {
				const struct dupent *e = &R->ents[*u64map_get(&R->map, rec.hash)];
				if (e->conflict)
					f = F_CONFLICT;
				else if (e->first != g)
					f = F_DUPLICATE;
				else if (cls == LABEL_DROP)
					f = F_LABEL;
				else
					f = F_KEPT;
			}
			g++;
			in->in++;
			in->fate[f]++;
			R->fate[f]++;
			R->total++;
			if (f != F_KEPT)
				continue;
			R->per_class[cls]++;
			rec.label = cls;
			rec.source += in->src_offset;
			if (tokwriter_add(w, &rec))
				return -1;
		}
		if (got < 0)
			return -1;
	}
	return 0;
}

/* The stats object (relabel.h), also of a failed run. */
static json_t *stats_json(const struct relabel *R, const char *output, int rc)
{
	json_t *inputs = json_array(), *classes = json_object();
	int bad = 0; /* jsonw_unless */
	/* the inputs the run reached: a failed one has no path after it */
	for (int i = 0; i < R->n && R->in && R->in[i].path; i++) {
		const struct input *in = &R->in[i];
		json_t *src = json_array();
		const struct tokmeta *m = in->r ? tokreader_meta(in->r) : NULL;
		for (int k = 0; m && k < m->n_sources; k++)
			bad |= json_array_append_new(src, json_string(m->sources[k].name));
		bad |= json_array_append_new(inputs, json_pack("{s:s, s:o, s:I, s:I, s:o}", "file",
			in->path, "dumps", src, "in", (json_int_t)in->in, "kept",
			(json_int_t)in->fate[F_KEPT], "dropped", fates_json(in->fate)));
	}
	for (int k = 0; k < labelmap_n_classes(R->lm); k++)
		bad |= json_object_set_new(classes, labelmap_class(R->lm, k),
					   json_integer(R->per_class[k]));
	json_t *j = json_pack("{s:s, s:s, s:o, s:o, s:I, s:I, s:o, s:o, s:I, s:o, s:o}",
			      "status", rc ? "failed" : "ok", "labels", labelmap_spec(R->lm),
			      "classes", classes, "inputs", inputs, "in", (json_int_t)R->total,
			      "kept", (json_int_t)R->fate[F_KEPT], "dropped", fates_json(R->fate),
			      "raw_labels", strcount_json(&R->raw),
			      "conflict_texts", (json_int_t)R->conflict_texts,
			      "unknown_labels", badlog_json(&R->bad),
			      "output", json_string(output));
	return jsonw_unless(j, bad);
}

int relabel_run(const char *const *paths, int n, const char *output,
		const struct relabel_opts *o, json_t **stats)
{
	int rc = -1;
	struct relabel R = {.o = o, .lm = o->map, .n = n, .in = calloc(n, sizeof(*R.in))};
	struct tokwriter *w = NULL;
	badlog_init(&R.bad, o->max_print);
	if (stats)
		*stats = NULL;
	if (!R.in) {
		error("out of memory");
		goto out;
	}
	if (open_inputs(&R, paths) || pass_outcomes(&R))
		goto out;
	if (!(w = tokwriter_open(output, &R.meta)) || pass_write(&R, w))
		goto out;
	if (R.fate[F_KEPT] == 0) {
		error("no review left after relabelling (%ld in); check --labels", R.total);
		goto out;
	}
	int c = tokwriter_commit(w);
	w = NULL;
	if (c)
		goto out;
	rc = 0;
	badlog_summary(&R.bad, "unknown labels", o->stats_path);
out:
	if (w)
		tokwriter_abort(w);
	if (stats)
		*stats = stats_json(&R, output, rc);
	for (int i = 0; i < n && R.in; i++)
		tokreader_close(R.in[i].r);
	strcount_free(&R.raw);
	free(R.in);
	free(R.ents);
	u64map_free(&R.map);
	tokmeta_free(&R.meta);
	badlog_free(&R.bad);
	return rc;
}
