/* test_cuda_kernels.c - every CUDA kernel against its CPU reference (the
 * kernels in kernels/ ending in _cpu.c, linked, never copied): embedding
 * gather, sorted and atomic gradients, float sequences; the three cells
 * forward and backward in every recurrence variant and cluster size, with
 * H = 6 (the reference fallback), 32, 128, 256, both directions written
 * into one (T, B, 2H) buffer, lengths 1 and T, B not a multiple of any block
 * size, and B = 301 (2 to 8 sequences per block, the last block part
 * phantom); pooling; linear; losses; Adam; gradient utilities.
 *
 * Prints one line per comparison (worst element, index, both values).
 * SKIP (exit 77) in a build without CUDA or on a machine without a device.
 */
#include "testutil.h"

#ifndef RNNPIPE_CUDA

int main(void)
{
	printf("SKIP: built without CUDA (HAVE_CUDA=0)\n");
	return TEST_SKIP_EXIT;
}

#else

#include <math.h>

#include "cuda_compare.h"
#include "kernels_cpu.h"
#include "kernels_cuda.h"
#include "rnn_model.h"

/* ---- helpers ---- */

static void *dput(const void *host, size_t bytes)
{
	void *d = cuda_malloc(bytes);
	assert_non_null(d);
	if (host)
		assert_int_equal(cuda_upload(d, host, bytes), 0);
	else
		assert_int_equal(cuda_memset(d, 0, bytes), 0);
	return d;
}

static void dget(void *host, const void *dev, size_t bytes)
{
	assert_int_equal(cuda_sync(), 0);
	assert_int_equal(cuda_download(host, dev, bytes), 0);
}

static float *fnew(size_t n)
{
	float *p = calloc(n ? n : 1, sizeof(float));
	assert_non_null(p);
	return p;
}

static float *fcopy(const float *src, size_t n)
{
	float *p = fnew(n);
	memcpy(p, src, sizeof(float) * n);
	return p;
}

/* N(0, s^2) */
static float *fnormal(struct rng *r, size_t n, double s)
{
	float *p = fnew(n);
	for (size_t i = 0; i < n; i++)
		p[i] = (float)(s * rng_normal(r));
	return p;
}

/* U(-k, k) */
static float *funiform(struct rng *r, size_t n, double k)
{
	float *p = fnew(n);
	for (size_t i = 0; i < n; i++)
		p[i] = (float)(k * (2 * rng_uniform(r) - 1));
	return p;
}

/* Lengths with 1 and T present (when B allows) and the rest random. */
static void make_lengths(struct rng *r, int B, int T, int32_t *len)
{
	for (int b = 0; b < B; b++)
		len[b] = b == 0 ? T : b == 1 ? 1 : 1 + (int32_t)(rng_next(r) % (uint64_t)T);
}

/* ---- embedding ---- */

