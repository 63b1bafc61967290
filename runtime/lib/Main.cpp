//===- Main.cpp - main() of executables compiled by ffn-compile -----------===//
//
// `ffn-compile --emit=exe` links the model object and its generated glue (which
// defines `ffn_model`, see ffn/Runtime/ModelABI.h) with this file. It
// implements the executable's command line from the user-facing contract:
//
//   OUT --input NAME=FILE.npy ... [--output-dir DIR] [--bench N] [--help]
//
// Inputs are named by graph input name and read from .npy files of exactly
// the model's dtypes and shapes (any size for a dynamic dimension: the model's
// run_dynamic checks those); every output is written to DIR/<name>.npy with
// the shape the run gave it.
// `--bench N` times N runs after a warm-up and prints the median and minimum
// latency. Exit codes: 0 on success, 1 for runtime errors (files, shapes, the
// model failing), 2 for usage errors.
//
//===----------------------------------------------------------------------===//

#include "ffn/Runtime/ModelABI.h"
#include "ffn/Runtime/Npy.h"

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <functional>
#include <string>
#include <vector>

#ifdef __GLIBC__
#include <malloc.h>
#endif
#include <sys/stat.h>
#include <unistd.h>

using namespace ffn::runtime;

namespace {
/// Process exit codes.
enum ExitCode : int {
  kSuccess = 0,
  kRuntimeError = 1,
  kUsageError = 2,
};

/// The command line, parsed.
struct Options {
  /// (graph input name, .npy path) in command-line order.
  std::vector<std::pair<std::string, std::string>> inputs;
  std::string outputDir = ".";
  bool outputDirGiven = false;
  /// Number of timed runs; 0 when --bench is not given.
  long long benchIterations = 0;
  bool help = false;
};
} // namespace

/// The most timed runs --bench accepts (their latencies are all kept).
static constexpr long long kMaxBenchIterations = 10000000;

/// The name the executable was started as, for messages.
static const char *programName = "model";

static const char *getModelName() {
  return ffn_model.name ? ffn_model.name : "model";
}

/// Formats the shape of `desc`, showing dynamic dimensions by name, or as
/// '?' when unnamed.
static std::string formatDescShape(const ffn_tensor_desc &desc) {
  if (desc.rank <= 0 || !desc.shape)
    return "[]";
  std::string text = "[";
  for (int32_t i = 0; i < desc.rank; ++i) {
    if (i)
      text += ", ";
    if (desc.shape[i] >= 0)
      text += std::to_string(desc.shape[i]);
    else if (desc.dim_names && desc.dim_names[i])
      text += desc.dim_names[i];
    else
      text += "?";
  }
  return text + "]";
}

/// Whether an input or output of the model has a dynamic dimension.
static bool isDynamicModel() {
  for (const auto &[descs, count] :
       {std::pair{ffn_model.inputs, ffn_model.num_inputs},
        std::pair{ffn_model.outputs, ffn_model.num_outputs}})
    for (int32_t i = 0; i < count; ++i)
      for (int32_t d = 0; d < descs[i].rank; ++d)
        if (descs[i].shape[d] < 0)
          return true;
  return false;
}

/// Prints one "  name: f32 [2, 3]" line per tensor.
static void printTensors(std::FILE *stream, const ffn_tensor_desc *descs,
                         int32_t count) {
  static const char *const kShortNames[] = {"f32", "f64", "i64", "i32",
                                             "i16", "i8",  "bool"};
  for (int32_t i = 0; i < count; ++i) {
    int32_t dtype = descs[i].dtype;
    std::fprintf(stream, "  %s: %s %s\n",
                 descs[i].name ? descs[i].name : "<unnamed>",
                 dtype >= 0 && dtype < 7 ? kShortNames[dtype] : "?",
                 formatDescShape(descs[i]).c_str());
  }
}

static void printUsageLine(std::FILE *stream) {
  std::fprintf(stream,
               "usage: %s --input NAME=FILE.npy ... [--output-dir DIR] "
               "[--bench N] [--help]\n",
               programName);
}

