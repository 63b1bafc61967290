// RUN: ffn-opt %s -ffn-lowrank="mode=rank value=2" -split-input-file | FileCheck %s
// RUN: ffn-opt %s -ffn-lowrank="mode=rank value=2 remark-failures remark-ranks" -split-input-file -o /dev/null 2>&1 \
// RUN:   | FileCheck %s --check-prefix=REMARK

// Factor shapes at rank 2: each [m, n] weight becomes x·Bᵀ with B [2, n]
// (no bias) then ·Aᵀ with A [m, 2] and the original bias. The replaced
// weights are no longer parameters of the block.
// CHECK-LABEL: func.func @factor_shapes
// CHECK:       ffn.mlp(%{{[^)]+}}) {ffn.applied = ["lowrank"], ffn.lowrank_ranks = array<i64: 2, 2>, ffn.rel_error = {{.+}} : f64}
// CHECK-SAME:    (tensor<4x8xf32>, tensor<16xf32>, tensor<8xf32>, tensor<16x2xf32>, tensor<2x8xf32>, tensor<8x2xf32>, tensor<2x16xf32>)
// CHECK-NEXT:  ^bb0(%[[X:[^:]+]]: tensor<4x8xf32>, %[[B1:[^:]+]]: tensor<16xf32>, %[[B2:[^:]+]]: tensor<8xf32>, %[[A1:[^:]+]]: tensor<16x2xf32>, %[[V1:[^:]+]]: tensor<2x8xf32>, %[[A2:[^:]+]]: tensor<8x2xf32>, %[[V2:[^:]+]]: tensor<2x16xf32>):
// CHECK-NEXT:    %[[T1:.+]] = ffn.linear %[[X]], %[[V1]] : (tensor<4x8xf32>, tensor<2x8xf32>) -> tensor<4x2xf32>
// CHECK-NEXT:    %[[H:.+]] = ffn.linear %[[T1]], %[[A1]], %[[B1]] : (tensor<4x2xf32>, tensor<16x2xf32>, tensor<16xf32>) -> tensor<4x16xf32>
// CHECK-NEXT:    %[[G:.+]] = ffn.gelu %[[H]] : tensor<4x16xf32>
// CHECK-NEXT:    %[[T2:.+]] = ffn.linear %[[G]], %[[V2]] : (tensor<4x16xf32>, tensor<2x16xf32>) -> tensor<4x2xf32>
// CHECK-NEXT:    %[[O:.+]] = ffn.linear %[[T2]], %[[A2]], %[[B2]] : (tensor<4x2xf32>, tensor<8x2xf32>, tensor<8xf32>) -> tensor<4x8xf32>
// CHECK-NEXT:    ffn.yield %[[O]]
// REMARK: remark: ffn-lowrank: 16x8 rank 2 (0.5146 of the energy); 8x16 rank 2 (0.4910 of the energy); 0.375 of the factorable FLOPs; relative error
func.func @factor_shapes(%x: tensor<4x8xf32>) -> tensor<4x8xf32> {
  %w1 = arith.constant dense<[[1.0, 2.0, 1.0, -1.0, 3.0, 0.0, -1.0, -2.0], [-2.0, 1.0, 2.0, -1.0, 1.0, 3.0, -2.0, -2.0], [0.0, 0.0, -1.0, -1.0, -3.0, 1.0, 3.0, -2.0], [2.0, -2.0, -3.0, 2.0, -2.0, 2.0, -1.0, 0.0], [3.0, 3.0, 0.0, -2.0, -2.0, 2.0, 1.0, -2.0], [3.0, 3.0, 3.0, 1.0, 3.0, 1.0, 0.0, 3.0], [1.0, 2.0, -1.0, 2.0, 3.0, -3.0, 0.0, -1.0], [-3.0, -3.0, -2.0, -2.0, 2.0, -2.0, 1.0, 3.0], [0.0, -3.0, -3.0, -1.0, -1.0, 0.0, -1.0, 2.0], [0.0, 3.0, 3.0, 1.0, -3.0, -2.0, 2.0, 0.0], [3.0, 1.0, 2.0, -3.0, -1.0, 1.0, 1.0, -1.0], [-2.0, 1.0, -3.0, 1.0, 2.0, 1.0, -3.0, 0.0], [-1.0, 0.0, 1.0, -2.0, -3.0, 0.0, 1.0, -3.0], [3.0, 0.0, 3.0, 0.0, 2.0, 2.0, 0.0, -1.0], [1.0, -3.0, 1.0, 0.0, -2.0, -2.0, -3.0, 2.0], [1.0, -1.0, 3.0, -1.0, -1.0, 3.0, -3.0, -1.0]]> : tensor<16x8xf32>
  %b1 = arith.constant dense<0.1> : tensor<16xf32>
  %w2 = arith.constant dense<[[-3.0, -1.0, 2.0, -1.0, 0.0, 0.0, -3.0, -3.0, -1.0, 0.0, -3.0, 3.0, 2.0, 0.0, 2.0, 2.0], [-3.0, 3.0, -3.0, 2.0, 2.0, 2.0, -3.0, 2.0, 3.0, 2.0, 1.0, -2.0, 0.0, 0.0, 3.0, -1.0], [-1.0, -2.0, 0.0, 1.0, 0.0, -1.0, 0.0, 1.0, -2.0, 1.0, 1.0, -3.0, 1.0, 0.0, 3.0, -1.0], [-1.0, 1.0, 3.0, -3.0, -3.0, -2.0, -1.0, 0.0, 0.0, -1.0, 3.0, 1.0, -2.0, -1.0, -2.0, -2.0], [2.0, 3.0, 0.0, -2.0, 2.0, -2.0, -3.0, -2.0, -1.0, -1.0, -2.0, -2.0, 1.0, 0.0, 1.0, 3.0], [3.0, -3.0, 2.0, -1.0, 2.0, 1.0, -3.0, 3.0, 3.0, 3.0, -3.0, -2.0, 1.0, 0.0, -3.0, 3.0], [-2.0, -3.0, 3.0, 1.0, -3.0, -2.0, 3.0, 2.0, 3.0, 3.0, -1.0, 0.0, -1.0, -3.0, -2.0, -3.0], [-3.0, -1.0, 3.0, 2.0, 1.0, -2.0, -3.0, 1.0, 2.0, -1.0, -3.0, -2.0, 3.0, 1.0, 0.0, -1.0]]> : tensor<8x16xf32>
  %b2 = arith.constant dense<-0.2> : tensor<8xf32>
  %y = ffn.mlp(%x, %w1, %b1, %w2, %b2) : (tensor<4x8xf32>, tensor<16x8xf32>, tensor<16xf32>, tensor<8x16xf32>, tensor<8xf32>) -> tensor<4x8xf32> {
  ^bb0(%a: tensor<4x8xf32>, %p1: tensor<16x8xf32>, %q1: tensor<16xf32>, %p2: tensor<8x16xf32>, %q2: tensor<8xf32>):
    %h = ffn.linear %a, %p1, %q1 : (tensor<4x8xf32>, tensor<16x8xf32>, tensor<16xf32>) -> tensor<4x16xf32>
    %g = ffn.gelu %h : tensor<4x16xf32>
    %o = ffn.linear %g, %p2, %q2 : (tensor<4x16xf32>, tensor<8x16xf32>, tensor<8xf32>) -> tensor<4x8xf32>
    ffn.yield %o : tensor<4x8xf32>
  }
  return %y : tensor<4x8xf32>
}

