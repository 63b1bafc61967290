// RUN: ffn-opt %s -convert-ffn-to-linalg -canonicalize | FileCheck %s
// RUN: ffn-opt %s -ffn-lower-to-cpu -o /dev/null

// ffn.block_sparse_linear: a thread per block row (2), register tiles of 6
// tokens x 16 output channels over the kept blocks and their input channels
// (bias as the starting value); 13 tokens = 2 tiles of 6 + 1; each of the
// two 16-channel halves of a 32-wide block row in turn.
// CHECK-LABEL: func.func @block_sparse
// CHECK:         scf.forall (%[[R:.+]]) in (2) shared_outs
// CHECK:           scf.for %{{.+}} = %c0 to %c12 step %c6
// CHECK:             vector.transfer_read %{{.+}} : tensor<64xf32>, vector<16xf32>
// CHECK:             scf.for %[[J:.+]] = %c0 to %c2 step %c1 iter_args({{.+}}) -> (vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>)
// CHECK:               tensor.extract %{{.+}}[%[[R]], %[[J]]] : tensor<2x2xi32>
// CHECK:               scf.for %[[C:.+]] = %c0 to %c16 step %c1
// CHECK:                 vector.transfer_read %{{.+}}[%[[R]], %[[J]], %[[C]], %c0]{{.+}} : tensor<2x2x16x32xf32>, vector<16xf32>
// CHECK-COUNT-6:         vector.fma {{.+}} : vector<16xf32>
// CHECK-COUNT-6:     vector.transfer_write {{.+}} : vector<16xf32>, tensor<13x32xf32>
// CHECK:           scf.for %{{.+}} = %c0 to %c2 step %c1 iter_args(%{{.+}}) -> (vector<16xf32>)
// CHECK:           vector.transfer_write {{.+}}[%c12, %c0]
// CHECK:           scf.for %{{.+}} = %c0 to %c12 step %c6
// CHECK:           vector.transfer_write {{.+}}[%c12, %c16]
// CHECK:           tensor.parallel_insert_slice
func.func @block_sparse(%x: tensor<13x64xf32>, %v: tensor<2x2x16x32xf32>, %c: tensor<2x2xi32>, %b: tensor<64xf32>) -> tensor<13x64xf32> {
  %0 = ffn.block_sparse_linear %x, %v, %c, %b {in_features = 64} : (tensor<13x64xf32>, tensor<2x2x16x32xf32>, tensor<2x2xi32>, tensor<64xf32>) -> tensor<13x64xf32>
  return %0 : tensor<13x64xf32>
}

// ffn.csr_linear on a rank-3 input (70 tokens): x transposed once, each
// output channel sums its stored weights times 64-token runs of xᵀ, then one
// token at a time for the last 6, and the product is transposed back with
// the bias added.
// CHECK-LABEL: func.func @csr
// CHECK:         tensor.collapse_shape %{{.+}} {{\[}}[0, 1], [2]] : tensor<2x35x8xf32> into tensor<70x8xf32>
// CHECK:         linalg.transpose ins(%{{.+}} : tensor<70x8xf32>) outs(%{{.+}} : tensor<8x70xf32>)
// CHECK:         scf.for %[[N:.+]] = %c0 to %c4 step %c1
// CHECK:           tensor.extract %{{.+}} : tensor<5xi32>
// CHECK:           scf.for %{{.+}} = %{{.+}} to %{{.+}} step %c1 iter_args(%{{.+}}) -> (vector<64xf32>)
// CHECK:             vector.transfer_read {{.+}} : tensor<8x70xf32>, vector<64xf32>
// CHECK:             vector.fma {{.+}} : vector<64xf32>
// CHECK:           vector.transfer_write %{{.+}}[%[[N]], %c0] {{.+}} : vector<64xf32>, tensor<4x70xf32>
// CHECK:           scf.for %{{.+}} = %c64 to %c70 step %c1
// CHECK:         linalg.generic
// CHECK:           arith.addf
// CHECK:         tensor.expand_shape %{{.+}} : tensor<70x4xf32> into tensor<2x35x4xf32>
func.func @csr(%x: tensor<2x35x8xf32>, %o: tensor<5xi32>, %c: tensor<10xi32>, %v: tensor<10xf32>, %b: tensor<4xf32>) -> tensor<2x35x4xf32> {
  %0 = ffn.csr_linear %x, %o, %c, %v, %b {in_features = 8} : (tensor<2x35x8xf32>, tensor<5xi32>, tensor<10xi32>, tensor<10xf32>, tensor<4xf32>) -> tensor<2x35x4xf32>
  return %0 : tensor<2x35x4xf32>
}
