//===- BlockDiag.cpp - block-diagonal FFN weights -------------------------===//
//
// An approximate FFN rewrite: the two weights of an encoder FFN become
// block-diagonal with K blocks, which cuts the FFN's FLOPs to 1/K. The hidden
// neurons can be reordered for free; the model-width channels are gathered
// into block order before the first linear and back after the second, so
// that the weights can be block-diagonal after any permutation of their
// rows and columns. When the weights already have that structure (their
// non-zero pattern splits into K balanced groups) the rewrite is exact;
// otherwise the groups come from a balanced clustering that keeps as much of
// the weights' energy on the diagonal blocks as it can, and the error the
// projection introduces is measured with the block evaluator.
//
//===----------------------------------------------------------------------===//

#include "ffn/Dialect/FFN/IR/FFNOps.h"
#include "ffn/Dialect/FFN/Transforms/Evaluate.h"
#include "ffn/Dialect/FFN/Transforms/Passes.h"
#include "ffn/Utils/Weights.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/IR/IRMapping.h"
#include "mlir/IR/PatternMatch.h"
#include "llvm/ADT/DenseMap.h"
#include "llvm/ADT/STLExtras.h"
#include "llvm/Support/Debug.h"

#include <algorithm>
#include <array>
#include <numeric>

#define DEBUG_TYPE "ffn-block-diag"

namespace mlir {
namespace ffn {
#define GEN_PASS_DEF_BLOCKDIAG
#include "ffn/Dialect/FFN/Transforms/Passes.h.inc"
} // namespace ffn
} // namespace mlir

using namespace mlir;
using namespace mlir::ffn;

/// The name this pass records on the blocks it rewrites.
static constexpr llvm::StringLiteral kRewriteName = "block-diag";
/// Discardable attributes set on rewritten blocks.
static constexpr llvm::StringLiteral kExactAttrName = "ffn.block_diag_exact";
static constexpr llvm::StringLiteral kEnergyAttrName = "ffn.block_diag_energy";

namespace {
/// An encoder FFN `linear(act(linear(x, W1, b1)), W2, b2)` with constant
/// parameters.
struct EncoderFFN {
  LinearOp up, down;
  Operation *act = nullptr;
  int64_t width = 0, hidden = 0;
  std::optional<WeightData> w1, b1, w2, b2;
};

/// The channel groups of a block-diagonal form: `group[c]` in [0, K) for
/// every input channel, hidden neuron and output channel.
struct Grouping {
  std::vector<int64_t> in, hidden, out;
};
} // namespace

/// The constant behind the block operand `value` is, or std::nullopt.
static std::optional<WeightData> constantParam(MlpOp mlp, Value value) {
  auto arg = dyn_cast_or_null<BlockArgument>(value);
  if (!arg || arg.getOwner() != &mlp.getBody().front() ||
      arg.getArgNumber() == 0)
    return std::nullopt;
  return WeightData::fromValue(mlp.getArgs()[arg.getArgNumber()]);
}

/// Recognises the encoder form with constant f32 parameters.
static LogicalResult matchEncoder(MlpOp mlp, EncoderFFN &ffn,
                                  std::string &reason) {
  if (mlp.getKind() != MlpKind::Encoder) {
    reason = "the block is not an encoder FFN (gated and channel-idle "
             "blocks are not rewritten)";
    return failure();
  }
  Block &body = mlp.getBody().front();
  if (body.getOperations().size() != 4) {
    reason = "the block holds more than linear, activation, linear";
    return failure();
  }
  ffn.down = mlp.getYield().getValue().getDefiningOp<LinearOp>();
  ffn.act = ffn.down ? ffn.down.getInput().getDefiningOp() : nullptr;
  if (!ffn.act || !isa<GeluOp, SiluOp, ReluOp>(ffn.act)) {
    reason = "the block is not linear -> activation -> linear";
    return failure();
  }
  ffn.up = ffn.act->getOperand(0).getDefiningOp<LinearOp>();
  if (!ffn.up || ffn.up.getInput() != body.getArgument(0)) {
    reason = "the up projection does not read the block's input";
    return failure();
  }
  ffn.w1 = constantParam(mlp, ffn.up.getWeight());
  ffn.w2 = constantParam(mlp, ffn.down.getWeight());
  if (!ffn.w1 || !ffn.w2) {
    reason = "a weight is not a static f32 constant";
    return failure();
  }
  if (Value b = ffn.up.getBias(); b && !(ffn.b1 = constantParam(mlp, b))) {
    reason = "a bias is not a static f32 constant";
    return failure();
  }
  if (Value b = ffn.down.getBias(); b && !(ffn.b2 = constantParam(mlp, b))) {
    reason = "a bias is not a static f32 constant";
    return failure();
  }
  ffn.hidden = ffn.w1->getType().getDimSize(0);
  ffn.width = ffn.w1->getType().getDimSize(1);
  if (ffn.w2->getType().getDimSize(0) != ffn.width ||
      ffn.w2->getType().getDimSize(1) != ffn.hidden) {
    reason = "the down projection does not map the hidden width back to the "
             "model width";
    return failure();
  }
  return success();
}

