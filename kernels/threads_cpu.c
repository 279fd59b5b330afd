/* threads_cpu.c - how many threads the CPU kernels use, and the fork-join
 * that splits a range across them (cpu_parallel; kernels_cpu.h).
 *
 * OpenBLAS runs single-threaded; the kernels split the rows of their
 * products and of the recurrence across threads of their own (cell_cpu.h).
 * OpenBLAS's pool threads spin (sched_yield) for a while after every
 * multi-threaded product, and on a 2-core machine they took the second
 * core away from the recurrence that followed.  CPU-only: the GPU has its
 * own parallelism, so there is no _cuda pair.
 *
 * Also the floating-point mode of the model's calls (cpu_fp_enter), which
 * the fork-join hands to its threads.
 */
#include <cblas.h>
#include <pthread.h>
#if defined(__SSE__)
#include <xmmintrin.h>
#define FP_FLUSH 0x8040u /* MXCSR: FTZ (bit 15) and DAZ (bit 6) */
#endif

#include "kernels_cpu.h"

static int n_threads = 1;

void cpu_set_threads(int n)
{
	n_threads = n < 1 ? 1 : n;
	openblas_set_num_threads(1);
}

int cpu_threads(void)
{
	return n_threads;
}

unsigned cpu_fp_enter(void)
{
#ifdef FP_FLUSH
	unsigned old = _mm_getcsr();
	if ((old & FP_FLUSH) != FP_FLUSH)
		_mm_setcsr(old | FP_FLUSH);
	return old;
#else
	return 0;
#endif
}

void cpu_fp_leave(unsigned saved)
{
#ifdef FP_FLUSH
	if (_mm_getcsr() != saved)
		_mm_setcsr(saved);
#else
	(void)saved;
#endif
}

struct range_job {
	cpu_range_fn fn;
	void *ctx;
	size_t lo, hi;
	unsigned fp; /* the caller's floating-point mode */
};

static void *range_run(void *p)
{
	struct range_job *j = p;
#ifdef FP_FLUSH
	_mm_setcsr(j->fp);
#endif
	j->fn(j->ctx, j->lo, j->hi);
	return NULL;
}

void cpu_parallel(size_t n, int parts, cpu_range_fn fn, void *ctx)
{
	enum { MAX_PARTS = 16 };
	if (parts > MAX_PARTS)
		parts = MAX_PARTS;
	if (parts < 2) {
		fn(ctx, 0, n);
		return;
	}
	struct range_job jobs[MAX_PARTS];
	pthread_t tid[MAX_PARTS];
	int started[MAX_PARTS] = {0};
#ifdef FP_FLUSH
	unsigned fp = _mm_getcsr();
#else
	unsigned fp = 0;
#endif
	for (int i = 0; i < parts; i++)
		jobs[i] = (struct range_job){fn, ctx, n * i / parts, n * (i + 1) / parts, fp};
	for (int i = 1; i < parts; i++)
		started[i] = pthread_create(&tid[i], NULL, range_run, &jobs[i]) == 0;
	range_run(&jobs[0]);
	for (int i = 1; i < parts; i++) {
		if (started[i])
			pthread_join(tid[i], NULL);
		else
			range_run(&jobs[i]); /* no thread: do it here */
	}
}
