/*===- fake_model.c - a hand-written model for the runtime's tests --------===//
 *
 * Defines the descriptor `ffn-compile` would generate for a tiny model with
 * inputs x [2, 3] and bias [3] and the output y = x + bias (bias broadcast
 * over the rows), so that the runtime's main() can be tested without the
 * compiler. As a test hook, run() fails with status 7 when x[0][0] is NaN.
 *
 *===----------------------------------------------------------------------===*/

#include "ffn/Runtime/ModelABI.h"

static const int64_t xShape[] = {2, 3};
static const int64_t biasShape[] = {3};
static const int64_t yShape[] = {2, 3};

static const ffn_tensor_desc inputs[] = {
    {"x", FFN_DTYPE_F32, 2, xShape},
    {"bias", FFN_DTYPE_F32, 1, biasShape},
};
static const ffn_tensor_desc outputs[] = {
    {"y", FFN_DTYPE_F32, 2, yShape},
};

static int run(const void *const *in, void *const *out) {
  const float *x = (const float *)in[0];
  const float *bias = (const float *)in[1];
  float *y = (float *)out[0];
  if (x[0] != x[0])
    return 7;
  for (int row = 0; row < 2; ++row)
    for (int col = 0; col < 3; ++col)
      y[row * 3 + col] = x[row * 3 + col] + bias[col];
  return 0;
}

const ffn_model_abi ffn_model = {"fake", 2, 1, inputs, outputs, run};