static void printHelp() {
  printUsageLine(stdout);
  std::printf(
      "\nRuns the model '%s' compiled by ffn-compile.\n\n"
      "inputs (each given exactly once as --input NAME=FILE.npy of the "
      "dtype below, C order):\n",
      getModelName());
  bool dynamic = isDynamicModel();
  printTensors(stdout, ffn_model.inputs, ffn_model.num_inputs);
  std::printf(
      "outputs (written as DIR/NAME.npy; '/' in a name becomes '_'):\n");
  printTensors(stdout, ffn_model.outputs, ffn_model.num_outputs);
  if (dynamic)
    std::printf(
        "\nA dimension shown by name or as '?' is dynamic: any size of at "
        "least 1,\nthe same for every input dimension of the same name.\n");
  std::printf(
      "\noptions:\n"
      "  --input NAME=FILE.npy  read the graph input NAME from FILE.npy\n"
      "  --output-dir DIR       write the outputs into DIR (default: the "
      "current directory)\n"
      "  --bench N              after one warm-up run, time N runs and print\n"
      "                         'iterations', 'median_ms' and 'min_ms'\n"
      "  --help                 print this help\n"
      "\nexit codes: 0 success, 1 runtime error, 2 usage error\n");
}

/// Reports a usage error and returns the exit code for it.
static int usageError(const std::string &message) {
  std::fprintf(stderr, "error: %s\n", message.c_str());
  printUsageLine(stderr);
  std::fprintf(stderr, "run '%s --help' for the model's inputs and outputs\n",
               programName);
  return kUsageError;
}

/// Reports a runtime error and returns the exit code for it.
static int runtimeError(const std::string &message) {
  std::fprintf(stderr, "error: %s\n", message.c_str());
  return kRuntimeError;
}

/// Parses a --bench count: a decimal integer in [1, kMaxBenchIterations].
static bool parseBenchCount(const std::string &text, long long &count) {
  if (text.empty() || text.size() > 12)
    return false;
  count = 0;
  for (char c : text) {
    if (c < '0' || c > '9')
      return false;
    count = count * 10 + (c - '0');
  }
  return count >= 1 && count <= kMaxBenchIterations;
}

/// Parses `argv` into `options`. Returns an empty string on success and the
/// usage error otherwise. Stops at --help.
static std::string parseArguments(int argc, char **argv, Options &options) {
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    if (arg == "--help" || arg == "-help" || arg == "-h") {
      options.help = true;
      return "";
    }
    if (arg.size() < 3 || arg.compare(0, 2, "--") != 0)
      return "unexpected argument '" + arg + "'";

    // Both `--flag value` and `--flag=value` are accepted.
    std::string flag = arg, value;
    bool hasInlineValue = false;
    if (size_t equals = arg.find('='); equals != std::string::npos) {
      flag = arg.substr(0, equals);
      value = arg.substr(equals + 1);
      hasInlineValue = true;
    }
    if (flag != "--input" && flag != "--output-dir" && flag != "--bench")
      return "unknown option '" + flag + "'";
    if (!hasInlineValue) {
      if (i + 1 >= argc)
        return "missing value for " + flag;
      value = argv[++i];
    }

    if (flag == "--input") {
      size_t equals = value.find('=');
      if (equals == std::string::npos || equals == 0 ||
          equals + 1 == value.size())
        return "--input expects NAME=FILE.npy but got '" + value + "'";
      options.inputs.emplace_back(value.substr(0, equals),
                                  value.substr(equals + 1));
    } else if (flag == "--output-dir") {
      if (options.outputDirGiven)
        return "--output-dir is given more than once";
      if (value.empty())
        return "--output-dir expects a directory";
      options.outputDir = value;
      options.outputDirGiven = true;
    } else {
      if (options.benchIterations)
        return "--bench is given more than once";
      if (!parseBenchCount(value, options.benchIterations))
        return "--bench expects a number of iterations between 1 and " +
               std::to_string(kMaxBenchIterations) + " but got '" + value + "'";
    }
  }
  return "";
}

/// Checks one tensor descriptor of the linked model; the runtime handles
/// the dtypes of enum ffn_dtype, and dynamic shapes for models with
/// run_dynamic.
static std::string checkDesc(const ffn_tensor_desc &desc, const char *kind,
                             int32_t index) {
  std::string what = std::string(kind) + " #" + std::to_string(index);
  if (!desc.name)
    return what + " has no name";
  what += " '" + std::string(desc.name) + "'";
  const NpyDtype *dtype = getNpyDtype(desc.dtype);
  if (!dtype)
    return what + " has unsupported dtype " + std::to_string(desc.dtype);
  if (desc.rank < 0 || (desc.rank > 0 && !desc.shape))
    return what + " has an invalid rank or shape";
  std::vector<int64_t> shape(desc.shape, desc.shape + desc.rank);
  for (int64_t &dim : shape) {
    if (dim >= 0)
      continue;
    if (dim != -1 || !ffn_model.run_dynamic)
      return what + " has dynamic shape " + formatDescShape(desc) +
             ", which this model descriptor cannot run";
    dim = 1;
  }
  int64_t numElements = getNumElements(shape);
  if (numElements < 0 || uint64_t(numElements) > SIZE_MAX / dtype->size)
    return what + " has a shape too large for memory";
  return "";
}

