//===- RaisePipeline.cpp - the ffn-raise pipeline -------------------------===//
//
// Chains the raising passes in the order they depend on each other: biases
// join their linears before activations and norms are recognised, and whole
// FFNs are outlined last, once their linears and activations are ffn ops.
//
//===----------------------------------------------------------------------===//

#include "ffn/Dialect/FFN/Transforms/Passes.h"

#include "mlir/Pass/PassManager.h"
#include "mlir/Pass/PassRegistry.h"
#include "mlir/Transforms/Passes.h"

using namespace mlir;

void mlir::ffn::buildRaisePipeline(OpPassManager &pm) {
  pm.addPass(createCanonicalizerPass());
  // Exporters sometimes compute the same value twice (x - mean(x) for the
  // variance and for the numerator); the matchers compare SSA values.
  pm.addPass(createCSEPass());
  // Dynamic sizes read from intermediate values would count as their uses.
  pm.addPass(createResolveDims());
  pm.addPass(createCSEPass());
  pm.addPass(createRaiseLinear());
  pm.addPass(createRaiseActivations());
  pm.addPass(createRaiseNorms());
  pm.addPass(createRaiseMlp());
}

void mlir::ffn::registerRaisePipeline() {
  PassPipelineRegistration<>(
      "ffn-raise",
      "Raise an imported graph to the ffn dialect: canonicalize, cse, then "
      "ffn-raise-linear, ffn-raise-activations, ffn-raise-norms and "
      "ffn-raise-mlp",
      [](OpPassManager &pm) { buildRaisePipeline(pm); });
}
