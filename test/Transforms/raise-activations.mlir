// RUN: ffn-opt %s -ffn-raise-activations -split-input-file | FileCheck %s

//===----------------------------------------------------------------------===//
// GELU, erf form
//===----------------------------------------------------------------------===//

// torch: x * 0.5 * (1.0 + erf(x / sqrt(2))).
// CHECK-LABEL: func.func @gelu_erf_div
// CHECK-SAME:    %[[X:[^:]+]]: tensor<4x16xf32>
func.func @gelu_erf_div(%x: tensor<4x16xf32>) -> tensor<4x16xf32> {
  // CHECK-NEXT: %[[G:.+]] = ffn.gelu %[[X]] : tensor<4x16xf32>
  // CHECK-NEXT: return %[[G]]
  %half = arith.constant dense<0.5> : tensor<4x16xf32>
  %one = arith.constant dense<1.0> : tensor<4x16xf32>
  %sqrt2 = arith.constant dense<1.41421354> : tensor<4x16xf32>
  %0 = arith.divf %x, %sqrt2 : tensor<4x16xf32>
  %1 = math.erf %0 : tensor<4x16xf32>
  %2 = arith.addf %one, %1 : tensor<4x16xf32>
  %3 = arith.mulf %x, %half : tensor<4x16xf32>
  %4 = arith.mulf %3, %2 : tensor<4x16xf32>
  return %4 : tensor<4x16xf32>
}

// -----

// 0.5 * x * (1 + erf(x * 0.70710678)) with the constants on the left.
// CHECK-LABEL: func.func @gelu_erf_half_first
// CHECK-SAME:    %[[X:[^:]+]]: tensor<4x16xf32>
func.func @gelu_erf_half_first(%x: tensor<4x16xf32>) -> tensor<4x16xf32> {
  // CHECK-NEXT: %[[G:.+]] = ffn.gelu %[[X]] : tensor<4x16xf32>
  // CHECK-NEXT: return %[[G]]
  %half = arith.constant dense<0.5> : tensor<4x16xf32>
  %one = arith.constant dense<1.0> : tensor<4x16xf32>
  %k = arith.constant dense<0.70710678> : tensor<4x16xf32>
  %0 = arith.mulf %k, %x : tensor<4x16xf32>
  %1 = math.erf %0 : tensor<4x16xf32>
  %2 = arith.addf %1, %one : tensor<4x16xf32>
  %3 = arith.mulf %half, %x : tensor<4x16xf32>
  %4 = arith.mulf %2, %3 : tensor<4x16xf32>
  return %4 : tensor<4x16xf32>
}

// -----

// (x * (1 + erf(x * 0.70710678))) * 0.5: the half applied last.
// CHECK-LABEL: func.func @gelu_erf_half_last
// CHECK-SAME:    %[[X:[^:]+]]: tensor<4x16xf32>
func.func @gelu_erf_half_last(%x: tensor<4x16xf32>) -> tensor<4x16xf32> {
  // CHECK-NEXT: %[[G:.+]] = ffn.gelu %[[X]] : tensor<4x16xf32>
  // CHECK-NEXT: return %[[G]]
  %half = arith.constant dense<0.5> : tensor<4x16xf32>
  %one = arith.constant dense<1.0> : tensor<4x16xf32>
  %k = arith.constant dense<0.70710678> : tensor<4x16xf32>
  %0 = arith.mulf %x, %k : tensor<4x16xf32>
  %1 = math.erf %0 : tensor<4x16xf32>
  %2 = arith.addf %one, %1 : tensor<4x16xf32>
  %3 = arith.mulf %x, %2 : tensor<4x16xf32>
  %4 = arith.mulf %3, %half : tensor<4x16xf32>
  return %4 : tensor<4x16xf32>
}

// -----