//===----------------------------------------------------------------------===//
// Exact case: connected components of the non-zero pattern
//===----------------------------------------------------------------------===//

/// Union-find over the nodes of the FFN's graph.
static int64_t findRoot(std::vector<int64_t> &parent, int64_t n) {
  while (parent[n] != n) {
    parent[n] = parent[parent[n]];
    n = parent[n];
  }
  return n;
}

/// Groups the channels exactly when the non-zero pattern of W1 and W2 (input
/// channels - neurons - output channels) splits into connected components
/// that first-fit decreasing packs into `k` groups of equal sizes.
static std::optional<Grouping> exactGrouping(const EncoderFFN &ffn, int64_t k) {
  int64_t d = ffn.width, h = ffn.hidden;
  // Nodes: inputs [0, d), neurons [d, d + h), outputs [d + h, 2d + h).
  std::vector<int64_t> parent(2 * d + h);
  std::iota(parent.begin(), parent.end(), 0);
  auto unite = [&](int64_t a, int64_t b) {
    a = findRoot(parent, a);
    b = findRoot(parent, b);
    if (a != b)
      parent[a] = b;
  };
  ArrayRef<float> w1 = ffn.w1->values(), w2 = ffn.w2->values();
  for (int64_t j = 0; j < h; ++j)
    for (int64_t i = 0; i < d; ++i)
      if (w1[j * d + i] != 0.0f)
        unite(i, d + j);
  for (int64_t o = 0; o < d; ++o)
    for (int64_t j = 0; j < h; ++j)
      if (w2[o * h + j] != 0.0f)
        unite(d + h + o, d + j);

  // Component sizes per kind of node.
  struct Component {
    int64_t root, size[3] = {0, 0, 0};
  };
  llvm::DenseMap<int64_t, unsigned> index;
  SmallVector<Component> comps;
  auto kindOf = [&](int64_t n) { return n < d ? 0 : n < d + h ? 1 : 2; };
  for (int64_t n = 0; n < 2 * d + h; ++n) {
    int64_t r = findRoot(parent, n);
    auto [it, inserted] = index.try_emplace(r, comps.size());
    if (inserted)
      comps.push_back(Component{r});
    ++comps[it->second].size[kindOf(n)];
  }
  if (static_cast<int64_t>(comps.size()) < k)
    return std::nullopt;
  // First-fit decreasing into k groups of (d/k, h/k, d/k).
  SmallVector<unsigned> order(comps.size());
  std::iota(order.begin(), order.end(), 0);
  llvm::stable_sort(order, [&](unsigned a, unsigned b) {
    auto total = [&](unsigned c) {
      return comps[c].size[0] + comps[c].size[1] + comps[c].size[2];
    };
    return total(a) > total(b);
  });
  int64_t cap[3] = {d / k, h / k, d / k};
  std::vector<std::array<int64_t, 3>> used(k, {0, 0, 0});
  llvm::DenseMap<int64_t, int64_t> groupOfRoot;
  for (unsigned c : order) {
    bool placed = false;
    for (int64_t g = 0; g < k && !placed; ++g) {
      if (llvm::all_of(llvm::seq(0, 3), [&](int t) {
            return used[g][t] + comps[c].size[t] <= cap[t];
          })) {
        for (int t = 0; t < 3; ++t)
          used[g][t] += comps[c].size[t];
        groupOfRoot[comps[c].root] = g;
        placed = true;
      }
    }
    if (!placed)
      return std::nullopt;
  }
  Grouping grouping;
  grouping.in.resize(d);
  grouping.hidden.resize(h);
  grouping.out.resize(d);
  for (int64_t n = 0; n < 2 * d + h; ++n) {
    int64_t g = groupOfRoot[findRoot(parent, n)];
    if (n < d)
      grouping.in[n] = g;
    else if (n < d + h)
      grouping.hidden[n - d] = g;
    else
      grouping.out[n - d - h] = g;
  }
  return grouping;
}

//===----------------------------------------------------------------------===//
// Approximate case: balanced alternating clustering
//===----------------------------------------------------------------------===//

