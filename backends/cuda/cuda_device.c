/*
 * The CUDA backend's contact with the device before any session exists:
 * error text and the probe (`runt devices`, and what session creation
 * checks).
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "cuda_impl.h"

/* The lowest compute capability this build has kernels for (CMake passes
 * the smallest number in CMAKE_CUDA_ARCHITECTURES; 0 when it could not tell). */
#ifndef RUNT_CUDA_MIN_SM
#define RUNT_CUDA_MIN_SM 0
#endif
#ifndef RUNT_CUDA_ARCHS
#define RUNT_CUDA_ARCHS "?"
#endif

/* The message of a failed CUDA or cuBLAS call: what was done (what_fmt with
 * its arguments), then the library's text and name for the error. */
static runt_status failed_call(int oom, const char *text, const char *name,
                               const char *what_fmt, va_list ap)
{
    char what[256];
    vsnprintf(what, sizeof what, what_fmt, ap);
    return runt_error_set(oom ? RUNT_E_OOM : RUNT_E_BACKEND, "%s: %s (%s)", what, text, name);
}

runt_status runt_cuda_check(cudaError_t e, const char *what_fmt, ...)
{
    if (e == cudaSuccess)
        return RUNT_OK;
    /* Reset the runtime's per-thread "last error" so a later, unrelated
     * cudaGetLastError (ours or the program's) does not report this again.
     * A sticky error (a fault in a kernel) stays with the context anyway. */
    (void)cudaGetLastError();
    va_list ap;
    va_start(ap, what_fmt);
    runt_status s = failed_call(e == cudaErrorMemoryAllocation, cudaGetErrorString(e),
                                cudaGetErrorName(e), what_fmt, ap);
    va_end(ap);
    return s;
}

runt_status runt_cublas_check(cublasStatus_t s, const char *what_fmt, ...)
{
    if (s == CUBLAS_STATUS_SUCCESS)
        return RUNT_OK;
    va_list ap;
    va_start(ap, what_fmt);
    runt_status st = failed_call(s == CUBLAS_STATUS_ALLOC_FAILED, cublasGetStatusString(s),
                                 cublasGetStatusName(s), what_fmt, ap);
    va_end(ap);
    return st;
}

void runt_cuda_describe(int device, runt_device_info *info)
{
    struct cudaDeviceProp prop;
    int khz = 0;
    cudaError_t e = cudaGetDeviceProperties(&prop, device);
    if (e != cudaSuccess) {
        info->available = 0;
        snprintf(info->reason, sizeof info->reason, "cudaGetDeviceProperties(%d): %s (%s)",
                 device, cudaGetErrorString(e), cudaGetErrorName(e));
        (void)cudaGetLastError();
        return;
    }
    if (cudaDeviceGetAttribute(&khz, cudaDevAttrClockRate, device) != cudaSuccess) {
        khz = 0;
        (void)cudaGetLastError();
    }
    snprintf(info->name, sizeof info->name, "%.80s (sm_%d%d, %d MHz, cuda:%d)", prop.name,
             prop.major, prop.minor, khz / 1000, device);
    info->compute_units = prop.multiProcessorCount;
    info->memory_bytes = (int64_t)prop.totalGlobalMem;
    info->cache_bytes = (int64_t)prop.l2CacheSize;
    int sm = prop.major * 10 + prop.minor;
    info->available = sm >= RUNT_CUDA_MIN_SM;
    if (!info->available)
        snprintf(info->reason, sizeof info->reason,
                 "%.80s has compute capability %d.%d; this build has GPU code for %.64s only "
                 "(CMAKE_CUDA_ARCHITECTURES)", prop.name, prop.major, prop.minor,
                 RUNT_CUDA_ARCHS);
}

/* Describes the calling thread's current device (device 0 unless the
 * program chose another): the one "cuda" names. Without a usable device or
 * driver: available = 0 and the CUDA runtime's own words in the reason. */
runt_status runt_cuda_probe(void *context, runt_device_info *info)
{
    (void)context;
    info->host_memory = 0;
    int count = 0, device = 0;
    cudaError_t e = cudaGetDeviceCount(&count);
    if (e == cudaSuccess && count > 0)
        e = cudaGetDevice(&device);
    if (e != cudaSuccess) {
        info->available = 0;
        snprintf(info->reason, sizeof info->reason, "no usable CUDA device: %s (%s)%s",
                 cudaGetErrorString(e), cudaGetErrorName(e),
                 e == cudaErrorInsufficientDriver
                     ? "; no NVIDIA driver is loaded, or it is older than the CUDA runtime "
                       "this build uses" : "");
        (void)cudaGetLastError();
        return RUNT_OK;
    }
    if (count == 0) {
        info->available = 0;
        snprintf(info->reason, sizeof info->reason, "no CUDA device (cudaGetDeviceCount found 0)");
        return RUNT_OK;
    }
    runt_cuda_describe(device, info);
    return RUNT_OK;
}
