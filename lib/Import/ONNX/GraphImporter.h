//===- GraphImporter.h - ONNX graph to func.func (internal) -----*- C++ -*-===//
//
// The state of one import: the ONNX model, the function being built, the
// table from ONNX value names to MLIR values, lazily materialised constants,
// and the helpers the op handlers share (typed input access, attribute
// access, broadcasting, diagnostics that name the node, its op type and the
// opset). Internal to lib/Import/ONNX; every file that includes it is built
// with exceptions and RTTI because the onnx headers need them.
//
//===----------------------------------------------------------------------===//

#ifndef FFN_LIB_IMPORT_ONNX_GRAPHIMPORTER_H
#define FFN_LIB_IMPORT_ONNX_GRAPHIMPORTER_H

#include "ffn/Import/ONNX/Importer.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Utils/ReshapeOpsUtils.h"
#include "mlir/Dialect/Utils/StaticValueUtils.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/Diagnostics.h"
#include "llvm/ADT/StringMap.h"
#include "llvm/Support/MemoryBuffer.h"

#include "onnx/onnx_pb.h"

#include <memory>
#include <optional>
#include <vector>

namespace mlir {
namespace ffn {
namespace onnx_import {

class GraphImporter;

/// The node being imported, with what its diagnostics and handlers need.
struct NodeContext {
  GraphImporter &importer;
  onnx::NodeProto &node;
  /// The node's name, or its first output's name when it has none.
  std::string name;
  /// The opset of the node's domain.
  int64_t opset;
  Location loc;

  /// Starts an error "node 'N' (Op, opset K): ...".
  InFlightDiagnostic emitError() const;
  /// Number of inputs, counting omitted optional ones (empty names).
  int numInputs() const { return node.input_size(); }
  /// Whether input `i` is given (present with a non-empty name).
  bool hasInput(int i) const {
    return i < node.input_size() && !node.input(i).empty();
  }
  /// Whether output `i` is requested (present with a non-empty name).
  bool hasOutput(int i) const {
    return i < node.output_size() && !node.output(i).empty();
  }
};

/// Bytes of a constant tensor (an initializer or a Constant node's value) and
/// what keeps them alive.
struct TensorData {
  RankedTensorType type;
  /// Little-endian element data, `type.getNumElements()` elements.
  ArrayRef<char> bytes;
  /// The mapped external data file slice `bytes` points into, if any.
  std::unique_ptr<llvm::MemoryBuffer> mapping;
  /// Storage of data converted from typed fields (INT32/BOOL in int32_data).
  std::vector<char> owned;

  /// The data as floats when they are suitably aligned; else empty (callers
  /// copy from `bytes`).
  ArrayRef<float> alignedFloats() const;
};

/// f32 data of a constant value: a view of its storage, or an owned copy.
struct F32Constant {
  RankedTensorType type;
  ArrayRef<float> values;
  std::vector<float> owned;
  /// Keeps a mapped external data slice alive while `values` views it.
  std::unique_ptr<llvm::MemoryBuffer> mapping;
};

/// An integer (or boolean) tensor whose values are known at import: shapes,
/// axes and indices, and what shape-computation chains (Shape → Gather →
/// Unsqueeze → Concat → Reshape) compute from them. Such values are folded at
/// import and only become MLIR constants when an op needs them as operands.
struct KnownInts {
  /// Shape and element type (i64, i32 or i1).
  RankedTensorType type;
  /// The elements in row-major order, widened to int64 (i1: 0 or 1).
  SmallVector<int64_t> values;

