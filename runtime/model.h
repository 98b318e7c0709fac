/*
 * The graph IR behind runt_model and runt_builder. Values are numbered; a
 * node names its inputs and outputs by value id. Nodes are kept in
 * topological order (a node only reads values defined before it), which the
 * builder guarantees by construction and runt_model_validate checks.
 *
 * Only graph inputs and constants carry a declared shape; the shapes of node
 * outputs depend on the batch size and are inferred per plan (plan.c).
 */
#ifndef RUNT_MODEL_H
#define RUNT_MODEL_H

#include "runt-backend.h"
#include "runt.h"
#include "weight_cache.h"

typedef struct runt_model_value {
    char *name;
    runt_tensor desc;     /* dtype; dims declared for inputs/constants; data for constants */
    int is_constant;
    int input_index;      /* graph input number, or -1   */
    int output_index;     /* graph output number, or -1  */
    int producer;         /* node index, or -1           */
} runt_model_value;

typedef struct runt_model_node {
    char *name;
    runt_op op;
    runt_attrs attrs;
    int n_inputs;
    int inputs[RUNT_MAX_NODE_INPUTS];
    int n_outputs;
    int outputs[RUNT_MAX_NODE_OUTPUTS];
} runt_model_node;

struct runt_model {
    runt_allocator allocator;       /* copy of the creator's (alloc NULL: libc) */
    runt_model_value *values;
    int n_values, cap_values;
    runt_model_node *nodes;
    int n_nodes, cap_nodes;
    int *inputs;                    /* value ids */
    int n_inputs, cap_inputs;
    int *outputs;                   /* value ids */
    int n_outputs, cap_outputs;
    /* A model read in place (.rnt): names and constant data point into
     * bytes the model does not free one by one; blob (NULL, or the whole
     * file read by runt_model_load_rnt_file) is freed with the model. */
    int borrows_data;
    void *blob;
    runt_weight_cache weights;      /* converted weights its sessions share */
};

/* Sets up a zeroed model to allocate through a (NULL: libc). */
void runt_model_init(runt_model *m, const runt_allocator *a);

/* Frees everything the model owns (also used on a builder's partial model). */
void runt_model_destroy(runt_model *m);

/* Checks order, arity and references; shapes are checked when a plan is made. */
runt_status runt_model_validate(const runt_model *m);

/* "node 'conv1' (Conv)" for messages. */
const char *runt_model_node_label(const runt_model_node *n, char *buf, size_t size);

#endif /* RUNT_MODEL_H */
