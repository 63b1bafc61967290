// RUN: ffn-opt %s -pass-pipeline='builtin.module(func.func(ffn-cpu-tile-and-vectorize))' | FileCheck %s --implicit-check-not=linalg.

// When K does not divide into cache blocks, the peeled remainder block is
// register-tiled and vectorised like the others: no linalg op is left.

// CHECK-LABEL: func.func @matmul_deep
// CHECK:         scf.for {{.*}} iter_args(%[[A:.+]] = %{{.+}}) -> (vector<8x32xf32>)
// CHECK:           vector.contract {{.+}} %[[A]] : vector<8x1xf32>, vector<1x32xf32> into vector<8x32xf32>
// CHECK:         return
func.func @matmul_deep(%x: tensor<64x300xf32>, %w: tensor<300x64xf32>, %init: tensor<64x64xf32>) -> tensor<64x64xf32> {
  %mm = linalg.matmul ins(%x, %w : tensor<64x300xf32>, tensor<300x64xf32>) outs(%init : tensor<64x64xf32>) -> tensor<64x64xf32>
  return %mm : tensor<64x64xf32>
}
