//===- Compiler.cpp - the ffn-compile driver as a library -----------------===//
//
// load → FFN passes (by -O level) → report → ffn-lower-to-cpu → LLVM IR →
// object → link with the generated glue into an executable or a shared
// library.
//
//===----------------------------------------------------------------------===//

#include "ffn/Compiler/Compiler.h"
#include "Backend.h"
#include "Budget.h"
#include "CudaBackend.h"
#include "Glue.h"
#include "WeightObject.h"
#include "ffn/Codegen/Passes.h"
#include "ffn/Compiler/Report.h"
#include "ffn/Dialect/FFN/Transforms/FFNFusion.h"
#include "ffn/Dialect/FFN/Transforms/LowRank.h"
#include "ffn/Dialect/FFN/Transforms/Passes.h"
#include "ffn/Import/ONNX/Importer.h"
#include "ffn/Pipelines/Pipelines.h"
#include "ffn/Utils/Weights.h"

#include "mlir/Dialect/Bufferization/IR/Bufferization.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/SymbolTable.h"
#include "mlir/Parser/Parser.h"
#include "mlir/Pass/PassInstrumentation.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Support/FileUtilities.h"
#include "mlir/Target/LLVMIR/Export.h"
#include "mlir/Transforms/Passes.h"
#include "llvm/ADT/ScopeExit.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/ADT/StringSet.h"
#include "llvm/IR/LLVMContext.h"
#include "llvm/IR/Module.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/Program.h"
#include "llvm/Support/SourceMgr.h"
#include "llvm/Support/ToolOutputFile.h"

using namespace mlir;
using namespace mlir::ffn;

#ifndef FFN_DEFAULT_CC
#define FFN_DEFAULT_CC "clang"
#endif
#ifndef FFN_RUNTIME_INCLUDE_DIR
#define FFN_RUNTIME_INCLUDE_DIR ""
#endif
#ifndef FFN_OPENMP_LIB_DIR
#define FFN_OPENMP_LIB_DIR ""
#endif

/// Emits a driver-level error (no source location).
static InFlightDiagnostic driverError(MLIRContext &ctx) {
  return emitError(UnknownLoc::get(&ctx));
}

//===----------------------------------------------------------------------===//
// Loading and the model interface
//===----------------------------------------------------------------------===//

OwningOpRef<ModuleOp> mlir::ffn::loadModel(MLIRContext &context, StringRef path,
                                           ArrayRef<std::string> shapes) {
  std::string error;
  std::unique_ptr<llvm::MemoryBuffer> file = openInputFile(path, &error);
  if (!file) {
    driverError(context) << "cannot open model '" << path << "': " << error;
    return nullptr;
  }
  if (isONNXFile(path)) {
    ImportOptions importOptions;
    if (failed(parseShapeSpecs(context, shapes, importOptions)))
      return nullptr;
    return importONNXFile(context, path, importOptions);
  }
  llvm::SourceMgr sourceMgr;
  sourceMgr.AddNewSourceBuffer(std::move(file), llvm::SMLoc());
  return parseSourceFile<ModuleOp>(sourceMgr, ParserConfig(&context));
}

/// The name a function argument or result carries in `ffn.name`, or
/// `fallback`.
static std::string tensorName(DictionaryAttr attrs, std::string fallback) {
  if (attrs)
    if (auto name = attrs.getAs<StringAttr>("ffn.name"))
      return name.str();
  return fallback;
}

/// The ABI dtype (enum ffn_dtype) of an element type, or -1. Booleans cross
/// the ABI as one byte each (i8), never as i1 (whose vector loads read bits).
static int32_t abiDtype(Type element) {
  if (element.isF32())
    return 0;
  if (element.isF64())
    return 1;
  if (element.isSignlessInteger(64))
    return 2;
  if (element.isSignlessInteger(32))
    return 3;
  if (element.isSignlessInteger(16))
    return 4;
  if (element.isSignlessInteger(8))
    return 5;
  return -1;
}

