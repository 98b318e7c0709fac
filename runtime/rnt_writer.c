/*
 * Writes a model as .rnt (layout in rnt_format.h): one pass to size each
 * section, one to fill them, then the checksum. The arena size recorded is
 * what runt_session_arena_size says for the reference backend at the batch
 * asked for, which is what a device running the reference kernels (or the
 * mcu backend, which plans the same) hands runt_session_create.
 */
#include <stdlib.h>
#include <string.h>

#include "alloc.h"
#include "error.h"
#include "model.h"
#include "rnt_format.h"

static size_t rnt_align(size_t n, size_t a) { return (n + a - 1) / a * a; }

/* A name as written ("" for none). */
static const char *rnt_name_of(const char *name) { return name ? name : ""; }

/* Bytes of a constant's data. */
static size_t rnt_data_bytes(const runt_model_value *v)
{
    return (size_t)runt_tensor_count(&v->desc) * runt_dtype_size(v->desc.dtype);
}

static runt_status rnt_check_model(const runt_model *m)
{
    if (m->n_values >= RUNT_RNT_MAX_VALUES)
        return runt_error_set(RUNT_E_UNSUPPORTED, ".rnt: %d values; the format holds at most %d",
                              m->n_values, RUNT_RNT_MAX_VALUES - 1);
    for (int v = 0; v < m->n_values; v++) {
        const runt_model_value *mv = &m->values[v];
        if (!mv->is_constant && mv->input_index < 0)
            continue;
        for (int d = 0; d < mv->desc.ndim; d++)
            if (mv->desc.dims[d] > INT32_MAX)
                return runt_error_set(RUNT_E_UNSUPPORTED, ".rnt: '%s' has dim %d of %lld; the "
                                      "format's dims are 32-bit", mv->name, d,
                                      (long long)mv->desc.dims[d]);
        if (mv->is_constant && rnt_data_bytes(mv) > UINT32_MAX / 2)
            return runt_error_set(RUNT_E_UNSUPPORTED, ".rnt: constant '%s' is over 2 GiB",
                                  mv->name);
    }
    return RUNT_OK;
}

static void rnt_write_value(unsigned char *p, const runt_model_value *mv, uint32_t name,
                            uint32_t data_off)
{
    int kind = mv->is_constant ? RUNT_RNT_KIND_CONSTANT
               : mv->input_index >= 0 ? RUNT_RNT_KIND_INPUT : RUNT_RNT_KIND_NODE_OUTPUT;
    rnt_put_u32(p, name);
    p[4] = (unsigned char)mv->desc.dtype;
    p[5] = (unsigned char)(kind == RUNT_RNT_KIND_NODE_OUTPUT ? 0 : mv->desc.ndim);
    p[6] = (unsigned char)kind;
    for (int d = 0; kind != RUNT_RNT_KIND_NODE_OUTPUT && d < mv->desc.ndim; d++)
        rnt_put_u32(p + 8 + 4 * d, (uint32_t)(int32_t)mv->desc.dims[d]);
    if (kind == RUNT_RNT_KIND_CONSTANT) {
        rnt_put_u32(p + 32, data_off);
        rnt_put_u32(p + 36, (uint32_t)rnt_data_bytes(mv));
    }
    uint32_t scale_bits;
    memcpy(&scale_bits, &mv->desc.scale, sizeof scale_bits);
    rnt_put_u32(p + 40, scale_bits);
    rnt_put_u32(p + 44, (uint32_t)mv->desc.zero_point);
}

