/*
 * The blocked GEMM's register tile (sgemm_blocked.h), written once for every
 * vector ISA on simd_f32.h's operations. The including file defines
 *   SG_MR, SG_NV   rows of A and vectors of B's columns per tile
 *   SG_TILE        the function's name
 * and gets the tile function, its SG_MR x SG_NV sums in registers across
 * the depth.
 */
#define SG_NR (SG_NV * V_WIDTH)

static void SG_TILE(int64_t kc, const float *ap, const float *bp, float alpha, float *c,
                    int64_t ldc, int64_t rows, int64_t cols)
{
    V_VEC acc[SG_MR][SG_NV];
    V_UNROLL for (int i = 0; i < SG_MR; i++)
        V_UNROLL for (int v = 0; v < SG_NV; v++)
            acc[i][v] = V_SET1(0.0f);
    for (int64_t p = 0; p < kc; p++, ap += SG_MR, bp += SG_NR)
        V_RANK1(acc, SG_MR, SG_NV, ap, bp);
    V_VEC va = V_SET1(alpha);
    if (rows == SG_MR && cols == SG_NR) {
        V_UNROLL for (int i = 0; i < SG_MR; i++)
            V_UNROLL for (int v = 0; v < SG_NV; v++) {
                float *ci = c + i * ldc + v * V_WIDTH;
                V_STOREU(ci, V_FMA(va, acc[i][v], V_LOADU(ci)));
            }
        return;
    }
    /* An edge tile: the sums through memory, the part inside C added. */
    float part[SG_MR * SG_NR];
    V_UNROLL for (int i = 0; i < SG_MR; i++)
        V_UNROLL for (int v = 0; v < SG_NV; v++)
            V_STOREU(part + i * SG_NR + v * V_WIDTH, acc[i][v]);
    for (int64_t i = 0; i < rows; i++)
        for (int64_t j = 0; j < cols; j++)
            c[i * ldc + j] += alpha * part[i * SG_NR + j];
}

#undef SG_NR
