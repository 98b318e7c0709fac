/*
 * The GEMM driver: one description (runt_cpu_gemm), three implementations,
 * chosen per session here (runt_cpu_gemm_impl_at). The packed path
 * (sgemm_avx512.c) does C's start value and the epilogue inside its tile
 * store. The two others set C's start value (bias rows or columns) here,
 * split the product into blocks of rows or columns over the pool, have
 * each block added by a single-threaded GEMM — runt's blocked one with the
 * AVX2 or NEON tile (SIMD), or the library (BLAS: OpenBLAS where the build
 * has it, cpu_blas.c, else the blocked GEMM's C tile) — and apply the
 * epilogue afterwards.
 */
#include <stdlib.h>
#include <string.h>

#include "cpu_impl.h"
#include "ref/ref_impl.h"
#include "sgemm_blocked.h"

int runt_cpu_packed_available(void)
{
#if defined(RUNT_CPU_PACKED) && (defined(__GNUC__) || defined(__clang__))
    /* libgcc's check includes the OS saving the zmm state (XCR0). */
    return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("fma");
#else
    return 0;
#endif
}

#if !defined(RUNT_CPU_PACKED)
/* Without the AVX-512 file: never called (runt_cpu_packed_available is 0). */
size_t runt_cpu_pack_b_floats(int64_t k, int64_t n) { (void)k, (void)n; return 0; }
size_t runt_cpu_pack_a_floats(int64_t m, int64_t k) { (void)m, (void)k; return 0; }
void runt_cpu_pack_b(const float *b, int64_t rs, int64_t cs, int64_t k, int64_t n, float *dst)
{
    (void)b, (void)rs, (void)cs, (void)k, (void)n, (void)dst;
}
void runt_cpu_pack_a(const float *a, int64_t rs, int64_t cs, int64_t m, int64_t k, float *dst)
{
    (void)a, (void)rs, (void)cs, (void)m, (void)k, (void)dst;
}
void runt_cpu_pack_b_im2col(const runt_cpu_im2col *g, int threads, float *dst)
{
    (void)g, (void)threads, (void)dst;
}
size_t runt_cpu_packed_scratch_floats(const runt_cpu_gemm *g, int threads)
{
    (void)g, (void)threads;
    return 0;
}
int runt_cpu_packed_reads_b_as_stored(const runt_cpu_gemm *g)
{
    (void)g;
    return 0;
}
void runt_cpu_sgemm_packed(const runt_cpu_gemm *g, int threads, float *scratch)
{
    (void)g, (void)threads, (void)scratch;
}
#endif

static int rows_threads(int64_t m, int64_t n, int threads)
{
    return runt_cpu_pass_threads((double)m * (double)n, threads);
}

typedef struct epilogue_loop {
    float *c;
    int64_t n, ldc;
    const runt_epilogue *e;
    runt_cpu_map_fn map;
} epilogue_loop;

static void epilogue_body(void *ctx, int64_t lo, int64_t hi, int slot)
{
    const epilogue_loop *l = ctx;
    (void)slot;
    for (int64_t i = lo; i < hi; i++)
        l->map(l->c + i * l->ldc, l->c + i * l->ldc, l->n, l->e);
}

void runt_cpu_epilogue_rows(float *c, int64_t m, int64_t n, int64_t ldc, const runt_epilogue *e,
                            runt_cpu_map_fn map, int threads)
{
    if (e->act == RUNT_ACT_NONE)
        return;
    epilogue_loop l = {c, n, ldc, e, map};
    runt_cpu_parallel(rows_threads(m, n, threads), m, 0, epilogue_body, &l);
}

/* C's starting value for the BLAS path, which then adds with beta = 1. */
static void blas_init_body(void *ctx, int64_t lo, int64_t hi, int slot)
{
    const runt_cpu_gemm *g = ctx;
    (void)slot;
    for (int64_t i = lo; i < hi; i++) {
        float *ci = g->c + i * g->ldc;
        switch (g->init) {
        case RUNT_CPU_INIT_ROW: memcpy(ci, g->bias, (size_t)g->n * sizeof(float)); break;
        case RUNT_CPU_INIT_COL:
            for (int64_t j = 0; j < g->n; j++)
                ci[j] = g->bias[i];
            break;
        case RUNT_CPU_INIT_ZERO: memset(ci, 0, (size_t)g->n * sizeof(float)); break;
        default: break;
        }
    }
}

