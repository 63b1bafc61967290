// RUN: ffn-opt %s -ffn-cpu-skip-zero-activations='vector-width=8 max-tokens=8' -split-input-file | FileCheck %s
// RUN: ffn-opt %s -ffn-cpu-skip-zero-activations='vector-width=8 mode=always' -split-input-file | FileCheck %s --check-prefix=ALWAYS
// RUN: ffn-opt %s -ffn-cpu-skip-zero-activations='mode=never' -split-input-file | FileCheck %s --check-prefix=NEVER
// RUN: ffn-opt %s -ffn-cpu-skip-zero-activations='vector-width=8 max-tokens=8 remarks=true' -split-input-file 2>&1 >/dev/null | FileCheck %s --check-prefix=REMARK
// RUN: not ffn-opt %s -ffn-cpu-skip-zero-activations='mode=sometimes' -split-input-file 2>&1 | FileCheck %s --check-prefix=BAD

// BAD: ffn-cpu-skip-zero-activations: mode must be auto, always or never, not 'sometimes'

// A ReLU FFN at T=1, D=64, H=32. The up projection is a sum of the rows of
// W1ᵀ [64, 32] scaled by x's entries (two thread tiles of 16 hidden
// neurons, 16 lanes per step: small enough to stay in registers), starting
// from b1, with the ReLU applied to the tile at the end. The columns of h with a non-zero are compacted into
// an index list (branch free: j is always written at the count, which
// grows by one for a kept column), and only those rows of W2ᵀ [32, 64] are
// read, one contiguous row of 64 floats per kept neuron, in 2 thread tiles
// of 32 columns.
// REMARK: remark: activation-sparsity: FFN skips zero ReLU activations (T=1, H=32, D=64)
// CHECK-LABEL: func.func @relu_t1
// CHECK-SAME:    %[[X:[^:]+]]: tensor<1x64xf32>, %[[W1:[^:]+]]: tensor<32x64xf32>, %[[B1:[^:]+]]: tensor<32xf32>, %[[W2:[^:]+]]: tensor<64x32xf32>, %[[B2:[^:]+]]: tensor<64xf32>
// CHECK-NOT:   ffn.
// CHECK:       %[[W1T:.+]] = linalg.transpose ins(%[[W1]] : tensor<32x64xf32>) outs(%{{.+}} : tensor<64x32xf32>) permutation = [1, 0]
// CHECK:       %[[H:.+]] = scf.forall (%{{.+}}) in (2) shared_outs(%{{.+}}) -> (tensor<1x32xf32>)
// CHECK:         vector.transfer_read %[[B1]]
// CHECK:         scf.for %[[I:.+]] = %{{.+}} to %{{.+}} step %{{.+}} iter_args
// CHECK:           %[[X0:.+]] = tensor.extract %[[X]][%{{.+}}, %[[I]]]
// CHECK:           scf.for
// CHECK:             %[[WU:.+]] = vector.transfer_read %[[W1T]][%[[I]], %{{.+}}]{{.*}} : tensor<64x32xf32>, vector<16xf32>
// CHECK:             %[[XB0:.+]] = vector.broadcast %[[X0]]
// CHECK:             vector.fma %[[XB0]], %[[WU]]
// CHECK:         scf.for
// CHECK:           arith.maximumf %{{.+}}, %{{.+}} : vector<16xf32>
// CHECK:         scf.forall.in_parallel
// CHECK:       %[[W2T:.+]] = linalg.transpose ins(%[[W2]] : tensor<64x32xf32>) outs(%{{.+}} : tensor<32x64xf32>) permutation = [1, 0]
// CHECK:       %[[LIST:.+]]:2 = scf.for %[[J:.+]] = %{{.+}} to %{{.+}} step %{{.+}} iter_args(%[[IDX:.+]] = %{{.+}}, %[[N:.+]] = %{{.+}}) -> (tensor<32xi32>, index)
// CHECK:         %[[H0:.+]] = tensor.extract %[[H]][%{{.+}}, %[[J]]]
// CHECK:         %[[NZ:.+]] = arith.cmpf une, %[[H0]]
// CHECK:         %[[JI:.+]] = arith.index_cast %[[J]] : index to i32
// CHECK:         %[[INS:.+]] = tensor.insert %[[JI]] into %[[IDX]][%[[N]]]
// CHECK:         arith.extui %[[NZ]]
// CHECK:         %[[N2:.+]] = arith.addi %[[N]]
// CHECK:         scf.yield %[[INS]], %[[N2]]
// CHECK:       scf.forall (%[[TILE:.+]]) in (2) shared_outs(%[[OUT:.+]] = %{{.+}}) -> (tensor<1x64xf32>)
// CHECK:         %[[BASE:.+]] = arith.muli %[[TILE]], %{{.+}}
// CHECK:         %[[SLICE:.+]] = tensor.extract_slice %[[OUT]][0, %[[BASE]]] [1, 32] [1, 1]
//                  The tile starts from the bias.
// CHECK:         scf.for {{.+}} iter_args(%{{.+}} = %[[SLICE]])
// CHECK:           vector.transfer_read %[[B2]]
// CHECK:         scf.for %[[K:.+]] = %{{.+}} to %[[LIST]]#1 step
// CHECK:           %[[JK:.+]] = tensor.extract %[[LIST]]#0[%[[K]]] : tensor<32xi32>
// CHECK:           %[[JX:.+]] = arith.index_cast %[[JK]] : i32 to index
// CHECK:           %[[A0:.+]] = tensor.extract %[[H]][%{{.+}}, %[[JX]]]
// CHECK:           scf.for
// CHECK:             %[[W:.+]] = vector.transfer_read %[[W2T]][%[[JX]], %{{.+}}]{{.*}} : tensor<32x64xf32>, vector<16xf32>
// CHECK:             %[[S0:.+]] = vector.broadcast %[[A0]] : f32 to vector<16xf32>
// CHECK:             vector.fma %[[S0]], %[[W]], %{{.+}} : vector<16xf32>
// CHECK:         scf.forall.in_parallel
// CHECK:           tensor.parallel_insert_slice %{{.+}} into %[[OUT]][0, %[[BASE]]] [1, 32] [1, 1]
// NEVER-LABEL: func.func @relu_t1
// NEVER:         ffn.mlp
// NEVER-NOT:     scf.for
func.func @relu_t1(%x: tensor<1x64xf32>, %w1: tensor<32x64xf32>, %b1: tensor<32xf32>, %w2: tensor<64x32xf32>, %b2: tensor<64xf32>) -> tensor<1x64xf32> {
  %y = ffn.mlp(%x, %w1, %b1, %w2, %b2) : (tensor<1x64xf32>, tensor<32x64xf32>, tensor<32xf32>, tensor<64x32xf32>, tensor<64xf32>) -> tensor<1x64xf32> {
  ^bb0(%a: tensor<1x64xf32>, %p1: tensor<32x64xf32>, %q1: tensor<32xf32>, %p2: tensor<64x32xf32>, %q2: tensor<64xf32>):
    %h = ffn.linear %a, %p1, %q1 : (tensor<1x64xf32>, tensor<32x64xf32>, tensor<32xf32>) -> tensor<1x32xf32>
    %g = ffn.relu %h : tensor<1x32xf32>
    %o = ffn.linear %g, %p2, %q2 : (tensor<1x32xf32>, tensor<64x32xf32>, tensor<64xf32>) -> tensor<1x64xf32>
    ffn.yield %o : tensor<1x64xf32>
  }
  return %y : tensor<1x64xf32>
}

