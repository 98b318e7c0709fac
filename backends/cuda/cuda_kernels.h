/*
 * The launchers of the CUDA backend's own kernels (cuda_*.cu). Each takes
 * the kernel's parameter record (cuda_params.h) with its device pointers
 * filled in, enqueues one kernel on the stream, and returns the launch's
 * error (cudaSuccess also when there is nothing to compute). C linkage: the
 * C side of the backend calls them.
 */
#ifndef RUNT_CUDA_KERNELS_H
#define RUNT_CUDA_KERNELS_H

#include <cuda_runtime_api.h>

#include "cuda_params.h"

#ifdef __cplusplus
extern "C" {
#endif

/* cuda_elementwise.cu */
cudaError_t runt_cuda_launch_unary(const runt_cuda_unary *p, cudaStream_t stream);
cudaError_t runt_cuda_launch_binary(const runt_cuda_binary *p, cudaStream_t stream);
cudaError_t runt_cuda_launch_epilogue(const runt_cuda_epilogue *p, cudaStream_t stream);
cudaError_t runt_cuda_launch_batch_norm(const runt_cuda_batch_norm *p, cudaStream_t stream);
cudaError_t runt_cuda_launch_pool(const runt_cuda_pool *p, cudaStream_t stream);
cudaError_t runt_cuda_launch_pad(const runt_cuda_pad *p, cudaStream_t stream);
cudaError_t runt_cuda_launch_im2col(const runt_cuda_im2col *p, cudaStream_t stream);
cudaError_t runt_cuda_launch_conv_direct(const runt_cuda_conv_direct *p, cudaStream_t stream);

/* cuda_reduce.cu */
cudaError_t runt_cuda_launch_softmax(const runt_cuda_softmax *p, cudaStream_t stream);
cudaError_t runt_cuda_launch_layer_norm(const runt_cuda_layer_norm *p, cudaStream_t stream);
cudaError_t runt_cuda_launch_global_pool(const runt_cuda_global_pool *p, cudaStream_t stream);

/* cuda_int8.cu */
cudaError_t runt_cuda_launch_q8_range(const runt_cuda_q8_range *p, cudaStream_t stream);
cudaError_t runt_cuda_launch_q8_quantize(const runt_cuda_q8_quantize *p, cudaStream_t stream);
cudaError_t runt_cuda_launch_q8_im2col(const runt_cuda_q8_im2col *p, cudaStream_t stream);
cudaError_t runt_cuda_launch_q8_gemm(const runt_cuda_q8_gemm *p, cudaStream_t stream);
cudaError_t runt_cuda_launch_q8_dequant(const runt_cuda_q8_dequant *p, cudaStream_t stream);
cudaError_t runt_cuda_launch_q8_fused(const runt_cuda_q8_fused *p, cudaStream_t stream);
cudaError_t runt_cuda_launch_q8_conv(const runt_cuda_q8_conv *p, cudaStream_t stream);

/* cuda_chain.cu. setup (once per session and chain) lets the kernel have
 * p->smem_bytes of shared memory and says how many such clusters the device
 * can hold at once (0: it cannot run this chain). */
cudaError_t runt_cuda_chain_setup(const runt_cuda_chain *p, int *clusters);
cudaError_t runt_cuda_launch_chain(const runt_cuda_chain *p, cudaStream_t stream);

#ifdef __cplusplus
}
#endif
#endif /* RUNT_CUDA_KERNELS_H */
