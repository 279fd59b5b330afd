/* batches.c - the streaming batch reader (see batches.h).
 *
 * One epoch, as the producer (epoch_step) sees it:
 *   chunk order   0..C-1, permuted with rng(seed, epoch) when shuffling
 *   pools         two of them, each up to pool_chunks chunks plus fewer than
 *                 B rows left over from the pool before.  Batches are cut
 *                 from the front pool while the back pool is filled one
 *                 chunk at a time, in step with the batches taken, so the
 *                 reading is spread evenly instead of bursting every pool
 *   row order     when a pool comes to the front its rows are permuted;
 *                 with bucketing, sorted by length (ties in permuted order)
 *                 and cut into batches whose order is permuted
 *   batches       B rows each; the final partial batch comes last
 * A producer thread runs epoch_step into free slots of a small ring; the
 * caller takes ready slots in order.  Only the producer touches HDF5 while
 * an epoch is in flight (HDF5 must be thread-safe for the thread to be
 * used; otherwise batches are read in batches_next).
 */
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "batches.h"
#include "error.h"
#include "h5util.h"
#include "rng.h"

#define CK H5CALL

struct slot {
	int32_t *ids, *lengths, *labels;
	uint64_t *hashes, *rows;
	struct batch batch;
};

/* Rows read from the file, and the order in which they leave as batches. */
struct pool {
	int32_t *ids, *len, *lab; /* (cap, T), (cap), (cap) */
	uint64_t *hash, *rows;    /* (cap) */
	uint32_t *idx, *border;   /* row order; batch order */
	uint32_t n, chunks;       /* rows held; chunks read into it */
	uint32_t nb, next_b;      /* full batches; the next one to emit */
	uint32_t final_start, final_n; /* the epoch's partial batch, if here */
};

struct batches {
	char *path;
	struct batches_config cfg;
	struct dsinfo info;
	const char *split;
	hid_t f, d_ids, d_len, d_lab, d_hash;
	uint64_t n_rows;
	uint32_t T, B, C, n_chunks, pool_chunks;
	int bucket;

	/* epoch state: owned by the producer while an epoch is in flight */
	struct rng rng;
	uint64_t epoch, batch_index;
	uint32_t *order, next_chunk;
	uint32_t pool_cap;
	struct pool pools[2], *front, *back;
	uint64_t *keys; /* sort keys for bucketing */

	/* the ring of batch buffers */
	struct slot *slots;
	int nslots;
	int *ready, ready_head, ready_n;
	int *free_list, free_n;
	int held; /* slot the caller holds, or -1 */
	int started, done, failed, stop;
	int threaded, running;
	pthread_t thread;
	pthread_mutex_t mu;
	pthread_cond_t cv_ready, cv_free;
};

void batches_config_init(struct batches_config *c)
{
	memset(c, 0, sizeof(*c));
	c->split = "train";
	c->batch_size = 32;
	c->shuffle = 1;
	c->seed = 1;
	c->shuffle_rows = 2048;
	c->bucket = -1;
	c->drop_last = 0;
	c->trim = 1;
	c->cache_bytes = 0;
	c->prefetch = 4;
	c->vocab_hash = 0;
}

const struct dsinfo *batches_info(const struct batches *b) { return &b->info; }
uint64_t batches_rows(const struct batches *b) { return b->n_rows; }

uint64_t batches_per_epoch(const struct batches *b)
{
	return b->cfg.drop_last ? b->n_rows / b->B : (b->n_rows + b->B - 1) / b->B;
}

/* ---- opening and checking ---- */

/* error() messages that said memory ran out, when the reading began
 * (read_begin: batches_open, each chunk read): after one, bad() says
 * nothing of the file, which may be fine ("failed its integrity check;
 * re-run make" for a file read short of memory). */
static _Thread_local unsigned long read_oom;

static void read_begin(void) { read_oom = error_oom_count(); }

