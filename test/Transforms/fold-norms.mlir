// RUN: ffn-opt %s -ffn-fold-norms -split-input-file | FileCheck %s
// RUN: ffn-opt %s -ffn-fold-norms=remark-failures -split-input-file -o /dev/null 2>&1 \
// RUN:   | FileCheck %s --check-prefix=REMARK

// Folded values are checked on small hand-computable cases: a resource blob
// is the alignment header 0x04000000 then little-endian f32 values
// (1.0 = 0000803F, 2.0 = 00000040, 3.0 = 00004040, 6.0 = 0000C040,
// -0.5 = 000000BF, -0.75 = 000040BF, 0.5 = 0000003F).

//===----------------------------------------------------------------------===//
// LayerNorm / RMSNorm affine
//===----------------------------------------------------------------------===//

// W' = W diag(g) = [[2, 1], [6, 2]]; c' = c + W b = [0.5 - 1, 0.25 - 1].
// CHECK-LABEL: func.func @layer_norm_encoder
// CHECK-SAME:    %[[X:[^:]+]]: tensor<3x2xf32>
// CHECK-DAG:   %[[W1:.+]] = arith.constant dense_resource<folded_weight> : tensor<2x2xf32>
// CHECK-DAG:   %[[B1:.+]] = arith.constant dense_resource<folded_bias> : tensor<2xf32>
// CHECK:       %[[N:.+]] = ffn.layer_norm %[[X]] : (tensor<3x2xf32>) -> tensor<3x2xf32>
// CHECK:       ffn.mlp(%[[N]], %{{.+}}, %{{.+}}, %[[W1]], %[[B1]]) {ffn.applied = ["fold-norms"]}
// CHECK-NEXT:  ^bb0(%[[A:[^:]+]]: tensor<3x2xf32>, %[[P2:[^:]+]]: tensor<2x2xf32>, %[[Q2:[^:]+]]: tensor<2xf32>, %[[P1:[^:]+]]: tensor<2x2xf32>, %[[Q1:[^:]+]]: tensor<2xf32>):
// CHECK-NEXT:    ffn.linear %[[A]], %[[P1]], %[[Q1]]
// CHECK:         ffn.linear %{{.+}}, %[[P2]], %[[Q2]]
// CHECK-DAG:   folded_weight: "0x04000000000000400000803F0000C04000000040"
// CHECK-DAG:   folded_bias: "0x04000000000000BF000040BF"
func.func @layer_norm_encoder(%x: tensor<3x2xf32>) -> tensor<3x2xf32> {
  %g = arith.constant dense<[2.0, 0.5]> : tensor<2xf32>
  %b = arith.constant dense<[1.0, -1.0]> : tensor<2xf32>
  %w1 = arith.constant dense<[[1.0, 2.0], [3.0, 4.0]]> : tensor<2x2xf32>
  %b1 = arith.constant dense<[0.5, 0.25]> : tensor<2xf32>
  %w2 = arith.constant dense<[[1.0, 0.0], [0.0, 1.0]]> : tensor<2x2xf32>
  %b2 = arith.constant dense<[0.0, 1.0]> : tensor<2xf32>
  %n = ffn.layer_norm %x scale %g bias %b {epsilon = 1.0e-05 : f32} : (tensor<3x2xf32>, tensor<2xf32>, tensor<2xf32>) -> tensor<3x2xf32>
  %y = ffn.mlp(%n, %w1, %b1, %w2, %b2) : (tensor<3x2xf32>, tensor<2x2xf32>, tensor<2xf32>, tensor<2x2xf32>, tensor<2xf32>) -> tensor<3x2xf32> {
  ^bb0(%a: tensor<3x2xf32>, %p1: tensor<2x2xf32>, %q1: tensor<2xf32>, %p2: tensor<2x2xf32>, %q2: tensor<2xf32>):
    %h = ffn.linear %a, %p1, %q1 : (tensor<3x2xf32>, tensor<2x2xf32>, tensor<2xf32>) -> tensor<3x2xf32>
    %r = ffn.gelu %h : tensor<3x2xf32>
    %o = ffn.linear %r, %p2, %q2 : (tensor<3x2xf32>, tensor<2x2xf32>, tensor<2xf32>) -> tensor<3x2xf32>
    ffn.yield %o : tensor<3x2xf32>
  }
  return %y : tensor<3x2xf32>
}

// -----

