// RUN: ffn-opt %s -ffn-lowrank="mode=rank value=2" -split-input-file -verify-diagnostics | FileCheck %s
// RUN: not ffn-opt %s -ffn-lowrank="mode=svd" 2>&1 | FileCheck %s --check-prefix=MODE
// RUN: not ffn-opt %s -ffn-lowrank="mode=energy value=1.5" 2>&1 | FileCheck %s --check-prefix=ENERGY
// RUN: not ffn-opt %s -ffn-lowrank="mode=rank value=2.5" 2>&1 | FileCheck %s --check-prefix=RANK
// RUN: not ffn-opt %s -ffn-lowrank="mode=flops value=0" 2>&1 | FileCheck %s --check-prefix=FLOPS
// RUN: not ffn-opt %s -ffn-lowrank="calibration-rows=0" 2>&1 | FileCheck %s --check-prefix=ROWS

// MODE: error: ffn-lowrank: unknown mode 'svd' (use energy, rank or flops)
// ENERGY: error: ffn-lowrank: energy fraction must be in (0, 1], not 1.5
// RANK: error: ffn-lowrank: rank must be a positive integer, not 2.5
// FLOPS: error: ffn-lowrank: flops fraction must be in (0, 1], not 0
// ROWS: error: ffn-lowrank: calibration-rows must be positive, not 0

// An op the block evaluator does not know: the error cannot be measured, so
// the block is left dense, with a warning that names the op.
// CHECK-LABEL: func.func @unsupported_op
// CHECK-NOT:   lowrank
func.func @unsupported_op(%x: tensor<4x8xf32>) -> tensor<4x8xf32> {
  %w1 = arith.constant dense<0.5> : tensor<16x8xf32>
  %w2 = arith.constant dense<0.25> : tensor<8x16xf32>
  // expected-warning @+1 {{ffn-lowrank: block left dense: its error cannot be measured: 'math.tanh': not supported by the block evaluator}}
  %y = ffn.mlp(%x, %w1, %w2) : (tensor<4x8xf32>, tensor<16x8xf32>, tensor<8x16xf32>) -> tensor<4x8xf32> {
  ^bb0(%a: tensor<4x8xf32>, %p1: tensor<16x8xf32>, %p2: tensor<8x16xf32>):
    %h = ffn.linear %a, %p1 : (tensor<4x8xf32>, tensor<16x8xf32>) -> tensor<4x16xf32>
    %g = math.tanh %h : tensor<4x16xf32>
    %o = ffn.linear %g, %p2 : (tensor<4x16xf32>, tensor<8x16xf32>) -> tensor<4x8xf32>
    ffn.yield %o : tensor<4x8xf32>
  }
  return %y : tensor<4x8xf32>
}

// -----

// One constant weight and one run-time weight: the block's output cannot be
// evaluated at compile time, so nothing is factored.
// CHECK-LABEL: func.func @mixed
// CHECK-NOT:   lowrank
func.func @mixed(%x: tensor<4x8xf32>, %w2: tensor<8x16xf32>) -> tensor<4x8xf32> {
  %w1 = arith.constant dense<0.5> : tensor<16x8xf32>
  // expected-warning @+1 {{ffn-lowrank: block left dense: its error cannot be measured: 'ffn.linear': operand #2 of the block is not a static f32 constant}}
  %y = ffn.mlp(%x, %w1, %w2) : (tensor<4x8xf32>, tensor<16x8xf32>, tensor<8x16xf32>) -> tensor<4x8xf32> {
  ^bb0(%a: tensor<4x8xf32>, %p1: tensor<16x8xf32>, %p2: tensor<8x16xf32>):
    %h = ffn.linear %a, %p1 : (tensor<4x8xf32>, tensor<16x8xf32>) -> tensor<4x16xf32>
    %g = ffn.relu %h : tensor<4x16xf32>
    %o = ffn.linear %g, %p2 : (tensor<4x16xf32>, tensor<8x16xf32>) -> tensor<4x8xf32>
    ffn.yield %o : tensor<4x8xf32>
  }
  return %y : tensor<4x8xf32>
}
