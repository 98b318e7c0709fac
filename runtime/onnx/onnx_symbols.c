/*
 * ONNX names to builder values: the symbol table of one load, and what the
 * op mappers (onnx_ops*.c) use to read a node's inputs, declare constants,
 * add builder nodes and bind a node's outputs. It is apart from
 * onnx_reader.c, which assembles the graph and calls the mappers, so that
 * the mappers call down into this file and never back into the reader.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "alloc.h"
#include "error.h"
#include "onnx_impl.h"

/* ------------------------------------------------------------------------- */
/* Names → symbols                                                           */
/* ------------------------------------------------------------------------- */

static uint32_t runt_onnx_hash(const uint8_t *p, size_t n)
{
    uint32_t h = 2166136261u; /* FNV-1a */
    for (size_t i = 0; i < n; i++)
        h = (h ^ p[i]) * 16777619u;
    return h;
}

static runt_onnx_sym *runt_onnx_sym_slot(const runt_onnx_ctx *c, const uint8_t *p, size_t n,
                                         uint32_t h)
{
    size_t mask = c->cap_syms - 1;
    for (size_t i = h & mask;; i = (i + 1) & mask) {
        runt_onnx_sym *s = &c->syms[i];
        if (!s->name.p || (s->hash == h && s->name.n == n && memcmp(s->name.p, p, n) == 0))
            return s;
    }
}

runt_onnx_sym *runt_onnx_sym_find(const runt_onnx_ctx *c, const uint8_t *p, size_t n)
{
    runt_onnx_sym *s = runt_onnx_sym_slot(c, p, n, runt_onnx_hash(p, n));
    return s->name.p ? s : NULL;
}

/* The symbol of a non-empty name, created on first sight. The table was sized
 * for every name the graph holds, so it never fills. */
runt_onnx_sym *runt_onnx_sym_add(runt_onnx_ctx *c, const runt_onnx_str *name)
{
    uint32_t h = runt_onnx_hash(name->p, name->n);
    runt_onnx_sym *s = runt_onnx_sym_slot(c, name->p, name->n, h);
    if (!s->name.p) {
        s->name = *name;
        s->hash = h;
        s->id = s->id_2d = -1;
        s->rank = -1;
    }
    return s;
}

/* A NUL-terminated copy of name + suffix in the scratch buffer (valid until
 * the next call). */
runt_status runt_onnx_cname(runt_onnx_ctx *c, const runt_onnx_str *name, const char *suffix,
                            const char **out)
{
    size_t ns = suffix ? strlen(suffix) : 0, need = name->n + ns + 1;
    if (need > c->cap_scratch) {
        size_t cap = need < 256 ? 256 : need;
        char *p = runt_alloc(c->alloc, cap);
        if (!p)
            return runt_error_set(RUNT_E_OOM, "%s: out of memory", c->source);
        runt_free(c->alloc, c->scratch);
        c->scratch = p;
        c->cap_scratch = cap;
    }
    if (name->n)
        memcpy(c->scratch, name->p, name->n);
    if (ns)
        memcpy(c->scratch + name->n, suffix, ns);
    c->scratch[name->n + ns] = '\0';
    *out = c->scratch;
    return RUNT_OK;
}

/* ------------------------------------------------------------------------- */
/* Messages                                                                  */
/* ------------------------------------------------------------------------- */

runt_status runt_onnx_node_error(const runt_onnx_ctx *c, const runt_onnx_node *n, runt_status s,
                                 const char *fmt, ...)
{
    char what[RUNT_ERROR_MAX], who[RUNT_ONNX_NAME_SHOWN + 32];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(what, sizeof what, fmt, ap);
    va_end(ap);
    if (n->name.n)
        snprintf(who, sizeof who, "'%.*s'", runt_onnx_shown(&n->name), (const char *)n->name.p);
    else
        snprintf(who, sizeof who, "#%d (unnamed)", n->index);
    return runt_error_set(s, "%s: node %s (%.*s, opset %lld): %s", c->source, who,
                          runt_onnx_shown(&n->op_type), runt_onnx_chars(&n->op_type),
                          (long long)c->opset, what);
}

/* ------------------------------------------------------------------------- */
/* Inputs and outputs of nodes, for the op mappers (onnx_ops_*.c)            */
/* ------------------------------------------------------------------------- */

const runt_onnx_str *runt_onnx_input_name(const runt_onnx_ctx *c, const runt_onnx_node *n, int i)
{
    return i >= 0 && i < n->n_inputs ? &c->g.node_inputs[n->first_input + i] : NULL;
}

const runt_onnx_str *runt_onnx_output_name(const runt_onnx_ctx *c, const runt_onnx_node *n, int i)
{
    return i >= 0 && i < n->n_outputs ? &c->g.node_outputs[n->first_output + i] : NULL;
}

int runt_onnx_has_input(const runt_onnx_ctx *c, const runt_onnx_node *n, int i)
{
    const runt_onnx_str *s = runt_onnx_input_name(c, n, i);
    return s && s->n > 0; /* "" marks an optional input left out */
}

