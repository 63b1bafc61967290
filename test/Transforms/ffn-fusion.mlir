// ffn-fusion: consecutive residual FFN blocks become one wide block reading
// the run's first input: up weights and biases stacked by rows, down
// weights side by side, output biases summed.
//
// RUN: ffn-opt %s -split-input-file -ffn-fusion | FileCheck %s --check-prefix=ALL
// RUN: ffn-opt %s -split-input-file -ffn-fusion=max-run=2 | FileCheck %s --check-prefix=TWO
// RUN: not ffn-opt %s -split-input-file -ffn-fusion=max-run=-1 -o /dev/null 2>&1 | FileCheck %s --check-prefix=BAD

// BAD: ffn-fusion: max-run must be 0 (no limit) or at least 1, not -1

// Three blocks: all fused into the first, whose add is the result. The
// output bias is 0.5 + 0.25 + 0.125 = 0.875 (0x3F600000).
// ALL-LABEL: func.func @three
// ALL-COUNT-1: ffn.layer_norm
// ALL:         %[[MLP:.+]] = ffn.mlp({{.+}}) {ffn.applied = ["ffn-fusion"], ffn.fused_report_ids = array<i64>, ffn.rel_error = {{.+}}} : (tensor<2x4xf32>, tensor<24x4xf32>, tensor<24xf32>, tensor<4x24xf32>, tensor<4xf32>) -> tensor<2x4xf32>
// ALL:           ffn.linear {{.+}} -> tensor<2x24xf32>
// ALL:           ffn.gelu {{.+}} : tensor<2x24xf32>
// ALL:         %[[OUT:.+]] = arith.addf %arg0, %[[MLP]]
// ALL-NOT:     ffn.mlp
// ALL:         return %[[OUT]]
// ALL:         fused_bias: "0x040000000000603F0000603F0000603F0000603F"
// TWO-LABEL: func.func @three
// TWO:         ffn.mlp{{.+}}tensor<16x4xf32>
// TWO:         ffn.mlp{{.+}}tensor<8x4xf32>
// TWO-NOT:     ffn.mlp
func.func @three(%x0: tensor<2x4xf32>) -> tensor<2x4xf32> {
  %n0 = ffn.layer_norm %x0 {epsilon = 1.0e-05 : f32} : (tensor<2x4xf32>) -> tensor<2x4xf32>
  %w1_0 = arith.constant dense<0.1> : tensor<8x4xf32>
  %b1_0 = arith.constant dense<0.1> : tensor<8xf32>
  %w2_0 = arith.constant dense<0.2> : tensor<4x8xf32>
  %b2_0 = arith.constant dense<0.5> : tensor<4xf32>
  %f0 = ffn.mlp(%n0, %w1_0, %b1_0, %w2_0, %b2_0) : (tensor<2x4xf32>, tensor<8x4xf32>, tensor<8xf32>, tensor<4x8xf32>, tensor<4xf32>) -> tensor<2x4xf32> {
  ^bb0(%a: tensor<2x4xf32>, %p1: tensor<8x4xf32>, %q1: tensor<8xf32>, %p2: tensor<4x8xf32>, %q2: tensor<4xf32>):
    %h = ffn.linear %a, %p1, %q1 : (tensor<2x4xf32>, tensor<8x4xf32>, tensor<8xf32>) -> tensor<2x8xf32>
    %g = ffn.gelu %h : tensor<2x8xf32>
    %o = ffn.linear %g, %p2, %q2 : (tensor<2x8xf32>, tensor<4x8xf32>, tensor<4xf32>) -> tensor<2x4xf32>
    ffn.yield %o : tensor<2x4xf32>
  }
  %x1 = arith.addf %x0, %f0 : tensor<2x4xf32>
  %n1 = ffn.layer_norm %x1 {epsilon = 1.0e-05 : f32} : (tensor<2x4xf32>) -> tensor<2x4xf32>
  %w1_1 = arith.constant dense<0.2> : tensor<8x4xf32>
  %b1_1 = arith.constant dense<0.2> : tensor<8xf32>
  %w2_1 = arith.constant dense<0.4> : tensor<4x8xf32>
  %b2_1 = arith.constant dense<0.25> : tensor<4xf32>
  %f1 = ffn.mlp(%n1, %w1_1, %b1_1, %w2_1, %b2_1) : (tensor<2x4xf32>, tensor<8x4xf32>, tensor<8xf32>, tensor<4x8xf32>, tensor<4xf32>) -> tensor<2x4xf32> {
  ^bb0(%a: tensor<2x4xf32>, %p1: tensor<8x4xf32>, %q1: tensor<8xf32>, %p2: tensor<4x8xf32>, %q2: tensor<4xf32>):
    %h = ffn.linear %a, %p1, %q1 : (tensor<2x4xf32>, tensor<8x4xf32>, tensor<8xf32>) -> tensor<2x8xf32>
    %g = ffn.gelu %h : tensor<2x8xf32>
    %o = ffn.linear %g, %p2, %q2 : (tensor<2x8xf32>, tensor<4x8xf32>, tensor<4xf32>) -> tensor<2x4xf32>
    ffn.yield %o : tensor<2x4xf32>
  }
  %x2 = arith.addf %x1, %f1 : tensor<2x4xf32>
  %n2 = ffn.layer_norm %x2 {epsilon = 1.0e-05 : f32} : (tensor<2x4xf32>) -> tensor<2x4xf32>
  %w1_2 = arith.constant dense<0.30000000000000004> : tensor<8x4xf32>
  %b1_2 = arith.constant dense<0.3> : tensor<8xf32>
  %w2_2 = arith.constant dense<0.6000000000000001> : tensor<4x8xf32>
  %b2_2 = arith.constant dense<0.125> : tensor<4xf32>
  %f2 = ffn.mlp(%n2, %w1_2, %b1_2, %w2_2, %b2_2) : (tensor<2x4xf32>, tensor<8x4xf32>, tensor<8xf32>, tensor<4x8xf32>, tensor<4xf32>) -> tensor<2x4xf32> {
  ^bb0(%a: tensor<2x4xf32>, %p1: tensor<8x4xf32>, %q1: tensor<8xf32>, %p2: tensor<4x8xf32>, %q2: tensor<4xf32>):
    %h = ffn.linear %a, %p1, %q1 : (tensor<2x4xf32>, tensor<8x4xf32>, tensor<8xf32>) -> tensor<2x8xf32>
    %g = ffn.gelu %h : tensor<2x8xf32>
    %o = ffn.linear %g, %p2, %q2 : (tensor<2x8xf32>, tensor<4x8xf32>, tensor<4xf32>) -> tensor<2x4xf32>
    ffn.yield %o : tensor<2x4xf32>
  }
  %x3 = arith.addf %x2, %f2 : tensor<2x4xf32>
  return %x3 : tensor<2x4xf32>
}

