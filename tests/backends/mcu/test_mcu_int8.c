/*
 * The mcu backend's int8 kernels (backends/mcu/): the dual-MAC helpers
 * against lane arithmetic written out in int64, then MatMulInteger and
 * ConvInteger against the reference kernels over random shapes, and whole
 * int8 models on the "mcu" backend against "ref", all bit for bit. Built
 * for an Arm target with the DSP extension (the armhf cross build under
 * qemu-arm), the same tests check the SMLAD path.
 */
#include <stdlib.h>
#include <string.h>

#include "mcu/mcu_dsp.h"
#include "mcu/mcu_int8.h"
#include "ref/ref_impl.h"
#include "rt_test.h"
#include "runt-mcu.h"
#include "runt.h"
#include "test_models.h"
#include "test_util.h"

#define CHECK(call) RT_ASSERT((call) == RUNT_OK, "%s: %s", #call, runt_last_error())

static int64_t lane(uint32_t w, int top) { return (int16_t)(top ? w >> 16 : w & 0xffffu); }

RT_TEST(mcu_dsp, helpers_match_lane_arithmetic)
{
    rt_rng r = rt_rng_make(1);
    for (int i = 0; i < 20000; i++) {
        uint32_t a = (uint32_t)rt_rng_next(&r), b = (uint32_t)rt_rng_next(&r);
        int32_t c = (int32_t)(uint32_t)rt_rng_next(&r);
        int64_t mac = (int64_t)c + lane(a, 0) * lane(b, 0) + lane(a, 1) * lane(b, 1);
        int32_t want_mac = (int32_t)(uint32_t)((uint64_t)mac & 0xffffffffu);
        RT_ASSERT(runt_mcu_smlad(a, b, c) == want_mac && runt_mcu_c_smlad(a, b, c) == want_mac,
                  "smlad(%08x, %08x, %d)", (unsigned)a, (unsigned)b, (int)c);
        for (int top = 0; top < 2; top++) {
            int64_t byte = (int8_t)((a >> (16 * top)) & 0xffu);
            int64_t odd = (int8_t)((a >> (16 * top + 8)) & 0xffu);
            RT_ASSERT(lane(runt_mcu_sxtb16(a), top) == byte && lane(runt_mcu_c_sxtb16(a), top) == byte,
                      "sxtb16(%08x) lane %d", (unsigned)a, top);
            RT_ASSERT(lane(runt_mcu_sxtb16_odd(a), top) == odd, "sxtb16 ror 8 (%08x)", (unsigned)a);
            uint32_t d = runt_mcu_ssub16(a, b), dc = runt_mcu_c_ssub16(a, b);
            int64_t want = (int16_t)(uint16_t)((lane(a, top) - lane(b, top)) & 0xffff);
            RT_ASSERT(lane(d, top) == want && lane(dc, top) == want, "ssub16 lane %d", top);
        }
    }
    RT_ASSERT(runt_mcu_pack16(-3, 7) == (0xfffdu | 7u << 16), "pack16");
}

static runt_tensor tensor(runt_dtype t, int ndim, const int64_t *dims, void *data)
{
    runt_tensor x;
    memset(&x, 0, sizeof x);
    x.dtype = t;
    x.ndim = ndim;
    if (ndim > 0)
        memcpy(x.dims, dims, sizeof(int64_t) * (size_t)ndim);
    x.data = data;
    return x;
}

static void *random_bytes(rt_rng *r, size_t n, int lo, int hi)
{
    unsigned char *p = malloc(n ? n : 1);
    for (size_t i = 0; i < n; i++)
        p[i] = (unsigned char)(int)rt_rng_int(r, lo, hi);
    return p;
}

/* Output of kernel fn and of the reference, with sentinels after it, equal. */
static void compare(runt_ref_kernel_fn mcu, runt_ref_kernel_fn ref, const runt_attrs *a,
                    const runt_tensor *in, int n_in, runt_tensor out, const char *what)
{
    size_t n = (size_t)runt_tensor_count(&out);
    int32_t *y = malloc((n + 4) * sizeof *y), *want = malloc((n + 4) * sizeof *want);
    for (size_t i = 0; i < n + 4; i++)
        y[i] = want[i] = 0x5a5a5a5a;
    out.data = y;
    CHECK(mcu(a, in, n_in, &out, 1));
    out.data = want;
    CHECK(ref(a, in, n_in, &out, 1));
    RT_ASSERT(memcmp(y, want, (n + 4) * sizeof *y) == 0, "%s: differs from the reference", what);
    free(y), free(want);
}