/// Checks the descriptor the glue defines before trusting its sizes.
static std::string checkModel() {
  if (ffn_model.num_inputs < 0 || ffn_model.num_outputs < 0 ||
      (ffn_model.num_inputs > 0 && !ffn_model.inputs) ||
      (ffn_model.num_outputs > 0 && !ffn_model.outputs) || !ffn_model.run)
    return "the linked model descriptor is invalid";
  for (int32_t i = 0; i < ffn_model.num_inputs; ++i)
    if (std::string error = checkDesc(ffn_model.inputs[i], "input", i);
        !error.empty())
      return error;
  for (int32_t i = 0; i < ffn_model.num_outputs; ++i)
    if (std::string error = checkDesc(ffn_model.outputs[i], "output", i);
        !error.empty())
      return error;
  return "";
}

static size_t getByteSize(const ffn_tensor_desc &desc) {
  std::vector<int64_t> shape(desc.shape, desc.shape + desc.rank);
  return size_t(getNumElements(shape)) * getNpyDtype(desc.dtype)->size;
}

/// Returns the file name output `index` is written to: its name with path
/// separators replaced, plus ".npy".
static std::string getOutputFileName(int32_t index) {
  std::string name = ffn_model.outputs[index].name;
  if (name.empty())
    name = "output_" + std::to_string(index);
  std::replace(name.begin(), name.end(), '/', '_');
  return name + ".npy";
}

/// Maps the --input options to the model's inputs: `files[i]` is the file of
/// input i. Reports unknown, repeated and missing inputs (all of them) and
/// returns false if there was any.
static bool matchInputs(const Options &options,
                        std::vector<std::string> &files) {
  int32_t numInputs = ffn_model.num_inputs;
  files.assign(numInputs, "");
  std::vector<bool> given(numInputs, false);
  bool ok = true;
  for (const auto &[name, file] : options.inputs) {
    int32_t index = -1;
    for (int32_t i = 0; i < numInputs; ++i)
      if (name == ffn_model.inputs[i].name)
        index = i;
    if (index < 0) {
      std::fprintf(stderr, "error: the model has no input named '%s'\n",
                   name.c_str());
      ok = false;
      continue;
    }
    if (given[index]) {
      std::fprintf(stderr, "error: input '%s' is given more than once\n",
                   name.c_str());
      ok = false;
      continue;
    }
    given[index] = true;
    files[index] = file;
  }
  for (int32_t i = 0; i < numInputs; ++i) {
    if (given[i])
      continue;
    std::fprintf(stderr,
                 "error: missing input '%s' (give it as --input %s=FILE.npy)\n",
                 ffn_model.inputs[i].name, ffn_model.inputs[i].name);
    ok = false;
  }
  if (!ok) {
    std::fprintf(stderr, "note: the model '%s' expects these inputs:\n",
                 getModelName());
    printTensors(stderr, ffn_model.inputs, numInputs);
  }
  return ok;
}

/// Checks that `dir` is an existing, writable directory.
static std::string checkOutputDir(const std::string &dir) {
  struct stat info;
  if (::stat(dir.c_str(), &info) != 0) {
    if (errno == ENOENT)
      return "output directory '" + dir + "' does not exist";
    return "cannot access output directory '" + dir +
           "': " + std::strerror(errno);
  }
  if (!S_ISDIR(info.st_mode))
    return "output directory '" + dir + "' is not a directory";
  if (::access(dir.c_str(), W_OK | X_OK) != 0)
    return "output directory '" + dir +
           "' is not writable: " + std::strerror(errno);
  return "";
}

/// Reports that the model's run returned `status`, with the model's own
/// message when it has one.
static void reportRunFailure(const char *entry, int status) {
  std::string message = "model '" + std::string(getModelName()) +
                        "' failed (" + entry + " returned " +
                        std::to_string(status) + ")";
  const char *detail = ffn_model.last_error ? ffn_model.last_error() : nullptr;
  if (detail && *detail)
    message += ": " + std::string(detail);
  runtimeError(message);
}

