/* encdump.c - ordered parallel tokenization of one dump (see encdump.h).
 *
 * Batches live in a ring of 2*threads+2 slots and carry sequence numbers.
 * The calling thread fills slot seq % n (copying text and labels, so the
 * reader can move on), queues it, and emits finished batches in sequence
 * order; a worker takes the oldest queued batch and encodes all of it.
 * JSON lines travel undecoded and are parsed by the workers (most of the
 * reading cost).  Bad records travel in the batches too, so their messages
 * come out in input order whatever the thread count.
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "encdump.h"
#include "error.h"
#include "grow.h"
#include "progress.h"

#define BATCH_RECS 256
#define BATCH_BYTES ((size_t)1 << 20)

struct item {
	long line;
	int raw;   /* an undecoded JSON line at text_off (the worker decodes it) */
	int bad;   /* enum dump_bad; DUMP_BAD_NONE for a good record */
	int split; /* named by the record, SPLIT_NONE if not */
	size_t text_off, text_len, label_off, label_len, reason_off, ids_off;
	uint64_t hash;
	uint32_t n_full, n_ids;
};

struct batch {
	struct item *items;
	int n;
	size_t cap;
	char *data; /* texts, labels, reasons */
	size_t data_n, data_cap;
	uint32_t *ids;
	size_t ids_n, ids_cap;
	int done, oom;
};

struct pool;
struct worker {
	pthread_t th;
	int started;
	struct wordpiece *wp;
	struct dumpdecoder *dec;
	struct idvec pieces, framed;
	struct pool *pool;
};

struct pool {
	pthread_mutex_t mu;
	pthread_cond_t work, done;
	struct batch *slots;
	int nslots;
	long filled, taken; /* batches queued so far, batches taken by workers */
	int stop;
	const struct encdump_opts *o;
	struct vocab_specials sp;
	struct worker *w;   /* (nthreads) encoders */
	int nthreads;
	int nw;             /* worker threads: nthreads, or 0 to encode inline */
	int recs;           /* reviews per batch at most */
};

int encdump_default_threads(void)
{
	long n = sysconf(_SC_NPROCESSORS_ONLN);
	return n < 1 ? 1 : n > 16 ? 16 : (int)n;
}

/* Appends bytes to the batch data; returns the offset, or (size_t)-1. */
static size_t data_add(struct batch *b, const void *p, size_t n)
{
	if (GROW_ARRAY_QUIET(b->data, b->data_cap, b->data_n + n, BATCH_BYTES + 4096)) {
		b->oom = 1;
		return (size_t)-1;
	}
	size_t off = b->data_n;
	if (n)
		memcpy(b->data + off, p, n);
	b->data_n += n;
	return off;
}

static struct item *item_new(struct batch *b, long line)
{
	if (GROW_ARRAY_QUIET(b->items, b->cap, (size_t)b->n + 1, BATCH_RECS)) {
		b->oom = 1;
		return NULL;
	}
	struct item *it = &b->items[b->n++];
	memset(it, 0, sizeof(*it));
	it->line = line;
	return it;
}

static void item_bad(struct batch *b, struct item *it, int kind, const char *reason)
{
	it->bad = kind;
	it->reason_off = data_add(b, reason, strlen(reason) + 1);
}

/* Decodes the raw JSON line of it into text, label and split (appended to
 * the batch data), or marks it bad.  -1 when out of memory. */
static int decode_item(struct worker *w, struct batch *b, struct item *it)
{
	struct dumprec rec;
	it->raw = 0;
	int rc = dumpdecoder_decode(w->dec, it->line, b->data + it->text_off, it->text_len, &rec);
	if (rc == DUMP_FATAL) { /* out of memory, reported */
		b->oom = 2;
		return -1;
	}
	if (rc == DUMP_BAD) {
		item_bad(b, it, rec.bad, rec.reason);
		return b->oom ? -1 : 0;
	}
	it->split = rec.split;
	it->text_len = rec.text_len;
	it->label_len = rec.label_len;
	it->text_off = data_add(b, rec.text, rec.text_len);
	it->label_off = data_add(b, rec.label, rec.label_len);
	return b->oom ? -1 : 0;
}

