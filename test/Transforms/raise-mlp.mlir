// RUN: ffn-opt %s -ffn-raise-mlp -split-input-file | FileCheck %s

//===----------------------------------------------------------------------===//
// Encoder form
//===----------------------------------------------------------------------===//

// BERT: linear + bias, GELU, linear + bias.
// CHECK-LABEL: func.func @encoder_gelu
// CHECK-SAME:    %[[X:[^:]+]]: tensor<4x8xf32>, %[[W1:[^:]+]]: tensor<32x8xf32>, %[[B1:[^:]+]]: tensor<32xf32>, %[[W2:[^:]+]]: tensor<8x32xf32>, %[[B2:[^:]+]]: tensor<8xf32>
func.func @encoder_gelu(%x: tensor<4x8xf32>, %w1: tensor<32x8xf32>, %b1: tensor<32xf32>, %w2: tensor<8x32xf32>, %b2: tensor<8xf32>) -> tensor<4x8xf32> {
  // CHECK:      %[[Y:.+]] = ffn.mlp(%[[X]], %[[W1]], %[[B1]], %[[W2]], %[[B2]]) : (tensor<4x8xf32>, tensor<32x8xf32>, tensor<32xf32>, tensor<8x32xf32>, tensor<8xf32>) -> tensor<4x8xf32> {
  // CHECK-NEXT: ^bb0(%[[A:[^:]+]]: tensor<4x8xf32>, %[[P1:[^:]+]]: tensor<32x8xf32>, %[[Q1:[^:]+]]: tensor<32xf32>, %[[P2:[^:]+]]: tensor<8x32xf32>, %[[Q2:[^:]+]]: tensor<8xf32>):
  // CHECK-NEXT:   %[[H:.+]] = ffn.linear %[[A]], %[[P1]], %[[Q1]]
  // CHECK-NEXT:   %[[G:.+]] = ffn.gelu %[[H]] : tensor<4x32xf32>
  // CHECK-NEXT:   %[[O:.+]] = ffn.linear %[[G]], %[[P2]], %[[Q2]]
  // CHECK-NEXT:   ffn.yield %[[O]] : tensor<4x8xf32>
  // CHECK-NEXT: }
  // CHECK-NEXT: return %[[Y]]
  %h = ffn.linear %x, %w1, %b1 : (tensor<4x8xf32>, tensor<32x8xf32>, tensor<32xf32>) -> tensor<4x32xf32>
  %g = ffn.gelu %h : tensor<4x32xf32>
  %y = ffn.linear %g, %w2, %b2 : (tensor<4x32xf32>, tensor<8x32xf32>, tensor<8xf32>) -> tensor<4x8xf32>
  return %y : tensor<4x8xf32>
}

// -----

// Without biases, ReLU, constant weights captured as operands.
// CHECK-LABEL: func.func @encoder_relu_no_bias_constants
// CHECK-SAME:    %[[X:[^:]+]]: tensor<4x8xf32>
func.func @encoder_relu_no_bias_constants(%x: tensor<4x8xf32>) -> tensor<4x8xf32> {
  // CHECK-DAG:  %[[W1:.+]] = arith.constant dense<1.000000e-01> : tensor<32x8xf32>
  // CHECK-DAG:  %[[W2:.+]] = arith.constant dense<2.000000e-01> : tensor<8x32xf32>
  // CHECK:      %[[Y:.+]] = ffn.mlp(%[[X]], %[[W1]], %[[W2]]) : (tensor<4x8xf32>, tensor<32x8xf32>, tensor<8x32xf32>) -> tensor<4x8xf32> {
  // CHECK-NEXT: ^bb0(%[[A:[^:]+]]: tensor<4x8xf32>, %[[P1:[^:]+]]: tensor<32x8xf32>, %[[P2:[^:]+]]: tensor<8x32xf32>):
  // CHECK-NEXT:   %[[H:.+]] = ffn.linear %[[A]], %[[P1]] :
  // CHECK-NEXT:   %[[G:.+]] = ffn.relu %[[H]]
  // CHECK-NEXT:   %[[O:.+]] = ffn.linear %[[G]], %[[P2]] :
  // CHECK-NEXT:   ffn.yield %[[O]]
  // CHECK:      return %[[Y]]
  %w1 = arith.constant dense<0.1> : tensor<32x8xf32>
  %w2 = arith.constant dense<0.2> : tensor<8x32xf32>
  %h = ffn.linear %x, %w1 : (tensor<4x8xf32>, tensor<32x8xf32>) -> tensor<4x32xf32>
  %g = ffn.relu %h : tensor<4x32xf32>
  %y = ffn.linear %g, %w2 : (tensor<4x32xf32>, tensor<8x32xf32>) -> tensor<4x8xf32>
  return %y : tensor<4x8xf32>
}