/// Checks that `type` is a ranked tensor of an element type the ABI carries
/// and returns its shape, with kDynamicDim for dynamic dimensions.
static FailureOr<std::vector<int64_t>>
checkTensorType(Type type, Location loc, StringRef what, StringRef name) {
  auto tensor = dyn_cast<RankedTensorType>(type);
  if (!tensor || abiDtype(tensor.getElementType()) < 0) {
    emitError(loc) << what << " '" << name << "' has type " << type
                   << "; the CPU target supports ranked tensors of f32, f64, "
                      "i64, i32, i16 and i8 only";
    return failure();
  }
  std::vector<int64_t> shape;
  for (int64_t dim : tensor.getShape())
    shape.push_back(ShapedType::isDynamic(dim) ? kDynamicDim : dim);
  return shape;
}

/// Reads the `ffn.dim_names` of an input or output (one string per
/// dimension) into `t.dimNames`; names of static dimensions are dropped.
static LogicalResult readDimNames(DictionaryAttr attrs, Location loc,
                                  StringRef what, TensorInterface &t) {
  Attribute attr = attrs ? attrs.get("ffn.dim_names") : Attribute();
  if (!attr)
    return success();
  auto names = dyn_cast<ArrayAttr>(attr);
  if (!names || names.size() != t.shape.size() ||
      !llvm::all_of(names, [](Attribute a) { return isa<StringAttr>(a); }))
    return emitError(loc) << what << " '" << t.name << "': ffn.dim_names "
                          << attr << " must be an array of "
                          << t.shape.size()
                          << " strings, one per dimension";
  for (auto [dim, name] : llvm::zip(t.shape, names))
    t.dimNames.push_back(dim == kDynamicDim ? cast<StringAttr>(name).str()
                                            : std::string());
  if (llvm::all_of(t.dimNames, [](const std::string &n) { return n.empty(); }))
    t.dimNames.clear();
  return success();
}

/// `2, batch, ?`: a shape with dynamic dimensions shown by name, or `?`.
static std::string formatInterfaceShape(const TensorInterface &t) {
  std::string text;
  for (auto [d, dim] : llvm::enumerate(t.shape)) {
    if (d)
      text += ", ";
    StringRef name = t.getDimName(d);
    text += dim != kDynamicDim ? std::to_string(dim)
                               : (name.empty() ? std::string("?") : name.str());
  }
  return text;
}

/// The model's entry function: @main, or the only public function.
static func::FuncOp findEntry(ModuleOp module) {
  if (auto main = module.lookupSymbol<func::FuncOp>("main"))
    return main;
  func::FuncOp only;
  for (auto func : module.getOps<func::FuncOp>()) {
    if (func.isPrivate() || func.isExternal())
      continue;
    if (only)
      return nullptr;
    only = func;
  }
  return only;
}

