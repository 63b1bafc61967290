//===- Budget.cpp - the error budget of the approximate rewrites ----------===//
//
// Builds the model as shared libraries in a temporary folder, loads them
// with dlopen and runs them on the calibration inputs; see Budget.h for the
// search.
//
//===----------------------------------------------------------------------===//

#include "Budget.h"

#include "ffn/Compiler/Report.h"
#include "ffn/Dialect/FFN/IR/FFNOps.h"
#include "ffn/Dialect/FFN/Transforms/Evaluate.h"
#include "ffn/Dialect/FFN/Transforms/FFNFusion.h"
#include "ffn/Dialect/FFN/Transforms/LowRank.h"
#include "ffn/Dialect/FFN/Transforms/Sparsity.h"
#include "ffn/Dialect/FFN/Transforms/Passes.h"
#include "ffn/Runtime/Npy.h"
#include "ffn/Utils/Weights.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/Diagnostics.h"
#include "llvm/ADT/STLExtras.h"
#include "llvm/ADT/ScopeExit.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/raw_ostream.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <map>
#include <dlfcn.h>
#include <random>

using namespace mlir;
using namespace mlir::ffn;
using ::ffn::runtime::getNumElements;

namespace {
/// Approximate settings per FFN, from the flags' own (0) to the gentlest;
/// kRungs itself means no approximate rewrite.
constexpr int kRungs = 6;
/// Random calibration samples when no --calibration file says how many.
constexpr int64_t kRandomSamples = 2;
/// At most this many token rows of an FFN's inputs go to the evaluator.
constexpr int64_t kMaxEvaluatedRows = 4096;
/// At most this many token rows measure --ffn-fusion=auto's distances (a
/// chain of L blocks takes up to L(L-1)/2 evaluations).
constexpr int64_t kMaxDistanceRows = 512;

/// Emits a driver-level error (no source location).
InFlightDiagnostic budgetError(MLIRContext &ctx) {
  return emitError(UnknownLoc::get(&ctx));
}

//===----------------------------------------------------------------------===//
// Settings
//===----------------------------------------------------------------------===//

/// `value` with six significant digits (`0.875`, `0.999688`).
std::string formatFraction(double value) {
  char text[32];
  std::snprintf(text, sizeof(text), "%.6g", value);
  return text;
}

/// One FFN's settings for the approximate rewrites the flags ask for.
struct Setting {
  std::optional<double> width;
  std::optional<std::string> lowRank;
  std::optional<int64_t> blockDiag;
  std::optional<int64_t> fusionMaxRun;
  /// --ffn-fusion=auto: the cosine distance a run starting here allows.
  std::optional<double> fusionMaxDistance;
  std::optional<std::string> sparsity;

