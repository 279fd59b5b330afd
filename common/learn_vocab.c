/* learn_vocab.c - the learn-vocab stage's work (see learn_vocab.h). */
#include <stdio.h>
#include <string.h>

#include <jansson.h>

#include "afile.h"
#include "badlog.h"
#include "dumpread.h"
#include "error.h"
#include "jsonoom.h"
#include "jsonw.h"
#include "learn_vocab.h"
#include "progress.h"
#include "splitassign.h"
#include "tokfile.h"
#include "vocab_learn.h"
#include "wordpiece.h"

/* What one run shares across its dumps. */
struct run {
	const struct learn_vocab_opts *o;
	struct vocab_learner *l;
	struct texthasher *th; /* hashes texts for the split; NULL: learn from all */
	struct dump_opts dopts;
	struct badlog bad;
	unsigned long json_mark; /* jsonoom_mark() at the start */
	int stats_bad; /* a dump's counts could not be added (jsonw_unless) */
};

/* Feeds one dump's texts to the learner; appends its counts to per_dump.
 * Returns 0 or -1 after error(). */
static int learn_dump(struct run *r, const char *path, json_t *per_dump)
{
	const struct learn_vocab_opts *o = r->o;
	struct dumpreader *rd = dumpreader_open(path, &r->dopts);
	if (!rd)
		return -1;
	long records = 0, ok = 0, nbad = 0, other_split = 0;
	int file_split = o->ignore_named ? SPLIT_NONE : dump_split_from_name(path);
	struct dumprec rec;
	int got, rc = 0;
	while ((got = dumpreader_next(rd, &rec)) == DUMP_REC || got == DUMP_BAD) {
		records++;
		if (got == DUMP_REC) {
			size_t bad_at = 0;
			int a = 0;
			if (r->th) { /* train split only */
				int s = o->ignore_named ? SPLIT_NONE : rec.split ? rec.split : file_split;
				uint64_t h;
				a = texthasher_hash(r->th, rec.text, rec.text_len, &h, &bad_at);
				if (a == 0 && s == SPLIT_NONE)
					s = split_assign(h, o->fracs);
				if (a == 0 && s != SPLIT_TRAIN) {
					other_split++;
					continue;
				}
			}
			if (a == 0)
				a = vocab_learner_add(r->l, rec.text, rec.text_len, &bad_at);
			if (a == 0) {
				ok++;
				continue;
			}
			if (a != WP_BAD_UTF8) {
				rc = -1;
				break;
			}
			rec.bad = DUMP_BAD_UTF8;
			badlog_add(&r->bad, dump_bad_name(rec.bad), path, rec.line,
				   "invalid UTF-8 at byte %zu of the text", bad_at);
		} else {
			badlog_add(&r->bad, dump_bad_name(rec.bad), path, rec.line, "%s", rec.reason);
		}
		nbad++;
		if (o->fail_on_error) {
			rc = error("'%s': stopped at the first bad record (--on-error fail)", path);
			break;
		}
		if (o->max_errors > 0 && nbad > o->max_errors) {
			rc = error("'%s': more than %ld bad records (--max-errors)", path,
				   o->max_errors);
			break;
		}
	}
	if (got == DUMP_FATAL)
		rc = -1;
	if (!rc && ok + other_split == 0)
		rc = error("'%s': no usable review (%ld records, %ld bad)", path, records, nbad);
	json_t *counts = json_pack("{s:s, s:s, s:s, s:I, s:I, s:I, s:I, s:I}",
		"path", path, "status", rc ? "failed" : "ok",
		"format", dump_format_name(dumpreader_format(rd)), "records", (json_int_t)records,
		"ok", (json_int_t)ok, "not_train", (json_int_t)other_split,
		"bad", (json_int_t)nbad, "bytes", (json_int_t)dumpreader_bytes(rd));
	r->stats_bad |= json_array_append_new(per_dump, counts);
	dumpreader_close(rd);
	return rc;
}

