/*
 * The int8 dot-product kernels: the portable one against integer arithmetic
 * written here, and every SIMD kernel this machine can run against the
 * portable one, bit for bit, on random shapes (k = 1, primes, non-multiples
 * of the block, large; m = 1 and more; sub-ranges of blocks) and on the
 * values that break a saturating kernel (255 against +-127 and -128).
 * Weights use the whole s8 range, -128 included, which packing from floats
 * never produces, and the padding bytes of each input row hold random values
 * the kernels must ignore.
 */
#include <stdlib.h>
#include <string.h>

#include "rt_test.h"
#include "test_util.h"
#include "cpu/q8_impl.h"

typedef struct kcase {
    int64_t m, n, k;
    runt_q8_weights w;
    void *storage;
    int8_t *q;  /* [n][k], what was packed                   */
    uint8_t *x; /* [m][k_pad], padding bytes random as well   */
} kcase;

typedef enum fill { FILL_RANDOM, FILL_CONST } fill;

/* Random weights are drawn from [wlo, 127]: wlo = -128 exercises the AVX2
 * kernel's split path, -127 (what packing from floats gives) its signed one. */
static void kcase_make(kcase *c, int64_t m, int64_t n, int64_t k, rt_rng *r, fill how, int xv,
                       int wv, int wlo)
{
    c->m = m, c->n = n, c->k = k;
    size_t size = runt_q8_weights_size(n, k);
    c->storage = aligned_alloc(64, (size + 63) / 64 * 64);
    c->q = malloc((size_t)(n * k));
    float *scales = malloc((size_t)n * sizeof(float));
    RT_ASSERT(c->storage && c->q && scales, "out of memory for n=%lld k=%lld", (long long)n,
              (long long)k);
    for (int64_t i = 0; i < n * k; i++)
        c->q[i] = (int8_t)(how == FILL_RANDOM ? rt_rng_int(r, wlo, 127) : wv);
    for (int64_t j = 0; j < n; j++)
        scales[j] = 1.0f;
    runt_status st = runt_q8_weights_pack_s8(c->q, scales, n, k, 0, c->storage, size, &c->w);
    RT_ASSERT(st == RUNT_OK, "pack_s8 n=%lld k=%lld: %s", (long long)n, (long long)k,
              runt_last_error());
    free(scales);
    size_t ldx = (size_t)c->w.k_pad;
    c->x = malloc((size_t)m * ldx);
    RT_ASSERT(c->x, "out of memory for x");
    for (size_t i = 0; i < (size_t)m * ldx; i++)
        c->x[i] = (uint8_t)rt_rng_int(r, 0, 255);
    for (int64_t i = 0; how == FILL_CONST && i < m; i++)
        memset(c->x + i * ldx, xv, (size_t)k);
}

static void kcase_free(kcase *c)
{
    free(c->storage);
    free(c->q);
    free(c->x);
}

/* acc for rows [0, m) and blocks [b0, b1) through kernel k, in a guarded buffer. */
static int32_t *run_kernel(const runt_q8_kernel *kernel, const kcase *c, int64_t b0, int64_t b1)
{
    size_t ld = (size_t)(b1 - b0) * RUNT_Q8_NB, count = (size_t)c->m * ld;
    int32_t *acc = (int32_t *)rt_guarded_alloc(count);
    RT_ASSERT(acc, "out of memory for acc");
    kernel->dot(c->x, (size_t)c->w.k_pad, c->m, &c->w, b0, b1, acc, ld);
    RT_ASSERT(rt_guard_intact((float *)acc, count), "%s wrote past acc (m=%lld n=%lld k=%lld)",
              kernel->name, (long long)c->m, (long long)c->n, (long long)c->k);
    return acc;
}

/* The kernel named, or a skip saying why it cannot run here. */
static const runt_q8_kernel *kernel_or_skip(const char *name)
{
    const runt_q8_kernel *k = runt_q8_kernel_find(name);
    if (!k)
        RT_SKIP("q8 kernel %s: not part of this architecture's build", name);
    if (!k->dot)
        RT_SKIP("q8 kernel %s: compiled without its instruction-set flags", name);
    if (!runt_q8_kernel_usable(k))
        RT_SKIP("q8 kernel %s: this CPU lacks the instructions", name);
    return k;
}

/* ------------------------------------------------------------------------- */
/* The portable kernel against integer arithmetic                            */
/* ------------------------------------------------------------------------- */

