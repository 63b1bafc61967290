// RUN: ffn-opt %s -convert-ffn-to-linalg -split-input-file | FileCheck %s

// layer_norm: row sum -> mean, row sum of squared deviations -> 1/sqrt(var +
// eps), then (x - mean) * inv * scale + bias with scale and bias read per
// feature.
// CHECK-DAG: #[[ID2:.+]] = affine_map<(d0, d1) -> (d0, d1)>
// CHECK-DAG: #[[ROW:.+]] = affine_map<(d0, d1) -> (d0)>
// CHECK-DAG: #[[ID1:.+]] = affine_map<(d0) -> (d0)>
// CHECK-DAG: #[[FEAT:.+]] = affine_map<(d0, d1) -> (d1)>
// CHECK-LABEL: func.func @layer_norm
// CHECK-SAME:    %[[X:[^:]+]]: tensor<4x8xf32>, %[[S:[^:]+]]: tensor<8xf32>, %[[B:[^:]+]]: tensor<8xf32>
func.func @layer_norm(%x: tensor<4x8xf32>, %s: tensor<8xf32>, %b: tensor<8xf32>) -> tensor<4x8xf32> {
  // CHECK:      %[[N:.+]] = arith.constant 8.000000e+00 : f32
  // CHECK:      %[[Z1:.+]] = linalg.fill ins(%{{.+}} : f32) outs(%{{.+}} : tensor<4xf32>)
  // CHECK:      %[[SUM:.+]] = linalg.generic {indexing_maps = [#[[ID2]], #[[ROW]]], iterator_types = ["parallel", "reduction"]}
  // CHECK-SAME:     ins(%[[X]] : tensor<4x8xf32>) outs(%[[Z1]] : tensor<4xf32>)
  // CHECK:        arith.addf
  // CHECK:      %[[MEAN:.+]] = linalg.generic {indexing_maps = [#[[ID1]], #[[ID1]]], iterator_types = ["parallel"]}
  // CHECK-SAME:     ins(%[[SUM]] : tensor<4xf32>)
  // CHECK:        arith.divf %{{.+}}, %[[N]] : f32
  // CHECK:      %[[SQ:.+]] = linalg.generic {indexing_maps = [#[[ID2]], #[[ROW]], #[[ROW]]], iterator_types = ["parallel", "reduction"]}
  // CHECK-SAME:     ins(%[[X]], %[[MEAN]] : tensor<4x8xf32>, tensor<4xf32>)
  // CHECK:      ^bb0(%[[XI:.+]]: f32, %[[MI:.+]]: f32, %[[ACC:.+]]: f32):
  // CHECK-NEXT:   %[[D:.+]] = arith.subf %[[XI]], %[[MI]] : f32
  // CHECK-NEXT:   %[[D2:.+]] = arith.mulf %[[D]], %[[D]] : f32
  // CHECK-NEXT:   %[[NEW:.+]] = arith.addf %[[ACC]], %[[D2]] : f32
  // CHECK-NEXT:   linalg.yield %[[NEW]] : f32
  // CHECK:      %[[INV:.+]] = linalg.generic {indexing_maps = [#[[ID1]], #[[ID1]]], iterator_types = ["parallel"]}
  // CHECK-SAME:     ins(%[[SQ]] : tensor<4xf32>)
  // CHECK:      ^bb0(%[[V:.+]]: f32, %{{.+}}: f32):
  // CHECK-NEXT:   %[[VAR:.+]] = arith.divf %[[V]], %[[N]] : f32
  // CHECK-NEXT:   %[[EPS:.+]] = arith.constant 9.99999996E-13 : f32
  // CHECK-NEXT:   %[[VE:.+]] = arith.addf %[[VAR]], %[[EPS]] : f32
  // CHECK-NEXT:   %[[RS:.+]] = math.rsqrt %[[VE]] : f32
  // CHECK-NEXT:   linalg.yield %[[RS]] : f32
  // CHECK:      %[[Y:.+]] = linalg.generic {indexing_maps = [#[[ID2]], #[[ROW]], #[[ROW]], #[[FEAT]], #[[FEAT]], #[[ID2]]], iterator_types = ["parallel", "parallel"]}
  // CHECK-SAME:     ins(%[[X]], %[[MEAN]], %[[INV]], %[[S]], %[[B]] : tensor<4x8xf32>, tensor<4xf32>, tensor<4xf32>, tensor<8xf32>, tensor<8xf32>)
  // CHECK:      ^bb0(%[[XI:.+]]: f32, %[[MI:.+]]: f32, %[[II:.+]]: f32, %[[SI:.+]]: f32, %[[BI:.+]]: f32, %{{.+}}: f32):
  // CHECK-NEXT:   %[[D:.+]] = arith.subf %[[XI]], %[[MI]] : f32
  // CHECK-NEXT:   %[[NX:.+]] = arith.mulf %[[D]], %[[II]] : f32
  // CHECK-NEXT:   %[[SC:.+]] = arith.mulf %[[NX]], %[[SI]] : f32
  // CHECK-NEXT:   %[[R:.+]] = arith.addf %[[SC]], %[[BI]] : f32
  // CHECK-NEXT:   linalg.yield %[[R]] : f32
  // CHECK:      return %[[Y]]
  %0 = ffn.layer_norm %x scale %s bias %b {epsilon = 1.0e-12 : f32} : (tensor<4x8xf32>, tensor<8xf32>, tensor<8xf32>) -> tensor<4x8xf32>
  return %0 : tensor<4x8xf32>
}

