//===- Sparsify.cpp - magnitude pruning of FFN weights --------------------===//
//
// An approximate FFN rewrite: each constant weight of a block loses its
// smallest magnitudes in one of three patterns (N:M, balanced blocks,
// unstructured), and the pruned weight is packed for a kernel that skips the
// zeros (ffn.block_sparse_linear, ffn.csr_linear) or, where that kernel
// would be slower than the dense GEMM, kept dense. The error is measured
// with the block evaluator, as for the other approximate rewrites.
//
//===----------------------------------------------------------------------===//

#include "ffn/Dialect/FFN/Transforms/Sparsity.h"
#include "ffn/Dialect/FFN/IR/FFNOps.h"
#include "ffn/Dialect/FFN/Transforms/Evaluate.h"
#include "ffn/Dialect/FFN/Transforms/Passes.h"
#include "ffn/Utils/Weights.h"

#include "BlockSetting.h"
#include "NeuronLayout.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/IR/Builders.h"
#include "llvm/ADT/STLExtras.h"
#include "llvm/Support/Debug.h"
#include "llvm/Support/FormatVariadic.h"

#include <algorithm>
#include <cmath>
#include <numeric>

#define DEBUG_TYPE "ffn-sparsify"

namespace mlir {
namespace ffn {
#define GEN_PASS_DEF_SPARSIFY
#include "ffn/Dialect/FFN/Transforms/Passes.h.inc"
} // namespace ffn
} // namespace mlir

using namespace mlir;
using namespace mlir::ffn;

/// The name this pass records on the blocks it prunes.
static constexpr llvm::StringLiteral kRewriteName = "sparsity";
/// Discardable attributes set on pruned blocks.
static constexpr llvm::StringLiteral kKeptAttrName = "ffn.sparsity_kept";
static constexpr llvm::StringLiteral kExactAttrName = "ffn.sparsity_exact";
/// The seed of the calibration rows: the same rows for every block and run.
static constexpr uint64_t kCalibrationSeed = 0x5ba25e;

//===----------------------------------------------------------------------===//
// Settings
//===----------------------------------------------------------------------===//

/// The shortest decimal form of a fraction (0.5, 0.875, 0.0625).
static std::string formatRatio(double value) {
  std::string text = llvm::formatv("{0:f6}", value).str();
  while (!text.empty() && text.back() == '0')
    text.pop_back();
  if (!text.empty() && text.back() == '.')
    text.pop_back();
  return text;
}

std::string SparsitySpec::str() const {
  switch (kind) {
  case Kind::NOfM:
    return llvm::formatv("{0}:{1}", n, m).str();
  case Kind::Block:
    if (blockOut == blockIn)
      return llvm::formatv("block:{0}x{0}:{1}", blockOut, formatRatio(ratio))
          .str();
    return llvm::formatv("block:{0}x{1}:{2}", blockOut, blockIn,
                         formatRatio(ratio))
        .str();
  case Kind::Unstructured:
    return "unstructured:" + formatRatio(ratio);
  }
  llvm_unreachable("unknown sparsity kind");
}

std::optional<SparsitySpec> SparsitySpec::loosened(int rung) const {
  if (rung == 0)
    return *this;
  if (kind == Kind::NOfM)
    return std::nullopt;
  SparsitySpec spec = *this;
  spec.ratio = std::ldexp(ratio, -rung);
  return spec;
}

/// Parses a positive integer.
static bool parsePositive(StringRef text, int64_t &value) {
  return !text.trim().getAsInteger(10, value) && value >= 1;
}

