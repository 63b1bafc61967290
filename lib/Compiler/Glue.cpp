//===- Glue.cpp - C glue around a compiled model --------------------------===//
//
// The entry function of a lowered model with static shapes takes one memref
// descriptor per input and per output (outputs are out-parameters after
// bufferisation); with dynamic shapes it takes the inputs and returns the
// outputs as buffers the caller owns. This file writes the C code that builds
// those descriptors from plain pointers (checking the shapes of a run), the
// ffn_model descriptor the executable's main() uses (ffn/Runtime/ModelABI.h),
// and the C API of shared libraries with its header.
//
//===----------------------------------------------------------------------===//

#include "Glue.h"

#include "llvm/ADT/STLExtras.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/raw_ostream.h"
#include <set>

using namespace mlir;
using namespace mlir::ffn;

/// The start of the generated ffn_run_dynamic, static and dynamic models
/// alike: the inputs are checked before anything runs.
static constexpr const char *kRunDynamicHead = R"c(static int ffn_run_dynamic(const void *const *inputs,
                           const int64_t *const *input_shapes, void **outputs,
                           int64_t *const *output_shapes) {
  if (!outputs)
    return ffn_fail(FFN_STATUS_INVALID_ARGUMENT, "the outputs are NULL");
  int status = ffn_check_inputs(inputs, input_shapes);
  if (status != FFN_STATUS_OK)
    return status;
)c";

std::string mlir::ffn::cInterfaceSymbol(const ModelInterface &model) {
  return "_mlir_ciface_" + model.entryName;
}

/// A C string literal for `s`.
static std::string cString(llvm::StringRef s) {
  std::string out = "\"";
  for (unsigned char c : s) {
    if (c == '"' || c == '\\')
      out += '\\', out += c;
    else if (c >= 0x20 && c < 0x7f)
      out += c;
    else
      out += llvm::formatv("\\{0:o3}", (unsigned)c).str();
  }
  return out + "\"";
}

/// Name of the descriptor struct type of a rank.
static std::string descType(size_t rank) {
  return "ffn_memref_" + std::to_string(rank);
}

/// Writes `{d0, d1, ...}`.
static void writeList(llvm::raw_ostream &os, llvm::ArrayRef<int64_t> values) {
  os << "{";
  llvm::interleaveComma(values, os);
  os << "}";
}

/// Row-major strides of `shape`.
static std::vector<int64_t> rowMajorStrides(llvm::ArrayRef<int64_t> shape) {
  std::vector<int64_t> strides(shape.size(), 1);
  for (int i = static_cast<int>(shape.size()) - 2; i >= 0; --i)
    strides[i] = strides[i + 1] * shape[i + 1];
  return strides;
}

/// The ffn_dtype enumerator of a tensor's element type.
static const char *dtypeName(int32_t dtype) {
  static const char *const names[] = {
      "FFN_DTYPE_F32", "FFN_DTYPE_F64", "FFN_DTYPE_I64", "FFN_DTYPE_I32",
      "FFN_DTYPE_I16", "FFN_DTYPE_I8",  "FFN_DTYPE_BOOL"};
  return dtype >= 0 && dtype < 7 ? names[dtype] : "FFN_DTYPE_F32";
}

/// The element type's name in the library header.
static const char *dtypeComment(int32_t dtype) {
  static const char *const names[] = {"float32", "float64", "int64", "int32",
                                      "int16",   "int8",    "bool (1 byte)"};
  return dtype >= 0 && dtype < 7 ? names[dtype] : "float32";
}