FailureOr<ModelInterface> mlir::ffn::getModelInterface(ModuleOp module) {
  func::FuncOp entry = findEntry(module);
  if (!entry || entry.isExternal()) {
    emitError(module.getLoc())
        << "no entry function: define func.func @main (or exactly one "
           "public function with a body)";
    return failure();
  }
  ModelInterface model;
  model.entryName = entry.getSymName().str();
  llvm::StringSet<> seen;
  // Appends the input or output `index` of the entry to `list`.
  auto add = [&](std::vector<TensorInterface> &list, StringRef what,
                 unsigned index, Type type, DictionaryAttr attrs,
                 Location loc) -> LogicalResult {
    TensorInterface t;
    t.name = tensorName(attrs, what.str() + std::to_string(index));
    FailureOr<std::vector<int64_t>> shape =
        checkTensorType(type, loc, what, t.name);
    if (failed(shape))
      return failure();
    t.shape = std::move(*shape);
    if (failed(readDimNames(attrs, loc, what, t)))
      return failure();
    t.dtype = abiDtype(cast<RankedTensorType>(type).getElementType());
    // A bool ONNX input or output is an i8 tensor marked as such.
    if (attrs && attrs.get("ffn.bool"))
      t.dtype = 6;
    if (!seen.insert(t.name).second)
      return emitError(entry.getLoc())
             << "two inputs/outputs are named '" << t.name << "'";
    list.push_back(std::move(t));
    return success();
  };
  FunctionType type = entry.getFunctionType();
  for (auto [i, argType] : llvm::enumerate(type.getInputs()))
    if (failed(add(model.inputs, "input", i, argType, entry.getArgAttrDict(i),
                   entry.getArgument(i).getLoc())))
      return failure();
  for (auto [i, resType] : llvm::enumerate(type.getResults()))
    if (failed(add(model.outputs, "output", i, resType,
                   entry.getResultAttrDict(i), entry.getLoc())))
      return failure();
  if (model.outputs.empty()) {
    emitError(entry.getLoc()) << "the entry function returns nothing";
    return failure();
  }
  return model;
}

//===----------------------------------------------------------------------===//
// Compilation
//===----------------------------------------------------------------------===//

/// The C identifier a library is named by: the output's file name without a
/// `lib` prefix and extension.
static std::string libraryName(StringRef outputPath) {
  StringRef stem = llvm::sys::path::stem(outputPath);
  if (stem.starts_with("lib") && stem.size() > 3)
    stem = stem.drop_front(3);
  std::string name;
  for (char c : stem)
    name += llvm::isAlnum(c) ? c : '_';
  if (name.empty() || llvm::isDigit(name[0]))
    name = "m" + name;
  return name;
}

namespace {
/// Frees the weights a pass left unused (replaced by a transposed or packed
/// copy) after every pass on the whole module, so that dead copies do not pile
/// up during the lowering. Only for a module alone in its context: the
/// weights another module refers to would be freed too.
struct ReleaseWeightsInstrumentation : public PassInstrumentation {
  void runAfterPass(Pass *pass, Operation *op) override {
    if (isa<ModuleOp>(op))
      releaseUnusedWeights(op->getContext(), op);
  }
};
} // namespace

/// Runs the FFN-level passes of an optimisation level.
/// Recognises the FFNs of an imported graph (the `ffn-raise` pipeline) at
/// -O1 and above; -O0 compiles the graph as it was given, the reference the
/// other levels are checked against.
static LogicalResult raiseFFNs(ModuleOp module, unsigned optLevel) {
  if (optLevel == 0)
    return success();
  PassManager pm(module->getContext());
  // The importer's weights that raising transposes are freed as it goes.
  pm.addInstrumentation(std::make_unique<ReleaseWeightsInstrumentation>());
  buildRaisePipeline(pm);
  return pm.run(module);
}

LogicalResult mlir::ffn::runExactFFNPasses(ModuleOp module,
                                           unsigned optLevel) {
  PassManager pm(module->getContext());
  // Folded and permuted weights replace the originals, freed as they go.
  pm.addInstrumentation(std::make_unique<ReleaseWeightsInstrumentation>());
  if (optLevel >= 1) {
    pm.addPass(createCanonicalizerPass());
    pm.addPass(createCSEPass());
  }
  if (optLevel >= 2) {
    // Folding first: it rewrites the weights of the linears that horizontal
    // fusion later concatenates.
    pm.addPass(createFoldNorms());
    // RePaViT after the BatchNorm fold (the norm must be in W1 before the
    // residual merges into the identity), before horizontal fusion (which
    // fuses the two linears reading x that it leaves).
    pm.addPass(createRepavitReparam());
    // Neuron order before fusion: fusion concatenates gate and up into one
    // weight, a form the permutation does not take apart.
    // The compiled module is alone with its weights: permuted weights may
    // overwrite their originals.
    PermuteNeuronsOptions permute;
    permute.reuseWeightBuffers = true;
    pm.addPass(createPermuteNeurons(permute));
  }
  return pm.run(module);
}

