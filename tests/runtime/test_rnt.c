/*
 * The .rnt device format (runtime/rnt_*.c): a model written and read back
 * runs bit for bit as the original on the reference backend, reads its
 * constants where they lie, records the arena a session needs, and a
 * session made from it with a caller arena allocates nothing after load.
 * A damaged file (any byte flipped, any length cut, any field out of range
 * under a valid checksum) is refused with a message.
 */
#define _POSIX_C_SOURCE 200809L /* mkstemp, fdopen */

#include <stdlib.h>
#include <string.h>

#include "model.h"
#include "plan.h"
#include "rnt_format.h"
#include "rt_test.h"
#include "runt.h"
#include "test_models.h"
#include "test_util.h"

#define CHECK(call) RT_ASSERT((call) == RUNT_OK, "%s: %s", #call, runt_last_error())

/* A 64-byte aligned copy of size bytes (what flash placement gives). */
static unsigned char *aligned_copy(const void *src, size_t size)
{
    unsigned char *p = aligned_alloc(64, (size + 63) / 64 * 64);
    RT_ASSERT(p, "out of memory");
    memcpy(p, src, size);
    return p;
}

/* m as .rnt in 64-byte aligned memory (free with free). */
static unsigned char *save(const runt_model *m, runt_dtype dtype, int64_t batch, size_t *size,
                           runt_rnt_info *info)
{
    runt_rnt_options o = {dtype, batch};
    void *bytes = NULL;
    CHECK(runt_model_save_rnt(m, &o, NULL, &bytes, size, info));
    unsigned char *p = aligned_copy(bytes, *size);
    free(bytes);
    return p;
}

/* Runs m on backend at batch with input x; returns the output (malloc'ed). */
static float *run(const runt_model *m, const char *backend, int64_t batch, const float *x,
                  size_t *n_out)
{
    runt_session_options o = runt_session_options_default();
    o.backend = backend;
    o.batch = batch;
    runt_session *s;
    CHECK(runt_session_create(m, &o, &s));
    runt_tensor in, out;
    CHECK(runt_session_input_desc(s, 0, &in));
    CHECK(runt_session_output_desc(s, 0, &out));
    in.data = (void *)x;
    *n_out = (size_t)runt_tensor_count(&out);
    out.data = malloc(*n_out * sizeof(float));
    CHECK(runt_session_run(s, &in, 1, &out, 1));
    runt_session_free(s);
    return out.data;
}

static size_t input_count(const runt_model *m, int64_t batch)
{
    runt_io_info io;
    CHECK(runt_model_input(m, 0, &io));
    int64_t n = 1;
    for (int d = 0; d < io.desc.ndim; d++)
        n *= io.desc.dims[d] == RUNT_DIM_BATCH ? batch : io.desc.dims[d];
    return (size_t)n;
}

/* Both models give the same bits on the reference backend. */
static void same_outputs(const runt_model *a, const runt_model *b, int64_t batch, uint64_t seed)
{
    rt_rng r = rt_rng_make(seed);
    size_t n = input_count(a, batch), na, nb;
    float *x = malloc(n * sizeof *x);
    rt_fill_uniform(&r, x, n, -1.0f, 1.0f);
    float *ya = run(a, "ref", batch, x, &na), *yb = run(b, "ref", batch, x, &nb);
    RT_ASSERT(na == nb && memcmp(ya, yb, na * sizeof *ya) == 0,
              "outputs differ after the .rnt round trip");
    free(x), free(ya), free(yb);
}

static runt_model *small_mlp(void)
{
    int64_t w[4] = {6, 8, 5, 3};
    runt_model *m = rt_mlp3(NULL, w, RUNT_OP_RELU, NULL, 11);
    RT_ASSERT(m, "mlp: %s", runt_last_error());
    return m;
}

RT_TEST(rnt, round_trip_runs_bit_for_bit)
{
    runt_model *models[2] = {rt_conv_net(NULL, 9, 7, 3), NULL};
    int64_t w[4] = {20, 32, 16, 4};
    models[1] = rt_mlp3(NULL, w, RUNT_OP_LEAKY_RELU, NULL, 5);
    for (int i = 0; i < 2; i++) {
        RT_ASSERT(models[i], "model %d: %s", i, runt_last_error());
        size_t size;
        unsigned char *buf = save(models[i], RUNT_F32, 2, &size, NULL);
        runt_model *back;
        CHECK(runt_model_load_rnt(buf, size, NULL, &back));
        int na, nb;
        runt_model_counts(models[i], NULL, NULL, &na);
        runt_model_counts(back, NULL, NULL, &nb);
        RT_ASSERT(na == nb, "%d nodes written, %d read", na, nb);
        same_outputs(models[i], back, 3, 100 + (uint64_t)i);
        runt_model_free(back);
        free(buf);
        runt_model_free(models[i]);
    }
}

