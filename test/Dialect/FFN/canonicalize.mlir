// RUN: ffn-opt %s -canonicalize -split-input-file | FileCheck %s

//===----------------------------------------------------------------------===//
// ffn.linear: a constant-zero bias is dropped
//===----------------------------------------------------------------------===//

// CHECK-LABEL: func.func @linear_zero_bias
// CHECK-SAME:    %[[X:[^:]+]]: tensor<4x8xf32>, %[[W:[^:]+]]: tensor<16x8xf32>
func.func @linear_zero_bias(%x: tensor<4x8xf32>, %w: tensor<16x8xf32>) -> tensor<4x16xf32> {
  // CHECK-NOT:  arith.constant
  // CHECK:      %[[Y:.+]] = ffn.linear %[[X]], %[[W]] : (tensor<4x8xf32>, tensor<16x8xf32>) -> tensor<4x16xf32>
  // CHECK-NEXT: return %[[Y]]
  %b = arith.constant dense<0.0> : tensor<16xf32>
  %0 = ffn.linear %x, %w, %b : (tensor<4x8xf32>, tensor<16x8xf32>, tensor<16xf32>) -> tensor<4x16xf32>
  return %0 : tensor<4x16xf32>
}

// -----

// Written out element by element, all zeros, on a rank-3 input.
// CHECK-LABEL: func.func @linear_zero_bias_elements
// CHECK-SAME:    %[[X:[^:]+]]: tensor<2x3x8xf32>, %[[W:[^:]+]]: tensor<4x8xf32>
func.func @linear_zero_bias_elements(%x: tensor<2x3x8xf32>, %w: tensor<4x8xf32>) -> tensor<2x3x4xf32> {
  // CHECK-NOT:  arith.constant
  // CHECK:      ffn.linear %[[X]], %[[W]] : (tensor<2x3x8xf32>, tensor<4x8xf32>) -> tensor<2x3x4xf32>
  %b = arith.constant dense<[0.0, 0.0, 0.0, 0.0]> : tensor<4xf32>
  %0 = ffn.linear %x, %w, %b : (tensor<2x3x8xf32>, tensor<4x8xf32>, tensor<4xf32>) -> tensor<2x3x4xf32>
  return %0 : tensor<2x3x4xf32>
}

// -----

// CHECK-LABEL: func.func @linear_negative_zero_bias
// CHECK-SAME:    %[[X:[^:]+]]: tensor<4x8xf32>, %[[W:[^:]+]]: tensor<16x8xf32>
func.func @linear_negative_zero_bias(%x: tensor<4x8xf32>, %w: tensor<16x8xf32>) -> tensor<4x16xf32> {
  // CHECK: ffn.linear %[[X]], %[[W]] : (tensor<4x8xf32>, tensor<16x8xf32>) -> tensor<4x16xf32>
  %b = arith.constant dense<-0.0> : tensor<16xf32>
  %0 = ffn.linear %x, %w, %b : (tensor<4x8xf32>, tensor<16x8xf32>, tensor<16xf32>) -> tensor<4x16xf32>
  return %0 : tensor<4x16xf32>
}

// -----

// CHECK-LABEL: func.func @linear_nonzero_bias
// CHECK-SAME:    %[[X:[^:]+]]: tensor<4x8xf32>, %[[W:[^:]+]]: tensor<16x8xf32>
func.func @linear_nonzero_bias(%x: tensor<4x8xf32>, %w: tensor<16x8xf32>) -> tensor<4x16xf32> {
  // CHECK: %[[B:.+]] = arith.constant dense<1.000000e+00> : tensor<16xf32>
  // CHECK: ffn.linear %[[X]], %[[W]], %[[B]] :
  %b = arith.constant dense<1.0> : tensor<16xf32>
  %0 = ffn.linear %x, %w, %b : (tensor<4x8xf32>, tensor<16x8xf32>, tensor<16xf32>) -> tensor<4x16xf32>
  return %0 : tensor<4x16xf32>
}

// -----

