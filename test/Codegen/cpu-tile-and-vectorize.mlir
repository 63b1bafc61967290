// RUN: ffn-opt %s -split-input-file -pass-pipeline='builtin.module(func.func(ffn-cpu-tile-and-vectorize{k-unroll=1}))' | FileCheck %s --implicit-check-not=linalg. --implicit-check-not=affine.min --implicit-check-not=vector.mask --implicit-check-not=vector.create_mask
// RUN: ffn-opt %s -split-input-file -pass-pipeline='builtin.module(func.func(ffn-cpu-tile-and-vectorize{k-unroll=1}))' | FileCheck %s --check-prefix=BOUND
// RUN: ffn-opt %s -split-input-file -pass-pipeline='builtin.module(func.func(ffn-cpu-tile-and-vectorize{vector-width=8 thread-tile-m=32 thread-tile-n=32 k-unroll=1}))' | FileCheck %s --check-prefix=AVX2

// Every linalg op of these static inputs ends up vectorised, and every
// partial tile is peeled with static sizes: the first RUN line rejects any
// remaining linalg op, affine.min or mask. No vector is larger than a register
// tile (8x32 for AVX-512) or an elementwise tile (1x64): no multi-dimensional
// vector with more than 8 rows and no dimension of 100 or more.
// BOUND-NOT: vector<{{(9|[1-9][0-9]+)x[0-9]}}
// BOUND-NOT: vector<{{([0-9]+x)*[0-9][0-9][0-9]}}

// A GEMM with a bias-broadcast accumulator and a relu consumer, large enough
// for 2x2 thread tiles of 64x256: the relu is the root of one scf.forall and
// the matmul and the broadcast are fused into it.
// CHECK-LABEL: func.func @matmul_bias_relu
// CHECK-SAME:    %[[X:[^:]+]]: tensor<128x64xf32>, %[[W:[^:]+]]: tensor<64x512xf32>, %[[B:[^:]+]]: tensor<512xf32>
// CHECK:         scf.forall (%[[I:.+]], %[[J:.+]]) = (0, 0) to (128, 512) step (64, 256)
// CHECK:           %[[XS:.+]] = tensor.extract_slice %[[X]][%[[I]], 0] [64, 64] [1, 1]
// CHECK:           %[[WS:.+]] = tensor.extract_slice %[[W]][0, %[[J]]] [64, 256] [1, 1]
// CHECK:           %[[BS:.+]] = tensor.extract_slice %[[B]][%[[J]]] [256] [1]
//                  The bias tile is broadcast into the accumulator tile.
// CHECK:           vector.transfer_read %{{.+}}{{.*}} : tensor<64xf32>, vector<1x64xf32>
//                  Register tiles of 8x32 over the 64x256 thread tile.
// CHECK:           scf.for %{{.+}} = %{{.+}} to %{{.+}} step %[[C8:[^ ]+]] iter_args
// CHECK:             scf.for %{{.+}} = %{{.+}} to %{{.+}} step %[[C32:[^ ]+]] iter_args
// CHECK:               %[[ACC0:.+]] = vector.transfer_read {{.*}} : tensor<8x32xf32>, vector<8x32xf32>
// CHECK:               %[[ACC:.+]] = scf.for %{{.+}} = %{{.+}} to %{{.+}} step %{{.+}} iter_args(%[[A:.+]] = %[[ACC0]]) -> (vector<8x32xf32>)
// CHECK:                 %[[XK:.+]] = tensor.extract_slice %[[XS]]{{.*}} to tensor<8x1xf32>
// CHECK:                 %[[WK:.+]] = tensor.extract_slice %[[WS]]{{.*}} to tensor<1x32xf32>
// CHECK:                 %[[L:.+]] = vector.transfer_read %[[XK]]{{.*}} : tensor<8x1xf32>, vector<8x1xf32>
// CHECK:                 %[[R:.+]] = vector.transfer_read %[[WK]]{{.*}} : tensor<1x32xf32>, vector<1x32xf32>
// CHECK:                 %[[NEW:.+]] = vector.contract {{.+}} %[[L]], %[[R]], %[[A]] : vector<8x1xf32>, vector<1x32xf32> into vector<8x32xf32>
// CHECK-NEXT:            scf.yield %[[NEW]] : vector<8x32xf32>
// CHECK:               vector.transfer_write %[[ACC]], {{.*}} : vector<8x32xf32>, tensor<8x32xf32>
//                  The relu epilogue runs on the same thread tile.
// CHECK:           arith.maximumf %{{.+}}, %{{.+}} : vector<1x64xf32>
// CHECK:           scf.forall.in_parallel
// CHECK-NEXT:        tensor.parallel_insert_slice %{{.+}} into %{{.+}}[%[[I]], %[[J]]] [64, 256] [1, 1]
// CHECK-NOT:     scf.forall
// CHECK:         return
#id = affine_map<(d0, d1) -> (d0, d1)>
func.func @matmul_bias_relu(%x: tensor<128x64xf32>, %w: tensor<64x512xf32>, %b: tensor<512xf32>) -> tensor<128x512xf32> {
  %e = tensor.empty() : tensor<128x512xf32>
  %bc = linalg.broadcast ins(%b : tensor<512xf32>) outs(%e : tensor<128x512xf32>) dimensions = [0]
  %mm = linalg.matmul ins(%x, %w : tensor<128x64xf32>, tensor<64x512xf32>) outs(%bc : tensor<128x512xf32>) -> tensor<128x512xf32>
  %e2 = tensor.empty() : tensor<128x512xf32>
  %r = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel"]} ins(%mm : tensor<128x512xf32>) outs(%e2 : tensor<128x512xf32>) {
  ^bb0(%in: f32, %out: f32):
    %c = arith.constant 0.0 : f32
    %m = arith.maximumf %in, %c : f32
    linalg.yield %m : f32
  } -> tensor<128x512xf32>
  return %r : tensor<128x512xf32>
}

