/*
 * The quantization ops in the core: shape and dtype inference
 * (runtime/shape_quant.c) with every error it owns (wrong zero-point dtypes,
 * per-axis and blocked scales that do not fit, output_dtype conflicts), the
 * cost rules (cost.h), and the ONNX reader's mapping (runtime/onnx/onnx_ops.c):
 * attributes and opset forms, multi-output DynamicQuantizeLinear, 1-D
 * ConvInteger, and the attributes runt refuses. Values are checked against
 * the ONNX formulas computed here in double precision.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cost.h"
#include "onnx_messages.h"
#include "rt_test.h"
#include "runt.h"
#include "shape.h"
#include "test_util.h"

#define NAMES(...) ((const char *const[]){__VA_ARGS__})

static runt_tensor desc(runt_dtype t, int ndim, const int64_t *dims)
{
    runt_tensor d;
    memset(&d, 0, sizeof d);
    d.dtype = t;
    d.ndim = ndim;
    for (int i = 0; i < ndim; i++)
        d.dims[i] = dims[i];
    return d;
}

static runt_tensor none(void)
{
    runt_tensor d;
    memset(&d, 0, sizeof d);
    d.ndim = -1;
    return d;
}

/* Infers op on in[]; expects status want and, on failure, needle in the message. */
static runt_tensor infer(runt_op op, runt_attrs *a, const runt_tensor *in, int n_in,
                         runt_status want, const char *needle)
{
    runt_tensor out[3];
    memset(out, 0, sizeof out);
    runt_status s = runt_shape_infer(op, a, in, n_in, out, op == RUNT_OP_DYNAMIC_QUANTIZE_LINEAR ? 3 : 1);
    RT_ASSERT(s == want, "%s: status %s, want %s (%s)", runt_op_name(op), runt_status_name(s),
              runt_status_name(want), runt_last_error());
    if (s != RUNT_OK && needle)
        RT_ASSERT(strstr(runt_last_error(), needle), "%s: message lacks '%s': %s",
                  runt_op_name(op), needle, runt_last_error());
    return out[0];
}

static runt_attrs attrs_of(runt_op op)
{
    runt_attrs a;
    runt_attrs_default(op, &a);
    return a;
}

/* ------------------------------------------------------------------------- */
/* Shape and dtype inference                                                 */
/* ------------------------------------------------------------------------- */

RT_TEST(quant_ops, quantize_output_dtypes_and_layouts)
{
    int64_t x[3] = {2, 3, 4}, three = 3, four = 4, blocked[3] = {2, 3, 2};
    runt_attrs a = attrs_of(RUNT_OP_QUANTIZE_LINEAR);
    runt_tensor in[3] = {desc(RUNT_F32, 3, x), desc(RUNT_F32, 0, NULL), none()};
    runt_tensor y = infer(RUNT_OP_QUANTIZE_LINEAR, &a, in, 3, RUNT_OK, NULL);
    RT_ASSERT(y.dtype == RUNT_U8 && y.ndim == 3 && y.dims[2] == 4, "no zero point: uint8 [2,3,4]");
    in[2] = desc(RUNT_I8, 0, NULL);
    y = infer(RUNT_OP_QUANTIZE_LINEAR, &a, in, 3, RUNT_OK, NULL);
    RT_ASSERT(y.dtype == RUNT_I8, "int8 zero point: int8 output");
    a.quant.output_dtype = RUNT_I8;
    in[2] = none();
    y = infer(RUNT_OP_QUANTIZE_LINEAR, &a, in, 3, RUNT_OK, NULL);
    RT_ASSERT(y.dtype == RUNT_I8, "output_dtype int8 without a zero point");
    /* output_dtype must agree with a zero point. */
    in[2] = desc(RUNT_U8, 0, NULL);
    infer(RUNT_OP_QUANTIZE_LINEAR, &a, in, 3, RUNT_E_BAD_MODEL, "disagrees");
    /* Per axis, negative axis resolved. */
    a = attrs_of(RUNT_OP_QUANTIZE_LINEAR);
    a.quant.axis = -2;
    in[1] = desc(RUNT_F32, 1, &three);
    in[2] = desc(RUNT_U8, 1, &three);
    infer(RUNT_OP_QUANTIZE_LINEAR, &a, in, 3, RUNT_OK, NULL);
    RT_ASSERT(a.quant.axis == 1, "axis -2 of rank 3 resolves to 1, got %d", a.quant.axis);
    /* Blocked along axis 2, blocks of 2. */
    a = attrs_of(RUNT_OP_QUANTIZE_LINEAR);
    a.quant.axis = 2;
    a.quant.block_size = 2;
    in[1] = desc(RUNT_F32, 3, blocked);
    in[2] = desc(RUNT_U8, 3, blocked);
    infer(RUNT_OP_QUANTIZE_LINEAR, &a, in, 3, RUNT_OK, NULL);
    /* One-element scales of any rank are per tensor. */
    a = attrs_of(RUNT_OP_QUANTIZE_LINEAR);
    int64_t one = 1;
    in[1] = desc(RUNT_F32, 1, &one);
    in[2] = desc(RUNT_U8, 0, NULL);
    infer(RUNT_OP_QUANTIZE_LINEAR, &a, in, 3, RUNT_OK, NULL);
    (void)four;
}

