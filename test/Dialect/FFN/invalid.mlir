// RUN: ffn-opt %s -split-input-file -verify-diagnostics

//===----------------------------------------------------------------------===//
// ffn.linear
//===----------------------------------------------------------------------===//

func.func @linear_in_features(%x: tensor<4x6xf32>, %w: tensor<16x8xf32>) -> tensor<4x16xf32> {
  // expected-error @+1 {{'ffn.linear' op weight has 8 input features but x has 6}}
  %0 = ffn.linear %x, %w : (tensor<4x6xf32>, tensor<16x8xf32>) -> tensor<4x16xf32>
  return %0 : tensor<4x16xf32>
}

// -----

func.func @linear_rank0_input(%x: tensor<f32>, %w: tensor<16x8xf32>) -> tensor<16xf32> {
  // expected-error @+1 {{'ffn.linear' op input must have at least one dimension}}
  %0 = ffn.linear %x, %w : (tensor<f32>, tensor<16x8xf32>) -> tensor<16xf32>
  return %0 : tensor<16xf32>
}

// -----

func.func @linear_weight_rank(%x: tensor<4x8xf32>, %w: tensor<2x16x8xf32>) -> tensor<4x16xf32> {
  // expected-error @+1 {{'ffn.linear' op operand #1 must be 2D tensor of floating-point values}}
  %0 = ffn.linear %x, %w : (tensor<4x8xf32>, tensor<2x16x8xf32>) -> tensor<4x16xf32>
  return %0 : tensor<4x16xf32>
}

// -----

func.func @linear_integer(%x: tensor<4x8xi32>, %w: tensor<16x8xi32>) -> tensor<4x16xi32> {
  // expected-error @+1 {{'ffn.linear' op operand #0 must be ranked tensor of floating-point values}}
  %0 = ffn.linear %x, %w : (tensor<4x8xi32>, tensor<16x8xi32>) -> tensor<4x16xi32>
  return %0 : tensor<4x16xi32>
}

// -----

func.func @linear_bias_size(%x: tensor<4x8xf32>, %w: tensor<16x8xf32>, %b: tensor<10xf32>) -> tensor<4x16xf32> {
  // expected-error @+1 {{'ffn.linear' op bias has 10 elements but the weight has 16 output features}}
  %0 = ffn.linear %x, %w, %b : (tensor<4x8xf32>, tensor<16x8xf32>, tensor<10xf32>) -> tensor<4x16xf32>
  return %0 : tensor<4x16xf32>
}

// -----

func.func @linear_bias_rank(%x: tensor<4x8xf32>, %w: tensor<16x8xf32>, %b: tensor<1x16xf32>) -> tensor<4x16xf32> {
  // expected-error @+1 {{'ffn.linear' op operand #2 must be 1D tensor of floating-point values}}
  %0 = ffn.linear %x, %w, %b : (tensor<4x8xf32>, tensor<16x8xf32>, tensor<1x16xf32>) -> tensor<4x16xf32>
  return %0 : tensor<4x16xf32>
}

// -----

func.func @linear_bias_element_type(%x: tensor<4x8xf32>, %w: tensor<16x8xf32>, %b: tensor<16xf16>) -> tensor<4x16xf32> {
  // expected-error @+1 {{'ffn.linear' op bias element type differs from the input's}}
  %0 = ffn.linear %x, %w, %b : (tensor<4x8xf32>, tensor<16x8xf32>, tensor<16xf16>) -> tensor<4x16xf32>
  return %0 : tensor<4x16xf32>
}

// -----

func.func @linear_weight_element_type(%x: tensor<4x8xf32>, %w: tensor<16x8xf16>) -> tensor<4x16xf32> {
  // expected-error @+1 {{'ffn.linear' op element types differ: x has 'f32', weight 'f16', result 'f32'}}
  %0 = ffn.linear %x, %w : (tensor<4x8xf32>, tensor<16x8xf16>) -> tensor<4x16xf32>
  return %0 : tensor<4x16xf32>
}

// -----