static int write_stats(const struct run *r, struct afile *af, int rc, json_t *per_dump,
		       double read_s, double learn_s)
{
	const struct learn_vocab_opts *o = r->o;
	struct vocab_learn_stats ls = vocab_learner_stats(r->l);
	json_t *j = json_pack(
		"{s:s, s:s, s:{s:I, s:I, s:I, s:b, s:s?, s:b}, s:o, s:o, s:{s:I, s:I, s:I, s:I,"
		" s:I, s:I, s:I, s:I, s:I}, s:f, s:f}",
		"status", rc ? "failed" : "ok", "output", o->output,
		"options", "size", (json_int_t)o->size, "min_frequency", (json_int_t)o->min_frequency,
		"max_alphabet", (json_int_t)o->max_alphabet, "nfc", o->nfc, "fractions", o->fractions,
		"ignore_named", o->ignore_named,
		"dumps", per_dump, "bad_records", badlog_json(&r->bad),
		"learner", "texts", (json_int_t)ls.texts, "words", (json_int_t)ls.words,
		"long_words", (json_int_t)ls.long_words,
		"unique_words", (json_int_t)ls.unique_words, "alphabet", (json_int_t)ls.alphabet,
		"dropped_alphabet", (json_int_t)ls.dropped_alphabet,
		"merges", (json_int_t)ls.merges, "size", (json_int_t)ls.size,
		"last_merge_count", (json_int_t)ls.last_merge_count,
		"read_seconds", read_s, "learn_seconds", learn_s);
	j = jsonw_unless(j, r->stats_bad);
	/* jansson short of memory during the run: the stats may lack what a
	 * call not checked dropped */
	int oom = jsonoom_since(r->json_mark);
	if (!j || oom) {
		json_decref(j);
		afile_abort(af);
		return error("cannot encode the stats for '%s'%s", o->stats_path,
			     oom ? ": out of memory" : "");
	}
	int w = json_write_afile(af, j);
	json_decref(j);
	return w;
}

int learn_vocab_run(const struct learn_vocab_opts *o, char *const *dumps, int n)
{
	struct vocab_learn_opts lo = VOCAB_LEARN_OPTS_DEFAULT;
	lo.vocab_size = (uint32_t)o->size;
	lo.min_frequency = (uint64_t)o->min_frequency;
	lo.max_alphabet = (uint32_t)o->max_alphabet;
	lo.nfc = o->nfc;
	struct run r = {
		.o = o,
		.json_mark = jsonoom_mark(),
		.l = vocab_learner_new(&lo),
		.th = o->fracs ? texthasher_new(lo.max_chars_per_word, o->nfc) : NULL,
		.dopts = {
			.format = o->format, .text_field = o->text_field,
			.split_field = o->fracs && !o->ignore_named ? NULL : "",
			.max_record_bytes = (size_t)o->max_record_mb << 20, .text_only = 1,
		},
	};
	if (!r.l || (o->fracs && !r.th)) {
		texthasher_free(r.th);
		vocab_learner_free(r.l);
		return -1;
	}
	for (int i = 0; i < n; i++) /* the vocabulary or stats may not replace a dump */
		afile_protect_input(dumps[i]);
	/* both outputs are opened before a dump is read, so a path that cannot
	 * be written fails first (not after the learning), and committed at
	 * the end: the stats written in full and renamed first, then the
	 * vocabulary (afile_lead), so a stats file that cannot be written
	 * leaves no new vocabulary */
	struct afile out_af = {0}, stats_af = {0};
	if (afile_open(&out_af, o->output) ||
	    (o->stats_path && afile_open(&stats_af, o->stats_path))) {
		if (out_af.fp)
			afile_abort(&out_af);
		texthasher_free(r.th);
		vocab_learner_free(r.l);
		return -1;
	}
	if (o->stats_path)
		afile_lead(&stats_af); /* the vocabulary is renamed only once the stats are */
	badlog_init(&r.bad, o->max_print);
	json_t *per_dump = json_array();
	double t0 = progress_now();
	int rc = 0;
	for (int i = 0; i < n && !rc; i++)
		rc = learn_dump(&r, dumps[i], per_dump);
	double t1 = progress_now();
	if (rc)
		afile_abort(&out_af);
	else if (vocab_learner_save(r.l, &out_af))
		rc = -1;
	double t2 = progress_now();
	badlog_summary(&r.bad, "bad records", o->stats_path);
	struct vocab_learn_stats ls = vocab_learner_stats(r.l);
	if (!rc)
		info("%llu texts, %llu distinct words, %u characters, %u merges -> '%s' "
		     "(%u lines; read %.2f s, learned %.2f s)",
		     (unsigned long long)ls.texts, (unsigned long long)ls.unique_words, ls.alphabet,
		     ls.merges, o->output, ls.size, t1 - t0, t2 - t1);
	if (o->stats_path) {
		if (write_stats(&r, &stats_af, rc, per_dump, t1 - t0, t2 - t1))
			rc = -1;
		per_dump = NULL; /* json_pack's "o" took it, also on failure */
	}
	json_decref(per_dump);
	badlog_free(&r.bad);
	texthasher_free(r.th);
	vocab_learner_free(r.l);
	return rc;
}
