/* cell_emu.cc - runs the persistent recurrence kernels of cell_kernels.cuh
 * (forward and backward, every cell, GLOBAL / SMEM / CLUSTER placement,
 * cluster sizes 2 and 4, 1 to 8 sequences per block, more rows than
 * threads) on the CPU, one host
 * thread per CUDA thread, and compares them with the CPU reference cells.
 * It checks the kernels' logic (indexing, masks, double buffering, the
 * cluster exchange, the lane reductions) where there is no GPU; it says
 * nothing about speed or about the GPU's memory model.
 *
 * Emulated: threadIdx/blockIdx/blockDim, __syncthreads, __shfl_down_sync
 * (warps of 32), __ldg, dynamic shared memory (filled with NaN first, so a
 * read before a write shows), and of cooperative_groups' clusters
 * block_rank, sync and map_shared_rank.  Built and run by
 * tests/e2e/cuda_emu.sh:
 *   g++ -std=c++20 -O1 -pthread -Icommon -Ikernels kernels/dev/cell_emu.cc \
 *       BUILD/lib/librnnpipe.a $(pkg-config --libs openblas) -lm -o cell_emu
 * Prints one line per comparison; exit 0 when all pass, 1 otherwise.
 */
#define CELL_EMULATE 1

#include <barrier>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <thread>
#include <vector>

/* ---- the CUDA language on the host ---- */

#define __global__
#define __device__
#define __host__
#define __forceinline__ inline
#define __launch_bounds__(n)
#define __restrict__ __restrict

struct float4 {
	float x, y, z, w;
};
struct emu_dim {
	unsigned x, y, z;
};

struct emu_warp {
	std::barrier<> bar{32};
	float val[32];
};

struct emu_block {
	std::unique_ptr<char[]> smem;
	std::unique_ptr<std::barrier<>> bar;
	std::vector<std::unique_ptr<emu_warp>> warps;
	unsigned rank;
};

struct emu_cluster {
	std::vector<std::unique_ptr<emu_block>> blocks;
	std::unique_ptr<std::barrier<>> bar;
};

static thread_local emu_dim threadIdx, blockIdx, blockDim;
static thread_local emu_block *emu_cur_block;
static thread_local emu_cluster *emu_cur_cluster;

static inline float *rec_smem_base()
{
	return reinterpret_cast<float *>(emu_cur_block->smem.get());
}

static inline void __syncthreads()
{
	emu_cur_block->bar->arrive_and_wait();
}

static inline float __shfl_down_sync(unsigned, float v, int off, int width)
{
	emu_warp &w = *emu_cur_block->warps[threadIdx.x / 32];
	const int lane = (int)(threadIdx.x % 32), seg = lane / width * width, src = lane + off;
	w.val[lane] = v;
	w.bar.arrive_and_wait();
	float r = src < seg + width ? w.val[src] : v;
	w.bar.arrive_and_wait();
	return r;
}

template <class T>
static inline T __ldg(const T *p)
{
	return *p;
}

static inline void __trap()
{
	abort();
}

static inline int max(int a, int b)
{
	return a > b ? a : b;
}

namespace cooperative_groups {
struct cluster_group {
	unsigned block_rank() const { return emu_cur_block->rank; }
	void sync() const { emu_cur_cluster->bar->arrive_and_wait(); }
	template <class T>
	T *map_shared_rank(T *p, unsigned r) const
	{
		ptrdiff_t off = reinterpret_cast<char *>(p) - emu_cur_block->smem.get();
		return reinterpret_cast<T *>(emu_cur_cluster->blocks[r]->smem.get() + off);
	}
};
static inline cluster_group this_cluster()
{
	return cluster_group();
}
} // namespace cooperative_groups

#include "cell_kernels.cuh"

extern "C" {
#include "kernels_cpu.h"
#include "rnn_model.h"
}

/* ---- launching ---- */

/* Runs the grid cluster by cluster; the blocks of one cluster (and all
 * their threads) run concurrently, as the barriers require. */
