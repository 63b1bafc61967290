/*===- fake_lib.c - a hand-written model library for the C API example ----===//
 *
 * Implements the C API that `ffn-compile --emit=lib` generates (see fake.h)
 * for a model named "fake": y = x + bias with x [2, 3], bias [3], y [2, 3].
 * Test hooks: FFN_FAKE_FAIL=create makes fake_create return NULL and
 * FFN_FAKE_FAIL=run makes fake_run return 3.
 *
 *===----------------------------------------------------------------------===*/

#include "fake.h"

#include <stdlib.h>
#include <string.h>

struct fake_model {
  int runs;
};

static const char *const inputNames[] = {"x", "bias"};
static const int32_t inputRanks[] = {2, 1};
static const int64_t xShape[] = {2, 3};
static const int64_t biasShape[] = {3};
static const int64_t *const inputShapes[] = {xShape, biasShape};
static const int64_t yShape[] = {2, 3};

static int shouldFail(const char *what) {
  const char *fail = getenv("FFN_FAKE_FAIL");
  return fail && strcmp(fail, what) == 0;
}

fake_model *fake_create(void) {
  if (shouldFail("create"))
    return NULL;
  return calloc(1, sizeof(fake_model));
}

void fake_destroy(fake_model *model) { free(model); }

int32_t fake_num_inputs(void) { return 2; }
int32_t fake_num_outputs(void) { return 1; }

const char *fake_input_name(int32_t i) {
  return i >= 0 && i < 2 ? inputNames[i] : NULL;
}
int32_t fake_input_rank(int32_t i) {
  return i >= 0 && i < 2 ? inputRanks[i] : -1;
}
const int64_t *fake_input_shape(int32_t i) {
  return i >= 0 && i < 2 ? inputShapes[i] : NULL;
}
const char *fake_output_name(int32_t i) { return i == 0 ? "y" : NULL; }
int32_t fake_output_rank(int32_t i) { return i == 0 ? 2 : -1; }
const int64_t *fake_output_shape(int32_t i) { return i == 0 ? yShape : NULL; }

int fake_run(fake_model *model, const float *const *inputs,
             float *const *outputs) {
  if (!model || !inputs || !outputs || shouldFail("run"))
    return 3;
  for (int row = 0; row < 2; ++row)
    for (int col = 0; col < 3; ++col)
      outputs[0][row * 3 + col] = inputs[0][row * 3 + col] + inputs[1][col];
  ++model->runs;
  return 0;
}