static void test_embedding(void **state)
{
	/* T B E V; V = 64, a power of two: the padding key V needs one more
	 * bit than the ids */
	static const int shapes[][4] = {
		{7, 5, 33, 50}, {64, 32, 64, 500}, {1, 1, 8, 3}, {6, 5, 40, 64}};
	int fails = 0;
	struct rng r;
	rng_seed(&r, 11);
	for (size_t k = 0; k < sizeof(shapes) / sizeof(shapes[0]); k++) {
		const int T = shapes[k][0], B = shapes[k][1], E = shapes[k][2], V = shapes[k][3];
		for (int with_len = 0; with_len < 2; with_len++) {
			int32_t *ids = malloc(sizeof(int32_t) * B * T), *len = malloc(sizeof(int32_t) * B);
			make_lengths(&r, B, T, len);
			for (int b = 0; b < B; b++)
				for (int t = 0; t < T; t++)
					ids[b * T + t] = with_len && t >= len[b]
								 ? -5 /* padding: never read */
								 : (int32_t)(rng_next(&r) % (uint64_t)V);
			const int32_t *lp = with_len ? len : NULL;
			float *emb = fnormal(&r, (size_t)V * E, 1.0);
			float *dx = fnormal(&r, (size_t)T * B * E, 1.0);
			float *demb0 = fnormal(&r, (size_t)V * E, 1.0);
			size_t nx = (size_t)T * B * E, ne = (size_t)V * E;
			char what[96];

			float *x_ref = fnew(nx), *x = fnew(nx);
			embedding_forward_cpu(T, B, E, ids, lp, emb, x_ref);
			int32_t *d_ids = dput(ids, sizeof(int32_t) * B * T);
			int32_t *d_len = dput(len, sizeof(int32_t) * B);
			/* x starts as garbage (dx): padding positions must be written
			 * as zeros, not skipped */
			float *d_emb = dput(emb, sizeof(float) * ne), *d_x = dput(dx, sizeof(float) * nx);
			assert_int_equal(embedding_forward_cuda(T, B, E, d_ids, with_len ? d_len : NULL,
								d_emb, d_x, NULL),
					 0);
			dget(x, d_x, sizeof(float) * nx);
			snprintf(what, sizeof(what), "embedding fwd T%d B%d E%d len%d", T, B, E, with_len);
			fails += cmp_exact(what, x, x_ref, nx) != 0; /* a copy */

			/* sorted gradient: the CPU's additions in the CPU's order */
			float *demb_ref = fcopy(demb0, ne), *demb = fnew(ne);
			embedding_backward_cpu(T, B, E, ids, lp, dx, demb_ref);
			float *d_dx = dput(dx, sizeof(float) * nx), *d_demb = dput(demb0, sizeof(float) * ne);
			size_t wsb;
			assert_int_equal(embedding_sort_ws(T, B, V, &wsb), 0);
			void *d_ws = dput(NULL, wsb);
			struct embedding_sort so;
			embedding_sort_carve(d_ws, T, B, V, &so);
			assert_int_equal(embedding_sort_cuda(T, B, d_ids, with_len ? d_len : NULL, &so, NULL),
					 0);
			assert_int_equal(embedding_backward_sorted_cuda(E, &so, d_dx, d_demb, NULL), 0);
			/* the sort itself (embedding_sort's contract): every position
			 * once, ids ascending, each id's positions in increasing order
			 * (the CPU's order of additions), padding (key V) last */
			assert_int_equal(so.n, T * B);
			uint32_t *keys = malloc(sizeof(uint32_t) * T * B);
			int32_t *pos = malloc(sizeof(int32_t) * T * B);
			dget(keys, so.keys, sizeof(uint32_t) * T * B);
			dget(pos, so.pos, sizeof(int32_t) * T * B);
			int sort_bad = 0;
			for (int i = 0; i < T * B; i++) {
				const int p = pos[i], t = p / B, b = p % B;
				const int real = !lp || t < len[b];
				const uint32_t want = real ? (uint32_t)ids[b * T + t] : (uint32_t)V;
				sort_bad += p < 0 || p >= T * B || keys[i] != want ||
					    (i > 0 && (keys[i] < keys[i - 1] ||
						       (keys[i] == keys[i - 1] && p <= pos[i - 1])));
			}
			if (sort_bad)
				printf("FAIL embedding sort T%d B%d V%d len%d: %d positions out of order\n",
				       T, B, V, with_len, sort_bad);
			fails += sort_bad != 0;
			free(keys);
			free(pos);
			/* refused before anything runs: more positions than the
			 * workspace was carved for, or less CUB scratch than needed */
			struct embedding_sort bad_so = so;
			bad_so.P = T * B - 1;
			assert_int_equal(embedding_sort_cuda(T, B, d_ids, with_len ? d_len : NULL, &bad_so,
							     NULL),
					 -1);
			bad_so = so;
			bad_so.tmp_bytes = 0;
			assert_int_equal(embedding_sort_cuda(T, B, d_ids, with_len ? d_len : NULL, &bad_so,
							     NULL),
					 -1);
			dget(demb, d_demb, sizeof(float) * ne);
			snprintf(what, sizeof(what), "embedding bwd sorted T%d B%d E%d len%d", T, B, E,
				 with_len);
			fails += cmp_exact(what, demb, demb_ref, ne) != 0;

			/* atomic gradient: same sums in any order; each element adds
			 * at most T*B terms of size ~1 to a start value ~1, so the
			 * order changes it by a few float ulps of the running sum:
			 * atol 1e-5 * (1 + max|ref|), rtol 1e-5 */
			assert_int_equal(cuda_upload(d_demb, demb0, sizeof(float) * ne), 0);
			assert_int_equal(embedding_backward_cuda(T, B, E, d_ids, with_len ? d_len : NULL,
								 d_dx, d_demb, NULL),
					 0);
			dget(demb, d_demb, sizeof(float) * ne);
			snprintf(what, sizeof(what), "embedding bwd atomic T%d B%d E%d len%d", T, B, E,
				 with_len);
			fails += cmp_floats(what, demb, demb_ref, ne, 1e-5 * (1 + cmp_max_abs(demb_ref, ne)),
					    1e-5, NULL) != 0;

			/* rows zero: exactly the rows a real position names */
			float *z_ref = fcopy(demb0, ne);
			for (int b = 0; b < B; b++)
				for (int t = 0; t < T; t++)
					if (!lp || t < len[b])
						memset(z_ref + (size_t)ids[b * T + t] * E, 0, sizeof(float) * E);
			assert_int_equal(cuda_upload(d_demb, demb0, sizeof(float) * ne), 0);
			assert_int_equal(embedding_rows_zero_cuda(E, &so, d_demb, NULL), 0);
			dget(demb, d_demb, sizeof(float) * ne);
			snprintf(what, sizeof(what), "embedding rows zero T%d B%d len%d", T, B, with_len);
			fails += cmp_exact(what, demb, z_ref, ne) != 0;

			/* float sequences (regression input) */
			const int In = 3;
			size_t ns = (size_t)B * T * In, nxs = (size_t)T * B * In;
			float *seq = fnormal(&r, ns, 1.0), *xs_ref = fnew(nxs), *xs = fnew(nxs);
			sequence_forward_cpu(T, B, In, seq, lp, xs_ref);
			float *d_seq = dput(seq, sizeof(float) * ns), *d_xs = dput(dx, sizeof(float) * nxs);
			assert_int_equal(sequence_forward_cuda(T, B, In, d_seq, with_len ? d_len : NULL,
							       d_xs, NULL),
					 0);
			dget(xs, d_xs, sizeof(float) * nxs);
			snprintf(what, sizeof(what), "sequence fwd T%d B%d len%d", T, B, with_len);
			fails += cmp_exact(what, xs, xs_ref, nxs) != 0;

			cuda_free(d_ids);
			cuda_free(d_len);
			cuda_free(d_emb);
			cuda_free(d_x);
			cuda_free(d_dx);
			cuda_free(d_demb);
			cuda_free(d_ws);
			cuda_free(d_seq);
			cuda_free(d_xs);
			free(ids);
			free(len);
			free(emb);
			free(dx);
			free(demb0);
			free(x_ref);
			free(x);
			free(demb_ref);
			free(demb);
			free(z_ref);
			free(seq);
			free(xs_ref);
			free(xs);
		}
	}
	assert_int_equal(fails, 0);
}

/* ---- the recurrent cells ---- */

struct variant {
	int rec, cluster;
	const char *name;
};
static const struct variant variants[] = {
	{CUDA_REC_REF, 0, "ref"},          {CUDA_REC_GLOBAL, 0, "global"},
	{CUDA_REC_SMEM, 0, "smem"},        {CUDA_REC_CLUSTER, 0, "cluster"},
	{CUDA_REC_CLUSTER, 2, "cluster2"}, {CUDA_REC_CLUSTER, 4, "cluster4"},
	{CUDA_REC_CLUSTER, 8, "cluster8"},
};

static size_t fwd_ws(int cell, int B, int H)
{
	return cell == 1 ? lstm_forward_ws(B, H) : cell == 2 ? gru_forward_ws(B, H)
							      : rnn_tanh_forward_ws(B, H);
}

static size_t bwd_ws(int cell, int T, int B, int H)
{
	return cell == 1 ? lstm_backward_ws(T, B, H) : cell == 2 ? gru_backward_ws(T, B, H)
								  : rnn_tanh_backward_ws(T, B, H);
}

struct cell_io {
	int T, B, In, H, rev, ldy;
	const int32_t *len;
	float *x, *w_ih, *w_hh, *b_ih, *b_hh; /* inputs */
	float *y, *act, *extra;               /* forward outputs (y has ldy columns) */
	float *dy, *dx, *dw_ih, *dw_hh, *db_ih, *db_hh;
	int dx_acc;
};

