//===- FFNFusion.cpp - consecutive residual FFNs become one wide FFN ------===//
//
// FFN Fusion (Llama-Nemotron, 2025): a run of residual FFN blocks with
// nothing between them, `x_{i+1} = x_i + F_i(norm(x_i))`, is replaced by
// `x_L = x_0 + sum_i F_i(norm(x_0))`: every block reads the run's first
// input. That sum is exactly one wide FFN whose up (and gate) weights are
// the blocks' stacked by rows, whose down weight is theirs side by side, and
// whose output bias is the sum of theirs. Computing the blocks in parallel
// is the approximation; the pass measures it on random rows (sequential
// against parallel, on the run's summed FFN output) and records it for the
// report.
//
//===----------------------------------------------------------------------===//

#include "ffn/Dialect/FFN/IR/FFNOps.h"
#include "ffn/Dialect/FFN/Transforms/Evaluate.h"
#include "ffn/Dialect/FFN/Transforms/FFNFusion.h"
#include "ffn/Dialect/FFN/Transforms/Passes.h"
#include "ffn/Utils/Weights.h"

#include "NeuronLayout.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "llvm/ADT/STLExtras.h"
#include "llvm/Support/Debug.h"

#include <cmath>

#define DEBUG_TYPE "ffn-fusion"

namespace mlir {
namespace ffn {
#define GEN_PASS_DEF_FFNFUSION
#include "ffn/Dialect/FFN/Transforms/Passes.h.inc"
} // namespace ffn
} // namespace mlir

using namespace mlir;
using namespace mlir::ffn;

static constexpr llvm::StringLiteral kRewriteName = "ffn-fusion";

namespace {
/// One residual FFN block: `out = x + mlp(norm(x))` (or `x + mlp(x)`).
struct Link {
  Value x;
  /// The normalisation (ffn.layer_norm or ffn.rms_norm without affine
  /// parameters, what ffn-fold-norms leaves), or null.
  Operation *norm = nullptr;
  mutable MlpOp mlp;
  mutable arith::AddFOp add;
};
} // namespace

/// Matches `add` as a residual FFN block.
static std::optional<Link> matchLink(arith::AddFOp add) {
  for (int side = 0; side < 2; ++side) {
    Value x = add->getOperand(side);
    auto mlp = add->getOperand(1 - side).getDefiningOp<MlpOp>();
    if (!mlp || !mlp->hasOneUse() || x.getType() != add.getType())
      continue;
    Link link{x, nullptr, mlp, add};
    Value in = mlp.getInput();
    if (in == x)
      return link;
    Operation *norm = in.getDefiningOp();
    if (!norm || !in.hasOneUse() || norm->getOperand(0) != x)
      continue;
    if (auto ln = dyn_cast<LayerNormOp>(norm)) {
      if (ln.getScale() || ln.getBias())
        continue;
    } else if (auto rms = dyn_cast<RMSNormOp>(norm)) {
      if (rms.getScale())
        continue;
    } else {
      continue;
    }
    link.norm = norm;
    return link;
  }
  return std::nullopt;
}

/// Whether two links compute the same function shape: the same norm (kind
/// and epsilon) and block bodies with the same ops and attributes.
static bool sameForm(const Link &a, const Link &b) {
  if ((a.norm == nullptr) != (b.norm == nullptr))
    return false;
  if (a.norm && (a.norm->getName() != b.norm->getName() ||
                 a.norm->getAttrDictionary() != b.norm->getAttrDictionary()))
    return false;
  if (a.mlp.getKind() != b.mlp.getKind() ||
      a.mlp.getParams().size() != b.mlp.getParams().size())
    return false;
  Block &ba = a.mlp.getBody().front(), &bb = b.mlp.getBody().front();
  if (ba.getOperations().size() != bb.getOperations().size())
    return false;
  for (auto [oa, ob] : llvm::zip(ba, bb))
    if (oa.getName() != ob.getName() ||
        oa.getAttrDictionary() != ob.getAttrDictionary() ||
        oa.getNumOperands() != ob.getNumOperands())
      return false;
  return true;
}

/// The normalisation of `link` applied on the host to `rows x dim` values.
static std::vector<float> applyNorm(const Link &link, ArrayRef<float> x,
                                    int64_t rows, int64_t dim) {
  std::vector<float> out(x.begin(), x.end());
  if (!link.norm)
    return out;
  bool layer = isa<LayerNormOp>(link.norm);
  double eps = layer ? cast<LayerNormOp>(link.norm).getEpsilon().convertToDouble()
                     : cast<RMSNormOp>(link.norm).getEpsilon().convertToDouble();
  for (int64_t r = 0; r < rows; ++r) {
    const float *row = x.data() + r * dim;
    double mean = 0.0, sq = 0.0;
    if (layer) {
      for (int64_t c = 0; c < dim; ++c)
        mean += row[c];
      mean /= dim;
    }
    for (int64_t c = 0; c < dim; ++c)
      sq += (row[c] - mean) * (row[c] - mean);
    double scale = 1.0 / std::sqrt(sq / dim + eps);
    for (int64_t c = 0; c < dim; ++c)
      out[r * dim + c] = static_cast<float>((row[c] - mean) * scale);
  }
  return out;
}

