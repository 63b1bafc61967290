// RUN: ffn-opt %s -convert-ffn-to-linalg -split-input-file --mlir-elide-resource-strings-if-larger=16 | FileCheck %s

// The body of ffn.mlp is inlined: its block arguments become the op's
// operands and the yielded value replaces the result.
// CHECK-LABEL: func.func @mlp_encoder
// CHECK-SAME:    %[[X:[^:]+]]: tensor<4x8xf32>, %[[W1:[^:]+]]: tensor<32x8xf32>, %[[B1:[^:]+]]: tensor<32xf32>, %[[W2:[^:]+]]: tensor<8x32xf32>, %[[B2:[^:]+]]: tensor<8xf32>
func.func @mlp_encoder(%x: tensor<4x8xf32>, %w1: tensor<32x8xf32>, %b1: tensor<32xf32>, %w2: tensor<8x32xf32>, %b2: tensor<8xf32>) -> tensor<4x8xf32> {
  // CHECK-NOT:  ffn.mlp
  // CHECK:      %[[W1T:.+]] = linalg.transpose ins(%[[W1]] : tensor<32x8xf32>)
  // CHECK:      %[[BC1:.+]] = linalg.broadcast ins(%[[B1]] : tensor<32xf32>)
  // CHECK:      %[[H:.+]] = linalg.matmul ins(%[[X]], %[[W1T]] : tensor<4x8xf32>, tensor<8x32xf32>) outs(%[[BC1]] : tensor<4x32xf32>)
  // CHECK:      %[[G:.+]] = linalg.generic {{.*}} ins(%[[H]] : tensor<4x32xf32>)
  // CHECK:        math.erf
  // CHECK:      %[[W2T:.+]] = linalg.transpose ins(%[[W2]] : tensor<8x32xf32>)
  // CHECK:      %[[BC2:.+]] = linalg.broadcast ins(%[[B2]] : tensor<8xf32>)
  // CHECK:      %[[O:.+]] = linalg.matmul ins(%[[G]], %[[W2T]] : tensor<4x32xf32>, tensor<32x8xf32>) outs(%[[BC2]] : tensor<4x8xf32>)
  // CHECK:      return %[[O]]
  %y = ffn.mlp(%x, %w1, %b1, %w2, %b2) : (tensor<4x8xf32>, tensor<32x8xf32>, tensor<32xf32>, tensor<8x32xf32>, tensor<8xf32>) -> tensor<4x8xf32> {
  ^bb0(%a: tensor<4x8xf32>, %p1: tensor<32x8xf32>, %q1: tensor<32xf32>, %p2: tensor<8x32xf32>, %q2: tensor<8xf32>):
    %h = ffn.linear %a, %p1, %q1 : (tensor<4x8xf32>, tensor<32x8xf32>, tensor<32xf32>) -> tensor<4x32xf32>
    %g = ffn.gelu %h : tensor<4x32xf32>
    %o = ffn.linear %g, %p2, %q2 : (tensor<4x32xf32>, tensor<8x32xf32>, tensor<8xf32>) -> tensor<4x8xf32>
    ffn.yield %o : tensor<4x8xf32>
  }
  return %y : tensor<4x8xf32>
}

// -----

