/*
 * The cost model: a latency prediction for a planned session from its
 * per-node costs and the backend's calibration (calibrate.h).
 *
 *   node   max(FLOPs / peak, weight bytes / bw(level of the model's
 *          footprint) + other bytes / bw(level of the node's own traffic))
 *          where peak is the GEMM peak for matrix products (Gemm, MatMul,
 *          Conv; the int8 one in an int8 session) and the elementwise rate
 *          for every other op: on the CPU backend a ReLU runs ~1000x below
 *          the GEMM peak, so one peak for all would call it free.
 *   run    sum over nodes + launches * launch_us + run_us
 *
 * "The level its working set lives in" is decided per kind of data. A weight
 * is read once per run, so between two reads of it the whole model is
 * touched: it lives at the level the model's footprint (weights + arena +
 * inputs + outputs) fits. Activations are read right after they are written:
 * they live at the level the node's own traffic fits. An int8 session stores
 * a matrix product's weights as 1 byte per parameter.
 */
#ifndef RUNT_BENCH_COST_MODEL_H
#define RUNT_BENCH_COST_MODEL_H

#include "calibrate.h"
#include "runt.h"

typedef struct runt_cost_model_node {
    double flops;
    double weight_bytes;    /* constant inputs as stored by the backend */
    double other_bytes;     /* activations read and written             */
    int matmul;             /* Gemm, MatMul or Conv                     */
    int int8;               /* ... computed in int8                      */
} runt_cost_model_node;

/* The first level with a measured bandwidth whose capacity holds bytes
 * (the last measured one when none does). */
int runt_cost_model_level(const runt_calibration *c, double bytes);

/* Time of one node's work, dispatch excluded, in µs. */
double runt_cost_model_node_us(const runt_calibration *c, const runt_cost_model_node *n,
                               double footprint_bytes);

/* The node a session's plan node is, for the model (weights converted to the
 * session's storage). */
runt_cost_model_node runt_cost_model_describe(const runt_node_info *info, runt_dtype compute);

/* Predicted µs of one run of s; io_bytes: its inputs and outputs. */
runt_status runt_cost_model_predict(const runt_calibration *c, const runt_session *s,
                                    runt_dtype compute, double io_bytes, double *us);

#endif /* RUNT_BENCH_COST_MODEL_H */
