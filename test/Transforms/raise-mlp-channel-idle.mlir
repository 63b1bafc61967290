// RUN: ffn-opt %s -ffn-raise-mlp -split-input-file | FileCheck %s
// RUN: ffn-opt %s -ffn-raise-mlp=remark-failures -split-input-file -o /dev/null 2>&1 \
// RUN:   | FileCheck %s --check-prefix=REMARK

// The channel-idle (RePaViT) form as the ONNX importer writes it: Slice/Split
// become extract_slices of the hidden value, Concat an insert_slice chain into
// a tensor.empty. It becomes one ffn.mlp with every op inside.
// CHECK-LABEL: func.func @channel_idle
// CHECK-SAME:    %[[X:[^:]+]]: tensor<2x3x4xf32>, %[[W1:[^:]+]]: tensor<8x4xf32>, %[[B1:[^:]+]]: tensor<8xf32>, %[[W2:[^:]+]]: tensor<4x8xf32>
// CHECK:       %[[Y:.+]] = ffn.mlp(%[[X]], %[[W1]], %[[B1]], %[[W2]])
// CHECK-NEXT:  ^bb0(%[[A:[^:]+]]: tensor<2x3x4xf32>, %[[P1:[^:]+]]: tensor<8x4xf32>, %[[Q1:[^:]+]]: tensor<8xf32>, %[[P2:[^:]+]]: tensor<4x8xf32>):
// CHECK-NEXT:    %[[H:.+]] = ffn.linear %[[A]], %[[P1]], %[[Q1]]
// CHECK-NEXT:    %[[S0:.+]] = tensor.extract_slice %[[H]][0, 0, 0] [2, 3, 2] [1, 1, 1]
// CHECK-NEXT:    %[[S1:.+]] = tensor.extract_slice %[[H]][0, 0, 2] [2, 3, 6] [1, 1, 1]
// CHECK-NEXT:    %[[G:.+]] = ffn.gelu %[[S0]]
// CHECK-NEXT:    %[[E:.+]] = tensor.empty() : tensor<2x3x8xf32>
// CHECK-NEXT:    %[[C0:.+]] = tensor.insert_slice %[[G]] into %[[E]][0, 0, 0] [2, 3, 2] [1, 1, 1]
// CHECK-NEXT:    %[[C1:.+]] = tensor.insert_slice %[[S1]] into %[[C0]][0, 0, 2] [2, 3, 6] [1, 1, 1]
// CHECK-NEXT:    %[[O:.+]] = ffn.linear %[[C1]], %[[P2]]
// CHECK-NEXT:    ffn.yield %[[O]]
// CHECK:       %[[R:.+]] = arith.addf %[[X]], %[[Y]]
// CHECK-NEXT:  return %[[R]]
func.func @channel_idle(%x: tensor<2x3x4xf32>, %w1: tensor<8x4xf32>, %b1: tensor<8xf32>, %w2: tensor<4x8xf32>) -> tensor<2x3x4xf32> {
  %h = ffn.linear %x, %w1, %b1 : (tensor<2x3x4xf32>, tensor<8x4xf32>, tensor<8xf32>) -> tensor<2x3x8xf32>
  %s0 = tensor.extract_slice %h[0, 0, 0] [2, 3, 2] [1, 1, 1] : tensor<2x3x8xf32> to tensor<2x3x2xf32>
  %s1 = tensor.extract_slice %h[0, 0, 2] [2, 3, 6] [1, 1, 1] : tensor<2x3x8xf32> to tensor<2x3x6xf32>
  %g = ffn.gelu %s0 : tensor<2x3x2xf32>
  %e = tensor.empty() : tensor<2x3x8xf32>
  %c0 = tensor.insert_slice %g into %e[0, 0, 0] [2, 3, 2] [1, 1, 1] : tensor<2x3x2xf32> into tensor<2x3x8xf32>
  %c1 = tensor.insert_slice %s1 into %c0[0, 0, 2] [2, 3, 6] [1, 1, 1] : tensor<2x3x6xf32> into tensor<2x3x8xf32>
  %o = ffn.linear %c1, %w2 : (tensor<2x3x8xf32>, tensor<4x8xf32>) -> tensor<2x3x4xf32>
  %r = arith.addf %x, %o : tensor<2x3x4xf32>
  return %r : tensor<2x3x4xf32>
}

// -----