// x * (1 + erf(x / sqrt 2)) / 2, and x / sqrt(2) as x * (1 / sqrt(2)) with
// the reciprocal folded to 0.707106769 (float32).
// CHECK-LABEL: func.func @gelu_erf_div_two
// CHECK-SAME:    %[[X:[^:]+]]: tensor<4x16xf32>
func.func @gelu_erf_div_two(%x: tensor<4x16xf32>) -> tensor<4x16xf32> {
  // CHECK-NEXT: %[[G:.+]] = ffn.gelu %[[X]] : tensor<4x16xf32>
  // CHECK-NEXT: return %[[G]]
  %two = arith.constant dense<2.0> : tensor<4x16xf32>
  %one = arith.constant dense<1.0> : tensor<4x16xf32>
  %k = arith.constant dense<0.707106769> : tensor<4x16xf32>
  %0 = arith.mulf %x, %k : tensor<4x16xf32>
  %1 = math.erf %0 : tensor<4x16xf32>
  %2 = arith.addf %1, %one : tensor<4x16xf32>
  %3 = arith.mulf %x, %2 : tensor<4x16xf32>
  %4 = arith.divf %3, %two : tensor<4x16xf32>
  return %4 : tensor<4x16xf32>
}

// -----

// Dynamic tokens: the scalars are rank-0 constants broadcast to the shape.
// CHECK-LABEL: func.func @gelu_erf_dynamic_broadcast_scalars
// CHECK-SAME:    %[[X:[^:]+]]: tensor<?x16xf32>
func.func @gelu_erf_dynamic_broadcast_scalars(%x: tensor<?x16xf32>) -> tensor<?x16xf32> {
  // CHECK:      %[[G:.+]] = ffn.gelu %[[X]] : tensor<?x16xf32>
  // CHECK-NEXT: return %[[G]]
  %c0 = arith.constant 0 : index
  %d = tensor.dim %x, %c0 : tensor<?x16xf32>
  %e = tensor.empty(%d) : tensor<?x16xf32>
  %half0 = arith.constant dense<0.5> : tensor<f32>
  %one0 = arith.constant dense<1.0> : tensor<f32>
  %sqrt20 = arith.constant dense<1.41421354> : tensor<f32>
  %half = linalg.broadcast ins(%half0 : tensor<f32>) outs(%e : tensor<?x16xf32>) dimensions = [0, 1]
  %one = linalg.broadcast ins(%one0 : tensor<f32>) outs(%e : tensor<?x16xf32>) dimensions = [0, 1]
  %sqrt2 = linalg.broadcast ins(%sqrt20 : tensor<f32>) outs(%e : tensor<?x16xf32>) dimensions = [0, 1]
  %0 = arith.divf %x, %sqrt2 : tensor<?x16xf32>
  %1 = math.erf %0 : tensor<?x16xf32>
  %2 = arith.addf %one, %1 : tensor<?x16xf32>
  %3 = arith.mulf %x, %half : tensor<?x16xf32>
  %4 = arith.mulf %3, %2 : tensor<?x16xf32>
  return %4 : tensor<?x16xf32>
}

// -----

// Constants within the relative tolerance: 0.50000006 (the next float32
// after 0.5) and sqrt(2) rounded to 1.4142135.
// CHECK-LABEL: func.func @gelu_erf_tolerance
// CHECK-SAME:    %[[X:[^:]+]]: tensor<4x16xf32>
func.func @gelu_erf_tolerance(%x: tensor<4x16xf32>) -> tensor<4x16xf32> {
  // CHECK-NEXT: %[[G:.+]] = ffn.gelu %[[X]] : tensor<4x16xf32>
  %half = arith.constant dense<0.50000006> : tensor<4x16xf32>
  %one = arith.constant dense<1.0> : tensor<4x16xf32>
  %sqrt2 = arith.constant dense<1.4142135> : tensor<4x16xf32>
  %0 = arith.divf %x, %sqrt2 : tensor<4x16xf32>
  %1 = math.erf %0 : tensor<4x16xf32>
  %2 = arith.addf %one, %1 : tensor<4x16xf32>
  %3 = arith.mulf %x, %half : tensor<4x16xf32>
  %4 = arith.mulf %3, %2 : tensor<4x16xf32>
  return %4 : tensor<4x16xf32>
}