bool mlir::ffn::hasApproximateRewrites(const CompileOptions &options) {
  return options.optLevel >= 2 &&
         (!options.ffnWidths.empty() || !options.lowRank.empty() ||
          options.blockDiag != 0 || options.ffnFusion != 0 ||
          options.ffnFusionMaxDistance ||
          !options.sparsity.empty());
}

LogicalResult
mlir::ffn::runApproximateFFNPasses(ModuleOp module,
                                   const CompileOptions &options) {
  if (!hasApproximateRewrites(options))
    return success();
  // None runs unless its flag asks for it. They act on the blocks the exact
  // rewrites left, neurons sorted by importance and gate/up not yet
  // concatenated, and each records the error it measured on the block
  // (recordRelError). A block's own settings (ffn.width, ffn.lowrank,
  // ffn.block_diag; the error budget sets them) win over the flags.
  PassManager pm(module->getContext());
  // Fusion first: the other rewrites then act on the wide blocks it makes.
  if (options.ffnFusion != 0 || options.ffnFusionMaxDistance) {
    // With auto, the runs are those the error budget chose from calibration
    // data (ffn.fusion_max_run on their first blocks); no other run starts.
    FFNFusionOptions fusion;
    fusion.maxRun = options.ffnFusionMaxDistance ? 1 : options.ffnFusion;
    pm.addPass(createFFNFusion(fusion));
  }
  if (!options.ffnWidths.empty()) {
    WidthSliceOptions width;
    width.widths.assign(options.ffnWidths.begin(), options.ffnWidths.end());
    pm.addPass(createWidthSlice(width));
  }
  if (!options.lowRank.empty()) {
    std::string error;
    FailureOr<LowRankSpec> spec = parseLowRankSpec(options.lowRank, error);
    if (failed(spec)) {
      driverError(*module->getContext()) << "--lowrank: " << error;
      return failure();
    }
    LowRankOptions lowRank;
    lowRank.mode = spec->mode;
    lowRank.value = spec->value;
    pm.addPass(createLowRank(lowRank));
  }
  if (options.blockDiag != 0) {
    BlockDiagOptions blockDiag;
    blockDiag.blocks = options.blockDiag;
    pm.addPass(createBlockDiag(blockDiag));
  }
  // Last: it prunes the weights the other rewrites leave (the factors of a
  // low-rank block included). The GPU has no sparse kernels: there the
  // pruned weights stay dense.
  if (!options.sparsity.empty()) {
    SparsifyOptions sparsify;
    sparsify.sparsity = options.sparsity;
    sparsify.pack = options.target != "cuda";
    pm.addPass(createSparsify(sparsify));
  }
  return pm.run(module);
}

LogicalResult mlir::ffn::runFusionFFNPasses(ModuleOp module,
                                            unsigned optLevel) {
  if (optLevel < 2)
    return success();
  PassManager pm(module->getContext());
  pm.addPass(createFuseHorizontal());
  // Last: permuted and fused copies of shared weights are equal again.
  pm.addPass(createDedupWeights());
  return pm.run(module);
}

/// Writes `text` to `path`.
static LogicalResult writeFile(MLIRContext &ctx, StringRef path,
                               llvm::function_ref<void(llvm::raw_ostream &)> fn) {
  std::string error;
  std::unique_ptr<llvm::ToolOutputFile> out = openOutputFile(path, &error);
  if (!out) {
    driverError(ctx) << "cannot write '" << path << "': " << error;
    return failure();
  }
  fn(out->os());
  out->keep();
  return success();
}