// -----

// T=2: the up projection stays a linear (a GEMM with rows to fill its
// register tiles). The compaction loop also packs the kept columns of h
// into the rows of a [32, 2] tensor, so the product reads a neuron's two
// activations side by side.
// CHECK-LABEL: func.func @relu_t2
// CHECK:         %[[UP:.+]] = ffn.linear
// CHECK:         %[[H:.+]] = ffn.relu %[[UP]] : tensor<2x32xf32>
// CHECK:         %[[LIST:.+]]:3 = scf.for %[[J:.+]] = {{.+}} iter_args(%{{.+}} = %{{.+}}, %[[N:.+]] = %{{.+}}, %[[P:.+]] = %{{.+}}) -> (tensor<32xi32>, index, tensor<32x2xf32>)
// CHECK:           %[[H0:.+]] = tensor.extract %[[H]][%{{.+}}, %[[J]]]
// CHECK:           %[[H1:.+]] = tensor.extract %[[H]][%{{.+}}, %[[J]]]
// CHECK:           arith.ori
// CHECK:           %[[P0:.+]] = tensor.insert %[[H0]] into %[[P]][%[[N]], %{{.+}}]
// CHECK:           tensor.insert %[[H1]] into %[[P0]][%[[N]], %{{.+}}]
// CHECK:         scf.forall (%{{.+}}) in (2)
// CHECK:           scf.for %[[K:.+]] = %{{.+}} to %[[LIST]]#1 step
// CHECK:             tensor.extract %[[LIST]]#2[%[[K]], %{{.+}}] : tensor<32x2xf32>
// CHECK:             tensor.extract %[[LIST]]#2[%[[K]], %{{.+}}] : tensor<32x2xf32>
// CHECK-COUNT-2:       vector.fma {{.+}} : vector<16xf32>
func.func @relu_t2(%x: tensor<2x64xf32>, %w1: tensor<32x64xf32>, %b1: tensor<32xf32>, %w2: tensor<64x32xf32>, %b2: tensor<64xf32>) -> tensor<2x64xf32> {
  %y = ffn.mlp(%x, %w1, %b1, %w2, %b2) : (tensor<2x64xf32>, tensor<32x64xf32>, tensor<32xf32>, tensor<64x32xf32>, tensor<64xf32>) -> tensor<2x64xf32> {
  ^bb0(%a: tensor<2x64xf32>, %p1: tensor<32x64xf32>, %q1: tensor<32xf32>, %p2: tensor<64x32xf32>, %q2: tensor<64xf32>):
    %h = ffn.linear %a, %p1, %q1 : (tensor<2x64xf32>, tensor<32x64xf32>, tensor<32xf32>) -> tensor<2x32xf32>
    %g = ffn.relu %h : tensor<2x32xf32>
    %o = ffn.linear %g, %p2, %q2 : (tensor<2x32xf32>, tensor<64x32xf32>, tensor<64xf32>) -> tensor<2x64xf32>
    ffn.yield %o : tensor<2x64xf32>
  }
  return %y : tensor<2x64xf32>
}

