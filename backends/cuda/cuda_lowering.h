/*
 * The CUDA backend's lowering, decided on the host with no GPU involved:
 * which kernels and library calls each plan node becomes (and whether it can run
 * at all: supports_node asks this), their shapes, how many launches a run
 * issues, how much scratch and weight memory a session needs, which device
 * "cuda:N" names, and the int8 weights in q8.c's arithmetic.
 *
 * Plain C: no CUDA header is included, so all of it is unit-tested on
 * machines without a GPU or a toolkit (tests/backends/cuda).
 */
#ifndef RUNT_CUDA_LOWERING_H
#define RUNT_CUDA_LOWERING_H

#include <stddef.h>
#include <stdint.h>

#include "cuda_params.h"
#include "runt-backend.h"

/* Device allocations and every sub-buffer of them start on this boundary:
 * what cudaMalloc guarantees, and more than the 16 bytes cuBLASLt's int8
 * kernels and the dp4a kernel's word loads need. */
#define RUNT_CUDA_ALIGN 256

/* The largest GEMM depth whose int8 sums cannot overflow int32: 255 * 128 *
 * k <= INT32_MAX, runt-backend.h's limit for every backend. */
#define RUNT_CUDA_Q8_MAX_K RUNT_QW_MAX_K
/* Weight rows are padded to a multiple of this many bytes (q8.h's k_pad
 * rule; also what cuBLASLt int8 wants of leading dimensions). */
#define RUNT_CUDA_Q8_KB 16

/* int8 products with at least this many rows go to cuBLASLt (tensor-core
 * IMMA tiles); fewer rows (batch-1 GEMV) to the dp4a kernel, one warp per
 * output, which reads each weight row once. Chosen from the tile shapes,
 * not measured: no GPU was available when this was written. */
#define RUNT_CUDA_Q8_LT_MIN_ROWS 16

/* Blocks of the int8 range kernel: the quantize kernel reduces their
 * partial minima and maxima in one block of 256 threads. 128 blocks left
 * the 4 MiB range pass of seed0_simple latency-bound on an H200. */
#define RUNT_CUDA_Q8_RANGE_BLOCKS 256

/* A dp4a int8 Linear whose input has at most this many floats runs as one
 * kernel: every block finds the range of the (small) input itself,
 * quantizes it into shared memory and takes its share of the outputs. One
 * launch instead of three (range, quantize, product). Every block reads the
 * whole input, so it pays only for small ones: Linear(1024, 1024) on an
 * H200 took 7.9 / 9.8 / 16.5 / 47.6 µs fused at batch 1 / 2 / 4 / 8 against
 * 10.4 / 10.6 / 11.0 / 12.7 µs in three launches. */
#define RUNT_CUDA_Q8_FUSED_MAX_FLOATS 2048

/* A Conv whose groups have fewer output channels than this runs the direct
 * kernel (depthwise): as GEMMs they would be matrix-vector products that
 * cost an im2col pass each (the CPU backend's CONV_GEMM_MIN_MG, same reason). */
#define RUNT_CUDA_CONV_GEMM_MIN_MG 4

/* im2col scratch is bounded by processing images in chunks of at most this
 * many bytes of columns (at least one image per chunk). */
#define RUNT_CUDA_IM2COL_BYTES ((size_t)64 << 20)

typedef enum runt_cuda_kind {
    RUNT_CUDA_K_NOP = 0,       /* a view whose output already is its input   */
    RUNT_CUDA_K_COPY,          /* a view or Constant: one device copy         */
    RUNT_CUDA_K_UNARY,
    RUNT_CUDA_K_BINARY,
    RUNT_CUDA_K_SOFTMAX,
    RUNT_CUDA_K_LAYER_NORM,
    RUNT_CUDA_K_BATCH_NORM,
    RUNT_CUDA_K_POOL,
    RUNT_CUDA_K_GLOBAL_POOL,
    RUNT_CUDA_K_PAD,
    RUNT_CUDA_K_GEMM,          /* cuBLAS, then the epilogue kernel if any     */
    RUNT_CUDA_K_MATMUL,        /* cuBLAS strided batched, or one call per batch */
    RUNT_CUDA_K_CONV_GEMM,     /* im2col (not for 1x1) + cuBLAS + epilogue     */
    RUNT_CUDA_K_CONV_DIRECT,   /* one kernel, bias and act included            */
    RUNT_CUDA_K_Q8_LINEAR,     /* range, quantize, product (+ dequantize)      */
    RUNT_CUDA_K_Q8_CONV,       /* range, quantize, im2col + product, or direct */
    RUNT_CUDA_K_CHAIN,         /* the first Gemm of a fused chain: one cluster
                                  kernel runs it and the chained ones after it */
    RUNT_CUDA_K_CHAINED        /* a later Gemm of a chain: nothing of its own   */
} runt_cuda_kind;