FailureOr<SparsitySpec> mlir::ffn::parseSparsitySpec(StringRef text,
                                                     std::string &error) {
  SparsitySpec spec;
  SmallVector<StringRef> parts;
  text.trim().split(parts, ':');
  auto parseRatio = [&](StringRef part) -> LogicalResult {
    if (part.trim().getAsDouble(spec.ratio) || !(spec.ratio >= 0.0) ||
        !(spec.ratio < 1.0)) {
      error = "the pruned fraction must be a number in [0, 1), not '" +
              part.trim().str() + "'";
      return failure();
    }
    return success();
  };
  if (parts.size() == 2 && parts[0] == "unstructured") {
    spec.kind = SparsitySpec::Kind::Unstructured;
    if (failed(parseRatio(parts[1])))
      return failure();
    return spec;
  }
  if (parts.size() == 3 && parts[0] == "block") {
    spec.kind = SparsitySpec::Kind::Block;
    auto [rows, cols] = parts[1].split('x');
    if (!parsePositive(rows, spec.blockOut) ||
        !parsePositive(cols, spec.blockIn)) {
      error = "the block size must be BxB or BoxBi with positive integers, "
              "not '" +
              parts[1].str() + "'";
      return failure();
    }
    if (failed(parseRatio(parts[2])))
      return failure();
    return spec;
  }
  if (parts.size() == 2 && parsePositive(parts[0], spec.n) &&
      parsePositive(parts[1], spec.m)) {
    spec.kind = SparsitySpec::Kind::NOfM;
    if (spec.n >= spec.m) {
      error = llvm::formatv("{0}:{1} keeps every weight (N must be below M)",
                            spec.n, spec.m);
      return failure();
    }
    return spec;
  }
  error = "expected N:M (2:4), block:BxB:RATIO (block:32x32:0.5) or "
          "unstructured:RATIO (unstructured:0.7), not '" +
          text.str() + "'";
  return failure();
}

//===----------------------------------------------------------------------===//
// Pruning
//===----------------------------------------------------------------------===//

namespace {
/// One weight `[out, in]` pruned: the kept entries and, for the block
/// pattern, the kept block columns of every block row (ascending).
struct Pruned {
  int64_t out = 0, in = 0;
  std::vector<float> weight;
  std::vector<bool> kept;
  std::vector<std::vector<int64_t>> blockColumns;
  /// Whether every dropped entry was already zero.
  bool exact = true;
  /// Kept multiply-adds (block: whole blocks; otherwise non-zero entries).
  int64_t keptMacs = 0;
};
} // namespace

/// Indices of the `count` largest of `scores`, ascending (ties: lower index).
static std::vector<int64_t> topIndices(ArrayRef<double> scores,
                                       int64_t count) {
  std::vector<int64_t> order(scores.size());
  std::iota(order.begin(), order.end(), 0);
  count = std::clamp<int64_t>(count, 0, order.size());
  std::partial_sort(order.begin(), order.begin() + count, order.end(),
                    [&](int64_t a, int64_t b) {
                      return scores[a] > scores[b] ||
                             (scores[a] == scores[b] && a < b);
                    });
  order.resize(count);
  llvm::sort(order);
  return order;
}

/// Prunes `w` (`[out, in]`) with `spec`; std::nullopt with `why` when the
/// pattern does not fit the shape.
static std::optional<Pruned> prune(ArrayRef<float> w, int64_t out, int64_t in,
                                   const SparsitySpec &spec,
                                   std::string &why) {
  Pruned p;
  p.out = out;
  p.in = in;
  p.kept.assign(out * in, false);
  switch (spec.kind) {
  case SparsitySpec::Kind::NOfM: {
    if (in % spec.m != 0) {
      why = llvm::formatv("{0} input channels are not a multiple of {1}", in,
                          spec.m);
      return std::nullopt;
    }
    std::vector<double> group(spec.m);
    for (int64_t o = 0; o < out; ++o)
      for (int64_t g = 0; g < in; g += spec.m) {
        for (int64_t i = 0; i < spec.m; ++i)
          group[i] = std::fabs(w[o * in + g + i]);
        for (int64_t i : topIndices(group, spec.n))
          p.kept[o * in + g + i] = true;
      }
    break;
  }
  case SparsitySpec::Kind::Block: {
    int64_t bo = spec.blockOut, bi = spec.blockIn;
    if (out % bo != 0 || in % bi != 0) {
      why = llvm::formatv("{0}x{1} blocks do not tile the {2}x{3} weight", bo,
                          bi, out, in);
      return std::nullopt;
    }
    int64_t rowsOfBlocks = out / bo, colsOfBlocks = in / bi;
    int64_t keep = std::clamp<int64_t>(
        std::llround((1.0 - spec.ratio) * colsOfBlocks), 1, colsOfBlocks);
    std::vector<double> norms(colsOfBlocks);
    for (int64_t r = 0; r < rowsOfBlocks; ++r) {
      std::fill(norms.begin(), norms.end(), 0.0);
      for (int64_t o = r * bo; o < (r + 1) * bo; ++o)
        for (int64_t i = 0; i < in; ++i)
          norms[i / bi] += double(w[o * in + i]) * w[o * in + i];
      p.blockColumns.push_back(topIndices(norms, keep));
      for (int64_t c : p.blockColumns.back())
        for (int64_t o = r * bo; o < (r + 1) * bo; ++o)
          for (int64_t i = c * bi; i < (c + 1) * bi; ++i)
            p.kept[o * in + i] = true;
    }
    p.keptMacs = rowsOfBlocks * keep * bo * bi;
    break;
  }
  case SparsitySpec::Kind::Unstructured: {
    int64_t total = out * in;
    int64_t keep = std::llround((1.0 - spec.ratio) * total);
    std::vector<double> mags(total);
    for (int64_t e = 0; e < total; ++e)
      mags[e] = std::fabs(w[e]);
    for (int64_t e : topIndices(mags, keep))
      p.kept[e] = true;
    break;
  }
  }
  p.weight.assign(w.begin(), w.end());
  int64_t nonZero = 0;
  for (int64_t e = 0, total = out * in; e < total; ++e) {
    if (!p.kept[e]) {
      p.exact &= p.weight[e] == 0.0f;
      p.weight[e] = 0.0f;
    }
    nonZero += p.weight[e] != 0.0f;
  }
  if (spec.kind != SparsitySpec::Kind::Block)
    p.keptMacs = nonZero;
  return p;
}

