#include "backend.h"

#include <stdio.h>
#include <string.h>

#include "alloc.h"
#include "error.h"
#include "model.h"

runt_status runt_backend_probe(runt_backend_handle b, runt_device_info *info)
{
    memset(info, 0, sizeof *info);
    snprintf(info->backend, sizeof info->backend, "%s", b.iface->name);
    if (!b.iface->probe) {
        snprintf(info->name, sizeof info->name, "host");
        info->available = 1;
        info->host_memory = 1;
        info->compute_units = 1;
        return RUNT_OK;
    }
    runt_status s = b.iface->probe(b.context, info);
    snprintf(info->backend, sizeof info->backend, "%s", b.iface->name);
    if (s != RUNT_OK && !info->reason[0])
        snprintf(info->reason, sizeof info->reason, "%s", runt_last_error());
    if (s != RUNT_OK)
        info->available = 0;
    return s;
}

runt_status runt_backend_check_plan(runt_backend_handle b, const runt_plan *plan)
{
    if (!b.iface->supports_node)
        return RUNT_OK;
    for (int i = 0; i < plan->n_nodes; i++) {
        runt_error_clear();
        runt_status s = b.iface->supports_node(b.context, plan, i);
        if (s != RUNT_OK)
            return runt_error_prefix(s == RUNT_E_UNSUPPORTED ? s : RUNT_E_BACKEND,
                                     "backend '%s' cannot run node '%s' (%s)", b.iface->name,
                                     plan->nodes[i].name, runt_op_name(plan->nodes[i].op));
    }
    return RUNT_OK;
}

runt_status runt_backend_prepare(runt_backend_handle b, const runt_plan *plan,
                                 const runt_session_options *o, void **state)
{
    *state = NULL;
    runt_error_clear();
    runt_status s = b.iface->prepare(b.context, plan, o, state);
    if (s != RUNT_OK)
        return runt_error_prefix(s, "backend '%s': prepare", b.iface->name);
    return RUNT_OK;
}

runt_status runt_backend_execute(runt_backend_handle b, void *state, const runt_plan *plan,
                                 const runt_bindings *bindings)
{
    runt_error_clear();
    runt_status s = b.iface->execute(state, plan, bindings);
    if (s == RUNT_OK && b.iface->synchronize)
        s = b.iface->synchronize(state, plan);
    if (s != RUNT_OK)
        return runt_error_prefix(s, "backend '%s': run", b.iface->name);
    return RUNT_OK;
}

double runt_backend_last_run_us(runt_backend_handle b, void *state, double host_us)
{
    double us;
    if (b.iface->last_run_us && b.iface->last_run_us(state, &us) == RUNT_OK)
        return us;
    return host_us;
}

int runt_backend_launches(runt_backend_handle b, void *state, const runt_plan *plan)
{
    return b.iface->launch_count ? b.iface->launch_count(state, plan) : plan->n_nodes;
}

void runt_backend_release(runt_backend_handle b, void *state, const runt_plan *plan)
{
    if (b.iface->release)
        b.iface->release(state, plan);
}

size_t runt_backend_scratch_size(runt_backend_handle b, void *state, const runt_plan *plan)
{
    return b.iface->scratch_size ? b.iface->scratch_size(state, plan) : 0;
}

size_t runt_backend_weight_bytes(runt_backend_handle b, void *state, const runt_plan *plan)
{
    return b.iface->weight_bytes ? b.iface->weight_bytes(state, plan) : 0;
}
