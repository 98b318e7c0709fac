/*
 * Symmetric int8 weights, one scale per output channel: the one definition
 * every int8 path uses (the CPU backend's packed weights, the CUDA
 * backend's, runt_model_quantize_int8's rewritten models), so that all of
 * them multiply the same integers.
 *
 *   scale = max |w| / 127 over the channel; a channel of zeros, or one so
 *           small that the scale underflows to 0 (weights below 2e-43),
 *           gets scale 1 and every q = 0;
 *   q     = w / scale, clamped to [-127, 127], rounded half to even.
 *
 * The weights must be finite: callers check, and say which one is not.
 */
#ifndef RUNT_WEIGHT_QUANT_H
#define RUNT_WEIGHT_QUANT_H

#include <math.h>
#include <stdint.h>

/* Round half to even for |v| <= 2^22, in the default rounding mode: adding
 * 1.5 * 2^23 leaves no fraction bits, so the FPU rounds v to an integer the
 * IEEE way (what ONNX's round and numpy's rint do). Unlike nearbyintf it is
 * no libm call where the target lacks a rounding instruction (x86-64 before
 * SSE4.1), and it vectorizes. Callers clamp v first. The float temporaries
 * drop any excess precision (C11 5.2.4.2.2), so it holds on x87 too. */
static inline float runt_round_half_even(float v)
{
    const float magic = 12582912.0f;
    float t = v + magic;
    return t - magic;
}

/* max |w| of the count weights w[0], w[stride], ...; 0 for a channel whose
 * q are all 0 (zeros, or a scale that would underflow). */
static inline float runt_weight_quant_amax(const float *w, int64_t count, int64_t stride)
{
    float amax = 0.0f;
    for (int64_t i = 0; i < count; i++) {
        float a = fabsf(w[i * stride]);
        amax = a > amax ? a : amax;
    }
    return amax / 127.0f > 0.0f ? amax : 0.0f;
}

/* The channel's scale from runt_weight_quant_amax's result. */
static inline float runt_weight_quant_scale(float amax)
{
    return amax > 0.0f ? amax / 127.0f : 1.0f;
}

/* One weight's q (0 for a channel whose amax is 0). */
static inline int8_t runt_weight_quant_one(float w, float amax, float scale)
{
    if (!(amax > 0.0f))
        return 0;
    float v = w / scale;
    v = v > -127.0f ? v : -127.0f;
    v = v < 127.0f ? v : 127.0f;
    return (int8_t)runt_round_half_even(v);
}

/* The first of the count weights that is not finite, or -1: callers refuse
 * such weights and name the one at fault. */
static inline int64_t runt_weight_quant_first_non_finite(const float *w, int64_t count)
{
    for (int64_t i = 0; i < count; i++)
        if (!isfinite(w[i]))
            return i;
    return -1;
}

/* Quantizes count weights w[0], w[stride], ... of one channel whose amax and
 * scale are those of the whole channel into q[0], q[q_stride], ...; returns
 * the sum of the q written (the int8 kernels' row sums). A layout that keeps
 * a channel in runs rather than at one stride calls this once per run. */
static inline int32_t runt_weight_quant_run(const float *w, int64_t count, int64_t stride,
                                            float amax, float scale, int8_t *q,
                                            int64_t q_stride)
{
    int32_t sum = 0;
    for (int64_t i = 0; i < count; i++) {
        int8_t v = runt_weight_quant_one(w[i * stride], amax, scale);
        q[i * q_stride] = v;
        sum += v;
    }
    return sum;
}

#endif /* RUNT_WEIGHT_QUANT_H */
