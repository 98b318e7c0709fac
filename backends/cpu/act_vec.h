/*
 * The activations of an epilogue (runt_epilogue.act) over whole vectors,
 * written once in GCC/Clang vector extensions and expanded per ISA by the
 * including file (act_avx512.c, act_avx2.c, act_neon.c), which defines
 *   ACT_LANES   floats per vector (16, 8, 4)
 *   ACT_MAP     the function's name
 * and gets `static void ACT_MAP(const float *x, float *y, int64_t n, const
 * runt_epilogue *e)`: y[i] = act(x[i]), y may be x.
 *
 * Why: the reference computes tanh, sigmoid and GELU through libm one
 * float at a time (expm1f and tanhf were 53 % of a Conv + Tanh + MaxPool
 * model's time on the CPU backend, 7x ONNX Runtime's). Here they are
 * branch-free polynomials over a whole vector:
 *   exp      Cephes expf: n = round(x log2 e), a degree-6 polynomial of the
 *            remainder, 2^n put into the exponent bits; 0 below -87.34
 *            (where expf is subnormal), clamped at 88.72.
 *   tanh     Cephes tanhf: x + x^3 P(x^2) for |x| < 0.625, else
 *            1 - 2 / (exp(2|x|) + 1) with x's sign (no cancellation near 0,
 *            exactly +-1 from |x| > 9.1).
 *   sigmoid  1 / (1 + exp(-|x|)), or its complement for x < 0, as the
 *            reference's two branches (neither overflows).
 *   erf      the Taylor series to x^11 for |x| < 0.5 (error < 2e-8), else
 *            Abramowitz & Stegun 7.1.26 (absolute error < 1.5e-7), with x's
 *            sign; GELU is 0.5 x (1 + erf(x / sqrt 2)).
 * Against double precision (libm's double functions) over [-20, 20] and
 * the edges (+-0, +-inf, NaN), tests/backends/cpu/test_cpu_act.c bounds
 * each one's error. NaN
 * passes through every activation, as in the reference: comparisons with
 * NaN are false, and each branch either keeps x or computes from it.
 */
#include <stdint.h>
#include <string.h>

/* The polynomials in fused multiply-adds where the ISA has them: GCC in
 * ISO C mode (-std=c11) contracts nothing by default, and each step's
 * separate multiply and add doubled the chain's latency. */
#if defined(__clang__)
#pragma clang fp contract(fast)
#elif defined(__GNUC__)
#pragma GCC optimize("fp-contract=fast")
#endif

typedef float act_vf __attribute__((vector_size(ACT_LANES * 4)));
typedef int32_t act_vi __attribute__((vector_size(ACT_LANES * 4)));

static inline act_vf act_splat(float f)
{
    act_vf v;
    for (int i = 0; i < ACT_LANES; i++)
        v[i] = f;
    return v;
}

/* m ? a : b, lane by lane (m from a comparison: all ones or zero). */
static inline act_vf act_select(act_vi m, act_vf a, act_vf b)
{
    return (act_vf)((m & (act_vi)a) | (~m & (act_vi)b));
}

static inline act_vf act_abs(act_vf x) { return (act_vf)((act_vi)x & 0x7fffffff); }

/* |y| with x's sign bit. */
static inline act_vf act_copysign(act_vf y, act_vf x)
{
    return (act_vf)((act_vi)act_abs(y) | ((act_vi)x & (int32_t)0x80000000u));
}

static inline act_vf act_exp(act_vf x)
{
    const act_vf lo = act_splat(-87.33654f), hi = act_splat(88.72283f);
    act_vf c = act_select(x > hi, hi, act_select(x < lo, lo, x));
    /* n = floor(c log2 e + 0.5), through truncation corrected downwards. */
    act_vf f = c * 1.44269504088896341f + 0.5f;
    act_vf n = __builtin_convertvector(__builtin_convertvector(f, act_vi), act_vf);
    n = act_select(n > f, n - 1.0f, n);
    act_vf r = c - n * 0.693359375f + n * 2.12194440e-4f;
    act_vf p = 1.9875691500e-4f * r + 1.3981999507e-3f;
    p = p * r + 8.3334519073e-3f;
    p = p * r + 4.1665795894e-2f;
    p = p * r + 1.6666665459e-1f;
    p = p * r + 5.0000001201e-1f;
    p = p * r * r + r + 1.0f;
    act_vi e = (__builtin_convertvector(n, act_vi) + 127) << 23;
    return act_select(x < lo, act_splat(0.0f), p * (act_vf)e);
}

