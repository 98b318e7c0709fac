/*
 * The int8 kernels: ONNX DynamicQuantizeLinear of an activation tensor
 * (range, then quantize), the u8 im2col of a group-1 conv, the dp4a product
 * with its dequantizing epilogue, the epilogue after a cuBLASLt product, and
 * the direct grouped conv. Activations travel as s8 = u8 - 128, because
 * cuBLASLt's IMMA kernels and dp4a multiply signed bytes;
 * runt_cuda_q8_finish adds the (128 - zero point) * row_sum back, exactly.
 * The arithmetic is cuda_elem.h's, which the host tests compare with
 * backends/cpu/q8.c bit for bit.
 */
#include "cuda_launch.cuh"
#include "cuda_lowering.h"

static __global__ void q8_range_kernel(runt_cuda_q8_range p)
{
    __shared__ float red[RUNT_CUDA_THREADS];
    float lo = 0.0f, hi = 0.0f;
    int64_t step = (int64_t)gridDim.x * blockDim.x, start = 0;
    if (((uintptr_t)p.x & 15) == 0) {
        /* 16-byte loads, four per thread in flight: the pass is bound by
         * bandwidth, not by one load's latency after another. */
        const float4 *x4 = (const float4 *)p.x;
        int64_t vecs = p.count / 4, i = (int64_t)blockIdx.x * blockDim.x + threadIdx.x;
        for (; i + 3 * step < vecs; i += 4 * step) {
            float4 v[4];
#pragma unroll
            for (int u = 0; u < 4; u++)
                v[u] = x4[i + u * step];
#pragma unroll
            for (int u = 0; u < 4; u++) {
                runt_cuda_q8_extend(v[u].x, &lo, &hi);
                runt_cuda_q8_extend(v[u].y, &lo, &hi);
                runt_cuda_q8_extend(v[u].z, &lo, &hi);
                runt_cuda_q8_extend(v[u].w, &lo, &hi);
            }
        }
        for (; i < vecs; i += step) {
            float4 v = x4[i];
            runt_cuda_q8_extend(v.x, &lo, &hi);
            runt_cuda_q8_extend(v.y, &lo, &hi);
            runt_cuda_q8_extend(v.z, &lo, &hi);
            runt_cuda_q8_extend(v.w, &lo, &hi);
        }
        start = 4 * vecs;
    }
    for (int64_t i = start + (int64_t)blockIdx.x * blockDim.x + threadIdx.x; i < p.count; i += step)
        runt_cuda_q8_extend(p.x[i], &lo, &hi);
    lo = runt_cuda_block_reduce(lo, red, runt_cuda_min());
    hi = runt_cuda_block_reduce(hi, red, runt_cuda_max());
    if (threadIdx.x == 0) {
        p.partials[2 * blockIdx.x] = lo;
        p.partials[2 * blockIdx.x + 1] = hi;
    }
}

cudaError_t runt_cuda_launch_q8_range(const runt_cuda_q8_range *p, cudaStream_t stream)
{
    /* Always every block: the quantize kernel reads all the partials. */
    return runt_cuda_start(q8_range_kernel, p, RUNT_CUDA_Q8_RANGE_BLOCKS, stream);
}

/* Every block combines the range blocks' partials itself (RUNT_CUDA_Q8_
 * RANGE_BLOCKS <= RUNT_CUDA_THREADS values: cheaper than another launch),
 * so all of them derive the same scale; block 0 publishes it. */
