// Numerical exactness of ffn-fuse-horizontal at the top level of a function
// and inside a gated FFN, on a rank-3 input: Q/K/V-style projections of
// different widths (one without a bias) fused into one linear whose slices
// feed elementwise ops and another linear. -O1 (no rewrites) is the
// reference; -O2 must agree to 1e-5 relative.
// REQUIRES: numpy, ffn-compile
// RUN: ffn-opt %s -ffn-fuse-horizontal | FileCheck %s
// RUN: rm -rf %t && mkdir -p %t/o1 %t/o2
// RUN: %python -c "import numpy as np; np.save('%t/x.npy', np.random.default_rng(2).standard_normal((2, 3, 6), dtype=np.float32))"
// RUN: ffn-compile -O1 %s -o %t/o1/model
// RUN: ffn-compile -O2 %s -o %t/o2/model --ffn-report 2>&1 | FileCheck %s --check-prefix=REPORT
// RUN: %t/o1/model --input x=%t/x.npy --output-dir %t/o1
// RUN: %t/o2/model --input x=%t/x.npy --output-dir %t/o2
// RUN: %python -m ffn_tools.compare %t/o1/y.npy %t/o2/y.npy --rtol 1e-5 | FileCheck %s --check-prefix=SAME

// CHECK-LABEL: func.func @main
// CHECK:       %[[F:.+]] = ffn.linear %{{.+}} -> tensor<2x3x14xf32>
// CHECK-NEXT:  tensor.extract_slice %[[F]][0, 0, 0] [2, 3, 4] [1, 1, 1]
// CHECK-NEXT:  tensor.extract_slice %[[F]][0, 0, 4] [2, 3, 4] [1, 1, 1]
// CHECK-NEXT:  tensor.extract_slice %[[F]][0, 0, 8] [2, 3, 6] [1, 1, 1]
// CHECK:       ffn.mlp{{.+}}ffn.applied = ["fuse-horizontal"]
// CHECK:         ffn.linear %{{.+}} -> tensor<2x3x20xf32>

// REPORT: gated {{.+}} permute-neurons,fuse-horizontal

// SAME: max_rel_error
// SAME-NOT: FAIL