// One non-zero element is enough to keep the bias.
// CHECK-LABEL: func.func @linear_partly_zero_bias
// CHECK-SAME:    %[[X:[^:]+]]: tensor<4x8xf32>, %[[W:[^:]+]]: tensor<2x8xf32>
func.func @linear_partly_zero_bias(%x: tensor<4x8xf32>, %w: tensor<2x8xf32>) -> tensor<4x2xf32> {
  // CHECK: %[[B:.+]] = arith.constant dense<[0.000000e+00, 5.000000e-01]> : tensor<2xf32>
  // CHECK: ffn.linear %[[X]], %[[W]], %[[B]] :
  %b = arith.constant dense<[0.0, 0.5]> : tensor<2xf32>
  %0 = ffn.linear %x, %w, %b : (tensor<4x8xf32>, tensor<2x8xf32>, tensor<2xf32>) -> tensor<4x2xf32>
  return %0 : tensor<4x2xf32>
}

// -----

// CHECK-LABEL: func.func @linear_argument_bias
// CHECK-SAME:    %[[X:[^:]+]]: tensor<4x8xf32>, %[[W:[^:]+]]: tensor<16x8xf32>, %[[B:[^:]+]]: tensor<16xf32>
func.func @linear_argument_bias(%x: tensor<4x8xf32>, %w: tensor<16x8xf32>, %b: tensor<16xf32>) -> tensor<4x16xf32> {
  // CHECK: ffn.linear %[[X]], %[[W]], %[[B]] :
  %0 = ffn.linear %x, %w, %b : (tensor<4x8xf32>, tensor<16x8xf32>, tensor<16xf32>) -> tensor<4x16xf32>
  return %0 : tensor<4x16xf32>
}

// -----

//===----------------------------------------------------------------------===//
// ffn.relu: idempotent
//===----------------------------------------------------------------------===//

// CHECK-LABEL: func.func @relu_relu
// CHECK-SAME:    %[[X:[^:]+]]: tensor<4x8xf32>
func.func @relu_relu(%x: tensor<4x8xf32>) -> tensor<4x8xf32> {
  // CHECK:      %[[R:.+]] = ffn.relu %[[X]] : tensor<4x8xf32>
  // CHECK-NEXT: return %[[R]]
  %0 = ffn.relu %x : tensor<4x8xf32>
  %1 = ffn.relu %0 : tensor<4x8xf32>
  return %1 : tensor<4x8xf32>
}

// -----

// CHECK-LABEL: func.func @relu_chain
// CHECK-SAME:    %[[X:[^:]+]]: tensor<?x8xf32>
func.func @relu_chain(%x: tensor<?x8xf32>) -> tensor<?x8xf32> {
  // CHECK:      %[[R:.+]] = ffn.relu %[[X]] : tensor<?x8xf32>
  // CHECK-NEXT: return %[[R]]
  %0 = ffn.relu %x : tensor<?x8xf32>
  %1 = ffn.relu %0 : tensor<?x8xf32>
  %2 = ffn.relu %1 : tensor<?x8xf32>
  return %2 : tensor<?x8xf32>
}

// -----

// Both relus have uses: the outer one is replaced, the inner one stays.
// CHECK-LABEL: func.func @relu_relu_shared
// CHECK-SAME:    %[[X:[^:]+]]: tensor<4x8xf32>
func.func @relu_relu_shared(%x: tensor<4x8xf32>) -> (tensor<4x8xf32>, tensor<4x8xf32>) {
  // CHECK:      %[[R:.+]] = ffn.relu %[[X]] : tensor<4x8xf32>
  // CHECK-NEXT: return %[[R]], %[[R]]
  %0 = ffn.relu %x : tensor<4x8xf32>
  %1 = ffn.relu %0 : tensor<4x8xf32>
  return %0, %1 : tensor<4x8xf32>, tensor<4x8xf32>
}

// -----

// CHECK-LABEL: func.func @relu_of_gelu
// CHECK-SAME:    %[[X:[^:]+]]: tensor<4x8xf32>
func.func @relu_of_gelu(%x: tensor<4x8xf32>) -> tensor<4x8xf32> {
  // CHECK:      %[[G:.+]] = ffn.gelu %[[X]] : tensor<4x8xf32>
  // CHECK-NEXT: %[[R:.+]] = ffn.relu %[[G]] : tensor<4x8xf32>
  // CHECK-NEXT: return %[[R]]
  %0 = ffn.gelu %x : tensor<4x8xf32>
  %1 = ffn.relu %0 : tensor<4x8xf32>
  return %1 : tensor<4x8xf32>
}

// -----