// -----

// Rank 3 with dynamic batch and sequence, tanh GELU.
// CHECK-LABEL: func.func @encoder_gelu_tanh_dynamic
// CHECK-SAME:    %[[X:[^:]+]]: tensor<?x?x8xf32>
func.func @encoder_gelu_tanh_dynamic(%x: tensor<?x?x8xf32>, %w1: tensor<32x8xf32>, %w2: tensor<8x32xf32>, %b2: tensor<8xf32>) -> tensor<?x?x8xf32> {
  // CHECK:      %[[Y:.+]] = ffn.mlp(%[[X]], %{{.+}}, %{{.+}}, %{{.+}}) : (tensor<?x?x8xf32>, tensor<32x8xf32>, tensor<8x32xf32>, tensor<8xf32>) -> tensor<?x?x8xf32>
  // CHECK:        ffn.gelu %{{.+}} approximate<tanh> : tensor<?x?x32xf32>
  // CHECK:      return %[[Y]]
  %h = ffn.linear %x, %w1 : (tensor<?x?x8xf32>, tensor<32x8xf32>) -> tensor<?x?x32xf32>
  %g = ffn.gelu %h approximate<tanh> : tensor<?x?x32xf32>
  %y = ffn.linear %g, %w2, %b2 : (tensor<?x?x32xf32>, tensor<8x32xf32>, tensor<8xf32>) -> tensor<?x?x8xf32>
  return %y : tensor<?x?x8xf32>
}

// -----

//===----------------------------------------------------------------------===//
// Gated form
//===----------------------------------------------------------------------===//

// Llama: silu(x Wg) * (x Wu), then Wd.
// CHECK-LABEL: func.func @gated_silu
// CHECK-SAME:    %[[X:[^:]+]]: tensor<4x8xf32>, %[[WG:[^:]+]]: tensor<24x8xf32>, %[[WU:[^:]+]]: tensor<24x8xf32>, %[[WD:[^:]+]]: tensor<8x24xf32>
func.func @gated_silu(%x: tensor<4x8xf32>, %wg: tensor<24x8xf32>, %wu: tensor<24x8xf32>, %wd: tensor<8x24xf32>) -> tensor<4x8xf32> {
  // CHECK:      %[[Y:.+]] = ffn.mlp(%[[X]], %[[WG]], %[[WU]], %[[WD]]) : (tensor<4x8xf32>, tensor<24x8xf32>, tensor<24x8xf32>, tensor<8x24xf32>) -> tensor<4x8xf32> {
  // CHECK-NEXT: ^bb0(%[[A:[^:]+]]: tensor<4x8xf32>, %[[PG:[^:]+]]: tensor<24x8xf32>, %[[PU:[^:]+]]: tensor<24x8xf32>, %[[PD:[^:]+]]: tensor<8x24xf32>):
  // CHECK-NEXT:   %[[G:.+]] = ffn.linear %[[A]], %[[PG]] :
  // CHECK-NEXT:   %[[U:.+]] = ffn.linear %[[A]], %[[PU]] :
  // CHECK-NEXT:   %[[S:.+]] = ffn.silu %[[G]]
  // CHECK-NEXT:   %[[M:.+]] = arith.mulf %[[S]], %[[U]]
  // CHECK-NEXT:   %[[O:.+]] = ffn.linear %[[M]], %[[PD]] :
  // CHECK-NEXT:   ffn.yield %[[O]]
  // CHECK-NEXT: }
  // CHECK-NEXT: return %[[Y]]
  %g = ffn.linear %x, %wg : (tensor<4x8xf32>, tensor<24x8xf32>) -> tensor<4x24xf32>
  %u = ffn.linear %x, %wu : (tensor<4x8xf32>, tensor<24x8xf32>) -> tensor<4x24xf32>
  %s = ffn.silu %g : tensor<4x24xf32>
  %m = arith.mulf %s, %u : tensor<4x24xf32>
  %y = ffn.linear %m, %wd : (tensor<4x24xf32>, tensor<8x24xf32>) -> tensor<4x8xf32>
  return %y : tensor<4x8xf32>
}

