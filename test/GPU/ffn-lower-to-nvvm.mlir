// RUN: ffn-opt %s '--ffn-lower-to-nvvm=format=isa gemm=generated' -o %t.mlir
// RUN: FileCheck %s --input-file=%t.mlir --implicit-check-not=' linalg.' --implicit-check-not=' scf.' --implicit-check-not=' memref.' --implicit-check-not=' func.' --implicit-check-not=unrealized_conversion_cast
// RUN: rm -rf %t.ptx && %python -m ffn_tools.ptx %t.mlir --out %t.ptx --ptxas %ptxas --arch sm_90 | FileCheck %s --check-prefix=PTXAS
// RUN: cat %t.ptx/*.ptx | FileCheck %s --check-prefix=PTX
// RUN: cat %t.ptx/*.ptx | FileCheck %s --check-prefix=ERF
// RUN: ffn-opt %s '--ffn-lower-to-nvvm=format=isa gpu-arch=sm_80 gemm=generated' -o %t.sm80.mlir
// RUN: rm -rf %t.ptx80 && %python -m ffn_tools.ptx %t.sm80.mlir --out %t.ptx80 --ptxas %ptxas --arch sm_80 | FileCheck %s --check-prefix=PTXAS
// RUN: cat %t.ptx80/*.ptx | FileCheck %s --check-prefix=SM80
// RUN: ffn-opt %s '--ffn-lower-to-nvvm=format=fatbin gemm=generated' | FileCheck %s --check-prefix=FATBIN

// The whole GPU pipeline with generated GEMMs (gemm=generated; the default,
// gemm=cublas, is gpu-gemm.mlir) on an encoder FFN: host code in the llvm dialect
// that allocates device buffers, copies the input in, fetches the weights'
// device copies from the runtime, launches one kernel per GEMM (bias and
// GELU fused into the first) and copies the result out; the kernels as PTX
// that ptxas accepts for sm_90 and sm_80.

// CHECK: module attributes {gpu.container_module}
// CHECK-LABEL: llvm.func @encoder(
// CHECK:     llvm.call @mgpuStreamCreate()
// CHECK:     llvm.call @mgpuMemAlloc(
// CHECK:     llvm.call @mgpuMemcpy(
// CHECK:     llvm.call @ffn_cuda_constant_f32(
// CHECK:     gpu.launch_func <%{{.*}} : !llvm.ptr> @encoder_kernel::@encoder_kernel
// CHECK:     gpu.launch_func <%{{.*}} : !llvm.ptr> @encoder_kernel_0::@encoder_kernel
// CHECK-NOT: gpu.launch_func
// CHECK:     llvm.call @mgpuMemcpy(
// CHECK:     llvm.call @mgpuStreamSynchronize(
// CHECK:     llvm.return
// CHECK:     gpu.binary @encoder_kernel [#gpu.object<#nvvm.target<O = 3, chip = "sm_90", features = "+ptx80">
// CHECK:     gpu.binary @encoder_kernel_0
// CHECK-DAG: llvm.func @mgpuStreamCreate()
// CHECK-DAG: llvm.func @mgpuMemAlloc(
// CHECK-DAG: llvm.func @mgpuMemcpy(

// PTXAS-COUNT-2: ptxas ok:
// PTXAS: modules: 2

// Each kernel: a GEMM loop (K whole inside a thread) over global memory; the
// one with the fused GELU also holds libdevice's erf polynomial (FMAs).
// PTX: .target sm_90
// PTX: .visible .entry encoder_kernel(
// PTX: mul.rn.f32
// PTX: .target sm_90
// PTX: .visible .entry encoder_kernel(
// PTX: mul.rn.f32
// ERF: fma.rn.f32

// SM80: .target sm_80

// The fatbin (its magic 0xBA55ED50) is embedded instead of PTX.
// FATBIN: gpu.binary @encoder_kernel [#gpu.object<#nvvm.target<O = 3, chip = "sm_90", features = "+ptx80">, properties = {{.*}}, "P\EDU\BA
func.func @encoder(%x: tensor<16x32xf32>) -> tensor<16x32xf32> {
  %w1 = arith.constant dense<0.01> : tensor<64x32xf32>
  %b1 = arith.constant dense<0.1> : tensor<64xf32>
  %w2 = arith.constant dense<0.02> : tensor<32x64xf32>
  %b2 = arith.constant dense<0.2> : tensor<32xf32>
  %y = ffn.mlp(%x, %w1, %b1, %w2, %b2) : (tensor<16x32xf32>, tensor<64x32xf32>, tensor<64xf32>, tensor<32x64xf32>, tensor<32xf32>) -> tensor<16x32xf32> {
  ^bb0(%a: tensor<16x32xf32>, %p1: tensor<64x32xf32>, %q1: tensor<64xf32>, %p2: tensor<32x64xf32>, %q2: tensor<32xf32>):
    %h = ffn.linear %a, %p1, %q1 : (tensor<16x32xf32>, tensor<64x32xf32>, tensor<64xf32>) -> tensor<16x64xf32>
    %g = ffn.gelu %h : tensor<16x64xf32>
    %o = ffn.linear %g, %p2, %q2 : (tensor<16x64xf32>, tensor<32x64xf32>, tensor<32xf32>) -> tensor<16x32xf32>
    ffn.yield %o : tensor<16x32xf32>
  }
  return %y : tensor<16x32xf32>
}
