// RUN: ffn-opt %s '--ffn-lower-to-nvvm=format=isa gemm-remarks' -o %t.cublas.mlir 2>&1 | FileCheck %s --check-prefix=REMARK
// RUN: FileCheck %s --input-file=%t.cublas.mlir --check-prefix=HOST
// RUN: FileCheck %s --input-file=%t.cublas.mlir --check-prefix=DECL
// RUN: rm -rf %t.ptx && %python -m ffn_tools.ptx %t.cublas.mlir --out %t.ptx --ptxas %ptxas --arch sm_90 | FileCheck %s --check-prefix=PTXAS
// RUN: ffn-opt %s '--ffn-lower-to-nvvm=format=isa' --mlir-print-ir-after=gpu-kernel-outlining -o /dev/null 2>&1 | FileCheck %s --check-prefix=KERNELS
// RUN: ffn-opt %s '--ffn-lower-to-nvvm=format=isa gemm=generated' -o %t.generated.mlir
// RUN: FileCheck %s --input-file=%t.generated.mlir --check-prefix=GENERATED
// RUN: ffn-opt %s '--ffn-lower-to-nvvm=format=isa gemm=generated' --mlir-print-ir-after=gpu-kernel-outlining -o /dev/null 2>&1 | FileCheck %s --check-prefix=GEN-KERNELS

// The encoder FFN with gemm=cublas (the default): both linears are calls
// into the runtime's cuBLAS GEMM; the bias fills and the GELU stay kernels
// (3: bias fill, GELU, bias fill), none of them a GEMM. With
// gemm=generated: today's 2 GEMM kernels with fused bias and GELU.

// REMARK: remark: gpu gemm 16x64x32: cublas (beta 1)
// REMARK: remark: gpu gemm 16x32x64: cublas (beta 1)

// HOST-LABEL: llvm.func @encoder(
// HOST:     gpu.launch_func <%{{.*}} : !llvm.ptr> @encoder_kernel::@encoder_kernel
// HOST:     llvm.call @mgpuStreamSynchronize(
// HOST:     llvm.call @ffn_cuda_sgemm(
// HOST:     llvm.call @mgpuStreamCreate()
// HOST:     gpu.launch_func <%{{.*}} : !llvm.ptr> @encoder_kernel_0::@encoder_kernel
// HOST:     gpu.launch_func <%{{.*}} : !llvm.ptr> @encoder_kernel_1::@encoder_kernel
// HOST:     llvm.call @mgpuStreamSynchronize(
// HOST:     llvm.call @ffn_cuda_sgemm(
// HOST-NOT: gpu.launch_func
// HOST:     llvm.return
// DECL: llvm.func @_mlir_ciface_ffn_cuda_sgemm(!llvm.ptr, !llvm.ptr, !llvm.ptr, i32, i32, f32, f32)

// PTXAS-COUNT-3: ptxas ok:
// PTXAS: modules: 3

// No kernel keeps a K loop (the only loops of these kernels were GEMMs').
// KERNELS: IR Dump After GpuKernelOutliningPass
// KERNELS: gpu.module @encoder_kernel
// KERNELS-NOT: scf.for
// KERNELS: gpu.module @encoder_kernel_0
// KERNELS-NOT: scf.for
// KERNELS: gpu.module @encoder_kernel_1
// KERNELS-NOT: {{scf.for|gpu.module}}

// GENERATED-NOT: ffn_cuda_sgemm
// GENERATED:     gpu.launch_func <%{{.*}} : !llvm.ptr> @encoder_kernel::@encoder_kernel
// GENERATED:     gpu.launch_func <%{{.*}} : !llvm.ptr> @encoder_kernel_0::@encoder_kernel
// GENERATED-NOT: gpu.launch_func
// GENERATED-NOT: ffn_cuda_sgemm

// GEN-KERNELS: gpu.module @encoder_kernel
// GEN-KERNELS: scf.for
// GEN-KERNELS: arith.mulf
// GEN-KERNELS: gpu.module @encoder_kernel_0
// GEN-KERNELS: scf.for
// GEN-KERNELS: arith.mulf

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
