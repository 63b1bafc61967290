// RUN: ffn-opt %s | ffn-opt | FileCheck %s
// RUN: ffn-opt %s --mlir-print-op-generic | ffn-opt | FileCheck %s

// CHECK-LABEL: func.func @linear_bias
// CHECK-SAME:    %[[X:[^:]+]]: tensor<4x8xf32>, %[[W:[^:]+]]: tensor<16x8xf32>, %[[B:[^:]+]]: tensor<16xf32>
func.func @linear_bias(%x: tensor<4x8xf32>, %w: tensor<16x8xf32>, %b: tensor<16xf32>) -> tensor<4x16xf32> {
  // CHECK: ffn.linear %[[X]], %[[W]], %[[B]] : (tensor<4x8xf32>, tensor<16x8xf32>, tensor<16xf32>) -> tensor<4x16xf32>
  %0 = ffn.linear %x, %w, %b : (tensor<4x8xf32>, tensor<16x8xf32>, tensor<16xf32>) -> tensor<4x16xf32>
  return %0 : tensor<4x16xf32>
}

// CHECK-LABEL: func.func @linear_no_bias
// CHECK-SAME:    %[[X:[^:]+]]: tensor<4x8xf32>, %[[W:[^:]+]]: tensor<16x8xf32>
func.func @linear_no_bias(%x: tensor<4x8xf32>, %w: tensor<16x8xf32>) -> tensor<4x16xf32> {
  // CHECK: ffn.linear %[[X]], %[[W]] : (tensor<4x8xf32>, tensor<16x8xf32>) -> tensor<4x16xf32>
  %0 = ffn.linear %x, %w : (tensor<4x8xf32>, tensor<16x8xf32>) -> tensor<4x16xf32>
  return %0 : tensor<4x16xf32>
}

// CHECK-LABEL: func.func @linear_rank1
func.func @linear_rank1(%x: tensor<8xf32>, %w: tensor<16x8xf32>) -> tensor<16xf32> {
  // CHECK: ffn.linear %{{.+}}, %{{.+}} : (tensor<8xf32>, tensor<16x8xf32>) -> tensor<16xf32>
  %0 = ffn.linear %x, %w : (tensor<8xf32>, tensor<16x8xf32>) -> tensor<16xf32>
  return %0 : tensor<16xf32>
}

// CHECK-LABEL: func.func @linear_rank3
func.func @linear_rank3(%x: tensor<2x7x40xf32>, %w: tensor<100x40xf32>, %b: tensor<100xf32>) -> tensor<2x7x100xf32> {
  // CHECK: ffn.linear %{{.+}}, %{{.+}}, %{{.+}} : (tensor<2x7x40xf32>, tensor<100x40xf32>, tensor<100xf32>) -> tensor<2x7x100xf32>
  %0 = ffn.linear %x, %w, %b : (tensor<2x7x40xf32>, tensor<100x40xf32>, tensor<100xf32>) -> tensor<2x7x100xf32>
  return %0 : tensor<2x7x100xf32>
}

// CHECK-LABEL: func.func @linear_dynamic
func.func @linear_dynamic(%x: tensor<?x?x8xf32>, %w: tensor<?x8xf32>, %b: tensor<?xf32>) -> tensor<?x?x?xf32> {
  // CHECK: ffn.linear %{{.+}}, %{{.+}}, %{{.+}} : (tensor<?x?x8xf32>, tensor<?x8xf32>, tensor<?xf32>) -> tensor<?x?x?xf32>
  %0 = ffn.linear %x, %w, %b : (tensor<?x?x8xf32>, tensor<?x8xf32>, tensor<?xf32>) -> tensor<?x?x?xf32>
  return %0 : tensor<?x?x?xf32>
}

