/*
 * Loading ONNX models: runt_model_load_buffer and runt_model_load_file.
 *
 * The file is decoded into views (onnx_proto.c), then turned into a model
 * through the public builder only, in the graph's order: graph inputs,
 * nodes (onnx_ops.c dispatches each to its mapper), graph outputs. ONNX
 * names values by string; a hash table (onnx_symbols.c) maps each name to
 * its builder value. Constants (initializers, Constant nodes, frozen
 * inputs) are given to the builder on first use as a data input, so those
 * that only select behaviour (a Reshape's shape) are folded into attributes
 * and never stored twice.
 */
#include <stdio.h>
#include <string.h>

#include "alloc.h"
#include "error.h"
#include "model_limits.h"
#include "onnx_impl.h"

#if !defined(RUNT_BARE_METAL)
#include <errno.h>
#endif

/* ------------------------------------------------------------------------- */
/* The graph                                                                 */
/* ------------------------------------------------------------------------- */

static runt_status runt_onnx_check_options(const runt_onnx_ctx *c)
{
    const runt_load_options *o = c->opt;
    if (o->n_constant_inputs < 0 ||
        (o->n_constant_inputs > 0 && (!o->constant_input_names || !o->constant_inputs)))
        return runt_error_set(RUNT_E_INVALID_ARG, "runt_load_options: n_constant_inputs is %d "
                              "but constant_input_names or constant_inputs is NULL",
                              o->n_constant_inputs);
    for (int j = 0; j < o->n_constant_inputs; j++) {
        const runt_tensor *t = &o->constant_inputs[j];
        const char *name = o->constant_input_names[j];
        if (!name)
            return runt_error_set(RUNT_E_INVALID_ARG,
                                  "runt_load_options: constant_input_names[%d] is NULL", j);
        if (!runt_dtype_size(t->dtype) || t->ndim < 0 || t->ndim > RUNT_MAX_DIMS || !t->data)
            return runt_error_set(RUNT_E_INVALID_ARG, "runt_load_options: constant input '%s' "
                                  "needs a known dtype, 0 to %d dims and data", name,
                                  RUNT_MAX_DIMS);
        for (int d = 0; d < t->ndim; d++)
            if (t->dims[d] < 0)
                return runt_error_set(RUNT_E_INVALID_ARG, "runt_load_options: constant input "
                                      "'%s': dim %d is %lld", name, d, (long long)t->dims[d]);
    }
    return RUNT_OK;
}

static runt_status runt_onnx_check_model(const runt_onnx_ctx *c)
{
    if (!c->has_graph)
        return runt_error_set(RUNT_E_BAD_MODEL, "%s: the model has no graph", c->source);
    if (c->opset == 0)
        return runt_error_set(RUNT_E_BAD_MODEL, "%s: the model imports no opset of the default "
                              "ONNX domain (ai.onnx)", c->source);
    if (c->opset < RUNT_ONNX_OPSET_MIN || c->opset > RUNT_ONNX_OPSET_MAX)
        return runt_error_set(RUNT_E_UNSUPPORTED, "%s: opset %lld is not supported (runt reads "
                              "opsets %d to %d)", c->source, (long long)c->opset,
                              RUNT_ONNX_OPSET_MIN, RUNT_ONNX_OPSET_MAX);
    if (c->g.n_sparse)
        return runt_error_set(RUNT_E_UNSUPPORTED, "%s: byte %zu: GraphProto.sparse_initializer: "
                              "sparse initializers are not supported", c->source,
                              c->g.sparse_at);
    return RUNT_OK;
}

static runt_status runt_onnx_unnamed(const runt_onnx_ctx *c, const char *what, size_t at)
{
    return runt_error_set(RUNT_E_BAD_MODEL, "%s: byte %zu: %s has no name", c->source, at, what);
}

/* Graph inputs: declared, frozen (options.constant_input_names), or the
 * initializers that IR < 4 also listed as inputs. */
