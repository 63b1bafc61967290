// RUN: ffn-opt %s -ffn-fuse-horizontal -split-input-file | FileCheck %s
// RUN: ffn-opt %s -ffn-fuse-horizontal=remark-failures -split-input-file -o /dev/null 2>&1 \
// RUN:   | FileCheck %s --check-prefix=REMARK

// Resource blobs are the alignment header 0x04000000 then little-endian f32
// values (0 = 00000000, 1.0 = 0000803F, 2.0 = 00000040, 3.0 = 00004040).

//===----------------------------------------------------------------------===//
// Inside ffn.mlp
//===----------------------------------------------------------------------===//

// Gate and up projections become one [2H, D] linear and two slices; the
// down projection is untouched.
// CHECK-LABEL: func.func @gated
// CHECK:       %[[W:.+]] = arith.constant dense_resource<fused_weight> : tensor<32x8xf32>
// CHECK:       ffn.mlp(%{{[^,]+}}, %[[WD:[^,]+]], %[[W]]) {ffn.applied = ["fuse-horizontal"]}
// CHECK-NEXT:  ^bb0(%[[A:[^:]+]]: tensor<4x8xf32>, %[[PD:[^:]+]]: tensor<8x16xf32>, %[[P:[^:]+]]: tensor<32x8xf32>):
// CHECK-NEXT:    %[[F:.+]] = ffn.linear %[[A]], %[[P]] : (tensor<4x8xf32>, tensor<32x8xf32>) -> tensor<4x32xf32>
// CHECK-NEXT:    %[[G:.+]] = tensor.extract_slice %[[F]][0, 0] [4, 16] [1, 1] : tensor<4x32xf32> to tensor<4x16xf32>
// CHECK-NEXT:    %[[U:.+]] = tensor.extract_slice %[[F]][0, 16] [4, 16] [1, 1] : tensor<4x32xf32> to tensor<4x16xf32>
// CHECK-NEXT:    %[[S:.+]] = ffn.silu %[[G]]
// CHECK-NEXT:    %[[M:.+]] = arith.mulf %[[S]], %[[U]]
// CHECK-NEXT:    ffn.linear %[[M]], %[[PD]] :
// CHECK:       fused_weight: "0x04000000{{(00000040){128}(0000803F){128}"}}
func.func @gated(%x: tensor<4x8xf32>) -> tensor<4x8xf32> {
  %wg = arith.constant dense<2.0> : tensor<16x8xf32>
  %wu = arith.constant dense<1.0> : tensor<16x8xf32>
  %wd = arith.constant dense<0.1> : tensor<8x16xf32>
  %y = ffn.mlp(%x, %wg, %wu, %wd) : (tensor<4x8xf32>, tensor<16x8xf32>, tensor<16x8xf32>, tensor<8x16xf32>) -> tensor<4x8xf32> {
  ^bb0(%a: tensor<4x8xf32>, %pg: tensor<16x8xf32>, %pu: tensor<16x8xf32>, %pd: tensor<8x16xf32>):
    %hg = ffn.linear %a, %pg : (tensor<4x8xf32>, tensor<16x8xf32>) -> tensor<4x16xf32>
    %hu = ffn.linear %a, %pu : (tensor<4x8xf32>, tensor<16x8xf32>) -> tensor<4x16xf32>
    %s = ffn.silu %hg : tensor<4x16xf32>
    %m = arith.mulf %s, %hu : tensor<4x16xf32>
    %o = ffn.linear %m, %pd : (tensor<4x16xf32>, tensor<8x16xf32>) -> tensor<4x8xf32>
    ffn.yield %o : tensor<4x8xf32>
  }
  return %y : tensor<4x8xf32>
}

// -----

