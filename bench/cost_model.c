#include "cost_model.h"

#include <math.h>
#include <string.h>

int runt_cost_model_level(const runt_calibration *c, double bytes)
{
    int last = RUNT_LEVEL_DRAM;
    for (int l = 0; l < RUNT_LEVEL_COUNT; l++) {
        if (!isfinite(c->bw_gbps[l]) || c->bw_gbps[l] <= 0)
            continue;
        last = l;
        if (bytes <= c->level_bytes[l])
            return l;
    }
    return last;
}

const char *runt_cost_model_bound_name(const runt_calibration *c, runt_bound b)
{
    static const char *const names[RUNT_BOUND_COUNT] = {"compute", "L1",       "L2",  "L3",
                                                        "DRAM",    "dispatch", "copy"};
    /* A GPU's farthest level is its own memory (HBM, GDDR), not the host's
     * DRAM: saying "DRAM" there would send a reader to the wrong memory. */
    if (b == RUNT_BOUND_DRAM && c && !c->host_memory)
        return "device";
    return (unsigned)b < RUNT_BOUND_COUNT ? names[b] : "?";
}

/* What a node's bytes are, for the bandwidth they are read at. */
enum { RUNT_BYTES_WEIGHTS, RUNT_BYTES_INT8_WEIGHTS, RUNT_BYTES_ACTIVATIONS };

/* Adds bytes read at the level a working set of ws bytes lives in: weights
 * at the GEMV probes' bandwidth (an int8 node's at the int8 GEMV's where
 * measured), activations at the streaming one where measured. */
static void runt_cost_model_add_bytes(const runt_calibration *c, double bytes, double ws,
                                      int kind, runt_cost_terms *t)
{
    if (bytes <= 0)
        return;
    int l = runt_cost_model_level(c, ws);
    const double *own = kind == RUNT_BYTES_ACTIVATIONS   ? c->stream_gbps
                        : kind == RUNT_BYTES_INT8_WEIGHTS ? c->bw_int8_gbps
                                                          : c->bw_gbps;
    double bw = isfinite(own[l]) && own[l] > 0 ? own[l] : c->bw_gbps[l];
    /* Weights are read at least as fast as a ReLU streams the same level:
     * a GEMV probe slower than that was bound by its arithmetic, which the
     * GEMM grid charges already. On ref every GEMV runs at 5-9 GB/s, from
     * L1 as from DRAM, and ref's small MLPs (width_w64, seed1_model1, 3)
     * came out at 1.2-1.3x their time, bound by an "L2" that a ReLU
     * streams several times faster. */
    if (kind != RUNT_BYTES_ACTIVATIONS && isfinite(c->stream_gbps[l]) && c->stream_gbps[l] > bw)
        bw = c->stream_gbps[l];
    if (isfinite(bw) && bw > 0)
        t->memory_us[l] += bytes / (bw * 1e3); /* GB/s = 1e3 bytes/µs */
}

/* An op that is not a matrix product: its probed rate, else the
 * elementwise one. */
static double runt_cost_model_op_rate(const runt_calibration *c, runt_op op)
{
    double rate = runt_calibration_op_gflops(c, op);
    return rate > 0 ? rate : c->eltwise_gflops;
}

/* The rate of n's own work (its fused activation apart): see the header. */
static double runt_cost_model_rate(const runt_calibration *c, const runt_cost_model_node *n)
{
    if (!n->matmul)
        return runt_cost_model_op_rate(c, n->op);
    if (n->op == RUNT_OP_CONV && n->conv_depth > 0) {
        double g = runt_calibration_conv_gflops(c, n->int8, n->conv_depth, n->conv_out_channels,
                                                n->conv_pixels);
        if (g > 0)
            return g;
    }
    if (n->gemm_m > 0 && n->gemm_n > 0 && n->gemm_k > 0) {
        double g = runt_calibration_gemm_gflops(c, n->int8, n->gemm_m, n->gemm_n, n->gemm_k);
        if (g > 0)
            return g;
    }
    return n->int8 && isfinite(c->peak_int8_gops) ? c->peak_int8_gops : c->peak_gflops;
}