  ArrayRef<int64_t> shape() const { return type.getShape(); }
  int64_t rank() const { return type.getRank(); }
};

/// A 0-D or 1-D integer tensor known at import up to dynamic dimension
/// sizes: a shape computation (Shape → Gather → Unsqueeze → Concat) on a
/// tensor with dynamic dimensions. Each element is a constant or an `index`
/// value (tensor.dim of the tensor). Such values stay symbolic through the
/// shape computation and give Reshape, ConstantOfShape and Expand their
/// dynamic sizes; an op that takes one as a run-time operand gets it
/// materialised as a tensor.
struct SymbolicInts {
  /// Shape (0-D or 1-D) and element type (i64 or i32).
  RankedTensorType type;
  SmallVector<OpFoldResult> elements;

  /// The constant element `i`, if it is one.
  std::optional<int64_t> getConstant(size_t i) const;
};

/// Imports one ONNX graph into a func.func @main.
class GraphImporter {
public:
  GraphImporter(MLIRContext &context, onnx::ModelProto &model,
                StringRef modelName, StringRef modelDir,
                const ImportOptions &options);

  /// Builds the module; null after diagnostics.
  OwningOpRef<ModuleOp> run();

  MLIRContext *getContext() { return &context; }
  OpBuilder &getBuilder() { return builder; }

  //===--------------------------------------------------------------------===//
  // Values
  //===--------------------------------------------------------------------===//

  /// The value input `i` of the node refers to, materialising constants.
  /// Reports a diagnostic when the input is missing or undefined.
  FailureOr<Value> getInput(NodeContext &n, int i);
  /// As getInput, but also requires a ranked f32 tensor.
  FailureOr<Value> getF32Input(NodeContext &n, int i);
  /// As getF32Input for an optional input: a null Value when omitted.
  FailureOr<Value> getOptionalF32Input(NodeContext &n, int i);

  /// Whether input `i` is a constant (initializer, Constant node or a value
  /// defined by arith.constant).
  bool isConstantInput(NodeContext &n, int i);
  /// The f32 contents of constant input `i`, without materialising it as an
  /// MLIR constant when it is not one yet. Fails with a diagnostic when it is
  /// not an f32 constant.
  FailureOr<F32Constant> getF32ConstantInput(NodeContext &n, int i);
  /// The int64 contents of constant input `i`. Fails with a diagnostic when it
  /// is not an integer constant.
  FailureOr<SmallVector<int64_t>> getI64ConstantInput(NodeContext &n, int i);

  /// Whether input `i` is an integer or boolean tensor whose values are
  /// known at import (an integer initializer or Constant, or the folded
  /// result of a shape computation).
  bool isKnownIntInput(NodeContext &n, int i);
  /// The known values of integer input `i`; fails with a diagnostic when the
  /// input is not an integer tensor known at import.
  FailureOr<KnownInts> getKnownIntInput(NodeContext &n, int i);
  /// The contents of a tensor-valued attribute of the node (ConstantOfShape's
  /// `value`), named `what` in diagnostics.
  FailureOr<TensorData> readAttrTensor(NodeContext &n,
                                       const onnx::TensorProto &tensor,
                                       StringRef what) {
    return readTensor(tensor, n.loc, what);
  }
  /// Whether input `i` holds symbolic integers (see SymbolicInts).
  bool isSymbolicIntInput(NodeContext &n, int i) {
    return n.hasInput(i) && symbolicInts.count(n.node.input(i));
  }
  /// Input `i` as symbolic integers: symbolic ones as they are, a 0-D or
  /// 1-D integer tensor known at import with constant elements. Fails with a
  /// diagnostic for anything else.
  FailureOr<SymbolicInts> getSymbolicIntInput(NodeContext &n, int i);
  /// Defines output `i` as symbolic integers (known integers when every
  /// element is a constant).
  LogicalResult setSymbolicIntOutput(NodeContext &n, int i, SymbolicInts ints);
  /// `size` as an index value.
  Value indexValue(Location loc, OpFoldResult size);
  /// Builds the arith.constant for known integer values.
  Value materializeInts(Location loc, const KnownInts &ints);
  /// The integer contents of `data` (i64, i32 or i1 elements).
  static KnownInts toKnownInts(const TensorData &data);
  /// The type of input `i` (without materialising a pending constant).
  FailureOr<RankedTensorType> getInputType(NodeContext &n, int i);