// Gated: the scale folds into both the gate and the up projection; there is
// no bias to create. The down projection keeps its weight.
// CHECK-LABEL: func.func @rms_norm_gated
// CHECK:       %[[N:.+]] = ffn.rms_norm %{{[^ ]+}} {epsilon
// CHECK:       ffn.mlp(%[[N]], %[[WD:[^,]+]], %[[WG:[^,]+]], %[[WU:[^)]+]]) {ffn.applied = ["fold-norms"]}
// CHECK-NEXT:  ^bb0(%[[A:[^:]+]]: tensor<4x8xf32>, %[[PD:[^:]+]]: tensor<8x16xf32>, %[[PG:[^:]+]]: tensor<16x8xf32>, %[[PU:[^:]+]]: tensor<16x8xf32>):
// CHECK-NEXT:    %[[G:.+]] = ffn.linear %[[A]], %[[PG]] :
// CHECK-NEXT:    %[[U:.+]] = ffn.linear %[[A]], %[[PU]] :
// CHECK:         ffn.linear %{{.+}}, %[[PD]] :
// CHECK-DAG:   folded_weight: "0x04000000{{(00004040)+}}"
// CHECK-DAG:   folded_weight_1: "0x04000000{{(00000040)+}}"
func.func @rms_norm_gated(%x: tensor<4x8xf32>) -> tensor<4x8xf32> {
  %g = arith.constant dense<2.0> : tensor<8xf32>
  %wg = arith.constant dense<1.5> : tensor<16x8xf32>
  %wu = arith.constant dense<1.0> : tensor<16x8xf32>
  %wd = arith.constant dense<0.1> : tensor<8x16xf32>
  %n = ffn.rms_norm %x scale %g {epsilon = 1.0e-06 : f32} : (tensor<4x8xf32>, tensor<8xf32>) -> tensor<4x8xf32>
  %y = ffn.mlp(%n, %wg, %wu, %wd) : (tensor<4x8xf32>, tensor<16x8xf32>, tensor<16x8xf32>, tensor<8x16xf32>) -> tensor<4x8xf32> {
  ^bb0(%a: tensor<4x8xf32>, %pg: tensor<16x8xf32>, %pu: tensor<16x8xf32>, %pd: tensor<8x16xf32>):
    %hg = ffn.linear %a, %pg : (tensor<4x8xf32>, tensor<16x8xf32>) -> tensor<4x16xf32>
    %hu = ffn.linear %a, %pu : (tensor<4x8xf32>, tensor<16x8xf32>) -> tensor<4x16xf32>
    %s = ffn.silu %hg : tensor<4x16xf32>
    %m = arith.mulf %s, %hu : tensor<4x16xf32>
    %o = ffn.linear %m, %pd : (tensor<4x16xf32>, tensor<8x16xf32>) -> tensor<4x8xf32>
    ffn.yield %o : tensor<4x8xf32>
  }
  %r = arith.addf %x, %y : tensor<4x8xf32>
  return %r : tensor<4x8xf32>
}

// -----

// LayerNorm in front of a gated FFN without biases: a bias is created for
// both projections.
// CHECK-LABEL: func.func @layer_norm_gated_creates_bias
// CHECK:       ffn.mlp
// CHECK-NEXT:  ^bb0
// CHECK-NEXT:    ffn.linear %{{[^,]+}}, %{{[^,]+}}, %{{[^ ]+}} : (tensor<4x8xf32>, tensor<16x8xf32>, tensor<16xf32>)
// CHECK-NEXT:    ffn.linear %{{[^,]+}}, %{{[^,]+}}, %{{[^ ]+}} : (tensor<4x8xf32>, tensor<16x8xf32>, tensor<16xf32>)
func.func @layer_norm_gated_creates_bias(%x: tensor<4x8xf32>) -> tensor<4x8xf32> {
  %g = arith.constant dense<2.0> : tensor<8xf32>
  %b = arith.constant dense<0.5> : tensor<8xf32>
  %wg = arith.constant dense<1.5> : tensor<16x8xf32>
  %wu = arith.constant dense<1.0> : tensor<16x8xf32>
  %wd = arith.constant dense<0.1> : tensor<8x16xf32>
  %n = ffn.layer_norm %x scale %g bias %b : (tensor<4x8xf32>, tensor<8xf32>, tensor<8xf32>) -> tensor<4x8xf32>
  %y = ffn.mlp(%n, %wg, %wu, %wd) : (tensor<4x8xf32>, tensor<16x8xf32>, tensor<16x8xf32>, tensor<8x16xf32>) -> tensor<4x8xf32> {
  ^bb0(%a: tensor<4x8xf32>, %pg: tensor<16x8xf32>, %pu: tensor<16x8xf32>, %pd: tensor<8x16xf32>):
    %hg = ffn.linear %a, %pg : (tensor<4x8xf32>, tensor<16x8xf32>) -> tensor<4x16xf32>
    %hu = ffn.linear %a, %pu : (tensor<4x8xf32>, tensor<16x8xf32>) -> tensor<4x16xf32>
    %s = ffn.silu %hg : tensor<4x16xf32>
    %m = arith.mulf %s, %hu : tensor<4x16xf32>
    %o = ffn.linear %m, %pd : (tensor<4x16xf32>, tensor<8x16xf32>) -> tensor<4x8xf32>
    ffn.yield %o : tensor<4x8xf32>
  }
  return %y : tensor<4x8xf32>
}

// -----