/* Which library adds the blocks, decided once here: OpenBLAS where the
 * build has it, else runt's blocked GEMM with its C tile. library_block adds
 * rows [r0, r1), columns [c0, c1) of the product on library_scratch_floats()
 * of scratch. */
#if defined(RUNT_CPU_BLAS)
static void library_block(const runt_cpu_gemm *g, int64_t r0, int64_t r1, int64_t c0, int64_t c1,
                          float *scratch)
{
    (void)scratch;
    runt_cpu_blas_block(g, r0, r1, c0, c1);
}
static size_t library_scratch_floats(void) { return 0; }
const char *runt_cpu_library_gemm_name(void) { return "OpenBLAS"; }
#else
static void library_block(const runt_cpu_gemm *g, int64_t r0, int64_t r1, int64_t c0, int64_t c1,
                          float *scratch)
{
    runt_cpu_sgemm_blocked(g, &runt_sgemm_tile_c, r0, r1, c0, c1, scratch);
}
static size_t library_scratch_floats(void) { return runt_cpu_blocked_scratch_floats(); }
const char *runt_cpu_library_gemm_name(void) { return "runt's blocked GEMM (C tile)"; }
#endif

/* The AVX2 or NEON tile where this build has one for this CPU. */
static const runt_cpu_sgemm_tile *simd_tile(void)
{
#if defined(__x86_64__) || defined(_M_X64)
    const runt_cpu_sgemm_tile *t = &runt_sgemm_tile_avx2;
#elif defined(__aarch64__)
    const runt_cpu_sgemm_tile *t = &runt_sgemm_tile_neon;
#else
    const runt_cpu_sgemm_tile *t = NULL;
#endif
    return t && t->run ? t : NULL;
}

/* RUNT_CPU_GEMM=library or =blocked sends every f32 GEMM below the AVX-512
 * kernel to that path (library: OpenBLAS where the build has it; blocked:
 * the SIMD tile where there is one), for the side-by-side measurements in
 * bench/results; unset or anything else, the rule below. */
static const char *forced_gemm(void)
{
    const char *env = getenv("RUNT_CPU_GEMM");
    return env && (!strcmp(env, "library") || !strcmp(env, "blocked")) ? env : NULL;
}

runt_cpu_gemm_impl runt_cpu_gemm_impl_at(int tier)
{
    const char *forced = forced_gemm();
    int simd = tier >= RUNT_CPU_TIER_SIMD && simd_tile();
    if (forced)
        return simd && !strcmp(forced, "blocked") ? RUNT_CPU_GEMM_SIMD : RUNT_CPU_GEMM_BLAS;
    if (tier >= RUNT_CPU_TIER_WIDE && runt_cpu_packed_available())
        return RUNT_CPU_GEMM_PACKED;
#if defined(RUNT_CPU_BLAS)
    /* With OpenBLAS in the build it stays at the SIMD tier. Side by side on
     * the Zen 5 VM capped at AVX2, 1 thread, two rounds
     * (bench/results/2026-12-05-conv-direct/gemm-avx2.txt): the AVX2 tile
     * took 0.59x and 1.19x OpenBLAS's time for Linear(1024) at batch 1024
     * (the VM's noise decides) and 1.4-1.8x at batch 1, where OpenBLAS's
     * sgemv beats reading B in place in C. */
    return RUNT_CPU_GEMM_BLAS;
#else
    /* Without it the library path is the C tile, which the SIMD tile beats
     * on every shape. */
    return simd ? RUNT_CPU_GEMM_SIMD : RUNT_CPU_GEMM_BLAS;
#endif
}

const char *runt_cpu_gemm_impl_name(runt_cpu_gemm_impl impl)
{
    switch (impl) {
    case RUNT_CPU_GEMM_PACKED: return "runt's AVX-512 kernel";
    case RUNT_CPU_GEMM_SIMD: return simd_tile()->name;
    default: return runt_cpu_library_gemm_name();
    }
}

