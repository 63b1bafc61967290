// Bad per-block settings of the approximate rewrites fail the pass with an
// error at the block.
//
// RUN: not ffn-opt %s -split-input-file -ffn-width-slice -ffn-lowrank -ffn-block-diag=blocks=2 -o /dev/null 2>&1 | FileCheck %s --check-prefix=BAD

// BAD: error: ffn-width-slice: ffn.width = 2.000000e+00 : f64 is not a fraction in (0, 1]
func.func @bad_width(%x: tensor<2x4xf32>) -> tensor<2x4xf32> {
  %w1 = arith.constant dense<[[1.0, 0.5, 0.0, 2.0], [0.0, 1.0, 3.0, 0.5], [2.0, 0.0, 1.0, 1.0], [0.5, 2.0, 0.0, 1.0], [1.0, 1.0, 1.0, 0.0], [0.0, 0.5, 2.0, 1.0], [3.0, 0.0, 0.5, 1.0], [1.0, 2.0, 1.0, 3.0]]> : tensor<8x4xf32>
  %b1 = arith.constant dense<0.25> : tensor<8xf32>
  %w2 = arith.constant dense<[[1.0, 0.0, 2.0, 1.0, 0.5, 0.0, 1.0, 2.0], [0.0, 1.0, 0.0, 3.0, 1.0, 2.0, 0.0, 1.0], [2.0, 1.0, 1.0, 0.0, 0.0, 1.0, 3.0, 0.5], [0.5, 0.0, 1.0, 1.0, 2.0, 0.0, 1.0, 1.0]]> : tensor<4x8xf32>
  %b2 = arith.constant dense<0.5> : tensor<4xf32>
  %y = ffn.mlp(%x, %w1, %b1, %w2, %b2) {ffn.width = 2.0 : f64} : (tensor<2x4xf32>, tensor<8x4xf32>, tensor<8xf32>, tensor<4x8xf32>, tensor<4xf32>) -> tensor<2x4xf32> {
  ^bb0(%a: tensor<2x4xf32>, %p1: tensor<8x4xf32>, %q1: tensor<8xf32>, %p2: tensor<4x8xf32>, %q2: tensor<4xf32>):
    %h = ffn.linear %a, %p1, %q1 : (tensor<2x4xf32>, tensor<8x4xf32>, tensor<8xf32>) -> tensor<2x8xf32>
    %g = ffn.gelu %h : tensor<2x8xf32>
    %o = ffn.linear %g, %p2, %q2 : (tensor<2x8xf32>, tensor<4x8xf32>, tensor<4xf32>) -> tensor<2x4xf32>
    ffn.yield %o : tensor<2x4xf32>
  }
  return %y : tensor<2x4xf32>
}

// -----

// BAD: error: ffn-lowrank: bad ffn.lowrank = "energy:2" (use MODE:VALUE or "none")
func.func @bad_lowrank(%x: tensor<2x4xf32>) -> tensor<2x4xf32> {
  %w1 = arith.constant dense<[[1.0, 0.5, 0.0, 2.0], [0.0, 1.0, 3.0, 0.5], [2.0, 0.0, 1.0, 1.0], [0.5, 2.0, 0.0, 1.0], [1.0, 1.0, 1.0, 0.0], [0.0, 0.5, 2.0, 1.0], [3.0, 0.0, 0.5, 1.0], [1.0, 2.0, 1.0, 3.0]]> : tensor<8x4xf32>
  %b1 = arith.constant dense<0.25> : tensor<8xf32>
  %w2 = arith.constant dense<[[1.0, 0.0, 2.0, 1.0, 0.5, 0.0, 1.0, 2.0], [0.0, 1.0, 0.0, 3.0, 1.0, 2.0, 0.0, 1.0], [2.0, 1.0, 1.0, 0.0, 0.0, 1.0, 3.0, 0.5], [0.5, 0.0, 1.0, 1.0, 2.0, 0.0, 1.0, 1.0]]> : tensor<4x8xf32>
  %b2 = arith.constant dense<0.5> : tensor<4xf32>
  %y = ffn.mlp(%x, %w1, %b1, %w2, %b2) {ffn.lowrank = "energy:2"} : (tensor<2x4xf32>, tensor<8x4xf32>, tensor<8xf32>, tensor<4x8xf32>, tensor<4xf32>) -> tensor<2x4xf32> {
  ^bb0(%a: tensor<2x4xf32>, %p1: tensor<8x4xf32>, %q1: tensor<8xf32>, %p2: tensor<4x8xf32>, %q2: tensor<4xf32>):
    %h = ffn.linear %a, %p1, %q1 : (tensor<2x4xf32>, tensor<8x4xf32>, tensor<8xf32>) -> tensor<2x8xf32>
    %g = ffn.gelu %h : tensor<2x8xf32>
    %o = ffn.linear %g, %p2, %q2 : (tensor<2x8xf32>, tensor<4x8xf32>, tensor<4xf32>) -> tensor<2x4xf32>
    ffn.yield %o : tensor<2x4xf32>
  }
  return %y : tensor<2x4xf32>
}

// -----

// BAD: error: ffn-block-diag: ffn.block_diag = 0 : i64 is not a number of blocks (>= 1)
func.func @bad_blocks(%x: tensor<2x4xf32>) -> tensor<2x4xf32> {
  %w1 = arith.constant dense<[[1.0, 0.5, 0.0, 2.0], [0.0, 1.0, 3.0, 0.5], [2.0, 0.0, 1.0, 1.0], [0.5, 2.0, 0.0, 1.0], [1.0, 1.0, 1.0, 0.0], [0.0, 0.5, 2.0, 1.0], [3.0, 0.0, 0.5, 1.0], [1.0, 2.0, 1.0, 3.0]]> : tensor<8x4xf32>
  %b1 = arith.constant dense<0.25> : tensor<8xf32>
  %w2 = arith.constant dense<[[1.0, 0.0, 2.0, 1.0, 0.5, 0.0, 1.0, 2.0], [0.0, 1.0, 0.0, 3.0, 1.0, 2.0, 0.0, 1.0], [2.0, 1.0, 1.0, 0.0, 0.0, 1.0, 3.0, 0.5], [0.5, 0.0, 1.0, 1.0, 2.0, 0.0, 1.0, 1.0]]> : tensor<4x8xf32>
  %b2 = arith.constant dense<0.5> : tensor<4xf32>
  %y = ffn.mlp(%x, %w1, %b1, %w2, %b2) {ffn.block_diag = 0 : i64} : (tensor<2x4xf32>, tensor<8x4xf32>, tensor<8xf32>, tensor<4x8xf32>, tensor<4xf32>) -> tensor<2x4xf32> {
  ^bb0(%a: tensor<2x4xf32>, %p1: tensor<8x4xf32>, %q1: tensor<8xf32>, %p2: tensor<4x8xf32>, %q2: tensor<4xf32>):
    %h = ffn.linear %a, %p1, %q1 : (tensor<2x4xf32>, tensor<8x4xf32>, tensor<8xf32>) -> tensor<2x8xf32>
    %g = ffn.gelu %h : tensor<2x8xf32>
    %o = ffn.linear %g, %p2, %q2 : (tensor<2x8xf32>, tensor<4x8xf32>, tensor<4xf32>) -> tensor<2x4xf32>
    ffn.yield %o : tensor<2x4xf32>
  }
  return %y : tensor<2x4xf32>
}