// A LayerNorm with a bias only: the weight stays, only a bias is created
// (c' = W b = 8 * 1.5 * 0.5 = 6).
// CHECK-LABEL: func.func @layer_norm_bias_only
// CHECK-DAG:   %[[W1:.+]] = arith.constant dense<1.500000e+00> : tensor<16x8xf32>
// CHECK-DAG:   %[[B1:.+]] = arith.constant dense_resource<folded_bias> : tensor<16xf32>
// CHECK:       ffn.mlp(%{{[^,]+}}, %[[W1]], %{{[^,]+}}, %[[B1]])
// CHECK-NEXT:  ^bb0(%[[A:[^:]+]]: tensor<4x8xf32>, %[[P1:[^:]+]]: tensor<16x8xf32>, %{{[^:]+}}: tensor<8x16xf32>, %[[Q1:[^:]+]]: tensor<16xf32>):
// CHECK-NEXT:    ffn.linear %[[A]], %[[P1]], %[[Q1]]
// CHECK-NOT:   folded_weight
// CHECK:       folded_bias: "0x04000000{{(0000C040){16}"}}
func.func @layer_norm_bias_only(%x: tensor<4x8xf32>) -> tensor<4x8xf32> {
  %b = arith.constant dense<0.5> : tensor<8xf32>
  %w1 = arith.constant dense<1.5> : tensor<16x8xf32>
  %w2 = arith.constant dense<0.1> : tensor<8x16xf32>
  %n = ffn.layer_norm %x bias %b : (tensor<4x8xf32>, tensor<8xf32>) -> tensor<4x8xf32>
  %y = ffn.mlp(%n, %w1, %w2) : (tensor<4x8xf32>, tensor<16x8xf32>, tensor<8x16xf32>) -> tensor<4x8xf32> {
  ^bb0(%a: tensor<4x8xf32>, %p1: tensor<16x8xf32>, %p2: tensor<8x16xf32>):
    %h = ffn.linear %a, %p1 : (tensor<4x8xf32>, tensor<16x8xf32>) -> tensor<4x16xf32>
    %r = ffn.relu %h : tensor<4x16xf32>
    %o = ffn.linear %r, %p2 : (tensor<4x16xf32>, tensor<8x16xf32>) -> tensor<4x8xf32>
    ffn.yield %o : tensor<4x8xf32>
  }
  return %y : tensor<4x8xf32>
}

// -----

// One norm feeding two FFNs (a parallel block): both fold.
// CHECK-LABEL: func.func @shared_norm_two_mlps
// CHECK:       %[[N:.+]] = ffn.layer_norm %{{[^ ]+}} :
// CHECK:       ffn.mlp(%[[N]], {{.+}} {ffn.applied = ["fold-norms"]}
// CHECK:       ffn.mlp(%[[N]], {{.+}} {ffn.applied = ["fold-norms"]}
func.func @shared_norm_two_mlps(%x: tensor<4x8xf32>) -> tensor<4x8xf32> {
  %g = arith.constant dense<2.0> : tensor<8xf32>
  %b = arith.constant dense<0.5> : tensor<8xf32>
  %w1 = arith.constant dense<1.5> : tensor<16x8xf32>
  %w2 = arith.constant dense<0.1> : tensor<8x16xf32>
  %w3 = arith.constant dense<0.5> : tensor<16x8xf32>
  %w4 = arith.constant dense<0.2> : tensor<8x16xf32>
  %n = ffn.layer_norm %x scale %g bias %b : (tensor<4x8xf32>, tensor<8xf32>, tensor<8xf32>) -> tensor<4x8xf32>
  %y1 = ffn.mlp(%n, %w1, %w2) : (tensor<4x8xf32>, tensor<16x8xf32>, tensor<8x16xf32>) -> tensor<4x8xf32> {
  ^bb0(%a: tensor<4x8xf32>, %p1: tensor<16x8xf32>, %p2: tensor<8x16xf32>):
    %h = ffn.linear %a, %p1 : (tensor<4x8xf32>, tensor<16x8xf32>) -> tensor<4x16xf32>
    %r = ffn.relu %h : tensor<4x16xf32>
    %o = ffn.linear %r, %p2 : (tensor<4x16xf32>, tensor<8x16xf32>) -> tensor<4x8xf32>
    ffn.yield %o : tensor<4x8xf32>
  }
  %y2 = ffn.mlp(%n, %w3, %w4) : (tensor<4x8xf32>, tensor<16x8xf32>, tensor<8x16xf32>) -> tensor<4x8xf32> {
  ^bb0(%a: tensor<4x8xf32>, %p1: tensor<16x8xf32>, %p2: tensor<8x16xf32>):
    %h = ffn.linear %a, %p1 : (tensor<4x8xf32>, tensor<16x8xf32>) -> tensor<4x16xf32>
    %r = ffn.gelu %h : tensor<4x16xf32>
    %o = ffn.linear %r, %p2 : (tensor<4x16xf32>, tensor<8x16xf32>) -> tensor<4x8xf32>
    ffn.yield %o : tensor<4x8xf32>
  }
  %s = arith.addf %y1, %y2 : tensor<4x8xf32>
  return %s : tensor<4x8xf32>
}

// -----

//===----------------------------------------------------------------------===//
// BatchNorm
//===----------------------------------------------------------------------===//