/// Prepares the entry function for native code: a unique, internal-looking
/// name, a C interface wrapper, and read-only inputs.
static void prepareEntry(ModuleOp module, ModelInterface &model,
                         StringRef libName) {
  func::FuncOp entry = module.lookupSymbol<func::FuncOp>(model.entryName);
  std::string newName = "ffn_entry_" + libName.str();
  if (failed(SymbolTable::replaceAllSymbolUses(
          entry, StringAttr::get(module.getContext(), newName), module)))
    return;
  entry.setSymName(newName);
  model.entryName = newName;
  entry->setAttr(LLVM::LLVMDialect::getEmitCWrapperAttrName(),
                 UnitAttr::get(module.getContext()));
  // The names are in `model` now; the lowering has no use for them.
  MLIRContext *ctx = module.getContext();
  for (unsigned i = 0, e = entry.getNumArguments(); i < e; ++i)
    entry.setArgAttrs(
        i, DictionaryAttr::get(
               ctx, {NamedAttribute(
                        StringAttr::get(
                            ctx, bufferization::BufferizationDialect::
                                     kWritableAttrName),
                        BoolAttr::get(ctx, false))}));
  for (unsigned i = 0, e = entry.getNumResults(); i < e; ++i)
    entry.setResultAttrs(i, DictionaryAttr::get(ctx, {}));
}

/// Marks the inputs of the entry of a GPU build read-only and counts them
/// for ffn-gpu-device-memory, which would otherwise copy the inputs back to
/// the caller's (const) buffers after every run and copy the outputs in
/// before it.
static void markInputsReadOnly(ModuleOp module, const ModelInterface &model) {
  func::FuncOp entry = module.lookupSymbol<func::FuncOp>(model.entryName);
  for (unsigned i = 0, e = entry.getNumArguments(); i < e; ++i)
    entry.setArgAttr(i, kReadOnlyArgAttrName,
                     UnitAttr::get(module.getContext()));
  entry->setAttr(kNumInputsAttrName,
                 IntegerAttr::get(IntegerType::get(module.getContext(), 64),
                                  entry.getNumArguments()));
}

/// Gives every symbol of the object internal linkage except the C interface
/// of the entry, which is hidden: two models in one process never clash.
static void internalizeSymbols(llvm::Module &module, StringRef keep) {
  for (llvm::Function &f : module.functions()) {
    if (f.isDeclaration())
      continue;
    if (f.getName() == keep)
      f.setVisibility(llvm::GlobalValue::HiddenVisibility);
    else
      f.setLinkage(llvm::GlobalValue::InternalLinkage);
  }
  for (llvm::GlobalVariable &g : module.globals())
    if (!g.isDeclaration() && !g.getName().starts_with("llvm."))
      g.setLinkage(llvm::GlobalValue::InternalLinkage);
}

/// Runs `args` (args[0] is the program), reporting failures.
static LogicalResult runTool(MLIRContext &ctx, ArrayRef<std::string> args) {
  std::vector<StringRef> refs(args.begin(), args.end());
  std::string error;
  int rc = llvm::sys::ExecuteAndWait(refs[0], refs, std::nullopt, {}, 0, 0,
                                     &error);
  if (rc != 0) {
    driverError(ctx) << "'" << llvm::join(args, " ") << "' failed"
                     << (error.empty() ? "" : ": " + error)
                     << " (exit code " << rc << ")";
    return failure();
  }
  return success();
}

/// The C compiler used to link (FFN_CC overrides the configured one).
static FailureOr<std::string> findCompiler(MLIRContext &ctx) {
  if (const char *env = std::getenv("FFN_CC"))
    return std::string(env);
  if (llvm::sys::fs::can_execute(FFN_DEFAULT_CC))
    return std::string(FFN_DEFAULT_CC);
  for (StringRef name : {"clang-22", "clang", "cc"})
    if (auto path = llvm::sys::findProgramByName(name))
      return *path;
  driverError(ctx) << "no C compiler found to link with (set FFN_CC)";
  return failure();
}