/* The node record and its attribute words; returns the bytes written. */
static size_t rnt_write_node(unsigned char *p, const runt_model_node *n, uint32_t name)
{
    rnt_field fields[RUNT_RNT_MAX_ATTR_WORDS];
    runt_attrs attrs = n->attrs;
    int nf = rnt_attr_fields(n->op, &attrs, fields), words = rnt_attr_words(fields, nf);
    rnt_put_u32(p, name);
    rnt_put_u16(p + 4, (uint16_t)n->op);
    p[6] = (unsigned char)n->n_inputs;
    p[7] = (unsigned char)n->n_outputs;
    for (int j = 0; j < RUNT_MAX_NODE_INPUTS; j++)
        rnt_put_u16(p + 8 + 2 * j, j < n->n_inputs && n->inputs[j] >= 0 ? (uint16_t)n->inputs[j]
                                                                        : RUNT_RNT_NONE);
    for (int j = 0; j < RUNT_MAX_NODE_OUTPUTS; j++)
        rnt_put_u16(p + 24 + 2 * j, j < n->n_outputs ? (uint16_t)n->outputs[j] : RUNT_RNT_NONE);
    rnt_put_u16(p + 32, (uint16_t)words);
    unsigned char *w = p + RUNT_RNT_NODE_BYTES;
    for (int i = 0; i < nf; i++, w += 4) {
        uint32_t bits = 0;
        switch (fields[i].kind) {
        case RNT_F_INT: bits = (uint32_t)*(const int *)fields[i].ptr; break;
        case RNT_F_FLOAT: memcpy(&bits, fields[i].ptr, sizeof bits); break;
        case RNT_F_I64: {
            uint64_t v = (uint64_t)*(const int64_t *)fields[i].ptr;
            rnt_put_u32(w, (uint32_t)v);
            bits = (uint32_t)(v >> 32);
            w += 4;
            break;
        }
        case RNT_F_ACT: bits = (uint32_t)*(const runt_activation *)fields[i].ptr; break;
        case RNT_F_AUTO_PAD: bits = (uint32_t)*(const runt_auto_pad *)fields[i].ptr; break;
        case RNT_F_DTYPE: bits = (uint32_t)*(const runt_dtype *)fields[i].ptr; break;
        case RNT_F_PAD_MODE: bits = (uint32_t)*(const runt_pad_mode *)fields[i].ptr; break;
        }
        rnt_put_u32(w, bits);
    }
    return RUNT_RNT_NODE_BYTES + 4 * (size_t)words;
}

static size_t rnt_node_bytes(const runt_model_node *n)
{
    rnt_field fields[RUNT_RNT_MAX_ATTR_WORDS];
    runt_attrs attrs = n->attrs;
    return RUNT_RNT_NODE_BYTES + 4 * (size_t)rnt_attr_words(fields, rnt_attr_fields(n->op, &attrs, fields));
}

