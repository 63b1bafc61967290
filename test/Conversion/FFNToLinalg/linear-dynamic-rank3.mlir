// RUN: ffn-opt %s -convert-ffn-to-linalg -split-input-file | FileCheck %s

// Rank > 2 inputs with dynamic dims: the output sizes come from the input
// and the weight, never from the op being replaced.

// CHECK-LABEL: func.func @linear_dynamic_batch
// CHECK-SAME:    %[[X:[^:]+]]: tensor<?x7x40xf32>, %[[W:[^:]+]]: tensor<100x40xf32>
func.func @linear_dynamic_batch(%x: tensor<?x7x40xf32>, %w: tensor<100x40xf32>) -> tensor<?x7x100xf32> {
  // CHECK:     %[[C:.+]] = tensor.collapse_shape %[[X]] {{\[}}[0, 1], [2]] : tensor<?x7x40xf32> into tensor<?x40xf32>
  // CHECK:     %[[MM:.+]] = linalg.matmul ins(%[[C]], %{{.+}} : tensor<?x40xf32>, tensor<40x100xf32>) outs(%{{.+}} : tensor<?x100xf32>)
  // CHECK:     %[[D0:.+]] = tensor.dim %[[X]], %{{.+}} : tensor<?x7x40xf32>
  // CHECK:     %[[R:.+]] = tensor.expand_shape %[[MM]] {{\[}}[0, 1], [2]] output_shape [%[[D0]], 7, 100] : tensor<?x100xf32> into tensor<?x7x100xf32>
  // CHECK:     return %[[R]]
  %0 = ffn.linear %x, %w : (tensor<?x7x40xf32>, tensor<100x40xf32>) -> tensor<?x7x100xf32>
  return %0 : tensor<?x7x100xf32>
}

// -----

// CHECK-LABEL: func.func @linear_all_dynamic
// CHECK-SAME:    %[[X:[^:]+]]: tensor<?x?x8xf32>, %[[W:[^:]+]]: tensor<?x8xf32>
func.func @linear_all_dynamic(%x: tensor<?x?x8xf32>, %w: tensor<?x8xf32>, %b: tensor<?xf32>) -> tensor<?x?x?xf32> {
  // CHECK:     %[[C:.+]] = tensor.collapse_shape %[[X]] {{\[}}[0, 1], [2]] : tensor<?x?x8xf32> into tensor<?x8xf32>
  // CHECK:     %[[MM:.+]] = linalg.matmul ins(%[[C]], %{{.+}} : tensor<?x8xf32>, tensor<8x?xf32>)
  // CHECK:     %[[R:.+]] = tensor.expand_shape %[[MM]] {{\[}}[0, 1], [2]] output_shape [%{{.+}}, %{{.+}}, %{{.+}}] : tensor<?x?xf32> into tensor<?x?x?xf32>
  // CHECK:     return %[[R]]
  %0 = ffn.linear %x, %w, %b : (tensor<?x?x8xf32>, tensor<?x8xf32>, tensor<?xf32>) -> tensor<?x?x?xf32>
  return %0 : tensor<?x?x?xf32>
}
