/*
 * The cost model: a latency prediction for a planned session from its
 * per-node costs and the backend's calibration (calibrate.h), and what each
 * part of it goes to.
 *
 *   node   max(compute, memory) + dispatch, where
 *          compute  = FLOPs / rate + fused activation; the rate is
 *                     - for a Conv, the conv grid's at its depth (c_in*kH*kW),
 *                       output channels and pixels per image (the int8 grid
 *                       in an int8 session): small convs run 10-20x below
 *                       the GEMM peak;
 *                     - for Gemm, MatMul with constant weights, the GEMM
 *                       grid's at its rows m (outputs / n), outputs n (the
 *                       output's last dim) and depth k (product FLOPs / (2
 *                       outputs), less the bias's half FLOP as for a Conv):
 *                       a 10-wide classifier or a Linear(576, 64) runs far
 *                       below a square layer of as many weights;
 *                     - else (a MatMul of two activations, a shape a grid
 *                       cannot place) the GEMM peak, the int8 one in an
 *                       int8 session;
 *                     - for any other op, its own probed rate where the
 *                       calibration has one (runt_op_rate_ops), else the
 *                       elementwise rate: on the CPU backend a ReLU runs
 *                       ~20x below the GEMM peak and a tanh ~170x below a
 *                       ReLU, so one rate for all would call them free;
 *                     a fused activation (the epilogue of a Gemm or Conv)
 *                     runs over the outputs after the product, at its own
 *                     probed rate (else its op's, else the elementwise);
 *          memory   = weight bytes / bw(level of the model's footprint)
 *                     + other bytes / stream(level of the node's own traffic);
 *                     bw is the GEMV probes' (weights are read by matrix
 *                     products; an int8 node's, the int8 GEMV probes'),
 *                     stream the ReLU probes' (activations are streamed),
 *                     the f32 GEMV's where either was not measured; weights
 *                     never slower than stream (a GEMV slower than a ReLU's
 *                     stream was bound by its arithmetic, as on ref);
 *          dispatch = the node's share of launches * launch_us.
 *   run    sum over nodes + run_us: what predicted_us is, and what the bench
 *          compares with the measured median.
 *   copies a device-memory backend also copies the inputs in (h2d) and the
 *          outputs out (d2h) on every runt_session_run. Device events time
 *          the computation without them, so the median and the prediction
 *          leave them out; they are a term of their own (copy_us).
 *
 * "The level its working set lives in" is decided per kind of data. A weight
 * is read once per run, so between two reads of it the whole model is
 * touched: it lives at the level the model's footprint (weights + arena +
 * inputs + outputs) fits. Activations are read right after they are written:
 * they live at the level the node's own traffic fits. An int8 session stores
 * a matrix product's weights as 1 byte per parameter.
 *
 * The reason ("bound"): a node's max(compute, memory) goes to compute when
 * compute is at least memory, else to the levels its bytes come from (each
 * level its own time); dispatch and run_us go to dispatch, copies to copy.
 * Summed over a run, the bound with the most time names what the run is
 * bound by; a tie goes to the earlier bound in runt_bound's order, so the
 * same terms always give the same answer.
 */
#ifndef RUNT_BENCH_COST_MODEL_H
#define RUNT_BENCH_COST_MODEL_H

#include "calibrate.h"
#include "runt.h"

typedef struct runt_cost_model_node {
    runt_op op;
    double flops;           /* the fused activation's included          */
    double weight_bytes;    /* constant inputs as stored by the backend */
    double other_bytes;     /* activations read and written             */
    int matmul;             /* Gemm, MatMul or Conv                     */
    int int8;               /* ... computed in int8                      */
    runt_activation act;    /* a fused activation                       */
    double act_elements;    /* ... over this many outputs; 0: none      */
    double gemm_m;          /* Gemm, MatMul: rows; 0 without weights    */
    double gemm_n;          /* ... outputs (the output's last dim)      */
    double gemm_k;          /* ... depth (FLOPs per output / 2)         */
    double conv_depth;      /* Conv: c_in/group * kH * kW; 0 otherwise  */
    double conv_out_channels; /* Conv: output channels                  */
    double conv_pixels;     /* Conv: OH * OW, per image                 */
} runt_cost_model_node;

