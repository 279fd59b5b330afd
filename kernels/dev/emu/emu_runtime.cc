/* emu_runtime.cc - the host emulator's CUDA runtime, cuBLAS and kernel
 * scheduler behind the shim headers in kernels/dev/emu/include/: lets
 * every kernels/ .cu file (rewritten by cu2cc.py) and the GPU tests run on the CPU,
 * pretending to be an H200 (sm_90, 132 SMs, 227 KiB opt-in shared memory).
 *
 * - Device memory: each cudaMalloc is its own mapping, filled with 0xff
 *   bytes (NaN: reads of unwritten memory show), its end against a
 *   PROT_NONE guard page (overruns fault; the handler names the kernel and
 *   thread).  Every copy, memset, cuBLAS/CUB operand and kernel pointer
 *   argument is checked against the allocation table; a wrong direction,
 *   a range past an allocation or host memory handed to the device aborts
 *   with the call.  cudaFree unmaps (use after free faults).
 * - Streams and events: queues that run only when the host or another
 *   stream must wait for them (see "streams" below), so a missing
 *   synchronisation shows every time; EMU_STREAMS=sync runs in call
 *   order.  Hazards that need two queues running at once are not found.
 * - Kernels: blocks one after another (a cluster's blocks together); the
 *   threads of a block are fibers on one host thread that switch only at
 *   __syncthreads, shuffles and cluster barriers (a deadlock is reported).
 * - cuBLAS: OpenBLAS with cuBLAS's column-major semantics and checks.
 * Reads and writes no files.  Not emulated: speed, the memory model,
 * occupancy beyond the simple limits checked here, real library numerics.
 */
#include <cuda_runtime.h>
#include <cublas_v2.h>

#include <cblas.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <set>
#include <vector>

/* ---- device description ---- */

enum : size_t {
	EMU_SMEM_OPTIN = 227 * 1024,     /* per block, opt-in */
	EMU_SMEM_PER_SM = 228 * 1024,    /* per multiprocessor */
	EMU_SMEM_DEFAULT = 48 * 1024,    /* dynamic, without the attribute */
	EMU_SMEM_RESERVED = 1024,        /* per block, by the system */
};
static const int EMU_SMS = 132, EMU_MAX_CLUSTER = 8;

static void emu_fail(const char *fmt, ...) __attribute__((noreturn, format(printf, 1, 2)));
static void emu_fail(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	fflush(stdout);
	fprintf(stderr, "cuda emulator: ");
	vfprintf(stderr, fmt, ap);
	fprintf(stderr, "\n");
	va_end(ap);
	abort();
}

static void drain_all(void);

/* ---- memory ---- */

struct emu_alloc {
	size_t size;      /* as asked */
	char *map;        /* the mapping */
	size_t map_bytes; /* with the guard page */
};
static std::map<uintptr_t, emu_alloc> dev_mem;  /* base -> allocation */
static std::map<uintptr_t, size_t> pinned_mem;  /* base -> size */
static size_t page_size;

/* The allocation of table t holding [p, p + bytes), or NULL. */
template <class M>
static typename M::const_iterator find_in(const M &t, const void *p)
{
	uintptr_t a = (uintptr_t)p;
	auto it = t.upper_bound(a);
	if (it == t.begin())
		return t.end();
	--it;
	return it;
}

static size_t size_of(const emu_alloc &a) { return a.size; }
static size_t size_of(size_t s) { return s; }

/* 1 when [p, p + bytes) lies inside one allocation of t (one past the end
 * allowed for bytes == 0) */
template <class M>
static int inside(const M &t, const void *p, size_t bytes)
{
	auto it = find_in(t, p);
	if (it == t.end())
		return 0;
	uintptr_t a = (uintptr_t)p, base = it->first;
	size_t size = size_of(it->second);
	return a >= base && a - base <= size && bytes <= size - (a - base);
}

static int is_device(const void *p)
{
	return inside(dev_mem, p, 0);
}
static int is_pinned(const void *p)
{
	return inside(pinned_mem, p, 0);
}

static const char *describe(const void *p, char *buf, size_t n)
{
	auto it = find_in(dev_mem, p);
	if (it != dev_mem.end() && (uintptr_t)p - it->first <= it->second.size + page_size)
		snprintf(buf, n, "%p (byte %zu of a %zu-byte device allocation)", p,
			 (size_t)((uintptr_t)p - it->first), it->second.size);
	else if (is_pinned(p))
		snprintf(buf, n, "%p (pinned host memory)", p);
	else
		snprintf(buf, n, "%p (not device memory)", p);
	return buf;
}

void emu_check_device_range(const void *p, size_t bytes, const char *call, const char *what)
{
	if (inside(dev_mem, p, bytes))
		return;
	char b[160];
	emu_fail("%s: %s [%s, +%zu bytes) is not inside one device allocation", call, what,
		 describe(p, b, sizeof(b)), bytes);
}

cudaError_t cudaMalloc(void **p, size_t bytes)
{
	if (!p)
		return cudaErrorInvalidValue;
	if (!page_size)
		page_size = (size_t)sysconf(_SC_PAGESIZE);
	size_t body = (bytes + 255) / 256 * 256;
	if (!body)
		body = 256;
	size_t pages = (body + page_size - 1) / page_size * page_size;
	size_t total = pages + page_size;
	void *m = mmap(NULL, total, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE,
		       -1, 0);
	if (m == MAP_FAILED) {
		*p = NULL;
		return cudaErrorMemoryAllocation;
	}
	char *map = (char *)m;
	mprotect(map + pages, page_size, PROT_NONE);
	char *base = map + pages - body; /* 256-aligned, its end on the guard */
	memset(base, 0xff, body);
	dev_mem[(uintptr_t)base] = emu_alloc{bytes, map, total};
	*p = base;
	return cudaSuccess;
}

cudaError_t cudaFree(void *p)
{
	if (!p)
		return cudaSuccess;
	drain_all(); /* cudaFree waits for the device */
	auto it = dev_mem.find((uintptr_t)p);
	if (it == dev_mem.end()) {
		char b[160];
		emu_fail("cudaFree(%s): not the start of a device allocation",
			 describe(p, b, sizeof(b)));
	}
	munmap(it->second.map, it->second.map_bytes);
	dev_mem.erase(it);
	return cudaSuccess;
}