  /// Defines output `i` of the node.
  LogicalResult setOutput(NodeContext &n, int i, Value value);
  /// Defines output `i` as integer values known at import.
  LogicalResult setKnownIntOutput(NodeContext &n, int i, KnownInts ints);
  /// Defines output `i` as a constant to be materialised on first use.
  LogicalResult setPendingConstant(NodeContext &n, int i,
                                   onnx::TensorProto *tensor);

  //===--------------------------------------------------------------------===//
  // Attributes
  //===--------------------------------------------------------------------===//

  const onnx::AttributeProto *findAttr(NodeContext &n, StringRef name);
  FailureOr<int64_t> getIntAttr(NodeContext &n, StringRef name,
                                int64_t defaultValue);
  FailureOr<float> getFloatAttr(NodeContext &n, StringRef name,
                                float defaultValue);
  FailureOr<std::string> getStringAttr(NodeContext &n, StringRef name,
                                       StringRef defaultValue);
  /// The ints of attribute `name`, or std::nullopt when it is absent.
  FailureOr<std::optional<SmallVector<int64_t>>> getIntsAttr(NodeContext &n,
                                                             StringRef name);

  //===--------------------------------------------------------------------===//
  // Building blocks
  //===--------------------------------------------------------------------===//

  /// The numpy broadcast of two shapes, or failure with a diagnostic.
  FailureOr<SmallVector<int64_t>>
  broadcastShapes(NodeContext &n, ArrayRef<int64_t> lhs, ArrayRef<int64_t> rhs);
  /// `value` broadcast to `shape` (which must be a valid numpy broadcast of
  /// its shape): unchanged, a splat constant, or collapse_shape +
  /// linalg.broadcast.
  Value broadcastTo(Location loc, Value value, ArrayRef<int64_t> shape);
  /// A splat f32 constant of `type`.
  Value splatF32(Location loc, RankedTensorType type, float value);

  //===--------------------------------------------------------------------===//
  // Dynamic dimensions
  //
  // A dynamic dimension (an ONNX dim_param) is assumed never to broadcast:
  // against a static size N it is taken to be N, and two dynamic dimensions
  // at one position are taken to be equal. The helpers below take the size
  // of every dynamic dimension they create from `sources`: tensor.dim of the
  // first source whose dimension at the same position, counted from the
  // right as numpy broadcasting does, is dynamic.
  //===--------------------------------------------------------------------===//

  /// Whether `type` has a dynamic dimension.
  static bool isDynamic(Type type) {
    auto ranked = dyn_cast<RankedTensorType>(type);
    return ranked && !ranked.hasStaticShape();
  }
  /// The size of dimension `d` of `value`: a constant when static, else an
  /// index value traced back to where the size comes from (a graph input's
  /// tensor.dim, created once; a tensor.empty's size operand) through ops
  /// that keep it (elementwise ops, linalg ops and their inits, the leading
  /// dimensions of ffn ops, casts, unit reshapes). Sizes of one origin are
  /// then one SSA value, so that shape arithmetic can cancel them (a
  /// Reshape's -1 over [B, T, h, d] with B and T read elsewhere).
  OpFoldResult getDimSize(Location loc, Value value, int64_t d);
  /// getDimSize of every dimension of `value`.
  SmallVector<OpFoldResult> getMixedSizes(Location loc, Value value);