/* Pad's mode is part of the file: a reflect- and an edge-padded model come
 * back with their modes and compute the same bits. */
RT_TEST(rnt, pad_modes_survive_the_round_trip)
{
    runt_builder *b;
    runt_value_id x;
    int64_t xd[4] = {RUNT_DIM_BATCH, 2, 5, 4};
    CHECK(runt_builder_create(NULL, &b));
    CHECK(runt_builder_input(b, "x", RUNT_F32, 4, xd, &x));
    static const runt_pad_mode modes[2] = {RUNT_PAD_MODE_REFLECT, RUNT_PAD_MODE_EDGE};
    for (int k = 0; k < 2; k++) {
        runt_attrs pad;
        runt_attrs_default(RUNT_OP_PAD, &pad);
        pad.pad.ndim = 4;
        pad.pad.pads[2 + k] = 3;
        pad.pad.pads[6 + k] = 2 + k;
        pad.pad.mode = modes[k];
        CHECK(runt_builder_unary(b, RUNT_OP_PAD, x, &pad, &x));
    }
    CHECK(runt_builder_output(b, x, "y"));
    runt_model *m = NULL;
    CHECK(runt_builder_finish(b, &m));
    size_t size;
    unsigned char *buf = save(m, RUNT_F32, 2, &size, NULL);
    runt_model *back;
    CHECK(runt_model_load_rnt(buf, size, NULL, &back));
    same_outputs(m, back, 2, 77);
    runt_model_free(back);
    free(buf);
    runt_model_free(m);
}

RT_TEST(rnt, int8_file_runs_as_the_quantized_model)
{
    int64_t w[4] = {40, 24, 16, 5};
    runt_model *m = rt_mlp3(NULL, w, RUNT_OP_RELU, NULL, 8), *q = NULL, *back = NULL;
    RT_ASSERT(m, "%s", runt_last_error());
    CHECK(runt_model_quantize_int8(m, NULL, &q));
    size_t size;
    unsigned char *buf = save(m, RUNT_I8, 1, &size, NULL);
    CHECK(runt_model_load_rnt(buf, size, NULL, &back));
    same_outputs(q, back, 2, 7);
    /* And the quantized model approximates the f32 one (int8 error, not a bug). */
    rt_rng r = rt_rng_make(9);
    size_t n = input_count(m, 2), nf, nq;
    float *x = malloc(n * sizeof *x);
    rt_fill_uniform(&r, x, n, -1.0f, 1.0f);
    float *yf = run(m, "ref", 2, x, &nf), *yq = run(back, "ref", 2, x, &nq);
    double *want = malloc(nf * sizeof *want);
    for (size_t i = 0; i < nf; i++)
        want[i] = yf[i];
    double err = rt_norm_max_error(yq, want, nf, 1e-3);
    RT_ASSERT(nf == nq && err < 0.05, "int8 against f32: normalized error %g", err);
    /* Every Linear became MatMulInteger on int8 weights. */
    int integer_nodes = 0;
    for (int i = 0; i < back->n_nodes; i++)
        integer_nodes += back->nodes[i].op == RUNT_OP_MATMUL_INTEGER &&
                         back->values[back->nodes[i].inputs[1]].desc.dtype == RUNT_I8;
    RT_ASSERT(integer_nodes == 3, "%d int8 MatMulInteger nodes, expected one per Linear",
              integer_nodes);
    free(x), free(yf), free(yq), free(want), free(buf);
    runt_model_free(back), runt_model_free(q), runt_model_free(m);
}

RT_TEST(rnt, constants_are_read_in_place)
{
    runt_model *m = rt_conv_net(NULL, 6, 6, 4), *back;
    RT_ASSERT(m, "%s", runt_last_error());
    size_t size;
    unsigned char *buf = save(m, RUNT_F32, 1, &size, NULL);
    CHECK(runt_model_load_rnt(buf, size, NULL, &back));
    int constants = 0;
    for (int v = 0; v < back->n_values; v++) {
        const runt_model_value *mv = &back->values[v];
        if (!mv->is_constant)
            continue;
        const unsigned char *d = mv->desc.data;
        RT_ASSERT(d >= buf && d < buf + size && (uintptr_t)d % RUNT_RNT_DATA_ALIGN == 0,
                  "constant '%s' is not read in place", mv->name);
        constants++;
    }
    RT_ASSERT(constants > 0, "no constants");
    runt_model_free(back), runt_model_free(m), free(buf);
}

