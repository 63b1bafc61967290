// RUN: ffn-opt %s -convert-ffn-to-linalg -split-input-file | FileCheck %s

// CHECK-DAG: #[[ID:.+]] = affine_map<(d0, d1) -> (d0, d1)>

// gelu(x) = 0.5 x (1 + erf(x / sqrt(2)))
// CHECK-LABEL: func.func @gelu_erf
// CHECK-SAME:    %[[X:[^:]+]]: tensor<4x8xf32>
func.func @gelu_erf(%x: tensor<4x8xf32>) -> tensor<4x8xf32> {
  // CHECK:      %[[E:.+]] = tensor.empty() : tensor<4x8xf32>
  // CHECK:      %[[G:.+]] = linalg.generic {indexing_maps = [#[[ID]], #[[ID]]], iterator_types = ["parallel", "parallel"]}
  // CHECK-SAME:     ins(%[[X]] : tensor<4x8xf32>) outs(%[[E]] : tensor<4x8xf32>)
  // CHECK:      ^bb0(%[[IN:.+]]: f32, %{{.+}}: f32):
  // CHECK-DAG:    %[[HALF:.+]] = arith.constant 5.000000e-01 : f32
  // CHECK-DAG:    %[[ONE:.+]] = arith.constant 1.000000e+00 : f32
  // CHECK-DAG:    %[[RSQRT2:.+]] = arith.constant 0.707106769 : f32
  // CHECK:        %[[ARG:.+]] = arith.mulf %[[IN]], %[[RSQRT2]] : f32
  // CHECK-NEXT:   %[[ERF:.+]] = math.erf %[[ARG]] : f32
  // CHECK-NEXT:   %[[SUM:.+]] = arith.addf %[[ONE]], %[[ERF]] : f32
  // CHECK-NEXT:   %[[HX:.+]] = arith.mulf %[[HALF]], %[[IN]] : f32
  // CHECK-NEXT:   %[[R:.+]] = arith.mulf %[[HX]], %[[SUM]] : f32
  // CHECK-NEXT:   linalg.yield %[[R]] : f32
  // CHECK:      return %[[G]]
  %0 = ffn.gelu %x : tensor<4x8xf32>
  return %0 : tensor<4x8xf32>
}

// -----

// gelu(x) = 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3)))
// CHECK-LABEL: func.func @gelu_tanh
// CHECK-SAME:    %[[X:[^:]+]]: tensor<4x8xf32>
func.func @gelu_tanh(%x: tensor<4x8xf32>) -> tensor<4x8xf32> {
  // CHECK:      linalg.generic
  // CHECK-SAME:     ins(%[[X]] : tensor<4x8xf32>)
  // CHECK:      ^bb0(%[[IN:.+]]: f32, %{{.+}}: f32):
  // CHECK-DAG:    %[[HALF:.+]] = arith.constant 5.000000e-01 : f32
  // CHECK-DAG:    %[[ONE:.+]] = arith.constant 1.000000e+00 : f32
  // CHECK:        %[[X2:.+]] = arith.mulf %[[IN]], %[[IN]] : f32
  // CHECK-NEXT:   %[[X3:.+]] = arith.mulf %[[X2]], %[[IN]] : f32
  // CHECK-NEXT:   %[[K:.+]] = arith.constant 4.471500e-02 : f32
  // CHECK-NEXT:   %[[KX3:.+]] = arith.mulf %[[K]], %[[X3]] : f32
  // CHECK-NEXT:   %[[POLY:.+]] = arith.addf %[[IN]], %[[KX3]] : f32
  // CHECK-NEXT:   %[[S:.+]] = arith.constant 0.797884583 : f32
  // CHECK-NEXT:   %[[ARG:.+]] = arith.mulf %[[S]], %[[POLY]] : f32
  // CHECK-NEXT:   %[[T:.+]] = math.tanh %[[ARG]] : f32
  // CHECK-NEXT:   %[[SUM:.+]] = arith.addf %[[ONE]], %[[T]] : f32
  // CHECK-NEXT:   %[[HX:.+]] = arith.mulf %[[HALF]], %[[IN]] : f32
  // CHECK-NEXT:   %[[R:.+]] = arith.mulf %[[HX]], %[[SUM]] : f32
  // CHECK-NEXT:   linalg.yield %[[R]] : f32
  %0 = ffn.gelu %x approximate<tanh> : tensor<4x8xf32>
  return %0 : tensor<4x8xf32>
}

