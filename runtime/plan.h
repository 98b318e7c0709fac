/*
 * From a model to a plan for one session: shapes inferred for the batch size,
 * fusion applied, cost counted per node, every intermediate value placed in
 * the arena (arena_layout.h). The plan is what a backend receives.
 */
#ifndef RUNT_PLAN_H
#define RUNT_PLAN_H

#include "model.h"
#include "runt-backend.h"

typedef struct runt_plan_config {
    int64_t batch;
    int fuse;              /* apply fusion.c's rewrites                       */
    int quantized_layers;  /* fold quantized layers into int8-weight nodes
                              (quant_patterns.h); the backend runs them     */
    int io_in_arena;       /* give inputs and outputs arena slots (device
                              backends copy them in and out themselves)       */
    runt_dtype compute_dtype;
    runt_math_mode math;
    int threads;
    runt_log_fn log;
    void *log_user;
} runt_plan_config;

runt_status runt_plan_create(const runt_model *m, const runt_plan_config *config,
                             const runt_allocator *a, runt_plan **out);
void runt_plan_destroy(runt_plan *p, const runt_allocator *a);

/* Infers every node's output shape at batch 1 to validate a finished model,
 * and records the shapes on the model's values (dims that change with the
 * batch become RUNT_DIM_BATCH) for runt_model_output. */
runt_status runt_plan_annotate_model(runt_model *m);

#endif /* RUNT_PLAN_H */
