// The weight here is tiny, so the resource blob is printed in full (no
// --mlir-elide-resource-strings-if-larger) and its contents can be checked.
// RUN: ffn-opt %s -convert-ffn-to-linalg | FileCheck %s

// The [out, in] = [2, 3] weight [[1, 2, 3], [4, 5, 6]] becomes the [in, out]
// matrix [[1, 4], [2, 5], [3, 6]], stored row-major as f32 (little endian,
// after the 4-byte alignment header).
// CHECK-LABEL: func.func @transpose_at_compile_time
// CHECK:         %[[WT:.+]] = arith.constant dense_resource<weight_t> : tensor<3x2xf32>
// CHECK:         linalg.matmul ins(%{{.+}}, %[[WT]] : tensor<5x3xf32>, tensor<3x2xf32>)
// CHECK:       weight_t: "0x04000000
// CHECK-SAME:    0000803F
// CHECK-SAME:    00008040
// CHECK-SAME:    00000040
// CHECK-SAME:    0000A040
// CHECK-SAME:    00004040
// CHECK-SAME:    0000C040"
func.func @transpose_at_compile_time(%x: tensor<5x3xf32>) -> tensor<5x2xf32> {
  %w = arith.constant dense<[[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]]> : tensor<2x3xf32>
  %0 = ffn.linear %x, %w : (tensor<5x3xf32>, tensor<2x3xf32>) -> tensor<5x2xf32>
  return %0 : tensor<5x2xf32>
}
