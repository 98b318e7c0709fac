/*
 * The batch size a command line may ask for, and whether a model can take
 * it: a model whose inputs all have a fixed leading dimension cannot be run
 * at another batch, and saying so beats running batch 4 while reporting 64.
 */
#ifndef RUNT_MODEL_BATCH_H
#define RUNT_MODEL_BATCH_H

#include <stdint.h>

#include "runt.h"

/* The largest --batch: 2^24, where the batch times any layer width would
 * start to overflow the 32-bit element counts of GPU kernels. */
#define RUNT_CLI_MAX_BATCH (1 << 24)
#define RUNT_CLI_MAX_BATCH_TEXT "16777216"

/* RUNT_OK when some input of m has a free batch dimension (RUNT_DIM_BATCH)
 * or every input's leading dimension is already batch. Otherwise
 * RUNT_E_INVALID_ARG naming the first input and its shape. */
runt_status runt_model_check_batch(const runt_model *m, int64_t batch);

#endif /* RUNT_MODEL_BATCH_H */