RT_TEST(q8_kernels, c_matches_integer_math)
{
    rt_rng r = rt_rng_make(11);
    static const int64_t shapes[][3] = {{1, 1, 1},   {1, 17, 5},     {3, 16, 16}, {2, 33, 61},
                                        {5, 7, 127}, {1, 100, 1000}, {4, 31, 257}};
    for (size_t s = 0; s < sizeof shapes / sizeof shapes[0]; s++) {
        kcase c;
        kcase_make(&c, shapes[s][0], shapes[s][1], shapes[s][2], &r, FILL_RANDOM, 0, 0, -128);
        int64_t blocks = runt_q8_blocks(&c.w);
        int32_t *acc = run_kernel(&runt_q8_kernel_c, &c, 0, blocks);
        size_t ld = (size_t)blocks * RUNT_Q8_NB;
        for (int64_t i = 0; i < c.m; i++)
            for (int64_t j = 0; j < blocks * RUNT_Q8_NB; j++) {
                int64_t want = 0;
                for (int64_t kk = 0; j < c.n && kk < c.k; kk++)
                    want += (int64_t)c.x[i * c.w.k_pad + kk] * c.q[j * c.k + kk];
                RT_ASSERT(acc[i * ld + j] == want,
                          "c kernel (%lld,%lld) of m=%lld n=%lld k=%lld: %d, want %lld",
                          (long long)i, (long long)j, (long long)c.m, (long long)c.n,
                          (long long)c.k, acc[i * ld + j], (long long)want);
            }
        rt_guarded_free((float *)acc);
        kcase_free(&c);
    }
}

/* ------------------------------------------------------------------------- */
/* Every SIMD kernel against the portable one                                */
/* ------------------------------------------------------------------------- */

static void expect_same(const runt_q8_kernel *kernel, const kcase *c, int64_t b0, int64_t b1)
{
    int32_t *want = run_kernel(&runt_q8_kernel_c, c, b0, b1);
    int32_t *got = run_kernel(kernel, c, b0, b1);
    size_t count = (size_t)c->m * (size_t)(b1 - b0) * RUNT_Q8_NB;
    for (size_t i = 0; i < count; i++)
        RT_ASSERT(got[i] == want[i],
                  "%s differs from c at %zu (m=%lld n=%lld k=%lld blocks %lld..%lld): %d vs %d",
                  kernel->name, i, (long long)c->m, (long long)c->n, (long long)c->k, (long long)b0,
                  (long long)b1, got[i], want[i]);
    rt_guarded_free((float *)want);
    rt_guarded_free((float *)got);
}

static void check_random_shapes(const char *name, uint64_t seed, int wlo)
{
    const runt_q8_kernel *kernel = kernel_or_skip(name);
    rt_rng r = rt_rng_make(seed);
    static const int64_t ks[] = {1,  2,  3,  4,  5,   7,   13,   16,   17,  31,
                                 61, 63, 64, 65, 127, 257, 1000, 1031, 4099};
    static const int64_t ns[] = {1, 5, 15, 16, 17, 33, 64, 100, 130, 257, 1000};
    static const int64_t ms[] = {1, 1, 2, 3, 4, 5, 7, 8, 9, 16, 17};
    for (int t = 0; t < 60; t++) {
        int64_t k = ks[rt_rng_int(&r, 0, sizeof ks / sizeof ks[0] - 1)];
        int64_t n = ns[rt_rng_int(&r, 0, sizeof ns / sizeof ns[0] - 1)];
        int64_t m = ms[rt_rng_int(&r, 0, sizeof ms / sizeof ms[0] - 1)];
        if (n * k * m > 4000000)
            m = 1;
        kcase c;
        kcase_make(&c, m, n, k, &r, FILL_RANDOM, 0, 0, wlo);
        int64_t blocks = runt_q8_blocks(&c.w);
        expect_same(kernel, &c, 0, blocks);
        /* A sub-range, as a tile of a threaded call sees it. */
        int64_t b0 = rt_rng_int(&r, 0, blocks - 1), b1 = rt_rng_int(&r, b0 + 1, blocks);
        expect_same(kernel, &c, b0, b1);
        kcase_free(&c);
    }
}

/* All-extreme operands, where a pair of u8 x s8 products exceeds int16, and
 * k = RUNT_Q8_MAX_K, where the sum just fits int32. */
