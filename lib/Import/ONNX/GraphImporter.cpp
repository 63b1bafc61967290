//===- GraphImporter.cpp - ONNX graph to func.func ------------------------===//
//
// Builds func.func @main from an ONNX GraphProto: graph inputs become
// arguments (with pinned shapes for symbolic dimensions), nodes are imported
// in order by the op handlers, graph outputs become results. Constants
// (initializers and Constant nodes) are materialised lazily, on first use, so
// that a weight that is only ever read in transformed form (a MatMul weight
// is transposed) is never copied as it is; their protobuf storage is freed as
// soon as they are materialised or have no uses left. Integer tensors known
// at import (integer initializers and Constants, and the shape computations
// folded on them) are kept as values (KnownInts) and only become constants
// where an op takes them as operands. External data is memory-mapped from
// files confined to the model's folder.
//
//===----------------------------------------------------------------------===//

#include "GraphImporter.h"

#include "ffn/Dialect/FFN/IR/FFNDialect.h"
#include "ffn/Utils/Dims.h"
#include "ffn/Utils/Weights.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Arith/Utils/Utils.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/DialectResourceBlobManager.h"
#include "mlir/IR/Matchers.h"
#include "mlir/IR/Verifier.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/ADT/StringSet.h"
#include "llvm/Support/Alignment.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Path.h"

#include <cstring>
#include <limits>

using namespace mlir;
using namespace mlir::ffn;
using namespace mlir::ffn::onnx_import;

/// Upper bound on the bytes of one tensor (1 TiB): larger sizes come from
/// corrupt dimensions, not from real models.
static constexpr uint64_t kMaxTensorBytes = uint64_t(1) << 40;

/// The name of an ONNX element type, for diagnostics.
static std::string dataTypeName(int32_t type) {
  if (onnx::TensorProto_DataType_IsValid(type))
    return onnx::TensorProto_DataType_Name(
        static_cast<onnx::TensorProto_DataType>(type));
  return "data type " + std::to_string(type);
}

/// A resource key from an ONNX name: identifier characters only, so that the
/// printed `dense_resource<...>` stays readable.
static std::string resourceKey(StringRef name) {
  std::string key;
  for (char c : name)
    key += (llvm::isAlnum(c) || c == '_' || c == '.') ? c : '_';
  if (key.empty() || !(llvm::isAlpha(key[0]) || key[0] == '_'))
    key = "_" + key;
  return key;
}

/// The element type of graph inputs and outputs of ONNX type `type`, or null
/// when the importer does not take it. BOOL is i1 inside the function and
/// i8 at its boundary (see importInputs).
static Type boundaryElementType(Builder &b, int32_t type) {
  switch (type) {
  case onnx::TensorProto::FLOAT:
    return b.getF32Type();
  case onnx::TensorProto::DOUBLE:
    return b.getF64Type();
  case onnx::TensorProto::INT64:
    return b.getI64Type();
  case onnx::TensorProto::INT32:
    return b.getI32Type();
  case onnx::TensorProto::INT16:
    return b.getIntegerType(16);
  case onnx::TensorProto::INT8:
    return b.getI8Type();
  case onnx::TensorProto::BOOL:
    return b.getI1Type();
  default:
    return Type();
  }
}

std::vector<std::string> mlir::ffn::getSupportedONNXTypes() {
  return {"FLOAT", "DOUBLE", "INT64", "INT32", "INT16", "INT8", "BOOL"};
}

/// `value` (an i1 or i8 tensor) as a tensor of `element` (i8 or i1):
/// elementwise `x != 0` or zero extension, as a linalg.generic.
static Value convertBool(OpBuilder &b, Location loc, Value value,
                         Type element) {
  auto type = cast<RankedTensorType>(value.getType());
  int64_t rank = type.getRank();
  Value init = tensor::EmptyOp::create(b, loc, type.getShape(), element);
  SmallVector<AffineMap> maps(2, b.getMultiDimIdentityMap(rank));
  auto generic = linalg::GenericOp::create(
      b, loc, TypeRange{init.getType()}, ValueRange{value}, ValueRange{init},
      maps, SmallVector<utils::IteratorType>(rank, utils::IteratorType::parallel),
      [&](OpBuilder &nested, Location nestedLoc, ValueRange args) {
        Value result;
        if (element.isInteger(1)) {
          Value zero = arith::ConstantOp::create(
              nested, nestedLoc, nested.getIntegerAttr(args[0].getType(), 0));
          result = arith::CmpIOp::create(nested, nestedLoc,
                                         arith::CmpIPredicate::ne, args[0],
                                         zero);
        } else {
          result = arith::ExtUIOp::create(nested, nestedLoc, element, args[0]);
        }
        linalg::YieldOp::create(nested, nestedLoc, result);
      });
  return generic.getResult(0);
}

InFlightDiagnostic NodeContext::emitError() const {
  InFlightDiagnostic diag = mlir::emitError(loc);
  diag << "node '" << name << "' (";
  if (!node.domain().empty() && node.domain() != "ai.onnx")
    diag << node.domain() << ".";
  diag << node.op_type() << ", opset " << opset << "): ";
  return diag;
}

ArrayRef<float> TensorData::alignedFloats() const {
  if (!type.getElementType().isF32() ||
      !llvm::isAddrAligned(llvm::Align(alignof(float)), bytes.data()))
    return {};
  return ArrayRef<float>(reinterpret_cast<const float *>(bytes.data()),
                         bytes.size() / sizeof(float));
}

GraphImporter::GraphImporter(MLIRContext &context, onnx::ModelProto &model,
                             StringRef modelName, StringRef modelDir,
                             const ImportOptions &options)
    : context(context), model(model), modelName(modelName.str()),
      modelDir(modelDir.str()), options(options), builder(&context),
      fileLoc(FileLineColLoc::get(&context, modelName, 0, 0)) {}

std::string GraphImporter::shapeStr(ArrayRef<int64_t> shape) {
  if (shape.empty())
    return "scalar";
  std::string s;
  for (auto [i, d] : llvm::enumerate(shape)) {
    if (i)
      s += "x";
    s += ShapedType::isDynamic(d) ? "?" : std::to_string(d);
  }
  return s;
}

//===----------------------------------------------------------------------===//
// The graph
//===----------------------------------------------------------------------===//

