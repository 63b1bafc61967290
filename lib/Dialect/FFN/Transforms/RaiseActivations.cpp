//===- RaiseActivations.cpp - recognise decomposed GELU and SiLU ----------===//
//
// Exporters write GELU and SiLU with elementwise ops: GELU as
// `x * 0.5 * (1 + erf(x / sqrt 2))` or its tanh approximation, SiLU as
// `x * Sigmoid(x)`, which importers decompose into `1 / (1 + exp(-x))`.
// These patterns find them whatever the association of the products and the
// order of the operands, and replace them by ffn activations.
//
//===----------------------------------------------------------------------===//

#include "ffn/Dialect/FFN/IR/FFNOps.h"
#include "ffn/Dialect/FFN/Transforms/Passes.h"
#include "ffn/Dialect/FFN/Transforms/Transforms.h"

#include "RaiseMatchers.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/IR/PatternMatch.h"
#include "llvm/Support/Debug.h"
#include "llvm/Support/MathExtras.h"
#include <cmath>

#define DEBUG_TYPE "ffn-raise-activations"

namespace mlir {
namespace ffn {
#define GEN_PASS_DEF_RAISEACTIVATIONS
#include "ffn/Dialect/FFN/Transforms/Passes.h.inc"
} // namespace ffn
} // namespace mlir

using namespace mlir;
using namespace mlir::ffn;
using namespace mlir::ffn::raise;

/// The constants of the GELU tanh approximation.
static const double kSqrt2OverPi = std::sqrt(2.0 / llvm::numbers::pi);
static constexpr double kGeluCubicCoefficient = 0.044715;

/// Matches `1 + fn(y)` in either order, with `fn` an `FnOp`, and returns y.
template <typename FnOp>
static Value matchOnePlus(Value value, StringRef fnName, MatchState &state) {
  auto add = value.getDefiningOp<arith::AddFOp>();
  if (!add)
    return state.failValue("expected 1 + " + fnName + "(...)");
  Value other;
  if (isSplatClose(add.getRhs(), 1.0))
    other = add.getLhs();
  else if (isSplatClose(add.getLhs(), 1.0))
    other = add.getRhs();
  else
    return state.failValue("the addition next to the " + fnName +
                           " has no constant 1");
  auto fn = other.getDefiningOp<FnOp>();
  if (!fn)
    return state.failValue("expected 1 + " + fnName + "(...)");
  state.add(add);
  state.add(fn);
  return fn.getOperand();
}

/// Flattens the product `value` (which must be computed by a product op)
/// into `product`, recording it.
static bool flattenScaled(Value value, Product &product, StringRef what,
                          MatchState &state) {
  Operation *def = value.getDefiningOp();
  if (!def || !flattenProduct(def, product, state))
    return state.fail(what + " is not a product with a constant");
  state.add(def);
  return true;
}

//===----------------------------------------------------------------------===//
// GELU
//===----------------------------------------------------------------------===//

/// Matches the erf argument `x / sqrt(2)` (or `x * 0.70710678`).
static bool matchErfArgument(Value arg, Value x, MatchState &state) {
  Product product;
  if (!flattenScaled(arg, product, "the erf argument", state))
    return false;
  if (product.factors.size() != 1 || product.factors.front() != x)
    return state.fail("the erf argument is not a multiple of the same x");
  if (!isClose(product.scale, llvm::numbers::inv_sqrt2))
    return state.fail("the erf argument scales x by " +
                      std::to_string(product.scale) + ", not 1/sqrt(2)");
  return true;
}

/// Matches `x^3` as a product of x and powers of x (`math.powf(x, n)`),
/// already flattened into `cubic` with the constant 0.044715.
static bool matchCubicTerm(const Product &cubic, Value x, MatchState &state) {
  if (!isClose(cubic.scale, kGeluCubicCoefficient))
    return state.fail("the cubic term's coefficient is " +
                      std::to_string(cubic.scale) + ", not 0.044715");
  double power = 0.0;
  for (Value factor : cubic.factors) {
    if (factor == x) {
      power += 1.0;
      continue;
    }
    auto pow = factor.getDefiningOp<math::PowFOp>();
    std::optional<double> exponent =
        pow ? getSplatValue(pow.getRhs()) : std::nullopt;
    if (!pow || pow.getLhs() != x || !exponent)
      return state.fail("a factor of the cubic term is not a power of x");
    state.add(pow);
    power += *exponent;
  }
  if (power != 3.0)
    return state.fail("the cubic term raises x to the power " +
                      std::to_string(power) + ", not 3");
  return true;
}