static void emu_launch(rec_kernel_fn k, const rec_plan &pl, const rec_args &a)
{
	const int CS = pl.CS, nthr = pl.threads, nclusters = pl.blocks / CS;
	for (int c = 0; c < nclusters; c++) {
		emu_cluster cl;
		cl.bar = std::make_unique<std::barrier<>>(CS * nthr);
		for (int r = 0; r < CS; r++) {
			auto b = std::make_unique<emu_block>();
			b->smem.reset(new char[pl.smem + 16]);
			memset(b->smem.get(), 0xff, pl.smem + 16); /* NaN: unwritten reads show */
			b->bar = std::make_unique<std::barrier<>>(nthr);
			for (int w = 0; w < nthr / 32; w++)
				b->warps.push_back(std::make_unique<emu_warp>());
			b->rank = (unsigned)r;
			cl.blocks.push_back(std::move(b));
		}
		std::vector<std::thread> th;
		for (int r = 0; r < CS; r++)
			for (int t = 0; t < nthr; t++)
				th.emplace_back([&, r, t] {
					threadIdx = {(unsigned)t, 0, 0};
					blockIdx = {(unsigned)(c * CS + r), 0, 0};
					blockDim = {(unsigned)nthr, 1, 1};
					emu_cur_block = cl.blocks[r].get();
					emu_cur_cluster = &cl;
					k(a);
				});
		for (auto &t : th)
			t.join();
	}
}

static rec_kernel_fn kernel_of(int cell, int backward, int S, int wmode)
{
	return cell == 1 ? rec_kernel<1>(backward, S, wmode)
	       : cell == 2 ? rec_kernel<2>(backward, S, wmode)
			   : rec_kernel<0>(backward, S, wmode);
}

/* ---- the check ---- */

static int fails;

static void compare(const char *what, const float *got, const float *ref, size_t n, double atol,
		    double rtol)
{
	size_t bad = 0, worst = 0;
	double wr = 0;
	for (size_t i = 0; i < n; i++) {
		double d = fabs((double)got[i] - ref[i]), bound = atol + rtol * fabs(ref[i]);
		double r = std::isfinite(got[i]) ? d / bound : INFINITY;
		if (r > 1)
			bad++;
		if (r > wr)
			wr = r, worst = i;
	}
	printf("%-4s %-58s worst [%zu] got %.8g ref %.8g; %zu of %zu outside\n", bad ? "FAIL" : "ok",
	       what, worst, n ? got[worst] : 0.0, n ? ref[worst] : 0.0, bad, n);
	fails += bad != 0;
}

static std::vector<float> normal(struct rng *r, size_t n, double s)
{
	std::vector<float> v(n);
	for (auto &x : v)
		x = (float)(s * rng_normal(r));
	return v;
}

static std::vector<float> uniform(struct rng *r, size_t n, double k)
{
	std::vector<float> v(n);
	for (auto &x : v)
		x = (float)(k * (2 * rng_uniform(r) - 1));
	return v;
}