RT_TEST(rnt, header_records_the_arena_a_session_needs)
{
    runt_model *m = rt_conv_net(NULL, 8, 8, 2), *back;
    RT_ASSERT(m, "%s", runt_last_error());
    for (int64_t batch = 1; batch <= 3; batch += 2) {
        runt_rnt_info info, read;
        size_t size, want;
        unsigned char *buf = save(m, RUNT_F32, batch, &size, &info);
        CHECK(runt_rnt_info_get(buf, size, &read));
        CHECK(runt_model_load_rnt(buf, size, NULL, &back));
        runt_session_options o = runt_session_options_default();
        o.backend = "ref";
        o.batch = batch;
        CHECK(runt_session_arena_size(back, &o, &want));
        RT_ASSERT(read.arena_bytes == want && info.arena_bytes == want && read.batch == batch &&
                      read.file_bytes == size && read.version == RUNT_RNT_VERSION,
                  "header: arena %zu batch %lld size %zu; session needs %zu", read.arena_bytes,
                  (long long)read.batch, read.file_bytes, want);
        runt_model_free(back);
        free(buf);
    }
    runt_model_free(m);
}

RT_TEST(rnt, no_allocation_after_load_and_arena_checked)
{
    runt_model *m = rt_conv_net(NULL, 8, 8, 6), *back;
    RT_ASSERT(m, "%s", runt_last_error());
    size_t size;
    runt_rnt_info info;
    unsigned char *buf = save(m, RUNT_I8, 1, &size, &info);
    rt_counting counts = {0, 0, -1};
    runt_allocator a = {rt_counting_alloc, rt_counting_free, &counts};
    runt_load_options lo = {0};
    lo.allocator = &a;
    CHECK(runt_model_load_rnt(buf, size, &lo, &back));
    size_t arena_size = info.arena_bytes;
    unsigned char *arena = aligned_alloc(64, (arena_size + 63) / 64 * 64 + 64);
    runt_session_options o = runt_session_options_default();
    o.backend = "ref";
    o.allocator = &a;
    o.arena = arena;
    /* One byte short: refused, saying so. */
    o.arena_size = arena_size - 1;
    runt_session *s = NULL;
    RT_ASSERT(runt_session_create(back, &o, &s) == RUNT_E_OOM && !s &&
                  strstr(runt_last_error(), "arena"),
              "an arena one byte short: %s", runt_last_error());
    o.arena_size = arena_size;
    CHECK(runt_session_create(back, &o, &s));
    long after_load = counts.allocs;
    rt_rng r = rt_rng_make(1);
    runt_tensor in, out;
    CHECK(runt_session_input_desc(s, 0, &in));
    CHECK(runt_session_output_desc(s, 0, &out));
    float x[3 * 8 * 8], y[10];
    rt_fill_uniform(&r, x, sizeof x / sizeof x[0], -1.0f, 1.0f);
    in.data = x, out.data = y;
    for (int i = 0; i < 3; i++)
        CHECK(runt_session_run(s, &in, 1, &out, 1));
    RT_ASSERT(counts.allocs == after_load, "%ld allocations after load",
              counts.allocs - after_load);
    runt_session_free(s);
    runt_model_free(back);
    RT_ASSERT(counts.allocs == counts.frees, "%ld allocations, %ld frees", counts.allocs,
              counts.frees);
    free(arena), free(buf), runt_model_free(m);
}

RT_TEST(rnt, out_of_memory_at_every_allocation_of_a_load)
{
    runt_model *m = small_mlp(), *back = NULL;
    size_t size;
    unsigned char *buf = save(m, RUNT_F32, 1, &size, NULL);
    int loaded = 0;
    for (long k = 0; k < 1000 && !loaded; k++) {
        rt_counting counts = {0, 0, k};
        runt_allocator a = {rt_counting_alloc, rt_counting_free, &counts};
        runt_load_options lo = {0};
        lo.allocator = &a;
        runt_status s = runt_model_load_rnt(buf, size, &lo, &back);
        RT_ASSERT(s == RUNT_OK || (s == RUNT_E_OOM && !back), "allocation %ld failing: %s", k,
                  runt_last_error());
        loaded = s == RUNT_OK;
        runt_model_free(back);
        back = NULL;
        RT_ASSERT(counts.allocs == counts.frees, "allocation %ld failing: %ld allocs, %ld frees",
                  k, counts.allocs, counts.frees);
    }
    RT_ASSERT(loaded, "never loaded");
    free(buf), runt_model_free(m);
}