cudaError_t cudaHostAlloc(void **p, size_t bytes, unsigned flags)
{
	(void)flags;
	if (!p)
		return cudaErrorInvalidValue;
	void *m = NULL;
	if (posix_memalign(&m, 4096, bytes ? bytes : 1)) {
		*p = NULL;
		return cudaErrorMemoryAllocation;
	}
	memset(m, 0xff, bytes);
	pinned_mem[(uintptr_t)m] = bytes;
	*p = m;
	return cudaSuccess;
}

cudaError_t cudaFreeHost(void *p)
{
	if (!p)
		return cudaSuccess;
	drain_all();
	auto it = pinned_mem.find((uintptr_t)p);
	if (it == pinned_mem.end())
		emu_fail("cudaFreeHost(%p): not memory from cudaHostAlloc", p);
	pinned_mem.erase(it);
	free(p);
	return cudaSuccess;
}

/* ---- streams: queues run as late as the program lets them ----
 *
 * Every operation on a stream is queued, and a queue runs only when the
 * host must wait for it (cudaStreamSynchronize, cudaEventSynchronize,
 * cudaDeviceSynchronize, a synchronous copy on the legacy stream, cudaFree)
 * or another queue must (an operation after cudaStreamWaitEvent runs the
 * recording stream up to the event first).  So results the host reads
 * without a synchronisation are stale, and a stream that does not wait for
 * another runs before it: the missing-synchronisation bugs a GPU shows
 * only sometimes show every time.  The legacy stream (0) and blocking
 * streams wait for each other as CUDA says; cudaStreamNonBlocking streams
 * do not.  EMU_STREAMS=sync runs every operation at once (call order).
 * Not found: hazards that need two queues to run at the same time. */

struct emu_op {
	unsigned long id;
	std::function<void()> fn;
};
struct CUstream_st {
	unsigned flags;
	int destroyed;
	std::deque<emu_op> q;
	unsigned long next_id, done_id;
};
struct CUevent_st {
	unsigned flags;
	CUstream_st *stream; /* of the last record, NULL before */
	unsigned long marker; /* its op */
	int done;             /* the last record has run */
	double ms;
};

static CUstream_st legacy_stream = {0, 0, {}, 0, 0};
/* created streams, never freed (queued ops refer to them); the set itself
 * is never destroyed either, so they stay reachable for LeakSanitizer */
static std::set<cudaStream_t> &streams = *new std::set<cudaStream_t>;
static std::set<cudaEvent_t> events;
static int sync_mode = -1;

static CUstream_st *S(cudaStream_t s)
{
	return s ? s : &legacy_stream;
}

static void check_stream(cudaStream_t s, const char *call)
{
	if (s && (!streams.count(s) || s->destroyed))
		emu_fail("%s: stream %p was not created or was destroyed", call, (void *)s);
}

/* Runs the queue of st until op id has run. */
static void drain_to(CUstream_st *st, unsigned long id)
{
	while (st->done_id < id && !st->q.empty()) {
		emu_op op = std::move(st->q.front());
		st->q.pop_front();
		op.fn();
		st->done_id = op.id;
	}
}

static void drain(CUstream_st *st)
{
	drain_to(st, st->next_id);
}

static void drain_all(void)
{
	for (int again = 1; again;) {
		again = 0;
		drain(&legacy_stream);
		for (cudaStream_t s : streams)
			if (!s->q.empty()) {
				drain(s);
				again = 1;
			}
	}
}

/* Queues fn on s; returns its op id. */
static unsigned long enqueue_on(CUstream_st *st, std::function<void()> fn)
{
	if (sync_mode < 0) {
		const char *e = getenv("EMU_STREAMS");
		sync_mode = e && !strcmp(e, "sync");
	}
	/* the legacy stream and the blocking streams wait for each other */
	std::vector<std::pair<CUstream_st *, unsigned long>> waits;
	if (st == &legacy_stream) {
		for (cudaStream_t o : streams)
			if (!(o->flags & cudaStreamNonBlocking) && o->next_id > o->done_id)
				waits.emplace_back(o, o->next_id);
	} else if (!(st->flags & cudaStreamNonBlocking) && legacy_stream.next_id > legacy_stream.done_id) {
		waits.emplace_back(&legacy_stream, legacy_stream.next_id);
	}
	const unsigned long id = ++st->next_id;
	if (waits.empty())
		st->q.push_back(emu_op{id, std::move(fn)});
	else
		st->q.push_back(emu_op{id, [waits, f = std::move(fn)] {
					       for (auto &w : waits)
						       drain_to(w.first, w.second);
					       f();
				       }});
	if (sync_mode)
		drain(st);
	return id;
}

void emu_enqueue(cudaStream_t s, std::function<void()> fn)
{
	enqueue_on(S(s), std::move(fn));
}

static cudaError_t memset_checked(void *p, int byte, size_t bytes, cudaStream_t s, const char *call)
{
	emu_check_device_range(p, bytes, call, "destination");
	enqueue_on(S(s), [p, byte, bytes] { memset(p, byte, bytes); });
	return cudaSuccess;
}

/* cudaMemset is asynchronous, on the legacy stream */
cudaError_t cudaMemset(void *p, int byte, size_t bytes)
{
	return memset_checked(p, byte, bytes, 0, "cudaMemset");
}

cudaError_t cudaMemsetAsync(void *p, int byte, size_t bytes, cudaStream_t s)
{
	check_stream(s, "cudaMemsetAsync");
	return memset_checked(p, byte, bytes, s, "cudaMemsetAsync");
}

static const char *kind_name(cudaMemcpyKind k)
{
	switch (k) {
	case cudaMemcpyHostToHost: return "cudaMemcpyHostToHost";
	case cudaMemcpyHostToDevice: return "cudaMemcpyHostToDevice";
	case cudaMemcpyDeviceToHost: return "cudaMemcpyDeviceToHost";
	case cudaMemcpyDeviceToDevice: return "cudaMemcpyDeviceToDevice";
	default: return "cudaMemcpyDefault";
	}
}

