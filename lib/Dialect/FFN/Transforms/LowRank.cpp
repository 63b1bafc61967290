//===- LowRank.cpp - factor FFN weights by truncated SVD ------------------===//
//
// The first approximate FFN rewrite: each constant weight `W` (`[m, n]`) of
// an `ffn.mlp` becomes `A B` with `A = U_r S_r^1/2` and `B = S_r^1/2 V_rᵀ`
// from its SVD, so one `[T, n] x [n, m]` GEMM becomes two thin ones costing
// `r (m + n)` instead of `m n` multiply-adds per token. The rank per matrix
// comes from a kept-energy target, a fixed rank or a FLOP budget for the
// whole block; ranks that save nothing leave the matrix dense. The error the
// rewrite introduces is measured on the block's output with the block
// evaluator (Evaluate.h) and recorded for the FFN report.
//
//===----------------------------------------------------------------------===//

#include "ffn/Dialect/FFN/Transforms/LowRank.h"
#include "ffn/Dialect/FFN/IR/FFNOps.h"
#include "ffn/Dialect/FFN/Transforms/Evaluate.h"
#include "ffn/Dialect/FFN/Transforms/Passes.h"
#include "ffn/Utils/Weights.h"

#include "BlockSetting.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "llvm/ADT/BitVector.h"
#include "llvm/Support/Debug.h"
#include "llvm/Support/FormatVariadic.h"

#include <lapacke.h>

#include <cmath>

#define DEBUG_TYPE "ffn-lowrank"

namespace mlir {
namespace ffn {
#define GEN_PASS_DEF_LOWRANK
#include "ffn/Dialect/FFN/Transforms/Passes.h.inc"
} // namespace ffn
} // namespace mlir

using namespace mlir;
using namespace mlir::ffn;

/// The name this pass records on the blocks it factors.
static constexpr llvm::StringLiteral kRewriteName = "lowrank";
/// The discardable attribute holding the rank of each constant-weight linear
/// of a block, in body order (-1: left dense).
static constexpr llvm::StringLiteral kRanksAttrName = "ffn.lowrank_ranks";
/// The seed of the calibration rows: the same rows for every block and run.
static constexpr uint64_t kCalibrationSeed = 0x10e5a2c;

//===----------------------------------------------------------------------===//
// Settings
//===----------------------------------------------------------------------===//

LogicalResult mlir::ffn::checkLowRankSpec(const LowRankSpec &spec,
                                          std::string &error) {
  if (spec.mode == "energy" || spec.mode == "flops") {
    if (!(spec.value > 0.0 && spec.value <= 1.0)) {
      error = llvm::formatv("{0} fraction must be in (0, 1], not {1}",
                            spec.mode, spec.value);
      return failure();
    }
    return success();
  }
  if (spec.mode == "rank") {
    if (!(spec.value >= 1.0) || spec.value != std::floor(spec.value) ||
        spec.value > 1e9) {
      error = llvm::formatv("rank must be a positive integer, not {0}",
                            spec.value);
      return failure();
    }
    return success();
  }
  error = "unknown mode '" + spec.mode + "' (use energy, rank or flops)";
  return failure();
}

FailureOr<LowRankSpec> mlir::ffn::parseLowRankSpec(StringRef text,
                                                   std::string &error) {
  auto [mode, value] = text.split(':');
  LowRankSpec spec;
  spec.mode = mode.trim().str();
  if (!text.contains(':') || value.trim().empty()) {
    error = "expected MODE:VALUE (energy:0.9, rank:64 or flops:0.5), not '" +
            text.str() + "'";
    return failure();
  }
  if (value.trim().getAsDouble(spec.value)) {
    error = "'" + value.trim().str() + "' is not a number";
    return failure();
  }
  if (failed(checkLowRankSpec(spec, error)))
    return failure();
  return spec;
}

//===----------------------------------------------------------------------===//
// Factoring one block
//===----------------------------------------------------------------------===//

namespace {
/// One linear of the block with a constant weight, its SVD and its rank.
struct Factorable {
  LinearOp linear;
  /// Rows (out) and columns (in) of the weight; k = min(m, n).
  int64_t m = 0, n = 0, k = 0;
  /// Singular values, descending, and the thin factors, row-major:
  /// U is `m x k`, Vᵀ is `k x n`.
  std::vector<double> s, u, vt;
  /// Activation-aware factoring: the scale of each input column (the SVD is
  /// of `W diag(colScale)`, and B is scaled back); empty: plain SVD.
  std::vector<double> colScale;
  /// Sum of the squared singular values, `|W|_F^2`.
  double energy = 0.0;
  /// The chosen rank; -1 keeps the matrix dense.
  int64_t rank = -1;

