/*===- static_run_dynamic.c - run_dynamic of a model with static shapes ---===//
 *
 * libtiny.so (tiny.mlir: x [2, 8] -> y [2, 8]) has static shapes: its
 * run_dynamic checks the shapes, allocates the output and gives the same
 * result as run on caller buffers.
 *
 *===----------------------------------------------------------------------===*/

#include "tiny.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int main(void) {
  tiny_model *model = tiny_create();
  float x[16], y[16];
  for (int i = 0; i < 16; ++i)
    x[i] = (float)i - 4.0f;
  const float *inputs[] = {x};
  float *outputs[] = {y};
  int rc = tiny_run(model, inputs, outputs);

  int64_t xShape[] = {2, 8}, yShape[] = {0, 0};
  const int64_t *shapes[] = {xShape};
  void *dynamicOutputs[1] = {0};
  int64_t *outputShapes[] = {yShape};
  int rcDynamic = tiny_run_dynamic(model, (const void *const *)inputs, shapes,
                                   dynamicOutputs, outputShapes);
  printf("dynamic %d, run %d, run_dynamic %d, y [%lld, %lld], %s\n",
         (int)tiny_is_dynamic(), rc, rcDynamic, (long long)yShape[0],
         (long long)yShape[1],
         rcDynamic == 0 && memcmp(dynamicOutputs[0], y, sizeof(y)) == 0
             ? "same"
             : "different");
  tiny_free(dynamicOutputs[0]);

  int64_t bad[] = {3, 8};
  shapes[0] = bad;
  dynamicOutputs[0] = 0;
  rcDynamic = tiny_run_dynamic(model, (const void *const *)inputs, shapes,
                               dynamicOutputs, 0);
  printf("rc %d: %s\n", rcDynamic, tiny_last_error());
  tiny_destroy(model);
  return 0;
}