// -----

// 0.6 is not 0.5.
// CHECK-LABEL: func.func @no_gelu_wrong_half
func.func @no_gelu_wrong_half(%x: tensor<4x16xf32>) -> tensor<4x16xf32> {
  // CHECK-NOT:  ffn.gelu
  // CHECK:      math.erf
  %half = arith.constant dense<0.6> : tensor<4x16xf32>
  %one = arith.constant dense<1.0> : tensor<4x16xf32>
  %sqrt2 = arith.constant dense<1.41421354> : tensor<4x16xf32>
  %0 = arith.divf %x, %sqrt2 : tensor<4x16xf32>
  %1 = math.erf %0 : tensor<4x16xf32>
  %2 = arith.addf %one, %1 : tensor<4x16xf32>
  %3 = arith.mulf %x, %half : tensor<4x16xf32>
  %4 = arith.mulf %3, %2 : tensor<4x16xf32>
  return %4 : tensor<4x16xf32>
}

// -----

// 0.500001 is 2e-6 (relative) away from 0.5: outside the tolerance.
// CHECK-LABEL: func.func @no_gelu_half_outside_tolerance
func.func @no_gelu_half_outside_tolerance(%x: tensor<4x16xf32>) -> tensor<4x16xf32> {
  // CHECK-NOT:  ffn.gelu
  // CHECK:      math.erf
  %half = arith.constant dense<0.500001> : tensor<4x16xf32>
  %one = arith.constant dense<1.0> : tensor<4x16xf32>
  %sqrt2 = arith.constant dense<1.41421354> : tensor<4x16xf32>
  %0 = arith.divf %x, %sqrt2 : tensor<4x16xf32>
  %1 = math.erf %0 : tensor<4x16xf32>
  %2 = arith.addf %one, %1 : tensor<4x16xf32>
  %3 = arith.mulf %x, %half : tensor<4x16xf32>
  %4 = arith.mulf %3, %2 : tensor<4x16xf32>
  return %4 : tensor<4x16xf32>
}

// -----

// erf(x / 2) is not GELU.
// CHECK-LABEL: func.func @no_gelu_wrong_erf_scale
func.func @no_gelu_wrong_erf_scale(%x: tensor<4x16xf32>) -> tensor<4x16xf32> {
  // CHECK-NOT:  ffn.gelu
  // CHECK:      math.erf
  %half = arith.constant dense<0.5> : tensor<4x16xf32>
  %one = arith.constant dense<1.0> : tensor<4x16xf32>
  %two = arith.constant dense<2.0> : tensor<4x16xf32>
  %0 = arith.divf %x, %two : tensor<4x16xf32>
  %1 = math.erf %0 : tensor<4x16xf32>
  %2 = arith.addf %one, %1 : tensor<4x16xf32>
  %3 = arith.mulf %x, %half : tensor<4x16xf32>
  %4 = arith.mulf %3, %2 : tensor<4x16xf32>
  return %4 : tensor<4x16xf32>
}

// -----

// 1 - erf(...) is not GELU.
// CHECK-LABEL: func.func @no_gelu_one_minus_erf
func.func @no_gelu_one_minus_erf(%x: tensor<4x16xf32>) -> tensor<4x16xf32> {
  // CHECK-NOT:  ffn.gelu
  // CHECK:      math.erf
  %half = arith.constant dense<0.5> : tensor<4x16xf32>
  %one = arith.constant dense<1.0> : tensor<4x16xf32>
  %sqrt2 = arith.constant dense<1.41421354> : tensor<4x16xf32>
  %0 = arith.divf %x, %sqrt2 : tensor<4x16xf32>
  %1 = math.erf %0 : tensor<4x16xf32>
  %2 = arith.subf %one, %1 : tensor<4x16xf32>
  %3 = arith.mulf %x, %half : tensor<4x16xf32>
  %4 = arith.mulf %3, %2 : tensor<4x16xf32>
  return %4 : tensor<4x16xf32>
}

// -----

