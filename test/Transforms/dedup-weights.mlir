// RUN: ffn-opt %s -ffn-dedup-weights -split-input-file | FileCheck %s

// Resource blobs are the alignment header 0x04000000 then little-endian f32
// values (1.0 = 0000803F, 2.0 = 00000040, 3.0 = 00004040, 4.0 = 00008040).

// Two FFN blocks with identical weights in separate blobs (an exporter that
// wrote one initializer per layer): one constant each is left, both blocks
// read it and record the rewrite.
// CHECK-LABEL: func.func @two_layers
// CHECK-COUNT-2: arith.constant
// CHECK-NOT:   arith.constant
// CHECK:       %[[Y1:.+]] = ffn.mlp(%{{[^,]+}}, %[[W1:[^,]+]], %[[W2:[^)]+]]) {ffn.applied = ["dedup-weights"]}
// CHECK:       ffn.mlp(%[[Y1]], %[[W1]], %[[W2]]) {ffn.applied = ["dedup-weights"]}
func.func @two_layers(%x: tensor<4x2xf32>) -> tensor<4x2xf32> {
  %w1a = arith.constant dense_resource<w1a> : tensor<3x2xf32>
  %w2a = arith.constant dense_resource<w2a> : tensor<2x3xf32>
  %w1b = arith.constant dense_resource<w1b> : tensor<3x2xf32>
  %w2b = arith.constant dense_resource<w2b> : tensor<2x3xf32>
  %y1 = ffn.mlp(%x, %w1a, %w2a) : (tensor<4x2xf32>, tensor<3x2xf32>, tensor<2x3xf32>) -> tensor<4x2xf32> {
  ^bb0(%a: tensor<4x2xf32>, %p1: tensor<3x2xf32>, %p2: tensor<2x3xf32>):
    %h = ffn.linear %a, %p1 : (tensor<4x2xf32>, tensor<3x2xf32>) -> tensor<4x3xf32>
    %g = ffn.gelu %h : tensor<4x3xf32>
    %o = ffn.linear %g, %p2 : (tensor<4x3xf32>, tensor<2x3xf32>) -> tensor<4x2xf32>
    ffn.yield %o : tensor<4x2xf32>
  }
  %y2 = ffn.mlp(%y1, %w1b, %w2b) : (tensor<4x2xf32>, tensor<3x2xf32>, tensor<2x3xf32>) -> tensor<4x2xf32> {
  ^bb0(%a: tensor<4x2xf32>, %p1: tensor<3x2xf32>, %p2: tensor<2x3xf32>):
    %h = ffn.linear %a, %p1 : (tensor<4x2xf32>, tensor<3x2xf32>) -> tensor<4x3xf32>
    %g = ffn.gelu %h : tensor<4x3xf32>
    %o = ffn.linear %g, %p2 : (tensor<4x3xf32>, tensor<2x3xf32>) -> tensor<4x2xf32>
    ffn.yield %o : tensor<4x2xf32>
  }
  return %y2 : tensor<4x2xf32>
}
{-#
  dialect_resources: {
    builtin: {
      w1a: "0x040000000000803F0000004000004040000080400000000000000000",
      w2a: "0x040000000000803F0000004000004040000080400000803F00000040",
      w1b: "0x040000000000803F0000004000004040000080400000000000000000",
      w2b: "0x040000000000803F0000004000004040000080400000803F00000040"
    }
  }
#-}

// -----

// Same shape, different contents (the last element differs): both stay.
// CHECK-LABEL: func.func @different_contents
// CHECK:       %[[A:.+]] = arith.constant dense_resource<wa>
// CHECK:       %[[B:.+]] = arith.constant dense_resource<wb>
// CHECK:       ffn.linear %{{[^,]+}}, %[[A]]
// CHECK:       ffn.linear %{{[^,]+}}, %[[B]]
// CHECK-NOT:   dedup-weights
func.func @different_contents(%x: tensor<4x2xf32>) -> (tensor<4x2xf32>, tensor<4x2xf32>) {
  %wa = arith.constant dense_resource<wa> : tensor<2x2xf32>
  %wb = arith.constant dense_resource<wb> : tensor<2x2xf32>
  %ya = ffn.linear %x, %wa : (tensor<4x2xf32>, tensor<2x2xf32>) -> tensor<4x2xf32>
  %yb = ffn.linear %x, %wb : (tensor<4x2xf32>, tensor<2x2xf32>) -> tensor<4x2xf32>
  return %ya, %yb : tensor<4x2xf32>, tensor<4x2xf32>
}
{-#
  dialect_resources: {
    builtin: {
      wa: "0x040000000000803F000000400000404000008040",
      wb: "0x040000000000803F000000400000404000000040"
    }
  }
#-}

// -----

// The same bytes as [2, 2] and as [4, 1] weights: different types, both
// stay. A dense attribute with the same contents and type as a blob merges
// with it (the first one is kept).
// CHECK-LABEL: func.func @same_bytes_other_shape
// CHECK:       %[[A:.+]] = arith.constant dense_resource<wsq> : tensor<2x2xf32>
// CHECK:       %[[B:.+]] = arith.constant dense_resource<wcol> : tensor<4x1xf32>
// CHECK-NOT:   arith.constant
// CHECK:       ffn.linear %{{[^,]+}}, %[[A]]
// CHECK:       ffn.linear %{{[^,]+}}, %[[B]]
// CHECK:       ffn.linear %{{[^,]+}}, %[[A]]
func.func @same_bytes_other_shape(%x: tensor<4x2xf32>, %z: tensor<4x1xf32>) -> (tensor<4x2xf32>, tensor<4x4xf32>, tensor<4x2xf32>) {
  %wsq = arith.constant dense_resource<wsq> : tensor<2x2xf32>
  %wcol = arith.constant dense_resource<wcol> : tensor<4x1xf32>
  %wd = arith.constant dense<[[1.0, 2.0], [3.0, 4.0]]> : tensor<2x2xf32>
  %ya = ffn.linear %x, %wsq : (tensor<4x2xf32>, tensor<2x2xf32>) -> tensor<4x2xf32>
  %yb = ffn.linear %z, %wcol : (tensor<4x1xf32>, tensor<4x1xf32>) -> tensor<4x4xf32>
  %yc = ffn.linear %x, %wd : (tensor<4x2xf32>, tensor<2x2xf32>) -> tensor<4x2xf32>
  return %ya, %yb, %yc : tensor<4x2xf32>, tensor<4x4xf32>, tensor<4x2xf32>
}
{-#
  dialect_resources: {
    builtin: {
      wsq: "0x040000000000803F000000400000404000008040",
      wcol: "0x040000000000803F000000400000404000008040"
    }
  }
#-}

// -----

// Gate and up weights of one gated block with equal contents: one constant,
// passed once, read by both linears.
// CHECK-LABEL: func.func @one_block
// CHECK:       ffn.mlp(%{{[^,]+}}, %{{[^,]+}}, %{{[^)]+}}) {ffn.applied = ["dedup-weights"]}
// CHECK-NEXT:  ^bb0(%[[A:[^:]+]]: tensor<4x2xf32>, %[[P:[^:]+]]: tensor<2x2xf32>, %{{[^:]+}}: tensor<2x2xf32>):
// CHECK-NEXT:    ffn.linear %[[A]], %[[P]]
// CHECK-NEXT:    ffn.linear %[[A]], %[[P]]
func.func @one_block(%x: tensor<4x2xf32>) -> tensor<4x2xf32> {
  %wg = arith.constant dense_resource<wg> : tensor<2x2xf32>
  %wu = arith.constant dense_resource<wu> : tensor<2x2xf32>
  %wd = arith.constant dense_resource<wd> : tensor<2x2xf32>
  %y = ffn.mlp(%x, %wg, %wu, %wd) : (tensor<4x2xf32>, tensor<2x2xf32>, tensor<2x2xf32>, tensor<2x2xf32>) -> tensor<4x2xf32> {
  ^bb0(%a: tensor<4x2xf32>, %pg: tensor<2x2xf32>, %pu: tensor<2x2xf32>, %pd: tensor<2x2xf32>):
    %hg = ffn.linear %a, %pg : (tensor<4x2xf32>, tensor<2x2xf32>) -> tensor<4x2xf32>
    %hu = ffn.linear %a, %pu : (tensor<4x2xf32>, tensor<2x2xf32>) -> tensor<4x2xf32>
    %s = ffn.silu %hg : tensor<4x2xf32>
    %m = arith.mulf %s, %hu : tensor<4x2xf32>
    %o = ffn.linear %m, %pd : (tensor<4x2xf32>, tensor<2x2xf32>) -> tensor<4x2xf32>
    ffn.yield %o : tensor<4x2xf32>
  }
  return %y : tensor<4x2xf32>
}
{-#
  dialect_resources: {
    builtin: {
      wg: "0x040000000000803F000000400000404000008040",
      wu: "0x040000000000803F000000400000404000008040",
      wd: "0x040000000000803F000000400000404000000040"
    }
  }
#-}
