// RUN: ffn-opt %s | ffn-opt | FileCheck %s
// RUN: ffn-opt %s --mlir-print-op-generic | ffn-opt | FileCheck %s

// Round trip of ffn.block_diag_linear: with and without bias and channel
// permutations, rank-1 and rank-3 inputs.

// CHECK-LABEL: func.func @block_diag_bias_perms
// CHECK-SAME:    %[[X:[^:]+]]: tensor<16x4xf32>, %[[W:[^:]+]]: tensor<2x3x2xf32>, %[[B:[^:]+]]: tensor<6xf32>
func.func @block_diag_bias_perms(%x: tensor<16x4xf32>, %w: tensor<2x3x2xf32>, %b: tensor<6xf32>) -> tensor<16x6xf32> {
  // CHECK: ffn.block_diag_linear %[[X]], %[[W]], %[[B]] {input_permutation = array<i64: 2, 0, 3, 1>, output_permutation = array<i64: 5, 4, 3, 2, 1, 0>} : (tensor<16x4xf32>, tensor<2x3x2xf32>, tensor<6xf32>) -> tensor<16x6xf32>
  %0 = ffn.block_diag_linear %x, %w, %b {input_permutation = array<i64: 2, 0, 3, 1>, output_permutation = array<i64: 5, 4, 3, 2, 1, 0>} : (tensor<16x4xf32>, tensor<2x3x2xf32>, tensor<6xf32>) -> tensor<16x6xf32>
  return %0 : tensor<16x6xf32>
}

// CHECK-LABEL: func.func @block_diag_plain
// CHECK: ffn.block_diag_linear %{{[^,]+}}, %{{[^ ]+}} : (tensor<8xf32>, tensor<4x3x2xf32>) -> tensor<12xf32>
func.func @block_diag_plain(%x: tensor<8xf32>, %w: tensor<4x3x2xf32>) -> tensor<12xf32> {
  %0 = ffn.block_diag_linear %x, %w : (tensor<8xf32>, tensor<4x3x2xf32>) -> tensor<12xf32>
  return %0 : tensor<12xf32>
}

// CHECK-LABEL: func.func @block_diag_rank3
// CHECK: ffn.block_diag_linear %{{.+}} : (tensor<2x5x8xf32>, tensor<2x6x4xf32>, tensor<12xf32>) -> tensor<2x5x12xf32>
func.func @block_diag_rank3(%x: tensor<2x5x8xf32>, %w: tensor<2x6x4xf32>, %b: tensor<12xf32>) -> tensor<2x5x12xf32> {
  %0 = ffn.block_diag_linear %x, %w, %b : (tensor<2x5x8xf32>, tensor<2x6x4xf32>, tensor<12xf32>) -> tensor<2x5x12xf32>
  return %0 : tensor<2x5x12xf32>
}
