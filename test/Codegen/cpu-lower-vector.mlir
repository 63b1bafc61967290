// RUN: ffn-opt %s -ffn-cpu-lower-vector -split-input-file | FileCheck %s --implicit-check-not=vector.contract --implicit-check-not=vector.outerproduct --implicit-check-not=vector.multi_reduction --implicit-check-not=math.erf --implicit-check-not=math.tanh --implicit-check-not=math.exp --implicit-check-not=vector.transfer_ --implicit-check-not=vector.transpose

// A register-tile contraction (rows x 1 times 1 x cols) becomes one FMA per
// row: the row's lhs element broadcast, times the rhs row, plus the
// accumulator row.
// CHECK-LABEL: func.func @contract_to_fma
// CHECK-SAME:    %[[LHS:[^:]+]]: vector<4x1xf32>, %[[RHS:[^:]+]]: vector<1x16xf32>, %[[ACC:[^:]+]]: vector<4x16xf32>
// CHECK:         %[[B:.+]] = vector.extract %[[RHS]][0] : vector<16xf32> from vector<1x16xf32>
// CHECK:         %[[A0:.+]] = vector.extract %[[LHS]][0, 0] : f32 from vector<4x1xf32>
// CHECK:         %[[S0:.+]] = vector.broadcast %[[A0]] : f32 to vector<16xf32>
// CHECK:         %[[C0:.+]] = vector.extract %[[ACC]][0] : vector<16xf32> from vector<4x16xf32>
// CHECK:         %[[F0:.+]] = vector.fma %[[S0]], %[[B]], %[[C0]] : vector<16xf32>
// CHECK:         %[[R0:.+]] = vector.insert %[[F0]], %{{.+}} [0] : vector<16xf32> into vector<4x16xf32>
// CHECK:         vector.extract %[[LHS]][1, 0]
// CHECK:         vector.fma %{{.+}}, %[[B]], %{{.+}} : vector<16xf32>
// CHECK:         vector.extract %[[LHS]][2, 0]
// CHECK:         vector.fma %{{.+}}, %[[B]], %{{.+}} : vector<16xf32>
// CHECK:         vector.extract %[[LHS]][3, 0]
// CHECK:         %[[F3:.+]] = vector.fma %{{.+}}, %[[B]], %{{.+}} : vector<16xf32>
// CHECK:         %[[R3:.+]] = vector.insert %[[F3]], %{{.+}} [3] : vector<16xf32> into vector<4x16xf32>
// CHECK:         return %[[R3]]
func.func @contract_to_fma(%lhs: vector<4x1xf32>, %rhs: vector<1x16xf32>, %acc: vector<4x16xf32>) -> vector<4x16xf32> {
  %0 = vector.contract {indexing_maps = [affine_map<(m, n, k) -> (m, k)>, affine_map<(m, n, k) -> (k, n)>, affine_map<(m, n, k) -> (m, n)>], iterator_types = ["parallel", "parallel", "reduction"], kind = #vector.kind<add>} %lhs, %rhs, %acc : vector<4x1xf32>, vector<1x16xf32> into vector<4x16xf32>
  return %0 : vector<4x16xf32>
}

// -----

// The AVX-512 register tile: 8 FMAs on vector<32xf32>.
// CHECK-LABEL: func.func @contract_register_tile
// CHECK-COUNT-8: vector.fma {{.*}} : vector<32xf32>
// CHECK-NOT:     vector.fma
// CHECK:         return
func.func @contract_register_tile(%lhs: vector<8x1xf32>, %rhs: vector<1x32xf32>, %acc: vector<8x32xf32>) -> vector<8x32xf32> {
  %0 = vector.contract {indexing_maps = [affine_map<(m, n, k) -> (m, k)>, affine_map<(m, n, k) -> (k, n)>, affine_map<(m, n, k) -> (m, n)>], iterator_types = ["parallel", "parallel", "reduction"], kind = #vector.kind<add>} %lhs, %rhs, %acc : vector<8x1xf32>, vector<1x32xf32> into vector<8x32xf32>
  return %0 : vector<8x32xf32>
}

// -----

// In-bounds 1-D transfers on memrefs become plain vector loads and stores.
// CHECK-LABEL: func.func @transfer_1d
// CHECK-SAME:    %[[M:[^:]+]]: memref<64xf32>, %[[I:[^:]+]]: index
// CHECK:         %[[V:.+]] = vector.load %[[M]][%[[I]]] : memref<64xf32>, vector<16xf32>
// CHECK:         %[[W:.+]] = arith.addf %[[V]], %[[V]] : vector<16xf32>
// CHECK:         vector.store %[[W]], %[[M]][%[[I]]] : memref<64xf32>, vector<16xf32>
func.func @transfer_1d(%m: memref<64xf32>, %i: index) {
  %p = ub.poison : f32
  %v = vector.transfer_read %m[%i], %p {in_bounds = [true]} : memref<64xf32>, vector<16xf32>
  %w = arith.addf %v, %v : vector<16xf32>
  vector.transfer_write %w, %m[%i] {in_bounds = [true]} : vector<16xf32>, memref<64xf32>
  return
}

// -----

// A masked 1-D transfer becomes a masked load with the padding as pass-thru.
// CHECK-LABEL: func.func @masked_transfer
// CHECK-SAME:    %[[M:[^:]+]]: memref<?xf32>, %[[I:[^:]+]]: index, %[[N:[^:]+]]: index
// CHECK-DAG:     %[[MASK:.+]] = vector.create_mask %[[N]] : vector<16xi1>
// CHECK-DAG:     %[[PAD:.+]] = arith.constant dense<0.000000e+00> : vector<16xf32>
// CHECK:         %[[V:.+]] = vector.maskedload %[[M]][%[[I]]], %[[MASK]], %[[PAD]] : memref<?xf32>, vector<16xi1>, vector<16xf32> into vector<16xf32>
// CHECK:         return %[[V]]
func.func @masked_transfer(%m: memref<?xf32>, %i: index, %n: index) -> vector<16xf32> {
  %p = arith.constant 0.0 : f32
  %mask = vector.create_mask %n : vector<16xi1>
  %v = vector.transfer_read %m[%i], %p, %mask {in_bounds = [true]} : memref<?xf32>, vector<16xf32>
  return %v : vector<16xf32>
}

// -----

// erf is replaced by a rational polynomial approximation (Horner steps as
// math.fma, one division), which vectorises; no math.erf call is left.
// CHECK-LABEL: func.func @erf
// CHECK-SAME:    %[[X:[^:]+]]: vector<16xf32>
// CHECK:         arith.cmpf olt, %[[X]]
// CHECK-COUNT-8: math.fma {{.*}} : vector<16xf32>
// CHECK:         arith.divf {{.*}} : vector<16xf32>
// CHECK:         return
func.func @erf(%x: vector<16xf32>) -> vector<16xf32> {
  %0 = math.erf %x : vector<16xf32>
  return %0 : vector<16xf32>
}

// -----

// tanh and exp (GELU-tanh, SiLU) are approximated the same way.
// CHECK-LABEL: func.func @tanh_exp
// CHECK:         math.fma {{.*}} : vector<16xf32>
// CHECK:         arith.divf {{.*}} : vector<16xf32>
// CHECK:         math.floor {{.*}} : vector<16xf32>
// CHECK:         arith.bitcast {{.*}} : vector<16xi32> to vector<16xf32>
// CHECK:         return
func.func @tanh_exp(%x: vector<16xf32>) -> (vector<16xf32>, vector<16xf32>) {
  %0 = math.tanh %x : vector<16xf32>
  %1 = math.exp %x : vector<16xf32>
  return %0, %1 : vector<16xf32>, vector<16xf32>
}

// -----

// A row reduction becomes one horizontal vector.reduction per row, seeded
// with that row's accumulator.
// CHECK-LABEL: func.func @multi_reduction
// CHECK-SAME:    %[[V:[^:]+]]: vector<4x16xf32>, %[[ACC:[^:]+]]: vector<4xf32>
// CHECK:         %[[ROW0:.+]] = vector.extract %[[V]][0] : vector<16xf32> from vector<4x16xf32>
// CHECK:         %[[A0:.+]] = vector.extract %[[ACC]][0] : f32 from vector<4xf32>
// CHECK:         vector.reduction <add>, %[[ROW0]], %[[A0]] : vector<16xf32> into f32
// CHECK-COUNT-3: vector.reduction <add>, {{.*}} : vector<16xf32> into f32
// CHECK:         return
func.func @multi_reduction(%v: vector<4x16xf32>, %acc: vector<4xf32>) -> vector<4xf32> {
  %0 = vector.multi_reduction <add>, %v, %acc [1] : vector<4x16xf32> to vector<4xf32>
  return %0 : vector<4xf32>
}

// -----

// 2-D transposes go through a flat 1-D shuffle.
// CHECK-LABEL: func.func @transpose
// CHECK:         %[[FLAT:.+]] = vector.insert_strided_slice {{.*}} {offsets = [24], strides = [1]} : vector<8xf32> into vector<32xf32>
// CHECK:         vector.shuffle %[[FLAT]], %[[FLAT]] [0, 8, 16, 24, 1, 9, 17, 25, 2, 10, 18, 26, 3, 11, 19, 27, 4, 12, 20, 28, 5, 13, 21, 29, 6, 14, 22, 30, 7, 15, 23, 31] : vector<32xf32>, vector<32xf32>
func.func @transpose(%v: vector<4x8xf32>) -> vector<8x4xf32> {
  %0 = vector.transpose %v, [1, 0] : vector<4x8xf32> to vector<8x4xf32>
  return %0 : vector<8x4xf32>
}