// -----

// Gated form with a rank-3 input: the thin intermediate keeps the token
// dimensions ([2, 3, 2]).
// CHECK-LABEL: func.func @gated_rank3
// CHECK:       ffn.lowrank_ranks = array<i64: 2, 2, 2>
// CHECK:         ffn.linear %{{.+}}, %{{.+}} : (tensor<2x3x8xf32>, tensor<2x8xf32>) -> tensor<2x3x2xf32>
// CHECK-NEXT:    ffn.linear %{{.+}}, %{{.+}} : (tensor<2x3x2xf32>, tensor<16x2xf32>) -> tensor<2x3x16xf32>
// CHECK-NEXT:    ffn.linear %{{.+}}, %{{.+}} : (tensor<2x3x8xf32>, tensor<2x8xf32>) -> tensor<2x3x2xf32>
// CHECK-NEXT:    ffn.linear %{{.+}}, %{{.+}} : (tensor<2x3x2xf32>, tensor<16x2xf32>) -> tensor<2x3x16xf32>
// CHECK-NEXT:    ffn.silu
// CHECK-NEXT:    arith.mulf
// CHECK-NEXT:    ffn.linear %{{.+}}, %{{.+}} : (tensor<2x3x16xf32>, tensor<2x16xf32>) -> tensor<2x3x2xf32>
// CHECK-NEXT:    ffn.linear %{{.+}}, %{{.+}} : (tensor<2x3x2xf32>, tensor<8x2xf32>) -> tensor<2x3x8xf32>
func.func @gated_rank3(%x: tensor<2x3x8xf32>) -> tensor<2x3x8xf32> {
  %wg = arith.constant dense<[[1.0, 2.0, 1.0, -1.0, 3.0, 0.0, -1.0, -2.0], [-2.0, 1.0, 2.0, -1.0, 1.0, 3.0, -2.0, -2.0], [0.0, 0.0, -1.0, -1.0, -3.0, 1.0, 3.0, -2.0], [2.0, -2.0, -3.0, 2.0, -2.0, 2.0, -1.0, 0.0], [3.0, 3.0, 0.0, -2.0, -2.0, 2.0, 1.0, -2.0], [3.0, 3.0, 3.0, 1.0, 3.0, 1.0, 0.0, 3.0], [1.0, 2.0, -1.0, 2.0, 3.0, -3.0, 0.0, -1.0], [-3.0, -3.0, -2.0, -2.0, 2.0, -2.0, 1.0, 3.0], [0.0, -3.0, -3.0, -1.0, -1.0, 0.0, -1.0, 2.0], [0.0, 3.0, 3.0, 1.0, -3.0, -2.0, 2.0, 0.0], [3.0, 1.0, 2.0, -3.0, -1.0, 1.0, 1.0, -1.0], [-2.0, 1.0, -3.0, 1.0, 2.0, 1.0, -3.0, 0.0], [-1.0, 0.0, 1.0, -2.0, -3.0, 0.0, 1.0, -3.0], [3.0, 0.0, 3.0, 0.0, 2.0, 2.0, 0.0, -1.0], [1.0, -3.0, 1.0, 0.0, -2.0, -2.0, -3.0, 2.0], [1.0, -1.0, 3.0, -1.0, -1.0, 3.0, -3.0, -1.0]]> : tensor<16x8xf32>
  %wu = arith.constant dense<[[-2.0, 2.0, 2.0, -2.0, -2.0, 4.0, 8.0, 0.0], [-4.0, 4.0, 4.0, -4.0, -4.0, -1.0, -2.0, 3.0], [2.0, -2.0, -2.0, 2.0, 2.0, -4.0, -8.0, 0.0], [2.0, -2.0, -2.0, 2.0, 2.0, 2.0, 4.0, -2.0], [-6.0, 6.0, 6.0, -6.0, -6.0, 0.0, 0.0, 4.0], [-1.0, 1.0, 1.0, -1.0, -1.0, -1.0, -2.0, 1.0], [1.0, -1.0, -1.0, 1.0, 1.0, 1.0, 2.0, -1.0], [-5.0, 5.0, 5.0, -5.0, -5.0, 1.0, 2.0, 3.0], [3.0, -3.0, -3.0, 3.0, 3.0, 0.0, 0.0, -2.0], [-6.0, 6.0, 6.0, -6.0, -6.0, 0.0, 0.0, 4.0], [-2.0, 2.0, 2.0, -2.0, -2.0, 1.0, 2.0, 1.0], [2.0, -2.0, -2.0, 2.0, 2.0, 2.0, 4.0, -2.0], [0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0], [1.0, -1.0, -1.0, 1.0, 1.0, 1.0, 2.0, -1.0], [0.0, 0.0, 0.0, 0.0, 0.0, -3.0, -6.0, 1.0], [5.0, -5.0, -5.0, 5.0, 5.0, -1.0, -2.0, -3.0]]> : tensor<16x8xf32>
  %wd = arith.constant dense<[[-3.0, -1.0, 2.0, -1.0, 0.0, 0.0, -3.0, -3.0, -1.0, 0.0, -3.0, 3.0, 2.0, 0.0, 2.0, 2.0], [-3.0, 3.0, -3.0, 2.0, 2.0, 2.0, -3.0, 2.0, 3.0, 2.0, 1.0, -2.0, 0.0, 0.0, 3.0, -1.0], [-1.0, -2.0, 0.0, 1.0, 0.0, -1.0, 0.0, 1.0, -2.0, 1.0, 1.0, -3.0, 1.0, 0.0, 3.0, -1.0], [-1.0, 1.0, 3.0, -3.0, -3.0, -2.0, -1.0, 0.0, 0.0, -1.0, 3.0, 1.0, -2.0, -1.0, -2.0, -2.0], [2.0, 3.0, 0.0, -2.0, 2.0, -2.0, -3.0, -2.0, -1.0, -1.0, -2.0, -2.0, 1.0, 0.0, 1.0, 3.0], [3.0, -3.0, 2.0, -1.0, 2.0, 1.0, -3.0, 3.0, 3.0, 3.0, -3.0, -2.0, 1.0, 0.0, -3.0, 3.0], [-2.0, -3.0, 3.0, 1.0, -3.0, -2.0, 3.0, 2.0, 3.0, 3.0, -1.0, 0.0, -1.0, -3.0, -2.0, -3.0], [-3.0, -1.0, 3.0, 2.0, 1.0, -2.0, -3.0, 1.0, 2.0, -1.0, -3.0, -2.0, 3.0, 1.0, 0.0, -1.0]]> : tensor<8x16xf32>
  %y = ffn.mlp(%x, %wg, %wu, %wd) : (tensor<2x3x8xf32>, tensor<16x8xf32>, tensor<16x8xf32>, tensor<8x16xf32>) -> tensor<2x3x8xf32> {
  ^bb0(%a: tensor<2x3x8xf32>, %pg: tensor<16x8xf32>, %pu: tensor<16x8xf32>, %pd: tensor<8x16xf32>):
    %g = ffn.linear %a, %pg : (tensor<2x3x8xf32>, tensor<16x8xf32>) -> tensor<2x3x16xf32>
    %u = ffn.linear %a, %pu : (tensor<2x3x8xf32>, tensor<16x8xf32>) -> tensor<2x3x16xf32>
    %s = ffn.silu %g : tensor<2x3x16xf32>
    %m = arith.mulf %s, %u : tensor<2x3x16xf32>
    %o = ffn.linear %m, %pd : (tensor<2x3x16xf32>, tensor<8x16xf32>) -> tensor<2x3x8xf32>
    ffn.yield %o : tensor<2x3x8xf32>
  }
  return %y : tensor<2x3x8xf32>
}