  /// `width=0.875 lowrank=energy:0.95 block-diag=2`, the asked-for parts.
  std::string str() const {
    SmallVector<std::string> parts;
    if (width)
      parts.push_back("width=" + formatFraction(*width));
    if (lowRank)
      parts.push_back("lowrank=" + *lowRank);
    if (blockDiag)
      parts.push_back(llvm::formatv("block-diag={0}", *blockDiag).str());
    if (fusionMaxDistance)
      parts.push_back("ffn-fusion=auto:" + formatFraction(*fusionMaxDistance));
    else if (fusionMaxRun)
      parts.push_back(llvm::formatv("ffn-fusion={0}", *fusionMaxRun).str());
    if (sparsity)
      parts.push_back("sparsity=" + *sparsity);
    return llvm::join(parts, " ");
  }
};

/// `1 - (1 - value) / 2^rung`: a kept fraction halfway closer to 1 per rung.
double loosenFraction(double value, int rung) {
  return 1.0 - (1.0 - value) / double(int64_t(1) << rung);
}

/// --ffn-fusion=auto: per FFN (report index) and rung, the length of the
/// run that starts at the FFN; FFNs not listed start none.
using FusionCaps = std::vector<std::array<int64_t, kRungs>>;

/// The cosine distance --ffn-fusion=auto allows at rung `rung`: half the
/// flag's per rung.
double fusionDistanceAt(const CompileOptions &options, int rung) {
  return *options.ffnFusionMaxDistance / double(int64_t(1) << rung);
}

/// The setting of rung `rung` (0: the flags' own; kRungs: none) for the FFN
/// of report index `index`.
Setting settingFor(const CompileOptions &options, const FusionCaps &caps,
                   int64_t index, int rung) {
  Setting s;
  bool none = rung >= kRungs;
  if (!options.ffnWidths.empty()) {
    double base = 1.0;
    if (options.ffnWidths.size() == 1)
      base = options.ffnWidths[0];
    else if (index < static_cast<int64_t>(options.ffnWidths.size()))
      base = options.ffnWidths[index];
    s.width = none ? 1.0 : loosenFraction(base, rung);
  }
  if (!options.lowRank.empty()) {
    std::string error;
    FailureOr<LowRankSpec> spec = parseLowRankSpec(options.lowRank, error);
    if (none || failed(spec)) {
      s.lowRank = "none";
    } else if (spec->mode == "rank") {
      s.lowRank = llvm::formatv("rank:{0}", int64_t(spec->value) << rung);
    } else {
      s.lowRank = spec->mode + ":" + formatFraction(loosenFraction(spec->value, rung));
    }
  }
  if (options.blockDiag != 0) {
    int64_t k = none ? 1 : options.blockDiag >> rung;
    s.blockDiag = k >= 2 ? k : 1;
  }
  if (options.ffnFusion != 0) {
    // Shorter runs: the cap of the run starting at this FFN halves.
    int64_t n = none ? 1 : options.ffnFusion >> rung;
    s.fusionMaxRun = n >= 2 ? n : 1;
  }
  if (options.ffnFusionMaxDistance) {
    s.fusionMaxRun = 1;
    if (!none && index < static_cast<int64_t>(caps.size())) {
      s.fusionMaxRun = caps[index][rung];
      s.fusionMaxDistance = fusionDistanceAt(options, rung);
    }
  }
  if (!options.sparsity.empty()) {
    // The pruned fraction halves per rung; N:M has no gentler form.
    std::string error;
    FailureOr<SparsitySpec> spec = parseSparsitySpec(options.sparsity, error);
    std::optional<SparsitySpec> loose;
    if (!none && succeeded(spec))
      loose = spec->loosened(rung);
    s.sparsity = loose ? loose->str() : "none";
  }
  return s;
}

/// Gives every FFN of `module` the setting of its rung.
void applySettings(ModuleOp module, const CompileOptions &options,
                   const FusionCaps &caps, ArrayRef<int> rungs) {
  Builder b(module.getContext());
  module.walk([&](MlpOp mlp) {
    int64_t index = FFNReport::getEntryIndex(mlp);
    if (index < 0 || index >= static_cast<int64_t>(rungs.size()))
      return;
    Setting s = settingFor(options, caps, index, rungs[index]);
    if (s.width)
      mlp->setAttr(kWidthAttrName, b.getF64FloatAttr(*s.width));
    if (s.lowRank)
      mlp->setAttr(kLowRankAttrName, b.getStringAttr(*s.lowRank));
    if (s.blockDiag)
      mlp->setAttr(kBlockDiagAttrName, b.getI64IntegerAttr(*s.blockDiag));
    if (s.fusionMaxRun)
      mlp->setAttr(kFusionMaxRunAttrName,
                   b.getI64IntegerAttr(*s.fusionMaxRun));
    if (s.sparsity)
      mlp->setAttr(kSparsityAttrName, b.getStringAttr(*s.sparsity));
  });
}

//===----------------------------------------------------------------------===//
// Calibration inputs
//===----------------------------------------------------------------------===//

/// Bytes of one element of an ABI dtype (enum ffn_dtype).
size_t elementSize(int32_t dtype) {
  const ::ffn::runtime::NpyDtype *npy = ::ffn::runtime::getNpyDtype(dtype);
  return npy ? npy->size : 4;
}

/// The calibration samples of every model input.
struct Calibration {
  int64_t samples = 0;
  /// Per model input: its shape in the samples (the model's, with every
  /// dynamic dimension set).
  std::vector<std::vector<int64_t>> shapes;
  /// Per model input: `samples` copies of the input, one after the other.
  std::vector<std::vector<char>> inputs;
};

/// The size a dynamic dimension takes in random calibration inputs when no
/// calibration file sets it: 1 for the first dimension (the batch), else
/// kRandomTokens.
constexpr int64_t kRandomTokens = 64;

/// "[batch, seq, 32]": the shape of an input, dynamic dimensions by name
/// (or '?').
std::string interfaceShape(const TensorInterface &t) {
  std::string text = "[";
  for (size_t d = 0; d < t.shape.size(); ++d) {
    if (d)
      text += ", ";
    if (t.shape[d] != kDynamicDim)
      text += std::to_string(t.shape[d]);
    else if (!t.getDimName(d).empty())
      text += t.getDimName(d).str();
    else
      text += "?";
  }
  return text + "]";
}

/// Whether `shape` (of a file) is `model` with its dynamic dimensions set.
bool matchesShape(ArrayRef<int64_t> shape, ArrayRef<int64_t> model) {
  if (shape.size() != model.size())
    return false;
  for (auto [s, m] : llvm::zip(shape, model))
    if (m != kDynamicDim ? s != m : s < 1)
      return false;
  return true;
}

/// `count` values of `dtype` at random: N(0, 1) for floats, 0 or 1 for
/// integers and booleans (valid indices and masks whatever the model).
std::vector<char> randomInput(int32_t dtype, int64_t count, uint64_t seed) {
  size_t size = elementSize(dtype);
  std::vector<char> bytes(count * size);
  if (dtype == 0 || dtype == 1) {
    std::vector<float> values = randomRows(count, 1, seed);
    for (int64_t i = 0; i < count; ++i) {
      if (dtype == 0) {
        std::memcpy(&bytes[i * size], &values[i], size);
      } else {
        double v = values[i];
        std::memcpy(&bytes[i * size], &v, size);
      }
    }
    return bytes;
  }
  std::mt19937_64 engine(seed);
  for (int64_t i = 0; i < count; ++i) {
    int64_t bit = static_cast<int64_t>(engine() >> 63);
    // Little-endian: the low bytes of the 64-bit value.
    std::memcpy(&bytes[i * size], &bit, size);
  }
  return bytes;
}

/// Reads the `NAME=FILE.npy` calibration files; inputs without one get
/// random values.
FailureOr<Calibration> loadCalibration(MLIRContext &ctx,
                                       const ModelInterface &model,
                                       ArrayRef<std::string> specs) {
  Calibration cal;
  std::vector<std::optional<::ffn::runtime::NpyArray>> files(model.inputs.size());
  for (const std::string &spec : specs) {
    std::pair<StringRef, StringRef> parts = StringRef(spec).split('=');
    StringRef name = parts.first, path = parts.second;
    if (name.empty() || path.empty()) {
      budgetError(ctx) << "--calibration '" << spec
                       << "': expected NAME=FILE.npy";
      return failure();
    }
    auto it = llvm::find_if(model.inputs, [&](const TensorInterface &t) {
      return t.name == name;
    });
    if (it == model.inputs.end()) {
      std::string names;
      llvm::raw_string_ostream os(names);
      llvm::interleaveComma(model.inputs, os,
                            [&](const TensorInterface &t) { os << t.name; });
      budgetError(ctx) << "--calibration: the model has no input '" << name
                       << "' (its inputs: " << names << ")";
      return failure();
    }
    size_t i = it - model.inputs.begin();
    if (files[i]) {
      budgetError(ctx) << "--calibration: input '" << name
                       << "' is given twice";
      return failure();
    }
    const ::ffn::runtime::NpyDtype *dtype = ::ffn::runtime::getNpyDtype(it->dtype);
    ::ffn::runtime::NpyArray array;
    std::string error;
    if (!dtype || !::ffn::runtime::readNpy(path.str(), *dtype, array, error)) {
      budgetError(ctx) << "--calibration " << name << ": "
                       << (dtype ? error : "unsupported input type");
      return failure();
    }
    // One sample of the input's shape, or a stack of them (dynamic
    // dimensions take the file's sizes).
    int64_t samples = 0;
    ArrayRef<int64_t> shape(array.shape);
    if (matchesShape(shape, it->shape))
      samples = 1;
    else if (shape.size() == it->shape.size() + 1 &&
             matchesShape(shape.drop_front(), it->shape) && shape.front() > 0)
      samples = shape.front();
    if (samples == 0) {
      budgetError(ctx) << "--calibration " << name << ": " << path
                       << " has shape " << ::ffn::runtime::formatShape(array.shape)
                       << "; input '" << name << "' needs "
                       << interfaceShape(*it) << " or [N, "
                       << interfaceShape(*it).substr(1);
      return failure();
    }
    if (cal.samples != 0 && samples != cal.samples) {
      budgetError(ctx) << "--calibration " << name << ": " << path
                       << " holds " << samples << " sample(s), another file "
                       << cal.samples;
      return failure();
    }
    cal.samples = samples;
    files[i] = std::move(array);
  }
  if (cal.samples == 0)
    cal.samples = kRandomSamples;
  // Each input's sample shape: a file's own; dynamic dimensions of inputs
  // without one take the size a file gives the dimension of that name, else
  // 1 (the first) or kRandomTokens.
  llvm::StringMap<int64_t> named;
  for (auto [i, t] : llvm::enumerate(model.inputs)) {
    std::vector<int64_t> shape = t.shape;
    if (files[i]) {
      ArrayRef<int64_t> given(files[i]->shape);
      shape.assign(given.end() - t.shape.size(), given.end());
      for (size_t d = 0; d < shape.size(); ++d) {
        StringRef dimName = t.getDimName(d);
        if (dimName.empty())
          continue;
        auto [entry, inserted] = named.try_emplace(dimName, shape[d]);
        if (!inserted && entry->second != shape[d]) {
          budgetError(ctx) << "--calibration " << t.name << ": dimension " << d
                           << " ('" << dimName << "') is " << shape[d]
                           << " but another file gives '" << dimName
                           << "' the size " << entry->second;
          return failure();
        }
      }
    }
    cal.shapes.push_back(std::move(shape));
  }
  for (auto [i, t] : llvm::enumerate(model.inputs)) {
    if (files[i])
      continue;
    for (size_t d = 0; d < t.shape.size(); ++d) {
      if (t.shape[d] != kDynamicDim)
        continue;
      auto entry = named.find(t.getDimName(d));
      cal.shapes[i][d] = entry != named.end() && !t.getDimName(d).empty()
                             ? entry->second
                         : d == 0 ? 1
                                  : kRandomTokens;
    }
  }
  for (auto [i, t] : llvm::enumerate(model.inputs)) {
    int64_t count = getNumElements(cal.shapes[i]) * cal.samples;
    if (files[i]) {
      const char *data = static_cast<const char *>(files[i]->data.data());
      cal.inputs.emplace_back(data, data + count * elementSize(t.dtype));
    } else {
      cal.inputs.push_back(randomInput(t.dtype, count, /*seed=*/1000 + i));
    }
  }
  return cal;
}

//===----------------------------------------------------------------------===//
// Building and running a module
//===----------------------------------------------------------------------===//

/// The outputs of a build on every calibration sample, as floats: per
/// output, the samples one after the other.
using Outputs = std::vector<std::vector<float>>;

/// Converts `count` elements of `dtype` at `data` to floats.
void appendAsFloats(const char *data, int32_t dtype, int64_t count,
                    std::vector<float> &out) {
  for (int64_t i = 0; i < count; ++i) {
    const char *p = data + i * elementSize(dtype);
    float v = 0;
    switch (dtype) {
    case 0:
      std::memcpy(&v, p, 4);
      break;
    case 1: {
      double d;
      std::memcpy(&d, p, 8);
      v = static_cast<float>(d);
      break;
    }
    case 2: {
      int64_t x;
      std::memcpy(&x, p, 8);
      v = static_cast<float>(x);
      break;
    }
    case 3: {
      int32_t x;
      std::memcpy(&x, p, 4);
      v = static_cast<float>(x);
      break;
    }
    case 4: {
      int16_t x;
      std::memcpy(&x, p, 2);
      v = static_cast<float>(x);
      break;
    }
    default:
      v = static_cast<float>(*reinterpret_cast<const int8_t *>(p));
      break;
    }
    out.push_back(v);
  }
}

/// Builds `module` (after the FFN passes) as `DIR/libNAME.so` for the host
/// CPU, loads it and runs it on every calibration sample.
FailureOr<Outputs> buildAndRun(MLIRContext &ctx, OwningOpRef<ModuleOp> module,
                               const CompileOptions &options, StringRef dir,
                               StringRef name, const Calibration &cal) {
  FailureOr<ModelInterface> model = getModelInterface(*module);
  if (failed(model))
    return failure();
  CompileOptions lib = options;
  lib.emit = EmitKind::Lib;
  lib.target = "cpu";
  lib.cpu = "native";
  lib.printReport = false;
  lib.reportPath.clear();
  lib.keepTemps = false;
  SmallString<256> path(dir);
  llvm::sys::path::append(path, "lib" + name + ".so");
  lib.outputPath = std::string(path);
  if (failed(emitNative(ctx, std::move(module), *model, lib,
                        /*releaseWeights=*/false)))
    return failure();

  void *handle = dlopen(lib.outputPath.c_str(), RTLD_NOW | RTLD_LOCAL);
  if (!handle) {
    budgetError(ctx) << "cannot load the calibration build '"
                     << lib.outputPath << "': " << dlerror();
    return failure();
  }
  llvm::scope_exit closer([&] { dlclose(handle); });
  using CreateFn = void *(*)();
  using DestroyFn = void (*)(void *);
  using RunFn = int (*)(void *, const void *const *, void *const *);
  auto create = reinterpret_cast<CreateFn>(
      dlsym(handle, (name + "_create").str().c_str()));
  auto destroy = reinterpret_cast<DestroyFn>(
      dlsym(handle, (name + "_destroy").str().c_str()));
  auto run =
      reinterpret_cast<RunFn>(dlsym(handle, (name + "_run").str().c_str()));
  void *instance = create && destroy && run ? create() : nullptr;
  if (!instance) {
    budgetError(ctx) << "the calibration build '" << lib.outputPath
                     << "' lacks the model's C API";
    return failure();
  }
  llvm::scope_exit destroyer([&] { destroy(instance); });

  // A model with dynamic shapes runs through <name>_run_dynamic, which
  // returns outputs of the sizes the inputs imply.
  using RunDynamicFn = int (*)(void *, const void *const *,
                               const int64_t *const *, void **,
                               int64_t *const *);
  using FreeFn = void (*)(void *);
  RunDynamicFn runDynamic = nullptr;
  FreeFn freeOutput = nullptr;
  if (model->isDynamic()) {
    runDynamic = reinterpret_cast<RunDynamicFn>(
        dlsym(handle, (name + "_run_dynamic").str().c_str()));
    freeOutput =
        reinterpret_cast<FreeFn>(dlsym(handle, (name + "_free").str().c_str()));
    if (!runDynamic || !freeOutput) {
      budgetError(ctx) << "the calibration build '" << lib.outputPath
                       << "' lacks the dynamic-shape C API";
      return failure();
    }
  }

  Outputs outputs(model->outputs.size());
  std::vector<std::vector<char>> buffers;
  if (!runDynamic)
    for (const TensorInterface &t : model->outputs)
      buffers.emplace_back(getNumElements(t.shape) * elementSize(t.dtype));
  for (int64_t s = 0; s < cal.samples; ++s) {
    std::vector<const void *> in;
    std::vector<const int64_t *> inShapes;
    for (auto [i, t] : llvm::enumerate(model->inputs)) {
      in.push_back(cal.inputs[i].data() +
                   s * getNumElements(cal.shapes[i]) * elementSize(t.dtype));
      inShapes.push_back(cal.shapes[i].data());
    }
    if (runDynamic) {
      size_t n = model->outputs.size();
      std::vector<void *> out(n, nullptr);
      std::vector<std::vector<int64_t>> outShapes;
      std::vector<int64_t *> outShapePtrs;
      for (const TensorInterface &t : model->outputs)
        outShapes.emplace_back(std::max<size_t>(t.shape.size(), 1));
      for (std::vector<int64_t> &shape : outShapes)
        outShapePtrs.push_back(shape.data());
      if (runDynamic(instance, in.data(), inShapes.data(), out.data(),
                     outShapePtrs.data()) != 0) {
        budgetError(ctx) << "the calibration build '" << lib.outputPath
                         << "' failed on sample " << s;
        return failure();
      }
      for (auto [i, t] : llvm::enumerate(model->outputs)) {
        outShapes[i].resize(t.shape.size());
        appendAsFloats(static_cast<const char *>(out[i]), t.dtype,
                       getNumElements(outShapes[i]), outputs[i]);
        freeOutput(out[i]);
      }
      continue;
    }
    std::vector<void *> out;
    for (std::vector<char> &b : buffers)
      out.push_back(b.data());
    if (run(instance, in.data(), out.data()) != 0) {
      budgetError(ctx) << "the calibration build '" << lib.outputPath
                       << "' failed on sample " << s;
      return failure();
    }
    for (auto [i, t] : llvm::enumerate(model->outputs))
      appendAsFloats(buffers[i].data(), t.dtype, getNumElements(t.shape),
                     outputs[i]);
  }
  return outputs;
}

/// The error of the model's outputs: the largest `max|ref - got| /
/// max|ref|` over its first `count` outputs.
double outputsError(const Outputs &ref, const Outputs &got, size_t count) {
  double worst = 0.0;
  for (size_t i = 0; i < count; ++i)
    worst = std::max(worst, maxRelativeError(ref[i], got[i]));
  return worst;
}

/// Adds the input of every FFN of the entry function to its results, named
/// `ffn_input_<index>`; returns the report index of each added result.
SmallVector<int64_t> addFFNInputResults(ModuleOp module,
                                        const ModelInterface &model) {
  SmallVector<int64_t> indices;
  auto entry = module.lookupSymbol<func::FuncOp>(model.entryName);
  if (!entry || entry.isExternal())
    return indices;
  SmallVector<Value> values;
  entry.walk([&](MlpOp mlp) {
    int64_t index = FFNReport::getEntryIndex(mlp);
    auto type = dyn_cast<RankedTensorType>(mlp.getInput().getType());
    // Token rows of a static width; the token dimensions may be dynamic.
    if (index < 0 || !type || type.getRank() == 0 ||
        type.isDynamicDim(type.getRank() - 1) ||
        !type.getElementType().isF32())
      return;
    indices.push_back(index);
    values.push_back(mlp.getInput());
  });
  if (values.empty())
    return indices;
  auto ret = cast<func::ReturnOp>(entry.getBody().back().getTerminator());
  MLIRContext *ctx = module.getContext();
  Builder b(ctx);
  SmallVector<Attribute> attrs;
  for (unsigned i = 0, e = ret.getNumOperands(); i < e; ++i) {
    DictionaryAttr dict = entry.getResultAttrDict(i);
    attrs.push_back(dict ? dict : b.getDictionaryAttr({}));
  }
  for (int64_t index : indices)
    attrs.push_back(b.getDictionaryAttr(b.getNamedAttr(
        "ffn.name", b.getStringAttr("ffn_input_" + Twine(index)))));
  ret->insertOperands(ret.getNumOperands(), values);
  SmallVector<Type> results(entry.getResultTypes());
  for (Value v : values)
    results.push_back(v.getType());
  entry.setFunctionType(
      FunctionType::get(ctx, entry.getArgumentTypes(), results));
  entry.setAllResultAttrs(attrs);
  return indices;
}

/// Up to kMaxEvaluatedRows token rows of `dim` features from `values`,
/// evenly spaced.
std::vector<float> sampleRows(ArrayRef<float> values, int64_t dim,
                              int64_t &rows) {
  int64_t all = static_cast<int64_t>(values.size()) / dim;
  int64_t stride = std::max<int64_t>(1, (all + kMaxEvaluatedRows - 1) /
                                            kMaxEvaluatedRows);
  std::vector<float> out;
  rows = 0;
  for (int64_t r = 0; r < all; r += stride, ++rows)
    out.insert(out.end(), values.begin() + r * dim,
               values.begin() + (r + 1) * dim);
  return out;
}

/// Every `step`-th row of `dim` values in `values`.
std::vector<float> everyNthRow(ArrayRef<float> values, int64_t dim,
                               int64_t step) {
  std::vector<float> out;
  for (size_t r = 0; (r + 1) * dim <= values.size(); r += step)
    out.insert(out.end(), values.begin() + r * dim,
               values.begin() + (r + 1) * dim);
  return out;
}

/// The mean over the rows (`dim` values each) of the cosine distance
/// `1 - cos(a_r, b_r)`; a row that is zero in both counts 0, zero in one 1.
double meanCosineDistance(ArrayRef<float> a, ArrayRef<float> b, int64_t dim) {
  int64_t rows = static_cast<int64_t>(a.size()) / dim;
  double sum = 0.0;
  for (int64_t r = 0; r < rows; ++r) {
    double ab = 0.0, aa = 0.0, bb = 0.0;
    for (int64_t c = r * dim; c < (r + 1) * dim; ++c) {
      ab += double(a[c]) * b[c];
      aa += double(a[c]) * a[c];
      bb += double(b[c]) * b[c];
    }
    if (aa == 0.0 || bb == 0.0)
      sum += aa == bb ? 0.0 : 1.0;
    else
      sum += 1.0 - ab / std::sqrt(aa * bb);
  }
  return rows ? sum / rows : 0.0;
}

/// --ffn-fusion=auto on one chain of residual FFNs (findFusionChains): the
/// report index of each block and, per block s, the cosine distances
/// `d(s, j)` for j = s+1, ... between block j's output on its own input and
/// on block s's input (what it reads in a run starting at s), up to the
/// first above the flag's D or the chain's end.
struct FusionChain {
  SmallVector<int64_t> ids;
  std::vector<std::vector<double>> distances;

