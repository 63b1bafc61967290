// RUN: ffn-opt %s -ffn-raise-norms -split-input-file | FileCheck %s

// Llama export: Pow, ReduceMean, Add, Sqrt, Div, then Mul by the weight.
// CHECK-LABEL: func.func @rms_div_scale
// CHECK-SAME:    %[[X:[^:]+]]: tensor<4x8xf32>
// CHECK:      %[[G:.+]] = arith.constant dense<[1.000000e+00, {{.*}}]> : tensor<8xf32>
// CHECK:      %[[Y:.+]] = ffn.rms_norm %[[X]] scale %[[G]] {epsilon = 9.99999997E-7 : f32} : (tensor<4x8xf32>, tensor<8xf32>) -> tensor<4x8xf32>
// CHECK-NEXT: return %[[Y]]
func.func @rms_div_scale(%x: tensor<4x8xf32>) -> tensor<4x8xf32> {
  %two = arith.constant dense<2.0> : tensor<4x8xf32>
  %sq = math.powf %x, %two : tensor<4x8xf32>
  %m_z = arith.constant 0.0 : f32
  %m_e = tensor.empty() : tensor<4xf32>
  %m_i = linalg.fill ins(%m_z : f32) outs(%m_e : tensor<4xf32>) -> tensor<4xf32>
  %m_s = linalg.reduce ins(%sq : tensor<4x8xf32>) outs(%m_i : tensor<4xf32>) dimensions = [1]
    (%in: f32, %acc: f32) {
      %a = arith.addf %in, %acc : f32
      linalg.yield %a : f32
    }
  %m_n = arith.constant dense<8.0> : tensor<4xf32>
  %m_d = arith.divf %m_s, %m_n : tensor<4xf32>
  %ms = tensor.expand_shape %m_d [[0, 1]] output_shape [4, 1] : tensor<4xf32> into tensor<4x1xf32>
  %eps = arith.constant dense<1.0e-06> : tensor<4x1xf32>
  %v = arith.addf %ms, %eps : tensor<4x1xf32>
  %s = math.sqrt %v : tensor<4x1xf32>
  %b_c = tensor.collapse_shape %s [[0, 1]] : tensor<4x1xf32> into tensor<4xf32>
  %b_e = tensor.empty() : tensor<4x8xf32>
  %sb = linalg.broadcast ins(%b_c : tensor<4xf32>) outs(%b_e : tensor<4x8xf32>) dimensions = [1]
  %n = arith.divf %x, %sb : tensor<4x8xf32>
  %g_v = arith.constant dense<[1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0]> : tensor<8xf32>
  %g_e = tensor.empty() : tensor<4x8xf32>
  %gb = linalg.broadcast ins(%g_v : tensor<8xf32>) outs(%g_e : tensor<4x8xf32>) dimensions = [0]
  %y = arith.mulf %n, %gb : tensor<4x8xf32>
  return %y : tensor<4x8xf32>
}

// -----

// HF Llama: x * rsqrt(mean(x * x) + eps), weight * that.
// CHECK-LABEL: func.func @rms_rsqrt_weight_first
// CHECK-SAME:    %[[X:[^:]+]]: tensor<4x8xf32>
// CHECK:      %[[G:.+]] = arith.constant dense<[1.000000e+00, {{.*}}]> : tensor<8xf32>
// The epsilon is the default (1e-5) and is not printed.
// CHECK:      %[[Y:.+]] = ffn.rms_norm %[[X]] scale %[[G]] : (tensor<4x8xf32>, tensor<8xf32>) -> tensor<4x8xf32>
// CHECK-NEXT: return %[[Y]]
func.func @rms_rsqrt_weight_first(%x: tensor<4x8xf32>) -> tensor<4x8xf32> {
  %sq = arith.mulf %x, %x : tensor<4x8xf32>
  %m_z = arith.constant 0.0 : f32
  %m_e = tensor.empty() : tensor<4xf32>
  %m_i = linalg.fill ins(%m_z : f32) outs(%m_e : tensor<4xf32>) -> tensor<4xf32>
  %m_s = linalg.reduce ins(%sq : tensor<4x8xf32>) outs(%m_i : tensor<4xf32>) dimensions = [1]
    (%in: f32, %acc: f32) {
      %a = arith.addf %in, %acc : f32
      linalg.yield %a : f32
    }
  %m_n = arith.constant dense<8.0> : tensor<4xf32>
  %m_d = arith.divf %m_s, %m_n : tensor<4xf32>
  %ms = tensor.expand_shape %m_d [[0, 1]] output_shape [4, 1] : tensor<4xf32> into tensor<4x1xf32>
  %eps = arith.constant dense<1.0e-05> : tensor<4x1xf32>
  %v = arith.addf %ms, %eps : tensor<4x1xf32>
  %r = math.rsqrt %v : tensor<4x1xf32>
  %b_c = tensor.collapse_shape %r [[0, 1]] : tensor<4x1xf32> into tensor<4xf32>
  %b_e = tensor.empty() : tensor<4x8xf32>
  %rb = linalg.broadcast ins(%b_c : tensor<4xf32>) outs(%b_e : tensor<4x8xf32>) dimensions = [1]
  %n = arith.mulf %x, %rb : tensor<4x8xf32>
  %g_v = arith.constant dense<[1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0]> : tensor<8xf32>
  %g_e = tensor.empty() : tensor<4x8xf32>
  %gb = linalg.broadcast ins(%g_v : tensor<8xf32>) outs(%g_e : tensor<4x8xf32>) dimensions = [0]
  %y = arith.mulf %gb, %n : tensor<4x8xf32>
  return %y : tensor<4x8xf32>
}

// -----

