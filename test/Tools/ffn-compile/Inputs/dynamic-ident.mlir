// Returns its input twice and a constant: no output is a buffer the entry
// allocated itself, so every one must be copied for the caller to own.
func.func @main(%x: tensor<?x3xi64> {ffn.name = "x", ffn.dim_names = ["n", ""]})
    -> (tensor<?x3xi64> {ffn.name = "a"}, tensor<?x3xi64> {ffn.name = "b"}, tensor<2xf32> {ffn.name = "c"}) {
  %c = arith.constant dense<[1.5, -2.0]> : tensor<2xf32>
  return %x, %x, %c : tensor<?x3xi64>, tensor<?x3xi64>, tensor<2xf32>
}