static __global__ void q8_quantize_kernel(runt_cuda_q8_quantize p)
{
    __shared__ float red[RUNT_CUDA_THREADS];
    int t = threadIdx.x;
    float lo = t < p.n_partials ? p.partials[2 * t] : 0.0f;
    float hi = t < p.n_partials ? p.partials[2 * t + 1] : 0.0f;
    lo = runt_cuda_block_reduce(lo, red, runt_cuda_min());
    hi = runt_cuda_block_reduce(hi, red, runt_cuda_max());
    runt_cuda_q8_scale s = runt_cuda_q8_params(lo, hi);
    if (blockIdx.x == 0 && t == 0)
        *p.scale_out = s;
    int64_t step = (int64_t)gridDim.x * blockDim.x;
    if (p.k == p.ldq && p.count % 4 == 0 && ((uintptr_t)p.x & 15) == 0) {
        /* Rows without padding: four elements per thread, 16 bytes in and
         * 4 out, no index arithmetic. */
        const float4 *x4 = (const float4 *)p.x;
        char4 *q4 = (char4 *)p.q;
        for (int64_t i = (int64_t)blockIdx.x * blockDim.x + t; i < p.count / 4; i += step) {
            float4 v = x4[i];
            q4[i] = make_char4(runt_cuda_q8_quantize_one(v.x, s), runt_cuda_q8_quantize_one(v.y, s),
                               runt_cuda_q8_quantize_one(v.z, s), runt_cuda_q8_quantize_one(v.w, s));
        }
        return;
    }
    for (int64_t i = (int64_t)blockIdx.x * blockDim.x + t; i < p.count; i += step) {
        int64_t r = i / p.ldq, c = i % p.ldq;
        p.q[i] = c < p.k ? runt_cuda_q8_quantize_one(p.x[r * p.k + c], s) : (int8_t)0;
    }
}

cudaError_t runt_cuda_launch_q8_quantize(const runt_cuda_q8_quantize *p, cudaStream_t stream)
{
    /* One block at least, even for no elements: block 0 writes the scale. */
    unsigned blocks = runt_cuda_blocks(p->k == p->ldq ? p->count / 4 : p->count);
    return runt_cuda_start(q8_quantize_kernel, p, blocks ? blocks : 1, stream);
}

static __global__ void q8_im2col_kernel(runt_cuda_q8_im2col p)
{
    runt_cuda_q8_scale s = *p.scale;
    int64_t step = (int64_t)gridDim.x * blockDim.x;
    for (int64_t i = (int64_t)blockIdx.x * blockDim.x + threadIdx.x; i < p.count; i += step)
        p.col[i] = runt_cuda_q8_im2col_at(&p, i, s);
}

cudaError_t runt_cuda_launch_q8_im2col(const runt_cuda_q8_im2col *p, cudaStream_t stream)
{
    return runt_cuda_start(q8_im2col_kernel, p, runt_cuda_blocks(p->count), stream);
}

/* One warp per output (row, channel): its lanes take 4-byte words of the
 * activation row and the weight row in turn (128 contiguous bytes per warp
 * step), dp4a them, and sum across the warp; lane 0 dequantizes. Integer
 * sums are exact, so the lane order does not matter. Rows are k_pad bytes
 * (a multiple of 16) from 256-byte aligned buffers: the word loads are
 * aligned. x: rows of ldx bytes, in global or shared memory. */
static __device__ void q8_dp4a_outputs(const int8_t *x, int64_t ldx, int64_t rows,
                                       const runt_cuda_q8_weights &w, runt_cuda_q8_scale s,
                                       const runt_cuda_q8_out &out, runt_epilogue act)
{
    int lane = threadIdx.x & 31;
    int64_t warp = ((int64_t)blockIdx.x * blockDim.x + threadIdx.x) >> 5;
    int64_t warps = ((int64_t)gridDim.x * blockDim.x) >> 5;
    int64_t words = w.k_pad / 4, total = rows * w.n;
    for (int64_t o = warp; o < total; o += warps) {
        int64_t r = o / w.n, j = o % w.n;
        const int32_t *xr = (const int32_t *)(x + r * ldx);
        const int32_t *wr = (const int32_t *)(w.q + j * w.k_pad);
        int32_t acc = 0;
        for (int64_t t = lane; t < words; t += 32)
            acc = runt_cuda_dp4a(xr[t], wr[t], acc);
        for (int off = 16; off > 0; off >>= 1)
            acc += __shfl_down_sync(0xffffffffu, acc, off);
        if (lane == 0)
            out.y[runt_cuda_q8_out_index(&out, r, j)] = runt_cuda_q8_finish(acc, j, &w, s, act);
    }
}

static __global__ void q8_gemm_kernel(runt_cuda_q8_gemm p)
{
    const runt_cuda_q8_tail *t = &p.tail;
    q8_dp4a_outputs(p.x, p.ldx, p.rows, t->w, *t->x_scale, t->out, t->act);
}