// Rank 3; only the gate has a bias: the up part of the fused bias is zeros.
// CHECK-LABEL: func.func @gated_rank3_bias
// CHECK:       ffn.mlp{{.+}}{ffn.applied = ["fuse-horizontal"]}
// CHECK:         %[[F:.+]] = ffn.linear %{{[^,]+}}, %{{[^,]+}}, %{{[^ ]+}} : (tensor<2x3x8xf32>, tensor<24x8xf32>, tensor<24xf32>) -> tensor<2x3x24xf32>
// CHECK-NEXT:    tensor.extract_slice %[[F]][0, 0, 0] [2, 3, 12] [1, 1, 1] : tensor<2x3x24xf32> to tensor<2x3x12xf32>
// CHECK-NEXT:    tensor.extract_slice %[[F]][0, 0, 12] [2, 3, 12] [1, 1, 1] : tensor<2x3x24xf32> to tensor<2x3x12xf32>
// CHECK-DAG:   fused_bias: "0x04000000{{(0000803F){12}(00000000){12}"}}
func.func @gated_rank3_bias(%x: tensor<2x3x8xf32>) -> tensor<2x3x8xf32> {
  %wg = arith.constant dense<2.0> : tensor<12x8xf32>
  %bg = arith.constant dense<1.0> : tensor<12xf32>
  %wu = arith.constant dense<1.0> : tensor<12x8xf32>
  %wd = arith.constant dense<0.1> : tensor<8x12xf32>
  %y = ffn.mlp(%x, %wg, %bg, %wu, %wd) : (tensor<2x3x8xf32>, tensor<12x8xf32>, tensor<12xf32>, tensor<12x8xf32>, tensor<8x12xf32>) -> tensor<2x3x8xf32> {
  ^bb0(%a: tensor<2x3x8xf32>, %pg: tensor<12x8xf32>, %qg: tensor<12xf32>, %pu: tensor<12x8xf32>, %pd: tensor<8x12xf32>):
    %hg = ffn.linear %a, %pg, %qg : (tensor<2x3x8xf32>, tensor<12x8xf32>, tensor<12xf32>) -> tensor<2x3x12xf32>
    %hu = ffn.linear %a, %pu : (tensor<2x3x8xf32>, tensor<12x8xf32>) -> tensor<2x3x12xf32>
    %s = ffn.silu %hg : tensor<2x3x12xf32>
    %m = arith.mulf %s, %hu : tensor<2x3x12xf32>
    %o = ffn.linear %m, %pd : (tensor<2x3x12xf32>, tensor<8x12xf32>) -> tensor<2x3x8xf32>
    ffn.yield %o : tensor<2x3x8xf32>
  }
  return %y : tensor<2x3x8xf32>
}

// -----

// An encoder FFN has one linear per input: nothing to fuse.
// CHECK-LABEL: func.func @encoder_unchanged
// CHECK-NOT:   ffn.applied
// CHECK-NOT:   tensor.extract_slice
func.func @encoder_unchanged(%x: tensor<4x8xf32>) -> tensor<4x8xf32> {
  %w1 = arith.constant dense<1.5> : tensor<16x8xf32>
  %w2 = arith.constant dense<0.1> : tensor<8x16xf32>
  %y = ffn.mlp(%x, %w1, %w2) : (tensor<4x8xf32>, tensor<16x8xf32>, tensor<8x16xf32>) -> tensor<4x8xf32> {
  ^bb0(%a: tensor<4x8xf32>, %p1: tensor<16x8xf32>, %p2: tensor<8x16xf32>):
    %h = ffn.linear %a, %p1 : (tensor<4x8xf32>, tensor<16x8xf32>) -> tensor<4x16xf32>
    %r = ffn.relu %h : tensor<4x16xf32>
    %o = ffn.linear %r, %p2 : (tensor<4x16xf32>, tensor<8x16xf32>) -> tensor<4x8xf32>
    ffn.yield %o : tensor<4x8xf32>
  }
  return %y : tensor<4x8xf32>
}

// -----

//===----------------------------------------------------------------------===//
// Top level
//===----------------------------------------------------------------------===//

