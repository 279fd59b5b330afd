/* relabel.c - merge, relabel and deduplicate token-record files (see
 * relabel.h).  Pass 1 maps every label and records, per text hash, the
 * outcome of its first copy and whether a later copy disagrees; pass 2
 * rewinds the inputs and writes the survivors. */
#include <stdlib.h>
#include <string.h>

#include "badlog.h"
#include "error.h"
#include "grow.h"
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
	for (int f = F_UNKNOWN; f < F_N; f++)
		json_object_set_new(d, fate_names[f], json_integer(fate[f]));
	return d;
}

int relabel_run(const char *const *paths, int n, const char *output,
		const struct relabel_opts *o, json_t **stats)
{
	int rc = -1;
	struct input *in = calloc(n, sizeof(*in));
	struct tokmeta meta = {0};
	struct u64map map = {0};
	struct dupent *ents = NULL;
	size_t n_ents = 0, cap_ents = 0;
	struct tokwriter *w = NULL;
	struct badlog bad;
	struct strcount raw = {0};
	long fate[F_N] = {0}, total = 0, conflict_texts = 0;
	long per_class[TOKFILE_MAX_LABELS] = {0};
	const struct labelmap *lm = o->map;
	badlog_init(&bad, o->max_print);
	if (stats)
		*stats = NULL;
	if (!in) {
		error("out of memory");
		goto out;
	}

	/* open, check compatibility, build the output metadata */
	uint64_t expect = 0;
	for (int i = 0; i < n; i++) {
		in[i].path = paths[i];
		in[i].r = tokreader_open(paths[i]);
		if (!in[i].r)
			goto out;
		const struct tokmeta *m = tokreader_meta(in[i].r);
		if (i == 0) {
			if (tokmeta_copy(&meta, m))
				goto out;
			for (int k = 0; k < meta.n_labels; k++)
				free(meta.labels[k]);
			meta.n_labels = 0;
			for (int k = 0; k < meta.n_sources; k++)
				free(meta.sources[k].name);
			free(meta.sources);
			meta.sources = NULL;
			meta.n_sources = 0;
		} else if (tokmeta_compatible(tokreader_meta(in[0].r), paths[0], m, paths[i])) {
			goto out;
		}
		in[i].src_offset = meta.n_sources;
		for (int k = 0; k < m->n_sources; k++)
			if (tokmeta_add_source(&meta, m->sources[k].name, m->sources[k].hash) < 0)
				goto out;
		if (m->n_sources == 0 && tokmeta_add_source(&meta, paths[i], 0) < 0)
			goto out;
		expect += tokreader_count(in[i].r);
	}
	for (int k = 0; k < labelmap_n_classes(lm); k++)
		if (!(meta.labels[meta.n_labels++] = strdup(labelmap_class(lm, k)))) {
			error("out of memory");
			goto out;
		}
	free(meta.producer);
	meta.producer = strdup(o->producer ? o->producer : "filter-relabel");
	if (u64map_init(&map, expect))
		goto out;

	/* pass 1: outcomes per text */
	uint64_t g = 0;
	for (int i = 0; i < n; i++) {
		const struct tokmeta *m = tokreader_meta(in[i].r);
		struct tokrec rec;
		int got;
		while ((got = tokreader_next(in[i].r, &rec)) == 1) {
			int cls = labelmap_lookup(lm, rec.label_raw, rec.label_raw_len);
			strcount_add(&raw, rec.label_raw, rec.label_raw_len);
			if (cls == LABEL_UNKNOWN) {
				badlog_add(&bad, "unknown_label", source_name(m, rec.source), rec.line,
					   "unknown label '%.*s' (not in --labels %s)",
					   (int)(rec.label_raw_len > 60 ? 60 : rec.label_raw_len),
					   rec.label_raw, labelmap_spec(lm));
				if (o->fail_on_unknown) {
					error("unknown label and --on-error fail: nothing written");
					goto out;
				}
				g++;
				continue;
			}
			int found;
			uint32_t *slot = u64map_put(&map, rec.hash, &found);
			if (!slot)
				goto out;
			if (!found) {
				if (GROW_ARRAY(ents, cap_ents, n_ents + 1, 1024))
					goto out;
				*slot = (uint32_t)n_ents;
				ents[n_ents++] = (struct dupent){.first = g, .outcome = cls};
			} else {
				struct dupent *e = &ents[*slot];
				if (e->outcome != cls && !e->conflict) {
					e->conflict = 1;
					conflict_texts++;
				}
			}
			g++;
		}
		if (got < 0)
			goto out;
	}

	/* pass 2: write the survivors */
	w = tokwriter_open(output, &meta);
	if (!w)
		goto out;
	g = 0;
	for (int i = 0; i < n; i++) {
		struct tokrec rec;
		int got;
		if (tokreader_rewind(in[i].r))
			goto out;
		while ((got = tokreader_next(in[i].r, &rec)) == 1) {
			int cls = labelmap_lookup(lm, rec.label_raw, rec.label_raw_len);
			int f;
			if (cls == LABEL_UNKNOWN) {
				f = F_UNKNOWN;
			} else {
				const struct dupent *e = &ents[*u64map_get(&map, rec.hash)];
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
			in[i].in++;
			in[i].fate[f]++;
			fate[f]++;
			total++;
			if (f != F_KEPT)
				continue;
			per_class[cls]++;
			rec.label = cls;
			rec.source += in[i].src_offset;
			if (tokwriter_add(w, &rec))
				goto out;
		}
		if (got < 0)
			goto out;
	}
	if (fate[F_KEPT] == 0) {
		error("no review left after relabelling (%ld in); check --labels", total);
		goto out;
	}
	if (tokwriter_commit(w)) {
		w = NULL;
		goto out;
	}
	w = NULL;
	rc = 0;
	badlog_summary(&bad, "unknown labels");

out:
	if (w)
		tokwriter_abort(w);
	if (stats) {
		json_t *inputs = json_array(), *classes = json_object();
		for (int i = 0; i < n && in; i++) {
			json_t *src = json_array();
			const struct tokmeta *m = in[i].r ? tokreader_meta(in[i].r) : NULL;
			for (int k = 0; m && k < m->n_sources; k++)
				json_array_append_new(src, json_string(m->sources[k].name));
			json_array_append_new(inputs, json_pack("{s:s, s:o, s:I, s:I, s:o}", "file",
				in[i].path, "dumps", src, "in", (json_int_t)in[i].in, "kept",
				(json_int_t)in[i].fate[F_KEPT], "dropped", fates_json(in[i].fate)));
		}
		for (int k = 0; k < labelmap_n_classes(lm); k++)
			json_object_set_new(classes, labelmap_class(lm, k), json_integer(per_class[k]));
		*stats = json_pack("{s:s, s:s, s:o, s:o, s:I, s:I, s:o, s:o, s:I, s:o, s:o}",
				   "status", rc ? "failed" : "ok", "labels", labelmap_spec(lm),
				   "classes", classes, "inputs", inputs, "in", (json_int_t)total,
				   "kept", (json_int_t)fate[F_KEPT], "dropped", fates_json(fate),
				   "raw_labels", strcount_json(&raw), "conflict_texts", (json_int_t)conflict_texts,
				   "unknown_labels", badlog_json(&bad), "output", json_string(output));
	}
	for (int i = 0; i < n && in; i++)
		tokreader_close(in[i].r);
	strcount_free(&raw);
	free(in);
	free(ents);
	u64map_free(&map);
	tokmeta_free(&meta);
	badlog_free(&bad);
	return rc;
}
