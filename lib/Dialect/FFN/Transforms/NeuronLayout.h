//===- NeuronLayout.h - the hidden neurons of an FFN block ------*- C++ -*-===//
//
// Where the hidden neurons of an encoder or gated `ffn.mlp` live: the rows of
// the up (and gate) weights and biases, the columns of the down weight, and
// the values of the body that carry one entry per neuron. Rewrites that
// reorder neurons (ffn-permute-neurons) or keep a subset of them
// (ffn-width-slice) share this matcher and the data movement.
//
//===----------------------------------------------------------------------===//

#ifndef FFN_DIALECT_FFN_TRANSFORMS_NEURONLAYOUT_H
#define FFN_DIALECT_FFN_TRANSFORMS_NEURONLAYOUT_H

#include "ffn/Dialect/FFN/IR/FFNOps.h"
#include "ffn/Utils/Weights.h"

#include "llvm/ADT/SmallVector.h"
#include <string>
#include <vector>

namespace mlir {
namespace ffn {

/// One parameter of the block holding neurons: the index of its block
/// argument, its constant contents, and whether neurons are its rows
/// (up/gate weights and biases) or its columns (the down weight).
struct NeuronParam {
  unsigned argIndex;
  WeightData data;
  bool neuronsAreColumns;
};

/// The hidden neurons of a recognised block.
struct NeuronLayout {
  int64_t hidden = 0;
  SmallVector<NeuronParam> params;
  /// The values of the body whose last dimension runs over the neurons: the
  /// up (and gate) projections, the activation, the gated product.
  SmallVector<Value> hiddenValues;
};

/// Recognises the encoder form `linear(act(linear(x, W1, b1)), W2, b2)` and
/// the gated form `linear(act(linear(x, Wg)) * linear(x, Wu), Wd)` with
/// elementwise activations and constant parameters, each used once in the
/// body; fills `layout`, or says why not in `reason`.
LogicalResult matchNeuronLayout(MlpOp mlp, NeuronLayout &layout,
                                std::string &reason);

/// The weight-norm importance of every neuron: the product of the L2 norms
/// of its rows in the up (and gate) weights and of its column in the down
/// weight. Biases do not take part.
std::vector<double> weightNormScores(const NeuronLayout &layout);

/// The contents of `p` restricted to the neurons `neurons`, in that order:
/// neuron j of the result is neuron neurons[j] of `p`. A permutation of all
/// neurons reorders them; a prefix of one keeps the most important.
std::vector<float> selectNeurons(const NeuronParam &p,
                                 ArrayRef<int64_t> neurons);

/// The type of `p` with `count` neurons.
RankedTensorType withNeurons(const NeuronParam &p, int64_t count);

} // namespace ffn
} // namespace mlir

#endif // FFN_DIALECT_FFN_TRANSFORMS_NEURONLAYOUT_H