// Q/K/V: three linears of different widths, a missing bias counts as zeros.
// Fused rows: Wq (1 row), Wk (2 rows), Wv (1 row); bias [1, 0, 0, 3].
// CHECK-LABEL: func.func @qkv
// CHECK-SAME:    %[[X:[^:]+]]: tensor<5x2xf32>
// CHECK-DAG:   %[[W:.+]] = arith.constant dense_resource<fused_weight> : tensor<4x2xf32>
// CHECK-DAG:   %[[B:.+]] = arith.constant dense_resource<fused_bias> : tensor<4xf32>
// CHECK:       %[[F:.+]] = ffn.linear %[[X]], %[[W]], %[[B]] : (tensor<5x2xf32>, tensor<4x2xf32>, tensor<4xf32>) -> tensor<5x4xf32>
// CHECK-NEXT:  %[[Q:.+]] = tensor.extract_slice %[[F]][0, 0] [5, 1] [1, 1]
// CHECK-NEXT:  %[[K:.+]] = tensor.extract_slice %[[F]][0, 1] [5, 2] [1, 1]
// CHECK-NEXT:  %[[V:.+]] = tensor.extract_slice %[[F]][0, 3] [5, 1] [1, 1]
// CHECK-NEXT:  return %[[Q]], %[[K]], %[[V]]
// CHECK-DAG:   fused_weight: "0x040000000000803F00000040000000400000004000004040000040400000803F0000803F"
// CHECK-DAG:   fused_bias: "0x040000000000803F000000000000000000004040"
func.func @qkv(%x: tensor<5x2xf32>) -> (tensor<5x1xf32>, tensor<5x2xf32>, tensor<5x1xf32>) {
  %wq = arith.constant dense<[[1.0, 2.0]]> : tensor<1x2xf32>
  %bq = arith.constant dense<[1.0]> : tensor<1xf32>
  %wk = arith.constant dense<[[2.0, 2.0], [3.0, 3.0]]> : tensor<2x2xf32>
  %wv = arith.constant dense<[[1.0, 1.0]]> : tensor<1x2xf32>
  %bv = arith.constant dense<[3.0]> : tensor<1xf32>
  %q = ffn.linear %x, %wq, %bq : (tensor<5x2xf32>, tensor<1x2xf32>, tensor<1xf32>) -> tensor<5x1xf32>
  %k = ffn.linear %x, %wk : (tensor<5x2xf32>, tensor<2x2xf32>) -> tensor<5x2xf32>
  %v = ffn.linear %x, %wv, %bv : (tensor<5x2xf32>, tensor<1x2xf32>, tensor<1xf32>) -> tensor<5x1xf32>
  return %q, %k, %v : tensor<5x1xf32>, tensor<5x2xf32>, tensor<5x1xf32>
}

// -----

// Only the siblings that qualify are fused: the linear over another input
// and the one with a non-constant weight stay.
// CHECK-LABEL: func.func @partial_group
// CHECK-SAME:    %[[X:[^:]+]]: tensor<5x2xf32>, %[[Y:[^:]+]]: tensor<5x2xf32>, %[[WN:[^:]+]]: tensor<3x2xf32>
// CHECK:       %[[F:.+]] = ffn.linear %[[X]], %{{[^ ]+}} : (tensor<5x2xf32>, tensor<6x2xf32>) -> tensor<5x6xf32>
// CHECK-NEXT:  tensor.extract_slice %[[F]][0, 0] [5, 3] [1, 1]
// CHECK-NEXT:  tensor.extract_slice %[[F]][0, 3] [5, 3] [1, 1]
// CHECK-DAG:   ffn.linear %[[X]], %[[WN]] : (tensor<5x2xf32>, tensor<3x2xf32>) -> tensor<5x3xf32>
// CHECK-DAG:   ffn.linear %[[Y]], %{{[^ ]+}} : (tensor<5x2xf32>, tensor<3x2xf32>) -> tensor<5x3xf32>
// CHECK-NOT:   tensor.extract_slice
func.func @partial_group(%x: tensor<5x2xf32>, %y: tensor<5x2xf32>, %wn: tensor<3x2xf32>) -> (tensor<5x3xf32>, tensor<5x3xf32>, tensor<5x3xf32>, tensor<5x3xf32>) {
  %w = arith.constant dense<1.0> : tensor<3x2xf32>
  %a = ffn.linear %x, %w : (tensor<5x2xf32>, tensor<3x2xf32>) -> tensor<5x3xf32>
  %b = ffn.linear %x, %w : (tensor<5x2xf32>, tensor<3x2xf32>) -> tensor<5x3xf32>
  %c = ffn.linear %x, %wn : (tensor<5x2xf32>, tensor<3x2xf32>) -> tensor<5x3xf32>
  %d = ffn.linear %y, %w : (tensor<5x2xf32>, tensor<3x2xf32>) -> tensor<5x3xf32>
  return %a, %b, %c, %d : tensor<5x3xf32>, tensor<5x3xf32>, tensor<5x3xf32>, tensor<5x3xf32>
}

