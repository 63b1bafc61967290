// RUN: ffn-opt %s -ffn-raise-mlp | FileCheck %s

// A channel-idle FFN (GELU on the first 32 of 128 hidden channels) over
// dynamic batch and token dimensions, as the importer writes it: the slices
// and the join are sized by the input's dimensions, read outside the FFN.
// The block reads them again from its own input (it is isolated from above).
// CHECK-LABEL: func.func @channel_idle_dynamic
// CHECK:         ffn.mlp(%{{.+}}, %{{.+}}, %{{.+}}, %{{.+}}, %{{.+}}) : (tensor<?x?x32xf32>
// CHECK-NEXT:    ^bb0(%[[X:[a-z0-9]+]]: tensor<?x?x32xf32>
// CHECK-DAG:       %[[C0:.+]] = arith.constant 0 : index
// CHECK-DAG:       %[[C1:.+]] = arith.constant 1 : index
// CHECK-DAG:       %[[B:.+]] = tensor.dim %[[X]], %[[C0]]
// CHECK-DAG:       %[[T:.+]] = tensor.dim %[[X]], %[[C1]]
// CHECK:           tensor.empty(%[[B]], %[[T]]) : tensor<?x?x128xf32>
// CHECK:           ffn.gelu
// CHECK:           ffn.yield
func.func @channel_idle_dynamic(%x: tensor<?x?x32xf32>, %w1: tensor<128x32xf32>, %b1: tensor<128xf32>, %w2: tensor<32x128xf32>, %b2: tensor<32xf32>) -> tensor<?x?x32xf32> {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %t = tensor.dim %x, %c1 : tensor<?x?x32xf32>
  %b = tensor.dim %x, %c0 : tensor<?x?x32xf32>
  %e = tensor.empty(%b, %t) : tensor<?x?x128xf32>
  %h = ffn.linear %x, %w1, %b1 : (tensor<?x?x32xf32>, tensor<128x32xf32>, tensor<128xf32>) -> tensor<?x?x128xf32>
  %a = tensor.extract_slice %h[0, 0, 0] [%b, %t, 32] [1, 1, 1] : tensor<?x?x128xf32> to tensor<?x?x32xf32>
  %i = tensor.extract_slice %h[0, 0, 32] [%b, %t, 96] [1, 1, 1] : tensor<?x?x128xf32> to tensor<?x?x96xf32>
  %g = ffn.gelu %a : tensor<?x?x32xf32>
  %j0 = tensor.insert_slice %g into %e[0, 0, 0] [%b, %t, 32] [1, 1, 1] : tensor<?x?x32xf32> into tensor<?x?x128xf32>
  %j = tensor.insert_slice %i into %j0[0, 0, 32] [%b, %t, 96] [1, 1, 1] : tensor<?x?x96xf32> into tensor<?x?x128xf32>
  %y = ffn.linear %j, %w2, %b2 : (tensor<?x?x128xf32>, tensor<32x128xf32>, tensor<32xf32>) -> tensor<?x?x32xf32>
  return %y : tensor<?x?x32xf32>
}

// A size that is not one of the input's dimensions cannot be read again
// inside the block: no FFN.
// CHECK-LABEL: func.func @foreign_size
// CHECK-NOT:     ffn.mlp
func.func @foreign_size(%x: tensor<?x?x32xf32>, %n: index, %w1: tensor<128x32xf32>, %b1: tensor<128xf32>, %w2: tensor<32x128xf32>, %b2: tensor<32xf32>) -> tensor<?x?x32xf32> {
  %c1 = arith.constant 1 : index
  %t = tensor.dim %x, %c1 : tensor<?x?x32xf32>
  %e = tensor.empty(%n, %t) : tensor<?x?x128xf32>
  %h = ffn.linear %x, %w1, %b1 : (tensor<?x?x32xf32>, tensor<128x32xf32>, tensor<128xf32>) -> tensor<?x?x128xf32>
  %a = tensor.extract_slice %h[0, 0, 0] [%n, %t, 32] [1, 1, 1] : tensor<?x?x128xf32> to tensor<?x?x32xf32>
  %i = tensor.extract_slice %h[0, 0, 32] [%n, %t, 96] [1, 1, 1] : tensor<?x?x128xf32> to tensor<?x?x96xf32>
  %g = ffn.gelu %a : tensor<?x?x32xf32>
  %j0 = tensor.insert_slice %g into %e[0, 0, 0] [%n, %t, 32] [1, 1, 1] : tensor<?x?x32xf32> into tensor<?x?x128xf32>
  %j = tensor.insert_slice %i into %j0[0, 0, 32] [%n, %t, 96] [1, 1, 1] : tensor<?x?x96xf32> into tensor<?x?x128xf32>
  %y = ffn.linear %j, %w2, %b2 : (tensor<?x?x128xf32>, tensor<32x128xf32>, tensor<32xf32>) -> tensor<?x?x32xf32>
  return %y : tensor<?x?x32xf32>
}
