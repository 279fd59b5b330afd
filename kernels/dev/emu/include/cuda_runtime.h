/* cuda_runtime.h (host emulator shim) - the part of the CUDA runtime and of
 * the CUDA language that the kernels/ .cu files use, for g++ on the CPU: types,
 * runtime calls (emu_runtime.cc), the kernel built-ins (threadIdx,
 * __syncthreads, __shfl_down_sync, atomicAdd, rounding intrinsics, ...),
 * thread-block clusters (cooperative_groups), and the launch helpers that
 * tests/e2e/cuda_host_emu.sh's rewrite of `k<<<cfg>>>(args)` calls.
 * Shadows the real header on the include path of the emulator build only
 * (kernels/dev/emu/include first); never used by nvcc.  Not provided: any
 * API the project does not call, textures, graphs, multi-GPU.
 */
#ifndef RNNPIPE_EMU_CUDA_RUNTIME_H
#define RNNPIPE_EMU_CUDA_RUNTIME_H

#include <math.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <functional>
#include <memory>
#include <tuple>
#include <type_traits>
#include <utility>
#ifdef EMU_DEVICE_MATH
/* before the math macros below, so the library's own uses stay as they are */
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <vector>
#endif

/* ---- the CUDA language on the host ---- */

#define __global__
#define __device__
#define __host__
#define __forceinline__ inline
#define __launch_bounds__(...)
#define __align__(n) alignas(n)
/* Static __shared__ arrays: cu2cc.py rewrites `__shared__ T name[n];` to
 * per-block storage (emu_static_shared); anything else left marked
 * __shared__ would be one copy for all blocks. */
#define __shared__ static
/* cell_kernels.cuh: no <cooperative_groups.h>, clusters on, and the
 * dynamic shared memory comes from rec_smem_base() below */
#ifndef CELL_EMULATE
#define CELL_EMULATE 1
#endif

struct uint3 {
	unsigned x, y, z;
};
struct dim3 {
	unsigned x, y, z;
	constexpr dim3(unsigned vx = 1, unsigned vy = 1, unsigned vz = 1) : x(vx), y(vy), z(vz) {}
};
struct alignas(16) float4 {
	float x, y, z, w;
};
static inline float4 make_float4(float x, float y, float z, float w)
{
	return float4{x, y, z, w};
}

/* the running thread (set by the scheduler before it resumes a thread) */
extern uint3 threadIdx, blockIdx;
extern dim3 blockDim, gridDim;
enum { warpSize = 32 };

void emu_syncthreads(void);
void emu_trap(void) __attribute__((noreturn));
uint64_t emu_shfl_down(uint64_t bits, unsigned mask, int delta, int width);
void emu_check_device_access(const void *p, size_t bytes, const char *what);
void *emu_smem_base(void);
void *emu_static_shared_alloc(const void *tag, size_t bytes);
/* the current block's copy of the static __shared__ variable tagged tag,
 * NaN-filled when the block starts */
template <class A>
static inline A *emu_static_shared(const void *tag)
{
	return static_cast<A *>(emu_static_shared_alloc(tag, sizeof(A)));
}
void emu_launch_bounds(unsigned max_threads);
unsigned emu_cluster_rank(void);
void emu_cluster_sync(void);
void *emu_map_shared_rank(void *p, unsigned rank);

static inline void __syncthreads(void)
{
	emu_syncthreads();
}
static inline void __trap(void)
{
	emu_trap();
}

template <class T>
static inline T __shfl_down_sync(unsigned mask, T v, unsigned delta, int width = warpSize)
{
	static_assert(sizeof(T) <= 8 && std::is_trivially_copyable<T>::value, "shuffle of 8 bytes");
	uint64_t bits = 0;
	memcpy(&bits, &v, sizeof(T));
	bits = emu_shfl_down(bits, mask, (int)delta, width);
	memcpy(&v, &bits, sizeof(T));
	return v;
}

