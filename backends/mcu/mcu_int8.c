/*
 * MatMulInteger and ConvInteger on dual 16-bit multiply-accumulates (SMLAD):
 * each step multiplies two (x - x_zero_point, w) pairs and adds both
 * products to a 32-bit sum. x - x_zero_point lies in [-255, 255] and w in
 * [-128, 127], so both fit int16 lanes; with depth K <= RUNT_QW_MAX_K the
 * sum stays within int32, so the result is the reference kernel's exactly.
 *
 * MatMulInteger's B is [K, N] (row k holds every output's weight for depth
 * k), so a word of B holds four outputs' weights at one depth. The kernel
 * works on four outputs at a time over pairs of depths: two words (rows k
 * and k + 1), unpacked by SXTB16 into lanes, regrouped into the (k, k + 1)
 * pair of each output, and one SMLAD per output adds both depths.
 * ConvInteger pairs neighbouring taps of a kernel row, whose weights lie
 * next to each other; taps in the padding add (zp - zp) * w = 0 and are
 * skipped, as the reference kernel skips them.
 */
#include "mcu_int8.h"

#include <string.h>

#include "mcu_dsp.h"
#include "ref/ref_impl.h"
#include "runt-backend.h"

/* Four bytes as a little-endian word, whatever the alignment. */
static inline uint32_t mcu_load4(const int8_t *p)
{
    const uint8_t *u = (const uint8_t *)p;
    return (uint32_t)u[0] | (uint32_t)u[1] << 8 | (uint32_t)u[2] << 16 | (uint32_t)u[3] << 24;
}

/* A scalar zero point, or 0 without one; *ok = 0 when it is not a scalar. */
static int32_t mcu_zero_point(const runt_tensor *in, int n_in, int j, int *ok)
{
    if (j >= n_in || !in[j].data)
        return 0;
    if (runt_tensor_count(&in[j]) != 1 || (in[j].dtype != RUNT_U8 && in[j].dtype != RUNT_I8)) {
        *ok = 0;
        return 0;
    }
    return in[j].dtype == RUNT_U8 ? *(const uint8_t *)in[j].data : *(const int8_t *)in[j].data;
}

int runt_mcu_int8_fits(runt_op op, const runt_tensor *in, int n_in)
{
    int ok = 1;
    if (n_in < 2 || in[0].dtype != RUNT_U8 || in[1].dtype != RUNT_I8)
        return 0;
    if (n_in > 2 && in[2].data && in[2].dtype != RUNT_U8)
        return 0;
    mcu_zero_point(in, n_in, 2, &ok);
    if (mcu_zero_point(in, n_in, 3, &ok) != 0 || !ok)
        return 0;
    if (op == RUNT_OP_MATMUL_INTEGER)
        return in[1].ndim == 2 && in[0].ndim >= 1 && in[1].dims[0] > 0 &&
               in[1].dims[0] <= RUNT_QW_MAX_K &&
               in[0].dims[in[0].ndim - 1] == in[1].dims[0];
    if (op == RUNT_OP_CONV_INTEGER)
        return in[0].ndim == 4 && in[1].ndim == 4 &&
               in[1].dims[1] * in[1].dims[2] * in[1].dims[3] <= RUNT_QW_MAX_K;
    return 0;
}

/* y[r][j] = sum over p of (a[r][p] - zp) * b[p][j], four outputs at a time. */
static void mcu_matmul_rows(const uint8_t *a, const int8_t *b, int32_t *y, int64_t rows,
                            int64_t k, int64_t n, int32_t zp)
{
    uint32_t zp2 = runt_mcu_pack16(zp, zp);
    for (int64_t r = 0; r < rows; r++) {
        const uint8_t *ar = a + r * k;
        int32_t *yr = y + r * n;
        int64_t j = 0;
        for (; j + 4 <= n; j += 4) {
            int32_t c0 = 0, c1 = 0, c2 = 0, c3 = 0;
            int64_t p = 0;
            for (; p + 2 <= k; p += 2) {
                uint32_t x = runt_mcu_ssub16(runt_mcu_pack16(ar[p], ar[p + 1]), zp2);
                uint32_t w0 = mcu_load4(b + p * n + j), w1 = mcu_load4(b + (p + 1) * n + j);
                uint32_t e0 = runt_mcu_sxtb16(w0), e1 = runt_mcu_sxtb16(w1);         /* outputs j, j+2 */
                uint32_t o0 = runt_mcu_sxtb16_odd(w0), o1 = runt_mcu_sxtb16_odd(w1); /* j+1, j+3 */
                c0 = runt_mcu_smlad(x, (e0 & 0xffffu) | e1 << 16, c0);
                c1 = runt_mcu_smlad(x, (o0 & 0xffffu) | o1 << 16, c1);
                c2 = runt_mcu_smlad(x, e0 >> 16 | (e1 & 0xffff0000u), c2);
                c3 = runt_mcu_smlad(x, o0 >> 16 | (o1 & 0xffff0000u), c3);
            }
            if (p < k) {
                int32_t xv = ar[p] - zp;
                const int8_t *w = b + p * n + j;
                c0 += xv * w[0], c1 += xv * w[1], c2 += xv * w[2], c3 += xv * w[3];
            }
            yr[j] = c0, yr[j + 1] = c1, yr[j + 2] = c2, yr[j + 3] = c3;
        }
        for (; j < n; j++) {
            int32_t c = 0;
            for (int64_t p = 0; p < k; p++)
                c += (ar[p] - zp) * b[p * n + j];
            yr[j] = c;
        }
    }
}

