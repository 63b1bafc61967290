// RUN: ffn-opt %s -ffn-block-diag=blocks=2 -split-input-file | FileCheck %s
// RUN: ffn-opt %s -ffn-block-diag="blocks=2 remark-failures" -split-input-file -o /dev/null 2>&1 \
// RUN:   | FileCheck %s --check-prefix=REMARK
// RUN: not ffn-opt %s -ffn-block-diag=blocks=3 -split-input-file -o /dev/null 2>&1 \
// RUN:   | FileCheck %s --check-prefix=NODIV
// RUN: not ffn-opt %s -ffn-block-diag=blocks=1 -split-input-file -o /dev/null 2>&1 \
// RUN:   | FileCheck %s --check-prefix=ONE

// Resource blobs are the alignment header 0x04000000 then little-endian f32
// values (1.0 = 0000803F, 2.0 = 00000040, 3.0 = 00004040, 4.0 = 00008040,
// 5.0 = 0000A040, 6.0 = 0000C040, 7.0 = 0000E040, 8.0 = 00000041).

// ONE: ffn-block-diag: blocks must be at least 2, not 1

// Exact: W1 and W2 are block-diagonal after permutations. Group A: inputs
// 0, 2, neurons 1, 3, outputs 1, 2; group B: inputs 1, 3, neurons 0, 2,
// outputs 0, 3. The input gather is [0, 2, 1, 3], the neurons [1, 3, 0, 2]
// (b1 follows them), the outputs come back through [2, 0, 1, 3] and b2 is
// untouched.
// CHECK-LABEL: func.func @exact
// CHECK-DAG:   %[[W1:.+]] = arith.constant dense_resource<[[N1:block_diag_w1[_0-9]*]]> : tensor<2x2x2xf32>
// CHECK-DAG:   %[[B1:.+]] = arith.constant dense_resource<[[NB:block_diag_b1[_0-9]*]]> : tensor<4xf32>
// CHECK-DAG:   %[[W2:.+]] = arith.constant dense_resource<[[N2:block_diag_w2[_0-9]*]]> : tensor<2x2x2xf32>
// CHECK-DAG:   %[[B2:.+]] = arith.constant dense<5.000000e-01> : tensor<4xf32>
// CHECK:       ffn.mlp(%{{[^,]+}}, %[[W1]], %[[B1]], %[[W2]], %[[B2]]) {ffn.applied = ["block-diag"], ffn.block_diag_energy = 1.000000e+00 : f64, ffn.block_diag_exact = true, ffn.rel_error = {{.+}} : f64}
// CHECK:       %[[H:.+]] = ffn.block_diag_linear %{{.+}} {input_permutation = array<i64: 0, 2, 1, 3>} : (tensor<3x4xf32>, tensor<2x2x2xf32>, tensor<4xf32>) -> tensor<3x4xf32>
// CHECK:       %[[G:.+]] = ffn.gelu %[[H]]
// CHECK:       ffn.block_diag_linear %[[G]], %{{.+}} {output_permutation = array<i64: 2, 0, 1, 3>} : (tensor<3x4xf32>, tensor<2x2x2xf32>, tensor<4xf32>) -> tensor<3x4xf32>
// CHECK-DAG:   [[N1]]: "0x0400000000004040000080400000E040000000410000803F000000400000A0400000C040"
// CHECK-DAG:   [[NB]]: "0x0400000000000040000080400000803F00004040"
// CHECK-DAG:   [[N2]]: "0x0400000000004040000080400000A0400000C0400000803F000000400000E04000000041"
// NODIV: error: ffn-block-diag: 3 blocks do not divide the FFN's model width 4 and hidden width 4
func.func @exact(%x: tensor<3x4xf32>) -> tensor<3x4xf32> {
  %w1 = arith.constant dense<[[0.0, 1.0, 0.0, 2.0], [3.0, 0.0, 4.0, 0.0], [0.0, 5.0, 0.0, 6.0], [7.0, 0.0, 8.0, 0.0]]> : tensor<4x4xf32>
  %b1 = arith.constant dense<[1.0, 2.0, 3.0, 4.0]> : tensor<4xf32>
  %w2 = arith.constant dense<[[1.0, 0.0, 2.0, 0.0], [0.0, 3.0, 0.0, 4.0], [0.0, 5.0, 0.0, 6.0], [7.0, 0.0, 8.0, 0.0]]> : tensor<4x4xf32>
  %b2 = arith.constant dense<0.5> : tensor<4xf32>
  %y = ffn.mlp(%x, %w1, %b1, %w2, %b2) : (tensor<3x4xf32>, tensor<4x4xf32>, tensor<4xf32>, tensor<4x4xf32>, tensor<4xf32>) -> tensor<3x4xf32> {
  ^bb0(%a: tensor<3x4xf32>, %p1: tensor<4x4xf32>, %q1: tensor<4xf32>, %p2: tensor<4x4xf32>, %q2: tensor<4xf32>):
    %h = ffn.linear %a, %p1, %q1 : (tensor<3x4xf32>, tensor<4x4xf32>, tensor<4xf32>) -> tensor<3x4xf32>
    %g = ffn.gelu %h : tensor<3x4xf32>
    %o = ffn.linear %g, %p2, %q2 : (tensor<3x4xf32>, tensor<4x4xf32>, tensor<4xf32>) -> tensor<3x4xf32>
    ffn.yield %o : tensor<3x4xf32>
  }
  return %y : tensor<3x4xf32>
}

