/*
 * The fused chain kernel (runt_cuda_chain in cuda_params.h): a run of small
 * Linear layers in one launch, on one thread-block cluster of sm_90.
 *
 * Why this shape: at batch 1 every layer is a matrix-vector product of a
 * few tens of KiB; the time goes to latency, not arithmetic. So each block
 * of the cluster first issues asynchronous copies (cp.async) of all its
 * weight rows of all layers into shared memory, all in flight at once, and
 * waits once; from then on a layer costs its on-chip arithmetic, the stores
 * of its outputs into every block's shared memory (distributed shared
 * memory) and one cluster barrier. The per-element math is cuda_elem.h's
 * activation, as in the unfused epilogue.
 */
#include <cooperative_groups.h>
#include <cuda_pipeline.h>

#include "cuda_launch.cuh"
#include "cuda_plan.h"

namespace cg = cooperative_groups;

#define CHAIN_WARPS (RUNT_CUDA_THREADS / 32)

#if defined(__CUDA_ARCH__) && __CUDA_ARCH__ >= 900
/* Copies n floats into shared memory asynchronously, 16 bytes at a time
 * where source and destination allow it. */
static __device__ void copy_async(float *dst, const float *src, int64_t n)
{
    int64_t i = threadIdx.x;
    if ((((uintptr_t)dst | (uintptr_t)src) & 15) == 0) {
        int64_t vecs = n / 4;
        for (; i < vecs; i += blockDim.x)
            __pipeline_memcpy_async(dst + 4 * i, src + 4 * i, 16);
        i = 4 * vecs + threadIdx.x;
    }
    for (; i < n; i += blockDim.x)
        __pipeline_memcpy_async(dst + i, src + i, 4);
}

/* This block's rows of layer L into shared memory, as [row][k]. */
static __device__ void load_rows(float *smem, const runt_cuda_chain_layer *L, int first, int count)
{
    float *dst = smem + L->w_smem;
    if (!L->w_kn) {
        copy_async(dst, L->w + (int64_t)first * L->k, (int64_t)count * L->k);
        return;
    }
    /* Stored [k][n]: gather column by column (4-byte copies). */
    for (int64_t e = threadIdx.x; e < (int64_t)count * L->k; e += blockDim.x) {
        int64_t r = e / L->k, p = e % L->k;
        __pipeline_memcpy_async(dst + e, L->w + p * L->n + first + r, 4);
    }
}
#endif

static __global__ void chain_kernel(runt_cuda_chain p)
{
#if defined(__CUDA_ARCH__) && __CUDA_ARCH__ >= 900
    extern __shared__ __align__(16) float smem[];
    cg::cluster_group cluster = cg::this_cluster();
    const int rank = (int)cluster.block_rank();
    const int warp = threadIdx.x / 32, lane = threadIdx.x % 32;
    float *act[2] = {smem + p.act_smem, smem + p.act_smem + (int64_t)p.rows * p.max_width};

    /* Everything this block will read, requested at once. */
    copy_async(act[0], p.x, (int64_t)p.rows * p.layer[0].k);
    for (int l = 0; l < p.n_layers; l++) {
        const runt_cuda_chain_layer *L = &p.layer[l];
        int first = rank * L->rows_per_block;
        int count = min(L->rows_per_block, L->n - first);
        if (count > 0)
            load_rows(smem, L, first, count);
    }
    __pipeline_commit();
    __pipeline_wait_prior(0);
    /* Every block's copies have landed, and every block of the cluster has
     * started: only then may one write into another's shared memory. */
    cluster.sync();

    for (int l = 0; l < p.n_layers; l++) {
        const runt_cuda_chain_layer *L = &p.layer[l];
        const float *x = act[l & 1];
        float *next = act[(l + 1) & 1];
        const int last = l == p.n_layers - 1;
        const int first = rank * L->rows_per_block;
        const int count = min(L->rows_per_block, L->n - first);
        for (int r = warp; r < count; r += CHAIN_WARPS) {
            const float *w = smem + L->w_smem + (int64_t)r * L->k;
            float acc[RUNT_CUDA_CHAIN_MAX_ROWS];
#pragma unroll
            for (int b = 0; b < RUNT_CUDA_CHAIN_MAX_ROWS; b++)
                acc[b] = 0.0f;
            for (int q = lane; q < L->k; q += 32) {
                float wv = w[q];
#pragma unroll
                for (int b = 0; b < RUNT_CUDA_CHAIN_MAX_ROWS; b++)
                    if (b < p.rows)
                        acc[b] = fmaf(wv, x[b * L->k + q], acc[b]);
            }
#pragma unroll
            for (int b = 0; b < RUNT_CUDA_CHAIN_MAX_ROWS; b++)
                for (int off = 16; off > 0; off >>= 1)
                    acc[b] += __shfl_xor_sync(0xffffffffu, acc[b], off);
            /* Lane b finishes row b of output j and hands it on. */
            const int j = first + r;
            float v = 0.0f;
#pragma unroll
            for (int b = 0; b < RUNT_CUDA_CHAIN_MAX_ROWS; b++)
                v = lane == b ? acc[b] : v;
            if (lane < p.rows) {
                v = L->alpha * v;
                if (L->c)
                    v = v + L->beta * L->c[j];
                v = runt_cuda_act(v, L->act);
                if (last) {
                    p.y[(int64_t)lane * L->n + j] = v;
                } else {
                    for (int dst = 0; dst < p.blocks; dst++)
                        cluster.map_shared_rank(next, dst)[lane * L->n + j] = v;
                }
            }
        }
        /* The next layer reads what every block wrote; and no block may
         * leave while another can still write into its shared memory. */
        if (!last)
            cluster.sync();
    }
#endif
}

/* One cluster of p->blocks blocks. attr must outlive the config's use. */
static cudaLaunchConfig_t chain_config(const runt_cuda_chain *p, cudaLaunchAttribute *attr,
                                       cudaStream_t stream)
{
    cudaLaunchConfig_t config = {};
    config.gridDim = dim3((unsigned)p->blocks);
    config.blockDim = dim3(RUNT_CUDA_THREADS);
    config.dynamicSmemBytes = p->smem_bytes;
    config.stream = stream;
    attr->id = cudaLaunchAttributeClusterDimension;
    attr->val.clusterDim.x = (unsigned)p->blocks;
    attr->val.clusterDim.y = 1;
    attr->val.clusterDim.z = 1;
    config.attrs = attr;
    config.numAttrs = 1;
    return config;
}

extern "C" cudaError_t runt_cuda_chain_setup(const runt_cuda_chain *p, int *clusters)
{
    *clusters = 0;
    cudaError_t e = cudaFuncSetAttribute((const void *)chain_kernel,
                                         cudaFuncAttributeMaxDynamicSharedMemorySize,
                                         (int)p->smem_bytes);
    if (e != cudaSuccess)
        return e;
    cudaLaunchAttribute attr;
    cudaLaunchConfig_t config = chain_config(p, &attr, 0);
    return cudaOccupancyMaxActiveClusters(clusters, (const void *)chain_kernel, &config);
}

extern "C" cudaError_t runt_cuda_launch_chain(const runt_cuda_chain *p, cudaStream_t stream)
{
    cudaLaunchAttribute attr;
    cudaLaunchConfig_t config = chain_config(p, &attr, stream);
    return cudaLaunchKernelEx(&config, chain_kernel, *p);
}
