/*
 * Every op on the CPU backend against the reference backend, one-node
 * models built through the public builder: odd sizes, 1, primes, sizes past
 * the kernels' blocks (K > 256, N > 32, M > 96) and past the threshold where
 * nodes are split across threads; batch 1 and > 1; 1 and 2 threads.
 * Bound and error measure: cpu_compare.h.
 */
#define _POSIX_C_SOURCE 200809L /* setenv, unsetenv */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "cpu_compare.h"
#include "cpu_models.h"

/* Builds, compares at batch 1 and `batch`, frees. */
static void check_node(runt_op op, const runt_attrs *at, int n_in, const operand *ops, int n_out,
                       int64_t batch, double bound, uint64_t seed, const char *label)
{
    runt_model *m = one_node(op, at, n_in, ops, n_out, seed);
    cmp_check(m, 1, 1, bound, seed + 1, label);
    if (batch > 1)
        cmp_check(m, batch, 1, bound, seed + 2, label);
    runt_model_free(m);
}


/* ------------------------------------------------------------------------ */
/* Gemm and MatMul                                                          */
/* ------------------------------------------------------------------------ */

RT_TEST(cpu_ops, gemm_shapes_transposes_and_c)
{
    CPU_REQUIRE();
    /* M, N, K: ones, primes, exact and off-by-one tiles (12 x 32, K 256),
     * several K blocks, a batch-1 row against a wide weight. */
    static const int64_t shapes[][3] = {{1, 1, 1},    {1, 7, 5},     {7, 13, 17},  {12, 32, 256},
                                        {13, 33, 257}, {3, 97, 61},  {100, 5, 3},  {1, 1000, 1000},
                                        {97, 131, 600}, {2, 1, 300}, {1, 64, 1}};
    rt_rng r = rt_rng_make(11);
    for (size_t s = 0; s < sizeof shapes / sizeof shapes[0]; s++) {
        int64_t m = shapes[s][0], n = shapes[s][1], k = shapes[s][2];
        runt_attrs at;
        runt_attrs_default(RUNT_OP_GEMM, &at);
        at.gemm.trans_a = (int)rt_rng_int(&r, 0, 1);
        at.gemm.trans_b = (int)rt_rng_int(&r, 0, 1);
        at.gemm.alpha = s % 3 ? 1.0f : 0.75f;
        at.gemm.beta = s % 2 ? 1.0f : -0.5f;
        /* C: absent, a constant row, [M, N] input, [M, 1], scalar, in turn. */
        operand c = ABSENT;
        switch (s % 5) {
        case 1: c = (operand){1, {n}, 1}; break;
        case 2: c = op2(m, n, 0); break;
        case 3: c = op2(m, 1, 1); break;
        case 4: c = (operand){0, {0}, 1}; break;
        default: break;
        }
        operand ops[3] = {at.gemm.trans_a ? op2(k, m, 0) : op2(m, k, 0),
                          at.gemm.trans_b ? op2(n, k, 1) : op2(k, n, 1), c};
        char label[96];
        snprintf(label, sizeof label, "Gemm M %lld N %lld K %lld ta %d tb %d C case %zu",
                 (long long)m, (long long)n, (long long)k, at.gemm.trans_a, at.gemm.trans_b, s % 5);
        check_node(RUNT_OP_GEMM, &at, 3, ops, 1, 1, BOUND_F32, 100 + s, label);
        /* The same with B as a graph input (no packing at prepare). */
        ops[1].constant = 0;
        check_node(RUNT_OP_GEMM, &at, 3, ops, 1, 1, BOUND_F32, 200 + s, label);
    }
}

