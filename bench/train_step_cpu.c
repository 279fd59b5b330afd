/* train_step_cpu.c - training-step throughput of the CPU engine at the
 * reference notebook's configuration: Elman RNN, V = 119547, E = 256,
 * H = 128, C = 2, batch 32, T = 256, Adam lr 1e-3; dense and lazy (sparse)
 * embedding Adam, with 1 and 2 threads.  Prints one line per setting and a
 * JSON line ({"bench": ...}) for scripts: mean throughput over the timed
 * steps, that of the fastest step, and that by process CPU time (on a
 * shared, busy machine the mean mostly measures the neighbours; with one
 * thread, CPU time is what an idle machine would take).  A step = zero_grad, forward, backward,
 * clipping (max norm 1), Adam.  Synthetic batches (uniform random ids,
 * lengths 32-256: lazy Adam touches the ~4,300 distinct ids at real
 * positions a step, far more than real text's).
 *
 * Built by `make bench-tools` (bench/bench.mk) as $(BUILD)/bench/train_step_cpu:
 *   build/bench/train_step_cpu [steps] [cell: rnn|lstm|gru]
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "blascore.h"
#include "rnn_model.h"

static double clock_s(clockid_t id)
{
	struct timespec ts;
	clock_gettime(id, &ts);
	return ts.tv_sec + ts.tv_nsec * 1e-9;
}

static double now(void)
{
	return clock_s(CLOCK_MONOTONIC);
}

int main(int argc, char **argv)
{
	blascore_exec_better(argv); /* as train does */
	int steps = argc > 1 ? atoi(argv[1]) : 10;
	int cell = argc > 2 ? rnn_cell_parse(argv[2]) : RNN_CELL_RNN;
	if (steps < 1 || cell < 0) {
		fprintf(stderr, "usage: %s [steps >= 1] [rnn|lstm|gru]\n", argv[0]);
		return 2;
	}
	enum { B = 32, T = 256 };
	struct rnn_config c = {.cell = cell, .task = RNN_TASK_CLASSIFY, .vocab = 119547,
			       .embed = 256, .hidden = 128, .layers = 1, .bidirectional = 0,
			       .outputs = 2, .pool = RNN_POOL_LAST};
	struct rnn_model *m = rnn_model_create(&c, B, T, 1);
	if (!m)
		return 1;
	printf("config: %s V=%d E=%d H=%d C=%d batch %d steps %d; %zu parameters; OpenBLAS's "
	       "%s kernels\n", rnn_cell_name(cell), c.vocab, c.embed, c.hidden, c.outputs, B, T,
	       m->layout.total, blascore_name());
	struct rng r;
	rng_seed(&r, 1);
	static int32_t ids[B * T], len[B], lab[B];
	struct rnn_batch b = {.B = B, .T = T, .ids = ids, .lengths = len, .labels = lab};
	for (int threads = 1; threads <= 2; threads++)
		for (int sparse = 0; sparse < 2; sparse++) {
			rnn_set_threads(threads);
			rnn_model_init(m, 7);
			struct rnn_optim o;
			rnn_optim_defaults(&o);
			o.sparse_embedding = sparse;
			double t_fb = 0, t_opt = 0, t_all = 0, t_min = 1e30, cpu = 0;
			float loss = 0;
			for (int s = -2; s < steps; s++) { /* two warm-up steps */
				for (int i = 0; i < B * T; i++)
					ids[i] = (int32_t)(rng_next(&r) % c.vocab);
				for (int i = 0; i < B; i++) {
					len[i] = 32 + (int)(rng_next(&r) % (T - 31));
					lab[i] = (int32_t)(rng_next(&r) & 1);
				}
				double c0 = clock_s(CLOCK_PROCESS_CPUTIME_ID);
				double t0 = now();
				rnn_model_zero_grad(m);
				if (rnn_model_forward(m, &b, &loss) || rnn_model_backward(m, &b))
					return 1;
				rnn_model_clip_grad(m, 1.0f);
				double t1 = now();
				if (rnn_model_step(m, &o))
					return 1;
				double t2 = now();
				double c2 = clock_s(CLOCK_PROCESS_CPUTIME_ID);
				if (s >= 0) {
					cpu += c2 - c0;
					t_fb += t1 - t0;
					t_opt += t2 - t1;
					t_all += t2 - t0;
					if (t2 - t0 < t_min)
						t_min = t2 - t0;
				}
			}
			double sps = steps * B / t_all, best = B / t_min;
			printf("threads %d  %-6s adam: %7.1f seq/s mean, %7.1f best step, %7.1f by "
			       "CPU time  (mean step %6.1f ms: forward+backward %6.1f ms, optimiser "
			       "%6.1f ms)  loss %.4f\n",
			       threads, sparse ? "sparse" : "dense", sps, best, steps * B / cpu,
			       1e3 * t_all / steps, 1e3 * t_fb / steps, 1e3 * t_opt / steps, loss);
			printf("{\"bench\":\"train_step_cpu\",\"cell\":\"%s\",\"threads\":%d,"
			       "\"adam\":\"%s\",\"seq_per_s\":%.2f,\"seq_per_s_best\":%.2f,"
			       "\"seq_per_cpu_s\":%.2f,\"ms_fwd_bwd\":%.2f,\"ms_optimizer\":%.2f,\"steps\":%d}\n",
			       rnn_cell_name(cell), threads, sparse ? "sparse" : "dense", sps, best,
			       steps * B / cpu, 1e3 * t_fb / steps, 1e3 * t_opt / steps, steps);
			fflush(stdout);
		}
	rnn_model_free(m);
	return 0;
}
