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
#include "cuda_lowering.h"

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

/* Output j of rows 0..ROWS-1 of layer L, from the warp sums: alpha, C,
 * activation; into y for the last layer, else into the next activation
 * buffer of every block of the cluster. Lane b writes row b. */
template <int ROWS>
static __device__ void chain_finish(const runt_cuda_chain &p, const runt_cuda_chain_layer *L,
                                    int last, float *next, int j, float v, int lane)
{
#if defined(__CUDA_ARCH__) && __CUDA_ARCH__ >= 900
    if (lane >= ROWS)
        return;
    v = L->alpha * v;
    if (L->c)
        v = v + L->beta * L->c[j];
    v = runt_cuda_act(v, L->act);
    if (last) {
        p.y[(int64_t)lane * L->n + j] = v;
        return;
    }
    cg::cluster_group cluster = cg::this_cluster();
    for (int dst = 0; dst < p.blocks; dst++)
        cluster.map_shared_rank(next, dst)[lane * L->n + j] = v;
#endif
}

/* ROWS (the batch, 1..RUNT_CUDA_CHAIN_MAX_ROWS) is a template parameter so
 * that only the live sums are kept and reduced. */
template <int ROWS>
static __global__ void chain_kernel(runt_cuda_chain p)
{
#if defined(__CUDA_ARCH__) && __CUDA_ARCH__ >= 900
    extern __shared__ __align__(16) float smem[];
    /* Partial sums of rows split over several warps: [warp][row]. */
    __shared__ float partial[CHAIN_WARPS][ROWS];
    cg::cluster_group cluster = cg::this_cluster();
    const int rank = (int)cluster.block_rank();
    const int warp = threadIdx.x / 32, lane = threadIdx.x % 32;
    float *act[2] = {smem + p.act_smem, smem + p.act_smem + (int64_t)ROWS * p.max_width};

    /* Everything this block will read, requested at once. */
    copy_async(act[0], p.x, (int64_t)ROWS * p.layer[0].k);
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
        const int count = max(0, min(L->rows_per_block, L->n - first));
        /* Fewer rows than warps: each row's dot products split over
         * `splits` warps (K in slices), so no warp idles. */
        const int splits = count >= CHAIN_WARPS || count == 0 ? 1 : CHAIN_WARPS / count;
        for (int item = warp; item < count * splits; item += CHAIN_WARPS) {
            const int r = item / splits, part = item % splits;
            const int k0 = part * L->k / splits, k1 = (part + 1) * L->k / splits;
            const float *w = smem + L->w_smem + (int64_t)r * L->k;
            float acc[ROWS];
#pragma unroll
            for (int b = 0; b < ROWS; b++)
                acc[b] = 0.0f;
            for (int q = k0 + lane; q < k1; q += 32) {
                float wv = w[q];
#pragma unroll
                for (int b = 0; b < ROWS; b++)
                    acc[b] = fmaf(wv, x[b * L->k + q], acc[b]);
            }
            float v = 0.0f;
#pragma unroll
            for (int b = 0; b < ROWS; b++) {
                for (int off = 16; off > 0; off >>= 1)
                    acc[b] += __shfl_xor_sync(0xffffffffu, acc[b], off);
                v = lane == b ? acc[b] : v;
            }
            if (splits == 1)
                chain_finish<ROWS>(p, L, last, next, first + r, v, lane);
            else if (lane < ROWS)
                partial[warp][lane] = v;
        }
        if (splits > 1) {
            __syncthreads();
            if (warp < count) {
                float v = 0.0f;
                for (int part = 0; part < splits; part++)
                    v += lane < ROWS ? partial[warp * splits + part][lane] : 0.0f;
                chain_finish<ROWS>(p, L, last, next, first + warp, v, lane);
            }
        }
        /* The next layer reads what every block wrote; and no block may
         * leave while another can still write into its shared memory. This
         * also orders the partials' reuse by the next layer. */
        if (!last)
            cluster.sync();
    }
#endif
}

typedef void (*chain_kernel_fn)(runt_cuda_chain);

static chain_kernel_fn chain_kernel_for(int rows)
{
    static const chain_kernel_fn kernels[RUNT_CUDA_CHAIN_MAX_ROWS] = {
        chain_kernel<1>, chain_kernel<2>, chain_kernel<3>, chain_kernel<4>,
        chain_kernel<5>, chain_kernel<6>, chain_kernel<7>, chain_kernel<8>};
    return rows >= 1 && rows <= RUNT_CUDA_CHAIN_MAX_ROWS ? kernels[rows - 1] : NULL;
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
    chain_kernel_fn kernel = chain_kernel_for(p->rows);
    if (!kernel || p->smem_bytes > RUNT_CUDA_CHAIN_SMEM_MAX)
        return cudaErrorInvalidValue;
    /* The attribute belongs to the kernel, not to one chain: always the
     * largest size any chain may have, so chains of several sizes coexist. */
    cudaError_t e = cudaFuncSetAttribute((const void *)kernel,
                                         cudaFuncAttributeMaxDynamicSharedMemorySize,
                                         (int)RUNT_CUDA_CHAIN_SMEM_MAX);
    if (e != cudaSuccess)
        return e;
    cudaLaunchAttribute attr;
    cudaLaunchConfig_t config = chain_config(p, &attr, 0);
    return cudaOccupancyMaxActiveClusters(clusters, (const void *)kernel, &config);
}

extern "C" cudaError_t runt_cuda_launch_chain(const runt_cuda_chain *p, cudaStream_t stream)
{
    chain_kernel_fn kernel = chain_kernel_for(p->rows);
    if (!kernel)
        return cudaErrorInvalidValue;
    cudaLaunchAttribute attr;
    cudaLaunchConfig_t config = chain_config(p, &attr, stream);
    return cudaLaunchKernelEx(&config, kernel, *p);
}
