/*
 * The backend's cuBLAS and cuBLASLt calls. f32 products go through
 * cublasGemmStridedBatchedEx with the compute type the session's math mode
 * names; int8 products through cublasLtMatmul (s8 x s8 -> s32, "TN": the
 * weight transposed, the activations not, which is what the IMMA kernels of
 * sm_80 / sm_90 take in plain column-major layouts), with descriptors and
 * the algorithm fixed at prepare.
 */
#include "cuda_impl.h"

cublasComputeType_t runt_cuda_compute_type(runt_math_mode math)
{
    switch (math) {
    case RUNT_MATH_TF32: return CUBLAS_COMPUTE_32F_FAST_TF32;
    case RUNT_MATH_BF16: return CUBLAS_COMPUTE_32F_FAST_16BF;
    case RUNT_MATH_F32:
    default: return CUBLAS_COMPUTE_32F;
    }
}

const char *runt_cuda_compute_name(runt_math_mode math)
{
    switch (math) {
    case RUNT_MATH_TF32: return "TF32 tensor cores (CUBLAS_COMPUTE_32F_FAST_TF32)";
    case RUNT_MATH_BF16: return "BF16 tensor cores (CUBLAS_COMPUTE_32F_FAST_16BF)";
    case RUNT_MATH_F32:
    default: return "IEEE f32 (CUBLAS_COMPUTE_32F)";
    }
}

static cublasOperation_t op(int transpose) { return transpose ? CUBLAS_OP_T : CUBLAS_OP_N; }

runt_status runt_cuda_sgemm(const runt_cuda_state *st, const runt_cuda_gemm_desc *d,
                            const float *a, const float *b, float *c)
{
    if (d->m == 0 || d->n == 0 || d->batch == 0)
        return RUNT_OK;
    cublasStatus_t s = cublasGemmStridedBatchedEx(
        st->blas, op(d->op_a), op(d->op_b), (int)d->m, (int)d->n, (int)d->k, &d->alpha, a,
        CUDA_R_32F, (int)d->lda, (long long)d->stride_a, b, CUDA_R_32F, (int)d->ldb,
        (long long)d->stride_b, &d->beta, c, CUDA_R_32F, (int)d->ldc, (long long)d->stride_c,
        (int)d->batch, st->compute, CUBLAS_GEMM_DEFAULT);
    return runt_cublas_check(s, "cublasGemmStridedBatchedEx (m %lld, n %lld, k %lld, batch %lld)",
                             (long long)d->m, (long long)d->n, (long long)d->k,
                             (long long)d->batch);
}

/* A layout for a stored operand: op(X) is rows x cols after the transpose. */
static cublasStatus_t lt_layout(cublasLtMatrixLayout_t *l, cudaDataType_t type, int transpose,
                                int64_t rows, int64_t cols, int64_t ld)
{
    return cublasLtMatrixLayoutCreate(l, type, (uint64_t)(transpose ? cols : rows),
                                      (uint64_t)(transpose ? rows : cols), ld);
}

runt_status runt_cuda_lt_prepare(const runt_cuda_state *st, const runt_cuda_node *n,
                                 runt_cuda_lt *lt, int *found, const char **why)
{
    const runt_cuda_gemm_desc *d = &n->gemm;
    cublasOperation_t ta = op(d->op_a), tb = op(d->op_b);
    *found = 0;
    *why = "";
    cublasStatus_t s = cublasLtMatmulDescCreate(&lt->desc, CUBLAS_COMPUTE_32I, CUDA_R_32I);
    if (s == CUBLAS_STATUS_SUCCESS)
        s = cublasLtMatmulDescSetAttribute(lt->desc, CUBLASLT_MATMUL_DESC_TRANSA, &ta, sizeof ta);
    if (s == CUBLAS_STATUS_SUCCESS)
        s = cublasLtMatmulDescSetAttribute(lt->desc, CUBLASLT_MATMUL_DESC_TRANSB, &tb, sizeof tb);
    if (s == CUBLAS_STATUS_SUCCESS)
        s = lt_layout(&lt->a, CUDA_R_8I, d->op_a, d->m, d->k, d->lda);
    if (s == CUBLAS_STATUS_SUCCESS)
        s = lt_layout(&lt->b, CUDA_R_8I, d->op_b, d->k, d->n, d->ldb);
    if (s == CUBLAS_STATUS_SUCCESS)
        s = lt_layout(&lt->c, CUDA_R_32I, 0, d->m, d->n, d->ldc);
    runt_status rs = runt_cublas_check(s, "creating the cuBLASLt int8 descriptors");
    if (rs != RUNT_OK)
        return rs;

    cublasLtMatmulPreference_t pref = NULL;
    size_t ws = st->workspace_bytes;
    cublasLtMatmulHeuristicResult_t result;
    int returned = 0;
    s = cublasLtMatmulPreferenceCreate(&pref);
    if (s == CUBLAS_STATUS_SUCCESS)
        s = cublasLtMatmulPreferenceSetAttribute(pref, CUBLASLT_MATMUL_PREF_MAX_WORKSPACE_BYTES,
                                                 &ws, sizeof ws);
    if (s == CUBLAS_STATUS_SUCCESS)
        s = cublasLtMatmulAlgoGetHeuristic(st->blas_lt, lt->desc, lt->a, lt->b, lt->c, lt->c, pref,
                                           1, &result, &returned);
    if (pref)
        (void)cublasLtMatmulPreferenceDestroy(pref);
    /* No algorithm is an answer, not an error: whatever the heuristic says
     * (CUBLAS_STATUS_NOT_SUPPORTED for a shape its kernels do not take, none
     * returned), the node falls back to the dp4a kernel, which takes all. */
    *why = s == CUBLAS_STATUS_SUCCESS ? "no algorithm returned" : cublasGetStatusName(s);
    if (s == CUBLAS_STATUS_SUCCESS && returned > 0) {
        lt->algo = result.algo;
        *found = 1;
    }
    return RUNT_OK;
}

runt_status runt_cuda_lt_run(const runt_cuda_state *st, const runt_cuda_lt *lt,
                             const int8_t *a, const int8_t *b, int32_t *c)
{
    const int32_t alpha = 1, beta = 0;
    cublasStatus_t s = cublasLtMatmul(st->blas_lt, lt->desc, &alpha, a, lt->a, b, lt->b, &beta, c,
                                      lt->c, c, lt->c, &lt->algo, st->workspace,
                                      st->workspace_bytes, st->stream);
    return runt_cublas_check(s, "cublasLtMatmul (int8)");
}

void runt_cuda_lt_release(runt_cuda_lt *lt)
{
    if (lt->a)
        (void)cublasLtMatrixLayoutDestroy(lt->a);
    if (lt->b)
        (void)cublasLtMatrixLayoutDestroy(lt->b);
    if (lt->c)
        (void)cublasLtMatrixLayoutDestroy(lt->c);
    if (lt->desc)
        (void)cublasLtMatmulDescDestroy(lt->desc);
    lt->a = lt->b = lt->c = NULL;
    lt->desc = NULL;
}
