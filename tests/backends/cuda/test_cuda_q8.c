/*
 * The int8 arithmetic of the CUDA backend on the host: weight packing
 * (runt_cuda_q8_pack) and the activation quantization and dp4a of
 * cuda_elem.h, against backends/cpu/q8.c bit for bit where the CPU backend
 * is built (RUNT_TEST_HAVE_Q8), and against their definitions everywhere.
 */
#include <float.h>
#include <math.h>

#include "cuda/cuda_elem.h"
#include "cuda/cuda_lowering.h"
#include "cuda_test.h"
#ifdef RUNT_TEST_HAVE_Q8
#include "cpu/q8_impl.h"
#endif

/* Weights with what packing must get right: a zero row, a row too small
 * for its scale (amax / 127 underflows), exact halves (w / scale = x.5 for
 * a row whose amax is 127), and random rows. */
static float *awkward_weights(int64_t n, int64_t k, uint64_t seed)
{
    rt_rng r = rt_rng_make(seed);
    float *w = malloc((size_t)(n * k) * sizeof(float));
    rt_fill_uniform(&r, w, (size_t)(n * k), -1.0f, 1.0f);
    for (int64_t j = 0; j < n; j++)
        for (int64_t t = 0; t < k; t++) {
            float *v = &w[j * k + t];
            if (j % 5 == 1)
                *v = 0.0f;
            else if (j % 5 == 2)
                *v = t % 2 ? 1e-44f : -1e-44f;
            else if (j % 5 == 3)
                *v = t == 0 ? 127.0f : (float)(t % 7) - 2.5f;
        }
    return w;
}

typedef struct pack {
    int8_t *q;
    float *scale;
    int32_t *row_sum;
    int64_t k_pad;
} pack;

static pack pack_cuda(const float *w, int64_t n, int64_t k, int trans)
{
    pack p;
    p.k_pad = (k + RUNT_CUDA_Q8_KB - 1) / RUNT_CUDA_Q8_KB * RUNT_CUDA_Q8_KB;
    p.q = malloc((size_t)(n * p.k_pad));
    p.scale = malloc((size_t)n * sizeof(float));
    p.row_sum = malloc((size_t)n * sizeof(int32_t));
    memset(p.q, 0x5A, (size_t)(n * p.k_pad)); /* the padding must come back 0 */
    RT_ASSERT(runt_cuda_q8_pack(w, n, k, trans, p.k_pad, p.q, p.scale, p.row_sum) == RUNT_OK,
              "%s", runt_last_error());
    return p;
}

static void pack_free(pack *p)
{
    free(p->q);
    free(p->scale);
    free(p->row_sum);
}

static const int64_t shapes[][3] = {{1, 1, 0}, {7, 13, 1}, {33, 300, 0}, {16, 64, 1}, {10, 17, 0}};

RT_TEST(cuda_q8, weight_packing_matches_its_definition)
{
    for (size_t s = 0; s < sizeof shapes / sizeof shapes[0]; s++) {
        int64_t n = shapes[s][0], k = shapes[s][1];
        int trans = (int)shapes[s][2];
        float *w = awkward_weights(n, k, 10 + s);
        pack p = pack_cuda(w, n, k, trans);
        for (int64_t j = 0; j < n; j++) {
            double amax = 0.0;
            int64_t sum = 0;
            for (int64_t t = 0; t < k; t++) {
                double v = w[trans ? t * n + j : j * k + t];
                amax = fabs(v) > amax ? fabs(v) : amax;
            }
            float want_scale = (float)amax / 127.0f > 0.0f ? (float)amax / 127.0f : 1.0f;
            RT_ASSERT(p.scale[j] == want_scale, "row %lld: scale %g, max|w|/127 is %g",
                      (long long)j, p.scale[j], want_scale);
            for (int64_t t = 0; t < p.k_pad; t++) {
                int q = p.q[j * p.k_pad + t];
                if (t >= k) {
                    RT_ASSERT(q == 0, "row %lld: padding byte %lld is %d", (long long)j,
                              (long long)t, q);
                    continue;
                }
                double exact = (float)amax / 127.0f > 0.0f
                                   ? (double)(w[trans ? t * n + j : j * k + t] / p.scale[j]) : 0.0;
                exact = exact < -127.0 ? -127.0 : exact > 127.0 ? 127.0 : exact;
                /* Nearest, ties to even. */
                double d = q - exact;
                RT_ASSERT(fabs(d) < 0.5 || (fabs(d) == 0.5 && q % 2 == 0),
                          "row %lld, k %lld: q %d for %.9g", (long long)j, (long long)t, q, exact);
                sum += q;
            }
            RT_ASSERT(p.row_sum[j] == sum, "row %lld: row sum %d, the q add to %lld", (long long)j,
                      p.row_sum[j], (long long)sum);
        }
        pack_free(&p);
        free(w);
    }
}