RT_TEST(cpu_ops, gemm_epilogue_every_activation)
{
    CPU_REQUIRE();
    static const runt_activation acts[] = {RUNT_ACT_NONE, RUNT_ACT_RELU, RUNT_ACT_LEAKY_RELU,
                                           RUNT_ACT_CLIP, RUNT_ACT_SIGMOID, RUNT_ACT_TANH,
                                           RUNT_ACT_GELU, RUNT_ACT_GELU_TANH};
    for (size_t a = 0; a < sizeof acts / sizeof acts[0]; a++) {
        runt_attrs at;
        runt_attrs_default(RUNT_OP_GEMM, &at);
        at.gemm.trans_b = 1;
        at.gemm.epilogue.act = acts[a];
        at.gemm.epilogue.alpha = acts[a] == RUNT_ACT_CLIP ? -0.3f : 0.1f;
        at.gemm.epilogue.beta = 0.4f;
        operand ops[3] = {op2(RUNT_DIM_BATCH, 45, 0), op2(70, 45, 1), {1, {70}, 1}};
        char label[64];
        snprintf(label, sizeof label, "Gemm epilogue %d", (int)acts[a]);
        check_node(RUNT_OP_GEMM, &at, 3, ops, 1, 19, BOUND_F32, 300 + a, label);
    }
    /* Clip with min > max: ONNX Clip-13 gives max everywhere. */
    runt_attrs at;
    runt_attrs_default(RUNT_OP_GEMM, &at);
    at.gemm.trans_b = 1;
    at.gemm.epilogue.act = RUNT_ACT_CLIP;
    at.gemm.epilogue.alpha = 1.0f;
    at.gemm.epilogue.beta = -1.0f;
    operand ops[3] = {op2(RUNT_DIM_BATCH, 45, 0), op2(70, 45, 1), {1, {70}, 1}};
    check_node(RUNT_OP_GEMM, &at, 3, ops, 1, 19, BOUND_F32, 399, "Gemm epilogue Clip(1, -1)");
}

RT_TEST(cpu_ops, matmul_batches_broadcasts_and_vectors)
{
    CPU_REQUIRE();
    struct { operand a, b; const char *what; } cases[] = {
        {{3, {RUNT_DIM_BATCH, 5, 40}, 0}, op2(40, 33, 1), "3-D x constant 2-D (one GEMM)"},
        {op2(RUNT_DIM_BATCH, 300, 0), op2(300, 70, 0), "2-D x input 2-D"},
        {op4(2, 1, 9, 17, 0), {3, {3, 17, 11}, 0}, "broadcast batches"},
        {{3, {4, 6, 8}, 0}, {3, {4, 8, 5}, 1}, "equal batches, constant B"},
        {{1, {37}, 0}, op2(37, 29, 1), "1-D x 2-D"},
        {op2(RUNT_DIM_BATCH, 37, 0), {1, {37}, 1}, "2-D x 1-D"},
        {{3, {2, 3, 37}, 0}, {1, {37}, 0}, "3-D x 1-D"},
        {{1, {300}, 0}, {3, {2, 300, 7}, 0}, "1-D x 3-D"},
    };
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
        operand ops[2] = {cases[c].a, cases[c].b};
        check_node(RUNT_OP_MATMUL, NULL, 2, ops, 1, 4, BOUND_F32, 400 + c, cases[c].what);
    }
}

/* ------------------------------------------------------------------------ */
/* Conv                                                                     */
/* ------------------------------------------------------------------------ */

typedef struct conv_case {
    int64_t c, h, w, m, kh, kw;
    int stride, dilation, pad, group, bias;
    runt_activation act;
    const char *what;
} conv_case;

/* The conv paths the CPU backend chooses between (cpu_conv_direct.c): the
 * rule's choice, then each one forced where it can run. */
static const char *const conv_paths[] = {NULL, "direct", "gemm"};

static void conv_path_use(const char *path)
{
    if (path)
        setenv("RUNT_CPU_CONV", path, 1);
    else
        unsetenv("RUNT_CPU_CONV");
}

