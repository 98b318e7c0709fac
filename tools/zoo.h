/*
 * Built-in models, made with the builder API and deterministic weights, so
 * the command-line program and the bench have models without any file:
 * `runt info @seed1_model2`. Weights are uniform in ±1/sqrt(fan_in), as
 * PyTorch initializes nn.Linear and nn.Conv2d.
 */
#ifndef RUNT_ZOO_H
#define RUNT_ZOO_H

#include "runt.h"

typedef struct runt_zoo_entry {
    const char *name;
    const char *description;
    int64_t default_batch;   /* the batch the seed experiments use */
} runt_zoo_entry;

int runt_zoo_count(void);
const runt_zoo_entry *runt_zoo_get(int index);
/* name without the '@'. */
runt_status runt_zoo_build(const char *name, runt_model **out);

#endif /* RUNT_ZOO_H */
