/* Shape inference against independent definitions: windows are counted by
 * enumerating their start positions, broadcasting by the numpy rule per axis. */
#include <string.h>

#include "rt_test.h"
#include "shape.h"
#include "test_util.h"

static runt_tensor desc(int ndim, const int64_t *dims)
{
    runt_tensor t;
    memset(&t, 0, sizeof t);
    t.dtype = RUNT_F32;
    t.ndim = ndim;
    memcpy(t.dims, dims, sizeof(int64_t) * (size_t)ndim);
    return t;
}

/* Windows along one axis, by enumeration: a window starts every stride steps
 * from -pad_begin; floor mode keeps windows that end inside the padded input,
 * ceil mode also keeps a partial last window if it starts inside the input or
 * the begin padding (the ONNX/PyTorch rule). */
static int64_t count_windows(int64_t in, int k, int s, int d, int pb, int pe, int ceil_mode)
{
    int64_t span = (int64_t)(k - 1) * d + 1, n = 0;
    for (int64_t start = -pb;; start += s) {
        int fits = start + span <= in + pe;
        if (fits || (ceil_mode && start < in + 0 && start + span > in + pe && n > 0 &&
                     start < in))
            n++;
        if (!fits)
            break;
    }
    return n;
}

RT_TEST(shape, conv_output_sizes_match_enumeration)
{
    rt_rng r = rt_rng_make(11);
    for (int t = 0; t < 300; t++) {
        int k = (int)rt_rng_int(&r, 1, 5), s = (int)rt_rng_int(&r, 1, 3), d = (int)rt_rng_int(&r, 1, 3);
        int pb = (int)rt_rng_int(&r, 0, 3), pe = (int)rt_rng_int(&r, 0, 3);
        int64_t h = rt_rng_int(&r, 1, 20);
        int64_t xd[4] = {2, 3, h, h + 1}, wd[4] = {4, 3, k, k};
        runt_tensor in[2] = {desc(4, xd), desc(4, wd)}, out;
        runt_attrs a;
        runt_attrs_default(RUNT_OP_CONV, &a);
        a.conv.strides[0] = a.conv.strides[1] = s;
        a.conv.dilations[0] = a.conv.dilations[1] = d;
        a.conv.pads[0] = a.conv.pads[1] = pb;
        a.conv.pads[2] = a.conv.pads[3] = pe;
        int64_t want_h = count_windows(h, k, s, d, pb, pe, 0);
        int64_t want_w = count_windows(h + 1, k, s, d, pb, pe, 0);
        runt_status st = runt_shape_infer(RUNT_OP_CONV, &a, in, 2, &out, 1);
        if (want_h == 0 || want_w == 0) {
            RT_ASSERT(st == RUNT_E_SHAPE, "kernel larger than padded input must fail");
            continue;
        }
        RT_ASSERT(st == RUNT_OK, "infer: %s", runt_last_error());
        RT_ASSERT(out.ndim == 4 && out.dims[0] == 2 && out.dims[1] == 4 && out.dims[2] == want_h &&
                      out.dims[3] == want_w,
                  "k%d s%d d%d pads %d/%d in %lld: got %lldx%lld want %lldx%lld", k, s, d, pb, pe,
                  (long long)h, (long long)out.dims[2], (long long)out.dims[3], (long long)want_h,
                  (long long)want_w);
        RT_ASSERT(a.conv.kernel[0] == k && a.conv.kernel[1] == k, "kernel taken from the weight");
    }
}

