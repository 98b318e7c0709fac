/*
 * Kernels with one thread per output element: the element is computed by
 * cuda_elem.h's function for it (shared with the host tests).
 */
#include "cuda_launch.cuh"

RUNT_CUDA_MAP_KERNEL(unary_kernel, runt_cuda_unary, y, runt_cuda_unary_at)
RUNT_CUDA_MAP_KERNEL(binary_kernel, runt_cuda_binary, y, runt_cuda_binary_at)
RUNT_CUDA_MAP_KERNEL(epilogue_kernel, runt_cuda_epilogue, y, runt_cuda_epilogue_at)
RUNT_CUDA_MAP_KERNEL(batch_norm_kernel, runt_cuda_batch_norm, y, runt_cuda_batch_norm_at)
RUNT_CUDA_MAP_KERNEL(pool_kernel, runt_cuda_pool, y, runt_cuda_pool_at)
RUNT_CUDA_MAP_KERNEL(pad_kernel, runt_cuda_pad, y, runt_cuda_pad_at)
RUNT_CUDA_MAP_KERNEL(im2col_kernel, runt_cuda_im2col, col, runt_cuda_im2col_at)
RUNT_CUDA_MAP_KERNEL(conv_direct_kernel, runt_cuda_conv_direct, y, runt_cuda_conv_direct_at)

cudaError_t runt_cuda_launch_unary(const runt_cuda_unary *p, cudaStream_t stream)
{
    return runt_cuda_start(unary_kernel, p, runt_cuda_blocks(p->count), stream);
}

cudaError_t runt_cuda_launch_binary(const runt_cuda_binary *p, cudaStream_t stream)
{
    return runt_cuda_start(binary_kernel, p, runt_cuda_blocks(p->count), stream);
}

cudaError_t runt_cuda_launch_epilogue(const runt_cuda_epilogue *p, cudaStream_t stream)
{
    return runt_cuda_start(epilogue_kernel, p, runt_cuda_blocks(p->count), stream);
}

cudaError_t runt_cuda_launch_batch_norm(const runt_cuda_batch_norm *p, cudaStream_t stream)
{
    return runt_cuda_start(batch_norm_kernel, p, runt_cuda_blocks(p->count), stream);
}

cudaError_t runt_cuda_launch_pool(const runt_cuda_pool *p, cudaStream_t stream)
{
    return runt_cuda_start(pool_kernel, p, runt_cuda_blocks(p->count), stream);
}

cudaError_t runt_cuda_launch_pad(const runt_cuda_pad *p, cudaStream_t stream)
{
    return runt_cuda_start(pad_kernel, p, runt_cuda_blocks(p->count), stream);
}

cudaError_t runt_cuda_launch_im2col(const runt_cuda_im2col *p, cudaStream_t stream)
{
    return runt_cuda_start(im2col_kernel, p, runt_cuda_blocks(p->count), stream);
}

cudaError_t runt_cuda_launch_conv_direct(const runt_cuda_conv_direct *p, cudaStream_t stream)
{
    return runt_cuda_start(conv_direct_kernel, p, runt_cuda_blocks(p->count), stream);
}
