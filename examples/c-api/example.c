/*===- example.c - Calling a model compiled with --emit=lib --------------===//
 *
 * Shows the C API of a shared library built by
 *
 *   ffn-compile model.mlir --emit=lib -o DIR/libNAME.so   (also writes NAME.h)
 *
 * The program is generic over NAME: every API function is named through the
 * FFN_API() macro, which pastes the model name given with -DFFN_MODEL=NAME in
 * front of the function's suffix. Build and run it with
 *
 *   clang -DFFN_MODEL=NAME -include DIR/NAME.h example.c -LDIR -lNAME \
 *         -Wl,-rpath,DIR -o example
 *   ./example IN_1.bin ... IN_n.bin OUT_1.bin ... OUT_m.bin
 *
 * Each IN_i.bin holds the raw little-endian float32 elements of input i in
 * row-major order, exactly as many as its shape has; each OUT_j.bin receives
 * output j in the same form. With numpy: `a.astype('<f4').tofile('x.bin')`
 * and `np.fromfile('y.bin', '<f4').reshape(shape)`.
 *
 *===----------------------------------------------------------------------===*/

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifndef FFN_MODEL
#error "compile with -DFFN_MODEL=NAME -include NAME.h"
#endif

/* FFN_API(_create) expands to NAME_create, and so on. The two-level
 * concatenation makes FFN_MODEL expand before it is pasted. */
#define FFN_CONCAT_(a, b) a##b
#define FFN_CONCAT(a, b) FFN_CONCAT_(a, b)
#define FFN_API(suffix) FFN_CONCAT(FFN_MODEL, suffix)
#define FFN_STRINGIFY_(x) #x
#define FFN_STRINGIFY(x) FFN_STRINGIFY_(x)
#define FFN_MODEL_NAME FFN_STRINGIFY(FFN_MODEL)

/* Buffers handed to the model are aligned like the runtime's own. */
#define BUFFER_ALIGNMENT 64

typedef FFN_API(_model) model_t;

/* Returns the number of elements of a shape, or -1 when it is invalid (a
 * negative rank or dimension, or a size that does not fit in memory). */
static int64_t num_elements(int32_t rank, const int64_t *shape) {
  int64_t count = 1;
  if (rank < 0 || (rank > 0 && !shape))
    return -1;
  for (int32_t i = 0; i < rank; ++i) {
    if (shape[i] < 0)
      return -1;
    if (shape[i] != 0 && count > (int64_t)(SIZE_MAX / sizeof(float)) / shape[i])
      return -1;
    count *= shape[i];
  }
  return count;
}

/* Prints "kind i: name [d0, d1, ...]". */
static void print_tensor(const char *kind, int32_t index, const char *name,
                         int32_t rank, const int64_t *shape) {
  printf("%s %d: %s [", kind, (int)index, name ? name : "<unnamed>");
  if (rank < 0 || (rank > 0 && !shape)) {
    printf("<invalid>]\n");
    return;
  }
  for (int32_t i = 0; i < rank; ++i)
    printf("%s%lld", i ? ", " : "", (long long)shape[i]);
  printf("]\n");
}

/* Allocates a zeroed, aligned buffer for `count` floats; NULL on failure. */
static float *alloc_floats(int64_t count) {
  size_t bytes = (size_t)count * sizeof(float);
  if (bytes > SIZE_MAX - BUFFER_ALIGNMENT)
    return NULL;
  /* aligned_alloc wants a non-zero multiple of the alignment. */
  bytes = bytes == 0 ? BUFFER_ALIGNMENT
                     : (bytes + BUFFER_ALIGNMENT - 1) / BUFFER_ALIGNMENT *
                           BUFFER_ALIGNMENT;
  float *buffer = aligned_alloc(BUFFER_ALIGNMENT, bytes);
  if (buffer)
    memset(buffer, 0, bytes);
  return buffer;
}

/* Reads `count` float32 values of input `name` from the raw file `path`,
 * which must hold exactly that many bytes. Returns NULL after printing an
 * error. */
static float *read_input(const char *path, const char *name, int64_t count) {
  FILE *file = fopen(path, "rb");
  if (!file) {
    fprintf(stderr, "error: cannot open %s (input '%s'): ", path, name);
    perror(NULL);
    return NULL;
  }
  long size = -1;
  if (fseek(file, 0, SEEK_END) == 0)
    size = ftell(file);
  if (size < 0 || fseek(file, 0, SEEK_SET) != 0) {
    fprintf(stderr, "error: cannot read %s (input '%s')\n", path, name);
    fclose(file);
    return NULL;
  }
  uint64_t expected = (uint64_t)count * sizeof(float);
  if ((uint64_t)size != expected) {
    fprintf(stderr,
            "error: %s has %ld bytes but input '%s' needs %llu (%lld float32 "
            "values)\n",
            path, size, name, (unsigned long long)expected, (long long)count);
    fclose(file);
    return NULL;
  }
  float *buffer = alloc_floats(count);
  if (!buffer) {
    fprintf(stderr, "error: out of memory for input '%s'\n", name);
    fclose(file);
    return NULL;
  }
  if (fread(buffer, sizeof(float), (size_t)count, file) != (size_t)count) {
    fprintf(stderr, "error: cannot read %s (input '%s')\n", path, name);
    free(buffer);
    buffer = NULL;
  }
  fclose(file);
  return buffer;
}

