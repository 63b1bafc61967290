// RUN: ffn-opt %s -ffn-permute-neurons=reuse-weight-buffers=true -split-input-file | FileCheck %s
// RUN: ffn-opt %s -ffn-permute-neurons -split-input-file | FileCheck %s --check-prefix=COPY

// With reuse-weight-buffers (ffn-compile: the module is alone with its
// weights), the permuted weights overwrite the blobs they came from: the
// constants keep their resource names and hold the permuted values (the
// ones permute-neurons.mlir's @encoder checks: order 1, 2, 0). Without it,
// each permuted weight is a new blob.
// CHECK-LABEL: func.func @encoder
// CHECK-DAG:   %[[W1:.+]] = arith.constant dense_resource<w1> : tensor<3x2xf32>
// CHECK-DAG:   %[[B1:.+]] = arith.constant dense_resource<b1> : tensor<3xf32>
// CHECK-DAG:   %[[W2:.+]] = arith.constant dense_resource<w2> : tensor<2x3xf32>
// CHECK:       ffn.mlp(%{{[^,]+}}, %[[W1]], %[[B1]], %[[W2]], %{{[^)]+}}) {{.*}}ffn.neuron_order = array<i64: 1, 2, 0>
// CHECK-DAG:   w1: "0x04000000000040400000804000000000000000400000803F00000000"
// CHECK-DAG:   b1: "0x0400000000000040000040400000803F"
// CHECK-DAG:   w2: "0x0400000000000000000000400000803F0000803F0000000000000000"
// COPY-LABEL: func.func @encoder
// COPY-COUNT-3: dense_resource<permuted_weight
func.func @encoder(%x: tensor<4x2xf32>) -> tensor<4x2xf32> {
  %w1 = arith.constant dense_resource<w1> : tensor<3x2xf32>
  %b1 = arith.constant dense_resource<b1> : tensor<3xf32>
  %w2 = arith.constant dense_resource<w2> : tensor<2x3xf32>
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

{-#
  dialect_resources: {
    builtin: {
      w1: "0x040000000000803F0000000000004040000080400000000000000040",
      b1: "0x040000000000803F0000004000004040",
      w2: "0x040000000000803F0000000000000040000000000000803F00000000"
    }
  }
#-}

// -----

// A weight two blocks share (ALBERT-style) is not overwritten while the
// other block still reads it: the first block permuted gets a new blob; the
// second, by then its only reader, overwrites it. Both hold the permuted
// values.
// CHECK-LABEL: func.func @shared
// CHECK-DAG:   %[[NEW:.+]] = arith.constant dense_resource<[[N:permuted_weight[_0-9]*]]> : tensor<3x2xf32>
// CHECK-DAG:   %[[OLD:.+]] = arith.constant dense_resource<ws> : tensor<3x2xf32>
// CHECK-DAG:   ffn.mlp(%arg0, %[[OLD]],
// CHECK-DAG:   ffn.mlp(%{{.+}}, %[[NEW]],
// CHECK-DAG:   [[N]]: "0x04000000000040400000804000000000000000400000803F00000000"
// CHECK-DAG:   ws: "0x04000000000040400000804000000000000000400000803F00000000"
func.func @shared(%x: tensor<4x2xf32>) -> tensor<4x2xf32> {
  %w1 = arith.constant dense_resource<ws> : tensor<3x2xf32>
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
  %z = ffn.mlp(%y, %w1, %b1, %w2, %b2) : (tensor<4x2xf32>, tensor<3x2xf32>, tensor<3xf32>, tensor<2x3xf32>, tensor<2xf32>) -> tensor<4x2xf32> {
  ^bb0(%a: tensor<4x2xf32>, %p1: tensor<3x2xf32>, %q1: tensor<3xf32>, %p2: tensor<2x3xf32>, %q2: tensor<2xf32>):
    %h = ffn.linear %a, %p1, %q1 : (tensor<4x2xf32>, tensor<3x2xf32>, tensor<3xf32>) -> tensor<4x3xf32>
    %g = ffn.gelu %h : tensor<4x3xf32>
    %o = ffn.linear %g, %p2, %q2 : (tensor<4x3xf32>, tensor<2x3xf32>, tensor<2xf32>) -> tensor<4x2xf32>
    ffn.yield %o : tensor<4x2xf32>
  }
  return %z : tensor<4x2xf32>
}

{-#
  dialect_resources: {
    builtin: {
      ws: "0x040000000000803F0000000000004040000080400000000000000040"
    }
  }
#-}
