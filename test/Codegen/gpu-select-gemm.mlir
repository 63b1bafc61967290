// RUN: ffn-opt %s -split-input-file -verify-diagnostics '--pass-pipeline=builtin.module(func.func(ffn-gpu-select-gemm{remarks}))' | FileCheck %s
// RUN: ffn-opt %s -split-input-file '--pass-pipeline=builtin.module(func.func(ffn-gpu-select-gemm{library=none}))' | FileCheck %s --check-prefix=NONE

// A linear as convert-ffn-to-linalg leaves it: the matmul over the
// transposed weight, its accumulator the broadcast bias, is marked for
// cuBLAS with beta = 1; the broadcast stays (a generated kernel).

// CHECK-LABEL: func.func @linear
// CHECK:         %[[INIT:.+]] = linalg.broadcast
// CHECK:         linalg.matmul {ffn.gpu_library_gemm = {beta = 1.000000e+00 : f32, library = "cublas"}} ins({{.*}}) outs(%[[INIT]]
// NONE-LABEL: func.func @linear
// NONE-NOT:    ffn.gpu_library_gemm
func.func @linear(%x: tensor<16x32xf32>, %w: tensor<32x64xf32>, %b: tensor<64xf32>) -> tensor<16x64xf32> {
  %e = tensor.empty() : tensor<16x64xf32>
  %init = linalg.broadcast ins(%b : tensor<64xf32>) outs(%e : tensor<16x64xf32>) dimensions = [0]
  // expected-remark @+1 {{gpu gemm 16x64x32: cublas (beta 1)}}
  %y = linalg.matmul ins(%x, %w : tensor<16x32xf32>, tensor<32x64xf32>) outs(%init : tensor<16x64xf32>) -> tensor<16x64xf32>
  return %y : tensor<16x64xf32>
}

// -----

// Attention's batched products: a zero-filled accumulator is not read
// (beta = 0, the fill goes); B transposed ([N, K]) is taken as it is.

// CHECK-LABEL: func.func @scores
// CHECK-NOT:     linalg.fill
// CHECK:         %[[E:.+]] = tensor.empty() : tensor<4x8x8xf32>
// CHECK:         linalg.generic
// CHECK-SAME:      outs(%[[E]] : tensor<4x8x8xf32>) attrs = {ffn.gpu_library_gemm = {beta = 0.000000e+00 : f32, library = "cublas"}}
#a = affine_map<(b, m, n, k) -> (b, m, k)>
#bt = affine_map<(b, m, n, k) -> (b, n, k)>
#c = affine_map<(b, m, n, k) -> (b, m, n)>
func.func @scores(%q: tensor<4x8x16xf32>, %k: tensor<4x8x16xf32>) -> tensor<4x8x8xf32> {
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<4x8x8xf32>
  %init = linalg.fill ins(%zero : f32) outs(%e : tensor<4x8x8xf32>) -> tensor<4x8x8xf32>
  // expected-remark @+1 {{gpu gemm 4x8x8x16: cublas (beta 0)}}
  %s = linalg.generic {indexing_maps = [#a, #bt, #c], iterator_types = ["parallel", "parallel", "parallel", "reduction"]}
      ins(%q, %k : tensor<4x8x16xf32>, tensor<4x8x16xf32>) outs(%init : tensor<4x8x8xf32>) {
  ^bb0(%x: f32, %y: f32, %acc: f32):
    %p = arith.mulf %x, %y : f32
    %s = arith.addf %acc, %p : f32
    linalg.yield %s : f32
  } -> tensor<4x8x8xf32>
  return %s : tensor<4x8x8xf32>
}

// -----

// What cuBLAS's SGEMM cannot take stays generated, and says why.

// CHECK-LABEL: func.func @f64
// CHECK-NOT:     ffn.gpu_library_gemm
func.func @f64(%x: tensor<16x32xf64>, %w: tensor<32x64xf64>, %c: tensor<16x64xf64>) -> tensor<16x64xf64> {
  // expected-remark @+1 {{gpu gemm: generated (operands are not all f32)}}
  %y = linalg.matmul ins(%x, %w : tensor<16x32xf64>, tensor<32x64xf64>) outs(%c : tensor<16x64xf64>) -> tensor<16x64xf64>
  return %y : tensor<16x64xf64>
}

// -----

// CHECK-LABEL: func.func @dynamic
// CHECK-NOT:     ffn.gpu_library_gemm
func.func @dynamic(%x: tensor<?x32xf32>, %w: tensor<32x64xf32>, %c: tensor<?x64xf32>) -> tensor<?x64xf32> {
  // expected-remark @+1 {{gpu gemm: generated (dynamic shape)}}
  %y = linalg.matmul ins(%x, %w : tensor<?x32xf32>, tensor<32x64xf32>) outs(%c : tensor<?x64xf32>) -> tensor<?x64xf32>
  return %y : tensor<?x64xf32>
}

// -----

// C in [N, M] order: not a layout the runtime takes.

// CHECK-LABEL: func.func @transposed_c
// CHECK-NOT:     ffn.gpu_library_gemm
#a2 = affine_map<(m, n, k) -> (m, k)>
#b2 = affine_map<(m, n, k) -> (k, n)>
#ct = affine_map<(m, n, k) -> (n, m)>
func.func @transposed_c(%x: tensor<16x32xf32>, %w: tensor<32x64xf32>, %c: tensor<64x16xf32>) -> tensor<64x16xf32> {
  // expected-remark @+1 {{gpu gemm: generated (C is not [M, N])}}
  %y = linalg.generic {indexing_maps = [#a2, #b2, #ct], iterator_types = ["parallel", "parallel", "reduction"]}
      ins(%x, %w : tensor<16x32xf32>, tensor<32x64xf32>) outs(%c : tensor<64x16xf32>) {
  ^bb0(%p: f32, %q: f32, %acc: f32):
    %m = arith.mulf %p, %q : f32
    %s = arith.addf %acc, %m : f32
    linalg.yield %s : f32
  } -> tensor<64x16xf32>
  return %y : tensor<64x16xf32>
}