// -----

// Without scale and bias the last generic reads only x, the mean and the
// inverse deviation; the default epsilon is 1e-5.
// CHECK-LABEL: func.func @layer_norm_plain
// CHECK-SAME:    %[[X:[^:]+]]: tensor<2x3x8xf32>
func.func @layer_norm_plain(%x: tensor<2x3x8xf32>) -> tensor<2x3x8xf32> {
  // CHECK:      arith.constant 9.99999974E-6 : f32
  // CHECK:      math.rsqrt
  // CHECK:      %[[Y:.+]] = linalg.generic
  // CHECK-SAME:     iterator_types = ["parallel", "parallel", "parallel"]
  // CHECK-SAME:     ins(%[[X]], %{{[^,]+}}, %{{[^,]+}} : tensor<2x3x8xf32>, tensor<2x3xf32>, tensor<2x3xf32>)
  // CHECK:      ^bb0(%[[XI:.+]]: f32, %[[MI:.+]]: f32, %[[II:.+]]: f32, %{{.+}}: f32):
  // CHECK-NEXT:   %[[D:.+]] = arith.subf %[[XI]], %[[MI]] : f32
  // CHECK-NEXT:   %[[R:.+]] = arith.mulf %[[D]], %[[II]] : f32
  // CHECK-NEXT:   linalg.yield %[[R]] : f32
  // CHECK:      return %[[Y]]
  %0 = ffn.layer_norm %x : (tensor<2x3x8xf32>) -> tensor<2x3x8xf32>
  return %0 : tensor<2x3x8xf32>
}

// -----

// rms_norm: one reduction (sum of squares), then x * 1/sqrt(mean + eps) *
// scale; no mean is subtracted.
// CHECK-DAG: #[[ID2:.+]] = affine_map<(d0, d1) -> (d0, d1)>
// CHECK-DAG: #[[ROW:.+]] = affine_map<(d0, d1) -> (d0)>
// CHECK-DAG: #[[FEAT:.+]] = affine_map<(d0, d1) -> (d1)>
// CHECK-LABEL: func.func @rms_norm
// CHECK-SAME:    %[[X:[^:]+]]: tensor<?x16xf32>, %[[S:[^:]+]]: tensor<16xf32>
func.func @rms_norm(%x: tensor<?x16xf32>, %s: tensor<16xf32>) -> tensor<?x16xf32> {
  // CHECK:      %[[N:.+]] = arith.constant 1.600000e+01 : f32
  // CHECK:      %[[SQ:.+]] = linalg.generic {indexing_maps = [#[[ID2]], #[[ROW]]], iterator_types = ["parallel", "reduction"]}
  // CHECK-SAME:     ins(%[[X]] : tensor<?x16xf32>) outs(%{{.+}} : tensor<?xf32>)
  // CHECK:      ^bb0(%[[XI:.+]]: f32, %[[ACC:.+]]: f32):
  // CHECK-NEXT:   %[[X2:.+]] = arith.mulf %[[XI]], %[[XI]] : f32
  // CHECK-NEXT:   %[[NEW:.+]] = arith.addf %[[ACC]], %[[X2]] : f32
  // CHECK-NEXT:   linalg.yield %[[NEW]] : f32
  // CHECK:      %[[INV:.+]] = linalg.generic
  // CHECK-SAME:     ins(%[[SQ]] : tensor<?xf32>)
  // CHECK:        arith.divf %{{.+}}, %[[N]] : f32
  // CHECK:        arith.constant 9.99999997E-7 : f32
  // CHECK:        math.rsqrt
  // CHECK:      %[[Y:.+]] = linalg.generic {indexing_maps = [#[[ID2]], #[[ROW]], #[[FEAT]], #[[ID2]]], iterator_types = ["parallel", "parallel"]}
  // CHECK-SAME:     ins(%[[X]], %[[INV]], %[[S]] : tensor<?x16xf32>, tensor<?xf32>, tensor<16xf32>)
  // CHECK:      ^bb0(%[[XI:.+]]: f32, %[[II:.+]]: f32, %[[SI:.+]]: f32, %{{.+}}: f32):
  // CHECK-NEXT:   %[[NX:.+]] = arith.mulf %[[XI]], %[[II]] : f32
  // CHECK-NEXT:   %[[R:.+]] = arith.mulf %[[NX]], %[[SI]] : f32
  // CHECK-NEXT:   linalg.yield %[[R]] : f32
  // CHECK:      return %[[Y]]
  %0 = ffn.rms_norm %x scale %s {epsilon = 1.0e-06 : f32} : (tensor<?x16xf32>, tensor<16xf32>) -> tensor<?x16xf32>
  return %0 : tensor<?x16xf32>
}

