// RUN: ffn-opt %s -pass-pipeline='builtin.module(func.func(ffn-cpu-tile-and-vectorize{vector-width=8 thread-tile-m=12 thread-tile-n=32}))' | FileCheck %s --check-prefix=FUSED
// RUN: ffn-opt %s -pass-pipeline='builtin.module(func.func(ffn-cpu-tile-and-vectorize{vector-width=8 thread-tile-m=12 thread-tile-n=32 fuse-low-rank=false}))' | FileCheck %s --check-prefix=APART
// RUN: ffn-opt %s -pass-pipeline='builtin.module(func.func(ffn-cpu-tile-and-vectorize{vector-width=8 thread-tile-m=12 thread-tile-n=32 fuse-low-rank-max-rank=4}))' | FileCheck %s --check-prefix=APART

// A low-rank pair as ffn-lowrank leaves it, t = x·Bᵀ ([24, 8]) then
// relu(t·Aᵀ + b) ([24, 64]). Fused (the default): one thread tile of 12
// whole rows computes the tile's [12, 8] product, then walks the wide GEMM
// and its activation in blocks of 32 columns (thread-tile-n), reading that
// product from cache. Apart: the thin GEMM has thread tiles of its own, and
// the wide GEMM with its activation another set: two parallel loops with
// the [24, 8] product between them. Apart too when the rank (8) is above
// fuse-low-rank-max-rank.

// FUSED-LABEL: func.func @lowrank
// FUSED:         scf.forall ({{.*}}) = (0) to (24) step (12)
// FUSED:           vector.contract
// FUSED:           scf.for {{.*}} = %c0 to %c64 step %c32
// FUSED:             vector.contract
// FUSED:             arith.maximumf
// FUSED:           scf.forall.in_parallel
// FUSED-NOT:     scf.forall

// APART-LABEL: func.func @lowrank
// APART:         scf.forall
// APART:           vector.contract
// APART:         scf.forall
// APART:           vector.contract
// APART:           arith.maximumf
#map = affine_map<(d0, d1) -> (d0, d1)>
func.func @lowrank(%x: tensor<24x32xf32>, %b: tensor<32x8xf32>, %a: tensor<8x64xf32>, %bias: tensor<64xf32>) -> tensor<24x64xf32> {
  %zero = arith.constant 0.0 : f32
  %e0 = tensor.empty() : tensor<24x8xf32>
  %fill = linalg.fill ins(%zero : f32) outs(%e0 : tensor<24x8xf32>) -> tensor<24x8xf32>
  %t = linalg.matmul ins(%x, %b : tensor<24x32xf32>, tensor<32x8xf32>) outs(%fill : tensor<24x8xf32>) -> tensor<24x8xf32>
  %e1 = tensor.empty() : tensor<24x64xf32>
  %init = linalg.broadcast ins(%bias : tensor<64xf32>) outs(%e1 : tensor<24x64xf32>) dimensions = [0]
  %y = linalg.matmul ins(%t, %a : tensor<24x8xf32>, tensor<8x64xf32>) outs(%init : tensor<24x64xf32>) -> tensor<24x64xf32>
  %act = linalg.generic {indexing_maps = [#map, #map], iterator_types = ["parallel", "parallel"]} ins(%y : tensor<24x64xf32>) outs(%e1 : tensor<24x64xf32>) {
  ^bb0(%in: f32, %out: f32):
    %r = arith.maximumf %in, %zero : f32
    linalg.yield %r : f32
  } -> tensor<24x64xf32>
  return %act : tensor<24x64xf32>
}
