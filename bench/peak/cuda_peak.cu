/*
 * cuda-peak: what the CUDA backend's targets and cost model are read
 * against, measured on this GPU in one run, each figure the median of
 * several repetitions timed with CUDA events (device time) or, where the
 * caller's view matters, the host clock around a synchronized call:
 *   - GEMM rates at 4096^3: cuBLAS FP32, TF32, BF16, and cuBLASLt int8 in the
 *     layout its IMMA kernels want (A and B both K-contiguous, "TN") and in
 *     the slow one (B row-major); runt's int8 Linear node at the same shape;
 *   - launches: an empty kernel launched plainly, and inside a replayed graph;
 *   - on sm_90, what one run of the fused chain kernel is made of: a
 *     one-node graph replayed (the floor of any run), an 8-block cluster
 *     launch with and without 100 KiB of shared memory, ten cluster
 *     barriers, and ten layers' worth of stores into every block's shared
 *     memory (distributed shared memory) each followed by a barrier;
 *   - copies: host to device and back, page-locked and pageable, 4 and 64 MiB;
 *   - bandwidth: a read kernel over 16 MiB (L2-resident) and over 1 GiB (HBM);
 *   - runt sessions end to end (seed1_model3, seed0_simple) with pageable,
 *     page-locked and device-resident inputs: device time and host time.
 * Prints one table; exits non-zero if CUDA fails.
 */
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <vector>

#include <cooperative_groups.h>
#include <cublasLt.h>
#include <cublas_v2.h>
#include <cuda_bf16.h>
#include <cuda_runtime.h>

extern "C" {
#include "runt.h"
#include "zoo.h"
}

/* What failed, or NULL: one CHECK for the runtime's and cuBLAS's codes. */
static const char *failure(cudaError_t e) { return e == cudaSuccess ? NULL : cudaGetErrorString(e); }
static const char *failure(cublasStatus_t s)
{
    return s == CUBLAS_STATUS_SUCCESS ? NULL : cublasGetStatusString(s);
}