// Gated (Llama) form with constant weights: every weight is transposed at
// compile time, and the arith.mulf of the body is kept as it is.
// CHECK-LABEL: func.func @mlp_gated
// CHECK-SAME:    %[[X:[^:]+]]: tensor<2x3x4xf32>
func.func @mlp_gated(%x: tensor<2x3x4xf32>) -> tensor<2x3x4xf32> {
  // CHECK:      %[[XG:.+]] = tensor.collapse_shape %[[X]] {{\[}}[0, 1], [2]] : tensor<2x3x4xf32> into tensor<6x4xf32>
  // CHECK:      %[[WG:.+]] = arith.constant dense_resource<{{.+}}> : tensor<4x6xf32>
  // CHECK:      %[[MG:.+]] = linalg.matmul ins(%[[XG]], %[[WG]] : tensor<6x4xf32>, tensor<4x6xf32>)
  // CHECK:      %[[HG:.+]] = tensor.expand_shape %[[MG]] {{.*}} into tensor<2x3x6xf32>
  // CHECK:      %[[XU:.+]] = tensor.collapse_shape %[[X]]
  // CHECK:      %[[WU:.+]] = arith.constant dense_resource<{{.+}}> : tensor<4x6xf32>
  // CHECK:      %[[MU:.+]] = linalg.matmul ins(%[[XU]], %[[WU]] : tensor<6x4xf32>, tensor<4x6xf32>)
  // CHECK:      %[[HU:.+]] = tensor.expand_shape %[[MU]] {{.*}} into tensor<2x3x6xf32>
  // CHECK:      %[[S:.+]] = linalg.generic {{.*}} ins(%[[HG]] : tensor<2x3x6xf32>)
  // CHECK:        math.exp
  // CHECK:      %[[P:.+]] = arith.mulf %[[S]], %[[HU]] : tensor<2x3x6xf32>
  // CHECK:      %[[XD:.+]] = tensor.collapse_shape %[[P]] {{\[}}[0, 1], [2]] : tensor<2x3x6xf32> into tensor<6x6xf32>
  // CHECK:      %[[WD:.+]] = arith.constant dense_resource<{{.+}}> : tensor<6x4xf32>
  // CHECK:      %[[MD:.+]] = linalg.matmul ins(%[[XD]], %[[WD]] : tensor<6x6xf32>, tensor<6x4xf32>)
  // CHECK:      %[[O:.+]] = tensor.expand_shape %[[MD]] {{.*}} into tensor<2x3x4xf32>
  // CHECK:      return %[[O]]
  %wg = arith.constant dense<[[1.0, 2.0, 3.0, 4.0], [1.0, 2.0, 3.0, 4.0], [1.0, 2.0, 3.0, 4.0], [1.0, 2.0, 3.0, 4.0], [1.0, 2.0, 3.0, 4.0], [1.0, 2.0, 3.0, 4.0]]> : tensor<6x4xf32>
  %wu = arith.constant dense<[[4.0, 3.0, 2.0, 1.0], [4.0, 3.0, 2.0, 1.0], [4.0, 3.0, 2.0, 1.0], [4.0, 3.0, 2.0, 1.0], [4.0, 3.0, 2.0, 1.0], [4.0, 3.0, 2.0, 1.0]]> : tensor<6x4xf32>
  %wd = arith.constant dense<[[1.0, 0.0, 1.0, 0.0, 1.0, 0.0], [0.0, 1.0, 0.0, 1.0, 0.0, 1.0], [1.0, 1.0, 0.0, 0.0, 1.0, 1.0], [0.0, 0.0, 1.0, 1.0, 0.0, 0.0]]> : tensor<4x6xf32>
  %y = ffn.mlp(%x, %wg, %wu, %wd) : (tensor<2x3x4xf32>, tensor<6x4xf32>, tensor<6x4xf32>, tensor<4x6xf32>) -> tensor<2x3x4xf32> {
  ^bb0(%a: tensor<2x3x4xf32>, %g: tensor<6x4xf32>, %u: tensor<6x4xf32>, %d: tensor<4x6xf32>):
    %hg = ffn.linear %a, %g : (tensor<2x3x4xf32>, tensor<6x4xf32>) -> tensor<2x3x6xf32>
    %hu = ffn.linear %a, %u : (tensor<2x3x4xf32>, tensor<6x4xf32>) -> tensor<2x3x6xf32>
    %s = ffn.silu %hg : tensor<2x3x6xf32>
    %p = arith.mulf %s, %hu : tensor<2x3x6xf32>
    %o = ffn.linear %p, %d : (tensor<2x3x6xf32>, tensor<4x6xf32>) -> tensor<2x3x4xf32>
    ffn.yield %o : tensor<2x3x4xf32>
  }
  return %y : tensor<2x3x4xf32>
}

// -----

// Two blocks in sequence, the second reading the first's output, with a
// residual add and a norm between them.
// CHECK-LABEL: func.func @two_blocks
// CHECK-SAME:    %[[X:[^:]+]]: tensor<4x8xf32>, %[[W:[^:]+]]: tensor<8x8xf32>
func.func @two_blocks(%x: tensor<4x8xf32>, %w: tensor<8x8xf32>) -> tensor<4x8xf32> {
  // CHECK:      %[[M1:.+]] = linalg.matmul ins(%[[X]], %{{.+}} : tensor<4x8xf32>, tensor<8x8xf32>)
  // CHECK:      %[[R1:.+]] = linalg.generic {{.*}} ins(%[[M1]] : tensor<4x8xf32>)
  // CHECK:        arith.maximumf
  // CHECK:      %[[RES:.+]] = arith.addf %[[R1]], %[[X]] : tensor<4x8xf32>
  // CHECK:      linalg.generic {{.*}} iterator_types = ["parallel", "reduction"]
  // CHECK-SAME:     ins(%[[RES]] : tensor<4x8xf32>)
  // CHECK:      %[[N:.+]] = linalg.generic {{.*}} ins(%[[RES]], %{{.+}} : tensor<4x8xf32>, tensor<4xf32>)
  // CHECK:      %[[M2:.+]] = linalg.matmul ins(%[[N]], %{{.+}} : tensor<4x8xf32>, tensor<8x8xf32>)
  // CHECK:      %[[R2:.+]] = linalg.generic {{.*}} ins(%[[M2]] : tensor<4x8xf32>)
  // CHECK:        arith.maximumf
  // CHECK:      return %[[R2]]
  %y = ffn.mlp(%x, %w) : (tensor<4x8xf32>, tensor<8x8xf32>) -> tensor<4x8xf32> {
  ^bb0(%a: tensor<4x8xf32>, %p: tensor<8x8xf32>):
    %h = ffn.linear %a, %p : (tensor<4x8xf32>, tensor<8x8xf32>) -> tensor<4x8xf32>
    %r = ffn.relu %h : tensor<4x8xf32>
    %res = arith.addf %r, %a : tensor<4x8xf32>
    ffn.yield %res : tensor<4x8xf32>
  }
  %n = ffn.rms_norm %y : (tensor<4x8xf32>) -> tensor<4x8xf32>
  %z = ffn.mlp(%n, %w) : (tensor<4x8xf32>, tensor<8x8xf32>) -> tensor<4x8xf32> {
  ^bb0(%a: tensor<4x8xf32>, %p: tensor<8x8xf32>):
    %h = ffn.linear %a, %p : (tensor<4x8xf32>, tensor<8x8xf32>) -> tensor<4x8xf32>
    %r = ffn.relu %h : tensor<4x8xf32>
    ffn.yield %r : tensor<4x8xf32>
  }
  return %z : tensor<4x8xf32>
}