/* How an int8 product is computed. */
typedef enum runt_cuda_q8_engine {
    RUNT_CUDA_Q8_DP4A = 0,     /* own kernel: dp4a, dequantize in the same pass  */
    RUNT_CUDA_Q8_LT,           /* cuBLASLt int8 to int32, then the dequant kernel */
    RUNT_CUDA_Q8_DIRECT        /* grouped conv: the direct int8 kernel            */
} runt_cuda_q8_engine;

/* One plan node as the CUDA backend runs it. Geometry only: device
 * pointers are bound at run time. */
typedef struct runt_cuda_node {
    runt_cuda_kind kind;
    size_t scratch;            /* bytes of session scratch the node uses        */

    /* Element-wise and reduction kinds: the kernel's record. */
    union {
        runt_cuda_unary unary;
        runt_cuda_binary binary;
        runt_cuda_softmax softmax;
        runt_cuda_layer_norm layer_norm;
        runt_cuda_batch_norm batch_norm;
        runt_cuda_pool pool;
        runt_cuda_global_pool global_pool;
        runt_cuda_pad pad;
        runt_cuda_conv_direct conv_direct;
        runt_cuda_chain chain;  /* RUNT_CUDA_K_CHAIN: plan nodes i .. i + n_layers - 1 */
    } k;

    size_t copy_bytes;         /* RUNT_CUDA_K_COPY                              */

    /* GEMM kinds. Gemm / MatMul: cuBLAS's A is input 1, B input 0, C the
     * output. Conv: A the im2col columns (or X for a 1x1 conv), B the
     * weight, C the output. */
    runt_cuda_gemm_desc gemm;
    int has_epilogue;
    runt_cuda_epilogue epilogue;
    /* MatMul whose batch dims broadcast unevenly: one call per batch, the
     * operands' offsets from these (ref_gemm.c's batch_strides). */
    int mm_calls;              /* 1: the one strided call in `gemm` covers all */
    int mm_rank;
    int64_t mm_dims[RUNT_MAX_DIMS], mm_sa[RUNT_MAX_DIMS], mm_sb[RUNT_MAX_DIMS];
    int64_t mm_step_y;         /* elements of one output matrix               */

    /* Conv (f32 and int8). */
    runt_cuda_conv_geom conv;
    int conv_1x1;              /* 1x1, stride 1, no padding: X is the columns  */
    int64_t chunk_images;      /* images per im2col pass                       */

    /* int8. */
    runt_cuda_q8_engine q8_engine;
    int64_t q8_n, q8_k, q8_k_pad;
    int64_t q8_rows;           /* rows of the product                          */
    int64_t q8_ldacc;          /* int32 accumulator row stride (cuBLASLt)       */
    int64_t q8_x_count;        /* floats quantized per run                     */
    runt_cuda_q8_out q8_out;   /* y NULL: bound at run time                    */
    runt_epilogue q8_act;
    int q8_fused;              /* dp4a Linear in one kernel (see above)         */
    int q8_trans;              /* the weight is stored [k][n]                  */
    int q8_has_bias;
    float q8_bias_beta;        /* the bias is beta * C (Gemm)                   */
    /* Offsets of the scratch parts (from the session scratch's start). */
    size_t sc_partials, sc_scale, sc_xq, sc_col, sc_acc;
    /* Offsets of the parts of the packed int8 weights in their buffer. */
    size_t w_q, w_scale, w_row_sum;
} runt_cuda_node;

/* Rounds up to RUNT_CUDA_ALIGN (SIZE_MAX stays SIZE_MAX). */
size_t runt_cuda_align(size_t bytes);

/* "cuda" -> -1 (the calling thread's current CUDA device), "cuda:N" -> N.
 * Anything else, N with a sign, spaces or other trailing characters, or N
 * beyond INT_MAX is RUNT_E_INVALID_ARG. NULL means "cuda". */
runt_status runt_cuda_parse_device(const char *backend, int *device);

