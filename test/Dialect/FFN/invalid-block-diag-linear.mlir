// RUN: ffn-opt %s -split-input-file -verify-diagnostics

func.func @in_features(%x: tensor<4x6xf32>, %w: tensor<2x3x2xf32>) -> tensor<4x6xf32> {
  // expected-error @+1 {{'ffn.block_diag_linear' op weight blocks take 2 x 2 = 4 input features but x has 6}}
  %0 = ffn.block_diag_linear %x, %w : (tensor<4x6xf32>, tensor<2x3x2xf32>) -> tensor<4x6xf32>
  return %0 : tensor<4x6xf32>
}

// -----

func.func @weight_rank(%x: tensor<4x4xf32>, %w: tensor<6x4xf32>) -> tensor<4x6xf32> {
  // expected-error @+1 {{'ffn.block_diag_linear' op operand #1 must be 3D tensor of floating-point values}}
  %0 = ffn.block_diag_linear %x, %w : (tensor<4x4xf32>, tensor<6x4xf32>) -> tensor<4x6xf32>
  return %0 : tensor<4x6xf32>
}

// -----

func.func @dynamic_weight(%x: tensor<4x4xf32>, %w: tensor<2x?x2xf32>) -> tensor<4x6xf32> {
  // expected-error @+1 {{'ffn.block_diag_linear' op weight must have a static shape, not 'tensor<2x?x2xf32>'}}
  %0 = ffn.block_diag_linear %x, %w : (tensor<4x4xf32>, tensor<2x?x2xf32>) -> tensor<4x6xf32>
  return %0 : tensor<4x6xf32>
}

// -----

func.func @bias_size(%x: tensor<4x4xf32>, %w: tensor<2x3x2xf32>, %b: tensor<5xf32>) -> tensor<4x6xf32> {
  // expected-error @+1 {{'ffn.block_diag_linear' op bias has 5 elements but the weight blocks give 6 output features}}
  %0 = ffn.block_diag_linear %x, %w, %b : (tensor<4x4xf32>, tensor<2x3x2xf32>, tensor<5xf32>) -> tensor<4x6xf32>
  return %0 : tensor<4x6xf32>
}

// -----

func.func @result_features(%x: tensor<4x4xf32>, %w: tensor<2x3x2xf32>) -> tensor<4x3xf32> {
  // expected-error @+1 {{'ffn.block_diag_linear' op result has 3 features but the weight blocks give 6}}
  %0 = ffn.block_diag_linear %x, %w : (tensor<4x4xf32>, tensor<2x3x2xf32>) -> tensor<4x3xf32>
  return %0 : tensor<4x3xf32>
}

// -----

func.func @result_rows(%x: tensor<4x4xf32>, %w: tensor<2x3x2xf32>) -> tensor<5x6xf32> {
  // expected-error @+1 {{'ffn.block_diag_linear' op result dimension 0 is 5 but x has 4}}
  %0 = ffn.block_diag_linear %x, %w : (tensor<4x4xf32>, tensor<2x3x2xf32>) -> tensor<5x6xf32>
  return %0 : tensor<5x6xf32>
}

// -----

func.func @element_types(%x: tensor<4x4xf32>, %w: tensor<2x3x2xf16>) -> tensor<4x6xf32> {
  // expected-error @+1 {{'ffn.block_diag_linear' op element types differ: x has 'f32', weight 'f16', result 'f32'}}
  %0 = ffn.block_diag_linear %x, %w : (tensor<4x4xf32>, tensor<2x3x2xf16>) -> tensor<4x6xf32>
  return %0 : tensor<4x6xf32>
}

// -----

func.func @input_perm_length(%x: tensor<4x4xf32>, %w: tensor<2x3x2xf32>) -> tensor<4x6xf32> {
  // expected-error @+1 {{'ffn.block_diag_linear' op input_permutation has 3 entries but the layer has 4 channels there}}
  %0 = ffn.block_diag_linear %x, %w {input_permutation = array<i64: 0, 1, 2>} : (tensor<4x4xf32>, tensor<2x3x2xf32>) -> tensor<4x6xf32>
  return %0 : tensor<4x6xf32>
}

// -----

func.func @input_perm_range(%x: tensor<4x4xf32>, %w: tensor<2x3x2xf32>) -> tensor<4x6xf32> {
  // expected-error @+1 {{'ffn.block_diag_linear' op input_permutation entry 4 is out of range [0, 4)}}
  %0 = ffn.block_diag_linear %x, %w {input_permutation = array<i64: 0, 1, 4, 2>} : (tensor<4x4xf32>, tensor<2x3x2xf32>) -> tensor<4x6xf32>
  return %0 : tensor<4x6xf32>
}

// -----

func.func @output_perm_repeat(%x: tensor<4x4xf32>, %w: tensor<2x3x2xf32>) -> tensor<4x6xf32> {
  // expected-error @+1 {{'ffn.block_diag_linear' op output_permutation repeats entry 1}}
  %0 = ffn.block_diag_linear %x, %w {output_permutation = array<i64: 0, 1, 1, 2, 3, 4>} : (tensor<4x4xf32>, tensor<2x3x2xf32>) -> tensor<4x6xf32>
  return %0 : tensor<4x6xf32>
}
