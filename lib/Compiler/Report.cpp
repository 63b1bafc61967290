//===- Report.cpp - the per-FFN report of ffn-compile ---------------------===//
//
// Measures FFN blocks (FLOPs and parameters for the compiled shapes) and
// prints the report as a table and as JSON.
//
//===----------------------------------------------------------------------===//

#include "ffn/Compiler/Report.h"
#include "ffn/Dialect/FFN/IR/FFNOps.h"
#include "ffn/Dialect/FFN/Transforms/Passes.h"

#include "llvm/ADT/DenseSet.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/JSON.h"

using namespace mlir;
using namespace mlir::ffn;

/// Elements of a statically shaped float tensor value, or 0 (integer
/// parameters, the indices of sparse weights, are not weights).
static int64_t numElements(Value v) {
  auto type = dyn_cast<RankedTensorType>(v.getType());
  return type && type.hasStaticShape() && isa<FloatType>(type.getElementType())
             ? type.getNumElements()
             : 0;
}

FFNCost mlir::ffn::measureFFN(MlpOp op) {
  FFNCost cost;
  for (Value param : op.getParams())
    cost.params += numElements(param);
  cost.perToken = llvm::any_of(
      cast<ShapedType>(op.getInput().getType()).getShape().drop_back(),
      ShapedType::isDynamic);
  op.getBody().walk([&](LinearOp linear) {
    auto xType = linear.getInput().getType();
    int64_t rows = 1;
    for (int64_t d : xType.getShape().drop_back())
      rows *= ShapedType::isDynamic(d) ? 1 : d;
    cost.flops += 2 * rows * linear.getInFeatures() * linear.getOutFeatures();
  });
  auto tokenRows = [](RankedTensorType type) {
    int64_t rows = 1;
    for (int64_t d : type.getShape().drop_back())
      rows *= ShapedType::isDynamic(d) ? 1 : d;
    return rows;
  };
  op.getBody().walk([&](BlockSparseLinearOp linear) {
    cost.flops += 2 * tokenRows(linear.getInput().getType()) *
                  linear.getMacsPerRow();
  });
  op.getBody().walk([&](CsrLinearOp linear) {
    cost.flops += 2 * tokenRows(linear.getInput().getType()) *
                  linear.getMacsPerRow();
  });
  op.getBody().walk([&](BlockDiagLinearOp linear) {
    int64_t rows = 1;
    for (int64_t d : linear.getInput().getType().getShape().drop_back())
      rows *= ShapedType::isDynamic(d) ? 1 : d;
    cost.flops += 2 * rows * linear.getInFeatures() *
                  linear.getOutFeatures() / linear.getNumBlocks();
  });
  return cost;
}

/// Parameters of the FFNs of `module`, each distinct value counted once.
static int64_t countUniqueParams(ModuleOp module) {
  llvm::DenseSet<Value> seen;
  int64_t count = 0;
  module.walk([&](MlpOp op) {
    for (Value param : op.getParams())
      if (seen.insert(param).second)
        count += numElements(param);
  });
  return count;
}

/// A readable name for an FFN: its location's name, or file:line.
static std::string ffnName(MlpOp op, size_t index) {
  if (std::string name = getLocationName(op); !name.empty())
    return name;
  if (auto file = dyn_cast<FileLineColLoc>(op.getLoc()))
    return llvm::formatv("ffn{0}@line{1}", index, file.getLine()).str();
  return "ffn" + std::to_string(index);
}


FFNReport FFNReport::collect(ModuleOp module) {
  FFNReport report;
  module.walk([&](MlpOp op) {
    FFNReportEntry entry;
    entry.name = ffnName(op, report.ffns.size());
    entry.kind = stringifyMlpKind(op.getKind()).str();
    entry.before = entry.after = measureFFN(op);
    op->setAttr(kReportIdAttrName,
                IntegerAttr::get(IntegerType::get(op.getContext(), 64),
                                 report.ffns.size()));
    report.ffns.push_back(std::move(entry));
  });
  report.uniqueParamsBefore = countUniqueParams(module);
  return report;
}

int64_t FFNReport::getEntryIndex(MlpOp op) {
  auto id = op->getAttrOfType<IntegerAttr>(kReportIdAttrName);
  return id && id.getInt() >= 0 ? id.getInt() : -1;
}