/// Writes the descriptor table of inputs or outputs: shapes (-1 for dynamic
/// dimensions) and the names of dynamic dimensions.
static void writeDescTable(llvm::raw_ostream &os, llvm::StringRef kind,
                           const std::vector<TensorInterface> &tensors) {
  for (auto [i, t] : llvm::enumerate(tensors)) {
    os << "static const int64_t ffn_" << kind << "_shape_" << i << "[] = ";
    if (t.shape.empty())
      os << "{0}";
    else
      writeList(os, t.shape);
    os << ";\n";
    if (t.dimNames.empty())
      continue;
    os << "static const char *const ffn_" << kind << "_dims_" << i << "[] = {";
    for (size_t d = 0; d < t.shape.size(); ++d) {
      llvm::StringRef name = t.getDimName(d);
      os << (d ? ", " : "") << (name.empty() ? "0" : cString(name));
    }
    os << "};\n";
  }
  os << "static const ffn_tensor_desc ffn_" << kind << "s[] = {\n";
  for (auto [i, t] : llvm::enumerate(tensors)) {
    os << "  {" << cString(t.name) << ", " << dtypeName(t.dtype) << ", "
       << t.shape.size() << ", ffn_" << kind << "_shape_" << i << ", ";
    if (t.dimNames.empty())
      os << "0";
    else
      os << "ffn_" << kind << "_dims_" << i;
    os << "},\n";
  }
  if (tensors.empty())
    os << "  {0, 0, 0, 0, 0},\n";
  os << "};\n\n";
}

/// Writes the initialiser of a descriptor for `ptr` with `shape`.
static void writeDescInit(llvm::raw_ostream &os, llvm::StringRef ptr,
                          llvm::ArrayRef<int64_t> shape) {
  os << "{(void *)" << ptr << ", (void *)" << ptr << ", 0";
  if (!shape.empty()) {
    os << ", ";
    writeList(os, shape);
    os << ", ";
    writeList(os, rowMajorStrides(shape));
  }
  os << "}";
}

/// The C code every model's glue shares: the error message of the last
/// failure (per thread), input shape checks and output buffers.
static const char *const kGlueHelpers = R"c(/* The calling thread's last error. */
static _Thread_local char ffn_error_text[1024];

static const char *ffn_last_error(void) { return ffn_error_text; }

__attribute__((format(printf, 2, 3)))
static int ffn_fail(int status, const char *format, ...) {
  va_list args;
  va_start(args, format);
  vsnprintf(ffn_error_text, sizeof(ffn_error_text), format, args);
  va_end(args);
  return status;
}

static size_t ffn_dtype_size(int32_t dtype) {
  switch (dtype) {
  case FFN_DTYPE_F64:
  case FFN_DTYPE_I64:
    return 8;
  case FFN_DTYPE_F32:
  case FFN_DTYPE_I32:
    return 4;
  case FFN_DTYPE_I16:
    return 2;
  default:
    return 1;
  }
}

/* A buffer the caller frees with free(): 64-byte aligned, never NULL for a
 * successful allocation of 0 bytes. */
static void *ffn_alloc(size_t bytes) {
  if (bytes > SIZE_MAX - 64)
    return 0;
  return aligned_alloc(64, bytes == 0 ? 64 : (bytes + 63) / 64 * 64);
}

/* Shows dimension `d` of input `i` as "dimension 1" or "dimension 0
 * ('batch')". */
static const char *ffn_dim_text(int32_t i, int32_t d, char *text,
                                size_t size) {
  const char *const *names = ffn_inputs[i].dim_names;
  if (names && names[d])
    snprintf(text, size, "dimension %d ('%s')", (int)d, names[d]);
  else
    snprintf(text, size, "dimension %d", (int)d);
  return text;
}

/* Checks the input pointers and shapes of a run against the model: static
 * dimensions equal, dynamic ones at least 1 (empty tensors are not
 * supported) and equal where they share a name, sizes within memory. */
