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

// -----

// Reshapes of contiguous buffers with dynamic sizes become reinterpret_cast
// with row-major strides computed from the sizes (expand-strided-metadata
// crashes on the reshapes themselves in MLIR 22).

// CHECK-LABEL: func.func @dynamic_collapse
// CHECK-SAME:    (%[[A:.+]]: memref<?x?x32xf32>)
// CHECK-DAG:     %[[D0:.+]] = memref.dim %[[A]], %c0
// CHECK-DAG:     %[[D1:.+]] = memref.dim %[[A]], %c1
// CHECK:         %[[N:.+]] = arith.muli %[[D0]], %[[D1]] : index
// CHECK:         memref.reinterpret_cast %[[A]] to offset: [0], sizes: [%[[N]], 32], strides: [32, 1] : memref<?x?x32xf32> to memref<?x32xf32>
// CHECK-NOT:     memref.collapse_shape
func.func @dynamic_collapse(%a: memref<?x?x32xf32>) -> memref<?x32xf32> {
  %c = memref.collapse_shape %a [[0, 1], [2]] : memref<?x?x32xf32> into memref<?x32xf32>
  return %c : memref<?x32xf32>
}

// CHECK-LABEL: func.func @dynamic_expand
// CHECK-SAME:    (%[[A:.+]]: memref<?x32xf32>, %[[B:.+]]: index, %[[T:.+]]: index)
// CHECK:         %[[S:.+]] = arith.muli %c32, %[[T]] : index
// CHECK-NOT:     arith.muli
// CHECK:         memref.reinterpret_cast %[[A]] to offset: [0], sizes: [%[[B]], %[[T]], 32], strides: [%[[S]], 32, 1] : memref<?x32xf32> to memref<?x?x32xf32>
// CHECK-NOT:     memref.expand_shape
func.func @dynamic_expand(%a: memref<?x32xf32>, %b: index, %t: index) -> memref<?x?x32xf32> {
  %e = memref.expand_shape %a [[0, 1], [2]] output_shape [%b, %t, 32] : memref<?x32xf32> into memref<?x?x32xf32>
  return %e : memref<?x?x32xf32>
}

// A reshape of a strided view is left to expand-strided-metadata.
// CHECK-LABEL: func.func @strided_reshape
// CHECK:         memref.collapse_shape
func.func @strided_reshape(%a: memref<?x4x32xf32, strided<[256, 32, 1]>>) -> memref<?x128xf32, strided<[256, 1]>> {
  %c = memref.collapse_shape %a [[0], [1, 2]] : memref<?x4x32xf32, strided<[256, 32, 1]>> into memref<?x128xf32, strided<[256, 1]>>
  return %c : memref<?x128xf32, strided<[256, 1]>>
}
