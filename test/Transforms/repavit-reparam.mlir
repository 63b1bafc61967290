// RUN: ffn-opt %s -ffn-repavit-reparam -split-input-file | FileCheck %s
// RUN: ffn-opt %s -ffn-repavit-reparam=remark-failures -split-input-file -o /dev/null 2>&1 \
// RUN:   | FileCheck %s --check-prefix=REMARK

// Folded values are checked on hand-computable cases (resource blobs: the
// alignment header 0x04000000, then little-endian f32: 0.0 = 00000000,
// 2.0 = 00000040, 3.0 = 00004040, 2.5 = 00002040). W1 = [I; I], so the idle
// rows W1l = I; W2 = [I, 2I], so the idle columns W2l = 2I.

// With the residual: y = x + mlp(x) becomes one block over x with
// M = I + W2l W1l = 3I and c = W2l b1l + b2 = 2 [1, 1] + [0.5, 0.5].
// CHECK-LABEL: func.func @residual
// CHECK-SAME:    %[[X:[^:]+]]: tensor<3x2xf32>
// CHECK-NOT:   arith.addf
// CHECK:       %[[Y:.+]] = ffn.mlp(%[[X]], %{{.+}}) {ffn.applied = ["repavit-reparam"], ffn.report_id = 7 : i64}
// CHECK-NEXT:  ^bb0(%[[A:[^:]+]]: tensor<3x2xf32>, %[[W1A:[^:]+]]: tensor<2x2xf32>, %[[B1A:[^:]+]]: tensor<2xf32>, %[[W2A:[^:]+]]: tensor<2x2xf32>, %[[C:[^:]+]]: tensor<2xf32>, %[[M:[^:]+]]: tensor<2x2xf32>):
// CHECK-NEXT:    %[[H:.+]] = ffn.linear %[[A]], %[[W1A]], %[[B1A]] : (tensor<3x2xf32>, tensor<2x2xf32>, tensor<2xf32>) -> tensor<3x2xf32>
// CHECK-NEXT:    %[[G:.+]] = ffn.gelu %[[H]] : tensor<3x2xf32>
// CHECK-NEXT:    %[[L:.+]] = ffn.linear %[[A]], %[[M]] : (tensor<3x2xf32>, tensor<2x2xf32>) -> tensor<3x2xf32>
// CHECK-NEXT:    %[[O:.+]] = ffn.linear %[[G]], %[[W2A]], %[[C]] :
// CHECK-NEXT:    %[[S:.+]] = arith.addf %[[O]], %[[L]] : tensor<3x2xf32>
// CHECK-NEXT:    ffn.yield %[[S]]
// CHECK:       return %[[Y]]
// CHECK-DAG:   repavit_linear_branch: "0x04000000000040400000000000000000{{0+}}4040"
// CHECK-DAG:   repavit_bias: "0x040000000000204000002040"
func.func @residual(%x: tensor<3x2xf32>) -> tensor<3x2xf32> {
  %w1 = arith.constant dense<[[1.0, 0.0], [0.0, 1.0], [1.0, 0.0], [0.0, 1.0]]> : tensor<4x2xf32>
  %b1 = arith.constant dense<[0.0, 0.0, 1.0, 1.0]> : tensor<4xf32>
  %w2 = arith.constant dense<[[1.0, 0.0, 2.0, 0.0], [0.0, 1.0, 0.0, 2.0]]> : tensor<2x4xf32>
  %b2 = arith.constant dense<[0.5, 0.5]> : tensor<2xf32>
  %y = ffn.mlp(%x, %w1, %b1, %w2, %b2) {ffn.report_id = 7 : i64} : (tensor<3x2xf32>, tensor<4x2xf32>, tensor<4xf32>, tensor<2x4xf32>, tensor<2xf32>) -> tensor<3x2xf32> {
  ^bb0(%a: tensor<3x2xf32>, %p1: tensor<4x2xf32>, %q1: tensor<4xf32>, %p2: tensor<2x4xf32>, %q2: tensor<2xf32>):
    %h = ffn.linear %a, %p1, %q1 : (tensor<3x2xf32>, tensor<4x2xf32>, tensor<4xf32>) -> tensor<3x4xf32>
    %s0 = tensor.extract_slice %h[0, 0] [3, 2] [1, 1] : tensor<3x4xf32> to tensor<3x2xf32>
    %s1 = tensor.extract_slice %h[0, 2] [3, 2] [1, 1] : tensor<3x4xf32> to tensor<3x2xf32>
    %g = ffn.gelu %s0 : tensor<3x2xf32>
    %e = tensor.empty() : tensor<3x4xf32>
    %c0 = tensor.insert_slice %g into %e[0, 0] [3, 2] [1, 1] : tensor<3x2xf32> into tensor<3x4xf32>
    %c1 = tensor.insert_slice %s1 into %c0[0, 2] [3, 2] [1, 1] : tensor<3x2xf32> into tensor<3x4xf32>
    %o = ffn.linear %c1, %p2, %q2 : (tensor<3x4xf32>, tensor<2x4xf32>, tensor<2xf32>) -> tensor<3x2xf32>
    ffn.yield %o : tensor<3x2xf32>
  }
  %r = arith.addf %x, %y : tensor<3x2xf32>
  return %r : tensor<3x2xf32>
}