static int ffn_check_inputs(const void *const *inputs,
                            const int64_t *const *shapes) {
  char a[300], b[300];
  if (ffn_model.num_inputs > 0 && (!inputs || !shapes))
    return ffn_fail(FFN_STATUS_INVALID_ARGUMENT,
                    "the inputs or their shapes are NULL");
  for (int32_t i = 0; i < ffn_model.num_inputs; ++i) {
    const ffn_tensor_desc *desc = &ffn_inputs[i];
    if (!inputs[i])
      return ffn_fail(FFN_STATUS_INVALID_ARGUMENT, "input '%s' is NULL",
                      desc->name);
    if (desc->rank > 0 && !shapes[i])
      return ffn_fail(FFN_STATUS_INVALID_ARGUMENT,
                      "the shape of input '%s' is NULL", desc->name);
    uint64_t bytes = ffn_dtype_size(desc->dtype);
    for (int32_t d = 0; d < desc->rank; ++d) {
      int64_t size = shapes[i][d];
      if (desc->shape[d] >= 0) {
        if (size != desc->shape[d])
          return ffn_fail(FFN_STATUS_BAD_SHAPE,
                          "input '%s' %s is %lld but the model expects %lld",
                          desc->name, ffn_dim_text(i, d, a, sizeof(a)),
                          (long long)size, (long long)desc->shape[d]);
      } else if (size < 1) {
        return ffn_fail(FFN_STATUS_BAD_SHAPE,
                        "input '%s' %s is %lld but a dynamic dimension must "
                        "be at least 1 (empty tensors are not supported)",
                        desc->name, ffn_dim_text(i, d, a, sizeof(a)),
                        (long long)size);
      }
      if (bytes > (uint64_t)INT64_MAX / (uint64_t)size)
        return ffn_fail(FFN_STATUS_BAD_SHAPE,
                        "input '%s' is too large for memory (%s is %lld)",
                        desc->name, ffn_dim_text(i, d, a, sizeof(a)),
                        (long long)size);
      bytes *= (uint64_t)size;
      /* The first dimension of the same name fixes the size. */
      const char *name = desc->dim_names ? desc->dim_names[d] : 0;
      if (!name || desc->shape[d] >= 0)
        continue;
      for (int32_t j = 0; j <= i; ++j) {
        const ffn_tensor_desc *other = &ffn_inputs[j];
        int32_t last = j == i ? d : other->rank;
        int32_t e = 0;
        for (; e < last; ++e)
          if (other->shape[e] < 0 && other->dim_names &&
              other->dim_names[e] && strcmp(other->dim_names[e], name) == 0)
            break;
        if (e == last)
          continue;
        if (shapes[j][e] != size)
          return ffn_fail(
              FFN_STATUS_BAD_SHAPE,
              "input '%s' %s is %lld but input '%s' %s is %lld: dimensions "
              "named '%s' must be equal",
              desc->name, ffn_dim_text(i, d, a, sizeof(a)), (long long)size,
              other->name, ffn_dim_text(j, e, b, sizeof(b)),
              (long long)shapes[j][e], name);
        break;
      }
    }
  }
  return FFN_STATUS_OK;
}

/* Frees the outputs of a failed run. */
static void ffn_free_outputs(void **outputs, int32_t count) {
  for (int32_t i = 0; i < count; ++i) {
    free(outputs[i]);
    outputs[i] = 0;
  }
}

)c";

/// The C code of a model with dynamic shapes that turns the memrefs its entry
/// returns into the caller's buffers.
static const char *const kTakeResults = R"c(/* A memref the entry returned. */
typedef struct {
  void *allocated;
  void *aligned;
  int64_t offset;
  int32_t rank;
  const int64_t *sizes;
} ffn_result;

/* Hands the returned buffers to the caller: a buffer the entry allocated
 * (aligned_alloc: `aligned` is `allocated`) goes out as it is; one that
 * starts at an offset, aliases an input or another output is copied into a
 * new buffer. Frees what is not handed out. */