  /// The index of the first input of the node that is a value with dynamic
  /// dimensions (pending constants and known integers are static), or -1.
  int firstDynamicInput(NodeContext &n);
  /// The sizes of the dynamic dimensions of `shape`, in order. Fails with a
  /// diagnostic when no source gives one.
  FailureOr<SmallVector<Value>> dynamicSizes(NodeContext &n,
                                             ArrayRef<int64_t> shape,
                                             ValueRange sources);
  /// tensor.empty of `shape` and `element`, its dynamic sizes from `sources`.
  FailureOr<Value> emptyTensor(NodeContext &n, ArrayRef<int64_t> shape,
                               Type element, ValueRange sources);
  /// broadcastTo for shapes that may be dynamic: the dynamic dimensions of
  /// `value` where `shape` is static are cast to it, unit dimensions where
  /// `shape` is dynamic are broadcast to the size `sources` give.
  FailureOr<Value> broadcastToDynamic(NodeContext &n, Value value,
                                      ArrayRef<int64_t> shape,
                                      ValueRange sources);
  /// `lhs` and `rhs` broadcast (numpy) to their common shape.
  FailureOr<std::pair<Value, Value>> broadcastPair(NodeContext &n, Value lhs,
                                                   Value rhs);
  /// A tensor of `type` filled with `value`: a splat constant when `type`
  /// is static, else linalg.fill of a tensor.empty sized from `sources`.
  FailureOr<Value> splatF32(NodeContext &n, RankedTensorType type, float value,
                            ValueRange sources);
  /// A resource-blob f32 constant of `type` holding `values`.
  Value createF32Constant(Location loc, RankedTensorType type,
                          ArrayRef<float> values, StringRef nameHint);
  /// A resource-blob f32 constant of `type` whose data `fill` writes in place
  /// (no intermediate copy of large weights).
  Value createF32Constant(Location loc, RankedTensorType type,
                          StringRef nameHint,
                          function_ref<void(MutableArrayRef<float>)> fill);

  /// A constant derived from constants at import (a transposed weight),
  /// cached by a key naming its source and transformation, so that a weight
  /// used by several nodes is transformed once; null if not created yet.
  Value getDerivedConstant(StringRef key) { return derived.lookup(key); }
  void setDerivedConstant(StringRef key, Value value) { derived[key] = value; }

  /// "2x3x4" (or "scalar").
  static std::string shapeStr(ArrayRef<int64_t> shape);

private:
  struct PendingConstant {
    onnx::TensorProto *tensor;
    Location loc;
  };

  LogicalResult importInputs();
  LogicalResult importNode(onnx::NodeProto &node, size_t index);
  LogicalResult importOutputs();

  /// Fails with a diagnostic when output `name` is already defined.
  LogicalResult checkUndefined(NodeContext &n, StringRef name);
  /// Reads the data of `tensor` (named `what` in diagnostics) at `loc`.
  FailureOr<TensorData> readTensor(const onnx::TensorProto &tensor,
                                   Location loc, StringRef what);
  FailureOr<std::unique_ptr<llvm::MemoryBuffer>>
  readExternalData(const onnx::TensorProto &tensor, Location loc,
                   uint64_t expectedBytes);
  /// Whether `name` is already defined (a value, a pending constant or known
  /// integers).
  bool isDefined(StringRef name) const {
    return values.count(name) || pending.count(name) ||
           knownInts.count(name) || symbolicInts.count(name);
  }
  /// Builds the arith.constant for `data`.
  Value materializeTensor(Location loc, TensorData data, StringRef name);
  /// The value of `name`, materialising a pending constant; null if `name`
  /// is not defined.
  FailureOr<Value> lookup(StringRef name);
  /// Frees the protobuf storage of a constant nobody needs any more.
  static void releaseTensorStorage(onnx::TensorProto &tensor);
  /// Counts down the remaining uses of `name`, releasing a pending constant
  /// that has no uses left.
  void dropUse(StringRef name);

  MLIRContext &context;
  onnx::ModelProto &model;
  std::string modelName;
  std::string modelDir;
  const ImportOptions &options;
  OpBuilder builder;
  Location fileLoc;
  /// Opset versions by domain ("" is the default domain).
  llvm::StringMap<int64_t> opsets;