// tensor.concat joins work too; three runs (activated, idle, activated) are
// still a channel-idle FFN (the reparameterisation, not the raising, needs
// one activated run).
// CHECK-LABEL: func.func @concat_three_runs
// CHECK:       ffn.mlp
// CHECK:         tensor.concat dim(1)
// CHECK:         ffn.yield
func.func @concat_three_runs(%x: tensor<3x4xf32>, %w1: tensor<8x4xf32>, %w2: tensor<4x8xf32>) -> tensor<3x4xf32> {
  %h = ffn.linear %x, %w1 : (tensor<3x4xf32>, tensor<8x4xf32>) -> tensor<3x8xf32>
  %s0 = tensor.extract_slice %h[0, 0] [3, 1] [1, 1] : tensor<3x8xf32> to tensor<3x1xf32>
  %s1 = tensor.extract_slice %h[0, 1] [3, 5] [1, 1] : tensor<3x8xf32> to tensor<3x5xf32>
  %s2 = tensor.extract_slice %h[0, 6] [3, 2] [1, 1] : tensor<3x8xf32> to tensor<3x2xf32>
  %g0 = ffn.relu %s0 : tensor<3x1xf32>
  %g2 = ffn.relu %s2 : tensor<3x2xf32>
  %c = tensor.concat dim(1) %g0, %s1, %g2 : (tensor<3x1xf32>, tensor<3x5xf32>, tensor<3x2xf32>) -> tensor<3x8xf32>
  %o = ffn.linear %c, %w2 : (tensor<3x8xf32>, tensor<4x8xf32>) -> tensor<3x4xf32>
  return %o : tensor<3x4xf32>
}

// -----

// The hidden value has a user outside the FFN: nothing is outlined.
// CHECK-LABEL: func.func @hidden_used_outside
// CHECK-NOT:   ffn.mlp
// REMARK: remark: ffn-raise-mlp: the hidden value has users other than the channel runs
func.func @hidden_used_outside(%x: tensor<3x4xf32>, %w1: tensor<8x4xf32>, %w2: tensor<4x8xf32>) -> (tensor<3x4xf32>, tensor<3x8xf32>) {
  %h = ffn.linear %x, %w1 : (tensor<3x4xf32>, tensor<8x4xf32>) -> tensor<3x8xf32>
  %s0 = tensor.extract_slice %h[0, 0] [3, 2] [1, 1] : tensor<3x8xf32> to tensor<3x2xf32>
  %s1 = tensor.extract_slice %h[0, 2] [3, 6] [1, 1] : tensor<3x8xf32> to tensor<3x6xf32>
  %g = ffn.gelu %s0 : tensor<3x2xf32>
  %c = tensor.concat dim(1) %g, %s1 : (tensor<3x2xf32>, tensor<3x6xf32>) -> tensor<3x8xf32>
  %o = ffn.linear %c, %w2 : (tensor<3x8xf32>, tensor<4x8xf32>) -> tensor<3x4xf32>
  return %o, %h : tensor<3x4xf32>, tensor<3x8xf32>
}

// -----

// The runs overlap (channels 2-3 are used twice): not a channel-idle FFN.
// CHECK-LABEL: func.func @overlapping_runs
// CHECK-NOT:   ffn.mlp
// REMARK: remark: ffn-raise-mlp: the channel runs do not partition the hidden channels
func.func @overlapping_runs(%x: tensor<3x4xf32>, %w1: tensor<8x4xf32>, %w2: tensor<4x10xf32>) -> tensor<3x4xf32> {
  %h = ffn.linear %x, %w1 : (tensor<3x4xf32>, tensor<8x4xf32>) -> tensor<3x8xf32>
  %s0 = tensor.extract_slice %h[0, 0] [3, 4] [1, 1] : tensor<3x8xf32> to tensor<3x4xf32>
  %s1 = tensor.extract_slice %h[0, 2] [3, 6] [1, 1] : tensor<3x8xf32> to tensor<3x6xf32>
  %g = ffn.gelu %s0 : tensor<3x4xf32>
  %c = tensor.concat dim(1) %g, %s1 : (tensor<3x4xf32>, tensor<3x6xf32>) -> tensor<3x10xf32>
  %o = ffn.linear %c, %w2 : (tensor<3x10xf32>, tensor<4x10xf32>) -> tensor<3x4xf32>
  return %o : tensor<3x4xf32>
}