// s = 4 / sqrt(3 + 1) = 2, t = 1 - 1 * 2 = -1: W' = 2 W = 2, c' = W t = -2 D.
// CHECK-LABEL: func.func @batch_norm
// CHECK-SAME:    %[[X:[^:]+]]: tensor<4x2xf32>
// CHECK-NOT:   ffn.batch_norm
// CHECK:       ffn.mlp(%[[X]], {{.+}} {ffn.applied = ["fold-norms"]}
// CHECK-NOT:   ffn.batch_norm
// CHECK-DAG:   folded_weight: "0x04000000{{(00000040)+}}"
// CHECK-DAG:   folded_bias: "0x04000000{{(000000C0)+}}"
func.func @batch_norm(%x: tensor<4x2xf32>) -> tensor<4x2xf32> {
  %s = arith.constant dense<4.0> : tensor<2xf32>
  %b = arith.constant dense<1.0> : tensor<2xf32>
  %m = arith.constant dense<1.0> : tensor<2xf32>
  %v = arith.constant dense<3.0> : tensor<2xf32>
  %w1 = arith.constant dense<1.0> : tensor<6x2xf32>
  %w2 = arith.constant dense<0.1> : tensor<2x6xf32>
  %n = ffn.batch_norm %x, %s, %b, %m, %v {epsilon = 1.0 : f32} : (tensor<4x2xf32>, tensor<2xf32>, tensor<2xf32>, tensor<2xf32>, tensor<2xf32>) -> tensor<4x2xf32>
  %y = ffn.mlp(%n, %w1, %w2) : (tensor<4x2xf32>, tensor<6x2xf32>, tensor<2x6xf32>) -> tensor<4x2xf32> {
  ^bb0(%a: tensor<4x2xf32>, %p1: tensor<6x2xf32>, %p2: tensor<2x6xf32>):
    %h = ffn.linear %a, %p1 : (tensor<4x2xf32>, tensor<6x2xf32>) -> tensor<4x6xf32>
    %r = ffn.relu %h : tensor<4x6xf32>
    %o = ffn.linear %r, %p2 : (tensor<4x6xf32>, tensor<2x6xf32>) -> tensor<4x2xf32>
    ffn.yield %o : tensor<4x2xf32>
  }
  return %y : tensor<4x2xf32>
}

// -----

//===----------------------------------------------------------------------===//
// LayerScale
//===----------------------------------------------------------------------===//

// W2' = diag(gamma) W2 = [[2, 4], [9, 12]], b2' = gamma b2 = [1, 6].
// CHECK-LABEL: func.func @layer_scale
// CHECK:       %[[Y:.+]] = ffn.mlp({{.+}}) {ffn.applied = ["fold-norms"]}
// CHECK-NOT:   arith.mulf
// CHECK-NOT:   linalg.broadcast
// CHECK:       return %[[Y]]
// CHECK-DAG:   folded_weight: "0x0400000000000040000080400000104100004041"
// CHECK-DAG:   folded_bias: "0x040000000000803F0000C040"
func.func @layer_scale(%x: tensor<3x2xf32>) -> tensor<3x2xf32> {
  %gamma = arith.constant dense<[2.0, 3.0]> : tensor<2xf32>
  %w1 = arith.constant dense<1.0> : tensor<2x2xf32>
  %w2 = arith.constant dense<[[1.0, 2.0], [3.0, 4.0]]> : tensor<2x2xf32>
  %b2 = arith.constant dense<[0.5, 2.0]> : tensor<2xf32>
  %y = ffn.mlp(%x, %w1, %w2, %b2) : (tensor<3x2xf32>, tensor<2x2xf32>, tensor<2x2xf32>, tensor<2xf32>) -> tensor<3x2xf32> {
  ^bb0(%a: tensor<3x2xf32>, %p1: tensor<2x2xf32>, %p2: tensor<2x2xf32>, %q2: tensor<2xf32>):
    %h = ffn.linear %a, %p1 : (tensor<3x2xf32>, tensor<2x2xf32>) -> tensor<3x2xf32>
    %r = ffn.gelu %h : tensor<3x2xf32>
    %o = ffn.linear %r, %p2, %q2 : (tensor<3x2xf32>, tensor<2x2xf32>, tensor<2xf32>) -> tensor<3x2xf32>
    ffn.yield %o : tensor<3x2xf32>
  }
  %e = tensor.empty() : tensor<3x2xf32>
  %gb = linalg.broadcast ins(%gamma : tensor<2xf32>) outs(%e : tensor<3x2xf32>) dimensions = [0]
  %ls = arith.mulf %gb, %y : tensor<3x2xf32>
  return %ls : tensor<3x2xf32>
}

// -----