// -----

// A different epsilon ends the run; an extra use of a block's output (here
// returned) means it is not a chain link at all.
// ALL-LABEL: func.func @breaks
// ALL:         ffn.mlp{{.+}}tensor<16x4xf32>
// ALL:         ffn.mlp{{.+}}tensor<8x4xf32>
// ALL:         ffn.mlp{{.+}}tensor<8x4xf32>
// ALL-NOT:     ffn.mlp
// TWO-LABEL: func.func @breaks
func.func @breaks(%x0: tensor<2x4xf32>) -> (tensor<2x4xf32>, tensor<2x4xf32>) {
  %n0 = ffn.layer_norm %x0 {epsilon = 1.0e-05 : f32} : (tensor<2x4xf32>) -> tensor<2x4xf32>
  %w1_0 = arith.constant dense<0.1> : tensor<8x4xf32>
  %b1_0 = arith.constant dense<0.1> : tensor<8xf32>
  %w2_0 = arith.constant dense<0.2> : tensor<4x8xf32>
  %b2_0 = arith.constant dense<0.5> : tensor<4xf32>
  %f0 = ffn.mlp(%n0, %w1_0, %b1_0, %w2_0, %b2_0) : (tensor<2x4xf32>, tensor<8x4xf32>, tensor<8xf32>, tensor<4x8xf32>, tensor<4xf32>) -> tensor<2x4xf32> {
  ^bb0(%a: tensor<2x4xf32>, %p1: tensor<8x4xf32>, %q1: tensor<8xf32>, %p2: tensor<4x8xf32>, %q2: tensor<4xf32>):
    %h = ffn.linear %a, %p1, %q1 : (tensor<2x4xf32>, tensor<8x4xf32>, tensor<8xf32>) -> tensor<2x8xf32>
    %g = ffn.gelu %h : tensor<2x8xf32>
    %o = ffn.linear %g, %p2, %q2 : (tensor<2x8xf32>, tensor<4x8xf32>, tensor<4xf32>) -> tensor<2x4xf32>
    ffn.yield %o : tensor<2x4xf32>
  }
  %x1 = arith.addf %x0, %f0 : tensor<2x4xf32>
  %n1 = ffn.layer_norm %x1 {epsilon = 1.0e-05 : f32} : (tensor<2x4xf32>) -> tensor<2x4xf32>
  %w1_1 = arith.constant dense<0.2> : tensor<8x4xf32>
  %b1_1 = arith.constant dense<0.2> : tensor<8xf32>
  %w2_1 = arith.constant dense<0.4> : tensor<4x8xf32>
  %b2_1 = arith.constant dense<0.25> : tensor<4xf32>
  %f1 = ffn.mlp(%n1, %w1_1, %b1_1, %w2_1, %b2_1) : (tensor<2x4xf32>, tensor<8x4xf32>, tensor<8xf32>, tensor<4x8xf32>, tensor<4xf32>) -> tensor<2x4xf32> {
  ^bb0(%a: tensor<2x4xf32>, %p1: tensor<8x4xf32>, %q1: tensor<8xf32>, %p2: tensor<4x8xf32>, %q2: tensor<4xf32>):
    %h = ffn.linear %a, %p1, %q1 : (tensor<2x4xf32>, tensor<8x4xf32>, tensor<8xf32>) -> tensor<2x8xf32>
    %g = ffn.gelu %h : tensor<2x8xf32>
    %o = ffn.linear %g, %p2, %q2 : (tensor<2x8xf32>, tensor<4x8xf32>, tensor<4xf32>) -> tensor<2x4xf32>
    ffn.yield %o : tensor<2x4xf32>
  }
  %x2 = arith.addf %x1, %f1 : tensor<2x4xf32>
  %n2 = ffn.layer_norm %x2 {epsilon = 1.0e-06 : f32} : (tensor<2x4xf32>) -> tensor<2x4xf32>
  %w1_2 = arith.constant dense<0.30000000000000004> : tensor<8x4xf32>
  %b1_2 = arith.constant dense<0.3> : tensor<8xf32>
  %w2_2 = arith.constant dense<0.6000000000000001> : tensor<4x8xf32>
  %b2_2 = arith.constant dense<0.125> : tensor<4xf32>
  %f2 = ffn.mlp(%n2, %w1_2, %b1_2, %w2_2, %b2_2) : (tensor<2x4xf32>, tensor<8x4xf32>, tensor<8xf32>, tensor<4x8xf32>, tensor<4xf32>) -> tensor<2x4xf32> {
  ^bb0(%a: tensor<2x4xf32>, %p1: tensor<8x4xf32>, %q1: tensor<8xf32>, %p2: tensor<4x8xf32>, %q2: tensor<4xf32>):
    %h = ffn.linear %a, %p1, %q1 : (tensor<2x4xf32>, tensor<8x4xf32>, tensor<8xf32>) -> tensor<2x8xf32>
    %g = ffn.gelu %h : tensor<2x8xf32>
    %o = ffn.linear %g, %p2, %q2 : (tensor<2x8xf32>, tensor<4x8xf32>, tensor<4xf32>) -> tensor<2x4xf32>
    ffn.yield %o : tensor<2x4xf32>
  }
  %x3 = arith.addf %x2, %f2 : tensor<2x4xf32>
  %n3 = ffn.layer_norm %x3 {epsilon = 1.0e-06 : f32} : (tensor<2x4xf32>) -> tensor<2x4xf32>
  %w1_3 = arith.constant dense<0.4> : tensor<8x4xf32>
  %b1_3 = arith.constant dense<0.4> : tensor<8xf32>
  %w2_3 = arith.constant dense<0.8> : tensor<4x8xf32>
  %b2_3 = arith.constant dense<0.125> : tensor<4xf32>
  %f3 = ffn.mlp(%n3, %w1_3, %b1_3, %w2_3, %b2_3) : (tensor<2x4xf32>, tensor<8x4xf32>, tensor<8xf32>, tensor<4x8xf32>, tensor<4xf32>) -> tensor<2x4xf32> {
  ^bb0(%a: tensor<2x4xf32>, %p1: tensor<8x4xf32>, %q1: tensor<8xf32>, %p2: tensor<4x8xf32>, %q2: tensor<4xf32>):
    %h = ffn.linear %a, %p1, %q1 : (tensor<2x4xf32>, tensor<8x4xf32>, tensor<8xf32>) -> tensor<2x8xf32>
    %g = ffn.gelu %h : tensor<2x8xf32>
    %o = ffn.linear %g, %p2, %q2 : (tensor<2x8xf32>, tensor<4x8xf32>, tensor<4xf32>) -> tensor<2x4xf32>
    ffn.yield %o : tensor<2x4xf32>
  }
  %x4 = arith.addf %x3, %f3 : tensor<2x4xf32>
  return %x3, %x4 : tensor<2x4xf32>, tensor<2x4xf32>
}
