/*
 * Weights go to the device at prepare, each into a buffer of its own that
 * every session of the model on that device shares (the model's weight
 * cache, runt_plan_weights_acquire_in, keyed by the constant and the
 * device): every constant some node reads as is (f32 weights, biases,
 * Constant data, any dtype), and for each int8 node its weight quantized
 * here on the host (runt_cuda_q8_pack: q8.c's arithmetic) with scales and
 * row sums, and its folded bias. A buffer is complete on the device before
 * any session can see it, so no run races an upload.
 */
#include <string.h>

#include "cuda_impl.h"

/* The weight cache key's layout tags. */
enum { W_AS_IS = 1, W_Q8 = 2, W_Q8_BIAS = 3 };

/* One buffer to make on the device: copied from src as it is, or written
 * by pack into host memory first. */
typedef struct weight_job {
    const runt_cuda_state *st;
    const void *src;
    runt_status (*pack)(const struct weight_job *job, void *host, size_t bytes);
    const runt_cuda_node *node;
    const float *w, *c;          /* int8 nodes: the weight, Gemm's C            */
} weight_job;

static void drop_on_device(void *data)
{
    if (cudaFree(data) != cudaSuccess)
        (void)cudaGetLastError();
}

static runt_status make_on_device(void *ctx, size_t bytes, void **data)
{
    const weight_job *job = ctx;
    const runt_cuda_state *st = job->st;
    void *dev = NULL, *host = NULL;
    const void *from = job->src;
    runt_status s = runt_cuda_check(cudaMalloc(&dev, bytes ? bytes : 1),
                                    "cudaMalloc(%zu bytes of weights)", bytes);
    if (s == RUNT_OK && !from) {
        host = runt_alloc_zeroed(&st->allocator, 1, bytes ? bytes : 1); /* padding too */
        s = host ? job->pack(job, host, bytes)
                 : runt_error_set(RUNT_E_OOM, "out of memory packing %zu bytes of weights", bytes);
        from = host;
    }
    if (s == RUNT_OK && bytes)
        s = runt_cuda_check(cudaMemcpyAsync(dev, from, bytes, cudaMemcpyHostToDevice, st->stream),
                            "uploading %zu bytes of weights", bytes);
    /* Wait even after a failure (a queued copy may still read the host
     * buffer), and before returning: other sessions read it from then on. */
    runt_status done = runt_cuda_check(cudaStreamSynchronize(st->stream), "finishing the upload");
    runt_free(&st->allocator, host);
    if (s == RUNT_OK)
        s = done;
    if (s != RUNT_OK) {
        if (dev)
            drop_on_device(dev);
        return s;
    }
    *data = dev;
    return RUNT_OK;
}

static const runt_weight_storage device_memory = {make_on_device, drop_on_device};

/* Bytes of node n's packed int8 weights (quantized values, scales, row
 * sums), with their offsets from the buffer's start. */
static size_t q8_layout(runt_cuda_node *n)
{
    size_t at = 0;
    n->w_q = at;
    at += runt_cuda_align((size_t)(n->q8_n * n->q8_k_pad));
    n->w_scale = at;
    at += runt_cuda_align((size_t)n->q8_n * sizeof(float));
    n->w_row_sum = at;
    return at + (size_t)n->q8_n * sizeof(int32_t);
}

static runt_status pack_q8(const weight_job *job, void *host, size_t bytes)
{
    (void)bytes;
    const runt_cuda_node *n = job->node;
    char *h = host;
    return runt_cuda_q8_pack(job->w, n->q8_n, n->q8_k, n->q8_trans, n->q8_k_pad,
                             (int8_t *)(h + n->w_q), (float *)(h + n->w_scale),
                             (int32_t *)(h + n->w_row_sum));
}

/* cpu_int8.c folds beta into the bias the same way: beta * C[j] in f32. */
static runt_status pack_q8_bias(const weight_job *job, void *host, size_t bytes)
{
    float *bias = host;
    for (size_t j = 0; j < bytes / sizeof(float); j++)
        bias[j] = job->node->q8_bias_beta * job->c[j];
    return RUNT_OK;
}

/* Acquires the buffer for (source, layout, params) and counts its bytes. */
static runt_status share(runt_cuda_state *st, const runt_plan *p, const void *source,
                         uint32_t layout, const int64_t params[5], size_t bytes,
                         weight_job *job, const void **out)
{
    runt_weight_key key = {source, "cuda", layout, {st->device}};
    memcpy(key.params + 1, params, 5 * sizeof *params);
    job->st = st;
    runt_status s = runt_plan_weights_acquire_in(p, &key, bytes, &device_memory, job, out);
    if (s == RUNT_OK)
        st->weight_bytes += bytes;
    return s;
}

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

