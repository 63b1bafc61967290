// RUN: ffn-opt %s -ffn-raise-linear -split-input-file | FileCheck %s

// MatMul + Add of a bias broadcast over the tokens: the bias joins the linear.
// CHECK-LABEL: func.func @bias_broadcast
// CHECK-SAME:    %[[X:[^:]+]]: tensor<4x8xf32>
func.func @bias_broadcast(%x: tensor<4x8xf32>) -> tensor<4x16xf32> {
  // CHECK-DAG:  %[[W:.+]] = arith.constant dense<1.000000e-01> : tensor<16x8xf32>
  // CHECK-DAG:  %[[B:.+]] = arith.constant dense<2.000000e+00> : tensor<16xf32>
  // CHECK:      %[[Y:.+]] = ffn.linear %[[X]], %[[W]], %[[B]]
  // CHECK-NOT:  arith.addf
  // CHECK:      return %[[Y]]
  %w = arith.constant dense<0.1> : tensor<16x8xf32>
  %b = arith.constant dense<2.0> : tensor<16xf32>
  %h = ffn.linear %x, %w : (tensor<4x8xf32>, tensor<16x8xf32>) -> tensor<4x16xf32>
  %e = tensor.empty() : tensor<4x16xf32>
  %bb = linalg.broadcast ins(%b : tensor<16xf32>) outs(%e : tensor<4x16xf32>) dimensions = [0]
  %y = arith.addf %h, %bb : tensor<4x16xf32>
  return %y : tensor<4x16xf32>
}

// -----

// The bias first, on a rank-3 input, after a collapse of a [1, 1, 16]
// initializer (numpy broadcasting of a keepdims bias).
// CHECK-LABEL: func.func @bias_first_rank3_collapsed
// CHECK-SAME:    %[[X:[^:]+]]: tensor<2x3x8xf32>, %[[W:[^:]+]]: tensor<16x8xf32>
func.func @bias_first_rank3_collapsed(%x: tensor<2x3x8xf32>, %w: tensor<16x8xf32>) -> tensor<2x3x16xf32> {
  // The collapse of the constant folds away.
  // CHECK:      %[[B:.+]] = arith.constant dense<[1.000000e+00, {{.*}}, 1.600000e+01]> : tensor<16xf32>
  // CHECK:      %[[Y:.+]] = ffn.linear %[[X]], %[[W]], %[[B]] : (tensor<2x3x8xf32>, tensor<16x8xf32>, tensor<16xf32>) -> tensor<2x3x16xf32>
  // CHECK-NEXT: return %[[Y]]
  %b3 = arith.constant dense<[[[1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0, 9.0, 10.0, 11.0, 12.0, 13.0, 14.0, 15.0, 16.0]]]> : tensor<1x1x16xf32>
  %b = tensor.collapse_shape %b3 [[0, 1, 2]] : tensor<1x1x16xf32> into tensor<16xf32>
  %h = ffn.linear %x, %w : (tensor<2x3x8xf32>, tensor<16x8xf32>) -> tensor<2x3x16xf32>
  %e = tensor.empty() : tensor<2x3x16xf32>
  %bb = linalg.broadcast ins(%b : tensor<16xf32>) outs(%e : tensor<2x3x16xf32>) dimensions = [0, 1]
  %y = arith.addf %bb, %h : tensor<2x3x16xf32>
  return %y : tensor<2x3x16xf32>
}

// -----

// A splat constant addend becomes a splat bias vector.
// CHECK-LABEL: func.func @bias_splat
// CHECK-SAME:    %[[X:[^:]+]]: tensor<4x8xf32>, %[[W:[^:]+]]: tensor<16x8xf32>
func.func @bias_splat(%x: tensor<4x8xf32>, %w: tensor<16x8xf32>) -> tensor<4x16xf32> {
  // CHECK:      %[[B:.+]] = arith.constant dense<2.500000e-01> : tensor<16xf32>
  // CHECK:      %[[Y:.+]] = ffn.linear %[[X]], %[[W]], %[[B]]
  // CHECK-NEXT: return %[[Y]]
  %c = arith.constant dense<0.25> : tensor<4x16xf32>
  %h = ffn.linear %x, %w : (tensor<4x8xf32>, tensor<16x8xf32>) -> tensor<4x16xf32>
  %y = arith.addf %c, %h : tensor<4x16xf32>
  return %y : tensor<4x16xf32>
}