/// The runtime library the executables link, next to the tool's build tree
/// (FFN_RUNTIME_LIB overrides).
static FailureOr<std::string> findRuntimeLibrary(MLIRContext &ctx,
                                                 StringRef toolPath) {
  if (const char *env = std::getenv("FFN_RUNTIME_LIB"))
    return std::string(env);
  SmallString<256> path(llvm::sys::path::parent_path(toolPath));
  llvm::sys::path::append(path, "..", "lib", "libffn_runtime.a");
  if (llvm::sys::fs::exists(path))
    return std::string(path);
  driverError(ctx) << "cannot find the ffn runtime library (looked for '"
                   << path << "'; set FFN_RUNTIME_LIB)";
  return failure();
}

/// Links the object and glue into the requested artifact.
static LogicalResult linkArtifact(MLIRContext &ctx,
                                  const CompileOptions &options,
                                  const ModelInterface &model,
                                  StringRef libName,
                                  ArrayRef<std::string> objects,
                                  StringRef workDir) {
  bool lib = options.emit == EmitKind::Lib;
  SmallString<256> gluePath(workDir);
  llvm::sys::path::append(gluePath, libName + "_glue.c");
  if (failed(writeFile(ctx, gluePath, [&](llvm::raw_ostream &os) {
        os << generateGlueSource(model, libName, lib);
      })))
    return failure();
  FailureOr<std::string> cc = findCompiler(ctx);
  if (failed(cc))
    return failure();
  std::vector<std::string> args = {*cc, "-O2", "-fPIC",
                                   "-I" FFN_RUNTIME_INCLUDE_DIR};
  if (llvm::sys::findProgramByName("ld.lld"))
    args.push_back("-fuse-ld=lld");
  if (lib)
    args.push_back("-shared");
  args.push_back(std::string(gluePath));
  args.insert(args.end(), objects.begin(), objects.end());
  if (options.target == "cuda") {
    FailureOr<std::vector<std::string>> cuda = getCUDALinkInputs(ctx, options);
    if (failed(cuda))
      return failure();
    args.insert(args.end(), cuda->begin(), cuda->end());
  }
  if (!lib) {
    FailureOr<std::string> runtime = findRuntimeLibrary(ctx, options.toolPath);
    if (failed(runtime))
      return failure();
    args.push_back(*runtime);
    args.push_back("-lstdc++");
  }
  if (StringRef(FFN_OPENMP_LIB_DIR).size()) {
    args.push_back("-L" FFN_OPENMP_LIB_DIR);
    args.push_back("-Wl,-rpath," FFN_OPENMP_LIB_DIR);
  }
  args.insert(args.end(), {"-lomp", "-lm", "-o", options.outputPath});
  if (failed(runTool(ctx, args)))
    return failure();
  if (!lib)
    return success();
  SmallString<256> headerPath(llvm::sys::path::parent_path(options.outputPath));
  llvm::sys::path::append(headerPath, libName + ".h");
  return writeFile(ctx, headerPath, [&](llvm::raw_ostream &os) {
    os << generateLibraryHeader(model, libName);
  });
}