RT_TEST(shape, pool_ceil_mode_matches_enumeration)
{
    rt_rng r = rt_rng_make(12);
    for (int t = 0; t < 300; t++) {
        int k = (int)rt_rng_int(&r, 1, 4), s = (int)rt_rng_int(&r, 1, 3);
        int p = (int)rt_rng_int(&r, 0, k - 1);
        int64_t h = rt_rng_int(&r, k, 17);
        int64_t xd[4] = {1, 2, h, h};
        runt_tensor in = desc(4, xd), out;
        runt_attrs a;
        runt_attrs_default(RUNT_OP_MAX_POOL, &a);
        a.pool.kernel[0] = a.pool.kernel[1] = k;
        a.pool.strides[0] = a.pool.strides[1] = s;
        for (int i = 0; i < 4; i++)
            a.pool.pads[i] = p;
        a.pool.ceil_mode = 1;
        RT_ASSERT(runt_shape_infer(RUNT_OP_MAX_POOL, &a, &in, 1, &out, 1) == RUNT_OK, "%s",
                  runt_last_error());
        /* ceil: every start position that begins inside input or begin padding. */
        int64_t want = 0;
        for (int64_t start = -p; start < h + 0 && start + 1 <= h + p; start += s) {
            if (start >= h)
                break;
            want++;
            if (start + k >= h + p)
                break;
        }
        RT_ASSERT(out.dims[2] == want, "k%d s%d p%d h%lld: got %lld want %lld", k, s, p, (long long)h,
                  (long long)out.dims[2], (long long)want);
    }
}

RT_TEST(shape, same_padding_splits_as_onnx_says)
{
    for (int lower = 0; lower < 2; lower++)
        for (int64_t h = 1; h < 12; h++)
            for (int s = 1; s <= 3; s++)
                for (int k = 1; k <= 4; k++) {
                    int64_t xd[4] = {1, 1, h, h}, wd[4] = {1, 1, k, k};
                    runt_tensor in[2] = {desc(4, xd), desc(4, wd)}, out;
                    runt_attrs a;
                    runt_attrs_default(RUNT_OP_CONV, &a);
                    a.conv.strides[0] = a.conv.strides[1] = s;
                    a.conv.auto_pad = lower ? RUNT_PAD_SAME_LOWER : RUNT_PAD_SAME_UPPER;
                    RT_ASSERT(runt_shape_infer(RUNT_OP_CONV, &a, in, 2, &out, 1) == RUNT_OK, "%s",
                              runt_last_error());
                    int64_t want = (h + s - 1) / s;
                    int total = a.conv.pads[0] + a.conv.pads[2];
                    RT_ASSERT(out.dims[2] == want, "SAME output ceil(in/stride)");
                    RT_ASSERT((out.dims[2] - 1) * s + k <= h + total && total - (k - 1) < s + 1,
                              "pads cover the last window tightly");
                    int extra_at_end = a.conv.pads[2] - a.conv.pads[0];
                    RT_ASSERT(lower ? extra_at_end <= 0 && extra_at_end >= -1
                                    : extra_at_end >= 0 && extra_at_end <= 1,
                              "odd padding goes %s", lower ? "first" : "last");
                    RT_ASSERT(a.conv.auto_pad == RUNT_PAD_EXPLICIT, "resolved to explicit pads");
                }
}

RT_TEST(shape, broadcasting_follows_numpy)
{
    rt_rng r = rt_rng_make(13);
    for (int t = 0; t < 500; t++) {
        int na = (int)rt_rng_int(&r, 0, 4), nb = (int)rt_rng_int(&r, 0, 4);
        int64_t da[4], db[4];
        int ok = 1;
        for (int i = 0; i < na; i++)
            da[i] = rt_rng_int(&r, 1, 3);
        for (int i = 0; i < nb; i++)
            db[i] = rt_rng_int(&r, 1, 3);
        runt_tensor a = desc(na, da), b = desc(nb, db), out;
        int nd = na > nb ? na : nb;
        int64_t want[4];
        for (int i = 0; i < nd; i++) {
            int64_t x = i - (nd - na) >= 0 ? da[i - (nd - na)] : 1;
            int64_t y = i - (nd - nb) >= 0 ? db[i - (nd - nb)] : 1;
            if (x != y && x != 1 && y != 1)
                ok = 0;
            want[i] = x > y ? x : y;
        }
        runt_status st = runt_shape_broadcast(&a, &b, &out);
        RT_ASSERT((st == RUNT_OK) == ok, "broadcast verdict");
        if (!ok) {
            RT_ASSERT(strstr(runt_last_error(), "broadcast"), "%s", runt_last_error());
            continue;
        }
        RT_ASSERT(out.ndim == nd && memcmp(out.dims, want, sizeof(int64_t) * (size_t)nd) == 0,
                  "broadcast shape");
    }
}