static int runt_onnx_sym_is_const(const runt_onnx_sym *s)
{
    return s->kind == RUNT_ONNX_SYM_INITIALIZER || s->kind == RUNT_ONNX_SYM_CONSTANT ||
           s->kind == RUNT_ONNX_SYM_FROZEN;
}

/* The defined symbol behind input i, which must be present. */
static runt_status runt_onnx_input_sym(const runt_onnx_ctx *c, const runt_onnx_node *n, int i,
                                       runt_onnx_sym **out)
{
    const runt_onnx_str *name = runt_onnx_input_name(c, n, i);
    runt_onnx_sym *s = name && name->n ? runt_onnx_sym_find(c, name->p, name->n) : NULL;
    if (!name || !name->n)
        return runt_onnx_node_error(c, n, RUNT_E_BAD_MODEL, "input %d is missing", i);
    if (!s || s->kind == RUNT_ONNX_SYM_NONE)
        return runt_onnx_node_error(c, n, RUNT_E_BAD_MODEL,
                                    "input %d ('%.*s') is not a graph input, an initializer or "
                                    "the output of an earlier node",
                                    i, runt_onnx_shown(name), (const char *)name->p);
    *out = s;
    return RUNT_OK;
}

/* The data of a constant symbol. */
static runt_status runt_onnx_sym_const(runt_onnx_ctx *c, const runt_onnx_sym *s, unsigned flags,
                                       runt_onnx_const *k)
{
    if (s->kind == RUNT_ONNX_SYM_INITIALIZER)
        return runt_onnx_tensor_decode(c, &c->g.initializers[s->index], flags, k);
    if (s->kind == RUNT_ONNX_SYM_CONSTANT)
        return runt_onnx_attr_const(c, &c->g.attrs[s->index], k);
    const runt_tensor *t = &c->opt->constant_inputs[s->index];
    memset(k, 0, sizeof *k);
    k->dtype = t->dtype;
    k->ndim = t->ndim;
    memcpy(k->dims, t->dims, sizeof k->dims);
    k->count = runt_tensor_count(t);
    k->data = t->data;
    return RUNT_OK;
}

/* Gives a constant to the builder under its own name (once). */
runt_status runt_onnx_declare(runt_onnx_ctx *c, runt_onnx_sym *s)
{
    runt_onnx_const k;
    const char *name = NULL;
    if (s->id >= 0)
        return RUNT_OK;
    runt_status st = runt_onnx_sym_const(c, s, 0, &k);
    if (st != RUNT_OK)
        return st;
    if ((st = runt_onnx_cname(c, &s->name, NULL, &name)) == RUNT_OK &&
        (st = runt_builder_constant(c->b, name, k.dtype, k.ndim, k.dims, k.data, &s->id)) != RUNT_OK)
        st = runt_error_prefix(st, "%s", c->source);
    runt_onnx_const_release(c, &k);
    return st;
}

runt_status runt_onnx_value(runt_onnx_ctx *c, const runt_onnx_node *n, int i, runt_value_id *id,
                            int *rank)
{
    runt_onnx_sym *s = NULL;
    *id = -1;
    *rank = -1;
    if (!runt_onnx_has_input(c, n, i))
        return RUNT_OK;
    runt_status st = runt_onnx_input_sym(c, n, i, &s);
    if (st == RUNT_OK && (st = runt_onnx_declare(c, s)) == RUNT_OK) {
        *id = s->id;
        *rank = s->rank;
    }
    return st;
}

int runt_onnx_is_const_input(const runt_onnx_ctx *c, const runt_onnx_node *n, int i)
{
    const runt_onnx_str *name = runt_onnx_input_name(c, n, i);
    const runt_onnx_sym *s = name && name->n ? runt_onnx_sym_find(c, name->p, name->n) : NULL;
    return s && runt_onnx_sym_is_const(s);
}

runt_status runt_onnx_const_input(runt_onnx_ctx *c, const runt_onnx_node *n, int i,
                                  const char *what, unsigned flags, runt_onnx_const *out)
{
    runt_onnx_sym *s = NULL;
    memset(out, 0, sizeof *out);
    runt_status st = runt_onnx_input_sym(c, n, i, &s);
    if (st != RUNT_OK)
        return st;
    if (!runt_onnx_sym_is_const(s))
        return runt_onnx_node_error(c, n, RUNT_E_UNSUPPORTED,
                                    "input %d ('%.*s', the %s) must be a constant: an "
                                    "initializer, a Constant node's output, or a graph input "
                                    "named in runt_load_options.constant_input_names",
                                    i, runt_onnx_shown(&s->name), (const char *)s->name.p, what);
    return runt_onnx_sym_const(c, s, flags, out);
}