RT_TEST(quant_ops, quantize_layout_errors_name_the_problem)
{
    int64_t x[3] = {2, 3, 4}, three = 3, four = 4, two = 2, bad_block[3] = {2, 3, 3};
    runt_attrs a = attrs_of(RUNT_OP_QUANTIZE_LINEAR);
    runt_tensor in[3] = {desc(RUNT_F32, 3, x), desc(RUNT_F32, 1, &four), desc(RUNT_U8, 1, &four)};
    /* Per-axis size mismatch: axis 1 has 3 elements, the scale 4. */
    infer(RUNT_OP_QUANTIZE_LINEAR, &a, in, 3, RUNT_E_SHAPE, "along axis 1");
    /* Axis out of range. */
    a.quant.axis = 3;
    infer(RUNT_OP_QUANTIZE_LINEAR, &a, in, 3, RUNT_E_BAD_MODEL, "axis 3 is out of range");
    /* Zero point of another shape than the scale. */
    a.quant.axis = 1;
    in[1] = desc(RUNT_F32, 1, &three);
    in[2] = desc(RUNT_U8, 1, &two);
    infer(RUNT_OP_QUANTIZE_LINEAR, &a, in, 3, RUNT_E_SHAPE, "differ in shape");
    /* Blocked scale with the wrong block count (ceil(4 / 2) = 2, not 3). */
    a.quant.axis = 2;
    a.quant.block_size = 2;
    in[1] = desc(RUNT_F32, 3, bad_block);
    in[2] = none();
    infer(RUNT_OP_QUANTIZE_LINEAR, &a, in, 3, RUNT_E_SHAPE, "in blocks of 2");
    a.quant.block_size = -1;
    infer(RUNT_OP_QUANTIZE_LINEAR, &a, in, 3, RUNT_E_BAD_MODEL, "block_size -1");
    /* Dtypes: zero point int32, x int8, scale int8. */
    a = attrs_of(RUNT_OP_QUANTIZE_LINEAR);
    in[1] = desc(RUNT_F32, 0, NULL);
    in[2] = desc(RUNT_I32, 0, NULL);
    infer(RUNT_OP_QUANTIZE_LINEAR, &a, in, 3, RUNT_E_UNSUPPORTED, "zero point (input 2) is int32");
    in[2] = none();
    in[0] = desc(RUNT_I8, 3, x);
    infer(RUNT_OP_QUANTIZE_LINEAR, &a, in, 3, RUNT_E_UNSUPPORTED, "runt quantizes f32");
    in[0] = desc(RUNT_F32, 3, x);
    in[1] = desc(RUNT_I8, 0, NULL);
    infer(RUNT_OP_QUANTIZE_LINEAR, &a, in, 3, RUNT_E_UNSUPPORTED, "scale (input 1) is int8");
    in[1] = desc(RUNT_F32, 0, NULL);
    a.quant.output_dtype = RUNT_I32;
    infer(RUNT_OP_QUANTIZE_LINEAR, &a, in, 3, RUNT_E_UNSUPPORTED, "output_dtype int32");
}