static void check_extremes(const char *name, uint64_t seed)
{
    const runt_q8_kernel *kernel = kernel_or_skip(name);
    rt_rng r = rt_rng_make(seed);
    static const int xs[] = {255, 128, 127, 0};
    static const int ws[] = {127, -128, -127, 126, 1, -1};
    for (size_t a = 0; a < sizeof xs / sizeof xs[0]; a++)
        for (size_t b = 0; b < sizeof ws / sizeof ws[0]; b++) {
            kcase c;
            kcase_make(&c, 5, 37, 515, &r, FILL_CONST, xs[a], ws[b], 0);
            RT_ASSERT(c.w.has_minus_128 == (ws[b] == -128), "has_minus_128 %d for w=%d",
                      c.w.has_minus_128, ws[b]);
            expect_same(kernel, &c, 0, runt_q8_blocks(&c.w));
            int64_t want = 515LL * xs[a] * ws[b];
            int32_t *got = run_kernel(kernel, &c, 0, 1);
            RT_ASSERT(got[0] == want, "%s: x=%d w=%d k=515 gives %d, want %lld", name, xs[a], ws[b],
                      got[0], (long long)want);
            rt_guarded_free((float *)got);
            kcase_free(&c);
        }
    /* Random mixes of the extremes: odd t with -128 among the weights, even t
     * without it (the AVX2 kernel's two paths; the flag is redone to match). */
    for (int t = 0; t < 8; t++) {
        kcase c;
        kcase_make(&c, 3, 48, 1024 + t, &r, FILL_RANDOM, 0, 0, -128);
        for (int64_t i = 0; i < c.m * c.w.k_pad; i++)
            c.x[i] = (uint8_t)xs[rt_rng_int(&r, 0, 1)];
        static const int mix[2][3] = {{127, -127, 126}, {127, -128, -127}};
        for (int64_t j = 0; j < c.n; j++)
            for (int64_t kk = 0; kk < c.k; kk++)
                c.w.data[runt_q8_index(&c.w, j, kk)] = (int8_t)mix[t % 2][rt_rng_int(&r, 0, 2)];
        c.w.has_minus_128 = 0;
        for (int64_t j = 0; j < c.n; j++) {
            int32_t sum = 0;
            for (int64_t kk = 0; kk < c.k; kk++) {
                sum += c.w.data[runt_q8_index(&c.w, j, kk)];
                c.w.has_minus_128 |= c.w.data[runt_q8_index(&c.w, j, kk)] == -128;
            }
            c.w.row_sums[j] = sum;
        }
        expect_same(kernel, &c, 0, runt_q8_blocks(&c.w));
        kcase_free(&c);
    }
    static const int ends[] = {-128, -127, 127};
    for (size_t e = 0; e < sizeof ends / sizeof ends[0]; e++) {
        kcase c;
        kcase_make(&c, 2, 17, RUNT_Q8_MAX_K, &r, FILL_CONST, 255, ends[e], 0);
        int64_t want = (int64_t)RUNT_Q8_MAX_K * 255 * ends[e];
        int32_t *got = run_kernel(kernel, &c, 0, 2);
        for (int i = 0; i < 2 * 2 * RUNT_Q8_NB; i++) {
            int64_t expect = (i % 32) < 17 ? want : 0;
            RT_ASSERT(got[i] == expect, "%s: k=%d all-extreme sum %d at %d, want %lld", name,
                      RUNT_Q8_MAX_K, got[i], i, (long long)expect);
        }
        rt_guarded_free((float *)got);
        kcase_free(&c);
    }
}

#define KERNEL_TESTS(id, name, seed)                                                               \
    RT_TEST(q8_kernels, id##_random_shapes)                                                        \
    {                                                                                              \
        check_random_shapes(name, seed, -128);                                                     \
    }                                                                                              \
    RT_TEST(q8_kernels, id##_random_shapes_no_minus_128)                                           \
    {                                                                                              \
        check_random_shapes(name, seed + 2, -127);                                                 \
    }                                                                                              \
    RT_TEST(q8_kernels, id##_extremes)                                                             \
    {                                                                                              \
        check_extremes(name, seed + 1);                                                            \
    }

KERNEL_TESTS(c, "c", 100)
KERNEL_TESTS(avx512vnni, "avx512vnni", 200)
KERNEL_TESTS(avx2, "avx2", 300)
KERNEL_TESTS(neon, "neon", 400)
KERNEL_TESTS(neon_dot, "neon-dot", 500)

/* ------------------------------------------------------------------------- */
/* Choice                                                                    */
/* ------------------------------------------------------------------------- */

RT_TEST(q8_kernels, best_is_usable_and_named)
{
    const runt_q8_kernel *best = runt_q8_kernel_best();
    RT_ASSERT(runt_q8_kernel_usable(best), "best kernel %s is not usable", best->name);
    RT_ASSERT(strcmp(runt_q8_kernel_name(), best->name) == 0, "name %s vs best %s",
              runt_q8_kernel_name(), best->name);
    static const char *const names[] = {"avx512vnni", "avx2", "neon-dot", "neon", "c"};
    int known = 0;
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        known |= strcmp(best->name, names[i]) == 0;
    RT_ASSERT(known, "unknown kernel name %s", best->name);
    RT_ASSERT(runt_q8_kernel_find("no-such-kernel") == NULL, "found a kernel that is not");
    RT_ASSERT(runt_q8_kernel_at(-1) == NULL, "kernel at -1");
}

/* A build that forgot a kernel file's compile flags falls back silently to a
 * slower kernel; on a CPU that has the instructions, that is a failure. */
RT_TEST(q8_kernels, best_uses_what_the_cpu_has)
{
#if (defined(__x86_64__) || defined(__i386__)) && defined(__GNUC__)
    __builtin_cpu_init();
    const char *want = __builtin_cpu_supports("avx512vnni") && __builtin_cpu_supports("avx512bw")
                           ? "avx512vnni"
                       : __builtin_cpu_supports("avx2") ? "avx2"
                                                        : "c";
    RT_ASSERT(strcmp(runt_q8_kernel_name(), want) == 0,
              "this CPU runs %s but runt chose %s (kernel file built without its flags?)", want,
              runt_q8_kernel_name());
#elif defined(__aarch64__)
    const char *name = runt_q8_kernel_name();
    RT_ASSERT(strcmp(name, "neon-dot") == 0 || strcmp(name, "neon") == 0,
              "aarch64 always has NEON, runt chose %s", name);
#else
    RT_SKIP("no SIMD q8 kernel exists for this architecture");
#endif
}
