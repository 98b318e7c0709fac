/*
 * The parameter record of every kernel the CUDA backend launches, and the
 * description of every cuBLAS / cuBLASLt call it makes.
 *
 * prepare fills the geometry of these records once per node (cuda_nodes.c,
 * plain C, tested on the CPU); each run copies the record, fills in the
 * device pointers and hands it to a launcher (cuda_kernels.h) by value as the
 * kernel's single argument. The header includes no CUDA header, so host
 * tests can build and inspect the records without a toolkit.
 *
 * Every record is plain C that C++ (nvcc) reads the same way: no designated
 * initializers, no flexible arrays, no restrict.
 */
#ifndef RUNT_CUDA_PARAMS_H
#define RUNT_CUDA_PARAMS_H

#include <stdint.h>

#include "runt.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---- elementwise --------------------------------------------------------- */

/* y[i] = act(x[i]) (erf = 1: y[i] = erf(x[i])); y may be x. */
typedef struct runt_cuda_unary {
    const float *x;
    float *y;
    int64_t count;
    runt_epilogue act;
    int erf;
} runt_cuda_unary;

typedef enum runt_cuda_binop {
    RUNT_CUDA_ADD = 0, RUNT_CUDA_SUB, RUNT_CUDA_MUL, RUNT_CUDA_DIV
} runt_cuda_binop;

/* y = a op b with numpy broadcasting: y has `rank` dims `dims`; an operand's
 * element for output index (i0, i1, ...) is at sum(i_d * s_d), s_d = 0 along
 * a broadcast dim. same_shape: both operands have y's shape (no index math). */
typedef struct runt_cuda_binary {
    const float *a, *b;
    float *y;
    int64_t count;
    int op;
    int rank;
    int same_shape;
    int64_t dims[RUNT_MAX_DIMS];
    int64_t sa[RUNT_MAX_DIMS], sb[RUNT_MAX_DIMS];
} runt_cuda_binary;

/* What follows a GEMM or a convolution's product: y[idx] = act(y[idx] + beta *
 * c[k]) with, reading y as [.., rows, cols],
 *     k = ((idx / cols) % rows) * c_row + (idx % cols) * c_col.
 * Gemm's C broadcast from [M, N], [N], [M, 1] or a scalar: rows = M,
 * cols = N; a conv bias per channel: rows = M (channels), cols = OH * OW,
 * c_row = 1, c_col = 0. c NULL: act only. */
typedef struct runt_cuda_epilogue {
    float *y;
    const float *c;
    int64_t count;
    int64_t rows, cols;
    int64_t c_row, c_col;
    float beta;
    runt_epilogue act;
} runt_cuda_epilogue;

/* ---- softmax and normalization ------------------------------------------ */

/* Softmax over the axis of length len; x viewed as [outer, len, inner]. */
typedef struct runt_cuda_softmax {
    const float *x;
    float *y;
    int64_t outer, len, inner;
} runt_cuda_softmax;

/* LayerNormalization: outer blocks of `block` elements, each of shape
 * bdims[0..nd-1]. A parameter element for block element i is at
 * sum(i_d * stride[d]) (stride 0 where it broadcasts), or at i when
 * *_direct (the parameter has the block's element count). mean / inv_std
 * (the optional outputs) may be NULL. */
typedef struct runt_cuda_layer_norm {
    const float *x, *scale, *bias;
    float *y, *mean, *inv_std;
    int64_t outer, block;
    float epsilon;
    int nd;
    int scale_direct, bias_direct;
    int64_t bdims[RUNT_MAX_DIMS];
    int64_t scale_stride[RUNT_MAX_DIMS], bias_stride[RUNT_MAX_DIMS];
} runt_cuda_layer_norm;

/* BatchNormalization (inference): x [N, C, spatial...]. */
typedef struct runt_cuda_batch_norm {
    const float *x, *scale, *bias, *mean, *var;
    float *y;
    int64_t count, channels, spatial;
    float epsilon;
} runt_cuda_batch_norm;

/* ---- pooling and data movement ------------------------------------------ */

/* MaxPool / AveragePool, 2-D NCHW: count = planes * oh * ow outputs. */
typedef struct runt_cuda_pool {
    const float *x;
    float *y;
    int64_t count;
    int64_t ih, iw, oh, ow;
    int kh, kw, sh, sw, dh, dw;
    int pt, pl, pb, pr;        /* pads: top, left, bottom, right */
    int is_max;
    int count_include_pad;
} runt_cuda_pool;

/* GlobalAveragePool: the mean of each of `planes` runs of `size` elements. */
typedef struct runt_cuda_global_pool {
    const float *x;
    float *y;
    int64_t planes, size;
} runt_cuda_global_pool;