//===----------------------------------------------------------------------===//
// Packing
//===----------------------------------------------------------------------===//

/// `ffn.block_sparse_linear` for a block-pruned weight, before `linear`.
static Value buildBlockSparse(OpBuilder &builder, MlpOp mlp, LinearOp linear,
                              const Pruned &p, const SparsitySpec &spec) {
  int64_t bo = spec.blockOut, bi = spec.blockIn;
  int64_t rowsOfBlocks = p.out / bo;
  int64_t keep = p.blockColumns.front().size();
  std::vector<float> values(rowsOfBlocks * keep * bi * bo);
  std::vector<int32_t> columns(rowsOfBlocks * keep);
  for (int64_t r = 0; r < rowsOfBlocks; ++r)
    for (auto [j, c] : llvm::enumerate(p.blockColumns[r])) {
      columns[r * keep + j] = static_cast<int32_t>(c);
      for (int64_t i = 0; i < bi; ++i)
        for (int64_t o = 0; o < bo; ++o)
          values[((r * keep + j) * bi + i) * bo + o] =
              p.weight[(r * bo + o) * p.in + c * bi + i];
    }
  Location loc = linear.getLoc();
  OpBuilder outer(mlp);
  Type f32 = builder.getF32Type();
  Value valuesArg = addParam(
      mlp, createWeightConstant(
               outer, loc,
               RankedTensorType::get({rowsOfBlocks, keep, bi, bo}, f32),
               values, "block_sparse_values"));
  Value columnsArg = addParam(
      mlp, createIndexConstant(
               outer, loc,
               RankedTensorType::get({rowsOfBlocks, keep},
                                     builder.getI32Type()),
               columns, "block_sparse_columns"));
  return BlockSparseLinearOp::create(builder, loc, linear.getType(),
                                     linear.getInput(), valuesArg, columnsArg,
                                     linear.getBias(),
                                     builder.getI64IntegerAttr(p.in));
}

/// `ffn.csr_linear` holding the non-zeros of `p`, before `linear`.
static Value buildCsr(OpBuilder &builder, MlpOp mlp, LinearOp linear,
                      const Pruned &p) {
  std::vector<int32_t> offsets{0}, columns;
  std::vector<float> values;
  for (int64_t o = 0; o < p.out; ++o) {
    for (int64_t i = 0; i < p.in; ++i)
      if (float v = p.weight[o * p.in + i]; v != 0.0f) {
        columns.push_back(static_cast<int32_t>(i));
        values.push_back(v);
      }
    offsets.push_back(static_cast<int32_t>(columns.size()));
  }
  // An all-zero weight still gets one (zero) entry: tensors are not empty.
  if (values.empty()) {
    columns.push_back(0);
    values.push_back(0.0f);
    offsets.back() = 1;
  }
  Location loc = linear.getLoc();
  OpBuilder outer(mlp);
  Type i32 = builder.getI32Type();
  int64_t nnz = values.size();
  Value offsetsArg = addParam(
      mlp, createIndexConstant(outer, loc,
                               RankedTensorType::get({p.out + 1}, i32),
                               offsets, "csr_offsets"));
  Value columnsArg = addParam(
      mlp, createIndexConstant(outer, loc, RankedTensorType::get({nnz}, i32),
                               columns, "csr_columns"));
  Value valuesArg = addParam(
      mlp, createWeightConstant(
               outer, loc,
               RankedTensorType::get({nnz}, builder.getF32Type()), values,
               "csr_values"));
  return CsrLinearOp::create(builder, loc, linear.getType(),
                             linear.getInput(), offsetsArg, columnsArg,
                             valuesArg, linear.getBias(),
                             builder.getI64IntegerAttr(p.in));
}