/* Scratch floats per thread of a block-splitting implementation. */
static size_t block_scratch_floats(runt_cpu_gemm_impl impl)
{
    return impl == RUNT_CPU_GEMM_SIMD ? runt_cpu_blocked_scratch_floats() : library_scratch_floats();
}

/* The split: whole blocks of rows, or of columns when there are fewer
 * rows than columns (batch 1 has one row), in multiples of BLAS_ALIGN so
 * each block keeps the library's own kernel on full tiles. */
#define BLAS_ALIGN 16

typedef struct blas_loop {
    const runt_cpu_gemm *g;
    runt_cpu_gemm_impl impl;
    int by_rows;
    float *scratch; /* block_scratch_floats(impl) per slot */
} blas_loop;

static void blas_body(void *ctx, int64_t lo, int64_t hi, int slot)
{
    const blas_loop *l = ctx;
    float *scratch = l->scratch ? l->scratch + (size_t)slot * block_scratch_floats(l->impl) : NULL;
    int64_t r0 = l->by_rows ? lo : 0, r1 = l->by_rows ? hi : l->g->m;
    int64_t c0 = l->by_rows ? 0 : lo, c1 = l->by_rows ? l->g->n : hi;
    if (l->impl == RUNT_CPU_GEMM_SIMD)
        runt_cpu_sgemm_blocked(l->g, simd_tile(), r0, r1, c0, c1, scratch);
    else
        library_block(l->g, r0, r1, c0, c1, scratch);
}

static void blas_run(const runt_cpu_gemm *g, runt_cpu_gemm_impl impl, int threads, float *scratch)
{
    if (g->m <= 0 || g->n <= 0)
        return;
    /* Zero first rather than trusting beta = 0 to ignore NaN left in the
     * arena: BLAS implementations differ on 0 * NaN in their scaling step. */
    runt_cpu_parallel(rows_threads(g->m, g->n, threads), g->m, 0, blas_init_body, (void *)g);
#if defined(RUNT_CPU_BLAS)
    /* BLAS runs single-threaded inside runt's pool (cpu_pool.h): OpenBLAS's
     * own threads would wait at their barrier for any thread the OS put
     * behind another process, and its thread count is process-wide, so
     * sessions with different counts would overwrite each other's. */
    if (impl == RUNT_CPU_GEMM_BLAS)
        runt_cpu_blas_single_threaded();
#endif
    double flops = 2.0 * (double)g->m * (double)g->n * (double)g->k;
    blas_loop l = {g, impl, g->m >= g->n, scratch};
    int64_t units = l.by_rows ? g->m : g->n;
    int nt = flops < RUNT_CPU_PARALLEL_MIN_FLOPS ? 1 : threads;
    int64_t grain = (units + nt - 1) / (nt > 0 ? nt : 1);
    grain = (grain + BLAS_ALIGN - 1) / BLAS_ALIGN * BLAS_ALIGN;
    runt_cpu_parallel(nt, units, grain, blas_body, &l);
    runt_cpu_epilogue_rows(g->c, g->m, g->n, g->ldc, &g->epilogue, g->map, threads);
}

size_t runt_cpu_sgemm_scratch_floats(const runt_cpu_gemm *g, runt_cpu_gemm_impl impl, int threads)
{
    if (impl == RUNT_CPU_GEMM_PACKED && runt_cpu_packed_available())
        return runt_cpu_packed_scratch_floats(g, threads);
    if (g->k == 0 || g->m <= 0 || g->n <= 0)
        return 0;
    return (size_t)(threads > 0 ? threads : 1) * block_scratch_floats(impl);
}

void runt_cpu_sgemm(const runt_cpu_gemm *g, runt_cpu_gemm_impl impl, int threads, float *scratch)
{
    runt_cpu_gemm with_map;
    if (!g->map) {
        with_map = *g;
        with_map.map = runt_cpu_map_for(RUNT_CPU_TIER_C);
        g = &with_map;
    }
    if (impl == RUNT_CPU_GEMM_PACKED && runt_cpu_packed_available())
        runt_cpu_sgemm_packed(g, threads, scratch);
    else
        blas_run(g, impl, threads, scratch);
}