RT_TEST(rnt, every_flipped_byte_and_every_cut_is_refused)
{
    runt_model *m = small_mlp(), *back = NULL;
    size_t size;
    unsigned char *buf = save(m, RUNT_F32, 1, &size, NULL);
    for (size_t i = 0; i < size; i++) {
        buf[i] ^= 0x20;
        runt_status s = runt_model_load_rnt(buf, size, NULL, &back);
        RT_ASSERT(s != RUNT_OK && !back && runt_last_error()[0], "byte %zu flipped: loaded", i);
        buf[i] ^= 0x20;
    }
    for (size_t n = 0; n < size; n++) {
        runt_status s = runt_model_load_rnt(buf, n, NULL, &back);
        RT_ASSERT(s != RUNT_OK && !back, "cut to %zu of %zu bytes: loaded", n, size);
    }
    CHECK(runt_model_load_rnt(buf, size, NULL, &back));
    runt_model_free(back);
    free(buf), runt_model_free(m);
}

/* Rewrites the checksum after a patch, so the reader's field checks are
 * what refuses the file. */
static void reseal(unsigned char *p)
{
    size_t size = rnt_get_u32(p + 8);
    rnt_put_u32(p + 12, rnt_crc32(rnt_crc32(0, p, 12), p + 16, size - 16));
}

typedef enum patch {
    P_VERSION, P_OP, P_NODE_INPUT, P_CONST_OFFSET, P_ATTR_WORDS, P_STRINGS, P_ACTIVATION,
    P_OUTPUT_ID, P_NEGATIVE_DIM, P_OUTPUT_IS_CONSTANT, P_VALUE_COUNT, P_DTYPE, P_COUNT
} patch;

RT_TEST(rnt, damaged_fields_under_a_valid_checksum_are_refused)
{
    runt_model *m = small_mlp(), *back = NULL;
    size_t size;
    unsigned char *good = save(m, RUNT_F32, 1, &size, NULL);
    size_t values = rnt_get_u32(good + 32), nodes = rnt_get_u32(good + 36);
    size_t io = rnt_get_u32(good + 40), strings = rnt_get_u32(good + 44);
    size_t strings_bytes = rnt_get_u32(good + 48);
    uint32_t n_values = rnt_get_u32(good + 16), n_inputs = rnt_get_u32(good + 24);
    /* The first constant's record, and the first Gemm node (attributes:
     * alpha, beta, trans_a, trans_b, then the epilogue's activation). */
    size_t constant = 0;
    for (uint32_t v = 0; v < n_values && !constant; v++)
        if (good[values + 48 * v + 6] == RUNT_RNT_KIND_CONSTANT)
            constant = values + 48 * v;
    RT_ASSERT(constant && rnt_get_u16(good + nodes + 4) == RUNT_OP_GEMM, "layout of the test model");
    for (int k = 0; k < P_COUNT; k++) {
        unsigned char *p = aligned_copy(good, size);
        switch ((patch)k) {
        case P_VERSION: rnt_put_u16(p + 4, RUNT_RNT_VERSION + 1); break;
        case P_OP: rnt_put_u16(p + nodes + 4, RUNT_OP_COUNT); break;
        case P_NODE_INPUT: rnt_put_u16(p + nodes + 8, (uint16_t)n_values); break;
        case P_CONST_OFFSET: rnt_put_u32(p + constant + 32, rnt_get_u32(p + constant + 32) + 4); break;
        case P_ATTR_WORDS: rnt_put_u16(p + nodes + 32, (uint16_t)(rnt_get_u16(p + nodes + 32) + 1)); break;
        case P_STRINGS: p[strings + strings_bytes - 1] = 'x'; break;
        case P_ACTIVATION: rnt_put_u32(p + nodes + RUNT_RNT_NODE_BYTES + 16, 99); break;
        case P_OUTPUT_ID: rnt_put_u32(p + io + 4 * n_inputs, n_values); break;
        case P_NEGATIVE_DIM: rnt_put_u32(p + constant + 8, (uint32_t)-5); break;
        case P_OUTPUT_IS_CONSTANT:
            rnt_put_u16(p + nodes + 24, (uint16_t)((constant - values) / RUNT_RNT_VALUE_BYTES));
            break;
        case P_VALUE_COUNT: rnt_put_u32(p + 16, 70000); break;
        case P_DTYPE: p[constant + 4] = RUNT_DTYPE_COUNT; break;
        default: break;
        }
        reseal(p);
        runt_status s = runt_model_load_rnt(p, size, NULL, &back);
        RT_ASSERT(s != RUNT_OK && !back && strstr(runt_last_error(), ".rnt"),
                  "patch %d: status %s, message '%s'", k, runt_status_name(s), runt_last_error());
        if (k == P_VERSION)
            RT_ASSERT(s == RUNT_E_UNSUPPORTED, "a newer version is unsupported, not broken");
        free(p);
    }
    free(good), runt_model_free(m);
}

