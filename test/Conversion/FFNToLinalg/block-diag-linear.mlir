// RUN: ffn-opt %s -convert-ffn-to-linalg -split-input-file --mlir-elide-resource-strings-if-larger=16 | FileCheck %s

// Without permutations: x [M, in] is expanded to [M, K, in/K] and
// transposed to [K, M, in/K]; one batch_matmul over the blocks with the
// weight transposed (at run time here) to [K, in/K, out/K]; the product is
// transposed back with the bias (read as [K, out/K]) added on the way.
// CHECK-LABEL: func.func @plain
// CHECK-SAME:    %[[X:[^:]+]]: tensor<5x4xf32>, %[[W:[^:]+]]: tensor<2x3x2xf32>, %[[B:[^:]+]]: tensor<6xf32>
// CHECK:       %[[X3:.+]] = tensor.expand_shape %[[X]] {{\[}}[0], [1, 2]] output_shape [5, 2, 2] : tensor<5x4xf32> into tensor<5x2x2xf32>
// CHECK:       %[[A:.+]] = linalg.transpose ins(%[[X3]] : tensor<5x2x2xf32>) outs(%{{.+}} : tensor<2x5x2xf32>) permutation = [1, 0, 2]
// CHECK:       %[[WT:.+]] = linalg.transpose ins(%[[W]] : tensor<2x3x2xf32>) outs(%{{.+}} : tensor<2x2x3xf32>) permutation = [0, 2, 1]
// CHECK:       %[[FILL:.+]] = linalg.fill ins(%{{.+}} : f32) outs(%{{.+}} : tensor<2x5x3xf32>)
// CHECK:       %[[C:.+]] = linalg.batch_matmul ins(%[[A]], %[[WT]] : tensor<2x5x2xf32>, tensor<2x2x3xf32>) outs(%[[FILL]] : tensor<2x5x3xf32>)
// CHECK:       %[[B2:.+]] = tensor.expand_shape %[[B]] {{\[}}[0, 1]] output_shape [2, 3] : tensor<6xf32> into tensor<2x3xf32>
// CHECK:       %[[Y3:.+]] = linalg.generic {indexing_maps = [#{{.+}}, #{{.+}}, #{{.+}}], iterator_types = ["parallel", "parallel", "parallel"]} ins(%[[C]], %[[B2]] : tensor<2x5x3xf32>, tensor<2x3xf32>) outs(%{{.+}} : tensor<5x2x3xf32>)
// CHECK:         arith.addf
// CHECK:       %[[Y:.+]] = tensor.collapse_shape %[[Y3]] {{\[}}[0], [1, 2]] : tensor<5x2x3xf32> into tensor<5x6xf32>
// CHECK:       return %[[Y]]
func.func @plain(%x: tensor<5x4xf32>, %w: tensor<2x3x2xf32>, %b: tensor<6xf32>) -> tensor<5x6xf32> {
  %0 = ffn.block_diag_linear %x, %w, %b : (tensor<5x4xf32>, tensor<2x3x2xf32>, tensor<6xf32>) -> tensor<5x6xf32>
  return %0 : tensor<5x6xf32>
}

// -----

// With permutations: both gathers read an index table; a constant weight
// is transposed at compile time; a rank-3 input is collapsed into rows.
// CHECK-LABEL: func.func @permuted
// CHECK-SAME:    %[[X:[^:]+]]: tensor<2x3x4xf32>
// CHECK:       %[[X2:.+]] = tensor.collapse_shape %[[X]] {{\[}}[0, 1], [2]] : tensor<2x3x4xf32> into tensor<6x4xf32>
// CHECK:       %[[IN:.+]] = arith.constant dense<[2, 0, 3, 1]> : tensor<4xindex>
// CHECK:       %[[A:.+]] = linalg.generic {{.+}} outs(%{{.+}} : tensor<2x6x2xf32>)
// CHECK:         %[[SRC:.+]] = tensor.extract %[[IN]]
// CHECK:         tensor.extract %[[X2]]{{\[}}%{{.+}}, %[[SRC]]]
// CHECK:       %[[WT:.+]] = arith.constant dense_resource<{{weight_blocks_t[_0-9]*}}> : tensor<2x2x3xf32>
// CHECK:       %[[C:.+]] = linalg.batch_matmul ins(%[[A]], %[[WT]] : tensor<2x6x2xf32>, tensor<2x2x3xf32>)
// CHECK:       %[[OUT:.+]] = arith.constant dense<[5, 4, 3, 2, 1, 0]> : tensor<6xindex>
// CHECK:       %[[Y:.+]] = linalg.generic {{.+}} ins(%[[OUT]] : tensor<6xindex>) outs(%{{.+}} : tensor<6x6xf32>)
// CHECK:         arith.divui
// CHECK:         arith.remui
// CHECK:         tensor.extract %[[C]]
// CHECK:       tensor.expand_shape %[[Y]] {{\[}}[0, 1], [2]] output_shape [2, 3, 6] : tensor<6x6xf32> into tensor<2x3x6xf32>
func.func @permuted(%x: tensor<2x3x4xf32>) -> tensor<2x3x6xf32> {
  %w = arith.constant dense<[[[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]], [[7.0, 8.0], [9.0, 10.0], [11.0, 12.0]]]> : tensor<2x3x2xf32>
  %0 = ffn.block_diag_linear %x, %w {input_permutation = array<i64: 2, 0, 3, 1>, output_permutation = array<i64: 5, 4, 3, 2, 1, 0>} : (tensor<2x3x4xf32>, tensor<2x3x2xf32>) -> tensor<2x3x6xf32>
  return %0 : tensor<2x3x6xf32>
}