static int ffn_take_results(const ffn_result *results,
                            const void *const *inputs, void **outputs,
                            int64_t *const *output_shapes) {
  enum { N = sizeof(ffn_outputs) / sizeof(ffn_outputs[0]) };
  int direct[N], owned[N];
  size_t bytes[N];
  int status = FFN_STATUS_OK;
  for (int32_t i = 0; i < ffn_model.num_outputs; ++i) {
    const ffn_result *r = &results[i];
    uint64_t count = 1;
    for (int32_t d = 0; d < r->rank; ++d)
      count *= (uint64_t)(r->sizes[d] > 0 ? r->sizes[d] : 0);
    bytes[i] = (size_t)count * ffn_dtype_size(ffn_outputs[i].dtype);
    /* The entry owns what it allocated, once per buffer. */
    owned[i] = r->allocated != 0;
    for (int32_t j = 0; j < ffn_model.num_inputs; ++j)
      if (r->allocated == inputs[j])
        owned[i] = 0;
    for (int32_t j = 0; j < i; ++j)
      if (results[j].allocated == r->allocated)
        owned[i] = 0;
    direct[i] = owned[i] && r->aligned == r->allocated && r->offset == 0;
    outputs[i] = direct[i] ? r->allocated : 0;
  }
  for (int32_t i = 0; i < ffn_model.num_outputs; ++i) {
    if (direct[i])
      continue;
    outputs[i] = ffn_alloc(bytes[i]);
    if (!outputs[i]) {
      status = ffn_fail(FFN_STATUS_OUT_OF_MEMORY,
                        "out of memory for output '%s' (%llu bytes)",
                        ffn_outputs[i].name, (unsigned long long)bytes[i]);
      continue;
    }
    if (bytes[i])
      memcpy(outputs[i],
             (const char *)results[i].aligned +
                 results[i].offset * (int64_t)ffn_dtype_size(
                                         ffn_outputs[i].dtype),
             bytes[i]);
  }
  for (int32_t i = 0; i < ffn_model.num_outputs; ++i)
    if (owned[i] && !direct[i])
      free(results[i].allocated);
  if (status != FFN_STATUS_OK) {
    ffn_free_outputs(outputs, ffn_model.num_outputs);
    return status;
  }
  for (int32_t i = 0; output_shapes && i < ffn_model.num_outputs; ++i)
    for (int32_t d = 0; output_shapes[i] && d < results[i].rank; ++d)
      output_shapes[i][d] = results[i].sizes[d];
  return FFN_STATUS_OK;
}

)c";

/// Writes ffn_run and ffn_run_dynamic of a model with static shapes: the
/// entry writes into out-parameters.
static void writeStaticRun(llvm::raw_ostream &os, const ModelInterface &model) {
  os << "static int ffn_run(const void *const *inputs, void *const *outputs) "
        "{\n";
  for (auto [i, t] : llvm::enumerate(model.inputs)) {
    os << "  " << descType(t.shape.size()) << " in" << i << " = ";
    writeDescInit(os, ("inputs[" + llvm::Twine(i) + "]").str(), t.shape);
    os << ";\n";
  }
  for (auto [i, t] : llvm::enumerate(model.outputs)) {
    os << "  " << descType(t.shape.size()) << " out" << i << " = ";
    writeDescInit(os, ("outputs[" + llvm::Twine(i) + "]").str(), t.shape);
    os << ";\n";
  }
  os << "  " << cInterfaceSymbol(model) << "(";
  bool first = true;
  for (size_t i = 0; i < model.inputs.size(); ++i, first = false)
    os << (first ? "" : ", ") << "&in" << i;
  for (size_t i = 0; i < model.outputs.size(); ++i, first = false)
    os << (first ? "" : ", ") << "&out" << i;
  os << ");\n  return 0;\n}\n\n";

  // The same through the dynamic entry: checked shapes, new output buffers.
  os << kRunDynamicHead << R"c(  for (int32_t i = 0; i < ffn_model.num_outputs; ++i) {
    size_t bytes = ffn_dtype_size(ffn_outputs[i].dtype);
    for (int32_t d = 0; d < ffn_outputs[i].rank; ++d)
      bytes *= (size_t)ffn_outputs[i].shape[d];
    outputs[i] = ffn_alloc(bytes);
    if (!outputs[i]) {
      ffn_free_outputs(outputs, i);
      return ffn_fail(FFN_STATUS_OUT_OF_MEMORY,
                      "out of memory for output '%s' (%llu bytes)",
                      ffn_outputs[i].name, (unsigned long long)bytes);
    }
  }
  ffn_run(inputs, (void *const *)outputs);
  for (int32_t i = 0; output_shapes && i < ffn_model.num_outputs; ++i)
    for (int32_t d = 0; output_shapes[i] && d < ffn_outputs[i].rank; ++d)
      output_shapes[i][d] = ffn_outputs[i].shape[d];
  return FFN_STATUS_OK;
}

)c";
}