// Reciprocal(Sqrt(...)) times x, without a weight.
// CHECK-LABEL: func.func @rms_reciprocal_no_scale
// CHECK-SAME:    %[[X:[^:]+]]: tensor<4x8xf32>
// CHECK:      %[[Y:.+]] = ffn.rms_norm %[[X]] {epsilon = 9.99999997E-7 : f32} : (tensor<4x8xf32>) -> tensor<4x8xf32>
// CHECK-NEXT: return %[[Y]]
func.func @rms_reciprocal_no_scale(%x: tensor<4x8xf32>) -> tensor<4x8xf32> {
  %two = arith.constant dense<2.0> : tensor<4x8xf32>
  %sq = math.powf %x, %two : tensor<4x8xf32>
  %m_z = arith.constant 0.0 : f32
  %m_e = tensor.empty() : tensor<4xf32>
  %m_i = linalg.fill ins(%m_z : f32) outs(%m_e : tensor<4xf32>) -> tensor<4xf32>
  %m_s = linalg.reduce ins(%sq : tensor<4x8xf32>) outs(%m_i : tensor<4xf32>) dimensions = [1]
    (%in: f32, %acc: f32) {
      %a = arith.addf %in, %acc : f32
      linalg.yield %a : f32
    }
  %m_n = arith.constant dense<8.0> : tensor<4xf32>
  %m_d = arith.divf %m_s, %m_n : tensor<4xf32>
  %ms = tensor.expand_shape %m_d [[0, 1]] output_shape [4, 1] : tensor<4xf32> into tensor<4x1xf32>
  %eps = arith.constant dense<1.0e-06> : tensor<4x1xf32>
  %v = arith.addf %ms, %eps : tensor<4x1xf32>
  %s = math.sqrt %v : tensor<4x1xf32>
  %one = arith.constant dense<1.0> : tensor<4x1xf32>
  %r = arith.divf %one, %s : tensor<4x1xf32>
  %b_c = tensor.collapse_shape %r [[0, 1]] : tensor<4x1xf32> into tensor<4xf32>
  %b_e = tensor.empty() : tensor<4x8xf32>
  %rb = linalg.broadcast ins(%b_c : tensor<4xf32>) outs(%b_e : tensor<4x8xf32>) dimensions = [1]
  %y = arith.mulf %rb, %x : tensor<4x8xf32>
  return %y : tensor<4x8xf32>
}

// -----

// The mean as a reducing linalg.generic multiplied by 1/N, on rank 3, with
// the broadcast before the reciprocal.
// CHECK-LABEL: func.func @rms_generic_mean_rank3
// CHECK-SAME:    %[[X:[^:]+]]: tensor<2x3x8xf32>
// CHECK:      %[[Y:.+]] = ffn.rms_norm %[[X]] {epsilon = 9.99999997E-7 : f32} : (tensor<2x3x8xf32>) -> tensor<2x3x8xf32>
// CHECK-NEXT: return %[[Y]]
func.func @rms_generic_mean_rank3(%x: tensor<2x3x8xf32>) -> tensor<2x3x8xf32> {
  %sq = arith.mulf %x, %x : tensor<2x3x8xf32>
  %zero = arith.constant dense<0.0> : tensor<2x3xf32>
  %sum = linalg.generic {indexing_maps = [affine_map<(d0, d1, d2) -> (d0, d1, d2)>, affine_map<(d0, d1, d2) -> (d0, d1)>],
                         iterator_types = ["parallel", "parallel", "reduction"]}
      ins(%sq : tensor<2x3x8xf32>) outs(%zero : tensor<2x3xf32>) {
    ^bb0(%in: f32, %acc: f32):
      %a = arith.addf %acc, %in : f32
      linalg.yield %a : f32
  } -> tensor<2x3xf32>
  %inv = arith.constant dense<0.125> : tensor<2x3xf32>
  %mean = arith.mulf %inv, %sum : tensor<2x3xf32>
  %eps = arith.constant dense<1.0e-06> : tensor<2x3xf32>
  %v = arith.addf %eps, %mean : tensor<2x3xf32>
  %s = math.sqrt %v : tensor<2x3xf32>
  %e = tensor.empty() : tensor<2x3x8xf32>
  %sb = linalg.broadcast ins(%s : tensor<2x3xf32>) outs(%e : tensor<2x3x8xf32>) dimensions = [2]
  %one = arith.constant dense<1.0> : tensor<2x3x8xf32>
  %r = arith.divf %one, %sb : tensor<2x3x8xf32>
  %y = arith.mulf %x, %r : tensor<2x3x8xf32>
  return %y : tensor<2x3x8xf32>
}

// -----

// Dynamic tokens: the per-row values are dynamic, the features static.
// CHECK-LABEL: func.func @rms_dynamic_tokens
// CHECK-SAME:    %[[X:[^:]+]]: tensor<?x8xf32>
// CHECK:      %[[Y:.+]] = ffn.rms_norm %[[X]] {epsilon = 9.99999997E-7 : f32} : (tensor<?x8xf32>) -> tensor<?x8xf32>
// CHECK-NEXT: return %[[Y]]
func.func @rms_dynamic_tokens(%x: tensor<?x8xf32>) -> tensor<?x8xf32> {
  %c0 = arith.constant 0 : index
  %t = tensor.dim %x, %c0 : tensor<?x8xf32>
  %full = tensor.empty(%t) : tensor<?x8xf32>
  %rows = tensor.empty(%t) : tensor<?xf32>
  %two0 = arith.constant dense<2.0> : tensor<f32>
  %two = linalg.broadcast ins(%two0 : tensor<f32>) outs(%full : tensor<?x8xf32>) dimensions = [0, 1]
  %sq = math.powf %x, %two : tensor<?x8xf32>
  %z = arith.constant 0.0 : f32
  %init = linalg.fill ins(%z : f32) outs(%rows : tensor<?xf32>) -> tensor<?xf32>
  %sum = linalg.reduce ins(%sq : tensor<?x8xf32>) outs(%init : tensor<?xf32>) dimensions = [1]
    (%in: f32, %acc: f32) {
      %a = arith.addf %in, %acc : f32
      linalg.yield %a : f32
    }
  %n0 = arith.constant dense<8.0> : tensor<f32>
  %n = linalg.broadcast ins(%n0 : tensor<f32>) outs(%rows : tensor<?xf32>) dimensions = [0]
  %mean = arith.divf %sum, %n : tensor<?xf32>
  %eps0 = arith.constant dense<1.0e-06> : tensor<f32>
  %eps = linalg.broadcast ins(%eps0 : tensor<f32>) outs(%rows : tensor<?xf32>) dimensions = [0]
  %v = arith.addf %mean, %eps : tensor<?xf32>
  %s = math.sqrt %v : tensor<?xf32>
  %sb = linalg.broadcast ins(%s : tensor<?xf32>) outs(%full : tensor<?x8xf32>) dimensions = [1]
  %y = arith.divf %x, %sb : tensor<?x8xf32>
  return %y : tensor<?x8xf32>
}

