/* threads_cpu.c - how many threads the CPU kernels use (kernels_cpu.h).
 *
 * OpenBLAS runs single-threaded; the kernels split the rows of their
 * products and of the recurrence across threads of their own (cell_cpu.h).
 * OpenBLAS's pool threads spin (sched_yield) for a while after every
 * multi-threaded product, and on a 2-core machine they took the second
 * core away from the recurrence that followed.  CPU-only: the GPU has its
 * own parallelism, so there is no _cuda pair.
 */
#include <cblas.h>

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
