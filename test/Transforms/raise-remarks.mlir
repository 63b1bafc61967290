// RUN: ffn-opt %s -split-input-file -o /dev/null \
// RUN:   -ffn-raise-linear=remark-failures -ffn-raise-activations=remark-failures \
// RUN:   -ffn-raise-norms=remark-failures -ffn-raise-mlp=remark-failures 2>&1 \
// RUN:   | FileCheck %s

// With remark-failures, every pattern that does not match says why at the op
// it was tried on (Debian's LLVM has no -debug-only).

func.func @gelu_wrong_half(%x: tensor<4x16xf32>) -> tensor<4x16xf32> {
  %half = arith.constant dense<0.6> : tensor<4x16xf32>
  %one = arith.constant dense<1.0> : tensor<4x16xf32>
  %sqrt2 = arith.constant dense<1.41421354> : tensor<4x16xf32>
  %0 = arith.divf %x, %sqrt2 : tensor<4x16xf32>
  %1 = math.erf %0 : tensor<4x16xf32>
  %2 = arith.addf %one, %1 : tensor<4x16xf32>
  %3 = arith.mulf %x, %half : tensor<4x16xf32>
  // CHECK-DAG: raise-remarks.mlir:[[@LINE+1]]:8: remark: ffn-raise-activations: the constant factor is 0.600000, not 0.5
  %4 = arith.mulf %3, %2 : tensor<4x16xf32>
  return %4 : tensor<4x16xf32>
}

// -----

func.func @silu_sigmoid_second_user(%x: tensor<4x16xf32>) -> (tensor<4x16xf32>, tensor<4x16xf32>) {
  %one = arith.constant dense<1.0> : tensor<4x16xf32>
  %0 = arith.negf %x : tensor<4x16xf32>
  %1 = math.exp %0 : tensor<4x16xf32>
  %2 = arith.addf %one, %1 : tensor<4x16xf32>
  %3 = arith.divf %one, %2 : tensor<4x16xf32>
  // CHECK-DAG: raise-remarks.mlir:[[@LINE+1]]:8: remark: ffn-raise-activations: intermediate value of 'arith.divf' at {{.*}} has a user outside the pattern
  %4 = arith.mulf %x, %3 : tensor<4x16xf32>
  return %4, %3 : tensor<4x16xf32>, tensor<4x16xf32>
}

// -----

func.func @bias_not_constant(%x: tensor<4x8xf32>, %w: tensor<16x8xf32>, %b: tensor<16xf32>) -> tensor<4x16xf32> {
  %h = ffn.linear %x, %w : (tensor<4x8xf32>, tensor<16x8xf32>) -> tensor<4x16xf32>
  %e = tensor.empty() : tensor<4x16xf32>
  %bb = linalg.broadcast ins(%b : tensor<16xf32>) outs(%e : tensor<4x16xf32>) dimensions = [0]
  // CHECK-DAG: raise-remarks.mlir:[[@LINE+1]]:8: remark: ffn-raise-linear: the per-feature addend is not a constant
  %y = arith.addf %h, %bb : tensor<4x16xf32>
  return %y : tensor<4x16xf32>
}

// -----

func.func @rms_wrong_count(%x: tensor<4x8xf32>) -> tensor<4x8xf32> {
  %sq = arith.mulf %x, %x : tensor<4x8xf32>
  %z = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<4xf32>
  %init = linalg.fill ins(%z : f32) outs(%e : tensor<4xf32>) -> tensor<4xf32>
  %sum = linalg.reduce ins(%sq : tensor<4x8xf32>) outs(%init : tensor<4xf32>) dimensions = [1]
    (%in: f32, %acc: f32) {
      %a = arith.addf %in, %acc : f32
      linalg.yield %a : f32
    }
  %n = arith.constant dense<4.0> : tensor<4xf32>
  %mean = arith.divf %sum, %n : tensor<4xf32>
  %eps = arith.constant dense<1.0e-06> : tensor<4xf32>
  %v = arith.addf %mean, %eps : tensor<4xf32>
  %s = math.sqrt %v : tensor<4xf32>
  %full = tensor.empty() : tensor<4x8xf32>
  %sb = linalg.broadcast ins(%s : tensor<4xf32>) outs(%full : tensor<4x8xf32>) dimensions = [1]
  // CHECK-DAG: raise-remarks.mlir:[[@LINE+1]]:8: remark: ffn-raise-norms: mean scales the sum by 0.250000, not 1/8
  %y = arith.divf %x, %sb : tensor<4x8xf32>
  return %y : tensor<4x8xf32>
}

// -----

func.func @mlp_both_activated(%x: tensor<4x8xf32>, %wg: tensor<24x8xf32>, %wu: tensor<24x8xf32>, %wd: tensor<8x24xf32>) -> tensor<4x8xf32> {
  %g = ffn.linear %x, %wg : (tensor<4x8xf32>, tensor<24x8xf32>) -> tensor<4x24xf32>
  %u = ffn.linear %x, %wu : (tensor<4x8xf32>, tensor<24x8xf32>) -> tensor<4x24xf32>
  %s = ffn.silu %g : tensor<4x24xf32>
  %t = ffn.silu %u : tensor<4x24xf32>
  %m = arith.mulf %s, %t : tensor<4x24xf32>
  // CHECK-DAG: raise-remarks.mlir:[[@LINE+1]]:8: remark: ffn-raise-mlp: both factors of the gated product are activated
  %y = ffn.linear %m, %wd : (tensor<4x24xf32>, tensor<8x24xf32>) -> tensor<4x8xf32>
  return %y : tensor<4x8xf32>
}
