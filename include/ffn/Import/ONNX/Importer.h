//===- Importer.h - ONNX models to MLIR -------------------------*- C++ -*-===//
//
// The ONNX importer: reads an ONNX model (binary protobuf or the ONNX text
// syntax) and builds a module with one `func.func @main` over tensors. Generic
// ops become upstream ops (arith, math, linalg, tensor); ops whose meaning the
// compiler reasons about (linear layers, activations, norms) become ffn ops.
//
// The interface deliberately exposes no onnx or protobuf types: those need
// C++ exceptions, which the rest of the project is built without. Every
// problem with the model is reported as a diagnostic on the context, and the
// functions return null; nothing asserts on, or throws for, model content.
//
// Output contract (what the raising passes and the pipelines rely on):
//  - `func.func @main`; its arguments are the graph inputs that are not
//    initializers, in order, each with `{ffn.name = "<onnx name>"}`; its
//    results are the graph outputs, with `ffn.name` too.
//  - Operation locations are `NameLoc`s with the ONNX node name (the first
//    output name for unnamed nodes) around the model file's location.
//  - f32 weights are `arith.constant dense_resource<...>` (resource blobs);
//    single-element f32 constants and integer tensors are plain `dense`.
//  - Elementwise ops take operands of the result shape: numpy broadcasting
//    becomes `tensor.collapse_shape` (of unit dimensions) + `linalg.broadcast`,
//    or a splat `arith.constant` of the result shape for splat constants.
//  - MatMul(activation, constant 2-D weight) is `ffn.linear`; every other
//    MatMul (attention's QKᵀ and PV) is `linalg.matmul`, or
//    `linalg.batch_matmul` over the broadcast batch dimensions collapsed into
//    one. Softmax is linalg.reduce/linalg.broadcast and elementwise ops.
//  - Shapes are static. Integer tensors whose values are known at import
//    (shape-computation chains: Shape → Gather → Unsqueeze → Concat, integer
//    arithmetic, Cast, Equal, Where, Range, ConstantOfShape ...) are folded
//    and leave no ops; only run-time data becomes ops (Reshape/Squeeze/
//    Unsqueeze as collapse_shape/expand_shape, Transpose as linalg.transpose,
//    Slice/Split/Gather as extract_slice or a linalg.generic, Concat as
//    insert_slice). A Where condition known at import is an i8 constant.
//
//===----------------------------------------------------------------------===//

#ifndef FFN_IMPORT_ONNX_IMPORTER_H
#define FFN_IMPORT_ONNX_IMPORTER_H

#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/OwningOpRef.h"
#include "mlir/Support/LLVM.h"
#include "llvm/ADT/ArrayRef.h"
#include "llvm/ADT/SmallVector.h"
#include "llvm/ADT/StringMap.h"
#include "llvm/ADT/StringRef.h"
#include <cstdint>
#include <string>
#include <vector>

namespace llvm {
class MemoryBufferRef;
} // namespace llvm

namespace mlir {
class MLIRContext;
namespace ffn {

/// The opsets of the default ONNX domain the importer reads.
constexpr int64_t kMinONNXOpset = 13;
constexpr int64_t kMaxONNXOpset = 21;

/// One op of the default ONNX domain the importer claims, and the opsets (a
/// subrange of kMinONNXOpset..kMaxONNXOpset) it imports it for.
struct ONNXOpSupport {
  std::string opType;
  int64_t minOpset;
  int64_t maxOpset;
};

/// Every op the importer claims, sorted by op type: read from the importer's
/// op table, so that `ffn-opt --list-onnx-ops`, the conformance runner and the
/// documentation cannot drift from the code.
std::vector<ONNXOpSupport> getSupportedONNXOps();

/// The ONNX element types (TensorProto names: FLOAT, INT64, ...) graph inputs
/// and outputs may have. BOOL crosses the compiled model's boundary as one
/// byte per element: an i8 argument or result marked `ffn.bool`.
std::vector<std::string> getSupportedONNXTypes();

/// Settings of one import.
struct ImportOptions {
  /// Full shapes for graph inputs, by input name (`--shape NAME=2x128x768`).
  /// A pinned shape must have the input's rank and agree with its static
  /// dimensions; it fixes the symbolic (`dim_param`) and unknown ones.
  llvm::StringMap<llvm::SmallVector<int64_t>> pinnedShapes;
};

/// Parses one `NAME=AxBxC` shape specification (as given to `--shape`) into
/// `options.pinnedShapes`. On failure returns failure and sets `error` to a
/// message that quotes `spec`.
LogicalResult parseShapeSpec(llvm::StringRef spec, ImportOptions &options,
                             std::string &error);

/// Parses each of `specs` as with parseShapeSpec, reporting failures as
/// diagnostics on `context`.
LogicalResult parseShapeSpecs(MLIRContext &context,
                              llvm::ArrayRef<std::string> specs,
                              ImportOptions &options);

/// Whether `path` names a model the importer reads (by its extension:
/// `.onnx` or `.onnxtext`/`.onnxtxt`).
bool isONNXFile(llvm::StringRef path);

/// Imports the model at `path`: a binary protobuf (`.onnx`), or the ONNX
/// text syntax (`.onnxtext`/`.onnxtxt`). External data files are resolved
/// relative to the model's folder. Returns null after reporting diagnostics
/// on `context` when the model cannot be imported.
OwningOpRef<ModuleOp> importONNXFile(MLIRContext &context, llvm::StringRef path,
                                     const ImportOptions &options = {});

/// Imports a model held in memory. `isText` selects the ONNX text syntax over
/// the binary protobuf; `modelDir` is the folder external data paths are
/// relative to (empty: external data is rejected). `buffer`'s identifier names
/// the model in diagnostics.
OwningOpRef<ModuleOp> importONNXBuffer(MLIRContext &context,
                                       llvm::MemoryBufferRef buffer,
                                       bool isText, llvm::StringRef modelDir,
                                       const ImportOptions &options = {});

} // namespace ffn
} // namespace mlir

#endif // FFN_IMPORT_ONNX_IMPORTER_H