// -----

// Without a residual (and with the join written as tensor.concat, the idle
// run first): M = W2l W1l = 2I, no bias anywhere.
// CHECK-LABEL: func.func @no_residual
// CHECK:       %[[Y:.+]] = ffn.mlp(%{{.+}}) {ffn.applied = ["repavit-reparam"]}
// CHECK:         ffn.linear %{{.+}}, %{{.+}} : (tensor<3x2xf32>, tensor<2x2xf32>) -> tensor<3x2xf32>
// CHECK:         ffn.relu
// CHECK:         arith.addf
// CHECK:       %[[R:.+]] = arith.mulf %[[Y]], %[[Y]]
// CHECK:       return %[[R]]
// CHECK-DAG:   repavit_linear_branch: "0x04000000000000400000000000000000{{0+}}0040"
func.func @no_residual(%x: tensor<3x2xf32>) -> tensor<3x2xf32> {
  %w1 = arith.constant dense<[[1.0, 0.0], [0.0, 1.0], [1.0, 0.0], [0.0, 1.0]]> : tensor<4x2xf32>
  %w2 = arith.constant dense<[[2.0, 0.0, 1.0, 0.0], [0.0, 2.0, 0.0, 1.0]]> : tensor<2x4xf32>
  %y = ffn.mlp(%x, %w1, %w2) : (tensor<3x2xf32>, tensor<4x2xf32>, tensor<2x4xf32>) -> tensor<3x2xf32> {
  ^bb0(%a: tensor<3x2xf32>, %p1: tensor<4x2xf32>, %p2: tensor<2x4xf32>):
    %h = ffn.linear %a, %p1 : (tensor<3x2xf32>, tensor<4x2xf32>) -> tensor<3x4xf32>
    %s0 = tensor.extract_slice %h[0, 0] [3, 2] [1, 1] : tensor<3x4xf32> to tensor<3x2xf32>
    %s1 = tensor.extract_slice %h[0, 2] [3, 2] [1, 1] : tensor<3x4xf32> to tensor<3x2xf32>
    %g = ffn.relu %s0 : tensor<3x2xf32>
    %c = tensor.concat dim(1) %s1, %g : (tensor<3x2xf32>, tensor<3x2xf32>) -> tensor<3x4xf32>
    %o = ffn.linear %c, %p2 : (tensor<3x4xf32>, tensor<2x4xf32>) -> tensor<3x2xf32>
    ffn.yield %o : tensor<3x2xf32>
  }
  %r = arith.mulf %y, %y : tensor<3x2xf32>
  return %r : tensor<3x2xf32>
}

// -----