  llvm::StringMap<Value> values;
  llvm::StringMap<PendingConstant> pending;
  llvm::StringMap<unsigned> remainingUses;
  llvm::StringMap<Value> derived;
  llvm::StringMap<KnownInts> knownInts;
  llvm::StringMap<SymbolicInts> symbolicInts;
  /// tensor.dim of graph inputs, created once at the function's start.
  DenseMap<std::pair<Value, int64_t>, Value> inputDims;
  func::FuncOp func;
};

/// The reassociation that groups the dimensions of a rank-`rank` shape
/// around those in `kept`: every other dimension (of size 1) joins the group
/// of the next kept one, trailing ones the last group. Empty when nothing is
/// kept (all dimensions collapse into, or expand from, a rank-0 tensor).
SmallVector<ReassociationIndices> unitDimReassociation(int64_t rank,
                                                       ArrayRef<bool> kept);

/// Imports `n` by its op type and opset; reports unsupported ops.
LogicalResult importOp(NodeContext &n);

//===----------------------------------------------------------------------===//
// Op handlers defined outside Ops.cpp
//===----------------------------------------------------------------------===//

/// Checks that the node has between `min` and `max` inputs.
LogicalResult checkArity(NodeContext &n, int min, int max);

// TensorOps.cpp: data movement and shape computations, folded on known
// integers and built as tensor/linalg ops on f32 tensors.
LogicalResult importShape(NodeContext &n);
LogicalResult importReshape(NodeContext &n);
LogicalResult importTranspose(NodeContext &n);
LogicalResult importConcat(NodeContext &n);
LogicalResult importSlice(NodeContext &n);
LogicalResult importSplit13(NodeContext &n);
LogicalResult importSplit18(NodeContext &n);
LogicalResult importSqueeze(NodeContext &n);
LogicalResult importUnsqueeze(NodeContext &n);
LogicalResult importGather(NodeContext &n);
LogicalResult importConstantOfShape(NodeContext &n);
LogicalResult importExpand(NodeContext &n);
LogicalResult importWhere(NodeContext &n);
LogicalResult importEqual(NodeContext &n);
LogicalResult importCast(NodeContext &n);
LogicalResult importRange(NodeContext &n);
/// Add/Sub/Mul/Div on known integers (an f32 handler is used otherwise);
/// `op` is '+', '-', '*' or '/'.
/// Imports the node when it computes on symbolic integers (Symbolic.cpp):
/// a Shape of a tensor with dynamic dimensions, shape arithmetic on its
/// result, or a Reshape/ConstantOfShape/Expand to a symbolic shape.
/// std::nullopt when the node is not such an op.
std::optional<LogicalResult> importWithSymbolicInts(NodeContext &n);

/// Fails with a diagnostic when an input of the node has dynamic
/// dimensions (for the forms of a dynamic-capable op that are not).
LogicalResult requireStaticInputs(NodeContext &n);
LogicalResult foldIntBinary(NodeContext &n, char op);
/// Whether all of the node's given inputs are known integers.
bool allInputsKnownInts(NodeContext &n);

// Norms.cpp: BatchNormalization (inference form) as a channels-last
// ffn.batch_norm.
LogicalResult importBatchNormalization(NodeContext &n);

// Attention.cpp: products of activations and Softmax.
LogicalResult importSoftmax(NodeContext &n);
/// MatMul whose operands are not (activation, constant 2-D weight):
/// linalg.matmul / linalg.batch_matmul with numpy batch broadcasting.
LogicalResult importGeneralMatMul(NodeContext &n);

// Conv.cpp: patch embeddings.
/// Conv with kernel equal to strides (no padding, group 1, dilation 1) as
/// patches times the weight in one ffn.linear; rejects other convolutions.
LogicalResult importConv(NodeContext &n);
LogicalResult importFlatten(NodeContext &n);

} // namespace onnx_import
} // namespace ffn
} // namespace mlir

#endif // FFN_LIB_IMPORT_ONNX_GRAPHIMPORTER_H