// -----

// A weight passed as an argument stays a multiplication.
// CHECK-LABEL: func.func @rms_scale_not_constant
// CHECK-SAME:    %[[X:[^:]+]]: tensor<4x8xf32>
// CHECK:      %[[N:.+]] = ffn.rms_norm %[[X]] {epsilon = 9.99999997E-7 : f32}
// CHECK:      linalg.broadcast
// CHECK:      %[[Y:.+]] = arith.mulf %[[N]]
// CHECK-NEXT: return %[[Y]]
func.func @rms_scale_not_constant(%x: tensor<4x8xf32>, %g: tensor<8xf32>) -> tensor<4x8xf32> {
  %two = arith.constant dense<2.0> : tensor<4x8xf32>
  %sq = math.powf %x, %two : tensor<4x8xf32>
  %m_z = arith.constant 0.0 : f32
  %m_e = tensor.empty() : tensor<4xf32>
  %m_i = linalg.fill ins(%m_z : f32) outs(%m_e : tensor<4xf32>) -> tensor<4xf32>
  %m_s = linalg.reduce ins(%sq : tensor<4x8xf32>) outs(%m_i : tensor<4xf32>) dimensions = [1]
    (%in: f32, %acc: f32) {
      %a = arith.addf %in, %acc : f32
      linalg.yield %a : f32
    }
  %m_n = arith.constant dense<8.0> : tensor<4xf32>
  %m_d = arith.divf %m_s, %m_n : tensor<4xf32>
  %ms = tensor.expand_shape %m_d [[0, 1]] output_shape [4, 1] : tensor<4xf32> into tensor<4x1xf32>
  %eps = arith.constant dense<1.0e-06> : tensor<4x1xf32>
  %v = arith.addf %ms, %eps : tensor<4x1xf32>
  %s = math.sqrt %v : tensor<4x1xf32>
  %b_c = tensor.collapse_shape %s [[0, 1]] : tensor<4x1xf32> into tensor<4xf32>
  %b_e = tensor.empty() : tensor<4x8xf32>
  %sb = linalg.broadcast ins(%b_c : tensor<4xf32>) outs(%b_e : tensor<4x8xf32>) dimensions = [1]
  %n = arith.divf %x, %sb : tensor<4x8xf32>
  %ge = tensor.empty() : tensor<4x8xf32>
  %gb = linalg.broadcast ins(%g : tensor<8xf32>) outs(%ge : tensor<4x8xf32>) dimensions = [0]
  %y = arith.mulf %n, %gb : tensor<4x8xf32>
  return %y : tensor<4x8xf32>
}

// -----

// The sum is divided by 4, but 8 elements are summed.
// CHECK-LABEL: func.func @no_rms_wrong_count
// CHECK-NOT:  ffn.rms_norm
// CHECK:      math.sqrt
func.func @no_rms_wrong_count(%x: tensor<4x8xf32>) -> tensor<4x8xf32> {
  %two = arith.constant dense<2.0> : tensor<4x8xf32>
  %sq = math.powf %x, %two : tensor<4x8xf32>
  %m_z = arith.constant 0.0 : f32
  %m_e = tensor.empty() : tensor<4xf32>
  %m_i = linalg.fill ins(%m_z : f32) outs(%m_e : tensor<4xf32>) -> tensor<4xf32>
  %m_s = linalg.reduce ins(%sq : tensor<4x8xf32>) outs(%m_i : tensor<4xf32>) dimensions = [1]
    (%in: f32, %acc: f32) {
      %a = arith.addf %in, %acc : f32
      linalg.yield %a : f32
    }
  %m_n = arith.constant dense<4.0> : tensor<4xf32>
  %m_d = arith.divf %m_s, %m_n : tensor<4xf32>
  %ms = tensor.expand_shape %m_d [[0, 1]] output_shape [4, 1] : tensor<4xf32> into tensor<4x1xf32>
  %eps = arith.constant dense<1.0e-06> : tensor<4x1xf32>
  %v = arith.addf %ms, %eps : tensor<4x1xf32>
  %s = math.sqrt %v : tensor<4x1xf32>
  %b_c = tensor.collapse_shape %s [[0, 1]] : tensor<4x1xf32> into tensor<4xf32>
  %b_e = tensor.empty() : tensor<4x8xf32>
  %sb = linalg.broadcast ins(%b_c : tensor<4xf32>) outs(%b_e : tensor<4x8xf32>) dimensions = [1]
  %y = arith.divf %x, %sb : tensor<4x8xf32>
  return %y : tensor<4x8xf32>
}

// -----

