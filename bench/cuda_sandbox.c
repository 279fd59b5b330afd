/* cuda_sandbox.c - the CUDA backend's kernel sandbox and training-step
 * benchmark.  Not part of the build or the tests; bench/gpu-prepare.sh
 * builds it (the cc line is there) and bench/gpu.sh runs it on the GPU.
 *
 *   cuda_sandbox cells [OPTIONS]   every recurrence variant of each cell is
 *     first checked against the CPU reference (the kernels of kernels/
 *     ending in _cpu.c, linked) with the tolerances of test_cuda_kernels.c,
 *     and only then timed: microseconds per time step of the forward and of
 *     the backward (the whole cell call: input projection, the T-step
 *     recurrence, and for the backward the weight-gradient GEMMs).
 *   cuda_sandbox train [OPTIONS]   milliseconds per training step of the
 *     issue's model (Embedding(V, E) -> cell(E, H) -> Linear(H, 2), every
 *     sequence full length, dense Adam, clipping at 1) through rnn_cuda.h:
 *     batch upload, forward, backward, clip, Adam, one sync.
 * Output: one JSON object per line on stdout (for bench/gpu.sh), progress
 * and comparison lines on stderr.  Exit 1 when a variant fails its check.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cuda_compare.h"
#include "error.h"
#include "kernels_cpu.h"
#include "kernels_cuda.h"
#include "opts.h"
#include "rnn_cuda.h"
#include "rnn_model.h"

static long o_batch = 32, o_steps = 256, o_input = 256, o_hidden = 128, o_reps = 5;
static long o_vocab = 119547, o_iters = 10, o_threads = 8;
static double o_zipf = 0.95;
static const char *o_cell = "all";
static const char *o_variants = "ref,global,smem,cluster,cluster2,cluster4,cluster8";
static int o_atomic;

static const struct opt options[] = {
	{"cell", OPT_CHOICE, &o_cell, "all|rnn|lstm|gru", "cells to run", 0, 0},
	{"batch", OPT_INT, &o_batch, "B", "batch size", 1, 4096},
	{"steps", OPT_INT, &o_steps, "T", "time steps", 1, 4096},
	{"input", OPT_INT, &o_input, "I", "cells: input size (the embedding width)", 1, 4096},
	{"embed", OPT_INT, &o_input, "E", "train: embedding width (same as --input)", 1, 4096},
	{"hidden", OPT_INT, &o_hidden, "H", "hidden size", 1, 4096},
	{"vocab", OPT_INT, &o_vocab, "V", "train: vocabulary size", 2, 10000000},
	{"reps", OPT_INT, &o_reps, "N", "cells: timed repetitions (median)", 1, 1000},
	{"iters", OPT_INT, &o_iters, "N", "train: timed steps (after 3 warm-up steps)", 1, 10000},
	{"threads", OPT_INT, &o_threads, "N", "CPU threads for the reference", 1, 256},
	{"variants", OPT_STR, &o_variants, "LIST",
	 "comma-separated: ref global smem cluster cluster2 cluster4 cluster8", 0, 0},
	{"atomic", OPT_FLAG, &o_atomic, NULL, "train: atomic embedding gradient", 0, 0},
	{"zipf", OPT_DOUBLE, &o_zipf, "S",
	 "train: token ids Zipf-like with exponent S (0.95: the commonest id is ~4.5% of a "
	 "batch, as in the reviews); 0 = uniform",
	 0, 4},
	{NULL, 0, NULL, NULL, NULL, 0, 0},
};

static const struct opts_program program = {
	"cuda_sandbox", "cells|train [OPTIONS]",
	"Checks each CUDA recurrence variant against the CPU, then times it (cells); or times\n"
	"full training steps of the model through rnn_cuda.h (train).",
	options, 1, 1, 0};

/* ---- helpers ---- */

static void *dput(const void *host, size_t bytes)
{
	void *d = cuda_malloc(bytes);
	if (!d)
		exit(1);
	if (host ? cuda_upload(d, host, bytes) : cuda_memset(d, 0, bytes))
		exit(1);
	return d;
}

static float *fnew(size_t n)
{
	float *p = calloc(n ? n : 1, sizeof(float));
	if (!p)
		die(1, "out of memory");
	return p;
}

