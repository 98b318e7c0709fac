/*
 * The GEMM driver (cpu_impl.h) on its own, both implementations (OpenBLAS
 * or the portable GEMM, and, where the CPU has AVX-512, the packed kernel),
 * and the portable GEMM's blocks on their own (a build with OpenBLAS does not
 * reach them through the driver), against a double
 * reference written here: every init mode, strides for both transposes,
 * prepacked operands, K = 0, row strides wider than N, epilogues, threads
 * 1 and 2. C sits in a guarded buffer; an extra column past N per row
 * (ldc = N + 1) holds a sentinel value the GEMM must not touch.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "cpu/cpu_impl.h"
#include "cpu/sgemm_blocked.h"
#include "cpu_compare.h"

/* Same formulas as ref_activation.c, in double. */
static double act_double(const runt_epilogue *e, double x)
{
    switch (e->act) {
    case RUNT_ACT_RELU: return x < 0 ? 0 : x;
    case RUNT_ACT_LEAKY_RELU: return x < 0 ? e->alpha * x : x;
    case RUNT_ACT_CLIP: return x < e->alpha ? e->alpha : x > e->beta ? e->beta : x;
    case RUNT_ACT_SIGMOID: return 1.0 / (1.0 + exp(-x));
    case RUNT_ACT_TANH: return tanh(x);
    case RUNT_ACT_GELU: return 0.5 * x * (1.0 + erf(x / sqrt(2.0)));
    case RUNT_ACT_GELU_TANH:
        return 0.5 * x * (1.0 + tanh(sqrt(2.0 / 3.14159265358979323846) * (x + 0.044715 * x * x * x)));
    default: return x;
    }
}

typedef struct gemm_case {
    int64_t m, n, k;
    int trans_a, trans_b;
    runt_cpu_init init;
    runt_activation act;
    float alpha;
    int prepack;
} gemm_case;

