/*
 * Dynamic int8 quantization for Linear and Conv, as PyTorch's quantize_dynamic
 * and ONNX Runtime's DynamicQuantizeLinear + MatMulInteger do it:
 *   - weights: quantized once (prepare time), symmetric int8 per output channel,
 *     scale = max|w_n| / 127, zero point 0 (onnxruntime quantize_dynamic's int8
 *     symmetric weights use [-127, 127]);
 *   - activations: quantized per call, per tensor, to u8 with a zero point,
 *     exactly as ONNX DynamicQuantizeLinear specifies;
 *   - int32 accumulation, then y = x_scale * w_scale[n] * (acc - x_zp * row_sums[n])
 *     + bias[n], then the fused activation.
 * The int32 dot products run on the best kernel this CPU has (q8_impl.h lists
 * them); every kernel computes the same integers bit for bit.
 *
 * Nothing here allocates: weights live in caller storage sized by
 * runt_q8_weights_size, per-call scratch in caller memory sized by
 * runt_q8_linear_scratch.
 */
#ifndef RUNT_Q8_H
#define RUNT_Q8_H

#include <stddef.h>
#include <stdint.h>

#include "runt-backend.h"

/* The dot products of one call are exact in int32 while k * 255 * 128 <=
 * INT32_MAX: runt-backend.h's limit for every backend's int8 products. */
#define RUNT_Q8_MAX_K RUNT_QW_MAX_K

typedef struct runt_q8_weights {
    int64_t n, k;        /* output features, input features                       */
    int64_t k_pad;       /* k rounded up to the kernels' block                      */
    int8_t *data;        /* quantized weights in the layout the kernels want        */
    float *scales;       /* per output channel: w[n][k] ≈ scales[n] * q[n][k]       */
    int32_t *row_sums;   /* sum over k of q[n][k]: folds the activation zero point  */
    int has_minus_128;   /* 1 if some q[n][k] is -128 (only runt_q8_weights_pack_s8
                            stores it): a kernel that negates weights (the AVX2
                            one) needs them in [-127, 127] and checks this       */
} runt_q8_weights;

/* Bytes of one block holding data, scales and row_sums for n x k weights;
 * 0 if n or k is not positive or the size overflows. */
size_t runt_q8_weights_size(int64_t n, int64_t k);

/* Quantizes f32 weights once (prepare time): symmetric int8 per output channel,
 * scale = max|w_n| / 127 (a zero row gets scale 1 and all-zero q),
 * q = round_half_even(w / scale). w is [n][k] (trans = 0) or [k][n] (trans = 1,
 * as Gemm's B without transB / MatMul's B). storage: caller memory of
 * runt_q8_weights_size bytes, 64-byte aligned; *out points into it.
 * Non-finite weights are refused (RUNT_E_INVALID_ARG); k > RUNT_Q8_MAX_K is
 * RUNT_E_UNSUPPORTED. */
runt_status runt_q8_weights_pack(const float *w, int64_t n, int64_t k, int trans,
                                 void *storage, size_t size, runt_q8_weights *out);

/* Packs weights that are already int8 (a MatMulInteger / QDQ model's
 * initializer, zero point 0), any value in [-128, 127]; scales[n] per output
 * channel (repeat a per-tensor scale n times). Same layout and rules as
 * runt_q8_weights_pack. */
runt_status runt_q8_weights_pack_s8(const int8_t *q, const float *scales, int64_t n,
                                    int64_t k, int trans, void *storage, size_t size,
                                    runt_q8_weights *out);

/* ONNX DynamicQuantizeLinear of count floats: range [min(0, min x), max(0, max x)],
 * scale = (max - min) / 255 (1 when max == min, as onnxruntime), zero_point =
 * saturate(round_half_even(-min / scale)), q = saturate(round_half_even(x / scale)
 * + zero_point). q may be NULL (parameters only). */
runt_status runt_q8_quantize_u8(const float *x, int64_t count, uint8_t *q, float *scale,
                                uint8_t *zero_point);

/* ONNX QuantizeLinear of count floats with a given scale and zero point (a
 * QDQ model's activations): q = saturate(round_half_even(x / scale) +
 * zero_point) into [0, 255]. For int8 QuantizeLinear pass its zero point +
 * 128: each q is then the int8 result + 128, and q - zero_point is the
 * same. scale must be finite and non-zero (RUNT_E_INVALID_ARG). */
runt_status runt_q8_quantize_u8_with(const float *x, int64_t count, float scale,
                                     uint8_t zero_point, uint8_t *q);

/* One output before bias and activation: the int32 sum of a row of x_q
 * (zero point zp) with a weight row (scale, row_sum) back to float, as
 * x_scale * w_scale * (acc - zp * row_sum), the operations and order of
 * onnxruntime's quantize_dynamic graph (MatMulInteger, Cast, Mul by the
 * product of the scales). acc - zp * row_sum is sum (x - zp) * q, at most
 * 255 * 128 * k in magnitude: no int32 overflow. Every int8 path of this
 * backend goes through it. */
static inline float runt_q8_dequantize_one(int32_t acc, float x_scale, int32_t zp, float scale,
                                           int32_t row_sum)
{
    return (float)(acc - zp * row_sum) * (x_scale * scale);
}

/* Scratch bytes runt_q8_linear needs for an m x k input (0 if m or k is out of range). */
size_t runt_q8_linear_scratch(int64_t m, int64_t k);

/* y[m][n] = dequantize(quantize(x) · qᵀ) + bias, then the epilogue
 * (runt_ref_activate semantics; NULL: none). x is [m][w->k], quantized per call
 * and per tensor by runt_q8_quantize_u8; accumulation in int32;
 * y = x_scale * w_scale[n] * (acc - x_zp * row_sums[n]) + bias[n]. bias may be
 * NULL. y may alias x (x is read completely before y is written).
 * Threads: every core this process may use, on the backend's pool
 * (cpu_pool.h), fewer when a thread would get under 131072 multiply-adds (the
 * measured break-even), one inside a pool loop; runt_q8_gemm_u8 takes an
 * explicit count. */
runt_status runt_q8_linear(const float *x, int64_t m, const runt_q8_weights *w,
                           const float *bias, const runt_epilogue *epilogue, float *y,
                           void *scratch, size_t scratch_size);

/* Where the output of runt_q8_gemm_u8 goes and how many threads compute it. */
typedef struct runt_q8_output {
    float *y;                /* element (i, j) at y[i * row_stride + j * col_stride] */
    int64_t row_stride;      /* n for a [m][n] output; 1 for [n][m] (Conv's NCHW)   */
    int64_t col_stride;
    int threads;             /* threads; 0: every core this process may use         */
} runt_q8_output;

/* The same computation on an input quantized already (Conv quantizes its input
 * tensor once and im2cols the bytes with zero_point as the pad value; a QDQ
 * model brings its own): row i of xq at xq + i * ldx, ldx >= w->k_pad, each row
 * readable and initialized for w->k_pad bytes (bytes k .. k_pad-1 may hold any
 * value: the packed weights are zero there). */
runt_status runt_q8_gemm_u8(const uint8_t *xq, int64_t ldx, int64_t m, float x_scale,
                            uint8_t x_zero_point, const runt_q8_weights *w,
                            const float *bias, const runt_epilogue *epilogue,
                            const runt_q8_output *out);

/* Which kernel runt_q8_linear uses on this machine: "avx512vnni", "avx2",
 * "neon-dot", "neon", "c". */
const char *runt_q8_kernel_name(void);

#endif /* RUNT_Q8_H */