func.func @main(%x: tensor<2x3x6xf32> {ffn.name = "x"}) -> (tensor<2x3x6xf32> {ffn.name = "y"}) {
  %wq = arith.constant dense<[[0.0005, 0.1195, -0.1097, -0.3562, -0.1819, -0.3967], [0.0241, 0.5361, -0.1969, -0.2482, 0.1959, 0.1428], [0.0422, -0.3722, -0.0117, 0.2781, -0.5377, -0.1830], [-0.7605, -0.5158, -0.7367, -0.0940, -0.5070, 0.1085]]> : tensor<4x6xf32>
  %bq = arith.constant dense<[0.0157, -0.0187, -0.2517, -0.0539]> : tensor<4xf32>
  %wk = arith.constant dense<[[-0.0194, 0.0453, -0.6121, -0.1911, -0.3914, -0.3235], [0.4244, -0.3230, -0.0130, 0.3538, -0.2334, -0.0447], [0.0442, 0.0255, -0.4900, 0.0305, 0.5435, -0.6189], [0.3438, 0.0477, -0.2566, 0.8002, 0.3049, -0.4797]]> : tensor<4x6xf32>
  %wv = arith.constant dense<[[0.0298, 0.2307, -0.0755, 0.2732, -0.0266, 0.2669], [0.5754, -0.2703, 0.0813, -0.1853, 0.0509, -0.4749], [-0.2317, -0.0785, 0.3595, 0.4581, -0.5294, -0.3179], [0.2588, -0.7970, -0.1853, -0.0389, 0.5028, 0.2758], [-0.1309, -0.1474, -0.1001, 0.6094, -0.1712, -0.1215], [0.1410, -0.0483, -0.0789, -0.4456, -0.0046, -0.1774]]> : tensor<6x6xf32>
  %bv = arith.constant dense<[0.1166, 0.0653, -0.0024, 0.0668, -0.0340, 0.1052]> : tensor<6xf32>
  %wo = arith.constant dense<[[-0.0022, 0.2334, -0.5164, 0.1387], [-0.6753, -0.8141, -0.1218, -0.3600], [0.0656, 0.8979, -0.3327, -0.2496], [0.0822, 0.1972, -0.0706, -0.0824], [0.2810, 0.2080, -0.4135, -0.0317], [0.0141, -0.4218, 0.1039, -0.3432]]> : tensor<6x4xf32>
  %wg = arith.constant dense<[[0.3888, 0.0771, 0.0357, -0.2364, -0.0474, -0.7991], [-0.4526, 0.1451, -0.8514, 0.3386, -0.6984, 0.3027], [-0.3382, 0.3116, 0.0524, -0.6147, 0.4997, 0.5767], [-0.0263, -0.1096, -0.0639, -0.3901, 0.4394, -0.2172], [-0.0205, -0.3173, -0.2504, -0.5111, 0.5028, -0.0616], [0.3864, 0.0053, -0.2778, -0.1307, -0.2241, 0.0032], [-0.1501, -0.1200, -0.5514, -0.3227, 0.6616, -0.2685], [-0.4216, 0.1349, 0.5629, -0.5816, -0.0834, -0.2528], [-0.7044, 0.2940, -0.0094, 0.0286, -0.3009, 0.1819], [-0.2157, -0.0572, -0.4433, -0.4864, 0.5342, -0.2028]]> : tensor<10x6xf32>
  %wu = arith.constant dense<[[0.1167, -0.0135, -0.1765, -0.2032, 0.2520, -0.1207], [-0.0606, 0.0089, 0.4706, 0.2722, 0.1530, -0.2254], [-0.5528, 0.3798, 0.3866, -0.0563, 0.2168, 0.3126], [0.3325, 0.3686, -0.1822, 0.6060, -0.4986, 0.3447], [0.1976, 0.3494, 0.7516, 0.5938, -0.4581, -0.6755], [0.3268, -0.4060, -0.0050, 0.3359, -0.6575, -0.8440], [0.1037, 0.0178, -0.0983, 0.0154, -0.3442, -0.6054], [-0.0667, -0.3887, -0.6574, 0.2023, -0.0246, 0.1626], [-0.3957, -0.2632, -0.3996, -0.3547, 0.0782, -0.3132], [0.1424, 0.1359, 0.8101, -0.5571, 0.3552, -0.0358]]> : tensor<10x6xf32>
  %wd = arith.constant dense<[[-0.0056, -0.5799, -0.1841, 0.2973, -0.0330, 0.0324, -0.1163, 0.4618, -0.0086, -0.8802], [-0.2768, -0.7875, -1.3006, -0.2120, 0.5334, 0.0188, -0.4690, -0.3763, 0.4522, 0.0631], [0.0192, -0.0214, 0.0154, 0.3222, 0.2210, 0.0863, -0.4171, 0.2044, -0.2737, 0.4375], [-0.5084, -0.0550, -0.0029, -0.5299, 0.6888, 0.5842, -0.1854, 0.3087, 0.1515, -1.0454], [0.1002, -0.0245, 0.0333, -0.4307, -0.1077, -0.0713, 0.4752, 0.1338, -0.0022, 0.6116], [-0.2221, -0.1558, -0.7267, 0.6276, 0.3857, 0.3667, 0.2676, 0.0441, 0.0862, -0.1008]]> : tensor<6x10xf32>
  %q = ffn.linear %x, %wq, %bq : (tensor<2x3x6xf32>, tensor<4x6xf32>, tensor<4xf32>) -> tensor<2x3x4xf32>
  %k = ffn.linear %x, %wk : (tensor<2x3x6xf32>, tensor<4x6xf32>) -> tensor<2x3x4xf32>
  %v = ffn.linear %x, %wv, %bv : (tensor<2x3x6xf32>, tensor<6x6xf32>, tensor<6xf32>) -> tensor<2x3x6xf32>
  %qk = arith.mulf %q, %k : tensor<2x3x4xf32>
  %o = ffn.linear %qk, %wo : (tensor<2x3x4xf32>, tensor<6x4xf32>) -> tensor<2x3x6xf32>
  %h = arith.addf %v, %o : tensor<2x3x6xf32>
  %y = ffn.mlp(%h, %wg, %wu, %wd) : (tensor<2x3x6xf32>, tensor<10x6xf32>, tensor<10x6xf32>, tensor<6x10xf32>) -> tensor<2x3x6xf32> {
  ^bb0(%a: tensor<2x3x6xf32>, %pg: tensor<10x6xf32>, %pu: tensor<10x6xf32>, %pd: tensor<6x10xf32>):
    %hg = ffn.linear %a, %pg : (tensor<2x3x6xf32>, tensor<10x6xf32>) -> tensor<2x3x10xf32>
    %hu = ffn.linear %a, %pu : (tensor<2x3x6xf32>, tensor<10x6xf32>) -> tensor<2x3x10xf32>
    %s = ffn.silu %hg : tensor<2x3x10xf32>
    %m = arith.mulf %s, %hu : tensor<2x3x10xf32>
    %d = ffn.linear %m, %pd : (tensor<2x3x10xf32>, tensor<6x10xf32>) -> tensor<2x3x6xf32>
    ffn.yield %d : tensor<2x3x6xf32>
  }
  %r = arith.addf %h, %y : tensor<2x3x6xf32>
  return %r : tensor<2x3x6xf32>
}
