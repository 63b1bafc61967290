// RUN: ffn-opt %s -convert-ffn-to-linalg -split-input-file --mlir-elide-resource-strings-if-larger=16 | FileCheck %s

// A weight that is not a constant is transposed at run time; the bias is
// broadcast into the matmul's accumulator.
// CHECK-LABEL: func.func @linear_bias
// CHECK-SAME:    %[[X:[^:]+]]: tensor<4x8xf32>, %[[W:[^:]+]]: tensor<16x8xf32>, %[[B:[^:]+]]: tensor<16xf32>
func.func @linear_bias(%x: tensor<4x8xf32>, %w: tensor<16x8xf32>, %b: tensor<16xf32>) -> tensor<4x16xf32> {
  // CHECK:      %[[TE:.+]] = tensor.empty() : tensor<8x16xf32>
  // CHECK:      %[[WT:.+]] = linalg.transpose ins(%[[W]] : tensor<16x8xf32>) outs(%[[TE]] : tensor<8x16xf32>) permutation = [1, 0]
  // CHECK:      %[[E:.+]] = tensor.empty() : tensor<4x16xf32>
  // CHECK:      %[[BC:.+]] = linalg.broadcast ins(%[[B]] : tensor<16xf32>) outs(%[[E]] : tensor<4x16xf32>) dimensions = [0]
  // CHECK:      %[[MM:.+]] = linalg.matmul ins(%[[X]], %[[WT]] : tensor<4x8xf32>, tensor<8x16xf32>) outs(%[[BC]] : tensor<4x16xf32>) -> tensor<4x16xf32>
  // CHECK-NEXT: return %[[MM]]
  %0 = ffn.linear %x, %w, %b : (tensor<4x8xf32>, tensor<16x8xf32>, tensor<16xf32>) -> tensor<4x16xf32>
  return %0 : tensor<4x16xf32>
}

// -----

// Without a bias the accumulator starts at zero.
// CHECK-LABEL: func.func @linear_no_bias
// CHECK-SAME:    %[[X:[^:]+]]: tensor<4x8xf32>, %[[W:[^:]+]]: tensor<16x8xf32>
func.func @linear_no_bias(%x: tensor<4x8xf32>, %w: tensor<16x8xf32>) -> tensor<4x16xf32> {
  // CHECK:      %[[WT:.+]] = linalg.transpose ins(%[[W]] : tensor<16x8xf32>)
  // CHECK-DAG:  %[[E:.+]] = tensor.empty() : tensor<4x16xf32>
  // CHECK-DAG:  %[[ZERO:.+]] = arith.constant 0.000000e+00 : f32
  // CHECK:      %[[FILL:.+]] = linalg.fill ins(%[[ZERO]] : f32) outs(%[[E]] : tensor<4x16xf32>) -> tensor<4x16xf32>
  // CHECK:      %[[MM:.+]] = linalg.matmul ins(%[[X]], %[[WT]] : tensor<4x8xf32>, tensor<8x16xf32>) outs(%[[FILL]] : tensor<4x16xf32>)
  // CHECK-NEXT: return %[[MM]]
  %0 = ffn.linear %x, %w : (tensor<4x8xf32>, tensor<16x8xf32>) -> tensor<4x16xf32>
  return %0 : tensor<4x16xf32>
}

// -----

// A constant weight is transposed at compile time into a resource blob; the
// token dimensions of a rank-3 input are collapsed into the GEMM's rows and
// expanded back afterwards.
// CHECK-LABEL: func.func @linear_constant_weight_rank3
// CHECK-SAME:    %[[X:[^:]+]]: tensor<2x3x4xf32>, %[[B:[^:]+]]: tensor<2xf32>
func.func @linear_constant_weight_rank3(%x: tensor<2x3x4xf32>, %b: tensor<2xf32>) -> tensor<2x3x2xf32> {
  // CHECK:      %[[C:.+]] = tensor.collapse_shape %[[X]] {{\[}}[0, 1], [2]] : tensor<2x3x4xf32> into tensor<6x4xf32>
  // CHECK:      %[[WT:.+]] = arith.constant dense_resource<weight_t> : tensor<4x2xf32>
  // CHECK:      %[[E:.+]] = tensor.empty() : tensor<6x2xf32>
  // CHECK:      %[[BC:.+]] = linalg.broadcast ins(%[[B]] : tensor<2xf32>) outs(%[[E]] : tensor<6x2xf32>) dimensions = [0]
  // CHECK:      %[[MM:.+]] = linalg.matmul ins(%[[C]], %[[WT]] : tensor<6x4xf32>, tensor<4x2xf32>) outs(%[[BC]] : tensor<6x2xf32>)
  // CHECK:      %[[R:.+]] = tensor.expand_shape %[[MM]] {{\[}}[0, 1], [2]] output_shape [2, 3, 2] : tensor<6x2xf32> into tensor<2x3x2xf32>
  // CHECK-NEXT: return %[[R]]
  %w = arith.constant dense<[[1.0, 2.0, 3.0, 4.0], [5.0, 6.0, 7.0, 8.0]]> : tensor<2x4xf32>
  %0 = ffn.linear %x, %w, %b : (tensor<2x3x4xf32>, tensor<2x4xf32>, tensor<2xf32>) -> tensor<2x3x2xf32>
  return %0 : tensor<2x3x2xf32>
}