// -----

// silu(x) = x / (1 + exp(-x)), here on a rank-3 tensor with a dynamic dim.
// CHECK-LABEL: func.func @silu
// CHECK-SAME:    %[[X:[^:]+]]: tensor<2x?x8xf32>
func.func @silu(%x: tensor<2x?x8xf32>) -> tensor<2x?x8xf32> {
  // CHECK:      %[[C1:.+]] = arith.constant 1 : index
  // CHECK:      %[[D:.+]] = tensor.dim %[[X]], %[[C1]] : tensor<2x?x8xf32>
  // CHECK:      %[[E:.+]] = tensor.empty(%[[D]]) : tensor<2x?x8xf32>
  // CHECK:      linalg.generic
  // CHECK-SAME:     iterator_types = ["parallel", "parallel", "parallel"]
  // CHECK-SAME:     ins(%[[X]] : tensor<2x?x8xf32>) outs(%[[E]] : tensor<2x?x8xf32>)
  // CHECK:      ^bb0(%[[IN:.+]]: f32, %{{.+}}: f32):
  // CHECK-NEXT:   %[[NEG:.+]] = arith.negf %[[IN]] : f32
  // CHECK-NEXT:   %[[EXP:.+]] = math.exp %[[NEG]] : f32
  // CHECK-NEXT:   %[[ONE:.+]] = arith.constant 1.000000e+00 : f32
  // CHECK-NEXT:   %[[DEN:.+]] = arith.addf %[[ONE]], %[[EXP]] : f32
  // CHECK-NEXT:   %[[R:.+]] = arith.divf %[[IN]], %[[DEN]] : f32
  // CHECK-NEXT:   linalg.yield %[[R]] : f32
  // CHECK:      -> tensor<2x?x8xf32>
  %0 = ffn.silu %x : tensor<2x?x8xf32>
  return %0 : tensor<2x?x8xf32>
}

// -----

// CHECK-LABEL: func.func @relu
// CHECK-SAME:    %[[X:[^:]+]]: tensor<16xf16>
func.func @relu(%x: tensor<16xf16>) -> tensor<16xf16> {
  // CHECK:      linalg.generic
  // CHECK-SAME:     iterator_types = ["parallel"]
  // CHECK-SAME:     ins(%[[X]] : tensor<16xf16>)
  // CHECK:      ^bb0(%[[IN:.+]]: f16, %{{.+}}: f16):
  // CHECK-NEXT:   %[[ZERO:.+]] = arith.constant 0.000000e+00 : f16
  // CHECK-NEXT:   %[[R:.+]] = arith.maximumf %[[IN]], %[[ZERO]] : f16
  // CHECK-NEXT:   linalg.yield %[[R]] : f16
  %0 = ffn.relu %x : tensor<16xf16>
  return %0 : tensor<16xf16>
}

// -----

// Only ffn ops are converted; other ops on tensors are left alone.
// CHECK-LABEL: func.func @chain
func.func @chain(%x: tensor<4x8xf32>, %w: tensor<8x8xf32>) -> tensor<4x8xf32> {
  // CHECK:     %[[MM:.+]] = linalg.matmul
  // CHECK:     %[[A:.+]] = linalg.generic {{.*}} ins(%[[MM]] : tensor<4x8xf32>)
  // CHECK:       math.tanh
  // CHECK:     %[[R:.+]] = arith.addf %[[A]], %{{.+}} : tensor<4x8xf32>
  // CHECK:     return %[[R]]
  %h = ffn.linear %x, %w : (tensor<4x8xf32>, tensor<8x8xf32>) -> tensor<4x8xf32>
  %g = ffn.gelu %h approximate<tanh> : tensor<4x8xf32>
  %r = arith.addf %g, %x : tensor<4x8xf32>
  return %r : tensor<4x8xf32>
}
