/*
 * The one place that calls through a backend's vtable. It checks arguments,
 * supplies the fallback for every optional member, and turns a backend's
 * failure into a status with a message that names the backend.
 */
#ifndef RUNT_BACKEND_IMPL_H
#define RUNT_BACKEND_IMPL_H

#include "runt-backend.h"

typedef struct runt_backend_handle {
    const runt_backend_i *iface;
    void *context;
} runt_backend_handle;

/* Registry (registry.c). name "cuda:1" finds "cuda"; NULL finds the default
 * (cpu when available, else ref). */
runt_status runt_registry_find(const char *name, runt_backend_handle *out);
int runt_registry_count(void);
runt_backend_handle runt_registry_get(int index);
/* The name of the registered backend whose options carry this tag, or NULL
 * (no backend's; 0 is none's). Opens no module. */
const char *runt_registry_options_owner(uint32_t type);
/* RUNT_OK when o's chain of backend options suits b (runt.h's
 * runt_backend_options says what does), each entry's owner found among the
 * registered backends; named: options.backend named b rather than letting
 * runt choose. */
runt_status runt_backend_check_options(runt_backend_handle b, int named,
                                       const runt_session_options *o, const char *fn);

runt_status runt_backend_probe(runt_backend_handle b, runt_device_info *info);
/* Every node supported, or RUNT_E_UNSUPPORTED naming the first that is not. */
runt_status runt_backend_check_plan(runt_backend_handle b, const runt_plan *plan);
runt_status runt_backend_prepare(runt_backend_handle b, const runt_plan *plan,
                                 const runt_session_options *o, void **state);
/* execute, then synchronize: the outputs are in the caller's buffers. */
runt_status runt_backend_execute(runt_backend_handle b, void *state, const runt_plan *plan,
                                 const runt_bindings *bindings);
/* Device time of the last execute, or the host time given when the backend
 * has no device timer. */
double runt_backend_last_run_us(runt_backend_handle b, void *state, double host_us);
int runt_backend_launches(runt_backend_handle b, void *state, const runt_plan *plan);
void runt_backend_release(runt_backend_handle b, void *state, const runt_plan *plan);
/* The prepared state's per-run scratch (0 without scratch_size) and the
 * weights it holds in forms of its own (0 without weight_bytes). */
size_t runt_backend_scratch_size(runt_backend_handle b, void *state, const runt_plan *plan);
size_t runt_backend_weight_bytes(runt_backend_handle b, void *state, const runt_plan *plan);

#endif /* RUNT_BACKEND_IMPL_H */
