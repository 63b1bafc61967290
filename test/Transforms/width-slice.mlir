// RUN: ffn-opt %s -ffn-width-slice=widths=0.5 -split-input-file | FileCheck %s
// RUN: not ffn-opt %s -ffn-width-slice=widths=0.5,1.0 -split-input-file -o /dev/null 2>&1 \
// RUN:   | FileCheck %s --check-prefix=COUNT
// RUN: not ffn-opt %s -ffn-width-slice=widths=1.5 -split-input-file -o /dev/null 2>&1 \
// RUN:   | FileCheck %s --check-prefix=RANGE
// RUN: ffn-opt %s -ffn-width-slice=widths=1 -split-input-file | FileCheck %s --check-prefix=FULL

// COUNT: 2 widths given for 1 FFN block(s)
// RANGE: width 1.5{{.*}} is not a fraction in (0, 1]
// FULL-NOT: width-slice

// Resource blobs are the alignment header 0x04000000 then little-endian f32
// values (0 = 00000000, 1.0 = 0000803F, 2.0 = 00000040, 3.0 = 00004040,
// 4.0 = 00008040).

// Encoder, H = 4, not sorted yet: row norms of W1 are 1, 5, 2, 0.5; column
// norms of W2 are 1, 1, 2, 1; scores 1, 5, 4, 0.5. Half the width keeps
// neurons 1 and 2, in that order: W1 rows, b1 and W2 columns shrink to 2;
// b2 stays. The error is measured and recorded.
// CHECK-LABEL: func.func @encoder
// CHECK-DAG:   %[[W1:.+]] = arith.constant dense_resource<[[N1:sliced_weight[_0-9]*]]> : tensor<2x2xf32>
// CHECK-DAG:   %[[B1:.+]] = arith.constant dense_resource<[[NB:sliced_weight[_0-9]*]]> : tensor<2xf32>
// CHECK-DAG:   %[[W2:.+]] = arith.constant dense_resource<[[N2:sliced_weight[_0-9]*]]> : tensor<2x2xf32>
// CHECK:       ffn.mlp(%{{[^,]+}}, %[[W1]], %[[B1]], %[[W2]], %{{[^)]+}}) {ffn.applied = ["width-slice"], ffn.neuron_order = array<i64: 1, 2>, ffn.rel_error = {{[0-9.e+-]+}} : f64}
// CHECK:       ^bb0(%{{.+}}: tensor<4x2xf32>, %{{.+}}: tensor<2x2xf32>, %{{.+}}: tensor<2xf32>, %{{.+}}: tensor<2x2xf32>, %{{.+}}: tensor<2xf32>):
// CHECK:         ffn.linear {{.+}} -> tensor<4x2xf32>
// CHECK:         ffn.gelu {{.+}} : tensor<4x2xf32>
// CHECK-DAG:   [[N1]]: "0x0400000000004040000080400000000000000040"
// CHECK-DAG:   [[NB]]: "0x040000000000004000004040"
// CHECK-DAG:   [[N2]]: "0x0400000000000000000000400000803F00000000"
func.func @encoder(%x: tensor<4x2xf32>) -> tensor<4x2xf32> {
  %w1 = arith.constant dense<[[1.0, 0.0], [3.0, 4.0], [0.0, 2.0], [0.5, 0.0]]> : tensor<4x2xf32>
  %b1 = arith.constant dense<[1.0, 2.0, 3.0, 4.0]> : tensor<4xf32>
  %w2 = arith.constant dense<[[1.0, 0.0, 2.0, 1.0], [0.0, 1.0, 0.0, 0.0]]> : tensor<2x4xf32>
  %b2 = arith.constant dense<0.5> : tensor<2xf32>
  %y = ffn.mlp(%x, %w1, %b1, %w2, %b2) : (tensor<4x2xf32>, tensor<4x2xf32>, tensor<4xf32>, tensor<2x4xf32>, tensor<2xf32>) -> tensor<4x2xf32> {
  ^bb0(%a: tensor<4x2xf32>, %p1: tensor<4x2xf32>, %q1: tensor<4xf32>, %p2: tensor<2x4xf32>, %q2: tensor<2xf32>):
    %h = ffn.linear %a, %p1, %q1 : (tensor<4x2xf32>, tensor<4x2xf32>, tensor<4xf32>) -> tensor<4x4xf32>
    %g = ffn.gelu %h : tensor<4x4xf32>
    %o = ffn.linear %g, %p2, %q2 : (tensor<4x4xf32>, tensor<2x4xf32>, tensor<2xf32>) -> tensor<4x2xf32>
    ffn.yield %o : tensor<4x2xf32>
  }
  return %y : tensor<4x2xf32>
}
