// RUN: ffn-opt %s -ffn-cpu-expand-strided-copies -split-input-file | FileCheck %s

// A copy between strided views would call the runtime's memrefCopy, which
// compiled models do not link: it becomes linalg.copy.

// CHECK-LABEL: func.func @strided
// CHECK-NOT:     memref.copy
// CHECK:         linalg.copy ins(%{{.+}} : memref<4x16xf32, strided<[176, 1], offset: ?>>) outs(%{{.+}} : memref<4x16xf32, strided<[176, 1], offset: ?>>)
func.func @strided(%a: memref<16x176xf32>, %b: memref<16x176xf32>, %i: index) {
  %s = memref.subview %a[%i, 0] [4, 16] [1, 1] : memref<16x176xf32> to memref<4x16xf32, strided<[176, 1], offset: ?>>
  %t = memref.subview %b[%i, 0] [4, 16] [1, 1] : memref<16x176xf32> to memref<4x16xf32, strided<[176, 1], offset: ?>>
  memref.copy %s, %t : memref<4x16xf32, strided<[176, 1], offset: ?>> to memref<4x16xf32, strided<[176, 1], offset: ?>>
  return
}

// -----

// Contiguous copies stay memref.copy (they become memcpy).

// CHECK-LABEL: func.func @contiguous
// CHECK:         memref.copy %{{.+}}, %{{.+}} : memref<16x176xf32> to memref<16x176xf32>
// CHECK-NOT:     linalg.copy
func.func @contiguous(%a: memref<16x176xf32>, %b: memref<16x176xf32>) {
  memref.copy %a, %b : memref<16x176xf32> to memref<16x176xf32>
  return
}