/// Writes ffn_run and ffn_run_dynamic of a model with dynamic shapes: the
/// entry returns its results (the caller owns them).
static void writeDynamicRun(llvm::raw_ostream &os,
                            const ModelInterface &model) {
  os << kTakeResults;
  os << R"c(static int ffn_run(const void *const *inputs, void *const *outputs) {
  (void)inputs;
  (void)outputs;
  return ffn_fail(FFN_STATUS_NEEDS_RUN_DYNAMIC,
                  "the model has dynamic shapes: run it with run_dynamic");
}

)c" << kRunDynamicHead;
  for (auto [i, t] : llvm::enumerate(model.inputs)) {
    size_t rank = t.shape.size();
    os << "  " << descType(rank) << " in" << i << ";\n";
    os << "  in" << i << ".allocated = in" << i << ".aligned = (void *)inputs["
       << i << "];\n  in" << i << ".offset = 0;\n";
    for (size_t d = rank; d-- > 0;) {
      os << "  in" << i << ".sizes[" << d << "] = input_shapes[" << i << "]["
         << d << "];\n";
      os << "  in" << i << ".strides[" << d << "] = ";
      if (d + 1 == rank)
        os << "1;\n";
      else
        os << "in" << i << ".strides[" << d + 1 << "] * in" << i << ".sizes["
           << d + 1 << "];\n";
    }
  }
  os << "  ffn_results results;\n"
        "  memset(&results, 0, sizeof(results));\n  "
     << cInterfaceSymbol(model) << "(&results";
  for (size_t i = 0; i < model.inputs.size(); ++i)
    os << ", &in" << i;
  os << ");\n  const ffn_result views[] = {\n";
  for (auto [i, t] : llvm::enumerate(model.outputs)) {
    os << "      {results.r" << i << ".allocated, results.r" << i
       << ".aligned, results.r" << i << ".offset, " << t.shape.size() << ", ";
    if (t.shape.empty())
      os << "0";
    else
      os << "results.r" << i << ".sizes";
    os << "},\n";
  }
  os << "  };\n"
        "  return ffn_take_results(views, inputs, outputs, output_shapes);\n"
        "}\n\n";
}

