/*
 * What the kernel files share: grid sizing, the one way a kernel is launched
 * (cudaLaunchKernel with the parameter record as the only argument, so the
 * launch's own error comes back rather than a stale one from
 * cudaGetLastError), the element-map kernel shape, and block reductions.
 * CUDA C++; included by the .cu files only.
 */
#ifndef RUNT_CUDA_LAUNCH_CUH
#define RUNT_CUDA_LAUNCH_CUH

#include <cuda_runtime.h>

#include "cuda_elem.h"
#include "cuda_kernels.h"

/* Threads per block everywhere: a power of two (the reductions halve it). */
#define RUNT_CUDA_THREADS 256
/* Grids are capped and kernels loop (grid-stride), so any count fits. */
#define RUNT_CUDA_MAX_BLOCKS 65535

static inline unsigned runt_cuda_blocks(int64_t work_items)
{
    int64_t b = (work_items + RUNT_CUDA_THREADS - 1) / RUNT_CUDA_THREADS;
    return (unsigned)(b < RUNT_CUDA_MAX_BLOCKS ? b : RUNT_CUDA_MAX_BLOCKS);
}

template <typename P>
static cudaError_t runt_cuda_start(void (*kernel)(P), const P *p, unsigned blocks,
                                   cudaStream_t stream)
{
    if (blocks == 0)
        return cudaSuccess;
    void *args[] = {(void *)p};
    return cudaLaunchKernel((const void *)kernel, dim3(blocks), dim3(RUNT_CUDA_THREADS), args, 0,
                            stream);
}

/* The kernel name##_kernel, out[i] = fn(&p, i) for every i < p.count, and
 * its launcher runt_cuda_launch_##name (declared in cuda_kernels.h) with one
 * thread per element. A macro because these pairs differ only in names:
 * written out, each was the same ten lines. */
#define RUNT_CUDA_MAP_KERNEL(name, type, out, fn)                                        \
    static __global__ void name##_kernel(type p)                                         \
    {                                                                                    \
        int64_t step = (int64_t)gridDim.x * blockDim.x;                                  \
        for (int64_t i = (int64_t)blockIdx.x * blockDim.x + threadIdx.x; i < p.count;    \
             i += step)                                                                  \
            p.out[i] = fn(&p, i);                                                        \
    }                                                                                    \
    cudaError_t runt_cuda_launch_##name(const type *p, cudaStream_t stream)              \
    {                                                                                    \
        return runt_cuda_start(name##_kernel, p, runt_cuda_blocks(p->count), stream);    \
    }

struct runt_cuda_sum {
    __device__ float operator()(float a, float b) const { return a + b; }
};
/* As q8.c and the reference combine: a NaN on the right never wins. */
struct runt_cuda_max {
    __device__ float operator()(float a, float b) const { return b > a ? b : a; }
};
struct runt_cuda_min {
    __device__ float operator()(float a, float b) const { return b < a ? b : a; }
};

/* The reduction of v over the block (every thread gets it). The tree order
 * is fixed, so results repeat bit for bit from run to run. */
template <typename Op>
static __device__ float runt_cuda_block_reduce(float v, float *shared, Op op)
{
    int t = threadIdx.x;
    shared[t] = v;
    __syncthreads();
    for (int s = blockDim.x / 2; s > 0; s >>= 1) {
        if (t < s)
            shared[t] = op(shared[t], shared[t + s]);
        __syncthreads();
    }
    float r = shared[0];
    __syncthreads(); /* shared is reused by the caller's next reduction */
    return r;
}

#endif /* RUNT_CUDA_LAUNCH_CUH */