OwningOpRef<ModuleOp> GraphImporter::run() {
  for (const onnx::OperatorSetIdProto &opset : model.opset_import()) {
    StringRef domain = opset.domain();
    if (domain == "ai.onnx")
      domain = "";
    opsets[domain] = opset.version();
  }
  auto defaultOpset = opsets.find("");
  if (defaultOpset == opsets.end()) {
    emitError(fileLoc) << "model '" << modelName
                       << "' imports no opset of the default ONNX domain";
    return nullptr;
  }
  if (defaultOpset->second < kMinONNXOpset ||
      defaultOpset->second > kMaxONNXOpset) {
    emitError(fileLoc) << "model '" << modelName << "' uses opset "
                       << defaultOpset->second
                       << " of the default ONNX domain; the importer "
                          "supports opsets "
                       << kMinONNXOpset << " to " << kMaxONNXOpset;
    return nullptr;
  }
  onnx::GraphProto &graph = *model.mutable_graph();
  if (graph.sparse_initializer_size()) {
    emitError(fileLoc) << "model '" << modelName
                       << "' has sparse initializers, which are not "
                          "supported yet";
    return nullptr;
  }

  // Every use of a name, so that constants can be freed after their last.
  for (const onnx::NodeProto &node : graph.node())
    for (const std::string &input : node.input())
      if (!input.empty())
        ++remainingUses[input];
  for (const onnx::ValueInfoProto &output : graph.output())
    ++remainingUses[output.name()];

  for (onnx::TensorProto &tensor : *graph.mutable_initializer()) {
    Location loc =
        NameLoc::get(StringAttr::get(&context, tensor.name()), fileLoc);
    if (tensor.name().empty()) {
      emitError(loc) << "model '" << modelName
                     << "' has an initializer without a name";
      return nullptr;
    }
    if (!pending.try_emplace(tensor.name(), PendingConstant{&tensor, loc})
             .second) {
      emitError(loc) << "initializer '" << tensor.name()
                     << "' is defined twice";
      return nullptr;
    }
  }

  OwningOpRef<ModuleOp> module = ModuleOp::create(fileLoc);
  builder.setInsertionPointToEnd(module->getBody());
  func = func::FuncOp::create(builder, fileLoc, "main",
                              builder.getFunctionType({}, {}));
  if (failed(importInputs()))
    return nullptr;
  for (auto [index, node] : llvm::enumerate(*graph.mutable_node()))
    if (failed(importNode(node, index)))
      return nullptr;
  if (failed(importOutputs()))
    return nullptr;
  // Constants materialised for an op that then used a transformed copy (a
  // splat broadcast to the result shape) are dead.
  for (Operation &op : llvm::make_early_inc_range(
           llvm::reverse(func.getBody().front().getOperations())))
    if (isa<arith::ConstantOp>(op) && op.use_empty())
      op.erase();
  if (failed(verify(*module)))
    return nullptr;
  return module;
}

LogicalResult GraphImporter::importInputs() {
  const onnx::GraphProto &graph = model.graph();
  SmallVector<Type> types;
  SmallVector<Location> locs;
  SmallVector<std::string> names;
  SmallVector<bool> isBool;
  // Per input, the dim_param of each dimension left dynamic ("" elsewhere).
  SmallVector<SmallVector<std::string>> dimNames;
  llvm::StringSet<> usedPins;
  for (const onnx::ValueInfoProto &input : graph.input()) {
    const std::string &name = input.name();
    // An input with an initializer of the same name is a constant with a
    // default value; the compiled model does not take it.
    if (pending.count(name))
      continue;
    Location loc = NameLoc::get(StringAttr::get(&context, name), fileLoc);
    if (name.empty())
      return emitError(loc)
             << "model '" << modelName << "' has a graph input without a name";
    if (values.count(name))
      return emitError(loc) << "graph input '" << name << "' is declared twice";
    if (!input.type().has_tensor_type())
      return emitError(loc) << "graph input '" << name
                            << "' is not a tensor; only tensor inputs are "
                               "supported";
    const onnx::TypeProto_Tensor &tensorType = input.type().tensor_type();
    Type element = boundaryElementType(builder, tensorType.elem_type());
    if (!element)
      return emitError(loc) << "graph input '" << name << "' has element type "
                            << dataTypeName(tensorType.elem_type())
                            << "; only FLOAT, DOUBLE, INT64, INT32, INT16, "
                               "INT8 and BOOL inputs are supported";

    dimNames.emplace_back();
    const SmallVector<int64_t> *pinned = nullptr;
    auto pin = options.pinnedShapes.find(name);
    if (pin != options.pinnedShapes.end()) {
      pinned = &pin->second;
      usedPins.insert(name);
    }
    SmallVector<int64_t> shape;
    if (!tensorType.has_shape()) {
      if (!pinned)
        return emitError(loc)
               << "graph input '" << name
               << "' has no shape; give it with --shape " << name << "=DIMS";
      shape = *pinned;
    } else {
      const onnx::TensorShapeProto &declared = tensorType.shape();
      dimNames.back().assign(declared.dim_size(), "");
      if (pinned && static_cast<int>(pinned->size()) != declared.dim_size())
        return emitError(loc)
               << "--shape " << name << "=" << shapeStr(*pinned) << " has rank "
               << pinned->size() << " but graph input '" << name
               << "' has rank " << declared.dim_size();
      for (int d = 0, e = declared.dim_size(); d < e; ++d) {
        const onnx::TensorShapeProto_Dimension &dim = declared.dim(d);
        if (dim.has_dim_value()) {
          if (dim.dim_value() < 0)
            return emitError(loc)
                   << "graph input '" << name << "' dimension " << d
                   << " is negative (" << dim.dim_value() << ")";
          if (pinned && (*pinned)[d] != dim.dim_value())
            return emitError(loc)
                   << "--shape " << name << "=" << shapeStr(*pinned)
                   << " sets dimension " << d << " to " << (*pinned)[d]
                   << " but the model fixes it to " << dim.dim_value();
          shape.push_back(dim.dim_value());
          continue;
        }
        if (!pinned) {
          // Stays dynamic: the compiled model takes any size at run time.
          shape.push_back(ShapedType::kDynamic);
          dimNames.back()[d] = dim.has_dim_param() ? dim.dim_param() : "";
          continue;
        }
        shape.push_back((*pinned)[d]);
      }
    }
    // Booleans cross the boundary as bytes (i1 memrefs are read as packed
    // bits by vector loads) and are compared with zero on entry.
    types.push_back(RankedTensorType::get(
        shape, element.isInteger(1) ? builder.getI8Type() : element));
    isBool.push_back(element.isInteger(1));
    locs.push_back(loc);
    names.push_back(name);
    values[name] = Value(); // Reserve the name; set below.
  }
  for (const auto &pin : options.pinnedShapes)
    if (!usedPins.contains(pin.getKey()))
      return emitError(fileLoc)
             << "--shape names '" << pin.getKey()
             << "', which is not an input of model '" << modelName << "'";

  func.setType(builder.getFunctionType(types, {}));
  Block *entry = func.addEntryBlock();
  builder.setInsertionPointToStart(entry);
  for (auto [i, name] : llvm::enumerate(names)) {
    BlockArgument arg = entry->getArgument(i);
    arg.setLoc(locs[i]);
    values[name] = arg;
    func.setArgAttr(i, "ffn.name", builder.getStringAttr(name));
    if (isDynamic(arg.getType())) {
      SmallVector<Attribute> dims;
      for (const std::string &dim : dimNames[i])
        dims.push_back(builder.getStringAttr(dim));
      func.setArgAttr(i, "ffn.dim_names", builder.getArrayAttr(dims));
    }
    if (isBool[i]) {
      func.setArgAttr(i, "ffn.bool", builder.getUnitAttr());
      values[name] = convertBool(builder, locs[i], arg, builder.getI1Type());
    }
  }
  return success();
}

