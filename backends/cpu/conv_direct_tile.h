/*
 * The direct-convolution tile (conv_direct.h), written once for every
 * vector ISA. The including file defines, then includes this:
 *   CD_VEC             the vector type, CD_WIDTH floats
 *   CD_MR, CD_NR       output channels and vectors of positions per tile
 *   CD_SET1(f), CD_LOADU(p), CD_STOREU(p, v), CD_FMA(a, b, c)
 *                      (a * b + c, fused)
 *   CD_TILE            the function's name
 * and gets `static void CD_TILE(const runt_conv_direct_tile *t)`.
 * mr x nr accumulators stay in registers (the loops over them are fully
 * unrolled: GCC 12 leaves them rolled and the accumulators on the stack
 * otherwise, as it did in the int8 kernels).
 */
#if defined(__clang__)
#define CD_UNROLL _Pragma("clang loop unroll(full)")
#elif defined(__GNUC__)
#define CD_UNROLL _Pragma("GCC unroll 16")
#else
#define CD_UNROLL
#endif

static void CD_TILE(const runt_conv_direct_tile *t)
{
    CD_VEC acc[CD_MR][CD_NR];
    CD_UNROLL for (int m = 0; m < CD_MR; m++) {
        CD_VEC b = CD_SET1(t->bias[m]);
        CD_UNROLL for (int v = 0; v < CD_NR; v++)
            acc[m][v] = b;
    }
    const float *w = t->w;
    for (int64_t c = 0; c < t->channels; c++) {
        const float *xc = t->x + c * t->plane;
        for (int k = 0; k < t->n_taps; k++, w += CD_MR) {
            const float *xk = xc + t->taps[k];
            CD_VEC in[CD_NR];
            CD_UNROLL for (int v = 0; v < CD_NR; v++)
                in[v] = CD_LOADU(xk + v * CD_WIDTH);
            CD_UNROLL for (int m = 0; m < CD_MR; m++) {
                CD_VEC wm = CD_SET1(w[m]);
                CD_UNROLL for (int v = 0; v < CD_NR; v++)
                    acc[m][v] = CD_FMA(wm, in[v], acc[m][v]);
            }
        }
    }
    CD_UNROLL for (int m = 0; m < CD_MR; m++)
        CD_UNROLL for (int v = 0; v < CD_NR; v++)
            CD_STOREU(t->out + m * (CD_NR * CD_WIDTH) + v * CD_WIDTH, acc[m][v]);
}

#undef CD_UNROLL
