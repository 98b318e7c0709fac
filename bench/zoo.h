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
 * x[N, c_in, h, w]; k odd (runt_zoo_build_layer_then with nothing after). */
runt_status runt_zoo_build_conv(int64_t c_in, int64_t c_out, int k, int64_t h, int64_t w,
                                runt_model **out);

/* One layer and what follows it: a 'same' Conv2d(c_in, c_out, k x k) on
 * x[N, c_in, h, w] or, with h = w = 0, a Linear(c_in, c_out) with bias on
 * x[N, c_in]; then the unary op `then` with attrs (NULL: its defaults;
 * RUNT_OP_COUNT: nothing). The calibration times an op on a layer's output,
 * which is what it sees in a net (a fused activation, a pool on a feature
 * map) and not the uniform noise of a bench input. */
runt_status runt_zoo_build_layer_then(int64_t c_in, int64_t c_out, int k, int64_t h, int64_t w,
                                      runt_op then, const runt_attrs *attrs, runt_model **out);

/* Linear(c_in, hidden) -> then -> Linear(hidden, c_out) -> then, with biases
 * (then RUNT_OP_COUNT: no op): the second `then` sees what an activation
 * inside a net sees, a layer fed by an activation, not the uniform noise
 * of a bench input (a tanh costs less on the smaller values: ~22 ns an
 * element at |x| ~ 0.1 against ~30 at 0.3 on the dev VM's libm). */
runt_status runt_zoo_build_hidden_then(int64_t c_in, int64_t hidden, int64_t c_out, runt_op then,
                                       const runt_attrs *attrs, runt_model **out);

/* A generated feed-forward net (the bench's zoo suite): on an image input
 * [N, c, h, w], n_convs 'same' Conv2d layers, each followed by act and, where
 * pool[i] is set, a 2x2 max pool, then Flatten; on a vector input [N, c]
 * (h = w = 0) none of that. Then Linear layers to linear_out[0..n_linear)
 * with act between them (not after the last, as in the seeds). act is
 * RUNT_OP_RELU, RUNT_OP_GELU, RUNT_OP_TANH, RUNT_OP_LEAKY_RELU (ONNX's alpha
 * 0.01) or RUNT_OP_COUNT for none. */
#define RUNT_ZOO_NET_MAX_CONVS 4
#define RUNT_ZOO_NET_MAX_LINEAR 8

typedef struct runt_zoo_net {
    int64_t c, h, w;
    int n_convs;
    int64_t conv_out[RUNT_ZOO_NET_MAX_CONVS];
    int conv_k[RUNT_ZOO_NET_MAX_CONVS];       /* odd */
    int pool[RUNT_ZOO_NET_MAX_CONVS];
    int n_linear;
    int64_t linear_out[RUNT_ZOO_NET_MAX_LINEAR];
    runt_op act;
} runt_zoo_net;

/* RUNT_E_INVALID_ARG for a spec the builder cannot make (no layers, an even
 * kernel, a pool on a 1-pixel image, too many layers). */
runt_status runt_zoo_build_net(const runt_zoo_net *net, runt_model **out);
/* The net's FLOPs for one sample, counted as runt_model_describe counts them
 * (2 per multiply-add, 1 per bias add, activation and pooled element), and
 * its parameter count; both without building it, so a generator can keep
 * a net within a budget before paying for its weights. */
void runt_zoo_net_counts(const runt_zoo_net *net, int64_t *flops, int64_t *params);

#endif /* RUNT_ZOO_H */
