// RUN: ffn-opt %s -ffn-permute-neurons -split-input-file | FileCheck %s
// RUN: ffn-opt %s -ffn-permute-neurons=remark-failures -split-input-file -o /dev/null 2>&1 \
// RUN:   | FileCheck %s --check-prefix=REMARK
// RUN: ffn-opt %s -ffn-permute-neurons=score=none -split-input-file | FileCheck %s --check-prefix=NONE

// Resource blobs are the alignment header 0x04000000 then little-endian f32
// values (0 = 00000000, 1.0 = 0000803F, 2.0 = 00000040, 3.0 = 00004040,
// 4.0 = 00008040).

// NONE-NOT: ffn.neuron_importance
// NONE-NOT: permute-neurons

// Encoder, H = 3. Row norms of W1: 1, 5, 2; column norms of W2: 1, 1, 2;
// scores 1, 5, 4: the new order is neurons 1, 2, 0. W1 rows, b1 and W2
// columns move together; b2 does not.
// CHECK-LABEL: func.func @encoder
// CHECK-DAG:   %[[W1:.+]] = arith.constant dense_resource<[[N1:permuted_weight[_0-9]*]]> : tensor<3x2xf32>
// CHECK-DAG:   %[[B1:.+]] = arith.constant dense_resource<[[NB:permuted_weight[_0-9]*]]> : tensor<3xf32>
// CHECK-DAG:   %[[W2:.+]] = arith.constant dense_resource<[[N2:permuted_weight[_0-9]*]]> : tensor<2x3xf32>
// CHECK-DAG:   %[[B2:.+]] = arith.constant dense<5.000000e-01> : tensor<2xf32>
// CHECK:       ffn.mlp(%{{[^,]+}}, %[[W1]], %[[B1]], %[[W2]], %[[B2]]) {ffn.applied = ["permute-neurons"], ffn.neuron_importance = dense<[5.000000e+00, 4.000000e+00, 1.000000e+00]> : tensor<3xf32>, ffn.neuron_order = array<i64: 1, 2, 0>}
// CHECK-DAG:   [[N1]]: "0x04000000000040400000804000000000000000400000803F00000000"
// CHECK-DAG:   [[NB]]: "0x0400000000000040000040400000803F"
// CHECK-DAG:   [[N2]]: "0x0400000000000000000000400000803F0000803F0000000000000000"
func.func @encoder(%x: tensor<4x2xf32>) -> tensor<4x2xf32> {
  %w1 = arith.constant dense<[[1.0, 0.0], [3.0, 4.0], [0.0, 2.0]]> : tensor<3x2xf32>
  %b1 = arith.constant dense<[1.0, 2.0, 3.0]> : tensor<3xf32>
  %w2 = arith.constant dense<[[1.0, 0.0, 2.0], [0.0, 1.0, 0.0]]> : tensor<2x3xf32>
  %b2 = arith.constant dense<0.5> : tensor<2xf32>
  %y = ffn.mlp(%x, %w1, %b1, %w2, %b2) : (tensor<4x2xf32>, tensor<3x2xf32>, tensor<3xf32>, tensor<2x3xf32>, tensor<2xf32>) -> tensor<4x2xf32> {
  ^bb0(%a: tensor<4x2xf32>, %p1: tensor<3x2xf32>, %q1: tensor<3xf32>, %p2: tensor<2x3xf32>, %q2: tensor<2xf32>):
    %h = ffn.linear %a, %p1, %q1 : (tensor<4x2xf32>, tensor<3x2xf32>, tensor<3xf32>) -> tensor<4x3xf32>
    %g = ffn.gelu %h : tensor<4x3xf32>
    %o = ffn.linear %g, %p2, %q2 : (tensor<4x3xf32>, tensor<2x3xf32>, tensor<2xf32>) -> tensor<4x2xf32>
    ffn.yield %o : tensor<4x2xf32>
  }
  return %y : tensor<4x2xf32>
}

// -----

// Gated, product in the (up, act) order. Row norms of Wg: 1, 1, 2; of Wu:
// 1, 2, 1; column norms of Wd: 3, 1, 1; scores 3, 2, 2: the order is kept
// for the tie (1 before 2) and neuron 0 stays first: nothing moves.
// CHECK-LABEL: func.func @gated_in_order
// CHECK:       ffn.mlp({{.+}}) {ffn.neuron_importance = dense<[3.000000e+00, 2.000000e+00, 2.000000e+00]> : tensor<3xf32>}
// CHECK-NOT:   permuted_weight
// CHECK:       return
func.func @gated_in_order(%x: tensor<4x2xf32>) -> tensor<4x2xf32> {
  %wg = arith.constant dense<[[1.0, 0.0], [0.0, 1.0], [0.0, 2.0]]> : tensor<3x2xf32>
  %wu = arith.constant dense<[[1.0, 0.0], [2.0, 0.0], [0.0, 1.0]]> : tensor<3x2xf32>
  %wd = arith.constant dense<[[3.0, 1.0, 0.0], [0.0, 0.0, 1.0]]> : tensor<2x3xf32>
  %y = ffn.mlp(%x, %wg, %wu, %wd) : (tensor<4x2xf32>, tensor<3x2xf32>, tensor<3x2xf32>, tensor<2x3xf32>) -> tensor<4x2xf32> {
  ^bb0(%a: tensor<4x2xf32>, %pg: tensor<3x2xf32>, %pu: tensor<3x2xf32>, %pd: tensor<2x3xf32>):
    %hg = ffn.linear %a, %pg : (tensor<4x2xf32>, tensor<3x2xf32>) -> tensor<4x3xf32>
    %hu = ffn.linear %a, %pu : (tensor<4x2xf32>, tensor<3x2xf32>) -> tensor<4x3xf32>
    %s = ffn.silu %hg : tensor<4x3xf32>
    %m = arith.mulf %hu, %s : tensor<4x3xf32>
    %o = ffn.linear %m, %pd : (tensor<4x3xf32>, tensor<2x3xf32>) -> tensor<4x2xf32>
    ffn.yield %o : tensor<4x2xf32>
  }
  return %y : tensor<4x2xf32>
}