static int bad(const char *path, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int bad(const char *path, const char *fmt, ...)
{
	if (error_oom_count() != read_oom)
		return -1;
	char msg[768];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	return dsfile_bad(path, "%s", msg);
}

static void *xmalloc(size_t n, int *failed)
{
	void *p = malloc(n ? n : 1);
	if (!p)
		*failed = 1;
	return p;
}

static int check_int_type(struct batches *b, hid_t d, const char *name, size_t max_size)
{
	hid_t t = CK(H5Dget_type(d));
	if (t < 0)
		return bad(b->path, "cannot read the type of '%s/%s'", b->split, name);
	int ok = H5Tget_class(t) == H5T_INTEGER && H5Tget_size(t) <= max_size;
	H5Tclose(t);
	if (!ok)
		return bad(b->path, "'%s/%s' is not an integer dataset of at most %zu "
				  "bytes per value", b->split, name, max_size);
	return 0;
}

static hid_t open_ds(struct batches *b, hid_t g, const char *name, int rank,
		     size_t max_size)
{
	hid_t d = h5_dataset_open(g, name,
				  b->cfg.cache_bytes ? b->cfg.cache_bytes : H5_CACHE_ONE_CHUNK);
	if (d < 0) {
		bad(b->path, "split '%s' has no dataset '%s'", b->split, name);
		return -1;
	}
	int64_t want[2] = {(int64_t)b->n_rows, b->T};
	if (h5_dataset_check_shape(d, rank, want)) {
		bad(b->path, "'%s/%s' has the wrong shape", b->split, name);
		H5Dclose(d);
		return -1;
	}
	if (check_int_type(b, d, name, max_size)) {
		H5Dclose(d);
		return -1;
	}
	/* values in the file: unwritten rows read as zeros, and the pools
	 * are sized from the attributes and the chunks */
	if (h5_dataset_check_stored(d)) {
		bad(b->path, "'%s/%s' is not stored in full", b->split, name);
		H5Dclose(d);
		return -1;
	}
	return d;
}

/* Rows per chunk of the ids dataset (the unit of reading and shuffling;
 * 256 for a dataset not chunked): 0 after error() when it cannot be
 * read, since the epoch's order depends on it (it fell back to 256,
 * another order of the batches, when HDF5 ran short of memory). */
static uint32_t chunk_rows_of(hid_t d, uint64_t n_rows)
{
	uint32_t c = 256;
	hid_t p = H5CALL(H5Dget_create_plist(d));
	if (p < 0)
		return 0;
	H5D_layout_t lay = (H5D_layout_t)H5CALL(H5Pget_layout(p));
	hsize_t dims[2];
	int rank = lay == H5D_CHUNKED ? (int)H5CALL(H5Pget_chunk(p, 2, dims)) : 0;
	H5Pclose(p);
	if (lay < 0 || rank < 0)
		return 0;
	if (rank == 2 && dims[0] > 0)
		c = dims[0] > (1u << 24) ? (1u << 24) : (uint32_t)dims[0];
	if (n_rows && c > n_rows)
		c = (uint32_t)n_rows;
	return c ? c : 1;
}

static void free_buffers(struct batches *b)
{
	free(b->order);
	free(b->keys);
	for (int k = 0; k < 2; k++) {
		struct pool *p = &b->pools[k];
		free(p->ids);
		free(p->len);
		free(p->lab);
		free(p->hash);
		free(p->rows);
		free(p->idx);
		free(p->border);
	}
	for (int i = 0; b->slots && i < b->nslots; i++) {
		free(b->slots[i].ids);
		free(b->slots[i].lengths);
		free(b->slots[i].labels);
		free(b->slots[i].hashes);
		free(b->slots[i].rows);
	}
	free(b->slots);
	free(b->ready);
	free(b->free_list);
}

static int alloc_buffers(struct batches *b)
{
	int bad = 0;
	size_t T = b->T, B = b->B, P = b->pool_cap;
	b->order = xmalloc((size_t)b->n_chunks * 4, &bad);
	b->keys = xmalloc(P * 8, &bad);
	for (int k = 0; k < 2; k++) {
		struct pool *p = &b->pools[k];
		p->ids = xmalloc(P * T * 4, &bad);
		p->len = xmalloc(P * 4, &bad);
		p->lab = xmalloc(P * 4, &bad);
		p->hash = xmalloc(P * 8, &bad);
		p->rows = xmalloc(P * 8, &bad);
		p->idx = xmalloc(P * 4, &bad);
		p->border = xmalloc(P / B * 4 + 4, &bad);
	}
	b->nslots = b->threaded ? b->cfg.prefetch + 1 : 1;
	b->slots = calloc(b->nslots, sizeof(*b->slots));
	b->ready = xmalloc(b->nslots * sizeof(int), &bad);
	b->free_list = xmalloc(b->nslots * sizeof(int), &bad);
	if (!b->slots)
		return error("out of memory");
	for (int i = 0; i < b->nslots; i++) {
		struct slot *s = &b->slots[i];
		s->ids = xmalloc(B * T * 4, &bad);
		s->lengths = xmalloc(B * 4, &bad);
		s->labels = xmalloc(B * 4, &bad);
		s->hashes = xmalloc(B * 8, &bad);
		s->rows = xmalloc(B * 8, &bad);
	}
	return bad ? error("out of memory (batch reader for '%s')", b->path) : 0;
}

struct batches *batches_open(const char *path, const struct batches_config *cfg)
{
	read_begin();
	struct batches *b = calloc(1, sizeof(*b));
	if (!b) {
		error("out of memory");
		return NULL;
	}
	b->f = b->d_ids = b->d_len = b->d_lab = b->d_hash = -1;
	b->held = -1;
	b->cfg = *cfg;
	b->path = strdup(path);
	pthread_mutex_init(&b->mu, NULL);
	pthread_cond_init(&b->cv_ready, NULL);
	pthread_cond_init(&b->cv_free, NULL);
	hid_t g = -1;
	int split = tok_split_parse(cfg->split ? cfg->split : "");
	if (!b->path) {
		error("out of memory");
		goto fail;
	}
	if (split == SPLIT_NONE) {
		error("unknown split '%s' (train, validation, test)", cfg->split ? cfg->split : "");
		goto fail;
	}
	b->split = tok_split_name(split);
	if (cfg->batch_size < 1 || cfg->prefetch < 0 || cfg->prefetch > 64) {
		error("batch reader: batch size must be >= 1 and prefetch 0..64");
		goto fail;
	}
	b->B = cfg->batch_size;
	if (h5_seal_check(path, 1)) {
		/* a missing file is not a damaged one */
		bad(path, access(path, F_OK) ? "no such file" : "failed its integrity check");
		goto fail;
	}
	b->f = h5_open(path, 0);
	if (b->f < 0) {
		bad(path, "cannot be opened as HDF5 (missing, truncated or corrupted)");
		goto fail;
	}
	if (dsinfo_read(b->f, path, &b->info))
		goto fail;
	if (cfg->vocab_hash && cfg->vocab_hash != b->info.meta.vocab_hash) {
		bad(path, "made with vocabulary %016llx, expected %016llx",
			   (unsigned long long)b->info.meta.vocab_hash,
			   (unsigned long long)cfg->vocab_hash);
		goto fail;
	}
	if (!b->info.has_split[split]) {
		bad(path, "no split '%s'", b->split);
		goto fail;
	}
	b->n_rows = b->info.counts[split];
	b->T = b->info.meta.max_len;
	if (b->n_rows > UINT32_MAX) {
		bad(path, "too many rows in split '%s'", b->split);
		goto fail;
	}
	g = h5_group_open(b->f, b->split);
	if (g < 0) {
		bad(path, "no split '%s'", b->split);
		goto fail;
	}
	if ((b->d_ids = open_ds(b, g, DS_IDS, 2, 4)) < 0 ||
	    (b->d_len = open_ds(b, g, DS_LENGTHS, 1, 4)) < 0 ||
	    (b->d_lab = open_ds(b, g, DS_LABELS, 1, 4)) < 0 ||
	    (b->d_hash = open_ds(b, g, DS_HASHES, 1, 8)) < 0)
		goto fail;
	H5Gclose(g);
	g = -1;

	b->C = chunk_rows_of(b->d_ids, b->n_rows);
	if (!b->C)
		goto fail;
	b->n_chunks = (uint32_t)((b->n_rows + b->C - 1) / b->C);
	b->bucket = cfg->bucket < 0 ? (cfg->shuffle && b->info.bucket_window > 0) : cfg->bucket;
	if (cfg->shuffle || b->bucket) {
		uint64_t k = (cfg->shuffle_rows + b->C - 1) / b->C;
		b->pool_chunks = k < 1 ? 1 : k > b->n_chunks ? (b->n_chunks ? b->n_chunks : 1) : (uint32_t)k;
	} else {
		b->pool_chunks = 1;
	}
	b->pool_cap = b->pool_chunks * b->C + b->B;
	hbool_t ts = 0;
	H5is_library_threadsafe(&ts);
	b->threaded = cfg->prefetch > 0 && ts;
	if (cfg->prefetch > 0 && !ts)
		warning("the HDF5 library is not thread-safe: reading batches without prefetch");
	if (alloc_buffers(b))
		goto fail;
	return b;
fail:
	if (g >= 0)
		H5Gclose(g);
	batches_close(b);
	return NULL;
}

/* ---- the producer ---- */

static int check_rows(struct batches *b, const struct pool *p, uint32_t at, uint32_t n,
		      uint64_t row0)
{
	const struct tokmeta *m = &b->info.meta;
	for (uint32_t i = at; i < at + n; i++) {
		int32_t len = p->len[i], lab = p->lab[i];
		const int32_t *ids = p->ids + (size_t)i * b->T;
		const char *why = NULL;
		if (len < 1 || (uint32_t)len > b->T)
			why = "a length outside 1..max_len";
		else if (lab < 0 || lab >= m->n_labels)
			why = "a label outside the label names";
		for (uint32_t t = 0; !why && t < b->T; t++)
			if (ids[t] < 0 || (uint32_t)ids[t] >= m->vocab_size)
				why = "an id outside the vocabulary";
		if (why)
			return bad(b->path, "split '%s' row %llu has %s (corrupted?)", b->split,
					  (unsigned long long)(row0 + i - at), why);
	}
	return 0;
}

/* Reads the next chunk of the epoch's order into the back pool. */
static int read_next_chunk(struct batches *b)
{
	struct pool *p = b->back;
	uint32_t c = b->order[b->next_chunk++];
	uint64_t r0 = (uint64_t)c * b->C;
	uint32_t n = (uint32_t)(b->n_rows - r0 < b->C ? b->n_rows - r0 : b->C);
	uint32_t at = p->n;
	read_begin();
	if (h5_dataset_read_rows(b->d_ids, H5T_NATIVE_INT32, r0, n, p->ids + (size_t)at * b->T) ||
	    h5_dataset_read_rows(b->d_len, H5T_NATIVE_INT32, r0, n, p->len + at) ||
	    h5_dataset_read_rows(b->d_lab, H5T_NATIVE_INT32, r0, n, p->lab + at) ||
	    h5_dataset_read_rows(b->d_hash, H5T_NATIVE_UINT64, r0, n, p->hash + at))
		return bad(b->path, "cannot read rows %llu..%llu of split '%s' (corrupted?)",
				  (unsigned long long)r0, (unsigned long long)(r0 + n - 1), b->split);
	if (check_rows(b, p, at, n, r0))
		return -1;
	for (uint32_t i = 0; i < n; i++)
		p->rows[at + i] = r0 + i;
	p->n += n;
	p->chunks++;
	return 0;
}

static int back_has_room(const struct batches *b)
{
	return b->next_chunk < b->n_chunks && b->back->chunks < b->pool_chunks &&
	       b->back->n + b->C <= b->pool_cap;
}

static int cmp_u64(const void *x, const void *y)
{
	uint64_t a = *(const uint64_t *)x, c = *(const uint64_t *)y;
	return a < c ? -1 : a > c;
}

/* Finishes filling the back pool, brings it to the front and orders its
 * rows; the rows left over (fewer than B) start the new back pool. */
static int swap_pools(struct batches *b)
{
	while (back_has_room(b))
		if (read_next_chunk(b))
			return -1;
	struct pool *p = b->back;
	b->back = b->front;
	b->front = p;
	uint32_t B = b->B, n = p->n;
	for (uint32_t i = 0; i < n; i++)
		p->idx[i] = i;
	if (b->cfg.shuffle)
		rng_shuffle_u32(&b->rng, p->idx, n);
	p->nb = n / B;
	p->next_b = 0;
	p->final_n = 0;
	uint32_t full = p->nb * B;
	if (b->next_chunk == b->n_chunks && !b->cfg.drop_last) {
		p->final_start = full;
		p->final_n = n - full;
	}
	if (b->bucket && full > 1) {
		/* sort by length; ties keep the permuted order */
		for (uint32_t k = 0; k < full; k++)
			b->keys[k] = (uint64_t)p->len[p->idx[k]] << 32 | k;
		qsort(b->keys, full, 8, cmp_u64);
		for (uint32_t k = 0; k < full; k++)
			b->keys[k] = p->idx[(uint32_t)b->keys[k]];
		for (uint32_t k = 0; k < full; k++)
			p->idx[k] = (uint32_t)b->keys[k];
	}
	for (uint32_t k = 0; k < p->nb; k++)
		p->border[k] = k;
	if (b->bucket && b->cfg.shuffle)
		rng_shuffle_u32(&b->rng, p->border, p->nb);

	/* the new back pool starts with this pool's leftover rows */
	struct pool *q = b->back;
	uint32_t T = b->T, lo = b->next_chunk < b->n_chunks ? n - full : 0;
	for (uint32_t k = 0; k < lo; k++) {
		uint32_t i = p->idx[full + k];
		memcpy(q->ids + (size_t)k * T, p->ids + (size_t)i * T, (size_t)T * 4);
		q->len[k] = p->len[i];
		q->lab[k] = p->lab[i];
		q->hash[k] = p->hash[i];
		q->rows[k] = p->rows[i];
	}
	q->n = lo;
	q->chunks = 0;
	q->nb = q->next_b = q->final_n = 0;
	return 0;
}

static void emit(struct batches *b, struct slot *s, const uint32_t *rows, uint32_t n)
{
	const struct pool *p = b->front;
	uint32_t T = b->T, t = T;
	if (b->cfg.trim) {
		t = 1;
		for (uint32_t k = 0; k < n; k++)
			if ((uint32_t)p->len[rows[k]] > t)
				t = (uint32_t)p->len[rows[k]];
	}
	for (uint32_t k = 0; k < n; k++) {
		uint32_t i = rows[k];
		memcpy(s->ids + (size_t)k * t, p->ids + (size_t)i * T, (size_t)t * 4);
		s->lengths[k] = p->len[i];
		s->labels[k] = p->lab[i];
		s->hashes[k] = p->hash[i];
		s->rows[k] = p->rows[i];
	}
	s->batch = (struct batch){n, t, s->ids, s->lengths, s->labels, s->hashes, s->rows,
				  b->batch_index++, b->epoch};
}

/* Produces the next batch into s: 1, 0 at the end of the epoch, -1 on error. */
static int epoch_step(struct batches *b, struct slot *s)
{
	for (;;) {
		struct pool *p = b->front;
		if (p->next_b < p->nb) {
			emit(b, s, p->idx + (size_t)p->border[p->next_b++] * b->B, b->B);
			/* keep the back pool as full as the front is spent */
			while (back_has_room(b) &&
			       (uint64_t)b->back->chunks * p->nb < (uint64_t)p->next_b * b->pool_chunks)
				if (read_next_chunk(b))
					return -1;
			return 1;
		}
		if (p->final_n) {
			emit(b, s, p->idx + p->final_start, p->final_n);
			p->final_n = 0;
			return 1;
		}
		if (b->next_chunk >= b->n_chunks && b->back->n == 0)
			return 0;
		if (swap_pools(b))
			return -1;
	}
}

static void *producer(void *arg)
{
	struct batches *b = arg;
	/* stop signals go to the caller's thread, whose loop acts on them
	 * (train checkpoints and stops; batches_close then joins this thread) */
	sigset_t stop;
	sigemptyset(&stop);
	sigaddset(&stop, SIGINT);
	sigaddset(&stop, SIGTERM);
	sigaddset(&stop, SIGHUP);
	pthread_sigmask(SIG_BLOCK, &stop, NULL);
	h5_init_thread();
	for (;;) {
		pthread_mutex_lock(&b->mu);
		while (!b->free_n && !b->stop)
			pthread_cond_wait(&b->cv_free, &b->mu);
		if (b->stop) {
			pthread_mutex_unlock(&b->mu);
			return NULL;
		}
		int k = b->free_list[--b->free_n];
		pthread_mutex_unlock(&b->mu);
		int rc = epoch_step(b, &b->slots[k]);
		pthread_mutex_lock(&b->mu);
		if (rc == 1) {
			b->ready[(b->ready_head + b->ready_n++) % b->nslots] = k;
		} else {
			b->free_list[b->free_n++] = k;
			if (rc == 0)
				b->done = 1;
			else
				b->failed = 1;
		}
		pthread_cond_signal(&b->cv_ready);
		pthread_mutex_unlock(&b->mu);
		if (rc != 1)
			return NULL;
	}
}

/* ---- the caller's side ---- */

static void stop_thread(struct batches *b)
{
	if (!b->running)
		return;
	pthread_mutex_lock(&b->mu);
	b->stop = 1;
	pthread_cond_broadcast(&b->cv_free);
	pthread_mutex_unlock(&b->mu);
	pthread_join(b->thread, NULL);
	b->running = 0;
}

int batches_start_epoch(struct batches *b, uint64_t epoch)
{
	stop_thread(b);
	b->epoch = epoch;
	b->batch_index = 0;
	rng_seed2(&b->rng, b->cfg.seed, epoch);
	for (uint32_t c = 0; c < b->n_chunks; c++)
		b->order[c] = c;
	if (b->cfg.shuffle)
		rng_shuffle_u32(&b->rng, b->order, b->n_chunks);
	b->next_chunk = 0;
	for (int k = 0; k < 2; k++) {
		struct pool *p = &b->pools[k];
		p->n = p->chunks = p->nb = p->next_b = p->final_n = 0;
	}
	b->front = &b->pools[0];
	b->back = &b->pools[1];
	b->ready_head = b->ready_n = 0;
	b->free_n = 0;
	for (int i = 0; i < b->nslots; i++)
		b->free_list[b->free_n++] = i;
	b->held = -1;
	b->done = b->failed = b->stop = 0;
	b->started = 1;
	if (b->threaded) {
		int e = pthread_create(&b->thread, NULL, producer, b);
		if (e)
			return error("cannot start the prefetch thread: %s", strerror(e));
		b->running = 1;
	}
	return 0;
}

int batches_next(struct batches *b, const struct batch **out)
{
	if (!b->started)
		return error("batches_next before batches_start_epoch");
	if (!b->threaded) {
		if (b->done || b->failed)
			return b->failed ? -1 : 0;
		int rc = epoch_step(b, &b->slots[0]);
		if (rc == 1)
			*out = &b->slots[0].batch;
		else if (rc == 0)
			b->done = 1;
		else
			b->failed = 1;
		return rc;
	}
	pthread_mutex_lock(&b->mu);
	if (b->held >= 0) {
		b->free_list[b->free_n++] = b->held;
		b->held = -1;
		pthread_cond_signal(&b->cv_free);
	}
	while (!b->ready_n && !b->done && !b->failed)
		pthread_cond_wait(&b->cv_ready, &b->mu);
	int rc;
	if (b->ready_n) {
		int k = b->ready[b->ready_head];
		b->ready_head = (b->ready_head + 1) % b->nslots;
		b->ready_n--;
		b->held = k;
		*out = &b->slots[k].batch;
		rc = 1;
	} else {
		rc = b->failed ? -1 : 0;
	}
	pthread_mutex_unlock(&b->mu);
	if (rc <= 0)
		stop_thread(b);
	return rc;
}

void batches_close(struct batches *b)
{
	if (!b)
		return;
	stop_thread(b);
	if (b->d_ids >= 0)
		H5Dclose(b->d_ids);
	if (b->d_len >= 0)
		H5Dclose(b->d_len);
	if (b->d_lab >= 0)
		H5Dclose(b->d_lab);
	if (b->d_hash >= 0)
		H5Dclose(b->d_hash);
	if (b->f >= 0)
		H5Fclose(b->f);
	H5Eclear2(H5E_DEFAULT);
	dsinfo_free(&b->info);
	free_buffers(b);
	pthread_mutex_destroy(&b->mu);
	pthread_cond_destroy(&b->cv_ready);
	pthread_cond_destroy(&b->cv_free);
	free(b->path);
	free(b);
}
