/*
 * Kernels with one thread per output element: the element is computed by
 * cuda_elem.h's function for it (shared with the host tests).
 */
#include "cuda_launch.cuh"

RUNT_CUDA_MAP_KERNEL(unary, runt_cuda_unary, y, runt_cuda_unary_at)
RUNT_CUDA_MAP_KERNEL(binary, runt_cuda_binary, y, runt_cuda_binary_at)
RUNT_CUDA_MAP_KERNEL(epilogue, runt_cuda_epilogue, y, runt_cuda_epilogue_at)
RUNT_CUDA_MAP_KERNEL(batch_norm, runt_cuda_batch_norm, y, runt_cuda_batch_norm_at)
RUNT_CUDA_MAP_KERNEL(pool, runt_cuda_pool, y, runt_cuda_pool_at)
RUNT_CUDA_MAP_KERNEL(pad, runt_cuda_pad, y, runt_cuda_pad_at)
RUNT_CUDA_MAP_KERNEL(im2col, runt_cuda_im2col, col, runt_cuda_im2col_at)
RUNT_CUDA_MAP_KERNEL(conv_direct, runt_cuda_conv_direct, y, runt_cuda_conv_direct_at)
