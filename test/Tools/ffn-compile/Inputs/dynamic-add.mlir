// y = x + z + b over [batch, seq, 8] with b [8]: x and z share both
// dynamic dimensions by name.
#id = affine_map<(d0, d1, d2) -> (d0, d1, d2)>
#last = affine_map<(d0, d1, d2) -> (d2)>
func.func @main(%x: tensor<?x?x8xf32> {ffn.name = "x", ffn.dim_names = ["batch", "seq", ""]},
                %z: tensor<?x?x8xf32> {ffn.name = "z", ffn.dim_names = ["batch", "seq", ""]},
                %b: tensor<8xf32> {ffn.name = "b"})
    -> (tensor<?x?x8xf32> {ffn.name = "y"}) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %n = tensor.dim %x, %c0 : tensor<?x?x8xf32>
  %s = tensor.dim %x, %c1 : tensor<?x?x8xf32>
  %e = tensor.empty(%n, %s) : tensor<?x?x8xf32>
  %y = linalg.generic {indexing_maps = [#id, #id, #last, #id], iterator_types = ["parallel", "parallel", "parallel"]}
      ins(%x, %z, %b : tensor<?x?x8xf32>, tensor<?x?x8xf32>, tensor<8xf32>) outs(%e : tensor<?x?x8xf32>) {
  ^bb0(%a: f32, %c: f32, %d: f32, %o: f32):
    %t = arith.addf %a, %c : f32
    %u = arith.addf %t, %d : f32
    linalg.yield %u : f32
  } -> tensor<?x?x8xf32>
  return %y : tensor<?x?x8xf32>
}
