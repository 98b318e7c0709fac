/* runt_model_describe: per-node shapes and costs for `runt info` and reports. */
#include <string.h>

#include "cost.h"
#include "error.h"
#include "model.h"
#include "plan.h"

runt_status runt_model_describe(const runt_model *m, int64_t batch, runt_node_info *rows,
                                int capacity, int *n_rows, runt_cost *total)
{
    const char *fn = "runt_model_describe";
    if (!m || !n_rows)
        return runt_error_set(RUNT_E_INVALID_ARG, "%s: %s is NULL", fn, !m ? "model" : "n_rows");
    if (rows && capacity < m->n_nodes)
        return runt_error_set(RUNT_E_INVALID_ARG, "%s: capacity %d, the model has %d nodes", fn,
                              capacity, m->n_nodes);
    runt_plan_config c;
    memset(&c, 0, sizeof c);
    c.batch = batch;
    runt_plan *p = NULL;
    runt_status s = runt_plan_create(m, &c, &m->allocator, &p);
    if (s != RUNT_OK)
        return s;
    *n_rows = p->n_nodes;
    if (total)
        memset(total, 0, sizeof *total);
    for (int i = 0; i < p->n_nodes; i++) {
        const runt_plan_node *n = &p->nodes[i];
        if (total) {
            runt_cost_add(total, &n->cost);
        }
        if (!rows)
            continue;
        memset(&rows[i], 0, sizeof rows[i]);
        rows[i].name = n->name;
        rows[i].op = n->op;
        rows[i].output = p->values[m->nodes[n->model_node].outputs[0]].desc;
        rows[i].cost = n->cost;
    }
    runt_plan_destroy(p, &m->allocator);
    return RUNT_OK;
}