/* Checks a copy; returns its kind (cudaMemcpyDefault resolved). */
static cudaMemcpyKind memcpy_check(void *dst, const void *src, size_t bytes, cudaMemcpyKind kind,
				   const char *call)
{
	char c[96], b[160];
	snprintf(c, sizeof(c), "%s(%s, %zu bytes)", call, kind_name(kind), bytes);
	if (kind == cudaMemcpyDefault)
		kind = (cudaMemcpyKind)((is_device(src) ? 2 : 0) + (is_device(dst) ? 1 : 0));
	const int dst_dev = kind == cudaMemcpyHostToDevice || kind == cudaMemcpyDeviceToDevice;
	const int src_dev = kind == cudaMemcpyDeviceToHost || kind == cudaMemcpyDeviceToDevice;
	if (dst_dev)
		emu_check_device_range(dst, bytes, c, "destination");
	else if (is_device(dst))
		emu_fail("%s: the destination %s is device memory", c, describe(dst, b, sizeof(b)));
	if (src_dev)
		emu_check_device_range(src, bytes, c, "source");
	else if (is_device(src))
		emu_fail("%s: the source %s is device memory", c, describe(src, b, sizeof(b)));
	return kind;
}

/* A host buffer CUDA reads or writes when the copy runs (pinned), rather
 * than staging it when the call is made (pageable). */
static int host_async(const void *p)
{
	return is_pinned(p);
}

cudaError_t cudaMemcpy(void *dst, const void *src, size_t bytes, cudaMemcpyKind kind)
{
	if (!bytes)
		return cudaSuccess;
	kind = memcpy_check(dst, src, bytes, kind, "cudaMemcpy");
	/* ordered on the legacy stream (not after cudaStreamNonBlocking work) */
	drain(&legacy_stream);
	if (kind == cudaMemcpyHostToDevice && !host_async(src)) {
		/* pageable: staged now, the DMA may land after the call returns */
		std::shared_ptr<char> copy((char *)malloc(bytes), free);
		memcpy(copy.get(), src, bytes);
		enqueue_on(&legacy_stream, [dst, copy, bytes] { memcpy(dst, copy.get(), bytes); });
		return cudaSuccess;
	}
	if (kind == cudaMemcpyDeviceToDevice) {
		enqueue_on(&legacy_stream, [dst, src, bytes] { memmove(dst, src, bytes); });
		return cudaSuccess;
	}
	memmove(dst, src, bytes); /* synchronous for the host */
	return cudaSuccess;
}

cudaError_t cudaMemcpyAsync(void *dst, const void *src, size_t bytes, cudaMemcpyKind kind,
			    cudaStream_t s)
{
	check_stream(s, "cudaMemcpyAsync");
	if (!bytes)
		return cudaSuccess;
	kind = memcpy_check(dst, src, bytes, kind, "cudaMemcpyAsync");
	const void *host = kind == cudaMemcpyHostToDevice ? src
			   : kind == cudaMemcpyDeviceToHost ? (const void *)dst
							    : NULL;
	if (host && !host_async(host)) {
		/* pageable memory: the driver waits for the stream and copies */
		drain(S(s));
		memmove(dst, src, bytes);
		return cudaSuccess;
	}
	enqueue_on(S(s), [dst, src, bytes] { memmove(dst, src, bytes); });
	return cudaSuccess;
}

/* ---- device, errors ---- */

static cudaError_t last_error = cudaSuccess;

cudaError_t cudaGetDeviceCount(int *n)
{
	*n = 1;
	return cudaSuccess;
}

cudaError_t cudaGetDevice(int *dev)
{
	*dev = 0;
	return cudaSuccess;
}

cudaError_t cudaGetDeviceProperties(cudaDeviceProp *p, int dev)
{
	if (dev != 0)
		return cudaErrorInvalidValue;
	memset(p, 0, sizeof(*p));
	snprintf(p->name, sizeof(p->name), "NVIDIA H200 (host emulator)");
	p->totalGlobalMem = (size_t)141 << 30;
	p->sharedMemPerBlock = EMU_SMEM_DEFAULT;
	p->sharedMemPerMultiprocessor = EMU_SMEM_PER_SM;
	p->sharedMemPerBlockOptin = EMU_SMEM_OPTIN;
	p->regsPerBlock = 65536;
	p->warpSize = 32;
	p->maxThreadsPerBlock = 1024;
	p->maxThreadsDim[0] = p->maxThreadsDim[1] = 1024;
	p->maxThreadsDim[2] = 64;
	p->maxGridSize[0] = 0x7fffffff;
	p->maxGridSize[1] = p->maxGridSize[2] = 65535;
	p->major = 9;
	p->minor = 0;
	p->multiProcessorCount = EMU_SMS;
	p->maxThreadsPerMultiProcessor = 2048;
	return cudaSuccess;
}

cudaError_t cudaDeviceGetAttribute(int *v, cudaDeviceAttr a, int dev)
{
	if (dev != 0 || a != cudaDevAttrMaxSharedMemoryPerBlockOptin)
		return cudaErrorInvalidValue;
	*v = (int)EMU_SMEM_OPTIN;
	return cudaSuccess;
}

cudaError_t cudaGetLastError(void)
{
	cudaError_t e = last_error;
	last_error = cudaSuccess;
	return e;
}

cudaError_t cudaPeekAtLastError(void)
{
	return last_error;
}

const char *cudaGetErrorString(cudaError_t e)
{
	switch (e) {
	case cudaSuccess: return "no error";
	case cudaErrorInvalidValue: return "invalid argument";
	case cudaErrorMemoryAllocation: return "out of memory";
	case cudaErrorInvalidConfiguration: return "invalid configuration argument";
	case cudaErrorInvalidDevicePointer: return "invalid device pointer";
	case cudaErrorInvalidMemcpyDirection: return "invalid copy direction for memcpy";
	case cudaErrorInvalidDeviceFunction: return "invalid device function";
	case cudaErrorNoDevice: return "no CUDA-capable device is detected";
	case cudaErrorInvalidResourceHandle: return "invalid resource handle";
	case cudaErrorNotReady: return "device not ready";
	case cudaErrorLaunchOutOfResources: return "too many resources requested for launch";
	default: return "unknown error";
	}
}

