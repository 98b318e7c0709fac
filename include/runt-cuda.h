/*
 * runt-cuda.h — options of the "cuda" backend, for a session that wants other
 * than its defaults. Chain them from the generic options:
 *
 *   runt_cuda_options cuda = runt_cuda_options_default();
 *   cuda.graphs = 0;                           // launch kernel by kernel
 *   runt_session_options o = runt_session_options_default();
 *   o.backend = "cuda";
 *   o.backend_options = &cuda.base;
 *
 * Header-only: a program that loads the CUDA backend as a module (linking
 * only librunt) uses these options without linking the backend or CUDA.
 */
#ifndef RUNT_CUDA_H
#define RUNT_CUDA_H

#include "runt.h"

#ifdef __cplusplus
extern "C" {
#endif

/* The tag of runt_cuda_options in runt_backend_options.type ("cud1": the
 * layout's first version). */
#define RUNT_CUDA_OPTIONS_TYPE 0x63756431u

typedef struct runt_cuda_options {
    runt_backend_options base;  /* type RUNT_CUDA_OPTIONS_TYPE */
    /* Capture the forward pass as a CUDA graph at prepare and replay it in
     * every run (one launch instead of one per kernel); default 1. A session
     * with options.profile launches kernel by kernel regardless, to time
     * each node. */
    int graphs;
} runt_cuda_options;

/* The defaults named above, tagged, with nothing chained. */
static inline runt_cuda_options runt_cuda_options_default(void)
{
    runt_cuda_options o = {{RUNT_CUDA_OPTIONS_TYPE, NULL}, 1};
    return o;
}

#ifdef __cplusplus
}
#endif
#endif /* RUNT_CUDA_H */
