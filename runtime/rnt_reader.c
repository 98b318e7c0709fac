/*
 * Loads a .rnt (layout in rnt_format.h) in place: the model's names and
 * constants point into the caller's bytes, so a microcontroller keeps its
 * weights in flash; only the value, node and io records are allocated.
 * The file is untrusted: every count, offset, size, id and attribute is
 * checked before it is used, and shapes are then inferred as for any
 * built model, so a damaged file is an error naming what and where.
 */
#include <string.h>

#include "alloc.h"
#include "error.h"
#include "model.h"
#include "plan.h"
#include "rnt_format.h"

#if !defined(RUNT_BARE_METAL)
#include <stdio.h>
#endif

typedef struct rnt_reader {
    const unsigned char *base;
    size_t size;             /* the file's own byte count (header) */
    size_t values, strings, strings_bytes;
} rnt_reader;

/* Sizes print as unsigned long: newlib as Debian builds it for Arm (nano or
 * not) has no %zu, and this message is read on the device. */
static runt_status rnt_bad(size_t at, const char *what)
{
    return runt_error_set(RUNT_E_BAD_MODEL, ".rnt: %s (byte %lu)", what, (unsigned long)at);
}

/* 1 if [offset, offset + count * unit) lies inside the file. */
static int rnt_fits(const rnt_reader *r, size_t offset, size_t count, size_t unit)
{
    if (offset > r->size || (unit && count > (r->size - offset) / unit))
        return 0;
    return 1;
}

static runt_status rnt_header(const void *data, size_t size, runt_rnt_info *info, rnt_reader *r)
{
    const uint16_t one = 1;
    if (*(const unsigned char *)&one != 1)
        return runt_error_set(RUNT_E_UNSUPPORTED, ".rnt: the format is little-endian and this "
                              "machine is not");
    if (!data)
        return runt_error_set(RUNT_E_INVALID_ARG, ".rnt: data is NULL");
    if ((uintptr_t)data % RUNT_RNT_DATA_ALIGN)
        return runt_error_set(RUNT_E_INVALID_ARG, ".rnt: the buffer must be %d-byte aligned "
                              "(constants are read where they lie)", RUNT_RNT_DATA_ALIGN);
    const unsigned char *p = data;
    if (size < RUNT_RNT_HEADER_BYTES)
        return runt_error_set(RUNT_E_BAD_MODEL, ".rnt: %lu bytes, shorter than the %d-byte header",
                              (unsigned long)size, RUNT_RNT_HEADER_BYTES);
    if (memcmp(p, "RUNT", 4) != 0)
        return rnt_bad(0, "no \"RUNT\" magic: not a .rnt file");
    if (rnt_get_u16(p + 4) != RUNT_RNT_VERSION)
        return runt_error_set(RUNT_E_UNSUPPORTED, ".rnt: format version %u, this runt reads "
                              "version %d (recompile the model)", rnt_get_u16(p + 4),
                              RUNT_RNT_VERSION);
    if (rnt_get_u16(p + 6) != RUNT_RNT_HEADER_BYTES)
        return rnt_bad(6, "header size is not 64");
    size_t file = rnt_get_u32(p + 8);
    if (file < RUNT_RNT_HEADER_BYTES || file > size)
        return runt_error_set(RUNT_E_BAD_MODEL, ".rnt: the header says %lu bytes, the buffer has "
                              "%lu (truncated?)", (unsigned long)file, (unsigned long)size);
    uint32_t crc = rnt_crc32(rnt_crc32(0, p, 12), p + 16, file - 16);
    if (crc != rnt_get_u32(p + 12))
        return runt_error_set(RUNT_E_BAD_MODEL, ".rnt: checksum 0x%08x, the header says 0x%08x "
                              "(the file is damaged)", (unsigned)crc, (unsigned)rnt_get_u32(p + 12));
    if (info) {
        info->version = RUNT_RNT_VERSION;
        info->batch = rnt_get_u32(p + 56);
        info->arena_bytes = rnt_get_u32(p + 60);
        info->file_bytes = file;
    }
    if (r) {
        r->base = p;
        r->size = file;
    }
    return RUNT_OK;
}

runt_status runt_rnt_info_get(const void *data, size_t size, runt_rnt_info *out)
{
    if (!out)
        return runt_error_set(RUNT_E_INVALID_ARG, "runt_rnt_info_get: out is NULL");
    return rnt_header(data, size, out, NULL);
}

/* A name: an offset into the strings, which end with a NUL (checked once). */
static runt_status rnt_name(const rnt_reader *r, size_t at, char **out)
{
    uint32_t off = rnt_get_u32(r->base + at);
    if (off >= r->strings_bytes)
        return rnt_bad(at, "name offset past the strings");
    *out = (char *)(r->base + r->strings + off);
    return RUNT_OK;
}