RT_TEST(quant_ops, dequantize_and_dynamic_dtypes)
{
    int64_t x[2] = {5, 3}, three = 3;
    runt_attrs a = attrs_of(RUNT_OP_DEQUANTIZE_LINEAR);
    runt_tensor in[3] = {desc(RUNT_I8, 2, x), desc(RUNT_F32, 1, &three), desc(RUNT_I8, 1, &three)};
    runt_tensor y = infer(RUNT_OP_DEQUANTIZE_LINEAR, &a, in, 3, RUNT_OK, NULL);
    RT_ASSERT(y.dtype == RUNT_F32 && y.dims[1] == 3, "int8 per axis 1 -> f32 [5, 3]");
    /* A zero point of another dtype than x. */
    in[2] = desc(RUNT_U8, 1, &three);
    infer(RUNT_OP_DEQUANTIZE_LINEAR, &a, in, 3, RUNT_E_BAD_MODEL, "ONNX requires one type");
    in[0] = desc(RUNT_I32, 2, x);
    in[2] = desc(RUNT_I32, 1, &three);
    infer(RUNT_OP_DEQUANTIZE_LINEAR, &a, in, 3, RUNT_OK, NULL);
    in[0] = desc(RUNT_F32, 2, x);
    in[2] = none();
    infer(RUNT_OP_DEQUANTIZE_LINEAR, &a, in, 3, RUNT_E_UNSUPPORTED, "dequantizes");
    a.quant.output_dtype = RUNT_I8;
    in[0] = desc(RUNT_U8, 2, x);
    infer(RUNT_OP_DEQUANTIZE_LINEAR, &a, in, 3, RUNT_E_UNSUPPORTED, "output_dtype");

    runt_tensor out[3];
    runt_tensor xin = desc(RUNT_F32, 2, x);
    RT_ASSERT(runt_shape_infer(RUNT_OP_DYNAMIC_QUANTIZE_LINEAR, &a, &xin, 1, out, 3) == RUNT_OK,
              "%s", runt_last_error());
    RT_ASSERT(out[0].dtype == RUNT_U8 && out[0].ndim == 2 && out[1].dtype == RUNT_F32 &&
                  out[1].ndim == 0 && out[2].dtype == RUNT_U8 && out[2].ndim == 0,
              "DynamicQuantizeLinear: uint8 [5, 3], f32 [], uint8 []");
    xin.dtype = RUNT_I32;
    RT_ASSERT(runt_shape_infer(RUNT_OP_DYNAMIC_QUANTIZE_LINEAR, &a, &xin, 1, out, 3) ==
                  RUNT_E_UNSUPPORTED, "int32 input refused");
}