RT_TEST(mcu_int8, matmul_integer_matches_reference)
{
    rt_rng r = rt_rng_make(2);
    for (int t = 0; t < 60; t++) {
        int64_t m = rt_rng_int(&r, 1, 5), k = rt_rng_int(&r, 1, 70), n = rt_rng_int(&r, 1, 23);
        int64_t ad[2] = {m, k}, bd[2] = {k, n}, yd[2] = {m, n};
        uint8_t zp = (uint8_t)rt_rng_int(&r, 0, 255);
        void *a = random_bytes(&r, (size_t)(m * k), 0, 255), *b = random_bytes(&r, (size_t)(k * n), -128, 127);
        runt_tensor in[3] = {tensor(RUNT_U8, 2, ad, a), tensor(RUNT_I8, 2, bd, b),
                             tensor(RUNT_U8, 0, NULL, &zp)};
        int n_in = t % 3 == 0 ? 2 : 3;
        RT_ASSERT(runt_mcu_int8_fits(RUNT_OP_MATMUL_INTEGER, in, n_in), "case %d not taken", t);
        char what[96];
        snprintf(what, sizeof what, "MatMulInteger %lldx%lld x %lldx%lld, zp %d", (long long)m,
                 (long long)k, (long long)k, (long long)n, zp);
        compare(runt_mcu_matmul_integer, runt_ref_matmul_integer, NULL, in, n_in,
                tensor(RUNT_I32, 2, yd, NULL), what);
        free(a), free(b);
    }
}

RT_TEST(mcu_int8, matmul_integer_batched_and_handed_over)
{
    rt_rng r = rt_rng_make(3);
    int64_t ad[3] = {2, 3, 9}, bd[2] = {9, 6}, yd[3] = {2, 3, 6};
    uint8_t zp = 131, wzp = 3;
    void *a = random_bytes(&r, 54, 0, 255), *b = random_bytes(&r, 54, -128, 127);
    runt_tensor in[4] = {tensor(RUNT_U8, 3, ad, a), tensor(RUNT_I8, 2, bd, b),
                         tensor(RUNT_U8, 0, NULL, &zp), tensor(RUNT_I8, 0, NULL, &wzp)};
    compare(runt_mcu_matmul_integer, runt_ref_matmul_integer, NULL, in, 3,
            tensor(RUNT_I32, 3, yd, NULL), "batched A");
    /* A weight zero point of 3, or uint8 weights: the reference kernel computes them. */
    RT_ASSERT(!runt_mcu_int8_fits(RUNT_OP_MATMUL_INTEGER, in, 4), "weight zero point 3 taken");
    compare(runt_mcu_matmul_integer, runt_ref_matmul_integer, NULL, in, 4,
            tensor(RUNT_I32, 3, yd, NULL), "weight zero point");
    in[1].dtype = RUNT_U8;
    RT_ASSERT(!runt_mcu_int8_fits(RUNT_OP_MATMUL_INTEGER, in, 3), "uint8 weights taken");
    compare(runt_mcu_matmul_integer, runt_ref_matmul_integer, NULL, in, 3,
            tensor(RUNT_I32, 3, yd, NULL), "uint8 weights");
    free(a), free(b);
}

