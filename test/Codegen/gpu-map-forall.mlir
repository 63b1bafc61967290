// RUN: ffn-opt %s --pass-pipeline='builtin.module(func.func(ffn-gpu-map-forall))' | FileCheck %s

// Block tiles map to blocks and thread tiles to threads, the last induction
// variable to x; a third nested level stays sequential.

// CHECK-LABEL: func.func @nest(
// CHECK-NOT:     scf.forall
// CHECK:         scf.parallel
// CHECK:           scf.parallel
// CHECK:             scf.parallel
// CHECK:             } {mapping = [#gpu.loop_dim_map<processor = sequential, map = (d0) -> (d0), bound = (d0) -> (d0)>]}
// CHECK:           } {mapping = [#gpu.loop_dim_map<processor = thread_y, map = (d0) -> (d0), bound = (d0) -> (d0)>, #gpu.loop_dim_map<processor = thread_x, map = (d0) -> (d0), bound = (d0) -> (d0)>]}
// CHECK:         } {mapping = [#gpu.loop_dim_map<processor = block_z, map = (d0) -> (d0), bound = (d0) -> (d0)>, #gpu.loop_dim_map<processor = block_y, map = (d0) -> (d0), bound = (d0) -> (d0)>, #gpu.loop_dim_map<processor = block_x, map = (d0) -> (d0), bound = (d0) -> (d0)>]}
func.func @nest(%m: memref<4x64x64xf32>) {
  %one = arith.constant 1.0 : f32
  scf.forall (%b, %i, %j) = (0, 0, 0) to (4, 64, 64) step (1, 8, 32) {
    scf.forall (%ti, %tj) in (8, 32) {
      scf.forall (%k) in (1) {
        %r = affine.apply affine_map<(d0, d1) -> (d0 + d1)>(%i, %ti)
        %c = affine.apply affine_map<(d0, d1) -> (d0 + d1)>(%j, %tj)
        memref.store %one, %m[%b, %r, %c] : memref<4x64x64xf32>
      }
    }
  }
  return
}