/// Assigns `n` items to `k` groups of `n/k` each, greedily by decreasing
/// `score[item * k + group]`.
static std::vector<int64_t> balancedAssign(ArrayRef<double> score, int64_t n,
                                           int64_t k) {
  std::vector<int64_t> order(n * k);
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(),
                   [&](int64_t a, int64_t b) { return score[a] > score[b]; });
  std::vector<int64_t> group(n, -1), fill(k, 0);
  int64_t cap = n / k, left = n;
  for (int64_t e : order) {
    int64_t item = e / k, g = e % k;
    if (group[item] >= 0 || fill[g] >= cap)
      continue;
    group[item] = g;
    ++fill[g];
    if (--left == 0)
      break;
  }
  return group;
}

/// Energy (sum of squares) of W1 and W2 on the diagonal blocks of
/// `grouping`.
static double keptEnergy(const EncoderFFN &ffn, const Grouping &grouping) {
  int64_t d = ffn.width, h = ffn.hidden;
  ArrayRef<float> w1 = ffn.w1->values(), w2 = ffn.w2->values();
  double kept = 0.0;
  for (int64_t j = 0; j < h; ++j)
    for (int64_t i = 0; i < d; ++i)
      if (grouping.in[i] == grouping.hidden[j])
        kept += double(w1[j * d + i]) * w1[j * d + i];
  for (int64_t o = 0; o < d; ++o)
    for (int64_t j = 0; j < h; ++j)
      if (grouping.out[o] == grouping.hidden[j])
        kept += double(w2[o * h + j]) * w2[o * h + j];
  return kept;
}

/// Alternates between assigning neurons to the groups of the channels that
/// carry their energy and channels to the groups of the neurons that draw
/// on them, each step a balanced greedy assignment; returns the best
/// grouping seen.
static Grouping clusterGrouping(const EncoderFFN &ffn, int64_t k,
                                int64_t iterations) {
  int64_t d = ffn.width, h = ffn.hidden;
  ArrayRef<float> w1 = ffn.w1->values(), w2 = ffn.w2->values();
  Grouping g;
  g.hidden.resize(h);
  for (int64_t j = 0; j < h; ++j)
    g.hidden[j] = j / (h / k);
  auto assignChannels = [&] {
    std::vector<double> sIn(d * k, 0.0), sOut(d * k, 0.0);
    for (int64_t j = 0; j < h; ++j)
      for (int64_t i = 0; i < d; ++i)
        sIn[i * k + g.hidden[j]] += double(w1[j * d + i]) * w1[j * d + i];
    for (int64_t o = 0; o < d; ++o)
      for (int64_t j = 0; j < h; ++j)
        sOut[o * k + g.hidden[j]] += double(w2[o * h + j]) * w2[o * h + j];
    g.in = balancedAssign(sIn, d, k);
    g.out = balancedAssign(sOut, d, k);
  };
  auto assignNeurons = [&] {
    std::vector<double> s(h * k, 0.0);
    for (int64_t j = 0; j < h; ++j)
      for (int64_t i = 0; i < d; ++i)
        s[j * k + g.in[i]] += double(w1[j * d + i]) * w1[j * d + i];
    for (int64_t o = 0; o < d; ++o)
      for (int64_t j = 0; j < h; ++j)
        s[j * k + g.out[o]] += double(w2[o * h + j]) * w2[o * h + j];
    g.hidden = balancedAssign(s, h, k);
  };
  assignChannels();
  Grouping best = g;
  double bestEnergy = keptEnergy(ffn, g);
  for (int64_t it = 0; it < iterations; ++it) {
    assignNeurons();
    assignChannels();
    double energy = keptEnergy(ffn, g);
    LLVM_DEBUG(llvm::dbgs() << DEBUG_TYPE ": round " << it << " kept energy "
                            << energy << "\n");
    if (energy <= bestEnergy)
      break;
    best = g;
    bestEnergy = energy;
  }
  return best;
}

//===----------------------------------------------------------------------===//
// The rewrite
//===----------------------------------------------------------------------===//

/// The channels in group order (a stable order within each group): the
/// permutation whose entry p is the original channel at position p.
static SmallVector<int64_t> groupOrder(ArrayRef<int64_t> group, int64_t k) {
  SmallVector<int64_t> order;
  for (int64_t g = 0; g < k; ++g)
    for (auto [c, cg] : llvm::enumerate(group))
      if (cg == g)
        order.push_back(c);
  return order;
}

static bool isIdentity(ArrayRef<int64_t> perm) {
  return llvm::all_of(llvm::enumerate(perm), [](auto it) {
    return static_cast<int64_t>(it.index()) == it.value();
  });
}

