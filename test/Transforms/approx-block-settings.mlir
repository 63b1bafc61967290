// Per-block settings of the approximate rewrites (ffn.width, ffn.lowrank,
// ffn.block_diag) win over the passes' options; ffn-compile's error budget
// sets them FFN by FFN. Each function holds one 4 -> 8 -> 4 encoder block.
//
// RUN: ffn-opt %s -split-input-file -ffn-width-slice | FileCheck %s --check-prefix=WIDTH
// RUN: ffn-opt %s -split-input-file -ffn-width-slice=widths=0.25 | FileCheck %s --check-prefix=WIDTH-OPT
// RUN: ffn-opt %s -split-input-file -ffn-lowrank="mode=rank value=3" | FileCheck %s --check-prefix=RANK
// RUN: ffn-opt %s -split-input-file -ffn-block-diag=blocks=4 | FileCheck %s --check-prefix=BLOCKS
// RUN: ffn-opt %s -split-input-file -ffn-lowrank="remark-ranks=true" -o /dev/null 2>&1 | FileCheck %s --check-prefix=AWARE

// WIDTH-LABEL: func.func @half
// WIDTH:         ffn.linear {{.+}} -> tensor<2x4xf32>
// WIDTH-LABEL: func.func @full
// WIDTH:         ffn.linear {{.+}} -> tensor<2x8xf32>
// WIDTH-LABEL: func.func @unset
// WIDTH:         ffn.linear {{.+}} -> tensor<2x8xf32>
// WIDTH-OPT-LABEL: func.func @half
// WIDTH-OPT:         ffn.linear {{.+}} -> tensor<2x4xf32>
// WIDTH-OPT-LABEL: func.func @full
// WIDTH-OPT:         ffn.linear {{.+}} -> tensor<2x8xf32>
// WIDTH-OPT-LABEL: func.func @unset
// WIDTH-OPT:         ffn.linear {{.+}} -> tensor<2x2xf32>
func.func @half(%x: tensor<2x4xf32>) -> tensor<2x4xf32> {
  %w1 = arith.constant dense<[[1.0, 0.5, 0.0, 2.0], [0.0, 1.0, 3.0, 0.5], [2.0, 0.0, 1.0, 1.0], [0.5, 2.0, 0.0, 1.0], [1.0, 1.0, 1.0, 0.0], [0.0, 0.5, 2.0, 1.0], [3.0, 0.0, 0.5, 1.0], [1.0, 2.0, 1.0, 3.0]]> : tensor<8x4xf32>
  %b1 = arith.constant dense<0.25> : tensor<8xf32>
  %w2 = arith.constant dense<[[1.0, 0.0, 2.0, 1.0, 0.5, 0.0, 1.0, 2.0], [0.0, 1.0, 0.0, 3.0, 1.0, 2.0, 0.0, 1.0], [2.0, 1.0, 1.0, 0.0, 0.0, 1.0, 3.0, 0.5], [0.5, 0.0, 1.0, 1.0, 2.0, 0.0, 1.0, 1.0]]> : tensor<4x8xf32>
  %b2 = arith.constant dense<0.5> : tensor<4xf32>
  %y = ffn.mlp(%x, %w1, %b1, %w2, %b2) {ffn.width = 0.5 : f64} : (tensor<2x4xf32>, tensor<8x4xf32>, tensor<8xf32>, tensor<4x8xf32>, tensor<4xf32>) -> tensor<2x4xf32> {
  ^bb0(%a: tensor<2x4xf32>, %p1: tensor<8x4xf32>, %q1: tensor<8xf32>, %p2: tensor<4x8xf32>, %q2: tensor<4xf32>):
    %h = ffn.linear %a, %p1, %q1 : (tensor<2x4xf32>, tensor<8x4xf32>, tensor<8xf32>) -> tensor<2x8xf32>
    %g = ffn.gelu %h : tensor<2x8xf32>
    %o = ffn.linear %g, %p2, %q2 : (tensor<2x8xf32>, tensor<4x8xf32>, tensor<4xf32>) -> tensor<2x4xf32>
    ffn.yield %o : tensor<2x4xf32>
  }
  return %y : tensor<2x4xf32>
}

// -----