RT_TEST(cuda_q8, weight_packing_matches_the_cpu_backend)
{
#ifndef RUNT_TEST_HAVE_Q8
    RT_SKIP("the cpu backend (backends/cpu/q8.c) is not in this build");
#else
    RT_ASSERT(RUNT_CUDA_Q8_MAX_K == RUNT_Q8_MAX_K && RUNT_CUDA_Q8_MAX_K == RUNT_QW_MAX_K,
              "int8 depth limits differ: %d, %d, %d", RUNT_CUDA_Q8_MAX_K, RUNT_Q8_MAX_K,
              RUNT_QW_MAX_K);
    for (size_t s = 0; s < sizeof shapes / sizeof shapes[0]; s++) {
        int64_t n = shapes[s][0], k = shapes[s][1];
        int trans = (int)shapes[s][2];
        float *w = awkward_weights(n, k, 20 + s);
        pack p = pack_cuda(w, n, k, trans);
        size_t size = runt_q8_weights_size(n, k);
        void *storage = aligned_alloc(64, (size + 63) / 64 * 64);
        runt_q8_weights cpu;
        RT_ASSERT(runt_q8_weights_pack(w, n, k, trans, storage, size, &cpu) == RUNT_OK, "%s",
                  runt_last_error());
        RT_ASSERT(cpu.k_pad == p.k_pad, "k_pad %lld vs %lld", (long long)cpu.k_pad,
                  (long long)p.k_pad);
        for (int64_t j = 0; j < n; j++) {
            RT_ASSERT(memcmp(&cpu.scales[j], &p.scale[j], sizeof(float)) == 0 &&
                      cpu.row_sums[j] == p.row_sum[j],
                      "row %lld: scale %a vs %a, row sum %d vs %d", (long long)j,
                      (double)cpu.scales[j], (double)p.scale[j], cpu.row_sums[j], p.row_sum[j]);
            for (int64_t t = 0; t < k; t++)
                RT_ASSERT(cpu.data[runt_q8_index(&cpu, j, t)] == p.q[j * p.k_pad + t],
                          "q[%lld][%lld]: cpu %d, cuda %d", (long long)j, (long long)t,
                          cpu.data[runt_q8_index(&cpu, j, t)], p.q[j * p.k_pad + t]);
        }
        free(storage);
        pack_free(&p);
        free(w);
    }
#endif
}

RT_TEST(cuda_q8, weight_packing_refuses_bad_input)
{
    float w[8] = {1, 2, 3, 4, 5, 6, 7, 8}, scale[4];
    int8_t q[64];
    int32_t sums[4];
    struct { const float *w; int8_t *q; float *s; int32_t *r; int64_t n, k, k_pad;
             runt_status want; const char *says; } cases[] = {
        {NULL, q, scale, sums, 2, 4, 16, RUNT_E_INVALID_ARG, "w is NULL"},
        {w, NULL, scale, sums, 2, 4, 16, RUNT_E_INVALID_ARG, "q is NULL"},
        {w, q, NULL, sums, 2, 4, 16, RUNT_E_INVALID_ARG, "scale is NULL"},
        {w, q, scale, NULL, 2, 4, 16, RUNT_E_INVALID_ARG, "row_sum is NULL"},
        {w, q, scale, sums, 0, 4, 16, RUNT_E_INVALID_ARG, "bad shape"},
        {w, q, scale, sums, 2, 0, 16, RUNT_E_INVALID_ARG, "bad shape"},
        {w, q, scale, sums, 2, 4, 3, RUNT_E_INVALID_ARG, "bad shape"},
        {w, q, scale, sums, 1, RUNT_CUDA_Q8_MAX_K + 1, RUNT_CUDA_Q8_MAX_K + 16, RUNT_E_UNSUPPORTED,
         "int32 sums could overflow"},
    };
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
        runt_status s = runt_cuda_q8_pack(cases[c].w, cases[c].n, cases[c].k, 0, cases[c].k_pad,
                                          cases[c].q, cases[c].s, cases[c].r);
        RT_ASSERT(s == cases[c].want && strstr(runt_last_error(), cases[c].says),
                  "case %zu: %s '%s', expected %s '%s'", c, runt_status_name(s),
                  runt_last_error(), runt_status_name(cases[c].want), cases[c].says);
    }
    float bad[2][8];
    memcpy(bad[0], w, sizeof w);
    memcpy(bad[1], w, sizeof w);
    bad[0][5] = NAN;
    bad[1][2] = -INFINITY;
    for (int b = 0; b < 2; b++) {
        runt_status s = runt_cuda_q8_pack(bad[b], 2, 4, 0, 16, q, scale, sums);
        RT_ASSERT(s == RUNT_E_INVALID_ARG && strstr(runt_last_error(), "not finite") &&
                  strstr(runt_last_error(), b ? "weight 2" : "weight 5"),
                  "non-finite weight: %s %s", runt_status_name(s), runt_last_error());
    }
}

/* Tensors whose quantization is easy to get wrong: all positive (the range
 * is extended to 0), all negative, mixed, with NaN and -0.0 in them, all
 * equal (hi == lo: scale 1), values exactly on a rounding tie. */