/* Encodes every good item of b with worker w's tokenizer. */
static void encode_batch(struct pool *p, struct worker *w, struct batch *b)
{
	const struct encdump_opts *o = p->o;
	for (int i = 0; i < b->n && !b->oom; i++) {
		struct item *it = &b->items[i];
		if (it->raw && decode_item(w, b, it))
			return;
		if (it->bad)
			continue;
		size_t bad_at = 0;
		w->pieces.n = 0;
		int rc = wordpiece_encode(w->wp, b->data + it->text_off, it->text_len, &w->pieces,
					  &it->hash, &bad_at);
		if (rc == WP_BAD_UTF8) {
			char msg[96];
			snprintf(msg, sizeof(msg), "invalid UTF-8 at byte %zu of the text", bad_at);
			item_bad(b, it, DUMP_BAD_UTF8, msg);
			continue;
		}
		if (rc != WP_OK) {
			b->oom = 1;
			return;
		}
		if (wordpiece_frame(w->pieces.v, w->pieces.n, o->max_len, o->trunc, p->sp.cls,
				    p->sp.sep, &w->framed)) {
			b->oom = 1;
			return;
		}
		if (GROW_ARRAY_QUIET(b->ids, b->ids_cap, b->ids_n + w->framed.n, 64 * 1024)) {
			b->oom = 1;
			return;
		}
		memcpy(b->ids + b->ids_n, w->framed.v, w->framed.n * sizeof(uint32_t));
		it->ids_off = b->ids_n;
		it->n_ids = (uint32_t)w->framed.n;
		it->n_full = (uint32_t)(w->pieces.n + 2);
		b->ids_n += w->framed.n;
	}
}

static void *worker_main(void *arg)
{
	struct worker *w = arg;
	struct pool *p = w->pool;
	for (;;) {
		pthread_mutex_lock(&p->mu);
		while (!p->stop && p->taken == p->filled)
			pthread_cond_wait(&p->work, &p->mu);
		if (p->taken == p->filled) {
			pthread_mutex_unlock(&p->mu);
			return NULL;
		}
		struct batch *b = &p->slots[p->taken++ % p->nslots];
		pthread_mutex_unlock(&p->mu);
		encode_batch(p, w, b);
		pthread_mutex_lock(&p->mu);
		b->done = 1;
		pthread_cond_broadcast(&p->done);
		pthread_mutex_unlock(&p->mu);
	}
}

/* Reads records into b until it is full.  Returns 1 (more to read),
 * DUMP_END or DUMP_FATAL. */
static int fill_batch(struct dumpreader *r, struct batch *b, int recs)
{
	b->n = 0;
	b->data_n = b->ids_n = 0;
	b->oom = 0;
	while (b->n < recs && b->data_n < BATCH_BYTES) {
		struct dumprec rec;
		int rc = dumpreader_next_raw(r, &rec);
		if (rc == DUMP_END || rc == DUMP_FATAL)
			return rc;
		struct item *it = item_new(b, rec.line);
		if (!it)
			return 1;
		if (rc == DUMP_BAD) {
			item_bad(b, it, rec.bad, rec.reason);
			continue;
		}
		if (rc == DUMP_RAW) {
			it->raw = 1;
			it->text_len = rec.text_len;
			it->text_off = data_add(b, rec.text, rec.text_len);
			if (b->oom)
				return 1;
			continue;
		}
		it->split = rec.split;
		it->text_len = rec.text_len;
		it->label_len = rec.label_len;
		it->text_off = data_add(b, rec.text, rec.text_len);
		it->label_off = data_add(b, rec.label, rec.label_len);
		if (b->oom)
			return 1;
	}
	return 1;
}