  /// Whether rank `r` saves FLOPs: `r (m + n) < m n`.
  bool saves(int64_t r) const { return r * (m + n) < m * n; }
  /// Multiply-adds per token at rank `r` (-1: dense).
  int64_t macs(int64_t r) const { return r < 0 ? m * n : r * (m + n); }
  /// The energy of the first `r` singular values.
  double keptEnergy(int64_t r) const {
    double kept = 0.0;
    for (int64_t i = 0; i < r && i < k; ++i)
      kept += s[i] * s[i];
    return kept;
  }
};
} // namespace

/// Computes the thin SVD of `weight` (`m x n`, row-major) in double
/// precision into `f`.
static LogicalResult computeSVD(ArrayRef<float> weight, Factorable &f) {
  std::vector<double> a(weight.begin(), weight.end());
  if (!f.colScale.empty())
    for (int64_t i = 0; i < f.m; ++i)
      for (int64_t j = 0; j < f.n; ++j)
        a[i * f.n + j] *= f.colScale[j];
  f.k = std::min(f.m, f.n);
  f.s.assign(f.k, 0.0);
  f.u.assign(f.m * f.k, 0.0);
  f.vt.assign(f.k * f.n, 0.0);
  lapack_int info = LAPACKE_dgesdd(LAPACK_ROW_MAJOR, 'S', f.m, f.n, a.data(),
                                   f.n, f.s.data(), f.u.data(), f.k,
                                   f.vt.data(), f.n);
  if (info != 0)
    return failure();
  f.energy = f.keptEnergy(f.k);
  return success();
}

/// The smallest rank keeping at least `fraction` of the energy.
static int64_t rankForEnergy(const Factorable &f, double fraction) {
  double target = fraction * f.energy, kept = 0.0;
  for (int64_t r = 1; r <= f.k; ++r) {
    kept += f.s[r - 1] * f.s[r - 1];
    if (kept >= target)
      return r;
  }
  return f.k;
}

/// Chooses ranks for `fs` so that the block's multiply-adds per token (with
/// `fixedMacs` for linears that are not factored) are at most `fraction` of
/// the dense ones, greedily by relative energy gained per multiply-add.
static void chooseRanksForFlops(MutableArrayRef<Factorable> fs,
                                int64_t fixedMacs, double fraction) {
  int64_t dense = fixedMacs;
  for (const Factorable &f : fs)
    dense += f.m * f.n;
  double budget = fraction * static_cast<double>(dense);
  // Every matrix keeps at least its first singular direction.
  double used = static_cast<double>(fixedMacs);
  for (Factorable &f : fs) {
    f.rank = 1;
    used += f.macs(1);
  }
  while (true) {
    // The best next step of each matrix: one more singular value, or dense
    // once the next rank saves nothing (the rest of its energy at once).
    Factorable *best = nullptr;
    double bestRatio = -1.0, bestCost = 0.0;
    bool bestDense = false;
    for (Factorable &f : fs) {
      if (f.rank < 0 || f.energy <= 0.0)
        continue;
      bool toDense = !f.saves(f.rank + 1) || f.rank + 1 > f.k;
      double gain, cost;
      if (toDense) {
        gain = (f.energy - f.keptEnergy(f.rank)) / f.energy;
        cost = static_cast<double>(f.macs(-1) - f.macs(f.rank));
      } else {
        gain = f.s[f.rank] * f.s[f.rank] / f.energy;
        cost = static_cast<double>(f.m + f.n);
      }
      if (used + cost > budget)
        continue;
      double ratio = gain / std::max(cost, 1.0);
      if (ratio > bestRatio) {
        best = &f;
        bestRatio = ratio;
        bestCost = cost;
        bestDense = toDense;
      }
    }
    if (!best)
      return;
    best->rank = bestDense ? -1 : best->rank + 1;
    used += bestCost;
  }
}

/// `A = U_r S_r^1/2` (`m x r`) and `B = S_r^1/2 V_rᵀ` (`r x n`) as f32.
static void buildFactors(const Factorable &f, std::vector<float> &a,
                         std::vector<float> &b) {
  int64_t r = f.rank;
  a.assign(f.m * r, 0.0f);
  b.assign(r * f.n, 0.0f);
  for (int64_t j = 0; j < r; ++j) {
    double root = std::sqrt(f.s[j]);
    for (int64_t i = 0; i < f.m; ++i)
      a[i * r + j] = static_cast<float>(f.u[i * f.k + j] * root);
    for (int64_t i = 0; i < f.n; ++i)
      b[j * f.n + i] = static_cast<float>(
          f.vt[j * f.n + i] * root /
          (f.colScale.empty() ? 1.0 : f.colScale[i]));
  }
}