func.func @full(%x: tensor<2x4xf32>) -> tensor<2x4xf32> {
  %w1 = arith.constant dense<[[1.0, 0.5, 0.0, 2.0], [0.0, 1.0, 3.0, 0.5], [2.0, 0.0, 1.0, 1.0], [0.5, 2.0, 0.0, 1.0], [1.0, 1.0, 1.0, 0.0], [0.0, 0.5, 2.0, 1.0], [3.0, 0.0, 0.5, 1.0], [1.0, 2.0, 1.0, 3.0]]> : tensor<8x4xf32>
  %b1 = arith.constant dense<0.25> : tensor<8xf32>
  %w2 = arith.constant dense<[[1.0, 0.0, 2.0, 1.0, 0.5, 0.0, 1.0, 2.0], [0.0, 1.0, 0.0, 3.0, 1.0, 2.0, 0.0, 1.0], [2.0, 1.0, 1.0, 0.0, 0.0, 1.0, 3.0, 0.5], [0.5, 0.0, 1.0, 1.0, 2.0, 0.0, 1.0, 1.0]]> : tensor<4x8xf32>
  %b2 = arith.constant dense<0.5> : tensor<4xf32>
  %y = ffn.mlp(%x, %w1, %b1, %w2, %b2) {ffn.width = 1.0 : f64} : (tensor<2x4xf32>, tensor<8x4xf32>, tensor<8xf32>, tensor<4x8xf32>, tensor<4xf32>) -> tensor<2x4xf32> {
  ^bb0(%a: tensor<2x4xf32>, %p1: tensor<8x4xf32>, %q1: tensor<8xf32>, %p2: tensor<4x8xf32>, %q2: tensor<4xf32>):
    %h = ffn.linear %a, %p1, %q1 : (tensor<2x4xf32>, tensor<8x4xf32>, tensor<8xf32>) -> tensor<2x8xf32>
    %g = ffn.gelu %h : tensor<2x8xf32>
    %o = ffn.linear %g, %p2, %q2 : (tensor<2x8xf32>, tensor<4x8xf32>, tensor<4xf32>) -> tensor<2x4xf32>
    ffn.yield %o : tensor<2x4xf32>
  }
  return %y : tensor<2x4xf32>
}

// -----

func.func @unset(%x: tensor<2x4xf32>) -> tensor<2x4xf32> {
  %w1 = arith.constant dense<[[1.0, 0.5, 0.0, 2.0], [0.0, 1.0, 3.0, 0.5], [2.0, 0.0, 1.0, 1.0], [0.5, 2.0, 0.0, 1.0], [1.0, 1.0, 1.0, 0.0], [0.0, 0.5, 2.0, 1.0], [3.0, 0.0, 0.5, 1.0], [1.0, 2.0, 1.0, 3.0]]> : tensor<8x4xf32>
  %b1 = arith.constant dense<0.25> : tensor<8xf32>
  %w2 = arith.constant dense<[[1.0, 0.0, 2.0, 1.0, 0.5, 0.0, 1.0, 2.0], [0.0, 1.0, 0.0, 3.0, 1.0, 2.0, 0.0, 1.0], [2.0, 1.0, 1.0, 0.0, 0.0, 1.0, 3.0, 0.5], [0.5, 0.0, 1.0, 1.0, 2.0, 0.0, 1.0, 1.0]]> : tensor<4x8xf32>
  %b2 = arith.constant dense<0.5> : tensor<4xf32>
  %y = ffn.mlp(%x, %w1, %b1, %w2, %b2) : (tensor<2x4xf32>, tensor<8x4xf32>, tensor<8xf32>, tensor<4x8xf32>, tensor<4xf32>) -> tensor<2x4xf32> {
  ^bb0(%a: tensor<2x4xf32>, %p1: tensor<8x4xf32>, %q1: tensor<8xf32>, %p2: tensor<4x8xf32>, %q2: tensor<4xf32>):
    %h = ffn.linear %a, %p1, %q1 : (tensor<2x4xf32>, tensor<8x4xf32>, tensor<8xf32>) -> tensor<2x8xf32>
    %g = ffn.gelu %h : tensor<2x8xf32>
    %o = ffn.linear %g, %p2, %q2 : (tensor<2x8xf32>, tensor<4x8xf32>, tensor<4xf32>) -> tensor<2x4xf32>
    ffn.yield %o : tensor<2x4xf32>
  }
  return %y : tensor<2x4xf32>
}

