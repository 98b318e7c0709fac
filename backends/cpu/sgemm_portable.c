/*
 * The portable f32 GEMM: what the CPU backend multiplies with below the
 * AVX-512 tier when the build has no OpenBLAS (a board's root filesystem
 * without it, RISC-V, -DRUNT_BLAS=OFF). Plain C that the compiler
 * vectorizes for whatever the target has (SSE2, NEON, RVV or none), on the
 * classic blocking: a KC x NC block of B packed in panels of NR columns,
 * MR rows of A packed beside it, and an MR x NR tile of sums kept in
 * registers across the KC depth. It computes one block of C at a time; the
 * driver (cpu_gemm.c) splits the product over the pool and does C's start
 * value and the epilogue, as it does for OpenBLAS.
 *
 * Sizes: MR x NR = 4 x 8 sums are 8 vectors of 4 floats (SSE2, NEON),
 * leaving registers for B's two vectors and A's broadcasts. Measured with
 * x86-64's baseline SSE2 (gcc 12 -O3, Linear(1024, 1024) at batch 256, one
 * thread): 4 x 8 took 12.6 ms, 6 x 8 59 ms, 4 x 16 55 ms, 6 x 16 66 ms
 * (the larger tiles spill their sums). A KC x NR panel of B (8 KiB) stays
 * in L1 while the rows pass over it, the KC x NC block (256 KiB) in L2.
 */
#include <string.h>

#include "cpu_impl.h"

#define MR 4
#define NR 8
#define KC 256
#define NC 256

static int64_t min64(int64_t a, int64_t b) { return a < b ? a : b; }

size_t runt_cpu_portable_scratch_floats(void) { return (size_t)KC * NC + (size_t)MR * KC; }

/* B[pc .. pc+kc, j0 .. j0+nc] as panels of NR columns, each [kc][NR],
 * columns past nc zero. */
static void pack_b(const runt_cpu_gemm *g, int64_t pc, int64_t kc, int64_t j0, int64_t nc,
                   float *dst)
{
    for (int64_t jp = 0; jp < nc; jp += NR) {
        int64_t nr = min64(NR, nc - jp);
        for (int64_t p = 0; p < kc; p++, dst += NR) {
            const float *src = g->b + (pc + p) * g->b_rs + (j0 + jp) * g->b_cs;
            if (g->b_cs == 1)
                memcpy(dst, src, (size_t)nr * sizeof(float));
            else
                for (int64_t j = 0; j < nr; j++)
                    dst[j] = src[j * g->b_cs];
            for (int64_t j = nr; j < NR; j++)
                dst[j] = 0.0f;
        }
    }
}

/* A[i0 .. i0+mr, pc .. pc+kc] as [kc][MR], rows past mr zero. */
static void pack_a(const runt_cpu_gemm *g, int64_t i0, int64_t mr, int64_t pc, int64_t kc,
                   float *dst)
{
    for (int64_t p = 0; p < kc; p++, dst += MR)
        for (int64_t i = 0; i < MR; i++)
            dst[i] = i < mr ? g->a[(i0 + i) * g->a_rs + (pc + p) * g->a_cs] : 0.0f;
}

/* C[mr][nr] += alpha * (the packed A micro-panel times the B panel). */
static void tile(int64_t kc, const float *restrict ap, const float *restrict bp, float alpha,
                 float *c, int64_t ldc, int64_t mr, int64_t nr)
{
    float acc[MR][NR];
    memset(acc, 0, sizeof acc);
    for (int64_t p = 0; p < kc; p++, ap += MR, bp += NR)
        for (int i = 0; i < MR; i++)
            for (int j = 0; j < NR; j++)
                acc[i][j] += ap[i] * bp[j];
    for (int64_t i = 0; i < mr; i++)
        for (int64_t j = 0; j < nr; j++)
            c[i * ldc + j] += alpha * acc[i][j];
}

void runt_cpu_sgemm_portable_block(const runt_cpu_gemm *g, int64_t r0, int64_t r1, int64_t c0,
                                   int64_t c1, float *scratch)
{
    if (g->k <= 0 || r0 >= r1 || c0 >= c1)
        return; /* nothing to add (and scratch may be NULL) */
    float *bpack = scratch, *apack = scratch + (size_t)KC * NC;
    for (int64_t jc = c0; jc < c1; jc += NC) {
        int64_t nc = min64(NC, c1 - jc);
        for (int64_t pc = 0; pc < g->k; pc += KC) {
            int64_t kc = min64(KC, g->k - pc);
            pack_b(g, pc, kc, jc, nc, bpack);
            for (int64_t i0 = r0; i0 < r1; i0 += MR) {
                int64_t mr = min64(MR, r1 - i0);
                pack_a(g, i0, mr, pc, kc, apack);
                for (int64_t jp = 0; jp < nc; jp += NR)
                    tile(kc, apack, bpack + jp * kc, g->alpha, g->c + i0 * g->ldc + jc + jp,
                         g->ldc, mr, min64(NR, nc - jp));
            }
        }
    }
}