/* Pad: output element with index (o_d) reads x at o_d - before[d] along
 * every axis; where that falls outside x, mode (runt_pad_mode) decides
 * (common/pad_source.h): `value`, or another element of x. */
typedef struct runt_cuda_pad {
    const float *x;
    float *y;
    int64_t count;
    int rank;
    int mode;
    float value;
    int64_t xdims[RUNT_MAX_DIMS], ydims[RUNT_MAX_DIMS], before[RUNT_MAX_DIMS];
} runt_cuda_pad;

/* ---- convolution --------------------------------------------------------- */

/* A 2-D convolution's shapes: X [n, c, h, w], W [m, cg, kh, kw], Y [n, m, oh,
 * ow]; kc = cg * kh * kw (the GEMM depth per group), p = oh * ow. */
typedef struct runt_cuda_conv_geom {
    int64_t n, c, h, w, m, oh, ow;
    int64_t cg, mg, kc, p;
    int kh, kw, sh, sw, dh, dw, pt, pl;
    int group;
} runt_cuda_conv_geom;

/* im2col of `images` images starting at x: col[img][c][i][j][p] (for each
 * group a [kc, p] block, the layout the conv GEMM reads), 0 in the padding. */
typedef struct runt_cuda_im2col {
    const float *x;
    float *col;
    int64_t images;
    int64_t count;             /* images * c * kh * kw * p */
    runt_cuda_conv_geom g;
} runt_cuda_im2col;

/* One output element per thread: thin groups (depthwise), bias and act included. */
typedef struct runt_cuda_conv_direct {
    const float *x, *w, *bias;
    float *y;
    int64_t count;
    runt_cuda_conv_geom g;
    runt_epilogue act;
} runt_cuda_conv_direct;

/* ---- GEMM calls ---------------------------------------------------------- */

/* One cublasGemmStridedBatchedEx (f32) or cublasLtMatmul (int8) call in
 * cuBLAS's own column-major terms: for every batch b < batch,
 *   C[i + j*ldc + b*stride_c] = alpha * sum_p opA(i, p) opB(p, j) + beta * C
 * over i < m, j < n, p < k, with opA(i, p) = A[i + p*lda + b*stride_a]
 * (op_a = 0) or A[p + i*lda + b*stride_a] (op_a = 1), and opB likewise. A
 * row-major product Y = X W is Yᵀ = Wᵀ Xᵀ here: cuBLAS's A is runt's right
 * operand. cuda_nodes.c says, per node kind, which buffers A, B and C are. */
typedef struct runt_cuda_gemm_desc {
    int op_a, op_b;
    int64_t m, n, k;
    int64_t lda, ldb, ldc;
    int64_t stride_a, stride_b, stride_c;
    int64_t batch;
    float alpha, beta;
} runt_cuda_gemm_desc;

/* ---- int8 (dynamic quantization, backends/cpu/q8.h's semantics) --------- */

/* What quantizing an activation tensor found: ONNX DynamicQuantizeLinear's
 * scale and u8 zero point. Written on the device, read by later kernels. */
typedef struct runt_cuda_q8_scale {
    float scale;
    int32_t zero_point;
} runt_cuda_q8_scale;

/* Per block, the min and max (with 0) of its share of x: partials[2 b],
 * partials[2 b + 1]. */
typedef struct runt_cuda_q8_range {
    const float *x;
    int64_t count;
    float *partials;
} runt_cuda_q8_range;

/* x [rows, k] quantized as one tensor (the range from `partials`) to rows
 * of ldq bytes: s8 = u8 - 128 (cuBLASLt and dp4a multiply signed bytes), 0
 * past k. Block 0 also writes the scale and zero point to *scale_out. */
typedef struct runt_cuda_q8_quantize {
    const float *x;
    int8_t *q;
    const float *partials;
    int n_partials;
    int64_t rows, k, ldq;
    int64_t count;             /* rows * ldq */
    runt_cuda_q8_scale *scale_out;
} runt_cuda_q8_quantize;

/* Where output (row r, channel j) of an int8 product goes:
 *   y[(r / rows_per_image) * image_stride + (r % rows_per_image) * row_stride
 *     + j * col_stride]
 * Linear: rows_per_image = rows, row_stride = n, col_stride = 1; Conv as
 * GEMM over im2col rows r = img * P + p: rows_per_image = P, image_stride =
 * M * P, row_stride = 1, col_stride = P (NCHW). */
typedef struct runt_cuda_q8_out {
    float *y;
    int64_t rows_per_image, image_stride, row_stride, col_stride;
} runt_cuda_q8_out;

/* The weights of one int8 node as prepare packed them: q [n][k_pad] s8 (0
 * past k), per output channel scale and row sum (sum of q), and the bias
 * (NULL: none). */