runt_cost_terms runt_cost_model_node_terms(const runt_calibration *c,
                                           const runt_cost_model_node *n, double footprint_bytes)
{
    runt_cost_terms t;
    memset(&t, 0, sizeof t);
    double act = n->act_elements > 0 && n->act_elements <= n->flops ? n->act_elements : 0;
    double rate = runt_cost_model_rate(c, n);
    double act_rate = runt_calibration_act_gflops(c, n->op, n->int8, n->act);
    if (!(act_rate > 0))
        act_rate = runt_cost_model_op_rate(c, runt_activation_op(n->act));
    t.compute_us = isfinite(rate) && rate > 0 ? (n->flops - act) / (rate * 1e3) : 0;
    if (act > 0 && isfinite(act_rate) && act_rate > 0)
        t.compute_us += act / (act_rate * 1e3);
    runt_cost_model_add_bytes(c, n->weight_bytes, footprint_bytes,
                              n->int8 ? RUNT_BYTES_INT8_WEIGHTS : RUNT_BYTES_WEIGHTS, &t);
    runt_cost_model_add_bytes(c, n->other_bytes, n->other_bytes, RUNT_BYTES_ACTIVATIONS, &t);
    return t;
}

double runt_cost_terms_memory_us(const runt_cost_terms *t)
{
    double sum = 0;
    for (int l = 0; l < RUNT_LEVEL_COUNT; l++)
        sum += t->memory_us[l];
    return sum;
}

/* Compute and memory overlap (a kernel streams its operands while it
 * computes), so a node takes the slower of the two. */
static double runt_cost_terms_work_us(const runt_cost_terms *t)
{
    double memory = runt_cost_terms_memory_us(t);
    return t->compute_us > memory ? t->compute_us : memory;
}

double runt_cost_model_node_us(const runt_calibration *c, const runt_cost_model_node *n,
                               double footprint_bytes)
{
    runt_cost_terms t = runt_cost_model_node_terms(c, n, footprint_bytes);
    return runt_cost_terms_work_us(&t);
}

double runt_cost_terms_us(const runt_cost_terms *t)
{
    return runt_cost_terms_work_us(t) + t->dispatch_us + t->copy_us;
}

int runt_cost_terms_level(const runt_cost_terms *t)
{
    int best = -1;
    for (int l = 0; l < RUNT_LEVEL_COUNT; l++)
        if (t->memory_us[l] > 0 && (best < 0 || t->memory_us[l] > t->memory_us[best]))
            best = l;
    return best;
}

void runt_cost_terms_attribute(const runt_cost_terms *t, double by_bound[RUNT_BOUND_COUNT])
{
    /* Only the slower of compute and memory is time the node takes; the
     * faster one is hidden under it and is no reason for anything. */
    if (t->compute_us >= runt_cost_terms_memory_us(t)) {
        by_bound[RUNT_BOUND_COMPUTE] += t->compute_us;
    } else {
        for (int l = 0; l < RUNT_LEVEL_COUNT; l++)
            by_bound[RUNT_BOUND_L1 + l] += t->memory_us[l];
    }
    by_bound[RUNT_BOUND_DISPATCH] += t->dispatch_us;
    by_bound[RUNT_BOUND_COPY] += t->copy_us;
}

runt_bound runt_cost_model_bound(const double by_bound[RUNT_BOUND_COUNT])
{
    runt_bound best = RUNT_BOUND_COMPUTE;
    for (int b = 1; b < RUNT_BOUND_COUNT; b++)
        if (by_bound[b] > by_bound[best])
            best = (runt_bound)b;
    return best;
}

runt_bound runt_cost_terms_bound(const runt_cost_terms *t)
{
    double by_bound[RUNT_BOUND_COUNT] = {0};
    runt_cost_terms_attribute(t, by_bound);
    return runt_cost_model_bound(by_bound);
}

runt_cost_model_node runt_cost_model_describe(const runt_node_info *info, runt_dtype compute)
{
    runt_cost_model_node n;
    memset(&n, 0, sizeof n);
    n.op = info->op;
    int matmul = info->op == RUNT_OP_GEMM || info->op == RUNT_OP_MATMUL || info->op == RUNT_OP_CONV;
    n.matmul = matmul;
    n.int8 = compute == RUNT_I8 && matmul;
    /* runt_cost counts constants at their model size (f32); an int8 session
     * keeps a matrix product's weights as 1 byte each. */
    double f32_weights = 4.0 * (double)info->cost.params;
    double all = (double)(info->cost.bytes_read + info->cost.bytes_written);
    n.flops = (double)info->cost.flops;
    n.weight_bytes = n.int8 ? (double)info->cost.params : f32_weights;
    n.other_bytes = all > f32_weights ? all - f32_weights : 0;
    double outputs = (double)runt_tensor_count(&info->output);
    n.act = info->epilogue.act;
    n.act_elements = runt_activation_op(n.act) != RUNT_OP_COUNT ? outputs : 0;
    const runt_tensor *y = &info->output;
    double params = (double)info->cost.params;
    if ((info->op == RUNT_OP_GEMM || info->op == RUNT_OP_MATMUL) && params > 0 &&
        n.flops > n.act_elements && y->ndim >= 1 && outputs > 0) {
        /* The output is [..., m, n] (rows folded into m); 2mnk (+ mn for
         * the bias) over the mn outputs is 2k (+ 1): halved and floored, k. */
        n.gemm_n = (double)y->dims[y->ndim - 1];
        n.gemm_m = n.gemm_n > 0 ? outputs / n.gemm_n : 0;
        n.gemm_k = floor((n.flops - n.act_elements) / (2 * outputs));
        if (!(n.gemm_m > 0 && n.gemm_k > 0))
            n.gemm_m = n.gemm_n = n.gemm_k = 0;
    }
    if (info->op == RUNT_OP_CONV && y->ndim == 4 && outputs > 0) {
        n.conv_depth = floor((n.flops - n.act_elements) / (2 * outputs));
        n.conv_out_channels = (double)y->dims[1];
        n.conv_pixels = (double)(y->dims[2] * y->dims[3]);
    }
    return n;
}

