// RUN: ffn-opt %s -split-input-file -convert-ffn-to-linalg=reuse-weight-buffers=true | FileCheck %s
// RUN: ffn-opt %s -split-input-file -convert-ffn-to-linalg | FileCheck %s --check-prefix=COPY

// With reuse-weight-buffers (ffn-compile's final build: the module is alone
// with its weights), a constant weight only its linear reads is transposed
// in its own blob: the matmul reads dense_resource<w> as [in, out] = [3, 2]
// holding the transpose of [[1, 2, 3], [4, 5, 6]]. Without it, the
// transpose is a new blob.
// CHECK-LABEL: func.func @linear
// CHECK:         %[[WT:.+]] = arith.constant dense_resource<w> : tensor<3x2xf32>
// CHECK:         linalg.matmul ins(%{{.+}}, %[[WT]] : tensor<4x3xf32>, tensor<3x2xf32>)
// CHECK:         w: "0x040000000000803F00008040000000400000A040000040400000C040"
// COPY-LABEL: func.func @linear
// COPY:         arith.constant dense_resource<weight_t{{.*}}> : tensor<3x2xf32>
// COPY:         w: "0x040000000000803F000000400000404000008040
func.func @linear(%x: tensor<4x3xf32>) -> tensor<4x2xf32> {
  %w = arith.constant dense_resource<w> : tensor<2x3xf32>
  %b = arith.constant dense<0.5> : tensor<2xf32>
  %y = ffn.linear %x, %w, %b : (tensor<4x3xf32>, tensor<2x3xf32>, tensor<2xf32>) -> tensor<4x2xf32>
  return %y : tensor<4x2xf32>
}

{-#
  dialect_resources: {
    builtin: {
      w: "0x040000000000803F0000004000004040000080400000A0400000C040"
    }
  }
#-}

// -----

// Two linears read the same weight: each transposes it into a new blob.
// CHECK-LABEL: func.func @shared
// CHECK-COUNT-2: dense_resource<weight_t
func.func @shared(%x: tensor<4x3xf32>) -> tensor<4x2xf32> {
  %w = arith.constant dense_resource<ws> : tensor<3x3xf32>
  %b = arith.constant dense<0.5> : tensor<3xf32>
  %y = ffn.linear %x, %w, %b : (tensor<4x3xf32>, tensor<3x3xf32>, tensor<3xf32>) -> tensor<4x3xf32>
  %z = ffn.linear %y, %w, %b : (tensor<4x3xf32>, tensor<3x3xf32>, tensor<3xf32>) -> tensor<4x3xf32>
  %s = tensor.extract_slice %z[0, 0] [4, 2] [1, 1] : tensor<4x3xf32> to tensor<4x2xf32>
  return %s : tensor<4x2xf32>
}

{-#
  dialect_resources: {
    builtin: {
      ws: "0x040000000000803F000000400000404000008040000080400000A0400000C0400000E04000000041"
    }
  }
#-}
