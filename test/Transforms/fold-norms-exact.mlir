// Numerical exactness of ffn-fold-norms on the forms the generated models do
// not cover: an inference batch norm in front of an FFN, a LayerScale after
// it, and one LayerNorm shared by two FFNs. -O1 (no rewrites) is the
// reference; -O2 folds everything and must agree to 1e-5 relative.
// REQUIRES: numpy, ffn-compile
// RUN: ffn-opt %s -ffn-fold-norms | FileCheck %s
// RUN: rm -rf %t && mkdir -p %t/o1 %t/o2
// RUN: %python -c "import numpy as np; np.save('%t/x.npy', np.random.default_rng(1).standard_normal((5, 6), dtype=np.float32))"
// RUN: ffn-compile -O1 %s -o %t/o1/model
// RUN: ffn-compile -O2 %s -o %t/o2/model --ffn-report 2>&1 | FileCheck %s --check-prefix=REPORT
// RUN: %t/o1/model --input x=%t/x.npy --output-dir %t/o1
// RUN: %t/o2/model --input x=%t/x.npy --output-dir %t/o2
// RUN: %python -m ffn_tools.compare %t/o1/y.npy %t/o2/y.npy --rtol 1e-5 | FileCheck %s --check-prefix=SAME

// CHECK-LABEL: func.func @main
// CHECK-NOT:   ffn.batch_norm
// CHECK:       ffn.mlp{{.+}}ffn.applied = ["fold-norms"]
// CHECK-NOT:   linalg.broadcast
// CHECK-NOT:   arith.mulf
// CHECK:       ffn.layer_norm %{{[^ ]+}} : (tensor<5x6xf32>) -> tensor<5x6xf32>
// CHECK-COUNT-2: ffn.applied = ["fold-norms"]

// REPORT-COUNT-3: fold-norms
// REPORT:         3 FFN(s)

// SAME: max_rel_error
// SAME-NOT: FAIL

