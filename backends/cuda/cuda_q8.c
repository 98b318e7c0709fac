/*
 * int8 weights for the GPU, quantized on the host at prepare by
 * runtime/weight_quant.h's definition, as the CPU backend's are, so the GPU
 * and the CPU int8 paths multiply the same integers (tests/backends/cuda
 * compares the two bit for bit where the CPU backend is built). Only the
 * layout differs: plain rows [n][k_pad], which cuBLASLt's "TN" int8 product
 * and the dp4a kernel both read, instead of q8.c's VNNI blocks.
 */
#include <string.h>

#include "cuda_lowering.h"
#include "weight_quant.h"

runt_status runt_cuda_q8_pack(const float *w, int64_t n, int64_t k, int trans, int64_t k_pad,
                              int8_t *q, float *scale, int32_t *row_sum)
{
    static const char fn[] = "runt_cuda_q8_pack";
    if (!w || !q || !scale || !row_sum)
        return runt_error_set(RUNT_E_INVALID_ARG, "%s: %s is NULL", fn,
                              !w ? "w" : !q ? "q" : !scale ? "scale" : "row_sum");
    if (n < 1 || k < 1 || k_pad < k)
        return runt_error_set(RUNT_E_INVALID_ARG, "%s: bad shape n=%lld k=%lld k_pad=%lld", fn,
                              (long long)n, (long long)k, (long long)k_pad);
    if (k > RUNT_CUDA_Q8_MAX_K)
        return runt_error_set(RUNT_E_UNSUPPORTED,
                              "%s: k=%lld exceeds %d, where int32 sums could overflow", fn,
                              (long long)k, RUNT_CUDA_Q8_MAX_K);
    int64_t bad = runt_weight_quant_first_non_finite(w, n * k);
    if (bad >= 0)
        return runt_error_set(RUNT_E_INVALID_ARG, "%s: weight %lld is %g, not finite", fn,
                              (long long)bad, (double)w[bad]);
    /* Element (j, kk) of w: [n][k] or, transposed, [k][n]. */
    int64_t sn = trans ? 1 : k, sk = trans ? n : 1;
    memset(q, 0, (size_t)(n * k_pad));
    for (int64_t j = 0; j < n; j++) {
        float amax = runt_weight_quant_amax(w + j * sn, k, sk);
        scale[j] = runt_weight_quant_scale(amax);
        row_sum[j] = runt_weight_quant_run(w + j * sn, k, sk, amax, scale[j], q + j * k_pad, 1);
    }
    return RUNT_OK;
}
