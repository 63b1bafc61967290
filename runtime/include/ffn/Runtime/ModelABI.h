/*===- ModelABI.h - the interface of a compiled ffn model ---------*- C -*-===//
 *
 * What ffn-compile generates for every model and what the runtime (the
 * executable's main, the benchmark loop, the C API of shared libraries) calls.
 * Plain C so that generated glue, the runtime and user programs share it.
 *
 *===----------------------------------------------------------------------===*/

#ifndef FFN_RUNTIME_MODELABI_H
#define FFN_RUNTIME_MODELABI_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Element types of model inputs and outputs (little-endian, row-major). */
enum ffn_dtype {
  FFN_DTYPE_F32 = 0,
  FFN_DTYPE_F64 = 1,
  FFN_DTYPE_I64 = 2,
  FFN_DTYPE_I32 = 3,
  FFN_DTYPE_I16 = 4,
  FFN_DTYPE_I8 = 5,
  FFN_DTYPE_BOOL = 6, /* one byte per element, 0 or 1 */
};

/* One input or output of a model: its graph name, rank and shape (row-major,
 * contiguous). A dimension of -1 is dynamic (not supported by the runtime
 * yet: every model compiled today has static shapes). */
typedef struct ffn_tensor_desc {
  const char *name;
  int32_t dtype; /* enum ffn_dtype */
  int32_t rank;
  const int64_t *shape;
} ffn_tensor_desc;

/* A compiled model. `run` reads every input from `inputs[i]` and writes every
 * output to caller-allocated `outputs[i]` (sized by the descriptors); it
 * returns 0 on success. It is reentrant: weights are read-only and every
 * temporary is allocated per call. */
typedef struct ffn_model_abi {
  const char *name;
  int32_t num_inputs;
  int32_t num_outputs;
  const ffn_tensor_desc *inputs;
  const ffn_tensor_desc *outputs;
  int (*run)(const void *const *inputs, void *const *outputs);
} ffn_model_abi;

/* The model an executable was compiled from; defined by the generated glue
 * and used by the runtime's main(). */
extern const ffn_model_abi ffn_model;

#ifdef __cplusplus
}
#endif

#endif /* FFN_RUNTIME_MODELABI_H */