LogicalResult mlir::ffn::compile(MLIRContext &context,
                                 const CompileOptions &givenOptions) {
  CompileOptions options = givenOptions;
  OwningOpRef<ModuleOp> module =
      loadModel(context, options.inputPath, options.shapes);
  if (!module)
    return failure();
  FailureOr<ModelInterface> model = getModelInterface(*module);
  if (failed(model))
    return failure();

  // The FFN level: exact rewrites at -O2 and above, the approximate ones
  // asked for (under the error budget when there is one), then the report.
  if (failed(raiseFFNs(*module, options.optLevel)))
    return failure();
  FFNReport report = FFNReport::collect(*module);
  if (failed(runExactFFNPasses(*module, options.optLevel)))
    return failure();
  if (options.optLevel >= 2 &&
      (options.ffnFusion != 0 || options.ffnFusionMaxDistance) &&
      findFusionChains(*module).empty()) {
    // Say so rather than measure runs that do not exist (auto would build
    // the model twice for nothing).
    emitWarning(UnknownLoc::get(&context))
        << "--ffn-fusion: the model has no two consecutive residual FFN "
           "blocks with nothing between them (an attention or other layer "
           "sits between every two FFNs); nothing to fuse";
    options.ffnFusion = 0;
    options.ffnFusionMaxDistance.reset();
  }
  if (hasApproximateRewrites(options) &&
      (options.maxRelError || !options.calibration.empty() ||
       options.ffnFusionMaxDistance)) {
    // Measures the model's outputs on the calibration inputs, sets each
    // FFN's settings and runs the approximate rewrites.
    if (failed(applyErrorBudget(context, *module, *model, options, report)))
      return failure();
  } else if (failed(runApproximateFFNPasses(*module, options))) {
    return failure();
  }
  if (failed(runFusionFFNPasses(*module, options.optLevel)))
    return failure();
  // Weights replaced by rewritten copies (folded, fused) are freed here and
  // after the lowering (transposed), so the peak stays near the weights' size.
  releaseUnusedWeights(&context, *module);
  report.updateAfter(*module);
  if (options.printReport)
    report.printTable(llvm::errs());
  if (!options.reportPath.empty() && options.reportPath != "-" &&
      failed(writeFile(context, options.reportPath,
                       [&](llvm::raw_ostream &os) { report.writeJSON(os); })))
    return failure();
  if (options.emit == EmitKind::MLIR)
    return writeFile(context, options.outputPath,
                     [&](llvm::raw_ostream &os) { module->print(os); });
  return emitNative(context, std::move(module), *model, options,
                    /*releaseWeights=*/true);
}

