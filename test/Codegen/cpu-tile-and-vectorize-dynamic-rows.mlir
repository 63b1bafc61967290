// RUN: ffn-opt %s -pass-pipeline='builtin.module(func.func(ffn-cpu-tile-and-vectorize{vector-width=8}))' | FileCheck %s

// A GEMM over a token count known only at run time: thread tiles of a
// dynamic number of rows, tiled by rows first (6-row register tiles, then
// one-row tiles for the last rows), then by columns and K. Every register
// tile is static and vectorised; no linalg.matmul is left as scalar loops.
// CHECK-LABEL: func.func @dynamic_rows
// CHECK:         scf.forall
// CHECK:         vector.contract {{.+}} : vector<6x1xf32>, vector<1x16xf32> into vector<6x16xf32>
// CHECK:         vector.contract {{.+}} : vector<1x1xf32>, vector<1x16xf32> into vector<1x16xf32>
// CHECK-NOT:     linalg.matmul
func.func @dynamic_rows(%x: tensor<?x64xf32>, %w: tensor<64x32xf32>) -> tensor<?x32xf32> {
  %c0 = arith.constant 0 : index
  %zero = arith.constant 0.0 : f32
  %m = tensor.dim %x, %c0 : tensor<?x64xf32>
  %e = tensor.empty(%m) : tensor<?x32xf32>
  %f = linalg.fill ins(%zero : f32) outs(%e : tensor<?x32xf32>) -> tensor<?x32xf32>
  %y = linalg.matmul ins(%x, %w : tensor<?x64xf32>, tensor<64x32xf32>) outs(%f : tensor<?x32xf32>) -> tensor<?x32xf32>
  return %y : tensor<?x32xf32>
}