RT_TEST(shape, matmul_batches_and_promotes)
{
    int64_t a3[3] = {5, 2, 3}, b2[2] = {3, 4}, v3[1] = {3}, b4[4] = {2, 1, 3, 7};
    runt_tensor in[2], out;
    in[0] = desc(3, a3);
    in[1] = desc(2, b2);
    RT_ASSERT(runt_shape_infer(RUNT_OP_MATMUL, NULL, in, 2, &out, 1) == RUNT_OK, "%s", runt_last_error());
    RT_ASSERT(out.ndim == 3 && out.dims[0] == 5 && out.dims[1] == 2 && out.dims[2] == 4, "[5,2,4]");
    in[1] = desc(1, v3);
    RT_ASSERT(runt_shape_infer(RUNT_OP_MATMUL, NULL, in, 2, &out, 1) == RUNT_OK, "%s", runt_last_error());
    RT_ASSERT(out.ndim == 2 && out.dims[0] == 5 && out.dims[1] == 2, "vector B drops its dim");
    in[0] = desc(1, v3);
    in[1] = desc(4, b4);
    RT_ASSERT(runt_shape_infer(RUNT_OP_MATMUL, NULL, in, 2, &out, 1) == RUNT_OK, "%s", runt_last_error());
    RT_ASSERT(out.ndim == 3 && out.dims[0] == 2 && out.dims[1] == 1 && out.dims[2] == 7, "[2,1,7]");
    in[0] = desc(2, b2);
    RT_ASSERT(runt_shape_infer(RUNT_OP_MATMUL, NULL, in, 2, &out, 1) == RUNT_E_SHAPE, "K mismatch");
}

