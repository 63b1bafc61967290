/*===- fake.h - the C API header ffn-compile --emit=lib would write -------===//
 *
 * Stands in for the generated header of a model named "fake" (inputs x [2, 3]
 * and bias [3], output y = x + bias), so that examples/c-api/example.c can be
 * tested before the compiler emits libraries.
 *
 *===----------------------------------------------------------------------===*/

#ifndef FAKE_H
#define FAKE_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct fake_model fake_model;
fake_model *fake_create(void);
void fake_destroy(fake_model *model);
int32_t fake_num_inputs(void);
int32_t fake_num_outputs(void);
const char *fake_input_name(int32_t i);
int32_t fake_input_rank(int32_t i);
const int64_t *fake_input_shape(int32_t i);
const char *fake_output_name(int32_t i);
int32_t fake_output_rank(int32_t i);
const int64_t *fake_output_shape(int32_t i);
int fake_run(fake_model *model, const float *const *inputs,
             float *const *outputs);

#ifdef __cplusplus
}
#endif

#endif /* FAKE_H */