// The mean squares y, the division normalises x.
// CHECK-LABEL: func.func @no_rms_squares_other_value
// CHECK-NOT:  ffn.rms_norm
// CHECK:      math.sqrt
func.func @no_rms_squares_other_value(%x: tensor<4x8xf32>, %z: tensor<4x8xf32>) -> tensor<4x8xf32> {
  %two = arith.constant dense<2.0> : tensor<4x8xf32>
  %sq = math.powf %z, %two : tensor<4x8xf32>
  %m_z = arith.constant 0.0 : f32
  %m_e = tensor.empty() : tensor<4xf32>
  %m_i = linalg.fill ins(%m_z : f32) outs(%m_e : tensor<4xf32>) -> tensor<4xf32>
  %m_s = linalg.reduce ins(%sq : tensor<4x8xf32>) outs(%m_i : tensor<4xf32>) dimensions = [1]
    (%in: f32, %acc: f32) {
      %a = arith.addf %in, %acc : f32
      linalg.yield %a : f32
    }
  %m_n = arith.constant dense<8.0> : tensor<4xf32>
  %m_d = arith.divf %m_s, %m_n : tensor<4xf32>
  %ms = tensor.expand_shape %m_d [[0, 1]] output_shape [4, 1] : tensor<4xf32> into tensor<4x1xf32>
  %eps = arith.constant dense<1.0e-06> : tensor<4x1xf32>
  %v = arith.addf %ms, %eps : tensor<4x1xf32>
  %s = math.sqrt %v : tensor<4x1xf32>
  %b_c = tensor.collapse_shape %s [[0, 1]] : tensor<4x1xf32> into tensor<4xf32>
  %b_e = tensor.empty() : tensor<4x8xf32>
  %sb = linalg.broadcast ins(%b_c : tensor<4xf32>) outs(%b_e : tensor<4x8xf32>) dimensions = [1]
  %y = arith.divf %x, %sb : tensor<4x8xf32>
  return %y : tensor<4x8xf32>
}

// -----

// The sum starts from 1.
// CHECK-LABEL: func.func @no_rms_nonzero_init
// CHECK-NOT:  ffn.rms_norm
// CHECK:      math.sqrt
func.func @no_rms_nonzero_init(%x: tensor<4x8xf32>) -> tensor<4x8xf32> {
  %two = arith.constant dense<2.0> : tensor<4x8xf32>
  %sq = math.powf %x, %two : tensor<4x8xf32>
  %m_z = arith.constant 1.0 : f32
  %m_e = tensor.empty() : tensor<4xf32>
  %m_i = linalg.fill ins(%m_z : f32) outs(%m_e : tensor<4xf32>) -> tensor<4xf32>
  %m_s = linalg.reduce ins(%sq : tensor<4x8xf32>) outs(%m_i : tensor<4xf32>) dimensions = [1]
    (%in: f32, %acc: f32) {
      %a = arith.addf %in, %acc : f32
      linalg.yield %a : f32
    }
  %m_n = arith.constant dense<8.0> : tensor<4xf32>
  %m_d = arith.divf %m_s, %m_n : tensor<4xf32>
  %ms = tensor.expand_shape %m_d [[0, 1]] output_shape [4, 1] : tensor<4xf32> into tensor<4x1xf32>
  %eps = arith.constant dense<1.0e-06> : tensor<4x1xf32>
  %v = arith.addf %ms, %eps : tensor<4x1xf32>
  %s = math.sqrt %v : tensor<4x1xf32>
  %b_c = tensor.collapse_shape %s [[0, 1]] : tensor<4x1xf32> into tensor<4xf32>
  %b_e = tensor.empty() : tensor<4x8xf32>
  %sb = linalg.broadcast ins(%b_c : tensor<4xf32>) outs(%b_e : tensor<4x8xf32>) dimensions = [1]
  %y = arith.divf %x, %sb : tensor<4x8xf32>
  return %y : tensor<4x8xf32>
}

// -----

// A product reduction is not a sum.
// CHECK-LABEL: func.func @no_rms_product_reduction
// CHECK-NOT:  ffn.rms_norm
// CHECK:      math.sqrt
func.func @no_rms_product_reduction(%x: tensor<4x8xf32>) -> tensor<4x8xf32> {
  %two = arith.constant dense<2.0> : tensor<4x8xf32>
  %sq = math.powf %x, %two : tensor<4x8xf32>
  %m_z = arith.constant 0.0 : f32
  %m_e = tensor.empty() : tensor<4xf32>
  %m_i = linalg.fill ins(%m_z : f32) outs(%m_e : tensor<4xf32>) -> tensor<4xf32>
  %m_s = linalg.reduce ins(%sq : tensor<4x8xf32>) outs(%m_i : tensor<4xf32>) dimensions = [1]
    (%in: f32, %acc: f32) {
      %a = arith.mulf %in, %acc : f32
      linalg.yield %a : f32
    }
  %m_n = arith.constant dense<8.0> : tensor<4xf32>
  %m_d = arith.divf %m_s, %m_n : tensor<4xf32>
  %ms = tensor.expand_shape %m_d [[0, 1]] output_shape [4, 1] : tensor<4xf32> into tensor<4x1xf32>
  %eps = arith.constant dense<1.0e-06> : tensor<4x1xf32>
  %v = arith.addf %ms, %eps : tensor<4x1xf32>
  %s = math.sqrt %v : tensor<4x1xf32>
  %b_c = tensor.collapse_shape %s [[0, 1]] : tensor<4x1xf32> into tensor<4xf32>
  %b_e = tensor.empty() : tensor<4x8xf32>
  %sb = linalg.broadcast ins(%b_c : tensor<4xf32>) outs(%b_e : tensor<4x8xf32>) dimensions = [1]
  %y = arith.divf %x, %sb : tensor<4x8xf32>
  return %y : tensor<4x8xf32>
}

// -----

// The epsilon is a run-time value.
// CHECK-LABEL: func.func @no_rms_epsilon_not_constant
// CHECK-NOT:  ffn.rms_norm
// CHECK:      math.sqrt
func.func @no_rms_epsilon_not_constant(%x: tensor<4x8xf32>, %e: tensor<4x1xf32>) -> tensor<4x8xf32> {
  %two = arith.constant dense<2.0> : tensor<4x8xf32>
  %sq = math.powf %x, %two : tensor<4x8xf32>
  %m_z = arith.constant 0.0 : f32
  %m_e = tensor.empty() : tensor<4xf32>
  %m_i = linalg.fill ins(%m_z : f32) outs(%m_e : tensor<4xf32>) -> tensor<4xf32>
  %m_s = linalg.reduce ins(%sq : tensor<4x8xf32>) outs(%m_i : tensor<4xf32>) dimensions = [1]
    (%in: f32, %acc: f32) {
      %a = arith.addf %in, %acc : f32
      linalg.yield %a : f32
    }
  %m_n = arith.constant dense<8.0> : tensor<4xf32>
  %m_d = arith.divf %m_s, %m_n : tensor<4xf32>
  %ms = tensor.expand_shape %m_d [[0, 1]] output_shape [4, 1] : tensor<4xf32> into tensor<4x1xf32>
  %v = arith.addf %ms, %e : tensor<4x1xf32>
  %s = math.sqrt %v : tensor<4x1xf32>
  %b_c = tensor.collapse_shape %s [[0, 1]] : tensor<4x1xf32> into tensor<4xf32>
  %b_e = tensor.empty() : tensor<4x8xf32>
  %sb = linalg.broadcast ins(%b_c : tensor<4xf32>) outs(%b_e : tensor<4x8xf32>) dimensions = [1]
  %y = arith.divf %x, %sb : tensor<4x8xf32>
  return %y : tensor<4x8xf32>
}