  /// The run starting at block `s` when runs admit distances up to `d`.
  int64_t runLength(size_t s, double d) const {
    int64_t n = 1;
    while (n - 1 < static_cast<int64_t>(distances[s].size()) &&
           distances[s][n - 1] <= d)
      ++n;
    return n;
  }
};

/// A temporary folder removed when it goes out of scope, unless kept.
struct TempDir {
  SmallString<128> path;
  bool keep = false;
  ~TempDir() {
    if (!path.empty() && !keep)
      llvm::sys::fs::remove_directories(path);
  }
};
} // namespace

LogicalResult mlir::ffn::applyErrorBudget(MLIRContext &ctx, ModuleOp module,
                                          const ModelInterface &model,
                                          const CompileOptions &options,
                                          FFNReport &report) {
  if (options.maxRelError &&
      !(*options.maxRelError > 0.0 && std::isfinite(*options.maxRelError))) {
    budgetError(ctx) << "--max-rel-error must be a positive number";
    return failure();
  }
  FailureOr<Calibration> cal =
      loadCalibration(ctx, model, options.calibration);
  if (failed(cal))
    return failure();
  TempDir dir;
  dir.keep = options.keepTemps;
  if (std::error_code ec =
          llvm::sys::fs::createUniqueDirectory("ffn-budget", dir.path)) {
    budgetError(ctx) << "cannot create a temporary directory: "
                     << ec.message();
    return failure();
  }
  if (dir.keep)
    llvm::errs() << "ffn-compile: calibration builds kept in " << dir.path
                 << "\n";
  size_t numFFNs = report.ffns.size();
  int builds = 0;

  // 1. The reference, which also returns every FFN's input.
  OwningOpRef<ModuleOp> refModule = module.clone();
  SmallVector<int64_t> probed = addFFNInputResults(*refModule, model);
  FailureOr<Outputs> ref = buildAndRun(ctx, std::move(refModule), options,
                                       dir.path, "ffn_budget_ref", *cal);
  ++builds;
  releaseUnusedWeights(&ctx, module);
  if (failed(ref))
    return failure();
  size_t numOutputs = model.outputs.size();

  // The inputs an FFN of the entry function got in the reference build, all
  // samples' token rows one after the other; empty for other FFNs.
  auto inputsOf = [&](MlpOp mlp) -> ArrayRef<float> {
    int64_t index = FFNReport::getEntryIndex(mlp);
    auto it = llvm::find(probed, index);
    if (index < 0 || index >= static_cast<int64_t>(numFFNs) ||
        it == probed.end())
      return {};
    return (*ref)[numOutputs + (it - probed.begin())];
  };
  auto widthOf = [](MlpOp mlp) {
    return cast<RankedTensorType>(mlp.getInput().getType()).getShape().back();
  };

  // Activation-aware low rank: each FFN's input feature scales, the square
  // root of their root mean square (ASVD's alpha = 0.5: the full RMS lets a
  // few outlier features take the ranks; on all-MiniLM-L6-v2 at half the FFN
  // FLOPs the embeddings' cosine was 0.55 with it, 0.70 with its square
  // root, 0.61 with the plain SVD).
  if (!options.lowRank.empty() && options.lowRankActivationAware) {
    Builder b(&ctx);
    module.walk([&](MlpOp mlp) {
      ArrayRef<float> x = inputsOf(mlp);
      int64_t dim = widthOf(mlp);
      int64_t rows = static_cast<int64_t>(x.size()) / dim;
      if (rows == 0)
        return;
      std::vector<double> sq(dim, 0.0);
      for (int64_t r = 0; r < rows; ++r)
        for (int64_t c = 0; c < dim; ++c)
          sq[c] += double(x[r * dim + c]) * x[r * dim + c];
      SmallVector<float> scale;
      for (double v : sq)
        scale.push_back(static_cast<float>(std::pow(v / rows, 0.25)));
      mlp->setAttr(kInputScaleAttrName,
                   DenseElementsAttr::get(
                       RankedTensorType::get({dim}, b.getF32Type()),
                       ArrayRef<float>(scale)));
    });
  }

  // 2. Each FFN's error at each rung, on its own calibration inputs (up to
  // kMaxEvaluatedRows of them) against its output before any rewrite.
  std::vector<std::vector<float>> ffnInputs(numFFNs), ffnRefs(numFFNs);
  std::vector<int64_t> ffnRows(numFFNs, 0);
  module.walk([&](MlpOp mlp) {
    ArrayRef<float> all = inputsOf(mlp);
    if (all.empty())
      return;
    int64_t index = FFNReport::getEntryIndex(mlp);
    std::vector<float> x = sampleRows(all, widthOf(mlp), ffnRows[index]);
    FailureOr<std::vector<float>> y = evaluateMlp(mlp, x, ffnRows[index]);
    if (failed(y))
      return;
    ffnInputs[index] = std::move(x);
    ffnRefs[index] = std::move(*y);
  });
  auto measureFusionChain =
      [&](ArrayRef<MlpOp> chain) -> FailureOr<FusionChain> {
    FusionChain fc;
    for (MlpOp mlp : chain) {
      int64_t id = FFNReport::getEntryIndex(mlp);
      if (id < 0 || id >= static_cast<int64_t>(numFFNs) ||
          ffnRefs[id].empty() ||
          ffnRows[id] != ffnRows[fc.ids.empty() ? id : fc.ids.front()])
        return failure();
      fc.ids.push_back(id);
    }
    int64_t dim = widthOf(chain.front());
    int64_t rows = ffnRows[fc.ids.front()];
    int64_t step = std::max<int64_t>(
        1, (rows + kMaxDistanceRows - 1) / kMaxDistanceRows);
    std::vector<std::vector<float>> own(chain.size());
    for (auto [j, id] : llvm::enumerate(fc.ids))
      own[j] = everyNthRow(ffnRefs[id], dim, step);
    int64_t sampled = static_cast<int64_t>(own.front().size()) / dim;
    for (size_t s = 0; s < chain.size(); ++s) {
      std::vector<float> x = everyNthRow(ffnInputs[fc.ids[s]], dim, step);
      fc.distances.emplace_back();
      for (size_t j = s + 1; j < chain.size(); ++j) {
        FailureOr<std::vector<float>> y = evaluateMlp(chain[j], x, sampled);
        if (failed(y))
          return failure();
        double d = meanCosineDistance(own[j], *y, dim);
        fc.distances.back().push_back(d);
        if (d > *options.ffnFusionMaxDistance)
          break;
      }
    }
    return fc;
  };

  // --ffn-fusion=auto: each chain's distances, and from them the run each
  // FFN starts at each rung (the distance allowed halves per rung).
  FusionCaps fusionCaps;
  std::vector<FusionChain> fusionChains;
  if (options.ffnFusionMaxDistance) {
    std::array<int64_t, kRungs> alone;
    alone.fill(1);
    fusionCaps.assign(numFFNs, alone);
    for (SmallVector<MlpOp> &chain : findFusionChains(module)) {
      FailureOr<FusionChain> measured = measureFusionChain(chain);
      if (failed(measured)) {
        emitWarning(chain.front().getLoc())
            << "--ffn-fusion=auto: a chain of " << chain.size()
            << " residual FFNs is not fused: the calibration build did not "
               "give every block's inputs, or the evaluator cannot run a "
               "block";
        continue;
      }
      for (auto [s, id] : llvm::enumerate(measured->ids))
        for (int r = 0; r < kRungs; ++r)
          fusionCaps[id][r] =
              measured->runLength(s, fusionDistanceAt(options, r));
      fusionChains.push_back(std::move(*measured));
    }
  }

  // errors[i][r]: FFN i's error at rung r; 0 where nothing approximate ran.
  std::vector<std::array<double, kRungs>> errors(numFFNs);
  for (int rung = 0; rung < kRungs; ++rung) {
    OwningOpRef<ModuleOp> trial = module.clone();
    applySettings(*trial, options, fusionCaps,
                  SmallVector<int>(numFFNs, rung));
    if (failed(runApproximateFFNPasses(*trial, options)))
      return failure();
    for (auto &e : errors)
      e[rung] = 0.0;
    trial->walk([&](MlpOp mlp) {
      int64_t index = FFNReport::getEntryIndex(mlp);
      std::optional<double> recorded = getRelError(mlp);
      if (index < 0 || index >= static_cast<int64_t>(numFFNs) || !recorded)
        return;
      // On the FFN's calibration inputs when the evaluator takes the block;
      // else the error the rewrite measured on random rows. A fused block
      // stands for several FFNs: its error is the one ffn-fusion measured
      // on the run.
      double error = *recorded;
      auto fusedIds = mlp->getAttrOfType<DenseI64ArrayAttr>(
          kFusedReportIdsAttrName);
      bool fused = static_cast<bool>(fusedIds);
      if (!ffnRefs[index].empty()) {
        // The block's output against the reference's; for a fused run, the
        // sum of its blocks' outputs in the reference (its calibration
        // inputs are the first block's).
        std::vector<float> ref = ffnRefs[index];
        bool known = true;
        for (int64_t other : fused ? fusedIds.asArrayRef() : ArrayRef<int64_t>()) {
          known = other >= 0 && other < static_cast<int64_t>(numFFNs) &&
                  ffnRefs[other].size() == ref.size();
          if (!known)
            break;
          for (auto [r, v] : llvm::zip(ref, ffnRefs[other]))
            r += v;
        }
        FailureOr<std::vector<float>> got =
            known ? evaluateMlp(mlp, ffnInputs[index], ffnRows[index])
                  : FailureOr<std::vector<float>>(failure());
        if (succeeded(got))
          error = maxRelativeError(ref, *got);
      }
      errors[index][rung] = error;
      // The FFNs fused into this one share its error: their setting (the
      // cap of a run starting at them) matters when the run is cut before
      // them.
      if (fused)
        for (int64_t other : fusedIds.asArrayRef())
          if (other >= 0 && other < static_cast<int64_t>(numFFNs))
            errors[other][rung] = error;
    });
    trial = nullptr;
    releaseUnusedWeights(&ctx, module);
  }

  // 3. Choose the rungs for a threshold, build, measure.
  auto choose = [&](double threshold) {
    SmallVector<int> rungs(numFFNs, kRungs);
    for (size_t i = 0; i < numFFNs; ++i)
      for (int r = 0; r < kRungs; ++r)
        if (errors[i][r] <= threshold) {
          rungs[i] = r;
          break;
        }
    return rungs;
  };
  std::map<SmallVector<int>, double> measured;
  auto measure = [&](ArrayRef<int> rungs) -> FailureOr<double> {
    SmallVector<int> key(rungs);
    if (auto it = measured.find(key); it != measured.end())
      return it->second;
    OwningOpRef<ModuleOp> trial = module.clone();
    applySettings(*trial, options, fusionCaps, rungs);
    if (failed(runApproximateFFNPasses(*trial, options)) ||
        failed(runFusionFFNPasses(*trial, options.optLevel)))
      return failure();
    FailureOr<Outputs> got =
        buildAndRun(ctx, std::move(trial), options, dir.path,
                    "ffn_budget_" + std::to_string(builds), *cal);
    ++builds;
    releaseUnusedWeights(&ctx, module);
    if (failed(got))
      return failure();
    double error = outputsError(*ref, *got, numOutputs);
    measured[key] = error;
    if (options.printReport) {
      llvm::errs() << "ffn-compile: calibration build " << builds - 1 << ":";
      for (int r : rungs)
        llvm::errs() << " " << (r == kRungs ? "-" : std::to_string(r));
      llvm::errs() << llvm::formatv(" (rung per FFN): max_rel_error {0:e2}\n",
                                    error);
    }
    return error;
  };

  SmallVector<int> chosen(numFFNs, 0);
  FailureOr<double> error = measure(chosen);
  if (failed(error))
    return failure();
  if (options.maxRelError && *error > *options.maxRelError) {
    // Bisection over the thresholds: thresholds[lo] (or 0 when lo is -1)
    // is the largest known to meet the budget, thresholds[hi] the smallest
    // known not to.
    std::vector<double> thresholds;
    for (const auto &e : errors)
      thresholds.insert(thresholds.end(), e.begin(), e.end());
    llvm::sort(thresholds);
    thresholds.erase(std::unique(thresholds.begin(), thresholds.end()),
                     thresholds.end());
    int64_t lo = -1, hi = static_cast<int64_t>(thresholds.size()) - 1;
    std::optional<double> loError;
    while (hi - lo > 1) {
      int64_t mid = lo + (hi - lo) / 2;
      FailureOr<double> e = measure(choose(thresholds[mid]));
      if (failed(e))
        return failure();
      if (*e <= *options.maxRelError) {
        lo = mid;
        loError = *e;
      } else {
        hi = mid;
      }
    }
    chosen = choose(lo >= 0 ? thresholds[lo] : -1.0);
    if (loError) {
      error = *loError;
    } else {
      error = measure(chosen);
      if (failed(error))
        return failure();
    }
    if (*error > *options.maxRelError)
      emitWarning(UnknownLoc::get(&ctx))
          << "--max-rel-error=" << *options.maxRelError
          << " cannot be met: without approximate rewrites the outputs "
             "already differ by "
          << llvm::formatv("{0:e2}", *error).str()
          << " (the rounding of the exact rewrites)";
  }

  // The chosen settings, on the module itself.
  applySettings(module, options, fusionCaps, chosen);
  if (failed(runApproximateFFNPasses(module, options)))
    return failure();
  // Every FFN's setting, those fused into another included.
  for (size_t index = 0; index < numFFNs; ++index)
    report.ffns[index].setting =
        settingFor(options, fusionCaps, index, chosen[index]).str();
  Builder b(&ctx);
  module.walk([&](MlpOp mlp) {
    int64_t index = FFNReport::getEntryIndex(mlp);
    if (index < 0 || index >= static_cast<int64_t>(numFFNs))
      return;
    if (chosen[index] < kRungs && getRelError(mlp))
      mlp->setAttr(kRelErrorAttrName,
                   b.getF64FloatAttr(errors[index][chosen[index]]));
  });
  // Each chain block's distance to the first block of the run it joined,
  // or of the run it did not join.
  for (const FusionChain &fc : fusionChains) {
    size_t start = 0;
    for (size_t j = 1; j < fc.ids.size(); ++j) {
      size_t k = j - start - 1;
      if (k < fc.distances[start].size())
        report.ffns[fc.ids[j]].fusionDistance = fc.distances[start][k];
      int rung = chosen[fc.ids[start]];
      int64_t run = rung >= kRungs ? 1 : fusionCaps[fc.ids[start]][rung];
      if (static_cast<int64_t>(j - start) >= run)
        start = j;
    }
  }
  report.totalMaxRelError = *error;
  report.calibrationSamples = cal->samples;
  report.calibrationBuilds = builds;
  return success();
}
