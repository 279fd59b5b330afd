/* tokenize - turn review dumps into token-record files (or print the ids).
 *
 * Reads dumps (JSON Lines, CSV, TSV; gzip or plain; see common/dumpread.h)
 * and a BERT vocab.txt; writes one token file per dump (--output for one
 * dump, --out-dir for several: <dir>/<dump name>.tok), a stats JSON file,
 * and with --print-ids one {"ids":[...]} line per review on stdout (with
 * --print-ids alone, labels are not read).  Labels stay raw (filter-relabel
 * maps them).  The work is in common/encdump.c.
 * Exit: 0 ok, 1 failure (see --on-error), 2 bad usage.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "badlog.h"
#include "encdump.h"
#include "error.h"
#include "grow.h"
#include "hash.h"
#include "opts.h"
#include "stage.h"
#include "tokfile.h"
#include "vocab.h"
#include "wordpiece.h"

#define PRODUCER "tokenize 1"

struct out {
	struct tokwriter *w;
	int print;
	char *line;
	size_t cap;
};

/* {"ids":[101,...,102]}\n, formatted by hand: this is the hot output path
 * of --print-ids. */
static int print_ids(struct out *o, const struct tokrec *rec)
{
	size_t need = 16 + 11 * (size_t)rec->n_ids;
	if (GROW_ARRAY(o->line, o->cap, need, 4096))
		return -1;
	char *p = o->line;
	memcpy(p, "{\"ids\":[", 8);
	p += 8;
	for (uint32_t i = 0; i < rec->n_ids; i++) {
		char digits[10];
		int k = 0;
		uint32_t v = rec->ids[i];
		do {
			digits[k++] = (char)('0' + v % 10);
			v /= 10;
		} while (v);
		if (i)
			*p++ = ',';
		while (k)
			*p++ = digits[--k];
	}
	memcpy(p, "]}\n", 3);
	p += 3;
	if (fwrite(o->line, 1, p - o->line, stdout) != (size_t)(p - o->line))
		return error("cannot write to stdout");
	return 0;
}

static int on_record(void *ctx, const struct tokrec *rec)
{
	struct out *o = ctx;
	if (o->print && print_ids(o, rec))
		return -1;
	if (o->w && tokwriter_add(o->w, rec))
		return -1;
	return 0;
}

/* <dir>/<base name without .gz and the format extension>.tok */
static char *out_name(const char *dir, const char *dump)
{
	const char *base = strrchr(dump, '/');
	base = base ? base + 1 : dump;
	size_t n = strlen(base);
	if (n > 3 && !strcasecmp(base + n - 3, ".gz"))
		n -= 3;
	static const char *const exts[] = {".jsonl", ".ndjson", ".json", ".csv", ".tsv", ".tab"};
	for (size_t i = 0; i < sizeof(exts) / sizeof(*exts); i++) {
		size_t k = strlen(exts[i]);
		if (n > k && !strncasecmp(base + n - k, exts[i], k)) {
			n -= k;
			break;
		}
	}
	size_t len = strlen(dir) + n + 8;
	char *s = malloc(len);
	if (s)
		snprintf(s, len, "%s/%.*s.tok", dir, (int)n, base);
	return s;
}

static json_t *dump_json(const char *path, const char *output, const struct encdump_stats *st,
			 int failed)
{
	json_t *bad = json_object(), *splits = json_object();
	for (int k = 1; k < DUMP_BAD_N; k++)
		if (st->bad_by_kind[k])
			json_object_set_new(bad, dump_bad_name(k), json_integer(st->bad_by_kind[k]));
	for (int s = SPLIT_TRAIN; s <= SPLIT_TEST; s++)
		if (st->named_split[s])
			json_object_set_new(splits, tok_split_name(s), json_integer(st->named_split[s]));
	double mb = st->bytes / 1e6;
	return json_pack(
		"{s:s, s:o, s:s, s:s, s:{s:o, s:o, s:o}, s:o, s:I, s:I, s:I, s:o, s:I, s:I, s:o,"
		" s:o, s:I, s:I, s:I, s:f, s:f}",
		"path", path, "output", output ? json_string(output) : json_null(),
		"status", failed ? "failed" : "ok", "format", dump_format_name(st->format),
		"fields", "text", st->text_field ? json_string(st->text_field) : json_null(),
		"label", st->label_field ? json_string(st->label_field) : json_null(),
		"split", st->split_field ? json_string(st->split_field) : json_null(),
		"split_from_name", st->file_split ? json_string(tok_split_name(st->file_split))
						  : json_null(),
		"records", (json_int_t)st->records, "ok", (json_int_t)st->ok,
		"bad", (json_int_t)st->bad, "bad_by_reason", bad,
		"truncated", (json_int_t)st->truncated, "empty_text", (json_int_t)st->empty,
		"labels", strcount_json(&st->labels),
		"named_splits", splits, "bytes", (json_int_t)st->bytes,
		"text_bytes", (json_int_t)st->text_bytes, "tokens", (json_int_t)st->tokens,
		"seconds", st->seconds, "mb_per_s", st->seconds > 0 ? mb / st->seconds : 0.0);
}