// -----

// A constant W2 is transposed at compile time: [[1, 2, 3], [4, 5, 6]]
// becomes the rows [1, 4], [2, 5], [3, 6]. No bias: the tile starts from
// zero. D=2 is below the vector width: one tile, one 2-lane step.
// CHECK-LABEL: func.func @tiny_constant
// CHECK:         %[[W2T:.+]] = arith.constant dense_resource<[[BLOB:.+]]> : tensor<3x2xf32>
// CHECK:         scf.forall (%{{.+}}) in (1) {{.+}} -> (tensor<1x2xf32>)
// CHECK:           arith.constant dense<0.000000e+00> : vector<2xf32>
// CHECK:           vector.transfer_read %[[W2T]]{{.+}} : tensor<3x2xf32>, vector<2xf32>
// CHECK:           vector.fma {{.+}} : vector<2xf32>
// CHECK:       [[BLOB]]: "0x040000000000803F00008040000000400000A040000040400000C040"
func.func @tiny_constant(%x: tensor<1x2xf32>, %w1: tensor<3x2xf32>) -> tensor<1x2xf32> {
  %w2 = arith.constant dense<[[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]]> : tensor<2x3xf32>
  %y = ffn.mlp(%x, %w1, %w2) : (tensor<1x2xf32>, tensor<3x2xf32>, tensor<2x3xf32>) -> tensor<1x2xf32> {
  ^bb0(%a: tensor<1x2xf32>, %p1: tensor<3x2xf32>, %p2: tensor<2x3xf32>):
    %h = ffn.linear %a, %p1 : (tensor<1x2xf32>, tensor<3x2xf32>) -> tensor<1x3xf32>
    %g = ffn.relu %h : tensor<1x3xf32>
    %o = ffn.linear %g, %p2 : (tensor<1x3xf32>, tensor<2x3xf32>) -> tensor<1x2xf32>
    ffn.yield %o : tensor<1x2xf32>
  }
  return %y : tensor<1x2xf32>
}