// -----

// A 64x64x64 GEMM fits in one thread tile, so no scf.forall is left. The K
// loop carries the 8x32 accumulator of the vector.contract as a vector: it is
// read once before the loop and written once after it.
// CHECK-LABEL: func.func @matmul_64
// CHECK-DAG:     %[[C0:.+]] = arith.constant 0 : index
// CHECK-DAG:     %[[C1:.+]] = arith.constant 1 : index
// CHECK-DAG:     %[[C8:.+]] = arith.constant 8 : index
// CHECK-DAG:     %[[C32:.+]] = arith.constant 32 : index
// CHECK-DAG:     %[[C64:.+]] = arith.constant 64 : index
// CHECK-NOT:     scf.forall
// CHECK:         scf.for %{{.+}} = %[[C0]] to %[[C64]] step %[[C8]]
// CHECK:           scf.for %{{.+}} = %[[C0]] to %[[C64]] step %[[C32]]
// CHECK:             %[[ACC0:.+]] = vector.transfer_read {{.*}} : tensor<8x32xf32>, vector<8x32xf32>
// CHECK:             %[[ACC:.+]] = scf.for %{{.+}} = %[[C0]] to %[[C64]] step %[[C1]] iter_args(%[[A:.+]] = %[[ACC0]]) -> (vector<8x32xf32>)
// CHECK-NOT:           vector.transfer_write
// CHECK-NOT:           tensor.insert_slice
// CHECK:               %[[NEW:.+]] = vector.contract {{.+}} %{{.+}}, %{{.+}}, %[[A]] : vector<8x1xf32>, vector<1x32xf32> into vector<8x32xf32>
// CHECK-NEXT:          scf.yield %[[NEW]] : vector<8x32xf32>
// CHECK-NEXT:        }
// CHECK-NEXT:        vector.transfer_write %[[ACC]], {{.*}} : vector<8x32xf32>, tensor<8x32xf32>
// CHECK-NOT:     scf.forall
// CHECK:         return

// With AVX2 vectors the register tile is 6x16: 64 rows are ten full tiles
// and a peeled static remainder of 4 rows. The smaller thread tiles give an
// scf.forall.
// AVX2-LABEL: func.func @matmul_64
// AVX2:         scf.forall
// AVX2:           %[[ACC0:.+]] = vector.transfer_read {{.*}} : tensor<6x16xf32>, vector<6x16xf32>
// AVX2:           scf.for {{.*}} iter_args(%[[A:.+]] = %[[ACC0]]) -> (vector<6x16xf32>)
// AVX2:             vector.contract {{.+}} %[[A]] : vector<6x1xf32>, vector<1x16xf32> into vector<6x16xf32>
// AVX2:           %[[RACC0:.+]] = vector.transfer_read {{.*}} : tensor<4x16xf32>, vector<4x16xf32>
// AVX2:           scf.for {{.*}} iter_args(%[[RA:.+]] = %[[RACC0]]) -> (vector<4x16xf32>)
// AVX2:             vector.contract {{.+}} %[[RA]] : vector<4x1xf32>, vector<1x16xf32> into vector<4x16xf32>
// AVX2:         scf.forall.in_parallel
func.func @matmul_64(%x: tensor<64x64xf32>, %w: tensor<64x64xf32>) -> tensor<64x64xf32> {
  %e = tensor.empty() : tensor<64x64xf32>
  %z = arith.constant 0.0 : f32
  %f = linalg.fill ins(%z : f32) outs(%e : tensor<64x64xf32>) -> tensor<64x64xf32>
  %mm = linalg.matmul ins(%x, %w : tensor<64x64xf32>, tensor<64x64xf32>) outs(%f : tensor<64x64xf32>) -> tensor<64x64xf32>
  return %mm : tensor<64x64xf32>
}

