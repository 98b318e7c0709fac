/*
 * runt's blocked f32 GEMM (sgemm_blocked.c) and the register tiles it runs:
 * portable C there, AVX2 + FMA and aarch64 NEON in f32_tiles_<isa>.c, all
 * but the C one expanded from sgemm_tile.h.
 */
#ifndef RUNT_SGEMM_BLOCKED_H
#define RUNT_SGEMM_BLOCKED_H

#include <stdint.h>

/* The largest tile's rows (the A micro-panel in scratch is sized by it). */
#define RUNT_SGEMM_TILE_MAX_MR 16

typedef struct runt_cpu_sgemm_tile {
    const char *name;
    int mr, nr;              /* rows of A, columns of B per tile             */
    /* c[i][j] += alpha * sum_p ap[p * mr + i] * bp[p * nr + j] for i < rows,
     * j < cols (rows <= mr, cols <= nr; the packed panels hold zeros past
     * them). NULL: the build compiled the file without its ISA's flags. */
    void (*run)(int64_t kc, const float *ap, const float *bp, float alpha, float *c,
                int64_t ldc, int64_t rows, int64_t cols);
} runt_cpu_sgemm_tile;

extern const runt_cpu_sgemm_tile runt_sgemm_tile_c;
extern const runt_cpu_sgemm_tile runt_sgemm_tile_avx2;
extern const runt_cpu_sgemm_tile runt_sgemm_tile_neon;

#endif