RT_TEST(quant_ops, matmul_integer_and_conv_integer_shapes)
{
    int64_t a2[2] = {4, 7}, b2[2] = {7, 5}, four = 4, five = 5, seven = 7;
    int64_t a4[4] = {2, 3, 4, 7}, za4[4] = {2, 3, 4, 1}, zb3[3] = {3, 1, 5}, b3[3] = {3, 7, 5};
    runt_tensor in[4] = {desc(RUNT_U8, 2, a2), desc(RUNT_I8, 2, b2), desc(RUNT_U8, 1, &four),
                         desc(RUNT_I8, 1, &five)};
    runt_tensor y = infer(RUNT_OP_MATMUL_INTEGER, NULL, in, 4, RUNT_OK, NULL);
    RT_ASSERT(y.dtype == RUNT_I32 && y.ndim == 2 && y.dims[0] == 4 && y.dims[1] == 5,
              "uint8 [4,7] x int8 [7,5] -> int32 [4,5]");
    in[3] = desc(RUNT_I8, 1, &seven);   /* B per column needs N = 5 values, not K */
    infer(RUNT_OP_MATMUL_INTEGER, NULL, in, 4, RUNT_E_SHAPE, "column of B");
    in[3] = desc(RUNT_U8, 1, &five);    /* zero point of B's dtype */
    infer(RUNT_OP_MATMUL_INTEGER, NULL, in, 4, RUNT_E_BAD_MODEL, "ONNX requires one type");
    in[3] = none();
    in[2] = desc(RUNT_U8, 1, &seven);
    infer(RUNT_OP_MATMUL_INTEGER, NULL, in, 4, RUNT_E_SHAPE, "row of A");
    in[0] = desc(RUNT_F32, 2, a2);
    in[2] = none();
    infer(RUNT_OP_MATMUL_INTEGER, NULL, in, 4, RUNT_E_UNSUPPORTED, "uint8 and int8");
    /* Batched, N-D zero points. */
    runt_tensor nd[4] = {desc(RUNT_I8, 4, a4), desc(RUNT_U8, 3, b3), desc(RUNT_I8, 4, za4),
                         desc(RUNT_U8, 3, zb3)};
    y = infer(RUNT_OP_MATMUL_INTEGER, NULL, nd, 4, RUNT_OK, NULL);
    RT_ASSERT(y.ndim == 4 && y.dims[1] == 3 && y.dims[3] == 5, "batched MatMulInteger");
    nd[1] = desc(RUNT_U8, 2, a2);
    infer(RUNT_OP_MATMUL_INTEGER, NULL, nd, 2, RUNT_E_SHAPE, "inner dimensions");

    int64_t x[4] = {1, 4, 9, 9}, w[4] = {6, 2, 3, 3}, two = 2, six = 6;
    runt_attrs c = attrs_of(RUNT_OP_CONV_INTEGER);
    c.conv.group = 2;
    c.conv.auto_pad = RUNT_PAD_SAME_UPPER;
    runt_tensor ci[4] = {desc(RUNT_U8, 4, x), desc(RUNT_I8, 4, w), desc(RUNT_U8, 0, NULL),
                         desc(RUNT_I8, 1, &six)};
    y = infer(RUNT_OP_CONV_INTEGER, &c, ci, 4, RUNT_OK, NULL);
    RT_ASSERT(y.dtype == RUNT_I32 && y.dims[1] == 6 && y.dims[2] == 9 && c.conv.pads[0] == 1,
              "ConvInteger SAME_UPPER: int32 [1,6,9,9], pads resolved");
    ci[2] = desc(RUNT_U8, 1, &two);
    infer(RUNT_OP_CONV_INTEGER, &c, ci, 4, RUNT_E_SHAPE, "x_zero_point");
    ci[2] = none();
    ci[3] = desc(RUNT_I8, 1, &four);
    infer(RUNT_OP_CONV_INTEGER, &c, ci, 4, RUNT_E_SHAPE, "w_zero_point");
    ci[3] = none();
    c.conv.epilogue.act = RUNT_ACT_RELU;
    infer(RUNT_OP_CONV_INTEGER, &c, ci, 4, RUNT_E_BAD_MODEL, "no activation");

    runt_attrs cast = attrs_of(RUNT_OP_CAST);
    cast.cast.to = RUNT_I8;
    runt_tensor cx = desc(RUNT_F32, 2, a2);
    y = infer(RUNT_OP_CAST, &cast, &cx, 1, RUNT_OK, NULL);
    RT_ASSERT(y.dtype == RUNT_I8 && y.dims[1] == 7, "Cast to int8 keeps the shape");
    cast.cast.to = (runt_dtype)99;
    infer(RUNT_OP_CAST, &cast, &cx, 1, RUNT_E_BAD_MODEL, "unknown dtype");
}