/* Serializes m with the given header figures into *bytes (allocated by a). */
static runt_status rnt_serialize(const runt_model *m, int64_t batch, size_t arena,
                                 const runt_allocator *a, void **bytes, size_t *size)
{
    size_t values = RUNT_RNT_HEADER_BYTES;
    size_t nodes = values + (size_t)m->n_values * RUNT_RNT_VALUE_BYTES, io = nodes;
    for (int i = 0; i < m->n_nodes; i++)
        io += rnt_node_bytes(&m->nodes[i]);
    size_t strings = io + 4 * (size_t)(m->n_inputs + m->n_outputs), strings_bytes = 1;
    for (int v = 0; v < m->n_values; v++)
        strings_bytes += strlen(rnt_name_of(m->values[v].name)) + 1;
    for (int i = 0; i < m->n_nodes; i++)
        strings_bytes += strlen(rnt_name_of(m->nodes[i].name)) + 1;
    size_t data = rnt_align(strings + strings_bytes, RUNT_RNT_DATA_ALIGN), total = data;
    for (int v = 0; v < m->n_values; v++)
        if (m->values[v].is_constant)
            total = rnt_align(total + rnt_data_bytes(&m->values[v]), RUNT_RNT_DATA_ALIGN);
    if (total > UINT32_MAX || arena > UINT32_MAX || batch > UINT32_MAX)
        return runt_error_set(RUNT_E_UNSUPPORTED, ".rnt: %zu bytes (arena %zu): over the "
                              "format's 4 GiB", total, arena);
    /* The caller frees the bytes itself (free, or a->free), so they come
     * straight from the allocator rather than through runt_alloc. */
    unsigned char *p = a ? a->alloc(a->user, total, RUNT_RNT_DATA_ALIGN)
                         : aligned_alloc(RUNT_RNT_DATA_ALIGN, total); /* total: a multiple */
    if (p)
        memset(p, 0, total);
    if (!p)
        return runt_error_set(RUNT_E_OOM, ".rnt: out of memory for %zu bytes", total);
    memcpy(p, "RUNT", 4);
    rnt_put_u16(p + 4, RUNT_RNT_VERSION);
    rnt_put_u16(p + 6, RUNT_RNT_HEADER_BYTES);
    rnt_put_u32(p + 8, (uint32_t)total);
    uint32_t header[12] = {(uint32_t)m->n_values, (uint32_t)m->n_nodes, (uint32_t)m->n_inputs,
                           (uint32_t)m->n_outputs, (uint32_t)values, (uint32_t)nodes,
                           (uint32_t)io, (uint32_t)strings, (uint32_t)strings_bytes,
                           (uint32_t)data, (uint32_t)batch, (uint32_t)arena};
    for (int i = 0; i < 12; i++)
        rnt_put_u32(p + 16 + 4 * i, header[i]);
    size_t name = 1, at = data; /* string 0 is the empty name */
    for (int v = 0; v < m->n_values; v++) {
        const runt_model_value *mv = &m->values[v];
        size_t len = strlen(rnt_name_of(mv->name)) + 1;
        memcpy(p + strings + name, rnt_name_of(mv->name), len);
        rnt_write_value(p + values + (size_t)v * RUNT_RNT_VALUE_BYTES, mv, (uint32_t)name,
                        (uint32_t)at);
        name += len;
        if (mv->is_constant) {
            memcpy(p + at, mv->desc.data, rnt_data_bytes(mv));
            at = rnt_align(at + rnt_data_bytes(mv), RUNT_RNT_DATA_ALIGN);
        }
    }
    size_t np = nodes;
    for (int i = 0; i < m->n_nodes; i++) {
        size_t len = strlen(rnt_name_of(m->nodes[i].name)) + 1;
        memcpy(p + strings + name, rnt_name_of(m->nodes[i].name), len);
        np += rnt_write_node(p + np, &m->nodes[i], (uint32_t)name);
        name += len;
    }
    for (int i = 0; i < m->n_inputs; i++)
        rnt_put_u32(p + io + 4 * (size_t)i, (uint32_t)m->inputs[i]);
    for (int i = 0; i < m->n_outputs; i++)
        rnt_put_u32(p + io + 4 * (size_t)(m->n_inputs + i), (uint32_t)m->outputs[i]);
    rnt_put_u32(p + 12, rnt_crc32(rnt_crc32(0, p, 12), p + 16, total - 16));
    *bytes = p;
    *size = total;
    return RUNT_OK;
}

runt_status runt_model_save_rnt(const runt_model *m, const runt_rnt_options *o,
                                const runt_allocator *a, void **bytes, size_t *size,
                                runt_rnt_info *info)
{
    const char *fn = "runt_model_save_rnt";
    if (!m || !bytes || !size)
        return runt_error_set(RUNT_E_INVALID_ARG, "%s: %s is NULL", fn,
                              !m ? "model" : !bytes ? "bytes" : "size");
    if (a && (!a->alloc || !a->free))
        return runt_error_set(RUNT_E_INVALID_ARG, "%s: an allocator needs both alloc and free", fn);
    runt_rnt_options def = {RUNT_F32, 1};
    if (!o)
        o = &def;
    int64_t batch = o->batch ? o->batch : 1;
    if (batch < 1 || (o->dtype != RUNT_F32 && o->dtype != RUNT_I8))
        return runt_error_set(RUNT_E_INVALID_ARG, "%s: batch %lld and dtype %s: use batch >= 1, "
                              "f32 or int8", fn, (long long)o->batch, runt_dtype_name(o->dtype));
    runt_model *q = NULL;
    runt_status s = RUNT_OK;
    if (o->dtype == RUNT_I8)
        s = runt_model_quantize_int8(m, a, &q);
    const runt_model *src = q ? q : m;
    if (s == RUNT_OK)
        s = rnt_check_model(src);
    runt_session_options so = runt_session_options_default();
    so.backend = "ref";
    so.batch = batch;
    so.allocator = a;
    size_t arena = 0;
    if (s == RUNT_OK)
        s = runt_session_arena_size(src, &so, &arena);
    if (s == RUNT_OK)
        s = rnt_serialize(src, batch, arena, a, bytes, size);
    runt_model_free(q);
    if (s == RUNT_OK && info) {
        info->version = RUNT_RNT_VERSION;
        info->batch = batch;
        info->arena_bytes = arena;
        info->file_bytes = *size;
    }
    return s;
}
