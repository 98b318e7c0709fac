/*
 * Inside the CUDA backend: one session's state, and the C functions that
 * talk to the CUDA runtime, cuBLAS and cuBLASLt. (What needs no GPU to
 * decide lives in cuda_lowering.h; the kernels' launchers in cuda_kernels.h.)
 *
 * A session owns one non-blocking stream (sessions on other threads never
 * wait on it), one cuBLAS and, for int8, one cuBLASLt handle bound to that
 * stream, a cuBLAS workspace set explicitly (so neither library allocates
 * while a CUDA graph is being captured), device buffers of weights that the
 * model's sessions on the device share (cuda_upload.c), one scratch buffer that nodes use in turn, its arena of
 * activations on the device and page-locked staging for inputs and outputs.
 */
#ifndef RUNT_CUDA_IMPL_H
#define RUNT_CUDA_IMPL_H

#include <cublasLt.h>
#include <cublas_v2.h>
#include <cuda_runtime_api.h>

#include "cuda_kernels.h"
#include "cuda_lowering.h"

/* A prepared cuBLASLt int8 product: descriptors and the algorithm chosen
 * once at prepare. */
typedef struct runt_cuda_lt {
    cublasLtMatmulDesc_t desc;
    cublasLtMatrixLayout_t a, b, c;
    cublasLtMatmulAlgo_t algo;
} runt_cuda_lt;

typedef struct runt_cuda_state {
    runt_allocator allocator;   /* first: common/backend_state.h sets it */
    int device;
    int on_device;               /* prepare got as far as making `device` current */
    int n_nodes;
    runt_cuda_node *nodes;
    runt_cuda_lt *lt;            /* per node; used where q8_engine is LT        */
    /* Weights on the device, shared with the model's other sessions there:
     * per plan value the constant as it is (NULL: no node reads it so), per
     * node its packed int8 weights and folded bias (NULL: none). */
    const void **const_ptr;
    const void **q8_weights;
    const void **q8_bias;

    cudaStream_t stream;
    cublasHandle_t blas;
    cublasLtHandle_t blas_lt;
    cublasComputeType_t compute; /* f32 GEMMs: from the session's math mode     */

    size_t weight_bytes;         /* of the buffers above                        */
    void *scratch;
    size_t scratch_bytes;
    void *workspace;             /* cuBLAS's and cuBLASLt's                     */
    size_t workspace_bytes;
    char *arena;                 /* the session's activations, on the device    */
    /* Page-locked staging for callers whose buffers are pageable: inputs
     * are copied here on the host, then by DMA on the session stream;
     * outputs the other way round. Offsets per input and output. */
    char *staging;
    size_t *stage_offset;        /* n_inputs + n_outputs entries                */

    cudaEvent_t start, stop;     /* around every run's computation: device time */
    cudaEvent_t *node_events;    /* n_nodes + 1 when profiling                  */
    int timed;                   /* a run has completed: start/stop are valid   */
    /* The run in flight: where its outputs go once the stream is done. */
    void *const *pending_outputs;
    runt_memory pending_memory;

    int use_graphs;
    cudaGraphExec_t graph;       /* the computation, captured at prepare        */
    int launches;                /* kernels and library calls per run           */
    int chains;                  /* fused chains among the nodes                 */
} runt_cuda_state;

/* ---- errors (cuda_device.c) ---- */

/* RUNT_OK for cudaSuccess; otherwise sets "what: <CUDA's text> (<name>)",
 * RUNT_E_OOM for an allocation failure, RUNT_E_BACKEND for the rest. */
runt_status runt_cuda_check(cudaError_t e, const char *what_fmt, ...) RUNT_PRINTF_FORMAT(2, 3);
/* The same for cuBLAS / cuBLASLt statuses. */
runt_status runt_cublas_check(cublasStatus_t s, const char *what_fmt, ...) RUNT_PRINTF_FORMAT(2, 3);

/* ---- devices (cuda_device.c) ---- */

runt_status runt_cuda_probe(void *context, runt_device_info *info);

/* Fills name, SMs, memory for device `device`; available = 0 with a reason
 * when this build has no code its compute capability can run. */
void runt_cuda_describe(int device, runt_device_info *info);

/* ---- cuBLAS and cuBLASLt (cuda_blas.c) ---- */

cublasComputeType_t runt_cuda_compute_type(runt_math_mode math);
const char *runt_cuda_compute_name(runt_math_mode math);
/* One strided-batched f32 GEMM (cuda_params.h's description). */
runt_status runt_cuda_sgemm(const runt_cuda_state *st, const runt_cuda_gemm_desc *d,
                            const float *a, const float *b, float *c);
/* Descriptors and an algorithm for node n's int8 product (n->gemm). *found
 * = 0, with *why, when cuBLASLt offers none for the shape (the node then
 * uses dp4a); an error only when descriptors cannot be created. */
runt_status runt_cuda_lt_prepare(const runt_cuda_state *st, const runt_cuda_node *n,
                                 runt_cuda_lt *lt, int *found, const char **why);
runt_status runt_cuda_lt_run(const runt_cuda_state *st, const runt_cuda_lt *lt,
                             const int8_t *a, const int8_t *b, int32_t *c);
void runt_cuda_lt_release(runt_cuda_lt *lt);

/* ---- weights (cuda_upload.c) ---- */

/* Acquires from the model's weight cache, uploading what no session on
 * this device holds yet, every constant a node reads as it is and every
 * int8 node's packed weights (quantized on the host, once). */
runt_status runt_cuda_upload_weights(runt_cuda_state *st, const runt_plan *p);
/* Releases what runt_cuda_upload_weights acquired (also after it failed
 * part way); the device must be current. */
void runt_cuda_release_weights(runt_cuda_state *st, const runt_plan *p);

/* ---- running (cuda_run.c) ---- */

/* Enqueues node i on the session stream; base is the arena the nodes use. */
runt_status runt_cuda_run_node(const runt_cuda_state *st, const runt_plan *p, int i, char *base);

#endif /* RUNT_CUDA_IMPL_H */
