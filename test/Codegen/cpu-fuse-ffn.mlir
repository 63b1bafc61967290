// RUN: ffn-opt %s -pass-pipeline='builtin.module(func.func(ffn-cpu-tile-and-vectorize{vector-width=8 fuse-ffn=always thread-tile-m=12 hidden-tile=32}))' | FileCheck %s --check-prefix=ALWAYS
// RUN: ffn-opt %s -pass-pipeline='builtin.module(func.func(ffn-cpu-tile-and-vectorize{vector-width=8 fuse-ffn=never thread-tile-m=12 hidden-tile=32}))' | FileCheck %s --check-prefix=NEVER
// RUN: ffn-opt %s -pass-pipeline='builtin.module(func.func(ffn-cpu-tile-and-vectorize{vector-width=8 thread-tile-m=12 hidden-tile=32}))' | FileCheck %s --check-prefix=NEVER
// RUN: ffn-opt %s -pass-pipeline='builtin.module(func.func(ffn-cpu-tile-and-vectorize{vector-width=8 fuse-ffn-min-bytes=4096 thread-tile-m=12 hidden-tile=32}))' | FileCheck %s --check-prefix=ALWAYS
// RUN: not ffn-opt %s -pass-pipeline='builtin.module(func.func(ffn-cpu-tile-and-vectorize{fuse-ffn=sometimes}))' 2>&1 | FileCheck %s --check-prefix=BAD

// Whole-FFN fusion. Fused (always, or auto once the [24, 64] intermediate
// exceeds fuse-ffn-min-bytes): one thread tile of 12 whole rows holds the
// FFN; inside it a loop over the hidden dimension in blocks of 32 neurons
// computes the up projection, the activation and the down projection's
// partial product of one block. The residual add follows the loop.
// Unfused (never, or auto below the threshold): the up projection and its
// activation get thread tiles of their own, and the down projection and the
// residual add another: two parallel loops, the [24, 64] intermediate
// between them.

// ALWAYS-LABEL: func.func @encoder
// ALWAYS:         scf.forall ({{.*}}) = (0) to (24) step (12)
// ALWAYS:           scf.for {{.*}} = %c0 to %c64 step %c32 iter_args
// ALWAYS:             vector.contract
// ALWAYS:             arith.maximumf {{.*}} : vector<1x32xf32>
// ALWAYS:             vector.contract
// ALWAYS:             scf.yield
// ALWAYS:           arith.addf {{.*}} : vector<1x32xf32>
// ALWAYS:           scf.forall.in_parallel
// ALWAYS-NOT:     scf.forall

// NEVER-LABEL: func.func @encoder
// NEVER:         scf.forall
// NEVER:           arith.maximumf
// NEVER:         scf.forall
// NEVER:           arith.addf

// BAD: fuse-ffn must be auto, always or never, not 'sometimes'
#map = affine_map<(d0, d1) -> (d0, d1)>
func.func @encoder(%x: tensor<24x32xf32>, %w1: tensor<32x64xf32>, %b1: tensor<64xf32>, %w2: tensor<64x32xf32>) -> tensor<24x32xf32> {
  %e1 = tensor.empty() : tensor<24x64xf32>
  %bias = linalg.broadcast ins(%b1 : tensor<64xf32>) outs(%e1 : tensor<24x64xf32>) dimensions = [0]
  %up = linalg.matmul ins(%x, %w1 : tensor<24x32xf32>, tensor<32x64xf32>) outs(%bias : tensor<24x64xf32>) -> tensor<24x64xf32>
  %act = linalg.generic {indexing_maps = [#map, #map], iterator_types = ["parallel", "parallel"]} ins(%up : tensor<24x64xf32>) outs(%e1 : tensor<24x64xf32>) {
  ^bb0(%in: f32, %out: f32):
    %zero = arith.constant 0.0 : f32
    %r = arith.maximumf %in, %zero : f32
    linalg.yield %r : f32
  } -> tensor<24x64xf32>
  %e2 = tensor.empty() : tensor<24x32xf32>
  %zero = arith.constant 0.0 : f32
  %fill = linalg.fill ins(%zero : f32) outs(%e2 : tensor<24x32xf32>) -> tensor<24x32xf32>
  %down = linalg.matmul ins(%act, %w2 : tensor<24x64xf32>, tensor<64x32xf32>) outs(%fill : tensor<24x32xf32>) -> tensor<24x32xf32>
  %res = linalg.generic {indexing_maps = [#map, #map, #map], iterator_types = ["parallel", "parallel"]} ins(%x, %down : tensor<24x32xf32>, tensor<24x32xf32>) outs(%e2 : tensor<24x32xf32>) {
  ^bb0(%a: f32, %b: f32, %out: f32):
    %s = arith.addf %a, %b : f32
    linalg.yield %s : f32
  } -> tensor<24x32xf32>
  return %res : tensor<24x32xf32>
}