func.func @main(%x: tensor<5x6xf32> {ffn.name = "x"}) -> (tensor<5x6xf32> {ffn.name = "y"}) {
  %bn_s = arith.constant dense<[1.0004, 1.0896, 0.9178, 0.7328, 0.8636, 0.7025]> : tensor<6xf32>
  %bn_b = arith.constant dense<[0.0180, 0.4021, -0.1477, -0.1861, 0.1470, 0.1071]> : tensor<6xf32>
  %bn_m = arith.constant dense<[0.0316, -0.2791, -0.0088, 0.2086, -0.4033, -0.1373]> : tensor<6xf32>
  %bn_v = arith.constant dense<[1.4506, 1.1448, 1.4209, 0.6175, 1.1337, 0.6356]> : tensor<6xf32>
  %w1 = arith.constant dense<[[0.0627, -0.0748, -1.0067, -0.2155, -0.0194, 0.0453], [-0.6121, -0.1911, -0.3914, -0.3235, 0.4244, -0.3230], [-0.0130, 0.3538, -0.2334, -0.0447, 0.0442, 0.0255], [-0.4900, 0.0305, 0.5435, -0.6189, 0.3438, 0.0477], [-0.2566, 0.8002, 0.3049, -0.4797, 0.0298, 0.2307], [-0.0755, 0.2732, -0.0266, 0.2669, 0.5754, -0.2703], [0.0813, -0.1853, 0.0509, -0.4749, -0.2317, -0.0785], [0.3595, 0.4581, -0.5294, -0.3179, 0.2588, -0.7970], [-0.1853, -0.0389, 0.5028, 0.2758, -0.1309, -0.1474], [-0.1001, 0.6094, -0.1712, -0.1215, 0.1410, -0.0483]]> : tensor<10x6xf32>
  %b1 = arith.constant dense<[-0.0197, -0.1114, -0.0012, -0.0444, 0.1166, 0.0653, -0.0024, 0.0668, -0.0340, 0.1052]> : tensor<10xf32>
  %w2 = arith.constant dense<[[-0.0022, 0.2334, -0.5164, 0.1387, -0.6753, -0.8141, -0.1218, -0.3600, 0.0656, 0.8979], [-0.3327, -0.2496, 0.0822, 0.1972, -0.0706, -0.0824, 0.2810, 0.2080, -0.4135, -0.0317], [0.0141, -0.4218, 0.1039, -0.3432, 0.3888, 0.0771, 0.0357, -0.2364, -0.0474, -0.7991], [-0.4526, 0.1451, -0.8514, 0.3386, -0.6984, 0.3027, -0.3382, 0.3116, 0.0524, -0.6147], [0.4997, 0.5767, -0.0263, -0.1096, -0.0639, -0.3901, 0.4394, -0.2172, -0.0205, -0.3173], [-0.2504, -0.5111, 0.5028, -0.0616, 0.3864, 0.0053, -0.2778, -0.1307, -0.2241, 0.0032]]> : tensor<6x10xf32>
  %b2 = arith.constant dense<[-0.0375, -0.0300, -0.1379, -0.0807, 0.1654, -0.0671]> : tensor<6xf32>
  %gamma = arith.constant dense<[0.2892, 0.5675, 0.7815, 0.2092, 0.4583, 0.3736]> : tensor<6xf32>
  %ln_g = arith.constant dense<[0.6478, 1.1470, 0.9953, 1.0143, 0.8495, 1.0910]> : tensor<6xf32>
  %ln_b = arith.constant dense<[-0.0539, -0.0143, -0.1108, -0.1216, 0.1336, -0.0507]> : tensor<6xf32>
  %wg = arith.constant dense<[[0.1167, -0.0135, -0.1765, -0.2032, 0.2520, -0.1207], [-0.0606, 0.0089, 0.4706, 0.2722, 0.1530, -0.2254], [-0.5528, 0.3798, 0.3866, -0.0563, 0.2168, 0.3126], [0.3325, 0.3686, -0.1822, 0.6060, -0.4986, 0.3447], [0.1976, 0.3494, 0.7516, 0.5938, -0.4581, -0.6755], [0.3268, -0.4060, -0.0050, 0.3359, -0.6575, -0.8440], [0.1037, 0.0178, -0.0983, 0.0154, -0.3442, -0.6054], [-0.0667, -0.3887, -0.6574, 0.2023, -0.0246, 0.1626], [-0.3957, -0.2632, -0.3996, -0.3547, 0.0782, -0.3132], [0.1424, 0.1359, 0.8101, -0.5571, 0.3552, -0.0358]]> : tensor<10x6xf32>
  %wu = arith.constant dense<[[-0.0056, -0.5799, -0.1841, 0.2973, -0.0330, 0.0324], [-0.1163, 0.4618, -0.0086, -0.8802, -0.2768, -0.7875], [-1.3006, -0.2120, 0.5334, 0.0188, -0.4690, -0.3763], [0.4522, 0.0631, 0.0192, -0.0214, 0.0154, 0.3222], [0.2210, 0.0863, -0.4171, 0.2044, -0.2737, 0.4375], [-0.5084, -0.0550, -0.0029, -0.5299, 0.6888, 0.5842], [-0.1854, 0.3087, 0.1515, -1.0454, 0.1002, -0.0245], [0.0333, -0.4307, -0.1077, -0.0713, 0.4752, 0.1338], [-0.0022, 0.6116, -0.2221, -0.1558, -0.7267, 0.6276], [0.3857, 0.3667, 0.2676, 0.0441, 0.0862, -0.1008]]> : tensor<10x6xf32>
  %wd = arith.constant dense<[[-0.0814, 0.0217, 0.6047, 0.2223, -0.0234, -0.2318, -0.2540, 0.6411, 0.2027, 0.0270], [-0.1385, -0.4436, -0.0267, 0.3495, -0.1570, -0.0909, -0.0884, 0.0438, -0.6372, -0.0942], [-0.3418, 0.3538, -0.3082, 0.2308, 0.6098, -0.1254, -0.2406, 0.0766, -0.0008, -0.3974], [0.1844, 0.8062, -0.1032, -0.0812, -0.4180, 0.1276, -0.4988, -0.4428, 0.5119, -0.3622], [0.4325, 0.6097, 0.1037, 0.2214, 0.7809, -0.0787, -0.2372, -0.5413, 0.0167, 0.5917], [0.3838, -0.3768, -0.3422, -0.2017, 0.1169, -0.0821, 0.0858, 0.1187, -0.1195, -0.0161]]> : tensor<6x10xf32>
  %w3 = arith.constant dense<[[0.0826, -0.0336, 0.2014, 0.7484, 0.2368, 0.0223], [-0.6744, 0.1552, -0.7787, -0.5636, 0.3419, 0.2825], [-0.0600, -0.6840, -0.1485, -0.2715, 0.2547, 0.9031], [0.0868, -0.3117, -0.4682, -0.0224, -0.0707, -0.4606], [0.0465, -0.4604, 0.4448, 0.4251, 0.4339, -0.1896], [0.2058, -0.0528, -0.1555, -0.1357, -0.5199, -0.5775], [0.3177, -0.0765, 0.0866, 0.4007, -0.6933, -0.3137], [0.0701, 0.1568, -0.1508, 0.4117, 0.0842, -0.4854], [-0.3723, 0.3222, 0.1855, -0.7596, 0.5391, 0.2392], [0.5373, -0.1535, -0.1183, -0.4506, 1.0148, -0.0702]]> : tensor<10x6xf32>
  %b3 = arith.constant dense<[0.1588, -0.0647, 0.0164, -0.1671, -0.0383, 0.0984, -0.1252, 0.1072, 0.0337, -0.1044]> : tensor<10xf32>
  %w4 = arith.constant dense<[[-0.2006, -0.1836, -0.0198, -0.2145, -0.3309, -0.1218, -0.4108, -0.5158, -0.0193, 0.3531], [-0.6117, 0.0014, -0.2600, -0.3909, 0.3414, -0.2073, 0.5993, -0.3119, 0.1546, -0.0909], [-0.3016, 0.2351, -0.0620, 0.2413, -0.0189, -0.4343, -0.0408, 0.0208, 0.3834, -0.3625], [-0.0157, -0.6888, 0.2606, -0.4326, -0.7225, -0.0237, 0.4423, -0.6098, -0.4352, -0.2973], [-0.4518, 0.1518, -0.3229, -0.2886, 0.2333, -0.3022, 0.1731, -0.3886, -0.4849, -0.7342], [0.7445, -0.1281, 0.0976, -0.0124, 0.0640, 0.0199, 0.7633, -0.4156, -0.6230, -0.4048]]> : tensor<6x10xf32>
  %b4 = arith.constant dense<[-0.1335, 0.0747, 0.0820, -0.0961, -0.1390, -0.0355]> : tensor<6xf32>
  // Batch norm -> encoder FFN -> LayerScale -> residual.
  %bn = ffn.batch_norm %x, %bn_s, %bn_b, %bn_m, %bn_v {epsilon = 1.0e-05 : f32} : (tensor<5x6xf32>, tensor<6xf32>, tensor<6xf32>, tensor<6xf32>, tensor<6xf32>) -> tensor<5x6xf32>
  %y1 = ffn.mlp(%bn, %w1, %b1, %w2, %b2) : (tensor<5x6xf32>, tensor<10x6xf32>, tensor<10xf32>, tensor<6x10xf32>, tensor<6xf32>) -> tensor<5x6xf32> {
  ^bb0(%a: tensor<5x6xf32>, %p1: tensor<10x6xf32>, %q1: tensor<10xf32>, %p2: tensor<6x10xf32>, %q2: tensor<6xf32>):
    %h = ffn.linear %a, %p1, %q1 : (tensor<5x6xf32>, tensor<10x6xf32>, tensor<10xf32>) -> tensor<5x10xf32>
    %g = ffn.gelu %h : tensor<5x10xf32>
    %o = ffn.linear %g, %p2, %q2 : (tensor<5x10xf32>, tensor<6x10xf32>, tensor<6xf32>) -> tensor<5x6xf32>
    ffn.yield %o : tensor<5x6xf32>
  }
  %empty = tensor.empty() : tensor<5x6xf32>
  %gb = linalg.broadcast ins(%gamma : tensor<6xf32>) outs(%empty : tensor<5x6xf32>) dimensions = [0]
  %ls = arith.mulf %y1, %gb : tensor<5x6xf32>
  %r1 = arith.addf %x, %ls : tensor<5x6xf32>
  // One LayerNorm feeding a gated and an encoder FFN.
  %n = ffn.layer_norm %r1 scale %ln_g bias %ln_b {epsilon = 1.0e-05 : f32} : (tensor<5x6xf32>, tensor<6xf32>, tensor<6xf32>) -> tensor<5x6xf32>
  %y2 = ffn.mlp(%n, %wg, %wu, %wd) : (tensor<5x6xf32>, tensor<10x6xf32>, tensor<10x6xf32>, tensor<6x10xf32>) -> tensor<5x6xf32> {
  ^bb0(%a: tensor<5x6xf32>, %pg: tensor<10x6xf32>, %pu: tensor<10x6xf32>, %pd: tensor<6x10xf32>):
    %hg = ffn.linear %a, %pg : (tensor<5x6xf32>, tensor<10x6xf32>) -> tensor<5x10xf32>
    %hu = ffn.linear %a, %pu : (tensor<5x6xf32>, tensor<10x6xf32>) -> tensor<5x10xf32>
    %s = ffn.silu %hg : tensor<5x10xf32>
    %m = arith.mulf %s, %hu : tensor<5x10xf32>
    %o = ffn.linear %m, %pd : (tensor<5x10xf32>, tensor<6x10xf32>) -> tensor<5x6xf32>
    ffn.yield %o : tensor<5x6xf32>
  }
  %y3 = ffn.mlp(%n, %w3, %b3, %w4, %b4) : (tensor<5x6xf32>, tensor<10x6xf32>, tensor<10xf32>, tensor<6x10xf32>, tensor<6xf32>) -> tensor<5x6xf32> {
  ^bb0(%a: tensor<5x6xf32>, %p1: tensor<10x6xf32>, %q1: tensor<10xf32>, %p2: tensor<6x10xf32>, %q2: tensor<6xf32>):
    %h = ffn.linear %a, %p1, %q1 : (tensor<5x6xf32>, tensor<10x6xf32>, tensor<10xf32>) -> tensor<5x10xf32>
    %g = ffn.relu %h : tensor<5x10xf32>
    %o = ffn.linear %g, %p2, %q2 : (tensor<5x10xf32>, tensor<6x10xf32>, tensor<6xf32>) -> tensor<5x6xf32>
    ffn.yield %o : tensor<5x6xf32>
  }
  %y23 = arith.addf %y2, %y3 : tensor<5x6xf32>
  %r2 = arith.addf %r1, %y23 : tensor<5x6xf32>
  return %r2 : tensor<5x6xf32>
}
