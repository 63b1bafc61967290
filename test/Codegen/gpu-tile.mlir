// RUN: ffn-opt %s -split-input-file --pass-pipeline='builtin.module(func.func(ffn-gpu-tile{gemm-thread-tile=2}),canonicalize,cse)' | FileCheck %s

// A linear layer with its GELU: one block tile (32 columns x 8 rows) whose
// thread tiles (2x2 outputs) hold the bias broadcast, the GEMM over the
// whole K and the activation. Nothing is left outside the tiles.

// CHECK-LABEL: func.func @linear_gelu(
// CHECK-NOT:     linalg.
// CHECK:         scf.forall (%{{.*}}, %{{.*}}) = (0, 0) to (64, 96) step (8, 32)
// CHECK-NOT:       linalg.
// CHECK:           scf.forall (%{{.*}}, %{{.*}}) = (0, 0) to (8, 32) step (2, 2)
// CHECK:             linalg.broadcast {{.*}}tensor<2xf32>{{.*}}tensor<2x2xf32>
// CHECK:             linalg.matmul {{.*}}tensor<2x48xf32>, tensor<48x2xf32>{{.*}}tensor<2x2xf32>
// CHECK:             linalg.generic
// CHECK:               math.erf
// CHECK:           } {mapping
// CHECK-NOT:     linalg.
// CHECK:         return
#map = affine_map<(d0, d1) -> (d0, d1)>
func.func @linear_gelu(%x: tensor<64x48xf32>, %w: tensor<48x96xf32>, %b: tensor<96xf32>) -> tensor<64x96xf32> {
  %e = tensor.empty() : tensor<64x96xf32>
  %init = linalg.broadcast ins(%b : tensor<96xf32>) outs(%e : tensor<64x96xf32>) dimensions = [0]
  %mm = linalg.matmul ins(%x, %w : tensor<64x48xf32>, tensor<48x96xf32>) outs(%init : tensor<64x96xf32>) -> tensor<64x96xf32>
  %g = linalg.generic {indexing_maps = [#map, #map], iterator_types = ["parallel", "parallel"]} ins(%mm : tensor<64x96xf32>) outs(%e : tensor<64x96xf32>) {
  ^bb0(%in: f32, %out: f32):
    %v = math.erf %in : f32
    linalg.yield %v : f32
  } -> tensor<64x96xf32>
  return %g : tensor<64x96xf32>
}

// -----

// A row reduction (as in a norm) is tiled over rows only (one row per
// thread). The 40 columns take block tiles of 20, the largest divisor up
// to 32, so no tile is partial (partial tiles would give fused producers
// dynamically sized temporaries, stack allocations in the kernel). Its
// elementwise
// consumer reads it through a broadcast, so it is not fused (every thread of
// a row would recompute the sum) and gets tiles of its own.

// CHECK-LABEL: func.func @row_sum_then_scale(
// CHECK:         %[[SUM:.+]] = scf.forall (%{{.*}}) = (0) to (16) step (16)
// CHECK:           scf.forall (%{{.*}}) in (16)
// CHECK:             linalg.fill
// CHECK:             linalg.generic {{.*}}iterator_types = ["parallel", "reduction"]
// CHECK:         scf.forall (%{{.*}}, %{{.*}}) = (0, 0) to (16, 40) step (8, 20)
// CHECK-NOT:       affine.min
// CHECK:           tensor.extract_slice %[[SUM]]
// CHECK:           scf.forall (%{{.*}}, %{{.*}}) in (8, 20)
// CHECK:             linalg.generic {{.*}}iterator_types = ["parallel", "parallel"]
#id = affine_map<(d0, d1) -> (d0, d1)>
#row = affine_map<(d0, d1) -> (d0)>
func.func @row_sum_then_scale(%x: tensor<16x40xf32>) -> tensor<16x40xf32> {
  %zero = arith.constant 0.0 : f32
  %e1 = tensor.empty() : tensor<16xf32>
  %f = linalg.fill ins(%zero : f32) outs(%e1 : tensor<16xf32>) -> tensor<16xf32>
  %s = linalg.generic {indexing_maps = [#id, #row], iterator_types = ["parallel", "reduction"]} ins(%x : tensor<16x40xf32>) outs(%f : tensor<16xf32>) {
  ^bb0(%in: f32, %acc: f32):
    %a = arith.addf %in, %acc : f32
    linalg.yield %a : f32
  } -> tensor<16xf32>
  %e2 = tensor.empty() : tensor<16x40xf32>
  %y = linalg.generic {indexing_maps = [#id, #row, #id], iterator_types = ["parallel", "parallel"]} ins(%x, %s : tensor<16x40xf32>, tensor<16xf32>) outs(%e2 : tensor<16x40xf32>) {
  ^bb0(%in: f32, %sum: f32, %out: f32):
    %d = arith.divf %in, %sum : f32
    linalg.yield %d : f32
  } -> tensor<16x40xf32>
  return %y : tensor<16x40xf32>
}
