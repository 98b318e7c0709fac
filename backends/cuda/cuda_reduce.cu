/*
 * Kernels that reduce: Softmax, LayerNormalization, GlobalAveragePool. One
 * block per line (row, block, plane) reduces through shared memory in a
 * fixed tree order, so a result never depends on scheduling; Softmax along
 * a strided axis gives each line to one thread, so neighbouring threads read
 * neighbouring addresses.
 */
#include "cuda_launch.cuh"

/* Softmax over contiguous rows (the last axis), ref_softmax.c's steps:
 * max, exp(x - max) with its sum, scale by 1 / sum. */
static __global__ void softmax_rows_kernel(runt_cuda_softmax p)
{
    __shared__ float red[RUNT_CUDA_THREADS];
    for (int64_t row = blockIdx.x; row < p.outer; row += gridDim.x) {
        const float *x = p.x + row * p.len;
        float *y = p.y + row * p.len;
        float m = -RUNT_CUDA_INF;
        for (int64_t i = threadIdx.x; i < p.len; i += blockDim.x)
            m = x[i] > m ? x[i] : m;
        m = runt_cuda_block_reduce(m, red, runt_cuda_max());
        float s = 0.0f;
        for (int64_t i = threadIdx.x; i < p.len; i += blockDim.x) {
            float e = expf(x[i] - m);
            y[i] = e;
            s += e;
        }
        float inv = 1.0f / runt_cuda_block_reduce(s, red, runt_cuda_sum());
        for (int64_t i = threadIdx.x; i < p.len; i += blockDim.x)
            y[i] *= inv; /* the element this thread wrote above */
    }
}

/* Softmax along an axis with elements `inner` apart: one line per thread. */
static __global__ void softmax_strided_kernel(runt_cuda_softmax p)
{
    int64_t lines = p.outer * p.inner, step = (int64_t)gridDim.x * blockDim.x;
    for (int64_t l = (int64_t)blockIdx.x * blockDim.x + threadIdx.x; l < lines; l += step) {
        int64_t base = (l / p.inner) * p.len * p.inner + l % p.inner;
        const float *x = p.x + base;
        float *y = p.y + base;
        float m = x[0];
        for (int64_t i = 1; i < p.len; i++)
            m = x[i * p.inner] > m ? x[i * p.inner] : m;
        float s = 0.0f;
        for (int64_t i = 0; i < p.len; i++) {
            y[i * p.inner] = expf(x[i * p.inner] - m);
            s += y[i * p.inner];
        }
        float inv = 1.0f / s;
        for (int64_t i = 0; i < p.len; i++)
            y[i * p.inner] *= inv;
    }
}

cudaError_t runt_cuda_launch_softmax(const runt_cuda_softmax *p, cudaStream_t stream)
{
    if (p->len == 0)
        return cudaSuccess;
    if (p->inner == 1) {
        int64_t rows = p->outer < RUNT_CUDA_MAX_BLOCKS ? p->outer : RUNT_CUDA_MAX_BLOCKS;
        return runt_cuda_start(softmax_rows_kernel, p, (unsigned)rows, stream);
    }
    return runt_cuda_start(softmax_strided_kernel, p, runt_cuda_blocks(p->outer * p->inner),
                           stream);
}

static __device__ float ln_param(const float *v, int direct, const runt_cuda_layer_norm *p,
                                 const int64_t *stride, int64_t i)
{
    return v[direct ? i : runt_cuda_ln_param_index(i, p->bdims, p->nd, stride)];
}

/* Two passes over each block (mean, then the variance around it), as
 * ref_norm.c computes them, then the scaled and shifted output. */
static __global__ void layer_norm_kernel(runt_cuda_layer_norm p)
{
    __shared__ float red[RUNT_CUDA_THREADS];
    for (int64_t row = blockIdx.x; row < p.outer; row += gridDim.x) {
        const float *x = p.x + row * p.block;
        float *y = p.y + row * p.block;
        float s = 0.0f;
        for (int64_t i = threadIdx.x; i < p.block; i += blockDim.x)
            s += x[i];
        float mean = runt_cuda_block_reduce(s, red, runt_cuda_sum()) / (float)p.block;
        float sq = 0.0f;
        for (int64_t i = threadIdx.x; i < p.block; i += blockDim.x)
            sq += (x[i] - mean) * (x[i] - mean);
        float var = runt_cuda_block_reduce(sq, red, runt_cuda_sum()) / (float)p.block;
        float inv_std = 1.0f / sqrtf(var + p.epsilon);
        for (int64_t i = threadIdx.x; i < p.block; i += blockDim.x) {
            float v = (x[i] - mean) * inv_std * ln_param(p.scale, p.scale_direct, &p,
                                                         p.scale_stride, i);
            if (p.bias)
                v += ln_param(p.bias, p.bias_direct, &p, p.bias_stride, i);
            y[i] = v;
        }
        if (threadIdx.x == 0 && p.mean)
            p.mean[row] = mean;
        if (threadIdx.x == 0 && p.inv_std)
            p.inv_std[row] = inv_std;
    }
}

cudaError_t runt_cuda_launch_layer_norm(const runt_cuda_layer_norm *p, cudaStream_t stream)
{
    if (p->block == 0)
        return cudaSuccess;
    int64_t rows = p->outer < RUNT_CUDA_MAX_BLOCKS ? p->outer : RUNT_CUDA_MAX_BLOCKS;
    return runt_cuda_start(layer_norm_kernel, p, (unsigned)rows, stream);
}

static __global__ void global_pool_kernel(runt_cuda_global_pool p)
{
    __shared__ float red[RUNT_CUDA_THREADS];
    for (int64_t plane = blockIdx.x; plane < p.planes; plane += gridDim.x) {
        const float *x = p.x + plane * p.size;
        float s = 0.0f;
        for (int64_t i = threadIdx.x; i < p.size; i += blockDim.x)
            s += x[i];
        s = runt_cuda_block_reduce(s, red, runt_cuda_sum());
        if (threadIdx.x == 0)
            p.y[plane] = s / (float)p.size;
    }
}

cudaError_t runt_cuda_launch_global_pool(const runt_cuda_global_pool *p, cudaStream_t stream)
{
    int64_t planes = p->planes < RUNT_CUDA_MAX_BLOCKS ? p->planes : RUNT_CUDA_MAX_BLOCKS;
    return runt_cuda_start(global_pool_kernel, p, (unsigned)planes, stream);
}
