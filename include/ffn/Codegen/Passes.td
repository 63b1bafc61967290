//===- Passes.td - ffn code generation passes --------------*- tablegen -*-===//
//
// Passes that turn linalg on tensors into fast native code.
//
//===----------------------------------------------------------------------===//

#ifndef FFN_CODEGEN_PASSES_TD
#define FFN_CODEGEN_PASSES_TD

include "mlir/Pass/PassBase.td"

def CPUFuseElementwise : Pass<"ffn-cpu-fuse-elementwise"> {
  let summary = "Fuse elementwise linalg ops and sink reshapes below them";
  let description = [{
    Fuses chains of elementwise `linalg.generic` ops (bias, activation,
    residual) into single ops, and moves the `tensor.expand_shape` that
    follows a GEMM on collapsed token dimensions below its elementwise
    consumers by collapsing those consumers to the GEMM's rank. Unlike
    upstream `linalg-fuse-elementwise-ops`, reshapes are never propagated
    into GEMMs by expansion: that would turn `linalg.matmul` into a
    higher-rank generic the GEMM code generation does not recognise, and
    a [B, T, D] model would lose its fast path.
  }];
  let dependentDialects = [
    "::mlir::linalg::LinalgDialect",
    "::mlir::tensor::TensorDialect",
  ];
}

def CPUExpandStridedCopies : Pass<"ffn-cpu-expand-strided-copies"> {
  let summary = "Turn memref.copy of non-contiguous buffers into linalg.copy";
  let description = [{
    The LLVM lowering of `memref.copy` calls the `memrefCopy` function of
    MLIR's runner-utils library when a side is not contiguous. Compiled
    models do not link that library, so such copies become `linalg.copy`
    (lowered to loops later); contiguous copies stay `memref.copy` and
    become `memcpy`.

    `memref.expand_shape` and `memref.collapse_shape` of identity-layout
    buffers with dynamic sizes become `memref.reinterpret_cast` with the
    row-major strides computed from the sizes (MLIR 22's
    `expand-strided-metadata` crashes on those reshapes).
  }];
  let dependentDialects = ["::mlir::arith::ArithDialect",
                           "::mlir::linalg::LinalgDialect"];
}

def CPULowerVector : Pass<"ffn-cpu-lower-vector"> {
  let summary = "Lower vector ops to the forms the LLVM backend handles well";
  let description = [{
    Lowers `vector.contract` to outer products (and those to FMAs), vector
    transfers to loads and stores, multi-reductions to reductions, masks,
    transposes and broadcasts, and replaces math functions (erf, tanh, exp)
    by vectorisable polynomial approximations. Each group runs as its own
    pattern application; canonicalisation is kept out of them.
  }];
  let dependentDialects = [
    "::mlir::arith::ArithDialect",
    "::mlir::math::MathDialect",
    "::mlir::scf::SCFDialect",
    "::mlir::vector::VectorDialect",
  ];
}