/* ---- streams and events (the queues are above) ---- */

static double now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

cudaError_t cudaStreamCreateWithFlags(cudaStream_t *s, unsigned flags)
{
	*s = new CUstream_st{flags, 0, {}, 0, 0};
	streams.insert(*s);
	return cudaSuccess;
}

cudaError_t cudaStreamDestroy(cudaStream_t s)
{
	if (!s)
		return cudaErrorInvalidResourceHandle;
	check_stream(s, "cudaStreamDestroy");
	drain(s); /* queued work still completes */
	s->destroyed = 1;
	return cudaSuccess;
}

cudaError_t cudaStreamSynchronize(cudaStream_t s)
{
	check_stream(s, "cudaStreamSynchronize");
	drain(S(s));
	return cudaSuccess;
}

cudaError_t cudaDeviceSynchronize(void)
{
	drain_all();
	return cudaSuccess;
}

static void check_event(cudaEvent_t e, const char *call)
{
	if (!e || !events.count(e))
		emu_fail("%s: event %p was not created or was destroyed", call, (void *)e);
}

cudaError_t cudaStreamWaitEvent(cudaStream_t s, cudaEvent_t e, unsigned flags)
{
	(void)flags;
	check_stream(s, "cudaStreamWaitEvent");
	check_event(e, "cudaStreamWaitEvent");
	if (e->stream) { /* the record as it is now; a later one does not count */
		CUstream_st *from = e->stream;
		const unsigned long marker = e->marker;
		enqueue_on(S(s), [from, marker] { drain_to(from, marker); });
	}
	return cudaSuccess;
}

cudaError_t cudaEventCreateWithFlags(cudaEvent_t *e, unsigned flags)
{
	*e = new CUevent_st{flags, NULL, 0, 0, 0.0};
	events.insert(*e);
	return cudaSuccess;
}

cudaError_t cudaEventCreate(cudaEvent_t *e)
{
	return cudaEventCreateWithFlags(e, cudaEventDefault);
}

cudaError_t cudaEventDestroy(cudaEvent_t e)
{
	check_event(e, "cudaEventDestroy");
	if (e->stream)
		drain_to(e->stream, e->marker); /* its record still completes */
	events.erase(e);
	delete e;
	return cudaSuccess;
}

cudaError_t cudaEventRecord(cudaEvent_t e, cudaStream_t s)
{
	check_event(e, "cudaEventRecord");
	check_stream(s, "cudaEventRecord");
	CUstream_st *st = S(s);
	e->done = 0;
	e->stream = st;
	/* the op id is known before it is queued: the next one */
	e->marker = st->next_id + 1;
	const unsigned long marker = e->marker;
	enqueue_on(st, [e, marker] {
		if (events.count(e) && e->marker == marker) {
			e->done = 1;
			e->ms = now_ms();
		}
	});
	return cudaSuccess;
}

cudaError_t cudaEventSynchronize(cudaEvent_t e)
{
	check_event(e, "cudaEventSynchronize");
	if (e->stream)
		drain_to(e->stream, e->marker);
	return cudaSuccess;
}

cudaError_t cudaEventElapsedTime(float *ms, cudaEvent_t start, cudaEvent_t stop)
{
	check_event(start, "cudaEventElapsedTime");
	check_event(stop, "cudaEventElapsedTime");
	if ((start->flags | stop->flags) & cudaEventDisableTiming)
		return cudaErrorInvalidResourceHandle;
	if (!start->stream || !stop->stream)
		return cudaErrorInvalidResourceHandle;
	if (!start->done || !stop->done)
		return cudaErrorNotReady;
	*ms = (float)(stop->ms - start->ms);
	return cudaSuccess;
}

/* ---- kernel attributes ---- */

static std::map<const void *, int> max_dyn_smem; /* cudaFuncSetAttribute */

cudaError_t cudaFuncGetAttributes(cudaFuncAttributes *a, const void *k)
{
	if (!k)
		return cudaErrorInvalidDeviceFunction;
	memset(a, 0, sizeof(*a));
	a->maxThreadsPerBlock = 1024;
	a->ptxVersion = 90;
	a->binaryVersion = 90;
	auto it = max_dyn_smem.find(k);
	a->maxDynamicSharedSizeBytes = it == max_dyn_smem.end() ? (int)EMU_SMEM_DEFAULT : it->second;
	return cudaSuccess;
}

cudaError_t cudaFuncSetAttribute(const void *k, cudaFuncAttribute attr, int value)
{
	if (!k)
		return cudaErrorInvalidDeviceFunction;
	if (attr != cudaFuncAttributeMaxDynamicSharedMemorySize || value < 0 ||
	    (size_t)value > EMU_SMEM_OPTIN)
		return cudaErrorInvalidValue;
	max_dyn_smem[k] = value;
	return cudaSuccess;
}

static size_t dyn_smem_limit(const void *k)
{
	auto it = max_dyn_smem.find(k);
	return it == max_dyn_smem.end() ? EMU_SMEM_DEFAULT : (size_t)it->second;
}

static unsigned cluster_of(const cudaLaunchConfig_t *cfg)
{
	unsigned cs = 1;
	for (unsigned i = 0; i < cfg->numAttrs; i++)
		if (cfg->attrs[i].id == cudaLaunchAttributeClusterDimension)
			cs = cfg->attrs[i].val.clusterDim.x * cfg->attrs[i].val.clusterDim.y *
			     cfg->attrs[i].val.clusterDim.z;
	return cs;
}

/* Blocks of this configuration one SM holds (shared memory and threads). */
static int blocks_per_sm(size_t smem, unsigned threads)
{
	if (smem > EMU_SMEM_OPTIN || threads > 1024 || !threads)
		return 0;
	int by_smem = (int)(EMU_SMEM_PER_SM / (smem + EMU_SMEM_RESERVED));
	int by_thr = (int)(2048 / threads);
	int b = by_smem < by_thr ? by_smem : by_thr;
	return b > 32 ? 32 : b;
}

