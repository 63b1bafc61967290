// Bad ffn-sparsify settings are errors, at the block for its own setting.
//
// RUN: not ffn-opt %s -ffn-sparsify="sparsity=2:2" -o /dev/null 2>&1 | FileCheck %s --check-prefix=NM
// RUN: not ffn-opt %s -ffn-sparsify="sparsity=block:0x4:0.5" -o /dev/null 2>&1 | FileCheck %s --check-prefix=BLOCK
// RUN: not ffn-opt %s -ffn-sparsify="sparsity=unstructured:1.5" -o /dev/null 2>&1 | FileCheck %s --check-prefix=RATIO
// RUN: not ffn-opt %s -ffn-sparsify="sparsity=dense" -o /dev/null 2>&1 | FileCheck %s --check-prefix=FORM
// RUN: not ffn-opt %s -split-input-file -ffn-sparsify -o /dev/null 2>&1 | FileCheck %s --check-prefix=ATTR

// NM: error: ffn-sparsify: 2:2 keeps every weight (N must be below M)
// BLOCK: error: ffn-sparsify: the block size must be BxB or BoxBi with positive integers, not '0x4'
// RATIO: error: ffn-sparsify: the pruned fraction must be a number in [0, 1), not '1.5'
// FORM: error: ffn-sparsify: expected N:M (2:4), block:BxB:RATIO (block:32x32:0.5) or unstructured:RATIO (unstructured:0.7), not 'dense'
// ATTR: error: ffn-sparsify: bad ffn.sparsity = "block:3:0.5" (use a setting or "none"): the block size must be BxB

func.func @bad(%x: tensor<2x4xf32>) -> tensor<2x4xf32> {
  %w1 = arith.constant dense<[[1.0, 0.5, 0.0, 2.0], [0.0, 1.0, 3.0, 0.5], [2.0, 0.0, 1.0, 1.5], [0.5, 2.0, 0.0, 1.0], [1.0, 0.25, 1.5, 0.0], [0.0, 0.5, 2.0, 1.0], [3.0, 0.0, 0.5, 1.0], [1.0, 2.0, 1.5, 3.0]]> : tensor<8x4xf32>
  %b1 = arith.constant dense<0.25> : tensor<8xf32>
  %w2 = arith.constant dense<[[1.0, 0.0, 2.0, 1.5, 0.5, 0.0, 1.0, 2.0], [0.0, 1.0, 0.0, 3.0, 1.0, 2.0, 0.0, 1.5], [2.0, 1.0, 1.5, 0.0, 0.0, 1.0, 3.0, 0.5], [0.5, 0.0, 1.0, 1.5, 2.0, 0.0, 1.25, 1.0]]> : tensor<4x8xf32>
  %b2 = arith.constant dense<0.5> : tensor<4xf32>
  %y = ffn.mlp(%x, %w1, %b1, %w2, %b2) {ffn.sparsity = "block:3:0.5"} : (tensor<2x4xf32>, tensor<8x4xf32>, tensor<8xf32>, tensor<4x8xf32>, tensor<4xf32>) -> tensor<2x4xf32> {
  ^bb0(%a: tensor<2x4xf32>, %p1: tensor<8x4xf32>, %q1: tensor<8xf32>, %p2: tensor<4x8xf32>, %q2: tensor<4xf32>):
    %h = ffn.linear %a, %p1, %q1 : (tensor<2x4xf32>, tensor<8x4xf32>, tensor<8xf32>) -> tensor<2x8xf32>
    %g = ffn.gelu %h : tensor<2x8xf32>
    %o = ffn.linear %g, %p2, %q2 : (tensor<2x8xf32>, tensor<4x8xf32>, tensor<4xf32>) -> tensor<2x4xf32>
    ffn.yield %o : tensor<2x4xf32>
  }
  return %y : tensor<2x4xf32>
}