static runt_status runt_onnx_index_inputs(runt_onnx_ctx *c)
{
    const runt_load_options *o = c->opt;
    for (int i = 0; i < c->g.n_inputs; i++) {
        const runt_onnx_value_info *vi = &c->g.inputs[i];
        if (!vi->name.n)
            return runt_onnx_unnamed(c, "graph input", vi->at);
        runt_onnx_sym *s = runt_onnx_sym_add(c, &vi->name);
        if (s->kind == RUNT_ONNX_SYM_INITIALIZER)
            continue;
        if (s->kind != RUNT_ONNX_SYM_NONE)
            return runt_error_set(RUNT_E_BAD_MODEL, "%s: graph input '%.*s' is listed twice",
                                  c->source, runt_onnx_shown(&vi->name), (const char *)vi->name.p);
        s->kind = RUNT_ONNX_SYM_INPUT;
        s->index = i;
        for (int j = 0; j < o->n_constant_inputs; j++)
            if (runt_onnx_str_eq(&vi->name, o->constant_input_names[j])) {
                s->kind = RUNT_ONNX_SYM_FROZEN;
                s->index = j;
                s->rank = o->constant_inputs[j].ndim;
                break;
            }
    }
    for (int j = 0; j < o->n_constant_inputs; j++) {
        const char *name = o->constant_input_names[j];
        const runt_onnx_sym *s = runt_onnx_sym_find(c, (const uint8_t *)name, strlen(name));
        if (!s || s->kind != RUNT_ONNX_SYM_FROZEN || s->index != j)
            return runt_error_set(RUNT_E_INVALID_ARG, "runt_load_options: constant input '%s' "
                                  "is not a graph input of %s (or is named twice)", name,
                                  c->source);
    }
    return RUNT_OK;
}

/* Bytes a tensor's dims declare, saturated at INT64_MAX; 0 for a dtype runt
 * does not read (refused when the tensor is used). */
static int64_t runt_onnx_declared_bytes(const runt_onnx_tensor *t)
{
    runt_dtype dt;
    if (runt_onnx_dtype(t->data_type, &dt) != RUNT_OK && t->data_type != RUNT_ONNX_BOOL)
        return 0;
    int64_t bytes = t->data_type == RUNT_ONNX_BOOL ? 1 : (int64_t)runt_dtype_size(dt);
    for (int d = 0; d < t->ndim && d < RUNT_MAX_DIMS; d++) {
        if (t->dims[d] && bytes > INT64_MAX / t->dims[d])
            return INT64_MAX;
        bytes *= t->dims[d];
    }
    return bytes;
}

/* The weights the graph declares (initializers and Constant nodes' tensors),
 * summed from their dims before any is decoded. */
static runt_status runt_onnx_check_weights(const runt_onnx_ctx *c)
{
    const runt_onnx_graph *g = &c->g;
    int64_t total = 0, max = c->limits.max_weight_bytes;
    for (int i = 0; i < g->n_initializers + g->n_attrs; i++) {
        const runt_onnx_tensor *t = i < g->n_initializers ? &g->initializers[i]
                                    : g->attrs[i - g->n_initializers].has_t
                                        ? &g->attrs[i - g->n_initializers].t : NULL;
        int64_t bytes = t ? runt_onnx_declared_bytes(t) : 0;
        if (bytes > max - total)
            return runt_error_set(RUNT_E_LIMIT, "%s: the initializers and constants declare "
                                  "more than runt_limits.max_weight_bytes (%lld bytes); "
                                  "reached at %s '%.*s'", c->source, (long long)max,
                                  i < g->n_initializers ? "initializer" : "constant tensor",
                                  runt_onnx_shown(&t->name), runt_onnx_chars(&t->name));
        total += bytes;
    }
    return RUNT_OK;
}