// -----

// Dynamic token dimensions: the broadcast's init is sized at run time.
// CHECK-LABEL: func.func @bias_dynamic_tokens
// CHECK-SAME:    %[[X:[^:]+]]: tensor<?x8xf32>, %[[W:[^:]+]]: tensor<16x8xf32>
func.func @bias_dynamic_tokens(%x: tensor<?x8xf32>, %w: tensor<16x8xf32>) -> tensor<?x16xf32> {
  // CHECK:      %[[B:.+]] = arith.constant dense<3.000000e+00> : tensor<16xf32>
  // CHECK:      %[[Y:.+]] = ffn.linear %[[X]], %[[W]], %[[B]] : (tensor<?x8xf32>, tensor<16x8xf32>, tensor<16xf32>) -> tensor<?x16xf32>
  // CHECK-NEXT: return %[[Y]]
  %c0 = arith.constant 0 : index
  %b = arith.constant dense<3.0> : tensor<16xf32>
  %h = ffn.linear %x, %w : (tensor<?x8xf32>, tensor<16x8xf32>) -> tensor<?x16xf32>
  %t = tensor.dim %x, %c0 : tensor<?x8xf32>
  %e = tensor.empty(%t) : tensor<?x16xf32>
  %bb = linalg.broadcast ins(%b : tensor<16xf32>) outs(%e : tensor<?x16xf32>) dimensions = [0]
  %y = arith.addf %h, %bb : tensor<?x16xf32>
  return %y : tensor<?x16xf32>
}

// -----

// The linear's result has a second user: it must stay as it is.
// CHECK-LABEL: func.func @no_fold_linear_second_user
func.func @no_fold_linear_second_user(%x: tensor<4x8xf32>, %w: tensor<16x8xf32>) -> (tensor<4x16xf32>, tensor<4x16xf32>) {
  // CHECK:      %[[H:.+]] = ffn.linear %{{[^,]+}}, %{{[^,]+}} : (tensor<4x8xf32>, tensor<16x8xf32>)
  // CHECK:      %[[Y:.+]] = arith.addf %[[H]]
  // CHECK:      return %[[Y]], %[[H]]
  %b = arith.constant dense<2.0> : tensor<16xf32>
  %h = ffn.linear %x, %w : (tensor<4x8xf32>, tensor<16x8xf32>) -> tensor<4x16xf32>
  %e = tensor.empty() : tensor<4x16xf32>
  %bb = linalg.broadcast ins(%b : tensor<16xf32>) outs(%e : tensor<4x16xf32>) dimensions = [0]
  %y = arith.addf %h, %bb : tensor<4x16xf32>
  return %y, %h : tensor<4x16xf32>, tensor<4x16xf32>
}

// -----

// A bias that is not a constant (a function argument) stays an addition.
// CHECK-LABEL: func.func @no_fold_bias_not_constant
func.func @no_fold_bias_not_constant(%x: tensor<4x8xf32>, %w: tensor<16x8xf32>, %b: tensor<16xf32>) -> tensor<4x16xf32> {
  // CHECK:      ffn.linear %{{[^,]+}}, %{{[^,]+}} : (tensor<4x8xf32>, tensor<16x8xf32>)
  // CHECK:      arith.addf
  %h = ffn.linear %x, %w : (tensor<4x8xf32>, tensor<16x8xf32>) -> tensor<4x16xf32>
  %e = tensor.empty() : tensor<4x16xf32>
  %bb = linalg.broadcast ins(%b : tensor<16xf32>) outs(%e : tensor<4x16xf32>) dimensions = [0]
  %y = arith.addf %h, %bb : tensor<4x16xf32>
  return %y : tensor<4x16xf32>
}

// -----