func.func @linear_result_element_type(%x: tensor<4x8xf32>, %w: tensor<16x8xf32>) -> tensor<4x16xbf16> {
  // expected-error @+1 {{'ffn.linear' op element types differ: x has 'f32', weight 'f32', result 'bf16'}}
  %0 = ffn.linear %x, %w : (tensor<4x8xf32>, tensor<16x8xf32>) -> tensor<4x16xbf16>
  return %0 : tensor<4x16xbf16>
}

// -----

func.func @linear_result_rank(%x: tensor<4x8xf32>, %w: tensor<16x8xf32>) -> tensor<1x4x16xf32> {
  // expected-error @+1 {{'ffn.linear' op result has rank 3 but x has rank 2}}
  %0 = ffn.linear %x, %w : (tensor<4x8xf32>, tensor<16x8xf32>) -> tensor<1x4x16xf32>
  return %0 : tensor<1x4x16xf32>
}

// -----

func.func @linear_result_token_dim(%x: tensor<2x7x8xf32>, %w: tensor<16x8xf32>) -> tensor<2x5x16xf32> {
  // expected-error @+1 {{'ffn.linear' op result dimension 1 is 5 but x has 7}}
  %0 = ffn.linear %x, %w : (tensor<2x7x8xf32>, tensor<16x8xf32>) -> tensor<2x5x16xf32>
  return %0 : tensor<2x5x16xf32>
}

// -----

func.func @linear_result_features(%x: tensor<4x8xf32>, %w: tensor<16x8xf32>) -> tensor<4x12xf32> {
  // expected-error @+1 {{'ffn.linear' op result has 12 features but the weight has 16 output features}}
  %0 = ffn.linear %x, %w : (tensor<4x8xf32>, tensor<16x8xf32>) -> tensor<4x12xf32>
  return %0 : tensor<4x12xf32>
}

// -----

// Dynamic sizes are printed as '?'.
func.func @linear_dynamic_weight_mismatch(%x: tensor<?x8xf32>, %w: tensor<?x6xf32>) -> tensor<?x?xf32> {
  // expected-error @+1 {{'ffn.linear' op weight has 6 input features but x has 8}}
  %0 = ffn.linear %x, %w : (tensor<?x8xf32>, tensor<?x6xf32>) -> tensor<?x?xf32>
  return %0 : tensor<?x?xf32>
}

// -----

func.func @linear_dynamic_bias_mismatch(%x: tensor<?x8xf32>, %w: tensor<16x8xf32>, %b: tensor<?xf32>) -> tensor<?x12xf32> {
  // expected-error @+1 {{'ffn.linear' op result has 12 features but the weight has 16 output features}}
  %0 = ffn.linear %x, %w, %b : (tensor<?x8xf32>, tensor<16x8xf32>, tensor<?xf32>) -> tensor<?x12xf32>
  return %0 : tensor<?x12xf32>
}

// -----

//===----------------------------------------------------------------------===//
// Activations
//===----------------------------------------------------------------------===//

func.func @gelu_type_mismatch(%x: tensor<4x8xf32>) -> tensor<4x8xf16> {
  // expected-error @+1 {{'ffn.gelu' op requires the same type for all operands and results}}
  %0 = "ffn.gelu"(%x) : (tensor<4x8xf32>) -> tensor<4x8xf16>
  return %0 : tensor<4x8xf16>
}

// -----

func.func @relu_integer(%x: tensor<4x8xi32>) -> tensor<4x8xi32> {
  // expected-error @+1 {{'ffn.relu' op operand #0 must be ranked tensor of floating-point values}}
  %0 = ffn.relu %x : tensor<4x8xi32>
  return %0 : tensor<4x8xi32>
}

// -----

func.func @silu_unranked(%x: tensor<*xf32>) -> tensor<*xf32> {
  // expected-error @+1 {{'ffn.silu' op operand #0 must be ranked tensor of floating-point values}}
  %0 = "ffn.silu"(%x) : (tensor<*xf32>) -> tensor<*xf32>
  return %0 : tensor<*xf32>
}

// -----