// -----

// Gated dReLU at T=1 (gate and up fused into one linear, as -O2 leaves
// them): the fused projection becomes a row product without ReLU, the
// slices, both ReLUs and the product stay, and the down projection skips
// the zero neurons of the product.
// REMARK: remark: activation-sparsity: FFN skips zero ReLU activations (T=1, H=16, D=8)
// CHECK-LABEL: func.func @drelu_t1
// CHECK-NOT:     ffn.linear
// CHECK:         %[[GU:.+]] = scf.forall (%{{.+}}) in (2) {{.+}} -> (tensor<1x32xf32>)
// CHECK-NOT:       arith.maximumf
// CHECK:         scf.forall.in_parallel
// CHECK:         %[[G:.+]] = tensor.extract_slice %[[GU]][0, 0] [1, 16]
// CHECK:         %[[U:.+]] = tensor.extract_slice %[[GU]][0, 16] [1, 16]
// CHECK:         %[[RG:.+]] = ffn.relu %[[G]]
// CHECK:         %[[RU:.+]] = ffn.relu %[[U]]
// CHECK:         %[[M:.+]] = arith.mulf %[[RG]], %[[RU]]
// CHECK:         scf.for {{.+}} -> (tensor<16xi32>, index)
// CHECK:           tensor.extract %[[M]]
// CHECK:         scf.forall (%{{.+}}) in (1) {{.+}} -> (tensor<1x8xf32>)
func.func @drelu_t1(%x: tensor<1x8xf32>, %wgu: tensor<32x8xf32>, %wd: tensor<8x16xf32>) -> tensor<1x8xf32> {
  %y = ffn.mlp(%x, %wgu, %wd) : (tensor<1x8xf32>, tensor<32x8xf32>, tensor<8x16xf32>) -> tensor<1x8xf32> {
  ^bb0(%a: tensor<1x8xf32>, %p1: tensor<32x8xf32>, %p2: tensor<8x16xf32>):
    %gu = ffn.linear %a, %p1 : (tensor<1x8xf32>, tensor<32x8xf32>) -> tensor<1x32xf32>
    %g = tensor.extract_slice %gu[0, 0] [1, 16] [1, 1] : tensor<1x32xf32> to tensor<1x16xf32>
    %u = tensor.extract_slice %gu[0, 16] [1, 16] [1, 1] : tensor<1x32xf32> to tensor<1x16xf32>
    %rg = ffn.relu %g : tensor<1x16xf32>
    %ru = ffn.relu %u : tensor<1x16xf32>
    %m = arith.mulf %rg, %ru : tensor<1x16xf32>
    %o = ffn.linear %m, %p2 : (tensor<1x16xf32>, tensor<8x16xf32>) -> tensor<1x8xf32>
    ffn.yield %o : tensor<1x8xf32>
  }
  return %y : tensor<1x8xf32>
}

// -----