static runt_status rnt_value(const rnt_reader *r, runt_model *m, int v, size_t at)
{
    const unsigned char *p = r->base + at;
    runt_model_value *mv = &m->values[v];
    runt_status s = rnt_name(r, at, &mv->name);
    if (s != RUNT_OK)
        return s;
    mv->input_index = mv->output_index = mv->producer = -1;
    runt_dtype dtype = (runt_dtype)p[4];
    int ndim = p[5], kind = p[6];
    if (p[4] >= RUNT_DTYPE_COUNT || ndim > RUNT_MAX_DIMS || kind > RUNT_RNT_KIND_CONSTANT)
        return rnt_bad(at + 4, "value with a bad dtype, rank or kind");
    mv->desc.dtype = dtype;
    mv->desc.ndim = kind == RUNT_RNT_KIND_NODE_OUTPUT ? 0 : ndim;
    int64_t count = 1;
    for (int d = 0; d < ndim; d++) {
        int32_t dim = (int32_t)rnt_get_u32(p + 8 + 4 * d);
        if (dim == RUNT_DIM_BATCH && d == 0 && kind == RUNT_RNT_KIND_INPUT) {
            mv->desc.dims[d] = dim;
            continue;
        }
        if (dim < 0)
            return rnt_bad(at + 8 + 4 * (size_t)d, "negative dimension");
        mv->desc.dims[d] = dim;
        count *= dim;
        /* Inputs and constants stay below 2^31 elements, so no size derived
         * from them overflows (a constant must fit the file anyway). */
        if (count > INT32_MAX)
            return rnt_bad(at + 8 + 4 * (size_t)d, "tensor of more than 2^31 elements");
    }
    uint32_t scale_bits = rnt_get_u32(p + 40);
    memcpy(&mv->desc.scale, &scale_bits, sizeof mv->desc.scale);
    mv->desc.zero_point = (int32_t)rnt_get_u32(p + 44);
    if (kind != RUNT_RNT_KIND_CONSTANT)
        return RUNT_OK;
    size_t off = rnt_get_u32(p + 32), bytes = rnt_get_u32(p + 36);
    if ((uint64_t)count * runt_dtype_size(dtype) != bytes)
        return rnt_bad(at + 36, "constant's byte count does not match its shape");
    if (off % RUNT_RNT_DATA_ALIGN || !rnt_fits(r, off, bytes, 1))
        return rnt_bad(at + 32, "constant's data misaligned or past the end");
    mv->is_constant = 1;
    mv->desc.data = (void *)(r->base + off);
    return RUNT_OK;
}

static runt_status rnt_attrs(const rnt_reader *r, runt_model_node *n, size_t at, int words)
{
    rnt_field fields[RUNT_RNT_MAX_ATTR_WORDS];
    runt_attrs_default(n->op, &n->attrs);
    int nf = rnt_attr_fields(n->op, &n->attrs, fields);
    if (words != rnt_attr_words(fields, nf))
        return rnt_bad(at - 4, "attribute word count does not match the op");
    for (int i = 0; i < nf; i++, at += 4) {
        uint32_t w = rnt_get_u32(r->base + at);
        int32_t iv = (int32_t)w;
        switch (fields[i].kind) {
        case RNT_F_INT: *(int *)fields[i].ptr = iv; break;
        case RNT_F_FLOAT: memcpy(fields[i].ptr, &w, sizeof(float)); break;
        case RNT_F_I64:
            *(int64_t *)fields[i].ptr = (int64_t)((uint64_t)w | (uint64_t)rnt_get_u32(r->base + at + 4) << 32);
            at += 4;
            break;
        /* An enum field: its largest value, its name in the refusal, its type. */
#define RNT_ENUM_FIELD(kind, max, what, type)                                       \
    case kind:                                                                      \
        if (w > (uint32_t)(max))                                                    \
            return rnt_bad(at, "unknown " what);                                    \
        *(type *)fields[i].ptr = (type)w;                                           \
        break;
        RNT_ENUM_FIELD(RNT_F_ACT, RUNT_ACT_GELU_TANH, "activation", runt_activation)
        RNT_ENUM_FIELD(RNT_F_AUTO_PAD, RUNT_PAD_SAME_LOWER, "auto_pad", runt_auto_pad)
        RNT_ENUM_FIELD(RNT_F_PAD_MODE, RUNT_PAD_MODE_WRAP, "pad mode", runt_pad_mode)
        RNT_ENUM_FIELD(RNT_F_DTYPE, RUNT_DTYPE_COUNT - 1, "dtype", runt_dtype)
#undef RNT_ENUM_FIELD
        }
    }
    return RUNT_OK;
}

