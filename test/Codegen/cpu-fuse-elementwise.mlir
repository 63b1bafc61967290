// RUN: ffn-opt %s -pass-pipeline='builtin.module(func.func(convert-ffn-to-linalg),ffn-cpu-fuse-elementwise)' | FileCheck %s

// A [B, T, D] FFN: the GEMMs stay linalg.matmul on [B*T, D] (no reshape is
// pushed into them), and the GELU between them is collapsed to rank 2 so it
// reads the first GEMM's result directly.

// CHECK-LABEL: func.func @rank3_ffn
// CHECK:         %[[X:.+]] = tensor.collapse_shape %{{.+}} {{\[}}[0, 1], [2]] : tensor<2x7x40xf32> into tensor<14x40xf32>
// CHECK:         %[[H:.+]] = linalg.matmul ins(%[[X]], %{{.+}} : tensor<14x40xf32>, tensor<40x100xf32>)
// CHECK:         %[[G:.+]] = linalg.generic {{.+}} ins(%[[H]] : tensor<14x100xf32>)
// CHECK:           math.erf
// CHECK:         %[[O:.+]] = linalg.matmul ins(%[[G]], %{{.+}} : tensor<14x100xf32>, tensor<100x40xf32>)
// CHECK:         tensor.expand_shape %[[O]] {{\[}}[0, 1], [2]]
func.func @rank3_ffn(%x: tensor<2x7x40xf32>) -> tensor<2x7x40xf32> {
  %w1 = arith.constant dense<0.01> : tensor<100x40xf32>
  %w2 = arith.constant dense<0.02> : tensor<40x100xf32>
  %h = ffn.linear %x, %w1 : (tensor<2x7x40xf32>, tensor<100x40xf32>) -> tensor<2x7x100xf32>
  %g = ffn.gelu %h : tensor<2x7x100xf32>
  %o = ffn.linear %g, %w2 : (tensor<2x7x100xf32>, tensor<40x100xf32>) -> tensor<2x7x40xf32>
  return %o : tensor<2x7x40xf32>
}
