// A 2-token FFN with splat weights: small enough for quick driver tests.
func.func @main(%x: tensor<2x8xf32> {ffn.name = "x"}) -> (tensor<2x8xf32> {ffn.name = "y"}) {
  %w1 = arith.constant dense<0.125> : tensor<16x8xf32>
  %b1 = arith.constant dense<0.5> : tensor<16xf32>
  %w2 = arith.constant dense<0.25> : tensor<8x16xf32>
  %y = ffn.mlp(%x, %w1, %b1, %w2) : (tensor<2x8xf32>, tensor<16x8xf32>, tensor<16xf32>, tensor<8x16xf32>) -> tensor<2x8xf32> {
  ^bb0(%a: tensor<2x8xf32>, %p1: tensor<16x8xf32>, %q1: tensor<16xf32>, %p2: tensor<8x16xf32>):
    %h = ffn.linear %a, %p1, %q1 : (tensor<2x8xf32>, tensor<16x8xf32>, tensor<16xf32>) -> tensor<2x16xf32>
    %g = ffn.relu %h : tensor<2x16xf32>
    %o = ffn.linear %g, %p2 : (tensor<2x16xf32>, tensor<8x16xf32>) -> tensor<2x8xf32>
    ffn.yield %o : tensor<2x8xf32>
  }
  return %y : tensor<2x8xf32>
}