func.func @gelu_bad_approximation(%x: tensor<4x8xf32>) -> tensor<4x8xf32> {
  // expected-error @+2 {{expected ::mlir::ffn::GeluApproximation to be one of: none, tanh}}
  // expected-error @+1 {{failed to parse FFN_GeluApproximationAttr parameter 'value'}}
  %0 = ffn.gelu %x approximate<sigmoid> : tensor<4x8xf32>
  return %0 : tensor<4x8xf32>
}

// -----

//===----------------------------------------------------------------------===//
// Norms
//===----------------------------------------------------------------------===//

func.func @layer_norm_scale_size(%x: tensor<4x8xf32>, %s: tensor<4xf32>) -> tensor<4x8xf32> {
  // expected-error @+1 {{'ffn.layer_norm' op scale has 4 elements but the input has 8 features}}
  %0 = ffn.layer_norm %x scale %s : (tensor<4x8xf32>, tensor<4xf32>) -> tensor<4x8xf32>
  return %0 : tensor<4x8xf32>
}

// -----

func.func @layer_norm_bias_size(%x: tensor<4x8xf32>, %s: tensor<8xf32>, %b: tensor<9xf32>) -> tensor<4x8xf32> {
  // expected-error @+1 {{'ffn.layer_norm' op bias has 9 elements but the input has 8 features}}
  %0 = ffn.layer_norm %x scale %s bias %b : (tensor<4x8xf32>, tensor<8xf32>, tensor<9xf32>) -> tensor<4x8xf32>
  return %0 : tensor<4x8xf32>
}

// -----

func.func @layer_norm_scale_element_type(%x: tensor<4x8xf32>, %s: tensor<8xf16>) -> tensor<4x8xf32> {
  // expected-error @+1 {{'ffn.layer_norm' op scale element type 'f16' differs from the input's 'f32'}}
  %0 = ffn.layer_norm %x scale %s : (tensor<4x8xf32>, tensor<8xf16>) -> tensor<4x8xf32>
  return %0 : tensor<4x8xf32>
}

// -----

func.func @layer_norm_result_type(%x: tensor<4x8xf32>) -> tensor<?x8xf32> {
  // expected-error @+1 {{'ffn.layer_norm' op result type 'tensor<?x8xf32>' differs from the input type 'tensor<4x8xf32>'}}
  %0 = ffn.layer_norm %x : (tensor<4x8xf32>) -> tensor<?x8xf32>
  return %0 : tensor<?x8xf32>
}

// -----

func.func @layer_norm_negative_epsilon(%x: tensor<4x8xf32>) -> tensor<4x8xf32> {
  // expected-error @+1 {{'ffn.layer_norm' op epsilon must not be negative}}
  %0 = ffn.layer_norm %x {epsilon = -1.0e-05 : f32} : (tensor<4x8xf32>) -> tensor<4x8xf32>
  return %0 : tensor<4x8xf32>
}

// -----

func.func @rms_norm_scale_size(%x: tensor<2x3x8xf32>, %s: tensor<3xf32>) -> tensor<2x3x8xf32> {
  // expected-error @+1 {{'ffn.rms_norm' op scale has 3 elements but the input has 8 features}}
  %0 = ffn.rms_norm %x scale %s : (tensor<2x3x8xf32>, tensor<3xf32>) -> tensor<2x3x8xf32>
  return %0 : tensor<2x3x8xf32>
}

// -----

func.func @rms_norm_rank0(%x: tensor<f32>) -> tensor<f32> {
  // expected-error @+1 {{'ffn.rms_norm' op input must have at least one dimension}}
  %0 = ffn.rms_norm %x : (tensor<f32>) -> tensor<f32>
  return %0 : tensor<f32>
}

// -----

func.func @rms_norm_result_type(%x: tensor<4x8xf32>) -> tensor<4x8xf16> {
  // expected-error @+1 {{'ffn.rms_norm' op result type 'tensor<4x8xf16>' differs from the input type 'tensor<4x8xf32>'}}
  %0 = ffn.rms_norm %x : (tensor<4x8xf32>) -> tensor<4x8xf16>
  return %0 : tensor<4x8xf16>
}