/// Runs the model once; reports a failure and returns false.
static bool runModel(const std::vector<const void *> &inputs,
                     const std::vector<void *> &outputs) {
  int status = ffn_model.run(inputs.data(), outputs.data());
  if (status == 0)
    return true;
  reportRunFailure("run", status);
  return false;
}

namespace {
/// The outputs of one run_dynamic: buffers the caller frees, and shapes.
struct DynamicOutputs {
  std::vector<void *> buffers;
  std::vector<std::vector<int64_t>> shapes;

  DynamicOutputs() {
    buffers.assign(ffn_model.num_outputs, nullptr);
    for (int32_t i = 0; i < ffn_model.num_outputs; ++i)
      shapes.emplace_back(ffn_model.outputs[i].rank, 0);
  }
  DynamicOutputs(const DynamicOutputs &) = delete;
  DynamicOutputs &operator=(const DynamicOutputs &) = delete;
  ~DynamicOutputs() { release(); }

  void release() {
    for (void *&buffer : buffers) {
      std::free(buffer);
      buffer = nullptr;
    }
  }
};
} // namespace

/// Runs the model once through run_dynamic, replacing `outputs`; reports a
/// failure and returns false.
static bool runModelDynamic(const std::vector<const void *> &inputs,
                            const std::vector<const int64_t *> &inputShapes,
                            DynamicOutputs &outputs) {
  outputs.release();
  std::vector<int64_t *> shapePointers;
  for (std::vector<int64_t> &shape : outputs.shapes)
    shapePointers.push_back(shape.data());
  int status = ffn_model.run_dynamic(inputs.data(), inputShapes.data(),
                                     outputs.buffers.data(),
                                     shapePointers.data());
  if (status == 0)
    return true;
  reportRunFailure("run_dynamic", status);
  return false;
}

/// Prints the --bench summary of the sorted latencies `millis`.
static void printBench(std::vector<double> &millis) {
  std::sort(millis.begin(), millis.end());
  size_t n = millis.size();
  double median =
      n % 2 ? millis[n / 2] : (millis[n / 2 - 1] + millis[n / 2]) / 2;
  std::printf("iterations: %zu\nmedian_ms: %.6f\nmin_ms: %.6f\n", n, median,
              millis.front());
  std::fflush(stdout);
}

/// Times `iterations` calls of `run` (`prepare` runs before each, outside
/// the timing) and prints the figures; false when a run fails.
static bool timeRuns(long long iterations, const std::function<void()> &prepare,
                     const std::function<bool()> &run) {
  std::vector<double> millis;
  millis.reserve(size_t(iterations));
  for (long long i = 0; i < iterations; ++i) {
    prepare();
    auto start = std::chrono::steady_clock::now();
    bool ok = run();
    auto end = std::chrono::steady_clock::now();
    if (!ok)
      return false;
    millis.push_back(
        std::chrono::duration<double, std::milli>(end - start).count());
  }
  printBench(millis);
  return true;
}

/// Runs a model with dynamic shapes (and times it with --bench), then
/// writes its outputs with the shapes the run gave them.
static int runDynamic(const Options &options,
                      const std::vector<NpyArray> &inputArrays,
                      const std::vector<std::string> &outputPaths) {
  std::vector<const void *> inputPointers;
  std::vector<const int64_t *> inputShapes;
  for (const NpyArray &array : inputArrays) {
    inputPointers.push_back(array.data.data());
    inputShapes.push_back(array.shape.data());
  }
  DynamicOutputs outputs;
  // The warm-up run of --bench is also the run whose outputs are written.
  if (!runModelDynamic(inputPointers, inputShapes, outputs))
    return kRuntimeError;
  if (options.benchIterations > 0) {
    DynamicOutputs timed;
    // Each run's outputs are freed before the next (outside the timing).
    if (!timeRuns(
            options.benchIterations, [&] { timed.release(); },
            [&] { return runModelDynamic(inputPointers, inputShapes, timed); }))
      return kRuntimeError;
  }

  for (int32_t i = 0; i < ffn_model.num_outputs; ++i) {
    const ffn_tensor_desc &desc = ffn_model.outputs[i];
    const std::vector<int64_t> &shape = outputs.shapes[i];
    std::string error;
    if (getNumElements(shape) < 0)
      return runtimeError("output '" + std::string(desc.name) +
                          "' has the invalid shape " + formatShape(shape));
    if (!writeNpy(outputPaths[i], *getNpyDtype(desc.dtype), shape.data(),
                  shape.size(), outputs.buffers[i], error))
      return runtimeError("output '" + std::string(desc.name) + "': " + error);
  }
  return kSuccess;
}

