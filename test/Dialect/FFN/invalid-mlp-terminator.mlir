// RUN: ffn-opt %s -split-input-file -verify-diagnostics -allow-unregistered-dialect

// An ffn.mlp body must end in ffn.yield; any other terminator is a verifier
// error (it used to crash the verifier).

func.func @mlp_registered_terminator(%x: tensor<4x8xf32>) -> tensor<4x8xf32> {
  // expected-error @+1 {{body must end with ffn.yield, not}}
  %y = ffn.mlp(%x) : (tensor<4x8xf32>) -> tensor<4x8xf32> {
  ^bb0(%a: tensor<4x8xf32>):
    omp.terminator
  }
  return %y : tensor<4x8xf32>
}

// -----

func.func @mlp_unregistered_terminator(%x: tensor<4x8xf32>) -> tensor<4x8xf32> {
  // expected-error @+1 {{body must end with ffn.yield, not}}
  %y = ffn.mlp(%x) : (tensor<4x8xf32>) -> tensor<4x8xf32> {
  ^bb0(%a: tensor<4x8xf32>):
    "test.terminator"() : () -> ()
  }
  return %y : tensor<4x8xf32>
}

// -----

func.func @mlp_unregistered_terminator_with_value(%x: tensor<4x8xf32>) -> tensor<4x8xf32> {
  // expected-error @+1 {{body must end with ffn.yield, not}}
  %y = ffn.mlp(%x) : (tensor<4x8xf32>) -> tensor<4x8xf32> {
  ^bb0(%a: tensor<4x8xf32>):
    "test.terminator"(%a) : (tensor<4x8xf32>) -> ()
  }
  return %y : tensor<4x8xf32>
}