/// Matches the tanh argument `sqrt(2/pi) * (x + 0.044715 * x^3)`.
static bool matchTanhArgument(Value arg, Value x, MatchState &state) {
  Product outer;
  if (!flattenScaled(arg, outer, "the tanh argument", state))
    return false;
  if (outer.factors.size() != 1)
    return state.fail("the tanh argument is not one scaled sum");
  if (!isClose(outer.scale, kSqrt2OverPi))
    return state.fail("the tanh argument is scaled by " +
                      std::to_string(outer.scale) + ", not sqrt(2/pi)");
  auto sum = outer.factors.front().getDefiningOp<arith::AddFOp>();
  if (!sum)
    return state.fail("expected x + 0.044715 * x^3 in the tanh argument");
  Value cubic;
  if (sum.getLhs() == x)
    cubic = sum.getRhs();
  else if (sum.getRhs() == x)
    cubic = sum.getLhs();
  else
    return state.fail("the sum in the tanh argument does not add x");
  state.add(sum);
  Product cubicProduct;
  if (!flattenScaled(cubic, cubicProduct, "the cubic term", state))
    return false;
  return matchCubicTerm(cubicProduct, x, state);
}

namespace {
/// The product of `x`, `0.5` and `1 + erf(x / sqrt 2)` (or
/// `1 + tanh(sqrt(2/pi) (x + 0.044715 x^3))`) -> `ffn.gelu x`. Rooted at the
/// outermost multiplication, or at a division by 2.
template <typename OpTy> struct RaiseGelu : public OpRewritePattern<OpTy> {
  using OpRewritePattern<OpTy>::OpRewritePattern;

  LogicalResult matchAndRewrite(OpTy op,
                                PatternRewriter &rewriter) const override {
    if (!isa<RankedTensorType>(op.getType()))
      return rewriter.notifyMatchFailure(op, "not an op on tensors");
    MatchState state;
    Product product;
    if (!flattenProduct(op, product, state))
      return rewriter.notifyMatchFailure(op, "not a product with a constant");
    if (product.factors.size() != 2)
      return rewriter.notifyMatchFailure(
          op, "the product has " + std::to_string(product.factors.size()) +
                  " non-constant factors; GELU has two, x and 1 + erf(...)");
    if (!isClose(product.scale, 0.5))
      return rewriter.notifyMatchFailure(op, "the constant factor is " +
                                                 std::to_string(product.scale) +
                                                 ", not 0.5");

    // Either factor may be x; keep the reason of the attempt that got
    // furthest.
    std::string reason;
    size_t bestDepth = 0;
    size_t start = state.mark();
    for (unsigned i = 0; i < 2; ++i) {
      Value term = product.factors[i];
      Value x = product.factors[1 - i];
      for (GeluApproximation approx :
           {GeluApproximation::none, GeluApproximation::tanh}) {
        bool matched;
        if (approx == GeluApproximation::none) {
          Value arg = matchOnePlus<math::ErfOp>(term, "erf", state);
          matched = arg && matchErfArgument(arg, x, state);
        } else {
          Value arg = matchOnePlus<math::TanhOp>(term, "tanh", state);
          matched = arg && matchTanhArgument(arg, x, state);
        }
        if (matched) {
          if (!state.checkContained(op))
            return rewriter.notifyMatchFailure(op, state.getReason());
          if (x.getType() != op.getType())
            return rewriter.notifyMatchFailure(
                op, "x's type differs from the result's");
          LLVM_DEBUG(llvm::dbgs() << DEBUG_TYPE ": GELU ("
                                  << stringifyGeluApproximation(approx)
                                  << ") at " << op.getLoc() << "\n");
          rewriter.replaceOpWithNewOp<GeluOp>(op, op.getType(), x, approx);
          return success();
        }
        size_t depth = state.mark() - start;
        if (reason.empty() || depth > bestDepth) {
          reason = state.getReason();
          bestDepth = depth;
        }
        state.rollback(start);
      }
    }
    return rewriter.notifyMatchFailure(op, reason);
  }
};
} // namespace

//===----------------------------------------------------------------------===//
// SiLU
//===----------------------------------------------------------------------===//