RT_TEST(shape, reshape_flatten_pad_rules)
{
    int64_t x[4] = {2, 3, 4, 5};
    runt_tensor in = desc(4, x), out;
    runt_attrs a;
    runt_attrs_default(RUNT_OP_RESHAPE, &a);
    a.reshape.ndim = 3;
    a.reshape.shape[0] = 0;
    a.reshape.shape[1] = -1;
    a.reshape.shape[2] = 10;
    RT_ASSERT(runt_shape_infer(RUNT_OP_RESHAPE, &a, &in, 1, &out, 1) == RUNT_OK, "%s", runt_last_error());
    RT_ASSERT(out.dims[0] == 2 && out.dims[1] == 6 && out.dims[2] == 10, "0 copies, -1 infers");
    a.reshape.shape[2] = 7;
    RT_ASSERT(runt_shape_infer(RUNT_OP_RESHAPE, &a, &in, 1, &out, 1) == RUNT_E_SHAPE, "120 is no multiple of 14");
    a.reshape.shape[0] = -1;
    RT_ASSERT(runt_shape_infer(RUNT_OP_RESHAPE, &a, &in, 1, &out, 1) == RUNT_E_BAD_MODEL, "two -1");
    a.reshape.shape[0] = (int64_t)1 << 40;
    a.reshape.shape[1] = (int64_t)1 << 40;
    RT_ASSERT(runt_shape_infer(RUNT_OP_RESHAPE, &a, &in, 1, &out, 1) == RUNT_E_BAD_MODEL,
              "a shape whose product overflows is refused: %s", runt_last_error());
    a.reshape.allowzero = 1;
    a.reshape.ndim = 2;
    a.reshape.shape[0] = 0;
    a.reshape.shape[1] = 120;
    RT_ASSERT(runt_shape_infer(RUNT_OP_RESHAPE, &a, &in, 1, &out, 1) == RUNT_E_SHAPE,
              "allowzero keeps a literal 0");

    runt_attrs_default(RUNT_OP_FLATTEN, &a);
    for (int axis = -4; axis <= 4; axis++) {
        a.axis.axis = axis;
        RT_ASSERT(runt_shape_infer(RUNT_OP_FLATTEN, &a, &in, 1, &out, 1) == RUNT_OK, "%s",
                  runt_last_error());
        int split = axis < 0 ? axis + 4 : axis;
        int64_t left = 1;
        for (int i = 0; i < split; i++)
            left *= x[i];
        RT_ASSERT(out.dims[0] == left && out.dims[1] == 120 / left, "flatten axis %d", axis);
    }
    a.axis.axis = 5;
    RT_ASSERT(runt_shape_infer(RUNT_OP_FLATTEN, &a, &in, 1, &out, 1) == RUNT_E_BAD_MODEL, "axis 5");

    runt_attrs_default(RUNT_OP_PAD, &a);
    a.pad.ndim = 4;
    a.pad.pads[2] = 1;  /* before axis 2 */
    a.pad.pads[7] = -2; /* after axis 3: crop */
    RT_ASSERT(runt_shape_infer(RUNT_OP_PAD, &a, &in, 1, &out, 1) == RUNT_OK, "%s", runt_last_error());
    RT_ASSERT(out.dims[2] == 5 && out.dims[3] == 3, "pad/crop");
    a.pad.pads[7] = -6;
    RT_ASSERT(runt_shape_infer(RUNT_OP_PAD, &a, &in, 1, &out, 1) == RUNT_E_SHAPE, "over-crop");
    a.pad.ndim = 3;
    RT_ASSERT(runt_shape_infer(RUNT_OP_PAD, &a, &in, 1, &out, 1) == RUNT_E_SHAPE, "pads rank");

    /* The other modes: pads longer than the axis are fine, crops are not,
     * nor padding an empty axis, nor a mode ONNX does not define. */
    runt_attrs_default(RUNT_OP_PAD, &a);
    a.pad.ndim = 4;
    a.pad.mode = RUNT_PAD_MODE_REFLECT;
    a.pad.pads[3] = 3 * in.dims[3];
    RT_ASSERT(runt_shape_infer(RUNT_OP_PAD, &a, &in, 1, &out, 1) == RUNT_OK, "%s", runt_last_error());
    RT_ASSERT(out.dims[3] == 4 * in.dims[3], "reflect, several bounces");
    a.pad.pads[6] = -1;
    RT_ASSERT(runt_shape_infer(RUNT_OP_PAD, &a, &in, 1, &out, 1) == RUNT_E_UNSUPPORTED &&
                  strstr(runt_last_error(), "axis 2") && strstr(runt_last_error(), "reflect") &&
                  strstr(runt_last_error(), "negative"),
              "reflect does not crop: %s", runt_last_error());
    a.pad.pads[6] = 0;
    a.pad.mode = RUNT_PAD_MODE_EDGE;
    runt_tensor empty = in;
    empty.dims[1] = 0;
    a.pad.pads[1] = 1;
    RT_ASSERT(runt_shape_infer(RUNT_OP_PAD, &a, &empty, 1, &out, 1) == RUNT_E_SHAPE &&
                  strstr(runt_last_error(), "axis 1 is empty"),
              "edge of nothing: %s", runt_last_error());
    a.pad.mode = (runt_pad_mode)9;
    RT_ASSERT(runt_shape_infer(RUNT_OP_PAD, &a, &in, 1, &out, 1) == RUNT_E_BAD_MODEL &&
                  strstr(runt_last_error(), "pad mode 9"),
              "unknown mode: %s", runt_last_error());
}