// The erf result has a second user: raising would leave it computed anyway.
// CHECK-LABEL: func.func @no_gelu_intermediate_second_user
func.func @no_gelu_intermediate_second_user(%x: tensor<4x16xf32>) -> (tensor<4x16xf32>, tensor<4x16xf32>) {
  // CHECK-NOT:  ffn.gelu
  // CHECK:      %[[E:.+]] = math.erf
  // CHECK:      return %{{.+}}, %[[E]]
  %half = arith.constant dense<0.5> : tensor<4x16xf32>
  %one = arith.constant dense<1.0> : tensor<4x16xf32>
  %sqrt2 = arith.constant dense<1.41421354> : tensor<4x16xf32>
  %0 = arith.divf %x, %sqrt2 : tensor<4x16xf32>
  %1 = math.erf %0 : tensor<4x16xf32>
  %2 = arith.addf %one, %1 : tensor<4x16xf32>
  %3 = arith.mulf %x, %half : tensor<4x16xf32>
  %4 = arith.mulf %3, %2 : tensor<4x16xf32>
  return %4, %1 : tensor<4x16xf32>, tensor<4x16xf32>
}

// -----

// x * 0.5 has a second user.
// CHECK-LABEL: func.func @no_gelu_half_product_second_user
func.func @no_gelu_half_product_second_user(%x: tensor<4x16xf32>) -> (tensor<4x16xf32>, tensor<4x16xf32>) {
  // CHECK-NOT:  ffn.gelu
  // CHECK:      math.erf
  %half = arith.constant dense<0.5> : tensor<4x16xf32>
  %one = arith.constant dense<1.0> : tensor<4x16xf32>
  %sqrt2 = arith.constant dense<1.41421354> : tensor<4x16xf32>
  %0 = arith.divf %x, %sqrt2 : tensor<4x16xf32>
  %1 = math.erf %0 : tensor<4x16xf32>
  %2 = arith.addf %one, %1 : tensor<4x16xf32>
  %3 = arith.mulf %x, %half : tensor<4x16xf32>
  %4 = arith.mulf %3, %2 : tensor<4x16xf32>
  return %4, %3 : tensor<4x16xf32>, tensor<4x16xf32>
}

// -----

// The erf reads y, the product multiplies x: not one GELU.
// CHECK-LABEL: func.func @no_gelu_different_inputs
func.func @no_gelu_different_inputs(%x: tensor<4x16xf32>, %y: tensor<4x16xf32>) -> tensor<4x16xf32> {
  // CHECK-NOT:  ffn.gelu
  // CHECK:      math.erf
  %half = arith.constant dense<0.5> : tensor<4x16xf32>
  %one = arith.constant dense<1.0> : tensor<4x16xf32>
  %sqrt2 = arith.constant dense<1.41421354> : tensor<4x16xf32>
  %0 = arith.divf %y, %sqrt2 : tensor<4x16xf32>
  %1 = math.erf %0 : tensor<4x16xf32>
  %2 = arith.addf %one, %1 : tensor<4x16xf32>
  %3 = arith.mulf %x, %half : tensor<4x16xf32>
  %4 = arith.mulf %3, %2 : tensor<4x16xf32>
  return %4 : tensor<4x16xf32>
}

// -----

// A GELU times another tensor: the GELU inside is still found.
// CHECK-LABEL: func.func @gelu_inside_larger_product
// CHECK-SAME:    %[[X:[^:]+]]: tensor<4x16xf32>, %[[Y:[^:]+]]: tensor<4x16xf32>
func.func @gelu_inside_larger_product(%x: tensor<4x16xf32>, %y: tensor<4x16xf32>) -> tensor<4x16xf32> {
  // CHECK-NEXT: %[[G:.+]] = ffn.gelu %[[X]] : tensor<4x16xf32>
  // CHECK-NEXT: %[[P:.+]] = arith.mulf %[[G]], %[[Y]]
  // CHECK-NEXT: return %[[P]]
  %half = arith.constant dense<0.5> : tensor<4x16xf32>
  %one = arith.constant dense<1.0> : tensor<4x16xf32>
  %sqrt2 = arith.constant dense<1.41421354> : tensor<4x16xf32>
  %0 = arith.divf %x, %sqrt2 : tensor<4x16xf32>
  %1 = math.erf %0 : tensor<4x16xf32>
  %2 = arith.addf %one, %1 : tensor<4x16xf32>
  %3 = arith.mulf %x, %half : tensor<4x16xf32>
  %4 = arith.mulf %3, %2 : tensor<4x16xf32>
  %5 = arith.mulf %4, %y : tensor<4x16xf32>
  return %5 : tensor<4x16xf32>
}