RT_TEST(rnt, bad_arguments)
{
    runt_model *m = small_mlp(), *back = NULL;
    size_t size;
    unsigned char *buf = save(m, RUNT_F32, 1, &size, NULL);
    RT_ASSERT(runt_model_load_rnt(NULL, size, NULL, &back) == RUNT_E_INVALID_ARG, "NULL data");
    RT_ASSERT(runt_model_load_rnt(buf, size, NULL, NULL) == RUNT_E_INVALID_ARG, "NULL out");
    unsigned char *shifted = aligned_alloc(64, (size + 64) / 64 * 64 + 64);
    memcpy(shifted + 4, buf, size);
    RT_ASSERT(runt_model_load_rnt(shifted + 4, size, NULL, &back) == RUNT_E_INVALID_ARG &&
                  strstr(runt_last_error(), "aligned"),
              "a misaligned buffer: %s", runt_last_error());
    runt_rnt_options o = {RUNT_U8, 1};
    void *bytes;
    size_t n;
    RT_ASSERT(runt_model_save_rnt(m, &o, NULL, &bytes, &n, NULL) == RUNT_E_INVALID_ARG,
              "dtype u8 accepted");
    o.dtype = RUNT_F32, o.batch = -2;
    RT_ASSERT(runt_model_save_rnt(m, &o, NULL, &bytes, &n, NULL) == RUNT_E_INVALID_ARG,
              "batch -2 accepted");
    RT_ASSERT(runt_model_load_rnt_file("/nonexistent/model.rnt", NULL, &back) == RUNT_E_IO,
              "a missing file");
    free(shifted), free(buf), runt_model_free(m);
}

RT_TEST(rnt, file_round_trip)
{
    runt_model *m = small_mlp(), *back = NULL;
    size_t size;
    unsigned char *buf = save(m, RUNT_F32, 1, &size, NULL);
    char path[] = "/tmp/runt_test_rnt_XXXXXX";
    int fd = mkstemp(path);
    RT_ASSERT(fd >= 0, "mkstemp");
    FILE *f = fdopen(fd, "wb");
    RT_ASSERT(f && fwrite(buf, 1, size, f) == size && fclose(f) == 0, "writing %s", path);
    CHECK(runt_model_load_rnt_file(path, NULL, &back));
    remove(path);
    same_outputs(m, back, 2, 3);
    runt_model_free(back), free(buf), runt_model_free(m);
}

/* An int8 layer's int32 sums, their f32 cast, the rescale and the bias all
 * take one buffer: the arena a device needs is no larger for it. */
RT_TEST(rnt, int8_layer_works_in_one_buffer)
{
    runt_model *m = rt_conv_net(NULL, 8, 8, 2), *q;
    RT_ASSERT(m, "%s", runt_last_error());
    CHECK(runt_model_quantize_int8(m, NULL, &q));
    runt_plan_config c;
    memset(&c, 0, sizeof c);
    c.batch = 1;
    runt_plan *p;
    CHECK(runt_plan_create(q, &c, NULL, &p));
    int casts = 0;
    for (int i = 0; i < p->n_nodes; i++) {
        const runt_plan_node *n = &p->nodes[i];
        if (n->op != RUNT_OP_CAST)
            continue;
        const runt_plan_value *x = &p->values[n->inputs[0]], *y = &p->values[n->outputs[0]];
        RT_ASSERT(x->desc.dtype == RUNT_I32 && y->desc.dtype == RUNT_F32 &&
                      x->storage == RUNT_STORE_ARENA && y->storage == RUNT_STORE_ARENA,
                  "cast %d: the int32 sums to f32 in the arena", i);
        RT_ASSERT(x->offset == y->offset, "cast '%s': sums at %zu, floats at %zu", n->name,
                  x->offset, y->offset);
        casts++;
    }
    RT_ASSERT(casts == 3, "%d casts, one per quantized layer", casts);
    runt_plan_destroy(p, NULL);
    runt_model_free(q), runt_model_free(m);
}