def CPUTileAndVectorize : Pass<"ffn-cpu-tile-and-vectorize",
                               "::mlir::func::FuncOp"> {
  let summary = "Tile linalg ops for threads, cache and registers, and vectorise";
  let description = [{
    The CPU code generation strategy:

    1. Every GEMM (`linalg.matmul`) is tiled into `scf.forall` tiles that the
       pipeline maps to OpenMP threads; an elementwise consumer of the GEMM
       (bias, activation, residual) becomes the root of the tile, with the
       GEMM and the producer of its accumulator fused into it, so epilogues
       run on tiles that are still in cache. Other ops get thread tiles over
       their outer parallel dimension.
    2. Inside the tiles, GEMMs are tiled over K for the cache and then into
       register tiles (`mr x nr x 1`: 6x16 on AVX2, 8x32 on AVX-512); every
       other op is tiled so that its innermost dimension fills a few vector
       registers. Loops whose step does not divide their range are peeled, so
       with static shapes every tile, remainders included, is static.
    3. A constant GEMM weight is packed at compile time into panels of nr
       columns (`[ceil(N/nr), K, nr]`, zero padded) and the register tiles
       read from the panel of their columns: the K loop streams through
       contiguous memory.
    4. Register tiles are vectorised (GEMM tiles to `vector.contract`), and
       the accumulators are hoisted out of the K loops so they live in
       registers. Tiles that stay dynamic are vectorised with masks when all
       their operands are read through permutations (elementwise ops);
       dynamic GEMM and broadcast tiles are left to the scalar fallback.

    Vector sizes stay bounded by the register tile: nothing is unrolled past
    a few dozen registers.
  }];
  let options = [
    Option<"vectorWidth", "vector-width", "int64_t", /*default=*/"16",
           "f32 lanes in a native vector register (16: AVX-512, 8: AVX2)">,
    Option<"threadTileM", "thread-tile-m", "int64_t", /*default=*/"64",
           "rows of a GEMM tile given to one thread">,
    Option<"threadTileN", "thread-tile-n", "int64_t", /*default=*/"256",
           "columns of a GEMM tile given to one thread">,
    Option<"cacheTileK", "cache-tile-k", "int64_t", /*default=*/"256",
           "reduction depth of a GEMM cache block">,
    Option<"kUnroll", "k-unroll", "int64_t", /*default=*/"4",
           "unroll factor of the K loops of GEMM register tiles">,
    Option<"fuseFFN", "fuse-ffn", "std::string", /*default=*/"\"auto\"",
           "whole-FFN fusion (no [T, H] intermediate): auto (where the "
           "intermediate exceeds fuse-ffn-min-bytes), always or never">,
    Option<"fuseFFNMinBytes", "fuse-ffn-min-bytes", "int64_t",
           /*default=*/"16777216",
           "size of the [T, H] intermediate from which auto fuses the FFN">,
    Option<"hiddenTile", "hidden-tile", "int64_t", /*default=*/"256",
           "neurons per step of the hidden loop of a fused FFN">,
    Option<"fuseLowRank", "fuse-low-rank", "bool", /*default=*/"true",
           "low-rank pairs (a GEMM reading a thin GEMM's [T, r] product) in "
           "one thread tile of token rows, the [rows, r] product kept in "
           "cache (pairs with too few rows for two tiles stay apart)">,
    Option<"fuseLowRankMaxRank", "fuse-low-rank-max-rank", "int64_t",
           /*default=*/"384",
           "largest rank r fused (above it the separate GEMMs were "
           "as fast or faster: 0.86x to 1.00x fused at r = 512 on a BERT-base "
           "FFN)">,
    Option<"releaseWeights", "release-weights", "bool", /*default=*/"false",
           "Free each weight as soon as its packed copy replaces it (for "
           "weights no other function or module refers to: ffn-compile's "
           "final build)">,
  ];
  let dependentDialects = [
    "::mlir::affine::AffineDialect",
    "::mlir::arith::ArithDialect",
    "::mlir::linalg::LinalgDialect",
    "::mlir::scf::SCFDialect",
    "::mlir::tensor::TensorDialect",
    "::mlir::vector::VectorDialect",
  ];
}

//===----------------------------------------------------------------------===//
// GPU (NVIDIA) code generation
//===----------------------------------------------------------------------===//

def GPUDeviceMemory : Pass<"ffn-gpu-device-memory", "::mlir::ModuleOp"> {
  let summary = "Move the host-side buffers of bufferised functions to the GPU";
  let description = [{
    Runs after bufferisation, before the thread tiles become GPU kernels.
    Every memref argument of a public function (caller-owned host memory)
    gets a device buffer: it is copied in at entry and, unless it is a
    read-only input (`bufferization.writable = false`), copied back before
    returning. `memref.alloc`/`memref.dealloc` outside the tiles become
    `gpu.alloc`/`gpu.dealloc`, contiguous `memref.copy` becomes
    `gpu.memcpy`, and `memref.get_global` of a constant (a weight) becomes a
    call to the runtime's `ffn_cuda_constant_<type>`, which uploads the
    weight once per process and returns its device copy. Temporaries inside
    the tiles become stack buffers of the thread. Linalg ops left
    outside the tiles are reported: they would run on the host over device
    memory.
  }];
  let dependentDialects = [
    "::mlir::arith::ArithDialect",
    "::mlir::func::FuncDialect",
    "::mlir::gpu::GPUDialect",
    "::mlir::memref::MemRefDialect",
    "::mlir::scf::SCFDialect",
  ];
}

def GPULibraryGemm : Pass<"ffn-gpu-library-gemm", "::mlir::ModuleOp"> {
  let summary = "Replace the GEMMs chosen for a library by runtime calls";
  let description = [{
    Runs after bufferisation, before `ffn-gpu-device-memory`. Every linalg
    contraction on buffers that `ffn-gpu-select-gemm` marked with
    `ffn.gpu_library_gemm` becomes a call to the CUDA runtime's
    `ffn_cuda_sgemm` (2-D) or `ffn_cuda_sgemm_batched` (one batch
    dimension), which runs cuBLAS on the memref descriptors of A, B and C
    (row-major, each possibly transposed, leading dimension from its
    strides): `C = A·B + beta·C`, beta as marked (1: the accumulator was
    pre-filled, e.g. with the broadcast bias; 0: it is overwritten). An
    operand whose innermost stride is not 1 is copied to a contiguous
    temporary first. `ffn-gpu-device-memory` then gives the call device
    buffers like every other host-side use.
  }];
  let dependentDialects = [
    "::mlir::arith::ArithDialect",
    "::mlir::func::FuncDialect",
    "::mlir::memref::MemRefDialect",
  ];
}

