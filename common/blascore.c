/* blascore.c - OpenBLAS's kernels on a CPU it does not know (blascore.h). */
#include <cblas.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "blascore.h"

const char *blascore_name(void)
{
	return openblas_get_corename();
}

/* OpenBLAS's x86 cores without AVX2 (and its name for none it knows) */
static int pre_avx2(const char *core)
{
	static const char *const old[] = {
		"Katmai", "Coppermine", "Northwood", "Prescott", "Banias", "Atom", "Core2",
		"Penryn", "Dunnington", "Nehalem", "Sandybridge", "Athlon", "Opteron",
		"Opteron(SSE3)", "Barcelona", "Nano", "Bobcat", "Bulldozer", "Piledriver",
		"Steamroller", "unknown",
	};
	for (size_t i = 0; i < sizeof(old) / sizeof(*old); i++)
		if (!strcasecmp(core, old[i]))
			return 1;
	return 0;
}

const char *blascore_better(void)
{
#if defined(__x86_64__) || defined(__i386__)
	const char *core = blascore_name();
	if (getenv("OPENBLAS_CORETYPE") || !core || !pre_avx2(core))
		return NULL;
	__builtin_cpu_init();
	if (!__builtin_cpu_supports("avx2") || !__builtin_cpu_supports("fma"))
		return NULL;
	if (__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512cd") &&
	    __builtin_cpu_supports("avx512bw") && __builtin_cpu_supports("avx512dq") &&
	    __builtin_cpu_supports("avx512vl"))
		return "SkylakeX";
	return "Haswell";
#else
	return NULL;
#endif
}

void blascore_exec_better(char **argv)
{
	const char *core = blascore_better();
	const char *pre = getenv("LD_PRELOAD");
	if (!core || (pre && strstr(pre, "vgpreload")))
		return;
	if (setenv("OPENBLAS_CORETYPE", core, 1))
		return;
	fflush(NULL);
	execv("/proc/self/exe", argv);
	unsetenv("OPENBLAS_CORETYPE");
}