LogicalResult GraphImporter::importNode(onnx::NodeProto &node, size_t index) {
  std::string name = node.name();
  if (name.empty())
    for (const std::string &output : node.output())
      if (!output.empty()) {
        name = output;
        break;
      }
  if (name.empty())
    name = node.op_type() + "_" + std::to_string(index);
  StringRef domain = node.domain();
  if (domain == "ai.onnx")
    domain = "";
  auto opset = opsets.find(domain);
  Location loc = NameLoc::get(StringAttr::get(&context, name), fileLoc);
  NodeContext n{*this, node, name,
                opset == opsets.end() ? int64_t(0) : opset->second, loc};
  if (opset == opsets.end())
    return n.emitError() << "the model imports no opset of domain '" << domain
                         << "'";

  LogicalResult result = importOp(n);
  if (succeeded(result)) {
    for (int i = 0, e = node.output_size(); i < e; ++i)
      if (n.hasOutput(i) && !isDefined(node.output(i)))
        return n.emitError() << "output " << i << " ('" << node.output(i)
                             << "') is not supported";
  }
  for (const std::string &input : node.input())
    if (!input.empty())
      dropUse(input);
  return result;
}

LogicalResult GraphImporter::importOutputs() {
  const onnx::GraphProto &graph = model.graph();
  if (graph.output_size() == 0)
    return emitError(fileLoc)
           << "model '" << modelName << "' has no graph outputs";
  SmallVector<Value> results;
  SmallVector<bool> outputIsBool;
  for (const onnx::ValueInfoProto &output : graph.output()) {
    const std::string &name = output.name();
    Location loc = NameLoc::get(StringAttr::get(&context, name), fileLoc);
    FailureOr<Value> value = lookup(name);
    if (failed(value))
      return failure();
    if (!*value)
      return emitError(loc) << "graph output '" << name
                            << "' is not a graph input, initializer or "
                               "output of any node";
    auto type = dyn_cast<RankedTensorType>(value->getType());
    if (!type)
      return emitError(loc) << "graph output '" << name << "' has type "
                            << value->getType() << "; expected a tensor";
    Type element = type.getElementType();
    if (output.type().has_tensor_type()) {
      const onnx::TypeProto_Tensor &declared = output.type().tensor_type();
      if (declared.elem_type() != onnx::TensorProto::UNDEFINED &&
          boundaryElementType(builder, declared.elem_type()) != element)
        return emitError(loc)
               << "graph output '" << name << "' is declared with element type "
               << dataTypeName(declared.elem_type()) << " but computed as "
               << element;
      if (declared.has_shape()) {
        const onnx::TensorShapeProto &shape = declared.shape();
        bool matches = shape.dim_size() == type.getRank();
        for (int d = 0; matches && d < shape.dim_size(); ++d)
          if (shape.dim(d).has_dim_value() &&
              shape.dim(d).dim_value() != type.getDimSize(d))
            matches = false;
        if (!matches) {
          SmallVector<int64_t> dims;
          for (const auto &dim : shape.dim())
            dims.push_back(dim.has_dim_value() ? dim.dim_value()
                                               : ShapedType::kDynamic);
          return emitError(loc)
                 << "graph output '" << name << "' is computed with shape "
                 << shapeStr(type.getShape())
                 << " but the model declares shape " << shapeStr(dims);
        }
      }
    }
    if (element.isInteger(1)) {
      outputIsBool.push_back(true);
      results.push_back(
          convertBool(builder, loc, *value, builder.getI8Type()));
      continue;
    }
    if (!llvm::is_contained(
            ArrayRef<Type>{builder.getF32Type(), builder.getF64Type(),
                           builder.getI64Type(), builder.getI32Type(),
                           builder.getIntegerType(16), builder.getI8Type()},
            element))
      return emitError(loc)
             << "graph output '" << name << "' has type " << value->getType()
             << "; only FLOAT, DOUBLE, INT64, INT32, INT16, INT8 and BOOL "
                "outputs are supported";
    outputIsBool.push_back(false);
    results.push_back(*value);
  }
  func::ReturnOp::create(builder, fileLoc, results);
  func.setType(builder.getFunctionType(func.getArgumentTypes(),
                                       ValueRange(results).getTypes()));
  for (auto [i, output] : llvm::enumerate(graph.output())) {
    func.setResultAttr(i, "ffn.name", builder.getStringAttr(output.name()));
    if (outputIsBool[i])
      func.setResultAttr(i, "ffn.bool", builder.getUnitAttr());
  }
  return success();
}

//===----------------------------------------------------------------------===//
// Constants
//===----------------------------------------------------------------------===//

FailureOr<std::unique_ptr<llvm::MemoryBuffer>>
GraphImporter::readExternalData(const onnx::TensorProto &tensor, Location loc,
                                uint64_t expectedBytes) {
  std::string location;
  std::optional<uint64_t> offset, length;
  for (const onnx::StringStringEntryProto &entry : tensor.external_data()) {
    StringRef key = entry.key(), value = entry.value();
    if (key == "location") {
      location = entry.value();
    } else if (key == "offset" || key == "length") {
      uint64_t number;
      if (value.getAsInteger(10, number))
        return emitError(loc) << "tensor '" << tensor.name()
                              << "' has an invalid external data " << key
                              << " '" << value << "'";
      (key == "offset" ? offset : length) = number;
    }
  }
  if (location.empty())
    return emitError(loc) << "tensor '" << tensor.name()
                          << "' has external data without a location";
  auto reject = [&](StringRef why) -> InFlightDiagnostic {
    InFlightDiagnostic diag = emitError(loc);
    diag << "tensor '" << tensor.name() << "' has external data at '"
         << location << "', " << why;
    return diag;
  };
  if (location.find('\0') != std::string::npos)
    return reject("a path with a NUL character");
  if (modelDir.empty())
    return reject("but the model has no folder to resolve it in");
  if (llvm::sys::path::is_absolute(location) ||
      llvm::sys::path::is_absolute(location, llvm::sys::path::Style::windows) ||
      StringRef(location).starts_with("/") ||
      StringRef(location).starts_with("\\"))
    return reject("an absolute path; external data must lie in the model's "
                  "folder");
  for (StringRef component : llvm::make_range(llvm::sys::path::begin(location),
                                              llvm::sys::path::end(location)))
    if (component == "..")
      return reject("a path with a '..' component; external data must lie in "
                    "the model's folder");
  if (StringRef(location).contains('\\'))
    return reject("a path with a backslash; use '/' separators");

  SmallString<256> path(modelDir);
  llvm::sys::path::append(path, location);
  SmallString<256> realPath, realDir;
  if (std::error_code ec = llvm::sys::fs::real_path(path, realPath))
    return reject(("which cannot be opened: " + ec.message()).c_str());
  if (std::error_code ec = llvm::sys::fs::real_path(modelDir, realDir))
    return reject(("whose folder cannot be resolved: " + ec.message()).c_str());
  if (!StringRef(realPath).starts_with(realDir) ||
      realPath.size() <= realDir.size() ||
      !llvm::sys::path::is_separator(realPath[realDir.size()]))
    return reject("which resolves outside the model's folder (to '" +
                  realPath.str().str() + "')");
  if (!llvm::sys::fs::is_regular_file(realPath))
    return reject("which is not a regular file");
  uint64_t fileSize;
  if (std::error_code ec = llvm::sys::fs::file_size(realPath, fileSize))
    return reject(("whose size cannot be read: " + ec.message()).c_str());
  uint64_t start = offset.value_or(0);
  if (length && *length != expectedBytes)
    return emitError(loc) << "tensor '" << tensor.name()
                          << "' has external data of length " << *length
                          << " bytes but needs " << expectedBytes;
  if (start > fileSize || fileSize - start < expectedBytes)
    return emitError(loc) << "tensor '" << tensor.name() << "' needs bytes ["
                          << start << ", " << start + expectedBytes << ") of '"
                          << location << "', which has " << fileSize
                          << " bytes";
  if (expectedBytes == 0)
    return llvm::MemoryBuffer::getMemBuffer("", location,
                                            /*RequiresNullTerminator=*/false);
  llvm::ErrorOr<std::unique_ptr<llvm::MemoryBuffer>> buffer =
      llvm::MemoryBuffer::getFileSlice(realPath, expectedBytes, start);
  if (!buffer)
    return reject(
        ("which cannot be read: " + buffer.getError().message()).c_str());
  return std::move(*buffer);
}