RT_TEST(shape, errors_name_the_problem)
{
    int64_t x[2] = {2, 3}, w[2] = {4, 5};
    runt_tensor in[3] = {desc(2, x), desc(2, w)}, out;
    runt_attrs a;
    runt_attrs_default(RUNT_OP_GEMM, &a);
    RT_ASSERT(runt_shape_infer(RUNT_OP_GEMM, &a, in, 2, &out, 1) == RUNT_E_SHAPE, "K mismatch");
    RT_ASSERT(strstr(runt_last_error(), "K=3") && strstr(runt_last_error(), "K=4"), "%s",
              runt_last_error());
    a.gemm.trans_b = 1;
    int64_t c[2] = {3, 4};
    in[1] = desc(2, (int64_t[]){4, 3});
    in[2] = desc(2, c);
    RT_ASSERT(runt_shape_infer(RUNT_OP_GEMM, &a, in, 3, &out, 1) == RUNT_E_SHAPE, "C [3,4] on [2,4]");
    in[0].dtype = RUNT_I64;
    RT_ASSERT(runt_shape_infer(RUNT_OP_RELU, &a, in, 1, &out, 1) == RUNT_E_UNSUPPORTED, "i64 relu");
    RT_ASSERT(strstr(runt_last_error(), "int64"), "%s", runt_last_error());
    runt_attrs_default(RUNT_OP_SOFTMAX, &a);
    a.axis.axis = 2;
    in[0].dtype = RUNT_F32;
    RT_ASSERT(runt_shape_infer(RUNT_OP_SOFTMAX, &a, in, 1, &out, 1) == RUNT_E_BAD_MODEL, "axis 2 of 2");
    int64_t x4[4] = {1, 2, 5, 5}, w4[4] = {3, 1, 3, 3};
    runt_tensor cin[2] = {desc(4, x4), desc(4, w4)};
    runt_attrs_default(RUNT_OP_CONV, &a);
    RT_ASSERT(runt_shape_infer(RUNT_OP_CONV, &a, cin, 2, &out, 1) == RUNT_E_SHAPE, "channels 2 vs 1");
    a.conv.group = 2;
    w4[0] = 4;
    cin[1] = desc(4, w4);
    RT_ASSERT(runt_shape_infer(RUNT_OP_CONV, &a, cin, 2, &out, 1) == RUNT_OK, "grouped: %s",
              runt_last_error());
    a.conv.strides[0] = 0;
    RT_ASSERT(runt_shape_infer(RUNT_OP_CONV, &a, cin, 2, &out, 1) == RUNT_E_BAD_MODEL, "stride 0");
}

/* Shapes a model's attributes make but int64 cannot count are refused where
 * they arise, naming the node: two pads of 2^40 on a 3x11x11 input would
 * make 2^80 elements, which the next node's inference (a Reshape counting
 * its input) would overflow. A sum past int64 in one axis is refused too. */
RT_TEST(shape, shapes_past_int64_are_refused_where_they_arise)
{
    for (int t = 0; t < 2; t++) {
        runt_builder *b;
        runt_value_id x;
        int64_t xd[4] = {1, 3, 11, 11};
        RT_ASSERT(runt_builder_create(NULL, &b) == RUNT_OK, "%s", runt_last_error());
        RT_ASSERT(runt_builder_input(b, "x", RUNT_F32, 4, xd, &x) == RUNT_OK, "%s",
                  runt_last_error());
        runt_attrs pad;
        runt_attrs_default(RUNT_OP_PAD, &pad);
        pad.pad.ndim = 4;
        if (t == 0) {
            pad.pad.pads[2] = (int64_t)1 << 40;
            pad.pad.pads[3] = (int64_t)1 << 40;
        } else {
            pad.pad.pads[3] = INT64_MAX - 5; /* 11 + this overflows alone */
        }
        RT_ASSERT(runt_builder_node(b, RUNT_OP_PAD, "big", &pad, 1, &x, 1, &x) == RUNT_OK, "%s",
                  runt_last_error());
        runt_attrs rs;
        runt_attrs_default(RUNT_OP_RESHAPE, &rs);
        rs.reshape.ndim = 1;
        rs.reshape.shape[0] = -1;
        RT_ASSERT(runt_builder_unary(b, RUNT_OP_RESHAPE, x, &rs, &x) == RUNT_OK, "%s",
                  runt_last_error());
        RT_ASSERT(runt_builder_output(b, x, "y") == RUNT_OK, "%s", runt_last_error());
        runt_model *m = NULL;
        runt_status s = runt_builder_finish(b, &m);
        RT_ASSERT(s == RUNT_E_SHAPE && strstr(runt_last_error(), "'big'") &&
                      strstr(runt_last_error(), t ? "overflows" : "more elements than runt can count"),
                  "case %d: %d %s", t, (int)s, runt_last_error());
        RT_ASSERT(!m, "no model");
    }
}
