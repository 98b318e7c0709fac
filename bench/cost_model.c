#include "cost_model.h"

#include <math.h>

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

static double runt_cost_model_bytes_us(const runt_calibration *c, double bytes, double ws)
{
    if (bytes <= 0)
        return 0;
    double bw = c->bw_gbps[runt_cost_model_level(c, ws)];
    return isfinite(bw) && bw > 0 ? bytes / (bw * 1e3) : 0; /* GB/s = 1e3 bytes/µs */
}

double runt_cost_model_node_us(const runt_calibration *c, const runt_cost_model_node *n,
                               double footprint_bytes)
{
    double peak = !n->matmul                                ? c->eltwise_gflops
                  : n->int8 && isfinite(c->peak_int8_gops) ? c->peak_int8_gops
                                                           : c->peak_gflops;
    double compute = isfinite(peak) && peak > 0 ? n->flops / (peak * 1e3) : 0;
    double memory = runt_cost_model_bytes_us(c, n->weight_bytes, footprint_bytes) +
                    runt_cost_model_bytes_us(c, n->other_bytes, n->other_bytes);
    return compute > memory ? compute : memory;
}

runt_cost_model_node runt_cost_model_describe(const runt_node_info *info, runt_dtype compute)
{
    runt_cost_model_node n;
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
    return n;
}

runt_status runt_cost_model_predict(const runt_calibration *c, const runt_session *s,
                                    runt_dtype compute, double io_bytes, double *us)
{
    runt_session_stats st;
    runt_status rc = runt_session_stats_get(s, &st);
    if (rc != RUNT_OK)
        return rc;
    double footprint = (double)st.arena_bytes + io_bytes;
    for (int i = 0; i < st.n_nodes; i++) {
        runt_node_info info;
        if ((rc = runt_session_node(s, i, &info, NULL)) != RUNT_OK)
            return rc;
        footprint += runt_cost_model_describe(&info, compute).weight_bytes;
    }
    double total = c->run_us + st.launches * c->launch_us;
    for (int i = 0; i < st.n_nodes; i++) {
        runt_node_info info;
        runt_session_node(s, i, &info, NULL);
        runt_cost_model_node n = runt_cost_model_describe(&info, compute);
        total += runt_cost_model_node_us(c, &n, footprint);
    }
    *us = total;
    return RUNT_OK;
}
