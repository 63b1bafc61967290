// RUN: ffn-opt %s -convert-ffn-to-linalg | FileCheck %s

// A declared result type less static than the computed one gets a cast.

// CHECK-LABEL: func.func @linear_less_static_result
func.func @linear_less_static_result(%x: tensor<4x8xf32>, %w: tensor<16x8xf32>) -> tensor<?x16xf32> {
  // CHECK:     %[[MM:.+]] = linalg.matmul ins(%{{.+}}, %{{.+}} : tensor<4x8xf32>, tensor<8x16xf32>) outs(%{{.+}} : tensor<4x16xf32>)
  // CHECK:     %[[R:.+]] = tensor.cast %[[MM]] : tensor<4x16xf32> to tensor<?x16xf32>
  // CHECK:     return %[[R]]
  %0 = ffn.linear %x, %w : (tensor<4x8xf32>, tensor<16x8xf32>) -> tensor<?x16xf32>
  return %0 : tensor<?x16xf32>
}