// -----

// Gated: the scores are 1, 2, 4 (Wd's columns): the order is reversed. The
// gate and up rows and the down columns follow the same order.
// CHECK-LABEL: func.func @gated
// CHECK-DAG:   %[[WG:.+]] = arith.constant dense_resource<[[NG:permuted_weight[_0-9]*]]> : tensor<3x2xf32>
// CHECK-DAG:   %[[WU:.+]] = arith.constant dense_resource<[[NU:permuted_weight[_0-9]*]]> : tensor<3x2xf32>
// CHECK-DAG:   %[[WD:.+]] = arith.constant dense_resource<[[ND:permuted_weight[_0-9]*]]> : tensor<2x3xf32>
// CHECK:       ffn.mlp(%{{[^,]+}}, %[[WG]], %[[WU]], %[[WD]]) {ffn.applied = ["permute-neurons"], ffn.neuron_importance = dense<[4.000000e+00, 2.000000e+00, 1.000000e+00]> : tensor<3xf32>, ffn.neuron_order = array<i64: 2, 1, 0>}
// CHECK-DAG:   [[NG]]: "0x040000000000803F00000000000000000000803F0000803F00000000"
// CHECK-DAG:   [[NU]]: "0x04000000000000000000803F00000000000000400000803F00000000"
// CHECK-DAG:   [[ND]]: "0x04000000000080400000803F0000803F000000000000000000000000"
func.func @gated(%x: tensor<4x2xf32>) -> tensor<4x2xf32> {
  %wg = arith.constant dense<[[1.0, 0.0], [0.0, 1.0], [1.0, 0.0]]> : tensor<3x2xf32>
  %wu = arith.constant dense<[[1.0, 0.0], [0.0, 2.0], [0.0, 1.0]]> : tensor<3x2xf32>
  %wd = arith.constant dense<[[1.0, 1.0, 4.0], [0.0, 0.0, 0.0]]> : tensor<2x3xf32>
  %y = ffn.mlp(%x, %wg, %wu, %wd) : (tensor<4x2xf32>, tensor<3x2xf32>, tensor<3x2xf32>, tensor<2x3xf32>) -> tensor<4x2xf32> {
  ^bb0(%a: tensor<4x2xf32>, %pg: tensor<3x2xf32>, %pu: tensor<3x2xf32>, %pd: tensor<2x3xf32>):
    %hg = ffn.linear %a, %pg : (tensor<4x2xf32>, tensor<3x2xf32>) -> tensor<4x3xf32>
    %hu = ffn.linear %a, %pu : (tensor<4x2xf32>, tensor<3x2xf32>) -> tensor<4x3xf32>
    %s = ffn.silu %hg : tensor<4x3xf32>
    %m = arith.mulf %s, %hu : tensor<4x3xf32>
    %o = ffn.linear %m, %pd : (tensor<4x3xf32>, tensor<2x3xf32>) -> tensor<4x2xf32>
    ffn.yield %o : tensor<4x2xf32>
  }
  return %y : tensor<4x2xf32>
}

// -----

// Weights that are not constants: nothing to permute at compile time.
// CHECK-LABEL: func.func @not_constant
// CHECK-NOT:   ffn.neuron_importance
// CHECK:       return
// REMARK: remark: ffn-permute-neurons: a weight or bias is not a static f32 constant
func.func @not_constant(%x: tensor<4x2xf32>, %w1: tensor<3x2xf32>, %w2: tensor<2x3xf32>) -> tensor<4x2xf32> {
  %y = ffn.mlp(%x, %w1, %w2) : (tensor<4x2xf32>, tensor<3x2xf32>, tensor<2x3xf32>) -> tensor<4x2xf32> {
  ^bb0(%a: tensor<4x2xf32>, %p1: tensor<3x2xf32>, %p2: tensor<2x3xf32>):
    %h = ffn.linear %a, %p1 : (tensor<4x2xf32>, tensor<3x2xf32>) -> tensor<4x3xf32>
    %g = ffn.relu %h : tensor<4x3xf32>
    %o = ffn.linear %g, %p2 : (tensor<4x3xf32>, tensor<2x3xf32>) -> tensor<4x2xf32>
    ffn.yield %o : tensor<4x2xf32>
  }
  return %y : tensor<4x2xf32>
}