RT_TEST(cpu_ops, conv_geometries)
{
    CPU_REQUIRE();
    static const conv_case cases[] = {
        {3, 11, 13, 8, 3, 3, 1, 1, 1, 1, 1, RUNT_ACT_RELU, "3x3 pad 1 + relu"},
        {4, 17, 9, 6, 3, 3, 2, 1, 0, 1, 1, RUNT_ACT_NONE, "3x3 stride 2"},
        {5, 15, 15, 7, 3, 3, 1, 2, 2, 1, 0, RUNT_ACT_SIGMOID, "dilation 2, no bias"},
        {16, 14, 14, 24, 1, 1, 1, 1, 0, 1, 1, RUNT_ACT_CLIP, "1x1 (no im2col)"},
        {8, 9, 9, 5, 1, 1, 2, 1, 0, 1, 1, RUNT_ACT_NONE, "1x1 stride 2"},
        {8, 10, 10, 16, 3, 3, 1, 1, 1, 2, 1, RUNT_ACT_LEAKY_RELU, "2 groups of 8"},
        {6, 12, 12, 6, 3, 3, 1, 1, 1, 6, 1, RUNT_ACT_NONE, "depthwise"},
        {2, 7, 5, 3, 5, 2, 1, 1, 1, 1, 1, RUNT_ACT_TANH, "5x2 kernel, 3 outputs (reference)"},
        {1, 1, 1, 1, 1, 1, 1, 1, 0, 1, 1, RUNT_ACT_NONE, "1x1x1x1"},
        {32, 40, 40, 48, 3, 3, 1, 1, 1, 1, 1, RUNT_ACT_GELU, "large: K 288, P 1600"},
        {64, 64, 64, 64, 3, 3, 1, 1, 1, 64, 1, RUNT_ACT_NONE, "large depthwise (sliced)"},
        /* direct-path edges: output channels past a tile's block, one
         * column, large and over-large kernels, a padded 1x1. */
        {7, 9, 1, 13, 3, 3, 1, 1, 1, 1, 1, RUNT_ACT_RELU, "13 outputs, width 1"},
        {3, 20, 19, 9, 7, 7, 1, 1, 3, 1, 1, RUNT_ACT_NONE, "7x7 pad 3"},
        {2, 12, 12, 4, 9, 9, 1, 1, 4, 1, 1, RUNT_ACT_NONE, "9x9: over the direct taps"},
        {5, 6, 11, 17, 1, 1, 1, 1, 1, 1, 0, RUNT_ACT_GELU_TANH, "1x1 pad 1"},
        {10, 8, 8, 10, 3, 3, 1, 1, 1, 2, 1, RUNT_ACT_NONE, "2 groups of 5"},
        /* tiles per output row (cpu_conv_direct.c's tile_layout): rows of
         * whole narrow tiles at each tier (8, 16, 32 positions), a row of 2,
         * a row that ends in a part of a tile, a 5x5 reaching 2 rows down. */
        {6, 5, 32, 20, 3, 3, 1, 1, 1, 1, 1, RUNT_ACT_RELU, "32 wide, 20 outputs"},
        {3, 4, 16, 7, 3, 3, 1, 1, 1, 1, 1, RUNT_ACT_NONE, "16 wide"},
        {4, 3, 64, 24, 3, 3, 1, 1, 1, 1, 0, RUNT_ACT_NONE, "64 wide: 2 tiles a row"},
        {5, 6, 31, 12, 3, 3, 1, 1, 1, 1, 1, RUNT_ACT_CLIP, "31 wide: part of a tile a row"},
        {4, 7, 32, 9, 5, 5, 1, 1, 2, 1, 1, RUNT_ACT_NONE, "5x5 pad 2, 32 wide"},
        {2, 6, 48, 8, 3, 3, 1, 1, 1, 1, 1, RUNT_ACT_NONE, "48 wide"},
        /* padded copies over the direct path's 4 MiB a pass: a pass per image */
        {40, 160, 160, 4, 3, 3, 1, 1, 1, 1, 1, RUNT_ACT_RELU, "a pass per image"},
    };
    for (size_t path = 0; path < sizeof conv_paths / sizeof conv_paths[0]; path++) {
        for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
            conv_path_use(conv_paths[path]);
            const conv_case *k = &cases[i];
            runt_attrs at;
            runt_attrs_default(RUNT_OP_CONV, &at);
            at.conv.strides[0] = at.conv.strides[1] = k->stride;
            at.conv.dilations[0] = at.conv.dilations[1] = k->dilation;
            at.conv.pads[0] = at.conv.pads[1] = at.conv.pads[2] = at.conv.pads[3] = k->pad;
            if (i == 1)
                at.conv.pads[2] = 1; /* asymmetric: extra padding at the bottom */
            at.conv.group = k->group;
            at.conv.epilogue.act = k->act;
            at.conv.epilogue.alpha = k->act == RUNT_ACT_CLIP ? -0.2f : 0.05f;
            at.conv.epilogue.beta = 0.3f;
            operand ops[3] = {op4(RUNT_DIM_BATCH, k->c, k->h, k->w, 0),
                              op4(k->m, k->c / k->group, k->kh, k->kw, 1),
                              k->bias ? (operand){1, {k->m}, 1} : ABSENT};
            char what[96];
            snprintf(what, sizeof what, "%s, conv path %s", k->what,
                     conv_paths[path] ? conv_paths[path] : "chosen");
            int batch = i == 9 || i == 10 || i == 22 ? 2 : 3;
            check_node(RUNT_OP_CONV, &at, 3, ops, 1, batch, BOUND_F32, 500 + i, what);
        }
    }
    conv_path_use(NULL);
}