// -----

// The mean of squares has a second user.
// CHECK-LABEL: func.func @no_rms_mean_second_user
// CHECK-NOT:  ffn.rms_norm
// CHECK:      math.sqrt
func.func @no_rms_mean_second_user(%x: tensor<4x8xf32>) -> (tensor<4x8xf32>, tensor<4x1xf32>) {
  %two = arith.constant dense<2.0> : tensor<4x8xf32>
  %sq = math.powf %x, %two : tensor<4x8xf32>
  %m_z = arith.constant 0.0 : f32
  %m_e = tensor.empty() : tensor<4xf32>
  %m_i = linalg.fill ins(%m_z : f32) outs(%m_e : tensor<4xf32>) -> tensor<4xf32>
  %m_s = linalg.reduce ins(%sq : tensor<4x8xf32>) outs(%m_i : tensor<4xf32>) dimensions = [1]
    (%in: f32, %acc: f32) {
      %a = arith.addf %in, %acc : f32
      linalg.yield %a : f32
    }
  %m_n = arith.constant dense<8.0> : tensor<4xf32>
  %m_d = arith.divf %m_s, %m_n : tensor<4xf32>
  %ms = tensor.expand_shape %m_d [[0, 1]] output_shape [4, 1] : tensor<4xf32> into tensor<4x1xf32>
  %eps = arith.constant dense<1.0e-06> : tensor<4x1xf32>
  %v = arith.addf %ms, %eps : tensor<4x1xf32>
  %s = math.sqrt %v : tensor<4x1xf32>
  %b_c = tensor.collapse_shape %s [[0, 1]] : tensor<4x1xf32> into tensor<4xf32>
  %b_e = tensor.empty() : tensor<4x8xf32>
  %sb = linalg.broadcast ins(%b_c : tensor<4xf32>) outs(%b_e : tensor<4x8xf32>) dimensions = [1]
  %y = arith.divf %x, %sb : tensor<4x8xf32>
  return %y, %ms : tensor<4x8xf32>, tensor<4x1xf32>
}

// -----

// The reduction runs over the tokens, not the features.
// CHECK-LABEL: func.func @no_rms_reduces_tokens
// CHECK-NOT:  ffn.rms_norm
// CHECK:      math.sqrt
func.func @no_rms_reduces_tokens(%x: tensor<8x8xf32>) -> tensor<8x8xf32> {
  %sq = arith.mulf %x, %x : tensor<8x8xf32>
  %z = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<8xf32>
  %init = linalg.fill ins(%z : f32) outs(%e : tensor<8xf32>) -> tensor<8xf32>
  %sum = linalg.reduce ins(%sq : tensor<8x8xf32>) outs(%init : tensor<8xf32>) dimensions = [0]
    (%in: f32, %acc: f32) {
      %a = arith.addf %in, %acc : f32
      linalg.yield %a : f32
    }
  %n = arith.constant dense<8.0> : tensor<8xf32>
  %mean = arith.divf %sum, %n : tensor<8xf32>
  %eps = arith.constant dense<1.0e-06> : tensor<8xf32>
  %v = arith.addf %mean, %eps : tensor<8xf32>
  %s = math.sqrt %v : tensor<8xf32>
  %full = tensor.empty() : tensor<8x8xf32>
  %sb = linalg.broadcast ins(%s : tensor<8xf32>) outs(%full : tensor<8x8xf32>) dimensions = [1]
  %y = arith.divf %x, %sb : tensor<8x8xf32>
  return %y : tensor<8x8xf32>
}

// -----

// The per-row value is broadcast along the tokens (dimensions = [0]): the
// division does not normalise rows.
// CHECK-LABEL: func.func @no_rms_broadcast_along_tokens
// CHECK-NOT:  ffn.rms_norm
// CHECK:      math.sqrt
func.func @no_rms_broadcast_along_tokens(%x: tensor<8x8xf32>) -> tensor<8x8xf32> {
  %sq = arith.mulf %x, %x : tensor<8x8xf32>
  %z = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<8xf32>
  %init = linalg.fill ins(%z : f32) outs(%e : tensor<8xf32>) -> tensor<8xf32>
  %sum = linalg.reduce ins(%sq : tensor<8x8xf32>) outs(%init : tensor<8xf32>) dimensions = [1]
    (%in: f32, %acc: f32) {
      %a = arith.addf %in, %acc : f32
      linalg.yield %a : f32
    }
  %n = arith.constant dense<8.0> : tensor<8xf32>
  %mean = arith.divf %sum, %n : tensor<8xf32>
  %eps = arith.constant dense<1.0e-06> : tensor<8xf32>
  %v = arith.addf %mean, %eps : tensor<8xf32>
  %s = math.sqrt %v : tensor<8xf32>
  %full = tensor.empty() : tensor<8x8xf32>
  %sb = linalg.broadcast ins(%s : tensor<8xf32>) outs(%full : tensor<8x8xf32>) dimensions = [0]
  %y = arith.divf %x, %sb : tensor<8x8xf32>
  return %y : tensor<8x8xf32>
}

// -----

