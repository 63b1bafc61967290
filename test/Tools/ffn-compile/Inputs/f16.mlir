func.func @main(%x: tensor<2x8xf16>) -> tensor<2x8xf16> {
  return %x : tensor<2x8xf16>
}