/* Every name of the graph gets a symbol up front, with its number of readers. */
static runt_status runt_onnx_index(runt_onnx_ctx *c)
{
    const runt_onnx_graph *g = &c->g;
    size_t names = (size_t)g->n_node_inputs + (size_t)g->n_node_outputs +
                   (size_t)g->n_initializers + (size_t)g->n_inputs + (size_t)g->n_outputs;
    size_t cap = 64;
    while (cap < 2 * names)
        cap *= 2;
    if (!(c->syms = runt_alloc_zeroed(c->alloc, cap, sizeof *c->syms)))
        return runt_error_set(RUNT_E_OOM, "%s: out of memory for %zu names", c->source, names);
    c->cap_syms = cap;
    for (int i = 0; i < g->n_initializers; i++) {
        const runt_onnx_tensor *t = &g->initializers[i];
        if (!t->name.n)
            return runt_onnx_unnamed(c, "initializer", t->at);
        runt_onnx_sym *s = runt_onnx_sym_add(c, &t->name);
        if (s->kind != RUNT_ONNX_SYM_NONE)
            return runt_error_set(RUNT_E_BAD_MODEL, "%s: two initializers are named '%.*s'",
                                  c->source, runt_onnx_shown(&t->name), (const char *)t->name.p);
        s->kind = RUNT_ONNX_SYM_INITIALIZER;
        s->index = i;
        s->rank = t->ndim <= RUNT_MAX_DIMS ? t->ndim : -1;
    }
    runt_status st = runt_onnx_check_weights(c);
    if (st != RUNT_OK || (st = runt_onnx_index_inputs(c)) != RUNT_OK)
        return st;
    for (int i = 0; i < g->n_node_inputs; i++)
        if (g->node_inputs[i].n)
            runt_onnx_sym_add(c, &g->node_inputs[i])->uses++;
    for (int i = 0; i < g->n_node_outputs; i++)
        if (g->node_outputs[i].n)
            runt_onnx_sym_add(c, &g->node_outputs[i]);
    for (int i = 0; i < g->n_outputs; i++) {
        if (!g->outputs[i].name.n)
            return runt_onnx_unnamed(c, "graph output", g->outputs[i].at);
        runt_onnx_sym_add(c, &g->outputs[i].name)->uses++;
    }
    return RUNT_OK;
}

/* The declared dtype and shape of a graph input; a symbolic first dim is the
 * batch, as exporters write it ("batch_size", "N", or no value). */
static runt_status runt_onnx_input_desc(const runt_onnx_ctx *c, const runt_onnx_value_info *vi,
                                        runt_tensor *t)
{
    int shown = runt_onnx_shown(&vi->name);
    const char *name = (const char *)vi->name.p;
    memset(t, 0, sizeof *t);
    if (!vi->has_type)
        return runt_error_set(RUNT_E_BAD_MODEL, "%s: graph input '%.*s' has no type", c->source,
                              shown, name);
    if (!vi->is_tensor)
        return runt_error_set(RUNT_E_UNSUPPORTED, "%s: graph input '%.*s' is not a tensor "
                              "(sequence, map, optional or sparse)", c->source, shown, name);
    if (runt_onnx_dtype(vi->elem_type, &t->dtype) != RUNT_OK)
        return runt_error_set(RUNT_E_UNSUPPORTED, "%s: graph input '%.*s' has element type %s "
                              "(%lld); runt reads FLOAT, INT8, UINT8, INT32, INT64", c->source,
                              shown, name, runt_onnx_type_name(vi->elem_type),
                              (long long)vi->elem_type);
    if (!vi->has_shape)
        return runt_error_set(RUNT_E_UNSUPPORTED, "%s: graph input '%.*s' has no shape; runt "
                              "needs its rank and all dims but the first", c->source, shown, name);
    if (vi->ndim > RUNT_MAX_DIMS)
        return runt_error_set(RUNT_E_UNSUPPORTED, "%s: graph input '%.*s' has more than %d dims",
                              c->source, shown, name, RUNT_MAX_DIMS);
    t->ndim = vi->ndim;
    int64_t count = 1;
    for (int d = 0; d < vi->ndim; d++) {
        const runt_onnx_dim *dim = &vi->dims[d];
        if (dim->kind == RUNT_ONNX_DIM_VALUE && dim->value < 0)
            return runt_error_set(RUNT_E_BAD_MODEL, "%s: graph input '%.*s': dim %d is %lld",
                                  c->source, shown, name, d, (long long)dim->value);
        if (dim->kind == RUNT_ONNX_DIM_VALUE)
            t->dims[d] = dim->value;
        else if (d == 0)
            t->dims[d] = RUNT_DIM_BATCH;
        else
            return runt_error_set(RUNT_E_UNSUPPORTED, "%s: graph input '%.*s': dim %d is "
                                  "symbolic ('%.*s'); only the first dim (the batch) may be",
                                  c->source, shown, name, d, runt_onnx_shown(&dim->param),
                                  runt_onnx_chars(&dim->param));
        int64_t n = t->dims[d] == RUNT_DIM_BATCH ? 1 : t->dims[d];
        if (n && count > c->limits.max_tensor_elements / n)
            return runt_error_set(RUNT_E_LIMIT, "%s: graph input '%.*s' has more than "
                                  "runt_limits.max_tensor_elements (%lld) elements at batch 1",
                                  c->source, shown, name,
                                  (long long)c->limits.max_tensor_elements);
        count *= n;
    }
    return RUNT_OK;
}

