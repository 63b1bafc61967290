// RUN: ffn-opt %s -ffn-lowrank="mode=energy value=0.999" -split-input-file | FileCheck %s --check-prefix=E999
// RUN: ffn-opt %s -ffn-lowrank="mode=energy value=0.5" -split-input-file | FileCheck %s --check-prefix=E50
// RUN: ffn-opt %s -ffn-lowrank="mode=energy value=0.8" -split-input-file | FileCheck %s --check-prefix=E80
// RUN: ffn-opt %s -ffn-lowrank="mode=flops value=0.7" -split-input-file | FileCheck %s --check-prefix=F70
// RUN: ffn-opt %s -ffn-lowrank="mode=rank value=1" -split-input-file | FileCheck %s --check-prefix=R1

// Weights of exactly rank 2 (outer products of small integer vectors):
// keeping 99.9% of the energy takes rank 2 for both, and the rewrite is
// exact up to fp32 round-off (the measured error is below 1e-5).
// E999-LABEL: func.func @exact_rank2
// E999:       ffn.lowrank_ranks = array<i64: 2, 2>, ffn.rel_error = {{[0-9.]+}}E-{{[6-9]|[1-9][0-9]}} : f64
// At rank 1 the same block loses its second singular direction: an error
// above 0.1.
// R1-LABEL:   func.func @exact_rank2
// R1:         ffn.lowrank_ranks = array<i64: 1, 1>, ffn.rel_error = {{0\.[1-9][0-9]*}} : f64
func.func @exact_rank2(%x: tensor<4x8xf32>) -> tensor<4x8xf32> {
  %w1 = arith.constant dense<[[-2.0, 2.0, 2.0, -2.0, -2.0, 4.0, 8.0, 0.0], [-4.0, 4.0, 4.0, -4.0, -4.0, -1.0, -2.0, 3.0], [2.0, -2.0, -2.0, 2.0, 2.0, -4.0, -8.0, 0.0], [2.0, -2.0, -2.0, 2.0, 2.0, 2.0, 4.0, -2.0], [-6.0, 6.0, 6.0, -6.0, -6.0, 0.0, 0.0, 4.0], [-1.0, 1.0, 1.0, -1.0, -1.0, -1.0, -2.0, 1.0], [1.0, -1.0, -1.0, 1.0, 1.0, 1.0, 2.0, -1.0], [-5.0, 5.0, 5.0, -5.0, -5.0, 1.0, 2.0, 3.0], [3.0, -3.0, -3.0, 3.0, 3.0, 0.0, 0.0, -2.0], [-6.0, 6.0, 6.0, -6.0, -6.0, 0.0, 0.0, 4.0], [-2.0, 2.0, 2.0, -2.0, -2.0, 1.0, 2.0, 1.0], [2.0, -2.0, -2.0, 2.0, 2.0, 2.0, 4.0, -2.0], [0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0], [1.0, -1.0, -1.0, 1.0, 1.0, 1.0, 2.0, -1.0], [0.0, 0.0, 0.0, 0.0, 0.0, -3.0, -6.0, 1.0], [5.0, -5.0, -5.0, 5.0, 5.0, -1.0, -2.0, -3.0]]> : tensor<16x8xf32>
  %b1 = arith.constant dense<0.1> : tensor<16xf32>
  %w2 = arith.constant dense<[[-2.0, 1.0, 2.0, -1.0, -4.0, 2.0, -2.0, 1.0, 3.0, 1.0, 2.0, 0.0, 0.0, 1.0, -2.0, -1.0], [0.5, 0.5, 0.0, 1.0, 1.0, -0.5, 0.5, 0.5, -0.5, -0.5, 0.0, 0.5, -0.5, 0.5, 0.5, -0.5], [-0.5, -0.5, 0.0, -1.0, -1.0, 0.5, -0.5, -0.5, 0.5, 0.5, 0.0, -0.5, 0.5, -0.5, -0.5, 0.5], [-1.5, 0.0, 1.0, -1.5, -3.0, 1.5, -1.5, 0.0, 2.0, 1.0, 1.0, -0.5, 0.5, 0.0, -1.5, 0.0], [1.0, -2.0, -2.0, -1.0, 2.0, -1.0, 1.0, -2.0, -2.0, 0.0, -2.0, -1.0, 1.0, -2.0, 1.0, 2.0], [-1.0, 0.5, 1.0, -0.5, -2.0, 1.0, -1.0, 0.5, 1.5, 0.5, 1.0, 0.0, 0.0, 0.5, -1.0, -0.5], [0.5, -1.0, -1.0, -0.5, 1.0, -0.5, 0.5, -1.0, -1.0, 0.0, -1.0, -0.5, 0.5, -1.0, 0.5, 1.0], [0.5, -2.5, -2.0, -2.0, 1.0, -0.5, 0.5, -2.5, -1.5, 0.5, -2.0, -1.5, 1.5, -2.5, 0.5, 2.5]]> : tensor<8x16xf32>
  %y = ffn.mlp(%x, %w1, %b1, %w2) : (tensor<4x8xf32>, tensor<16x8xf32>, tensor<16xf32>, tensor<8x16xf32>) -> tensor<4x8xf32> {
  ^bb0(%a: tensor<4x8xf32>, %p1: tensor<16x8xf32>, %q1: tensor<16xf32>, %p2: tensor<8x16xf32>):
    %h = ffn.linear %a, %p1, %q1 : (tensor<4x8xf32>, tensor<16x8xf32>, tensor<16xf32>) -> tensor<4x16xf32>
    %g = ffn.gelu %h approximate<tanh> : tensor<4x16xf32>
    %o = ffn.linear %g, %p2 : (tensor<4x16xf32>, tensor<8x16xf32>) -> tensor<4x8xf32>
    ffn.yield %o : tensor<4x8xf32>
  }
  return %y : tensor<4x8xf32>
}