runt_status runt_mcu_matmul_integer(const runt_attrs *attrs, const runt_tensor *in, int n_in,
                                    runt_tensor *out, int n_out)
{
    if (!runt_mcu_int8_fits(RUNT_OP_MATMUL_INTEGER, in, n_in) || out[0].dtype != RUNT_I32)
        return runt_ref_matmul_integer(attrs, in, n_in, out, n_out);
    int ok = 1;
    int64_t k = in[1].dims[0], n = in[1].dims[1];
    mcu_matmul_rows(in[0].data, in[1].data, out[0].data, runt_tensor_count(&in[0]) / k, k, n,
                    mcu_zero_point(in, n_in, 2, &ok));
    return RUNT_OK;
}

/* One kernel row (kw taps, dilation d) of one output pixel, starting at
 * input column ix0 of row xr; taps outside [0, width) are padding. */
static int32_t mcu_conv_row(const uint8_t *xr, const int8_t *wr, int64_t ix0, int64_t kw,
                            int64_t d, int64_t width, int32_t zp, uint32_t zp2, int32_t acc)
{
    int64_t j = 0;
    if (ix0 >= 0 && ix0 + (kw - 1) * d < width) {
        for (; j + 2 <= kw; j += 2) {
            uint32_t x = runt_mcu_ssub16(runt_mcu_pack16(xr[ix0 + j * d], xr[ix0 + (j + 1) * d]), zp2);
            acc = runt_mcu_smlad(x, runt_mcu_pack16(wr[j], wr[j + 1]), acc);
        }
    }
    for (; j < kw; j++) {
        int64_t ix = ix0 + j * d;
        if (ix >= 0 && ix < width)
            acc += (xr[ix] - zp) * wr[j];
    }
    return acc;
}

runt_status runt_mcu_conv_integer(const runt_attrs *attrs, const runt_tensor *in, int n_in,
                                  runt_tensor *out, int n_out)
{
    const runt_conv_attrs *a = &attrs->conv;
    if (!runt_mcu_int8_fits(RUNT_OP_CONV_INTEGER, in, n_in) || out[0].dtype != RUNT_I32 ||
        out[0].ndim != 4 || a->group < 1)
        return runt_ref_conv_integer(attrs, in, n_in, out, n_out);
    int ok = 1;
    int32_t zp = mcu_zero_point(in, n_in, 2, &ok);
    uint32_t zp2 = runt_mcu_pack16(zp, zp);
    const runt_tensor *x = &in[0], *w = &in[1];
    int64_t batch = x->dims[0], c = x->dims[1], h = x->dims[2], wd = x->dims[3];
    int64_t m = w->dims[0], cg = w->dims[1], kh = w->dims[2], kw = w->dims[3];
    int64_t mg = m / a->group, oh = out[0].dims[2], ow = out[0].dims[3];
    const uint8_t *xd = x->data;
    const int8_t *wdata = w->data;
    int32_t *y = out[0].data;
    for (int64_t b = 0; b < batch; b++)
        for (int64_t mo = 0; mo < m; mo++) {
            const uint8_t *x0 = xd + (b * c + (mo / mg) * cg) * h * wd;
            const int8_t *w0 = wdata + mo * cg * kh * kw;
            for (int64_t oy = 0; oy < oh; oy++)
                for (int64_t ox = 0; ox < ow; ox++) {
                    int32_t acc = 0;
                    int64_t ix0 = ox * a->strides[1] - a->pads[1];
                    for (int64_t ci = 0; ci < cg; ci++)
                        for (int64_t i = 0; i < kh; i++) {
                            int64_t iy = oy * a->strides[0] - a->pads[0] + i * a->dilations[0];
                            if (iy >= 0 && iy < h)
                                acc = mcu_conv_row(x0 + (ci * h + iy) * wd, w0 + (ci * kh + i) * kw,
                                                   ix0, kw, a->dilations[1], wd, zp, zp2, acc);
                        }
                    y[((b * m + mo) * oh + oy) * ow + ox] = acc;
                }
        }
    return RUNT_OK;
}