RT_TEST(mcu_int8, conv_integer_matches_reference)
{
    rt_rng r = rt_rng_make(4);
    for (int t = 0; t < 60; t++) {
        int group = (int)rt_rng_int(&r, 1, 2);
        int64_t cg = rt_rng_int(&r, 1, 3), mg = rt_rng_int(&r, 1, 3);
        int64_t c = cg * group, m = mg * group, h = rt_rng_int(&r, 3, 9), w = rt_rng_int(&r, 3, 9);
        runt_attrs a;
        runt_attrs_default(RUNT_OP_CONV_INTEGER, &a);
        a.conv.group = group;
        for (int i = 0; i < 2; i++) {
            a.conv.kernel[i] = (int)rt_rng_int(&r, 1, 4);
            a.conv.strides[i] = (int)rt_rng_int(&r, 1, 2);
            a.conv.dilations[i] = (int)rt_rng_int(&r, 1, 2);
            a.conv.pads[i] = a.conv.pads[2 + i] = (int)rt_rng_int(&r, 0, a.conv.kernel[i] - 1);
        }
        int64_t span_h = (a.conv.kernel[0] - 1) * a.conv.dilations[0] + 1;
        int64_t span_w = (a.conv.kernel[1] - 1) * a.conv.dilations[1] + 1;
        int64_t oh = (h + 2 * a.conv.pads[0] - span_h) / a.conv.strides[0] + 1;
        int64_t ow = (w + 2 * a.conv.pads[1] - span_w) / a.conv.strides[1] + 1;
        if (oh < 1 || ow < 1)
            continue;
        int64_t xd[4] = {2, c, h, w}, wd[4] = {m, cg, a.conv.kernel[0], a.conv.kernel[1]};
        int64_t yd[4] = {2, m, oh, ow};
        uint8_t zp = (uint8_t)rt_rng_int(&r, 0, 255);
        void *x = random_bytes(&r, (size_t)(2 * c * h * w), 0, 255);
        void *wt = random_bytes(&r, (size_t)(m * cg * wd[2] * wd[3]), -128, 127);
        runt_tensor in[3] = {tensor(RUNT_U8, 4, xd, x), tensor(RUNT_I8, 4, wd, wt),
                             tensor(RUNT_U8, 0, NULL, &zp)};
        RT_ASSERT(runt_mcu_int8_fits(RUNT_OP_CONV_INTEGER, in, 3), "case %d not taken", t);
        char what[160];
        snprintf(what, sizeof what, "ConvInteger c%lld m%lld %lldx%lld k%dx%d s%d,%d d%d,%d p%d,%d g%d",
                 (long long)c, (long long)m, (long long)h, (long long)w, a.conv.kernel[0],
                 a.conv.kernel[1], a.conv.strides[0], a.conv.strides[1], a.conv.dilations[0],
                 a.conv.dilations[1], a.conv.pads[0], a.conv.pads[1], group);
        compare(runt_mcu_conv_integer, runt_ref_conv_integer, &a, in, 3,
                tensor(RUNT_I32, 4, yd, NULL), what);
        free(x), free(wt);
    }
}

static void register_mcu(void)
{
    runt_device_info info;
    if (!rt_backend_lookup("mcu", &info))
        CHECK(runt_backend_register(&runt_backend_mcu, NULL));
}

/* The model on "mcu" and on "ref" at batch 2: the same bits. */
static void same_on_mcu(const runt_model *m, uint64_t seed)
{
    register_mcu();
    float *y[2] = {NULL, NULL}, *x = NULL;
    size_t n_out = 0;
    for (int k = 0; k < 2; k++) {
        runt_session_options o = runt_session_options_default();
        o.backend = k ? "ref" : "mcu";
        o.batch = 2;
        runt_session *s;
        CHECK(runt_session_create(m, &o, &s));
        runt_tensor in, out;
        CHECK(runt_session_input_desc(s, 0, &in));
        CHECK(runt_session_output_desc(s, 0, &out));
        if (!x) {
            rt_rng r = rt_rng_make(seed);
            x = malloc(sizeof *x * (size_t)runt_tensor_count(&in));
            rt_fill_uniform(&r, x, (size_t)runt_tensor_count(&in), -1.0f, 1.0f);
        }
        n_out = (size_t)runt_tensor_count(&out);
        in.data = x;
        out.data = y[k] = malloc(n_out * sizeof(float));
        CHECK(runt_session_run(s, &in, 1, &out, 1));
        runt_session_free(s);
    }
    RT_ASSERT(memcmp(y[0], y[1], n_out * sizeof(float)) == 0, "mcu and ref outputs differ");
    free(x), free(y[0]), free(y[1]);
}

RT_TEST(mcu_backend, int8_models_match_reference)
{
    int64_t w[4] = {33, 20, 12, 7};
    runt_model *models[2] = {rt_mlp3(NULL, w, RUNT_OP_RELU, NULL, 5), rt_conv_net(NULL, 10, 9, 6)};
    for (int i = 0; i < 2; i++) {
        RT_ASSERT(models[i], "%s", runt_last_error());
        runt_model *q;
        CHECK(runt_model_quantize_int8(models[i], NULL, &q));
        same_on_mcu(q, 40 + (uint64_t)i);
        runt_model_free(q);
        runt_model_free(models[i]);
    }
}

RT_TEST(mcu_backend, plans_the_reference_arena)
{
    register_mcu();
    runt_model *m = rt_conv_net(NULL, 8, 8, 1), *q;
    RT_ASSERT(m, "%s", runt_last_error());
    CHECK(runt_model_quantize_int8(m, NULL, &q));
    runt_session_options o = runt_session_options_default();
    size_t ref_bytes, mcu_bytes;
    o.backend = "ref";
    CHECK(runt_session_arena_size(q, &o, &ref_bytes));
    o.backend = "mcu";
    CHECK(runt_session_arena_size(q, &o, &mcu_bytes));
    RT_ASSERT(ref_bytes == mcu_bytes && ref_bytes > 0, "arena: ref %zu, mcu %zu", ref_bytes,
              mcu_bytes);
    runt_model_free(q), runt_model_free(m);
}