static void check_case(const gemm_case *gc, runt_cpu_gemm_impl impl, int threads, uint64_t seed)
{
    rt_rng r = rt_rng_make(seed);
    int64_t m = gc->m, n = gc->n, k = gc->k, ldc = n + 1;
    size_t na = (size_t)(m * k), nb = (size_t)(k * n), nc = (size_t)(m * ldc);
    float *a = malloc((na ? na : 1) * sizeof(float)), *b = malloc((nb ? nb : 1) * sizeof(float));
    float *bias = malloc((size_t)(m > n ? m : n) * sizeof(float) + sizeof(float));
    float *c = rt_guarded_alloc(nc ? nc : 1);
    rt_fill_uniform(&r, a, na, -1, 1);
    rt_fill_uniform(&r, b, nb, -1, 1);
    rt_fill_uniform(&r, bias, (size_t)(m > n ? m : n), -1, 1);
    rt_fill_uniform(&r, c, nc, -1, 1); /* INIT_C starts from these; others overwrite */
    runt_cpu_gemm g;
    memset(&g, 0, sizeof g);
    g.m = m, g.n = n, g.k = k;
    g.a = a;
    g.a_rs = gc->trans_a ? 1 : k, g.a_cs = gc->trans_a ? m : 1;
    g.b = b;
    g.b_rs = gc->trans_b ? 1 : n, g.b_cs = gc->trans_b ? k : 1;
    g.alpha = gc->alpha;
    g.c = c, g.ldc = ldc;
    g.init = gc->init;
    g.bias = bias;
    g.epilogue.act = gc->act;
    g.epilogue.alpha = gc->act == RUNT_ACT_CLIP ? -0.25f : 0.1f;
    g.epilogue.beta = 0.5f;

    double *want = malloc((nc ? nc : 1) * sizeof(double));
    double pre_max = 0; /* largest |alpha A B + init|, before the activation */
    for (int64_t i = 0; i < m; i++)
        for (int64_t j = 0; j < ldc; j++) {
            double start = c[i * ldc + j];
            if (j == n) { /* the sentinel column stays */
                want[i * ldc + j] = start;
                continue;
            }
            double acc = 0.0;
            for (int64_t p = 0; p < k; p++)
                acc += (double)a[i * g.a_rs + p * g.a_cs] * b[p * g.b_rs + j * g.b_cs];
            double init = gc->init == RUNT_CPU_INIT_C     ? start
                          : gc->init == RUNT_CPU_INIT_ROW ? bias[j]
                          : gc->init == RUNT_CPU_INIT_COL ? bias[i]
                                                          : 0.0;
            double pre = gc->alpha * acc + init;
            pre_max = fabs(pre) > pre_max ? fabs(pre) : pre_max;
            want[i * ldc + j] = act_double(&g.epilogue, pre);
        }

    float *packed_a = NULL, *packed_b = NULL;
    if (gc->prepack && impl == RUNT_CPU_GEMM_PACKED) {
        packed_b = malloc(runt_cpu_pack_b_floats(k, n) * sizeof(float));
        runt_cpu_pack_b(b, g.b_rs, g.b_cs, k, n, packed_b);
        g.b_packed = packed_b;
        if (gc->prepack == 2) {
            packed_a = malloc(runt_cpu_pack_a_floats(m, k) * sizeof(float));
            runt_cpu_pack_a(a, g.a_rs, g.a_cs, m, k, packed_a);
            g.a_packed = packed_a;
        }
    }
    size_t ns = runt_cpu_sgemm_scratch_floats(&g, impl, threads);
    float *scratch = rt_guarded_alloc(ns ? ns : 1);
    runt_cpu_sgemm(&g, impl, threads, scratch);

    /* The float sums err by about sqrt(K) 2^-24 of the sums' own scale; a
     * squashing activation (tanh, sigmoid) shrinks the outputs' scale, not
     * that error where its slope is near 1 (no activation's slope exceeds
     * 1.13), so the error is measured against the larger of the two. */
    double err = rt_norm_max_error(c, want, nc, pre_max > 1e-6 ? pre_max : 1e-6);
    RT_ASSERT(err <= BOUND_F32, "%s M %lld N %lld K %lld ta %d tb %d init %d act %d prepack %d, "
              "%d threads: normalized error %g", impl == RUNT_CPU_GEMM_PACKED ? "packed" : "blas",
              (long long)m, (long long)n, (long long)k, gc->trans_a, gc->trans_b, (int)gc->init,
              (int)gc->act, gc->prepack, threads, err);
    for (int64_t i = 0; i < m; i++)
        RT_ASSERT(c[i * ldc + n] == (float)want[i * ldc + n], "row %lld: the column past N changed",
                  (long long)i);
    RT_ASSERT(rt_guard_intact(c, nc), "wrote past C");
    RT_ASSERT(rt_guard_intact(scratch, ns ? ns : 1), "wrote past the scratch it asked for");
    rt_guarded_free(scratch);
    rt_guarded_free(c);
    free(packed_a);
    free(packed_b);
    free(want);
    free(bias);
    free(a);
    free(b);
}

static void check_both(const gemm_case *gc, uint64_t seed)
{
    for (int threads = 1; threads <= 2; threads++) {
        check_case(gc, RUNT_CPU_GEMM_BLAS, threads, seed);
        if (runt_cpu_packed_available())
            check_case(gc, RUNT_CPU_GEMM_PACKED, threads, seed);
    }
}

RT_TEST(cpu_gemm, random_shapes_every_mode)
{
    CPU_REQUIRE();
    rt_rng r = rt_rng_make(21);
    static const int64_t sizes[] = {1, 2, 3, 5, 11, 12, 13, 31, 32, 33, 95, 97, 131, 257};
    const int n_sizes = (int)(sizeof sizes / sizeof sizes[0]);
    for (int t = 0; t < 60; t++) {
        gemm_case gc;
        gc.m = sizes[rt_rng_int(&r, 0, n_sizes - 1)];
        gc.n = sizes[rt_rng_int(&r, 0, n_sizes - 1)];
        gc.k = t % 7 == 0 ? rt_rng_int(&r, 257, 700) : sizes[rt_rng_int(&r, 0, n_sizes - 1)];
        gc.trans_a = (int)rt_rng_int(&r, 0, 1);
        gc.trans_b = (int)rt_rng_int(&r, 0, 1);
        gc.init = (runt_cpu_init)rt_rng_int(&r, 0, 3);
        gc.act = (runt_activation)rt_rng_int(&r, 0, 7);
        gc.alpha = t % 3 ? 1.0f : -1.5f;
        gc.prepack = (int)rt_rng_int(&r, 0, 2);
        check_both(&gc, 1000 + (uint64_t)t);
    }
}