// LayerNormalization before opset 17: mean, x - mean, Pow, mean, Add, Sqrt, Div, Mul, Add.
// CHECK-LABEL: func.func @layer_norm_affine
// CHECK-SAME:    %[[X:[^:]+]]: tensor<4x8xf32>
// CHECK-DAG:  %[[G:.+]] = arith.constant dense<[1.000000e+00, {{.*}}]> : tensor<8xf32>
// CHECK-DAG:  %[[B:.+]] = arith.constant dense<[5.000000e-01, {{.*}}]> : tensor<8xf32>
// CHECK:      %[[Y:.+]] = ffn.layer_norm %[[X]] scale %[[G]] bias %[[B]] {epsilon = 9.99999996E-13 : f32}
// CHECK-NEXT: return %[[Y]]
func.func @layer_norm_affine(%x: tensor<4x8xf32>) -> tensor<4x8xf32> {
  %a_z = arith.constant 0.0 : f32
  %a_e = tensor.empty() : tensor<4xf32>
  %a_i = linalg.fill ins(%a_z : f32) outs(%a_e : tensor<4xf32>) -> tensor<4xf32>
  %a_s = linalg.reduce ins(%x : tensor<4x8xf32>) outs(%a_i : tensor<4xf32>) dimensions = [1]
    (%in: f32, %acc: f32) {
      %a = arith.addf %in, %acc : f32
      linalg.yield %a : f32
    }
  %a_n = arith.constant dense<8.0> : tensor<4xf32>
  %a_d = arith.divf %a_s, %a_n : tensor<4xf32>
  %mx = tensor.expand_shape %a_d [[0, 1]] output_shape [4, 1] : tensor<4xf32> into tensor<4x1xf32>
  %c_c = tensor.collapse_shape %mx [[0, 1]] : tensor<4x1xf32> into tensor<4xf32>
  %c_e = tensor.empty() : tensor<4x8xf32>
  %mxb = linalg.broadcast ins(%c_c : tensor<4xf32>) outs(%c_e : tensor<4x8xf32>) dimensions = [1]
  %d = arith.subf %x, %mxb : tensor<4x8xf32>
  %two = arith.constant dense<2.0> : tensor<4x8xf32>
  %sq = math.powf %d, %two : tensor<4x8xf32>
  %b_z = arith.constant 0.0 : f32
  %b_e = tensor.empty() : tensor<4xf32>
  %b_i = linalg.fill ins(%b_z : f32) outs(%b_e : tensor<4xf32>) -> tensor<4xf32>
  %b_s = linalg.reduce ins(%sq : tensor<4x8xf32>) outs(%b_i : tensor<4xf32>) dimensions = [1]
    (%in: f32, %acc: f32) {
      %a = arith.addf %in, %acc : f32
      linalg.yield %a : f32
    }
  %b_n = arith.constant dense<8.0> : tensor<4xf32>
  %b_d = arith.divf %b_s, %b_n : tensor<4xf32>
  %var = tensor.expand_shape %b_d [[0, 1]] output_shape [4, 1] : tensor<4xf32> into tensor<4x1xf32>
  %eps = arith.constant dense<1.0e-12> : tensor<4x1xf32>
  %v = arith.addf %var, %eps : tensor<4x1xf32>
  %s = math.sqrt %v : tensor<4x1xf32>
  %e_c = tensor.collapse_shape %s [[0, 1]] : tensor<4x1xf32> into tensor<4xf32>
  %e_e = tensor.empty() : tensor<4x8xf32>
  %sb = linalg.broadcast ins(%e_c : tensor<4xf32>) outs(%e_e : tensor<4x8xf32>) dimensions = [1]
  %n = arith.divf %d, %sb : tensor<4x8xf32>
  %g_v = arith.constant dense<[1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0]> : tensor<8xf32>
  %g_e = tensor.empty() : tensor<4x8xf32>
  %gb = linalg.broadcast ins(%g_v : tensor<8xf32>) outs(%g_e : tensor<4x8xf32>) dimensions = [0]
  %ng = arith.mulf %n, %gb : tensor<4x8xf32>
  %h_v = arith.constant dense<[0.5, 0.5, 0.5, 0.5, -0.5, -0.5, -0.5, -0.5]> : tensor<8xf32>
  %h_e = tensor.empty() : tensor<4x8xf32>
  %bb = linalg.broadcast ins(%h_v : tensor<8xf32>) outs(%h_e : tensor<4x8xf32>) dimensions = [0]
  %y = arith.addf %bb, %ng : tensor<4x8xf32>
  return %y : tensor<4x8xf32>
}

// -----

// d * d and rsqrt, without scale and bias.
// CHECK-LABEL: func.func @layer_norm_rsqrt_plain
// CHECK-SAME:    %[[X:[^:]+]]: tensor<4x8xf32>
// CHECK:      %[[Y:.+]] = ffn.layer_norm %[[X]] {epsilon = 9.99999996E-13 : f32} : (tensor<4x8xf32>) -> tensor<4x8xf32>
// CHECK-NEXT: return %[[Y]]
func.func @layer_norm_rsqrt_plain(%x: tensor<4x8xf32>) -> tensor<4x8xf32> {
  %a_z = arith.constant 0.0 : f32
  %a_e = tensor.empty() : tensor<4xf32>
  %a_i = linalg.fill ins(%a_z : f32) outs(%a_e : tensor<4xf32>) -> tensor<4xf32>
  %a_s = linalg.reduce ins(%x : tensor<4x8xf32>) outs(%a_i : tensor<4xf32>) dimensions = [1]
    (%in: f32, %acc: f32) {
      %a = arith.addf %in, %acc : f32
      linalg.yield %a : f32
    }
  %a_n = arith.constant dense<8.0> : tensor<4xf32>
  %a_d = arith.divf %a_s, %a_n : tensor<4xf32>
  %mx = tensor.expand_shape %a_d [[0, 1]] output_shape [4, 1] : tensor<4xf32> into tensor<4x1xf32>
  %c_c = tensor.collapse_shape %mx [[0, 1]] : tensor<4x1xf32> into tensor<4xf32>
  %c_e = tensor.empty() : tensor<4x8xf32>
  %mxb = linalg.broadcast ins(%c_c : tensor<4xf32>) outs(%c_e : tensor<4x8xf32>) dimensions = [1]
  %d = arith.subf %x, %mxb : tensor<4x8xf32>
  %sq = arith.mulf %d, %d : tensor<4x8xf32>
  %b_z = arith.constant 0.0 : f32
  %b_e = tensor.empty() : tensor<4xf32>
  %b_i = linalg.fill ins(%b_z : f32) outs(%b_e : tensor<4xf32>) -> tensor<4xf32>
  %b_s = linalg.reduce ins(%sq : tensor<4x8xf32>) outs(%b_i : tensor<4xf32>) dimensions = [1]
    (%in: f32, %acc: f32) {
      %a = arith.addf %in, %acc : f32
      linalg.yield %a : f32
    }
  %b_n = arith.constant dense<8.0> : tensor<4xf32>
  %b_d = arith.divf %b_s, %b_n : tensor<4xf32>
  %var = tensor.expand_shape %b_d [[0, 1]] output_shape [4, 1] : tensor<4xf32> into tensor<4x1xf32>
  %eps = arith.constant dense<1.0e-12> : tensor<4x1xf32>
  %v = arith.addf %var, %eps : tensor<4x1xf32>
  %r = math.rsqrt %v : tensor<4x1xf32>
  %e_c = tensor.collapse_shape %r [[0, 1]] : tensor<4x1xf32> into tensor<4xf32>
  %e_e = tensor.empty() : tensor<4x8xf32>
  %rb = linalg.broadcast ins(%e_c : tensor<4xf32>) outs(%e_e : tensor<4x8xf32>) dimensions = [1]
  %y = arith.mulf %d, %rb : tensor<4x8xf32>
  return %y : tensor<4x8xf32>
}

