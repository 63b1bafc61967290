//===- CudaRuntime.h - what the runtime's files share -----------*- C++ -*-===//
//
// Internal to runtime/cuda: the error exit and the context setup of
// CudaRuntime.cpp, for the other files of the runtime (CudaBlas.cpp).
//
//===----------------------------------------------------------------------===//

#ifndef FFN_RUNTIME_CUDA_CUDARUNTIME_H
#define FFN_RUNTIME_CUDA_CUDARUNTIME_H

namespace ffn_cuda {

/// Prints `ffn-cuda: what[: detail]` on stderr and exits with code 1.
[[noreturn]] void fail(const char *what, const char *detail);

/// Initialises the driver once and makes the primary context of the device
/// (FFN_CUDA_DEVICE, default 0) current on the calling thread.
void makeContextCurrent();

} // namespace ffn_cuda

#endif // FFN_RUNTIME_CUDA_CUDARUNTIME_H