template <class T>
static inline T __ldg(const T *p)
{
	return *p;
}

/* The rounding intrinsics are IEEE single operations that are never fused
 * (on the GPU, __fmul_rn's product is not contracted into an FMA).  The
 * plain emulator is compiled with -ffp-contract=off; the device-math build
 * (EMU_DEVICE_MATH, below) contracts, so there an empty asm keeps each
 * result a separately rounded float. */
#ifdef EMU_DEVICE_MATH
static inline float emu_rounded(float r)
{
	__asm__("" : "+x"(r));
	return r;
}
#else
#define emu_rounded(r) (r)
#endif
static inline float __fadd_rn(float a, float b) { return emu_rounded(a + b); }
static inline float __fsub_rn(float a, float b) { return emu_rounded(a - b); }
static inline float __fmul_rn(float a, float b) { return emu_rounded(a * b); }
static inline float __fdiv_rn(float a, float b) { return emu_rounded(a / b); }
static inline float __fsqrt_rn(float a) { return emu_rounded(sqrtf(a)); }

#ifdef EMU_DEVICE_MATH
/* Device math (tests/e2e/cuda_host_emu.sh EMU_DEVICE_MATH=1): the kernels'
 * transcendental functions return a result off by as many units in the
 * last place as the CUDA Math API allows them (tanhf and expf 2, double
 * exp and log 1; docs/cuda.md), chosen from the argument's bits so a run
 * repeats.  The true value comes from the next wider type, rounded; the
 * nudge stays inside the function's range.  Function-like macros, so
 * headers that name these functions without calling them are untouched. */
static inline int emu_ulps(uint64_t bits, int max)
{
	bits ^= bits >> 33;
	bits *= 0xff51afd7ed558ccdull;
	bits ^= bits >> 33;
	return (int)(bits % (uint64_t)(2 * max + 1)) - max;
}
static inline float emu_nudgef(float y, float x, int max, float lo, float hi)
{
	uint32_t b;
	memcpy(&b, &x, sizeof(b));
	if (!isfinite(y))
		return y;
	for (int k = emu_ulps(b, max); k; k += k > 0 ? -1 : 1)
		y = nextafterf(y, k > 0 ? INFINITY : -INFINITY);
	return y < lo ? lo : y > hi ? hi : y;
}
static inline double emu_nudge(double y, double x, int max, double lo)
{
	uint64_t b;
	memcpy(&b, &x, sizeof(b));
	if (!isfinite(y))
		return y;
	for (int k = emu_ulps(b, max); k; k += k > 0 ? -1 : 1)
		y = nextafter(y, k > 0 ? INFINITY : -INFINITY);
	return y < lo ? lo : y;
}
static inline float emu_dev_tanhf(float x) { return emu_nudgef((float)tanh((double)x), x, 2, -1.0f, 1.0f); }
static inline float emu_dev_expf(float x) { return emu_nudgef((float)exp((double)x), x, 2, 0.0f, INFINITY); }
static inline double emu_dev_exp(double x) { return emu_nudge((double)expl((long double)x), x, 1, 0.0); }
static inline double emu_dev_log(double x) { return emu_nudge((double)logl((long double)x), x, 1, -INFINITY); }
#define tanhf(x) emu_dev_tanhf(x)
#define expf(x) emu_dev_expf(x)
#define exp(x) emu_dev_exp(x)
#define log(x) emu_dev_log(x)
#endif

static inline int max(int a, int b) { return a > b ? a : b; }
static inline int min(int a, int b) { return a < b ? a : b; }
static inline unsigned max(unsigned a, unsigned b) { return a > b ? a : b; }
static inline unsigned min(unsigned a, unsigned b) { return a < b ? a : b; }

/* One host thread runs every emulated CUDA thread (fibers), so a plain
 * read-modify-write is atomic.  The address must be device memory. */
