// RUN: ffn-opt %s -split-input-file -verify-diagnostics

func.func @in_features(%x: tensor<4x6xf32>, %v: tensor<4x2x16x8xf32>, %c: tensor<4x2xi32>) -> tensor<4x32xf32> {
  // expected-error @+1 {{'ffn.block_sparse_linear' op in_features is 64 but x has 6}}
  %0 = ffn.block_sparse_linear %x, %v, %c {in_features = 64} : (tensor<4x6xf32>, tensor<4x2x16x8xf32>, tensor<4x2xi32>) -> tensor<4x32xf32>
  return %0 : tensor<4x32xf32>
}

// -----

func.func @columns_shape(%x: tensor<4x64xf32>, %v: tensor<4x2x16x8xf32>, %c: tensor<4x3xi32>) -> tensor<4x32xf32> {
  // expected-error @+1 {{'ffn.block_sparse_linear' op block_columns 'tensor<4x3xi32>' does not match the [block rows, blocks per row] of values 'tensor<4x2x16x8xf32>'}}
  %0 = ffn.block_sparse_linear %x, %v, %c {in_features = 64} : (tensor<4x64xf32>, tensor<4x2x16x8xf32>, tensor<4x3xi32>) -> tensor<4x32xf32>
  return %0 : tensor<4x32xf32>
}

// -----

func.func @block_width(%x: tensor<4x20xf32>, %v: tensor<4x2x16x8xf32>, %c: tensor<4x2xi32>) -> tensor<4x32xf32> {
  // expected-error @+1 {{'ffn.block_sparse_linear' op in_features 20 is not a multiple of the block width 16 holding 2 blocks per row}}
  %0 = ffn.block_sparse_linear %x, %v, %c {in_features = 20} : (tensor<4x20xf32>, tensor<4x2x16x8xf32>, tensor<4x2xi32>) -> tensor<4x32xf32>
  return %0 : tensor<4x32xf32>
}

// -----

func.func @block_out(%x: tensor<4x64xf32>, %v: tensor<4x2x16x8xf32>, %c: tensor<4x2xi32>) -> tensor<4x30xf32> {
  // expected-error @+1 {{'ffn.block_sparse_linear' op result has 30 features but the layer has 32}}
  %0 = ffn.block_sparse_linear %x, %v, %c {in_features = 64} : (tensor<4x64xf32>, tensor<4x2x16x8xf32>, tensor<4x2xi32>) -> tensor<4x30xf32>
  return %0 : tensor<4x30xf32>
}

// -----

func.func @csr_sizes(%x: tensor<4x8xf32>, %o: tensor<5xi32>, %c: tensor<9xi32>, %v: tensor<10xf32>) -> tensor<4x4xf32> {
  // expected-error @+1 {{'ffn.csr_linear' op columns has 9 entries but values has 10}}
  %0 = ffn.csr_linear %x, %o, %c, %v {in_features = 8} : (tensor<4x8xf32>, tensor<5xi32>, tensor<9xi32>, tensor<10xf32>) -> tensor<4x4xf32>
  return %0 : tensor<4x4xf32>
}

// -----

func.func @csr_bias(%x: tensor<4x8xf32>, %o: tensor<5xi32>, %c: tensor<10xi32>, %v: tensor<10xf32>, %b: tensor<3xf32>) -> tensor<4x4xf32> {
  // expected-error @+1 {{'ffn.csr_linear' op bias has 3 elements but the layer has 4 output features}}
  %0 = ffn.csr_linear %x, %o, %c, %v, %b {in_features = 8} : (tensor<4x8xf32>, tensor<5xi32>, tensor<10xi32>, tensor<10xf32>, tensor<3xf32>) -> tensor<4x4xf32>
  return %0 : tensor<4x4xf32>
}

// -----

func.func @csr_index_type(%x: tensor<4x8xf32>, %o: tensor<5xi64>, %c: tensor<10xi32>, %v: tensor<10xf32>) -> tensor<4x4xf32> {
  // expected-error @+1 {{'ffn.csr_linear' op operand #1 must be 1D tensor of 32-bit signless integer values}}
  %0 = ffn.csr_linear %x, %o, %c, %v {in_features = 8} : (tensor<4x8xf32>, tensor<5xi64>, tensor<10xi32>, tensor<10xf32>) -> tensor<4x4xf32>
  return %0 : tensor<4x4xf32>
}