/// The maximal chains of residual blocks of one form under `root`, each of
/// at least two blocks, in program order.
static SmallVector<SmallVector<Link>> collectChains(Operation *root) {
  SmallVector<Link> links;
  root->walk([&](arith::AddFOp add) {
    if (std::optional<Link> link = matchLink(add))
      links.push_back(*link);
  });
  // Which block reads each block's output.
  DenseMap<Value, size_t> byInput;
  for (auto [i, link] : llvm::enumerate(links))
    byInput[link.x] = i;
  auto next = [&](size_t i) -> std::optional<size_t> {
    Value out = links[i].add.getResult();
    auto it = byInput.find(out);
    // The output feeds the next block's norm (or mlp) and its residual
    // add, nothing else, and the next block has the same form.
    if (it == byInput.end() || !llvm::hasNItems(out.getUses(), 2) ||
        !sameForm(links[i], links[it->second]))
      return std::nullopt;
    return it->second;
  };
  DenseSet<size_t> hasPrev;
  for (size_t i = 0; i < links.size(); ++i)
    if (std::optional<size_t> n = next(i))
      hasPrev.insert(*n);
  SmallVector<SmallVector<Link>> chains;
  for (size_t start = 0; start < links.size(); ++start) {
    if (hasPrev.contains(start))
      continue;
    SmallVector<Link> chain{links[start]};
    for (std::optional<size_t> n = next(start); n; n = next(*n))
      chain.push_back(links[*n]);
    if (chain.size() >= 2)
      chains.push_back(std::move(chain));
  }
  return chains;
}

SmallVector<SmallVector<MlpOp>> mlir::ffn::findFusionChains(Operation *root) {
  SmallVector<SmallVector<MlpOp>> chains;
  for (const SmallVector<Link> &chain : collectChains(root))
    chains.push_back(llvm::map_to_vector(chain, [](const Link &l) {
      return l.mlp;
    }));
  return chains;
}

namespace {
struct FFNFusionPass : public ffn::impl::FFNFusionBase<FFNFusionPass> {
  using FFNFusionBase::FFNFusionBase;

  void runOnOperation() override {
    if (maxRun < 0) {
      getOperation()->emitError()
          << "ffn-fusion: max-run must be 0 (no limit) or at least 1, not "
          << static_cast<int64_t>(maxRun);
      return signalPassFailure();
    }
    for (SmallVector<Link> &chain : collectChains(getOperation())) {
      // Cut into runs of at most the cap of each run's first block
      // (ffn.fusion_max_run wins over max-run).
      size_t pos = 0;
      while (pos < chain.size()) {
        int64_t cap = maxRun;
        if (auto attr = chain[pos].mlp->getAttrOfType<IntegerAttr>(
                kFusionMaxRunAttrName))
          cap = attr.getInt();
        size_t end = pos + 1;
        while (end < chain.size() &&
               (cap == 0 || static_cast<int64_t>(end - pos) < cap))
          ++end;
        if (end - pos >= 2 &&
            failed(fuseRun(ArrayRef<Link>(chain).slice(pos, end - pos))))
          return signalPassFailure();
        pos = end;
      }
    }
  }