// -----

// A splat weight stays a splat of the transposed type.
// CHECK-LABEL: func.func @linear_splat_weight
// CHECK-SAME:    %[[X:[^:]+]]: tensor<4x8xf32>
func.func @linear_splat_weight(%x: tensor<4x8xf32>) -> tensor<4x16xf32> {
  // CHECK:      %[[WT:.+]] = arith.constant dense<5.000000e-01> : tensor<8x16xf32>
  // CHECK:      linalg.matmul ins(%[[X]], %[[WT]] : tensor<4x8xf32>, tensor<8x16xf32>)
  %w = arith.constant dense<0.5> : tensor<16x8xf32>
  %0 = ffn.linear %x, %w : (tensor<4x8xf32>, tensor<16x8xf32>) -> tensor<4x16xf32>
  return %0 : tensor<4x16xf32>
}

// -----

// Dynamic rows and output features: the sizes come from tensor.dim.
// CHECK-LABEL: func.func @linear_dynamic
// CHECK-SAME:    %[[X:[^:]+]]: tensor<?x8xf32>, %[[W:[^:]+]]: tensor<?x8xf32>, %[[B:[^:]+]]: tensor<?xf32>
func.func @linear_dynamic(%x: tensor<?x8xf32>, %w: tensor<?x8xf32>, %b: tensor<?xf32>) -> tensor<?x?xf32> {
  // CHECK-DAG:  %[[C0:.+]] = arith.constant 0 : index
  // CHECK-DAG:  %[[OUT:.+]] = tensor.dim %[[W]], %[[C0]] : tensor<?x8xf32>
  // CHECK:      %[[TE:.+]] = tensor.empty(%[[OUT]]) : tensor<8x?xf32>
  // CHECK:      %[[WT:.+]] = linalg.transpose ins(%[[W]] : tensor<?x8xf32>) outs(%[[TE]] : tensor<8x?xf32>) permutation = [1, 0]
  // CHECK-DAG:  %[[ROWS:.+]] = tensor.dim %[[X]], %{{.+}} : tensor<?x8xf32>
  // CHECK-DAG:  %[[COLS:.+]] = tensor.dim %[[WT]], %{{.+}} : tensor<8x?xf32>
  // CHECK:      %[[E:.+]] = tensor.empty(%[[ROWS]], %[[COLS]]) : tensor<?x?xf32>
  // CHECK:      %[[BC:.+]] = linalg.broadcast ins(%[[B]] : tensor<?xf32>) outs(%[[E]] : tensor<?x?xf32>) dimensions = [0]
  // CHECK:      %[[MM:.+]] = linalg.matmul ins(%[[X]], %[[WT]] : tensor<?x8xf32>, tensor<8x?xf32>) outs(%[[BC]] : tensor<?x?xf32>) -> tensor<?x?xf32>
  // CHECK-NEXT: return %[[MM]]
  %0 = ffn.linear %x, %w, %b : (tensor<?x8xf32>, tensor<?x8xf32>, tensor<?xf32>) -> tensor<?x?xf32>
  return %0 : tensor<?x?xf32>
}

// -----

// Every linear of a function is lowered; each constant weight gets its own
// blob.
// CHECK-LABEL: func.func @two_constant_weights
func.func @two_constant_weights(%x: tensor<3x3xf32>) -> (tensor<3x2xf32>, tensor<3x3xf32>) {
  // CHECK:     %[[W1:.+]] = arith.constant dense_resource<weight_t> : tensor<3x2xf32>
  // CHECK:     linalg.matmul ins(%{{.+}}, %[[W1]] :
  // CHECK:     %[[W2:.+]] = arith.constant dense_resource<weight_t_1> : tensor<3x3xf32>
  // CHECK:     linalg.matmul ins(%{{.+}}, %[[W2]] :
  %w1 = arith.constant dense<[[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]]> : tensor<2x3xf32>
  %0 = ffn.linear %x, %w1 : (tensor<3x3xf32>, tensor<2x3xf32>) -> tensor<3x2xf32>
  %w2 = arith.constant dense<[[1.0, 2.0, 3.0], [4.0, 5.0, 6.0], [7.0, 8.0, 9.0]]> : tensor<3x3xf32>
  %1 = ffn.linear %x, %w2 : (tensor<3x3xf32>, tensor<3x3xf32>) -> tensor<3x3xf32>
  return %0, %1 : tensor<3x2xf32>, tensor<3x3xf32>
}