// -----

// Full-rank integer weights with the cumulative energies (numpy)
//   W1 [16x8]: 0.3056 0.5146 0.6636 0.7782 0.8694 0.9350 0.9738 1
//   W2 [8x16]: 0.2617 0.4910 0.6630 0.8042 0.8823 0.9425 0.9750 1
// A rank saves FLOPs below 16 * 8 / (16 + 8) = 5.33.
// energy 0.999: rank 8 for both, no saving: dense.
// E999-LABEL: func.func @full_rank
// E999:       ffn.mlp(%{{[^)]+}}) {ffn.lowrank_ranks = array<i64: -1, -1>}
// energy 0.5: ranks 2 and 3.
// E50-LABEL:  func.func @full_rank
// E50:        ffn.lowrank_ranks = array<i64: 2, 3>
// energy 0.8: ranks 5 and 4.
// E80-LABEL:  func.func @full_rank
// E80:        ffn.lowrank_ranks = array<i64: 5, 4>
// flops 0.7: budget 0.7 * 256 = 179.2 multiply-adds per token, 24 per rank.
// From ranks (1, 1) the greedy step takes, by relative energy per rank:
// W2's 2nd (0.229), W1's 2nd (0.209), W2's 3rd (0.172), W1's 3rd (0.149),
// W2's 4th (0.141) = 7 * 24 = 168; one more would need 192.
// F70-LABEL:  func.func @full_rank
// F70:        ffn.lowrank_ranks = array<i64: 3, 4>
func.func @full_rank(%x: tensor<4x8xf32>) -> tensor<4x8xf32> {
  %w1 = arith.constant dense<[[1.0, 2.0, 1.0, -1.0, 3.0, 0.0, -1.0, -2.0], [-2.0, 1.0, 2.0, -1.0, 1.0, 3.0, -2.0, -2.0], [0.0, 0.0, -1.0, -1.0, -3.0, 1.0, 3.0, -2.0], [2.0, -2.0, -3.0, 2.0, -2.0, 2.0, -1.0, 0.0], [3.0, 3.0, 0.0, -2.0, -2.0, 2.0, 1.0, -2.0], [3.0, 3.0, 3.0, 1.0, 3.0, 1.0, 0.0, 3.0], [1.0, 2.0, -1.0, 2.0, 3.0, -3.0, 0.0, -1.0], [-3.0, -3.0, -2.0, -2.0, 2.0, -2.0, 1.0, 3.0], [0.0, -3.0, -3.0, -1.0, -1.0, 0.0, -1.0, 2.0], [0.0, 3.0, 3.0, 1.0, -3.0, -2.0, 2.0, 0.0], [3.0, 1.0, 2.0, -3.0, -1.0, 1.0, 1.0, -1.0], [-2.0, 1.0, -3.0, 1.0, 2.0, 1.0, -3.0, 0.0], [-1.0, 0.0, 1.0, -2.0, -3.0, 0.0, 1.0, -3.0], [3.0, 0.0, 3.0, 0.0, 2.0, 2.0, 0.0, -1.0], [1.0, -3.0, 1.0, 0.0, -2.0, -2.0, -3.0, 2.0], [1.0, -1.0, 3.0, -1.0, -1.0, 3.0, -3.0, -1.0]]> : tensor<16x8xf32>
  %w2 = arith.constant dense<[[-3.0, -1.0, 2.0, -1.0, 0.0, 0.0, -3.0, -3.0, -1.0, 0.0, -3.0, 3.0, 2.0, 0.0, 2.0, 2.0], [-3.0, 3.0, -3.0, 2.0, 2.0, 2.0, -3.0, 2.0, 3.0, 2.0, 1.0, -2.0, 0.0, 0.0, 3.0, -1.0], [-1.0, -2.0, 0.0, 1.0, 0.0, -1.0, 0.0, 1.0, -2.0, 1.0, 1.0, -3.0, 1.0, 0.0, 3.0, -1.0], [-1.0, 1.0, 3.0, -3.0, -3.0, -2.0, -1.0, 0.0, 0.0, -1.0, 3.0, 1.0, -2.0, -1.0, -2.0, -2.0], [2.0, 3.0, 0.0, -2.0, 2.0, -2.0, -3.0, -2.0, -1.0, -1.0, -2.0, -2.0, 1.0, 0.0, 1.0, 3.0], [3.0, -3.0, 2.0, -1.0, 2.0, 1.0, -3.0, 3.0, 3.0, 3.0, -3.0, -2.0, 1.0, 0.0, -3.0, 3.0], [-2.0, -3.0, 3.0, 1.0, -3.0, -2.0, 3.0, 2.0, 3.0, 3.0, -1.0, 0.0, -1.0, -3.0, -2.0, -3.0], [-3.0, -1.0, 3.0, 2.0, 1.0, -2.0, -3.0, 1.0, 2.0, -1.0, -3.0, -2.0, 3.0, 1.0, 0.0, -1.0]]> : tensor<8x16xf32>
  %y = ffn.mlp(%x, %w1, %w2) : (tensor<4x8xf32>, tensor<16x8xf32>, tensor<8x16xf32>) -> tensor<4x8xf32> {
  ^bb0(%a: tensor<4x8xf32>, %p1: tensor<16x8xf32>, %p2: tensor<8x16xf32>):
    %h = ffn.linear %a, %p1 : (tensor<4x8xf32>, tensor<16x8xf32>) -> tensor<4x16xf32>
    %g = ffn.relu %h : tensor<4x16xf32>
    %o = ffn.linear %g, %p2 : (tensor<4x16xf32>, tensor<8x16xf32>) -> tensor<4x8xf32>
    ffn.yield %o : tensor<4x8xf32>
  }
  return %y : tensor<4x8xf32>
}
