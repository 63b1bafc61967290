// RUN: ffn-opt %s -ffn-permute-neurons -ffn-width-slice=widths=0.34 | FileCheck %s

// Gated, H = 3, sorted first (scores 1, 4, 2: order 1, 2, 0). A third of
// the width keeps one neuron, the most important (old neuron 1): rows of
// Wg and Wu and the column of Wd; the product and activation shrink too,
// and the importance attribute keeps its first score.
// CHECK-LABEL: func.func @gated
// CHECK:       ffn.mlp({{.+}}) {ffn.applied = ["permute-neurons", "width-slice"], ffn.neuron_importance = dense<4.000000e+00> : tensor<1xf32>, ffn.neuron_order = array<i64: 1>, ffn.rel_error = {{.+}} : f64}
// CHECK:         %[[G:.+]] = ffn.linear {{.+}} -> tensor<4x1xf32>
// CHECK:         %[[U:.+]] = ffn.linear {{.+}} -> tensor<4x1xf32>
// CHECK:         ffn.silu %[[G]] : tensor<4x1xf32>
// CHECK:         arith.mulf {{.+}} : tensor<4x1xf32>
// CHECK:         ffn.linear {{.+}} : (tensor<4x1xf32>, tensor<2x1xf32>) -> tensor<4x2xf32>
func.func @gated(%x: tensor<4x2xf32>) -> tensor<4x2xf32> {
  %wg = arith.constant dense<[[1.0, 0.0], [0.0, 2.0], [0.0, 1.0]]> : tensor<3x2xf32>
  %wu = arith.constant dense<[[1.0, 0.0], [2.0, 0.0], [0.0, 2.0]]> : tensor<3x2xf32>
  %wd = arith.constant dense<[[1.0, 1.0, 0.0], [0.0, 0.0, 1.0]]> : tensor<2x3xf32>
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
