/* tok-dump - print token-record files as JSON Lines, for people and tests.
 *
 * Reads token files (tokenize, filter-relabel, split); writes to stdout one
 * JSON object per record: hash (16 hex digits), label, label_raw, split,
 * source (dump name), line, n_full, ids, text; or with --meta, the metadata
 * of each file.  Never writes files.  Exit: 0 ok, 1 failure, 2 bad usage.
 */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "hash.h"
#include "jsonw.h"
#include "opts.h"
#include "stage.h"
#include "tokfile.h"

/* one object per line, keys in their order */
#define LINE (JSON_COMPACT | JSON_PRESERVE_ORDER)

/* The file's metadata (tokfile.h) with its name and record count first. */
static json_t *meta_json(const char *path, const struct tokreader *r)
{
	json_t *j = json_pack("{s:s, s:I}", "file", path, "count", (json_int_t)tokreader_count(r));
	json_t *m = tokmeta_to_json(tokreader_meta(r));
	if (!j || !m || json_object_update(j, m)) {
		json_decref(j);
		j = NULL;
	}
	json_decref(m);
	return j;
}

int main(int argc, char **argv)
{
	int meta = 0, no_text = 0, no_ids = 0;
	const struct opt opts[] = {
		{"meta", OPT_FLAG, &meta, NULL, "print each file's metadata instead of its records", 0, 0},
		{"no-text", OPT_FLAG, &no_text, NULL, "leave the review text out", 0, 0},
		{"no-ids", OPT_FLAG, &no_ids, NULL, "leave the token ids out", 0, 0},
		{0},
	};
	const struct opts_program prog = {
		"tok-dump", "[OPTIONS] TOKFILE...",
		"Print token-record files as JSON Lines (one object per review).", opts, 1, -1, 0,
	};
	char **args;
	int nargs;
	stage_start(&prog, argc, argv, &args, &nargs, NULL);
	for (int f = 0; f < nargs; f++) {
		struct tokreader *r = tokreader_open(args[f]);
		if (!r)
			return EXIT_FAIL;
		if (meta) {
			json_t *j = meta_json(args[f], r);
			char *s = j ? jsonw_dumps(j, LINE, NULL) : NULL;
			json_decref(j);
			tokreader_close(r);
			if (!s)
				die(EXIT_FAIL, "out of memory");
			puts(s);
			free(s);
			continue;
		}
		const struct tokmeta *m = tokreader_meta(r);
		struct tokrec rec;
		int got;
		while ((got = tokreader_next(r, &rec)) == 1) {
			char hex[17];
			hash64_hex(rec.hash, hex);
			json_t *j = json_pack("{s:s, s:i, s:s%, s:s, s:s, s:I, s:I}", "hash", hex,
					      "label", rec.label, "label_raw", rec.label_raw,
					      (size_t)rec.label_raw_len, "split", tok_split_name(rec.split),
					      "source", rec.source < (uint32_t)m->n_sources
							? m->sources[rec.source].name : "",
					      "line", (json_int_t)rec.line, "n_full", (json_int_t)rec.n_full);
			if (!j) {
				tokreader_close(r);
				return error("'%s': cannot encode a record as JSON", args[f]) ? EXIT_FAIL : 0;
			}
			int oom = 0; /* jsonw_unless */
			if (!no_ids) {
				json_t *ids = json_array();
				for (uint32_t i = 0; i < rec.n_ids; i++)
					oom |= json_array_append_new(ids, json_integer(rec.ids[i]));
				oom |= json_object_set_new(j, "ids", ids);
			}
			if (!no_text)
				oom |= json_object_set_new(j, "text",
							   json_stringn(rec.text, rec.text_len));
			j = jsonw_unless(j, oom);
			char *s = j ? jsonw_dumps(j, LINE, NULL) : NULL;
			json_decref(j);
			if (!s) { /* a record left out would shift every later one */
				tokreader_close(r);
				error("'%s': cannot encode a record as JSON", args[f]);
				return EXIT_FAIL;
			}
			puts(s);
			free(s);
		}
		tokreader_close(r);
		if (got < 0)
			return EXIT_FAIL;
	}
	if (fflush(stdout))
		return error("cannot write to stdout") ? EXIT_FAIL : 0;
	return EXIT_OK;
}
