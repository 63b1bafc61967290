/*===- dynamic_api.c - the C API of a library with dynamic shapes ---------===//
 *
 * Calls libdadd.so, built from dynamic-add.mlir (y = x + z + b with x, z
 * [batch, seq, 8] and b [8]), through its generated header: describes the
 * interface, runs it at two sizes and checks y against a reference computed
 * here, then shows the errors of bad calls.
 *
 *===----------------------------------------------------------------------===*/

#include "dadd.h"

#include <stdio.h>
#include <stdlib.h>

static void describe(void) {
  printf("dynamic: %d\n", (int)dadd_is_dynamic());
  for (int32_t i = 0; i < dadd_num_inputs(); ++i) {
    const int64_t *shape = dadd_input_shape(i);
    printf("input %s:", dadd_input_name(i));
    for (int32_t d = 0; d < dadd_input_rank(i); ++d) {
      const char *name = dadd_input_dim_name(i, d);
      printf(" %lld(%s)", (long long)shape[d], name ? name : "-");
    }
    printf("\n");
  }
  printf("output %s: rank %d, dim 0 %lld\n", dadd_output_name(0),
         (int)dadd_output_rank(0), (long long)dadd_output_shape(0)[0]);
  printf("out of range: %s %s\n", dadd_input_dim_name(0, 3) ? "name" : "NULL",
         dadd_input_dim_name(5, 0) ? "name" : "NULL");
}

/* Runs y = x + z + b at [batch, seq, 8]; returns 0 when y is right. */
static int run(dadd_model *model, int64_t batch, int64_t seq) {
  int64_t count = batch * seq * 8;
  float *x = malloc(count * sizeof(float)), *z = malloc(count * sizeof(float));
  float b[8];
  for (int64_t i = 0; i < count; ++i) {
    x[i] = (float)i * 0.5f;
    z[i] = (float)(i % 7) - 3.0f;
  }
  for (int i = 0; i < 8; ++i)
    b[i] = (float)i * 0.25f;
  int64_t xShape[] = {batch, seq, 8}, bShape[] = {8}, yShape[3] = {0, 0, 0};
  const void *inputs[] = {x, z, b};
  const int64_t *shapes[] = {xShape, xShape, bShape};
  void *outputs[1] = {0};
  int64_t *outputShapes[] = {yShape};
  int rc = dadd_run_dynamic(model, inputs, shapes, outputs, outputShapes);
  int bad = 0;
  if (rc == 0) {
    const float *y = outputs[0];
    for (int64_t i = 0; i < count; ++i)
      bad += y[i] != x[i] + z[i] + b[i % 8];
  }
  printf("run [%lld, %lld, 8]: rc %d, y [%lld, %lld, %lld], %d wrong\n",
         (long long)batch, (long long)seq, rc, (long long)yShape[0],
         (long long)yShape[1], (long long)yShape[2], bad);
  dadd_free(outputs[0]);
  free(x);
  free(z);
  return rc != 0 || bad != 0;
}

/* A call that must fail: prints its status, message and output. */
static void expectFailure(dadd_model *model, const int64_t *xShape,
                          const int64_t *zShape, const int64_t *bShape) {
  static float data[4096];
  const void *inputs[] = {data, data, data};
  const int64_t *shapes[] = {xShape, zShape, bShape};
  void *outputs[1] = {data};
  int rc = dadd_run_dynamic(model, inputs, shapes, outputs, 0);
  printf("rc %d (%s), output %s: %s\n", rc, outputs[0] ? "set" : "NULL",
         outputs[0] == data ? "untouched" : "cleared", dadd_last_error());
}

int main(void) {
  describe();
  dadd_model *model = dadd_create();
  if (!model)
    return 1;
  int failed = run(model, 2, 5) | run(model, 3, 1) | run(model, 64, 9);

  int64_t x25[] = {2, 5, 8}, x35[] = {3, 5, 8}, x24[] = {2, 4, 8};
  int64_t wide[] = {2, 5, 9}, zero[] = {0, 5, 8}, b8[] = {8}, b7[] = {7};
  expectFailure(model, x25, x35, b8);
  expectFailure(model, x25, x24, b8);
  expectFailure(model, x25, wide, b8);
  expectFailure(model, zero, zero, b8);
  expectFailure(model, x25, x25, b7);

  /* The static entry point and NULL arguments. */
  const float *inputs[] = {0, 0, 0};
  float *outputs[] = {0};
  printf("run: %d: %s\n", dadd_run(model, inputs, outputs), dadd_last_error());
  printf("run_dynamic without a model: %d: %s\n",
         dadd_run_dynamic(0, 0, 0, 0, 0), dadd_last_error());
  void *out[1];
  printf("run_dynamic without shapes: %d: %s\n",
         dadd_run_dynamic(model, (const void *const *)inputs, 0, out, 0),
         dadd_last_error());
  dadd_destroy(model);
  return failed;
}