/// Matches `-x`: `arith.negf x`, `x * -1` or `0 - x`.
static bool matchNegationOf(Value value, Value x, MatchState &state) {
  Operation *def = value.getDefiningOp();
  if (auto neg = dyn_cast_or_null<arith::NegFOp>(def)) {
    if (neg.getOperand() != x)
      return state.fail("exp of the negation of another value");
    state.add(neg);
    return true;
  }
  if (auto mul = dyn_cast_or_null<arith::MulFOp>(def)) {
    if ((mul.getLhs() == x && isSplatClose(mul.getRhs(), -1.0)) ||
        (mul.getRhs() == x && isSplatClose(mul.getLhs(), -1.0))) {
      state.add(mul);
      return true;
    }
    return state.fail("exp of a product that is not -x");
  }
  if (auto sub = dyn_cast_or_null<arith::SubFOp>(def)) {
    if (sub.getRhs() == x && isSplatClose(sub.getLhs(), 0.0)) {
      state.add(sub);
      return true;
    }
    return state.fail("exp of a difference that is not -x");
  }
  return state.fail("the exp argument is not -x");
}

/// Matches `1 + exp(-x)` in either order.
static bool matchOnePlusExpNeg(Value value, Value x, MatchState &state) {
  Value arg = matchOnePlus<math::ExpOp>(value, "exp", state);
  return arg && matchNegationOf(arg, x, state);
}

/// Matches `sigmoid(x)` as `1 / (1 + exp(-x))`.
static bool matchSigmoidOf(Value value, Value x, MatchState &state) {
  auto div = value.getDefiningOp<arith::DivFOp>();
  if (!div || !isSplatClose(div.getLhs(), 1.0))
    return state.fail("expected sigmoid(x) as 1 / (1 + exp(-x))");
  state.add(div);
  return matchOnePlusExpNeg(div.getRhs(), x, state);
}

namespace {
/// `x * sigmoid(x)` (either order) -> `ffn.silu x`.
struct RaiseSiluProduct : public OpRewritePattern<arith::MulFOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(arith::MulFOp op,
                                PatternRewriter &rewriter) const override {
    if (!isa<RankedTensorType>(op.getType()))
      return rewriter.notifyMatchFailure(op, "not an op on tensors");
    MatchState state;
    std::string reason;
    size_t bestDepth = 0;
    for (unsigned i = 0; i < 2; ++i) {
      Value x = op->getOperand(i);
      if (matchSigmoidOf(op->getOperand(1 - i), x, state)) {
        if (!state.checkContained(op))
          return rewriter.notifyMatchFailure(op, state.getReason());
        LLVM_DEBUG(llvm::dbgs()
                   << DEBUG_TYPE ": SiLU at " << op.getLoc() << "\n");
        rewriter.replaceOpWithNewOp<SiluOp>(op, op.getType(), x);
        return success();
      }
      if (reason.empty() || state.mark() >= bestDepth) {
        reason = state.getReason();
        bestDepth = state.mark();
      }
      state.rollback(0);
    }
    return rewriter.notifyMatchFailure(op, reason);
  }
};

/// `x / (1 + exp(-x))` -> `ffn.silu x`.
struct RaiseSiluQuotient : public OpRewritePattern<arith::DivFOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(arith::DivFOp op,
                                PatternRewriter &rewriter) const override {
    if (!isa<RankedTensorType>(op.getType()))
      return rewriter.notifyMatchFailure(op, "not an op on tensors");
    MatchState state;
    Value x = op.getLhs();
    if (!matchOnePlusExpNeg(op.getRhs(), x, state))
      return rewriter.notifyMatchFailure(op, state.getReason());
    if (!state.checkContained(op))
      return rewriter.notifyMatchFailure(op, state.getReason());
    LLVM_DEBUG(llvm::dbgs() << DEBUG_TYPE ": SiLU at " << op.getLoc() << "\n");
    rewriter.replaceOpWithNewOp<SiluOp>(op, op.getType(), x);
    return success();
  }
};

struct RaiseActivationsPass
    : public ffn::impl::RaiseActivationsBase<RaiseActivationsPass> {
  using RaiseActivationsBase::RaiseActivationsBase;

  void runOnOperation() override {
    RewritePatternSet patterns(&getContext());
    populateRaiseActivationPatterns(patterns);
    applyRaisePatterns(getOperation(), std::move(patterns), getArgument(),
                       remarkFailures);
  }
};
} // namespace

void mlir::ffn::populateRaiseActivationPatterns(RewritePatternSet &patterns) {
  patterns.add<RaiseGelu<arith::MulFOp>, RaiseGelu<arith::DivFOp>,
               RaiseSiluProduct, RaiseSiluQuotient>(patterns.getContext());
}