// CHECK-LABEL: func.func @gelu_of_relu
// CHECK-SAME:    %[[X:[^:]+]]: tensor<4x8xf32>
func.func @gelu_of_relu(%x: tensor<4x8xf32>) -> tensor<4x8xf32> {
  // CHECK:      %[[R:.+]] = ffn.relu %[[X]] : tensor<4x8xf32>
  // CHECK-NEXT: %[[G:.+]] = ffn.gelu %[[R]] : tensor<4x8xf32>
  // CHECK-NEXT: return %[[G]]
  %0 = ffn.relu %x : tensor<4x8xf32>
  %1 = ffn.gelu %0 : tensor<4x8xf32>
  return %1 : tensor<4x8xf32>
}

// -----

// Unused activations are pure and disappear.
// CHECK-LABEL: func.func @dead_activations
func.func @dead_activations(%x: tensor<4x8xf32>) -> tensor<4x8xf32> {
  // CHECK-NOT: ffn.
  // CHECK:     return
  %0 = ffn.gelu %x : tensor<4x8xf32>
  %1 = ffn.silu %x : tensor<4x8xf32>
  %2 = ffn.layer_norm %x : (tensor<4x8xf32>) -> tensor<4x8xf32>
  return %x : tensor<4x8xf32>
}

// -----

//===----------------------------------------------------------------------===//
// ffn.mlp: unused and duplicate parameters
//===----------------------------------------------------------------------===//

// CHECK-LABEL: func.func @mlp_unused_param
// CHECK-SAME:    %[[X:[^:]+]]: tensor<4x8xf32>, %[[W1:[^:]+]]: tensor<32x8xf32>, %[[B1:[^:]+]]: tensor<32xf32>, %[[W2:[^:]+]]: tensor<8x32xf32>
func.func @mlp_unused_param(%x: tensor<4x8xf32>, %w1: tensor<32x8xf32>, %b1: tensor<32xf32>, %w2: tensor<8x32xf32>) -> tensor<4x8xf32> {
  // CHECK:      ffn.mlp(%[[X]], %[[W1]], %[[W2]]) : (tensor<4x8xf32>, tensor<32x8xf32>, tensor<8x32xf32>) -> tensor<4x8xf32> {
  // CHECK-NEXT: ^bb0(%[[A:.+]]: tensor<4x8xf32>, %[[P1:.+]]: tensor<32x8xf32>, %[[P2:.+]]: tensor<8x32xf32>):
  // CHECK-NEXT:   %[[H:.+]] = ffn.linear %[[A]], %[[P1]] :
  // CHECK-NEXT:   %[[G:.+]] = ffn.gelu %[[H]]
  // CHECK-NEXT:   %[[O:.+]] = ffn.linear %[[G]], %[[P2]] :
  // CHECK-NEXT:   ffn.yield %[[O]]
  %y = ffn.mlp(%x, %w1, %b1, %w2) : (tensor<4x8xf32>, tensor<32x8xf32>, tensor<32xf32>, tensor<8x32xf32>) -> tensor<4x8xf32> {
  ^bb0(%a: tensor<4x8xf32>, %p1: tensor<32x8xf32>, %q1: tensor<32xf32>, %p2: tensor<8x32xf32>):
    %h = ffn.linear %a, %p1 : (tensor<4x8xf32>, tensor<32x8xf32>) -> tensor<4x32xf32>
    %g = ffn.gelu %h : tensor<4x32xf32>
    %o = ffn.linear %g, %p2 : (tensor<4x32xf32>, tensor<8x32xf32>) -> tensor<4x8xf32>
    ffn.yield %o : tensor<4x8xf32>
  }
  return %y : tensor<4x8xf32>
}

// -----