// -----

// x - mean(x) has a third user: nothing is raised.
// CHECK-LABEL: func.func @no_layer_norm_centred_second_user
// CHECK-NOT:  ffn.layer_norm
// CHECK-NOT:  ffn.rms_norm
// CHECK:      math.sqrt
func.func @no_layer_norm_centred_second_user(%x: tensor<4x8xf32>) -> (tensor<4x8xf32>, tensor<4x8xf32>) {
  %a_z = arith.constant 0.0 : f32
  %a_e = tensor.empty() : tensor<4xf32>
  %a_i = linalg.fill ins(%a_z : f32) outs(%a_e : tensor<4xf32>) -> tensor<4xf32>
  %a_s = linalg.reduce ins(%x : tensor<4x8xf32>) outs(%a_i : tensor<4xf32>) dimensions = [1]
    (%in: f32, %acc: f32) {
      %a = arith.addf %in, %acc : f32
      linalg.yield %a : f32
    }
  %a_n = arith.constant dense<8.0> : tensor<4xf32>
  %a_d = arith.divf %a_s, %a_n : tensor<4xf32>
  %mx = tensor.expand_shape %a_d [[0, 1]] output_shape [4, 1] : tensor<4xf32> into tensor<4x1xf32>
  %c_c = tensor.collapse_shape %mx [[0, 1]] : tensor<4x1xf32> into tensor<4xf32>
  %c_e = tensor.empty() : tensor<4x8xf32>
  %mxb = linalg.broadcast ins(%c_c : tensor<4xf32>) outs(%c_e : tensor<4x8xf32>) dimensions = [1]
  %d = arith.subf %x, %mxb : tensor<4x8xf32>
  %two = arith.constant dense<2.0> : tensor<4x8xf32>
  %sq = math.powf %d, %two : tensor<4x8xf32>
  %b_z = arith.constant 0.0 : f32
  %b_e = tensor.empty() : tensor<4xf32>
  %b_i = linalg.fill ins(%b_z : f32) outs(%b_e : tensor<4xf32>) -> tensor<4xf32>
  %b_s = linalg.reduce ins(%sq : tensor<4x8xf32>) outs(%b_i : tensor<4xf32>) dimensions = [1]
    (%in: f32, %acc: f32) {
      %a = arith.addf %in, %acc : f32
      linalg.yield %a : f32
    }
  %b_n = arith.constant dense<8.0> : tensor<4xf32>
  %b_d = arith.divf %b_s, %b_n : tensor<4xf32>
  %var = tensor.expand_shape %b_d [[0, 1]] output_shape [4, 1] : tensor<4xf32> into tensor<4x1xf32>
  %eps = arith.constant dense<1.0e-12> : tensor<4x1xf32>
  %v = arith.addf %var, %eps : tensor<4x1xf32>
  %s = math.sqrt %v : tensor<4x1xf32>
  %e_c = tensor.collapse_shape %s [[0, 1]] : tensor<4x1xf32> into tensor<4xf32>
  %e_e = tensor.empty() : tensor<4x8xf32>
  %sb = linalg.broadcast ins(%e_c : tensor<4xf32>) outs(%e_e : tensor<4x8xf32>) dimensions = [1]
  %y = arith.divf %d, %sb : tensor<4x8xf32>
  return %y, %d : tensor<4x8xf32>, tensor<4x8xf32>
}

// -----