// A splat scale of the FFN's output folds the same way.
// CHECK-LABEL: func.func @splat_output_scale
// CHECK:       %[[Y:.+]] = ffn.mlp({{.+}}) {ffn.applied = ["fold-norms"]}
// CHECK-NEXT:  ^bb0
// CHECK-NOT:   arith.mulf
// CHECK:       return %[[Y]]
func.func @splat_output_scale(%x: tensor<3x2xf32>) -> tensor<3x2xf32> {
  %c = arith.constant dense<0.5> : tensor<3x2xf32>
  %w1 = arith.constant dense<1.0> : tensor<2x2xf32>
  %w2 = arith.constant dense<2.0> : tensor<2x2xf32>
  %y = ffn.mlp(%x, %w1, %w2) : (tensor<3x2xf32>, tensor<2x2xf32>, tensor<2x2xf32>) -> tensor<3x2xf32> {
  ^bb0(%a: tensor<3x2xf32>, %p1: tensor<2x2xf32>, %p2: tensor<2x2xf32>):
    %h = ffn.linear %a, %p1 : (tensor<3x2xf32>, tensor<2x2xf32>) -> tensor<3x2xf32>
    %r = ffn.relu %h : tensor<3x2xf32>
    %o = ffn.linear %r, %p2 : (tensor<3x2xf32>, tensor<2x2xf32>) -> tensor<3x2xf32>
    ffn.yield %o : tensor<3x2xf32>
  }
  %ls = arith.mulf %y, %c : tensor<3x2xf32>
  return %ls : tensor<3x2xf32>
}

// -----

// A LayerNorm before and a LayerScale after the same FFN: recorded once.
// CHECK-LABEL: func.func @norm_and_layer_scale
// CHECK:       ffn.layer_norm %{{[^ ]+}} :
// CHECK:       ffn.mlp({{.+}}) {ffn.applied = ["fold-norms"]}
// CHECK-NOT:   arith.mulf
func.func @norm_and_layer_scale(%x: tensor<3x2xf32>) -> tensor<3x2xf32> {
  %g = arith.constant dense<[2.0, 0.5]> : tensor<2xf32>
  %c = arith.constant dense<0.5> : tensor<3x2xf32>
  %w1 = arith.constant dense<1.0> : tensor<4x2xf32>
  %w2 = arith.constant dense<2.0> : tensor<2x4xf32>
  %n = ffn.layer_norm %x scale %g : (tensor<3x2xf32>, tensor<2xf32>) -> tensor<3x2xf32>
  %y = ffn.mlp(%n, %w1, %w2) : (tensor<3x2xf32>, tensor<4x2xf32>, tensor<2x4xf32>) -> tensor<3x2xf32> {
  ^bb0(%a: tensor<3x2xf32>, %p1: tensor<4x2xf32>, %p2: tensor<2x4xf32>):
    %h = ffn.linear %a, %p1 : (tensor<3x2xf32>, tensor<4x2xf32>) -> tensor<3x4xf32>
    %r = ffn.relu %h : tensor<3x4xf32>
    %o = ffn.linear %r, %p2 : (tensor<3x4xf32>, tensor<2x4xf32>) -> tensor<3x2xf32>
    ffn.yield %o : tensor<3x2xf32>
  }
  %ls = arith.mulf %y, %c : tensor<3x2xf32>
  return %ls : tensor<3x2xf32>
}

// -----

//===----------------------------------------------------------------------===//
// Where nothing folds
//===----------------------------------------------------------------------===//

// Norm parameters that are function arguments, not constants.
// CHECK-LABEL: func.func @norm_params_not_constant
// CHECK:       ffn.layer_norm %{{[^ ]+}} scale %{{[^ ]+}} bias %{{[^ ]+}} :
// CHECK-NOT:   ffn.applied
func.func @norm_params_not_constant(%x: tensor<4x8xf32>, %g: tensor<8xf32>, %b: tensor<8xf32>) -> tensor<4x8xf32> {
  %w1 = arith.constant dense<1.5> : tensor<16x8xf32>
  %w2 = arith.constant dense<0.1> : tensor<8x16xf32>
  // REMARK-DAG: fold-norms.mlir:[[@LINE+1]]:{{[0-9]+}}: remark: ffn-fold-norms: the scale is not a static f32 constant
  %n = ffn.layer_norm %x scale %g bias %b : (tensor<4x8xf32>, tensor<8xf32>, tensor<8xf32>) -> tensor<4x8xf32>
  %y = ffn.mlp(%n, %w1, %w2) : (tensor<4x8xf32>, tensor<16x8xf32>, tensor<8x16xf32>) -> tensor<4x8xf32> {
  ^bb0(%a: tensor<4x8xf32>, %p1: tensor<16x8xf32>, %p2: tensor<8x16xf32>):
    %h = ffn.linear %a, %p1 : (tensor<4x8xf32>, tensor<16x8xf32>) -> tensor<4x16xf32>
    %r = ffn.relu %h : tensor<4x16xf32>
    %o = ffn.linear %r, %p2 : (tensor<4x16xf32>, tensor<8x16xf32>) -> tensor<4x8xf32>
    ffn.yield %o : tensor<4x8xf32>
  }
  return %y : tensor<4x8xf32>
}

// -----

