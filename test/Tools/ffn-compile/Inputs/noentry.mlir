func.func private @f(%x: tensor<2xf32>) -> tensor<2xf32>