cudaError_t cudaOccupancyMaxActiveClusters(int *n, const void *k, const cudaLaunchConfig_t *cfg)
{
	const unsigned cs = cluster_of(cfg);
	*n = 0;
	if (!k)
		return cudaErrorInvalidDeviceFunction;
	if (cs < 1 || cs > (unsigned)EMU_MAX_CLUSTER || cfg->dynamicSmemBytes > dyn_smem_limit(k))
		return cudaErrorInvalidValue;
	const unsigned threads = cfg->blockDim.x * cfg->blockDim.y * cfg->blockDim.z;
	/* clusters live inside a GPC: about 16 usable SMs in each of 8 */
	const int per_gpc = 16 * blocks_per_sm(cfg->dynamicSmemBytes, threads) / (int)cs;
	*n = 8 * per_gpc;
	return cudaSuccess;
}

/* ---- cuBLAS (OpenBLAS, column-major, cuBLAS's checks) ---- */

struct cublasContext {
	cudaStream_t stream;
};
static std::set<cublasHandle_t> handles;

cublasStatus_t cublasCreate(cublasHandle_t *h)
{
	*h = new cublasContext{NULL};
	handles.insert(*h);
	return CUBLAS_STATUS_SUCCESS;
}

cublasStatus_t cublasDestroy(cublasHandle_t h)
{
	if (!handles.count(h))
		return CUBLAS_STATUS_NOT_INITIALIZED;
	handles.erase(h);
	delete h;
	return CUBLAS_STATUS_SUCCESS;
}

cublasStatus_t cublasSetStream(cublasHandle_t h, cudaStream_t s)
{
	if (!handles.count(h))
		return CUBLAS_STATUS_NOT_INITIALIZED;
	check_stream(s, "cublasSetStream");
	h->stream = s;
	return CUBLAS_STATUS_SUCCESS;
}

cublasStatus_t cublasSetMathMode(cublasHandle_t h, cublasMath_t m)
{
	(void)m;
	return handles.count(h) ? CUBLAS_STATUS_SUCCESS : CUBLAS_STATUS_NOT_INITIALIZED;
}

cublasStatus_t cublasSetAtomicsMode(cublasHandle_t h, cublasAtomicsMode_t m)
{
	(void)m;
	return handles.count(h) ? CUBLAS_STATUS_SUCCESS : CUBLAS_STATUS_NOT_INITIALIZED;
}

cublasStatus_t cublasSetPointerMode(cublasHandle_t h, cublasPointerMode_t m)
{
	if (!handles.count(h))
		return CUBLAS_STATUS_NOT_INITIALIZED;
	if (m != CUBLAS_POINTER_MODE_HOST)
		emu_fail("cublasSetPointerMode: only CUBLAS_POINTER_MODE_HOST is emulated");
	return CUBLAS_STATUS_SUCCESS;
}

/* A column-major (rows, cols) operand with leading dimension ld. */
static void check_matrix(const char *call, const char *what, const float *p, int rows, int cols,
			 int ld)
{
	if (rows <= 0 || cols <= 0)
		return;
	size_t n = (size_t)ld * (size_t)(cols - 1) + (size_t)rows;
	char c[200];
	snprintf(c, sizeof(c), "%s (%s: %d x %d, ld %d)", call, what, rows, cols, ld);
	emu_check_device_range(p, n * sizeof(float), c, what);
}

static int bad_op(cublasOperation_t o)
{
	return o != CUBLAS_OP_N && o != CUBLAS_OP_T && o != CUBLAS_OP_C;
}

static int imax1(int a)
{
	return a > 1 ? a : 1;
}

cublasStatus_t cublasSgemm(cublasHandle_t h, cublasOperation_t ta, cublasOperation_t tb, int m,
			   int n, int k, const float *alpha, const float *A, int lda,
			   const float *B, int ldb, const float *beta, float *C, int ldc)
{
	if (!handles.count(h))
		return CUBLAS_STATUS_NOT_INITIALIZED;
	const int na = ta == CUBLAS_OP_N, nb = tb == CUBLAS_OP_N;
	if (m < 0 || n < 0 || k < 0 || bad_op(ta) || bad_op(tb) || lda < imax1(na ? m : k) ||
	    ldb < imax1(nb ? k : n) || ldc < imax1(m) || !alpha || !beta)
		return CUBLAS_STATUS_INVALID_VALUE;
	if (!m || !n)
		return CUBLAS_STATUS_SUCCESS;
	char call[160];
	snprintf(call, sizeof(call), "cublasSgemm(%s, %s, m %d, n %d, k %d)", na ? "N" : "T",
		 nb ? "N" : "T", m, n, k);
	if (k > 0 && *alpha != 0.0f) {
		check_matrix(call, "A", A, na ? m : k, na ? k : m, lda);
		check_matrix(call, "B", B, nb ? k : n, nb ? n : k, ldb);
	}
	check_matrix(call, "C", C, m, n, ldc);
	const float al = *alpha, be = *beta;
	enqueue_on(S(h->stream), [=] {
		if (be == 0.0f) /* cuBLAS does not read C then (NaN stays out) */
			for (int j = 0; j < n; j++)
				memset(C + (size_t)j * ldc, 0, sizeof(float) * (size_t)m);
#ifdef EMU_DEVICE_MATH
		/* another summation order than the CPU's OpenBLAS call: the
		 * inner dimension in two halves, the second added to the first */
		const int k1 = k / 2;
		if (k1 > 0) {
			cblas_sgemm(CblasColMajor, na ? CblasNoTrans : CblasTrans,
				    nb ? CblasNoTrans : CblasTrans, m, n, k1, al, A, lda, B, ldb, be, C,
				    ldc);
			cblas_sgemm(CblasColMajor, na ? CblasNoTrans : CblasTrans,
				    nb ? CblasNoTrans : CblasTrans, m, n, k - k1, al,
				    A + (na ? (size_t)k1 * lda : (size_t)k1), lda,
				    B + (nb ? (size_t)k1 : (size_t)k1 * ldb), ldb, 1.0f, C, ldc);
			return;
		}
#endif
		cblas_sgemm(CblasColMajor, na ? CblasNoTrans : CblasTrans,
			    nb ? CblasNoTrans : CblasTrans, m, n, k, al, A, lda, B, ldb, be, C, ldc);
	});
	return CUBLAS_STATUS_SUCCESS;
}