// -----

// The up projection first in the product and in the IR: the activated
// branch is still the gate and comes first among the operands.
// CHECK-LABEL: func.func @gated_act_on_second_factor
// CHECK-SAME:    %[[X:[^:]+]]: tensor<4x8xf32>, %[[WG:[^:]+]]: tensor<24x8xf32>, %[[WU:[^:]+]]: tensor<24x8xf32>, %[[WD:[^:]+]]: tensor<8x24xf32>
func.func @gated_act_on_second_factor(%x: tensor<4x8xf32>, %wg: tensor<24x8xf32>, %wu: tensor<24x8xf32>, %wd: tensor<8x24xf32>) -> tensor<4x8xf32> {
  // CHECK:      ffn.mlp(%[[X]], %[[WG]], %[[WU]], %[[WD]])
  // CHECK:        %[[G:.+]] = ffn.linear %{{.+}}, %{{.+}} : (tensor<4x8xf32>, tensor<24x8xf32>)
  // CHECK-NEXT:   %[[U:.+]] = ffn.linear
  // CHECK-NEXT:   %[[S:.+]] = ffn.silu %[[G]]
  // CHECK-NEXT:   arith.mulf %[[U]], %[[S]]
  %u = ffn.linear %x, %wu : (tensor<4x8xf32>, tensor<24x8xf32>) -> tensor<4x24xf32>
  %g = ffn.linear %x, %wg : (tensor<4x8xf32>, tensor<24x8xf32>) -> tensor<4x24xf32>
  %s = ffn.silu %g : tensor<4x24xf32>
  %m = arith.mulf %u, %s : tensor<4x24xf32>
  %y = ffn.linear %m, %wd : (tensor<4x24xf32>, tensor<8x24xf32>) -> tensor<4x8xf32>
  return %y : tensor<4x8xf32>
}

// -----

// GeGLU with biases on every projection.
// CHECK-LABEL: func.func @gated_gelu_biases
// CHECK-SAME:    %[[X:[^:]+]]: tensor<4x8xf32>, %[[WG:[^:]+]]: tensor<24x8xf32>, %[[BG:[^:]+]]: tensor<24xf32>, %[[WU:[^:]+]]: tensor<24x8xf32>, %[[BU:[^:]+]]: tensor<24xf32>, %[[WD:[^:]+]]: tensor<8x24xf32>, %[[BD:[^:]+]]: tensor<8xf32>
func.func @gated_gelu_biases(%x: tensor<4x8xf32>, %wg: tensor<24x8xf32>, %bg: tensor<24xf32>, %wu: tensor<24x8xf32>, %bu: tensor<24xf32>, %wd: tensor<8x24xf32>, %bd: tensor<8xf32>) -> tensor<4x8xf32> {
  // CHECK:      ffn.mlp(%[[X]], %[[WG]], %[[BG]], %[[WU]], %[[BU]], %[[WD]], %[[BD]])
  // CHECK:        ffn.gelu
  // CHECK:        arith.mulf
  %g = ffn.linear %x, %wg, %bg : (tensor<4x8xf32>, tensor<24x8xf32>, tensor<24xf32>) -> tensor<4x24xf32>
  %u = ffn.linear %x, %wu, %bu : (tensor<4x8xf32>, tensor<24x8xf32>, tensor<24xf32>) -> tensor<4x24xf32>
  %s = ffn.gelu %g : tensor<4x24xf32>
  %m = arith.mulf %s, %u : tensor<4x24xf32>
  %y = ffn.linear %m, %wd, %bd : (tensor<4x24xf32>, tensor<8x24xf32>, tensor<8xf32>) -> tensor<4x8xf32>
  return %y : tensor<4x8xf32>
}