namespace {
struct LowRankPass : public ffn::impl::LowRankBase<LowRankPass> {
  using LowRankBase::LowRankBase;

  void runOnOperation() override {
    LowRankSpec spec{mode, value};
    std::string error;
    if (failed(checkLowRankSpec(spec, error))) {
      getOperation()->emitError() << "ffn-lowrank: " << error;
      return signalPassFailure();
    }
    if (calibrationRows < 1) {
      getOperation()->emitError()
          << "ffn-lowrank: calibration-rows must be positive, not "
          << static_cast<int64_t>(calibrationRows.getValue());
      return signalPassFailure();
    }
    SmallVector<MlpOp> blocks;
    getOperation()->walk([&](MlpOp mlp) { blocks.push_back(mlp); });
    for (MlpOp mlp : blocks) {
      // The block's own setting (kLowRankAttrName) wins over the option.
      FailureOr<std::optional<LowRankSpec>> blockSpec =
          getBlockSetting<LowRankSpec>(mlp, kLowRankAttrName, "ffn-lowrank", "MODE:VALUE",
                               spec, parseLowRankSpec);
      if (failed(blockSpec))
        return signalPassFailure();
      if (!*blockSpec)
        continue;
      if (failed(factorBlock(mlp, **blockSpec)))
        return signalPassFailure();
    }
  }

  /// Says why `mlp` was left alone, with remark-failures.
  void leaveAlone(MlpOp mlp, const Twine &why) {
    if (remarkFailures)
      mlp.emitRemark() << "ffn-lowrank: " << why;
  }