// -----

// Approximate: dense weights lose their off-diagonal blocks; the block is
// not marked exact, and the kept energy and the measured error are
// recorded. Already block-ordered channels need no permutation attribute;
// without biases the linears have none.
// CHECK-LABEL: func.func @approximate
// CHECK:       ffn.mlp({{.+}}) {ffn.applied = ["block-diag"], ffn.block_diag_energy = {{.+}} : f64, ffn.rel_error = {{.+}} : f64}
// CHECK-NOT:   ffn.block_diag_exact
// CHECK:       ffn.block_diag_linear %{{[^,]+}}, %{{[^ ]+}} {{.*}}: (tensor<3x4xf32>, tensor<2x4x2xf32>) -> tensor<3x8xf32>
// CHECK:       ffn.relu
// CHECK:       ffn.block_diag_linear %{{[^,]+}}, %{{[^ ]+}} {{.*}}: (tensor<3x8xf32>, tensor<2x2x4xf32>) -> tensor<3x4xf32>
func.func @approximate(%x: tensor<3x4xf32>) -> tensor<3x4xf32> {
  %w1 = arith.constant dense<[[1.0, 0.5, 0.1, 0.2], [2.0, 1.0, 0.3, 0.1], [0.1, 0.2, 1.0, 2.0], [0.2, 0.1, 3.0, 1.0], [1.0, 1.0, 0.2, 0.1], [0.5, 2.0, 0.1, 0.3], [0.1, 0.1, 2.0, 2.0], [0.3, 0.2, 1.0, 0.5]]> : tensor<8x4xf32>
  %w2 = arith.constant dense<[[1.0, 2.0, 0.1, 0.1, 1.0, 1.0, 0.2, 0.1], [2.0, 1.0, 0.2, 0.1, 0.5, 2.0, 0.1, 0.3], [0.1, 0.2, 1.0, 2.0, 0.1, 0.2, 1.0, 1.0], [0.2, 0.1, 3.0, 1.0, 0.3, 0.1, 2.0, 0.5]]> : tensor<4x8xf32>
  %y = ffn.mlp(%x, %w1, %w2) : (tensor<3x4xf32>, tensor<8x4xf32>, tensor<4x8xf32>) -> tensor<3x4xf32> {
  ^bb0(%a: tensor<3x4xf32>, %p1: tensor<8x4xf32>, %p2: tensor<4x8xf32>):
    %h = ffn.linear %a, %p1 : (tensor<3x4xf32>, tensor<8x4xf32>) -> tensor<3x8xf32>
    %g = ffn.relu %h : tensor<3x8xf32>
    %o = ffn.linear %g, %p2 : (tensor<3x8xf32>, tensor<4x8xf32>) -> tensor<3x4xf32>
    ffn.yield %o : tensor<3x4xf32>
  }
  return %y : tensor<3x4xf32>
}

// -----

// Gated FFNs are left alone.
// CHECK-LABEL: func.func @gated
// CHECK-NOT:   block_diag
// CHECK:       return
// REMARK: remark: ffn-block-diag: the block is not an encoder FFN (gated and channel-idle blocks are not rewritten)
func.func @gated(%x: tensor<4x2xf32>) -> tensor<4x2xf32> {
  %wg = arith.constant dense<1.0> : tensor<4x2xf32>
  %wu = arith.constant dense<2.0> : tensor<4x2xf32>
  %wd = arith.constant dense<3.0> : tensor<2x4xf32>
  %y = ffn.mlp(%x, %wg, %wu, %wd) : (tensor<4x2xf32>, tensor<4x2xf32>, tensor<4x2xf32>, tensor<2x4xf32>) -> tensor<4x2xf32> {
  ^bb0(%a: tensor<4x2xf32>, %pg: tensor<4x2xf32>, %pu: tensor<4x2xf32>, %pd: tensor<2x4xf32>):
    %hg = ffn.linear %a, %pg : (tensor<4x2xf32>, tensor<4x2xf32>) -> tensor<4x4xf32>
    %hu = ffn.linear %a, %pu : (tensor<4x2xf32>, tensor<4x2xf32>) -> tensor<4x4xf32>
    %s = ffn.silu %hg : tensor<4x4xf32>
    %m = arith.mulf %s, %hu : tensor<4x4xf32>
    %o = ffn.linear %m, %pd : (tensor<4x4xf32>, tensor<2x4xf32>) -> tensor<4x2xf32>
    ffn.yield %o : tensor<4x2xf32>
  }
  return %y : tensor<4x2xf32>
}