//===----------------------------------------------------------------------===//
// GELU, tanh form
//===----------------------------------------------------------------------===//

// -----

// GPT-2: 0.5 * x * (1 + tanh(sqrt(2/pi) * (x + 0.044715 * pow(x, 3)))).
// CHECK-LABEL: func.func @gelu_tanh_pow
// CHECK-SAME:    %[[X:[^:]+]]: tensor<4x16xf32>
func.func @gelu_tanh_pow(%x: tensor<4x16xf32>) -> tensor<4x16xf32> {
  // CHECK-NEXT: %[[G:.+]] = ffn.gelu %[[X]] approximate<tanh> : tensor<4x16xf32>
  // CHECK-NEXT: return %[[G]]
  %half = arith.constant dense<0.5> : tensor<4x16xf32>
  %one = arith.constant dense<1.0> : tensor<4x16xf32>
  %three = arith.constant dense<3.0> : tensor<4x16xf32>
  %c = arith.constant dense<0.044715> : tensor<4x16xf32>
  %k = arith.constant dense<0.797884583> : tensor<4x16xf32>
  %0 = math.powf %x, %three : tensor<4x16xf32>
  %1 = arith.mulf %c, %0 : tensor<4x16xf32>
  %2 = arith.addf %x, %1 : tensor<4x16xf32>
  %3 = arith.mulf %k, %2 : tensor<4x16xf32>
  %4 = math.tanh %3 : tensor<4x16xf32>
  %5 = arith.addf %one, %4 : tensor<4x16xf32>
  %6 = arith.mulf %half, %x : tensor<4x16xf32>
  %7 = arith.mulf %6, %5 : tensor<4x16xf32>
  return %7 : tensor<4x16xf32>
}

// -----

// x^3 as x * x * x, operands swapped everywhere, the half applied last.
// CHECK-LABEL: func.func @gelu_tanh_cube_product
// CHECK-SAME:    %[[X:[^:]+]]: tensor<4x16xf32>
func.func @gelu_tanh_cube_product(%x: tensor<4x16xf32>) -> tensor<4x16xf32> {
  // CHECK-NEXT: %[[G:.+]] = ffn.gelu %[[X]] approximate<tanh> : tensor<4x16xf32>
  // CHECK-NEXT: return %[[G]]
  %half = arith.constant dense<0.5> : tensor<4x16xf32>
  %one = arith.constant dense<1.0> : tensor<4x16xf32>
  %c = arith.constant dense<0.044715> : tensor<4x16xf32>
  %k = arith.constant dense<0.797884583> : tensor<4x16xf32>
  %0 = arith.mulf %x, %x : tensor<4x16xf32>
  %1 = arith.mulf %0, %x : tensor<4x16xf32>
  %2 = arith.mulf %1, %c : tensor<4x16xf32>
  %3 = arith.addf %2, %x : tensor<4x16xf32>
  %4 = arith.mulf %3, %k : tensor<4x16xf32>
  %5 = math.tanh %4 : tensor<4x16xf32>
  %6 = arith.addf %5, %one : tensor<4x16xf32>
  %7 = arith.mulf %x, %6 : tensor<4x16xf32>
  %8 = arith.mulf %7, %half : tensor<4x16xf32>
  return %8 : tensor<4x16xf32>
}

// -----