// -----

// RANK-LABEL: func.func @rank1
// RANK:         ffn.lowrank_ranks = array<i64: 1, 1>
// RANK-LABEL: func.func @none
// RANK-NOT:     ffn.lowrank_ranks
// RANK-LABEL: func.func @rank_default
// RANK:         ffn.lowrank_ranks = array<i64: -1, -1>
func.func @rank1(%x: tensor<2x4xf32>) -> tensor<2x4xf32> {
  %w1 = arith.constant dense<[[1.0, 0.5, 0.0, 2.0], [0.0, 1.0, 3.0, 0.5], [2.0, 0.0, 1.0, 1.0], [0.5, 2.0, 0.0, 1.0], [1.0, 1.0, 1.0, 0.0], [0.0, 0.5, 2.0, 1.0], [3.0, 0.0, 0.5, 1.0], [1.0, 2.0, 1.0, 3.0]]> : tensor<8x4xf32>
  %b1 = arith.constant dense<0.25> : tensor<8xf32>
  %w2 = arith.constant dense<[[1.0, 0.0, 2.0, 1.0, 0.5, 0.0, 1.0, 2.0], [0.0, 1.0, 0.0, 3.0, 1.0, 2.0, 0.0, 1.0], [2.0, 1.0, 1.0, 0.0, 0.0, 1.0, 3.0, 0.5], [0.5, 0.0, 1.0, 1.0, 2.0, 0.0, 1.0, 1.0]]> : tensor<4x8xf32>
  %b2 = arith.constant dense<0.5> : tensor<4xf32>
  %y = ffn.mlp(%x, %w1, %b1, %w2, %b2) {ffn.lowrank = "rank:1"} : (tensor<2x4xf32>, tensor<8x4xf32>, tensor<8xf32>, tensor<4x8xf32>, tensor<4xf32>) -> tensor<2x4xf32> {
  ^bb0(%a: tensor<2x4xf32>, %p1: tensor<8x4xf32>, %q1: tensor<8xf32>, %p2: tensor<4x8xf32>, %q2: tensor<4xf32>):
    %h = ffn.linear %a, %p1, %q1 : (tensor<2x4xf32>, tensor<8x4xf32>, tensor<8xf32>) -> tensor<2x8xf32>
    %g = ffn.gelu %h : tensor<2x8xf32>
    %o = ffn.linear %g, %p2, %q2 : (tensor<2x8xf32>, tensor<4x8xf32>, tensor<4xf32>) -> tensor<2x4xf32>
    ffn.yield %o : tensor<2x4xf32>
  }
  return %y : tensor<2x4xf32>
}

// -----

func.func @none(%x: tensor<2x4xf32>) -> tensor<2x4xf32> {
  %w1 = arith.constant dense<[[1.0, 0.5, 0.0, 2.0], [0.0, 1.0, 3.0, 0.5], [2.0, 0.0, 1.0, 1.0], [0.5, 2.0, 0.0, 1.0], [1.0, 1.0, 1.0, 0.0], [0.0, 0.5, 2.0, 1.0], [3.0, 0.0, 0.5, 1.0], [1.0, 2.0, 1.0, 3.0]]> : tensor<8x4xf32>
  %b1 = arith.constant dense<0.25> : tensor<8xf32>
  %w2 = arith.constant dense<[[1.0, 0.0, 2.0, 1.0, 0.5, 0.0, 1.0, 2.0], [0.0, 1.0, 0.0, 3.0, 1.0, 2.0, 0.0, 1.0], [2.0, 1.0, 1.0, 0.0, 0.0, 1.0, 3.0, 0.5], [0.5, 0.0, 1.0, 1.0, 2.0, 0.0, 1.0, 1.0]]> : tensor<4x8xf32>
  %b2 = arith.constant dense<0.5> : tensor<4xf32>
  %y = ffn.mlp(%x, %w1, %b1, %w2, %b2) {ffn.lowrank = "none"} : (tensor<2x4xf32>, tensor<8x4xf32>, tensor<8xf32>, tensor<4x8xf32>, tensor<4xf32>) -> tensor<2x4xf32> {
  ^bb0(%a: tensor<2x4xf32>, %p1: tensor<8x4xf32>, %q1: tensor<8xf32>, %p2: tensor<4x8xf32>, %q2: tensor<4xf32>):
    %h = ffn.linear %a, %p1, %q1 : (tensor<2x4xf32>, tensor<8x4xf32>, tensor<8xf32>) -> tensor<2x8xf32>
    %g = ffn.gelu %h : tensor<2x8xf32>
    %o = ffn.linear %g, %p2, %q2 : (tensor<2x8xf32>, tensor<4x8xf32>, tensor<4xf32>) -> tensor<2x4xf32>
    ffn.yield %o : tensor<2x4xf32>
  }
  return %y : tensor<2x4xf32>
}