RT_TEST(quant_ops, cost_rules)
{
    int64_t a2[2] = {4, 7}, b2[2] = {7, 5}, y2[2] = {4, 5};
    runt_tensor in[4] = {desc(RUNT_U8, 2, a2), desc(RUNT_I8, 2, b2), desc(RUNT_U8, 0, NULL), none()};
    int constant[4] = {0, 1, 0, 0};
    runt_tensor y = desc(RUNT_I32, 2, y2);
    runt_cost c = runt_cost_node(RUNT_OP_MATMUL_INTEGER, NULL, in, constant, 4, &y, 1);
    RT_ASSERT(c.flops == 2 * 4 * 5 * 7 && c.params == 35 && c.bytes_read == 28 + 35 + 1 &&
                  c.bytes_written == 80,
              "MatMulInteger: flops %lld params %lld read %lld written %lld", (long long)c.flops,
              (long long)c.params, (long long)c.bytes_read, (long long)c.bytes_written);
    int64_t x[4] = {1, 4, 5, 5}, w[4] = {6, 2, 3, 3}, yd[4] = {1, 6, 3, 3};
    runt_attrs ca = attrs_of(RUNT_OP_CONV_INTEGER);
    runt_tensor ci[4] = {desc(RUNT_U8, 4, x), desc(RUNT_I8, 4, w), desc(RUNT_U8, 0, NULL), none()};
    runt_tensor cy = desc(RUNT_I32, 4, yd);
    c = runt_cost_node(RUNT_OP_CONV_INTEGER, &ca, ci, constant, 4, &cy, 1);
    RT_ASSERT(c.flops == 2 * 54 * 2 * 9, "ConvInteger: flops %lld (no bias term for the zero "
              "point input)", (long long)c.flops);
    runt_tensor f = desc(RUNT_F32, 2, a2), q = desc(RUNT_U8, 2, a2), s = desc(RUNT_F32, 0, NULL);
    runt_tensor qin[3] = {f, s, desc(RUNT_U8, 0, NULL)};
    int qconst[3] = {0, 1, 1};
    runt_attrs qa = attrs_of(RUNT_OP_QUANTIZE_LINEAR);
    c = runt_cost_node(RUNT_OP_QUANTIZE_LINEAR, &qa, qin, qconst, 3, &q, 1);
    RT_ASSERT(c.flops == 56 && c.params == 2 && c.bytes_read == 112 + 5 && c.bytes_written == 28,
              "QuantizeLinear: flops %lld params %lld read %lld", (long long)c.flops,
              (long long)c.params, (long long)c.bytes_read);
    runt_tensor dq[3] = {q, s, desc(RUNT_U8, 0, NULL)};
    c = runt_cost_node(RUNT_OP_DEQUANTIZE_LINEAR, &qa, dq, qconst, 3, &f, 1);
    RT_ASSERT(c.flops == 56 && c.bytes_written == 112, "DequantizeLinear: flops %lld",
              (long long)c.flops);
    runt_tensor dout[3] = {q, s, desc(RUNT_U8, 0, NULL)};
    c = runt_cost_node(RUNT_OP_DYNAMIC_QUANTIZE_LINEAR, NULL, &f, constant, 1, dout, 3);
    RT_ASSERT(c.flops == 4 * 28 && c.bytes_written == 28 + 4 + 1, "DynamicQuantizeLinear: flops "
              "%lld written %lld", (long long)c.flops, (long long)c.bytes_written);
    runt_attrs cast = attrs_of(RUNT_OP_CAST);
    c = runt_cost_node(RUNT_OP_CAST, &cast, &q, constant, 1, &f, 1);
    RT_ASSERT(c.flops == 0 && c.bytes_read == 28 && c.bytes_written == 112, "Cast: flops %lld",
              (long long)c.flops);
}

/* ------------------------------------------------------------------------- */
/* The ONNX reader                                                           */
/* ------------------------------------------------------------------------- */

static void add_node(pbw *g, const char *op, int n_in, const char *const *ins, int n_out,
                     const char *const *outs, int n_attrs, pbw *attrs)
{
    pbw nd = onnx_node(op, NULL, n_in, ins, n_out, outs, n_attrs, attrs);
    pbw_msg(g, ONNX_GRAPH_NODE, &nd);
}

static void add_init(pbw *g, pbw t) { pbw_msg(g, ONNX_GRAPH_INITIALIZER, &t); }

static void add_io(pbw *g, int field, const char *name, int type, int ndim, const int64_t *dims)
{
    pbw vi = onnx_value_info(name, type, ndim, dims);
    pbw_msg(g, (uint32_t)field, &vi);
}

static runt_status load(pbw *graph, int64_t opset, runt_model **m)
{
    pbw model = onnx_model(graph, opset);
    *m = NULL;
    runt_status s = runt_model_load_buffer(model.p, model.n, NULL, m);
    runt_pb_writer_free(&model);
    return s;
}

/* x [N, 6] -> QuantizeLinear(per axis -1, int8) -> DequantizeLinear -> y. */
static pbw qdq_graph(int n_q_attrs, pbw *q_attrs, int n_dq_attrs, pbw *dq_attrs)
{
    static const float scales[6] = {0.05f, 0.1f, 0.2f, 0.3f, 0.02f, 0.5f};
    static const int64_t zps[6] = {-3, 0, 5, 127, -128, 1};
    int64_t xd[2] = {-1, 6}, six = 6;
    pbw g = {0};
    add_io(&g, ONNX_GRAPH_INPUT, "x", ONNX_FLOAT, 2, xd);
    add_init(&g, onnx_tensor_f32("s", 1, &six, scales, FORM_RAW));
    add_init(&g, onnx_tensor_int("z", ONNX_INT8, 1, &six, zps, FORM_PACKED));
    add_node(&g, "QuantizeLinear", 3, NAMES("x", "s", "z"), 1, NAMES("q"), n_q_attrs, q_attrs);
    add_node(&g, "DequantizeLinear", 3, NAMES("q", "s", "z"), 1, NAMES("y"), n_dq_attrs, dq_attrs);
    add_io(&g, ONNX_GRAPH_OUTPUT, "y", ONNX_FLOAT, 2, xd);
    return g;
}