// A dynamic dimension is compatible with any static size.
// CHECK-LABEL: func.func @linear_dynamic_features
func.func @linear_dynamic_features(%x: tensor<4x?xf32>, %w: tensor<16x8xf32>) -> tensor<?x16xf32> {
  // CHECK: ffn.linear %{{.+}}, %{{.+}} : (tensor<4x?xf32>, tensor<16x8xf32>) -> tensor<?x16xf32>
  %0 = ffn.linear %x, %w : (tensor<4x?xf32>, tensor<16x8xf32>) -> tensor<?x16xf32>
  return %0 : tensor<?x16xf32>
}

// CHECK-LABEL: func.func @linear_f16
func.func @linear_f16(%x: tensor<4x8xf16>, %w: tensor<16x8xf16>, %b: tensor<16xf16>) -> tensor<4x16xf16> {
  // CHECK: ffn.linear %{{.+}}, %{{.+}}, %{{.+}} : (tensor<4x8xf16>, tensor<16x8xf16>, tensor<16xf16>) -> tensor<4x16xf16>
  %0 = ffn.linear %x, %w, %b : (tensor<4x8xf16>, tensor<16x8xf16>, tensor<16xf16>) -> tensor<4x16xf16>
  return %0 : tensor<4x16xf16>
}

// CHECK-LABEL: func.func @activations
// CHECK-SAME:    %[[X:[^:]+]]: tensor<2x3x8xf32>
func.func @activations(%x: tensor<2x3x8xf32>) -> (tensor<2x3x8xf32>, tensor<2x3x8xf32>, tensor<2x3x8xf32>, tensor<2x3x8xf32>) {
  // The default (erf) form prints without the attribute.
  // CHECK: ffn.gelu %[[X]] : tensor<2x3x8xf32>
  %0 = ffn.gelu %x : tensor<2x3x8xf32>
  // CHECK: ffn.gelu %[[X]] approximate<tanh> : tensor<2x3x8xf32>
  %1 = ffn.gelu %x approximate<tanh> : tensor<2x3x8xf32>
  // CHECK: ffn.silu %[[X]] : tensor<2x3x8xf32>
  %2 = ffn.silu %x : tensor<2x3x8xf32>
  // CHECK: ffn.relu %[[X]] : tensor<2x3x8xf32>
  %3 = ffn.relu %x : tensor<2x3x8xf32>
  return %0, %1, %2, %3 : tensor<2x3x8xf32>, tensor<2x3x8xf32>, tensor<2x3x8xf32>, tensor<2x3x8xf32>
}

// An explicit approximate<none> is the default and is not printed.
// CHECK-LABEL: func.func @gelu_explicit_none
// CHECK-SAME:    %[[X:[^:]+]]: tensor<?x8xf32>
func.func @gelu_explicit_none(%x: tensor<?x8xf32>) -> tensor<?x8xf32> {
  // CHECK: ffn.gelu %[[X]] : tensor<?x8xf32>
  %0 = ffn.gelu %x approximate<none> : tensor<?x8xf32>
  return %0 : tensor<?x8xf32>
}

// CHECK-LABEL: func.func @layer_norm
// CHECK-SAME:    %[[X:[^:]+]]: tensor<4x8xf32>, %[[S:[^:]+]]: tensor<8xf32>, %[[B:[^:]+]]: tensor<8xf32>
func.func @layer_norm(%x: tensor<4x8xf32>, %s: tensor<8xf32>, %b: tensor<8xf32>) -> (tensor<4x8xf32>, tensor<4x8xf32>, tensor<4x8xf32>, tensor<4x8xf32>) {
  // CHECK: ffn.layer_norm %[[X]] scale %[[S]] bias %[[B]] {epsilon = 9.99999996E-13 : f32} : (tensor<4x8xf32>, tensor<8xf32>, tensor<8xf32>) -> tensor<4x8xf32>
  %0 = ffn.layer_norm %x scale %s bias %b {epsilon = 1.0e-12 : f32} : (tensor<4x8xf32>, tensor<8xf32>, tensor<8xf32>) -> tensor<4x8xf32>
  // CHECK: ffn.layer_norm %[[X]] scale %[[S]] : (tensor<4x8xf32>, tensor<8xf32>) -> tensor<4x8xf32>
  %1 = ffn.layer_norm %x scale %s : (tensor<4x8xf32>, tensor<8xf32>) -> tensor<4x8xf32>
  // CHECK: ffn.layer_norm %[[X]] bias %[[B]] : (tensor<4x8xf32>, tensor<8xf32>) -> tensor<4x8xf32>
  %2 = ffn.layer_norm %x bias %b : (tensor<4x8xf32>, tensor<8xf32>) -> tensor<4x8xf32>
  // CHECK: ffn.layer_norm %[[X]] : (tensor<4x8xf32>) -> tensor<4x8xf32>
  %3 = ffn.layer_norm %x : (tensor<4x8xf32>) -> tensor<4x8xf32>
  return %0, %1, %2, %3 : tensor<4x8xf32>, tensor<4x8xf32>, tensor<4x8xf32>, tensor<4x8xf32>
}