static runt_status upload_as_is(runt_cuda_state *st, const runt_plan *p, int i)
{
    const runt_cuda_node *n = &st->nodes[i];
    for (int j = 0; j < p->nodes[i].n_inputs; j++) {
        int v = p->nodes[i].inputs[j];
        if (v < 0 || p->values[v].storage != RUNT_STORE_CONSTANT || !reads_as_is(n, j) ||
            st->const_ptr[v])
            continue;
        const int64_t none[5] = {0};
        weight_job job = {.src = p->values[v].data};
        runt_status s = share(st, p, p->values[v].data, W_AS_IS, none, p->values[v].nbytes,
                              &job, &st->const_ptr[v]);
        if (s != RUNT_OK)
            return runt_error_prefix(s, "constant '%s'", p->values[v].name);
    }
    return RUNT_OK;
}

static runt_status upload_q8(runt_cuda_state *st, const runt_plan *p, int i)
{
    runt_cuda_node *n = &st->nodes[i];
    const float *w = p->values[p->nodes[i].inputs[1]].data;
    const int64_t shape[5] = {n->q8_n, n->q8_k, n->q8_trans, n->q8_k_pad, 0};
    weight_job job = {.pack = pack_q8, .node = n, .w = w};
    runt_status s = share(st, p, w, W_Q8, shape, q8_layout(n), &job, &st->q8_weights[i]);
    if (s == RUNT_OK && n->q8_has_bias) {
        const float *c = p->values[p->nodes[i].inputs[2]].data;
        uint32_t beta_bits;
        memcpy(&beta_bits, &n->q8_bias_beta, sizeof beta_bits);
        const int64_t bias_key[5] = {n->q8_n, beta_bits, 0, 0, 0};
        weight_job bias = {.pack = pack_q8_bias, .node = n, .c = c};
        s = share(st, p, c, W_Q8_BIAS, bias_key, (size_t)n->q8_n * sizeof(float), &bias,
                  &st->q8_bias[i]);
    }
    return s;
}

runt_status runt_cuda_upload_weights(runt_cuda_state *st, const runt_plan *p)
{
    size_t values = (size_t)(p->n_values ? p->n_values : 1);
    size_t nodes = (size_t)(p->n_nodes ? p->n_nodes : 1);
    st->const_ptr = runt_alloc_zeroed(&st->allocator, values, sizeof *st->const_ptr);
    st->q8_weights = runt_alloc_zeroed(&st->allocator, nodes, sizeof *st->q8_weights);
    st->q8_bias = runt_alloc_zeroed(&st->allocator, nodes, sizeof *st->q8_bias);
    if (!st->const_ptr || !st->q8_weights || !st->q8_bias)
        return runt_error_set(RUNT_E_OOM, "out of memory for the weight table");
    runt_status s = RUNT_OK;
    for (int i = 0; s == RUNT_OK && i < p->n_nodes; i++) {
        runt_cuda_kind k = st->nodes[i].kind;
        s = upload_as_is(st, p, i);
        if (s == RUNT_OK && (k == RUNT_CUDA_K_Q8_LINEAR || k == RUNT_CUDA_K_Q8_CONV)) {
            s = upload_q8(st, p, i);
            if (s != RUNT_OK)
                s = runt_error_prefix(s, "node '%s' (%s): int8 weights", p->nodes[i].name,
                                      runt_op_name(p->nodes[i].op));
        }
    }
    return s;
}

void runt_cuda_release_weights(runt_cuda_state *st, const runt_plan *p)
{
    for (int v = 0; st->const_ptr && v < p->n_values; v++)
        runt_plan_weights_release(p, st->const_ptr[v]);
    for (int i = 0; st->q8_weights && st->q8_bias && i < p->n_nodes; i++) {
        runt_plan_weights_release(p, st->q8_weights[i]);
        runt_plan_weights_release(p, st->q8_bias[i]);
    }
    runt_free(&st->allocator, st->const_ptr);
    runt_free(&st->allocator, st->q8_weights);
    runt_free(&st->allocator, st->q8_bias);
    st->const_ptr = NULL;
    st->q8_weights = NULL;
    st->q8_bias = NULL;
}