FailureOr<TensorData> GraphImporter::readTensor(const onnx::TensorProto &tensor,
                                                Location loc, StringRef what) {
  Type elementType;
  uint64_t elementBytes;
  switch (tensor.data_type()) {
  case onnx::TensorProto::FLOAT:
    elementType = builder.getF32Type();
    elementBytes = 4;
    break;
  case onnx::TensorProto::INT64:
    elementType = builder.getI64Type();
    elementBytes = 8;
    break;
  case onnx::TensorProto::INT32:
    elementType = builder.getI32Type();
    elementBytes = 4;
    break;
  case onnx::TensorProto::BOOL:
    elementType = builder.getI1Type();
    elementBytes = 1;
    break;
  default:
    return emitError(loc) << what << " has element type "
                          << dataTypeName(tensor.data_type())
                          << "; only FLOAT, INT64, INT32 and BOOL constants "
                             "are supported";
  }
  if (tensor.has_segment())
    return emitError(loc) << what << " is segmented, which is not supported";
  SmallVector<int64_t> shape;
  uint64_t count = 1;
  for (int64_t dim : tensor.dims()) {
    if (dim < 0)
      return emitError(loc)
             << what << " has a negative dimension (" << dim << ")";
    if (dim != 0 && count > kMaxTensorBytes / elementBytes / uint64_t(dim))
      return emitError(loc) << what << " is too large";
    count *= uint64_t(dim);
    shape.push_back(dim);
  }
  TensorData data;
  data.type = RankedTensorType::get(shape, elementType);
  uint64_t expectedBytes = count * elementBytes;

  if (tensor.data_location() == onnx::TensorProto::EXTERNAL) {
    auto mapping = readExternalData(tensor, loc, expectedBytes);
    if (failed(mapping))
      return failure();
    data.mapping = std::move(*mapping);
    data.bytes = ArrayRef<char>(data.mapping->getBufferStart(),
                                data.mapping->getBufferSize());
    return data;
  }
  if (tensor.has_raw_data()) {
    const std::string &raw = tensor.raw_data();
    if (raw.size() != expectedBytes)
      return emitError(loc)
             << what << " of shape " << shapeStr(shape) << " has " << raw.size()
             << " bytes of raw data, expected " << expectedBytes;
    data.bytes = ArrayRef<char>(raw.data(), raw.size());
    return data;
  }
  uint64_t given;
  const char *start;
  if (elementType.isF32()) {
    given = tensor.float_data_size();
    start = reinterpret_cast<const char *>(tensor.float_data().data());
  } else if (elementType.isInteger(64)) {
    given = tensor.int64_data_size();
    start = reinterpret_cast<const char *>(tensor.int64_data().data());
  } else {
    // INT32 and BOOL live in int32_data, one element per int32.
    given = tensor.int32_data_size();
    if (given != count)
      return emitError(loc)
             << what << " of shape " << shapeStr(shape) << " has " << given
             << " values, expected " << count;
    data.owned.resize(expectedBytes);
    for (uint64_t i = 0; i < count; ++i) {
      int32_t v = tensor.int32_data(i);
      if (elementBytes == 1)
        data.owned[i] = v != 0;
      else
        std::memcpy(&data.owned[i * 4], &v, 4);
    }
    data.bytes = ArrayRef<char>(data.owned.data(), data.owned.size());
    return data;
  }
  if (given != count)
    return emitError(loc) << what << " of shape " << shapeStr(shape) << " has "
                          << given << " values, expected " << count;
  data.bytes = ArrayRef<char>(start, expectedBytes);
  return data;
}

Value GraphImporter::materializeTensor(Location loc, TensorData data,
                                       StringRef name) {
  RankedTensorType type = data.type;
  if (!type.getElementType().isF32()) {
    // Integer tensors are shapes, axes and masks: small, and better as
    // plain dense.
    return materializeInts(loc, toKnownInts(data));
  }
  if (type.getNumElements() <= 1) {
    SmallVector<float> floats(type.getNumElements());
    if (!floats.empty())
      std::memcpy(floats.data(), data.bytes.data(), data.bytes.size());
    return arith::ConstantOp::create(
        builder, loc, type, DenseElementsAttr::get(type, ArrayRef(floats)));
  }
  AsmResourceBlob blob;
  if (data.mapping &&
      llvm::isAddrAligned(llvm::Align(alignof(float)), data.bytes.data())) {
    // Keep the mapping alive as long as the blob: no copy of the weights.
    std::shared_ptr<llvm::MemoryBuffer> mapping = std::move(data.mapping);
    blob = AsmResourceBlob(
        data.bytes, alignof(float),
        [mapping](void *, size_t, size_t) mutable { mapping.reset(); },
        /*dataIsMutable=*/false);
  } else {
    blob = HeapAsmResourceBlob::allocateAndCopyWithAlign(data.bytes,
                                                         alignof(float));
  }
  auto attr =
      DenseResourceElementsAttr::get(type, resourceKey(name), std::move(blob));
  return arith::ConstantOp::create(builder, loc, type, attr);
}

void GraphImporter::releaseTensorStorage(onnx::TensorProto &tensor) {
  if (tensor.has_raw_data())
    std::string().swap(*tensor.mutable_raw_data());
  google::protobuf::RepeatedField<float>().Swap(tensor.mutable_float_data());
  google::protobuf::RepeatedField<int64_t>().Swap(tensor.mutable_int64_data());
}