static inline float atomicAdd(float *p, float v)
{
	emu_check_device_access(p, sizeof(*p), "atomicAdd");
	float old = *p;
	*p = old + v;
	return old;
}
static inline unsigned long long atomicAdd(unsigned long long *p, unsigned long long v)
{
	emu_check_device_access(p, sizeof(*p), "atomicAdd");
	unsigned long long old = *p;
	*p = old + v;
	return old;
}
static inline int atomicAdd(int *p, int v)
{
	emu_check_device_access(p, sizeof(*p), "atomicAdd");
	int old = *p;
	*p = old + v;
	return old;
}

/* cell_kernels.cuh under CELL_EMULATE: the block's dynamic shared memory */
static inline float *rec_smem_base(void)
{
	return static_cast<float *>(emu_smem_base());
}

/* Inserted by the rewrite as the first statement of a kernel declared
 * with __launch_bounds__(n): a launch with more threads fails on a GPU. */
#define EMU_LAUNCH_BOUNDS(n) emu_launch_bounds((unsigned)(n));

namespace cooperative_groups {
struct cluster_group {
	unsigned block_rank() const { return emu_cluster_rank(); }
	void sync() const { emu_cluster_sync(); }
	template <class T>
	T *map_shared_rank(T *p, unsigned r) const
	{
		return static_cast<T *>(emu_map_shared_rank(static_cast<void *>(p), r));
	}
};
static inline cluster_group this_cluster()
{
	return cluster_group();
}
} // namespace cooperative_groups

/* ---- runtime types ---- */

typedef struct CUstream_st *cudaStream_t; /* as kernels_cuda.h declares it */
typedef struct CUevent_st *cudaEvent_t;

enum cudaError {
	cudaSuccess = 0,
	cudaErrorInvalidValue = 1,
	cudaErrorMemoryAllocation = 2,
	cudaErrorInvalidConfiguration = 9,
	cudaErrorInvalidDevicePointer = 17,
	cudaErrorInvalidMemcpyDirection = 21,
	cudaErrorInvalidDeviceFunction = 98,
	cudaErrorNoDevice = 100,
	cudaErrorInvalidResourceHandle = 400,
	cudaErrorNotReady = 600,
	cudaErrorLaunchOutOfResources = 701,
};
typedef enum cudaError cudaError_t;

enum cudaMemcpyKind {
	cudaMemcpyHostToHost = 0,
	cudaMemcpyHostToDevice = 1,
	cudaMemcpyDeviceToHost = 2,
	cudaMemcpyDeviceToDevice = 3,
	cudaMemcpyDefault = 4,
};

enum cudaDeviceAttr {
	cudaDevAttrMaxSharedMemoryPerBlockOptin = 97,
};
enum cudaFuncAttribute {
	cudaFuncAttributeMaxDynamicSharedMemorySize = 8,
};

#define cudaHostAllocDefault 0x00u
#define cudaStreamNonBlocking 0x01u
#define cudaEventDefault 0x00u
#define cudaEventDisableTiming 0x02u

struct cudaDeviceProp {
	char name[256];
	size_t totalGlobalMem;
	size_t sharedMemPerBlock;
	size_t sharedMemPerMultiprocessor;
	size_t sharedMemPerBlockOptin;
	int regsPerBlock;
	int warpSize;
	int maxThreadsPerBlock;
	int maxThreadsDim[3];
	int maxGridSize[3];
	int major, minor;
	int multiProcessorCount;
	int maxThreadsPerMultiProcessor;
};

struct cudaFuncAttributes {
	size_t sharedSizeBytes;
	size_t constSizeBytes;
	size_t localSizeBytes;
	int maxThreadsPerBlock;
	int numRegs;
	int ptxVersion;
	int binaryVersion;
	int cacheModeCA;
	int maxDynamicSharedSizeBytes;
	int preferredShmemCarveout;
	int clusterDimMustBeSet;
	int requiredClusterWidth, requiredClusterHeight, requiredClusterDepth;
	int clusterSchedulingPolicyPreference;
	int nonPortableClusterSizeAllowed;
};