/* Hands the records of a finished batch out in order.  0 or -1. */
static int emit_batch(const char *path, const struct encdump_opts *o, struct batch *b,
		      encdump_fn fn, void *ctx, struct encdump_stats *st)
{
	if (b->oom) /* 2: the decoder said so */
		return b->oom == 2 ? -1 : error("out of memory tokenizing '%s'", path);
	for (int i = 0; i < b->n; i++) {
		const struct item *it = &b->items[i];
		st->records++;
		if (it->bad) {
			st->bad++;
			st->bad_by_kind[it->bad]++;
			badlog_add(o->bad, dump_bad_name(it->bad), path, it->line, "%s",
				   b->data + it->reason_off);
			if (o->fail_on_error)
				return error("'%s': stopped at the first bad record (--on-error fail)", path);
			if (o->max_errors > 0 && st->bad > o->max_errors)
				return error("'%s': more than %ld bad records (--max-errors); is this "
					     "the right format and fields?", path, o->max_errors);
			continue;
		}
		int split = it->split != SPLIT_NONE ? it->split : st->file_split;
		struct tokrec rec = {
			.hash = it->hash, .label = -1, .split = (uint8_t)split, .source = 0,
			.line = (uint32_t)it->line, .n_full = it->n_full, .n_ids = it->n_ids,
			.ids = b->ids + it->ids_off, .label_raw = b->data + it->label_off,
			.label_raw_len = (uint32_t)it->label_len, .text = b->data + it->text_off,
			.text_len = (uint32_t)it->text_len,
		};
		st->ok++;
		st->named_split[split]++;
		if (o->max_len && it->n_full > o->max_len)
			st->truncated++;
		if (it->n_full == 2)
			st->empty++;
		st->text_bytes += it->text_len;
		st->tokens += it->n_ids;
		if (rec.label_raw_len) /* none when labels are not read */
			strcount_add(&st->labels, rec.label_raw, rec.label_raw_len);
		if (fn(ctx, &rec))
			return -1;
	}
	return 0;
}

static void wait_done(struct pool *p, struct batch *b)
{
	if (!p->nw)
		return;
	pthread_mutex_lock(&p->mu);
	while (!b->done)
		pthread_cond_wait(&p->done, &p->mu);
	pthread_mutex_unlock(&p->mu);
}

static int is_done(struct pool *p, struct batch *b)
{
	if (!p->nw)
		return 1;
	pthread_mutex_lock(&p->mu);
	int d = b->done;
	pthread_mutex_unlock(&p->mu);
	return d;
}

static char *dup_or_null(const char *s) { return s ? strdup(s) : NULL; }

/* Sets up the pool for `threads` encoders over reader r: one wordpiece
 * object and decoder each, worker threads when threads > 1, and the batch
 * slots.  On failure what was made is left for pool_close. */
static int pool_open(struct pool *p, const struct encdump_opts *o, struct dumpreader *r,
		     int threads)
{
	p->o = o;
	p->sp = vocab_specials(o->vocab);
	p->nthreads = threads;
	p->nw = threads > 1 ? threads : 0;
	p->recs = o->batch_records > 0 ? o->batch_records : BATCH_RECS;
	p->nslots = threads > 1 ? 2 * threads + 2 : 1;
	p->slots = calloc(p->nslots, sizeof(*p->slots));
	p->w = calloc(threads, sizeof(*p->w));
	pthread_mutex_init(&p->mu, NULL);
	pthread_cond_init(&p->work, NULL);
	pthread_cond_init(&p->done, NULL);
	if (!p->slots || !p->w)
		return error("out of memory");
	for (int i = 0; i < threads; i++) {
		p->w[i].pool = p;
		if (!(p->w[i].wp = wordpiece_new(o->vocab, &o->wp)) ||
		    !(p->w[i].dec = dumpdecoder_new(r)))
			return -1;
	}
	for (int i = 0; i < p->nw; i++) {
		int e = pthread_create(&p->w[i].th, NULL, worker_main, &p->w[i]);
		if (e)
			return error("cannot start tokenizer thread %d of %d: %s (--threads 1 "
				     "starts none)", i + 1, p->nw, strerror(e));
		p->w[i].started = 1;
	}
	return 0;
}

/* Stops the workers and frees what pool_open made. */
static void pool_close(struct pool *p)
{
	if (p->w) {
		pthread_mutex_lock(&p->mu);
		p->stop = 1;
		pthread_cond_broadcast(&p->work);
		pthread_mutex_unlock(&p->mu);
		for (int i = 0; i < p->nw; i++)
			if (p->w[i].started)
				pthread_join(p->w[i].th, NULL);
		for (int i = 0; i < p->nthreads; i++) {
			wordpiece_free(p->w[i].wp);
			dumpdecoder_free(p->w[i].dec);
			idvec_free(&p->w[i].pieces);
			idvec_free(&p->w[i].framed);
		}
	}
	for (int i = 0; p->slots && i < p->nslots; i++) {
		free(p->slots[i].items);
		free(p->slots[i].data);
		free(p->slots[i].ids);
	}
	free(p->slots);
	free(p->w);
	pthread_mutex_destroy(&p->mu);
	pthread_cond_destroy(&p->work);
	pthread_cond_destroy(&p->done);
}