runt_status runt_onnx_const_as_2d(runt_onnx_ctx *c, const runt_onnx_node *n, int i,
                                  runt_value_id *id)
{
    runt_onnx_sym *s = NULL;
    runt_onnx_const k;
    const char *name = NULL;
    *id = -1;
    runt_status st = runt_onnx_input_sym(c, n, i, &s);
    if (st != RUNT_OK || !runt_onnx_sym_is_const(s))
        return st;
    if (s->id_2d >= 0) {
        *id = s->id_2d;
        return RUNT_OK;
    }
    if ((st = runt_onnx_sym_const(c, s, 0, &k)) != RUNT_OK)
        return st;
    if (k.ndim != 3) {
        runt_onnx_const_release(c, &k);
        return runt_onnx_node_error(c, n, RUNT_E_SHAPE, "input %d ('%.*s') has %d dims; a 1-D "
                                    "convolution's weight has 3", i, runt_onnx_shown(&s->name),
                                    (const char *)s->name.p, k.ndim);
    }
    int64_t dims[4] = {k.dims[0], k.dims[1], 1, k.dims[2]};
    if ((st = runt_onnx_cname(c, &s->name, "/2d", &name)) == RUNT_OK &&
        (st = runt_builder_constant(c->b, name, k.dtype, 4, dims, k.data, &s->id_2d)) != RUNT_OK)
        st = runt_error_prefix(st, "%s", c->source);
    runt_onnx_const_release(c, &k);
    *id = s->id_2d;
    return st;
}

runt_status runt_onnx_add_node(runt_onnx_ctx *c, const runt_onnx_node *n, const char *suffix,
                               runt_op op, const runt_attrs *attrs, int n_in,
                               const runt_value_id *in, runt_value_id *out)
{
    return runt_onnx_add_node_n(c, n, suffix, op, attrs, n_in, in, 1, out);
}

runt_status runt_onnx_add_node_n(runt_onnx_ctx *c, const runt_onnx_node *n, const char *suffix,
                                 runt_op op, const runt_attrs *attrs, int n_in,
                                 const runt_value_id *in, int n_out, runt_value_id *out)
{
    char made_up[96], tail[64];
    runt_onnx_str base = n->name;
    const char *name = NULL;
    runt_status s;
    if (!base.n) {
        snprintf(made_up, sizeof made_up, "%.*s_%d", (int)(n->op_type.n > 64 ? 64 : n->op_type.n),
                 (const char *)n->op_type.p, n->index);
        base.p = (const uint8_t *)made_up;
        base.n = strlen(made_up);
    }
    /* The builder names the outputs "<node>:<i>". If a constant of the graph
     * has such a name and is declared later, the names would clash; declare
     * it first and the builder picks another name for the output. */
    for (int i = 0; i < n_out; i++) {
        snprintf(tail, sizeof tail, "%s:%d", suffix ? suffix : "", i);
        if ((s = runt_onnx_cname(c, &base, tail, &name)) != RUNT_OK)
            return s;
        runt_onnx_str probe = {(const uint8_t *)name, strlen(name), 0};
        runt_onnx_sym *clash = runt_onnx_sym_find(c, probe.p, probe.n);
        if (clash && runt_onnx_sym_is_const(clash) && (s = runt_onnx_declare(c, clash)) != RUNT_OK)
            return s;
    }
    if ((s = runt_onnx_cname(c, &base, suffix, &name)) != RUNT_OK)
        return s;
    s = runt_builder_node(c->b, op, name, attrs, n_in, in, n_out, out);
    if (s != RUNT_OK)
        return runt_error_prefix(s, "%s", c->source);
    return RUNT_OK;
}

static runt_status runt_onnx_bind(runt_onnx_ctx *c, const runt_onnx_node *n, int i,
                                  runt_onnx_sym_kind kind, int index, runt_value_id id, int rank)
{
    const runt_onnx_str *name = runt_onnx_output_name(c, n, i);
    if (!name || !name->n)
        return RUNT_OK; /* an optional output nobody asked for */
    runt_onnx_sym *s = runt_onnx_sym_find(c, name->p, name->n);
    if (s->kind != RUNT_ONNX_SYM_NONE)
        return runt_onnx_node_error(c, n, RUNT_E_BAD_MODEL,
                                    "output %d ('%.*s') is already defined; every ONNX value "
                                    "has one producer", i, runt_onnx_shown(name),
                                    (const char *)name->p);
    s->kind = kind;
    s->index = index;
    s->id = id;
    s->rank = rank;
    return RUNT_OK;
}

runt_status runt_onnx_define(runt_onnx_ctx *c, const runt_onnx_node *n, int i, runt_value_id id,
                             int rank)
{
    return runt_onnx_bind(c, n, i, RUNT_ONNX_SYM_NODE, -1, id, rank);
}

runt_status runt_onnx_define_const(runt_onnx_ctx *c, const runt_onnx_node *n, int i, int attr,
                                   int rank)
{
    return runt_onnx_bind(c, n, i, RUNT_ONNX_SYM_CONSTANT, attr, -1, rank);
}

int runt_onnx_output_used(const runt_onnx_ctx *c, const runt_onnx_node *n, int i)
{
    const runt_onnx_str *name = runt_onnx_output_name(c, n, i);
    const runt_onnx_sym *s = name && name->n ? runt_onnx_sym_find(c, name->p, name->n) : NULL;
    return s && s->uses > 0;
}
