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

/* Generated models for the bench's sweeps and calibration probes, with the
 * same deterministic weights. An MLP of Linear layers x[N, widths[0]] ->
 * widths[1] -> ... -> widths[n-1], no activations (as in the seeds), biases
 * unless bias is 0. */
runt_status runt_zoo_build_mlp(const int64_t *widths, int n, int bias, runt_model **out);
/* One Conv2d(c_in, c_out, k x k, stride 1, 'same' padding, bias) on
 * x[N, c_in, h, w]; k odd. */
runt_status runt_zoo_build_conv(int64_t c_in, int64_t c_out, int k, int64_t h, int64_t w,
                                runt_model **out);

#endif /* RUNT_ZOO_H */
