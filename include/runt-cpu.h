/*
 * runt-cpu.h — options of the "cpu" backend, for a session that wants other
 * than its defaults. Chain them from the generic options:
 *
 *   runt_cpu_options cpu = runt_cpu_options_default();
 *   cpu.int8_min_weights = 1;                  // every Linear in int8
 *   runt_session_options o = runt_session_options_default();
 *   o.backend = "cpu";
 *   o.backend_options = &cpu.base;
 *
 * Header-only: a program that loads the CPU backend as a module (linking
 * only librunt) uses these options without linking the backend.
 *
 * The thread count is not here: runt_session_options.threads is the
 * session's budget of host threads, which the core's plan and the bench's
 * calibrations key on as well, and any host backend may honour.
 */
#ifndef RUNT_CPU_H
#define RUNT_CPU_H

#include "runt.h"

#ifdef __cplusplus
extern "C" {
#endif

/* The tag of runt_cpu_options in runt_backend_options.type ("cpu1": the
 * layout's first version). */
#define RUNT_CPU_OPTIONS_TYPE 0x63707531u

typedef struct runt_cpu_options {
    runt_backend_options base;  /* type RUNT_CPU_OPTIONS_TYPE */
    /* int8 sessions: Linears with fewer weights stay f32 (their weights fit
     * in L1, where f32 is already faster); 0: RUNT_INT8_MIN_WEIGHTS_DEFAULT,
     * 1: every Linear. Negative: RUNT_E_INVALID_ARG. */
    int64_t int8_min_weights;
    /* The highest tier of runt's own kernels this session uses: "c",
     * "avx2", "avx512" (x86-64), "neon", "neon-dot" (Arm). NULL: the
     * environment variable RUNT_CPU_TIER, else the best the CPU runs. A tier
     * above the CPU's is its best; a name of no tier is RUNT_E_INVALID_ARG.
     * It makes the paths of a lesser machine run (and be tested) on any one. */
    const char *tier;
} runt_cpu_options;

/* The defaults named above, tagged, with nothing chained. */
static inline runt_cpu_options runt_cpu_options_default(void)
{
    runt_cpu_options o = {{RUNT_CPU_OPTIONS_TYPE, NULL}, 0, NULL};
    return o;
}

#ifdef __cplusplus
}
#endif
#endif /* RUNT_CPU_H */