KnownInts GraphImporter::toKnownInts(const TensorData &data) {
  KnownInts ints;
  ints.type = data.type;
  int64_t count = data.type.getNumElements();
  ints.values.resize(count);
  Type element = data.type.getElementType();
  for (int64_t i = 0; i < count; ++i) {
    if (element.isInteger(64)) {
      std::memcpy(&ints.values[i], data.bytes.data() + i * 8, 8);
    } else if (element.isInteger(32)) {
      int32_t v;
      std::memcpy(&v, data.bytes.data() + i * 4, 4);
      ints.values[i] = v;
    } else {
      ints.values[i] = data.bytes[i] != 0;
    }
  }
  return ints;
}

Value GraphImporter::materializeInts(Location loc, const KnownInts &ints) {
  RankedTensorType type = ints.type;
  unsigned width = type.getElementType().getIntOrFloatBitWidth();
  SmallVector<APInt> elements;
  elements.reserve(ints.values.size());
  for (int64_t v : ints.values)
    elements.push_back(APInt(width, static_cast<uint64_t>(v),
                             /*isSigned=*/width > 1, /*implicitTrunc=*/true));
  return arith::ConstantOp::create(builder, loc, type,
                                   DenseElementsAttr::get(type, elements));
}

FailureOr<Value> GraphImporter::lookup(StringRef name) {
  auto it = values.find(name);
  if (it != values.end())
    return it->second;
  auto known = knownInts.find(name);
  if (known != knownInts.end()) {
    // Materialised once, where it is first needed as an operand; placed at
    // the start of the function so that it dominates every later use.
    OpBuilder::InsertionGuard guard(builder);
    builder.setInsertionPointToStart(&func.getBody().front());
    Value value = materializeInts(
        NameLoc::get(StringAttr::get(&context, name), fileLoc), known->second);
    values[name] = value;
    return value;
  }
  auto symbolic = symbolicInts.find(name);
  if (symbolic != symbolicInts.end()) {
    // A run-time integer tensor, built where it is first needed (its
    // dynamic sizes are defined before that point).
    Location loc = NameLoc::get(StringAttr::get(&context, name), fileLoc);
    const SymbolicInts &ints = symbolic->second;
    Type element = ints.type.getElementType();
    SmallVector<Value> elements;
    for (OpFoldResult e : ints.elements) {
      if (std::optional<int64_t> c = getConstantIntValue(e))
        elements.push_back(arith::ConstantOp::create(
            builder, loc, builder.getIntegerAttr(element, *c)));
      else
        elements.push_back(arith::IndexCastOp::create(builder, loc, element,
                                                      cast<Value>(e)));
    }
    Value value =
        tensor::FromElementsOp::create(builder, loc, ints.type, elements);
    values[name] = value;
    return value;
  }
  auto constant = pending.find(name);
  if (constant == pending.end())
    return Value();
  PendingConstant entry = constant->second;
  FailureOr<TensorData> data =
      readTensor(*entry.tensor, entry.loc, "constant '" + name.str() + "'");
  if (failed(data))
    return failure();
  Value value = materializeTensor(entry.loc, std::move(*data), name);
  releaseTensorStorage(*entry.tensor);
  pending.erase(constant);
  values[name] = value;
  return value;
}

std::optional<int64_t> SymbolicInts::getConstant(size_t i) const {
  return getConstantIntValue(elements[i]);
}

Value GraphImporter::indexValue(Location loc, OpFoldResult size) {
  if (auto value = dyn_cast<Value>(size))
    return value;
  return arith::ConstantIndexOp::create(builder, loc, *getConstantIntValue(size));
}

FailureOr<SymbolicInts> GraphImporter::getSymbolicIntInput(NodeContext &n,
                                                           int i) {
  if (isSymbolicIntInput(n, i))
    return symbolicInts.find(n.node.input(i))->second;
  if (!isKnownIntInput(n, i)) {
    if (failed(getInput(n, i)))
      return failure();
    return n.emitError() << "input '" << n.node.input(i)
                         << "' must be a shape known at import (constants "
                            "and dimension sizes); it is computed at run time";
  }
  FailureOr<KnownInts> ints = getKnownIntInput(n, i);
  if (failed(ints))
    return failure();
  if (ints->rank() > 1 || ints->type.getElementType().isInteger(1))
    return n.emitError() << "input '" << n.node.input(i) << "' of type "
                         << ints->type
                         << " is not a 0-D or 1-D integer tensor";
  SymbolicInts result;
  result.type = ints->type;
  for (int64_t v : ints->values)
    result.elements.push_back(builder.getIndexAttr(v));
  return result;
}

LogicalResult GraphImporter::setSymbolicIntOutput(NodeContext &n, int i,
                                                  SymbolicInts ints) {
  bool allConstant = true;
  for (size_t e = 0; e < ints.elements.size(); ++e)
    allConstant &= ints.getConstant(e).has_value();
  if (allConstant) {
    KnownInts known;
    known.type = ints.type;
    for (size_t e = 0; e < ints.elements.size(); ++e)
      known.values.push_back(*ints.getConstant(e));
    return setKnownIntOutput(n, i, std::move(known));
  }
  if (!n.hasOutput(i))
    return success();
  const std::string &name = n.node.output(i);
  if (failed(checkUndefined(n, name)))
    return failure();
  symbolicInts[name] = std::move(ints);
  return success();
}

void GraphImporter::dropUse(StringRef name) {
  auto uses = remainingUses.find(name);
  if (uses == remainingUses.end() || uses->second == 0 || --uses->second)
    return;
  auto constant = pending.find(name);
  if (constant == pending.end())
    return;
  releaseTensorStorage(*constant->second.tensor);
  pending.erase(constant);
}

//===----------------------------------------------------------------------===//
// Node inputs and outputs
//===----------------------------------------------------------------------===//

FailureOr<Value> GraphImporter::getInput(NodeContext &n, int i) {
  if (!n.hasInput(i))
    return n.emitError() << "missing input " << i;
  const std::string &name = n.node.input(i);
  FailureOr<Value> value = lookup(name);
  if (failed(value))
    return failure();
  if (!*value)
    return n.emitError() << "input '" << name
                         << "' is not defined (no graph input, initializer "
                            "or earlier node output has this name)";
  return *value;
}

FailureOr<Value> GraphImporter::getF32Input(NodeContext &n, int i) {
  FailureOr<Value> value = getInput(n, i);
  if (failed(value))
    return failure();
  auto type = dyn_cast<RankedTensorType>(value->getType());
  if (!type || !type.getElementType().isF32())
    return n.emitError() << "input '" << n.node.input(i) << "' has type "
                         << value->getType()
                         << "; only f32 tensors are supported here";
  return *value;
}

FailureOr<Value> GraphImporter::getOptionalF32Input(NodeContext &n, int i) {
  if (!n.hasInput(i))
    return Value();
  return getF32Input(n, i);
}

bool GraphImporter::isConstantInput(NodeContext &n, int i) {
  if (!n.hasInput(i))
    return false;
  const std::string &name = n.node.input(i);
  if (pending.count(name) || knownInts.count(name))
    return true;
  Value value = values.lookup(name);
  return value && matchPattern(value, m_Constant());
}

