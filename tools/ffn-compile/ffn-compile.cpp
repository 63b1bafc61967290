//===- ffn-compile.cpp - the ffn end-to-end compiler driver ---------------===//
//
// ffn-compile MODEL -o OUT [--emit=exe|lib|obj|llvm|mlir] [-O0..-O3]
//             [--target=cpu|cuda] [--cpu=NAME] [--gpu-arch=sm_80|sm_90]
//             [--ffn-report[=FILE.json]] [--lowrank=MODE:VALUE]
//             [--block-diag=K] [--ffn-width=W] [--ffn-fusion=N] [--sparsity=P]
//             [--max-rel-error=E]
//             [--calibration NAME=FILE.npy]...
//
// A thin command-line layer over ffn/Compiler: every option maps onto
// CompileOptions.
//
//===----------------------------------------------------------------------===//

#include "ffn/Compiler/Compiler.h"
#include "ffn/Dialect/FFN/Transforms/LowRank.h"
#include "ffn/Dialect/FFN/Transforms/Sparsity.h"
#include "ffn/Import/ONNX/Importer.h"
#include "ffn/InitAll.h"

#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/DialectRegistry.h"
#include "mlir/IR/MLIRContext.h"
#include "llvm/Support/CommandLine.h"
#include "llvm/Support/InitLLVM.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/Program.h"
#include "llvm/Support/SourceMgr.h"
#include "llvm/Support/WithColor.h"

#include <cmath>
#if defined(__GLIBC__)
#include <malloc.h>
#endif
#include <optional>

using namespace llvm;
using namespace mlir::ffn;

static cl::OptionCategory category("ffn-compile options");

static cl::opt<std::string> inputPath(cl::Positional,
                                      cl::desc("<model.mlir|model.onnx>"),
                                      cl::Required, cl::cat(category));
static cl::opt<std::string> outputPath("o", cl::desc("Output path"),
                                       cl::value_desc("path"), cl::Required,
                                       cl::cat(category));
static cl::opt<EmitKind> emitKind(
    "emit", cl::desc("Artifact to produce"), cl::init(EmitKind::Exe),
    cl::values(
        clEnumValN(EmitKind::Exe, "exe",
                   "executable reading/writing .npy (default)"),
        clEnumValN(EmitKind::Lib, "lib",
                   "shared library libNAME.so with the C header NAME.h"),
        clEnumValN(EmitKind::Obj, "obj", "object file"),
        clEnumValN(EmitKind::LLVM, "llvm", "LLVM IR text"),
        clEnumValN(EmitKind::MLIR, "mlir", "MLIR after the FFN passes")),
    cl::cat(category));
static cl::opt<unsigned> optLevel(
    "O", cl::Prefix, cl::init(2),
    cl::desc("Optimisation level: -O0 no FFN rewrites, -O2 (default) exact "
             "FFN rewrites, -O3 also LLVM -O3"),
    cl::cat(category));
static cl::opt<std::string>
    target("target", cl::init("cpu"),
           cl::desc("Target: cpu (default) or cuda (NVIDIA GPUs)"),
           cl::cat(category));
static cl::opt<std::string>
    gpuArch("gpu-arch", cl::init("sm_90"),
            cl::desc("GPU architecture for --target=cuda: sm_80 or sm_90"),
            cl::cat(category));
static cl::opt<std::string> cudaToolkit(
    "cuda-toolkit",
    cl::desc("CUDA toolkit for --target=cuda (default: $CUDA_HOME, else "
             "/usr/local/cuda)"),
    cl::value_desc("DIR"), cl::cat(category));
static cl::opt<std::string> gpuGemm(
    "gpu-gemm", cl::init("cublas"),
    cl::desc("GEMMs for --target=cuda: cublas (default; GEMMs cuBLAS takes "
             "call it, the rest are generated) or generated (all generated)"),
    cl::cat(category));
static cl::opt<std::string>
    cpu("cpu", cl::init("native"),
        cl::desc("CPU to generate code for (native, x86-64-v3, x86-64-v4, "
                 "znver4, skylake-avx512, ...)"),
        cl::cat(category));
static cl::opt<std::string> report(
    "ffn-report", cl::ValueOptional,
    cl::desc("Print the per-FFN table on stderr; with =FILE also write JSON"),
    cl::value_desc("FILE.json"), cl::cat(category));