static inline act_vf act_tanh(act_vf x)
{
    act_vf a = act_abs(x), z = x * x;
    act_vf p = -5.70498872745e-3f * z + 2.06390887954e-2f;
    p = p * z - 5.37397155531e-2f;
    p = p * z + 1.33314422036e-1f;
    p = p * z - 3.33332819422e-1f;
    act_vf small = p * z * x + x;
    act_vf large = act_copysign(1.0f - 2.0f / (act_exp(a + a) + 1.0f), x);
    return act_select(a < 0.625f, small, large);
}

static inline act_vf act_sigmoid(act_vf x)
{
    act_vf t = act_exp(-act_abs(x)), s = 1.0f / (1.0f + t);
    return act_select(x >= 0.0f, s, t * s);
}

static inline act_vf act_erf(act_vf x)
{
    act_vf a = act_abs(x), z = x * x;
    act_vf q = -8.54832704e-4f * z + 5.22397764e-3f;
    q = q * z - 2.68661707e-2f;
    q = q * z + 1.12837917e-1f;
    q = q * z - 3.76126389e-1f;
    q = q * z + 1.12837917e+0f;
    act_vf small = q * x;
    act_vf t = 1.0f / (1.0f + 0.3275911f * a);
    act_vf p = 1.061405429f * t - 1.453152027f;
    p = p * t + 1.421413741f;
    p = p * t - 0.284496736f;
    p = p * t + 0.254829592f;
    act_vf large = act_copysign(1.0f - p * t * act_exp(-z), x);
    return act_select(a < 0.5f, small, large);
}

/* Inlined into the loops whatever the compiler's size heuristics say: as
 * a call it was half of a Conv + Tanh model's time. */
static inline __attribute__((always_inline)) act_vf act_apply(act_vf x, const runt_epilogue *e)
{
    switch (e->act) {
    case RUNT_ACT_RELU: return act_select(x < 0.0f, act_splat(0.0f), x);
    case RUNT_ACT_LEAKY_RELU: return act_select(x < 0.0f, x * e->alpha, x);
    case RUNT_ACT_CLIP: {
        /* As the reference: raise to min, then cap at max. */
        act_vf lo = act_splat(e->alpha), hi = act_splat(e->beta);
        x = act_select(x < lo, lo, x);
        return act_select(x > hi, hi, x);
    }
    case RUNT_ACT_SIGMOID: return act_sigmoid(x);
    case RUNT_ACT_TANH: return act_tanh(x);
    case RUNT_ACT_GELU: return 0.5f * x * (1.0f + act_erf(x * 0.7071067811865476f));
    case RUNT_ACT_GELU_TANH:
        return 0.5f * x * (1.0f + act_tanh(0.7978845608028654f * (x + 0.044715f * x * x * x)));
    case RUNT_ACT_NONE:
    default: return x;
    }
}

/* One switch per call, inside act_apply: the compiler hoists it out of the
 * loop (unswitching) or branches once per vector, predictably. */
static void ACT_MAP(const float *x, float *y, int64_t n, const runt_epilogue *e)
{
    if (e->act == RUNT_ACT_NONE) {
        if (x != y)
            memmove(y, x, (size_t)n * sizeof(float));
        return;
    }
    if (n < ACT_LANES) {
        /* Lane by lane into a vector and out (a short row's end). */
        act_vf v = act_splat(0.0f);
        for (int j = 0; j < ACT_LANES; j++)
            if (j < n)
                v[j] = x[j];
        v = act_apply(v, e);
        for (int j = 0; j < ACT_LANES; j++)
            if (j < n)
                y[j] = v[j];
        return;
    }
    /* A row that ends in part of a vector ends with the whole last vector
     * [n - ACT_LANES, n), loaded before anything is stored (y may be x),
     * so the lanes it shares with the one before are computed twice from
     * the same inputs: no partial loads, which cost a libc call or a
     * store-forwarding stall on every 24-float conv row. */
    act_vf last;
    memcpy(&last, x + n - ACT_LANES, sizeof last);
    int64_t i = 0;
    for (; i + ACT_LANES <= n; i += ACT_LANES) {
        act_vf v;
        memcpy(&v, x + i, sizeof v);
        v = act_apply(v, e);
        memcpy(y + i, &v, sizeof v);
    }
    if (i < n) {
        last = act_apply(last, e);
        memcpy(y + n - ACT_LANES, &last, sizeof last);
    }
}