RT_TEST(cpu_gemm, edges_k0_batch1_large)
{
    CPU_REQUIRE();
    static const gemm_case cases[] = {
        {4, 5, 0, 0, 0, RUNT_CPU_INIT_ROW, RUNT_ACT_RELU, 1.0f, 0},   /* K = 0: init only   */
        {3, 7, 0, 0, 1, RUNT_CPU_INIT_ZERO, RUNT_ACT_SIGMOID, 1.0f, 1},
        {1, 1000, 1000, 0, 1, RUNT_CPU_INIT_ROW, RUNT_ACT_NONE, 1.0f, 1}, /* batch-1 Linear */
        {1, 999, 1001, 1, 0, RUNT_CPU_INIT_ZERO, RUNT_ACT_TANH, 1.0f, 0},
        {301, 1, 129, 0, 0, RUNT_CPU_INIT_COL, RUNT_ACT_NONE, 1.0f, 0},  /* one column     */
        {200, 300, 520, 0, 1, RUNT_CPU_INIT_C, RUNT_ACT_LEAKY_RELU, 0.5f, 2},
        {12, 32, 256, 0, 0, RUNT_CPU_INIT_ROW, RUNT_ACT_CLIP, 1.0f, 2},  /* exact tiles    */
        /* Fewer rows than columns in few strips: threads split the columns
         * (A packed per thread, or prepacked, or transposed). */
        {16, 1000, 300, 0, 0, RUNT_CPU_INIT_ROW, RUNT_ACT_NONE, 1.0f, 0},
        {16, 1000, 300, 0, 1, RUNT_CPU_INIT_ZERO, RUNT_ACT_RELU, 1.0f, 2},
        {61, 97, 130, 1, 0, RUNT_CPU_INIT_COL, RUNT_ACT_TANH, 0.5f, 1},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        check_both(&cases[i], 2000 + i);
}

/* Batch 1 takes its own kernel (one row of A): every grouping of panels
 * (1 to 4 side by side, a narrow last panel loaded by half), K shorter and
 * longer than the accumulator sets, threads splitting the panels. */
RT_TEST(cpu_gemm, one_row_every_panel_grouping)
{
    CPU_REQUIRE();
    static const int64_t widths[] = {1, 5, 16, 17, 31, 32, 33, 48, 64, 100, 112, 128, 129, 161, 250, 500};
    static const int64_t depths[] = {1, 3, 7, 9, 100, 257};
    rt_rng r = rt_rng_make(23);
    int t = 0;
    for (size_t wi = 0; wi < sizeof widths / sizeof widths[0]; wi++)
        for (size_t di = 0; di < sizeof depths / sizeof depths[0]; di++, t++) {
            gemm_case gc;
            gc.m = 1;
            gc.n = widths[wi];
            gc.k = depths[di];
            gc.trans_a = (int)rt_rng_int(&r, 0, 1);
            gc.trans_b = (int)rt_rng_int(&r, 0, 1);
            gc.init = (runt_cpu_init)(t % 4);
            gc.act = (runt_activation)rt_rng_int(&r, 0, 7);
            gc.alpha = t % 3 ? 1.0f : -1.5f;
            gc.prepack = t % 3;
            check_both(&gc, 3000 + (uint64_t)t);
        }
}

/* 16 outputs or fewer at any batch: with B's columns contiguous (trans_b,
 * as a Linear's weight) and rows of A contiguous, the packed path takes
 * dot products, two rows of A at a time; K past 1024 crosses a summing
 * block. Other layouts of the same shapes take the panels. */
RT_TEST(cpu_gemm, few_outputs_every_row_count)
{
    CPU_REQUIRE();
    static const int64_t rows[] = {2, 3, 4, 5, 13, 64, 257};
    static const int64_t widths[] = {1, 2, 3, 4, 5, 8, 10, 15, 16, 17};
    static const int64_t depths[] = {1, 16, 33, 1000, 1057};
    rt_rng r = rt_rng_make(29);
    int t = 0;
    for (size_t mi = 0; mi < sizeof rows / sizeof rows[0]; mi++)
        for (size_t wi = 0; wi < sizeof widths / sizeof widths[0]; wi++)
            for (size_t di = 0; di < sizeof depths / sizeof depths[0]; di++, t++) {
                gemm_case gc;
                gc.m = rows[mi];
                gc.n = widths[wi];
                gc.k = depths[di];
                gc.trans_a = t % 5 == 4;
                gc.trans_b = t % 7 != 6;
                gc.init = (runt_cpu_init)(t % 4);
                gc.act = (runt_activation)rt_rng_int(&r, 0, 7);
                gc.alpha = t % 3 ? 1.0f : -1.5f;
                gc.prepack = t % 3;
                check_both(&gc, 5000 + (uint64_t)t);
            }
}

RT_TEST(cpu_gemm, packing_layouts)
{
    CPU_REQUIRE();
    if (!runt_cpu_packed_available())
    {
        RT_SKIP("this CPU has no AVX-512F: the packed kernel is not used here");
        return;
    }
    /* Packed B: panels of 32 columns, K rows each, zero past N. */
    int64_t k = 3, n = 35;
    float b[3 * 35];
    rt_rng r = rt_rng_make(31);
    rt_fill_uniform(&r, b, 105, -1, 1);
    size_t nb = runt_cpu_pack_b_floats(k, n);
    RT_ASSERT(nb == 3 * 64, "packed B of [3, 35] is %zu floats", nb);
    float *pb = rt_guarded_alloc(nb);
    runt_cpu_pack_b(b, n, 1, k, n, pb);
    RT_ASSERT(rt_guard_intact(pb, nb), "pack_b wrote past its size");
    for (int64_t p = 0; p < k; p++)
        for (int64_t j = 0; j < 64; j++) {
            float want = j < n ? b[p * n + j] : 0.0f;
            float got = pb[(j / 32) * k * 32 + p * 32 + j % 32];
            RT_ASSERT(got == want, "packed B [%lld][%lld]: %g, want %g", (long long)p,
                      (long long)j, got, want);
        }
    /* Packed A: panels of 12 rows, column after column, the last one short. */
    int64_t m = 14;
    float a[14 * 3];
    rt_fill_uniform(&r, a, 42, -1, 1);
    size_t na = runt_cpu_pack_a_floats(m, k);
    float *pa = rt_guarded_alloc(na);
    runt_cpu_pack_a(a, k, 1, m, k, pa);
    RT_ASSERT(rt_guard_intact(pa, na), "pack_a wrote past its size");
    for (int64_t i = 0; i < m; i++)
        for (int64_t p = 0; p < k; p++) {
            int64_t panel = i / 12, mr = panel ? 2 : 12;
            float got = pa[panel * 12 * k + p * mr + i % 12];
            RT_ASSERT(got == a[i * k + p], "packed A [%lld][%lld]", (long long)i, (long long)p);
        }
    rt_guarded_free(pa);
    rt_guarded_free(pb);
}

/* The blocked GEMM adds alpha A B to one block of C with tile t: the whole
 * product cut into a grid of blocks with odd edges, over K past its depth
 * block, for both transposes; what lies outside the block it is given
 * stays. */
static void check_blocked(const runt_cpu_sgemm_tile *t, int64_t m, int64_t n, int64_t k,
                          int trans_a, int trans_b, float alpha, uint64_t seed)
{
    rt_rng r = rt_rng_make(seed);
    int64_t ldc = n + 1;
    size_t na = (size_t)(m * k), nb = (size_t)(k * n), nc = (size_t)(m * ldc);
    float *a = malloc((na ? na : 1) * sizeof(float)), *b = malloc((nb ? nb : 1) * sizeof(float));
    float *c = rt_guarded_alloc(nc);
    double *want = malloc(nc * sizeof(double));
    RT_ASSERT(a && b && want, "out of memory");
    rt_fill_uniform(&r, a, na, -1, 1);
    rt_fill_uniform(&r, b, nb, -1, 1);
    rt_fill_uniform(&r, c, nc, -1, 1);
    runt_cpu_gemm g;
    memset(&g, 0, sizeof g);
    g.m = m, g.n = n, g.k = k, g.alpha = alpha;
    g.a = a, g.a_rs = trans_a ? 1 : k, g.a_cs = trans_a ? m : 1;
    g.b = b, g.b_rs = trans_b ? 1 : n, g.b_cs = trans_b ? k : 1;
    g.c = c, g.ldc = ldc;
    double scale = 1e-6;
    for (int64_t i = 0; i < m; i++)
        for (int64_t j = 0; j < ldc; j++) {
            double acc = 0.0;
            for (int64_t p = 0; j < n && p < k; p++)
                acc += (double)a[i * g.a_rs + p * g.a_cs] * b[p * g.b_rs + j * g.b_cs];
            want[i * ldc + j] = c[i * ldc + j] + (j < n ? alpha * acc : 0.0);
            scale = fabs(want[i * ldc + j]) > scale ? fabs(want[i * ldc + j]) : scale;
        }
    size_t ns = runt_cpu_blocked_scratch_floats();
    float *scratch = rt_guarded_alloc(ns);
    int64_t row_cut = m / 3 + 1, col_cut = n / 2 + 3;
    for (int64_t r0 = 0; r0 < m; r0 += row_cut)
        for (int64_t c0 = 0; c0 < n; c0 += col_cut)
            runt_cpu_sgemm_blocked(&g, t, r0, r0 + row_cut < m ? r0 + row_cut : m, c0,
                                   c0 + col_cut < n ? c0 + col_cut : n, scratch);
    double err = rt_norm_max_error(c, want, nc, scale);
    RT_ASSERT(err <= BOUND_F32, "blocked, tile %s, M %lld N %lld K %lld ta %d tb %d: "
              "normalized error %g", t->name, (long long)m, (long long)n, (long long)k, trans_a, trans_b, err);
    for (int64_t i = 0; i < m; i++)
        RT_ASSERT(c[i * ldc + n] == (float)want[i * ldc + n], "row %lld: the column past N changed",
                  (long long)i);
    RT_ASSERT(rt_guard_intact(c, nc), "wrote past C");
    RT_ASSERT(rt_guard_intact(scratch, ns), "wrote past the scratch it asked for");
    rt_guarded_free(scratch);
    rt_guarded_free(c);
    free(want);
    free(a);
    free(b);
}

RT_TEST(cpu_gemm, blocked_tiles)
{
    CPU_REQUIRE();
    static const int64_t shapes[][3] = {{1, 1, 1},   {1, 300, 70},  {5, 3, 2},    {7, 17, 9},
                                        {13, 9, 0},  {33, 65, 257}, {64, 520, 300}, {3, 1, 600},
                                        {130, 40, 513}};
    /* Every tile this CPU runs: C always, the SIMD one of this architecture
     * (the others' descriptors have no function here). */
    const runt_cpu_sgemm_tile *tiles[] = {&runt_sgemm_tile_c, &runt_sgemm_tile_avx2,
                                          &runt_sgemm_tile_neon};
    for (size_t ti = 0; ti < sizeof tiles / sizeof tiles[0]; ti++) {
        const runt_cpu_sgemm_tile *t = tiles[ti];
        if (!t->run || (ti > 0 && runt_cpu_tier_max() < RUNT_CPU_TIER_SIMD))
            continue;
        RT_ASSERT(t->mr <= RUNT_SGEMM_TILE_MAX_MR, "tile %s: %d rows above the maximum", t->name,
                  t->mr);
        for (size_t s = 0; s < sizeof shapes / sizeof shapes[0]; s++)
            for (int tr = 0; tr < 4; tr++)
                check_blocked(t, shapes[s][0], shapes[s][1], shapes[s][2], tr & 1, tr >> 1,
                              tr == 3 ? -0.75f : 1.0f, 3000 + s * 4 + (uint64_t)tr);
    }
}
