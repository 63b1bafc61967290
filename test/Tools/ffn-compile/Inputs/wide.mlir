// An 8-token FFN (D=64, H=128) with splat weights, wide enough for full
// register tiles on AVX2 and AVX-512.
func.func @main(%x: tensor<8x64xf32> {ffn.name = "x"}) -> (tensor<8x64xf32> {ffn.name = "y"}) {
  %w1 = arith.constant dense<0.125> : tensor<128x64xf32>
  %b1 = arith.constant dense<0.5> : tensor<128xf32>
  %w2 = arith.constant dense<0.25> : tensor<64x128xf32>
  %y = ffn.mlp(%x, %w1, %b1, %w2) : (tensor<8x64xf32>, tensor<128x64xf32>, tensor<128xf32>, tensor<64x128xf32>) -> tensor<8x64xf32> {
  ^bb0(%a: tensor<8x64xf32>, %p1: tensor<128x64xf32>, %q1: tensor<128xf32>, %p2: tensor<64x128xf32>):
    %h = ffn.linear %a, %p1, %q1 : (tensor<8x64xf32>, tensor<128x64xf32>, tensor<128xf32>) -> tensor<8x128xf32>
    %g = ffn.gelu %h : tensor<8x128xf32>
    %o = ffn.linear %g, %p2 : (tensor<8x128xf32>, tensor<64x128xf32>) -> tensor<8x64xf32>
    ffn.yield %o : tensor<8x64xf32>
  }
  return %y : tensor<8x64xf32>
}