typedef struct runt_cuda_q8_weights {
    const int8_t *q;
    const float *scale;
    const int32_t *row_sum;
    const float *bias;
    int64_t n, k, k_pad;
} runt_cuda_q8_weights;

/* u8 im2col for a group-1 conv: col[(img * p + pixel) * ldc + t] for t < kc
 * (zero point where the tap is padding, so it dequantizes to exactly 0),
 * 0 for kc <= t < ldc. */
typedef struct runt_cuda_q8_im2col {
    const int8_t *xq;
    int8_t *col;
    const runt_cuda_q8_scale *scale;
    int64_t ldc;
    int64_t count;             /* n * p * ldc */
    runt_cuda_conv_geom g;
} runt_cuda_q8_im2col;

/* How an int8 product's int32 sums become its output, whichever engine
 * summed them: dequantized with x's scale and w's, w's bias and act applied,
 * written through out (runt_cuda_q8_finish). */
typedef struct runt_cuda_q8_tail {
    runt_cuda_q8_weights w;
    const runt_cuda_q8_scale *x_scale;
    runt_cuda_q8_out out;
    runt_epilogue act;
} runt_cuda_q8_tail;

/* The dp4a kernel: every (row, channel) of x [rows][ldx] · wᵀ, finished by
 * tail. */
typedef struct runt_cuda_q8_gemm {
    const int8_t *x;
    int64_t ldx, rows;
    runt_cuda_q8_tail tail;
} runt_cuda_q8_gemm;

/* A small int8 Linear in one kernel: x [rows][k] f32, its range, its
 * quantization (rows of k_pad bytes, in shared memory) and the dp4a product
 * with w, dequantized as runt_cuda_q8_gemm does. */
typedef struct runt_cuda_q8_fused {
    const float *x;
    int64_t rows;
    runt_cuda_q8_weights w;
    runt_cuda_q8_out out;
    runt_epilogue act;
} runt_cuda_q8_fused;

/* After a cuBLASLt int8 product: acc [rows][ldacc] int32 (of the s8
 * operands) finished by tail, as runt_cuda_q8_gemm finishes. */
typedef struct runt_cuda_q8_dequant {
    const int32_t *acc;
    int64_t ldacc, rows;
    runt_cuda_q8_tail tail;
} runt_cuda_q8_dequant;

/* Direct int8 convolution (grouped convs): one output element per thread
 * from the quantized image xq [n, c, h, w] and w.q [m][k_pad]. */
typedef struct runt_cuda_q8_conv {
    const int8_t *xq;
    runt_cuda_q8_weights w;
    const runt_cuda_q8_scale *x_scale;
    float *y;
    int64_t count;
    runt_cuda_conv_geom g;
    runt_epilogue act;
} runt_cuda_q8_conv;


/* ---- fused chains of small Linear layers -------------------------------- */

#define RUNT_CUDA_CHAIN_MAX_LAYERS 16
#define RUNT_CUDA_CHAIN_MAX_ROWS 8

/* One layer of a chain: y[r][j] = act(alpha * sum_p x[r][p] * W[j][p] +
 * beta * c[j]) for r < rows, j < n, p < k, where W[j][p] is w[j * k + p]
 * (w_kn 0: stored [n][k], a Gemm's B with trans_b) or w[p * n + j] (w_kn 1:
 * stored [k][n]); c NULL adds nothing. */
typedef struct runt_cuda_chain_layer {
    const float *w;
    const float *c;
    int32_t k, n;
    int32_t w_kn;
    int32_t rows_per_block;  /* output rows per block: ceil(n / blocks)        */
    uint32_t w_smem;         /* where this layer's rows start in a block's
                                shared memory, in floats                      */
    float alpha, beta;
    runt_epilogue act;
} runt_cuda_chain_layer;

/* A chain of layers run by one cluster of `blocks` thread blocks (sm_90):
 * block b holds, in its shared memory, rows [b * rows_per_block, ...) of
 * every layer's weights (copied in once, asynchronously, at the start) and
 * two activation buffers of rows x max_width floats; each layer reads the
 * whole input from its own buffer, computes its rows and writes them into
 * the other buffer of every block of the cluster (distributed shared
 * memory); a cluster barrier separates layers. The last layer writes y.
 * x [rows][layer[0].k], y [rows][layer[n_layers - 1].n]. */
typedef struct runt_cuda_chain {
    const float *x;
    float *y;
    int32_t rows, n_layers, blocks;
    uint32_t act_smem;       /* first activation buffer, in floats            */
    uint32_t max_width;      /* floats per activation row                      */
    uint32_t smem_bytes;     /* dynamic shared memory of one block              */
    runt_cuda_chain_layer layer[RUNT_CUDA_CHAIN_MAX_LAYERS];
} runt_cuda_chain;

#ifdef __cplusplus
}
#endif
#endif /* RUNT_CUDA_PARAMS_H */