// A parameter that becomes unused once the zero bias inside is dropped.
// CHECK-LABEL: func.func @mlp_param_unused_after_folding
// CHECK-SAME:    %[[X:[^:]+]]: tensor<4x8xf32>, %[[W:[^:]+]]: tensor<8x8xf32>
func.func @mlp_param_unused_after_folding(%x: tensor<4x8xf32>, %w: tensor<8x8xf32>) -> tensor<4x8xf32> {
  // CHECK:      ffn.mlp(%[[X]], %[[W]]) : (tensor<4x8xf32>, tensor<8x8xf32>) -> tensor<4x8xf32> {
  // CHECK-NEXT: ^bb0(%[[A:.+]]: tensor<4x8xf32>, %[[P:.+]]: tensor<8x8xf32>):
  // CHECK-NEXT:   %[[H:.+]] = ffn.linear %[[A]], %[[P]] : (tensor<4x8xf32>, tensor<8x8xf32>) -> tensor<4x8xf32>
  // CHECK-NEXT:   ffn.yield %[[H]]
  %zero = arith.constant dense<0.0> : tensor<8xf32>
  %y = ffn.mlp(%x, %w, %zero) : (tensor<4x8xf32>, tensor<8x8xf32>, tensor<8xf32>) -> tensor<4x8xf32> {
  ^bb0(%a: tensor<4x8xf32>, %p: tensor<8x8xf32>, %q: tensor<8xf32>):
    %c = arith.constant dense<0.0> : tensor<8xf32>
    %h = ffn.linear %a, %p, %c : (tensor<4x8xf32>, tensor<8x8xf32>, tensor<8xf32>) -> tensor<4x8xf32>
    ffn.yield %h : tensor<4x8xf32>
  }
  return %y : tensor<4x8xf32>
}

// -----

// The same weight passed twice (tied gate and up projections) becomes one
// operand; its second block argument is replaced by the first.
// CHECK-LABEL: func.func @mlp_duplicate_param
// CHECK-SAME:    %[[X:[^:]+]]: tensor<4x8xf32>, %[[W:[^:]+]]: tensor<16x8xf32>, %[[WD:[^:]+]]: tensor<8x16xf32>
func.func @mlp_duplicate_param(%x: tensor<4x8xf32>, %w: tensor<16x8xf32>, %wd: tensor<8x16xf32>) -> tensor<4x8xf32> {
  // CHECK:      ffn.mlp(%[[X]], %[[W]], %[[WD]]) : (tensor<4x8xf32>, tensor<16x8xf32>, tensor<8x16xf32>) -> tensor<4x8xf32> {
  // CHECK-NEXT: ^bb0(%[[A:.+]]: tensor<4x8xf32>, %[[G:.+]]: tensor<16x8xf32>, %[[D:.+]]: tensor<8x16xf32>):
  // CHECK-NEXT:   %[[HG:.+]] = ffn.linear %[[A]], %[[G]] :
  // CHECK-NEXT:   %[[HU:.+]] = ffn.linear %[[A]], %[[G]] :
  // CHECK-NEXT:   %[[S:.+]] = ffn.silu %[[HG]]
  // CHECK-NEXT:   %[[P:.+]] = arith.mulf %[[S]], %[[HU]]
  // CHECK-NEXT:   %[[O:.+]] = ffn.linear %[[P]], %[[D]] :
  // CHECK-NEXT:   ffn.yield %[[O]]
  %y = ffn.mlp(%x, %w, %w, %wd) : (tensor<4x8xf32>, tensor<16x8xf32>, tensor<16x8xf32>, tensor<8x16xf32>) -> tensor<4x8xf32> {
  ^bb0(%a: tensor<4x8xf32>, %g: tensor<16x8xf32>, %u: tensor<16x8xf32>, %d: tensor<8x16xf32>):
    %hg = ffn.linear %a, %g : (tensor<4x8xf32>, tensor<16x8xf32>) -> tensor<4x16xf32>
    %hu = ffn.linear %a, %u : (tensor<4x8xf32>, tensor<16x8xf32>) -> tensor<4x16xf32>
    %s = ffn.silu %hg : tensor<4x16xf32>
    %p = arith.mulf %s, %hu : tensor<4x16xf32>
    %o = ffn.linear %p, %d : (tensor<4x16xf32>, tensor<8x16xf32>) -> tensor<4x8xf32>
    ffn.yield %o : tensor<4x8xf32>
  }
  return %y : tensor<4x8xf32>
}

// -----

// A parameter that is the input itself merges into the input's argument.
// CHECK-LABEL: func.func @mlp_param_is_input
// CHECK-SAME:    %[[X:[^:]+]]: tensor<8xf32>
func.func @mlp_param_is_input(%x: tensor<8xf32>) -> tensor<8xf32> {
  // CHECK:      ffn.mlp(%[[X]]) : (tensor<8xf32>) -> tensor<8xf32> {
  // CHECK-NEXT: ^bb0(%[[A:.+]]: tensor<8xf32>):
  // CHECK-NEXT:   %[[R:.+]] = arith.addf %[[A]], %[[A]]
  // CHECK-NEXT:   ffn.yield %[[R]]
  %y = ffn.mlp(%x, %x) : (tensor<8xf32>, tensor<8xf32>) -> tensor<8xf32> {
  ^bb0(%a: tensor<8xf32>, %b: tensor<8xf32>):
    %r = arith.addf %a, %b : tensor<8xf32>
    ffn.yield %r : tensor<8xf32>
  }
  return %y : tensor<8xf32>
}

