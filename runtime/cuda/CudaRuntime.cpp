//===- CudaRuntime.cpp - the mgpu* entry points over the CUDA driver API --===//
//
// Host code lowered by ffn-lower-to-nvvm (gpu-to-llvm) calls a small set of
// `mgpu*` functions for modules, launches, streams, events and memory, and
// ffn-gpu-device-memory adds `ffn_cuda_constant_<type>` for the weights.
// Debian ships no libmlir_cuda_runtime, so this file implements them.
//
// The driver (libcuda.so.1) is opened with dlopen on first use rather than
// linked: the same executable then starts on machines without a GPU or
// driver (--help works) and fails with a message naming the missing driver
// or the failing call, e.g. `cuInit failed: CUDA_ERROR_NO_DEVICE`, and exit
// code 1. The mgpu* ABI has no error returns, so every failure ends the
// process that way. Modules are loaded lazily at their first launch for the
// same reason: the generated code registers them from a global constructor.
//
//===----------------------------------------------------------------------===//

#include "CudaRuntime.h"

#include <cuda.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <deque>
#include <dlfcn.h>
#include <mutex>
#include <vector>
#include <set>
#include <unordered_map>

namespace {

#define FFN_STRINGIFY_EXPANDED(x) FFN_STRINGIFY(x)
#define FFN_STRINGIFY(x) #x

/// The driver entry points this runtime uses, resolved from libcuda.so.1.
struct Driver {
#define FFN_CUDA_FN(name) decltype(&::name) name = nullptr;
#include "CudaFunctions.def"
};

[[noreturn]] void die(const char *what, const char *detail) {
  std::fprintf(stderr, "ffn-cuda: %s%s%s\n", what, detail ? ": " : "",
               detail ? detail : "");
  std::fflush(stderr);
  std::exit(1);
}

const Driver &driver() {
  static Driver d;
  static std::once_flag once;
  std::call_once(once, [] {
    const char *path = std::getenv("FFN_CUDA_DRIVER");
    void *lib = dlopen(path && *path ? path : "libcuda.so.1",
                       RTLD_NOW | RTLD_LOCAL);
    if (!lib)
      die("cannot load the CUDA driver (no NVIDIA driver on this machine?)",
          dlerror());
#define FFN_CUDA_FN(name)                                                      \
  d.name = reinterpret_cast<decltype(&::name)>(dlsym(lib, FFN_STRINGIFY_EXPANDED(name)));             \
  if (!d.name)                                                                 \
    die("the CUDA driver lacks " #name, nullptr);
#include "CudaFunctions.def"
  });
  return d;
}

/// Ends the process with the failing call's name and the driver's error
/// name when `result` is an error.
void check(CUresult result, const char *call) {
  if (result == CUDA_SUCCESS)
    return;
  const char *name = nullptr;
  char code[48];
  if (driver().cuGetErrorName(result, &name) != CUDA_SUCCESS || !name) {
    std::snprintf(code, sizeof(code), "CUDA error %d", static_cast<int>(result));
    name = code;
  }
  char what[128];
  std::snprintf(what, sizeof(what), "%s failed", call);
  die(what, name);
}

#define CHECK(call, ...) check(driver().call(__VA_ARGS__), #call)

/// Initialises the driver and makes the primary context of the device
/// (FFN_CUDA_DEVICE, default 0) current on the calling thread.
void ensureContext() {
  static CUcontext context = nullptr;
  static std::once_flag once;
  std::call_once(once, [] {
    CHECK(cuInit, 0);
    int count = 0;
    CHECK(cuDeviceGetCount, &count);
    if (count == 0)
      die("no CUDA device is visible", nullptr);
    int ordinal = 0;
    if (const char *env = std::getenv("FFN_CUDA_DEVICE"))
      ordinal = std::atoi(env);
    if (ordinal < 0 || ordinal >= count)
      die("FFN_CUDA_DEVICE is out of range", nullptr);
    CUdevice device;
    CHECK(cuDeviceGet, &device, ordinal);
    CHECK(cuDevicePrimaryCtxRetain, &context, device);
    CHECK(cuCtxSetCurrent, context);
    // Temporaries come from the device's stream-ordered pool
    // (cuMemAllocAsync); keep what the pool holds across synchronisations
    // so that the next run reuses it instead of going back to the driver.
    CUmemoryPool pool = nullptr;
    CHECK(cuDeviceGetDefaultMemPool, &pool, device);
    cuuint64_t keepAll = ~cuuint64_t(0);
    CHECK(cuMemPoolSetAttribute, pool, CU_MEMPOOL_ATTR_RELEASE_THRESHOLD,
          &keepAll);
  });
  CHECK(cuCtxSetCurrent, context);
}

/// A module registered by generated code, loaded at its first use.
struct LazyModule {
  const void *data = nullptr;
  bool jit = false;
  int optLevel = 0;
  CUmodule module = nullptr;
  std::once_flag once;
};

std::mutex modulesMutex;
std::deque<LazyModule> &modules() {
  static std::deque<LazyModule> list;
  return list;
}

LazyModule *registerModule(const void *data, bool jit, int optLevel) {
  std::lock_guard<std::mutex> lock(modulesMutex);
  LazyModule &m = modules().emplace_back();
  m.data = data;
  m.jit = jit;
  m.optLevel = optLevel;
  return &m;
}

CUmodule loadedModule(LazyModule *m) {
  ensureContext();
  std::call_once(m->once, [m] {
    if (!m->jit) {
      CHECK(cuModuleLoadData, &m->module, m->data);
      return;
    }
    char log[8192] = {0};
    CUjit_option options[] = {CU_JIT_ERROR_LOG_BUFFER,
                              CU_JIT_ERROR_LOG_BUFFER_SIZE_BYTES,
                              CU_JIT_OPTIMIZATION_LEVEL};
    void *values[] = {log, reinterpret_cast<void *>(sizeof(log)),
                      reinterpret_cast<void *>(
                          static_cast<intptr_t>(m->optLevel))};
    CUresult result = driver().cuModuleLoadDataEx(&m->module, m->data, 3,
                                                  options, values);
    if (result != CUDA_SUCCESS && log[0])
      std::fprintf(stderr, "ffn-cuda: PTX JIT log:\n%s\n", log);
    check(result, "cuModuleLoadDataEx");
  });
  return m->module;
}

/// Device copies of constant buffers (weights), by host address.
std::mutex constantsMutex;
std::unordered_map<const void *, CUdeviceptr> &constants() {
  static std::unordered_map<const void *, CUdeviceptr> map;
  return map;
}

/// A rank-1 memref descriptor as MLIR's C interface passes it.
struct MemRef1D {
  void *allocated;
  void *aligned;
  int64_t offset;
  int64_t size;
  int64_t stride;
};

void deviceConstant(MemRef1D *result, const MemRef1D *source,
                    int64_t elementBytes) {
  const char *host = static_cast<const char *>(source->aligned) +
                     source->offset * elementBytes;
  size_t bytes = static_cast<size_t>(source->size * elementBytes);
  CUdeviceptr device = 0;
  {
    std::lock_guard<std::mutex> lock(constantsMutex);
    auto it = constants().find(host);
    if (it != constants().end()) {
      device = it->second;
    } else {
      ensureContext();
      CHECK(cuMemAlloc, &device, bytes ? bytes : 1);
      if (bytes)
        CHECK(cuMemcpyHtoD, device, host, bytes);
      constants()[host] = device;
    }
  }
  *result = *source;
  result->allocated = result->aligned = reinterpret_cast<void *>(device);
  result->offset = 0;
}

// Streams are reused: every run of a model creates one and destroys it at
// the end, and creating a stream costs more than a small kernel.
std::mutex streamsMutex;
std::vector<CUstream> &freeStreams() {
  static std::vector<CUstream> list;
  return list;
}

// Managed buffers (host-shared gpu.alloc) are freed synchronously; the others
// come from the stream-ordered pool.
std::mutex managedMutex;
std::set<void *> &managedBuffers() {
  static std::set<void *> set;
  return set;
}

} // namespace

[[noreturn]] void ffn_cuda::fail(const char *what, const char *detail) {
  die(what, detail);
}

void ffn_cuda::makeContextCurrent() { ensureContext(); }

extern "C" {

void *mgpuModuleLoad(void *data, size_t /*size*/) {
  return registerModule(data, /*jit=*/false, 0);
}

void *mgpuModuleLoadJIT(void *data, int optLevel) {
  return registerModule(data, /*jit=*/true, optLevel);
}

void mgpuModuleUnload(void *module) {
  // Modules live as long as the process: unloading from a global destructor
  // would race with the driver's own teardown.
  (void)module;
}

void *mgpuModuleGetFunction(void *module, const char *name) {
  CUfunction function = nullptr;
  CHECK(cuModuleGetFunction, &function,
        loadedModule(static_cast<LazyModule *>(module)), name);
  return function;
}

void mgpuLaunchKernel(void *function, intptr_t gridX, intptr_t gridY,
                      intptr_t gridZ, intptr_t blockX, intptr_t blockY,
                      intptr_t blockZ, int32_t smem, void *stream,
                      void **params, void **extra, size_t /*paramsCount*/) {
  ensureContext();
  CHECK(cuLaunchKernel, static_cast<CUfunction>(function), gridX, gridY,
        gridZ, blockX, blockY, blockZ, smem, static_cast<CUstream>(stream),
        params, extra);
}

void *mgpuStreamCreate() {
  ensureContext();
  {
    std::lock_guard<std::mutex> lock(streamsMutex);
    if (!freeStreams().empty()) {
      CUstream stream = freeStreams().back();
      freeStreams().pop_back();
      return stream;
    }
  }
  CUstream stream = nullptr;
  CHECK(cuStreamCreate, &stream, CU_STREAM_DEFAULT);
  return stream;
}

void mgpuStreamDestroy(void *stream) {
  // Work still queued on it stays ordered before whatever the next user
  // queues.
  std::lock_guard<std::mutex> lock(streamsMutex);
  freeStreams().push_back(static_cast<CUstream>(stream));
}

void mgpuStreamSynchronize(void *stream) {
  CHECK(cuStreamSynchronize, static_cast<CUstream>(stream));
}

void mgpuStreamWaitEvent(void *stream, void *event) {
  CHECK(cuStreamWaitEvent, static_cast<CUstream>(stream),
        static_cast<CUevent>(event), 0);
}

void *mgpuEventCreate() {
  ensureContext();
  CUevent event = nullptr;
  CHECK(cuEventCreate, &event, CU_EVENT_DISABLE_TIMING);
  return event;
}

void mgpuEventDestroy(void *event) {
  CHECK(cuEventDestroy, static_cast<CUevent>(event));
}

void mgpuEventSynchronize(void *event) {
  CHECK(cuEventSynchronize, static_cast<CUevent>(event));
}

void mgpuEventRecord(void *event, void *stream) {
  CHECK(cuEventRecord, static_cast<CUevent>(event),
        static_cast<CUstream>(stream));
}

void *mgpuMemAlloc(uint64_t bytes, void *stream, bool isHostShared) {
  ensureContext();
  CUdeviceptr ptr = 0;
  if (isHostShared) {
    CHECK(cuMemAllocManaged, &ptr, bytes ? bytes : 1, CU_MEM_ATTACH_GLOBAL);
    std::lock_guard<std::mutex> lock(managedMutex);
    managedBuffers().insert(reinterpret_cast<void *>(ptr));
  } else {
    CHECK(cuMemAllocAsync, &ptr, bytes ? bytes : 1,
          static_cast<CUstream>(stream));
  }
  return reinterpret_cast<void *>(ptr);
}

void mgpuMemFree(void *ptr, void *stream) {
  {
    std::lock_guard<std::mutex> lock(managedMutex);
    if (managedBuffers().erase(ptr)) {
      // The stream's work may still read the buffer.
      if (stream)
        CHECK(cuStreamSynchronize, static_cast<CUstream>(stream));
      CHECK(cuMemFree, reinterpret_cast<CUdeviceptr>(ptr));
      return;
    }
  }
  // Stream-ordered: the memory returns to the pool once the stream's work
  // before this point is done.
  CHECK(cuMemFreeAsync, reinterpret_cast<CUdeviceptr>(ptr),
        static_cast<CUstream>(stream));
}

void mgpuMemcpy(void *dst, void *src, size_t bytes, void *stream) {
  CHECK(cuMemcpyAsync, reinterpret_cast<CUdeviceptr>(dst),
        reinterpret_cast<CUdeviceptr>(src), bytes,
        static_cast<CUstream>(stream));
}

void mgpuMemset32(void *dst, unsigned int value, size_t count, void *stream) {
  CHECK(cuMemsetD32Async, reinterpret_cast<CUdeviceptr>(dst), value, count,
        static_cast<CUstream>(stream));
}

void mgpuMemset16(void *dst, unsigned short value, size_t count,
                  void *stream) {
  CHECK(cuMemsetD16Async, reinterpret_cast<CUdeviceptr>(dst), value, count,
        static_cast<CUstream>(stream));
}

void mgpuSetDefaultDevice(int32_t device) {
  static char value[16];
  std::snprintf(value, sizeof(value), "%d", device);
  setenv("FFN_CUDA_DEVICE", value, 1);
}

// ffn_cuda_constant_<type>: the device copy of a constant buffer, uploaded
// on first use (ffn-gpu-device-memory). Called through MLIR's C interface.
#define FFN_CUDA_CONSTANT(suffix)                                              \
  void _mlir_ciface_ffn_cuda_constant_##suffix(                                \
      MemRef1D *result, MemRef1D *source, int64_t elementBytes) {              \
    deviceConstant(result, source, elementBytes);                              \
  }
FFN_CUDA_CONSTANT(f16)
FFN_CUDA_CONSTANT(bf16)
FFN_CUDA_CONSTANT(f32)
FFN_CUDA_CONSTANT(f64)
FFN_CUDA_CONSTANT(i1)
FFN_CUDA_CONSTANT(i8)
FFN_CUDA_CONSTANT(i16)
FFN_CUDA_CONSTANT(i32)
FFN_CUDA_CONSTANT(i64)
FFN_CUDA_CONSTANT(index)
#undef FFN_CUDA_CONSTANT

} // extern "C"
