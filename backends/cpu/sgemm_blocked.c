/*
 * runt's blocked f32 GEMM: the classic blocking, a KC x NC block of B packed
 * in panels of NR columns, MR rows of A packed beside it, and an MR x NR tile
 * of sums kept in registers across the KC depth (the tile: sgemm_blocked.h).
 * It computes one block of C at a time; the driver (cpu_gemm.c) splits the
 * product over the pool and does C's start value and the epilogue, as it
 * does for OpenBLAS. It runs
 *   - with the AVX2 or NEON tile at the SIMD tier (cpu_gemm.c says when),
 *   - with the C tile below AVX-512 when the build has no OpenBLAS (a
 *     board's root filesystem without it, RISC-V, -DRUNT_BLAS=OFF): plain
 *     C that the compiler vectorizes for whatever the target has.
 *
 * The C tile, 4 x 8 sums, is 8 vectors of 4 floats (SSE2, NEON), leaving
 * registers for B's two vectors and A's broadcasts. Measured with x86-64's
 * baseline SSE2 (gcc 12 -O3, Linear(1024, 1024) at batch 256, one thread):
 * 4 x 8 took 12.6 ms, 6 x 8 59 ms, 4 x 16 55 ms, 6 x 16 66 ms (the larger
 * tiles spill their sums). A KC x NR panel of B (8-16 KiB) stays in L1 while
 * the rows pass over it, the KC x NC block (256 KiB) in L2.
 */
#include <string.h>

#include "cpu_impl.h"
#include "sgemm_blocked.h"

#define KC 256
/* A multiple of every tile's NR (8, 12, 16), so the panels fill the block. */
#define NC 240

static int64_t min64(int64_t a, int64_t b) { return a < b ? a : b; }

size_t runt_cpu_blocked_scratch_floats(void)
{
    return (size_t)KC * NC + (size_t)RUNT_SGEMM_TILE_MAX_MR * KC;
}

/* B[pc .. pc+kc, j0 .. j0+nc] as panels of tile_nr columns, each [kc][tile_nr],
 * columns past nc zero. */
static void pack_b(const runt_cpu_gemm *g, int tile_nr, int64_t pc, int64_t kc, int64_t j0,
                   int64_t nc, float *dst)
{
    for (int64_t jp = 0; jp < nc; jp += tile_nr) {
        int64_t nr = min64(tile_nr, nc - jp);
        for (int64_t p = 0; p < kc; p++, dst += tile_nr) {
            const float *src = g->b + (pc + p) * g->b_rs + (j0 + jp) * g->b_cs;
            if (g->b_cs == 1)
                memcpy(dst, src, (size_t)nr * sizeof(float));
            else
                for (int64_t j = 0; j < nr; j++)
                    dst[j] = src[j * g->b_cs];
            for (int64_t j = nr; j < tile_nr; j++)
                dst[j] = 0.0f;
        }
    }
}

/* A[i0 .. i0+mr, pc .. pc+kc] as [kc][tile_mr], rows past mr zero. */
static void pack_a(const runt_cpu_gemm *g, int tile_mr, int64_t i0, int64_t mr, int64_t pc,
                   int64_t kc, float *dst)
{
    for (int64_t p = 0; p < kc; p++, dst += tile_mr)
        for (int64_t i = 0; i < tile_mr; i++)
            dst[i] = i < mr ? g->a[(i0 + i) * g->a_rs + (pc + p) * g->a_cs] : 0.0f;
}

/* The C tile: c[mr][nr] += alpha * (A micro-panel times B panel). */
#define C_MR 4
#define C_NR 8
static void tile_c(int64_t kc, const float *restrict ap, const float *restrict bp, float alpha,
                   float *c, int64_t ldc, int64_t mr, int64_t nr)
{
    float acc[C_MR][C_NR];
    memset(acc, 0, sizeof acc);
    for (int64_t p = 0; p < kc; p++, ap += C_MR, bp += C_NR)
        for (int i = 0; i < C_MR; i++)
            for (int j = 0; j < C_NR; j++)
                acc[i][j] += ap[i] * bp[j];
    for (int64_t i = 0; i < mr; i++)
        for (int64_t j = 0; j < nr; j++)
            c[i * ldc + j] += alpha * acc[i][j];
}

const runt_cpu_sgemm_tile runt_sgemm_tile_c = {"c 4x8", C_MR, C_NR, tile_c};

/* Fewer rows than a tile (batch 1 and a little more): packing B would read
 * and write all of it to use it this few times, so B is read in place,
 * once. With B's rows contiguous (MatMul, Gemm without transB) each row of
 * C gains a[i][p] times row p of B, a loop the compiler vectorizes; with
 * B's columns contiguous (Gemm's transB), each C[i][j] is a dot product
 * over 8 independent partial sums, which it can vectorize without
 * reordering one sum. */
static void few_rows(const runt_cpu_gemm *g, int64_t r0, int64_t r1, int64_t c0, int64_t c1)
{
    if (g->b_cs == 1) {
        for (int64_t p = 0; p < g->k; p++) {
            const float *b = g->b + p * g->b_rs;
            for (int64_t i = r0; i < r1; i++) {
                float a = g->alpha * g->a[i * g->a_rs + p * g->a_cs], *c = g->c + i * g->ldc;
                for (int64_t j = c0; j < c1; j++)
                    c[j] += a * b[j];
            }
        }
        return;
    }
    for (int64_t i = r0; i < r1; i++)
        for (int64_t j = c0; j < c1; j++) {
            const float *b = g->b + j * g->b_cs;
            float part[8] = {0};
            int64_t p = 0;
            for (; p + 8 <= g->k; p += 8)
                for (int u = 0; u < 8; u++)
                    part[u] += g->a[i * g->a_rs + (p + u) * g->a_cs] * b[(p + u) * g->b_rs];
            for (; p < g->k; p++)
                part[0] += g->a[i * g->a_rs + p * g->a_cs] * b[p * g->b_rs];
            float sum = ((part[0] + part[1]) + (part[2] + part[3])) +
                        ((part[4] + part[5]) + (part[6] + part[7]));
            g->c[i * g->ldc + j] += g->alpha * sum;
        }
}

void runt_cpu_sgemm_blocked(const runt_cpu_gemm *g, const runt_cpu_sgemm_tile *t, int64_t r0,
                            int64_t r1, int64_t c0, int64_t c1, float *scratch)
{
    if (g->k <= 0 || r0 >= r1 || c0 >= c1)
        return; /* nothing to add (and scratch may be NULL) */
    if (r1 - r0 < t->mr) {
        few_rows(g, r0, r1, c0, c1);
        return;
    }
    float *bpack = scratch, *apack = scratch + (size_t)KC * NC;
    for (int64_t jc = c0; jc < c1; jc += NC) {
        int64_t nc = min64(NC, c1 - jc);
        for (int64_t pc = 0; pc < g->k; pc += KC) {
            int64_t kc = min64(KC, g->k - pc);
            pack_b(g, t->nr, pc, kc, jc, nc, bpack);
            for (int64_t i0 = r0; i0 < r1; i0 += t->mr) {
                int64_t mr = min64(t->mr, r1 - i0);
                pack_a(g, t->mr, i0, mr, pc, kc, apack);
                for (int64_t jp = 0; jp < nc; jp += t->nr)
                    t->run(kc, apack, bpack + jp * kc, g->alpha, g->c + i0 * g->ldc + jc + jp,
                         g->ldc, mr, min64(t->nr, nc - jp));
            }
        }
    }
}