// -----

//===----------------------------------------------------------------------===//
// Where nothing fuses
//===----------------------------------------------------------------------===//

// The up projection's result has another user.
// CHECK-LABEL: func.func @linear_result_other_user
// CHECK-NOT:   tensor.extract_slice
// CHECK-NOT:   ffn.applied
func.func @linear_result_other_user(%x: tensor<4x8xf32>) -> (tensor<4x16xf32>, tensor<4x16xf32>) {
  %wg = arith.constant dense<2.0> : tensor<16x8xf32>
  %wu = arith.constant dense<1.0> : tensor<16x8xf32>
  // REMARK-DAG: fuse-horizontal.mlir:[[@LINE+1]]:{{[0-9]+}}: remark: ffn-fuse-horizontal: no other linear in the block reads the same input with constant weights and a single user
  %hg = ffn.linear %x, %wg : (tensor<4x8xf32>, tensor<16x8xf32>) -> tensor<4x16xf32>
  // REMARK-DAG: fuse-horizontal.mlir:[[@LINE+1]]:{{[0-9]+}}: remark: ffn-fuse-horizontal: the linear's result does not have exactly one user
  %hu = ffn.linear %x, %wu : (tensor<4x8xf32>, tensor<16x8xf32>) -> tensor<4x16xf32>
  %s = ffn.silu %hg : tensor<4x16xf32>
  %m = arith.mulf %s, %hu : tensor<4x16xf32>
  return %m, %hu : tensor<4x16xf32>, tensor<4x16xf32>
}

// -----

// Weights that are not constants (parameters of the function).
// CHECK-LABEL: func.func @weights_not_constant
// CHECK:       ffn.mlp
// CHECK-NOT:   tensor.extract_slice
// CHECK-NOT:   ffn.applied
func.func @weights_not_constant(%x: tensor<4x8xf32>, %wg: tensor<16x8xf32>, %wu: tensor<16x8xf32>, %wd: tensor<8x16xf32>) -> tensor<4x8xf32> {
  %y = ffn.mlp(%x, %wg, %wu, %wd) : (tensor<4x8xf32>, tensor<16x8xf32>, tensor<16x8xf32>, tensor<8x16xf32>) -> tensor<4x8xf32> {
  ^bb0(%a: tensor<4x8xf32>, %pg: tensor<16x8xf32>, %pu: tensor<16x8xf32>, %pd: tensor<8x16xf32>):
    // REMARK-DAG: fuse-horizontal.mlir:[[@LINE+1]]:{{[0-9]+}}: remark: ffn-fuse-horizontal: the linear's weight is not a static f32 constant
    %hg = ffn.linear %a, %pg : (tensor<4x8xf32>, tensor<16x8xf32>) -> tensor<4x16xf32>
    %hu = ffn.linear %a, %pu : (tensor<4x8xf32>, tensor<16x8xf32>) -> tensor<4x16xf32>
    %s = ffn.silu %hg : tensor<4x16xf32>
    %m = arith.mulf %s, %hu : tensor<4x16xf32>
    %o = ffn.linear %m, %pd : (tensor<4x16xf32>, tensor<8x16xf32>) -> tensor<4x8xf32>
    ffn.yield %o : tensor<4x8xf32>
  }
  return %y : tensor<4x8xf32>
}