bool GraphImporter::isKnownIntInput(NodeContext &n, int i) {
  if (!n.hasInput(i))
    return false;
  const std::string &name = n.node.input(i);
  if (knownInts.count(name))
    return true;
  auto constant = pending.find(name);
  if (constant != pending.end()) {
    int32_t type = constant->second.tensor->data_type();
    return type == onnx::TensorProto::INT64 ||
           type == onnx::TensorProto::INT32 || type == onnx::TensorProto::BOOL;
  }
  Value value = values.lookup(name);
  DenseIntElementsAttr attr;
  return value && matchPattern(value, m_Constant(&attr));
}

FailureOr<KnownInts> GraphImporter::getKnownIntInput(NodeContext &n, int i) {
  if (!n.hasInput(i))
    return n.emitError() << "missing input " << i;
  const std::string &name = n.node.input(i);
  auto known = knownInts.find(name);
  if (known != knownInts.end())
    return known->second;
  auto constant = pending.find(name);
  if (constant != pending.end()) {
    FailureOr<TensorData> data =
        readTensor(*constant->second.tensor, constant->second.loc,
                   "constant '" + name + "'");
    if (failed(data))
      return failure();
    if (data->type.getElementType().isF32())
      return n.emitError() << "input '" << name << "' is a constant of type "
                           << data->type << "; expected an integer tensor";
    KnownInts ints = toKnownInts(*data);
    // Later readers share the decoded values; the protobuf copy is freed.
    releaseTensorStorage(*constant->second.tensor);
    pending.erase(constant);
    knownInts[name] = ints;
    return ints;
  }
  FailureOr<Value> value = getInput(n, i);
  if (failed(value))
    return failure();
  DenseIntElementsAttr attr;
  if (!matchPattern(*value, m_Constant(&attr)))
    return n.emitError() << "input '" << name
                         << "' must be an integer tensor known at import (a "
                            "constant, or computed from constants and static "
                            "shapes); it is a "
                         << value->getType() << " computed at run time";
  KnownInts ints;
  ints.type = cast<RankedTensorType>(attr.getType());
  bool isBool = attr.getElementType().isInteger(1);
  for (const APInt &v : attr.getValues<APInt>())
    ints.values.push_back(isBool ? int64_t(v.getBoolValue())
                                 : v.getSExtValue());
  return ints;
}

FailureOr<RankedTensorType> GraphImporter::getInputType(NodeContext &n, int i) {
  if (!n.hasInput(i))
    return n.emitError() << "missing input " << i;
  const std::string &name = n.node.input(i);
  auto known = knownInts.find(name);
  if (known != knownInts.end())
    return known->second.type;
  auto symbolic = symbolicInts.find(name);
  if (symbolic != symbolicInts.end())
    return symbolic->second.type;
  auto constant = pending.find(name);
  if (constant != pending.end()) {
    FailureOr<TensorData> data =
        readTensor(*constant->second.tensor, constant->second.loc,
                   "constant '" + name + "'");
    if (failed(data))
      return failure();
    return data->type;
  }
  FailureOr<Value> value = getInput(n, i);
  if (failed(value))
    return failure();
  auto type = dyn_cast<RankedTensorType>(value->getType());
  if (!type)
    return n.emitError() << "input '" << name << "' has type "
                         << value->getType() << "; expected a ranked tensor";
  return type;
}

FailureOr<F32Constant> GraphImporter::getF32ConstantInput(NodeContext &n,
                                                          int i) {
  if (!n.hasInput(i))
    return n.emitError() << "missing input " << i;
  const std::string &name = n.node.input(i);
  F32Constant result;
  auto constant = pending.find(name);
  if (constant != pending.end()) {
    FailureOr<TensorData> data =
        readTensor(*constant->second.tensor, constant->second.loc,
                   "constant '" + name + "'");
    if (failed(data))
      return failure();
    if (!data->type.getElementType().isF32())
      return n.emitError() << "input '" << name << "' is a constant of type "
                           << data->type << "; expected f32";
    result.type = data->type;
    result.values = data->alignedFloats();
    if (result.values.size() !=
        static_cast<size_t>(data->type.getNumElements())) {
      result.owned.resize(data->type.getNumElements());
      if (!result.owned.empty())
        std::memcpy(result.owned.data(), data->bytes.data(),
                    data->bytes.size());
      result.values = result.owned;
    }
    result.mapping = std::move(data->mapping);
    return result;
  }
  FailureOr<Value> value = getInput(n, i);
  if (failed(value))
    return failure();
  std::optional<WeightData> weights = WeightData::fromValue(*value);
  if (!weights)
    return n.emitError() << "input '" << name
                         << "' must be an f32 constant (an initializer or "
                            "the output of a Constant node)";
  result.type = weights->getType();
  result.owned.assign(weights->values().begin(), weights->values().end());
  result.values = result.owned;
  return result;
}

FailureOr<SmallVector<int64_t>>
GraphImporter::getI64ConstantInput(NodeContext &n, int i) {
  if (!n.hasInput(i))
    return n.emitError() << "missing input " << i;
  const std::string &name = n.node.input(i);
  FailureOr<RankedTensorType> type = getInputType(n, i);
  if (failed(type))
    return failure();
  if (!type->getElementType().isInteger(64))
    return n.emitError() << "input '" << name << "' has type " << *type
                         << "; expected a constant int64 tensor";
  FailureOr<KnownInts> ints = getKnownIntInput(n, i);
  if (failed(ints))
    return failure();
  return std::move(ints->values);
}

LogicalResult GraphImporter::checkUndefined(NodeContext &n,
                                            StringRef name) {
  if (isDefined(name))
    return n.emitError() << "output '" << name
                         << "' is already defined (ONNX values are assigned "
                            "once)";
  return success();
}

LogicalResult GraphImporter::setOutput(NodeContext &n, int i, Value value) {
  if (!n.hasOutput(i))
    return success();
  const std::string &name = n.node.output(i);
  if (failed(checkUndefined(n, name)))
    return failure();
  values[name] = value;
  return success();
}

LogicalResult GraphImporter::setKnownIntOutput(NodeContext &n, int i,
                                               KnownInts ints) {
  if (!n.hasOutput(i))
    return success();
  const std::string &name = n.node.output(i);
  if (failed(checkUndefined(n, name)))
    return failure();
  knownInts[name] = std::move(ints);
  return success();
}

LogicalResult GraphImporter::setPendingConstant(NodeContext &n, int i,
                                                onnx::TensorProto *tensor) {
  if (!n.hasOutput(i))
    return success();
  const std::string &name = n.node.output(i);
  if (failed(checkUndefined(n, name)))
    return failure();
  pending.try_emplace(name, PendingConstant{tensor, n.loc});
  return success();
}

//===----------------------------------------------------------------------===//
// Attributes
//===----------------------------------------------------------------------===//

const onnx::AttributeProto *GraphImporter::findAttr(NodeContext &n,
                                                    StringRef name) {
  for (const onnx::AttributeProto &attr : n.node.attribute())
    if (attr.name() == name)
      return &attr;
  return nullptr;
}