void runt_cost_model_as_run(const runt_calibration *c, runt_cost_model_node *n)
{
    int linear = n->op == RUNT_OP_GEMM || n->op == RUNT_OP_MATMUL;
    if (!n->int8 || !linear || strcmp(c->backend, "cpu") != 0 || !(n->gemm_n > 0))
        return;
    double params = n->weight_bytes; /* 1 byte a weight in int8 */
    if (n->gemm_n * n->gemm_k >= RUNT_INT8_MIN_WEIGHTS_DEFAULT)
        return;
    n->int8 = 0;
    n->weight_bytes = 4 * params;
}

void runt_cost_model_io_bytes(const runt_session *s, double *in_bytes, double *out_bytes)
{
    *in_bytes = *out_bytes = 0;
    runt_tensor d;
    for (int i = 0; runt_session_input_desc(s, i, &d) == RUNT_OK; i++)
        *in_bytes += (double)runt_tensor_count(&d) * (double)runt_dtype_size(d.dtype);
    for (int i = 0; runt_session_output_desc(s, i, &d) == RUNT_OK; i++)
        *out_bytes += (double)runt_tensor_count(&d) * (double)runt_dtype_size(d.dtype);
}

/* bytes at rate GB/s in µs; 0 where the rate was not measured. */
static double runt_cost_model_copy_us(double bytes, double gbps)
{
    return bytes > 0 && isfinite(gbps) && gbps > 0 ? bytes / (gbps * 1e3) : 0;
}

runt_status runt_cost_model_explain(const runt_calibration *c, const runt_session *s,
                                    runt_dtype compute, double in_bytes, double out_bytes,
                                    runt_cost_terms *nodes, runt_cost_prediction *out)
{
    memset(out, 0, sizeof *out);
    runt_session_stats st;
    runt_status rc = runt_session_stats_get(s, &st);
    if (rc != RUNT_OK)
        return rc;
    double footprint = (double)st.arena_bytes + in_bytes + out_bytes;
    for (int i = 0; i < st.n_nodes; i++) {
        runt_node_info info;
        if ((rc = runt_session_node(s, i, &info, NULL)) != RUNT_OK)
            return rc;
        runt_cost_model_node n = runt_cost_model_describe(&info, compute);
        runt_cost_model_as_run(c, &n);
        footprint += n.weight_bytes;
    }
    /* The backend counts launches for the whole plan (the CUDA backend fuses
     * some nodes into one kernel and splits others into several), so each
     * node is shown an equal share; the total is summed as launches *
     * launch_us in one product, as the calibration's dispatch probe fits it. */
    double launch_total = st.launches * c->launch_us;
    double share = st.n_nodes > 0 ? launch_total / st.n_nodes : 0;
    double total = c->run_us + launch_total;
    out->run.dispatch_us = st.n_nodes > 0 ? c->run_us : c->run_us + launch_total;
    for (int i = 0; i < st.n_nodes; i++) {
        runt_node_info info;
        runt_session_node(s, i, &info, NULL);
        runt_cost_model_node n = runt_cost_model_describe(&info, compute);
        runt_cost_model_as_run(c, &n);
        runt_cost_terms t = runt_cost_model_node_terms(c, &n, footprint);
        total += runt_cost_terms_work_us(&t);
        t.dispatch_us = share;
        runt_cost_terms_attribute(&t, out->by_bound);
        if (nodes)
            nodes[i] = t;
    }
    if (!c->host_memory)
        out->run.copy_us = runt_cost_model_copy_us(in_bytes, c->h2d_gbps) +
                           runt_cost_model_copy_us(out_bytes, c->d2h_gbps);
    runt_cost_terms_attribute(&out->run, out->by_bound);
    out->us = total;
    out->copy_us = out->run.copy_us;
    out->bound = runt_cost_model_bound(out->by_bound);
    return RUNT_OK;
}