int main(int argc, char **argv) {
  if (argc > 0 && argv[0])
    programName = argv[0];
#ifdef __GLIBC__
  // Every run allocates the model's intermediate buffers (megabytes for a
  // transformer layer) and frees them. Above glibc's mmap threshold each
  // allocation is a fresh mapping whose pages fault in again on every run:
  // a model with dynamic shapes (buffers sized per call) measured 25%
  // slower for it. Keep such buffers on the heap.
  mallopt(M_MMAP_THRESHOLD, 256 << 20);
  mallopt(M_TRIM_THRESHOLD, 512 << 20);
#endif

  Options options;
  if (std::string error = parseArguments(argc, argv, options); !error.empty())
    return usageError(error);
  if (options.help) {
    printHelp();
    return kSuccess;
  }
  if (std::string error = checkModel(); !error.empty())
    return runtimeError(error);

  std::vector<std::string> files;
  if (!matchInputs(options, files))
    return kRuntimeError;

  // Find every problem with the output directory before the (possibly long)
  // run rather than after it.
  if (std::string error = checkOutputDir(options.outputDir); !error.empty())
    return runtimeError(error);
  std::vector<std::string> outputPaths;
  for (int32_t i = 0; i < ffn_model.num_outputs; ++i) {
    std::string path = options.outputDir;
    if (path.back() != '/')
      path += '/';
    path += getOutputFileName(i);
    if (std::find(outputPaths.begin(), outputPaths.end(), path) !=
        outputPaths.end())
      return runtimeError("two outputs would both be written to '" + path +
                          "'");
    outputPaths.push_back(path);
  }

  // Read all inputs, reporting every bad one.
  std::vector<NpyArray> inputArrays(ffn_model.num_inputs);
  bool inputsOk = true;
  for (int32_t i = 0; i < ffn_model.num_inputs; ++i) {
    const ffn_tensor_desc &desc = ffn_model.inputs[i];
    std::string error;
    if (!readNpy(files[i], *getNpyDtype(desc.dtype), inputArrays[i], error)) {
      runtimeError("input '" + std::string(desc.name) + "': " + error);
      inputsOk = false;
      continue;
    }
    // Dynamic dimensions take any size here; run_dynamic checks them.
    const std::vector<int64_t> &shape = inputArrays[i].shape;
    bool matches = shape.size() == size_t(desc.rank);
    for (int32_t d = 0; matches && d < desc.rank; ++d)
      matches = desc.shape[d] < 0 || shape[d] == desc.shape[d];
    if (!matches) {
      runtimeError("input '" + std::string(desc.name) + "' from " + files[i] +
                   " has shape " + formatShape(shape) +
                   " but the model expects " + formatDescShape(desc));
      inputsOk = false;
    }
  }
  if (!inputsOk)
    return kRuntimeError;

  if (isDynamicModel())
    return runDynamic(options, inputArrays, outputPaths);

  std::vector<AlignedBuffer> outputBuffers(ffn_model.num_outputs);
  for (int32_t i = 0; i < ffn_model.num_outputs; ++i)
    if (!outputBuffers[i].allocate(getByteSize(ffn_model.outputs[i])))
      return runtimeError("out of memory allocating output '" +
                          std::string(ffn_model.outputs[i].name) + "'");

  std::vector<const void *> inputPointers;
  for (const NpyArray &array : inputArrays)
    inputPointers.push_back(array.data.data());
  std::vector<void *> outputPointers;
  for (AlignedBuffer &buffer : outputBuffers)
    outputPointers.push_back(buffer.data());

  if (options.benchIterations > 0) {
    // The warm-up run pays for first-touch page faults and cold caches.
    if (!runModel(inputPointers, outputPointers))
      return kRuntimeError;
    if (!timeRuns(options.benchIterations, [] {},
                  [&] { return runModel(inputPointers, outputPointers); }))
      return kRuntimeError;
  } else if (!runModel(inputPointers, outputPointers)) {
    return kRuntimeError;
  }

  for (int32_t i = 0; i < ffn_model.num_outputs; ++i) {
    const ffn_tensor_desc &desc = ffn_model.outputs[i];
    std::string error;
    if (!writeNpy(outputPaths[i], *getNpyDtype(desc.dtype), desc.shape,
                  size_t(desc.rank), outputBuffers[i].data(), error))
      return runtimeError("output '" + std::string(desc.name) + "': " + error);
  }
  return kSuccess;
}