// Active channels in two runs (0 and 3, idle 1-2): not one contiguous run.
// CHECK-LABEL: func.func @non_contiguous
// CHECK-NOT:   repavit-reparam
// CHECK:       tensor.insert_slice
// REMARK: remark: ffn-repavit-reparam: the active (or idle) channels are not one contiguous run
func.func @non_contiguous(%x: tensor<3x2xf32>) -> tensor<3x2xf32> {
  %w1 = arith.constant dense<1.0> : tensor<4x2xf32>
  %w2 = arith.constant dense<1.0> : tensor<2x4xf32>
  %y = ffn.mlp(%x, %w1, %w2) : (tensor<3x2xf32>, tensor<4x2xf32>, tensor<2x4xf32>) -> tensor<3x2xf32> {
  ^bb0(%a: tensor<3x2xf32>, %p1: tensor<4x2xf32>, %p2: tensor<2x4xf32>):
    %h = ffn.linear %a, %p1 : (tensor<3x2xf32>, tensor<4x2xf32>) -> tensor<3x4xf32>
    %s0 = tensor.extract_slice %h[0, 0] [3, 1] [1, 1] : tensor<3x4xf32> to tensor<3x1xf32>
    %s1 = tensor.extract_slice %h[0, 1] [3, 2] [1, 1] : tensor<3x4xf32> to tensor<3x2xf32>
    %s2 = tensor.extract_slice %h[0, 3] [3, 1] [1, 1] : tensor<3x4xf32> to tensor<3x1xf32>
    %g0 = ffn.gelu %s0 : tensor<3x1xf32>
    %g2 = ffn.gelu %s2 : tensor<3x1xf32>
    %e = tensor.empty() : tensor<3x4xf32>
    %c0 = tensor.insert_slice %g0 into %e[0, 0] [3, 1] [1, 1] : tensor<3x1xf32> into tensor<3x4xf32>
    %c1 = tensor.insert_slice %s1 into %c0[0, 1] [3, 2] [1, 1] : tensor<3x2xf32> into tensor<3x4xf32>
    %c2 = tensor.insert_slice %g2 into %c1[0, 3] [3, 1] [1, 1] : tensor<3x1xf32> into tensor<3x4xf32>
    %o = ffn.linear %c2, %p2 : (tensor<3x4xf32>, tensor<2x4xf32>) -> tensor<3x2xf32>
    ffn.yield %o : tensor<3x2xf32>
  }
  return %y : tensor<3x2xf32>
}

// -----

// The up projection's weight is a function argument, not a constant.
// CHECK-LABEL: func.func @non_constant_weight
// CHECK-NOT:   repavit-reparam
// CHECK:       tensor.concat
// REMARK: remark: ffn-repavit-reparam: a weight or bias is not a static f32 constant
func.func @non_constant_weight(%x: tensor<3x2xf32>, %w1: tensor<4x2xf32>) -> tensor<3x2xf32> {
  %w2 = arith.constant dense<1.0> : tensor<2x4xf32>
  %y = ffn.mlp(%x, %w1, %w2) : (tensor<3x2xf32>, tensor<4x2xf32>, tensor<2x4xf32>) -> tensor<3x2xf32> {
  ^bb0(%a: tensor<3x2xf32>, %p1: tensor<4x2xf32>, %p2: tensor<2x4xf32>):
    %h = ffn.linear %a, %p1 : (tensor<3x2xf32>, tensor<4x2xf32>) -> tensor<3x4xf32>
    %s0 = tensor.extract_slice %h[0, 0] [3, 1] [1, 1] : tensor<3x4xf32> to tensor<3x1xf32>
    %s1 = tensor.extract_slice %h[0, 1] [3, 3] [1, 1] : tensor<3x4xf32> to tensor<3x3xf32>
    %g = ffn.gelu %s0 : tensor<3x1xf32>
    %c = tensor.concat dim(1) %g, %s1 : (tensor<3x1xf32>, tensor<3x3xf32>) -> tensor<3x4xf32>
    %o = ffn.linear %c, %p2 : (tensor<3x4xf32>, tensor<2x4xf32>) -> tensor<3x2xf32>
    ffn.yield %o : tensor<3x2xf32>
  }
  %r = arith.addf %x, %y : tensor<3x2xf32>
  return %r : tensor<3x2xf32>
}

// -----