// -----

// Two pre-norm layers with residuals: two blocks, norms and residual
// additions stay outside.
// CHECK-LABEL: func.func @two_layers
func.func @two_layers(%x: tensor<4x8xf32>, %w1: tensor<32x8xf32>, %w2: tensor<8x32xf32>, %wg: tensor<24x8xf32>, %wu: tensor<24x8xf32>, %wd: tensor<8x24xf32>) -> tensor<4x8xf32> {
  // CHECK:      %[[N1:.+]] = ffn.layer_norm
  // CHECK-NEXT: %[[F1:.+]] = ffn.mlp(%[[N1]],
  // CHECK:      ffn.yield
  // CHECK-NEXT: }
  // CHECK-NEXT: %[[R1:.+]] = arith.addf %{{.+}}, %[[F1]]
  // CHECK-NEXT: %[[N2:.+]] = ffn.rms_norm %[[R1]]
  // CHECK-NEXT: %[[F2:.+]] = ffn.mlp(%[[N2]],
  // CHECK:      ffn.yield
  // CHECK-NEXT: }
  // CHECK-NEXT: %[[R2:.+]] = arith.addf %[[R1]], %[[F2]]
  // CHECK-NEXT: return %[[R2]]
  %n1 = ffn.layer_norm %x : (tensor<4x8xf32>) -> tensor<4x8xf32>
  %h = ffn.linear %n1, %w1 : (tensor<4x8xf32>, tensor<32x8xf32>) -> tensor<4x32xf32>
  %a = ffn.gelu %h : tensor<4x32xf32>
  %f1 = ffn.linear %a, %w2 : (tensor<4x32xf32>, tensor<8x32xf32>) -> tensor<4x8xf32>
  %r1 = arith.addf %x, %f1 : tensor<4x8xf32>
  %n2 = ffn.rms_norm %r1 : (tensor<4x8xf32>) -> tensor<4x8xf32>
  %g = ffn.linear %n2, %wg : (tensor<4x8xf32>, tensor<24x8xf32>) -> tensor<4x24xf32>
  %u = ffn.linear %n2, %wu : (tensor<4x8xf32>, tensor<24x8xf32>) -> tensor<4x24xf32>
  %s = ffn.silu %g : tensor<4x24xf32>
  %m = arith.mulf %s, %u : tensor<4x24xf32>
  %f2 = ffn.linear %m, %wd : (tensor<4x24xf32>, tensor<8x24xf32>) -> tensor<4x8xf32>
  %r2 = arith.addf %r1, %f2 : tensor<4x8xf32>
  return %r2 : tensor<4x8xf32>
}

// -----

// An existing block is not outlined again, and its body is left alone.
// CHECK-LABEL: func.func @already_outlined
func.func @already_outlined(%x: tensor<4x8xf32>, %w1: tensor<32x8xf32>, %w2: tensor<8x32xf32>) -> tensor<4x8xf32> {
  // CHECK:      ffn.mlp
  // CHECK-NOT:  ffn.mlp
  // CHECK:      ffn.linear
  // CHECK-NEXT: ffn.gelu
  // CHECK-NEXT: ffn.linear
  // CHECK-NEXT: ffn.yield
  %y = ffn.mlp(%x, %w1, %w2) : (tensor<4x8xf32>, tensor<32x8xf32>, tensor<8x32xf32>) -> tensor<4x8xf32> {
  ^bb0(%a: tensor<4x8xf32>, %p1: tensor<32x8xf32>, %p2: tensor<8x32xf32>):
    %h = ffn.linear %a, %p1 : (tensor<4x8xf32>, tensor<32x8xf32>) -> tensor<4x32xf32>
    %g = ffn.gelu %h : tensor<4x32xf32>
    %o = ffn.linear %g, %p2 : (tensor<4x32xf32>, tensor<8x32xf32>) -> tensor<4x8xf32>
    ffn.yield %o : tensor<4x8xf32>
  }
  return %y : tensor<4x8xf32>
}