// x * x^2 also makes x^3.
// CHECK-LABEL: func.func @gelu_tanh_square_times_x
// CHECK-SAME:    %[[X:[^:]+]]: tensor<4x16xf32>
func.func @gelu_tanh_square_times_x(%x: tensor<4x16xf32>) -> tensor<4x16xf32> {
  // CHECK-NEXT: %[[G:.+]] = ffn.gelu %[[X]] approximate<tanh> : tensor<4x16xf32>
  %half = arith.constant dense<0.5> : tensor<4x16xf32>
  %one = arith.constant dense<1.0> : tensor<4x16xf32>
  %two = arith.constant dense<2.0> : tensor<4x16xf32>
  %c = arith.constant dense<0.044715> : tensor<4x16xf32>
  %k = arith.constant dense<0.797884583> : tensor<4x16xf32>
  %0 = math.powf %x, %two : tensor<4x16xf32>
  %1 = arith.mulf %x, %0 : tensor<4x16xf32>
  %2 = arith.mulf %1, %c : tensor<4x16xf32>
  %3 = arith.addf %x, %2 : tensor<4x16xf32>
  %4 = arith.mulf %3, %k : tensor<4x16xf32>
  %5 = math.tanh %4 : tensor<4x16xf32>
  %6 = arith.addf %one, %5 : tensor<4x16xf32>
  %7 = arith.mulf %x, %half : tensor<4x16xf32>
  %8 = arith.mulf %7, %6 : tensor<4x16xf32>
  return %8 : tensor<4x16xf32>
}

// -----

// 0.04 is not 0.044715.
// CHECK-LABEL: func.func @no_gelu_tanh_wrong_coefficient
func.func @no_gelu_tanh_wrong_coefficient(%x: tensor<4x16xf32>) -> tensor<4x16xf32> {
  // CHECK-NOT:  ffn.gelu
  // CHECK:      math.tanh
  %half = arith.constant dense<0.5> : tensor<4x16xf32>
  %one = arith.constant dense<1.0> : tensor<4x16xf32>
  %three = arith.constant dense<3.0> : tensor<4x16xf32>
  %c = arith.constant dense<0.04> : tensor<4x16xf32>
  %k = arith.constant dense<0.797884583> : tensor<4x16xf32>
  %0 = math.powf %x, %three : tensor<4x16xf32>
  %1 = arith.mulf %c, %0 : tensor<4x16xf32>
  %2 = arith.addf %x, %1 : tensor<4x16xf32>
  %3 = arith.mulf %k, %2 : tensor<4x16xf32>
  %4 = math.tanh %3 : tensor<4x16xf32>
  %5 = arith.addf %one, %4 : tensor<4x16xf32>
  %6 = arith.mulf %half, %x : tensor<4x16xf32>
  %7 = arith.mulf %6, %5 : tensor<4x16xf32>
  return %7 : tensor<4x16xf32>
}

// -----

// pow(x, 2) in place of pow(x, 3).
// CHECK-LABEL: func.func @no_gelu_tanh_wrong_power
func.func @no_gelu_tanh_wrong_power(%x: tensor<4x16xf32>) -> tensor<4x16xf32> {
  // CHECK-NOT:  ffn.gelu
  // CHECK:      math.tanh
  %half = arith.constant dense<0.5> : tensor<4x16xf32>
  %one = arith.constant dense<1.0> : tensor<4x16xf32>
  %two = arith.constant dense<2.0> : tensor<4x16xf32>
  %c = arith.constant dense<0.044715> : tensor<4x16xf32>
  %k = arith.constant dense<0.797884583> : tensor<4x16xf32>
  %0 = math.powf %x, %two : tensor<4x16xf32>
  %1 = arith.mulf %c, %0 : tensor<4x16xf32>
  %2 = arith.addf %x, %1 : tensor<4x16xf32>
  %3 = arith.mulf %k, %2 : tensor<4x16xf32>
  %4 = math.tanh %3 : tensor<4x16xf32>
  %5 = arith.addf %one, %4 : tensor<4x16xf32>
  %6 = arith.mulf %half, %x : tensor<4x16xf32>
  %7 = arith.mulf %6, %5 : tensor<4x16xf32>
  return %7 : tensor<4x16xf32>
}