/* Node record at *at; moves *at past its attribute words. */
static runt_status rnt_node(const rnt_reader *r, runt_model *m, int i, size_t *at)
{
    if (!rnt_fits(r, *at, 1, RUNT_RNT_NODE_BYTES))
        return rnt_bad(*at, "node record past the end");
    const unsigned char *p = r->base + *at;
    runt_model_node *n = &m->nodes[i];
    runt_status s = rnt_name(r, *at, &n->name);
    if (s != RUNT_OK)
        return s;
    unsigned op = rnt_get_u16(p + 4);
    n->n_inputs = p[6];
    n->n_outputs = p[7];
    if (op >= RUNT_OP_COUNT)
        return rnt_bad(*at + 4, "unknown op");
    n->op = (runt_op)op;
    if (n->n_inputs > RUNT_MAX_NODE_INPUTS || n->n_outputs > RUNT_MAX_NODE_OUTPUTS)
        return rnt_bad(*at + 6, "too many node inputs or outputs");
    for (int j = 0; j < n->n_inputs; j++) {
        unsigned v = rnt_get_u16(p + 8 + 2 * j);
        if (v != RUNT_RNT_NONE && v >= (unsigned)m->n_values)
            return rnt_bad(*at + 8 + 2 * (size_t)j, "node input refers to no value");
        n->inputs[j] = v == RUNT_RNT_NONE ? -1 : (int)v;
    }
    for (int j = 0; j < n->n_outputs; j++) {
        unsigned v = rnt_get_u16(p + 24 + 2 * j);
        size_t where = *at + 24 + 2 * (size_t)j;
        if (v >= (unsigned)m->n_values)
            return rnt_bad(where, "node output refers to no value");
        runt_model_value *mv = &m->values[v];
        if (mv->is_constant || mv->input_index >= 0 || mv->producer >= 0)
            return rnt_bad(where, "node output is a constant, an input or another node's output");
        mv->producer = i;
        n->outputs[j] = (int)v;
    }
    int words = rnt_get_u16(p + 32);
    *at += RUNT_RNT_NODE_BYTES;
    if (words > RUNT_RNT_MAX_ATTR_WORDS || !rnt_fits(r, *at, (size_t)words, 4))
        return rnt_bad(*at - 4, "attribute words past the end");
    s = rnt_attrs(r, n, *at, words);
    *at += 4 * (size_t)words;
    return s;
}

static runt_status rnt_io(const rnt_reader *r, runt_model *m, size_t at)
{
    for (int i = 0; i < m->n_inputs + m->n_outputs; i++, at += 4) {
        uint32_t v = rnt_get_u32(r->base + at);
        int is_input = i < m->n_inputs;
        if (v >= (uint32_t)m->n_values)
            return rnt_bad(at, "graph input or output refers to no value");
        runt_model_value *mv = &m->values[v];
        if (is_input) {
            if (mv->input_index >= 0 ||
                r->base[r->values + RUNT_RNT_VALUE_BYTES * (size_t)v + 6] != RUNT_RNT_KIND_INPUT)
                return rnt_bad(at, "graph input is not an input value, or listed twice");
            mv->input_index = i;
            m->inputs[i] = (int)v;
        } else {
            if (mv->output_index >= 0)
                return rnt_bad(at, "graph output listed twice");
            mv->output_index = i - m->n_inputs;
            m->outputs[i - m->n_inputs] = (int)v;
        }
    }
    return RUNT_OK;
}