/* A frozen input must match what the model declares for it. */
static runt_status runt_onnx_check_frozen(const runt_onnx_ctx *c, const runt_onnx_value_info *vi,
                                          const runt_tensor *given)
{
    runt_tensor want;
    runt_status s = runt_onnx_input_desc(c, vi, &want);
    if (s != RUNT_OK)
        return s;
    int ok = want.dtype == given->dtype && want.ndim == given->ndim;
    for (int d = 0; ok && d < want.ndim; d++)
        ok = want.dims[d] == RUNT_DIM_BATCH || want.dims[d] == given->dims[d];
    if (!ok)
        return runt_error_set(RUNT_E_INVALID_ARG, "runt_load_options: constant input '%.*s' "
                              "(%s, %d dims) does not match the graph input of %s (%s, %d dims)",
                              runt_onnx_shown(&vi->name), (const char *)vi->name.p,
                              runt_dtype_name(given->dtype), given->ndim, c->source,
                              runt_dtype_name(want.dtype), want.ndim);
    return RUNT_OK;
}

static runt_status runt_onnx_declare_inputs(runt_onnx_ctx *c)
{
    for (int i = 0; i < c->g.n_inputs; i++) {
        const runt_onnx_value_info *vi = &c->g.inputs[i];
        runt_onnx_sym *s = runt_onnx_sym_find(c, vi->name.p, vi->name.n);
        runt_tensor t;
        const char *name = NULL;
        runt_status st;
        if (s->kind == RUNT_ONNX_SYM_FROZEN &&
            (st = runt_onnx_check_frozen(c, vi, &c->opt->constant_inputs[s->index])) != RUNT_OK)
            return st;
        if (s->kind != RUNT_ONNX_SYM_INPUT)
            continue;
        if ((st = runt_onnx_input_desc(c, vi, &t)) != RUNT_OK ||
            (st = runt_onnx_cname(c, &vi->name, NULL, &name)) != RUNT_OK)
            return st;
        if ((st = runt_builder_input(c->b, name, t.dtype, t.ndim, t.dims, &s->id)) != RUNT_OK)
            return runt_error_prefix(st, "%s", c->source);
        s->rank = t.ndim;
    }
    return RUNT_OK;
}

/* A graph with nothing to read at run time (ONNX's test_constant: one
 * Constant node, no inputs; or every input frozen) is valid ONNX, but a runt
 * model computes from at least one input. */
static runt_status runt_onnx_check_has_input(const runt_onnx_ctx *c)
{
    for (int i = 0; i < c->g.n_inputs; i++) {
        const runt_onnx_value_info *vi = &c->g.inputs[i];
        if (runt_onnx_sym_find(c, vi->name.p, vi->name.n)->kind == RUNT_ONNX_SYM_INPUT)
            return RUNT_OK;
    }
    return runt_error_set(RUNT_E_UNSUPPORTED, "%s: the graph has no input left to compute from "
                          "(%d graph inputs, each an initializer or frozen); runt runs "
                          "graphs that read at least one input", c->source, c->g.n_inputs);
}

static runt_status runt_onnx_declare_outputs(runt_onnx_ctx *c)
{
    for (int i = 0; i < c->g.n_outputs; i++) {
        const runt_onnx_value_info *vi = &c->g.outputs[i];
        runt_onnx_sym *s = runt_onnx_sym_find(c, vi->name.p, vi->name.n);
        const char *name = NULL;
        runt_status st;
        if (s->kind == RUNT_ONNX_SYM_NONE)
            return runt_error_set(RUNT_E_BAD_MODEL, "%s: graph output '%.*s' is not produced by "
                                  "any node", c->source, runt_onnx_shown(&vi->name),
                                  (const char *)vi->name.p);
        if ((st = runt_onnx_declare(c, s)) != RUNT_OK ||
            (st = runt_onnx_cname(c, &vi->name, NULL, &name)) != RUNT_OK)
            return st;
        if ((st = runt_builder_output(c->b, s->id, name)) != RUNT_OK)
            return runt_error_prefix(st, "%s", c->source);
    }
    return RUNT_OK;
}

