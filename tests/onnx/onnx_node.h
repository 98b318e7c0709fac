/*
 * onnx_node.h — what the node-test driver's files share, from the bottom up:
 *   onnx_node_tensor.c  the TensorProto files (its own decoder) and file helpers
 *   onnx_node_case.c    a case: its data sets and its loaded model
 *   onnx_node_run.c     a case run on one backend, outputs compared
 *   onnx_node_driver.c  the command: cases, backends, tallies and the report
 */
#ifndef ONNX_NODE_H
#define ONNX_NODE_H

#include <stddef.h>
#include <stdint.h>

#include "runt.h"

#define MAX_IO 16
#define MAX_SETS 8
/* The longest reason a skip or failure is reported with. */
#define REASON_MAX 600

/* onnx_node_tensor.c */
typedef struct test_tensor {
    char name[256];
    int64_t onnx_type;
    runt_dtype dtype;
    int ndim;
    int64_t dims[RUNT_MAX_DIMS];
    size_t count;
    void *data;                    /* count elements of dtype, host order */
} test_tensor;

int file_exists(const char *path);
/* The whole file, malloc'd (one byte spare), or NULL. */
uint8_t *read_file(const char *path, size_t *size);
/* 1 and *t filled, or 0 and why. */
int tensor_read(const char *path, test_tensor *t, char *why, size_t wn);
void tensor_free(test_tensor *t);
runt_tensor tensor_view(const test_tensor *t);

/* onnx_node_case.c */
typedef struct data_set {
    int n_in, n_out;
    test_tensor in[MAX_IO], out[MAX_IO];
} data_set;

typedef struct test_case {
    const char *name;
    char dir[4096];
    int n_sets;
    data_set sets[MAX_SETS];
    runt_model *model;
    int n_frozen;
    const char *frozen_names[MAX_IO];
    runt_tensor frozen[MAX_IO];
} test_case;

void case_free(test_case *c);
/* test_data_set_0, test_data_set_1, ... of the case folder; 0 and why when
 * there is none or one cannot be read. */
int read_sets(test_case *c, char *why, size_t wn);
/* Loads model.onnx, freezing the inputs the loader wants constant. */
runt_status load_model(test_case *c, char *why, size_t wn);
const test_tensor *find_tensor(const test_tensor *ts, int n, const char *name);

/* onnx_node_run.c */
typedef enum outcome { PASSED, FAILED, SKIPPED } outcome;

/* Every data set of the loaded case on backend; why says what failed or
 * why it was skipped. */
outcome run_on(const test_case *c, const char *backend, char *why, size_t wn);

#endif /* ONNX_NODE_H */