static runt_status rnt_read(rnt_reader *r, runt_model *m)
{
    const unsigned char *h = r->base;
    uint32_t n_values = rnt_get_u32(h + 16), n_nodes = rnt_get_u32(h + 20);
    uint32_t n_inputs = rnt_get_u32(h + 24), n_outputs = rnt_get_u32(h + 28);
    size_t values = r->values = rnt_get_u32(h + 32), nodes = rnt_get_u32(h + 36), io = rnt_get_u32(h + 40);
    r->strings = rnt_get_u32(h + 44);
    r->strings_bytes = rnt_get_u32(h + 48);
    if (n_values > RUNT_RNT_MAX_VALUES || n_nodes > RUNT_RNT_MAX_VALUES ||
        n_inputs > n_values || n_outputs > n_values)
        return rnt_bad(16, "value, node or io count out of range");
    if (values % 4 || nodes % 4 || io % 4 || !rnt_fits(r, values, n_values, RUNT_RNT_VALUE_BYTES) ||
        !rnt_fits(r, io, (size_t)n_inputs + n_outputs, 4))
        return rnt_bad(32, "value or io table misaligned or past the end");
    if (!r->strings_bytes || !rnt_fits(r, r->strings, r->strings_bytes, 1) ||
        h[r->strings + r->strings_bytes - 1] != 0)
        return rnt_bad(44, "strings past the end or not NUL-terminated");
    const runt_allocator *a = &m->allocator;
    m->values = runt_alloc_zeroed(a, n_values ? n_values : 1, sizeof *m->values);
    m->nodes = runt_alloc_zeroed(a, n_nodes ? n_nodes : 1, sizeof *m->nodes);
    m->inputs = runt_alloc_zeroed(a, n_inputs ? n_inputs : 1, sizeof(int));
    m->outputs = runt_alloc_zeroed(a, n_outputs ? n_outputs : 1, sizeof(int));
    if (!m->values || !m->nodes || !m->inputs || !m->outputs)
        return runt_error_set(RUNT_E_OOM, ".rnt: out of memory for %u values and %u nodes",
                              (unsigned)n_values, (unsigned)n_nodes);
    m->n_values = m->cap_values = (int)n_values;
    m->n_nodes = m->cap_nodes = (int)n_nodes;
    m->n_inputs = m->cap_inputs = (int)n_inputs;
    m->n_outputs = m->cap_outputs = (int)n_outputs;
    runt_status s = RUNT_OK;
    for (int v = 0; v < m->n_values && s == RUNT_OK; v++)
        s = rnt_value(r, m, v, values + (size_t)v * RUNT_RNT_VALUE_BYTES);
    if (s == RUNT_OK)
        s = rnt_io(r, m, io);
    for (int v = 0; v < m->n_values && s == RUNT_OK; v++)
        if (h[values + (size_t)v * RUNT_RNT_VALUE_BYTES + 6] == RUNT_RNT_KIND_INPUT &&
            m->values[v].input_index < 0)
            s = rnt_bad(values + (size_t)v * RUNT_RNT_VALUE_BYTES + 6,
                        "input value missing from the graph's input list");
    size_t at = nodes;
    for (int i = 0; i < m->n_nodes && s == RUNT_OK; i++)
        s = rnt_node(r, m, i, &at);
    return s;
}

runt_status runt_model_load_rnt(const void *data, size_t size, const runt_load_options *o,
                                runt_model **out)
{
    if (!out)
        return runt_error_set(RUNT_E_INVALID_ARG, "runt_model_load_rnt: out is NULL");
    *out = NULL;
    const runt_allocator *a = o ? o->allocator : NULL;
    if (a && (!a->alloc || !a->free))
        return runt_error_set(RUNT_E_INVALID_ARG,
                              "runt_model_load_rnt: an allocator needs both alloc and free");
    rnt_reader r;
    runt_status s = rnt_header(data, size, NULL, &r);
    if (s != RUNT_OK)
        return s;
    runt_model *m = runt_alloc_zeroed(a, 1, sizeof *m);
    if (!m)
        return runt_error_set(RUNT_E_OOM, "runt_model_load_rnt: out of memory");
    runt_model_init(m, a);
    m->borrows_data = 1;
    s = rnt_read(&r, m);
    if (s == RUNT_OK)
        s = runt_model_validate(m);
    if (s == RUNT_OK)
        s = runt_plan_annotate_model(m);
    if (s != RUNT_OK) {
        runt_model_destroy(m);
        return s;
    }
    *out = m;
    return RUNT_OK;
}

runt_status runt_model_load_rnt_file(const char *path, const runt_load_options *o,
                                     runt_model **out)
{
#if defined(RUNT_BARE_METAL)
    (void)path, (void)o, (void)out;
    return runt_error_set(RUNT_E_UNSUPPORTED, "runt_model_load_rnt_file: no files on bare metal; "
                          "use runt_model_load_rnt on the model's bytes");
#else
    if (!path || !out)
        return runt_error_set(RUNT_E_INVALID_ARG, "runt_model_load_rnt_file: %s is NULL",
                              path ? "out" : "path");
    *out = NULL;
    const runt_allocator *a = o ? o->allocator : NULL;
    FILE *f = fopen(path, "rb");
    if (!f)
        return runt_error_set(RUNT_E_IO, "%s: cannot open", path);
    long size = -1;
    if (fseek(f, 0, SEEK_END) == 0)
        size = ftell(f);
    void *blob = size > 0 && fseek(f, 0, SEEK_SET) == 0 ? runt_alloc(a, (size_t)size) : NULL;
    runt_status s = RUNT_OK;
    if (size <= 0)
        s = runt_error_set(RUNT_E_IO, "%s: empty or unreadable", path);
    else if (!blob)
        s = runt_error_set(RUNT_E_OOM, "%s: out of memory for %ld bytes", path, size);
    else if (fread(blob, 1, (size_t)size, f) != (size_t)size)
        s = runt_error_set(RUNT_E_IO, "%s: read failed", path);
    fclose(f);
    if (s == RUNT_OK)
        s = runt_model_load_rnt(blob, (size_t)size, o, out);
    if (s != RUNT_OK) {
        runt_free(a, blob);
        return runt_error_prefix(s, "%s", path);
    }
    (*out)->blob = blob;
    return RUNT_OK;
#endif
}
