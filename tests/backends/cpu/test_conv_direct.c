/*
 * The direct-convolution tile kernels (conv_direct.h), each tier this CPU
 * runs, against the sum it defines computed in double precision here: odd
 * channel counts, one tap to 25, tap offsets that are not multiples of the
 * vector width, bias values per output channel. The whole path (padding,
 * tiles, writing rows out, epilogues) is checked against the reference
 * backend in test_cpu_ops.c with each conv path forced.
 */
#include <math.h>
#include <stdlib.h>

#include "rt_test.h"
#include "test_util.h"
#include "cpu/conv_direct.h"
#include "cpu/cpu_impl.h"
#include "cpu/q8_impl.h"

static void check_tile(const runt_conv_direct_kernel *k, int64_t channels, int n_taps,
                       rt_rng *r)
{
    int64_t taps[RUNT_CONV_DIRECT_MAX_TAPS];
    int64_t reach = 0;
    for (int t = 0; t < n_taps; t++) {
        taps[t] = rt_rng_int(r, 0, 37);
        reach = taps[t] > reach ? taps[t] : reach;
    }
    int64_t plane = reach + k->q_tile + rt_rng_int(r, 0, 5);
    size_t nx = (size_t)(channels * plane), nw = (size_t)(channels * n_taps * k->mr);
    float *x = malloc(nx * sizeof(float)), *w = malloc(nw * sizeof(float));
    /* Output rows further apart than a tile's width (as when the driver
     * writes a tile into its image); the gaps must stay untouched. */
    int64_t ldo = k->q_tile + rt_rng_int(r, 0, 9);
    size_t n_out = (size_t)(k->mr * ldo);
    float bias[RUNT_CONV_DIRECT_MAX_TILE], got[RUNT_CONV_DIRECT_MAX_TILE];
    float *out = malloc(n_out * sizeof(float));
    double *want = malloc((size_t)(k->mr * k->q_tile) * sizeof(double));
    RT_ASSERT(x && w && out && want, "out of memory");
    for (size_t j = 0; j < n_out; j++)
        out[j] = -7.0f;
    rt_fill_uniform(r, x, nx, -1.0f, 1.0f);
    rt_fill_uniform(r, w, nw, -1.0f, 1.0f);
    rt_fill_uniform(r, bias, (size_t)k->mr, -1.0f, 1.0f);
    for (int m = 0; m < k->mr; m++)
        for (int j = 0; j < k->q_tile; j++) {
            double s = bias[m];
            for (int64_t c = 0; c < channels; c++)
                for (int t = 0; t < n_taps; t++)
                    s += (double)w[(c * n_taps + t) * k->mr + m] *
                         (double)x[c * plane + taps[t] + j];
            want[m * k->q_tile + j] = s;
        }
    runt_conv_direct_tile tile = {x, plane, channels, taps, n_taps, w, bias, out, ldo};
    k->run(&tile);
    for (int m = 0; m < k->mr; m++)
        for (int64_t j = 0; j < ldo; j++) {
            if (j < k->q_tile)
                got[m * k->q_tile + j] = out[m * ldo + j];
            else
                RT_ASSERT(out[m * ldo + j] == -7.0f, "%s tile wrote between rows (row %d, %lld)",
                          k->name, m, (long long)j);
        }
    /* Every term is below 1 in magnitude: float rounding of the sum stays
     * within a few ulps of the number of terms. */
    double bound = 1e-6 * (double)(channels * n_taps + 1);
    double err = rt_norm_max_error(got, want, (size_t)(k->mr * k->q_tile), 1.0);
    RT_ASSERT(err <= bound, "%s tile, %lld channels, %d taps: error %g above %g", k->name,
              (long long)channels, n_taps, err, bound);
    free(x);
    free(w);
    free(out);
    free(want);
}