static void cell_fwd_cpu(int cell, struct cell_io *c, float *ws)
{
	float *y = c->y + (c->rev ? c->H : 0);
	if (cell == 1)
		lstm_forward_cpu(c->T, c->B, c->In, c->H, c->rev, c->x, c->len, c->w_ih, c->w_hh,
				 c->b_ih, c->b_hh, y, c->ldy, c->act, c->extra, ws);
	else if (cell == 2)
		gru_forward_cpu(c->T, c->B, c->In, c->H, c->rev, c->x, c->len, c->w_ih, c->w_hh,
				c->b_ih, c->b_hh, y, c->ldy, c->act, c->extra, ws);
	else
		rnn_tanh_forward_cpu(c->T, c->B, c->In, c->H, c->rev, c->x, c->len, c->w_ih, c->w_hh,
				     c->b_ih, c->b_hh, y, c->ldy, c->act, c->extra, ws);
}

static int cell_fwd_cuda(int cell, struct cell_io *c, float *ws)
{
	float *y = c->y + (c->rev ? c->H : 0);
	if (cell == 1)
		return lstm_forward_cuda(c->T, c->B, c->In, c->H, c->rev, c->x, c->len, c->w_ih,
					 c->w_hh, c->b_ih, c->b_hh, y, c->ldy, c->act, c->extra, ws,
					 NULL);
	if (cell == 2)
		return gru_forward_cuda(c->T, c->B, c->In, c->H, c->rev, c->x, c->len, c->w_ih,
					c->w_hh, c->b_ih, c->b_hh, y, c->ldy, c->act, c->extra, ws,
					NULL);
	return rnn_tanh_forward_cuda(c->T, c->B, c->In, c->H, c->rev, c->x, c->len, c->w_ih,
				     c->w_hh, c->b_ih, c->b_hh, y, c->ldy, c->act, c->extra, ws,
				     NULL);
}

static void cell_bwd_cpu(int cell, struct cell_io *c, float *ws)
{
	const float *y = c->y + (c->rev ? c->H : 0), *dy = c->dy + (c->rev ? c->H : 0);
	if (cell == 1)
		lstm_backward_cpu(c->T, c->B, c->In, c->H, c->rev, c->x, c->len, c->w_ih, c->w_hh, y,
				  dy, c->ldy, c->act, c->extra, c->dx, c->dx_acc, c->dw_ih,
				  c->dw_hh, c->db_ih, c->db_hh, ws);
	else if (cell == 2)
		gru_backward_cpu(c->T, c->B, c->In, c->H, c->rev, c->x, c->len, c->w_ih, c->w_hh, y,
				 dy, c->ldy, c->act, c->extra, c->dx, c->dx_acc, c->dw_ih, c->dw_hh,
				 c->db_ih, c->db_hh, ws);
	else
		rnn_tanh_backward_cpu(c->T, c->B, c->In, c->H, c->rev, c->x, c->len, c->w_ih,
				      c->w_hh, y, dy, c->ldy, c->act, c->extra, c->dx, c->dx_acc,
				      c->dw_ih, c->dw_hh, c->db_ih, c->db_hh, ws);
}

static int cell_bwd_cuda(int cell, struct cell_io *c, float *ws)
{
	const float *y = c->y + (c->rev ? c->H : 0), *dy = c->dy + (c->rev ? c->H : 0);
	if (cell == 1)
		return lstm_backward_cuda(c->T, c->B, c->In, c->H, c->rev, c->x, c->len, c->w_ih,
					  c->w_hh, y, dy, c->ldy, c->act, c->extra, c->dx, c->dx_acc,
					  c->dw_ih, c->dw_hh, c->db_ih, c->db_hh, ws, NULL);
	if (cell == 2)
		return gru_backward_cuda(c->T, c->B, c->In, c->H, c->rev, c->x, c->len, c->w_ih,
					 c->w_hh, y, dy, c->ldy, c->act, c->extra, c->dx, c->dx_acc,
					 c->dw_ih, c->dw_hh, c->db_ih, c->db_hh, ws, NULL);
	return rnn_tanh_backward_cuda(c->T, c->B, c->In, c->H, c->rev, c->x, c->len, c->w_ih,
				      c->w_hh, y, dy, c->ldy, c->act, c->extra, c->dx, c->dx_acc,
				      c->dw_ih, c->dw_hh, c->db_ih, c->db_hh, ws, NULL);
}

/* Exact zeros at padding steps (t >= len[b]) in y (our columns), act and
 * extra; returns the number of elements that are not. */
static size_t padding_nonzero(int cell, const struct cell_io *c, const float *y, const float *act,
			      const float *extra)
{
	const int G = rnn_cell_gates(cell), N = G * c->H;
	size_t bad = 0;
	for (int t = 0; t < c->T; t++)
		for (int b = 0; b < c->B; b++) {
			if (!c->len || t < c->len[b])
				continue;
			size_t row = (size_t)t * c->B + b;
			for (int j = 0; j < c->H; j++) {
				bad += y[row * c->ldy + (c->rev ? c->H : 0) + j] != 0.0f;
				if (extra)
					bad += extra[row * c->H + j] != 0.0f;
			}
			for (int j = 0; j < N; j++)
				bad += act[row * N + j] != 0.0f;
		}
	return bad;
}

/* Tolerances for the cells against the CPU.
 * Forward (y, act, extra): both sides sum the same products in another
 * order (cuBLAS or our fixed-order dot products against OpenBLAS), and the
 * device's tanhf/expf are within 2 ulp of glibc's; each step adds
 * ~sqrt(H + I) * 6e-8 relative noise on values of size <= 1 (LSTM c a few
 * units), and the recurrence is contractive with these weights
 * (U(-1/sqrt(H), 1/sqrt(H))), so the noise does not grow with T:
 * atol 3e-5, rtol 1e-4 leave a wide margin yet catch any wrong index,
 * gate or step (errors of order 1e-2 and more).
 * Backward: weight and bias gradients are sums over T*B steps and rows of
 * products of either sign, so an element's error scales with the size of
 * the terms, not with its (possibly cancelled) value: atol is taken
 * relative to the largest |ref| of the tensor, 3e-5 of it, plus rtol 1e-4. */
#define FWD_ATOL 3e-5
#define FWD_RTOL 1e-4
#define BWD_ATOL_REL 3e-5
#define BWD_RTOL 1e-4

static int cmp_bwd(const char *what, const float *got, const float *ref, size_t n)
{
	return cmp_floats(what, got, ref, n, BWD_ATOL_REL * cmp_max_abs(ref, n), BWD_RTOL, NULL);
}

/* When set, check_cell places W_hh on the device 4 bytes past a 16-byte
 * boundary (the model aligns its tensors; the kernels' API takes any
 * float pointer). */
static int w_hh_misaligned;