// The normalised value has another user (a residual reading it).
// CHECK-LABEL: func.func @normalised_value_other_user
// CHECK:       ffn.rms_norm %{{[^ ]+}} scale %{{[^ ]+}} {
// CHECK-NOT:   ffn.applied
func.func @normalised_value_other_user(%x: tensor<4x8xf32>) -> tensor<4x8xf32> {
  %g = arith.constant dense<2.0> : tensor<8xf32>
  %w1 = arith.constant dense<1.5> : tensor<16x8xf32>
  %w2 = arith.constant dense<0.1> : tensor<8x16xf32>
  // REMARK-DAG: fold-norms.mlir:[[@LINE+1]]:{{[0-9]+}}: remark: ffn-fold-norms: the normalised value has a user other than the input of an ffn.mlp
  %n = ffn.rms_norm %x scale %g {epsilon = 1.0e-06 : f32} : (tensor<4x8xf32>, tensor<8xf32>) -> tensor<4x8xf32>
  %y = ffn.mlp(%n, %w1, %w2) : (tensor<4x8xf32>, tensor<16x8xf32>, tensor<8x16xf32>) -> tensor<4x8xf32> {
  ^bb0(%a: tensor<4x8xf32>, %p1: tensor<16x8xf32>, %p2: tensor<8x16xf32>):
    %h = ffn.linear %a, %p1 : (tensor<4x8xf32>, tensor<16x8xf32>) -> tensor<4x16xf32>
    %r = ffn.relu %h : tensor<4x16xf32>
    %o = ffn.linear %r, %p2 : (tensor<4x16xf32>, tensor<8x16xf32>) -> tensor<4x8xf32>
    ffn.yield %o : tensor<4x8xf32>
  }
  %res = arith.addf %n, %y : tensor<4x8xf32>
  return %res : tensor<4x8xf32>
}

// -----

// The FFN's weights are not constants.
// CHECK-LABEL: func.func @weights_not_constant
// CHECK:       ffn.layer_norm %{{[^ ]+}} scale %{{[^ ]+}} bias %{{[^ ]+}} :
// CHECK-NOT:   ffn.applied
func.func @weights_not_constant(%x: tensor<4x8xf32>, %w1: tensor<16x8xf32>, %w2: tensor<8x16xf32>) -> tensor<4x8xf32> {
  %g = arith.constant dense<2.0> : tensor<8xf32>
  %b = arith.constant dense<0.5> : tensor<8xf32>
  // REMARK-DAG: fold-norms.mlir:[[@LINE+1]]:{{[0-9]+}}: remark: ffn-fold-norms: a linear's weight is not a static f32 constant
  %n = ffn.layer_norm %x scale %g bias %b : (tensor<4x8xf32>, tensor<8xf32>, tensor<8xf32>) -> tensor<4x8xf32>
  %y = ffn.mlp(%n, %w1, %w2) : (tensor<4x8xf32>, tensor<16x8xf32>, tensor<8x16xf32>) -> tensor<4x8xf32> {
  ^bb0(%a: tensor<4x8xf32>, %p1: tensor<16x8xf32>, %p2: tensor<8x16xf32>):
    %h = ffn.linear %a, %p1 : (tensor<4x8xf32>, tensor<16x8xf32>) -> tensor<4x16xf32>
    %r = ffn.relu %h : tensor<4x16xf32>
    %o = ffn.linear %r, %p2 : (tensor<4x16xf32>, tensor<8x16xf32>) -> tensor<4x8xf32>
    ffn.yield %o : tensor<4x8xf32>
  }
  return %y : tensor<4x8xf32>
}

// -----

// A norm shared by two FFNs, one of which has non-constant weights: the norm
// cannot lose its parameters for one user only, so nothing folds.
// CHECK-LABEL: func.func @shared_norm_one_not_foldable
// CHECK:       ffn.layer_norm %{{[^ ]+}} scale %{{[^ ]+}} bias %{{[^ ]+}} :
// CHECK-NOT:   ffn.applied
func.func @shared_norm_one_not_foldable(%x: tensor<4x8xf32>, %w3: tensor<16x8xf32>) -> tensor<4x8xf32> {
  %g = arith.constant dense<2.0> : tensor<8xf32>
  %b = arith.constant dense<0.5> : tensor<8xf32>
  %w1 = arith.constant dense<1.5> : tensor<16x8xf32>
  %w2 = arith.constant dense<0.1> : tensor<8x16xf32>
  // REMARK-DAG: fold-norms.mlir:[[@LINE+1]]:{{[0-9]+}}: remark: ffn-fold-norms: a linear's weight is not a static f32 constant
  %n = ffn.layer_norm %x scale %g bias %b : (tensor<4x8xf32>, tensor<8xf32>, tensor<8xf32>) -> tensor<4x8xf32>
  %y1 = ffn.mlp(%n, %w1, %w2) : (tensor<4x8xf32>, tensor<16x8xf32>, tensor<8x16xf32>) -> tensor<4x8xf32> {
  ^bb0(%a: tensor<4x8xf32>, %p1: tensor<16x8xf32>, %p2: tensor<8x16xf32>):
    %h = ffn.linear %a, %p1 : (tensor<4x8xf32>, tensor<16x8xf32>) -> tensor<4x16xf32>
    %r = ffn.relu %h : tensor<4x16xf32>
    %o = ffn.linear %r, %p2 : (tensor<4x16xf32>, tensor<8x16xf32>) -> tensor<4x8xf32>
    ffn.yield %o : tensor<4x8xf32>
  }
  %y2 = ffn.mlp(%n, %w3, %w2) : (tensor<4x8xf32>, tensor<16x8xf32>, tensor<8x16xf32>) -> tensor<4x8xf32> {
  ^bb0(%a: tensor<4x8xf32>, %p1: tensor<16x8xf32>, %p2: tensor<8x16xf32>):
    %h = ffn.linear %a, %p1 : (tensor<4x8xf32>, tensor<16x8xf32>) -> tensor<4x16xf32>
    %r = ffn.relu %h : tensor<4x16xf32>
    %o = ffn.linear %r, %p2 : (tensor<4x16xf32>, tensor<8x16xf32>) -> tensor<4x8xf32>
    ffn.yield %o : tensor<4x8xf32>
  }
  %s = arith.addf %y1, %y2 : tensor<4x8xf32>
  return %s : tensor<4x8xf32>
}