// -----

// The input is kept even when the body does not read it; discardable
// attributes survive the rebuild.
// CHECK-LABEL: func.func @mlp_unused_input
// CHECK-SAME:    %[[X:[^:]+]]: tensor<8xf32>, %[[S:[^:]+]]: tensor<8xf32>
func.func @mlp_unused_input(%x: tensor<8xf32>, %s: tensor<8xf32>) -> tensor<8xf32> {
  // CHECK:      ffn.mlp(%[[X]]) {ffn.name = "b0"} : (tensor<8xf32>) -> tensor<8xf32> {
  // CHECK-NEXT: ^bb0(%{{.+}}: tensor<8xf32>):
  // CHECK-NEXT:   %[[C:.+]] = arith.constant
  // CHECK-NEXT:   ffn.yield %[[C]]
  %y = ffn.mlp(%x, %s) {ffn.name = "b0"} : (tensor<8xf32>, tensor<8xf32>) -> tensor<8xf32> {
  ^bb0(%a: tensor<8xf32>, %b: tensor<8xf32>):
    %c = arith.constant dense<1.0> : tensor<8xf32>
    ffn.yield %c : tensor<8xf32>
  }
  return %y : tensor<8xf32>
}

// -----

// Every parameter used once and distinct: nothing changes.
// CHECK-LABEL: func.func @mlp_unchanged
// CHECK-SAME:    %[[X:[^:]+]]: tensor<4x8xf32>, %[[W1:[^:]+]]: tensor<32x8xf32>, %[[B1:[^:]+]]: tensor<32xf32>, %[[W2:[^:]+]]: tensor<8x32xf32>, %[[B2:[^:]+]]: tensor<8xf32>
func.func @mlp_unchanged(%x: tensor<4x8xf32>, %w1: tensor<32x8xf32>, %b1: tensor<32xf32>, %w2: tensor<8x32xf32>, %b2: tensor<8xf32>) -> tensor<4x8xf32> {
  // CHECK:      ffn.mlp(%[[X]], %[[W1]], %[[B1]], %[[W2]], %[[B2]]) :
  // CHECK-NEXT: ^bb0(%[[A:.+]]: tensor<4x8xf32>, %[[P1:.+]]: tensor<32x8xf32>, %[[Q1:.+]]: tensor<32xf32>, %[[P2:.+]]: tensor<8x32xf32>, %[[Q2:.+]]: tensor<8xf32>):
  // CHECK-NEXT:   %[[H:.+]] = ffn.linear %[[A]], %[[P1]], %[[Q1]] :
  // CHECK-NEXT:   %[[G:.+]] = ffn.relu %[[H]]
  // CHECK-NEXT:   %[[O:.+]] = ffn.linear %[[G]], %[[P2]], %[[Q2]] :
  // CHECK-NEXT:   ffn.yield %[[O]]
  %y = ffn.mlp(%x, %w1, %b1, %w2, %b2) : (tensor<4x8xf32>, tensor<32x8xf32>, tensor<32xf32>, tensor<8x32xf32>, tensor<8xf32>) -> tensor<4x8xf32> {
  ^bb0(%a: tensor<4x8xf32>, %p1: tensor<32x8xf32>, %q1: tensor<32xf32>, %p2: tensor<8x32xf32>, %q2: tensor<8xf32>):
    %h = ffn.linear %a, %p1, %q1 : (tensor<4x8xf32>, tensor<32x8xf32>, tensor<32xf32>) -> tensor<4x32xf32>
    %g = ffn.relu %h : tensor<4x32xf32>
    %o = ffn.linear %g, %p2, %q2 : (tensor<4x32xf32>, tensor<8x32xf32>, tensor<8xf32>) -> tensor<4x8xf32>
    ffn.yield %o : tensor<4x8xf32>
  }
  return %y : tensor<4x8xf32>
}