/* One cell shape: the CPU reference once, then every variant on the GPU. */
static int check_cell(int cell, int T, int B, int In, int H, int rev, int with_len, uint64_t seed)
{
	const int G = rnn_cell_gates(cell), N = G * H, ldy = 2 * H;
	const size_t TB = (size_t)T * B, ny = TB * ldy, nact = TB * N, nex = TB * H;
	struct rng r;
	rng_seed(&r, seed);
	int32_t *len = malloc(sizeof(int32_t) * B);
	make_lengths(&r, B, T, len);
	const double k = 1.0 / sqrt((double)H);
	struct cell_io c = {.T = T, .B = B, .In = In, .H = H, .rev = rev, .ldy = ldy,
			    .len = with_len ? len : NULL, .dx_acc = rev};
	c.x = fnormal(&r, TB * In, 1.0);
	c.w_ih = funiform(&r, (size_t)N * In, k);
	c.w_hh = funiform(&r, (size_t)N * H, k);
	c.b_ih = funiform(&r, N, k);
	c.b_hh = funiform(&r, N, k);
	/* y starts at 7 everywhere: the other direction's columns must stay */
	float *y0 = fnew(ny);
	for (size_t i = 0; i < ny; i++)
		y0[i] = 7.0f;
	c.y = fcopy(y0, ny);
	c.act = fnew(nact);
	c.extra = cell == 0 ? NULL : fnew(nex);
	float *ws = fnew(fwd_ws(cell, B, H) + bwd_ws(cell, T, B, H));
	cell_fwd_cpu(cell, &c, ws);
	/* backward inputs: dy everywhere (padding must be ignored), non-zero
	 * starting gradients (the kernels add) */
	c.dy = fnormal(&r, ny, 1.0);
	float *dx0 = fnormal(&r, TB * In, 1.0), *dwi0 = fnormal(&r, (size_t)N * In, 1.0);
	float *dwh0 = fnormal(&r, (size_t)N * H, 1.0), *dbi0 = fnormal(&r, N, 1.0);
	float *dbh0 = fnormal(&r, N, 1.0);
	c.dx = fcopy(dx0, TB * In);
	c.dw_ih = fcopy(dwi0, (size_t)N * In);
	c.dw_hh = fcopy(dwh0, (size_t)N * H);
	c.db_ih = fcopy(dbi0, N);
	c.db_hh = fcopy(dbh0, N);
	cell_bwd_cpu(cell, &c, ws);

	/* device copies of the inputs (backward reads the CPU's forward) */
	struct cell_io d = c;
	d.len = with_len ? dput(len, sizeof(int32_t) * B) : NULL;
	d.x = dput(c.x, sizeof(float) * TB * In);
	d.w_ih = dput(c.w_ih, sizeof(float) * N * In);
	float *d_w_hh = dput(NULL, sizeof(float) * (N * H + 1));
	d.w_hh = d_w_hh + w_hh_misaligned;
	assert_int_equal(cuda_upload(d.w_hh, c.w_hh, sizeof(float) * N * H), 0);
	d.b_ih = dput(c.b_ih, sizeof(float) * N);
	d.b_hh = dput(c.b_hh, sizeof(float) * N);
	d.y = dput(NULL, sizeof(float) * ny);
	d.act = dput(NULL, sizeof(float) * nact);
	d.extra = cell == 0 ? NULL : dput(NULL, sizeof(float) * nex);
	d.dy = dput(c.dy, sizeof(float) * ny);
	d.dx = dput(NULL, sizeof(float) * TB * In);
	d.dw_ih = dput(NULL, sizeof(float) * N * In);
	d.dw_hh = dput(NULL, sizeof(float) * N * H);
	d.db_ih = dput(NULL, sizeof(float) * N);
	d.db_hh = dput(NULL, sizeof(float) * N);
	size_t nws = fwd_ws(cell, B, H) + bwd_ws(cell, T, B, H);
	float *d_ws = dput(NULL, sizeof(float) * (nws ? nws : 1));
	float *y = fnew(ny), *act = fnew(nact), *extra = fnew(nex), *g = fnew(TB * In + (size_t)N * (In + H + 2));
	float *y_garbage = fnew(ny > nact ? ny : nact);
	for (size_t i = 0; i < (ny > nact ? ny : nact); i++)
		y_garbage[i] = 3.0f;

	int fails = 0;
	char what[128], plan[160];
	const char *cname = rnn_cell_name(cell);
	for (size_t v = 0; v < sizeof(variants) / sizeof(variants[0]); v++) {
		if (!variant_enabled(variants[v].name))
			continue;
		cuda_set_recurrence(variants[v].rec);
		cuda_set_cluster_size(variants[v].cluster);
		printf("-- %s %s T%d B%d I%d H%d rev%d len%d: fwd %s\n", variants[v].name, cname, T, B,
		       In, H, rev, with_len, cuda_recurrence_describe(cell, B, H, 0, plan, sizeof(plan)));
		/* a persistent variant runs persistent kernels whenever H allows
		 * (H % 4 == 0; GLOBAL always fits): a fallback to the reference
		 * would pass every comparison below and test nothing */
		const int want_ref = variants[v].rec == CUDA_REC_REF || H % 4;
		if (want_ref != !strncmp(plan, "ref", 3)) {
			printf("FAIL %s %s H%d: forward plan '%s'\n", variants[v].name, cname, H, plan);
			fails++;
		}
		/* forward: outputs start as garbage (y: 7 like the CPU's, act,
		 * extra: 3) so unwritten elements show */
		assert_int_equal(cuda_upload(d.y, y0, sizeof(float) * ny), 0);
		assert_int_equal(cuda_upload(d.act, y_garbage, sizeof(float) * nact), 0);
		if (d.extra)
			assert_int_equal(cuda_upload(d.extra, y_garbage, sizeof(float) * nex), 0);
		int rc = cell_fwd_cuda(cell, &d, d_ws);
		assert_int_equal(rc, 0);
		dget(y, d.y, sizeof(float) * ny);
		dget(act, d.act, sizeof(float) * nact);
		if (d.extra)
			dget(extra, d.extra, sizeof(float) * nex);
#define NAME(s) (snprintf(what, sizeof(what), "%s %s H%d rev%d %s", variants[v].name, cname, H, rev, s), what)
		fails += cmp_floats(NAME("y"), y, c.y, ny, FWD_ATOL, FWD_RTOL, NULL) != 0;
		fails += cmp_floats(NAME("act"), act, c.act, nact, FWD_ATOL, FWD_RTOL, NULL) != 0;
		if (d.extra)
			fails += cmp_floats(NAME("extra"), extra, c.extra, nex, FWD_ATOL, FWD_RTOL,
					    NULL) != 0;
		size_t pad = padding_nonzero(cell, &c, y, act, d.extra ? extra : NULL);
		if (pad) {
			printf("FAIL %s: %zu padding elements are not exactly zero\n", NAME("padding"),
			       pad);
			fails++;
		}

		/* backward from the CPU's forward */
		printf("-- %s %s bwd %s\n", variants[v].name, cname,
		       cuda_recurrence_describe(cell, B, H, 1, plan, sizeof(plan)));
		if (want_ref != !strncmp(plan, "ref", 3)) {
			printf("FAIL %s %s H%d: backward plan '%s'\n", variants[v].name, cname, H, plan);
			fails++;
		}
		assert_int_equal(cuda_upload(d.y, c.y, sizeof(float) * ny), 0);
		assert_int_equal(cuda_upload(d.act, c.act, sizeof(float) * nact), 0);
		if (d.extra)
			assert_int_equal(cuda_upload(d.extra, c.extra, sizeof(float) * nex), 0);
		assert_int_equal(cuda_upload(d.dx, dx0, sizeof(float) * TB * In), 0);
		assert_int_equal(cuda_upload(d.dw_ih, dwi0, sizeof(float) * N * In), 0);
		assert_int_equal(cuda_upload(d.dw_hh, dwh0, sizeof(float) * N * H), 0);
		assert_int_equal(cuda_upload(d.db_ih, dbi0, sizeof(float) * N), 0);
		assert_int_equal(cuda_upload(d.db_hh, dbh0, sizeof(float) * N), 0);
		assert_int_equal(cell_bwd_cuda(cell, &d, d_ws), 0);
		dget(g, d.dx, sizeof(float) * TB * In);
		fails += cmp_bwd(NAME("dx"), g, c.dx, TB * In) != 0;
		dget(g, d.dw_ih, sizeof(float) * N * In);
		fails += cmp_bwd(NAME("dw_ih"), g, c.dw_ih, (size_t)N * In) != 0;
		dget(g, d.dw_hh, sizeof(float) * N * H);
		fails += cmp_bwd(NAME("dw_hh"), g, c.dw_hh, (size_t)N * H) != 0;
		dget(g, d.db_ih, sizeof(float) * N);
		fails += cmp_bwd(NAME("db_ih"), g, c.db_ih, N) != 0;
		dget(g, d.db_hh, sizeof(float) * N);
		fails += cmp_bwd(NAME("db_hh"), g, c.db_hh, N) != 0;
#undef NAME
	}
	cuda_set_recurrence(CUDA_REC_DEFAULT);
	cuda_set_cluster_size(0);

	cuda_free((void *)d.len);
	cuda_free(d.x);
	cuda_free(d.w_ih);
	cuda_free(d_w_hh);
	cuda_free(d.b_ih);
	cuda_free(d.b_hh);
	cuda_free(d.y);
	cuda_free(d.act);
	cuda_free(d.extra);
	cuda_free(d.dy);
	cuda_free(d.dx);
	cuda_free(d.dw_ih);
	cuda_free(d.dw_hh);
	cuda_free(d.db_ih);
	cuda_free(d.db_hh);
	cuda_free(d_ws);
	free(len);
	free(c.x);
	free(c.w_ih);
	free(c.w_hh);
	free(c.b_ih);
	free(c.b_hh);
	free(c.y);
	free(c.act);
	free(c.extra);
	free(c.dy);
	free(c.dx);
	free(c.dw_ih);
	free(c.dw_hh);
	free(c.db_ih);
	free(c.db_hh);
	free(y0);
	free(ws);
	free(dx0);
	free(dwi0);
	free(dwh0);
	free(dbi0);
	free(dbh0);
	free(y);
	free(act);
	free(extra);
	free(g);
	free(y_garbage);
	return fails;
}