// (LN(x) + b) * g: the bias joins the norm, the later scale must not.
// CHECK-LABEL: func.func @layer_norm_bias_then_scale
// CHECK-SAME:    %[[X:[^:]+]]: tensor<4x8xf32>
// CHECK:      %[[B:.+]] = arith.constant dense<[5.000000e-01, {{.*}}]> : tensor<8xf32>
// CHECK:      %[[N:.+]] = ffn.layer_norm %[[X]] bias %[[B]] {epsilon = 9.99999996E-13 : f32}
// CHECK:      %[[Y:.+]] = arith.mulf %[[N]], %{{.+}} : tensor<4x8xf32>
// CHECK-NEXT: return %[[Y]]
func.func @layer_norm_bias_then_scale(%x: tensor<4x8xf32>) -> tensor<4x8xf32> {
  %a_z = arith.constant 0.0 : f32
  %a_e = tensor.empty() : tensor<4xf32>
  %a_i = linalg.fill ins(%a_z : f32) outs(%a_e : tensor<4xf32>) -> tensor<4xf32>
  %a_s = linalg.reduce ins(%x : tensor<4x8xf32>) outs(%a_i : tensor<4xf32>) dimensions = [1]
    (%in: f32, %acc: f32) {
      %a = arith.addf %in, %acc : f32
      linalg.yield %a : f32
    }
  %a_n = arith.constant dense<8.0> : tensor<4xf32>
  %a_d = arith.divf %a_s, %a_n : tensor<4xf32>
  %mx = tensor.expand_shape %a_d [[0, 1]] output_shape [4, 1] : tensor<4xf32> into tensor<4x1xf32>
  %c_c = tensor.collapse_shape %mx [[0, 1]] : tensor<4x1xf32> into tensor<4xf32>
  %c_e = tensor.empty() : tensor<4x8xf32>
  %mxb = linalg.broadcast ins(%c_c : tensor<4xf32>) outs(%c_e : tensor<4x8xf32>) dimensions = [1]
  %d = arith.subf %x, %mxb : tensor<4x8xf32>
  %two = arith.constant dense<2.0> : tensor<4x8xf32>
  %sq = math.powf %d, %two : tensor<4x8xf32>
  %b_z = arith.constant 0.0 : f32
  %b_e = tensor.empty() : tensor<4xf32>
  %b_i = linalg.fill ins(%b_z : f32) outs(%b_e : tensor<4xf32>) -> tensor<4xf32>
  %b_s = linalg.reduce ins(%sq : tensor<4x8xf32>) outs(%b_i : tensor<4xf32>) dimensions = [1]
    (%in: f32, %acc: f32) {
      %a = arith.addf %in, %acc : f32
      linalg.yield %a : f32
    }
  %b_n = arith.constant dense<8.0> : tensor<4xf32>
  %b_d = arith.divf %b_s, %b_n : tensor<4xf32>
  %var = tensor.expand_shape %b_d [[0, 1]] output_shape [4, 1] : tensor<4xf32> into tensor<4x1xf32>
  %eps = arith.constant dense<1.0e-12> : tensor<4x1xf32>
  %v = arith.addf %var, %eps : tensor<4x1xf32>
  %s = math.sqrt %v : tensor<4x1xf32>
  %e_c = tensor.collapse_shape %s [[0, 1]] : tensor<4x1xf32> into tensor<4xf32>
  %e_e = tensor.empty() : tensor<4x8xf32>
  %sb = linalg.broadcast ins(%e_c : tensor<4xf32>) outs(%e_e : tensor<4x8xf32>) dimensions = [1]
  %n = arith.divf %d, %sb : tensor<4x8xf32>
  %h_v = arith.constant dense<[0.5, 0.5, 0.5, 0.5, -0.5, -0.5, -0.5, -0.5]> : tensor<8xf32>
  %h_e = tensor.empty() : tensor<4x8xf32>
  %bb = linalg.broadcast ins(%h_v : tensor<8xf32>) outs(%h_e : tensor<4x8xf32>) dimensions = [0]
  %nb = arith.addf %n, %bb : tensor<4x8xf32>
  %g_v = arith.constant dense<[1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0]> : tensor<8xf32>
  %g_e = tensor.empty() : tensor<4x8xf32>
  %gb = linalg.broadcast ins(%g_v : tensor<8xf32>) outs(%g_e : tensor<4x8xf32>) dimensions = [0]
  %y = arith.mulf %nb, %gb : tensor<4x8xf32>
  return %y : tensor<4x8xf32>
}

// -----

// An ffn.rms_norm without scale takes a later constant weight.
// CHECK-LABEL: func.func @fold_scale_into_rms_norm
// CHECK-SAME:    %[[X:[^:]+]]: tensor<4x8xf32>
// CHECK:      %[[G:.+]] = arith.constant dense<2.000000e+00> : tensor<8xf32>
// CHECK:      %[[Y:.+]] = ffn.rms_norm %[[X]] scale %[[G]] : (tensor<4x8xf32>, tensor<8xf32>) -> tensor<4x8xf32>
// CHECK-NEXT: return %[[Y]]
func.func @fold_scale_into_rms_norm(%x: tensor<4x8xf32>) -> tensor<4x8xf32> {
  %n = ffn.rms_norm %x {epsilon = 1.0e-05 : f32} : (tensor<4x8xf32>) -> tensor<4x8xf32>
  %g = arith.constant dense<2.0> : tensor<4x8xf32>
  %y = arith.mulf %g, %n : tensor<4x8xf32>
  return %y : tensor<4x8xf32>
}

// -----

// A norm that already has a scale keeps the later multiplication.
// CHECK-LABEL: func.func @no_fold_second_scale
// CHECK:      ffn.rms_norm
// CHECK:      arith.mulf
func.func @no_fold_second_scale(%x: tensor<4x8xf32>, %s: tensor<8xf32>) -> tensor<4x8xf32> {
  %n = ffn.rms_norm %x scale %s {epsilon = 1.0e-05 : f32} : (tensor<4x8xf32>, tensor<8xf32>) -> tensor<4x8xf32>
  %g = arith.constant dense<2.0> : tensor<4x8xf32>
  %y = arith.mulf %g, %n : tensor<4x8xf32>
  return %y : tensor<4x8xf32>
}

// -----

// The norm's result has a second user: the weight stays a multiplication.
// CHECK-LABEL: func.func @no_fold_scale_norm_second_user
// CHECK:      %[[N:.+]] = ffn.rms_norm %{{[^ ]+}} :
// CHECK:      arith.mulf
// CHECK:      return %{{.+}}, %[[N]]
func.func @no_fold_scale_norm_second_user(%x: tensor<4x8xf32>) -> (tensor<4x8xf32>, tensor<4x8xf32>) {
  %n = ffn.rms_norm %x {epsilon = 1.0e-05 : f32} : (tensor<4x8xf32>) -> tensor<4x8xf32>
  %g = arith.constant dense<2.0> : tensor<4x8xf32>
  %y = arith.mulf %g, %n : tensor<4x8xf32>
  return %y, %n : tensor<4x8xf32>, tensor<4x8xf32>
}
