/*
 * The backends' own options as the tests set them: int8 on every Linear on
 * the CPU backend, however small (the size rule has its own test in
 * test_cpu_int8.c; the CUDA backend quantizes every Linear anyway), and the
 * CUDA backend's graph setting. A test names the backend or lets runt pick;
 * rt_backend_options_chain hands the session only what that backend takes.
 */
#ifndef RT_TEST_BACKEND_OPTIONS_H
#define RT_TEST_BACKEND_OPTIONS_H

#include <string.h>

#include "runt-cpu.h"
#include "runt-cuda.h"
#include "runt.h"

typedef struct rt_backend_options {
    runt_cpu_options cpu;
    runt_cuda_options cuda;
} rt_backend_options;

static inline rt_backend_options rt_backend_options_make(void)
{
    rt_backend_options b = {runt_cpu_options_default(), runt_cuda_options_default()};
    b.cpu.int8_min_weights = 1;
    return b;
}

/* Points o->backend_options at b's entry for o->backend ("cpu", "cuda",
 * "cuda:N"; none for others), or at both chained when o->backend is NULL.
 * b must outlive the session's creation. */
static inline void rt_backend_options_chain(rt_backend_options *b, runt_session_options *o)
{
    const char *name = o->backend;
    b->cpu.base.next = NULL;
    b->cuda.base.next = NULL;
    if (!name) {
        b->cpu.base.next = &b->cuda.base;
        o->backend_options = &b->cpu.base;
    } else if (strcmp(name, "cpu") == 0) {
        o->backend_options = &b->cpu.base;
    } else if (strncmp(name, "cuda", 4) == 0 && (name[4] == '\0' || name[4] == ':')) {
        o->backend_options = &b->cuda.base;
    } else {
        o->backend_options = NULL;
    }
}

#endif /* RT_TEST_BACKEND_OPTIONS_H */