// CHECK-LABEL: func.func @rms_norm
// CHECK-SAME:    %[[X:[^:]+]]: tensor<2x?x8xf32>, %[[S:[^:]+]]: tensor<8xf32>
func.func @rms_norm(%x: tensor<2x?x8xf32>, %s: tensor<8xf32>) -> (tensor<2x?x8xf32>, tensor<2x?x8xf32>) {
  // CHECK: ffn.rms_norm %[[X]] scale %[[S]] {epsilon = 9.99999997E-7 : f32} : (tensor<2x?x8xf32>, tensor<8xf32>) -> tensor<2x?x8xf32>
  %0 = ffn.rms_norm %x scale %s {epsilon = 1.0e-06 : f32} : (tensor<2x?x8xf32>, tensor<8xf32>) -> tensor<2x?x8xf32>
  // CHECK: ffn.rms_norm %[[X]] : (tensor<2x?x8xf32>) -> tensor<2x?x8xf32>
  %1 = ffn.rms_norm %x : (tensor<2x?x8xf32>) -> tensor<2x?x8xf32>
  return %0, %1 : tensor<2x?x8xf32>, tensor<2x?x8xf32>
}

// CHECK-LABEL: func.func @batch_norm
// CHECK-SAME:    %[[X:[^:]+]]: tensor<197x384xf32>, %[[S:[^:]+]]: tensor<384xf32>, %[[B:[^:]+]]: tensor<384xf32>, %[[M:[^:]+]]: tensor<384xf32>, %[[V:[^:]+]]: tensor<384xf32>
func.func @batch_norm(%x: tensor<197x384xf32>, %s: tensor<384xf32>, %b: tensor<384xf32>, %m: tensor<384xf32>, %v: tensor<384xf32>) -> (tensor<197x384xf32>, tensor<197x384xf32>) {
  // CHECK: ffn.batch_norm %[[X]], %[[S]], %[[B]], %[[M]], %[[V]] : (tensor<197x384xf32>, tensor<384xf32>, tensor<384xf32>, tensor<384xf32>, tensor<384xf32>) -> tensor<197x384xf32>
  // The default epsilon (1e-5) is elided.
  // CHECK: ffn.batch_norm %[[X]], %[[S]], %[[B]], %[[M]], %[[V]] {epsilon = 1.000000e-03 : f32} : (tensor<197x384xf32>, tensor<384xf32>, tensor<384xf32>, tensor<384xf32>, tensor<384xf32>) -> tensor<197x384xf32>
  %0 = ffn.batch_norm %x, %s, %b, %m, %v {epsilon = 1.0e-05 : f32} : (tensor<197x384xf32>, tensor<384xf32>, tensor<384xf32>, tensor<384xf32>, tensor<384xf32>) -> tensor<197x384xf32>
  %1 = ffn.batch_norm %x, %s, %b, %m, %v {epsilon = 1.0e-03 : f32} : (tensor<197x384xf32>, tensor<384xf32>, tensor<384xf32>, tensor<384xf32>, tensor<384xf32>) -> tensor<197x384xf32>
  return %0, %1 : tensor<197x384xf32>, tensor<197x384xf32>
}