// -----

// The cube has a second user.
// CHECK-LABEL: func.func @no_gelu_tanh_cube_second_user
func.func @no_gelu_tanh_cube_second_user(%x: tensor<4x16xf32>) -> (tensor<4x16xf32>, tensor<4x16xf32>) {
  // CHECK-NOT:  ffn.gelu
  // CHECK:      math.tanh
  %half = arith.constant dense<0.5> : tensor<4x16xf32>
  %one = arith.constant dense<1.0> : tensor<4x16xf32>
  %three = arith.constant dense<3.0> : tensor<4x16xf32>
  %c = arith.constant dense<0.044715> : tensor<4x16xf32>
  %k = arith.constant dense<0.797884583> : tensor<4x16xf32>
  %0 = math.powf %x, %three : tensor<4x16xf32>
  %1 = arith.mulf %c, %0 : tensor<4x16xf32>
  %2 = arith.addf %x, %1 : tensor<4x16xf32>
  %3 = arith.mulf %k, %2 : tensor<4x16xf32>
  %4 = math.tanh %3 : tensor<4x16xf32>
  %5 = arith.addf %one, %4 : tensor<4x16xf32>
  %6 = arith.mulf %half, %x : tensor<4x16xf32>
  %7 = arith.mulf %6, %5 : tensor<4x16xf32>
  return %7, %0 : tensor<4x16xf32>, tensor<4x16xf32>
}

//===----------------------------------------------------------------------===//
// SiLU
//===----------------------------------------------------------------------===//

// -----

// x * Sigmoid(x), Sigmoid decomposed as 1 / (1 + exp(-x)).
// CHECK-LABEL: func.func @silu_product
// CHECK-SAME:    %[[X:[^:]+]]: tensor<4x16xf32>
func.func @silu_product(%x: tensor<4x16xf32>) -> tensor<4x16xf32> {
  // CHECK-NEXT: %[[S:.+]] = ffn.silu %[[X]] : tensor<4x16xf32>
  // CHECK-NEXT: return %[[S]]
  %one = arith.constant dense<1.0> : tensor<4x16xf32>
  %0 = arith.negf %x : tensor<4x16xf32>
  %1 = math.exp %0 : tensor<4x16xf32>
  %2 = arith.addf %one, %1 : tensor<4x16xf32>
  %3 = arith.divf %one, %2 : tensor<4x16xf32>
  %4 = arith.mulf %x, %3 : tensor<4x16xf32>
  return %4 : tensor<4x16xf32>
}

// -----

// Sigmoid first, exp(-x) + 1, and -x as x * -1.
// CHECK-LABEL: func.func @silu_sigmoid_first
// CHECK-SAME:    %[[X:[^:]+]]: tensor<4x16xf32>
func.func @silu_sigmoid_first(%x: tensor<4x16xf32>) -> tensor<4x16xf32> {
  // CHECK-NEXT: %[[S:.+]] = ffn.silu %[[X]] : tensor<4x16xf32>
  // CHECK-NEXT: return %[[S]]
  %one = arith.constant dense<1.0> : tensor<4x16xf32>
  %m1 = arith.constant dense<-1.0> : tensor<4x16xf32>
  %0 = arith.mulf %x, %m1 : tensor<4x16xf32>
  %1 = math.exp %0 : tensor<4x16xf32>
  %2 = arith.addf %1, %one : tensor<4x16xf32>
  %3 = arith.divf %one, %2 : tensor<4x16xf32>
  %4 = arith.mulf %3, %x : tensor<4x16xf32>
  return %4 : tensor<4x16xf32>
}

// -----

