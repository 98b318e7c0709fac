/*
 * The backend registry: the built-in backends of this build, then any a
 * program registers. The only process-wide mutable state in runt.
 *
 * The core (librunt.a, librunt.so) does not depend on its optional
 * backends. Each optional backend is built twice from the same objects: a
 * static library a program may link (runt::cpu, runt::cuda), and a module
 * (runt-cpu.so, runt-cuda.so in <libdir>/runt-backends) that the registry
 * opens the first time a program asks for that backend by name. The
 * registry refers to the linked vtables weakly: a program that links only
 * the core needs only libc and libm (and, in builds with modules, dlopen and
 * pthread_once, which glibc keeps in libc), and a backend linked statically
 * wins over its module. So `runt --version`, `runt info` or a CPU session
 * never load cuBLAS.
 */
#if !defined(RUNT_BARE_METAL)
#include <pthread.h>
#endif
#include <stdio.h>
#include <string.h>

#include "backend.h"
#include "backend_module.h"
#include "error.h"
#include "runt-cpu.h"
#include "runt-cuda.h"

#if defined(__GNUC__)
#define RUNT_WEAK __attribute__((weak))
#else
#define RUNT_WEAK
#endif

/* Defined by backends/cpu and backends/cuda when a program links them. */
extern const runt_backend_i runt_backend_cpu RUNT_WEAK;
extern const runt_backend_i runt_backend_cuda RUNT_WEAK;

/* One built-in slot: the statically linked vtable if there is one, else the
 * module that provides it, opened on first use (neither: no slot). */
typedef struct runt_builtin_slot {
    const char *name;
    const runt_backend_i *linked;
    const char *module;              /* file name of the module, or NULL   */
    const char *symbol;              /* the vtable's name in the module     */
    uint32_t options_type;           /* its options' tag, known unloaded    */
    int tried;                       /* module open attempted               */
    const runt_backend_i *loaded;    /* the module's vtable, or NULL        */
    runt_backend_i unloaded;         /* stands in when the module fails     */
    char reason[256];                /* why it failed (runt_device_info's size) */
} runt_builtin_slot;

#define RUNT_MAX_BUILTIN 3
/* A handful is what a program registers; the test suite, which registers a
 * mock per contract it checks in one process, more than eight. */
#define RUNT_MAX_USER_BACKENDS 16

static runt_builtin_slot runt_builtin_slots[RUNT_MAX_BUILTIN];
static int runt_n_builtin;
static runt_backend_handle runt_user_backends[RUNT_MAX_USER_BACKENDS];
static int runt_n_user_backends;

/* ---- a backend whose module could not be opened: listed, never available,
 * its probe and prepare say why ---- */

static runt_status runt_unloaded_probe(void *context, runt_device_info *info)
{
    const runt_builtin_slot *slot = context;
    memset(info, 0, sizeof *info);
    strncpy(info->backend, slot->name, sizeof info->backend - 1);
    strncpy(info->name, "(backend module not loaded)", sizeof info->name - 1);
    snprintf(info->reason, sizeof info->reason, "%s", slot->reason);
    return RUNT_OK;
}

static runt_status runt_unloaded_prepare(void *context, const runt_plan *plan,
                                         const runt_session_options *options, void **state)
{
    const runt_builtin_slot *slot = context;
    (void)plan, (void)options, (void)state;
    return runt_error_set(RUNT_E_BACKEND, "%s: %s", slot->name, slot->reason);
}

static runt_status runt_unloaded_execute(void *state, const runt_plan *plan, const runt_bindings *b)
{
    (void)state, (void)plan, (void)b;
    return runt_error_set(RUNT_E_BACKEND, "a backend whose module did not load cannot run");
}

static void runt_registry_add_builtin(const char *name, const runt_backend_i *linked,
                                      const char *module, const char *symbol,
                                      uint32_t options_type)
{
    if (!linked && !module)
        return;
    runt_builtin_slot *slot = &runt_builtin_slots[runt_n_builtin++];
    *slot = (runt_builtin_slot){.name = name, .linked = linked, .module = module, .symbol = symbol,
                                .options_type = options_type};
    slot->unloaded = (runt_backend_i){.name = name,
                                      .probe = runt_unloaded_probe,
                                      .prepare = runt_unloaded_prepare,
                                      .execute = runt_unloaded_execute};
}

#ifndef RUNT_CPU_MODULE
#define RUNT_CPU_MODULE NULL
#endif
#ifndef RUNT_CUDA_MODULE
#define RUNT_CUDA_MODULE NULL
#endif

static void runt_registry_init_slots(void)
{
    runt_registry_add_builtin("ref", &runt_backend_ref, NULL, NULL, 0);
    runt_registry_add_builtin("cpu", &runt_backend_cpu, RUNT_CPU_MODULE, "runt_backend_cpu",
                              RUNT_CPU_OPTIONS_TYPE);
    runt_registry_add_builtin("cuda", &runt_backend_cuda, RUNT_CUDA_MODULE, "runt_backend_cuda",
                              RUNT_CUDA_OPTIONS_TYPE);
}

static void runt_registry_open_module(runt_builtin_slot *slot)
{
    slot->loaded = runt_backend_module_open(slot->module, slot->symbol, slot->reason,
                                            sizeof slot->reason);
    slot->tried = 1;
}