// -----

//===----------------------------------------------------------------------===//
// Not an FFN
//===----------------------------------------------------------------------===//

// The activation has a second user.
// CHECK-LABEL: func.func @no_mlp_activation_second_user
func.func @no_mlp_activation_second_user(%x: tensor<4x8xf32>, %w1: tensor<32x8xf32>, %w2: tensor<8x32xf32>) -> (tensor<4x8xf32>, tensor<4x32xf32>) {
  // CHECK-NOT:  ffn.mlp
  %h = ffn.linear %x, %w1 : (tensor<4x8xf32>, tensor<32x8xf32>) -> tensor<4x32xf32>
  %g = ffn.gelu %h : tensor<4x32xf32>
  %y = ffn.linear %g, %w2 : (tensor<4x32xf32>, tensor<8x32xf32>) -> tensor<4x8xf32>
  return %y, %g : tensor<4x8xf32>, tensor<4x32xf32>
}

// -----

// The up projection has a second user.
// CHECK-LABEL: func.func @no_mlp_up_second_user
func.func @no_mlp_up_second_user(%x: tensor<4x8xf32>, %w1: tensor<32x8xf32>, %w2: tensor<8x32xf32>) -> (tensor<4x8xf32>, tensor<4x32xf32>) {
  // CHECK-NOT:  ffn.mlp
  %h = ffn.linear %x, %w1 : (tensor<4x8xf32>, tensor<32x8xf32>) -> tensor<4x32xf32>
  %g = ffn.relu %h : tensor<4x32xf32>
  %y = ffn.linear %g, %w2 : (tensor<4x32xf32>, tensor<8x32xf32>) -> tensor<4x8xf32>
  return %y, %h : tensor<4x8xf32>, tensor<4x32xf32>
}

// -----

// The up projection of a gated FFN has a second user.
// CHECK-LABEL: func.func @no_mlp_gated_up_second_user
func.func @no_mlp_gated_up_second_user(%x: tensor<4x8xf32>, %wg: tensor<24x8xf32>, %wu: tensor<24x8xf32>, %wd: tensor<8x24xf32>) -> (tensor<4x8xf32>, tensor<4x24xf32>) {
  // CHECK-NOT:  ffn.mlp
  %g = ffn.linear %x, %wg : (tensor<4x8xf32>, tensor<24x8xf32>) -> tensor<4x24xf32>
  %u = ffn.linear %x, %wu : (tensor<4x8xf32>, tensor<24x8xf32>) -> tensor<4x24xf32>
  %s = ffn.silu %g : tensor<4x24xf32>
  %m = arith.mulf %s, %u : tensor<4x24xf32>
  %y = ffn.linear %m, %wd : (tensor<4x24xf32>, tensor<8x24xf32>) -> tensor<4x8xf32>
  return %y, %u : tensor<4x8xf32>, tensor<4x24xf32>
}

// -----

// Both factors activated: which one is the gate?
// CHECK-LABEL: func.func @no_mlp_both_factors_activated
func.func @no_mlp_both_factors_activated(%x: tensor<4x8xf32>, %wg: tensor<24x8xf32>, %wu: tensor<24x8xf32>, %wd: tensor<8x24xf32>) -> tensor<4x8xf32> {
  // CHECK-NOT:  ffn.mlp
  %g = ffn.linear %x, %wg : (tensor<4x8xf32>, tensor<24x8xf32>) -> tensor<4x24xf32>
  %u = ffn.linear %x, %wu : (tensor<4x8xf32>, tensor<24x8xf32>) -> tensor<4x24xf32>
  %s = ffn.silu %g : tensor<4x24xf32>
  %t = ffn.silu %u : tensor<4x24xf32>
  %m = arith.mulf %s, %t : tensor<4x24xf32>
  %y = ffn.linear %m, %wd : (tensor<4x24xf32>, tensor<8x24xf32>) -> tensor<4x8xf32>
  return %y : tensor<4x8xf32>
}