static cl::list<std::string>
    shapes("shape", cl::desc("Pin an ONNX input's dynamic dimensions "
                             "(NAME=2x128x768); for ONNX models only"),
           cl::value_desc("NAME=DIMS"), cl::cat(category));
static cl::opt<std::string> fuseFFN(
    "fuse-ffn", cl::init("auto"),
    cl::desc("CPU whole-FFN fusion (no [T, H] intermediate): auto (where it "
             "pays), always or never"),
    cl::cat(category));
static cl::opt<bool> fuseLowRank(
    "fuse-low-rank", cl::init(true),
    cl::desc("CPU: --lowrank's two thin GEMMs in one thread tile of token "
             "rows, the [rows, r] product kept in cache (default on; "
             "--fuse-low-rank=false keeps them apart)"),
    cl::cat(category));
static cl::opt<std::string> activationSparsity(
    "activation-sparsity", cl::init("never"),
    cl::desc("CPU exact activation sparsity for ReLU FFNs (the down "
             "projection reads only the weights of non-zero neurons; pays "
             "for activations about 90% zero): never (default), auto "
             "(1-token FFNs) or always"),
    cl::cat(category));
static cl::opt<std::string> lowRank(
    "lowrank",
    cl::desc("Approximate: factor FFN weights by truncated SVD, ranks by "
             "kept energy (energy:0.9), fixed (rank:64) or a FLOP budget "
             "(flops:0.5); -O2 and above"),
    cl::value_desc("MODE:VALUE"), cl::cat(category));
static cl::opt<std::string> lowRankWeighting(
    "lowrank-weighting", cl::init("activations"),
    cl::desc("With calibration inputs (--calibration, --max-rel-error): "
             "activations (default: factor W diag(sqrt(rms of each input "
             "feature)), activation-aware) or none (plain SVD of W)"),
    cl::cat(category));
static cl::opt<int64_t> blockDiag(
    "block-diag",
    cl::desc("Approximate: block-diagonal FFN weights with K blocks after "
             "channel permutations (exact when the weights are block "
             "structured); K >= 2 divides the FFN widths; -O2 and above"),
    cl::value_desc("K"), cl::init(0), cl::cat(category));
static cl::opt<std::string> sparsity(
    "sparsity",
    cl::desc("Approximate: prune FFN weights by magnitude, N:M (2:4), "
             "balanced blocks (block:32x32:0.5, the pruned fraction last) or "
             "unstructured (unstructured:0.8), with sparse CPU kernels; -O2 "
             "and above"),
    cl::value_desc("PATTERN"), cl::cat(category));
static cl::opt<std::string> ffnWidth(
    "ffn-width",
    cl::desc("Approximate: keep this fraction of every FFN's hidden neurons, "
             "the most important first (0.5), or one fraction per FFN in "
             "order (0.5,0.75,1)"),
    cl::value_desc("W[,W...]"), cl::cat(category));
static cl::opt<std::string> ffnFusion(
    "ffn-fusion",
    cl::desc("Approximate: runs of consecutive residual FFNs (no attention "
             "between them) become one wide FFN reading the run's first "
             "input (FFN Fusion); N >= 2 caps a run's length, auto[:D] "
             "chooses the runs on the calibration inputs (a block joins while "
             "the cosine distance of its output, on its own input against "
             "the run's first, is at most D; default 0.05); -O2 and above"),
    cl::value_desc("N|auto[:D]"), cl::cat(category));
static cl::opt<std::string> maxRelError(
    "max-rel-error",
    cl::desc("Error budget of the approximate rewrites: back each FFN's "
             "rewrite off until max|ref - got| / max|ref| over the model's "
             "outputs on the calibration inputs is at most E"),
    cl::value_desc("E"), cl::cat(category));
static cl::list<std::string> calibration(
    "calibration",
    cl::desc("Input values the approximate rewrites' error is measured on "
             "(the input's shape, or N stacked: [N, ...]); inputs without a "
             "file get random values"),
    cl::value_desc("NAME=FILE.npy"), cl::cat(category));
static cl::opt<bool> keepTemps("keep-temps",
                               cl::desc("Keep the glue source and object"),
                               cl::cat(category));