static float *frand(struct rng *r, size_t n, double k)
{
	float *p = fnew(n);
	for (size_t i = 0; i < n; i++)
		p[i] = (float)(k * (2 * rng_uniform(r) - 1));
	return p;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

static double median(double *v, int n)
{
	qsort(v, n, sizeof(double), cmp_double);
	return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + 1e-9 * ts.tv_nsec;
}

/* "smem" -> (CUDA_REC_SMEM, 0); "cluster4" -> (CUDA_REC_CLUSTER, 4) */
static int parse_variant(const char *s, int *rec, int *cs)
{
	*cs = 0;
	if (!strncmp(s, "cluster", 7) && s[7]) {
		*cs = atoi(s + 7);
		*rec = CUDA_REC_CLUSTER;
		return *cs == 2 || *cs == 4 || *cs == 8 ? 0 : -1;
	}
	*rec = cuda_recurrence_parse(s);
	return *rec < 0 ? -1 : 0;
}

/* ---- cells ---- */

static int cell_fwd(int cpu, int cell, int T, int B, int In, int H, const float *x,
		    const int32_t *len, const float *wi, const float *wh, const float *bi,
		    const float *bh, float *y, float *act, float *ex, float *ws)
{
	if (cpu) {
		if (cell == 1)
			lstm_forward_cpu(T, B, In, H, 0, x, len, wi, wh, bi, bh, y, H, act, ex, ws);
		else if (cell == 2)
			gru_forward_cpu(T, B, In, H, 0, x, len, wi, wh, bi, bh, y, H, act, ex, ws);
		else
			rnn_tanh_forward_cpu(T, B, In, H, 0, x, len, wi, wh, bi, bh, y, H, act, ex, ws);
		return 0;
	}
	if (cell == 1)
		return lstm_forward_cuda(T, B, In, H, 0, x, len, wi, wh, bi, bh, y, H, act, ex, ws,
					 NULL);
	if (cell == 2)
		return gru_forward_cuda(T, B, In, H, 0, x, len, wi, wh, bi, bh, y, H, act, ex, ws,
					NULL);
	return rnn_tanh_forward_cuda(T, B, In, H, 0, x, len, wi, wh, bi, bh, y, H, act, ex, ws,
				     NULL);
}

static int cell_bwd(int cpu, int cell, int T, int B, int In, int H, const float *x,
		    const int32_t *len, const float *wi, const float *wh, const float *y,
		    const float *dy, const float *act, const float *ex, float *dx, float *dwi,
		    float *dwh, float *dbi, float *dbh, float *ws)
{
	if (cpu) {
		if (cell == 1)
			lstm_backward_cpu(T, B, In, H, 0, x, len, wi, wh, y, dy, H, act, ex, dx, 0, dwi,
					  dwh, dbi, dbh, ws);
		else if (cell == 2)
			gru_backward_cpu(T, B, In, H, 0, x, len, wi, wh, y, dy, H, act, ex, dx, 0, dwi,
					 dwh, dbi, dbh, ws);
		else
			rnn_tanh_backward_cpu(T, B, In, H, 0, x, len, wi, wh, y, dy, H, act, ex, dx, 0,
					      dwi, dwh, dbi, dbh, ws);
		return 0;
	}
	if (cell == 1)
		return lstm_backward_cuda(T, B, In, H, 0, x, len, wi, wh, y, dy, H, act, ex, dx, 0,
					  dwi, dwh, dbi, dbh, ws, NULL);
	if (cell == 2)
		return gru_backward_cuda(T, B, In, H, 0, x, len, wi, wh, y, dy, H, act, ex, dx, 0,
					 dwi, dwh, dbi, dbh, ws, NULL);
	return rnn_tanh_backward_cuda(T, B, In, H, 0, x, len, wi, wh, y, dy, H, act, ex, dx, 0,
				      dwi, dwh, dbi, dbh, ws, NULL);
}

static size_t ws_floats(int cell, int T, int B, int H)
{
	size_t f = cell == 1 ? lstm_forward_ws(B, H) : cell == 2 ? gru_forward_ws(B, H)
								  : rnn_tanh_forward_ws(B, H);
	size_t b = cell == 1 ? lstm_backward_ws(T, B, H) : cell == 2 ? gru_backward_ws(T, B, H)
								      : rnn_tanh_backward_ws(T, B, H);
	return f > b ? f : b;
}

/* The forward with lengths all T (no padding): the shape of the issue's
 * benchmark; validation uses the same inputs. */
static int run_cells(void)
{
	const int T = (int)o_steps, B = (int)o_batch, In = (int)o_input, H = (int)o_hidden;
	int failed = 0;
	rnn_set_threads((int)o_threads);
	for (int cell = 0; cell < 3; cell++) {
		if (strcmp(o_cell, "all") && strcmp(o_cell, rnn_cell_name(cell)))
			continue;
		const int G = rnn_cell_gates(cell), N = G * H;
		const size_t TB = (size_t)T * B;
		struct rng r;
		rng_seed(&r, 7 + cell);
		const double k = 1.0 / sqrt((double)H);
		float *x = frand(&r, TB * In, 1.0), *wi = frand(&r, (size_t)N * In, k);
		float *wh = frand(&r, (size_t)N * H, k), *bi = frand(&r, N, k), *bh = frand(&r, N, k);
		float *dy = frand(&r, TB * H, 1.0);
		int32_t *len = malloc(sizeof(int32_t) * B);
		for (int b = 0; b < B; b++)
			len[b] = T;
		/* CPU reference */
		float *y = fnew(TB * H), *act = fnew(TB * N), *ex = fnew(TB * H);
		float *ws = fnew(ws_floats(cell, T, B, H));
		float *dx = fnew(TB * In), *dwi = fnew((size_t)N * In), *dwh = fnew((size_t)N * H);
		float *dbi = fnew(N), *dbh = fnew(N);
		double t0 = now_s();
		cell_fwd(1, cell, T, B, In, H, x, len, wi, wh, bi, bh, y, act, ex, ws);
		double t1 = now_s();
		cell_bwd(1, cell, T, B, In, H, x, len, wi, wh, y, dy, act, ex, dx, dwi, dwh, dbi, dbh,
			 ws);
		double t2 = now_s();
		fprintf(stderr, "%s T%d B%d I%d H%d: cpu (%ld threads) fwd %.1f us/step, bwd %.1f "
				"us/step\n",
			rnn_cell_name(cell), T, B, In, H, o_threads, 1e6 * (t1 - t0) / T,
			1e6 * (t2 - t1) / T);
		printf("{\"mode\":\"cells\",\"cell\":\"%s\",\"variant\":\"cpu\",\"T\":%d,\"B\":%d,"
		       "\"I\":%d,\"H\":%d,\"fwd_us_per_step\":%.3f,\"bwd_us_per_step\":%.3f,"
		       "\"threads\":%ld}\n",
		       rnn_cell_name(cell), T, B, In, H, 1e6 * (t1 - t0) / T, 1e6 * (t2 - t1) / T,
		       o_threads);
		fflush(stdout);
		/* device buffers */
		float *d_x = dput(x, sizeof(float) * TB * In), *d_wi = dput(wi, sizeof(float) * N * In);
		float *d_wh = dput(wh, sizeof(float) * N * H), *d_bi = dput(bi, sizeof(float) * N);
		float *d_bh = dput(bh, sizeof(float) * N), *d_dy = dput(dy, sizeof(float) * TB * H);
		int32_t *d_len = dput(len, sizeof(int32_t) * B);
		float *d_y = dput(NULL, sizeof(float) * TB * H), *d_act = dput(NULL, sizeof(float) * TB * N);
		float *d_ex = dput(NULL, sizeof(float) * TB * H);
		float *d_ws = dput(NULL, sizeof(float) * ws_floats(cell, T, B, H));
		float *d_dx = dput(NULL, sizeof(float) * TB * In), *d_dwi = dput(NULL, sizeof(float) * N * In);
		float *d_dwh = dput(NULL, sizeof(float) * N * H), *d_dbi = dput(NULL, sizeof(float) * N);
		float *d_dbh = dput(NULL, sizeof(float) * N);
		float *h_out = fnew(TB * (N > In ? N : In) + (size_t)N * (In + H));
		struct cuda_timer *tm = cuda_timer_create();
		if (!tm)
			return -1;

		char list[256];
		snprintf(list, sizeof(list), "%s", o_variants);
		for (char *save = NULL, *v = strtok_r(list, ",", &save); v;
		     v = strtok_r(NULL, ",", &save)) {
			int rec, cs;
			if (parse_variant(v, &rec, &cs)) {
				error("unknown variant '%s'", v);
				return -1;
			}
			cuda_set_recurrence(rec);
			cuda_set_cluster_size(cs);
			char pf[160], pb[160];
			cuda_recurrence_describe(cell, B, H, 0, pf, sizeof(pf));
			cuda_recurrence_describe(cell, B, H, 1, pb, sizeof(pb));
			fprintf(stderr, "-- %s %s: fwd %s | bwd %s\n", rnn_cell_name(cell), v, pf, pb);
			/* check, forward then backward (from the device's forward,
			 * as in training; tolerances of test_cuda_kernels.c) */
			int bad = 0;
			char what[96];
			if (cell_fwd(0, cell, T, B, In, H, d_x, d_len, d_wi, d_wh, d_bi, d_bh, d_y, d_act,
				     d_ex, d_ws) ||
			    cuda_sync())
				return -1;
			cuda_download(h_out, d_y, sizeof(float) * TB * H);
			snprintf(what, sizeof(what), "%s %s y", rnn_cell_name(cell), v);
			bad += cmp_floats(what, h_out, y, TB * H, 3e-5, 1e-4, NULL) != 0;
			cuda_download(h_out, d_act, sizeof(float) * TB * N);
			snprintf(what, sizeof(what), "%s %s act", rnn_cell_name(cell), v);
			bad += cmp_floats(what, h_out, act, TB * N, 3e-5, 1e-4, NULL) != 0;
			cuda_memset(d_dwi, 0, sizeof(float) * N * In);
			cuda_memset(d_dwh, 0, sizeof(float) * N * H);
			cuda_memset(d_dbi, 0, sizeof(float) * N);
			cuda_memset(d_dbh, 0, sizeof(float) * N);
			if (cell_bwd(0, cell, T, B, In, H, d_x, d_len, d_wi, d_wh, d_y, d_dy, d_act, d_ex,
				     d_dx, d_dwi, d_dwh, d_dbi, d_dbh, d_ws) ||
			    cuda_sync())
				return -1;
			cuda_download(h_out, d_dwh, sizeof(float) * N * H);
			snprintf(what, sizeof(what), "%s %s dw_hh", rnn_cell_name(cell), v);
			bad += cmp_floats(what, h_out, dwh, (size_t)N * H,
					  1e-4 * cmp_max_abs(dwh, (size_t)N * H), 1e-3, NULL) != 0;
			cuda_download(h_out, d_dx, sizeof(float) * TB * In);
			snprintf(what, sizeof(what), "%s %s dx", rnn_cell_name(cell), v);
			bad += cmp_floats(what, h_out, dx, TB * In, 1e-4 * cmp_max_abs(dx, TB * In), 1e-3,
					  NULL) != 0;
			if (bad) {
				fprintf(stderr, "%s %s: FAILED its check, not timed\n", rnn_cell_name(cell),
					v);
				printf("{\"mode\":\"cells\",\"cell\":\"%s\",\"variant\":\"%s\",\"ok\":false}\n",
				       rnn_cell_name(cell), v);
				failed++;
				continue;
			}
			/* time */
			double *tf = malloc(sizeof(double) * o_reps), *tb = malloc(sizeof(double) * o_reps);
			for (int i = 0; i < o_reps; i++) {
				cuda_timer_start(tm, NULL);
				cell_fwd(0, cell, T, B, In, H, d_x, d_len, d_wi, d_wh, d_bi, d_bh, d_y, d_act,
					 d_ex, d_ws);
				tf[i] = cuda_timer_stop(tm, NULL);
				cuda_timer_start(tm, NULL);
				cell_bwd(0, cell, T, B, In, H, d_x, d_len, d_wi, d_wh, d_y, d_dy, d_act, d_ex,
					 d_dx, d_dwi, d_dwh, d_dbi, d_dbh, d_ws);
				tb[i] = cuda_timer_stop(tm, NULL);
			}
			if (cuda_sync())
				return -1;
			double mf = median(tf, (int)o_reps), mb = median(tb, (int)o_reps);
			fprintf(stderr, "%s %s: fwd %.2f us/step, bwd %.2f us/step (median of %ld)\n",
				rnn_cell_name(cell), v, 1e3 * mf / T, 1e3 * mb / T, o_reps);
			printf("{\"mode\":\"cells\",\"cell\":\"%s\",\"variant\":\"%s\",\"ok\":true,"
			       "\"T\":%d,\"B\":%d,\"I\":%d,\"H\":%d,\"fwd_us_per_step\":%.3f,"
			       "\"bwd_us_per_step\":%.3f,\"plan_fwd\":\"%s\",\"plan_bwd\":\"%s\"}\n",
			       rnn_cell_name(cell), v, T, B, In, H, 1e3 * mf / T, 1e3 * mb / T, pf, pb);
			fflush(stdout);
			free(tf);
			free(tb);
		}
		cuda_timer_free(tm);
		void *dev[] = {d_x, d_wi, d_wh, d_bi, d_bh, d_dy, d_len, d_y, d_act, d_ex, d_ws, d_dx,
			       d_dwi, d_dwh, d_dbi, d_dbh};
		for (size_t i = 0; i < sizeof(dev) / sizeof(dev[0]); i++)
			cuda_free(dev[i]);
		float *host[] = {x, wi, wh, bi, bh, dy, y, act, ex, ws, dx, dwi, dwh, dbi, dbh, h_out};
		for (size_t i = 0; i < sizeof(host) / sizeof(host[0]); i++)
			free(host[i]);
		free(len);
	}
	cuda_set_recurrence(CUDA_REC_DEFAULT);
	cuda_set_cluster_size(0);
	return failed ? 1 : 0;
}

/* ---- training steps ---- */

/* n ids in [0, o_vocab): Zipf-like with exponent o_zipf (rng_zipf, the
 * sampler of synth-tok), uniform when o_zipf is 0.  Real reviews at B 32,
 * T 256: the commonest id fills ~400 of 8192 positions among ~2,200
 * distinct ids; rng_zipf at 0.95 over 119,547 ids gives ~370 for the
 * first.  Uniform ids make every run of the sorted embedding gradient one
 * position long, which real text never does. */
static void draw_ids(struct rng *r, int32_t *ids, size_t n)
{
	for (size_t i = 0; i < n; i++)
		ids[i] = o_zipf > 0 ? (int32_t)rng_zipf(r, o_zipf, (uint32_t)o_vocab) - 1
				    : (int32_t)rng_below(r, (uint64_t)o_vocab);
}

static int run_train(void)
{
	const int T = (int)o_steps, B = (int)o_batch;
	int failed = 0;
	for (int cell = 0; cell < 3; cell++) {
		if (strcmp(o_cell, "all") && strcmp(o_cell, rnn_cell_name(cell)))
			continue;
		struct rnn_config c = {.cell = cell, .task = RNN_TASK_CLASSIFY, .vocab = (int)o_vocab,
				       .embed = (int)o_input, .hidden = (int)o_hidden, .layers = 1,
				       .bidirectional = 0, .outputs = 2, .pool = RNN_POOL_LAST};
		struct rnn_model *h = rnn_model_create(&c, 1, 1, 0);
		if (!h)
			return -1;
		rnn_model_init(h, 1);
		/* batches: Zipf (or uniform) ids, full length (the PyTorch side
		 * pads nothing and draws from the same distribution) */
		enum { NB = 4 };
		int32_t *ids = malloc(sizeof(int32_t) * NB * B * T), *len = malloc(sizeof(int32_t) * B);
		int32_t *lab = malloc(sizeof(int32_t) * NB * B);
		struct rng r;
		rng_seed(&r, 3);
		if (!ids || !len || !lab)
			return error("out of memory");
		draw_ids(&r, ids, (size_t)NB * B * T);
		for (int i = 0; i < NB * B; i++)
			lab[i] = (int32_t)(rng_next(&r) & 1);
		for (int i = 0; i < B; i++)
			len[i] = T;
		char list[256];
		snprintf(list, sizeof(list), "%s", o_variants);
		for (char *save = NULL, *v = strtok_r(list, ",", &save); v;
		     v = strtok_r(NULL, ",", &save)) {
			struct rnn_cuda_options opt;
			rnn_cuda_options_defaults(&opt);
			int rec, cs;
			if (parse_variant(v, &rec, &cs)) {
				error("unknown variant '%s'", v);
				return -1;
			}
			opt.recurrence = rec;
			opt.embed_grad_atomic = o_atomic;
			cuda_set_cluster_size(cs);
			struct rnn_cuda_model *d = rnn_cuda_create(&c, B, T, 1, &opt);
			if (!d || rnn_cuda_upload(d, h))
				return -1;
			struct rnn_optim o;
			rnn_optim_defaults(&o);
			float loss = 0;
			double t0 = 0;
			int bad = 0;
			struct rnn_cuda_timing tm0 = {0}, tm1;
			for (int s = 0; s < 3 + o_iters; s++) {
				if (s == 3) {
					t0 = now_s();
					rnn_cuda_timing(d, &tm0);
				}
				struct rnn_batch b = {.B = B, .T = T, .ids = ids + (size_t)(s % NB) * B * T,
						      .lengths = len, .labels = lab + (s % NB) * B};
				int rc = rnn_cuda_train_step(d, &b, &o, 1.0f, &loss, NULL);
				if (rc < 0)
					return -1;
				bad += rc != 0;
			}
			double ms = 1e3 * (now_s() - t0) / o_iters;
			/* the device's side of the timed steps (rnn_cuda_timing):
			 * busy per step, and the idle gap between steps */
			rnn_cuda_timing(d, &tm1);
			long nst = tm1.steps - tm0.steps, ngap = tm1.gaps - tm0.gaps;
			double busy_ms = nst > 0 ? 1e3 * (tm1.busy_s - tm0.busy_s) / nst : NAN;
			double gap_us = ngap > 0 ? 1e6 * (tm1.idle_s - tm0.idle_s) / ngap : NAN;
			char desc[256], jbusy[32] = "null", jgap[32] = "null";
			if (isfinite(busy_ms))
				snprintf(jbusy, sizeof(jbusy), "%.4f", busy_ms);
			if (isfinite(gap_us))
				snprintf(jgap, sizeof(jgap), "%.2f", gap_us);
			fprintf(stderr,
				"train %s B%d T%d %s: %.3f ms/step (device busy %.3f ms, idle %.1f us "
				"between steps), last loss %.5f%s (%s)\n",
				rnn_cell_name(cell), B, T, v, ms, busy_ms, gap_us, loss,
				bad ? " NaN-guard steps!" : "", rnn_cuda_describe(d, desc, sizeof(desc)));
			printf("{\"mode\":\"train\",\"cell\":\"%s\",\"variant\":\"%s\",\"B\":%d,\"T\":%d,"
			       "\"V\":%ld,\"E\":%ld,\"H\":%ld,\"ms_per_step\":%.4f,\"loss\":%.6f,"
			       "\"guarded_steps\":%d,\"atomic\":%d,\"busy_ms_per_step\":%s,"
			       "\"idle_us_per_gap\":%s,\"zipf\":%g}\n",
			       rnn_cell_name(cell), v, B, T, o_vocab, o_input, o_hidden, ms, loss, bad,
			       o_atomic, jbusy, jgap, o_zipf);
			fflush(stdout);
			failed += bad != 0;
			rnn_cuda_free(d);
		}
		cuda_set_cluster_size(0);
		free(ids);
		free(len);
		free(lab);
		rnn_model_free(h);
	}
	return failed ? 1 : 0;
}

int main(int argc, char **argv)
{
	char **args;
	int nargs;
	error_set_prog(argv[0]);
	setvbuf(stdout, NULL, _IOLBF, 0);
	opts_parse_or_exit(&program, argc, argv, &args, &nargs);
	if (!cuda_device_available())
		die(1, "no CUDA device");
	fprintf(stderr, "device: %s\n", cuda_device_name());
	int rc;
	if (!strcmp(args[0], "cells"))
		rc = run_cells();
	else if (!strcmp(args[0], "train"))
		rc = run_train();
	else
		die(2, "unknown mode '%s' (cells or train)", args[0]);
	return rc < 0 ? 1 : rc;
}