cudaError_t runt_cuda_launch_q8_gemm(const runt_cuda_q8_gemm *p, cudaStream_t stream)
{
    return runt_cuda_start(q8_gemm_kernel, p, runt_cuda_blocks(p->rows * p->tail.w.n * 32), stream);
}

static __global__ void q8_dequant_kernel(runt_cuda_q8_dequant p)
{
    const runt_cuda_q8_tail *t = &p.tail;
    const runt_cuda_q8_scale s = *t->x_scale;
    int64_t total = p.rows * t->w.n, step = (int64_t)gridDim.x * blockDim.x;
    /* 32-bit division where the indices fit: 64-bit division is a long
     * software sequence on the GPU, once per element here. */
    const int narrow = total <= UINT32_MAX;
    for (int64_t o = (int64_t)blockIdx.x * blockDim.x + threadIdx.x; o < total; o += step) {
        int64_t r, j;
        if (narrow) {
            uint32_t n = (uint32_t)t->w.n, u = (uint32_t)o;
            r = u / n, j = u % n;
        } else {
            r = o / t->w.n, j = o % t->w.n;
        }
        t->out.y[runt_cuda_q8_out_index(&t->out, r, j)] =
            runt_cuda_q8_finish(p.acc[r * p.ldacc + j], j, &t->w, s, t->act);
    }
}

cudaError_t runt_cuda_launch_q8_dequant(const runt_cuda_q8_dequant *p, cudaStream_t stream)
{
    return runt_cuda_start(q8_dequant_kernel, p, runt_cuda_blocks(p->rows * p->tail.w.n), stream);
}

/* Every block: the range of all of x (block-reduced, so every block finds
 * the same scale the range + quantize kernels would), x quantized into
 * shared memory, then a warp per output as q8_gemm_kernel. */
static __global__ void q8_fused_kernel(runt_cuda_q8_fused p)
{
    extern __shared__ __align__(16) int8_t xq[];
    __shared__ float red[RUNT_CUDA_THREADS];
    const int64_t count = p.rows * p.w.k;
    float lo = 0.0f, hi = 0.0f;
    for (int64_t i = threadIdx.x; i < count; i += blockDim.x)
        runt_cuda_q8_extend(p.x[i], &lo, &hi);
    lo = runt_cuda_block_reduce(lo, red, runt_cuda_min());
    hi = runt_cuda_block_reduce(hi, red, runt_cuda_max());
    const runt_cuda_q8_scale s = runt_cuda_q8_params(lo, hi);
    for (int64_t i = threadIdx.x; i < p.rows * p.w.k_pad; i += blockDim.x) {
        int64_t r = i / p.w.k_pad, c = i % p.w.k_pad;
        xq[i] = c < p.w.k ? runt_cuda_q8_quantize_one(p.x[r * p.w.k + c], s) : (int8_t)0;
    }
    __syncthreads();
    q8_dp4a_outputs(xq, p.w.k_pad, p.rows, p.w, s, p.out, p.act);
}

cudaError_t runt_cuda_launch_q8_fused(const runt_cuda_q8_fused *p, cudaStream_t stream)
{
    unsigned blocks = runt_cuda_blocks(p->rows * p->w.n * 32);
    if (blocks == 0)
        return cudaSuccess;
    void *args[] = {(void *)p};
    return cudaLaunchKernel((const void *)q8_fused_kernel, dim3(blocks), dim3(RUNT_CUDA_THREADS),
                            args, (size_t)(p->rows * p->w.k_pad), stream);
}

static __global__ void q8_conv_kernel(runt_cuda_q8_conv p)
{
    const runt_cuda_q8_scale s = *p.x_scale;
    int64_t step = (int64_t)gridDim.x * blockDim.x;
    for (int64_t i = (int64_t)blockIdx.x * blockDim.x + threadIdx.x; i < p.count; i += step)
        p.y[i] = runt_cuda_q8_conv_at(&p, i, s);
}

cudaError_t runt_cuda_launch_q8_conv(const runt_cuda_q8_conv *p, cudaStream_t stream)
{
    return runt_cuda_start(q8_conv_kernel, p, runt_cuda_blocks(p->count), stream);
}
