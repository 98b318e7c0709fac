/*
 * The direct-convolution tile (conv_direct.h), written once for every
 * vector ISA on simd_f32.h's operations. The including file defines
 *   CD_MR, CD_NR   output channels and vectors of positions per tile
 *   CD_TILE        the function's name
 * and gets `static void CD_TILE(const runt_conv_direct_tile *t)`, its
 * CD_MR x CD_NR sums in registers.
 */
static void CD_TILE(const runt_conv_direct_tile *t)
{
    V_VEC acc[CD_MR][CD_NR];
    V_UNROLL for (int m = 0; m < CD_MR; m++) {
        V_VEC b = V_SET1(t->bias[m]);
        V_UNROLL for (int v = 0; v < CD_NR; v++)
            acc[m][v] = b;
    }
    const float *w = t->w;
    for (int64_t c = 0; c < t->channels; c++) {
        const float *xc = t->x + c * t->plane;
        for (int k = 0; k < t->n_taps; k++, w += CD_MR) {
            const float *xk = xc + t->taps[k];
            V_RANK1(acc, CD_MR, CD_NR, w, xk);
        }
    }
    V_UNROLL for (int m = 0; m < CD_MR; m++)
        V_UNROLL for (int v = 0; v < CD_NR; v++)
            V_STOREU(t->out + m * t->ldo + v * V_WIDTH, acc[m][v]);
}