// A single token: the residual input has the shape of a bias row but is not
// a constant, so it must not become a bias.
// CHECK-LABEL: func.func @no_fold_residual_single_token
func.func @no_fold_residual_single_token(%x: tensor<1x16xf32>, %w: tensor<16x16xf32>) -> tensor<1x16xf32> {
  // CHECK:      %[[H:.+]] = ffn.linear %{{[^,]+}}, %{{[^,]+}} : (tensor<1x16xf32>, tensor<16x16xf32>)
  // CHECK:      arith.addf %{{.+}}, %[[H]]
  %h = ffn.linear %x, %w : (tensor<1x16xf32>, tensor<16x16xf32>) -> tensor<1x16xf32>
  %y = arith.addf %x, %h : tensor<1x16xf32>
  return %y : tensor<1x16xf32>
}

// -----

// A per-row value broadcast along the features is not a bias.
// CHECK-LABEL: func.func @no_fold_per_row_addend
func.func @no_fold_per_row_addend(%x: tensor<4x8xf32>, %w: tensor<16x8xf32>) -> tensor<4x16xf32> {
  // CHECK:      ffn.linear %{{[^,]+}}, %{{[^,]+}} : (tensor<4x8xf32>, tensor<16x8xf32>)
  // CHECK:      arith.addf
  %r = arith.constant dense<[1.0, 2.0, 3.0, 4.0]> : tensor<4xf32>
  %h = ffn.linear %x, %w : (tensor<4x8xf32>, tensor<16x8xf32>) -> tensor<4x16xf32>
  %e = tensor.empty() : tensor<4x16xf32>
  %rb = linalg.broadcast ins(%r : tensor<4xf32>) outs(%e : tensor<4x16xf32>) dimensions = [1]
  %y = arith.addf %h, %rb : tensor<4x16xf32>
  return %y : tensor<4x16xf32>
}

// -----

// A linear that already has a bias keeps the second addition.
// CHECK-LABEL: func.func @no_fold_second_bias
func.func @no_fold_second_bias(%x: tensor<4x8xf32>, %w: tensor<16x8xf32>, %b: tensor<16xf32>) -> tensor<4x16xf32> {
  // CHECK:      ffn.linear %{{[^,]+}}, %{{[^,]+}}, %{{[^ ]+}} :
  // CHECK:      arith.addf
  %c = arith.constant dense<0.25> : tensor<4x16xf32>
  %h = ffn.linear %x, %w, %b : (tensor<4x8xf32>, tensor<16x8xf32>, tensor<16xf32>) -> tensor<4x16xf32>
  %y = arith.addf %h, %c : tensor<4x16xf32>
  return %y : tensor<4x16xf32>
}

// -----

// A splat scale of a linear with constant parameters folds into them.
// CHECK-LABEL: func.func @scale_into_weights
// CHECK-SAME:    %[[X:[^:]+]]: tensor<4x2xf32>
func.func @scale_into_weights(%x: tensor<4x2xf32>) -> tensor<4x3xf32> {
  // CHECK-DAG:  %[[W:.+]] = arith.constant dense_resource<scaled_weight{{.*}}> : tensor<3x2xf32>
  // CHECK-DAG:  %[[B:.+]] = arith.constant dense_resource<scaled_bias{{.*}}> : tensor<3xf32>
  // CHECK:      %[[Y:.+]] = ffn.linear %[[X]], %[[W]], %[[B]]
  // CHECK-NEXT: return %[[Y]]
  // Scaled by 0.5: [[0.5, 1], [1.5, 2], [2.5, 3]] and [-0.5, 0, 0.5].
  // CHECK:      scaled_weight{{.*}}: "0x040000000000003F0000803F0000C03F000000400000204000004040"
  // CHECK:      scaled_bias{{.*}}: "0x04000000000000BF000000000000003F"
  %w = arith.constant dense<[[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]]> : tensor<3x2xf32>
  %b = arith.constant dense<[-1.0, 0.0, 1.0]> : tensor<3xf32>
  %c = arith.constant dense<0.5> : tensor<4x3xf32>
  %h = ffn.linear %x, %w, %b : (tensor<4x2xf32>, tensor<3x2xf32>, tensor<3xf32>) -> tensor<4x3xf32>
  %y = arith.mulf %c, %h : tensor<4x3xf32>
  return %y : tensor<4x3xf32>
}