// -----

// A 4x4 weight saves nothing at rank 2 (2 (4 + 4) >= 4 * 4): both stay dense,
// the ranks say so, and the block records neither the rewrite nor an error.
// CHECK-LABEL: func.func @no_saving
// CHECK:       ffn.mlp(%{{[^)]+}}) {ffn.lowrank_ranks = array<i64: -1, -1>}
// CHECK-NOT:   lowrank"
// CHECK:         ffn.linear %{{.+}}, %{{.+}} : (tensor<4x4xf32>, tensor<4x4xf32>) -> tensor<4x4xf32>
// REMARK: remark: ffn-lowrank: 4x4 dense; 4x4 dense; 1.000 of the factorable FLOPs; nothing factored
func.func @no_saving(%x: tensor<4x4xf32>) -> tensor<4x4xf32> {
  %w = arith.constant dense<[[1.0, 2.0, 0.0, 1.0], [0.0, 1.0, 3.0, 1.0], [2.0, 0.0, 1.0, 0.0], [1.0, 1.0, 1.0, 4.0]]> : tensor<4x4xf32>
  %y = ffn.mlp(%x, %w, %w) : (tensor<4x4xf32>, tensor<4x4xf32>, tensor<4x4xf32>) -> tensor<4x4xf32> {
  ^bb0(%a: tensor<4x4xf32>, %p1: tensor<4x4xf32>, %p2: tensor<4x4xf32>):
    %h = ffn.linear %a, %p1 : (tensor<4x4xf32>, tensor<4x4xf32>) -> tensor<4x4xf32>
    %g = ffn.relu %h : tensor<4x4xf32>
    %o = ffn.linear %g, %p2 : (tensor<4x4xf32>, tensor<4x4xf32>) -> tensor<4x4xf32>
    ffn.yield %o : tensor<4x4xf32>
  }
  return %y : tensor<4x4xf32>
}

// -----

// Weights that are function arguments are not constants: nothing changes.
// CHECK-LABEL: func.func @non_constant
// CHECK-NOT:   lowrank
// CHECK:       return
// REMARK: remark: ffn-lowrank: no linear of the block has a constant f32 weight
func.func @non_constant(%x: tensor<4x8xf32>, %w1: tensor<16x8xf32>, %w2: tensor<8x16xf32>) -> tensor<4x8xf32> {
  %y = ffn.mlp(%x, %w1, %w2) : (tensor<4x8xf32>, tensor<16x8xf32>, tensor<8x16xf32>) -> tensor<4x8xf32> {
  ^bb0(%a: tensor<4x8xf32>, %p1: tensor<16x8xf32>, %p2: tensor<8x16xf32>):
    %h = ffn.linear %a, %p1 : (tensor<4x8xf32>, tensor<16x8xf32>) -> tensor<4x16xf32>
    %g = ffn.relu %h : tensor<4x16xf32>
    %o = ffn.linear %g, %p2 : (tensor<4x16xf32>, tensor<8x16xf32>) -> tensor<4x8xf32>
    ffn.yield %o : tensor<4x8xf32>
  }
  return %y : tensor<4x8xf32>
}