// -----

func.func @rms_norm_negative_epsilon(%x: tensor<4x8xf32>) -> tensor<4x8xf32> {
  // expected-error @+1 {{'ffn.rms_norm' op epsilon must not be negative}}
  %0 = ffn.rms_norm %x {epsilon = -1.0 : f32} : (tensor<4x8xf32>) -> tensor<4x8xf32>
  return %0 : tensor<4x8xf32>
}

// -----

func.func @batch_norm_mean_size(%x: tensor<4x8xf32>, %s: tensor<8xf32>, %b: tensor<8xf32>, %m: tensor<7xf32>, %v: tensor<8xf32>) -> tensor<4x8xf32> {
  // expected-error @+1 {{'ffn.batch_norm' op mean has 7 elements but the input has 8 features}}
  %0 = ffn.batch_norm %x, %s, %b, %m, %v : (tensor<4x8xf32>, tensor<8xf32>, tensor<8xf32>, tensor<7xf32>, tensor<8xf32>) -> tensor<4x8xf32>
  return %0 : tensor<4x8xf32>
}

// -----

func.func @batch_norm_variance_element_type(%x: tensor<4x8xf32>, %s: tensor<8xf32>, %b: tensor<8xf32>, %m: tensor<8xf32>, %v: tensor<8xf64>) -> tensor<4x8xf32> {
  // expected-error @+1 {{'ffn.batch_norm' op variance element type 'f64' differs from the input's 'f32'}}
  %0 = ffn.batch_norm %x, %s, %b, %m, %v : (tensor<4x8xf32>, tensor<8xf32>, tensor<8xf32>, tensor<8xf32>, tensor<8xf64>) -> tensor<4x8xf32>
  return %0 : tensor<4x8xf32>
}

// -----

func.func @batch_norm_scale_size(%x: tensor<4x8xf32>, %s: tensor<4xf32>, %b: tensor<8xf32>, %m: tensor<8xf32>, %v: tensor<8xf32>) -> tensor<4x8xf32> {
  // expected-error @+1 {{'ffn.batch_norm' op scale has 4 elements but the input has 8 features}}
  %0 = ffn.batch_norm %x, %s, %b, %m, %v : (tensor<4x8xf32>, tensor<4xf32>, tensor<8xf32>, tensor<8xf32>, tensor<8xf32>) -> tensor<4x8xf32>
  return %0 : tensor<4x8xf32>
}

// -----

func.func @batch_norm_result_type(%x: tensor<4x8xf32>, %s: tensor<8xf32>, %b: tensor<8xf32>, %m: tensor<8xf32>, %v: tensor<8xf32>) -> tensor<8x4xf32> {
  // expected-error @+1 {{'ffn.batch_norm' op result type 'tensor<8x4xf32>' differs from the input type 'tensor<4x8xf32>'}}
  %0 = ffn.batch_norm %x, %s, %b, %m, %v : (tensor<4x8xf32>, tensor<8xf32>, tensor<8xf32>, tensor<8xf32>, tensor<8xf32>) -> tensor<8x4xf32>
  return %0 : tensor<8x4xf32>
}

// -----

//===----------------------------------------------------------------------===//
// ffn.mlp and ffn.yield
//===----------------------------------------------------------------------===//

func.func @mlp_result_type(%x: tensor<4x8xf32>, %w: tensor<16x8xf32>) -> tensor<4x16xf32> {
  // expected-error @+1 {{'ffn.mlp' op result type 'tensor<4x16xf32>' differs from the input type 'tensor<4x8xf32>' (an FFN maps the model width back to itself)}}
  %y = ffn.mlp(%x, %w) : (tensor<4x8xf32>, tensor<16x8xf32>) -> tensor<4x16xf32> {
  ^bb0(%a: tensor<4x8xf32>, %p: tensor<16x8xf32>):
    %h = ffn.linear %a, %p : (tensor<4x8xf32>, tensor<16x8xf32>) -> tensor<4x16xf32>
    ffn.yield %h : tensor<4x16xf32>
  }
  return %y : tensor<4x16xf32>
}