// -----

// A channel-idle form: the activation covers only some hidden channels, so
// their order matters. The block is of no kind the pass knows.
// CHECK-LABEL: func.func @channel_idle
// CHECK-NOT:   ffn.neuron_importance
// CHECK:       return
// REMARK: remark: ffn-permute-neurons: the block is neither an encoder nor a gated FFN
func.func @channel_idle(%x: tensor<4x2xf32>) -> tensor<4x2xf32> {
  %w1 = arith.constant dense<[[1.0, 0.0], [3.0, 4.0], [0.0, 2.0], [1.0, 1.0]]> : tensor<4x2xf32>
  %w2 = arith.constant dense<[[1.0, 0.0, 2.0, 1.0], [0.0, 1.0, 0.0, 1.0]]> : tensor<2x4xf32>
  %y = ffn.mlp(%x, %w1, %w2) : (tensor<4x2xf32>, tensor<4x2xf32>, tensor<2x4xf32>) -> tensor<4x2xf32> {
  ^bb0(%a: tensor<4x2xf32>, %p1: tensor<4x2xf32>, %p2: tensor<2x4xf32>):
    %h = ffn.linear %a, %p1 : (tensor<4x2xf32>, tensor<4x2xf32>) -> tensor<4x4xf32>
    %ha = tensor.extract_slice %h[0, 0] [4, 1] [1, 1] : tensor<4x4xf32> to tensor<4x1xf32>
    %hl = tensor.extract_slice %h[0, 1] [4, 3] [1, 1] : tensor<4x4xf32> to tensor<4x3xf32>
    %g = ffn.gelu %ha : tensor<4x1xf32>
    %c = tensor.concat dim(1) %g, %hl : (tensor<4x1xf32>, tensor<4x3xf32>) -> tensor<4x4xf32>
    %o = ffn.linear %c, %p2 : (tensor<4x4xf32>, tensor<2x4xf32>) -> tensor<4x2xf32>
    ffn.yield %o : tensor<4x2xf32>
  }
  return %y : tensor<4x2xf32>
}

// -----

// The up projection's result has a second user in the block (counted as an
// encoder by its ops, but not linear -> activation -> linear).
// CHECK-LABEL: func.func @extra_user
// CHECK-NOT:   ffn.neuron_importance
// CHECK:       return
// REMARK: remark: ffn-permute-neurons: the block is not linear -> activation -> linear
func.func @extra_user(%x: tensor<4x2xf32>) -> tensor<4x2xf32> {
  %w1 = arith.constant dense<[[1.0, 0.0], [3.0, 4.0]]> : tensor<2x2xf32>
  %w2 = arith.constant dense<[[1.0, 0.0], [0.0, 2.0]]> : tensor<2x2xf32>
  %y = ffn.mlp(%x, %w1, %w2) : (tensor<4x2xf32>, tensor<2x2xf32>, tensor<2x2xf32>) -> tensor<4x2xf32> {
  ^bb0(%a: tensor<4x2xf32>, %p1: tensor<2x2xf32>, %p2: tensor<2x2xf32>):
    %h = ffn.linear %a, %p1 : (tensor<4x2xf32>, tensor<2x2xf32>) -> tensor<4x2xf32>
    %g = ffn.gelu %h : tensor<4x2xf32>
    %e = arith.addf %h, %g : tensor<4x2xf32>
    %o = ffn.linear %e, %p2 : (tensor<4x2xf32>, tensor<2x2xf32>) -> tensor<4x2xf32>
    ffn.yield %o : tensor<4x2xf32>
  }
  return %y : tensor<4x2xf32>
}

// -----

// The up weight is also read by a second linear of the block.
// CHECK-LABEL: func.func @weight_used_twice
// CHECK-NOT:   ffn.neuron_importance
// CHECK:       return
// REMARK: remark: ffn-permute-neurons: a weight or bias is used more than once in the block
func.func @weight_used_twice(%x: tensor<4x3xf32>) -> tensor<4x3xf32> {
  %w = arith.constant dense<[[1.0, 0.0, 1.0], [3.0, 4.0, 0.0], [0.0, 2.0, 1.0]]> : tensor<3x3xf32>
  %y = ffn.mlp(%x, %w) : (tensor<4x3xf32>, tensor<3x3xf32>) -> tensor<4x3xf32> {
  ^bb0(%a: tensor<4x3xf32>, %p: tensor<3x3xf32>):
    %h = ffn.linear %a, %p : (tensor<4x3xf32>, tensor<3x3xf32>) -> tensor<4x3xf32>
    %g = ffn.gelu %h : tensor<4x3xf32>
    %o = ffn.linear %g, %p : (tensor<4x3xf32>, tensor<3x3xf32>) -> tensor<4x3xf32>
    ffn.yield %o : tensor<4x3xf32>
  }
  return %y : tensor<4x3xf32>
}