enum cudaLaunchAttributeID {
	cudaLaunchAttributeClusterDimension = 4,
};
union cudaLaunchAttributeValue {
	char pad[64];
	struct {
		unsigned x, y, z;
	} clusterDim;
};
struct cudaLaunchAttribute {
	cudaLaunchAttributeID id;
	cudaLaunchAttributeValue val;
};
struct cudaLaunchConfig_t {
	dim3 gridDim;
	dim3 blockDim;
	size_t dynamicSmemBytes;
	cudaStream_t stream;
	cudaLaunchAttribute *attrs;
	unsigned numAttrs;
};

/* ---- runtime calls (emu_runtime.cc) ---- */

cudaError_t cudaGetDeviceCount(int *n);
cudaError_t cudaGetDevice(int *dev);
cudaError_t cudaGetDeviceProperties(cudaDeviceProp *p, int dev);
cudaError_t cudaDeviceGetAttribute(int *v, cudaDeviceAttr a, int dev);
cudaError_t cudaDeviceSynchronize(void);
cudaError_t cudaGetLastError(void);
cudaError_t cudaPeekAtLastError(void);
const char *cudaGetErrorString(cudaError_t e);

cudaError_t cudaMalloc(void **p, size_t bytes);
template <class T>
static inline cudaError_t cudaMalloc(T **p, size_t bytes)
{
	return cudaMalloc(reinterpret_cast<void **>(p), bytes);
}
cudaError_t cudaFree(void *p);
cudaError_t cudaHostAlloc(void **p, size_t bytes, unsigned flags);
cudaError_t cudaFreeHost(void *p);
cudaError_t cudaMemset(void *p, int byte, size_t bytes);
cudaError_t cudaMemsetAsync(void *p, int byte, size_t bytes, cudaStream_t s = 0);
cudaError_t cudaMemcpy(void *dst, const void *src, size_t bytes, cudaMemcpyKind kind);
cudaError_t cudaMemcpyAsync(void *dst, const void *src, size_t bytes, cudaMemcpyKind kind,
			    cudaStream_t s = 0);

cudaError_t cudaStreamCreateWithFlags(cudaStream_t *s, unsigned flags);
cudaError_t cudaStreamDestroy(cudaStream_t s);
cudaError_t cudaStreamSynchronize(cudaStream_t s);
cudaError_t cudaStreamWaitEvent(cudaStream_t s, cudaEvent_t e, unsigned flags = 0);
cudaError_t cudaEventCreate(cudaEvent_t *e);
cudaError_t cudaEventCreateWithFlags(cudaEvent_t *e, unsigned flags);
cudaError_t cudaEventDestroy(cudaEvent_t e);
cudaError_t cudaEventRecord(cudaEvent_t e, cudaStream_t s = 0);
cudaError_t cudaEventSynchronize(cudaEvent_t e);
cudaError_t cudaEventElapsedTime(float *ms, cudaEvent_t start, cudaEvent_t stop);

cudaError_t cudaFuncGetAttributes(cudaFuncAttributes *a, const void *k);
cudaError_t cudaFuncSetAttribute(const void *k, cudaFuncAttribute attr, int value);
cudaError_t cudaOccupancyMaxActiveClusters(int *n, const void *k, const cudaLaunchConfig_t *cfg);
template <class T>
static inline cudaError_t cudaFuncGetAttributes(cudaFuncAttributes *a, T *k)
{
	return cudaFuncGetAttributes(a, reinterpret_cast<const void *>(k));
}
template <class T>
static inline cudaError_t cudaFuncSetAttribute(T *k, cudaFuncAttribute attr, int value)
{
	return cudaFuncSetAttribute(reinterpret_cast<const void *>(k), attr, value);
}
template <class T>
static inline cudaError_t cudaOccupancyMaxActiveClusters(int *n, T *k,
							 const cudaLaunchConfig_t *cfg)
{
	return cudaOccupancyMaxActiveClusters(n, reinterpret_cast<const void *>(k), cfg);
}

