// RUN: ffn-opt %s -convert-ffn-to-linalg -split-input-file | FileCheck %s

// An ffn.mlp whose body yields one of its block arguments is replaced by
// the matching operand.

// CHECK-LABEL: func.func @identity_block
// CHECK-SAME:    %[[X:[^:]+]]: tensor<4x8xf32>
func.func @identity_block(%x: tensor<4x8xf32>) -> tensor<4x8xf32> {
  // CHECK-NEXT: return %[[X]]
  %y = ffn.mlp(%x) : (tensor<4x8xf32>) -> tensor<4x8xf32> {
  ^bb0(%a: tensor<4x8xf32>):
    ffn.yield %a : tensor<4x8xf32>
  }
  return %y : tensor<4x8xf32>
}

// -----

// The yielded argument need not be the input: a block can hand back one of
// its parameters (a learned constant output, say).
// CHECK-LABEL: func.func @yield_param
// CHECK-SAME:    %[[X:[^:]+]]: tensor<4x8xf32>, %[[P:[^:]+]]: tensor<4x8xf32>
func.func @yield_param(%x: tensor<4x8xf32>, %p: tensor<4x8xf32>) -> tensor<4x8xf32> {
  // CHECK-NEXT: return %[[P]]
  %y = ffn.mlp(%x, %p) : (tensor<4x8xf32>, tensor<4x8xf32>) -> tensor<4x8xf32> {
  ^bb0(%a: tensor<4x8xf32>, %b: tensor<4x8xf32>):
    ffn.yield %b : tensor<4x8xf32>
  }
  return %y : tensor<4x8xf32>
}
