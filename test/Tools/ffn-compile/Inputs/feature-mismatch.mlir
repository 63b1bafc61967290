func.func @main(%x: tensor<4x512xf32>, %w: tensor<16x768xf32>) -> tensor<4x16xf32> {
  %y = ffn.linear %x, %w : (tensor<4x512xf32>, tensor<16x768xf32>) -> tensor<4x16xf32>
  return %y : tensor<4x16xf32>
}