/* Writes `count` float32 values of output `name` to the raw file `path`.
 * Returns 0 on success, otherwise prints an error and returns 1. */
static int write_output(const char *path, const char *name, const float *values,
                        int64_t count) {
  FILE *file = fopen(path, "wb");
  if (!file) {
    fprintf(stderr, "error: cannot create %s (output '%s'): ", path, name);
    perror(NULL);
    return 1;
  }
  int failed =
      fwrite(values, sizeof(float), (size_t)count, file) != (size_t)count;
  failed |= fclose(file) != 0;
  if (failed)
    fprintf(stderr, "error: cannot write %s (output '%s')\n", path, name);
  return failed;
}

int main(int argc, char **argv) {
  int32_t num_inputs = FFN_API(_num_inputs)();
  int32_t num_outputs = FFN_API(_num_outputs)();
  if (num_inputs < 0 || num_outputs < 0) {
    fprintf(stderr, "error: model '%s' reports invalid counts\n",
            FFN_MODEL_NAME);
    return 1;
  }

  /* Describe the model's interface. */
  printf("model '%s': %d inputs, %d outputs\n", FFN_MODEL_NAME, (int)num_inputs,
         (int)num_outputs);
  for (int32_t i = 0; i < num_inputs; ++i)
    print_tensor("input", i, FFN_API(_input_name)(i), FFN_API(_input_rank)(i),
                 FFN_API(_input_shape)(i));
  for (int32_t i = 0; i < num_outputs; ++i)
    print_tensor("output", i, FFN_API(_output_name)(i),
                 FFN_API(_output_rank)(i), FFN_API(_output_shape)(i));

  if (argc != 1 + num_inputs + num_outputs) {
    fprintf(stderr, "usage: %s", argv[0]);
    for (int32_t i = 0; i < num_inputs; ++i)
      fprintf(stderr, " %s.bin", FFN_API(_input_name)(i));
    for (int32_t i = 0; i < num_outputs; ++i)
      fprintf(stderr, " %s.bin", FFN_API(_output_name)(i));
    fprintf(stderr,
            "\nerror: expected %d input and %d output files but got "
            "%d arguments\n",
            (int)num_inputs, (int)num_outputs, argc - 1);
    return 2;
  }

  int status = 1, rc;
  model_t *model = NULL;
  float **inputs = calloc((size_t)num_inputs + 1, sizeof(float *));
  float **outputs = calloc((size_t)num_outputs + 1, sizeof(float *));
  if (!inputs || !outputs) {
    fprintf(stderr, "error: out of memory\n");
    goto cleanup;
  }

  /* Read every input file, checking its size against the model's shape. */
  for (int32_t i = 0; i < num_inputs; ++i) {
    const char *name = FFN_API(_input_name)(i);
    int64_t count =
        num_elements(FFN_API(_input_rank)(i), FFN_API(_input_shape)(i));
    if (!name || count < 0) {
      fprintf(stderr, "error: model reports an invalid input %d\n", (int)i);
      goto cleanup;
    }
    inputs[i] = read_input(argv[1 + i], name, count);
    if (!inputs[i])
      goto cleanup;
  }
  /* The caller owns the output buffers too. */
  for (int32_t i = 0; i < num_outputs; ++i) {
    int64_t count =
        num_elements(FFN_API(_output_rank)(i), FFN_API(_output_shape)(i));
    if (!FFN_API(_output_name)(i) || count < 0) {
      fprintf(stderr, "error: model reports an invalid output %d\n", (int)i);
      goto cleanup;
    }
    outputs[i] = alloc_floats(count);
    if (!outputs[i]) {
      fprintf(stderr, "error: out of memory for output %d\n", (int)i);
      goto cleanup;
    }
  }

  model = FFN_API(_create)();
  if (!model) {
    fprintf(stderr, "error: %s_create failed\n", FFN_MODEL_NAME);
    goto cleanup;
  }
  rc = FFN_API(_run)(model, (const float *const *)inputs, outputs);
  if (rc != 0) {
    fprintf(stderr, "error: %s_run failed with status %d\n", FFN_MODEL_NAME,
            rc);
    goto cleanup;
  }

  for (int32_t i = 0; i < num_outputs; ++i) {
    int64_t count =
        num_elements(FFN_API(_output_rank)(i), FFN_API(_output_shape)(i));
    if (write_output(argv[1 + num_inputs + i], FFN_API(_output_name)(i),
                     outputs[i], count))
      goto cleanup;
  }
  printf("ok: wrote %d outputs\n", (int)num_outputs);
  status = 0;

cleanup:
  if (model)
    FFN_API(_destroy)(model);
  for (int32_t i = 0; inputs && i < num_inputs; ++i)
    free(inputs[i]);
  for (int32_t i = 0; outputs && i < num_outputs; ++i)
    free(outputs[i]);
  free(inputs);
  free(outputs);
  return status;
}
