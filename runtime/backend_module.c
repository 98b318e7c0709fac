/*
 * Loading a backend module with dlopen. Only hosted builds that have a module
 * to load compile this (RUNT_BACKEND_MODULES); bare-metal and module-free
 * builds get the version at the end, which answers that the backend is not in
 * this build (there is nothing to load there).
 */
#if defined(RUNT_BACKEND_MODULES) && RUNT_BACKEND_MODULES
#define _GNU_SOURCE /* dladdr */
#include <dlfcn.h>
#endif

#include "backend_module.h"

#include <stdio.h>
#include <string.h>

#if defined(RUNT_BACKEND_MODULES) && RUNT_BACKEND_MODULES

#ifndef RUNT_MODULE_DIR
#define RUNT_MODULE_DIR "runt-backends"
#endif
#ifndef RUNT_BIN_TO_LIBDIR
#define RUNT_BIN_TO_LIBDIR "../lib"
#endif

/* The directory of the shared library or program this function is in: the
 * anchor that keeps an installed prefix relocatable. */
static int runt_module_anchor_dir(char *dir, size_t size)
{
    Dl_info info;
    if (!dladdr((void *)&runt_module_anchor_dir, &info) || !info.dli_fname)
        return 0;
    const char *slash = strrchr(info.dli_fname, '/');
    if (!slash)
        return 0;
    size_t n = (size_t)(slash - info.dli_fname);
    if (n + 1 > size)
        return 0;
    memcpy(dir, info.dli_fname, n);
    dir[n] = '\0';
    return 1;
}

const runt_backend_i *runt_backend_module_open(const char *file, const char *symbol, char *reason,
                                               size_t reason_size)
{
    char dir[1024];
    if (!runt_module_anchor_dir(dir, sizeof dir)) {
        snprintf(reason, reason_size, "%s: cannot tell where runt itself was loaded from", file);
        return NULL;
    }
    const char *subdirs[] = {RUNT_MODULE_DIR, RUNT_BIN_TO_LIBDIR "/" RUNT_MODULE_DIR};
    size_t used = (size_t)snprintf(reason, reason_size, "%s not loadable:", file);
    for (size_t i = 0; i < sizeof subdirs / sizeof subdirs[0]; i++) {
        char path[1400];
        snprintf(path, sizeof path, "%s/%s/%s", dir, subdirs[i], file);
        /* RTLD_LOCAL: the module's own symbols stay out of the program's
         * namespace; it finds runt's functions in the program or librunt.so. */
        void *handle = dlopen(path, RTLD_NOW | RTLD_LOCAL);
        if (!handle) {
            const char *why = dlerror();
            if (used < reason_size)
                used += (size_t)snprintf(reason + used, reason_size - used, "%s %s", i ? ";" : "",
                                         why ? why : path);
            continue;
        }
        const runt_backend_i *iface = (const runt_backend_i *)dlsym(handle, symbol);
        if (iface)
            return iface; /* stays loaded for the life of the process */
        snprintf(reason, reason_size, "%s has no symbol %s", path, symbol);
        dlclose(handle);
        return NULL;
    }
    return NULL;
}

#else

const runt_backend_i *runt_backend_module_open(const char *file, const char *symbol, char *reason,
                                               size_t reason_size)
{
    (void)symbol;
    snprintf(reason, reason_size, "%s: this build of runt loads no backend modules", file);
    return NULL;
}

#endif