// -----

// A bilinear product without activation.
// CHECK-LABEL: func.func @no_mlp_no_activation
func.func @no_mlp_no_activation(%x: tensor<4x8xf32>, %wg: tensor<24x8xf32>, %wu: tensor<24x8xf32>, %wd: tensor<8x24xf32>) -> tensor<4x8xf32> {
  // CHECK-NOT:  ffn.mlp
  %g = ffn.linear %x, %wg : (tensor<4x8xf32>, tensor<24x8xf32>) -> tensor<4x24xf32>
  %u = ffn.linear %x, %wu : (tensor<4x8xf32>, tensor<24x8xf32>) -> tensor<4x24xf32>
  %m = arith.mulf %g, %u : tensor<4x24xf32>
  %y = ffn.linear %m, %wd : (tensor<4x24xf32>, tensor<8x24xf32>) -> tensor<4x8xf32>
  return %y : tensor<4x8xf32>
}

// -----

// Gate and up read different inputs.
// CHECK-LABEL: func.func @no_mlp_different_inputs
func.func @no_mlp_different_inputs(%x: tensor<4x8xf32>, %z: tensor<4x8xf32>, %wg: tensor<24x8xf32>, %wu: tensor<24x8xf32>, %wd: tensor<8x24xf32>) -> tensor<4x8xf32> {
  // CHECK-NOT:  ffn.mlp
  %g = ffn.linear %x, %wg : (tensor<4x8xf32>, tensor<24x8xf32>) -> tensor<4x24xf32>
  %u = ffn.linear %z, %wu : (tensor<4x8xf32>, tensor<24x8xf32>) -> tensor<4x24xf32>
  %s = ffn.silu %g : tensor<4x24xf32>
  %m = arith.mulf %s, %u : tensor<4x24xf32>
  %y = ffn.linear %m, %wd : (tensor<4x24xf32>, tensor<8x24xf32>) -> tensor<4x8xf32>
  return %y : tensor<4x8xf32>
}

// -----

// The output width differs from the input width (a classifier head, not an
// FFN of a residual stream).
// CHECK-LABEL: func.func @no_mlp_width_changes
func.func @no_mlp_width_changes(%x: tensor<4x8xf32>, %w1: tensor<32x8xf32>, %w2: tensor<10x32xf32>) -> tensor<4x10xf32> {
  // CHECK-NOT:  ffn.mlp
  %h = ffn.linear %x, %w1 : (tensor<4x8xf32>, tensor<32x8xf32>) -> tensor<4x32xf32>
  %g = ffn.gelu %h : tensor<4x32xf32>
  %y = ffn.linear %g, %w2 : (tensor<4x32xf32>, tensor<10x32xf32>) -> tensor<4x10xf32>
  return %y : tensor<4x10xf32>
}

// -----

// An activation between two linears that is not one the block knows
// (a decomposed GELU that was not raised) is not an FFN yet.
// CHECK-LABEL: func.func @no_mlp_unraised_activation
func.func @no_mlp_unraised_activation(%x: tensor<4x8xf32>, %w1: tensor<32x8xf32>, %w2: tensor<8x32xf32>) -> tensor<4x8xf32> {
  // CHECK-NOT:  ffn.mlp
  %h = ffn.linear %x, %w1 : (tensor<4x8xf32>, tensor<32x8xf32>) -> tensor<4x32xf32>
  %g = math.tanh %h : tensor<4x32xf32>
  %y = ffn.linear %g, %w2 : (tensor<4x32xf32>, tensor<8x32xf32>) -> tensor<4x8xf32>
  return %y : tensor<4x8xf32>
}
