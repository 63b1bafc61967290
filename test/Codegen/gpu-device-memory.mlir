// RUN: ffn-opt %s -split-input-file -verify-diagnostics --ffn-gpu-device-memory | FileCheck %s

// Arguments get device mirrors (read-only inputs are not copied back),
// temporaries are gpu.alloc'ed, and the weight is read from the device copy
// the runtime keeps (uploaded once): a 1-D view goes through
// ffn_cuda_constant_f32 and comes back with its shape.

// CHECK-LABEL: func.func private @ffn_cuda_constant_f32(memref<?xf32>, i64) -> memref<?xf32> attributes {llvm.emit_c_interface}
// CHECK-LABEL: func.func @model(
// CHECK-SAME:    %[[X:[a-z0-9]+]]: memref<4x8xf32> {bufferization.writable = false}
// CHECK-SAME:    %[[Y:[a-z0-9]+]]: memref<4x8xf32>)
// CHECK-DAG:     %[[DY:.+]] = gpu.alloc () : memref<4x8xf32>
// CHECK-DAG:     gpu.memcpy %[[DY]], %[[Y]]
// CHECK-DAG:     %[[DX:.+]] = gpu.alloc () : memref<4x8xf32>
// CHECK-DAG:     gpu.memcpy %[[DX]], %[[X]]
// CHECK:         %[[W:.+]] = memref.get_global @weight : memref<8x8xf32>
// CHECK:         %[[FLAT:.+]] = memref.collapse_shape %[[W]] {{\[}}[0, 1]]
// CHECK:         %[[DYN:.+]] = memref.cast %[[FLAT]] : memref<64xf32> to memref<?xf32>
// CHECK:         %[[BYTES:.+]] = arith.constant 4 : i64
// CHECK:         %[[DEV:.+]] = call @ffn_cuda_constant_f32(%[[DYN]], %[[BYTES]])
// CHECK:         %[[STATIC:.+]] = memref.cast %[[DEV]] : memref<?xf32> to memref<64xf32>
// CHECK:         %[[DW:.+]] = memref.expand_shape %[[STATIC]] {{\[}}[0, 1]] output_shape [8, 8]
// CHECK:         %[[TMP:.+]] = gpu.alloc () : memref<4x8xf32>
// CHECK:         scf.forall
// CHECK:           memref.load %[[DX]]
// CHECK:           memref.load %[[DW]]
// CHECK:           memref.store {{.*}}, %[[TMP]]
// CHECK:         gpu.memcpy %[[DY]], %[[TMP]]
// CHECK:         gpu.dealloc %[[TMP]]
// CHECK-NOT:     gpu.memcpy %[[X]]
// CHECK:         gpu.memcpy %[[Y]], %[[DY]]
// CHECK:         return
memref.global "private" constant @weight : memref<8x8xf32> = dense<1.0>
func.func @model(%x: memref<4x8xf32> {bufferization.writable = false}, %y: memref<4x8xf32>) {
  %w = memref.get_global @weight : memref<8x8xf32>
  %tmp = memref.alloc() : memref<4x8xf32>
  scf.forall (%i, %j) in (4, 8) {
    %a = memref.load %x[%i, %j] : memref<4x8xf32>
    %b = memref.load %w[%j, %j] : memref<8x8xf32>
    %c = arith.addf %a, %b : f32
    memref.store %c, %tmp[%i, %j] : memref<4x8xf32>
  }
  memref.copy %tmp, %y : memref<4x8xf32> to memref<4x8xf32>
  memref.dealloc %tmp : memref<4x8xf32>
  return
}

// -----

// A linalg op outside the tiles would run on the host over device memory.
func.func @untiled(%x: memref<4x8xf32>, %y: memref<4x8xf32>) {
  // expected-error @+1 {{linalg op outside the GPU tiles}}
  linalg.copy ins(%x : memref<4x8xf32>) outs(%y : memref<4x8xf32>)
  return
}