/* ---- launching ---- */

struct emu_cfg {
	dim3 grid, block;
	size_t smem;
	cudaStream_t stream;
	unsigned cluster;
	emu_cfg(dim3 g, dim3 b, size_t sm = 0, cudaStream_t st = 0)
		: grid(g), block(b), smem(sm), stream(st), cluster(1)
	{
	}
};

/* Checks a launch's configuration when it is made: the launch error (also
 * kept for cudaGetLastError), or cudaSuccess. */
cudaError_t emu_launch_check(const char *name, const emu_cfg &cfg, const void *key);
/* Runs every thread of the grid to completion (when its stream gets
 * there): blocks (clusters) one after another, the threads of a block
 * (cluster) as fibers that switch at barriers and shuffles. */
void emu_exec(const char *name, const emu_cfg &cfg, void (*body)(void *), void *ctx);
/* Queues fn on stream s (emu_runtime.cc says when queues run). */
void emu_enqueue(cudaStream_t s, std::function<void()> fn);
/* A pointer argument of a kernel: NULL, device or pinned host memory. */
void emu_check_kernel_pointer(const char *name, int index, const void *p);

template <class T>
static inline void emu_check_arg(const char *name, int index, const T &v)
{
	if constexpr (std::is_pointer<T>::value)
		emu_check_kernel_pointer(name, index, (const void *)v);
}

template <class... P>
struct emu_launcher {
	const char *name;
	emu_cfg cfg;
	void (*k)(P...);
	/* the call converts the arguments to the kernel's parameters exactly
	 * once, as a launch does */
	cudaError_t operator()(P... p) const
	{
		struct state_t {
			void (*k)(P...);
			std::tuple<std::decay_t<P>...> args;
		};
		auto st = std::make_shared<state_t>(state_t{k, std::tuple<std::decay_t<P>...>(p...)});
		int i = 0;
		std::apply([&](const auto &...a) { (emu_check_arg(name, i++, a), ...); }, st->args);
		cudaError_t e = emu_launch_check(name, cfg, reinterpret_cast<const void *>(k));
		if (e != cudaSuccess)
			return e;
		const char *n = name;
		const emu_cfg c = cfg;
		emu_enqueue(c.stream, [n, c, st] {
			emu_exec(
				n, c,
				[](void *x) {
					state_t *s = static_cast<state_t *>(x);
					auto copy = s->args; /* by value, per thread */
					std::apply(s->k, copy);
				},
				st.get());
		});
		return cudaSuccess;
	}
};

/* `k<<<g, b, smem, s>>>(args)` is rewritten to
 * `emu_kernel("k", emu_cfg(g, b, smem, s), k)(args)`. */
template <class... P>
static inline emu_launcher<P...> emu_kernel(const char *name, const emu_cfg &cfg,
					    void (*k)(P...))
{
	return emu_launcher<P...>{name, cfg, k};
}

/* The typed launch of the real runtime (cuda_runtime.h, CUDA >= 12):
 * configuration, cluster attribute, arguments converted to the kernel's. */
template <typename... ExpTypes, typename... ActTypes>
static inline cudaError_t cudaLaunchKernelEx(const cudaLaunchConfig_t *config,
					     void (*kernel)(ExpTypes...), ActTypes &&...args)
{
	emu_cfg c(config->gridDim, config->blockDim, config->dynamicSmemBytes, config->stream);
	for (unsigned i = 0; i < config->numAttrs; i++)
		if (config->attrs[i].id == cudaLaunchAttributeClusterDimension)
			c.cluster = config->attrs[i].val.clusterDim.x *
				    config->attrs[i].val.clusterDim.y *
				    config->attrs[i].val.clusterDim.z;
	return emu_launcher<ExpTypes...>{"cudaLaunchKernelEx", c, kernel}(
		std::forward<ActTypes>(args)...);
}

#endif