// CHECK-LABEL: func.func @mlp_encoder
// CHECK-SAME:    %[[X:[^:]+]]: tensor<4x8xf32>, %[[W1:[^:]+]]: tensor<32x8xf32>, %[[B1:[^:]+]]: tensor<32xf32>, %[[W2:[^:]+]]: tensor<8x32xf32>, %[[B2:[^:]+]]: tensor<8xf32>
func.func @mlp_encoder(%x: tensor<4x8xf32>, %w1: tensor<32x8xf32>, %b1: tensor<32xf32>, %w2: tensor<8x32xf32>, %b2: tensor<8xf32>) -> tensor<4x8xf32> {
  // CHECK:      %[[R:.+]] = ffn.mlp(%[[X]], %[[W1]], %[[B1]], %[[W2]], %[[B2]]) : (tensor<4x8xf32>, tensor<32x8xf32>, tensor<32xf32>, tensor<8x32xf32>, tensor<8xf32>) -> tensor<4x8xf32> {
  // CHECK-NEXT: ^bb0(%[[A:.+]]: tensor<4x8xf32>, %[[P1:.+]]: tensor<32x8xf32>, %[[Q1:.+]]: tensor<32xf32>, %[[P2:.+]]: tensor<8x32xf32>, %[[Q2:.+]]: tensor<8xf32>):
  // CHECK-NEXT:   %[[H:.+]] = ffn.linear %[[A]], %[[P1]], %[[Q1]] :
  // CHECK-NEXT:   %[[G:.+]] = ffn.gelu %[[H]] approximate<tanh> : tensor<4x32xf32>
  // CHECK-NEXT:   %[[O:.+]] = ffn.linear %[[G]], %[[P2]], %[[Q2]] :
  // CHECK-NEXT:   ffn.yield %[[O]] : tensor<4x8xf32>
  // CHECK-NEXT: }
  // CHECK-NEXT: return %[[R]]
  %y = ffn.mlp(%x, %w1, %b1, %w2, %b2) : (tensor<4x8xf32>, tensor<32x8xf32>, tensor<32xf32>, tensor<8x32xf32>, tensor<8xf32>) -> tensor<4x8xf32> {
  ^bb0(%a: tensor<4x8xf32>, %p1: tensor<32x8xf32>, %q1: tensor<32xf32>, %p2: tensor<8x32xf32>, %q2: tensor<8xf32>):
    %h = ffn.linear %a, %p1, %q1 : (tensor<4x8xf32>, tensor<32x8xf32>, tensor<32xf32>) -> tensor<4x32xf32>
    %g = ffn.gelu %h approximate<tanh> : tensor<4x32xf32>
    %o = ffn.linear %g, %p2, %q2 : (tensor<4x32xf32>, tensor<8x32xf32>, tensor<8xf32>) -> tensor<4x8xf32>
    ffn.yield %o : tensor<4x8xf32>
  }
  return %y : tensor<4x8xf32>
}

