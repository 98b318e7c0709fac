/*
 * The backend registry: the built-in backends compiled into this library,
 * then any a program registers. The only process-wide mutable state in runt.
 */
#include <string.h>

#include "backend.h"
#include "error.h"

#ifdef RUNT_HAVE_CPU
extern const runt_backend_i runt_backend_cpu;
#endif
#ifdef RUNT_HAVE_CUDA
extern const runt_backend_i runt_backend_cuda;
#endif

static const runt_backend_handle runt_builtin_backends[] = {
    {&runt_backend_ref, NULL},
#ifdef RUNT_HAVE_CPU
    {&runt_backend_cpu, NULL},
#endif
#ifdef RUNT_HAVE_CUDA
    {&runt_backend_cuda, NULL},
#endif
};

#define RUNT_N_BUILTIN ((int)(sizeof runt_builtin_backends / sizeof runt_builtin_backends[0]))
#define RUNT_MAX_USER_BACKENDS 8

static runt_backend_handle runt_user_backends[RUNT_MAX_USER_BACKENDS];
static int runt_n_user_backends;

int runt_registry_count(void) { return RUNT_N_BUILTIN + runt_n_user_backends; }

runt_backend_handle runt_registry_get(int index)
{
    return index < RUNT_N_BUILTIN ? runt_builtin_backends[index]
                                  : runt_user_backends[index - RUNT_N_BUILTIN];
}

runt_status runt_backend_register(const runt_backend_i *iface, void *context)
{
    if (!iface || !iface->name || !iface->prepare || !iface->execute)
        return runt_error_set(RUNT_E_INVALID_ARG,
                              "runt_backend_register: a backend needs a name, prepare and execute");
    if (strchr(iface->name, ':') || strlen(iface->name) >= 16)
        return runt_error_set(RUNT_E_INVALID_ARG,
                              "runt_backend_register: name '%s' must be under 16 characters "
                              "without ':'", iface->name);
    for (int i = 0; i < runt_registry_count(); i++)
        if (strcmp(runt_registry_get(i).iface->name, iface->name) == 0)
            return runt_error_set(RUNT_E_INVALID_ARG,
                                  "runt_backend_register: '%s' is registered already", iface->name);
    if (runt_n_user_backends == RUNT_MAX_USER_BACKENDS)
        return runt_error_set(RUNT_E_OOM, "runt_backend_register: at most %d backends can be added",
                              RUNT_MAX_USER_BACKENDS);
    runt_user_backends[runt_n_user_backends++] = (runt_backend_handle){iface, context};
    return RUNT_OK;
}

runt_status runt_registry_find(const char *name, runt_backend_handle *out)
{
    if (!name) {
        /* The default: the CPU backend where it works, else the reference one. */
        runt_device_info info;
        if (runt_registry_find("cpu", out) == RUNT_OK && runt_backend_probe(*out, &info) == RUNT_OK &&
            info.available)
            return RUNT_OK;
        return runt_registry_find("ref", out);
    }
    size_t len = strcspn(name, ":");
    for (int i = 0; i < runt_registry_count(); i++) {
        runt_backend_handle b = runt_registry_get(i);
        if (strlen(b.iface->name) == len && strncmp(b.iface->name, name, len) == 0) {
            *out = b;
            return RUNT_OK;
        }
    }
    char known[160] = "";
    for (int i = 0; i < runt_registry_count(); i++) {
        strncat(known, i ? ", " : "", sizeof known - strlen(known) - 1);
        strncat(known, runt_registry_get(i).iface->name, sizeof known - strlen(known) - 1);
    }
    return runt_error_set(RUNT_E_INVALID_ARG, "no backend named '%s' (this build has: %s)", name,
                          known);
}

runt_status runt_backend_count(int *count)
{
    if (!count)
        return runt_error_set(RUNT_E_INVALID_ARG, "runt_backend_count: count is NULL");
    *count = runt_registry_count();
    return RUNT_OK;
}

runt_status runt_backend_info(int index, runt_device_info *out)
{
    if (!out)
        return runt_error_set(RUNT_E_INVALID_ARG, "runt_backend_info: out is NULL");
    if (index < 0 || index >= runt_registry_count())
        return runt_error_set(RUNT_E_INVALID_ARG, "runt_backend_info: index %d out of range (%d backends)",
                              index, runt_registry_count());
    /* An unavailable backend is still described: available = 0 and reason. */
    runt_backend_probe(runt_registry_get(index), out);
    return RUNT_OK;
}