static void test_cells(void **state)
{
	static const int hs[] = {6, 32, 128, 256};
	int fails = 0;
	uint64_t seed = 100;
	for (int cell = 0; cell < 3; cell++)
		for (int rev = 0; rev < 2; rev++) {
			for (size_t h = 0; h < sizeof(hs) / sizeof(hs[0]); h++)
				fails += check_cell(cell, 24, 37, 20, hs[h], rev, 1, seed++);
			/* one step, one sequence; all steps real (len NULL) */
			fails += check_cell(cell, 1, 1, 3, 32, rev, 1, seed++);
			fails += check_cell(cell, 9, 3, 5, 32, rev, 0, seed++);
		}
	/* a batch over the 132 SMs: the persistent kernels take S = 2 or 4
	 * sequences per block (rec_plan_candidates' one wave) in every
	 * variant, not only in the forced clusters, and 301 leaves the last
	 * block with phantom sequences; the training batches are this large */
	for (int cell = 0; cell < 3; cell++) {
		fails += check_cell(cell, 5, 301, 4, 32, cell == 1, 1, seed++);
		fails += check_cell(cell, 5, 301, 4, 128, cell != 1, 1, seed++);
	}
	/* W_hh off 16 bytes: the GLOBAL forward's float4 loads of it would
	 * fault (a misaligned address on the GPU, the emulator's alignment
	 * check), so the launchers take the reference path: every variant
	 * must still run and agree */
	w_hh_misaligned = 1;
	for (int cell = 0; cell < 3; cell++)
		fails += check_cell(cell, 9, 3, 5, 32, cell == 2, 1, seed++);
	w_hh_misaligned = 0;
	printf("cells: %d comparisons failed\n", fails);
	assert_int_equal(fails, 0);
}

/* ---- pooling, linear, losses ---- */

/* Every pooling mode, one and two directions, with and without ties, at
 * one shape; returns the failed comparisons. */
