/*
 * Weights go to the device once, at prepare, into one buffer: every
 * constant some node reads as is (f32 weights, biases, Constant data, any
 * dtype), and for each int8 node its weight quantized here on the host
 * (runt_cuda_q8_pack: q8.c's arithmetic) with scales, row sums and the
 * folded bias. Copies are ordered on the session stream and waited for
 * before prepare returns, so the first run never races an upload.
 */
#include <string.h>

#include "cuda_impl.h"

/* Does node i read input j as it is? Not the weight of an int8 node, nor a
 * Gemm's C folded into the packed int8 bias. */
static int reads_as_is(const runt_cuda_node *n, int j)
{
    if (n->kind == RUNT_CUDA_K_Q8_LINEAR)
        return j == 0;
    if (n->kind == RUNT_CUDA_K_Q8_CONV)
        return j != 1;
    return 1;
}

/* Bytes of node n's packed int8 weights, with their offsets from `at`. */
static size_t q8_layout(runt_cuda_node *n, size_t at)
{
    size_t start = at;
    n->w_q = at;
    at += runt_cuda_align((size_t)(n->q8_n * n->q8_k_pad));
    n->w_scale = at;
    at += runt_cuda_align((size_t)n->q8_n * sizeof(float));
    n->w_row_sum = at;
    at += runt_cuda_align((size_t)n->q8_n * sizeof(int32_t));
    n->w_bias = at;
    if (n->q8_has_bias)
        at += runt_cuda_align((size_t)n->q8_n * sizeof(float));
    return at - start;
}

static size_t layout(runt_cuda_state *st, const runt_plan *p)
{
    size_t at = 0;
    for (int v = 0; v < p->n_values; v++)
        st->const_offset[v] = SIZE_MAX;
    for (int i = 0; i < p->n_nodes; i++) {
        runt_cuda_node *n = &st->nodes[i];
        for (int j = 0; j < p->nodes[i].n_inputs; j++) {
            int v = p->nodes[i].inputs[j];
            if (v < 0 || p->values[v].storage != RUNT_STORE_CONSTANT || !reads_as_is(n, j) ||
                st->const_offset[v] != SIZE_MAX)
                continue;
            st->const_offset[v] = at;
            at += runt_cuda_align(p->values[v].nbytes);
        }
        if (n->kind == RUNT_CUDA_K_Q8_LINEAR || n->kind == RUNT_CUDA_K_Q8_CONV)
            at += q8_layout(n, at);
    }
    return at;
}

static runt_status upload(const runt_cuda_state *st, size_t offset, const void *src, size_t bytes)
{
    if (!bytes)
        return RUNT_OK;
    return runt_cuda_check(cudaMemcpyAsync((char *)st->weights + offset, src, bytes,
                                           cudaMemcpyHostToDevice, st->stream),
                           "uploading %zu bytes of weights", bytes);
}

/* Quantizes node i's weight into host memory and uploads it; the host copy
 * is freed after the stream has finished with it. */
static runt_status upload_q8(runt_cuda_state *st, const runt_plan *p, int i, void **host)
{
    const runt_cuda_node *n = &st->nodes[i];
    const runt_plan_value *w = &p->values[p->nodes[i].inputs[1]];
    size_t q_bytes = (size_t)(n->q8_n * n->q8_k_pad), vec = (size_t)n->q8_n * sizeof(float);
    *host = runt_alloc(&st->allocator, q_bytes + 3 * vec);
    if (!*host)
        return runt_error_set(RUNT_E_OOM, "out of memory quantizing %lld x %lld weights",
                              (long long)n->q8_n, (long long)n->q8_k);
    int8_t *q = *host;
    float *scale = (float *)(q + q_bytes), *bias = scale + 2 * n->q8_n;
    int32_t *row_sum = (int32_t *)(scale + n->q8_n);
    runt_status s = runt_cuda_q8_pack(w->data, n->q8_n, n->q8_k, n->q8_trans, n->q8_k_pad, q,
                                      scale, row_sum);
    if (s == RUNT_OK && n->q8_has_bias) {
        /* cpu_int8.c folds beta into the bias the same way: beta * C[j] in f32. */
        const float *c = p->values[p->nodes[i].inputs[2]].data;
        for (int64_t j = 0; j < n->q8_n; j++)
            bias[j] = n->q8_bias_beta * c[j];
    }
    if (s == RUNT_OK)
        s = upload(st, n->w_q, q, q_bytes);
    if (s == RUNT_OK)
        s = upload(st, n->w_scale, scale, vec);
    if (s == RUNT_OK)
        s = upload(st, n->w_row_sum, row_sum, vec);
    if (s == RUNT_OK && n->q8_has_bias)
        s = upload(st, n->w_bias, bias, vec);
    return s;
}

runt_status runt_cuda_upload_weights(runt_cuda_state *st, const runt_plan *p)
{
    st->const_offset = runt_alloc_zeroed(&st->allocator, (size_t)(p->n_values ? p->n_values : 1),
                                         sizeof *st->const_offset);
    if (!st->const_offset)
        return runt_error_set(RUNT_E_OOM, "out of memory for the weight table");
    st->weight_bytes = layout(st, p);
    if (st->weight_bytes == 0)
        return RUNT_OK;
    runt_status s = runt_cuda_check(cudaMalloc(&st->weights, st->weight_bytes),
                                    "cudaMalloc(%zu bytes of weights)", st->weight_bytes);
    for (int v = 0; s == RUNT_OK && v < p->n_values; v++)
        if (st->const_offset[v] != SIZE_MAX)
            s = upload(st, st->const_offset[v], p->values[v].data, p->values[v].nbytes);
    void **hosts = runt_alloc_zeroed(&st->allocator, (size_t)(p->n_nodes ? p->n_nodes : 1),
                                     sizeof *hosts);
    if (s == RUNT_OK && !hosts)
        s = runt_error_set(RUNT_E_OOM, "out of memory for int8 packing");
    for (int i = 0; s == RUNT_OK && i < p->n_nodes; i++) {
        runt_cuda_kind k = st->nodes[i].kind;
        if (k == RUNT_CUDA_K_Q8_LINEAR || k == RUNT_CUDA_K_Q8_CONV) {
            s = upload_q8(st, p, i, &hosts[i]);
            if (s != RUNT_OK)
                s = runt_error_prefix(s, "node '%s' (%s): int8 weights", p->nodes[i].name,
                                      runt_op_name(p->nodes[i].op));
        }
    }
    /* Wait even after a failure: queued copies may still read host buffers. */
    runt_status done = runt_cuda_check(cudaStreamSynchronize(st->stream), "finishing the upload");
    for (int i = 0; hosts && i < p->n_nodes; i++)
        runt_free(&st->allocator, hosts[i]);
    runt_free(&st->allocator, hosts);
    return s != RUNT_OK ? s : done;
}