cublasStatus_t cublasSgemv(cublasHandle_t h, cublasOperation_t trans, int m, int n,
			   const float *alpha, const float *A, int lda, const float *x, int incx,
			   const float *beta, float *y, int incy)
{
	if (!handles.count(h))
		return CUBLAS_STATUS_NOT_INITIALIZED;
	if (m < 0 || n < 0 || bad_op(trans) || lda < imax1(m) || incx == 0 || incy == 0 || !alpha ||
	    !beta)
		return CUBLAS_STATUS_INVALID_VALUE;
	if (!m || !n)
		return CUBLAS_STATUS_SUCCESS;
	const int nt = trans == CUBLAS_OP_N, lx = nt ? n : m, ly = nt ? m : n;
	char call[160];
	snprintf(call, sizeof(call), "cublasSgemv(%s, m %d, n %d)", nt ? "N" : "T", m, n);
	check_matrix(call, "A", A, m, n, lda);
	if (incx < 0 || incy < 0)
		emu_fail("%s: negative increments are not emulated", call);
	emu_check_device_range(x, sizeof(float) * ((size_t)(lx - 1) * incx + 1), call, "x");
	emu_check_device_range(y, sizeof(float) * ((size_t)(ly - 1) * incy + 1), call, "y");
	const float al = *alpha, be = *beta;
	enqueue_on(S(h->stream), [=] {
		if (be == 0.0f)
			for (int i = 0; i < ly; i++)
				y[(size_t)i * incy] = 0.0f;
#ifdef EMU_DEVICE_MATH
		/* the sum over x in two halves, as in cublasSgemm above */
		const int h = lx / 2;
		if (h > 0) {
			cblas_sgemv(CblasColMajor, nt ? CblasNoTrans : CblasTrans, nt ? m : h,
				    nt ? h : n, al, A, lda, x, incx, be, y, incy);
			cblas_sgemv(CblasColMajor, nt ? CblasNoTrans : CblasTrans, nt ? m : lx - h,
				    nt ? lx - h : n, al, A + (nt ? (size_t)h * lda : (size_t)h), lda,
				    x + (size_t)h * incx, incx, 1.0f, y, incy);
			return;
		}
#endif
		cblas_sgemv(CblasColMajor, nt ? CblasNoTrans : CblasTrans, m, n, al, A, lda, x,
			    incx, be, y, incy);
	});
	return CUBLAS_STATUS_SUCCESS;
}

/* CUB's scratch: made up, but growing with the items as the real one does,
 * so the code's "sized for more, used for fewer" path is exercised. */
size_t emu_cub_temp_bytes(size_t items, size_t key_bytes, size_t value_bytes)
{
	return 4096 + items * (key_bytes + value_bytes) / 4;
}

/* ---- fibers ---- */

/* emu_swap(save, to): saves the callee-saved registers on this stack,
 * stores the stack pointer in *save, and resumes the context whose stack
 * pointer is to.  The FPU control words are shared (nothing here changes
 * rounding modes).  Why not ucontext's swapcontext: it saves and restores
 * the signal mask with a system call on every switch, and the emulated
 * tests switch fibers at every barrier of every thread (millions of
 * times); the test scripts SKIP on other architectures. */
extern "C" void emu_swap(void **save, void *to);
#if defined(__x86_64__)
__asm__(".text\n"
	".globl emu_swap\n"
	".type emu_swap,@function\n"
	"emu_swap:\n"
	"	pushq %rbp\n"
	"	pushq %rbx\n"
	"	pushq %r12\n"
	"	pushq %r13\n"
	"	pushq %r14\n"
	"	pushq %r15\n"
	"	movq %rsp, (%rdi)\n"
	"	movq %rsi, %rsp\n"
	"	popq %r15\n"
	"	popq %r14\n"
	"	popq %r13\n"
	"	popq %r12\n"
	"	popq %rbx\n"
	"	popq %rbp\n"
	"	ret\n"
	".size emu_swap, .-emu_swap\n");
#else
#error "the CUDA host emulator's fibers are written for x86-64"
#endif

enum { FIBER_STACK = 64 * 1024 };

struct emu_barrier {
	int expected, arrived;
	unsigned gen;
};

struct emu_warp {
	emu_barrier bar;
	int lanes; /* threads the warp started with */
	uint64_t val[32];
};

struct emu_block {
	unsigned index, rank;
	char *smem;
	size_t smem_bytes;
	emu_barrier bar;
	std::vector<emu_warp> warps;
	std::vector<std::pair<const void *, char *>> statics; /* static __shared__ */
	size_t static_bytes;
};

struct emu_fiber {
	void *sp;
	char *stack;
	unsigned tid;
	emu_block *block;
	int done;
};

static struct {
	const char *name;
	void (*body)(void *);
	void *ctx;
	std::vector<emu_fiber> fibers;
	std::vector<emu_block> blocks;
	emu_barrier cluster_bar;
	emu_fiber *cur;
	void *sched_sp;
	unsigned long progress;
	unsigned long launches;
	int active;
} run;

uint3 threadIdx, blockIdx;
dim3 blockDim, gridDim;

static std::vector<char *> stacks; /* pool, FIBER_STACK each, guard below */