static void check(int cell, int H, int rev, int variant, int cluster, int sms, uint64_t seed)
{
	const int T = 6, B = 5, In = 4, G = rnn_cell_gates((enum rnn_cell)cell), N = G * H;
	const int ldy = 2 * H, col = rev ? H : 0;
	const size_t TB = (size_t)T * B;
	struct rng r;
	rng_seed(&r, seed);
	std::vector<int32_t> len(B);
	for (int b = 0; b < B; b++)
		len[b] = b == 0 ? T : b == 1 ? 1 : 1 + (int32_t)(rng_next(&r) % T);
	const double k = 1.0 / sqrt((double)H);
	auto x = normal(&r, TB * In, 1.0), w_ih = uniform(&r, (size_t)N * In, k);
	auto w_hh = uniform(&r, (size_t)N * H, k), b_ih = uniform(&r, N, k), b_hh = uniform(&r, N, k);

	/* the CPU reference, forward and backward */
	std::vector<float> y_ref(TB * ldy, 7.0f), act_ref(TB * N), ex_ref(TB * H);
	std::vector<float> ws(gru_backward_ws(T, B, H) + lstm_backward_ws(T, B, H) + (size_t)B * 3 * H);
	float *ex = cell == 0 ? nullptr : ex_ref.data();
	if (cell == 1)
		lstm_forward_cpu(T, B, In, H, rev, x.data(), len.data(), w_ih.data(), w_hh.data(),
				 b_ih.data(), b_hh.data(), y_ref.data() + col, ldy, act_ref.data(), ex,
				 ws.data());
	else if (cell == 2)
		gru_forward_cpu(T, B, In, H, rev, x.data(), len.data(), w_ih.data(), w_hh.data(),
				b_ih.data(), b_hh.data(), y_ref.data() + col, ldy, act_ref.data(), ex,
				ws.data());
	else
		rnn_tanh_forward_cpu(T, B, In, H, rev, x.data(), len.data(), w_ih.data(),
				     w_hh.data(), b_ih.data(), b_hh.data(), y_ref.data() + col, ldy,
				     act_ref.data(), ex, ws.data());
	auto dy = normal(&r, TB * ldy, 1.0);
	std::vector<float> dx(TB * In), dwi((size_t)N * In), dwh((size_t)N * H), dbi(N), dbh(N);
	if (cell == 1)
		lstm_backward_cpu(T, B, In, H, rev, x.data(), len.data(), w_ih.data(), w_hh.data(),
				  y_ref.data() + col, dy.data() + col, ldy, act_ref.data(), ex,
				  dx.data(), 0, dwi.data(), dwh.data(), dbi.data(), dbh.data(),
				  ws.data());
	else if (cell == 2)
		gru_backward_cpu(T, B, In, H, rev, x.data(), len.data(), w_ih.data(), w_hh.data(),
				 y_ref.data() + col, dy.data() + col, ldy, act_ref.data(), ex,
				 dx.data(), 0, dwi.data(), dwh.data(), dbi.data(), dbh.data(),
				 ws.data());
	else
		rnn_tanh_backward_cpu(T, B, In, H, rev, x.data(), len.data(), w_ih.data(),
				      w_hh.data(), y_ref.data() + col, dy.data() + col, ldy,
				      act_ref.data(), ex, dx.data(), 0, dwi.data(), dwh.data(),
				      dbi.data(), dbh.data(), ws.data());
	/* the CPU backward leaves its gate gradients at the start of ws */
	std::vector<float> dg_ref(ws.begin(), ws.begin() + TB * N);
	std::vector<float> dgh_ref(cell == 2 ? ws.begin() + TB * N : ws.begin(),
				   cell == 2 ? ws.begin() + 2 * TB * N : ws.begin() + TB * N);

	rec_plan fc[6], bc[6];
	int nf = rec_plan_candidates(cell, B, H, 0, variant, cluster, sms, 232448, 90, fc);
	int nb = rec_plan_candidates(cell, B, H, 1, variant, cluster, sms, 232448, 90, bc);
	const rec_plan &fp = fc[0], &bp = bc[0];
	if (nf < 1 || nb < 1) {
		printf("FAIL no plan for cell %d H %d\n", cell, H);
		fails++;
		return;
	}
	char tag[160];
	snprintf(tag, sizeof(tag), "%s H%d rev%d %s cs%d S%d/%d P%d/%d thr%d/%d", rnn_cell_name((enum rnn_cell)cell), H,
		 rev, fp.wmode == W_GLOBAL ? "global" : fp.wmode == W_SMEM ? "smem" : "cluster", fp.CS,
		 fp.S, bp.S, fp.P, bp.P, fp.threads, bp.threads);

	/* forward: act starts as the input projection, outputs as garbage */
	std::vector<float> act(TB * N), y(TB * ldy, 7.0f), extra(TB * H, 3.0f);
	for (size_t row = 0; row < TB; row++)
		for (int n = 0; n < N; n++) {
			float s = cell == 2 ? b_ih[n] : b_ih[n] + b_hh[n];
			for (int i = 0; i < In; i++)
				s += x[row * In + i] * w_ih[(size_t)n * In + i];
			act[row * N + n] = s;
		}
	for (size_t row = 0; row < TB; row++)
		for (int j = 0; j < H; j++)
			y[row * ldy + col + j] = 3.0f;
	rec_args a;
	memset(&a, 0, sizeof(a));
	a.T = T, a.B = B, a.H = H, a.reverse = rev, a.ldy = ldy, a.len = len.data();
	a.w_hh = w_hh.data(), a.b_hh = b_hh.data(), a.act = act.data();
	a.extra = cell == 0 ? nullptr : extra.data(), a.y = y.data() + col;
	a.CS = fp.CS, a.U = fp.U, a.P = fp.P, a.wstride = fp.wstride;
	emu_launch(kernel_of(cell, 0, fp.S, fp.wmode), fp, a);
	char what[220];
	snprintf(what, sizeof(what), "%s fwd y", tag);
	compare(what, y.data(), y_ref.data(), y.size(), 1e-5, 1e-4);
	snprintf(what, sizeof(what), "%s fwd act", tag);
	compare(what, act.data(), act_ref.data(), act.size(), 1e-5, 1e-4);
	if (cell) {
		snprintf(what, sizeof(what), "%s fwd extra", tag);
		compare(what, extra.data(), ex_ref.data(), extra.size(), 1e-5, 1e-4);
	}
	/* padding: exact zeros */
	size_t pad = 0;
	for (int t = 0; t < T; t++)
		for (int b = 0; b < B; b++)
			if (t >= len[b]) {
				size_t row = (size_t)t * B + b;
				for (int j = 0; j < H; j++)
					pad += y[row * ldy + col + j] != 0.0f ||
					       (cell && extra[row * H + j] != 0.0f);
				for (int n = 0; n < N; n++)
					pad += act[row * N + n] != 0.0f;
			}
	if (pad) {
		printf("FAIL %s fwd: %zu padding elements not zero\n", tag, pad);
		fails++;
	}

	/* backward from the CPU's forward */
	std::vector<float> dg(TB * N, 5.0f), dgh(TB * N, 5.0f);
	a.act = act_ref.data(), a.extra = cell == 0 ? nullptr : ex_ref.data();
	a.y = y_ref.data() + col, a.dy = dy.data() + col, a.dg = dg.data();
	a.dgh = cell == 2 ? dgh.data() : dg.data();
	a.CS = bp.CS, a.U = bp.U, a.P = bp.P, a.wstride = bp.wstride;
	emu_launch(kernel_of(cell, 1, bp.S, bp.wmode), bp, a);
	snprintf(what, sizeof(what), "%s bwd dg", tag);
	compare(what, dg.data(), dg_ref.data(), dg.size(), 1e-5, 1e-4);
	if (cell == 2) {
		snprintf(what, sizeof(what), "%s bwd dgh", tag);
		compare(what, dgh.data(), dgh_ref.data(), dgh.size(), 1e-5, 1e-4);
	}
}

int main(void)
{
	uint64_t seed = 1;
	for (int cell = 0; cell < 3; cell++)
		for (int rev = 0; rev < 2; rev++) {
			/* H 8: W in L2 and in one block; two sequences per block */
			check(cell, 8, rev, 1, 0, 132, seed++);
			check(cell, 8, rev, 2, 0, 2, seed++);
			/* H 16: clusters of 2 and 4 blocks, 1 and 4 sequences */
			check(cell, 16, rev, 3, 2, 132, seed++);
			check(cell, 16, rev, 3, 4, 4, seed++);
			/* H 32: several lanes per row, one block, 8 sequences */
			check(cell, 32, rev, 2, 0, 1, seed++);
			check(cell, 32, rev, 3, 4, 132, seed++);
			/* H 32: W in L2, two sequences per block */
			check(cell, 32, rev, 1, 0, 3, seed++);
		}
	/* more dot-product rows than threads (4 * 260 > 1024): the row loop */
	check(1, 260, 0, 1, 0, 132, seed++);
	printf("cell_emu: %d comparisons failed\n", fails);
	return fails ? 1 : 0;
}