/* The read-encode-emit pipeline: the calling thread fills batches from r
 * and hands them to the workers (or encodes them itself), then passes
 * finished batches to fn strictly in input order.  Returns 0, or -1 after
 * error(); *rstat: the reader's last status. */
static int run_batches(struct pool *p, struct dumpreader *r, const char *path,
		       encdump_fn fn, void *ctx, struct encdump_stats *st, int *rstat)
{
	const struct encdump_opts *o = p->o;
	long seq = 0, written = 0;
	int rc = 0;
	*rstat = 1;
	while (*rstat == 1 && !rc) {
		while (seq - written >= p->nslots && !rc) {
			struct batch *b = &p->slots[written % p->nslots];
			wait_done(p, b);
			rc = emit_batch(path, o, b, fn, ctx, st);
			written++;
		}
		if (rc)
			break;
		struct batch *b = &p->slots[seq % p->nslots];
		*rstat = fill_batch(r, b, p->recs);
		if (b->n == 0) {
			/* no room for its first record: not the end of the dump */
			if (b->oom)
				rc = error("out of memory tokenizing '%s'", path);
			break;
		}
		if (p->nw) {
			pthread_mutex_lock(&p->mu);
			b->done = 0;
			p->filled = seq + 1;
			pthread_cond_signal(&p->work);
			pthread_mutex_unlock(&p->mu);
		} else {
			encode_batch(p, &p->w[0], b);
			b->done = 1;
		}
		seq++;
		while (written < seq && !rc && is_done(p, &p->slots[written % p->nslots])) {
			rc = emit_batch(path, o, &p->slots[written % p->nslots], fn, ctx, st);
			written++;
		}
	}
	while (written < seq && !rc) {
		struct batch *b = &p->slots[written % p->nslots];
		wait_done(p, b);
		rc = emit_batch(path, o, b, fn, ctx, st);
		written++;
	}
	return rc;
}

int encdump_run(const char *path, const struct encdump_opts *o, encdump_fn fn, void *ctx,
		struct encdump_stats *st)
{
	double t0 = progress_now();
	int rc, rstat = 1;
	struct pool p;
	memset(st, 0, sizeof(*st));
	memset(&p, 0, sizeof(p));
	st->file_split = dump_split_from_name(path);
	st->format = o->dump.format;
	struct dumpreader *r = dumpreader_open(path, &o->dump);
	if (!r) {
		st->fatal = 1;
		return -1;
	}
	st->format = dumpreader_format(r);
	rc = pool_open(&p, o, r, o->threads < 1 ? 1 : o->threads);
	if (!rc)
		rc = run_batches(&p, r, path, fn, ctx, st, &rstat);
	if (!rc && rstat == DUMP_FATAL) {
		st->fatal = 1;
		rc = -1;
	}
	if (!rc && st->ok == 0)
		rc = error("'%s': no usable review (%ld records, %ld bad)", path, st->records, st->bad);
	pool_close(&p);
	st->text_field = dup_or_null(dumpreader_text_field(r));
	st->label_field = dup_or_null(dumpreader_label_field(r));
	st->split_field = dup_or_null(dumpreader_split_field(r));
	/* the stats would name no field */
	if (!rc && ((dumpreader_text_field(r) && !st->text_field) ||
		    (dumpreader_label_field(r) && !st->label_field) ||
		    (dumpreader_split_field(r) && !st->split_field)))
		rc = error("out of memory tokenizing '%s'", path);
	st->bytes = dumpreader_bytes(r);
	dumpreader_close(r);
	st->seconds = progress_now() - t0;
	return rc;
}

void encdump_stats_free(struct encdump_stats *st)
{
	strcount_free(&st->labels);
	free(st->text_field);
	free(st->label_field);
	free(st->split_field);
	memset(st, 0, sizeof(*st));
}