  /// Fuses `run` (at least two blocks) into its first block. Fails only on
  /// internal errors; runs that cannot be fused are left alone.
  LogicalResult fuseRun(ArrayRef<Link> run) {
    MlpOp first = run.front().mlp;
    SmallVector<NeuronLayout> layouts(run.size());
    for (auto [link, layout] : llvm::zip(run, layouts)) {
      std::string reason;
      if (failed(matchNeuronLayout(link.mlp, layout, reason))) {
        if (remarkFailures)
          link.mlp.emitRemark() << "ffn-fusion: not fused: " << reason;
        return success();
      }
    }
    // Every parameter that does not hold neurons must be the output bias,
    // summed over the run.
    SmallVector<unsigned> outputBiases;
    for (unsigned i = 1, e = first->getNumOperands(); i < e; ++i)
      if (llvm::none_of(layouts.front().params, [&](const NeuronParam &p) {
            return p.argIndex == i;
          }))
        outputBiases.push_back(i);
    for (const Link &link : run)
      for (unsigned i : outputBiases)
        if (!WeightData::fromValue(link.mlp->getOperand(i))) {
          if (remarkFailures)
            link.mlp.emitRemark()
                << "ffn-fusion: not fused: a parameter is not a constant";
          return success();
        }

    // The sequential run on random rows, before anything changes.
    auto inputType = cast<RankedTensorType>(first.getInput().getType());
    int64_t dim = inputType.getShape().back();
    int64_t rows = std::max<int64_t>(1, calibrationRows);
    std::vector<float> x0 = randomRows(rows, dim, /*seed=*/0xF05E);
    std::vector<float> x = x0;
    std::string why;
    for (const Link &link : run) {
      FailureOr<std::vector<float>> f =
          evaluateMlp(link.mlp, applyNorm(link, x, rows, dim), rows, &why);
      if (failed(f)) {
        link.mlp.emitWarning()
            << "ffn-fusion: not fused, the evaluator cannot measure it: "
            << why;
        return success();
      }
      for (size_t i = 0; i < x.size(); ++i)
        x[i] += (*f)[i];
    }
    std::vector<float> sequential(x.size());
    for (size_t i = 0; i < x.size(); ++i)
      sequential[i] = x[i] - x0[i];

    // Stack the neurons of every block into the first one.
    OpBuilder builder(first);
    int64_t total = 0;
    for (const NeuronLayout &l : layouts)
      total += l.hidden;
    Block &body = first.getBody().front();
    for (auto [k, p] : llvm::enumerate(layouts.front().params)) {
      RankedTensorType type = withNeurons(p, total);
      std::vector<float> data;
      if (p.neuronsAreColumns && type.getRank() == 2) {
        int64_t outRows = type.getDimSize(0);
        data.resize(outRows * total);
        int64_t offset = 0;
        for (const NeuronLayout &l : layouts) {
          ArrayRef<float> src = l.params[k].data.values();
          for (int64_t r = 0; r < outRows; ++r)
            std::copy_n(src.begin() + r * l.hidden, l.hidden,
                        data.begin() + r * total + offset);
          offset += l.hidden;
        }
      } else {
        for (const NeuronLayout &l : layouts)
          llvm::append_range(data, l.params[k].data.values());
      }
      Value old = first->getOperand(p.argIndex);
      Value stacked = createWeightConstant(builder, old.getLoc(), type, data,
                                           "fused_weight");
      first->setOperand(p.argIndex, stacked);
      body.getArgument(p.argIndex).setType(type);
    }
    for (unsigned i : outputBiases) {
      std::optional<WeightData> base =
          WeightData::fromValue(first->getOperand(i));
      std::vector<double> sum(base->values().begin(), base->values().end());
      for (const Link &link : run.drop_front()) {
        std::optional<WeightData> b =
            WeightData::fromValue(link.mlp->getOperand(i));
        for (auto [s, v] : llvm::zip(sum, b->values()))
          s += v;
      }
      std::vector<float> data(sum.begin(), sum.end());
      Value old = first->getOperand(i);
      first->setOperand(i, createWeightConstant(builder, old.getLoc(),
                                                base->getType(), data,
                                                "fused_bias"));
    }
    for (Value v : layouts.front().hiddenValues) {
      auto type = cast<RankedTensorType>(v.getType());
      SmallVector<int64_t> shape(type.getShape());
      shape.back() = total;
      v.setType(type.clone(shape));
    }
    // Neuron importance no longer describes the stacked order.
    first->removeAttr(kNeuronImportanceAttrName);
    first->removeAttr(kNeuronOrderAttrName);

    // The run's output is the first block's residual add now.
    SmallVector<int64_t> absorbed;
    for (const Link &link : run.drop_front())
      if (auto id = link.mlp->getAttrOfType<IntegerAttr>(kReportIdAttrName))
        absorbed.push_back(id.getInt());
    run.back().add.getResult().replaceAllUsesWith(run.front().add.getResult());
    for (const Link &link : llvm::reverse(run.drop_front())) {
      SmallVector<Value> params(link.mlp.getParams());
      link.add->erase();
      link.mlp->erase();
      if (link.norm)
        link.norm->erase();
      for (Value v : params)
        if (Operation *def = v.getDefiningOp(); def && def->use_empty())
          def->erase();
    }

    FailureOr<std::vector<float>> parallel = evaluateMlp(
        first, applyNorm(run.front(), x0, rows, dim), rows, &why);
    if (failed(parallel))
      return first.emitError()
             << "ffn-fusion: cannot evaluate the fused block: " << why;
    double error = relativeError(sequential, *parallel);
    LLVM_DEBUG(llvm::dbgs() << DEBUG_TYPE ": " << run.size()
                            << " blocks, error " << error << "\n");
    recordApplied(first, kRewriteName);
    recordRelError(first, error);
    first->setAttr(kFusedReportIdsAttrName,
                   DenseI64ArrayAttr::get(first.getContext(), absorbed));
    return success();
  }
};
} // namespace