static int check_pool(int T, int B, int H, uint64_t seed)
{
	int fails = 0;
	struct rng r;
	rng_seed(&r, seed);
	int32_t *len = malloc(sizeof(int32_t) * B);
	make_lengths(&r, B, T, len);
	int32_t *d_len = dput(len, sizeof(int32_t) * B);
	/* ties: y rounded to -1, 0, 1 (tanh saturates to exactly +-1 in
	 * float), so most maxima are held by several steps and only the
	 * first one (the CPU's, torch's) gives the CPU's argmax and dy */
	for (int ties = 0; ties < 2; ties++)
		for (int dm = 0; dm < 8; dm++) {
			const int dirs = 1 + dm / 4, mode = dm % 4, D = dirs * H;
			size_t ny = (size_t)T * B * D, no = (size_t)B * D;
			float *y = fnormal(&r, ny, 1.0), *dout = fnormal(&r, no, 1.0);
			if (ties)
				for (size_t i = 0; i < ny; i++)
					y[i] = fminf(1.0f, fmaxf(-1.0f, roundf(y[i])));
			float *out_ref = fnew(no), *out = fnew(no), *dy_ref = fnew(ny), *dy = fnew(ny);
			int32_t *arg_ref = calloc(no, sizeof(int32_t)), *arg = calloc(no, sizeof(int32_t));
			pool_forward_cpu(mode, T, B, H, dirs, len, y, out_ref, arg_ref);
			pool_backward_cpu(mode, T, B, H, dirs, len, arg_ref, dout, dy_ref);
			float *d_y = dput(y, sizeof(float) * ny), *d_out = dput(NULL, sizeof(float) * no);
			float *d_dout = dput(dout, sizeof(float) * no);
			float *d_dy = dput(y, sizeof(float) * ny); /* garbage: must be overwritten */
			int32_t *d_arg = dput(NULL, sizeof(int32_t) * no);
			assert_int_equal(pool_forward_cuda(mode, T, B, H, dirs, d_len, d_y, d_out, d_arg,
							   NULL),
					 0);
			assert_int_equal(pool_backward_cuda(mode, T, B, H, dirs, d_len, d_arg, d_dout,
							    d_dy, NULL),
					 0);
			dget(out, d_out, sizeof(float) * no);
			dget(dy, d_dy, sizeof(float) * ny);
			char what[64];
			/* same sums in the same order, same first maximum: exact */
			snprintf(what, sizeof(what), "pool %s dirs%d ties%d fwd", rnn_pool_name(mode), dirs,
				 ties);
			fails += cmp_exact(what, out, out_ref, no) != 0;
			snprintf(what, sizeof(what), "pool %s dirs%d ties%d bwd", rnn_pool_name(mode), dirs,
				 ties);
			fails += cmp_exact(what, dy, dy_ref, ny) != 0;
			if (mode == RNN_POOL_MAX) {
				dget(arg, d_arg, sizeof(int32_t) * no);
				if (memcmp(arg, arg_ref, sizeof(int32_t) * no)) {
					printf("FAIL pool max dirs%d ties%d: argmax differs\n", dirs, ties);
					fails++;
				}
			}
			cuda_free(d_y);
			cuda_free(d_out);
			cuda_free(d_dout);
			cuda_free(d_dy);
			cuda_free(d_arg);
			free(y);
			free(dout);
			free(out_ref);
			free(out);
			free(dy_ref);
			free(dy);
			free(arg_ref);
			free(arg);
		}
	cuda_free(d_len);
	free(len);
	return fails;
}

static void test_pool(void **state)
{
	int fails = check_pool(11, 7, 9, 21);
	/* B * D a multiple of 64 floats: the outputs end exactly where a
	 * device allocation does (its size rounded to 256 bytes), so a thread
	 * past the last (b, j) that writes shows */
	fails += check_pool(5, 8, 8, 22);
	assert_int_equal(fails, 0);
}

/* Forward and backward at one shape; returns the failed comparisons. */
static int check_linear(int B, int N, int K, uint64_t seed)
{
	int fails = 0;
	struct rng r;
	rng_seed(&r, seed);
	float *x = fnormal(&r, B * N, 1.0), *w = fnormal(&r, K * N, 0.1), *b = fnormal(&r, K, 0.1);
	float *dy = fnormal(&r, B * K, 1.0), *dw0 = fnormal(&r, K * N, 1.0), *db0 = fnormal(&r, K, 1.0);
	float *y_ref = fnew(B * K), *y = fnew(B * K), *dx_ref = fnew(B * N), *dx = fnew(B * N);
	float *dw_ref = fcopy(dw0, K * N), *db_ref = fcopy(db0, K), *dw = fnew(K * N), *db = fnew(K);
	linear_forward_cpu(B, N, K, x, w, b, y_ref);
	linear_backward_cpu(B, N, K, x, w, dy, dx_ref, dw_ref, db_ref);
	float *d_x = dput(x, sizeof(float) * B * N), *d_w = dput(w, sizeof(float) * K * N);
	float *d_b = dput(b, sizeof(float) * K), *d_y = dput(NULL, sizeof(float) * B * K);
	/* dx starts as garbage (x): it must be overwritten, not added to */
	float *d_dy = dput(dy, sizeof(float) * B * K), *d_dx = dput(x, sizeof(float) * B * N);
	float *d_dw = dput(dw0, sizeof(float) * K * N), *d_db = dput(db0, sizeof(float) * K);
	assert_int_equal(linear_forward_cuda(B, N, K, d_x, d_w, d_b, d_y, NULL), 0);
	assert_int_equal(linear_backward_cuda(B, N, K, d_x, d_w, d_dy, d_dx, d_dw, d_db, NULL), 0);
	dget(y, d_y, sizeof(float) * B * K);
	dget(dx, d_dx, sizeof(float) * B * N);
	dget(dw, d_dw, sizeof(float) * K * N);
	dget(db, d_db, sizeof(float) * K);
	/* GEMMs of <= 65 terms in another order: 1e-5 of the tensor's scale;
	 * the bias gradient adds rows in the CPU's order: exact */
	fails += cmp_bwd("linear y", y, y_ref, B * K) != 0;
	fails += cmp_bwd("linear dx", dx, dx_ref, B * N) != 0;
	fails += cmp_bwd("linear dw", dw, dw_ref, K * N) != 0;
	fails += cmp_exact("linear db", db, db_ref, K) != 0;
	cuda_free(d_x);
	cuda_free(d_w);
	cuda_free(d_b);
	cuda_free(d_y);
	cuda_free(d_dy);
	cuda_free(d_dx);
	cuda_free(d_dw);
	cuda_free(d_db);
	free(x);
	free(w);
	free(b);
	free(dy);
	free(dw0);
	free(db0);
	free(dw_ref);
	free(db_ref);
	free(y_ref);
	free(y);
	free(dx_ref);
	free(dx);
	free(dw);
	free(db);
	return fails;
}

static void test_linear(void **state)
{
	int fails = check_linear(37, 65, 5, 31);
	/* K = 64: db ends where its allocation does (rounded to 256 bytes), so
	 * a thread past the last output that adds into db[K] shows */
	fails += check_linear(9, 16, 64, 32);
	assert_int_equal(fails, 0);
}