/* im2col's padding runs: each tap's valid output columns are computed, not
 * tested per element, so pads wider than the kernel reaches (whole rows and
 * columns of zeros), one-sided pads, and strides with dilation, where the
 * first valid column is a rounded-up division. */
RT_TEST(cpu_ops, conv_padding_edges)
{
    CPU_REQUIRE();
    static const struct {
        int pads[4]; /* top, left, bottom, right */
        int stride[2], dilation[2];
        int64_t h, w;
    } cases[] = {
        {{3, 3, 3, 3}, {1, 1}, {1, 1}, 6, 7},  /* taps that never land inside */
        {{0, 2, 0, 0}, {1, 1}, {1, 1}, 8, 9},  /* left only */
        {{1, 0, 2, 3}, {1, 1}, {1, 1}, 5, 6},  /* right and bottom only */
        {{2, 2, 2, 2}, {3, 2}, {2, 3}, 13, 14}, /* stride and dilation on both axes */
        {{1, 4, 0, 1}, {2, 3}, {1, 2}, 9, 17},
        {{0, 0, 0, 0}, {2, 2}, {3, 1}, 12, 10},
    };
    for (size_t path = 0; path < sizeof conv_paths / sizeof conv_paths[0]; path++) {
        for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
            conv_path_use(conv_paths[path]);
            runt_attrs at = conv_attrs(cases[i].pads, cases[i].stride, cases[i].dilation);
            operand ops[3] = {op4(RUNT_DIM_BATCH, 5, cases[i].h, cases[i].w, 0), op4(8, 5, 3, 3, 1),
                              (operand){1, {8}, 1}};
            char what[64];
            snprintf(what, sizeof what, "padding edges case %zu, conv path %s", i,
                     conv_paths[path] ? conv_paths[path] : "chosen");
            check_node(RUNT_OP_CONV, &at, 3, ops, 1, 2, BOUND_F32, 540 + i, what);
        }
    }
    conv_path_use(NULL);
}

/* ------------------------------------------------------------------------ */
/* Elementwise                                                              */
/* ------------------------------------------------------------------------ */

RT_TEST(cpu_ops, unary_ops_small_and_split)
{
    CPU_REQUIRE();
    static const runt_op ops_list[] = {RUNT_OP_RELU, RUNT_OP_LEAKY_RELU, RUNT_OP_CLIP,
                                       RUNT_OP_SIGMOID, RUNT_OP_TANH, RUNT_OP_ERF, RUNT_OP_GELU};
    for (size_t i = 0; i < sizeof ops_list / sizeof ops_list[0]; i++) {
        runt_attrs at;
        runt_attrs_default(ops_list[i], &at);
        if (ops_list[i] == RUNT_OP_CLIP)
            at.clip.min = -0.5f, at.clip.max = 0.25f;
        if (ops_list[i] == RUNT_OP_LEAKY_RELU)
            at.leaky_relu.alpha = 0.2f;
        for (int big = 0; big < 2; big++) {
            /* 40000 per image: over the split threshold at any batch. */
            operand x = big ? op2(RUNT_DIM_BATCH, 40000, 0) : op2(RUNT_DIM_BATCH, 37, 0);
            /* exact where the CPU computes what the reference does */
            int vector_math = ops_list[i] == RUNT_OP_SIGMOID || ops_list[i] == RUNT_OP_TANH ||
                              ops_list[i] == RUNT_OP_GELU;
            check_node(ops_list[i], &at, 1, &x, 1, 3, vector_math ? BOUND_ACT : 0.0, 600 + i,
                       runt_op_name(ops_list[i]));
        }
    }
    runt_attrs at;
    runt_attrs_default(RUNT_OP_GELU, &at);
    at.gelu.approximate_tanh = 1;
    operand x = op2(RUNT_DIM_BATCH, 50001, 0);
    check_node(RUNT_OP_GELU, &at, 1, &x, 1, 2, BOUND_ACT, 620, "Gelu tanh");
}