// -----

func.func @rank_default(%x: tensor<2x4xf32>) -> tensor<2x4xf32> {
  %w1 = arith.constant dense<[[1.0, 0.5, 0.0, 2.0], [0.0, 1.0, 3.0, 0.5], [2.0, 0.0, 1.0, 1.0], [0.5, 2.0, 0.0, 1.0], [1.0, 1.0, 1.0, 0.0], [0.0, 0.5, 2.0, 1.0], [3.0, 0.0, 0.5, 1.0], [1.0, 2.0, 1.0, 3.0]]> : tensor<8x4xf32>
  %b1 = arith.constant dense<0.25> : tensor<8xf32>
  %w2 = arith.constant dense<[[1.0, 0.0, 2.0, 1.0, 0.5, 0.0, 1.0, 2.0], [0.0, 1.0, 0.0, 3.0, 1.0, 2.0, 0.0, 1.0], [2.0, 1.0, 1.0, 0.0, 0.0, 1.0, 3.0, 0.5], [0.5, 0.0, 1.0, 1.0, 2.0, 0.0, 1.0, 1.0]]> : tensor<4x8xf32>
  %b2 = arith.constant dense<0.5> : tensor<4xf32>
  %y = ffn.mlp(%x, %w1, %b1, %w2, %b2) : (tensor<2x4xf32>, tensor<8x4xf32>, tensor<8xf32>, tensor<4x8xf32>, tensor<4xf32>) -> tensor<2x4xf32> {
  ^bb0(%a: tensor<2x4xf32>, %p1: tensor<8x4xf32>, %q1: tensor<8xf32>, %p2: tensor<4x8xf32>, %q2: tensor<4xf32>):
    %h = ffn.linear %a, %p1, %q1 : (tensor<2x4xf32>, tensor<8x4xf32>, tensor<8xf32>) -> tensor<2x8xf32>
    %g = ffn.gelu %h : tensor<2x8xf32>
    %o = ffn.linear %g, %p2, %q2 : (tensor<2x8xf32>, tensor<4x8xf32>, tensor<4xf32>) -> tensor<2x4xf32>
    ffn.yield %o : tensor<2x4xf32>
  }
  return %y : tensor<2x4xf32>
}

// -----

