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

/* Status codes of `run` and `run_dynamic` (non-zero: failed; `last_error`
 * says why). */
enum ffn_status {
  FFN_STATUS_OK = 0,
  FFN_STATUS_INVALID_ARGUMENT = 1, /* a NULL pointer where one is required */
  FFN_STATUS_BAD_SHAPE = 2,        /* input shapes the model does not take */
  FFN_STATUS_OUT_OF_MEMORY = 3,
  FFN_STATUS_NEEDS_RUN_DYNAMIC = 4, /* `run` of a model with dynamic shapes */
};

/* One input or output of a model: its graph name, rank and shape (row-major,
 * contiguous). A dimension of -1 is dynamic: its size is given per run (see
 * `run_dynamic`). `dim_names` is NULL or has `rank` entries: the name of
 * each dynamic dimension (the ONNX dim_param), NULL for static dimensions
 * and unnamed dynamic ones. Dynamic input dimensions with the same name must
 * have the same size in a run. */
typedef struct ffn_tensor_desc {
  const char *name;
  int32_t dtype; /* enum ffn_dtype */
  int32_t rank;
  const int64_t *shape;
  const char *const *dim_names;
} ffn_tensor_desc;

/* A compiled model. Every entry is reentrant: weights are read-only and
 * every temporary is allocated per call.
 *
 * `run` reads every input from `inputs[i]` and writes every output to
 * caller-allocated `outputs[i]` (sized by the descriptors); it returns 0 on
 * success. Only for models with static shapes: for a model with a dynamic
 * dimension it fails with FFN_STATUS_NEEDS_RUN_DYNAMIC.
 *
 * `run_dynamic` works for every model. `input_shapes[i]` points to the
 * `rank` sizes of input i (static dimensions must have the model's size,
 * dynamic ones are at least 1 and equal where they share a name); it is
 * checked before the model runs. On success `outputs[i]` receives a new
 * buffer holding output i (dense, row-major) that the caller frees with
 * free(), and `output_shapes[i]` (caller storage of `rank` entries; the
 * array or an entry may be NULL to skip it) its shape. On failure no output
 * is left allocated.
 *
 * `last_error` returns the message of the calling thread's last failure
 * ("" when there was none); it stays valid until the thread's next call.
 *
 * `run_dynamic` and `last_error` are NULL in descriptors of older models. */
typedef struct ffn_model_abi {
  const char *name;
  int32_t num_inputs;
  int32_t num_outputs;
  const ffn_tensor_desc *inputs;
  const ffn_tensor_desc *outputs;
  int (*run)(const void *const *inputs, void *const *outputs);
  int (*run_dynamic)(const void *const *inputs,
                     const int64_t *const *input_shapes, void **outputs,
                     int64_t *const *output_shapes);
  const char *(*last_error)(void);
} ffn_model_abi;

/* The model an executable was compiled from; defined by the generated glue
 * and used by the runtime's main(). */
extern const ffn_model_abi ffn_model;

#ifdef __cplusplus
}
#endif

#endif /* FFN_RUNTIME_MODELABI_H */
