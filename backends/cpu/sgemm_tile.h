/*
 * The blocked GEMM's register tile (sgemm_blocked.h), written once for every
 * vector ISA. The including file defines, then includes this:
 *   SG_VEC             the vector type, SG_WIDTH floats
 *   SG_MR, SG_NV       rows of A and vectors of B's columns per tile
 *   SG_SET1(f), SG_LOADU(p), SG_STOREU(p, v), SG_FMA(a, b, c) (a * b + c)
 *   SG_TILE            the function's name
 * SG_MR x SG_NV accumulators stay in registers across the depth; loops
 * over them are fully unrolled (GCC 12 keeps such arrays on the stack
 * otherwise).
 */
#if defined(__clang__)
#define SG_UNROLL _Pragma("clang loop unroll(full)")
#elif defined(__GNUC__)
#define SG_UNROLL _Pragma("GCC unroll 16")
#else
#define SG_UNROLL
#endif

#define SG_NR (SG_NV * SG_WIDTH)

static void SG_TILE(int64_t kc, const float *ap, const float *bp, float alpha, float *c,
                    int64_t ldc, int64_t rows, int64_t cols)
{
    SG_VEC acc[SG_MR][SG_NV];
    SG_UNROLL for (int i = 0; i < SG_MR; i++)
        SG_UNROLL for (int v = 0; v < SG_NV; v++)
            acc[i][v] = SG_SET1(0.0f);
    for (int64_t p = 0; p < kc; p++, ap += SG_MR, bp += SG_NR) {
        SG_VEC b[SG_NV];
        SG_UNROLL for (int v = 0; v < SG_NV; v++)
            b[v] = SG_LOADU(bp + v * SG_WIDTH);
        SG_UNROLL for (int i = 0; i < SG_MR; i++) {
            SG_VEC a = SG_SET1(ap[i]);
            SG_UNROLL for (int v = 0; v < SG_NV; v++)
                acc[i][v] = SG_FMA(a, b[v], acc[i][v]);
        }
    }
    SG_VEC va = SG_SET1(alpha);
    if (rows == SG_MR && cols == SG_NR) {
        SG_UNROLL for (int i = 0; i < SG_MR; i++)
            SG_UNROLL for (int v = 0; v < SG_NV; v++) {
                float *ci = c + i * ldc + v * SG_WIDTH;
                SG_STOREU(ci, SG_FMA(va, acc[i][v], SG_LOADU(ci)));
            }
        return;
    }
    /* An edge tile: the sums through memory, the part inside C added. */
    float part[SG_MR * SG_NR];
    SG_UNROLL for (int i = 0; i < SG_MR; i++)
        SG_UNROLL for (int v = 0; v < SG_NV; v++)
            SG_STOREU(part + i * SG_NR + v * SG_WIDTH, acc[i][v]);
    for (int64_t i = 0; i < rows; i++)
        for (int64_t j = 0; j < cols; j++)
            c[i * ldc + j] += alpha * part[i * SG_NR + j];
}

#undef SG_NR
#undef SG_UNROLL
