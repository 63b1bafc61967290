// RUN: ffn-opt %s | FileCheck %s

// CHECK-LABEL: func.func @relu
func.func @relu(%x: tensor<4x8xf32>) -> tensor<4x8xf32> {
  // CHECK: ffn.relu %{{.*}} : tensor<4x8xf32>
  %0 = ffn.relu %x : tensor<4x8xf32>
  return %0 : tensor<4x8xf32>
}