// -----

// Odd sizes: M = 7 is below the register tile and N = 100 leaves a partial
// column tile of 4. The partial tile is peeled into its own static 7x4 loop
// nest instead of being masked or clamped with affine.min.
// CHECK-LABEL: func.func @matmul_odd
// CHECK-DAG:     %[[C0:.+]] = arith.constant 0 : index
// CHECK-DAG:     %[[C32:.+]] = arith.constant 32 : index
// CHECK-DAG:     %[[C40:.+]] = arith.constant 40 : index
// CHECK-DAG:     %[[C96:.+]] = arith.constant 96 : index
//                Full 7x32 tiles over columns [0, 96).
// CHECK:         scf.for %{{.+}} = %[[C0]] to %[[C96]] step %[[C32]]
// CHECK:           %[[ACC0:.+]] = vector.transfer_read {{.*}} : tensor<7x32xf32>, vector<7x32xf32>
// CHECK:           %[[ACC:.+]] = scf.for %{{.+}} = %[[C0]] to %[[C40]] step %{{.+}} iter_args(%[[A:.+]] = %[[ACC0]]) -> (vector<7x32xf32>)
// CHECK:             vector.contract {{.+}} %[[A]] : vector<7x1xf32>, vector<1x32xf32> into vector<7x32xf32>
// CHECK:           vector.transfer_write %[[ACC]], {{.*}} : vector<7x32xf32>, tensor<7x32xf32>
//                The peeled 7x4 tile for columns [96, 100).
// CHECK:         %[[REM:.+]] = tensor.extract_slice %{{.+}}[0, 96] [7, 4] [1, 1]
// CHECK:         %[[RACC0:.+]] = vector.transfer_read %[[REM]]{{.*}} : tensor<7x4xf32>, vector<7x4xf32>
// CHECK:         %[[RACC:.+]] = scf.for %{{.+}} = %[[C0]] to %[[C40]] step %{{.+}} iter_args(%[[RA:.+]] = %[[RACC0]]) -> (vector<7x4xf32>)
// CHECK:           vector.contract {{.+}} %[[RA]] : vector<7x1xf32>, vector<1x4xf32> into vector<7x4xf32>
// CHECK:         vector.transfer_write %[[RACC]], %[[REM]]
// CHECK:         return
func.func @matmul_odd(%x: tensor<7x40xf32>, %w: tensor<40x100xf32>) -> tensor<7x100xf32> {
  %e = tensor.empty() : tensor<7x100xf32>
  %z = arith.constant 0.0 : f32
  %f = linalg.fill ins(%z : f32) outs(%e : tensor<7x100xf32>) -> tensor<7x100xf32>
  %mm = linalg.matmul ins(%x, %w : tensor<7x40xf32>, tensor<40x100xf32>) outs(%f : tensor<7x100xf32>) -> tensor<7x100xf32>
  return %mm : tensor<7x100xf32>
}

// -----

// An elementwise op gets 8 thread tiles of 4 rows, then 1x64 vector tiles
// along the row, with the 8-wide remainder of the 200 columns peeled.
// CHECK-LABEL: func.func @elementwise
// CHECK-DAG:     %[[C64:.+]] = arith.constant 64 : index
// CHECK-DAG:     %[[C192:.+]] = arith.constant 192 : index
// CHECK:         scf.forall (%{{.+}}) = (0) to (32) step (4)
// CHECK:           scf.for
// CHECK:             scf.for %{{.+}} = %{{.+}} to %[[C192]] step %[[C64]]
// CHECK:               %[[V:.+]] = vector.transfer_read {{.*}} : tensor<1x64xf32>, vector<1x64xf32>
// CHECK:               %[[N:.+]] = arith.negf %[[V]] : vector<1x64xf32>
// CHECK:               %[[E:.+]] = math.exp %[[N]] : vector<1x64xf32>
// CHECK:               vector.transfer_write %[[E]]
// CHECK:             %[[RV:.+]] = vector.transfer_read {{.*}} : tensor<1x8xf32>, vector<1x8xf32>
// CHECK:             %[[RN:.+]] = arith.negf %[[RV]] : vector<1x8xf32>
// CHECK:             math.exp %[[RN]] : vector<1x8xf32>
// CHECK:           scf.forall.in_parallel
// CHECK:         return
#id = affine_map<(d0, d1) -> (d0, d1)>
func.func @elementwise(%x: tensor<32x200xf32>) -> tensor<32x200xf32> {
  %e = tensor.empty() : tensor<32x200xf32>
  %r = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel"]} ins(%x : tensor<32x200xf32>) outs(%e : tensor<32x200xf32>) {
  ^bb0(%in: f32, %out: f32):
    %n = arith.negf %in : f32
    %m = math.exp %n : f32
    linalg.yield %m : f32
  } -> tensor<32x200xf32>
  return %r : tensor<32x200xf32>
}

