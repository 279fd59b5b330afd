/* blascore.h - OpenBLAS's kernels on a CPU it does not know.
 *
 * OpenBLAS (DYNAMIC_ARCH, as Debian builds it) picks its kernels by CPU
 * model when it loads.  One older than the CPU falls back to a generic
 * core: 0.3.21 (Debian 12) ran its Prescott (SSE3) kernels on an Intel
 * Xeon of family 6, model 207, which has AVX-512, and train was 2.6x
 * slower for it.  OPENBLAS_CORETYPE names the kernels to use instead, but
 * OpenBLAS reads it before main, so a program that does the products runs
 * itself again with it set (blascore_exec_better, its first call).
 * Setting OPENBLAS_CORETYPE yourself keeps your choice.
 */
#ifndef RNNPIPE_BLASCORE_H
#define RNNPIPE_BLASCORE_H

/* The kernels OpenBLAS runs ("SkylakeX", "Haswell", "Prescott", ...). */
const char *blascore_name(void);

/* "SkylakeX" (AVX-512 F, CD, BW, DQ, VL) or "Haswell" (AVX2 and FMA) when
 * OpenBLAS runs the kernels of a core without AVX2 on a CPU that has them
 * and OPENBLAS_CORETYPE is not set; otherwise NULL. */
const char *blascore_better(void);

/* When blascore_better() names kernels, runs the program again
 * (/proc/self/exe, the same argv) with OPENBLAS_CORETYPE set to them; not
 * under valgrind, which would not follow.  Returns when there is nothing
 * to do, or when the program could not be run again (OpenBLAS's choice
 * stands). */
void blascore_exec_better(char **argv);

#endif