/* What a predicted time goes to; a memory level l is RUNT_BOUND_L1 + l. */
typedef enum runt_bound {
    RUNT_BOUND_COMPUTE,
    RUNT_BOUND_L1,
    RUNT_BOUND_L2,
    RUNT_BOUND_L3,
    RUNT_BOUND_DRAM,
    RUNT_BOUND_DISPATCH,
    RUNT_BOUND_COPY,
    RUNT_BOUND_COUNT
} runt_bound;

/* One node's (or the run's own) predicted terms, in µs. */
typedef struct runt_cost_terms {
    double compute_us;
    double memory_us[RUNT_LEVEL_COUNT];  /* by the level the bytes come from */
    double dispatch_us;
    double copy_us;
} runt_cost_terms;

/* A session's prediction with its reason. */
typedef struct runt_cost_prediction {
    double us;                          /* nodes + run_us: predicted_us     */
    double copy_us;                     /* inputs in + outputs out; 0 on a
                                           host-memory backend              */
    runt_cost_terms run;                /* dispatch: run_us; copy: copy_us  */
    double by_bound[RUNT_BOUND_COUNT];  /* us + copy_us, split by bound     */
    runt_bound bound;                   /* the largest of by_bound          */
} runt_cost_prediction;

/* The first level with a measured bandwidth whose capacity holds bytes
 * (the last measured one when none does). */
int runt_cost_model_level(const runt_calibration *c, double bytes);

/* "compute", "L1", "L2", "L3", "DRAM", "dispatch", "copy"; a device-memory
 * backend's farthest level is its own memory, "device". */
const char *runt_cost_model_bound_name(const runt_calibration *c, runt_bound b);

/* One node's compute and memory terms (dispatch and copy 0). */
runt_cost_terms runt_cost_model_node_terms(const runt_calibration *c,
                                           const runt_cost_model_node *n, double footprint_bytes);

/* Time of one node's work, dispatch excluded, in µs: max(compute, memory). */
double runt_cost_model_node_us(const runt_calibration *c, const runt_cost_model_node *n,
                               double footprint_bytes);

/* The sum of t's memory terms. */
double runt_cost_terms_memory_us(const runt_cost_terms *t);
/* t's predicted time: max(compute, memory) + dispatch + copy. */
double runt_cost_terms_us(const runt_cost_terms *t);
/* The level most of t's memory time comes from (the nearer on a tie); -1
 * when t has none. */
int runt_cost_terms_level(const runt_cost_terms *t);
/* Adds t's predicted time to by_bound, split as the header says. */
void runt_cost_terms_attribute(const runt_cost_terms *t, double by_bound[RUNT_BOUND_COUNT]);
/* The bound with the most time; a tie goes to the earlier one. */
runt_bound runt_cost_model_bound(const double by_bound[RUNT_BOUND_COUNT]);
/* The bound of one set of terms alone. */
runt_bound runt_cost_terms_bound(const runt_cost_terms *t);

/* The node a session's plan node is, for the model (weights converted to the
 * session's storage). A Conv's depth comes from its FLOPs, as runt_cost
 * counts them: (flops - activation) / (2 * outputs), less the bias's half
 * FLOP per output, which the floor drops. */
runt_cost_model_node runt_cost_model_describe(const runt_node_info *info, runt_dtype compute);

/* n as the backend of c runs it: the CPU backend keeps an int8 session's
 * Gemm or MatMul under RUNT_INT8_MIN_WEIGHTS_DEFAULT weights (n * k) in f32
 * (backends/cpu/cpu_int8.c: quantizing its input costs more than int8
 * saves), so such a node is costed as f32, at the f32 grid and 4 bytes a
 * weight. Charged at the int8 grid, Linear(1000, 10) and the 100-wide
 * seed1 layers came out at 0.3 of their time. The bench leaves
 * runt_cpu_options.int8_min_weights at its default, which this follows. */
void runt_cost_model_as_run(const runt_calibration *c, runt_cost_model_node *n);

/* The bytes of s's inputs and of its outputs, as the session binds them. */
void runt_cost_model_io_bytes(const runt_session *s, double *in_bytes, double *out_bytes);

/* Predicts one run of s: in_bytes and out_bytes are its inputs' and
 * outputs' sizes. nodes, when not NULL, receives each plan node's terms
 * (runt_session_stats' n_nodes of them). */
runt_status runt_cost_model_explain(const runt_calibration *c, const runt_session *s,
                                    runt_dtype compute, double in_bytes, double out_bytes,
                                    runt_cost_terms *nodes, runt_cost_prediction *out);

#endif /* RUNT_BENCH_COST_MODEL_H */
