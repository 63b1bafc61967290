// RUN: ffn-opt %s -split-input-file -verify-diagnostics --ffn-gpu-library-gemm | FileCheck %s

// A marked GEMM on buffers becomes a call into the CUDA runtime on the
// operands' descriptors (row-major, no transposition, alpha 1, beta as
// marked); unmarked contractions stay.

// CHECK-LABEL: func.func private @ffn_cuda_sgemm(memref<?x?xf32, strided<[?, ?], offset: ?>>, memref<?x?xf32, strided<[?, ?], offset: ?>>, memref<?x?xf32, strided<[?, ?], offset: ?>>, i32, i32, f32, f32) attributes {llvm.emit_c_interface}
// CHECK-LABEL: func.func @linear(
// CHECK-SAME:    %[[X:[a-z0-9]+]]: memref<16x32xf32>, %[[W:[a-z0-9]+]]: memref<32x64xf32>, %[[Y:[a-z0-9]+]]: memref<16x64xf32>
// CHECK-DAG:     %[[A:.+]] = memref.cast %[[X]] : memref<16x32xf32> to memref<?x?xf32, strided<[?, ?], offset: ?>>
// CHECK-DAG:     %[[B:.+]] = memref.cast %[[W]]
// CHECK-DAG:     %[[C:.+]] = memref.cast %[[Y]]
// CHECK-DAG:     %[[TA:.+]] = arith.constant 0 : i32
// CHECK-DAG:     %[[ALPHA:.+]] = arith.constant 1.000000e+00 : f32
// CHECK:         %[[BETA:.+]] = arith.constant 1.000000e+00 : f32
// CHECK:         call @ffn_cuda_sgemm(%[[A]], %[[B]], %[[C]], %[[TA]], %{{.+}}, %[[ALPHA]], %[[BETA]])
// CHECK-NOT:     linalg.matmul
// CHECK:         linalg.matmul ins(%[[X]], %[[W]]
func.func @linear(%x: memref<16x32xf32>, %w: memref<32x64xf32>, %y: memref<16x64xf32>) {
  linalg.matmul {ffn.gpu_library_gemm = {beta = 1.0 : f32, library = "cublas"}} ins(%x, %w : memref<16x32xf32>, memref<32x64xf32>) outs(%y : memref<16x64xf32>)
  linalg.matmul ins(%x, %w : memref<16x32xf32>, memref<32x64xf32>) outs(%y : memref<16x64xf32>)
  return
}

// -----

// Batched, B stored [N, K] (transB = 1), beta 0; a strided output (a
// subview with column stride 2) goes through a contiguous temporary that
// is copied back and freed. A row subview (inner stride 1) is read in place.

// CHECK-LABEL: func.func private @ffn_cuda_sgemm_batched(memref<?x?x?xf32, strided<[?, ?, ?], offset: ?>>
// CHECK-LABEL: func.func @batched(
// CHECK:         %[[SUB:.+]] = memref.subview
// CHECK:         %[[TMP:.+]] = memref.alloc() : memref<4x8x8xf32>
// CHECK-NOT:     memref.copy
// CHECK:         %[[A:.+]] = memref.cast %[[SUB]]
// CHECK:         %[[C:.+]] = memref.cast %[[TMP]]
// CHECK-DAG:     %[[T:.+]] = arith.constant 1 : i32
// CHECK-DAG:     %[[F:.+]] = arith.constant 0 : i32
// CHECK-DAG:     %[[BETA:.+]] = arith.constant 0.000000e+00 : f32
// CHECK:         call @ffn_cuda_sgemm_batched(%[[A]], %{{.+}}, %[[C]], %[[F]], %[[T]], %{{.+}}, %[[BETA]])
// CHECK-NEXT:    memref.copy %[[TMP]], %{{.+}} : memref<4x8x8xf32> to memref<4x8x8xf32, strided<[128, 16, 2]>>
// CHECK-NEXT:    memref.dealloc %[[TMP]]
#a = affine_map<(b, m, n, k) -> (b, m, k)>
#bt = affine_map<(b, m, n, k) -> (b, n, k)>
#c = affine_map<(b, m, n, k) -> (b, m, n)>
func.func @batched(%q: memref<4x8x32xf32>, %k: memref<4x8x16xf32>, %s: memref<4x8x16xf32>) {
  %qs = memref.subview %q[0, 0, 0] [4, 8, 16] [1, 1, 1] : memref<4x8x32xf32> to memref<4x8x16xf32, strided<[256, 32, 1]>>
  %ss = memref.subview %s[0, 0, 0] [4, 8, 8] [1, 1, 2] : memref<4x8x16xf32> to memref<4x8x8xf32, strided<[128, 16, 2]>>
  linalg.generic {indexing_maps = [#a, #bt, #c], iterator_types = ["parallel", "parallel", "parallel", "reduction"]}
      ins(%qs, %k : memref<4x8x16xf32, strided<[256, 32, 1]>>, memref<4x8x16xf32>) outs(%ss : memref<4x8x8xf32, strided<[128, 16, 2]>>)
      attrs = {ffn.gpu_library_gemm = {beta = 0.0 : f32, library = "cublas"}} {
  ^bb0(%x: f32, %y: f32, %acc: f32):
    %p = arith.mulf %x, %y : f32
    %r = arith.addf %acc, %p : f32
    linalg.yield %r : f32
  }
  return
}

// -----

func.func @malformed(%x: memref<16x32xf32>, %w: memref<32x64xf32>, %y: memref<16x64xf32>) {
  // expected-error @+1 {{ffn-gpu-library-gemm: malformed ffn.gpu_library_gemm attribute}}
  linalg.matmul {ffn.gpu_library_gemm = {library = "mkl"}} ins(%x, %w : memref<16x32xf32>, memref<32x64xf32>) outs(%y : memref<16x64xf32>)
  return
}