// -----

// A row reduction: threads split the rows, and each row is reduced 64
// elements at a time into a vector<1xf32> carried by the loop.
// CHECK-LABEL: func.func @row_sum
// CHECK:         scf.forall (%{{.+}}) = (0) to (32) step (4)
// CHECK:           vector.transfer_write {{.*}} : vector<4xf32>, tensor<4xf32>
// CHECK:         scf.forall (%{{.+}}) = (0) to (32) step (4)
// CHECK:           scf.for
// CHECK:             %[[INIT:.+]] = vector.transfer_read {{.*}} : tensor<1xf32>, vector<1xf32>
// CHECK:             %[[PART:.+]] = scf.for {{.*}} iter_args(%[[A:.+]] = %[[INIT]]) -> (vector<1xf32>)
// CHECK:               %[[V:.+]] = vector.transfer_read {{.*}} : tensor<1x64xf32>, vector<1x64xf32>
// CHECK:               %[[R:.+]] = vector.multi_reduction <add>, %[[V]], %[[A]] [1] : vector<1x64xf32> to vector<1xf32>
// CHECK:               scf.yield %[[R]] : vector<1xf32>
// CHECK:             %[[RV:.+]] = vector.transfer_read {{.*}} : tensor<1x8xf32>, vector<1x8xf32>
// CHECK:             %[[SUM:.+]] = vector.multi_reduction <add>, %[[RV]], %[[PART]] [1] : vector<1x8xf32> to vector<1xf32>
// CHECK:             vector.transfer_write %[[SUM]]
// CHECK:         return
#id = affine_map<(d0, d1) -> (d0, d1)>
#row = affine_map<(d0, d1) -> (d0)>
func.func @row_sum(%x: tensor<32x200xf32>) -> tensor<32xf32> {
  %e = tensor.empty() : tensor<32xf32>
  %z = arith.constant 0.0 : f32
  %f = linalg.fill ins(%z : f32) outs(%e : tensor<32xf32>) -> tensor<32xf32>
  %r = linalg.generic {indexing_maps = [#id, #row], iterator_types = ["parallel", "reduction"]} ins(%x : tensor<32x200xf32>) outs(%f : tensor<32xf32>) {
  ^bb0(%in: f32, %out: f32):
    %s = arith.addf %in, %out : f32
    linalg.yield %s : f32
  } -> tensor<32xf32>
  return %r : tensor<32xf32>
}

// -----

// Attention scores: a batch of GEMMs gets one thread tile per GEMM, each a
// linalg.matmul with the GEMM register tiles.
// CHECK-LABEL: func.func @batch_matmul
// CHECK:         scf.forall (%{{.+}}) in (12)
// CHECK:           vector.contract {{.+}} : vector<8x1xf32>, vector<1x32xf32> into vector<8x32xf32>
// CHECK:           scf.forall.in_parallel
func.func @batch_matmul(%q: tensor<12x32x16xf32>, %k: tensor<12x16x32xf32>) -> tensor<12x32x32xf32> {
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<12x32x32xf32>
  %fill = linalg.fill ins(%zero : f32) outs(%e : tensor<12x32x32xf32>) -> tensor<12x32x32xf32>
  %s = linalg.batch_matmul ins(%q, %k : tensor<12x32x16xf32>, tensor<12x16x32xf32>) outs(%fill : tensor<12x32x32xf32>) -> tensor<12x32x32xf32>
  return %s : tensor<12x32x32xf32>
}

// -----

// An op over [1, heads, T, T] splits over the heads: the unit batch
// dimension gives no tiles.
// CHECK-LABEL: func.func @per_head
// CHECK:         scf.forall (%{{.+}}) in (12)
// CHECK:           arith.mulf {{.*}} : vector<1x1x1x64xf32>
#map4 = affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, d3)>
func.func @per_head(%x: tensor<1x12x32x64xf32>) -> tensor<1x12x32x64xf32> {
  %e = tensor.empty() : tensor<1x12x32x64xf32>
  %r = linalg.generic {indexing_maps = [#map4, #map4], iterator_types = ["parallel", "parallel", "parallel", "parallel"]} ins(%x : tensor<1x12x32x64xf32>) outs(%e : tensor<1x12x32x64xf32>) {
  ^bb0(%in: f32, %out: f32):
    %m = arith.mulf %in, %in : f32
    linalg.yield %m : f32
  } -> tensor<1x12x32x64xf32>
  return %r : tensor<1x12x32x64xf32>
}
