func.func @main(%x: tensor<?x4xf32> {ffn.name = "x", ffn.dim_names = ["batch"]}) -> tensor<?x4xf32> {
  return %x : tensor<?x4xf32>
}