// -----

// One constant and one non-constant weight: a group of one is no group.
// CHECK-LABEL: func.func @one_weight_not_constant
// CHECK-NOT:   tensor.extract_slice
func.func @one_weight_not_constant(%x: tensor<4x8xf32>, %wu: tensor<16x8xf32>) -> tensor<4x16xf32> {
  %wg = arith.constant dense<2.0> : tensor<16x8xf32>
  %hg = ffn.linear %x, %wg : (tensor<4x8xf32>, tensor<16x8xf32>) -> tensor<4x16xf32>
  // REMARK-DAG: fuse-horizontal.mlir:[[@LINE+1]]:{{[0-9]+}}: remark: ffn-fuse-horizontal: the linear's weight is not a static f32 constant
  %hu = ffn.linear %x, %wu : (tensor<4x8xf32>, tensor<16x8xf32>) -> tensor<4x16xf32>
  %m = arith.mulf %hg, %hu : tensor<4x16xf32>
  return %m : tensor<4x16xf32>
}

// -----

// Dynamic token dimension: one GEMM; the slices take whole rows, their
// count read from the input.
// CHECK-LABEL: func.func @dynamic_tokens
// CHECK-SAME:    (%[[X:.+]]: tensor<?x8xf32>)
// CHECK:         %[[F:.+]] = ffn.linear %[[X]], %{{.+}} : (tensor<?x8xf32>, tensor<32x8xf32>) -> tensor<?x32xf32>
// CHECK:         %[[D0:.+]] = tensor.dim %[[X]], %c0
// CHECK:         tensor.extract_slice %[[F]][0, 0] [%[[D0]], 16] [1, 1] : tensor<?x32xf32> to tensor<?x16xf32>
// CHECK:         %[[D1:.+]] = tensor.dim %[[X]], %c0
// CHECK:         tensor.extract_slice %[[F]][0, 16] [%[[D1]], 16] [1, 1] : tensor<?x32xf32> to tensor<?x16xf32>
func.func @dynamic_tokens(%x: tensor<?x8xf32>) -> tensor<?x16xf32> {
  %wg = arith.constant dense<2.0> : tensor<16x8xf32>
  %wu = arith.constant dense<1.0> : tensor<16x8xf32>
  %hg = ffn.linear %x, %wg : (tensor<?x8xf32>, tensor<16x8xf32>) -> tensor<?x16xf32>
  %hu = ffn.linear %x, %wu : (tensor<?x8xf32>, tensor<16x8xf32>) -> tensor<?x16xf32>
  %m = arith.mulf %hg, %hu : tensor<?x16xf32>
  return %m : tensor<?x16xf32>
}

// -----

// A dynamic feature dimension lets the verifiers accept weights of 8 and 6
// input features on one input; they do not concatenate.
// CHECK-LABEL: func.func @feature_count_mismatch
// CHECK-NOT:   tensor.extract_slice
func.func @feature_count_mismatch(%x: tensor<4x?xf32>) -> tensor<4x16xf32> {
  %wa = arith.constant dense<2.0> : tensor<16x8xf32>
  %wb = arith.constant dense<1.0> : tensor<16x6xf32>
  %a = ffn.linear %x, %wa : (tensor<4x?xf32>, tensor<16x8xf32>) -> tensor<4x16xf32>
  %b = ffn.linear %x, %wb : (tensor<4x?xf32>, tensor<16x6xf32>) -> tensor<4x16xf32>
  %m = arith.mulf %a, %b : tensor<4x16xf32>
  return %m : tensor<4x16xf32>
}