// -----

// A dynamic feature count is read at run time and converted to float.
// CHECK-LABEL: func.func @rms_norm_dynamic_features
// CHECK-SAME:    %[[X:[^:]+]]: tensor<4x?xf32>
func.func @rms_norm_dynamic_features(%x: tensor<4x?xf32>) -> tensor<4x?xf32> {
  // CHECK:      %[[C1:.+]] = arith.constant 1 : index
  // CHECK:      %[[D:.+]] = tensor.dim %[[X]], %[[C1]] : tensor<4x?xf32>
  // CHECK:      %[[I:.+]] = arith.index_cast %[[D]] : index to i64
  // CHECK:      %[[N:.+]] = arith.sitofp %[[I]] : i64 to f32
  // CHECK:      linalg.generic
  // CHECK-SAME:     iterator_types = ["parallel", "reduction"]
  // CHECK:      linalg.generic
  // CHECK:        arith.divf %{{.+}}, %[[N]] : f32
  // CHECK:        math.rsqrt
  %0 = ffn.rms_norm %x : (tensor<4x?xf32>) -> tensor<4x?xf32>
  return %0 : tensor<4x?xf32>
}

// -----

// batch_norm in inference form is a single elementwise generic reading the
// four per-channel vectors along the last dimension.
// CHECK-DAG: #[[ID3:.+]] = affine_map<(d0, d1, d2) -> (d0, d1, d2)>
// CHECK-DAG: #[[CH:.+]] = affine_map<(d0, d1, d2) -> (d2)>
// CHECK-LABEL: func.func @batch_norm
// CHECK-SAME:    %[[X:[^:]+]]: tensor<2x3x8xf32>, %[[S:[^:]+]]: tensor<8xf32>, %[[B:[^:]+]]: tensor<8xf32>, %[[M:[^:]+]]: tensor<8xf32>, %[[V:[^:]+]]: tensor<8xf32>
func.func @batch_norm(%x: tensor<2x3x8xf32>, %s: tensor<8xf32>, %b: tensor<8xf32>, %m: tensor<8xf32>, %v: tensor<8xf32>) -> tensor<2x3x8xf32> {
  // CHECK-NOT:  iterator_types = [{{.*}}"reduction"
  // CHECK:      %[[Y:.+]] = linalg.generic {indexing_maps = [#[[ID3]], #[[CH]], #[[CH]], #[[CH]], #[[CH]], #[[ID3]]], iterator_types = ["parallel", "parallel", "parallel"]}
  // CHECK-SAME:     ins(%[[X]], %[[S]], %[[B]], %[[M]], %[[V]] :
  // CHECK:      ^bb0(%[[XI:.+]]: f32, %[[SI:.+]]: f32, %[[BI:.+]]: f32, %[[MI:.+]]: f32, %[[VI:.+]]: f32, %{{.+}}: f32):
  // CHECK-NEXT:   %[[EPS:.+]] = arith.constant 1.000000e-03 : f32
  // CHECK-NEXT:   %[[VE:.+]] = arith.addf %[[VI]], %[[EPS]] : f32
  // CHECK-NEXT:   %[[INV:.+]] = math.rsqrt %[[VE]] : f32
  // CHECK-NEXT:   %[[D:.+]] = arith.subf %[[XI]], %[[MI]] : f32
  // CHECK-NEXT:   %[[NX:.+]] = arith.mulf %[[D]], %[[INV]] : f32
  // CHECK-NEXT:   %[[SC:.+]] = arith.mulf %[[NX]], %[[SI]] : f32
  // CHECK-NEXT:   %[[R:.+]] = arith.addf %[[SC]], %[[BI]] : f32
  // CHECK-NEXT:   linalg.yield %[[R]] : f32
  // CHECK:      return %[[Y]]
  %0 = ffn.batch_norm %x, %s, %b, %m, %v {epsilon = 1.0e-03 : f32} : (tensor<2x3x8xf32>, tensor<8xf32>, tensor<8xf32>, tensor<8xf32>, tensor<8xf32>) -> tensor<2x3x8xf32>
  return %0 : tensor<2x3x8xf32>
}
