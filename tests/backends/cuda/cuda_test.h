/*
 * Shared by the CUDA backend's tests: whether a usable GPU is present (tests
 * that need one skip with the probe's reason otherwise) and the error bounds
 * of the reduced-precision modes; the one-node cases and the running of
 * models are tests/support/op_cases.h's.
 */
#ifndef CUDA_TEST_H
#define CUDA_TEST_H

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "op_cases.h"

#define CT_BOUND_F32 OC_BOUND_F32
/* TF32 keeps 10 mantissa bits of each operand (2^-11 relative per product),
 * BF16 7 (2^-8); random-sign sums of K <= 2304 such products stay within
 * these of the output scale. */
#define CT_BOUND_TF32 5e-3
#define CT_BOUND_BF16 4e-2
#define CT_BOUND_INT8 OC_BOUND_INT8

/* ------------------------------------------------------------------------- */
/* Is there a GPU?                                                           */
/* ------------------------------------------------------------------------- */

/* The "cuda" entry of the registry; 0 if this build has no CUDA backend. */
static inline int ct_cuda_info(runt_device_info *out)
{
    if (rt_backend_lookup("cuda", out))
        return 1;
    memset(out, 0, sizeof *out);
    snprintf(out->reason, sizeof out->reason, "the cuda backend is not in this build");
    return 0;
}

#define CT_REQUIRE_GPU()                                                                    \
    do {                                                                                    \
        runt_device_info ct_dev_;                                                           \
        if (!ct_cuda_info(&ct_dev_) || !ct_dev_.available) {                                \
            RT_SKIP("needs a usable CUDA device, and this machine has none: %s",            \
                    ct_dev_.reason);                                                        \
            return;                                                                         \
        }                                                                                   \
    } while (0)

#endif /* CUDA_TEST_H */