// T = 2 x 8 = 16 tokens: over max-tokens, so auto leaves the FFN dense;
// always lowers it with a loop over the tokens (no unrolling past 8) and a
// 44-column D loop of 8-lane steps with a 4-lane remainder.
// CHECK-LABEL: func.func @relu_t16
// CHECK:         ffn.mlp
// CHECK-NOT:     scf.forall
// ALWAYS-LABEL: func.func @relu_t16
// ALWAYS-NOT:    ffn.mlp
// ALWAYS:        %[[UP:.+]] = ffn.linear
// ALWAYS:        %[[H:.+]] = ffn.relu %[[UP]] : tensor<2x8x32xf32>
// ALWAYS:        tensor.collapse_shape %[[H]] {{\[}}[0, 1], [2]] : tensor<2x8x32xf32> into tensor<16x32xf32>
// ALWAYS:        scf.for {{.+}} -> (tensor<32xi32>, index)
// ALWAYS:          scf.for {{.+}} -> (i1)
// ALWAYS:        scf.forall (%{{.+}}) in (1) {{.+}} -> (tensor<16x44xf32>)
// ALWAYS:          scf.for %{{.+}} = %{{.+}} to %{{.+}}#1
// ALWAYS:            scf.for %[[T:.+]] = %{{.+}} to %{{.+}} step
// ALWAYS:              vector.fma {{.+}} : vector<8xf32>
// ALWAYS:              vector.fma {{.+}} : vector<4xf32>
// ALWAYS:        tensor.expand_shape %{{.+}} {{\[}}[0, 1], [2]] output_shape [2, 8, 44] : tensor<16x44xf32> into tensor<2x8x44xf32>
func.func @relu_t16(%x: tensor<2x8x44xf32>, %w1: tensor<32x44xf32>, %w2: tensor<44x32xf32>) -> tensor<2x8x44xf32> {
  %y = ffn.mlp(%x, %w1, %w2) : (tensor<2x8x44xf32>, tensor<32x44xf32>, tensor<44x32xf32>) -> tensor<2x8x44xf32> {
  ^bb0(%a: tensor<2x8x44xf32>, %p1: tensor<32x44xf32>, %p2: tensor<44x32xf32>):
    %h = ffn.linear %a, %p1 : (tensor<2x8x44xf32>, tensor<32x44xf32>) -> tensor<2x8x32xf32>
    %g = ffn.relu %h : tensor<2x8x32xf32>
    %o = ffn.linear %g, %p2 : (tensor<2x8x32xf32>, tensor<44x32xf32>) -> tensor<2x8x44xf32>
    ffn.yield %o : tensor<2x8x44xf32>
  }
  return %y : tensor<2x8x44xf32>
}

// -----

// Other activations are never touched: GELU is not zero on a set of
// neurons.
// CHECK-LABEL: func.func @gelu_t1
// CHECK:         ffn.mlp
// CHECK:           ffn.gelu
// CHECK-NOT:     scf.forall
// ALWAYS-LABEL: func.func @gelu_t1
// ALWAYS:        ffn.mlp
func.func @gelu_t1(%x: tensor<1x8xf32>, %w1: tensor<16x8xf32>, %w2: tensor<8x16xf32>) -> tensor<1x8xf32> {
  %y = ffn.mlp(%x, %w1, %w2) : (tensor<1x8xf32>, tensor<16x8xf32>, tensor<8x16xf32>) -> tensor<1x8xf32> {
  ^bb0(%a: tensor<1x8xf32>, %p1: tensor<16x8xf32>, %p2: tensor<8x16xf32>):
    %h = ffn.linear %a, %p1 : (tensor<1x8xf32>, tensor<16x8xf32>) -> tensor<1x16xf32>
    %g = ffn.gelu %h : tensor<1x16xf32>
    %o = ffn.linear %g, %p2 : (tensor<1x16xf32>, tensor<8x16xf32>) -> tensor<1x8xf32>
    ffn.yield %o : tensor<1x8xf32>
  }
  return %y : tensor<1x8xf32>
}