static void test_losses(void **state)
{
	enum { B = 300, C = 3, K = 2 }; /* B > the kernels' 256 threads: two chunks */
	int fails = 0;
	struct rng r;
	rng_seed(&r, 41);
	float *logits = fnormal(&r, B * C, 3.0), *pred = fnormal(&r, B * K, 1.0);
	float *tgt = fnormal(&r, B * K, 1.0);
	int32_t lab[B];
	for (int i = 0; i < B; i++)
		lab[i] = (int32_t)(rng_next(&r) % C);
	float probs_ref[B * C], probs[B * C], d_ref[B * C], d[B * C], loss_ref, loss;
	float mse_ref, mse, dm_ref[B * K], dm[B * K];
	softmax_xent_forward_cpu(B, C, logits, lab, probs_ref, &loss_ref);
	softmax_xent_backward_cpu(B, C, probs_ref, lab, d_ref);
	mse_forward_cpu(B, K, pred, tgt, &mse_ref);
	mse_backward_cpu(B, K, pred, tgt, dm_ref);
	float *d_logits = dput(logits, sizeof(float) * B * C), *d_probs = dput(NULL, sizeof(probs));
	int32_t *d_lab = dput(lab, sizeof(lab));
	float *d_loss = dput(NULL, sizeof(float)), *d_d = dput(NULL, sizeof(d));
	float *d_pred = dput(pred, sizeof(float) * B * K), *d_tgt = dput(tgt, sizeof(float) * B * K);
	float *d_dm = dput(NULL, sizeof(dm));
	assert_int_equal(softmax_xent_forward_cuda(B, C, d_logits, d_lab, d_probs, d_loss, NULL), 0);
	dget(probs, d_probs, sizeof(probs));
	dget(&loss, d_loss, sizeof(loss));
	/* backward from the CPU's probabilities: exact */
	assert_int_equal(cuda_upload(d_probs, probs_ref, sizeof(probs_ref)), 0);
	assert_int_equal(softmax_xent_backward_cuda(B, C, d_probs, d_lab, d_d, NULL), 0);
	dget(d, d_d, sizeof(d));
	assert_int_equal(mse_forward_cuda(B, K, d_pred, d_tgt, d_loss, NULL), 0);
	dget(&mse, d_loss, sizeof(mse));
	assert_int_equal(mse_backward_cuda(B, K, d_pred, d_tgt, d_dm, NULL), 0);
	dget(dm, d_dm, sizeof(dm));
	/* the same double arithmetic; the device's exp/log may differ from
	 * glibc's in the last double bit: 1e-6 relative on the floats */
	fails += cmp_floats("softmax probs", probs, probs_ref, B * C, 1e-7, 1e-6, NULL) != 0;
	fails += cmp_floats("softmax loss", &loss, &loss_ref, 1, 0, 1e-6, NULL) != 0;
	fails += cmp_exact("softmax dlogits", d, d_ref, B * C) != 0;
	fails += cmp_exact("mse loss", &mse, &mse_ref, 1) != 0;
	fails += cmp_exact("mse dpred", dm, dm_ref, B * K) != 0;
	/* no labels: probabilities only, the loss is left alone */
	float sentinel = 42.0f;
	assert_int_equal(cuda_upload(d_loss, &sentinel, sizeof(float)), 0);
	assert_int_equal(softmax_xent_forward_cuda(B, C, d_logits, NULL, d_probs, d_loss, NULL), 0);
	dget(&loss, d_loss, sizeof(loss));
	assert_true(loss == 42.0f);
	/* logits of thousands (a diverging model; a class far above the
	 * others): exp of a logit overflows unless the row's maximum over
	 * every class is subtracted first, and the probabilities and the loss
	 * become NaN; the CPU's are finite */
	for (int i = 0; i < B * C; i++)
		logits[i] *= 1000.0f;
	softmax_xent_forward_cpu(B, C, logits, lab, probs_ref, &loss_ref);
	assert_int_equal(cuda_upload(d_logits, logits, sizeof(float) * B * C), 0);
	assert_int_equal(softmax_xent_forward_cuda(B, C, d_logits, d_lab, d_probs, d_loss, NULL), 0);
	dget(probs, d_probs, sizeof(probs));
	dget(&loss, d_loss, sizeof(loss));
	assert_true(isfinite(loss_ref));
	fails += cmp_floats("softmax probs, logits x1000", probs, probs_ref, B * C, 1e-7, 1e-6,
			    NULL) != 0;
	fails += cmp_floats("softmax loss, logits x1000", &loss, &loss_ref, 1, 0, 1e-6, NULL) != 0;
	cuda_free(d_logits);
	cuda_free(d_probs);
	cuda_free(d_lab);
	cuda_free(d_loss);
	cuda_free(d_d);
	cuda_free(d_pred);
	cuda_free(d_tgt);
	cuda_free(d_dm);
	free(logits);
	free(pred);
	free(tgt);
	assert_int_equal(fails, 0);
}

/* ---- optimiser and gradient utilities ---- */

