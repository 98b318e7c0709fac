/*
 * What the core knows about each op independent of any backend: its ONNX
 * name, how many inputs and outputs it takes, which inputs carry parameters,
 * and whether its output may be written over its first input.
 */
#ifndef RUNT_OPS_H
#define RUNT_OPS_H

#include "runt-backend.h"

typedef enum runt_op_flags {
    RUNT_OPF_NONE = 0,
    /* Output 0 has input 0's shape and is computed element by element from it,
     * so it may take input 0's memory when input 0 dies here. */
    RUNT_OPF_INPLACE = 1 << 0,
    /* Output 0 holds input 0's bytes unchanged (Reshape, Flatten, Identity,
     * Dropout): a view, free when it can share input 0's memory. */
    RUNT_OPF_VIEW = 1 << 1,
    /* An activation that can be folded into a Gemm or Conv epilogue. */
    RUNT_OPF_ACTIVATION = 1 << 2
} runt_op_flags;

typedef struct runt_op_traits {
    const char *name;      /* ONNX op_type */
    int min_inputs, max_inputs;
    int min_outputs, max_outputs;
    unsigned flags;
} runt_op_traits;

/* NULL for an op out of range. */
const runt_op_traits *runt_op_traits_get(runt_op op);

/* Pad's modes by their ONNX names, in runt_pad_mode's order, NULL-ended
 * (the ONNX reader's list of choices): read, written and named in errors
 * from this one table. */
extern const char *const runt_pad_mode_names[RUNT_PAD_MODE_WRAP + 2];

/* runt_op_as_epilogue, which backends use too, is in runt-backend.h. */

#endif /* RUNT_OPS_H */