#define CHECK(x)                                                                          \
    do {                                                                                  \
        const char *why_ = failure(x);                                                    \
        if (why_) {                                                                       \
            fprintf(stderr, "cuda-peak: %s: %s\n", #x, why_);                             \
            exit(1);                                                                      \
        }                                                                                 \
    } while (0)

static double median(std::vector<double> v)
{
    std::sort(v.begin(), v.end());
    return v.empty() ? 0.0 : v[v.size() / 2];
}

static double host_us()
{
    return std::chrono::duration<double, std::micro>(
               std::chrono::steady_clock::now().time_since_epoch())
        .count();
}

/* Median device µs of fn() over reps after warm-up, timed with events. */
template <typename F> static double device_us(cudaStream_t s, int reps, F fn)
{
    cudaEvent_t a, b;
    CHECK(cudaEventCreate(&a));
    CHECK(cudaEventCreate(&b));
    for (int i = 0; i < 3; i++)
        fn();
    std::vector<double> t;
    for (int i = 0; i < reps; i++) {
        CHECK(cudaEventRecord(a, s));
        fn();
        CHECK(cudaEventRecord(b, s));
        CHECK(cudaEventSynchronize(b));
        float ms = 0;
        CHECK(cudaEventElapsedTime(&ms, a, b));
        t.push_back(1000.0 * ms);
    }
    CHECK(cudaEventDestroy(a));
    CHECK(cudaEventDestroy(b));
    return median(t);
}

static __global__ void empty_kernel() {}

static __global__ void read_kernel(const float4 *x, size_t n, float *sink)
{
    float acc = 0.0f;
    for (size_t i = blockIdx.x * (size_t)blockDim.x + threadIdx.x; i < n;
         i += (size_t)gridDim.x * blockDim.x) {
        float4 v = x[i];
        acc += v.x + v.y + v.z + v.w;
    }
    if (acc == 12345.678f) /* never: keeps the loads */
        *sink = acc;
}

static __global__ void fill_kernel(float *x, size_t n)
{
    for (size_t i = blockIdx.x * (size_t)blockDim.x + threadIdx.x; i < n;
         i += (size_t)gridDim.x * blockDim.x)
        x[i] = (float)((i * 2654435761u) % 1000) * 1e-3f - 0.5f;
}

static void gemm_rates(cudaStream_t s)
{
    const int n = 4096;
    const double ops = 2.0 * n * n * n;
    cublasHandle_t h;
    CHECK(cublasCreate(&h));
    CHECK(cublasSetStream(h, s));
    float *a, *b, *c;
    CHECK(cudaMalloc(&a, sizeof(float) * n * n));
    CHECK(cudaMalloc(&b, sizeof(float) * n * n));
    CHECK(cudaMalloc(&c, sizeof(float) * n * n));
    fill_kernel<<<1024, 256, 0, s>>>(a, (size_t)n * n);
    fill_kernel<<<1024, 256, 0, s>>>(b, (size_t)n * n);
    const float one = 1.0f, zero = 0.0f;
    struct { const char *name; cublasComputeType_t ct; } modes[] = {
        {"FP32", CUBLAS_COMPUTE_32F},
        {"TF32", CUBLAS_COMPUTE_32F_FAST_TF32},
        {"BF16 (f32 in, f32 out)", CUBLAS_COMPUTE_32F_FAST_16BF}};
    for (auto &m : modes) {
        double us = device_us(s, 10, [&] {
            CHECK(cublasGemmEx(h, CUBLAS_OP_N, CUBLAS_OP_N, n, n, n, &one, a, CUDA_R_32F, n, b,
                               CUDA_R_32F, n, &zero, c, CUDA_R_32F, n, m.ct,
                               CUBLAS_GEMM_DEFAULT));
        });
        printf("gemm %-24s 4096^3  %9.1f us  %7.1f TFLOP/s\n", m.name, us, ops / us * 1e-6);
    }
    CHECK(cublasDestroy(h));

    /* int8 through cuBLASLt: C (n x n, int32) = op(A) op(B). */
    cublasLtHandle_t lt;
    CHECK(cublasLtCreate(&lt));
    int8_t *qa = (int8_t *)a, *qb = (int8_t *)b; /* reuse: bytes only */
    int32_t *qc = (int32_t *)c;
    size_t ws_bytes = 32 << 20;
    void *ws;
    CHECK(cudaMalloc(&ws, ws_bytes));
    for (int layout = 0; layout < 2; layout++) {
        cublasOperation_t ta = layout == 0 ? CUBLAS_OP_T : CUBLAS_OP_N, tb = CUBLAS_OP_N;
        cublasLtMatmulDesc_t desc;
        cublasLtMatrixLayout_t la, lb, lc;
        CHECK(cublasLtMatmulDescCreate(&desc, CUBLAS_COMPUTE_32I, CUDA_R_32I));
        CHECK(cublasLtMatmulDescSetAttribute(desc, CUBLASLT_MATMUL_DESC_TRANSA, &ta, sizeof ta));
        CHECK(cublasLtMatmulDescSetAttribute(desc, CUBLASLT_MATMUL_DESC_TRANSB, &tb, sizeof tb));
        CHECK(cublasLtMatrixLayoutCreate(&la, CUDA_R_8I, n, n, n));
        CHECK(cublasLtMatrixLayoutCreate(&lb, CUDA_R_8I, n, n, n));
        CHECK(cublasLtMatrixLayoutCreate(&lc, CUDA_R_32I, n, n, n));
        cublasLtMatmulPreference_t pref;
        CHECK(cublasLtMatmulPreferenceCreate(&pref));
        CHECK(cublasLtMatmulPreferenceSetAttribute(
            pref, CUBLASLT_MATMUL_PREF_MAX_WORKSPACE_BYTES, &ws_bytes, sizeof ws_bytes));
        cublasLtMatmulHeuristicResult_t r;
        int found = 0;
        cublasStatus_t hs = cublasLtMatmulAlgoGetHeuristic(lt, desc, la, lb, lc, lc, pref, 1, &r, &found);
        const char *name = layout == 0 ? "int8 cuBLASLt TN (IMMA)" : "int8 cuBLASLt NN";
        if (hs != CUBLAS_STATUS_SUCCESS || found == 0) {
            printf("gemm %-24s 4096^3  no algorithm (%s)\n", name, cublasGetStatusName(hs));
        } else {
            const int32_t ione = 1, izero = 0;
            double us = device_us(s, 10, [&] {
                CHECK(cublasLtMatmul(lt, desc, &ione, qa, la, qb, lb, &izero, qc, lc, qc, lc,
                                     &r.algo, ws, ws_bytes, s));
            });
            printf("gemm %-24s 4096^3  %9.1f us  %7.1f TOP/s\n", name, us, ops / us * 1e-6);
        }
        cublasLtMatmulPreferenceDestroy(pref);
        cublasLtMatrixLayoutDestroy(la);
        cublasLtMatrixLayoutDestroy(lb);
        cublasLtMatrixLayoutDestroy(lc);
        cublasLtMatmulDescDestroy(desc);
    }
    CHECK(cublasLtDestroy(lt));
    CHECK(cudaFree(ws));
    CHECK(cudaFree(a));
    CHECK(cudaFree(b));
    CHECK(cudaFree(c));
}

static void launches(cudaStream_t s)
{
    double plain = device_us(s, 20, [&] {
        for (int i = 0; i < 100; i++)
            empty_kernel<<<1, 32, 0, s>>>();
    });
    cudaGraph_t g;
    cudaGraphExec_t ge;
    CHECK(cudaStreamBeginCapture(s, cudaStreamCaptureModeThreadLocal));
    for (int i = 0; i < 100; i++)
        empty_kernel<<<1, 32, 0, s>>>();
    CHECK(cudaStreamEndCapture(s, &g));
    CHECK(cudaGraphInstantiateWithFlags(&ge, g, 0));
    double graph = device_us(s, 20, [&] { CHECK(cudaGraphLaunch(ge, s)); });
    printf("launch  empty kernel, plain          %7.2f us each (100 in a row)\n", plain / 100);
    printf("launch  empty kernel, in a graph     %7.2f us each (100-node graph)\n", graph / 100);
    CHECK(cudaGraphExecDestroy(ge));
    CHECK(cudaGraphDestroy(g));
}

/* ---- the chain kernel's parts (sm_90 thread-block clusters) ---- */

namespace cg = cooperative_groups;

/* rounds cluster barriers; with `store`, before each barrier every block
 * writes 128 floats into every block's shared memory, as a chain layer
 * hands its outputs on. */
static __global__ void cluster_kernel(int rounds, int store)
{
#if defined(__CUDA_ARCH__) && __CUDA_ARCH__ >= 900
    extern __shared__ float smem[];
    cg::cluster_group cluster = cg::this_cluster();
    const unsigned blocks = cluster.num_blocks(), rank = cluster.block_rank();
    for (int r = 0; r < rounds; r++) {
        if (store && threadIdx.x < 128 / blocks + 1)
            for (unsigned b = 0; b < blocks; b++)
                cluster.map_shared_rank(smem, (int)b)[(rank * (128 / blocks) + threadIdx.x) % 128 +
                                                     128 * (r & 1)] = (float)r;
        cluster.sync();
    }
#endif
}

/* Device µs of one replay of a one-node graph holding the launch `launch`. */
template <typename F> static double one_node_graph_us(cudaStream_t s, F launch)
{
    cudaGraph_t g;
    cudaGraphExec_t ge;
    CHECK(cudaStreamBeginCapture(s, cudaStreamCaptureModeThreadLocal));
    launch();
    CHECK(cudaStreamEndCapture(s, &g));
    CHECK(cudaGraphInstantiateWithFlags(&ge, g, 0));
    double us = device_us(s, 200, [&] { CHECK(cudaGraphLaunch(ge, s)); });
    CHECK(cudaGraphExecDestroy(ge));
    CHECK(cudaGraphDestroy(g));
    return us;
}

static void cluster_parts(cudaStream_t s, const cudaDeviceProp &prop)
{
    if (prop.major < 9) {
        printf("chain   (thread-block clusters need sm_90: skipped)\n");
        return;
    }
    const int smem_big = 100 << 10;
    /* Every other figure here matters more: a cluster launch this GPU or
     * driver refuses is reported and skipped, not fatal. */
    cudaError_t e = cudaFuncSetAttribute((const void *)cluster_kernel,
                                         cudaFuncAttributeMaxDynamicSharedMemorySize, smem_big);
    auto launch_cluster = [&](int rounds, int store, int smem) {
        cudaLaunchConfig_t config = {};
        cudaLaunchAttribute attr;
        config.gridDim = dim3(8);
        config.blockDim = dim3(256);
        config.dynamicSmemBytes = (size_t)(smem > 1024 ? smem : 1024);
        config.stream = s;
        attr.id = cudaLaunchAttributeClusterDimension;
        attr.val.clusterDim.x = 8;
        attr.val.clusterDim.y = attr.val.clusterDim.z = 1;
        config.attrs = &attr;
        config.numAttrs = 1;
        return cudaLaunchKernelEx(&config, cluster_kernel, rounds, store);
    };
    if (e == cudaSuccess)
        e = launch_cluster(10, 1, smem_big);
    if (e == cudaSuccess)
        e = cudaStreamSynchronize(s);
    if (e != cudaSuccess) {
        printf("chain   cluster launch failed: %s (skipped)\n", cudaGetErrorString(e));
        (void)cudaGetLastError();
        return;
    }
    auto cluster = [&](int rounds, int store, int smem) {
        CHECK(launch_cluster(rounds, store, smem));
    };
    double floor = one_node_graph_us(s, [&] { empty_kernel<<<1, 32, 0, s>>>(); });
    double empty = one_node_graph_us(s, [&] { cluster(0, 0, 0); });
    double big = one_node_graph_us(s, [&] { cluster(0, 0, smem_big); });
    double syncs = one_node_graph_us(s, [&] { cluster(10, 0, 0); });
    double stores = one_node_graph_us(s, [&] { cluster(10, 1, 0); });
    printf("chain   one-node graph, empty kernel           %7.2f us a run\n", floor);
    printf("chain   8-block cluster, empty                 %7.2f us a run\n", empty);
    printf("chain   8-block cluster, 100 KiB shared each   %7.2f us a run\n", big);
    printf("chain   10 cluster barriers                    %7.2f us a run (%.2f us each)\n", syncs,
           (syncs - empty) / 10);
    printf("chain   10 x (DSMEM broadcast + barrier)       %7.2f us a run (%.2f us each)\n",
           stores, (stores - empty) / 10);
}

static void copies(cudaStream_t s)
{
    for (size_t mib : {4, 64}) {
        size_t bytes = mib << 20;
        void *dev, *pinned, *pageable = malloc(bytes);
        CHECK(cudaMalloc(&dev, bytes));
        CHECK(cudaMallocHost(&pinned, bytes));
        memset(pageable, 1, bytes);
        memset(pinned, 1, bytes);
        for (int dir = 0; dir < 2; dir++)
            for (int pin = 1; pin >= 0; pin--) {
                void *host = pin ? pinned : pageable;
                std::vector<double> t;
                for (int i = 0; i < 12; i++) {
                    double t0 = host_us();
                    CHECK(cudaMemcpyAsync(dir ? host : dev, dir ? dev : host, bytes,
                                          dir ? cudaMemcpyDeviceToHost : cudaMemcpyHostToDevice, s));
                    CHECK(cudaStreamSynchronize(s));
                    if (i >= 2)
                        t.push_back(host_us() - t0);
                }
                double us = median(t);
                printf("copy    %s %-9s %2zu MiB  %9.1f us  %6.1f GB/s\n", dir ? "D2H" : "H2D",
                       pin ? "pinned" : "pageable", mib, us, bytes / us * 1e-3);
            }
        free(pageable);
        CHECK(cudaFreeHost(pinned));
        CHECK(cudaFree(dev));
    }
}

static void bandwidth(cudaStream_t s)
{
    int sms = 0;
    CHECK(cudaDeviceGetAttribute(&sms, cudaDevAttrMultiProcessorCount, 0));
    float *sink;
    CHECK(cudaMalloc(&sink, sizeof(float)));
    for (size_t mib : {16, 1024}) {
        size_t bytes = mib << 20;
        float4 *x;
        CHECK(cudaMalloc(&x, bytes));
        fill_kernel<<<1024, 256, 0, s>>>((float *)x, bytes / 4);
        double us = device_us(s, 20, [&] {
            read_kernel<<<sms * 8, 256, 0, s>>>(x, bytes / 16, sink);
        });
        printf("read    %4zu MiB (%s)            %9.1f us  %7.0f GB/s\n", mib,
               mib <= 16 ? "L2-resident" : "HBM", us, bytes / us * 1e-3);
        CHECK(cudaFree(x));
    }
    CHECK(cudaFree(sink));
}

/* One runt session of a built-in model: device time and host time per
 * run, with inputs and outputs in each kind of memory. fuse 0 turns the
 * session's fusion off (no epilogues, no chains): the unfused baseline. */
static void session_times(const char *model, int64_t batch, runt_dtype dtype, int fuse)
{
    runt_model *m = NULL;
    if (runt_zoo_build(model, &m) != RUNT_OK) {
        printf("runt    %s: %s\n", model, runt_last_error());
        return;
    }
    runt_session_options o = runt_session_options_default();
    o.backend = "cuda";
    o.batch = batch;
    o.compute_dtype = dtype;
    o.fuse = fuse;
    runt_session *s = NULL;
    double t0 = host_us();
    if (runt_session_create(m, &o, &s) != RUNT_OK) {
        printf("runt    %s: %s\n", model, runt_last_error());
        runt_model_free(m);
        return;
    }
    double create_us = host_us() - t0;
    runt_tensor in, out;
    runt_session_input_desc(s, 0, &in);
    runt_session_output_desc(s, 0, &out);
    size_t nx = (size_t)runt_tensor_count(&in), ny = (size_t)runt_tensor_count(&out);
    runt_session_stats st;
    runt_session_stats_get(s, &st);
    std::vector<float> hx(nx, 0.25f), hy(ny);
    float *px, *py, *dx, *dy;
    CHECK(cudaMallocHost(&px, nx * 4));
    CHECK(cudaMallocHost(&py, ny * 4));
    CHECK(cudaMalloc(&dx, nx * 4));
    CHECK(cudaMalloc(&dy, ny * 4));
    for (size_t i = 0; i < nx; i++)
        hx[i] = px[i] = (float)((i * 7919) % 2001) * 1e-3f - 1.0f;
    CHECK(cudaMemcpy(dx, px, nx * 4, cudaMemcpyHostToDevice));
    const char *kinds[3] = {"pageable", "pinned", "device"};
    float *xs[3] = {hx.data(), px, dx}, *ys[3] = {hy.data(), py, dy};
    printf("runt    %s %s batch %lld%s: %d launches, session created in %.0f us\n", model,
           dtype == RUNT_I8 ? "int8" : "f32", (long long)batch, fuse ? "" : " unfused",
           st.launches, create_us);
    for (int k = 0; k < 3; k++) {
        in.data = xs[k];
        out.data = ys[k];
        std::vector<double> dev, host, first;
        for (int i = 0; i < 200; i++) {
            double h0 = host_us();
            if (runt_session_run_in(s, (runt_memory)k, &in, 1, &out, 1) != RUNT_OK) {
                printf("runt    %s (%s): %s\n", model, kinds[k], runt_last_error());
                break;
            }
            double h = host_us() - h0, d = 0;
            runt_session_last_run_us(s, &d);
            if (i == 0)
                first.push_back(h);
            if (i >= 10) {
                host.push_back(h);
                dev.push_back(d);
            }
        }
        printf("runt      %-8s in/out: device %8.2f us, end to end %8.2f us (first run %.1f us)\n",
               kinds[k], median(dev), median(host), first.empty() ? 0.0 : first[0]);
    }
    runt_session_free(s);
    runt_model_free(m);
    CHECK(cudaFreeHost(px));
    CHECK(cudaFreeHost(py));
    CHECK(cudaFree(dx));
    CHECK(cudaFree(dy));
}

int main()
{
    int n = 0;
    if (cudaGetDeviceCount(&n) != cudaSuccess || n == 0) {
        fprintf(stderr, "cuda-peak: no CUDA device\n");
        return 1;
    }
    cudaDeviceProp prop;
    CHECK(cudaGetDeviceProperties(&prop, 0));
    printf("cuda-peak on %s (sm_%d%d, %d SMs, %.0f MiB L2)\n", prop.name, prop.major, prop.minor,
           prop.multiProcessorCount, prop.l2CacheSize / 1048576.0);
    cudaStream_t s;
    CHECK(cudaStreamCreateWithFlags(&s, cudaStreamNonBlocking));
    gemm_rates(s);
    launches(s);
    cluster_parts(s, prop);
    copies(s);
    bandwidth(s);
    session_times("seed1_model3", 1, RUNT_F32, 1);
    session_times("seed1_model3", 1, RUNT_F32, 0);
    session_times("seed1_model1", 1, RUNT_F32, 1);
    session_times("seed1_model1", 1, RUNT_F32, 0);
    session_times("seed1_model5", 1, RUNT_F32, 1);
    session_times("seed0_simple", 1024, RUNT_F32, 1);
    session_times("seed0_simple", 1024, RUNT_I8, 1);
    session_times("seed1_model2", 1, RUNT_I8, 1);
    CHECK(cudaStreamDestroy(s));
    return 0;
}