static int64_t test_tensor(int which, float *x)
{
    rt_rng r = rt_rng_make(90 + (uint64_t)which);
    int64_t n = 1 + which * 97;
    rt_fill_uniform(&r, x, (size_t)n, -1.0f, 1.0f);
    for (int64_t i = 0; i < n; i++) {
        switch (which) {
        case 1: x[i] = fabsf(x[i]) * 3.0f + 0.5f; break;
        case 2: x[i] = -fabsf(x[i]) * 1e-3f; break;
        case 3: x[i] = i % 13 == 0 ? NAN : i % 7 == 0 ? -0.0f : x[i] * 50.0f; break;
        case 4: x[i] = 0.0f; break;
        case 5: x[i] = (float)(i % 256) - 127.5f; break;
        default: break;
        }
    }
    return n;
}

RT_TEST(cuda_q8, activation_quantization_matches_the_cpu_backend)
{
#ifndef RUNT_TEST_HAVE_Q8
    RT_SKIP("the cpu backend (backends/cpu/q8.c) is not in this build");
#else
    float x[1024];
    uint8_t want[1024];
    for (int which = 0; which < 6; which++) {
        int64_t n = test_tensor(which, x);
        float scale;
        uint8_t zp;
        RT_ASSERT(runt_q8_quantize_u8(x, n, want, &scale, &zp) == RUNT_OK, "%s", runt_last_error());
        float lo = 0.0f, hi = 0.0f;
        for (int64_t i = 0; i < n; i++)
            runt_cuda_q8_extend(x[i], &lo, &hi);
        runt_cuda_q8_scale s = runt_cuda_q8_params(lo, hi);
        RT_ASSERT(memcmp(&s.scale, &scale, sizeof scale) == 0 && s.zero_point == zp,
                  "tensor %d: scale %a / zero point %d, the cpu backend %a / %d", which,
                  (double)s.scale, s.zero_point, (double)scale, zp);
        for (int64_t i = 0; i < n; i++) {
            int got = runt_cuda_q8_quantize_one(x[i], s) + 128;
            RT_ASSERT(got == want[i], "tensor %d, element %lld (%g): u8 %d, the cpu backend %d",
                      which, (long long)i, (double)x[i], got, want[i]);
        }
    }
#endif
}

RT_TEST(cuda_q8, activation_quantization_matches_its_definition)
{
    float x[1024];
    for (int which = 0; which < 6; which++) {
        int64_t n = test_tensor(which, x);
        double lo = 0.0, hi = 0.0;
        for (int64_t i = 0; i < n; i++)
            if (x[i] == x[i]) {
                lo = x[i] < lo ? x[i] : lo;
                hi = x[i] > hi ? x[i] : hi;
            }
        float l = 0.0f, h = 0.0f;
        for (int64_t i = 0; i < n; i++)
            runt_cuda_q8_extend(x[i], &l, &h);
        runt_cuda_q8_scale s = runt_cuda_q8_params(l, h);
        double want_scale = hi == lo ? 1.0 : (hi - lo) / 255.0;
        RT_ASSERT(fabs(s.scale - want_scale) <= want_scale * FLT_EPSILON,
                  "tensor %d: scale %g, (max - min) / 255 = %g", which, (double)s.scale, want_scale);
        double zp = -lo / s.scale;
        RT_ASSERT(s.zero_point >= 0 && s.zero_point <= 255 && fabs(s.zero_point - zp) <= 0.5 + 1e-4,
                  "tensor %d: zero point %d for %g", which, s.zero_point, zp);
        for (int64_t i = 0; i < n; i++) {
            int u8 = runt_cuda_q8_quantize_one(x[i], s) + 128;
            if (x[i] != x[i]) {
                RT_ASSERT(u8 == 0, "NaN quantizes to 0 (onnxruntime's MLAS), got %d", u8);
                continue;
            }
            double exact = x[i] / s.scale + s.zero_point;
            exact = exact < 0.0 ? 0.0 : exact > 255.0 ? 255.0 : exact;
            RT_ASSERT(fabs(u8 - exact) <= 0.5 + 1e-4, "tensor %d, %g: u8 %d, exact %g", which,
                      (double)x[i], u8, exact);
        }
    }
}

RT_TEST(cuda_q8, dp4a_is_four_signed_byte_products)
{
    rt_rng r = rt_rng_make(5);
    for (int t = 0; t < 1000; t++) {
        uint32_t a = (uint32_t)rt_rng_next(&r), b = (uint32_t)rt_rng_next(&r);
        int32_t c = (int32_t)rt_rng_int(&r, -100000, 100000), want = c;
        for (int k = 0; k < 4; k++)
            want += (int8_t)(a >> (8 * k)) * (int8_t)(b >> (8 * k));
        RT_ASSERT(runt_cuda_dp4a((int32_t)a, (int32_t)b, c) == want, "dp4a(%08x, %08x, %d)", a, b, c);
    }
}