def GPUMapForall : Pass<"ffn-gpu-map-forall", "::mlir::func::FuncOp"> {
  let summary = "Turn nested scf.forall tiles into scf.parallel mapped to the GPU";
  let description = [{
    Outermost `scf.forall` loops become `scf.parallel` loops mapped to
    blocks, the loops nested directly in them to threads, deeper ones run
    sequentially. The last induction variable maps to `x` (consecutive
    threads touch consecutive elements of the innermost dimension), the one
    before to `y`, then `z`; further dimensions are sequential.
    `convert-parallel-loops-to-gpu` then builds the `gpu.launch` ops.
  }];
  let dependentDialects = [
    "::mlir::gpu::GPUDialect",
    "::mlir::scf::SCFDialect",
  ];
}

def GPUSelectGemm : Pass<"ffn-gpu-select-gemm", "::mlir::func::FuncOp"> {
  let summary = "Choose, per GEMM, between a library call and generated code";
  let description = [{
    Runs on linalg on tensors, before `ffn-gpu-tile`. With
    `library=cublas`, every contraction cuBLAS can take (f32 operands and
    result, static shapes, one M, N and K dimension and at most one batch
    dimension, A and B each row-major or transposed, C in (batch, M, N)
    order, sizes within cuBLAS's 32-bit integers) is marked with
    `ffn.gpu_library_gemm`; `ffn-gpu-tile` leaves it alone (it is neither
    tiled nor fused into its consumers' tiles, which become their own
    kernels: the bias broadcast that fills the accumulator, the activation,
    the residual) and `ffn-gpu-library-gemm` turns it into a runtime call
    after bufferisation. An accumulator initialised by a zero `linalg.fill`
    is dropped (beta = 0). Every other contraction stays generated. With
    `library=none` nothing is marked. `remarks` reports the choice for each
    contraction as a remark on it.
  }];
  let options = [
    Option<"library", "library", "std::string", /*default=*/"\"cublas\"",
           "GEMM library: cublas or none (every GEMM generated)">,
    Option<"remarks", "remarks", "bool", /*default=*/"false",
           "Emit a remark naming the choice for every contraction">,
  ];
  let dependentDialects = [
    "::mlir::linalg::LinalgDialect",
    "::mlir::tensor::TensorDialect",
  ];
}

def GPUTile : Pass<"ffn-gpu-tile", "::mlir::func::FuncOp"> {
  let summary = "Tile linalg ops on tensors into GPU block and thread tiles";
  let description = [{
    Every linalg op at the top level of a function becomes two nested
    `scf.forall` loops: block tiles over (up to three of) its parallel
    dimensions and, inside, thread tiles of one element (or
    `gemm-thread-tile` elements for GEMMs). Producers are fused into the
    tiles when each element they produce is read by exactly one tile: the
    GEMM of an elementwise consumer (bias, activation, residual), the
    broadcast bias that initialises a GEMM's accumulator, and elementwise
    producers. So a linear layer with its activation is one kernel.
    Reduction dimensions stay whole inside a thread. This is the plain
    SIMT strategy: no shared memory and no tensor cores yet.
  }];
  let options = [
    Option<"blockTileX", "block-tile-x", "int64_t", /*default=*/"32",
           "elements of the innermost parallel dimension per block">,
    Option<"blockTileY", "block-tile-y", "int64_t", /*default=*/"8",
           "elements of the next parallel dimension per block">,
    Option<"gemmThreadTile", "gemm-thread-tile", "int64_t", /*default=*/"1",
           "GEMM outputs per thread along each of the last two dimensions">,
  ];
  let dependentDialects = [
    "::mlir::affine::AffineDialect",
    "::mlir::arith::ArithDialect",
    "::mlir::gpu::GPUDialect",
    "::mlir::linalg::LinalgDialect",
    "::mlir::scf::SCFDialect",
    "::mlir::tensor::TensorDialect",
  ];
}

#endif // FFN_CODEGEN_PASSES_TD