  /// Factors the constant weights of one block. Fails only on internal
  /// errors; blocks that cannot be factored are left alone.
  LogicalResult factorBlock(MlpOp mlp, const LowRankSpec &spec) {
    if (mlp->hasAttr(kRanksAttrName)) {
      leaveAlone(mlp, "the block was already factored");
      return success();
    }
    Block &body = mlp.getBody().front();
    SmallVector<Factorable> fs;
    SmallVector<std::optional<WeightData>> weights;
    int64_t fixedMacs = 0;
    for (Operation &op : body.without_terminator()) {
      auto linear = dyn_cast<LinearOp>(op);
      if (!linear)
        continue;
      std::optional<WeightData> data =
          WeightData::fromValue(getOuterValue(mlp, linear.getWeight()));
      if (!data) {
        fixedMacs += linear.getInFeatures() * linear.getOutFeatures();
        continue;
      }
      Factorable f;
      f.linear = linear;
      f.m = data->getType().getDimSize(0);
      f.n = data->getType().getDimSize(1);
      // Activation-aware for the linears reading the block's input, when
      // the block carries its calibration scale. Scales are kept away from
      // zero so that B can be scaled back.
      if (auto scale = mlp->getAttrOfType<DenseElementsAttr>(
              kInputScaleAttrName);
          scale && linear.getInput() == body.getArgument(0) &&
          scale.getNumElements() == f.n &&
          scale.getElementType().isF32()) {
        SmallVector<float> values(scale.getValues<float>());
        float top = *llvm::max_element(values);
        if (top > 0.0f && std::isfinite(top))
          for (float v : values)
            f.colScale.push_back(std::max<double>(v, 1e-3 * top));
      }
      fs.push_back(std::move(f));
      weights.push_back(std::move(data));
    }
    if (fs.empty()) {
      leaveAlone(mlp, "no linear of the block has a constant f32 weight");
      return success();
    }

    // The reference output, before anything changes.
    int64_t width = cast<RankedTensorType>(mlp.getInput().getType())
                        .getShape()
                        .back();
    std::string whyNot;
    std::vector<float> x;
    FailureOr<std::vector<float>> reference = failure();
    if (!ShapedType::isDynamic(width)) {
      x = randomRows(calibrationRows, width, kCalibrationSeed);
      reference = evaluateMlp(mlp, x, calibrationRows, &whyNot);
    } else {
      whyNot = "the block's width is dynamic";
    }
    if (failed(reference)) {
      mlp.emitWarning() << "ffn-lowrank: block left dense: its error cannot "
                           "be measured: "
                        << whyNot;
      return success();
    }

    for (auto [f, data] : llvm::zip(fs, weights)) {
      if (failed(computeSVD(data->values(), f))) {
        mlp.emitWarning() << "ffn-lowrank: the SVD of a " << f.m << "x" << f.n
                          << " weight did not converge; it stays dense";
        f.energy = 0.0;
      }
    }
    weights.clear();

    if (spec.mode == "flops") {
      chooseRanksForFlops(fs, fixedMacs, spec.value);
    } else {
      for (Factorable &f : fs)
        if (f.energy > 0.0)
          f.rank = spec.mode == "energy"
                       ? rankForEnergy(f, spec.value)
                       : std::min<int64_t>(f.k, static_cast<int64_t>(spec.value));
    }
    for (Factorable &f : fs)
      if (f.energy <= 0.0 || (f.rank >= 0 && !f.saves(f.rank)))
        f.rank = -1;

    SmallVector<int64_t> ranks;
    for (const Factorable &f : fs)
      ranks.push_back(f.rank);
    mlp->setAttr(kRanksAttrName,
                 DenseI64ArrayAttr::get(mlp.getContext(), ranks));
    bool any = llvm::any_of(fs, [](const Factorable &f) {
      return f.rank >= 0;
    });
    if (!any) {
      LLVM_DEBUG(llvm::dbgs() << DEBUG_TYPE ": no rank saves FLOPs\n");
      describe(mlp, fs, std::nullopt);
      return success();
    }

    // Rewrite: each factored linear becomes two thin ones.
    OpBuilder outer(mlp);
    for (Factorable &f : fs) {
      if (f.rank < 0)
        continue;
      std::vector<float> a, b;
      buildFactors(f, a, b);
      Type f32 = outer.getF32Type();
      Location loc = f.linear.getLoc();
      Value aConst = createWeightConstant(
          outer, loc, RankedTensorType::get({f.m, f.rank}, f32), a,
          "lowrank_a");
      Value bConst = createWeightConstant(
          outer, loc, RankedTensorType::get({f.rank, f.n}, f32), b,
          "lowrank_b");
      BlockArgument aArg = addParam(mlp, aConst);
      BlockArgument bArg = addParam(mlp, bConst);
      OpBuilder inner(f.linear);
      Value input = f.linear.getInput();
      Value thin = LinearOp::create(inner, loc,
                                    withLastDim(input.getType(), f.rank),
                                    input, bArg, Value());
      Value result = LinearOp::create(inner, loc, f.linear.getType(), thin,
                                      aArg, f.linear.getBias());
      f.linear.getResult().replaceAllUsesWith(result);
      f.linear.erase();
      f.linear = nullptr;
      // The SVD factors are no longer needed.
      f.u.clear();
      f.vt.clear();
    }
    dropUnusedParams(mlp);

    FailureOr<std::vector<float>> factored =
        evaluateMlp(mlp, x, calibrationRows, &whyNot);
    if (failed(factored))
      return mlp.emitError() << "ffn-lowrank: cannot evaluate the factored "
                                "block: "
                             << whyNot;
    double error = relativeError(*reference, *factored);
    recordApplied(mlp, kRewriteName);
    recordRelError(mlp, error);
    describe(mlp, fs, error);
    return success();
  }

  /// With remark-ranks, says which rank each matrix got and what it costs.
  void describe(MlpOp mlp, ArrayRef<Factorable> fs,
                std::optional<double> error) {
    std::string text;
    llvm::raw_string_ostream os(text);
    os << "ffn-lowrank:";
    if (llvm::any_of(fs, [](const Factorable &f) {
          return !f.colScale.empty();
        }))
      os << " activation-aware;";
    int64_t dense = 0, after = 0;
    for (auto [i, f] : llvm::enumerate(fs)) {
      os << (i ? ";" : "") << " " << f.m << "x" << f.n << " ";
      if (f.rank < 0)
        os << "dense";
      else
        os << llvm::formatv("rank {0} ({1:f4} of the energy)", f.rank,
                            f.energy > 0 ? f.keptEnergy(f.rank) / f.energy
                                         : 0.0);
      dense += f.macs(-1);
      after += f.macs(f.rank);
    }
    os << llvm::formatv("; {0:f3} of the factorable FLOPs",
                        dense ? double(after) / double(dense) : 1.0);
    if (error)
      os << llvm::formatv("; relative error {0:e2}", *error);
    else
      os << "; nothing factored (no rank saves FLOPs)";
    LLVM_DEBUG(llvm::dbgs() << text << "\n");
    if (remarkRanks)
      mlp.emitRemark() << text;
  }
};
} // namespace