// -----

// Batch norm statistics that are not constants.
// CHECK-LABEL: func.func @batch_norm_stats_not_constant
// CHECK:       ffn.batch_norm
// CHECK-NOT:   ffn.applied
func.func @batch_norm_stats_not_constant(%x: tensor<4x2xf32>, %m: tensor<2xf32>) -> tensor<4x2xf32> {
  %s = arith.constant dense<4.0> : tensor<2xf32>
  %b = arith.constant dense<1.0> : tensor<2xf32>
  %v = arith.constant dense<3.0> : tensor<2xf32>
  %w1 = arith.constant dense<1.0> : tensor<6x2xf32>
  %w2 = arith.constant dense<0.1> : tensor<2x6xf32>
  // REMARK-DAG: fold-norms.mlir:[[@LINE+1]]:{{[0-9]+}}: remark: ffn-fold-norms: the mean is not a static f32 constant
  %n = ffn.batch_norm %x, %s, %b, %m, %v : (tensor<4x2xf32>, tensor<2xf32>, tensor<2xf32>, tensor<2xf32>, tensor<2xf32>) -> tensor<4x2xf32>
  %y = ffn.mlp(%n, %w1, %w2) : (tensor<4x2xf32>, tensor<6x2xf32>, tensor<2x6xf32>) -> tensor<4x2xf32> {
  ^bb0(%a: tensor<4x2xf32>, %p1: tensor<6x2xf32>, %p2: tensor<2x6xf32>):
    %h = ffn.linear %a, %p1 : (tensor<4x2xf32>, tensor<6x2xf32>) -> tensor<4x6xf32>
    %r = ffn.relu %h : tensor<4x6xf32>
    %o = ffn.linear %r, %p2 : (tensor<4x6xf32>, tensor<2x6xf32>) -> tensor<4x2xf32>
    ffn.yield %o : tensor<4x2xf32>
  }
  return %y : tensor<4x2xf32>
}

// -----

// A batch norm whose result is also returned.
// CHECK-LABEL: func.func @batch_norm_other_user
// CHECK:       ffn.batch_norm
// CHECK-NOT:   ffn.applied
func.func @batch_norm_other_user(%x: tensor<4x2xf32>) -> (tensor<4x2xf32>, tensor<4x2xf32>) {
  %s = arith.constant dense<4.0> : tensor<2xf32>
  %b = arith.constant dense<1.0> : tensor<2xf32>
  %m = arith.constant dense<1.0> : tensor<2xf32>
  %v = arith.constant dense<3.0> : tensor<2xf32>
  %w1 = arith.constant dense<1.0> : tensor<6x2xf32>
  %w2 = arith.constant dense<0.1> : tensor<2x6xf32>
  // REMARK-DAG: fold-norms.mlir:[[@LINE+1]]:{{[0-9]+}}: remark: ffn-fold-norms: the normalised value has a user other than the input of an ffn.mlp
  %n = ffn.batch_norm %x, %s, %b, %m, %v : (tensor<4x2xf32>, tensor<2xf32>, tensor<2xf32>, tensor<2xf32>, tensor<2xf32>) -> tensor<4x2xf32>
  %y = ffn.mlp(%n, %w1, %w2) : (tensor<4x2xf32>, tensor<6x2xf32>, tensor<2x6xf32>) -> tensor<4x2xf32> {
  ^bb0(%a: tensor<4x2xf32>, %p1: tensor<6x2xf32>, %p2: tensor<2x6xf32>):
    %h = ffn.linear %a, %p1 : (tensor<4x2xf32>, tensor<6x2xf32>) -> tensor<4x6xf32>
    %r = ffn.relu %h : tensor<4x6xf32>
    %o = ffn.linear %r, %p2 : (tensor<4x6xf32>, tensor<2x6xf32>) -> tensor<4x2xf32>
    ffn.yield %o : tensor<4x2xf32>
  }
  return %y, %n : tensor<4x2xf32>, tensor<4x2xf32>
}

// -----