RT_TEST(cpu_ops, binary_ops_with_broadcasting)
{
    CPU_REQUIRE();
    static const runt_op ops_list[] = {RUNT_OP_ADD, RUNT_OP_SUB, RUNT_OP_MUL, RUNT_OP_DIV};
    struct { operand a, b; const char *what; } cases[] = {
        {op2(RUNT_DIM_BATCH, 40000, 0), op2(RUNT_DIM_BATCH, 40000, 0), "same shape, split flat"},
        {op2(RUNT_DIM_BATCH, 33333, 0), {1, {33333}, 1}, "row broadcast, split by rows"},
        {op4(RUNT_DIM_BATCH, 8, 64, 70, 0), op4(1, 8, 1, 1, 1), "per channel"},
        {op2(RUNT_DIM_BATCH, 13, 0), {0, {0}, 1}, "scalar"},
        {op2(5, 1, 0), {1, {7}, 0}, "outer product shape"},
    };
    for (size_t o = 0; o < sizeof ops_list / sizeof ops_list[0]; o++)
        for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
            operand ops[2] = {cases[c].a, cases[c].b};
            char label[96];
            snprintf(label, sizeof label, "%s %s", runt_op_name(ops_list[o]), cases[c].what);
            check_node(ops_list[o], NULL, 2, ops, 1, 3, 0.0, 700 + 10 * o + c, label);
        }
}

/* ------------------------------------------------------------------------ */
/* Softmax, normalization, pooling, data movement                           */
/* ------------------------------------------------------------------------ */

RT_TEST(cpu_ops, softmax_axes)
{
    CPU_REQUIRE();
    static const int axes[] = {-1, 1, 2, 0};
    for (size_t a = 0; a < sizeof axes / sizeof axes[0]; a++) {
        runt_attrs at;
        runt_attrs_default(RUNT_OP_SOFTMAX, &at);
        at.axis.axis = axes[a];
        operand x = {3, {RUNT_DIM_BATCH, 40, 1001}, 0};
        char label[32];
        snprintf(label, sizeof label, "Softmax axis %d", axes[a]);
        check_node(RUNT_OP_SOFTMAX, &at, 1, &x, 1, 2, 0.0, 800 + a, label);
    }
}

RT_TEST(cpu_ops, layer_norm_and_batch_norm)
{
    CPU_REQUIRE();
    for (int with_bias = 0; with_bias < 2; with_bias++)
        for (int axis = -1; axis >= -2; axis--) {
            runt_attrs at;
            runt_attrs_default(RUNT_OP_LAYER_NORM, &at);
            at.layer_norm.axis = axis;
            at.layer_norm.epsilon = 1e-5f;
            operand ops[3] = {{3, {RUNT_DIM_BATCH, 64, 777}, 0},
                              axis == -1 ? (operand){1, {777}, 1} : op2(64, 777, 1),
                              with_bias ? (operand){1, {777}, 1} : ABSENT};
            check_node(RUNT_OP_LAYER_NORM, &at, 3, ops, 1, 3, 0.0, 900 + with_bias * 2 - axis,
                       "LayerNorm");
        }
    runt_attrs at;
    runt_attrs_default(RUNT_OP_BATCH_NORM, &at);
    at.batch_norm.epsilon = 1e-5f;
    operand bn[5] = {op4(RUNT_DIM_BATCH, 13, 50, 60, 0), {1, {13}, 1}, {1, {13}, 1},
                     {1, {13}, 1}, {1, {13}, 2}};
    check_node(RUNT_OP_BATCH_NORM, &at, 5, bn, 1, 3, 0.0, 950, "BatchNorm");
}

