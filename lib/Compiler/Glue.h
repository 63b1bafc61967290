//===- Glue.h - C glue around a compiled model ------------------*- C++ -*-===//
//
// Generates the C source that adapts the model's MLIR entry point (memref
// descriptors) to the runtime ABI (ffn/Runtime/ModelABI.h) and, for shared
// libraries, the public C API and its header.
//
//===----------------------------------------------------------------------===//

#ifndef FFN_LIB_COMPILER_GLUE_H
#define FFN_LIB_COMPILER_GLUE_H

#include "ffn/Compiler/Compiler.h"
#include <string>

namespace mlir {
namespace ffn {
/// Name of the C-interface symbol of the model's entry function.
std::string cInterfaceSymbol(const ModelInterface &model);

/// The glue source. `libName` is the C API prefix; with `forLibrary` the
/// public `libName_*` API is defined and the runtime descriptor is hidden.
std::string generateGlueSource(const ModelInterface &model,
                               llvm::StringRef libName, bool forLibrary);

/// The public header of a shared library built from `model`.
std::string generateLibraryHeader(const ModelInterface &model,
                                  llvm::StringRef libName);
} // namespace ffn
} // namespace mlir

#endif // FFN_LIB_COMPILER_GLUE_H