// The FFN's result has another user besides the LayerScale product.
// CHECK-LABEL: func.func @layer_scale_result_other_user
// CHECK:       arith.mulf
// CHECK-NOT:   ffn.applied
func.func @layer_scale_result_other_user(%x: tensor<3x2xf32>) -> (tensor<3x2xf32>, tensor<3x2xf32>) {
  %c = arith.constant dense<0.5> : tensor<3x2xf32>
  %w1 = arith.constant dense<1.0> : tensor<2x2xf32>
  %w2 = arith.constant dense<2.0> : tensor<2x2xf32>
  %y = ffn.mlp(%x, %w1, %w2) : (tensor<3x2xf32>, tensor<2x2xf32>, tensor<2x2xf32>) -> tensor<3x2xf32> {
  ^bb0(%a: tensor<3x2xf32>, %p1: tensor<2x2xf32>, %p2: tensor<2x2xf32>):
    %h = ffn.linear %a, %p1 : (tensor<3x2xf32>, tensor<2x2xf32>) -> tensor<3x2xf32>
    %r = ffn.relu %h : tensor<3x2xf32>
    %o = ffn.linear %r, %p2 : (tensor<3x2xf32>, tensor<2x2xf32>) -> tensor<3x2xf32>
    ffn.yield %o : tensor<3x2xf32>
  }
  // REMARK-DAG: fold-norms.mlir:[[@LINE+1]]:{{[0-9]+}}: remark: ffn-fold-norms: the block's result has other users
  %ls = arith.mulf %y, %c : tensor<3x2xf32>
  return %ls, %y : tensor<3x2xf32>, tensor<3x2xf32>
}

// -----

// A LayerScale factor that is not a constant.
// CHECK-LABEL: func.func @layer_scale_not_constant
// CHECK:       linalg.broadcast
// CHECK:       arith.mulf
// CHECK-NOT:   ffn.applied
func.func @layer_scale_not_constant(%x: tensor<3x2xf32>, %gamma: tensor<2xf32>) -> tensor<3x2xf32> {
  %w1 = arith.constant dense<1.0> : tensor<2x2xf32>
  %w2 = arith.constant dense<2.0> : tensor<2x2xf32>
  %y = ffn.mlp(%x, %w1, %w2) : (tensor<3x2xf32>, tensor<2x2xf32>, tensor<2x2xf32>) -> tensor<3x2xf32> {
  ^bb0(%a: tensor<3x2xf32>, %p1: tensor<2x2xf32>, %p2: tensor<2x2xf32>):
    %h = ffn.linear %a, %p1 : (tensor<3x2xf32>, tensor<2x2xf32>) -> tensor<3x2xf32>
    %r = ffn.relu %h : tensor<3x2xf32>
    %o = ffn.linear %r, %p2 : (tensor<3x2xf32>, tensor<2x2xf32>) -> tensor<3x2xf32>
    ffn.yield %o : tensor<3x2xf32>
  }
  %e = tensor.empty() : tensor<3x2xf32>
  %gb = linalg.broadcast ins(%gamma : tensor<2xf32>) outs(%e : tensor<3x2xf32>) dimensions = [0]
  // REMARK-DAG: fold-norms.mlir:[[@LINE+1]]:{{[0-9]+}}: remark: ffn-fold-norms: the other factor is not a constant per-feature vector or splat
  %ls = arith.mulf %y, %gb : tensor<3x2xf32>
  return %ls : tensor<3x2xf32>
}

// -----

// A dynamic feature dimension lets the verifiers accept a scale of 8 and a
// weight of 6 input features; nothing folds.
// CHECK-LABEL: func.func @feature_count_mismatch
// CHECK:       ffn.rms_norm %{{[^ ]+}} scale
// CHECK-NOT:   ffn.applied
func.func @feature_count_mismatch(%x: tensor<4x?xf32>) -> tensor<4x?xf32> {
  %g = arith.constant dense<2.0> : tensor<8xf32>
  %w1 = arith.constant dense<1.5> : tensor<16x6xf32>
  %w2 = arith.constant dense<0.1> : tensor<6x16xf32>
  // REMARK-DAG: fold-norms.mlir:[[@LINE+1]]:{{[0-9]+}}: remark: ffn-fold-norms: the norm's parameters and a linear's weight disagree on the number of features
  %n = ffn.rms_norm %x scale %g : (tensor<4x?xf32>, tensor<8xf32>) -> tensor<4x?xf32>
  %y = ffn.mlp(%n, %w1, %w2) : (tensor<4x?xf32>, tensor<16x6xf32>, tensor<6x16xf32>) -> tensor<4x?xf32> {
  ^bb0(%a: tensor<4x?xf32>, %p1: tensor<16x6xf32>, %p2: tensor<6x16xf32>):
    %h = ffn.linear %a, %p1 : (tensor<4x?xf32>, tensor<16x6xf32>) -> tensor<4x16xf32>
    %r = ffn.relu %h : tensor<4x16xf32>
    %o = ffn.linear %r, %p2 : (tensor<4x16xf32>, tensor<6x16xf32>) -> tensor<4x?xf32>
    ffn.yield %o : tensor<4x?xf32>
  }
  return %y : tensor<4x?xf32>
}