RT_TEST(quant_ops, onnx_qdq_per_axis_runs_as_the_spec_says)
{
    static const float scales[6] = {0.05f, 0.1f, 0.2f, 0.3f, 0.02f, 0.5f};
    static const int zps[6] = {-3, 0, 5, 127, -128, 1};
    pbw qa[1] = {onnx_attr_i("axis", -1)}, da[1] = {onnx_attr_i("axis", 1)};
    pbw g = qdq_graph(1, qa, 1, da);
    runt_model *m;
    RT_ASSERT(load(&g, 13, &m) == RUNT_OK, "%s", runt_last_error());
    rt_rng r = rt_rng_make(7);
    float x[5 * 6], y[5 * 6 + 16];
    rt_fill_uniform(&r, x, 30, -40.0f, 40.0f);
    runt_session_options o = runt_session_options_default();
    o.backend = "ref";
    o.batch = 5;
    runt_session *s;
    RT_ASSERT(runt_session_create(m, &o, &s) == RUNT_OK, "%s", runt_last_error());
    int64_t d[2] = {5, 6};
    runt_tensor in = rt_tensor_f32(x, 2, d), out = rt_tensor_f32(y, 2, d);
    RT_ASSERT(runt_session_run(s, &in, 1, &out, 1) == RUNT_OK, "%s", runt_last_error());
    for (int i = 0; i < 30; i++) {
        int c = i % 6;
        double q = rint((double)(float)((double)x[i] / scales[c])) + zps[c];
        q = q < -128 ? -128 : q > 127 ? 127 : q;
        float want = (float)((q - zps[c]) * (double)scales[c]);
        RT_ASSERT(y[i] == want, "element %d: got %.9g, want %.9g", i, (double)y[i], (double)want);
    }
    runt_session_free(s);
    runt_model_free(m);
}