void FFNReport::updateAfter(ModuleOp module) {
  module.walk([&](MlpOp op) {
    int64_t id = getEntryIndex(op);
    if (id < 0 || id >= (int64_t)ffns.size())
      return;
    FFNReportEntry &entry = ffns[id];
    entry.after = measureFFN(op);
    entry.applied.clear();
    for (StringRef name : getApplied(op))
      entry.applied.push_back(name.str());
    entry.maxRelError = getRelError(op);
    // The FFNs ffn-fusion fused into this one cost nothing on their own.
    if (auto fused = op->getAttrOfType<DenseI64ArrayAttr>(
            kFusedReportIdsAttrName))
      for (int64_t other : fused.asArrayRef()) {
        if (other < 0 || other >= (int64_t)ffns.size())
          continue;
        ffns[other].after = FFNCost();
        ffns[other].applied = {"ffn-fusion", "fused into " + entry.name};
      }
  });
  uniqueParamsAfter = countUniqueParams(module);
}

void FFNReport::printTable(llvm::raw_ostream &os) const {
  os << llvm::formatv("{0,-24} {1,-12} {2,14} {3,14} {4,12} {5,12} {6,10}  {7}\n",
                      "ffn", "kind", "flops_before", "flops_after",
                      "params_bef", "params_aft", "max_err", "applied");
  int64_t before = 0, after = 0;
  for (const FFNReportEntry &e : ffns) {
    std::string err =
        e.maxRelError ? llvm::formatv("{0:e2}", *e.maxRelError).str() : "-";
    std::string applied =
        e.applied.empty() ? "-" : llvm::join(e.applied, ",");
    if (!e.setting.empty() || e.fusionDistance) {
      std::string setting = e.setting;
      if (e.fusionDistance)
        setting += llvm::formatv("{0}fusion-distance={1:e2}",
                                 setting.empty() ? "" : " ", *e.fusionDistance)
                       .str();
      applied += " [" + setting + "]";
    }
    os << llvm::formatv("{0,-24} {1,-12} {2,14} {3,14} {4,12} {5,12} {6,10}  {7}\n",
                        e.name, e.kind, e.before.flops, e.after.flops,
                        e.before.params, e.after.params, err, applied);
    before += e.before.flops;
    after += e.after.flops;
  }
  os << llvm::formatv("{0} FFN(s); total FFN FLOPs {1} -> {2}; distinct "
                      "parameters {3} -> {4}\n",
                      ffns.size(), before, after, uniqueParamsBefore,
                      uniqueParamsAfter);
  if (llvm::any_of(ffns, [](const FFNReportEntry &e) {
        return e.before.perToken;
      }))
    os << "FLOPs are per token: the token dimensions (batch, sequence) are "
          "dynamic and each counts as 1\n";
  if (totalMaxRelError)
    os << llvm::formatv("model outputs: max_rel_error {0:e2} measured on {1} "
                        "calibration sample(s) ({2} builds)\n",
                        *totalMaxRelError, calibrationSamples,
                        calibrationBuilds);
}

void FFNReport::writeJSON(llvm::raw_ostream &os) const {
  llvm::json::Array list;
  int64_t before = 0, after = 0, paramsBefore = 0, paramsAfter = 0;
  for (const FFNReportEntry &e : ffns) {
    llvm::json::Array applied;
    for (const std::string &a : e.applied)
      applied.push_back(a);
    llvm::json::Value err = nullptr;
    if (e.maxRelError)
      err = *e.maxRelError;
    llvm::json::Value distance = nullptr;
    if (e.fusionDistance)
      distance = *e.fusionDistance;
    llvm::json::Value setting = nullptr;
    if (!e.setting.empty())
      setting = e.setting;
    list.push_back(llvm::json::Object{
        {"name", e.name},
        {"setting", std::move(setting)},
        {"kind", e.kind},
        {"applied", std::move(applied)},
        {"flops_before", e.before.flops},
        {"flops_after", e.after.flops},
        {"flops_per_token", e.before.perToken},
        {"params_before", e.before.params},
        {"params_after", e.after.params},
        {"max_rel_error", std::move(err)},
        {"fusion_distance", std::move(distance)},
    });
    before += e.before.flops;
    after += e.after.flops;
    paramsBefore += e.before.params;
    paramsAfter += e.after.params;
  }
  llvm::json::Value totalErr = nullptr;
  if (totalMaxRelError)
    totalErr = *totalMaxRelError;
  llvm::json::Object root{
      {"ffns", std::move(list)},
      {"total",
       llvm::json::Object{{"flops_before", before},
                          {"flops_after", after},
                          {"params_before", paramsBefore},
                          {"params_after", paramsAfter},
                          {"unique_params_before", uniqueParamsBefore},
                          {"unique_params_after", uniqueParamsAfter},
                          {"max_rel_error", std::move(totalErr)},
                          {"calibration_samples", calibrationSamples},
                          {"calibration_builds", calibrationBuilds}}},
  };
  os << llvm::formatv("{0:2}", llvm::json::Value(std::move(root))) << "\n";
}