// BLOCKS-LABEL: func.func @two_blocks
// BLOCKS:         ffn.block_diag_linear {{.+}}tensor<2x4x2xf32>{{.+}} -> tensor<2x8xf32>
// BLOCKS-LABEL: func.func @one_block
// BLOCKS-NOT:     ffn.block_diag_linear
// BLOCKS-LABEL: func.func @blocks_default
// BLOCKS:         ffn.block_diag_linear {{.+}}tensor<4x2x1xf32>{{.+}} -> tensor<2x8xf32>
func.func @two_blocks(%x: tensor<2x4xf32>) -> tensor<2x4xf32> {
  %w1 = arith.constant dense<[[1.0, 0.5, 0.0, 2.0], [0.0, 1.0, 3.0, 0.5], [2.0, 0.0, 1.0, 1.0], [0.5, 2.0, 0.0, 1.0], [1.0, 1.0, 1.0, 0.0], [0.0, 0.5, 2.0, 1.0], [3.0, 0.0, 0.5, 1.0], [1.0, 2.0, 1.0, 3.0]]> : tensor<8x4xf32>
  %b1 = arith.constant dense<0.25> : tensor<8xf32>
  %w2 = arith.constant dense<[[1.0, 0.0, 2.0, 1.0, 0.5, 0.0, 1.0, 2.0], [0.0, 1.0, 0.0, 3.0, 1.0, 2.0, 0.0, 1.0], [2.0, 1.0, 1.0, 0.0, 0.0, 1.0, 3.0, 0.5], [0.5, 0.0, 1.0, 1.0, 2.0, 0.0, 1.0, 1.0]]> : tensor<4x8xf32>
  %b2 = arith.constant dense<0.5> : tensor<4xf32>
  %y = ffn.mlp(%x, %w1, %b1, %w2, %b2) {ffn.block_diag = 2 : i64} : (tensor<2x4xf32>, tensor<8x4xf32>, tensor<8xf32>, tensor<4x8xf32>, tensor<4xf32>) -> tensor<2x4xf32> {
  ^bb0(%a: tensor<2x4xf32>, %p1: tensor<8x4xf32>, %q1: tensor<8xf32>, %p2: tensor<4x8xf32>, %q2: tensor<4xf32>):
    %h = ffn.linear %a, %p1, %q1 : (tensor<2x4xf32>, tensor<8x4xf32>, tensor<8xf32>) -> tensor<2x8xf32>
    %g = ffn.gelu %h : tensor<2x8xf32>
    %o = ffn.linear %g, %p2, %q2 : (tensor<2x8xf32>, tensor<4x8xf32>, tensor<4xf32>) -> tensor<2x4xf32>
    ffn.yield %o : tensor<2x4xf32>
  }
  return %y : tensor<2x4xf32>
}

// -----

func.func @one_block(%x: tensor<2x4xf32>) -> tensor<2x4xf32> {
  %w1 = arith.constant dense<[[1.0, 0.5, 0.0, 2.0], [0.0, 1.0, 3.0, 0.5], [2.0, 0.0, 1.0, 1.0], [0.5, 2.0, 0.0, 1.0], [1.0, 1.0, 1.0, 0.0], [0.0, 0.5, 2.0, 1.0], [3.0, 0.0, 0.5, 1.0], [1.0, 2.0, 1.0, 3.0]]> : tensor<8x4xf32>
  %b1 = arith.constant dense<0.25> : tensor<8xf32>
  %w2 = arith.constant dense<[[1.0, 0.0, 2.0, 1.0, 0.5, 0.0, 1.0, 2.0], [0.0, 1.0, 0.0, 3.0, 1.0, 2.0, 0.0, 1.0], [2.0, 1.0, 1.0, 0.0, 0.0, 1.0, 3.0, 0.5], [0.5, 0.0, 1.0, 1.0, 2.0, 0.0, 1.0, 1.0]]> : tensor<4x8xf32>
  %b2 = arith.constant dense<0.5> : tensor<4xf32>
  %y = ffn.mlp(%x, %w1, %b1, %w2, %b2) {ffn.block_diag = 1 : i64} : (tensor<2x4xf32>, tensor<8x4xf32>, tensor<8xf32>, tensor<4x8xf32>, tensor<4xf32>) -> tensor<2x4xf32> {
  ^bb0(%a: tensor<2x4xf32>, %p1: tensor<8x4xf32>, %q1: tensor<8xf32>, %p2: tensor<4x8xf32>, %q2: tensor<4xf32>):
    %h = ffn.linear %a, %p1, %q1 : (tensor<2x4xf32>, tensor<8x4xf32>, tensor<8xf32>) -> tensor<2x8xf32>
    %g = ffn.gelu %h : tensor<2x8xf32>
    %o = ffn.linear %g, %p2, %q2 : (tensor<2x8xf32>, tensor<4x8xf32>, tensor<4xf32>) -> tensor<2x4xf32>
    ffn.yield %o : tensor<2x4xf32>
  }
  return %y : tensor<2x4xf32>
}

// -----