FailureOr<int64_t> GraphImporter::getIntAttr(NodeContext &n, StringRef name,
                                             int64_t defaultValue) {
  const onnx::AttributeProto *attr = findAttr(n, name);
  if (!attr)
    return defaultValue;
  if (attr->type() == onnx::AttributeProto::INT ||
      (attr->type() == onnx::AttributeProto::UNDEFINED && attr->has_i()))
    return attr->i();
  return n.emitError() << "attribute '" << name << "' must be an int";
}

FailureOr<float> GraphImporter::getFloatAttr(NodeContext &n, StringRef name,
                                             float defaultValue) {
  const onnx::AttributeProto *attr = findAttr(n, name);
  if (!attr)
    return defaultValue;
  if (attr->type() == onnx::AttributeProto::FLOAT ||
      (attr->type() == onnx::AttributeProto::UNDEFINED && attr->has_f()))
    return attr->f();
  return n.emitError() << "attribute '" << name << "' must be a float";
}

FailureOr<std::string> GraphImporter::getStringAttr(NodeContext &n,
                                                    StringRef name,
                                                    StringRef defaultValue) {
  const onnx::AttributeProto *attr = findAttr(n, name);
  if (!attr)
    return defaultValue.str();
  if (attr->type() == onnx::AttributeProto::STRING ||
      (attr->type() == onnx::AttributeProto::UNDEFINED && attr->has_s()))
    return attr->s();
  return n.emitError() << "attribute '" << name << "' must be a string";
}

FailureOr<std::optional<SmallVector<int64_t>>>
GraphImporter::getIntsAttr(NodeContext &n, StringRef name) {
  const onnx::AttributeProto *attr = findAttr(n, name);
  if (!attr)
    return std::optional<SmallVector<int64_t>>();
  if (attr->type() != onnx::AttributeProto::INTS &&
      !(attr->type() == onnx::AttributeProto::UNDEFINED && attr->ints_size()))
    return n.emitError() << "attribute '" << name << "' must be a list of ints";
  return std::optional<SmallVector<int64_t>>(
      SmallVector<int64_t>(attr->ints().begin(), attr->ints().end()));
}

//===----------------------------------------------------------------------===//
// Building blocks
//===----------------------------------------------------------------------===//

FailureOr<SmallVector<int64_t>>
GraphImporter::broadcastShapes(NodeContext &n, ArrayRef<int64_t> lhs,
                               ArrayRef<int64_t> rhs) {
  size_t rank = std::max(lhs.size(), rhs.size());
  SmallVector<int64_t> result(rank);
  for (size_t i = 0; i < rank; ++i) {
    int64_t l = i < rank - lhs.size() ? 1 : lhs[i - (rank - lhs.size())];
    int64_t r = i < rank - rhs.size() ? 1 : rhs[i - (rank - rhs.size())];
    bool lDynamic = ShapedType::isDynamic(l), rDynamic = ShapedType::isDynamic(r);
    if (lDynamic || rDynamic) {
      // A dynamic dimension never broadcasts (see GraphImporter.h).
      if (lDynamic && rDynamic)
        result[i] = ShapedType::kDynamic;
      else if (lDynamic)
        result[i] = r == 1 ? l : r;
      else
        result[i] = l == 1 ? r : l;
      continue;
    }
    if (l != r && l != 1 && r != 1)
      return n.emitError() << "operand shapes " << shapeStr(lhs) << " and "
                           << shapeStr(rhs) << " are not broadcast-compatible";
    result[i] = l == 1 ? r : l;
  }
  return result;
}

SmallVector<ReassociationIndices>
onnx_import::unitDimReassociation(int64_t rank, ArrayRef<bool> kept) {
  SmallVector<ReassociationIndices> groups;
  ReassociationIndices current;
  for (int64_t i = 0; i < rank; ++i) {
    current.push_back(i);
    if (kept[i]) {
      groups.push_back(current);
      current.clear();
    }
  }
  if (!current.empty() && !groups.empty())
    groups.back().append(current.begin(), current.end());
  return groups;
}

namespace {
/// How a tensor broadcasts to a shape: the result dimensions it does not
/// have (leading, or unit dimensions of its own), which of its dimensions
/// stay, and their sizes.
struct BroadcastPlan {
  SmallVector<int64_t> addedDims;
  SmallVector<bool> kept;
  SmallVector<int64_t> keptShape;
};
} // namespace

static BroadcastPlan planBroadcast(RankedTensorType type,
                                   ArrayRef<int64_t> shape) {
  BroadcastPlan plan;
  int64_t offset = static_cast<int64_t>(shape.size()) - type.getRank();
  for (int64_t d = 0; d < offset; ++d)
    plan.addedDims.push_back(d);
  for (int64_t d = 0; d < type.getRank(); ++d) {
    bool broadcast = type.getDimSize(d) == 1 && shape[offset + d] != 1;
    plan.kept.push_back(!broadcast);
    if (broadcast)
      plan.addedDims.push_back(offset + d);
    else
      plan.keptShape.push_back(type.getDimSize(d));
  }
  return plan;
}

Value GraphImporter::broadcastTo(Location loc, Value value,
                                 ArrayRef<int64_t> shape) {
  auto type = cast<RankedTensorType>(value.getType());
  if (type.getShape() == shape)
    return value;
  auto resultType = RankedTensorType::get(shape, type.getElementType());
  DenseElementsAttr dense;
  if (matchPattern(value, m_Constant(&dense)) && dense.isSplat())
    return arith::ConstantOp::create(builder, loc, resultType,
                                     dense.resizeSplat(resultType));

  BroadcastPlan plan = planBroadcast(type, shape);
  auto &[addedDims, kept, keptShape] = plan;
  Value input = value;
  if (keptShape.size() != static_cast<size_t>(type.getRank()))
    input = tensor::CollapseShapeOp::create(
        builder, loc, RankedTensorType::get(keptShape, type.getElementType()),
        value, unitDimReassociation(type.getRank(), kept));
  Value init =
      tensor::EmptyOp::create(builder, loc, shape, type.getElementType());
  return linalg::BroadcastOp::create(builder, loc, input, init, addedDims)
      .getResult()[0];
}

Value GraphImporter::splatF32(Location loc, RankedTensorType type,
                              float value) {
  return arith::ConstantOp::create(builder, loc, type,
                                   DenseElementsAttr::get(type, value));
}

OpFoldResult GraphImporter::getDimSize(Location loc, Value value, int64_t d) {
  auto type = cast<RankedTensorType>(value.getType());
  if (!type.isDynamicDim(d))
    return builder.getIndexAttr(type.getDimSize(d));
  SizeOrigin origin = getDimOrigin(value, d);
  if (origin.dim < 0)
    return origin.value;
  if (origin.value.getDefiningOp())
    return tensor::DimOp::create(builder, loc, origin.value, origin.dim)
        .getResult();
  // A graph input's size: read once, where the function starts.
  Value &dim = inputDims[{origin.value, origin.dim}];
  if (!dim) {
    OpBuilder::InsertionGuard guard(builder);
    builder.setInsertionPointAfterValue(origin.value);
    dim = tensor::DimOp::create(builder, loc, origin.value, origin.dim);
  }
  return dim;
}

