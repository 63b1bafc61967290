//===- Importer.cpp - ONNX models to MLIR ---------------------------------===//
//
// The importer's public entry points: reading a model file (binary protobuf
// or ONNX text syntax) into an onnx::ModelProto, handing it to the graph
// importer, and parsing `--shape` pins. This is the boundary between the
// exception-using onnx/protobuf code and the rest of the compiler: every
// exception is caught here and becomes a diagnostic.
//
//===----------------------------------------------------------------------===//

#include "ffn/Import/ONNX/Importer.h"
#include "GraphImporter.h"

#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/Location.h"
#include "mlir/IR/MLIRContext.h"
#include "llvm/ADT/ScopeExit.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"

#include "onnx/defs/parser.h"

#include <climits>
#include <exception>
#include <new>

using namespace mlir;
using namespace mlir::ffn;

static bool hasTextExtension(StringRef path) {
  return path.ends_with_insensitive(".onnxtext") ||
         path.ends_with_insensitive(".onnxtxt");
}

bool mlir::ffn::isONNXFile(StringRef path) {
  return path.ends_with_insensitive(".onnx") || hasTextExtension(path);
}

LogicalResult mlir::ffn::parseShapeSpec(StringRef spec, ImportOptions &options,
                                        std::string &error) {
  auto [name, dims] = spec.rsplit('=');
  auto invalid = [&](const Twine &why) {
    error = ("invalid --shape '" + spec + "': " + why).str();
    return failure();
  };
  if (name.empty() || dims.empty() || name.size() == spec.size())
    return invalid("expected NAME=DIMS, such as x=2x128x768");
  SmallVector<StringRef> parts;
  dims.split(parts, 'x');
  SmallVector<int64_t> shape;
  for (StringRef part : parts) {
    int64_t dim;
    if (part.getAsInteger(10, dim) || dim < 0)
      return invalid("'" + part + "' is not a dimension size");
    shape.push_back(dim);
  }
  if (!options.pinnedShapes.try_emplace(name, std::move(shape)).second)
    return invalid("input '" + name + "' is given twice");
  return success();
}

LogicalResult mlir::ffn::parseShapeSpecs(MLIRContext &context,
                                         ArrayRef<std::string> specs,
                                         ImportOptions &options) {
  for (const std::string &spec : specs) {
    std::string error;
    if (failed(parseShapeSpec(spec, options, error))) {
      emitError(UnknownLoc::get(&context)) << error;
      return failure();
    }
  }
  return success();
}

/// Parses `buffer` into `model`; reports failures at `loc`.
static LogicalResult parseModel(llvm::MemoryBufferRef buffer, bool isText,
                                onnx::ModelProto &model, Location loc) {
  StringRef name = buffer.getBufferIdentifier();
  StringRef bytes = buffer.getBuffer();
  if (isText) {
    if (bytes.contains('\0'))
      return emitError(loc) << "cannot parse '" << name
                            << "' as an ONNX text model: it contains a NUL "
                               "byte";
    std::string text = bytes.str();
    onnx::Common::Status status;
    try {
      status = onnx::OnnxParser::Parse(model, text.c_str());
    } catch (const std::logic_error &e) {
      // std::stoll/std::stof on malformed or out-of-range numbers.
      return emitError(loc) << "cannot parse '" << name
                            << "' as an ONNX text model: a number is "
                               "malformed or out of range ("
                            << e.what() << ")";
    }
    if (!status.IsOK())
      return emitError(loc)
             << "cannot parse '" << name << "' as an ONNX text model: "
             << StringRef(status.ErrorMessage()).trim();
    return success();
  }
  if (bytes.size() > static_cast<size_t>(INT_MAX))
    return emitError(loc) << "cannot parse '" << name
                          << "' as an ONNX model: protobuf files are "
                             "limited to 2 GiB (store the weights as "
                             "external data)";
  if (!model.ParseFromArray(bytes.data(), static_cast<int>(bytes.size())))
    return emitError(loc) << "cannot parse '" << name
                          << "' as an ONNX model (truncated or corrupt "
                             "protobuf)";
  return success();
}

