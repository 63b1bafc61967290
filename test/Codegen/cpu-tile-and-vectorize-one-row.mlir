// RUN: ffn-opt %s -pass-pipeline='builtin.module(func.func(ffn-cpu-tile-and-vectorize{vector-width=8}))' | FileCheck %s

// A one-row GEMM (a single token, decode-style) stays a GEMM: its register
// tiles broadcast x[0, k] against a contiguous 1x16 row of the [K, N] weight.
// It must not become a linalg.vecmat vectorised along K, which reads the
// weight by columns (one element per row: gathers at the row stride).
// CHECK-LABEL: func.func @one_row
// CHECK-NOT:     vector.multi_reduction
// CHECK:         vector.contract {{.+}} vector<1x1xf32>, vector<1x16xf32> into vector<1x16xf32>
// CHECK-NOT:     vector.multi_reduction
func.func @one_row(%x: tensor<1x64xf32>, %w: tensor<64x32xf32>, %b: tensor<1x32xf32>) -> tensor<1x32xf32> {
  %y = linalg.matmul ins(%x, %w : tensor<1x64xf32>, tensor<64x32xf32>) outs(%b : tensor<1x32xf32>) -> tensor<1x32xf32>
  return %y : tensor<1x32xf32>
}