func.func @blocks_default(%x: tensor<2x4xf32>) -> tensor<2x4xf32> {
  %w1 = arith.constant dense<[[1.0, 0.5, 0.0, 2.0], [0.0, 1.0, 3.0, 0.5], [2.0, 0.0, 1.0, 1.0], [0.5, 2.0, 0.0, 1.0], [1.0, 1.0, 1.0, 0.0], [0.0, 0.5, 2.0, 1.0], [3.0, 0.0, 0.5, 1.0], [1.0, 2.0, 1.0, 3.0]]> : tensor<8x4xf32>
  %b1 = arith.constant dense<0.25> : tensor<8xf32>
  %w2 = arith.constant dense<[[1.0, 0.0, 2.0, 1.0, 0.5, 0.0, 1.0, 2.0], [0.0, 1.0, 0.0, 3.0, 1.0, 2.0, 0.0, 1.0], [2.0, 1.0, 1.0, 0.0, 0.0, 1.0, 3.0, 0.5], [0.5, 0.0, 1.0, 1.0, 2.0, 0.0, 1.0, 1.0]]> : tensor<4x8xf32>
  %b2 = arith.constant dense<0.5> : tensor<4xf32>
  %y = ffn.mlp(%x, %w1, %b1, %w2, %b2) : (tensor<2x4xf32>, tensor<8x4xf32>, tensor<8xf32>, tensor<4x8xf32>, tensor<4xf32>) -> tensor<2x4xf32> {
  ^bb0(%a: tensor<2x4xf32>, %p1: tensor<8x4xf32>, %q1: tensor<8xf32>, %p2: tensor<4x8xf32>, %q2: tensor<4xf32>):
    %h = ffn.linear %a, %p1, %q1 : (tensor<2x4xf32>, tensor<8x4xf32>, tensor<8xf32>) -> tensor<2x8xf32>
    %g = ffn.gelu %h : tensor<2x8xf32>
    %o = ffn.linear %g, %p2, %q2 : (tensor<2x8xf32>, tensor<4x8xf32>, tensor<4xf32>) -> tensor<2x4xf32>
    ffn.yield %o : tensor<2x4xf32>
  }
  return %y : tensor<2x4xf32>
}

// -----

// An input scale makes the factoring of the linear reading the block input
// activation-aware.
// AWARE: remark: ffn-lowrank: activation-aware; 8x4 rank 1
// AWARE-NOT: activation-aware
func.func @aware(%x: tensor<2x4xf32>) -> tensor<2x4xf32> {
  %w1 = arith.constant dense<[[1.0, 0.5, 0.0, 2.0], [0.0, 1.0, 3.0, 0.5], [2.0, 0.0, 1.0, 1.0], [0.5, 2.0, 0.0, 1.0], [1.0, 1.0, 1.0, 0.0], [0.0, 0.5, 2.0, 1.0], [3.0, 0.0, 0.5, 1.0], [1.0, 2.0, 1.0, 3.0]]> : tensor<8x4xf32>
  %b1 = arith.constant dense<0.25> : tensor<8xf32>
  %w2 = arith.constant dense<[[1.0, 0.0, 2.0, 1.0, 0.5, 0.0, 1.0, 2.0], [0.0, 1.0, 0.0, 3.0, 1.0, 2.0, 0.0, 1.0], [2.0, 1.0, 1.0, 0.0, 0.0, 1.0, 3.0, 0.5], [0.5, 0.0, 1.0, 1.0, 2.0, 0.0, 1.0, 1.0]]> : tensor<4x8xf32>
  %b2 = arith.constant dense<0.5> : tensor<4xf32>
  %y = ffn.mlp(%x, %w1, %b1, %w2, %b2) {ffn.lowrank = "rank:1", ffn.input_scale = dense<[1.0, 1.0, 1.0, 10.0]> : tensor<4xf32>} : (tensor<2x4xf32>, tensor<8x4xf32>, tensor<8xf32>, tensor<4x8xf32>, tensor<4xf32>) -> tensor<2x4xf32> {
  ^bb0(%a: tensor<2x4xf32>, %p1: tensor<8x4xf32>, %q1: tensor<8xf32>, %p2: tensor<4x8xf32>, %q2: tensor<4xf32>):
    %h = ffn.linear %a, %p1, %q1 : (tensor<2x4xf32>, tensor<8x4xf32>, tensor<8xf32>) -> tensor<2x8xf32>
    %g = ffn.gelu %h : tensor<2x8xf32>
    %o = ffn.linear %g, %p2, %q2 : (tensor<2x8xf32>, tensor<4x8xf32>, tensor<4xf32>) -> tensor<2x4xf32>
    ffn.yield %o : tensor<2x4xf32>
  }
  return %y : tensor<2x4xf32>
}
