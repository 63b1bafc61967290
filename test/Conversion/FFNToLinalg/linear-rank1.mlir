// RUN: ffn-opt %s -convert-ffn-to-linalg | FileCheck %s

// A rank-1 input is lowered as a 1xN row and the product collapsed back.

// CHECK-LABEL: func.func @linear_rank1
// CHECK-SAME:    %[[X:[^:]+]]: tensor<8xf32>, %[[W:[^:]+]]: tensor<16x8xf32>, %[[B:[^:]+]]: tensor<16xf32>
func.func @linear_rank1(%x: tensor<8xf32>, %w: tensor<16x8xf32>, %b: tensor<16xf32>) -> tensor<16xf32> {
  // CHECK:      %[[ROW:.+]] = tensor.expand_shape %[[X]] {{\[}}[0, 1]] output_shape [1, 8] : tensor<8xf32> into tensor<1x8xf32>
  // CHECK:      %[[WT:.+]] = linalg.transpose ins(%[[W]] : tensor<16x8xf32>)
  // CHECK:      %[[BC:.+]] = linalg.broadcast ins(%[[B]] : tensor<16xf32>) outs(%{{.+}} : tensor<1x16xf32>) dimensions = [0]
  // CHECK:      %[[MM:.+]] = linalg.matmul ins(%[[ROW]], %[[WT]] : tensor<1x8xf32>, tensor<8x16xf32>) outs(%[[BC]] : tensor<1x16xf32>)
  // CHECK:      %[[R:.+]] = tensor.collapse_shape %[[MM]] {{\[}}[0, 1]] : tensor<1x16xf32> into tensor<16xf32>
  // CHECK-NEXT: return %[[R]]
  %0 = ffn.linear %x, %w, %b : (tensor<8xf32>, tensor<16x8xf32>, tensor<16xf32>) -> tensor<16xf32>
  return %0 : tensor<16xf32>
}