// CHECK-LABEL: func.func @mlp_gated
// CHECK-SAME:    %[[X:[^:]+]]: tensor<2x?x16xf32>, %[[WG:[^:]+]]: tensor<48x16xf32>, %[[WU:[^:]+]]: tensor<48x16xf32>, %[[WD:[^:]+]]: tensor<16x48xf32>
func.func @mlp_gated(%x: tensor<2x?x16xf32>, %wg: tensor<48x16xf32>, %wu: tensor<48x16xf32>, %wd: tensor<16x48xf32>) -> tensor<2x?x16xf32> {
  // CHECK:      ffn.mlp(%[[X]], %[[WG]], %[[WU]], %[[WD]]) : (tensor<2x?x16xf32>, tensor<48x16xf32>, tensor<48x16xf32>, tensor<16x48xf32>) -> tensor<2x?x16xf32> {
  // CHECK-NEXT: ^bb0(%[[A:.+]]: tensor<2x?x16xf32>, %[[G:.+]]: tensor<48x16xf32>, %[[U:.+]]: tensor<48x16xf32>, %[[D:.+]]: tensor<16x48xf32>):
  // CHECK-NEXT:   %[[HG:.+]] = ffn.linear %[[A]], %[[G]] :
  // CHECK-NEXT:   %[[HU:.+]] = ffn.linear %[[A]], %[[U]] :
  // CHECK-NEXT:   %[[S:.+]] = ffn.silu %[[HG]] : tensor<2x?x48xf32>
  // CHECK-NEXT:   %[[P:.+]] = arith.mulf %[[S]], %[[HU]] : tensor<2x?x48xf32>
  // CHECK-NEXT:   %[[O:.+]] = ffn.linear %[[P]], %[[D]] :
  // CHECK-NEXT:   ffn.yield %[[O]] : tensor<2x?x16xf32>
  %y = ffn.mlp(%x, %wg, %wu, %wd) : (tensor<2x?x16xf32>, tensor<48x16xf32>, tensor<48x16xf32>, tensor<16x48xf32>) -> tensor<2x?x16xf32> {
  ^bb0(%a: tensor<2x?x16xf32>, %g: tensor<48x16xf32>, %u: tensor<48x16xf32>, %d: tensor<16x48xf32>):
    %hg = ffn.linear %a, %g : (tensor<2x?x16xf32>, tensor<48x16xf32>) -> tensor<2x?x48xf32>
    %hu = ffn.linear %a, %u : (tensor<2x?x16xf32>, tensor<48x16xf32>) -> tensor<2x?x48xf32>
    %s = ffn.silu %hg : tensor<2x?x48xf32>
    %p = arith.mulf %s, %hu : tensor<2x?x48xf32>
    %o = ffn.linear %p, %d : (tensor<2x?x48xf32>, tensor<16x48xf32>) -> tensor<2x?x16xf32>
    ffn.yield %o : tensor<2x?x16xf32>
  }
  return %y : tensor<2x?x16xf32>
}

// A block around a norm and a residual add: any ops may form the body, and
// discardable attributes are kept.
// CHECK-LABEL: func.func @mlp_other
func.func @mlp_other(%x: tensor<4x8xf32>, %s: tensor<8xf32>, %w1: tensor<32x8xf32>, %w2: tensor<8x32xf32>) -> tensor<4x8xf32> {
  // CHECK:      ffn.mlp(%{{.+}}, %{{.+}}, %{{.+}}, %{{.+}}) {ffn.name = "block0"} :
  // CHECK:        ffn.rms_norm
  // CHECK:        ffn.relu
  // CHECK:        arith.addf
  // CHECK:        ffn.yield
  %y = ffn.mlp(%x, %s, %w1, %w2) {ffn.name = "block0"} : (tensor<4x8xf32>, tensor<8xf32>, tensor<32x8xf32>, tensor<8x32xf32>) -> tensor<4x8xf32> {
  ^bb0(%a: tensor<4x8xf32>, %sc: tensor<8xf32>, %p1: tensor<32x8xf32>, %p2: tensor<8x32xf32>):
    %n = ffn.rms_norm %a scale %sc : (tensor<4x8xf32>, tensor<8xf32>) -> tensor<4x8xf32>
    %h = ffn.linear %n, %p1 : (tensor<4x8xf32>, tensor<32x8xf32>) -> tensor<4x32xf32>
    %r = ffn.relu %h : tensor<4x32xf32>
    %o = ffn.linear %r, %p2 : (tensor<4x32xf32>, tensor<8x32xf32>) -> tensor<4x8xf32>
    %res = arith.addf %o, %a : tensor<4x8xf32>
    ffn.yield %res : tensor<4x8xf32>
  }
  return %y : tensor<4x8xf32>
}
