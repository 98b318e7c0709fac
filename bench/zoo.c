#include "zoo.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "runt-backend.h"

/* splitmix64: the same weights on every machine. */
static double runt_zoo_uniform(uint64_t *state)
{
    uint64_t z = (*state += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    z ^= z >> 31;
    return (double)(z >> 11) * (1.0 / 9007199254740992.0) * 2.0 - 1.0;
}

static float *runt_zoo_weights(uint64_t *rng, int64_t count, int64_t fan_in)
{
    float *w = malloc((size_t)count * sizeof(float));
    if (!w)
        return NULL;
    double bound = 1.0 / sqrt((double)fan_in);
    for (int64_t i = 0; i < count; i++)
        w[i] = (float)(bound * runt_zoo_uniform(rng));
    return w;
}

/* x -> Linear(widths[0], widths[1]) -> ... ; activation after every layer but
 * the last when act != RUNT_OP_COUNT; biases unless bias is 0. */
static runt_status runt_zoo_mlp(runt_builder *b, runt_value_id x, const int64_t *widths, int n,
                                runt_op act, int bias, uint64_t *rng, runt_value_id *out)
{
    for (int i = 0; i + 1 < n; i++) {
        float *w = runt_zoo_weights(rng, widths[i] * widths[i + 1], widths[i]);
        float *c = bias ? runt_zoo_weights(rng, widths[i + 1], widths[i]) : NULL;
        runt_status s = w && (c || !bias)
                            ? runt_builder_linear(b, x, widths[i], widths[i + 1], w, c, &x)
                            : runt_error_set(RUNT_E_OOM, "zoo: out of memory");
        free(w);
        free(c);
        if (s == RUNT_OK && act != RUNT_OP_COUNT && i + 2 < n)
            s = runt_builder_unary(b, act, x, NULL, &x);
        if (s != RUNT_OK)
            return s;
    }
    *out = x;
    return RUNT_OK;
}

static runt_status runt_zoo_conv(runt_builder *b, runt_value_id x, int64_t cin, int64_t cout,
                                 int k, int pad, uint64_t *rng, runt_value_id *out)
{
    runt_attrs a;
    runt_attrs_default(RUNT_OP_CONV, &a);
    a.conv.pads[0] = a.conv.pads[1] = a.conv.pads[2] = a.conv.pads[3] = pad;
    float *w = runt_zoo_weights(rng, cout * cin * k * k, cin * k * k);
    float *c = runt_zoo_weights(rng, cout, cin * k * k);
    runt_status s = w && c ? runt_builder_conv2d(b, x, cin, cout, k, k, &a.conv, w, c, out)
                           : runt_error_set(RUNT_E_OOM, "zoo: out of memory");
    free(w);
    free(c);
    return s;
}

static runt_status runt_zoo_lenet(runt_builder *b, runt_value_id x, uint64_t *rng, runt_value_id *y)
{
    runt_attrs pool;
    runt_attrs_default(RUNT_OP_MAX_POOL, &pool);
    pool.pool.kernel[0] = pool.pool.kernel[1] = 2;
    pool.pool.strides[0] = pool.pool.strides[1] = 2;
    const int64_t fc[] = {16 * 7 * 7, 120, 84, 10};
    runt_status s = runt_zoo_conv(b, x, 1, 6, 5, 2, rng, &x);
    if (!s) s = runt_builder_unary(b, RUNT_OP_RELU, x, NULL, &x);
    if (!s) s = runt_builder_unary(b, RUNT_OP_MAX_POOL, x, &pool, &x);
    if (!s) s = runt_zoo_conv(b, x, 6, 16, 5, 2, rng, &x);
    if (!s) s = runt_builder_unary(b, RUNT_OP_RELU, x, NULL, &x);
    if (!s) s = runt_builder_unary(b, RUNT_OP_MAX_POOL, x, &pool, &x);
    if (!s) s = runt_builder_unary(b, RUNT_OP_FLATTEN, x, NULL, &x);
    if (!s) s = runt_zoo_mlp(b, x, fc, 4, RUNT_OP_RELU, 1, rng, &x);
    if (!s) s = runt_builder_unary(b, RUNT_OP_SOFTMAX, x, NULL, &x);
    *y = x;
    return s;
}

static const runt_zoo_entry runt_zoo_entries[] = {
    {"seed0_simple", "Linear(1024,1024) on a 1024x1024 input", 1024},
    {"seed0_complex", "5x Linear(1024,1024) on a 1024x1024 input", 1024},
    {"seed0_relu", "ReLU on a 1024x1024 input", 1024},
    {"seed1_model1", "Linear 1000-10-1000-1 (a bottleneck), no activations", 1},
    {"seed1_model2", "Linear 1000-1000-1, no activations", 1},
    {"seed1_model3", "10x Linear(100,100), no activations", 1},
    {"seed1_model4", "Linear 100-500-100, no activations", 1},
    {"seed1_model5", "Linear(1000,10)", 1},
    {"lenet", "LeNet-5 style CNN on 1x28x28: conv-relu-pool x2, MLP, softmax", 1},
};

#define RUNT_ZOO_N ((int)(sizeof runt_zoo_entries / sizeof runt_zoo_entries[0]))

int runt_zoo_count(void) { return RUNT_ZOO_N; }

const runt_zoo_entry *runt_zoo_get(int index)
{
    return index >= 0 && index < RUNT_ZOO_N ? &runt_zoo_entries[index] : NULL;
}

/* The widths of the seed MLPs, by name; NULL when name is not one. */
static const int64_t *runt_zoo_seed_widths(const char *name, int *n)
{
    static const int64_t m1[] = {1000, 10, 1000, 1}, m2[] = {1000, 1000, 1},
                         m3[] = {100, 100, 100, 100, 100, 100, 100, 100, 100, 100, 100},
                         m4[] = {100, 500, 100}, m5[] = {1000, 10}, s0[] = {1024, 1024},
                         c0[] = {1024, 1024, 1024, 1024, 1024, 1024};
    static const struct { const char *name; const int64_t *w; int n; } table[] = {
        {"seed1_model1", m1, 4}, {"seed1_model2", m2, 3}, {"seed1_model3", m3, 11},
        {"seed1_model4", m4, 3}, {"seed1_model5", m5, 2}, {"seed0_simple", s0, 2},
        {"seed0_complex", c0, 6},
    };
    for (size_t i = 0; i < sizeof table / sizeof table[0]; i++)
        if (strcmp(table[i].name, name) == 0) {
            *n = table[i].n;
            return table[i].w;
        }
    return NULL;
}

runt_status runt_zoo_build(const char *name, runt_model **out)
{
    if (!name || !out)
        return runt_error_set(RUNT_E_INVALID_ARG, "runt_zoo_build: %s is NULL", name ? "out" : "name");
    int n_widths = 0;
    const int64_t *widths = runt_zoo_seed_widths(name, &n_widths);
    int is_relu = strcmp(name, "seed0_relu") == 0, is_lenet = strcmp(name, "lenet") == 0;
    if (!widths && !is_relu && !is_lenet) {
        char known[512] = "";
        for (int i = 0; i < RUNT_ZOO_N; i++) {
            strncat(known, i ? ", " : "", sizeof known - strlen(known) - 1);
            strncat(known, runt_zoo_entries[i].name, sizeof known - strlen(known) - 1);
        }
        return runt_error_set(RUNT_E_INVALID_ARG, "no built-in model '@%s' (there are: %s)", name,
                              known);
    }
    runt_builder *b;
    runt_status s = runt_builder_create(NULL, &b);
    if (s != RUNT_OK)
        return s;
    uint64_t rng = 0x5EED;
    runt_value_id x, y;
    if (is_lenet) {
        int64_t dims[4] = {RUNT_DIM_BATCH, 1, 28, 28};
        s = runt_builder_input(b, "x", RUNT_F32, 4, dims, &x);
        if (!s) s = runt_zoo_lenet(b, x, &rng, &y);
    } else {
        int64_t dims[2] = {RUNT_DIM_BATCH, is_relu ? 1024 : widths[0]};
        s = runt_builder_input(b, "x", RUNT_F32, 2, dims, &x);
        if (!s && is_relu)
            s = runt_builder_unary(b, RUNT_OP_RELU, x, NULL, &y);
        else if (!s)
            s = runt_zoo_mlp(b, x, widths, n_widths, RUNT_OP_COUNT, 1, &rng, &y);
    }
    if (!s) s = runt_builder_output(b, y, "y");
    if (s != RUNT_OK) {
        runt_builder_free(b);
        return s;
    }
    return runt_builder_finish(b, out);
}

/* Marks y as the output and finishes the model; frees the builder when an
 * earlier step (s) failed. */
static runt_status runt_zoo_finish(runt_builder *b, runt_status s, runt_value_id y, runt_model **out)
{
    if (!s)
        s = runt_builder_output(b, y, "y");
    if (s != RUNT_OK) {
        runt_builder_free(b);
        return s;
    }
    return runt_builder_finish(b, out);
}

runt_status runt_zoo_build_mlp(const int64_t *widths, int n, int bias, runt_model **out)
{
    if (!widths || !out || n < 2)
        return runt_error_set(RUNT_E_INVALID_ARG, "runt_zoo_build_mlp: %s",
                              !out ? "out is NULL" : "needs at least two widths");
    for (int i = 0; i < n; i++)
        if (widths[i] < 1)
            return runt_error_set(RUNT_E_INVALID_ARG, "runt_zoo_build_mlp: width %d is %lld", i,
                                  (long long)widths[i]);
    runt_builder *b;
    runt_status s = runt_builder_create(NULL, &b);
    if (s != RUNT_OK)
        return s;
    uint64_t rng = 0x5EED + (uint64_t)n;
    int64_t dims[2] = {RUNT_DIM_BATCH, widths[0]};
    runt_value_id x, y = -1;
    s = runt_builder_input(b, "x", RUNT_F32, 2, dims, &x);
    if (!s)
        s = runt_zoo_mlp(b, x, widths, n, RUNT_OP_COUNT, bias, &rng, &y);
    return runt_zoo_finish(b, s, y, out);
}

runt_status runt_zoo_build_conv(int64_t c_in, int64_t c_out, int k, int64_t h, int64_t w,
                                runt_model **out)
{
    if (h < 1 || w < 1) /* h = w = 0 would build a Linear */
        return runt_error_set(RUNT_E_INVALID_ARG, "runt_zoo_build_conv: needs positive sizes");
    return runt_zoo_build_layer_then(c_in, c_out, k, h, w, RUNT_OP_COUNT, NULL, out);
}

/* x[N, widths[0]] -> Linear -> `then` -> ... over widths[0..n-1], with
 * biases, `then` (attrs) after every Linear unless RUNT_OP_COUNT; or, with
 * image (h, w > 0), a 'same' Conv2d(widths[0], widths[1], k x k) on x[N,
 * widths[0], h, w] and `then` after it. */
static runt_status runt_zoo_layers_then(const int64_t *widths, int n, int k, int64_t h,
                                        int64_t w, runt_op then, const runt_attrs *attrs,
                                        uint64_t rng, runt_model **out)
{
    int image = h > 0 || w > 0;
    runt_builder *b;
    runt_status s = runt_builder_create(NULL, &b);
    if (s != RUNT_OK)
        return s;
    int64_t dims[4] = {RUNT_DIM_BATCH, widths[0], h, w};
    runt_value_id x, y = -1;
    s = runt_builder_input(b, "x", RUNT_F32, image ? 4 : 2, dims, &x);
    for (int i = 0; !s && i + 1 < n; i++) {
        s = image ? runt_zoo_conv(b, x, widths[i], widths[i + 1], k, k / 2, &rng, &y)
                  : runt_zoo_mlp(b, x, widths + i, 2, RUNT_OP_COUNT, 1, &rng, &y);
        if (!s && then != RUNT_OP_COUNT)
            s = runt_builder_unary(b, then, y, attrs, &y);
        x = y;
    }
    return runt_zoo_finish(b, s, y, out);
}

runt_status runt_zoo_build_layer_then(int64_t c_in, int64_t c_out, int k, int64_t h, int64_t w,
                                      runt_op then, const runt_attrs *attrs, runt_model **out)
{
    int image = h > 0 || w > 0;
    if (!out || c_in < 1 || c_out < 1 || (image && (k < 1 || k % 2 == 0 || h < 1 || w < 1)))
        return runt_error_set(RUNT_E_INVALID_ARG, "runt_zoo_build_layer_then: %s",
                              !out ? "out is NULL" : "needs positive sizes and an odd kernel");
    int64_t widths[2] = {c_in, c_out};
    return runt_zoo_layers_then(widths, 2, k, h, w, then, attrs, 0x7E4E, out);
}

runt_status runt_zoo_build_hidden_then(int64_t c_in, int64_t hidden, int64_t c_out, runt_op then,
                                       const runt_attrs *attrs, runt_model **out)
{
    if (!out || c_in < 1 || hidden < 1 || c_out < 1)
        return runt_error_set(RUNT_E_INVALID_ARG, "runt_zoo_build_hidden_then: %s",
                              !out ? "out is NULL" : "needs positive sizes");
    int64_t widths[3] = {c_in, hidden, c_out};
    return runt_zoo_layers_then(widths, 3, 1, 0, 0, then, attrs, 0x41DE, out);
}

/* A limit's value inside a message literal. */
#define RUNT_ZOO_TEXT_(x) #x
#define RUNT_ZOO_TEXT(x) RUNT_ZOO_TEXT_(x)

static runt_status runt_zoo_net_check(const runt_zoo_net *n)
{
    const char *why = NULL;
    int image = n->h > 0 || n->w > 0;
    if (n->c < 1 || n->h < 0 || n->w < 0 || (image && (n->h < 1 || n->w < 1)))
        why = "needs a positive input size";
    else if (n->n_convs < 0 || n->n_convs > RUNT_ZOO_NET_MAX_CONVS || (!image && n->n_convs))
        why = "convolutions need an image input, " RUNT_ZOO_TEXT(RUNT_ZOO_NET_MAX_CONVS) " at most";
    else if (n->n_linear < 1 || n->n_linear > RUNT_ZOO_NET_MAX_LINEAR)
        why = "needs 1 to " RUNT_ZOO_TEXT(RUNT_ZOO_NET_MAX_LINEAR) " Linear layers";
    else if (n->act != RUNT_OP_COUNT && n->act != RUNT_OP_RELU && n->act != RUNT_OP_GELU &&
             n->act != RUNT_OP_TANH && n->act != RUNT_OP_LEAKY_RELU)
        why = "act is Relu, Gelu, Tanh, LeakyRelu or none";
    int64_t h = n->h, w = n->w;
    for (int i = 0; !why && i < n->n_convs; i++) {
        if (n->conv_out[i] < 1 || n->conv_k[i] < 1 || n->conv_k[i] % 2 == 0)
            why = "a convolution needs channels and an odd kernel";
        else if (n->pool[i] && (h < 2 || w < 2))
            why = "a 2x2 pool needs an image of at least 2x2";
        if (n->pool[i]) {
            h /= 2;
            w /= 2;
        }
    }
    for (int i = 0; !why && i < n->n_linear; i++)
        if (n->linear_out[i] < 1)
            why = "a Linear layer needs a positive width";
    return why ? runt_error_set(RUNT_E_INVALID_ARG, "runt_zoo_build_net: %s", why) : RUNT_OK;
}

void runt_zoo_net_counts(const runt_zoo_net *n, int64_t *flops, int64_t *params)
{
    int64_t f = 0, p = 0, c = n->c, h = n->h > 0 ? n->h : 1, w = n->w > 0 ? n->w : 1;
    int act = n->act != RUNT_OP_COUNT;
    for (int i = 0; i < n->n_convs; i++) {
        int64_t k2 = (int64_t)n->conv_k[i] * n->conv_k[i], y = n->conv_out[i] * h * w;
        f += 2 * y * c * k2 + y + (act ? y : 0);
        p += n->conv_out[i] * c * k2 + n->conv_out[i];
        c = n->conv_out[i];
        if (n->pool[i]) {
            h /= 2;
            w /= 2;
            f += 4 * c * h * w; /* a 2x2 max pool: 4 per output */
        }
    }
    int64_t in = c * h * w;
    for (int i = 0; i < n->n_linear; i++) {
        int64_t y = n->linear_out[i];
        f += 2 * in * y + y + (act && i + 1 < n->n_linear ? y : 0);
        p += in * y + y;
        in = y;
    }
    if (flops)
        *flops = f;
    if (params)
        *params = p;
}

runt_status runt_zoo_build_net(const runt_zoo_net *net, runt_model **out)
{
    if (!net || !out)
        return runt_error_set(RUNT_E_INVALID_ARG, "runt_zoo_build_net: %s is NULL",
                              net ? "out" : "net");
    runt_status s = runt_zoo_net_check(net);
    if (s != RUNT_OK)
        return s;
    runt_builder *b;
    if ((s = runt_builder_create(NULL, &b)) != RUNT_OK)
        return s;
    /* Weights from a seed of the net's own size, so two nets of one shape
     * get the same weights and a list that changes elsewhere does not move
     * them. */
    uint64_t rng = 0x200 + (uint64_t)(net->c * 131 + net->h * 17 + net->n_convs * 7 + net->n_linear);
    int image = net->h > 0;
    int64_t dims[4] = {RUNT_DIM_BATCH, net->c, net->h, net->w};
    runt_value_id x, y = -1;
    s = runt_builder_input(b, "x", RUNT_F32, image ? 4 : 2, dims, &x);
    runt_attrs pool;
    runt_attrs_default(RUNT_OP_MAX_POOL, &pool);
    pool.pool.kernel[0] = pool.pool.kernel[1] = 2;
    pool.pool.strides[0] = pool.pool.strides[1] = 2;
    int64_t c = net->c, h = net->h, w = net->w;
    for (int i = 0; !s && i < net->n_convs; i++) {
        s = runt_zoo_conv(b, x, c, net->conv_out[i], net->conv_k[i], net->conv_k[i] / 2, &rng, &x);
        c = net->conv_out[i];
        if (!s && net->act != RUNT_OP_COUNT)
            s = runt_builder_unary(b, net->act, x, NULL, &x);
        if (!s && net->pool[i]) {
            s = runt_builder_unary(b, RUNT_OP_MAX_POOL, x, &pool, &x);
            h /= 2;
            w /= 2;
        }
    }
    int64_t widths[RUNT_ZOO_NET_MAX_LINEAR + 1];
    widths[0] = image ? c * h * w : c;
    for (int i = 0; i < net->n_linear; i++)
        widths[i + 1] = net->linear_out[i];
    if (!s && image)
        s = runt_builder_unary(b, RUNT_OP_FLATTEN, x, NULL, &x);
    if (!s)
        s = runt_zoo_mlp(b, x, widths, net->n_linear + 1, net->act, 1, &rng, &y);
    return runt_zoo_finish(b, s, y, out);
}