RT_TEST(conv_direct, tiles_match_double_sums)
{
    int tested = 0;
    rt_rng r = rt_rng_make(77);
    for (int tier = RUNT_CPU_TIER_SIMD; tier <= runt_cpu_tier_max(); tier++) {
        const runt_conv_direct_kernel *kernels[RUNT_CONV_DIRECT_KERNELS];
        int n = runt_cpu_conv_direct_kernels(tier, kernels);
        for (int j = 0; j < n; j++) {
            const runt_conv_direct_kernel *k = kernels[j];
            RT_ASSERT(k->mr * k->q_tile <= RUNT_CONV_DIRECT_MAX_TILE,
                      "%s tile of %d x %d above RUNT_CONV_DIRECT_MAX_TILE", k->name, k->mr,
                      k->q_tile);
            static const int64_t channels[] = {1, 3, 7, 16};
            static const int taps[] = {1, 2, 9, 25};
            for (size_t c = 0; c < sizeof channels / sizeof channels[0]; c++)
                for (size_t t = 0; t < sizeof taps / sizeof taps[0]; t++)
                    check_tile(k, channels[c], taps[t], &r);
            tested++;
        }
    }
    if (!tested)
        RT_SKIP("no direct-convolution kernel on this CPU and build");
}

/* The int8 tile against the integer sum it defines: exact. Weights over the
 * whole s8 range and inputs over the whole u8 range (vpdpbusd adds without
 * saturating, so nothing there is out of reach). */
static void check_q8_tile(const runt_conv_direct_q8_kernel *k, int64_t groups4, int n_taps,
                          rt_rng *r)
{
    int64_t taps[RUNT_CONV_DIRECT_MAX_TAPS], reach = 0;
    for (int t = 0; t < n_taps; t++) {
        taps[t] = rt_rng_int(r, 0, 41);
        reach = taps[t] > reach ? taps[t] : reach;
    }
    int64_t plane = reach + k->q_tile + rt_rng_int(r, 0, 3);
    size_t nx = (size_t)(groups4 * plane * 4), nw = (size_t)(groups4 * n_taps * k->mr * 4);
    uint8_t *x = malloc(nx);
    int8_t *w = malloc(nw);
    int32_t out[RUNT_CONV_DIRECT_MAX_TILE];
    RT_ASSERT(x && w, "out of memory");
    for (size_t j = 0; j < nx; j++)
        x[j] = (uint8_t)rt_rng_int(r, 0, 255);
    for (size_t j = 0; j < nw; j++)
        w[j] = (int8_t)rt_rng_int(r, -128, 127);
    runt_conv_direct_q8_tile tile = {x, plane, groups4, taps, n_taps, w, out};
    k->run(&tile);
    for (int m = 0; m < k->mr; m++)
        for (int j = 0; j < k->q_tile; j++) {
            int64_t want = 0;
            for (int64_t g = 0; g < groups4; g++)
                for (int t = 0; t < n_taps; t++)
                    for (int u = 0; u < 4; u++)
                        want += (int64_t)w[((g * n_taps + t) * k->mr + m) * 4 + u] *
                                x[(g * plane + taps[t] + j) * 4 + u];
            RT_ASSERT(out[m * k->q_tile + j] == want,
                      "%s int8 tile, %lld channel groups, %d taps: out[%d][%d] = %d, not %lld",
                      k->name, (long long)groups4, n_taps, m, j, out[m * k->q_tile + j],
                      (long long)want);
        }
    free(x);
    free(w);
}

RT_TEST(conv_direct, int8_tiles_are_exact)
{
    const runt_conv_direct_q8_kernel *k = runt_cpu_conv_direct_q8_kernel(runt_cpu_tier_max());
    if (!k || !runt_q8_kernel_usable(&runt_q8_kernel_avx512vnni))
        RT_SKIP("no int8 direct-convolution kernel on this CPU and build");
    RT_ASSERT(k->mr * k->q_tile <= RUNT_CONV_DIRECT_MAX_TILE, "int8 tile above the maximum");
    rt_rng r = rt_rng_make(78);
    static const int64_t groups4[] = {1, 2, 5};
    static const int taps[] = {1, 9, 25};
    for (size_t g = 0; g < sizeof groups4 / sizeof groups4[0]; g++)
        for (size_t t = 0; t < sizeof taps / sizeof taps[0]; t++)
            check_q8_tile(k, groups4[g], taps[t], &r);
}
