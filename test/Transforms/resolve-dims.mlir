// RUN: ffn-opt %s -ffn-resolve-dims | FileCheck %s

// Sizes read from intermediate values move to the values they come from
// (elementwise ops keep their operand's shape, ffn ops their input's leading
// dimensions, linalg ops their init's): afterwards the linear and the add
// have no users besides the chain, which the raising matchers require.
// CHECK-LABEL: func.func @chain
// CHECK-SAME:    (%[[X:.+]]: tensor<?x?x32xf32>
// CHECK-DAG:     %[[D0:.+]] = tensor.dim %[[X]], %c0
// CHECK-DAG:     %[[D1:.+]] = tensor.dim %[[X]], %c1
// CHECK:         tensor.empty(%[[D0]], %[[D1]]) : tensor<?x?x96xf32>
// CHECK-NOT:     tensor.dim %{{[0-9]+}}
func.func @chain(%x: tensor<?x?x32xf32>, %w: tensor<96x32xf32>, %b: tensor<96xf32>) -> tensor<?x?x96xf32> {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %h = ffn.linear %x, %w : (tensor<?x?x32xf32>, tensor<96x32xf32>) -> tensor<?x?x96xf32>
  %d0 = tensor.dim %h, %c0 : tensor<?x?x96xf32>
  %d1 = tensor.dim %h, %c1 : tensor<?x?x96xf32>
  %e = tensor.empty(%d0, %d1) : tensor<?x?x96xf32>
  %bb = linalg.broadcast ins(%b : tensor<96xf32>) outs(%e : tensor<?x?x96xf32>) dimensions = [0, 1]
  %s = arith.addf %h, %bb : tensor<?x?x96xf32>
  %e0 = tensor.dim %s, %c0 : tensor<?x?x96xf32>
  %e1 = tensor.dim %bb, %c1 : tensor<?x?x96xf32>
  %f = tensor.empty(%e0, %e1) : tensor<?x?x96xf32>
  %r = linalg.copy ins(%s : tensor<?x?x96xf32>) outs(%f : tensor<?x?x96xf32>) -> tensor<?x?x96xf32>
  return %r : tensor<?x?x96xf32>
}

// The last dimension of an ffn op's result is its own (here the linear's
// output features, static), not its input's: only leading sizes move.
// CHECK-LABEL: func.func @features
// CHECK:         %[[H:.+]] = ffn.linear
// CHECK:         tensor.dim %[[H]], %c1
func.func @features(%x: tensor<4x?xf32>, %w: tensor<?x?xf32>) -> index {
  %c1 = arith.constant 1 : index
  %h = ffn.linear %x, %w : (tensor<4x?xf32>, tensor<?x?xf32>) -> tensor<4x?xf32>
  %d = tensor.dim %h, %c1 : tensor<4x?xf32>
  return %d : index
}