int main(int argc, char **argv) {
  InitLLVM init(argc, argv);
#if defined(__GLIBC__)
  // Weights are big blocks that the passes replace by transformed copies.
  // glibc raises its mmap threshold as big blocks are freed and then serves
  // them from the heap, which it rarely gives back; with a fixed threshold
  // every freed weight goes back to the system at once (on a 12-layer
  // BERT-base, peak memory 2.5x instead of 2.7x the weights).
  mallopt(M_MMAP_THRESHOLD, 256 * 1024);
#endif
  cl::HideUnrelatedOptions(category);
  cl::ParseCommandLineOptions(
      argc, argv,
      "ffn-compile: compile a transformer model to native code\n\n"
      "  ffn-compile model.mlir -o model            (executable)\n"
      "  ffn-compile model.mlir --emit=lib -o out/libmodel.so\n"
      "  ffn-compile model.onnx --shape x=1x128x768 -o model\n");

  auto fail = [](const Twine &msg) {
    WithColor::error(errs(), "ffn-compile") << msg << "\n";
    return 1;
  };
  if (optLevel > 3)
    return fail("unknown optimisation level -O" + Twine(optLevel.getValue()) +
                " (use -O0 to -O3)");
  if (target != "cpu" && target != "cuda")
    return fail("unknown or unsupported target '" + target +
                "' (use --target=cpu or --target=cuda)");
  if (target != "cuda" && (gpuArch.getNumOccurrences() ||
                           cudaToolkit.getNumOccurrences()))
    return fail("--gpu-arch and --cuda-toolkit apply to --target=cuda");
  if (target != "cuda" && gpuGemm.getNumOccurrences())
    return fail("--gpu-gemm applies to --target=cuda");
  if (gpuGemm != "cublas" && gpuGemm != "generated")
    return fail("unknown --gpu-gemm value '" + gpuGemm +
                "' (use cublas or generated)");
  if (fuseFFN != "auto" && fuseFFN != "always" && fuseFFN != "never")
    return fail("unknown --fuse-ffn value '" + fuseFFN +
                "' (use auto, always or never)");
  if (activationSparsity != "auto" && activationSparsity != "always" &&
      activationSparsity != "never")
    return fail("unknown --activation-sparsity value '" + activationSparsity +
                "' (use auto, always or never)");
  if (lowRank.getNumOccurrences()) {
    std::string error;
    if (mlir::failed(parseLowRankSpec(lowRank, error)))
      return fail("--lowrank: " + error);
  }
  if (lowRankWeighting != "activations" && lowRankWeighting != "none")
    return fail("unknown --lowrank-weighting value '" + lowRankWeighting +
                "' (use activations or none)");
  if (blockDiag.getNumOccurrences()) {
    if (blockDiag < 2)
      return fail("--block-diag=" + Twine(blockDiag.getValue()) +
                  ": the number of blocks must be at least 2");
  }
  if (sparsity.getNumOccurrences()) {
    std::string error;
    if (mlir::failed(parseSparsitySpec(sparsity, error)))
      return fail("--sparsity: " + error);
  }
  int64_t fusionMaxRun = 0;
  std::optional<double> fusionMaxDistance;
  if (ffnFusion.getNumOccurrences()) {
    StringRef value = StringRef(ffnFusion).trim();
    if (value == "auto") {
      fusionMaxDistance = kDefaultFusionMaxDistance;
    } else if (value.consume_front("auto:")) {
      double d = 0;
      if (value.getAsDouble(d) || !(d >= 0.0 && d <= 2.0))
        return fail("bad --ffn-fusion value '" + ffnFusion +
                    "': auto:D takes a cosine distance D in [0, 2] (e.g. "
                    "auto:0.05)");
      fusionMaxDistance = d;
    } else if (value.getAsInteger(10, fusionMaxRun)) {
      return fail("bad --ffn-fusion value '" + ffnFusion +
                  "' (use N >= 2, auto or auto:D)");
    } else if (fusionMaxRun < 2) {
      return fail("--ffn-fusion=" + ffnFusion +
                  ": a run fuses at least 2 FFNs");
    }
  }
  std::vector<double> ffnWidths;
  if (ffnWidth.getNumOccurrences()) {
    SmallVector<StringRef> parts;
    StringRef(ffnWidth).split(parts, ',');
    for (StringRef part : parts) {
      double w = 0;
      if (part.trim().getAsDouble(w) || !(w > 0.0 && w <= 1.0))
        return fail("bad --ffn-width value '" + part +
                    "' (each width is a fraction in (0, 1], e.g. "
                    "--ffn-width=0.5 or --ffn-width=0.5,0.75)");
      ffnWidths.push_back(w);
    }
  }
  // The approximate rewrites run with the other FFN rewrites, from -O2 on.
  bool approximate = false;
  const cl::Option *approximateFlags[] = {&lowRank, &blockDiag, &ffnWidth,
                                          &ffnFusion, &sparsity};
  for (const cl::Option *flag : approximateFlags) {
    if (!flag->getNumOccurrences())
      continue;
    approximate = true;
    if (optLevel < 2)
      return fail("--" + flag->ArgStr +
                  " needs -O2 or above (the FFN rewrites run there)");
  }
  std::optional<double> budget;
  if (maxRelError.getNumOccurrences()) {
    double e = 0;
    if (StringRef(maxRelError).trim().getAsDouble(e) || !(e > 0.0) ||
        !std::isfinite(e))
      return fail("bad --max-rel-error value '" + maxRelError +
                  "' (a positive number, e.g. --max-rel-error=0.01)");
    budget = e;
  }
  if ((budget || !calibration.empty()) && !approximate)
    WithColor::warning(errs(), "ffn-compile")
        << (budget ? "--max-rel-error" : "--calibration")
        << " has no effect without an approximate rewrite (--lowrank, "
           "--block-diag, --ffn-width, --ffn-fusion, --sparsity)\n";
  for (const std::string &spec : calibration)
    if (!StringRef(spec).contains('='))
      return fail("bad --calibration value '" + spec +
                  "' (use NAME=FILE.npy, NAME an input of the model)");
  if (!shapes.empty() && !isONNXFile(inputPath))
    return fail("--shape applies to ONNX models; '" + inputPath +
                "' has static shapes in its signature");

  CompileOptions options;
  options.inputPath = inputPath;
  options.outputPath = outputPath;
  options.emit = emitKind;
  options.optLevel = optLevel;
  options.cpu = cpu;
  options.fuseFFN = fuseFFN;
  options.fuseLowRank = fuseLowRank;
  options.activationSparsity = activationSparsity;
  options.ffnWidths = ffnWidths;
  options.lowRank = lowRank;
  options.lowRankActivationAware = lowRankWeighting == "activations";
  options.blockDiag = blockDiag;
  options.ffnFusion = fusionMaxRun;
  options.ffnFusionMaxDistance = fusionMaxDistance;
  options.sparsity = sparsity;
  options.maxRelError = budget;
  options.calibration.assign(calibration.begin(), calibration.end());
  options.keepTemps = keepTemps;
  options.printReport = report.getNumOccurrences() > 0;
  options.reportPath = report;
  options.toolPath = sys::fs::getMainExecutable(argv[0], (void *)&main);
  options.shapes.assign(shapes.begin(), shapes.end());
  options.target = target;
  options.gpuArch = gpuArch;
  options.cudaToolkit = cudaToolkit;
  options.gpuGemm = gpuGemm;

  registerAllPasses();
  mlir::DialectRegistry registry;
  registerAllDialects(registry);
  mlir::MLIRContext context(registry);
  context.loadAllAvailableDialects();

  // Located diagnostics print with their source line; driver-level ones
  // (unknown location) as "ffn-compile: error: ...".
  SourceMgr sourceMgr;
  mlir::SourceMgrDiagnosticHandler located(sourceMgr, &context);
  context.getDiagEngine().registerHandler([](mlir::Diagnostic &diag) {
    if (!isa<mlir::UnknownLoc>(diag.getLocation()))
      return mlir::failure();
    raw_ostream &os = diag.getSeverity() == mlir::DiagnosticSeverity::Error
                          ? WithColor::error(errs(), "ffn-compile")
                          : WithColor::warning(errs(), "ffn-compile");
    os << diag.str() << "\n";
    return mlir::success();
  });

  return mlir::failed(compile(context, options)) ? 1 : 0;
}