/// `[K, rows/K, cols/K]` blocks of the `[rows, cols]` matrix `w` with its
/// rows in the order `rowPerm` and columns in the order `colPerm`.
static std::vector<float> extractBlocks(ArrayRef<float> w, int64_t cols,
                                        ArrayRef<int64_t> rowPerm,
                                        ArrayRef<int64_t> colPerm, int64_t k) {
  int64_t rb = rowPerm.size() / k, cb = colPerm.size() / k;
  std::vector<float> blocks(k * rb * cb);
  for (int64_t g = 0; g < k; ++g)
    for (int64_t r = 0; r < rb; ++r)
      for (int64_t c = 0; c < cb; ++c)
        blocks[(g * rb + r) * cb + c] =
            w[rowPerm[g * rb + r] * cols + colPerm[g * cb + c]];
  return blocks;
}

/// Builds the block-diagonal replacement of `mlp`, before it.
static MlpOp buildBlockDiagMlp(OpBuilder &builder, MlpOp mlp, EncoderFFN &ffn,
                               const Grouping &grouping, int64_t k) {
  int64_t d = ffn.width, h = ffn.hidden;
  SmallVector<int64_t> pIn = groupOrder(grouping.in, k);
  SmallVector<int64_t> pHidden = groupOrder(grouping.hidden, k);
  SmallVector<int64_t> pOut = groupOrder(grouping.out, k);
  // y[:, pOut] = z, so y = z[:, inverse(pOut)].
  SmallVector<int64_t> outGather(d);
  for (int64_t p = 0; p < d; ++p)
    outGather[pOut[p]] = p;

  Location loc = mlp.getLoc();
  Type f32 = builder.getF32Type();
  SmallVector<Value> operands{mlp.getInput()};
  auto w1Type = RankedTensorType::get({k, h / k, d / k}, f32);
  operands.push_back(createWeightConstant(
      builder, loc, w1Type, extractBlocks(ffn.w1->values(), d, pHidden, pIn, k),
      "block_diag_w1"));
  if (ffn.b1) {
    std::vector<float> b1(h);
    for (int64_t j = 0; j < h; ++j)
      b1[j] = ffn.b1->values()[pHidden[j]];
    operands.push_back(createWeightConstant(builder, loc, ffn.b1->getType(), b1,
                                            "block_diag_b1"));
  }
  auto w2Type = RankedTensorType::get({k, d / k, h / k}, f32);
  operands.push_back(createWeightConstant(
      builder, loc, w2Type,
      extractBlocks(ffn.w2->values(), h, pOut, pHidden, k), "block_diag_w2"));
  if (ffn.b2)
    operands.push_back(
        mlp.getArgs()[cast<BlockArgument>(ffn.down.getBias()).getArgNumber()]);

  auto newMlp =
      MlpOp::create(builder, loc, mlp.getResult().getType(), operands);
  newMlp->setDiscardableAttrs(mlp->getDiscardableAttrDictionary());
  // The importance order of permute-neurons no longer holds.
  newMlp->removeAttr(kNeuronImportanceAttrName);
  newMlp->removeAttr(kNeuronOrderAttrName);
  OpBuilder::InsertionGuard guard(builder);
  SmallVector<Type> types;
  SmallVector<Location> locs;
  for (Value v : operands) {
    types.push_back(v.getType());
    locs.push_back(loc);
  }
  Block *block = builder.createBlock(&newMlp.getBody(), {}, types, locs);
  unsigned next = 1;
  Value w1 = block->getArgument(next++);
  Value b1 = ffn.b1 ? block->getArgument(next++) : Value();
  Value w2 = block->getArgument(next++);
  Value b2 = ffn.b2 ? block->getArgument(next++) : Value();
  auto perm = [&](ArrayRef<int64_t> p) {
    return isIdentity(p) ? DenseI64ArrayAttr()
                         : builder.getDenseI64ArrayAttr(p);
  };
  Value hValue = BlockDiagLinearOp::create(
      builder, ffn.up.getLoc(), ffn.up.getResult().getType(),
      block->getArgument(0), w1, b1, perm(pIn), DenseI64ArrayAttr());
  IRMapping mapping;
  mapping.map(ffn.up.getResult(), hValue);
  Operation *act = builder.clone(*ffn.act, mapping);
  Value y = BlockDiagLinearOp::create(
      builder, ffn.down.getLoc(), ffn.down.getResult().getType(),
      act->getResult(0), w2, b2, DenseI64ArrayAttr(), perm(outGather));
  YieldOp::create(builder, loc, y);
  return newMlp;
}