int main(int argc, char **argv)
{
	const char *vocab_path = NULL, *output = NULL, *out_dir = NULL, *stats_path = NULL;
	const char *truncation = "head", *format = "auto", *on_error = "skip";
	const char *text_field = NULL, *label_field = NULL, *split_field = NULL;
	long max_len = 256, threads = 0, max_errors = 0, max_record_mb = 16, max_print = 20;
	int print = 0, nfc = 0, quiet = 0;
	const struct opt opts[] = {
		{"vocab", OPT_STR, &vocab_path, "FILE", "BERT vocab.txt (required)", 0, 0},
		{"max-len", OPT_INT, &max_len, "N",
		 "keep at most N ids per review, [CLS] and [SEP] included; 0 = no limit", 0, 1e9},
		{"truncation", OPT_CHOICE, &truncation, "head|tail|head+tail",
		 "which pieces a long review keeps (head+tail: first quarter, last three)", 0, 0},
		{"output", OPT_STR, &output, "FILE", "token file to write (one dump)", 0, 0},
		{"out-dir", OPT_STR, &out_dir, "DIR", "write DIR/<dump name>.tok for each dump", 0, 0},
		{"stats", OPT_STR, &stats_path, "FILE", "write counts, bad records, speed here (JSON)", 0, 0},
		{"print-ids", OPT_FLAG, &print, NULL, "print {\"ids\":[...]} per review on stdout", 0, 0},
		{"format", OPT_CHOICE, &format, "auto|jsonl|csv|tsv",
		 "dump format (auto: by file name, then by content)", 0, 0},
		{"text-field", OPT_STR, &text_field, "NAME",
		 "text field (default: first of text, comment_text, review, ...)", 0, 0},
		{"label-field", OPT_STR, &label_field, "NAME",
		 "label field (default: first of label_text, label, comment_kind, sentiment, ...)", 0, 0},
		{"split-field", OPT_STR, &split_field, "NAME",
		 "split field (default: split, when present; 'none' to ignore)", 0, 0},
		{"on-error", OPT_CHOICE, &on_error, "skip|fail",
		 "a bad record: skip, report and count it; or fail (exit 1)", 0, 0},
		{"max-errors", OPT_INT, &max_errors, "N",
		 "fail when a dump has more than N bad records; 0 = no limit", 0, 1e12},
		{"max-record-mb", OPT_INT, &max_record_mb, "N",
		 "skip (as bad) records longer than N MiB; bounds memory", 1, 1024},
		{"threads", OPT_INT, &threads, "N", "encoding threads; 0 = one per CPU", 0, 64},
		{"nfc", OPT_FLAG, &nfc, NULL, "NFC-normalise first (the slow Python tokenizer)", 0, 0},
		{"max-print", OPT_INT, &max_print, "N", "print at most N bad-record messages", 0, 1e9},
		OPT_QUIET(&quiet),
		{0},
	};
	const struct opts_program prog = {
		"tokenize", "--vocab FILE [OPTIONS] DUMP...",
		"Tokenize review dumps (JSONL, CSV, TSV; optionally .gz) with a WordPiece\n"
		"vocabulary into token files, one per dump; labels are kept raw.",
		opts, 1, -1,
	};
	char **args;
	int nargs;
	stage_start(&prog, argc, argv, &args, &nargs, &quiet);
	if (!vocab_path)
		die(EXIT_USAGE, "--vocab is required (see --help)");
	if (max_len == 1)
		die(EXIT_USAGE, "--max-len 1 cannot hold [CLS] and [SEP]; use 0 or at least 2");
	if (output && out_dir)
		die(EXIT_USAGE, "give --output or --out-dir, not both");
	if (output && nargs != 1)
		die(EXIT_USAGE, "--output takes one dump; use --out-dir for %d", nargs);
	if (!output && !out_dir && !print)
		die(EXIT_USAGE, "nothing to do: give --output, --out-dir or --print-ids");
	if (split_field && !strcmp(split_field, "none"))
		split_field = "";
	/* Only printing ids: labels and splits are not needed (a dump of bare
	 * texts works), unless a field is named explicitly. */
	int text_only = !output && !out_dir && !label_field;
	if (!output && !out_dir && !split_field)
		split_field = "";

	char **outs = calloc(nargs, sizeof(*outs));
	if (!outs)
		die(EXIT_FAIL, "out of memory");
	for (int i = 0; i < nargs; i++) {
		if (output)
			outs[i] = strdup(output);
		else if (out_dir && !(outs[i] = out_name(out_dir, args[i])))
			die(EXIT_FAIL, "out of memory");
		for (int j = 0; outs[i] && j < i; j++)
			if (!strcmp(outs[i], outs[j]))
				die(EXIT_USAGE, "'%s' and '%s' would both write '%s'", args[j], args[i],
				    outs[i]);
	}

	struct vocab *v = vocab_load(vocab_path);
	struct vocab_specials sp = v ? vocab_specials(v) : (struct vocab_specials){0};
	if (v && (sp.cls < 0 || sp.sep < 0))
		error("'%s' has no [CLS] or [SEP] token", vocab_path);
	if (!v || sp.cls < 0 || sp.sep < 0) { /* (freed: LeakSanitizer checks failing runs too) */
		for (int i = 0; i < nargs; i++)
			free(outs[i]);
		free(outs);
		vocab_free(v);
		return EXIT_FAIL;
	}
	if (print)
		setvbuf(stdout, NULL, _IOFBF, 1 << 20);

	struct badlog bad;
	badlog_init(&bad, max_print);
	struct encdump_opts eo = {
		.vocab = v, .wp = WORDPIECE_OPTS_DEFAULT, .max_len = (uint32_t)max_len,
		.trunc = trunc_side_parse(truncation),
		.threads = threads ? (int)threads : encdump_default_threads(),
		.dump = {.format = dump_format_parse(format), .text_field = text_field,
			 .label_field = label_field, .split_field = split_field,
			 .max_record_bytes = (size_t)max_record_mb << 20, .text_only = text_only},
		.fail_on_error = !strcmp(on_error, "fail"), .max_errors = max_errors, .bad = &bad,
	};
	eo.wp.nfc = nfc;

	struct tokmeta meta = {
		.vocab_hash = vocab_hash(v), .vocab_size = vocab_size(v), .max_len = (uint32_t)max_len,
		.pad_id = sp.pad, .unk_id = sp.unk, .cls_id = sp.cls, .sep_id = sp.sep,
		.truncation = (char *)truncation, .producer = (char *)PRODUCER,
	};
	json_t *dumps = json_array();
	long t_records = 0, t_ok = 0, t_bad = 0;
	uint64_t t_bytes = 0;
	double t_sec = 0;
	int rc = 0;
	for (int i = 0; i < nargs && !rc; i++) {
		struct out o = {.print = print};
		struct encdump_stats st;
		if (outs[i]) {
			uint64_t h;
			struct toksource src = {args[i], 0};
			if (hash64_file(args[i], &h)) {
				rc = -1;
				json_array_append_new(dumps, json_pack("{s:s, s:s}", "path", args[i],
								       "status", "failed"));
				break;
			}
			src.hash = h;
			meta.n_sources = 1;
			meta.sources = &src;
			o.w = tokwriter_open(outs[i], &meta);
			meta.sources = NULL;
			meta.n_sources = 0;
			if (!o.w) {
				rc = -1;
				break;
			}
		}
		rc = encdump_run(args[i], &eo, on_record, &o, &st);
		if (o.w) {
			if (rc)
				tokwriter_abort(o.w);
			else if (tokwriter_commit(o.w))
				rc = -1;
		}
		if (print && fflush(stdout))
			rc = error("cannot write to stdout");
		free(o.line);
		json_array_append_new(dumps, dump_json(args[i], outs[i], &st, rc != 0));
		if (!rc)
			info("'%s': %ld reviews, %ld bad, %ld truncated, %.1f MB in %.2f s (%.1f MB/s)%s%s",
			     args[i], st.ok, st.bad, st.truncated, st.bytes / 1e6, st.seconds,
			     st.seconds > 0 ? st.bytes / 1e6 / st.seconds : 0.0,
			     outs[i] ? " -> " : "", outs[i] ? outs[i] : "");
		t_records += st.records;
		t_ok += st.ok;
		t_bad += st.bad;
		t_bytes += st.bytes;
		t_sec += st.seconds;
		encdump_stats_free(&st);
	}
	badlog_summary(&bad, "bad records");

	if (stats_path) {
		char hex[17];
		hash64_hex(vocab_hash(v), hex);
		json_t *j = json_pack(
			"{s:s, s:s, s:s, s:I, s:I, s:s, s:i, s:o, s:{s:I, s:I, s:I, s:I, s:f, s:f},"
			" s:o}",
			"status", rc ? "failed" : "ok", "vocab", vocab_path, "vocab_hash", hex,
			"vocab_size", (json_int_t)vocab_size(v), "max_len", (json_int_t)max_len,
			"truncation", truncation, "threads", eo.threads, "dumps", dumps,
			"total", "records", (json_int_t)t_records, "ok", (json_int_t)t_ok,
			"bad", (json_int_t)t_bad, "bytes", (json_int_t)t_bytes, "seconds", t_sec,
			"mb_per_s", t_sec > 0 ? t_bytes / 1e6 / t_sec : 0.0,
			"bad_records", badlog_json(&bad));
		dumps = NULL;
		if (!j || json_write_file(stats_path, j))
			rc = -1;
		json_decref(j);
	}
	json_decref(dumps);
	badlog_free(&bad);
	for (int i = 0; i < nargs; i++)
		free(outs[i]);
	free(outs);
	vocab_free(v);
	return rc ? EXIT_FAIL : EXIT_OK;
}