std::string mlir::ffn::generateGlueSource(const ModelInterface &model,
                                          llvm::StringRef libName,
                                          bool forLibrary) {
  std::string text;
  llvm::raw_string_ostream os(text);
  os << "/* Generated by ffn-compile: the interface of model '" << libName
     << "'. Do not edit. */\n"
        "#include <stdarg.h>\n#include <stdint.h>\n#include <stdio.h>\n"
        "#include <stdlib.h>\n#include <string.h>\n"
        "#include \"ffn/Runtime/ModelABI.h\"\n\n";

  // One memref descriptor type per rank in use.
  std::set<size_t> ranks;
  for (const auto *list : {&model.inputs, &model.outputs})
    for (const TensorInterface &t : *list)
      ranks.insert(t.shape.size());
  for (size_t rank : ranks) {
    os << "typedef struct { void *allocated; void *aligned; int64_t offset;";
    if (rank)
      os << " int64_t sizes[" << rank << "]; int64_t strides[" << rank << "];";
    os << " } " << descType(rank) << ";\n";
  }

  // The entry's C interface. With static shapes it takes the inputs, then
  // the outputs as out-parameters. With dynamic shapes it returns the
  // results: FuncToLLVM's C wrapper takes a pointer to the result (the
  // struct of all results' descriptors, in order) as its first parameter.
  bool dynamic = model.isDynamic();
  if (dynamic) {
    os << "\n/* The entry's results. */\ntypedef struct {";
    for (auto [i, t] : llvm::enumerate(model.outputs))
      os << " " << descType(t.shape.size()) << " r" << i << ";";
    os << " } ffn_results;\n";
  }
  os << "\nextern void " << cInterfaceSymbol(model) << "(";
  bool first = true;
  if (dynamic) {
    os << "ffn_results *";
    first = false;
  }
  for (const auto *list : {&model.inputs, &model.outputs}) {
    if (dynamic && list == &model.outputs)
      continue;
    for (const TensorInterface &t : *list) {
      os << (first ? "" : ", ") << descType(t.shape.size()) << " *";
      first = false;
    }
  }
  os << (first ? "void" : "") << ");\n\n";

  writeDescTable(os, "input", model.inputs);
  writeDescTable(os, "output", model.outputs);

  // ffn_model comes first: the helpers read it.
  os << "static int ffn_run(const void *const *inputs, void *const *outputs);\n"
        "static int ffn_run_dynamic(const void *const *inputs,\n"
        "                           const int64_t *const *input_shapes,\n"
        "                           void **outputs,\n"
        "                           int64_t *const *output_shapes);\n"
        "static const char *ffn_last_error(void);\n\n";
  if (forLibrary)
    os << "__attribute__((visibility(\"hidden\")))\n";
  os << "const ffn_model_abi ffn_model = {" << cString(libName) << ", "
     << model.inputs.size() << ", " << model.outputs.size()
     << ", ffn_inputs, ffn_outputs, ffn_run, ffn_run_dynamic, "
        "ffn_last_error};\n\n";

  os << kGlueHelpers;
  if (dynamic)
    writeDynamicRun(os, model);
  else
    writeStaticRun(os, model);

  if (!forLibrary)
    return text;

  std::string p = libName.str();
  os << llvm::formatv(R"(
/* The public C API (see {0}.h). */
#define FFN_API __attribute__((visibility("default")))
struct {0}_model {{ int reserved; };

FFN_API struct {0}_model *{0}_create(void) {{
  return (struct {0}_model *)calloc(1, sizeof(struct {0}_model));
}
FFN_API void {0}_destroy(struct {0}_model *model) {{ free(model); }
FFN_API int32_t {0}_num_inputs(void) {{ return ffn_model.num_inputs; }
FFN_API int32_t {0}_num_outputs(void) {{ return ffn_model.num_outputs; }
FFN_API int32_t {0}_is_dynamic(void) {{ return {1}; }
FFN_API const char *{0}_input_name(int32_t i) {{
  return i >= 0 && i < ffn_model.num_inputs ? ffn_inputs[i].name : 0;
}
FFN_API int32_t {0}_input_rank(int32_t i) {{
  return i >= 0 && i < ffn_model.num_inputs ? ffn_inputs[i].rank : -1;
}
FFN_API const int64_t *{0}_input_shape(int32_t i) {{
  return i >= 0 && i < ffn_model.num_inputs ? ffn_inputs[i].shape : 0;
}
FFN_API const char *{0}_input_dim_name(int32_t i, int32_t d) {{
  if (i < 0 || i >= ffn_model.num_inputs || d < 0 || d >= ffn_inputs[i].rank ||
      !ffn_inputs[i].dim_names)
    return 0;
  return ffn_inputs[i].dim_names[d];
}
FFN_API const char *{0}_output_name(int32_t i) {{
  return i >= 0 && i < ffn_model.num_outputs ? ffn_outputs[i].name : 0;
}
FFN_API int32_t {0}_output_rank(int32_t i) {{
  return i >= 0 && i < ffn_model.num_outputs ? ffn_outputs[i].rank : -1;
}
FFN_API const int64_t *{0}_output_shape(int32_t i) {{
  return i >= 0 && i < ffn_model.num_outputs ? ffn_outputs[i].shape : 0;
}
FFN_API const char *{0}_output_dim_name(int32_t i, int32_t d) {{
  if (i < 0 || i >= ffn_model.num_outputs || d < 0 ||
      d >= ffn_outputs[i].rank || !ffn_outputs[i].dim_names)
    return 0;
  return ffn_outputs[i].dim_names[d];
}
FFN_API int {0}_run(struct {0}_model *model, const float *const *inputs,
                    float *const *outputs) {{
  if (!model || !inputs || !outputs)
    return ffn_fail(FFN_STATUS_INVALID_ARGUMENT,
                    "{0}_run: the model, inputs or outputs are NULL");
  return ffn_run((const void *const *)inputs, (void *const *)outputs);
}
FFN_API int {0}_run_dynamic(struct {0}_model *model,
                            const void *const *inputs,
                            const int64_t *const *input_shapes,
                            void **outputs, int64_t *const *output_shapes) {{
  if (!model)
    return ffn_fail(FFN_STATUS_INVALID_ARGUMENT,
                    "{0}_run_dynamic: the model is NULL");
  return ffn_run_dynamic(inputs, input_shapes, outputs, output_shapes);
}
FFN_API void {0}_free(void *buffer) {{ free(buffer); }
FFN_API const char *{0}_last_error(void) {{ return ffn_last_error(); }
)",
                      p, dynamic ? 1 : 0);
  return text;
}

/// `[batch, 8]`: a shape with dynamic dimensions shown by name (`?` when
/// unnamed).
static void writeInterfaceShape(llvm::raw_ostream &os,
                                const TensorInterface &t) {
  os << "[";
  for (auto [d, dim] : llvm::enumerate(t.shape)) {
    os << (d ? ", " : "");
    llvm::StringRef name = t.getDimName(d);
    if (dim != kDynamicDim)
      os << dim;
    else
      os << (name.empty() ? llvm::StringRef("?") : name);
  }
  os << "]";
}

std::string mlir::ffn::generateLibraryHeader(const ModelInterface &model,
                                             llvm::StringRef libName) {
  std::string text;
  llvm::raw_string_ostream os(text);
  std::string guard = "FFN_MODEL_" + llvm::StringRef(libName).upper() + "_H";
  os << llvm::formatv(R"(/* Generated by ffn-compile: C API of the compiled model '{0}'.
 *
 * Inputs and outputs are dense row-major arrays of the element types and
 * shapes listed at the end. Every function may be called from several
 * threads at once.
 *
 * Shapes: a dimension of -1 (shown by name, or as ?, below) is dynamic: its
 * size is chosen per run with {0}_run_dynamic; it must be at least 1, and
 * dynamic input dimensions with the same name must have the same size.
 * {0}_run takes static shapes only (see {0}_is_dynamic).
 *
 * Status codes (0: success): 1 an argument is NULL, 2 input shapes the model
 * does not take, 3 out of memory, 4 {0}_run on a model with dynamic shapes.
 * {0}_last_error says what went wrong.
 */
#ifndef {1}
#define {1}

#include <stdint.h>

#ifdef __cplusplus
extern "C" {{
#endif

typedef struct {0}_model {0}_model;

/* Creates a model instance; NULL on failure. */
{0}_model *{0}_create(void);
/* Frees an instance made by {0}_create. */
void {0}_destroy({0}_model *model);

int32_t {0}_num_inputs(void);
int32_t {0}_num_outputs(void);
/* 1 when an input or output has a dynamic dimension, else 0. */
int32_t {0}_is_dynamic(void);
/* Name, rank and shape of input/output i; NULL or -1 when out of range.
 * Dynamic dimensions are -1 in the shape. */
const char *{0}_input_name(int32_t i);
int32_t {0}_input_rank(int32_t i);
const int64_t *{0}_input_shape(int32_t i);
const char *{0}_output_name(int32_t i);
int32_t {0}_output_rank(int32_t i);
const int64_t *{0}_output_shape(int32_t i);
/* The name of dynamic dimension d of input/output i (the ONNX dim_param);
 * NULL for static and unnamed dimensions and when out of range. */
const char *{0}_input_dim_name(int32_t i, int32_t d);
const char *{0}_output_dim_name(int32_t i, int32_t d);

/* Runs a model with static shapes on caller-owned buffers: inputs[i] and
 * outputs[i] point to the i-th input and output. Returns 0 on success. */
int {0}_run({0}_model *model, const float *const *inputs,
            float *const *outputs);

/* Runs the model (static or dynamic shapes): input_shapes[i] points to the
 * {0}_input_rank(i) sizes of input i. On success outputs[i] receives a new
 * buffer holding output i, which the caller frees with {0}_free (or free()),
 * and output_shapes[i] (caller storage of {0}_output_rank(i) entries; the
 * array or an entry may be NULL) its shape. Returns 0 on success; on failure
 * no output is allocated and {0}_last_error says why. */
int {0}_run_dynamic({0}_model *model, const void *const *inputs,
                    const int64_t *const *input_shapes, void **outputs,
                    int64_t *const *output_shapes);
/* Frees an output of {0}_run_dynamic. */
void {0}_free(void *buffer);
/* The message of the calling thread's last failure ("" when none). */
const char *{0}_last_error(void);

)",
                      libName, guard);
  os << "/* Interface:\n";
  for (const auto &[kind, list] :
       {std::pair{"input ", &model.inputs}, std::pair{"output", &model.outputs}})
    for (const TensorInterface &t : *list) {
      os << " *   " << kind << " " << t.name << ": ";
      writeInterfaceShape(os, t);
      os << " " << dtypeComment(t.dtype) << "\n";
    }
  os << " */\n\n#ifdef __cplusplus\n}\n#endif\n\n#endif /* " << guard
     << " */\n";
  return text;
}