// -----

// Division by a splat: the weights are divided.
// CHECK-LABEL: func.func @divide_into_weights
func.func @divide_into_weights(%x: tensor<4x2xf32>) -> tensor<4x1xf32> {
  // CHECK:      %[[W:.+]] = arith.constant dense_resource<scaled_weight{{.*}}> : tensor<1x2xf32>
  // CHECK:      %[[Y:.+]] = ffn.linear %{{[^,]+}}, %[[W]] :
  // CHECK-NEXT: return %[[Y]]
  // [2, 4] / 4 = [0.5, 1].
  // CHECK:      scaled_weight{{.*}}: "0x040000000000003F0000803F"
  %w = arith.constant dense<[[2.0, 4.0]]> : tensor<1x2xf32>
  %c = arith.constant dense<4.0> : tensor<4x1xf32>
  %h = ffn.linear %x, %w : (tensor<4x2xf32>, tensor<1x2xf32>) -> tensor<4x1xf32>
  %y = arith.divf %h, %c : tensor<4x1xf32>
  return %y : tensor<4x1xf32>
}

// -----

// A weight that is not a constant cannot be scaled at compile time.
// CHECK-LABEL: func.func @no_scale_weight_not_constant
func.func @no_scale_weight_not_constant(%x: tensor<4x8xf32>, %w: tensor<16x8xf32>) -> tensor<4x16xf32> {
  // CHECK:      ffn.linear
  // CHECK:      arith.mulf
  %c = arith.constant dense<0.5> : tensor<4x16xf32>
  %h = ffn.linear %x, %w : (tensor<4x8xf32>, tensor<16x8xf32>) -> tensor<4x16xf32>
  %y = arith.mulf %h, %c : tensor<4x16xf32>
  return %y : tensor<4x16xf32>
}

// -----

// A constant divided by the linear is not a scale of it.
// CHECK-LABEL: func.func @no_scale_reciprocal
func.func @no_scale_reciprocal(%x: tensor<4x2xf32>) -> tensor<4x1xf32> {
  // CHECK:      ffn.linear
  // CHECK:      arith.divf
  %w = arith.constant dense<[[2.0, 4.0]]> : tensor<1x2xf32>
  %c = arith.constant dense<4.0> : tensor<4x1xf32>
  %h = ffn.linear %x, %w : (tensor<4x2xf32>, tensor<1x2xf32>) -> tensor<4x1xf32>
  %y = arith.divf %c, %h : tensor<4x1xf32>
  return %y : tensor<4x1xf32>
}

// -----

// A single token and a [1, 4] bias initializer in a resource blob: the bias
// becomes a collapse of it (a blob does not fold).
// CHECK-LABEL: func.func @bias_single_token_resource
// CHECK-SAME:    %[[X:[^:]+]]: tensor<1x2xf32>, %[[W:[^:]+]]: tensor<4x2xf32>
func.func @bias_single_token_resource(%x: tensor<1x2xf32>, %w: tensor<4x2xf32>) -> tensor<1x4xf32> {
  // CHECK:      %[[B2:.+]] = arith.constant dense_resource<bias> : tensor<1x4xf32>
  // CHECK:      %[[B:.+]] = tensor.collapse_shape %[[B2]] {{\[}}[0, 1]] : tensor<1x4xf32> into tensor<4xf32>
  // CHECK:      %[[Y:.+]] = ffn.linear %[[X]], %[[W]], %[[B]]
  // CHECK-NEXT: return %[[Y]]
  %b = arith.constant dense_resource<bias> : tensor<1x4xf32>
  %h = ffn.linear %x, %w : (tensor<1x2xf32>, tensor<4x2xf32>) -> tensor<1x4xf32>
  %y = arith.addf %h, %b : tensor<1x4xf32>
  return %y : tensor<1x4xf32>
}

{-#
  dialect_resources: {
    builtin: {
      bias: "0x040000000000803F000000400000404000008040"
    }
  }
#-}
