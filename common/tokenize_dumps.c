/* tokenize_dumps.c - the tokenize stage's work (see tokenize_dumps.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include "afile.h"
#include "badlog.h"
#include "encdump.h"
#include "error.h"
#include "grow.h"
#include "hash.h"
#include "jsonw.h"
#include "tokenize_dumps.h"
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

char *tokenize_out_name(const char *dir, const char *dump)
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

/* A token file needs the dump read twice: its byte hash (in the file's
 * metadata, written first), then its reviews.  A pipe (<(zcat d.gz),
 * /dev/stdin fed by a pipe) gives its bytes once: the second read found
 * nothing and reported an "empty file".  -1 after error() for such a dump. */
static int not_rereadable(const char *path)
{
	struct stat st;
	if (stat(path, &st) || !(S_ISFIFO(st.st_mode) || S_ISCHR(st.st_mode) ||
				 S_ISSOCK(st.st_mode)))
		return 0; /* a file, a folder or missing: reported where it is read */
	return error("'%s' is a pipe or device, not a file: writing a token file reads the "
		     "dump twice (its byte hash, then its reviews); save it to a file first "
		     "(--print-ids alone reads it once)", path);
}

static json_t *dump_json(const char *path, const char *output, const struct encdump_stats *st,
			 int failed)
{
	json_t *bad = json_object(), *splits = json_object();
	int oom = 0; /* jsonw_unless */
	for (int k = 1; k < DUMP_BAD_N; k++)
		if (st->bad_by_kind[k])
			oom |= json_object_set_new(bad, dump_bad_name(k),
						   json_integer(st->bad_by_kind[k]));
	for (int s = SPLIT_TRAIN; s <= SPLIT_TEST; s++)
		if (st->named_split[s])
			oom |= json_object_set_new(splits, tok_split_name(s),
						   json_integer(st->named_split[s]));
	double mb = st->bytes / 1e6;
	json_t *j = json_pack(
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
	return jsonw_unless(j, oom);
}

int tokenize_dumps(const struct tokenize_opts *o, char *const *dumps, char *const *outs, int n)
{
	/* no output may replace an input (a dump or the vocabulary) */
	afile_protect_input(o->vocab_path);
	for (int i = 0; i < n; i++)
		afile_protect_input(dumps[i]);
	struct vocab *v = vocab_load(o->vocab_path);
	struct vocab_specials sp = v ? vocab_specials(v) : (struct vocab_specials){0};
	if (v && (sp.cls < 0 || sp.sep < 0))
		error("'%s' has no [CLS] or [SEP] token", o->vocab_path);
	if (!v || sp.cls < 0 || sp.sep < 0) {
		vocab_free(v);
		return -1;
	}
	/* opened before any dump is read (after the inputs are protected), so
	 * a stats path that cannot be written fails first and leaves no token
	 * file; committed at the end, after the token files */
	struct afile stats_af = {0};
	if (o->stats_path && stats_open(&stats_af, o->stats_path, (const char *const *)outs, n)) {
		vocab_free(v);
		return -1;
	}
	if (o->print_ids)
		setvbuf(stdout, NULL, _IOFBF, 1 << 20);

	struct badlog bad;
	badlog_init(&bad, o->max_print);
	struct encdump_opts eo = {
		.vocab = v, .wp = WORDPIECE_OPTS_DEFAULT, .max_len = o->max_len,
		.trunc = trunc_side_parse(o->truncation),
		.threads = o->threads ? o->threads : encdump_default_threads(),
		.batch_records = o->batch_records,
		.dump = o->dump,
		.fail_on_error = o->fail_on_error, .max_errors = o->max_errors, .bad = &bad,
	};
	eo.wp.nfc = o->nfc;

	struct tokmeta meta = {
		.vocab_hash = vocab_hash(v), .vocab_size = vocab_size(v), .max_len = o->max_len,
		.pad_id = sp.pad, .unk_id = sp.unk, .cls_id = sp.cls, .sep_id = sp.sep,
		.truncation = (char *)o->truncation, .producer = (char *)PRODUCER,
		.nfc = o->nfc,
	};
	json_t *per_dump = json_array();
	int stats_lost = 0; /* a dump's label counts ran out of memory */
	int stats_bad = 0; /* a dump's entry could not be added (jsonw_unless) */
	long t_records = 0, t_ok = 0, t_bad = 0;
	uint64_t t_bytes = 0;
	double t_sec = 0;
	int rc = 0;
	for (int i = 0; i < n && !rc; i++) {
		struct out ob = {.print = o->print_ids};
		struct encdump_stats st;
		if (outs[i]) {
			uint64_t h;
			struct toksource src = {dumps[i], 0};
			if (not_rereadable(dumps[i]) || hash64_file(dumps[i], &h)) {
				rc = -1;
				json_t *d = json_pack("{s:s, s:s}", "path", dumps[i], "status",
						      "failed");
				stats_bad |= json_array_append_new(per_dump, d);
				break;
			}
			src.hash = h;
			meta.n_sources = 1;
			meta.sources = &src;
			ob.w = tokwriter_open(outs[i], &meta);
			meta.sources = NULL;
			meta.n_sources = 0;
			if (!ob.w) {
				rc = -1;
				break;
			}
		}
		rc = encdump_run(dumps[i], &eo, on_record, &ob, &st);
		if (ob.w) {
			if (rc)
				tokwriter_abort(ob.w);
			else if (tokwriter_commit(ob.w))
				rc = -1;
		}
		if (o->print_ids && fflush(stdout))
			rc = error("cannot write to stdout");
		free(ob.line);
		/* a path that is not UTF-8 leaves its entry out, as it always did */
		stats_lost |= st.labels.lost;
		stats_bad |= json_array_append_new(per_dump,
						   dump_json(dumps[i], outs[i], &st, rc != 0));
		if (!rc)
			info("'%s': %ld reviews, %ld bad, %ld truncated, %.1f MB in %.2f s (%.1f MB/s)%s%s",
			     dumps[i], st.ok, st.bad, st.truncated, st.bytes / 1e6, st.seconds,
			     st.seconds > 0 ? st.bytes / 1e6 / st.seconds : 0.0,
			     outs[i] ? " -> " : "", outs[i] ? outs[i] : "");
		t_records += st.records;
		t_ok += st.ok;
		t_bad += st.bad;
		t_bytes += st.bytes;
		t_sec += st.seconds;
		encdump_stats_free(&st);
	}
	badlog_summary(&bad, "bad records", o->stats_path);

	if (o->stats_path) {
		char hex[17];
		hash64_hex(vocab_hash(v), hex);
		json_t *j = json_pack(
			"{s:s, s:s, s:s, s:I, s:I, s:s, s:i, s:o, s:{s:I, s:I, s:I, s:I, s:f, s:f},"
			" s:o}",
			"status", rc ? "failed" : "ok", "vocab", o->vocab_path, "vocab_hash", hex,
			"vocab_size", (json_int_t)vocab_size(v), "max_len", (json_int_t)o->max_len,
			"truncation", o->truncation, "threads", eo.threads, "dumps", per_dump,
			"total", "records", (json_int_t)t_records, "ok", (json_int_t)t_ok,
			"bad", (json_int_t)t_bad, "bytes", (json_int_t)t_bytes, "seconds", t_sec,
			"mb_per_s", t_sec > 0 ? t_bytes / 1e6 / t_sec : 0.0,
			"bad_records", badlog_json(&bad));
		j = jsonw_unless(j, stats_bad);
		per_dump = NULL;
		if (stats_lost) { /* not stats that leave a dump's labels out */
			json_decref(j);
			j = NULL;
		}
		if (stats_commit(&stats_af, j))
			rc = -1;
		json_decref(j);
	}
	json_decref(per_dump);
	badlog_free(&bad);
	vocab_free(v);
	return rc;
}
