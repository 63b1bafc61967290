/*===- fake_dynamic_model.c - a hand-written model with dynamic shapes ----===//
 *
 * Defines the descriptor of a model with a dynamic input x [n, 3] and
 * outputs whose shapes depend on the data: y [?, 3], the rows of x whose
 * first element is positive, and count [] (int64), their number. It tests
 * the runtime's main() on run_dynamic without the compiler. As a test hook,
 * run_dynamic fails with status 2 and a message when x[0][0] is NaN.
 *
 *===----------------------------------------------------------------------===*/

#include "ffn/Runtime/ModelABI.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const int64_t xShape[] = {-1, 3};
static const char *const xDims[] = {"n", 0};
static const int64_t yShape[] = {-1, 3};
static const int64_t countShape[] = {0};

static const ffn_tensor_desc inputs[] = {
    {"x", FFN_DTYPE_F32, 2, xShape, xDims},
};
static const ffn_tensor_desc outputs[] = {
    {"y", FFN_DTYPE_F32, 2, yShape, 0},
    {"count", FFN_DTYPE_I64, 0, countShape, 0},
};

static _Thread_local char errorText[256];

static const char *lastError(void) { return errorText; }

static int fail(int status, const char *message) {
  snprintf(errorText, sizeof(errorText), "%s", message);
  return status;
}

static int run(const void *const *in, void *const *out) {
  (void)in;
  (void)out;
  return fail(FFN_STATUS_NEEDS_RUN_DYNAMIC, "use run_dynamic");
}

static int runDynamic(const void *const *in, const int64_t *const *inShapes,
                      void **out, int64_t *const *outShapes) {
  const float *x = (const float *)in[0];
  int64_t n = inShapes[0][0];
  if (n < 1 || inShapes[0][1] != 3)
    return fail(FFN_STATUS_BAD_SHAPE, "x must be [n >= 1, 3]");
  if (x[0] != x[0])
    return fail(FFN_STATUS_BAD_SHAPE, "x[0][0] is NaN");
  float *y = (float *)malloc((size_t)n * 3 * sizeof(float) + 1);
  int64_t *count = (int64_t *)malloc(sizeof(int64_t));
  if (!y || !count) {
    free(y);
    free(count);
    return fail(FFN_STATUS_OUT_OF_MEMORY, "out of memory");
  }
  int64_t kept = 0;
  for (int64_t row = 0; row < n; ++row)
    if (x[row * 3] > 0)
      memcpy(&y[3 * kept++], &x[row * 3], 3 * sizeof(float));
  *count = kept;
  out[0] = y;
  out[1] = count;
  outShapes[0][0] = kept;
  outShapes[0][1] = 3;
  return FFN_STATUS_OK;
}

const ffn_model_abi ffn_model = {"fake_dynamic", 1,   2,          inputs,
                                 outputs,        run, runDynamic, lastError};