RT_TEST(quant_ops, onnx_attributes_runt_refuses_or_requires)
{
    runt_model *m;
    struct {
        const char *what;
        int64_t opset;
        const char *attr;
        int64_t value;
        int on_dq;
        runt_status want;
        const char *needle;
    } cases[] = {
        {"QuantizeLinear output_dtype INT16", 21, "output_dtype", 5, 0, RUNT_E_UNSUPPORTED,
         "output_dtype"},
        {"QuantizeLinear output_dtype UINT8 vs an int8 zero point", 21, "output_dtype", 2, 0,
         RUNT_E_BAD_MODEL, "disagrees"},
        {"QuantizeLinear precision FLOAT16", 23, "precision", 10, 0, RUNT_E_UNSUPPORTED,
         "precision"},
        {"DequantizeLinear output_dtype FLOAT16", 23, "output_dtype", 10, 1, RUNT_E_UNSUPPORTED,
         "FLOAT16"},
        {"block_size negative", 21, "block_size", -2, 0, RUNT_E_BAD_MODEL, "block_size"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        pbw at[1] = {onnx_attr_i(cases[i].attr, cases[i].value)};
        pbw none_attrs[1] = {{0}};
        pbw g = cases[i].on_dq ? qdq_graph(0, none_attrs, 1, at) : qdq_graph(1, at, 0, none_attrs);
        runt_status s = load(&g, cases[i].opset, &m);
        RT_ASSERT(s == cases[i].want && strstr(runt_last_error(), cases[i].needle),
                  "%s: %s, '%s'", cases[i].what, runt_status_name(s), runt_last_error());
    }
    /* The zero point of qdq_graph is int8: output_dtype UINT8 (2) disagrees; INT8 (3) agrees. */
    pbw ok[1] = {onnx_attr_i("output_dtype", 3)}, no[1] = {{0}};
    pbw g = qdq_graph(1, ok, 0, no);
    RT_ASSERT(load(&g, 21, &m) == RUNT_OK, "output_dtype INT8: %s", runt_last_error());
    runt_model_free(m);
    /* Ops before the opset that defines them. */
    g = qdq_graph(0, no, 0, no);
    RT_ASSERT(load(&g, 9, &m) == RUNT_E_BAD_MODEL && strstr(runt_last_error(), "from opset 10"),
              "QuantizeLinear at opset 9: '%s'", runt_last_error());

    int64_t xd[2] = {2, 3};
    pbw c = {0};
    add_io(&c, ONNX_GRAPH_INPUT, "x", ONNX_FLOAT, 2, xd);
    add_node(&c, "Cast", 1, NAMES("x"), 1, NAMES("y"), 0, NULL);
    add_io(&c, ONNX_GRAPH_OUTPUT, "y", ONNX_INT32, 2, xd);
    RT_ASSERT(load(&c, 13, &m) == RUNT_E_BAD_MODEL && strstr(runt_last_error(), "'to'"),
              "Cast without to: '%s'", runt_last_error());
    pbw half[1] = {onnx_attr_i("to", 10)};
    c = (pbw){0};
    add_io(&c, ONNX_GRAPH_INPUT, "x", ONNX_FLOAT, 2, xd);
    add_node(&c, "Cast", 1, NAMES("x"), 1, NAMES("y"), 1, half);
    add_io(&c, ONNX_GRAPH_OUTPUT, "y", ONNX_INT32, 2, xd);
    RT_ASSERT(load(&c, 13, &m) == RUNT_E_UNSUPPORTED && strstr(runt_last_error(), "FLOAT16"),
              "Cast to FLOAT16: '%s'", runt_last_error());

    pbw d = {0};
    add_io(&d, ONNX_GRAPH_INPUT, "x", ONNX_FLOAT, 2, xd);
    add_node(&d, "DynamicQuantizeLinear", 1, NAMES("x"), 3, NAMES("q", "s", "z"), 0, NULL);
    add_io(&d, ONNX_GRAPH_OUTPUT, "q", ONNX_UINT8, 2, xd);
    RT_ASSERT(load(&d, 10, &m) == RUNT_E_BAD_MODEL && strstr(runt_last_error(), "from opset 11"),
              "DynamicQuantizeLinear at opset 10: '%s'", runt_last_error());
}

/* DynamicQuantizeLinear's three outputs as graph outputs, against the spec. */
RT_TEST(quant_ops, onnx_dynamic_quantize_linear_three_outputs)
{
    int64_t xd[2] = {3, 5};
    pbw g = {0};
    add_io(&g, ONNX_GRAPH_INPUT, "x", ONNX_FLOAT, 2, xd);
    add_node(&g, "DynamicQuantizeLinear", 1, NAMES("x"), 3, NAMES("q", "s", "z"), 0, NULL);
    add_io(&g, ONNX_GRAPH_OUTPUT, "q", ONNX_UINT8, 2, xd);
    add_io(&g, ONNX_GRAPH_OUTPUT, "s", ONNX_FLOAT, 0, NULL);
    add_io(&g, ONNX_GRAPH_OUTPUT, "z", ONNX_UINT8, 0, NULL);
    runt_model *m;
    RT_ASSERT(load(&g, 11, &m) == RUNT_OK, "%s", runt_last_error());
    float x[15];
    rt_rng r = rt_rng_make(8);
    rt_fill_uniform(&r, x, 15, -2.0f, 6.0f);
    uint8_t q[15], z = 0;
    float scale = 0.0f;
    runt_session *s;
    runt_session_options o = runt_session_options_default();
    o.backend = "ref";
    o.batch = 3;
    RT_ASSERT(runt_session_create(m, &o, &s) == RUNT_OK, "%s", runt_last_error());
    runt_tensor in = rt_tensor_f32(x, 2, xd), out[3];
    memset(out, 0, sizeof out);
    out[0].dtype = RUNT_U8, out[0].ndim = 2, out[0].dims[0] = 3, out[0].dims[1] = 5, out[0].data = q;
    out[1].dtype = RUNT_F32, out[1].data = &scale;
    out[2].dtype = RUNT_U8, out[2].data = &z;
    RT_ASSERT(runt_session_run(s, &in, 1, out, 3) == RUNT_OK, "%s", runt_last_error());
    double lo = 0, hi = 0;
    for (int i = 0; i < 15; i++) {
        lo = x[i] < lo ? x[i] : lo;
        hi = x[i] > hi ? x[i] : hi;
    }
    float want_s = (float)((double)(float)(hi - lo) / 255.0);
    double zr = -(double)(float)(lo / (double)want_s);
    int want_z = (int)rint(zr < 0 ? 0 : zr > 255 ? 255 : zr);
    RT_ASSERT(scale == want_s && z == want_z, "scale %.9g zp %d; spec %.9g %d", (double)scale, z,
              (double)want_s, want_z);
    for (int i = 0; i < 15; i++) {
        double v = rint((double)(float)((double)x[i] / want_s)) + want_z;
        v = v < 0 ? 0 : v > 255 ? 255 : v;
        RT_ASSERT(q[i] == (uint8_t)v, "q[%d] = %d, spec %d", i, q[i], (int)v);
    }
    runt_session_free(s);
    runt_model_free(m);
}

/* ConvInteger on [N, C, L] runs as the 2-D op on [N, C, 1, L]: both forms of
 * the same weights give the same integers. */
static pbw conv_integer_graph(int one_d, const int64_t *w)
{
    int64_t x1[3] = {1, 2, 9}, x2[4] = {1, 2, 1, 9}, w1[3] = {3, 2, 3}, w2[4] = {3, 2, 1, 3};
    int64_t y1[3] = {1, 3, 9}, y2[4] = {1, 3, 1, 9}, zp = 4;
    pbw g = {0}, attrs[1];
    add_io(&g, ONNX_GRAPH_INPUT, "x", ONNX_FLOAT, one_d ? 3 : 4, one_d ? x1 : x2);
    add_init(&g, onnx_tensor_int("w", ONNX_INT8, one_d ? 3 : 4, one_d ? w1 : w2, w, FORM_RAW));
    add_init(&g, onnx_tensor_int("wz", ONNX_INT8, 0, NULL, &zp, FORM_PACKED));
    add_node(&g, "DynamicQuantizeLinear", 1, NAMES("x"), 3, NAMES("q", "s", "z"), 0, NULL);
    int64_t pads1[2] = {1, 1}, pads2[4] = {0, 1, 0, 1};
    attrs[0] = onnx_attr_ints("pads", one_d ? pads1 : pads2, one_d ? 2 : 4, 1);
    add_node(&g, "ConvInteger", 4, NAMES("q", "w", "z", "wz"), 1, NAMES("acc"), 1, attrs);
    pbw to[1] = {onnx_attr_i("to", ONNX_FLOAT)};
    add_node(&g, "Cast", 1, NAMES("acc"), 1, NAMES("y"), 1, to);
    add_io(&g, ONNX_GRAPH_OUTPUT, "y", ONNX_FLOAT, one_d ? 3 : 4, one_d ? y1 : y2);
    return g;
}

RT_TEST(quant_ops, onnx_conv_integer_1d_equals_2d)
{
    int64_t w[18];
    rt_rng r = rt_rng_make(9);
    for (int i = 0; i < 18; i++)
        w[i] = rt_rng_int(&r, -128, 127);
    float x[18], y1[27], y2[27];
    rt_fill_uniform(&r, x, 18, -3.0f, 3.0f);
    for (int one_d = 0; one_d < 2; one_d++) {
        pbw g = conv_integer_graph(one_d, w);
        runt_model *m;
        RT_ASSERT(load(&g, 11, &m) == RUNT_OK, "%s-D: %s", one_d ? "1" : "2", runt_last_error());
        runt_session *s;
        runt_session_options o = runt_session_options_default();
        o.backend = "ref";
        RT_ASSERT(runt_session_create(m, &o, &s) == RUNT_OK, "%s", runt_last_error());
        int64_t xd1[3] = {1, 2, 9}, xd2[4] = {1, 2, 1, 9}, yd1[3] = {1, 3, 9}, yd2[4] = {1, 3, 1, 9};
        runt_tensor in = rt_tensor_f32(x, one_d ? 3 : 4, one_d ? xd1 : xd2);
        runt_tensor out = rt_tensor_f32(one_d ? y1 : y2, one_d ? 3 : 4, one_d ? yd1 : yd2);
        RT_ASSERT(runt_session_run(s, &in, 1, &out, 1) == RUNT_OK, "%s", runt_last_error());
        runt_session_free(s);
        runt_model_free(m);
    }
    for (int i = 0; i < 27; i++)
        RT_ASSERT(y1[i] == y2[i] && y1[i] == floorf(y1[i]), "element %d: 1-D %g, 2-D %g", i,
                  (double)y1[i], (double)y2[i]);
}