/// Parses the binary model file at `path` straight from the file, so that the
/// file's bytes and the protobuf are never both in memory.
static LogicalResult parseModelFile(StringRef path, onnx::ModelProto &model,
                                    Location loc) {
  llvm::Expected<llvm::sys::fs::file_t> file =
      llvm::sys::fs::openNativeFileForRead(path);
  if (!file)
    return emitError(loc) << "cannot open model '" << path
                          << "': " << llvm::toString(file.takeError());
  llvm::scope_exit closeFile([&] { llvm::sys::fs::closeFile(*file); });
  llvm::sys::fs::file_status status;
  if (std::error_code ec = llvm::sys::fs::status(*file, status))
    return emitError(loc) << "cannot open model '" << path
                          << "': " << ec.message();
  if (status.getSize() > static_cast<uint64_t>(INT_MAX))
    return emitError(loc) << "cannot parse '" << path
                          << "' as an ONNX model: protobuf files are "
                             "limited to 2 GiB (store the weights as "
                             "external data)";
  if (!model.ParseFromFileDescriptor(*file))
    return emitError(loc) << "cannot parse '" << path
                          << "' as an ONNX model (truncated or corrupt "
                             "protobuf)";
  return success();
}

/// Parses the model with `parse` and imports it. protobuf and the onnx parser
/// may throw (std::bad_alloc, std::stoi on malformed numbers): nothing
/// escapes into the exception-free caller.
static OwningOpRef<ModuleOp>
importWith(MLIRContext &context, StringRef name, StringRef modelDir,
           const ImportOptions &options,
           function_ref<LogicalResult(onnx::ModelProto &, Location)> parse) {
  Location loc = FileLineColLoc::get(&context, name, 0, 0);
  try {
    onnx::ModelProto model;
    if (failed(parse(model, loc)))
      return nullptr;
    if (!model.has_graph()) {
      emitError(loc) << "cannot parse '" << name
                     << "' as an ONNX model: it has no graph";
      return nullptr;
    }
    onnx_import::GraphImporter importer(context, model, name, modelDir,
                                        options);
    return importer.run();
  } catch (const std::bad_alloc &) {
    emitError(loc) << "out of memory while importing '" << name << "'";
  } catch (const std::exception &e) {
    emitError(loc) << "cannot import '" << name << "': " << e.what();
  } catch (...) {
    emitError(loc) << "cannot import '" << name << "': unknown error";
  }
  return nullptr;
}

OwningOpRef<ModuleOp>
mlir::ffn::importONNXBuffer(MLIRContext &context, llvm::MemoryBufferRef buffer,
                            bool isText, StringRef modelDir,
                            const ImportOptions &options) {
  return importWith(context, buffer.getBufferIdentifier(), modelDir, options,
                    [&](onnx::ModelProto &model, Location loc) {
                      return parseModel(buffer, isText, model, loc);
                    });
}

OwningOpRef<ModuleOp> mlir::ffn::importONNXFile(MLIRContext &context,
                                                StringRef path,
                                                const ImportOptions &options) {
  StringRef dir = llvm::sys::path::parent_path(path);
  return importWith(
      context, path, dir.empty() ? "." : dir, options,
      [&](onnx::ModelProto &model, Location loc) -> LogicalResult {
        if (!hasTextExtension(path))
          return parseModelFile(path, model, loc);
        llvm::ErrorOr<std::unique_ptr<llvm::MemoryBuffer>> file =
            llvm::MemoryBuffer::getFile(path, /*IsText=*/true);
        if (!file)
          return emitError(loc) << "cannot open model '" << path
                                << "': " << file.getError().message();
        return parseModel((*file)->getMemBufferRef(), /*isText=*/true, model,
                          loc);
      });
}