LogicalResult mlir::ffn::emitNative(MLIRContext &context,
                                    OwningOpRef<ModuleOp> module,
                                    ModelInterface model,
                                    const CompileOptions &options,
                                    bool releaseWeights) {
  if (options.target == "cuda" && model.isDynamic()) {
    for (const auto *list : {&model.inputs, &model.outputs})
      for (const TensorInterface &t : *list)
        if (t.isDynamic()) {
          driverError(context)
              << (list == &model.inputs ? "input" : "output") << " '"
              << t.name << "' has dynamic dimensions ["
              << formatInterfaceShape(t)
              << "]: dynamic shapes are CPU-only for now; pin with --shape";
          return failure();
        }
  }
  if (options.target == "cuda" && failed(checkCUDAOptions(context, options)))
    return failure();
  std::string error;
  FailureOr<std::unique_ptr<llvm::TargetMachine>> tm =
      createCPUTargetMachine(options.cpu, error);
  if (failed(tm)) {
    driverError(context) << error;
    return failure();
  }
  std::string libName = libraryName(options.outputPath);
  prepareEntry(*module, model, libName);
  if (options.target == "cuda")
    markInputsReadOnly(*module, model);
  PassManager pm(&context);
  CPUPipelineOptions cpuOptions;
  cpuOptions.vectorWidth = getVectorWidth(**tm);
  cpuOptions.fuseFFN = options.fuseFFN;
  cpuOptions.fuseLowRank = options.fuseLowRank;
  // Only the final build has its weights to itself; calibration builds
  // share them with the module the budget works on.
  cpuOptions.reuseWeightBuffers = releaseWeights;
  cpuOptions.activationSparsity = options.activationSparsity;
  cpuOptions.activationSparsityRemarks = options.printReport;
  // Outputs of dynamic shape cannot be sized by the caller: the entry returns
  // them (see Glue.cpp).
  cpuOptions.resultsAsOutParams = !model.isDynamic();
  LogicalResult built =
      options.target == "cuda"
          ? buildCUDAPipeline(pm, options, llvm::errs())
          : buildLowerToCPUPipeline(pm, cpuOptions, llvm::errs());
  if (releaseWeights)
    pm.addInstrumentation(std::make_unique<ReleaseWeightsInstrumentation>());
  std::optional<GPUGemmReport> gemmReport;
  if (options.target == "cuda" && options.printReport)
    gemmReport.emplace(context);
  if (failed(built) || failed(pm.run(*module)))
    return failure();
  if (gemmReport)
    gemmReport->print(llvm::errs());

  // Linked artifacts: the intermediate files' folder, and for the CPU the
  // weights written from their blobs into an object of their own, so that
  // neither LLVM nor its object writer holds a copy of them.
  bool link = options.emit == EmitKind::Lib || options.emit == EmitKind::Exe;
  SmallString<128> workDir;
  if (link) {
    if (std::error_code ec =
            llvm::sys::fs::createUniqueDirectory("ffn-compile", workDir)) {
      driverError(context) << "cannot create a temporary directory: "
                           << ec.message();
      return failure();
    }
  }
  llvm::scope_exit removeWorkDir([&] {
    if (workDir.empty())
      return;
    if (options.keepTemps)
      llvm::errs() << "ffn-compile: intermediate files kept in " << workDir
                   << "\n";
    else
      llvm::sys::fs::remove_directories(workDir);
  });
  SmallString<256> weightsPath;
  if (link && options.target == "cpu") {
    weightsPath = workDir;
    llvm::sys::path::append(weightsPath, libName + "_weights.o");
    FailureOr<int64_t> moved =
        externalizeWeights(*module, libName, weightsPath, error);
    if (failed(moved)) {
      driverError(context) << error;
      return failure();
    }
    if (*moved == 0)
      weightsPath.clear();
    else if (releaseWeights)
      releaseUnusedWeights(&context, *module);
  }

  llvm::LLVMContext llvmContext;
  std::unique_ptr<llvm::Module> llvmModule =
      translateModuleToLLVMIR(*module, llvmContext, libName);
  if (!llvmModule) {
    driverError(context) << "translation to LLVM IR failed";
    return failure();
  }
  // The LLVM module holds its own copy of the weights from here on.
  module = OwningOpRef<ModuleOp>();
  if (releaseWeights)
    releaseUnusedWeights(&context, nullptr);
  llvmModule->setDataLayout((*tm)->createDataLayout());
  llvmModule->setTargetTriple((*tm)->getTargetTriple());
  std::string ciface = cInterfaceSymbol(model);
  internalizeSymbols(*llvmModule, ciface);
  if (failed(optimizeModule(*llvmModule, **tm, options.optLevel >= 3 ? 3 : 2,
                            error))) {
    driverError(context) << "LLVM optimisation failed: " << error;
    return failure();
  }
  if (options.emit == EmitKind::LLVM)
    return writeFile(context, options.outputPath,
                     [&](llvm::raw_ostream &os) { llvmModule->print(os, nullptr); });

  auto writeObject = [&](StringRef path) -> LogicalResult {
    std::string openError;
    std::unique_ptr<llvm::ToolOutputFile> out = openOutputFile(path, &openError);
    if (!out) {
      driverError(context) << "cannot write '" << path << "': " << openError;
      return failure();
    }
    if (failed(emitObject(*llvmModule, **tm, out->os(), error))) {
      driverError(context) << error;
      return failure();
    }
    out->keep();
    return success();
  };
  if (options.emit == EmitKind::Obj)
    return writeObject(options.outputPath);

  SmallString<256> objectPath(workDir);
  llvm::sys::path::append(objectPath, libName + ".o");
  if (failed(writeObject(objectPath)))
    return failure();
  // The linker runs next: the LLVM module's memory goes back first.
  llvmModule.reset();
  SmallVector<std::string, 2> objects = {std::string(objectPath)};
  if (!weightsPath.empty())
    objects.push_back(std::string(weightsPath));
  return linkArtifact(context, options, model, libName, objects, workDir);
}
