//===- Weights.cpp - compile-time access to constant weights --------------===//
//
// Reads f32 constants (dense and dense_resource) and creates resource-backed
// constants for weights the compiler computes.
//
//===----------------------------------------------------------------------===//

#include "ffn/Utils/Weights.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/BuiltinDialect.h"
#include "mlir/IR/DialectResourceBlobManager.h"
#include "mlir/IR/Matchers.h"
#include "llvm/ADT/StringSet.h"

#include <cstring>

using namespace mlir;
using namespace mlir::ffn;

/// The data of a resource-backed constant when it holds exactly `size`
/// bytes, or std::nullopt (a blob already released, or a size mismatch).
static std::optional<ArrayRef<char>> blobBytes(DenseResourceElementsAttr attr,
                                               size_t size) {
  AsmResourceBlob *blob = attr.getRawHandle().getBlob();
  if (!blob || blob->getData().size() != size)
    return std::nullopt;
  return blob->getData();
}

std::optional<WeightData> WeightData::fromValue(Value value) {
  auto type = dyn_cast<RankedTensorType>(value.getType());
  if (!type || !type.getElementType().isF32() || !type.hasStaticShape())
    return std::nullopt;
  Attribute attr;
  if (!matchPattern(value, m_Constant(&attr)))
    return std::nullopt;
  WeightData data;
  data.type = type;
  int64_t count = type.getNumElements();
  if (auto resource = dyn_cast<DenseResourceElementsAttr>(attr)) {
    std::optional<ArrayRef<char>> bytes =
        blobBytes(resource, count * sizeof(float));
    if (!bytes)
      return std::nullopt;
    data.view = ArrayRef<float>(reinterpret_cast<const float *>(bytes->data()),
                                count);
    return data;
  }
  auto dense = dyn_cast<DenseElementsAttr>(attr);
  if (!dense)
    return std::nullopt;
  if (dense.isSplat()) {
    data.owned.assign(count, dense.getSplatValue<float>());
  } else {
    auto range = dense.getValues<float>();
    data.owned.assign(range.begin(), range.end());
  }
  data.view = data.owned;
  return data;
}

/// An `arith.constant` of `type` holding a copy of `data` in a new resource
/// blob named after `nameHint`.
template <typename T>
static Value createResourceConstant(OpBuilder &builder, Location loc,
                                    RankedTensorType type, ArrayRef<T> data,
                                    StringRef nameHint) {
  AsmResourceBlob blob = HeapAsmResourceBlob::allocateAndCopyInferAlign(data);
  auto attr = DenseResourceElementsAttr::get(type, nameHint, std::move(blob));
  return arith::ConstantOp::create(builder, loc, type, attr);
}

Value mlir::ffn::createWeightConstant(OpBuilder &builder, Location loc,
                                      RankedTensorType type,
                                      ArrayRef<float> data,
                                      StringRef nameHint) {
  return createResourceConstant(builder, loc, type, data, nameHint);
}

Value mlir::ffn::createIndexConstant(OpBuilder &builder, Location loc,
                                     RankedTensorType type,
                                     ArrayRef<int32_t> data,
                                     StringRef nameHint) {
  return createResourceConstant(builder, loc, type, data, nameHint);
}

std::optional<std::vector<int32_t>> mlir::ffn::readIndexConstant(Value value) {
  auto type = dyn_cast<RankedTensorType>(value.getType());
  if (!type || !type.getElementType().isInteger(32) || !type.hasStaticShape())
    return std::nullopt;
  Attribute attr;
  if (!matchPattern(value, m_Constant(&attr)))
    return std::nullopt;
  int64_t count = type.getNumElements();
  if (auto resource = dyn_cast<DenseResourceElementsAttr>(attr)) {
    std::optional<ArrayRef<char>> bytes =
        blobBytes(resource, count * sizeof(int32_t));
    if (!bytes)
      return std::nullopt;
    const auto *begin = reinterpret_cast<const int32_t *>(bytes->data());
    return std::vector<int32_t>(begin, begin + count);
  }
  auto dense = dyn_cast<DenseIntElementsAttr>(attr);
  if (!dense)
    return std::nullopt;
  std::vector<int32_t> values;
  values.reserve(count);
  for (const APInt &v : dense.getValues<APInt>())
    values.push_back(static_cast<int32_t>(v.getSExtValue()));
  return values;
}

llvm::StringSet<> mlir::ffn::findSinglyReferencedWeights(Operation *root) {
  llvm::StringMap<unsigned> count;
  root->walk([&](Operation *op) {
    llvm::StringSet<> keys;
    op->getAttrDictionary().walk([&](DenseResourceElementsAttr attr) {
      keys.insert(attr.getRawHandle().getKey());
    });
    for (const auto &key : keys)
      ++count[key.getKey()];
  });
  llvm::StringSet<> single;
  for (const auto &entry : count)
    if (entry.getValue() == 1)
      single.insert(entry.getKey());
  return single;
}

Value mlir::ffn::reuseWeightConstant(OpBuilder &builder, Location loc,
                                     RankedTensorType type,
                                     ArrayRef<float> data, Value old,
                                     const llvm::StringSet<> &single) {
  auto constant = old.getDefiningOp<arith::ConstantOp>();
  if (!constant || !old.hasOneUse())
    return nullptr;
  auto attr = dyn_cast<DenseResourceElementsAttr>(constant.getValue());
  if (!attr || !single.contains(attr.getRawHandle().getKey()))
    return nullptr;
  AsmResourceBlob *blob = attr.getRawHandle().getBlob();
  if (!blob || !blob->isMutable() ||
      blob->getData().size() != data.size() * sizeof(float))
    return nullptr;
  std::memcpy(blob->getMutableData().data(), data.data(),
              data.size() * sizeof(float));
  return arith::ConstantOp::create(
      builder, loc, type,
      DenseResourceElementsAttr::get(type, attr.getRawHandle()));
}

void mlir::ffn::releaseWeight(DenseResourceElementsAttr attr) {
  DenseResourceElementsHandle handle = attr.getRawHandle();
  if (AsmResourceBlob *blob = handle.getBlob(); blob && !blob->getData().empty())
    DenseResourceElementsHandle::getManagerInterface(attr.getContext())
        .getBlobManager()
        .update(handle.getKey(), AsmResourceBlob());
}

size_t mlir::ffn::releaseUnusedWeights(MLIRContext *context, Operation *root) {
  llvm::StringSet<> used;
  if (root)
    root->walk([&](Operation *op) {
      op->getAttrDictionary().walk([&](DenseResourceElementsAttr attr) {
        used.insert(attr.getRawHandle().getKey());
      });
    });
  DialectResourceBlobManager &manager =
      DenseResourceElementsHandle::getManagerInterface(context)
          .getBlobManager();
  std::vector<std::string> dead;
  size_t bytes = 0;
  manager.getBlobMap([&](const llvm::StringMap<
                         DialectResourceBlobManager::BlobEntry> &map) {
    for (const auto &entry : map) {
      const AsmResourceBlob *blob = entry.getValue().getBlob();
      if (!blob || blob->getData().empty() || used.contains(entry.getKey()))
        continue;
      dead.push_back(entry.getKey().str());
      bytes += blob->getData().size();
    }
  });
  for (const std::string &name : dead)
    manager.update(name, AsmResourceBlob());
  return bytes;
}
