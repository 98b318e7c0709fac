/*
 * Ceilings for untrusted models (runt_limits in runt.h). The loader checks
 * the file size, node count, tensor sizes, total weights and nesting while it
 * reads, each before the memory it sizes is allocated; a session checks its
 * plan's values (runt_limits_check_plan) and its arena with the backend's
 * scratch (session.c) before allocating the arena. The defaults admit
 * anything a protobuf file can describe; the point of the limits is that a
 * program can say less.
 */
#include "model_limits.h"

#include "error.h"

runt_limits runt_limits_default(void)
{
    runt_limits l;
    l.max_file_bytes = INT64_C(1) << 31;      /* protobuf's 2 GiB message limit */
    l.max_nodes = INT64_C(1) << 20;
    l.max_tensor_elements = INT64_C(1) << 31;
    l.max_weight_bytes = INT64_C(16) << 30;
    l.max_arena_bytes = INT64_C(16) << 30;
    l.max_nesting = RUNT_LIMITS_NESTING_MAX;
    return l;
}

static runt_status runt_limit_field(int64_t *field, int64_t given, int64_t fallback,
                                    const char *who, const char *name)
{
    if (given < 0)
        return runt_error_set(RUNT_E_INVALID_ARG, "%s: runt_limits.%s is %lld; limits are "
                              "positive (0: the default)", who, name, (long long)given);
    *field = given ? given : fallback;
    return RUNT_OK;
}

runt_status runt_limits_resolve(const runt_limits *given, const char *who, runt_limits *out)
{
    runt_limits d = runt_limits_default();
    runt_status s;
    if (!given) {
        *out = d;
        return RUNT_OK;
    }
    if ((s = runt_limit_field(&out->max_file_bytes, given->max_file_bytes, d.max_file_bytes,
                              who, "max_file_bytes")) != RUNT_OK ||
        (s = runt_limit_field(&out->max_nodes, given->max_nodes, d.max_nodes, who,
                              "max_nodes")) != RUNT_OK ||
        (s = runt_limit_field(&out->max_tensor_elements, given->max_tensor_elements,
                              d.max_tensor_elements, who, "max_tensor_elements")) != RUNT_OK ||
        (s = runt_limit_field(&out->max_weight_bytes, given->max_weight_bytes,
                              d.max_weight_bytes, who, "max_weight_bytes")) != RUNT_OK ||
        (s = runt_limit_field(&out->max_arena_bytes, given->max_arena_bytes, d.max_arena_bytes,
                              who, "max_arena_bytes")) != RUNT_OK ||
        (s = runt_limit_field(&out->max_nesting, given->max_nesting, d.max_nesting, who,
                              "max_nesting")) != RUNT_OK)
        return s;
    if (out->max_nesting > RUNT_LIMITS_NESTING_MAX)
        return runt_error_set(RUNT_E_INVALID_ARG, "%s: runt_limits.max_nesting %lld is above "
                              "%d, the deepest the reader follows", who,
                              (long long)out->max_nesting, RUNT_LIMITS_NESTING_MAX);
    return RUNT_OK;
}

runt_status runt_limits_check_plan(const runt_limits *l, const runt_plan *p)
{
    for (int v = 0; v < p->n_values; v++) {
        const runt_plan_value *pv = &p->values[v];
        if (pv->storage == RUNT_STORE_CONSTANT)
            continue; /* weights: checked by the loader */
        int64_t count = runt_tensor_count(&pv->desc);
        if (count > l->max_tensor_elements)
            return runt_error_set(RUNT_E_LIMIT, "runt_session_create: value '%s' has %lld "
                                  "elements at batch %lld, above runt_limits."
                                  "max_tensor_elements (%lld)", pv->name, (long long)count,
                                  (long long)p->batch, (long long)l->max_tensor_elements);
    }
    return RUNT_OK;
}