/* A serialized ModelProto starts with the tag of one of its fields
 * (onnx.proto: 1..8, 14, 20, 25) in a wire type protobuf has (0, 1, 2, 5).
 * Anything else — text, an image, a .npy — is not an ONNX model, and saying
 * so helps more than a protobuf error at byte 2. A known field in the wrong
 * wire type passes here: the parser names it precisely. */
static runt_status runt_onnx_check_start(const runt_onnx_ctx *c)
{
    if (c->size == 0)
        return RUNT_OK; /* the parser's "no graph" says it */
    unsigned b = c->buf[0], wire = b & 7, field = (b & 0x7f) >> 3;
    if (b & 0x80)
        field |= c->size > 1 ? (unsigned)(c->buf[1] & 0x7f) << 4 : 0;
    int known = (field >= 1 && field <= 8) || field == 14 || field == 20 || field == 25;
    if (known && (wire == 0 || wire == 1 || wire == 2 || wire == 5))
        return RUNT_OK;
    char shown[16] = "";
    size_t n = 0;
    for (size_t i = 0; i < c->size && i < 4; i++)
        n += (size_t)snprintf(shown + n, sizeof shown - n, "%s%02x", i ? " " : "", c->buf[i]);
    return runt_error_set(RUNT_E_BAD_MODEL, "%s: not an ONNX model (its first bytes, %s, begin no "
                          "ModelProto field)", c->source, shown);
}

static runt_status runt_onnx_build(runt_onnx_ctx *c, runt_model **out)
{
    runt_status s;
    if ((s = runt_onnx_check_options(c)) != RUNT_OK || (s = runt_onnx_check_start(c)) != RUNT_OK ||
        (s = runt_onnx_parse(c)) != RUNT_OK ||
        (s = runt_onnx_check_model(c)) != RUNT_OK || (s = runt_onnx_index(c)) != RUNT_OK)
        return s;
    if ((s = runt_builder_create(c->alloc, &c->b)) != RUNT_OK ||
        (s = runt_onnx_declare_inputs(c)) != RUNT_OK ||
        (s = runt_onnx_check_has_input(c)) != RUNT_OK)
        return s;
    for (int i = 0; i < c->g.n_nodes; i++)
        if ((s = runt_onnx_emit_node(c, &c->g.nodes[i])) != RUNT_OK)
            return s;
    if ((s = runt_onnx_declare_outputs(c)) != RUNT_OK)
        return s;
    runt_builder *b = c->b;
    c->b = NULL; /* finish consumes the builder, also when it fails */
    if ((s = runt_builder_finish(b, out)) != RUNT_OK)
        return runt_error_prefix(s, "%s", c->source);
    return RUNT_OK;
}

static runt_status runt_onnx_load(const uint8_t *buf, size_t size, const char *source,
                                  const char *ext_dir, const runt_load_options *o,
                                  runt_model **out)
{
    static const runt_load_options defaults;
    runt_onnx_ctx c;
    memset(&c, 0, sizeof c);
    c.opt = o ? o : &defaults;
    c.alloc = c.opt->allocator;
    c.buf = buf;
    c.size = size;
    c.source = source;
    c.ext_dir = ext_dir;
    runt_status s = runt_limits_resolve(c.opt->limits, "runt_load_options", &c.limits);
    if (s != RUNT_OK)
        return s;
    if ((uint64_t)size > (uint64_t)c.limits.max_file_bytes)
        return runt_error_set(RUNT_E_LIMIT, "%s: %zu bytes, above runt_limits.max_file_bytes "
                              "(%lld)", source, size, (long long)c.limits.max_file_bytes);
    s = runt_onnx_build(&c, out);
    runt_builder_free(c.b);
    runt_free(c.alloc, c.syms);
    runt_free(c.alloc, c.scratch);
    runt_onnx_graph_free(&c);
    return s;
}