// -----

func.func @mlp_no_operands() -> tensor<4xf32> {
  // expected-error @+1 {{'ffn.mlp' op needs at least the input operand}}
  %y = ffn.mlp() : () -> tensor<4xf32> {
    %c = arith.constant dense<0.0> : tensor<4xf32>
    ffn.yield %c : tensor<4xf32>
  }
  return %y : tensor<4xf32>
}

// -----

func.func @mlp_integer_input(%x: tensor<4xi32>) -> tensor<4xf32> {
  // expected-error @+1 {{'ffn.mlp' op input must be a ranked tensor of floats}}
  %y = ffn.mlp(%x) : (tensor<4xi32>) -> tensor<4xf32> {
  ^bb0(%a: tensor<4xi32>):
    %c = arith.constant dense<0.0> : tensor<4xf32>
    ffn.yield %c : tensor<4xf32>
  }
  return %y : tensor<4xf32>
}

// -----

func.func @mlp_block_arg_count(%x: tensor<4x8xf32>, %w: tensor<8x8xf32>) -> tensor<4x8xf32> {
  // expected-error @+1 {{'ffn.mlp' op body has 1 arguments but the op has 2 operands}}
  %y = ffn.mlp(%x, %w) : (tensor<4x8xf32>, tensor<8x8xf32>) -> tensor<4x8xf32> {
  ^bb0(%a: tensor<4x8xf32>):
    ffn.yield %a : tensor<4x8xf32>
  }
  return %y : tensor<4x8xf32>
}

// -----

func.func @mlp_block_arg_type(%x: tensor<4x8xf32>, %w: tensor<8x8xf32>) -> tensor<4x8xf32> {
  // expected-error @+1 {{'ffn.mlp' op body argument 1 has type 'tensor<8x8xf16>' but operand 1 has type 'tensor<8x8xf32>'}}
  %y = ffn.mlp(%x, %w) : (tensor<4x8xf32>, tensor<8x8xf32>) -> tensor<4x8xf32> {
  ^bb0(%a: tensor<4x8xf32>, %p: tensor<8x8xf16>):
    ffn.yield %a : tensor<4x8xf32>
  }
  return %y : tensor<4x8xf32>
}

// -----

func.func @mlp_yield_type(%x: tensor<4x8xf32>, %w: tensor<16x8xf32>) -> tensor<4x8xf32> {
  // expected-error @+1 {{'ffn.mlp' op body yields 'tensor<4x16xf32>' but the result type is 'tensor<4x8xf32>'}}
  %y = ffn.mlp(%x, %w) : (tensor<4x8xf32>, tensor<16x8xf32>) -> tensor<4x8xf32> {
  ^bb0(%a: tensor<4x8xf32>, %p: tensor<16x8xf32>):
    %h = ffn.linear %a, %p : (tensor<4x8xf32>, tensor<16x8xf32>) -> tensor<4x16xf32>
    ffn.yield %h : tensor<4x16xf32>
  }
  return %y : tensor<4x8xf32>
}

// -----

// The body is isolated from above: parameters must come in as operands.
func.func @mlp_captures_value(%x: tensor<4x8xf32>, %w: tensor<8x8xf32>) -> tensor<4x8xf32> {
  // expected-note @+1 {{required by region isolation constraints}}
  %y = ffn.mlp(%x) : (tensor<4x8xf32>) -> tensor<4x8xf32> {
  ^bb0(%a: tensor<4x8xf32>):
    // expected-error @+1 {{using value defined outside the region}}
    %h = ffn.linear %a, %w : (tensor<4x8xf32>, tensor<8x8xf32>) -> tensor<4x8xf32>
    ffn.yield %h : tensor<4x8xf32>
  }
  return %y : tensor<4x8xf32>
}

// -----

func.func @yield_outside_mlp(%x: tensor<4x8xf32>) -> tensor<4x8xf32> {
  // expected-error @+1 {{'ffn.yield' op expects parent op 'ffn.mlp'}}
  ffn.yield %x : tensor<4x8xf32>
}