/* ---- once-only initialization ---- */

#if !defined(RUNT_BARE_METAL)
static pthread_once_t runt_slots_once = PTHREAD_ONCE_INIT;
static pthread_mutex_t runt_module_lock = PTHREAD_MUTEX_INITIALIZER;
static void runt_registry_slots(void) { pthread_once(&runt_slots_once, runt_registry_init_slots); }
static void runt_registry_module(runt_builtin_slot *slot)
{
    pthread_mutex_lock(&runt_module_lock);
    if (!slot->tried)
        runt_registry_open_module(slot);
    pthread_mutex_unlock(&runt_module_lock);
}
#else
/* Bare metal: no threads to race with. */
static void runt_registry_slots(void)
{
    if (!runt_n_builtin)
        runt_registry_init_slots();
}
static void runt_registry_module(runt_builtin_slot *slot)
{
    if (!slot->tried)
        runt_registry_open_module(slot);
}
#endif

static const char *runt_registry_name(int index)
{
    return index < runt_n_builtin ? runt_builtin_slots[index].name
                                  : runt_user_backends[index - runt_n_builtin].iface->name;
}

int runt_registry_count(void)
{
    runt_registry_slots();
    return runt_n_builtin + runt_n_user_backends;
}

runt_backend_handle runt_registry_get(int index)
{
    runt_registry_slots();
    if (index >= runt_n_builtin)
        return runt_user_backends[index - runt_n_builtin];
    runt_builtin_slot *slot = &runt_builtin_slots[index];
    if (slot->linked)
        return (runt_backend_handle){slot->linked, NULL};
    runt_registry_module(slot);
    if (slot->loaded)
        return (runt_backend_handle){slot->loaded, NULL};
    return (runt_backend_handle){&slot->unloaded, slot};
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
        if (strcmp(runt_registry_name(i), iface->name) == 0)
            return runt_error_set(RUNT_E_INVALID_ARG,
                                  "runt_backend_register: '%s' is registered already", iface->name);
    if (runt_n_user_backends == RUNT_MAX_USER_BACKENDS)
        return runt_error_set(RUNT_E_OOM, "runt_backend_register: at most %d backends can be added",
                              RUNT_MAX_USER_BACKENDS);
    runt_user_backends[runt_n_user_backends++] = (runt_backend_handle){iface, context};
    return RUNT_OK;
}

const char *runt_registry_options_owner(uint32_t type)
{
    if (!type)
        return NULL;
    for (int i = 0; i < runt_registry_count(); i++) {
        uint32_t t = i < runt_n_builtin ? runt_builtin_slots[i].options_type
                                        : runt_user_backends[i - runt_n_builtin].iface->options_type;
        if (t == type)
            return runt_registry_name(i);
    }
    return NULL;
}

runt_status runt_backend_check_options(runt_backend_handle b, int named,
                                       const runt_session_options *o, const char *fn)
{
    int n = 0;
    for (const runt_backend_options *e = o->backend_options; e; e = e->next, n++) {
        if (n == RUNT_BACKEND_OPTIONS_MAX)
            return runt_error_set(RUNT_E_INVALID_ARG, "%s: backend_options chains more than %d "
                                  "entries (a cycle?)", fn, RUNT_BACKEND_OPTIONS_MAX);
        const char *owner = runt_registry_options_owner(e->type);
        if (!owner)
            return runt_error_set(RUNT_E_INVALID_ARG, "%s: backend_options entry %d has type "
                                  "0x%08x, which no registered backend takes (not made by a "
                                  "runt_<backend>_options_default?)", fn, n, (unsigned)e->type);
        for (const runt_backend_options *d = o->backend_options; d != e; d = d->next)
            if (d->type == e->type)
                return runt_error_set(RUNT_E_INVALID_ARG, "%s: backend_options holds the "
                                      "options of backend '%s' twice", fn, owner);
        /* Options for a backend runt did not choose are ignored. */
        if (e->type != b.iface->options_type && named)
            return runt_error_set(RUNT_E_INVALID_ARG, "%s: backend_options entry %d holds the "
                                  "options of backend '%s', but the session's backend is '%s'",
                                  fn, n, owner, b.iface->name);
    }
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
    /* Names are compared without opening any module: only the backend found
     * is loaded. */
    for (int i = 0; i < runt_registry_count(); i++) {
        const char *candidate = runt_registry_name(i);
        if (strlen(candidate) == len && strncmp(candidate, name, len) == 0) {
            *out = runt_registry_get(i);
            return RUNT_OK;
        }
    }
    char known[160] = "";
    for (int i = 0; i < runt_registry_count(); i++) {
        strncat(known, i ? ", " : "", sizeof known - strlen(known) - 1);
        strncat(known, runt_registry_name(i), sizeof known - strlen(known) - 1);
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

runt_status runt_backend_name(int index, const char **name)
{
    if (!name)
        return runt_error_set(RUNT_E_INVALID_ARG, "runt_backend_name: name is NULL");
    if (index < 0 || index >= runt_registry_count())
        return runt_error_set(RUNT_E_INVALID_ARG, "runt_backend_name: index %d out of range (%d backends)",
                              index, runt_registry_count());
    *name = runt_registry_name(index);
    return RUNT_OK;
}
