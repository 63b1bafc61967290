//===- TileAndFuse.h - tile an op and fuse chosen producers -----*- C++ -*-===//
//
// The tile-and-fuse step shared by the CPU and GPU code generators: they
// differ in the loops they tile with (scf.forall for threads, GPU mappings,
// scf.for) and in which producers they fuse, not in how.
//
//===----------------------------------------------------------------------===//

#ifndef FFN_LIB_CODEGEN_TILEANDFUSE_H
#define FFN_LIB_CODEGEN_TILEANDFUSE_H

#include "mlir/Dialect/SCF/Transforms/TileUsingInterface.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/Interfaces/TilingInterface.h"
#include "llvm/ADT/SetVector.h"
#include "llvm/ADT/SmallPtrSet.h"

namespace mlir {
namespace ffn {

/// Tiles `root` as `tiling` says and fuses into the tiles the producers in
/// `fusable` (and only those) that the tiles read through slices. `root`'s
/// uses are replaced by the tiled results and `root` is erased once unused.
/// Returns the tiled and fused ops, the tiled root first.
FailureOr<llvm::SetVector<Operation *>>
tileAndFuseProducers(RewriterBase &rewriter, TilingInterface root,
                     const scf::SCFTilingOptions &tiling,
                     const llvm::SmallPtrSetImpl<Operation *> &fusable);

} // namespace ffn
} // namespace mlir

#endif // FFN_LIB_CODEGEN_TILEANDFUSE_H