static void test_adam(void **state)
{
	enum { N = 10007, E = 16, ROWS = 5 };
	int fails = 0;
	struct rng r;
	rng_seed(&r, 51);
	for (int variant = 0; variant < 3; variant++) {
		int adamw = variant == 2;
		double wd = variant == 0 ? 0.0 : 0.05;
		float *p = fnormal(&r, N, 1.0), *m = fnormal(&r, N, 0.1), *v = funiform(&r, N, 0.01);
		for (int i = 0; i < N; i++)
			v[i] = fabsf(v[i]);
		float *d_p = dput(p, sizeof(float) * N), *d_m = dput(m, sizeof(float) * N);
		float *d_v = dput(v, sizeof(float) * N), *d_g = dput(NULL, sizeof(float) * N);
		for (long step = 1; step <= 3; step++) {
			float *g = fnormal(&r, N, 1.0);
			const int zero_grad = step == 3; /* g == NULL */
			assert_int_equal(cuda_upload(d_g, g, sizeof(float) * N), 0);
			adam_cpu(N, p, zero_grad ? NULL : g, m, v, 1e-3, 0.9, 0.999, 1e-8, wd, adamw,
				 step);
			assert_int_equal(adam_cuda(N, d_p, zero_grad ? NULL : d_g, d_m, d_v, 1e-3, 0.9,
						   0.999, 1e-8, wd, adamw, step, NULL),
					 0);
			free(g);
		}
		float *p2 = fnew(N), *m2 = fnew(N), *v2 = fnew(N);
		dget(p2, d_p, sizeof(float) * N);
		dget(m2, d_m, sizeof(float) * N);
		dget(v2, d_v, sizeof(float) * N);
		/* operation for operation, no fused multiply-add: exact */
		char what[64];
		snprintf(what, sizeof(what), "adam p (adamw %d wd %g)", adamw, wd);
		fails += cmp_exact(what, p2, p, N) != 0;
		snprintf(what, sizeof(what), "adam m (adamw %d wd %g)", adamw, wd);
		fails += cmp_exact(what, m2, m, N) != 0;
		snprintf(what, sizeof(what), "adam v (adamw %d wd %g)", adamw, wd);
		fails += cmp_exact(what, v2, v, N) != 0;

		/* rows: (N / E) rows of E, five of them listed */
		int32_t rows[ROWS] = {0, 7, 3, 600, 601};
		float *g = fnormal(&r, N, 1.0);
		assert_int_equal(cuda_upload(d_g, g, sizeof(float) * N), 0);
		int32_t *d_rows = dput(rows, sizeof(rows));
		adam_rows_cpu(ROWS, rows, E, p, g, m, v, 1e-2, 0.9, 0.99, 1e-8, wd, adamw, 4);
		assert_int_equal(adam_rows_cuda(ROWS, d_rows, E, d_p, d_g, d_m, d_v, 1e-2, 0.9, 0.99,
						1e-8, wd, adamw, 4, NULL),
				 0);
		dget(p2, d_p, sizeof(float) * N);
		dget(m2, d_m, sizeof(float) * N);
		snprintf(what, sizeof(what), "adam rows p (adamw %d)", adamw);
		fails += cmp_exact(what, p2, p, N) != 0;
		snprintf(what, sizeof(what), "adam rows m (adamw %d)", adamw);
		fails += cmp_exact(what, m2, m, N) != 0;
		/* 60 rows and no gradient (g NULL: rows whose gradient is 0): the
		 * list ends where its allocation does (64 entries, from the 5th),
		 * and the grid has warps past the last row (8 blocks of 8 warps):
		 * one that read its row would read past the allocation, which the
		 * emulator faults on */
		int32_t rows64[64];
		for (int i = 0; i < 64; i++)
			rows64[i] = (i * 37) % (N / E);
		int32_t *d_rows64 = dput(rows64, sizeof(rows64));
		adam_rows_cpu(60, rows64 + 4, E, p, NULL, m, v, 1e-2, 0.9, 0.99, 1e-8, wd, adamw, 5);
		assert_int_equal(adam_rows_cuda(60, d_rows64 + 4, E, d_p, NULL, d_m, d_v, 1e-2, 0.9,
						0.99, 1e-8, wd, adamw, 5, NULL),
				 0);
		dget(p2, d_p, sizeof(float) * N);
		dget(m2, d_m, sizeof(float) * N);
		dget(v2, d_v, sizeof(float) * N);
		snprintf(what, sizeof(what), "adam 60 rows, no gradient, p (adamw %d)", adamw);
		fails += cmp_exact(what, p2, p, N) != 0;
		snprintf(what, sizeof(what), "adam 60 rows, no gradient, m (adamw %d)", adamw);
		fails += cmp_exact(what, m2, m, N) != 0;
		snprintf(what, sizeof(what), "adam 60 rows, no gradient, v (adamw %d)", adamw);
		fails += cmp_exact(what, v2, v, N) != 0;
		cuda_free(d_rows64);
		cuda_free(d_rows);
		cuda_free(d_p);
		cuda_free(d_m);
		cuda_free(d_v);
		cuda_free(d_g);
		free(g);
		free(p);
		free(m);
		free(v);
		free(p2);
		free(m2);
		free(v2);
	}
	assert_int_equal(fails, 0);
}

static void test_gradutil(void **state)
{
	const size_t n = 1000003;
	struct rng r;
	rng_seed(&r, 61);
	float *x = fnormal(&r, n, 1.0);
	float *d_x = dput(x, sizeof(float) * n);
	double *d_sum = dput(NULL, sizeof(double)), sum, sum_ref;
	size_t *d_cnt = dput(NULL, sizeof(size_t)), cnt, cnt_ref;
	sumsq_cpu(n, x, &sum_ref);
	assert_int_equal(sumsq_cuda(n, d_x, d_sum, NULL), 0);
	dget(&sum, d_sum, sizeof(sum));
	/* double sums of 1e6 positive float squares in two orders: ~1e-16 *
	 * sqrt(n) relative apart */
	printf("sumsq: cuda %.17g cpu %.17g\n", sum, sum_ref);
	assert_true(fabs(sum - sum_ref) <= 1e-12 * sum_ref);
	/* deterministic: the same bits again */
	double again;
	assert_int_equal(sumsq_cuda(n, d_x, d_sum, NULL), 0);
	dget(&again, d_sum, sizeof(again));
	assert_true(again == sum);

	scale_cpu(n, x, 0.37f);
	assert_int_equal(scale_cuda(n, d_x, 0.37f, NULL), 0);
	float *x2 = fnew(n);
	dget(x2, d_x, sizeof(float) * n);
	assert_int_equal(cmp_exact("scale", x2, x, n), 0);

	x[5] = NAN;
	x[n - 1] = INFINITY;
	x[777] = -INFINITY;
	/* one more in every lane of a warp (element i is lane i % 32's): the
	 * warp's shuffle sum must reach all 32 */
	for (int k = 0; k < 32; k++)
		x[1000 + 33 * k] = k % 2 ? NAN : INFINITY;
	assert_int_equal(cuda_upload(d_x, x, sizeof(float) * n), 0);
	count_nonfinite_cpu(n, x, &cnt_ref);
	assert_int_equal(count_nonfinite_cuda(n, d_x, d_cnt, NULL), 0);
	dget(&cnt, d_cnt, sizeof(cnt));
	assert_int_equal(cnt, cnt_ref);
	assert_int_equal(cnt, 35);
	/* the count starts from zero in every call, not from the last one */
	assert_int_equal(count_nonfinite_cuda(n, d_x, d_cnt, NULL), 0);
	dget(&cnt, d_cnt, sizeof(cnt));
	assert_int_equal(cnt, 35);
	cuda_free(d_x);
	cuda_free(d_sum);
	cuda_free(d_cnt);
	free(x);
	free(x2);
}

int main(void)
{
	if (!cuda_device_available()) {
		printf("SKIP: no CUDA device\n");
		return TEST_SKIP_EXIT;
	}
	setvbuf(stdout, NULL, _IOLBF, 0); /* a killed run keeps its lines */
	printf("device: %s\n", cuda_device_name());
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_embedding), cmocka_unit_test(test_pool),
		cmocka_unit_test(test_linear),    cmocka_unit_test(test_losses),
		cmocka_unit_test(test_adam),      cmocka_unit_test(test_gradutil),
		cmocka_unit_test(test_cells),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

#endif