/// A dense `ffn.linear` with the pruned weight, before `linear`.
static Value buildDense(OpBuilder &builder, MlpOp mlp, LinearOp linear,
                        const Pruned &p) {
  OpBuilder outer(mlp);
  Value weightArg = addParam(
      mlp, createWeightConstant(outer, linear.getLoc(),
                                linear.getWeight().getType(), p.weight,
                                "pruned_weight"));
  return LinearOp::create(builder, linear.getLoc(), linear.getType(),
                          linear.getInput(), weightArg, linear.getBias());
}

//===----------------------------------------------------------------------===//
// The model's neuron order
//===----------------------------------------------------------------------===//

/// Puts the neurons of `mlp` back in the order they have in the model (as
/// far as the kept ones go) when ffn-permute-neurons reordered them: the
/// N:M and block patterns of the down projection group neighbouring neurons,
/// and a model pruned in those patterns before export must stay exactly
/// that. An exact rewrite (a permutation of the neurons).
static void restoreModelNeuronOrder(MlpOp mlp) {
  auto order = mlp->getAttrOfType<DenseI64ArrayAttr>(kNeuronOrderAttrName);
  if (!order)
    return;
  NeuronLayout layout;
  std::string reason;
  if (failed(matchNeuronLayout(mlp, layout, reason)) ||
      layout.hidden != static_cast<int64_t>(order.size()))
    return;
  SmallVector<int64_t> perm(layout.hidden);
  std::iota(perm.begin(), perm.end(), 0);
  llvm::stable_sort(perm,
                    [&](int64_t a, int64_t b) { return order[a] < order[b]; });
  SmallVector<int64_t> sorted;
  for (int64_t j : perm)
    sorted.push_back(order[j]);
  mlp->setAttr(kNeuronOrderAttrName,
               DenseI64ArrayAttr::get(mlp.getContext(), sorted));
  // The importance order no longer holds.
  mlp->removeAttr(kNeuronImportanceAttrName);
  if (llvm::all_of(llvm::enumerate(perm), [](auto it) {
        return static_cast<int64_t>(it.index()) == it.value();
      }))
    return;
  OpBuilder builder(mlp);
  for (const NeuronParam &p : layout.params) {
    Value old = mlp.getArgs()[p.argIndex];
    Value updated =
        createWeightConstant(builder, old.getLoc(), p.data.getType(),
                             selectNeurons(p, perm), "model_order_weight");
    mlp->setOperand(p.argIndex, updated);
    if (Operation *def = old.getDefiningOp(); def && old.use_empty())
      def->erase();
  }
}

//===----------------------------------------------------------------------===//
// The pass
//===----------------------------------------------------------------------===//

namespace {
struct SparsifyPass : public ffn::impl::SparsifyBase<SparsifyPass> {
  using SparsifyBase::SparsifyBase;

  void runOnOperation() override {
    std::string error;
    FailureOr<SparsitySpec> spec = parseSparsitySpec(sparsity, error);
    if (failed(spec)) {
      getOperation()->emitError() << "ffn-sparsify: " << error;
      return signalPassFailure();
    }
    if (calibrationRows < 1 || !(csrMaxDensity >= 0.0 && csrMaxDensity <= 1.0)) {
      getOperation()->emitError()
          << "ffn-sparsify: calibration-rows must be positive and "
             "csr-max-density in [0, 1]";
      return signalPassFailure();
    }
    SmallVector<MlpOp> blocks;
    getOperation()->walk([&](MlpOp mlp) { blocks.push_back(mlp); });
    for (MlpOp mlp : blocks) {
      // The block's own setting (kSparsityAttrName) wins over the option.
      FailureOr<std::optional<SparsitySpec>> blockSpec =
          getBlockSetting<SparsitySpec>(mlp, kSparsityAttrName, "ffn-sparsify", "a setting",
                               *spec, parseSparsitySpec);
      if (failed(blockSpec))
        return signalPassFailure();
      if (!*blockSpec)
        continue;
      if (failed(pruneBlock(mlp, **blockSpec)))
        return signalPassFailure();
    }
  }

