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
#include "cuda_plan.h"

static __global__ void q8_range_kernel(runt_cuda_q8_range p)
{
    __shared__ float red[RUNT_CUDA_THREADS];
    float lo = 0.0f, hi = 0.0f;
    int64_t step = (int64_t)gridDim.x * blockDim.x;
    for (int64_t i = (int64_t)blockIdx.x * blockDim.x + threadIdx.x; i < p.count; i += step)
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
    for (int64_t i = (int64_t)blockIdx.x * blockDim.x + t; i < p.count; i += step) {
        int64_t r = i / p.ldq, c = i % p.ldq;
        p.q[i] = c < p.k ? runt_cuda_q8_quantize_one(p.x[r * p.k + c], s) : (int8_t)0;
    }
}

cudaError_t runt_cuda_launch_q8_quantize(const runt_cuda_q8_quantize *p, cudaStream_t stream)
{
    /* One block at least, even for no elements: block 0 writes the scale. */
    unsigned blocks = runt_cuda_blocks(p->count);
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
 * aligned. */
static __global__ void q8_gemm_kernel(runt_cuda_q8_gemm p)
{
    const runt_cuda_q8_scale s = *p.x_scale;
    int lane = threadIdx.x & 31;
    int64_t warp = ((int64_t)blockIdx.x * blockDim.x + threadIdx.x) >> 5;
    int64_t warps = ((int64_t)gridDim.x * blockDim.x) >> 5;
    int64_t words = p.w.k_pad / 4, total = p.rows * p.w.n;
    for (int64_t o = warp; o < total; o += warps) {
        int64_t r = o / p.w.n, j = o % p.w.n;
        const int32_t *xr = (const int32_t *)(p.x + r * p.ldx);
        const int32_t *wr = (const int32_t *)(p.w.q + j * p.w.k_pad);
        int32_t acc = 0;
        for (int64_t t = lane; t < words; t += 32)
            acc = runt_cuda_dp4a(xr[t], wr[t], acc);
        for (int off = 16; off > 0; off >>= 1)
            acc += __shfl_down_sync(0xffffffffu, acc, off);
        if (lane == 0)
            p.out.y[runt_cuda_q8_out_index(&p.out, r, j)] = runt_cuda_q8_finish(acc, j, &p.w, s, p.act);
    }
}

cudaError_t runt_cuda_launch_q8_gemm(const runt_cuda_q8_gemm *p, cudaStream_t stream)
{
    return runt_cuda_start(q8_gemm_kernel, p, runt_cuda_blocks(p->rows * p->w.n * 32), stream);
}

static __global__ void q8_dequant_kernel(runt_cuda_q8_dequant p)
{
    const runt_cuda_q8_scale s = *p.x_scale;
    int64_t total = p.rows * p.w.n, step = (int64_t)gridDim.x * blockDim.x;
    for (int64_t o = (int64_t)blockIdx.x * blockDim.x + threadIdx.x; o < total; o += step) {
        int64_t r = o / p.w.n, j = o % p.w.n;
        p.out.y[runt_cuda_q8_out_index(&p.out, r, j)] =
            runt_cuda_q8_finish(p.acc[r * p.ldacc + j], j, &p.w, s, p.act);
    }
}

cudaError_t runt_cuda_launch_q8_dequant(const runt_cuda_q8_dequant *p, cudaStream_t stream)
{
    return runt_cuda_start(q8_dequant_kernel, p, runt_cuda_blocks(p->rows * p->w.n), stream);
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
