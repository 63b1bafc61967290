// RUN: ffn-opt %s | ffn-opt | FileCheck %s
// RUN: ffn-opt %s --mlir-print-op-generic | ffn-opt | FileCheck %s

// Round trip of ffn.block_sparse_linear and ffn.csr_linear: with and without
// bias, rank-1 and rank-3 inputs.

// CHECK-LABEL: func.func @block_sparse
// CHECK: ffn.block_sparse_linear %{{.+}} {in_features = 64 : i64} : (tensor<16x64xf32>, tensor<4x2x16x8xf32>, tensor<4x2xi32>, tensor<32xf32>) -> tensor<16x32xf32>
func.func @block_sparse(%x: tensor<16x64xf32>, %v: tensor<4x2x16x8xf32>, %c: tensor<4x2xi32>, %b: tensor<32xf32>) -> tensor<16x32xf32> {
  %0 = ffn.block_sparse_linear %x, %v, %c, %b {in_features = 64} : (tensor<16x64xf32>, tensor<4x2x16x8xf32>, tensor<4x2xi32>, tensor<32xf32>) -> tensor<16x32xf32>
  return %0 : tensor<16x32xf32>
}

// CHECK-LABEL: func.func @block_sparse_rank3
// CHECK: ffn.block_sparse_linear %{{[^,]+}}, %{{[^,]+}}, %{{[^ ]+}} {in_features = 8 : i64} : (tensor<2x3x8xf32>, tensor<2x1x4x4xf32>, tensor<2x1xi32>) -> tensor<2x3x8xf32>
func.func @block_sparse_rank3(%x: tensor<2x3x8xf32>, %v: tensor<2x1x4x4xf32>, %c: tensor<2x1xi32>) -> tensor<2x3x8xf32> {
  %0 = ffn.block_sparse_linear %x, %v, %c {in_features = 8} : (tensor<2x3x8xf32>, tensor<2x1x4x4xf32>, tensor<2x1xi32>) -> tensor<2x3x8xf32>
  return %0 : tensor<2x3x8xf32>
}

// CHECK-LABEL: func.func @csr
// CHECK: ffn.csr_linear %{{.+}} {in_features = 8 : i64} : (tensor<4x8xf32>, tensor<5xi32>, tensor<10xi32>, tensor<10xf32>, tensor<4xf32>) -> tensor<4x4xf32>
func.func @csr(%x: tensor<4x8xf32>, %o: tensor<5xi32>, %c: tensor<10xi32>, %v: tensor<10xf32>, %b: tensor<4xf32>) -> tensor<4x4xf32> {
  %0 = ffn.csr_linear %x, %o, %c, %v, %b {in_features = 8} : (tensor<4x8xf32>, tensor<5xi32>, tensor<10xi32>, tensor<10xf32>, tensor<4xf32>) -> tensor<4x4xf32>
  return %0 : tensor<4x4xf32>
}

// CHECK-LABEL: func.func @csr_vector
// CHECK: ffn.csr_linear %{{.+}} {in_features = 8 : i64} : (tensor<8xf32>, tensor<3xi32>, tensor<5xi32>, tensor<5xf32>) -> tensor<2xf32>
func.func @csr_vector(%x: tensor<8xf32>, %o: tensor<3xi32>, %c: tensor<5xi32>, %v: tensor<5xf32>) -> tensor<2xf32> {
  %0 = ffn.csr_linear %x, %o, %c, %v {in_features = 8} : (tensor<8xf32>, tensor<3xi32>, tensor<5xi32>, tensor<5xf32>) -> tensor<2xf32>
  return %0 : tensor<2xf32>
}