RT_TEST(cpu_ops, pooling)
{
    CPU_REQUIRE();
    for (int v = 0; v < 4; v++) {
        runt_attrs at;
        runt_attrs_default(RUNT_OP_MAX_POOL, &at);
        at.pool.kernel[0] = 3, at.pool.kernel[1] = 2;
        at.pool.strides[0] = at.pool.strides[1] = v % 2 ? 2 : 1;
        at.pool.dilations[0] = at.pool.dilations[1] = 1;
        at.pool.pads[0] = at.pool.pads[1] = at.pool.pads[2] = at.pool.pads[3] = v / 2;
        at.pool.ceil_mode = v == 3;
        at.pool.count_include_pad = v == 2;
        operand x = op4(RUNT_DIM_BATCH, 12, 63, 65, 0);
        check_node(RUNT_OP_MAX_POOL, &at, 1, &x, 1, 2, 0.0, 1000 + v, "MaxPool");
        check_node(RUNT_OP_AVERAGE_POOL, &at, 1, &x, 1, 2, 0.0, 1010 + v, "AveragePool");
    }
    operand x = op4(RUNT_DIM_BATCH, 300, 11, 13, 0);
    check_node(RUNT_OP_GLOBAL_AVERAGE_POOL, NULL, 1, &x, 1, 3, 0.0, 1020, "GlobalAveragePool");
    /* MaxPool's own kernel (cpu_max_pool.c): the 2x2 / stride 2 path on
     * odd sizes (a last window half outside with ceil_mode) and with pads,
     * dilation, pads on one side, a 1x1, and a large one (sliced). */
    static const struct {
        int k[2], s[2], d[2], pads[4], ceil;
        int64_t c, h, w;
    } maxes[] = {
        {{2, 2}, {2, 2}, {1, 1}, {0, 0, 0, 0}, 0, 8, 32, 32},
        {{2, 2}, {2, 2}, {1, 1}, {0, 0, 0, 0}, 1, 3, 15, 17},
        {{2, 2}, {2, 2}, {1, 1}, {1, 1, 1, 1}, 0, 5, 14, 14},
        {{3, 3}, {1, 1}, {2, 2}, {2, 0, 1, 2}, 0, 4, 12, 11},
        {{3, 4}, {3, 1}, {1, 3}, {0, 3, 2, 0}, 1, 2, 10, 19},
        {{1, 1}, {1, 1}, {1, 1}, {0, 0, 0, 0}, 0, 2, 3, 3},
        {{2, 2}, {2, 2}, {1, 1}, {0, 0, 0, 0}, 0, 64, 56, 56},
    };
    for (size_t i = 0; i < sizeof maxes / sizeof maxes[0]; i++) {
        runt_attrs at = pool_attrs(maxes[i].k, maxes[i].s, maxes[i].d, maxes[i].pads);
        at.pool.ceil_mode = maxes[i].ceil;
        operand xm = op4(RUNT_DIM_BATCH, maxes[i].c, maxes[i].h, maxes[i].w, 0);
        char what[48];
        snprintf(what, sizeof what, "MaxPool case %zu", i);
        check_node(RUNT_OP_MAX_POOL, &at, 1, &xm, 1, 2, 0.0, 1030 + i, what);
    }
}

RT_TEST(cpu_ops, pad_and_views)
{
    CPU_REQUIRE();
    runt_attrs at;
    runt_attrs_default(RUNT_OP_PAD, &at);
    at.pad.ndim = 4;
    int64_t pads[8] = {0, 1, 2, 0, 0, 0, 1, -1};
    memcpy(at.pad.pads, pads, sizeof pads);
    at.pad.value = 0.5f;
    operand x = op4(RUNT_DIM_BATCH, 3, 7, 9, 0);
    check_node(RUNT_OP_PAD, &at, 1, &x, 1, 2, 0.0, 1100, "Pad");
    static const runt_op views[] = {RUNT_OP_IDENTITY, RUNT_OP_DROPOUT, RUNT_OP_FLATTEN};
    for (size_t v = 0; v < sizeof views / sizeof views[0]; v++)
        check_node(views[v], NULL, 1, &x, 1, 2, 0.0, 1110 + v, runt_op_name(views[v]));
    runt_attrs_default(RUNT_OP_RESHAPE, &at);
    at.reshape.ndim = 2;
    at.reshape.shape[0] = 0;
    at.reshape.shape[1] = -1;
    check_node(RUNT_OP_RESHAPE, &at, 1, &x, 1, 2, 0.0, 1120, "Reshape");
    /* Constant needs a graph input beside it: test_cpu_models.c has it. */
}