namespace {
struct BlockDiagPass : public ffn::impl::BlockDiagBase<BlockDiagPass> {
  using BlockDiagBase::BlockDiagBase;

  /// Rewrites one block; failure only for errors (the pass fails).
  LogicalResult rewrite(IRRewriter &rewriter, MlpOp mlp) {
    EncoderFFN ffn;
    std::string reason;
    if (failed(matchEncoder(mlp, ffn, reason))) {
      if (remarkFailures)
        mlp.emitRemark() << getArgument() << ": " << reason;
      return success();
    }
    int64_t k = blocks;
    // The block's own setting (kBlockDiagAttrName) wins over the option.
    if (Attribute attr = mlp->getAttr(kBlockDiagAttrName)) {
      auto value = dyn_cast<IntegerAttr>(attr);
      if (!value || value.getInt() < 1) {
        mlp.emitError() << getArgument() << ": " << kBlockDiagAttrName
                        << " = " << attr
                        << " is not a number of blocks (>= 1)";
        return failure();
      }
      k = value.getInt();
      if (k == 1)
        return success();
    }
    if (ffn.width % k != 0 || ffn.hidden % k != 0) {
      mlp.emitError() << getArgument() << ": " << k
                      << " blocks do not divide the FFN's model width "
                      << ffn.width << " and hidden width " << ffn.hidden;
      return failure();
    }

    bool exact = false;
    Grouping grouping;
    if (std::optional<Grouping> found = exactGrouping(ffn, k)) {
      grouping = std::move(*found);
      exact = true;
    } else {
      grouping = clusterGrouping(ffn, k, iterations);
    }
    double total = 0.0;
    for (float v : ffn.w1->values())
      total += double(v) * v;
    for (float v : ffn.w2->values())
      total += double(v) * v;
    double kept = total > 0.0 ? keptEnergy(ffn, grouping) / total : 1.0;

    // Measure the error on random rows, before against after.
    int64_t rows = std::max<int64_t>(1, calibrationRows);
    std::vector<float> x = randomRows(rows, ffn.width, /*seed=*/0xB10C);
    std::string why;
    FailureOr<std::vector<float>> ref = evaluateMlp(mlp, x, rows, &why);
    if (failed(ref)) {
      mlp.emitWarning() << getArgument()
                        << ": block left dense, the evaluator cannot measure "
                           "it: "
                        << why;
      return success();
    }
    rewriter.setInsertionPoint(mlp);
    MlpOp newMlp = buildBlockDiagMlp(rewriter, mlp, ffn, grouping, k);
    FailureOr<std::vector<float>> got = evaluateMlp(newMlp, x, rows, &why);
    if (failed(got)) {
      mlp.emitWarning() << getArgument()
                        << ": block left dense, the evaluator cannot measure "
                           "the rewrite: "
                        << why;
      SmallVector<Operation *> defs;
      for (Value v : newMlp.getParams())
        defs.push_back(v.getDefiningOp());
      rewriter.eraseOp(newMlp);
      for (Operation *def : defs)
        if (def && def->use_empty())
          rewriter.eraseOp(def);
      return success();
    }
    double error = relativeError(*ref, *got);
    LLVM_DEBUG(llvm::dbgs()
               << DEBUG_TYPE ": " << k << " blocks, "
               << (exact ? "exact" : "approximate") << ", kept energy " << kept
               << ", error " << error << "\n");
    recordApplied(newMlp, kRewriteName);
    recordRelError(newMlp, error);
    newMlp->setAttr(kEnergyAttrName, rewriter.getF64FloatAttr(kept));
    if (exact)
      newMlp->setAttr(kExactAttrName, rewriter.getBoolAttr(true));

    SmallVector<Value> oldParams(mlp.getParams());
    rewriter.replaceOp(mlp, newMlp.getResult());
    for (Value v : oldParams)
      if (Operation *def = v.getDefiningOp(); def && def->use_empty())
        rewriter.eraseOp(def);
    return success();
  }

  void runOnOperation() override {
    if (blocks < 2) {
      getOperation()->emitError()
          << getArgument() << ": blocks must be at least 2, not "
          << static_cast<int64_t>(blocks);
      return signalPassFailure();
    }
    SmallVector<MlpOp> mlps;
    getOperation()->walk([&](MlpOp op) { mlps.push_back(op); });
    IRRewriter rewriter(&getContext());
    bool failedAny = false;
    for (MlpOp mlp : mlps)
      failedAny |= failed(rewrite(rewriter, mlp));
    if (failedAny)
      signalPassFailure();
  }
};
} // namespace
