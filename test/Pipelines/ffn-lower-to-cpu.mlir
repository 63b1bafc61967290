// RUN: ffn-opt %s -ffn-lower-to-cpu | FileCheck %s --implicit-check-not=' ffn.' --implicit-check-not=' linalg.' --implicit-check-not=' tensor.' --implicit-check-not=' bufferization.' --implicit-check-not=' memref.' --implicit-check-not=' vector.' --implicit-check-not=' scf.' --implicit-check-not=' cf.' --implicit-check-not=' affine.' --implicit-check-not=' arith.' --implicit-check-not=' math.' --implicit-check-not=' func.' --implicit-check-not=unrealized_conversion_cast --implicit-check-not=@erf --implicit-check-not=@expf --implicit-check-not=@tanhf
// RUN: ffn-opt %s '-ffn-lower-to-cpu=parallel=false' | FileCheck %s --check-prefix=SERIAL --implicit-check-not=omp. --implicit-check-not=__kmpc
// RUN: ffn-opt %s '-ffn-lower-to-cpu=vector-width=8' | FileCheck %s --check-prefix=AVX2

// The whole pipeline on an encoder block and a gated block leaves only the
// llvm dialect plus the omp ops that carry the thread tiles: the first RUN
// line rejects ops of every other dialect, and libm calls for erf, exp and
// tanh. The result becomes a caller-owned out-parameter, so the functions
// return nothing.

// CHECK-DAG:   llvm.func @malloc(i64) -> !llvm.ptr
// CHECK-DAG:   llvm.func @free(!llvm.ptr)

// CHECK-LABEL: llvm.func @encoder(
// CHECK-NOT:     -> !llvm.struct
// CHECK-SAME:    ) {
//                Thread tiles run as OpenMP worksharing loops.
// CHECK:         omp.parallel {
// CHECK:           omp.wsloop {
// CHECK:             omp.loop_nest
//                The GEMM register tile: 8 FMAs on 32 lanes per K step.
// CHECK-COUNT-8:       llvm.intr.fmuladd({{.*}}) : (vector<32xf32>, vector<32xf32>, vector<32xf32>) -> vector<32xf32>
//                erf is a vectorised polynomial, not a libm call.
// CHECK:               llvm.intr.fma({{.*}}) : (vector<{{[0-9]+}}xf32>, vector<{{[0-9]+}}xf32>, vector<{{[0-9]+}}xf32>) -> vector<{{[0-9]+}}xf32>
// CHECK:         llvm.return
// CHECK-NEXT:  }

// SERIAL-LABEL: llvm.func @encoder(
// SERIAL:         llvm.intr.fmuladd({{.*}}) : (vector<32xf32>, vector<32xf32>, vector<32xf32>) -> vector<32xf32>
// SERIAL:         llvm.return

// With AVX2 vectors the register tiles are 16 lanes wide.
// AVX2-LABEL: llvm.func @encoder(
// AVX2-NOT:     llvm.intr.fmuladd({{.*}}) : (vector<32xf32>
// AVX2:         llvm.intr.fmuladd({{.*}}) : (vector<16xf32>, vector<16xf32>, vector<16xf32>) -> vector<16xf32>
// AVX2-NOT:     llvm.intr.fmuladd({{.*}}) : (vector<32xf32>
// AVX2:         llvm.return
func.func @encoder(%x: tensor<128x64xf32>, %w1: tensor<256x64xf32>, %b1: tensor<256xf32>, %w2: tensor<64x256xf32>, %b2: tensor<64xf32>) -> tensor<128x64xf32> {
  %y = ffn.mlp(%x, %w1, %b1, %w2, %b2) : (tensor<128x64xf32>, tensor<256x64xf32>, tensor<256xf32>, tensor<64x256xf32>, tensor<64xf32>) -> tensor<128x64xf32> {
  ^bb0(%a: tensor<128x64xf32>, %p1: tensor<256x64xf32>, %q1: tensor<256xf32>, %p2: tensor<64x256xf32>, %q2: tensor<64xf32>):
    %h = ffn.linear %a, %p1, %q1 : (tensor<128x64xf32>, tensor<256x64xf32>, tensor<256xf32>) -> tensor<128x256xf32>
    %g = ffn.gelu %h : tensor<128x256xf32>
    %o = ffn.linear %g, %p2, %q2 : (tensor<128x256xf32>, tensor<64x256xf32>, tensor<64xf32>) -> tensor<128x64xf32>
    ffn.yield %o : tensor<128x64xf32>
  }
  return %y : tensor<128x64xf32>
}

// CHECK-LABEL: llvm.func @gated(
// CHECK-SAME:    ) {
// CHECK:         omp.parallel
// CHECK:         llvm.intr.fmuladd({{.*}}) : (vector<32xf32>, vector<32xf32>, vector<32xf32>) -> vector<32xf32>
// CHECK:         llvm.return

// SERIAL-LABEL: llvm.func @gated(
// SERIAL:         llvm.intr.fmuladd
// SERIAL:         llvm.return
func.func @gated(%x: tensor<16x64xf32>, %wg: tensor<128x64xf32>, %wu: tensor<128x64xf32>, %wd: tensor<64x128xf32>) -> tensor<16x64xf32> {
  %y = ffn.mlp(%x, %wg, %wu, %wd) : (tensor<16x64xf32>, tensor<128x64xf32>, tensor<128x64xf32>, tensor<64x128xf32>) -> tensor<16x64xf32> {
  ^bb0(%a: tensor<16x64xf32>, %g: tensor<128x64xf32>, %u: tensor<128x64xf32>, %d: tensor<64x128xf32>):
    %hg = ffn.linear %a, %g : (tensor<16x64xf32>, tensor<128x64xf32>) -> tensor<16x128xf32>
    %hu = ffn.linear %a, %u : (tensor<16x64xf32>, tensor<128x64xf32>) -> tensor<16x128xf32>
    %s = ffn.silu %hg : tensor<16x128xf32>
    %p = arith.mulf %s, %hu : tensor<16x128xf32>
    %o = ffn.linear %p, %d : (tensor<16x128xf32>, tensor<64x128xf32>) -> tensor<16x64xf32>
    ffn.yield %o : tensor<16x64xf32>
  }
  return %y : tensor<16x64xf32>
}