static char *stack_at(size_t i)
{
	while (stacks.size() <= i) {
		size_t total = FIBER_STACK + page_size;
		void *m = mmap(NULL, total, PROT_READ | PROT_WRITE,
			       MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
		if (m == MAP_FAILED)
			emu_fail("cannot map a fiber stack");
		mprotect(m, page_size, PROT_NONE);
		stacks.push_back((char *)m + page_size);
	}
	return stacks[i];
}

static void fiber_entry(void) __attribute__((noreturn));
static void fiber_entry(void)
{
	emu_fiber *f = run.cur;
	run.body(run.ctx);
	f->done = 1;
	emu_swap(&f->sp, run.sched_sp);
	__builtin_unreachable();
}

static void fiber_init(emu_fiber *f)
{
	uintptr_t top = ((uintptr_t)f->stack + FIBER_STACK) & ~(uintptr_t)15;
	uint64_t *s = (uint64_t *)top;
	*--s = 0;                        /* fiber_entry's return address: none */
	*--s = (uint64_t)&fiber_entry;   /* where emu_swap returns to */
	for (int i = 0; i < 6; i++)
		*--s = 0;                /* rbp rbx r12 r13 r14 r15 */
	f->sp = s;
}

static void yield(void)
{
	emu_fiber *f = run.cur;
	emu_swap(&f->sp, run.sched_sp);
}

/* Arrive at b and wait until every expected thread has arrived. */
static void barrier_wait(emu_barrier *b)
{
	run.progress++;
	if (++b->arrived >= b->expected) {
		b->arrived = 0;
		b->gen++;
		return;
	}
	const unsigned gen = b->gen;
	while (b->gen == gen)
		yield();
	run.progress++;
}

/* A finished thread no longer counts at the barriers it would meet. */
static void barrier_leave(emu_barrier *b)
{
	b->expected--;
	if (b->arrived > 0 && b->arrived >= b->expected) {
		b->arrived = 0;
		b->gen++;
	}
}

static void check_in_kernel(const char *what)
{
	if (!run.active)
		emu_fail("%s outside a kernel", what);
}

void emu_syncthreads(void)
{
	check_in_kernel("__syncthreads");
	barrier_wait(&run.cur->block->bar);
}

void emu_trap(void)
{
	emu_fail("__trap() in kernel %s, block %u, thread %u", run.active ? run.name : "?",
		 blockIdx.x, threadIdx.x);
}

uint64_t emu_shfl_down(uint64_t bits, unsigned mask, int delta, int width)
{
	check_in_kernel("__shfl_down_sync");
	if (mask != 0xffffffffu)
		emu_fail("kernel %s: __shfl_down_sync with a partial mask (%#x) is not emulated",
			 run.name, mask);
	if (width < 1 || width > 32 || (width & (width - 1)))
		emu_fail("kernel %s: __shfl_down_sync width %d is not a power of two <= 32",
			 run.name, width);
	emu_fiber *f = run.cur;
	emu_warp &w = f->block->warps[f->tid / 32];
	if (w.lanes < 32 || w.bar.expected < w.lanes)
		emu_fail("kernel %s, block %u, thread %u: __shfl_down_sync with a full mask in a "
			 "warp of which only %d lanes %s (undefined on the GPU)",
			 run.name, blockIdx.x, threadIdx.x, w.bar.expected,
			 w.lanes < 32 ? "exist" : "are still running");
	const int lane = (int)(f->tid % 32), seg = lane / width * width, src = lane + delta;
	w.val[lane] = bits;
	barrier_wait(&w.bar);
	uint64_t r = src < seg + width ? w.val[src] : bits;
	barrier_wait(&w.bar);
	return r;
}

void emu_check_device_access(const void *p, size_t bytes, const char *what)
{
	if (inside(dev_mem, p, bytes))
		return;
	char b[160];
	emu_fail("kernel %s, block %u, thread %u: %s at %s, not device memory",
		 run.active ? run.name : "?", blockIdx.x, threadIdx.x, what,
		 describe(p, b, sizeof(b)));
}

void *emu_static_shared_alloc(const void *tag, size_t bytes)
{
	check_in_kernel("static __shared__ memory");
	emu_block *b = run.cur->block;
	for (auto &s : b->statics)
		if (s.first == tag)
			return s.second;
	b->static_bytes += bytes;
	if (b->static_bytes > EMU_SMEM_DEFAULT)
		emu_fail("kernel %s: %zu bytes of static __shared__ memory, over the 48 KiB limit",
			 run.name, b->static_bytes);
	char *p = (char *)malloc(bytes);
	memset(p, 0xff, bytes); /* NaN: unwritten reads show */
	b->statics.emplace_back(tag, p);
	return p;
}

void *emu_smem_base(void)
{
	check_in_kernel("dynamic shared memory");
	return run.cur->block->smem;
}

void emu_launch_bounds(unsigned max_threads)
{
	if (blockDim.x * blockDim.y * blockDim.z > max_threads)
		emu_fail("kernel %s launched with %u threads per block, over its "
			 "__launch_bounds__(%u): the GPU refuses this launch",
			 run.name, blockDim.x * blockDim.y * blockDim.z, max_threads);
}

unsigned emu_cluster_rank(void)
{
	check_in_kernel("cluster block_rank");
	return run.cur->block->rank;
}

void emu_cluster_sync(void)
{
	check_in_kernel("cluster sync");
	barrier_wait(&run.cluster_bar);
}

void *emu_map_shared_rank(void *p, unsigned rank)
{
	check_in_kernel("map_shared_rank");
	emu_block *b = run.cur->block;
	size_t off = (size_t)((char *)p - b->smem);
	if ((char *)p < b->smem || off >= b->smem_bytes)
		emu_fail("kernel %s: map_shared_rank of %p, outside the block's %zu bytes of "
			 "dynamic shared memory",
			 run.name, p, b->smem_bytes);
	if (rank >= run.blocks.size())
		emu_fail("kernel %s: map_shared_rank to rank %u of a cluster of %zu", run.name, rank,
			 run.blocks.size());
	return run.blocks[rank].smem + off;
}

static void on_fault(int sig, siginfo_t *si, void *uc)
{
	(void)uc;
	char msg[512];
	int n;
	if (run.active)
		n = snprintf(msg, sizeof(msg),
			     "cuda emulator: signal %d at address %p in kernel %s, block %u, "
			     "thread %u (a device access out of bounds, or a fiber stack "
			     "overflow)\n",
			     sig, si->si_addr, run.name, blockIdx.x, threadIdx.x);
	else
		n = snprintf(msg, sizeof(msg),
			     "cuda emulator: signal %d at address %p on the host (outside "
			     "kernels)\n",
			     sig, si->si_addr);
	if (n > 0 && write(2, msg, (size_t)n) < 0)
		_exit(134);
	signal(sig, SIG_DFL);
	raise(sig);
}

static void install_fault_handler(void)
{
	static int done;
	if (done)
		return;
	done = 1;
	static char altstack[64 * 1024];
	stack_t ss;
	memset(&ss, 0, sizeof(ss));
	ss.ss_sp = altstack;
	ss.ss_size = sizeof(altstack);
	sigaltstack(&ss, NULL);
	struct sigaction sa;
	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = on_fault;
	sa.sa_flags = SA_SIGINFO | SA_ONSTACK;
	sigaction(SIGSEGV, &sa, NULL);
	sigaction(SIGBUS, &sa, NULL);
}

void emu_check_kernel_pointer(const char *name, int index, const void *p)
{
	if (!p || is_device(p) || is_pinned(p))
		return;
	char b[160];
	emu_fail("kernel %s: argument %d is %s: the device cannot read host memory", name, index,
		 describe(p, b, sizeof(b)));
}

static cudaError_t launch_error(cudaError_t e, const char *name, const char *why)
{
	fprintf(stderr, "cuda emulator: launch of %s refused: %s\n", name, why);
	last_error = e;
	return e;
}

/* Runs one group of blocks (a cluster, or a single block) to completion. */
static void run_group(unsigned first_block, unsigned nblocks, unsigned nthr, size_t smem)
{
	run.blocks.assign(nblocks, emu_block());
	for (unsigned r = 0; r < nblocks; r++) {
		emu_block &b = run.blocks[r];
		b.index = first_block + r;
		b.rank = r;
		b.smem_bytes = smem;
		b.smem = smem ? (char *)malloc(smem) : NULL;
		if (smem)
			memset(b.smem, 0xff, smem); /* NaN: unwritten reads show */
		b.bar = emu_barrier{(int)nthr, 0, 0};
		b.warps.resize((nthr + 31) / 32);
		for (unsigned w = 0; w < b.warps.size(); w++) {
			unsigned lanes = nthr - w * 32 < 32 ? nthr - w * 32 : 32;
			b.warps[w].bar = emu_barrier{(int)lanes, 0, 0};
			b.warps[w].lanes = (int)lanes;
		}
	}
	run.cluster_bar = emu_barrier{(int)(nblocks * nthr), 0, 0};
	const size_t nf = (size_t)nblocks * nthr;
	run.fibers.resize(nf);
	for (size_t i = 0; i < nf; i++) {
		emu_fiber &f = run.fibers[i];
		f.stack = stack_at(i);
		f.tid = (unsigned)(i % nthr);
		f.block = &run.blocks[i / nthr];
		f.done = 0;
		fiber_init(&f);
	}
	size_t live = nf;
	/* Threads run in increasing order in one round and decreasing in the
	 * next (and the first direction alternates between launches), so a
	 * missing barrier shows whichever side of it the reader is on. */
	unsigned long round = run.launches;
	while (live) {
		const unsigned long before = run.progress;
		const int down = (int)(round++ & 1);
		size_t finished = 0;
		for (size_t n = 0; n < nf; n++) {
			emu_fiber &f = run.fibers[down ? nf - 1 - n : n];
			if (f.done)
				continue;
			run.cur = &f;
			threadIdx = uint3{f.tid, 0, 0};
			blockIdx = uint3{f.block->index, 0, 0};
			emu_swap(&run.sched_sp, f.sp);
			if (f.done) {
				finished++;
				live--;
				barrier_leave(&f.block->bar);
				barrier_leave(&f.block->warps[f.tid / 32].bar);
				barrier_leave(&run.cluster_bar);
			}
		}
		if (live && !finished && run.progress == before)
			emu_fail("kernel %s: deadlock in block %u: %zu threads wait at barriers "
				 "that the others never reach",
				 run.name, first_block, live);
	}
	for (auto &b : run.blocks) {
		free(b.smem);
		for (auto &st : b.statics)
			free(st.second);
	}
	run.cur = NULL;
}

cudaError_t emu_launch_check(const char *name, const emu_cfg &cfg, const void *key)
{
	if (run.active)
		emu_fail("launch of %s from inside kernel %s (dynamic parallelism) is not emulated",
			 name, run.name);
	check_stream(cfg.stream, name);
	const unsigned nthr = cfg.block.x * cfg.block.y * cfg.block.z;
	if (cfg.block.y != 1 || cfg.block.z != 1 || cfg.grid.y != 1 || cfg.grid.z != 1)
		emu_fail("launch of %s: only 1-D grids and blocks are emulated", name);
	if (!nthr || nthr > 1024)
		return launch_error(cudaErrorInvalidConfiguration, name, "threads per block not in 1..1024");
	if (!cfg.grid.x || cfg.grid.x > 0x7fffffffu)
		return launch_error(cudaErrorInvalidConfiguration, name, "grid size");
	if (cfg.smem > dyn_smem_limit(key))
		return launch_error(cudaErrorInvalidValue, name,
				    "dynamic shared memory over the kernel's limit (48 KiB unless "
				    "raised by cudaFuncSetAttribute)");
	const unsigned cs = cfg.cluster;
	if (cs < 1 || cs > (unsigned)EMU_MAX_CLUSTER || cfg.grid.x % cs)
		return launch_error(cudaErrorInvalidValue, name,
				    "cluster size not in 1..8 or not dividing the grid");
	if (cs > 1 && !blocks_per_sm(cfg.smem, nthr))
		return launch_error(cudaErrorInvalidValue, name, "a cluster block does not fit an SM");
	return cudaSuccess;
}

void emu_exec(const char *name, const emu_cfg &cfg, void (*body)(void *), void *ctx)
{
	const unsigned nthr = cfg.block.x, cs = cfg.cluster;
	install_fault_handler();
	if (!page_size)
		page_size = (size_t)sysconf(_SC_PAGESIZE);
	run.name = name;
	run.body = body;
	run.ctx = ctx;
	run.active = 1;
	run.launches++;
	blockDim = cfg.block;
	gridDim = cfg.grid;
#ifdef EMU_DEVICE_MATH
	/* the blocks of every other launch last to first: atomics from
	 * different blocks add up in another order, as on the GPU */
	if (run.launches & 1) {
		for (unsigned b = cfg.grid.x; b >= cs; b -= cs)
			run_group(b - cs, cs, nthr, cfg.smem);
		run.active = 0;
		return;
	}
#endif
	for (unsigned b = 0; b < cfg.grid.x; b += cs)
		run_group(b, cs, nthr, cfg.smem);
	run.active = 0;
}