// The activation has a second user in the block (the block's result adds
// it back), so the activated branch is not private to the FFN.
// CHECK-LABEL: func.func @other_user
// CHECK-NOT:   repavit-reparam
// CHECK:       tensor.concat
// REMARK: remark: ffn-repavit-reparam: the block's result is not produced by an ffn.linear
func.func @other_user(%x: tensor<3x2xf32>) -> tensor<3x2xf32> {
  %w1 = arith.constant dense<1.0> : tensor<4x2xf32>
  %w2 = arith.constant dense<1.0> : tensor<2x4xf32>
  %y = ffn.mlp(%x, %w1, %w2) : (tensor<3x2xf32>, tensor<4x2xf32>, tensor<2x4xf32>) -> tensor<3x2xf32> {
  ^bb0(%a: tensor<3x2xf32>, %p1: tensor<4x2xf32>, %p2: tensor<2x4xf32>):
    %h = ffn.linear %a, %p1 : (tensor<3x2xf32>, tensor<4x2xf32>) -> tensor<3x4xf32>
    %s0 = tensor.extract_slice %h[0, 0] [3, 2] [1, 1] : tensor<3x4xf32> to tensor<3x2xf32>
    %s1 = tensor.extract_slice %h[0, 2] [3, 2] [1, 1] : tensor<3x4xf32> to tensor<3x2xf32>
    %g = ffn.gelu %s0 : tensor<3x2xf32>
    %c = tensor.concat dim(1) %g, %s1 : (tensor<3x2xf32>, tensor<3x2xf32>) -> tensor<3x4xf32>
    %o = ffn.linear %c, %p2 : (tensor<3x4xf32>, tensor<2x4xf32>) -> tensor<3x2xf32>
    %sum = arith.addf %o, %g : tensor<3x2xf32>
    ffn.yield %sum : tensor<3x2xf32>
  }
  return %y : tensor<3x2xf32>
}

// -----

// The idle run also feeds another linear (whose first row becomes the down
// projection's bias): an inner value with another user.
// CHECK-LABEL: func.func @other_user_inner
// CHECK-NOT:   repavit-reparam
// CHECK:       tensor.concat
// REMARK: remark: ffn-repavit-reparam: a slice of the hidden value has other users
func.func @other_user_inner(%x: tensor<3x2xf32>) -> tensor<3x2xf32> {
  %w1 = arith.constant dense<1.0> : tensor<4x2xf32>
  %w2 = arith.constant dense<1.0> : tensor<2x4xf32>
  %w3 = arith.constant dense<1.0> : tensor<2x2xf32>
  %y = ffn.mlp(%x, %w1, %w2, %w3) : (tensor<3x2xf32>, tensor<4x2xf32>, tensor<2x4xf32>, tensor<2x2xf32>) -> tensor<3x2xf32> {
  ^bb0(%a: tensor<3x2xf32>, %p1: tensor<4x2xf32>, %p2: tensor<2x4xf32>, %p3: tensor<2x2xf32>):
    %h = ffn.linear %a, %p1 : (tensor<3x2xf32>, tensor<4x2xf32>) -> tensor<3x4xf32>
    %s0 = tensor.extract_slice %h[0, 0] [3, 2] [1, 1] : tensor<3x4xf32> to tensor<3x2xf32>
    %s1 = tensor.extract_slice %h[0, 2] [3, 2] [1, 1] : tensor<3x4xf32> to tensor<3x2xf32>
    %g = ffn.gelu %s0 : tensor<3x2xf32>
    %side = ffn.linear %s1, %p3 : (tensor<3x2xf32>, tensor<2x2xf32>) -> tensor<3x2xf32>
    %row = tensor.extract_slice %side[0, 0] [1, 2] [1, 1] : tensor<3x2xf32> to tensor<2xf32>
    %c = tensor.concat dim(1) %g, %s1 : (tensor<3x2xf32>, tensor<3x2xf32>) -> tensor<3x4xf32>
    %o = ffn.linear %c, %p2, %row : (tensor<3x4xf32>, tensor<2x4xf32>, tensor<2xf32>) -> tensor<3x2xf32>
    ffn.yield %o : tensor<3x2xf32>
  }
  return %y : tensor<3x2xf32>
}