runt_status runt_model_load_buffer(const void *data, size_t size, const runt_load_options *o,
                                   runt_model **out)
{
    static const uint8_t empty[1];
    if (!out)
        return runt_error_set(RUNT_E_INVALID_ARG, "runt_model_load_buffer: out is NULL");
    *out = NULL;
    if (!data && size)
        return runt_error_set(RUNT_E_INVALID_ARG, "runt_model_load_buffer: data is NULL");
    return runt_onnx_load(data ? data : empty, size, "onnx buffer",
                          o ? o->external_data_dir : NULL, o, out);
}

#if defined(RUNT_BARE_METAL)

runt_status runt_model_load_file(const char *path, const runt_load_options *o, runt_model **out)
{
    (void)path;
    (void)o;
    if (out)
        *out = NULL;
    return runt_error_set(RUNT_E_UNSUPPORTED, "runt_model_load_file: a bare-metal build has no "
                          "files; use runt_model_load_buffer");
}

#else

/* The whole file, in memory from the allocator. */
static runt_status runt_onnx_read_whole(const char *path, const runt_allocator *a,
                                        int64_t max_bytes, uint8_t **data, size_t *size)
{
    FILE *fp = fopen(path, "rb");
    if (!fp)
        return runt_error_set(RUNT_E_IO, "%s: cannot open: %s", path, strerror(errno));
    runt_status s = RUNT_OK;
    *data = NULL;
    *size = 0;
    /* A directory opens; then ftell gives LONG_MAX (64-bit glibc) or fails
     * (32-bit): one byte read first tells, with the system's reason. */
    int first = getc(fp);
    int unreadable = first == EOF && ferror(fp);
    int read_errno = errno;
    long end = !unreadable && fseek(fp, 0, SEEK_END) == 0 ? ftell(fp) : -1;
    *size = end > 0 ? (size_t)end : 0;
    if (unreadable)
        s = runt_error_set(RUNT_E_IO, "%s: cannot read: %s", path, strerror(read_errno));
    else if (end < 0 || fseek(fp, 0, SEEK_SET) != 0)
        s = runt_error_set(RUNT_E_IO, "%s: cannot find the file's size", path);
    else if ((uint64_t)end > (uint64_t)max_bytes) /* before the buffer is allocated */
        s = runt_error_set(RUNT_E_LIMIT, "%s: %ld bytes, above runt_limits.max_file_bytes (%lld)",
                           path, end, (long long)max_bytes);
    else if (end > 0 && !(*data = runt_alloc(a, *size)))
        s = runt_error_set(RUNT_E_OOM, "%s: out of memory for %zu bytes", path, *size);
    else if (end > 0 && fread(*data, 1, *size, fp) != *size)
        s = runt_error_set(RUNT_E_IO, "%s: reading %zu bytes failed", path, *size);
    fclose(fp);
    if (s != RUNT_OK) {
        runt_free(a, *data);
        *data = NULL;
    }
    return s;
}

runt_status runt_model_load_file(const char *path, const runt_load_options *o, runt_model **out)
{
    if (!out || !path)
        return runt_error_set(RUNT_E_INVALID_ARG, "runt_model_load_file: %s is NULL",
                              out ? "path" : "out");
    *out = NULL;
    const runt_allocator *a = o ? o->allocator : NULL;
    const char *dir = o ? o->external_data_dir : NULL;
    char *own_dir = NULL;
    if (!dir) {
        /* External data lives next to the model file (onnx.proto). */
        const char *slash = strrchr(path, '/');
        size_t n = slash ? (size_t)(slash - path) : 1;
        if (slash && n == 0)
            n = 1; /* "/model.onnx": the root */
        if (!(own_dir = runt_alloc(a, n + 1)))
            return runt_error_set(RUNT_E_OOM, "%s: out of memory", path);
        memcpy(own_dir, slash ? path : ".", n);
        own_dir[n] = '\0';
        dir = own_dir;
    }
    uint8_t *data = NULL;
    size_t size = 0;
    runt_limits limits;
    runt_status s = runt_limits_resolve(o ? o->limits : NULL, "runt_load_options", &limits);
    if (s == RUNT_OK)
        s = runt_onnx_read_whole(path, a, limits.max_file_bytes, &data, &size);
    if (s == RUNT_OK)
        s = runt_onnx_load(data ? data : (const uint8_t *)"", size, path, dir, o, out);
    runt_free(a, data);
    runt_free(a, own_dir);
    return s;
}

#endif /* RUNT_BARE_METAL */