SmallVector<OpFoldResult> GraphImporter::getMixedSizes(Location loc,
                                                      Value value) {
  SmallVector<OpFoldResult> sizes;
  for (int64_t d = 0, e = cast<RankedTensorType>(value.getType()).getRank();
       d < e; ++d)
    sizes.push_back(getDimSize(loc, value, d));
  return sizes;
}

int GraphImporter::firstDynamicInput(NodeContext &n) {
  for (int i = 0, e = n.numInputs(); i < e; ++i) {
    if (!n.hasInput(i))
      continue;
    Value value = values.lookup(n.node.input(i));
    if (value && isDynamic(value.getType()))
      return i;
  }
  return -1;
}

FailureOr<SmallVector<Value>>
GraphImporter::dynamicSizes(NodeContext &n, ArrayRef<int64_t> shape,
                            ValueRange sources) {
  SmallVector<Value> sizes;
  int64_t rank = shape.size();
  for (int64_t d = 0; d < rank; ++d) {
    if (!ShapedType::isDynamic(shape[d]))
      continue;
    Value size;
    for (Value source : sources) {
      auto type = dyn_cast<RankedTensorType>(source.getType());
      if (!type)
        continue;
      int64_t sd = d - (rank - type.getRank());
      if (sd >= 0 && type.isDynamicDim(sd)) {
        OpFoldResult dim = getDimSize(n.loc, source, sd);
        size = getValueOrCreateConstantIndexOp(builder, n.loc, dim);
        break;
      }
    }
    if (!size)
      return n.emitError() << "cannot tell the size of dynamic dimension " << d
                           << " of the result " << shapeStr(shape)
                           << " from the operands";
    sizes.push_back(size);
  }
  return sizes;
}

FailureOr<Value> GraphImporter::emptyTensor(NodeContext &n,
                                            ArrayRef<int64_t> shape,
                                            Type element, ValueRange sources) {
  FailureOr<SmallVector<Value>> sizes = dynamicSizes(n, shape, sources);
  if (failed(sizes))
    return failure();
  return tensor::EmptyOp::create(builder, n.loc, shape, element, *sizes)
      .getResult();
}

FailureOr<Value> GraphImporter::splatF32(NodeContext &n,
                                         RankedTensorType type, float value,
                                         ValueRange sources) {
  if (type.hasStaticShape())
    return splatF32(n.loc, type, value);
  FailureOr<Value> empty =
      emptyTensor(n, type.getShape(), type.getElementType(), sources);
  if (failed(empty))
    return failure();
  Value scalar = arith::ConstantOp::create(
      builder, n.loc, builder.getFloatAttr(type.getElementType(), value));
  return linalg::FillOp::create(builder, n.loc, ValueRange{scalar},
                                ValueRange{*empty})
      .getResult(0);
}

FailureOr<std::pair<Value, Value>>
GraphImporter::broadcastPair(NodeContext &n, Value lhs, Value rhs) {
  FailureOr<SmallVector<int64_t>> shape = broadcastShapes(
      n, cast<RankedTensorType>(lhs.getType()).getShape(),
      cast<RankedTensorType>(rhs.getType()).getShape());
  if (failed(shape))
    return failure();
  FailureOr<Value> l = broadcastToDynamic(n, lhs, *shape, {lhs, rhs});
  if (failed(l))
    return failure();
  FailureOr<Value> r = broadcastToDynamic(n, rhs, *shape, {lhs, rhs});
  if (failed(r))
    return failure();
  return std::make_pair(*l, *r);
}

FailureOr<Value> GraphImporter::broadcastToDynamic(NodeContext &n, Value value,
                                                   ArrayRef<int64_t> shape,
                                                   ValueRange sources) {
  auto type = cast<RankedTensorType>(value.getType());
  if (type.hasStaticShape() && !llvm::is_contained(shape, ShapedType::kDynamic))
    return broadcastTo(n.loc, value, shape);
  int64_t offset = static_cast<int64_t>(shape.size()) - type.getRank();
  // Dynamic dimensions of `value` where the result is static take its size.
  SmallVector<int64_t> castShape(type.getShape());
  for (int64_t d = 0; d < type.getRank(); ++d)
    if (type.isDynamicDim(d) && !ShapedType::isDynamic(shape[offset + d]))
      castShape[d] = shape[offset + d];
  if (ArrayRef<int64_t>(castShape) != type.getShape()) {
    type = RankedTensorType::get(castShape, type.getElementType());
    value = tensor::CastOp::create(builder, n.loc, type, value);
  }
  if (type.getShape() == shape)
    return value;
  SmallVector<Value> allSources{value};
  allSources.append(sources.begin(), sources.end());
  DenseElementsAttr dense;
  if (matchPattern(value, m_Constant(&dense)) && dense.isSplat() &&
      isa<FloatType>(type.getElementType())) {
    FailureOr<Value> empty =
        emptyTensor(n, shape, type.getElementType(), allSources);
    if (failed(empty))
      return failure();
    Value scalar = arith::ConstantOp::create(
        builder, n.loc, cast<TypedAttr>(dense.getSplatValue<Attribute>()));
    return linalg::FillOp::create(builder, n.loc, ValueRange{scalar},
                                  ValueRange{*empty})
        .getResult(0);
  }
  BroadcastPlan plan = planBroadcast(type, shape);
  auto &[addedDims, kept, keptShape] = plan;
  FailureOr<Value> init =
      emptyTensor(n, shape, type.getElementType(), allSources);
  if (failed(init))
    return failure();
  Value input = value;
  if (keptShape.size() != static_cast<size_t>(type.getRank()))
    input = tensor::CollapseShapeOp::create(
        builder, n.loc, RankedTensorType::get(keptShape, type.getElementType()),
        value, unitDimReassociation(type.getRank(), kept));
  if (addedDims.empty())
    return input;
  return linalg::BroadcastOp::create(builder, n.loc, input, *init, addedDims)
      .getResult()[0];
}

Value GraphImporter::createF32Constant(Location loc, RankedTensorType type,
                                       ArrayRef<float> values,
                                       StringRef nameHint) {
  if (values.size() <= 1)
    return arith::ConstantOp::create(builder, loc, type,
                                     DenseElementsAttr::get(type, values));
  return createWeightConstant(builder, loc, type, values,
                              resourceKey(nameHint));
}

Value GraphImporter::createF32Constant(
    Location loc, RankedTensorType type, StringRef nameHint,
    function_ref<void(MutableArrayRef<float>)> fill) {
  size_t count = type.getNumElements();
  if (count <= 1) {
    SmallVector<float, 1> values(count);
    fill(values);
    return arith::ConstantOp::create(
        builder, loc, type, DenseElementsAttr::get(type, ArrayRef(values)));
  }
  AsmResourceBlob blob =
      HeapAsmResourceBlob::allocate(count * sizeof(float), alignof(float));
  MutableArrayRef<char> bytes = blob.getMutableData();
  fill(MutableArrayRef<float>(reinterpret_cast<float *>(bytes.data()), count));
  auto attr = DenseResourceElementsAttr::get(type, resourceKey(nameHint),
                                             std::move(blob));
  return arith::ConstantOp::create(builder, loc, type, attr);
}