/* Decides how node i runs. RUNT_E_UNSUPPORTED (with a message naming what
 * is missing) for nodes the backend cannot run on the GPU: those are refused
 * at session creation, never run on the host. int8 decisions follow
 * plan->compute_dtype; Lt-eligible int8 products get RUNT_CUDA_Q8_LT, which
 * prepare may turn into RUNT_CUDA_Q8_DP4A when cuBLASLt has no algorithm. */
runt_status runt_cuda_node_plan(const runt_plan *plan, int i, runt_cuda_node *out);

/* Fused chains (cuda_chain.c). A chain is a run of consecutive f32 Gemm
 * nodes, each reading the previous one's output and nothing else reading
 * it, small enough that one cluster of RUNT_CUDA_CHAIN_BLOCKS thread blocks
 * holds all their weights in shared memory: at most
 * RUNT_CUDA_CHAIN_MAX_ROWS rows (the batch), inputs up to
 * RUNT_CUDA_CHAIN_MAX_WIDTH wide, and RUNT_CUDA_CHAIN_SMEM_MAX bytes per block.
 * Such a chain costs one launch instead of two per layer (cuBLAS + the
 * epilogue), and its layers hand activations on inside the cluster instead
 * of through global memory; a chain is made only where it saves a launch
 * (not for one Gemm without C or activation) and of layers with at most
 * RUNT_CUDA_CHAIN_MAX_N outputs. Clusters need sm_90. */
#define RUNT_CUDA_CHAIN_BLOCKS 8           /* the portable cluster size of sm_90 */
#define RUNT_CUDA_CHAIN_MAX_WIDTH 4096
#define RUNT_CUDA_CHAIN_SMEM_MAX (200u << 10) /* of the 227 KiB a block may have */
#define RUNT_CUDA_CHAIN_MIN_SM 90
/* Each warp of a block computes its rows one after another, so wide layers
 * make the kernel slower than the launches it saves. Measured on an H200
 * (f32, batch 1, device time, chain against cuBLAS + epilogue per layer):
 * layers of <= 128 outputs (<= 16 rows per block) gained (ten Linear(100):
 * 28.0 against 36.2 µs; four of width 64 / 128: 9.0 / 12.8 against 14.5 /
 * 15.4; Linear(1000, 10): 5.7 against 7.9), wider ones lost (four of width
 * 256: 20.8 against 17.4; 100-500-100: 14.7 against 11.2; 1024-4-1024: 16.3
 * against 11.1). */
#define RUNT_CUDA_CHAIN_MAX_N 128

/* Finds the chains among the planned nodes (runt_cuda_node_plan's output,
 * one per plan node) of a device of compute capability sm (major * 10 +
 * minor) and rewrites them: the first node of each becomes RUNT_CUDA_K_CHAIN
 * with its kernel record, the others RUNT_CUDA_K_CHAINED. Weight and bias
 * pointers stay NULL (bound at run time). Returns the number of chains;
 * none below RUNT_CUDA_CHAIN_MIN_SM or when plan->math is not f32. */
int runt_cuda_plan_chains(const runt_plan *plan, runt_cuda_node *nodes, int sm);

/* Kernel launches and library calls one plain run issues for the node. */
int runt_cuda_node_launches(const runt_cuda_node *n);

/* Name of a node's kind ("cublas gemm", "int8 dp4a", ...) for logs and tests. */
const char *runt_cuda_kind_name(const runt_cuda_node *n);

/* Quantizes n x k f32 weights (trans: stored [k][n], as a MatMul's B) with
 * backends/cpu/q8.c's runt_q8_weights_pack arithmetic: symmetric int8 per
 * output channel, scale = max|w_j| / 127 (a zero row: scale 1, all q 0),
 * q = round_half_even(clamp(w / scale, -127, 127)). Writes q [n][k_pad]
 * (0 past k), scale [n] and row_sum [n] = sum of row j's q.
 * RUNT_E_INVALID_ARG: NULL pointers, n or k < 1, k_pad < k, a weight that is
 * not finite; RUNT_E_UNSUPPORTED: k > RUNT_CUDA_Q8_MAX_K. */
runt_status runt_cuda_q8_pack(const float *w, int64_t n, int64_t k, int trans, int64_t k_pad,
                              int8_t *q, float *scale, int32_t *row_sum);

#endif /* RUNT_CUDA_LOWERING_H */