// x / (1 + exp(0 - x)).
// CHECK-LABEL: func.func @silu_quotient
// CHECK-SAME:    %[[X:[^:]+]]: tensor<2x3x16xf32>
func.func @silu_quotient(%x: tensor<2x3x16xf32>) -> tensor<2x3x16xf32> {
  // CHECK-NEXT: %[[S:.+]] = ffn.silu %[[X]] : tensor<2x3x16xf32>
  // CHECK-NEXT: return %[[S]]
  %zero = arith.constant dense<0.0> : tensor<2x3x16xf32>
  %one = arith.constant dense<1.0> : tensor<2x3x16xf32>
  %0 = arith.subf %zero, %x : tensor<2x3x16xf32>
  %1 = math.exp %0 : tensor<2x3x16xf32>
  %2 = arith.addf %one, %1 : tensor<2x3x16xf32>
  %3 = arith.divf %x, %2 : tensor<2x3x16xf32>
  return %3 : tensor<2x3x16xf32>
}

// -----

// x * sigmoid(y) is not SiLU.
// CHECK-LABEL: func.func @no_silu_different_inputs
func.func @no_silu_different_inputs(%x: tensor<4x16xf32>, %y: tensor<4x16xf32>) -> tensor<4x16xf32> {
  // CHECK-NOT:  ffn.silu
  // CHECK:      math.exp
  %one = arith.constant dense<1.0> : tensor<4x16xf32>
  %0 = arith.negf %y : tensor<4x16xf32>
  %1 = math.exp %0 : tensor<4x16xf32>
  %2 = arith.addf %one, %1 : tensor<4x16xf32>
  %3 = arith.divf %one, %2 : tensor<4x16xf32>
  %4 = arith.mulf %x, %3 : tensor<4x16xf32>
  return %4 : tensor<4x16xf32>
}

// -----

// The sigmoid has a second user.
// CHECK-LABEL: func.func @no_silu_sigmoid_second_user
func.func @no_silu_sigmoid_second_user(%x: tensor<4x16xf32>) -> (tensor<4x16xf32>, tensor<4x16xf32>) {
  // CHECK-NOT:  ffn.silu
  // CHECK:      math.exp
  %one = arith.constant dense<1.0> : tensor<4x16xf32>
  %0 = arith.negf %x : tensor<4x16xf32>
  %1 = math.exp %0 : tensor<4x16xf32>
  %2 = arith.addf %one, %1 : tensor<4x16xf32>
  %3 = arith.divf %one, %2 : tensor<4x16xf32>
  %4 = arith.mulf %x, %3 : tensor<4x16xf32>
  return %4, %3 : tensor<4x16xf32>, tensor<4x16xf32>
}

// -----

// 2 / (1 + exp(-x)) is not a sigmoid.
// CHECK-LABEL: func.func @no_silu_wrong_numerator
func.func @no_silu_wrong_numerator(%x: tensor<4x16xf32>) -> tensor<4x16xf32> {
  // CHECK-NOT:  ffn.silu
  // CHECK:      math.exp
  %one = arith.constant dense<1.0> : tensor<4x16xf32>
  %two = arith.constant dense<2.0> : tensor<4x16xf32>
  %0 = arith.negf %x : tensor<4x16xf32>
  %1 = math.exp %0 : tensor<4x16xf32>
  %2 = arith.addf %one, %1 : tensor<4x16xf32>
  %3 = arith.divf %two, %2 : tensor<4x16xf32>
  %4 = arith.mulf %x, %3 : tensor<4x16xf32>
  return %4 : tensor<4x16xf32>
}

// -----

// exp(x) in place of exp(-x).
// CHECK-LABEL: func.func @no_silu_positive_exponent
func.func @no_silu_positive_exponent(%x: tensor<4x16xf32>) -> tensor<4x16xf32> {
  // CHECK-NOT:  ffn.silu
  // CHECK:      math.exp
  %one = arith.constant dense<1.0> : tensor<4x16xf32>
  %1 = math.exp %x : tensor<4x16xf32>
  %2 = arith.addf %one, %1 : tensor<4x16xf32>
  %3 = arith.divf %one, %2 : tensor<4x16xf32>
  %4 = arith.mulf %x, %3 : tensor<4x16xf32>
  return %4 : tensor<4x16xf32>
}