  void leaveAlone(MlpOp mlp, const Twine &why) {
    if (remarkFailures)
      mlp.emitRemark() << "ffn-sparsify: " << why;
  }

  /// Prunes the constant weights of one block. Fails only on internal
  /// errors; blocks that cannot be pruned are left alone.
  LogicalResult pruneBlock(MlpOp mlp, const SparsitySpec &spec) {
    if (mlp->hasAttr(kKeptAttrName)) {
      leaveAlone(mlp, "the block was already pruned");
      return success();
    }
    restoreModelNeuronOrder(mlp);
    SmallVector<std::pair<LinearOp, WeightData>> linears;
    mlp.getBody().walk([&](LinearOp linear) {
      if (std::optional<WeightData> w =
              WeightData::fromValue(getOuterValue(mlp, linear.getWeight())))
        linears.push_back({linear, std::move(*w)});
    });
    if (linears.empty()) {
      leaveAlone(mlp, "no linear of the block has a constant f32 weight");
      return success();
    }
    int64_t width =
        cast<RankedTensorType>(mlp.getInput().getType()).getShape().back();
    std::string why;
    std::vector<float> x;
    FailureOr<std::vector<float>> reference = failure();
    if (!ShapedType::isDynamic(width)) {
      x = randomRows(calibrationRows, width, kCalibrationSeed);
      reference = evaluateMlp(mlp, x, calibrationRows, &why);
    } else {
      why = "the block's width is dynamic";
    }
    if (failed(reference)) {
      mlp.emitWarning() << "ffn-sparsify: block left dense: its error cannot "
                           "be measured: "
                        << why;
      return success();
    }

    std::string text;
    llvm::raw_string_ostream os(text);
    os << "ffn-sparsify: " << spec.str() << ";";
    int64_t denseMacs = 0, keptMacs = 0;
    bool exact = true, any = false;
    for (auto &[linear, weight] : linears) {
      int64_t out = linear.getOutFeatures(), in = linear.getInFeatures();
      os << " " << out << "x" << in << " ";
      std::optional<Pruned> pruned =
          prune(weight.values(), out, in, spec, why);
      if (!pruned) {
        os << "dense (" << why << ");";
        leaveAlone(mlp, why);
        continue;
      }
      any = true;
      exact &= pruned->exact;
      denseMacs += out * in;
      keptMacs += pruned->keptMacs;
      double density = double(pruned->keptMacs) / double(out * in);
      OpBuilder builder(linear);
      Value result;
      StringRef kernel;
      if (pack && spec.kind == SparsitySpec::Kind::Block) {
        result = buildBlockSparse(builder, mlp, linear, *pruned, spec);
        kernel = "block-sparse";
      } else if (pack && density <= csrMaxDensity) {
        result = buildCsr(builder, mlp, linear, *pruned);
        kernel = "csr";
      } else {
        result = buildDense(builder, mlp, linear, *pruned);
        kernel = "dense";
        // The dense kernel does every multiply-add.
        keptMacs += out * in - pruned->keptMacs;
      }
      os << llvm::formatv("{0:f3} kept, {1};", density, kernel);
      linear.getResult().replaceAllUsesWith(result);
      linear.erase();
    }
    if (!any) {
      os << " nothing pruned";
      if (remarkSparsity)
        mlp.emitRemark() << text;
      return success();
    }
    dropUnusedParams(mlp);
    FailureOr<std::vector<float>> got =
        evaluateMlp(mlp, x, calibrationRows, &why);
    if (failed(got))
      return mlp.emitError() << "ffn-sparsify: cannot evaluate the pruned "
                                "block: "
                             << why;
    double error = relativeError(*reference, *got);
    recordApplied(mlp, kRewriteName);
    recordRelError(mlp, error);
    Builder b(mlp.getContext());
    mlp->setAttr(kKeptAttrName,
                 b.getF64FloatAttr(double(keptMacs) / double(denseMacs)));
    if (exact)
      mlp->setAttr(kExactAttrName, b.getBoolAttr(true));
    os << llvm::formatv(" relative error {0:e2}", error);
    LLVM_DEBUG(llvm::dbgs() << text << "\n");
    if (remarkSparsity)
      mlp.emitRemark() << text;
    return success();
  }
};
} // namespace
