#include "suite.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "runt-backend.h"
#include "zoo.h"

int runt_case_list_push(runt_case_list *list, const runt_bench_case *c)
{
    if (list->n == list->cap) {
        int cap = list->cap ? 2 * list->cap : 64;
        runt_bench_case *p = realloc(list->items, (size_t)cap * sizeof *p);
        if (!p)
            return -1;
        list->items = p;
        list->cap = cap;
    }
    list->items[list->n++] = *c;
    return 0;
}

void runt_case_list_free(runt_case_list *list)
{
    free(list->items);
    memset(list, 0, sizeof *list);
}

static runt_bench_case runt_case_mlp(const char *family, int64_t batch, const int64_t *widths,
                                     int n, int repeat, int bias)
{
    runt_bench_case c;
    memset(&c, 0, sizeof c);
    snprintf(c.suite, sizeof c.suite, "sweep");
    snprintf(c.family, sizeof c.family, "%s", family);
    c.kind = RUNT_CASE_MLP;
    c.batch = batch;
    memcpy(c.widths, widths, (size_t)n * sizeof *widths);
    c.n_widths = n;
    c.repeat = repeat;
    c.bias = bias;
    return c;
}

static runt_status runt_suite_seeds(runt_case_list *list)
{
    static const char *const names[] = {"seed0_simple", "seed0_complex", "seed0_relu",
                                        "seed1_model1", "seed1_model2", "seed1_model3",
                                        "seed1_model4", "seed1_model5"};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        runt_bench_case c;
        memset(&c, 0, sizeof c);
        snprintf(c.suite, sizeof c.suite, "seeds");
        snprintf(c.name, sizeof c.name, "%s", names[i]);
        snprintf(c.path, sizeof c.path, "%s", names[i]);
        c.kind = RUNT_CASE_ZOO;
        c.batch = 1;
        for (int z = 0; z < runt_zoo_count(); z++)
            if (strcmp(runt_zoo_get(z)->name, names[i]) == 0)
                c.batch = runt_zoo_get(z)->default_batch;
        if (runt_case_list_push(list, &c))
            return runt_error_set(RUNT_E_OOM, "bench: out of memory");
    }
    return RUNT_OK;
}

/* Every family at batch 1 unless it sweeps the batch: the seeds' setting,
 * where latency, not throughput, is the question. */
static runt_status runt_suite_sweep(runt_case_list *list, const double cache_bytes[3])
{
    int bad = 0;
    /* width at fixed depth: 4 Linear(w, w) */
    for (int64_t w = 64; w <= 2048; w *= 2) {
        int64_t widths[1] = {w};
        runt_bench_case c = runt_case_mlp("width", 1, widths, 1, 4, 1);
        snprintf(c.name, sizeof c.name, "width_w%lld", (long long)w);
        bad |= runt_case_list_push(list, &c);
    }
    /* depth at fixed FLOPs and params: L layers of width 2048/sqrt(L), so
     * L * w^2 stays 4 Mi: 1x2048 ... 256x128 — only the node count grows. */
    for (int layers = 1; layers <= 256; layers *= 4) {
        int64_t w = (int64_t)llround(2048.0 / sqrt((double)layers));
        int64_t widths[1] = {w};
        runt_bench_case c = runt_case_mlp("depth", 1, widths, 1, layers, 1);
        snprintf(c.name, sizeof c.name, "depth_l%d_w%lld", layers, (long long)w);
        bad |= runt_case_list_push(list, &c);
    }
    /* bottleneck vs wide: 1024 -> h -> 1024 (seed1_model1's shape, scaled) */
    for (int64_t h = 4; h <= 4096; h *= 4) {
        int64_t widths[3] = {1024, h, 1024};
        runt_bench_case c = runt_case_mlp("bottleneck", 1, widths, 3, 0, 1);
        snprintf(c.name, sizeof c.name, "bottleneck_h%lld", (long long)h);
        bad |= runt_case_list_push(list, &c);
    }
    /* batch: one Linear(1024, 1024) from GEMV (1) to GEMM (1024) */
    for (int64_t b = 1; b <= 1024; b *= 2) {
        int64_t widths[2] = {1024, 1024};
        runt_bench_case c = runt_case_mlp("batch", b, widths, 2, 0, 1);
        snprintf(c.name, sizeof c.name, "batch_b%lld", (long long)b);
        bad |= runt_case_list_push(list, &c);
    }
    /* working set: a GEMV (Linear(n, n), no bias, batch 1) reads its n^2
     * weights once per run; weights from 16 KiB up by 4x to past twice the
     * last-level cache (at most 512 MiB), so the rows cross L1/L2/L3/DRAM. */
    double top = fmin(2 * cache_bytes[2], 512.0 * 1024 * 1024);
    for (double bytes = 16 * 1024.0;; bytes *= 4) {
        double b = fmin(bytes, top);
        int64_t n = (int64_t)llround(sqrt(b / 4));
        int64_t widths[2] = {n, n};
        runt_bench_case c = runt_case_mlp("wset", 1, widths, 2, 0, 0);
        snprintf(c.name, sizeof c.name, "wset_%lldk", (long long)llround(4.0 * (double)(n * n) / 1024));
        bad |= runt_case_list_push(list, &c);
        if (b >= top)
            break;
    }
    /* conv vs linear at equal FLOPs: Conv2d(C, C, 3x3) on 32x32 against the
     * Linear(9C, C) at batch 32*32 that is its im2col product: same
     * 2*9*C^2*1024 FLOPs (+ bias), different memory traffic. */
    for (int64_t ch = 16; ch <= 128; ch *= 2) {
        runt_bench_case c;
        memset(&c, 0, sizeof c);
        snprintf(c.suite, sizeof c.suite, "sweep");
        snprintf(c.family, sizeof c.family, "conv");
        snprintf(c.name, sizeof c.name, "conv_c%lld", (long long)ch);
        c.kind = RUNT_CASE_CONV;
        c.batch = 1;
        c.c_in = c.c_out = ch;
        c.k = 3;
        c.h = c.w = 32;
        bad |= runt_case_list_push(list, &c);
        int64_t widths[2] = {9 * ch, ch};
        runt_bench_case l = runt_case_mlp("conv", 32 * 32, widths, 2, 0, 1);
        snprintf(l.name, sizeof l.name, "convlin_c%lld", (long long)ch);
        bad |= runt_case_list_push(list, &l);
    }
    return bad ? runt_error_set(RUNT_E_OOM, "bench: out of memory") : RUNT_OK;
}

/* splitmix64 on integers only: the zoo is the same list on every machine
 * and compiler (no floating point decides a shape). */
static uint64_t runt_zoo_next(uint64_t *state)
{
    uint64_t z = (*state += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

#define RUNT_PICK(rng, table) ((table)[runt_zoo_next(rng) % (sizeof(table) / sizeof((table)[0]))])

static const char *runt_zoo_act_name(runt_op act)
{
    switch (act) {
    case RUNT_OP_RELU: return "relu";
    case RUNT_OP_GELU: return "gelu";
    case RUNT_OP_TANH: return "tanh";
    case RUNT_OP_LEAKY_RELU: return "leaky";
    default: return "lin";
    }
}

/* An MLP: `depth` Linear layers, in -> w -> ... -> w -> out. */
static void runt_zoo_draw_mlp(uint64_t *rng, runt_op act, runt_bench_case *c)
{
    static const int64_t ins[] = {16, 32, 64, 100, 128, 256, 512, 784, 1024};
    static const int64_t hidden[] = {32, 48, 64, 96, 128, 192, 256, 384, 512, 768, 1024, 1536};
    static const int64_t outs[] = {1, 10, 100};
    runt_zoo_net *n = &c->net;
    n->c = RUNT_PICK(rng, ins);
    int depth = 2 + (int)(runt_zoo_next(rng) % 5); /* 2..6: 1 would have no hidden width */
    int64_t w = RUNT_PICK(rng, hidden), out = RUNT_PICK(rng, outs);
    n->n_linear = depth;
    for (int i = 0; i < depth; i++)
        n->linear_out[i] = i + 1 < depth ? w : out;
    n->act = act;
    snprintf(c->name, sizeof c->name, "zoo_mlp_%s_i%lld_d%d_w%lld_o%lld", runt_zoo_act_name(act),
             (long long)n->c, depth, (long long)w, (long long)out);
}

/* A CNN: `depth` k x k 'same' convolutions of ch, 2ch, 4ch ... channels
 * (at most 128), each followed by a 2x2 max pool while the image is at
 * least 8 pixels across (as LeNet and VGG halve it), then Linear to fc (when
 * drawn) and to 10 classes. */
static void runt_zoo_draw_cnn(uint64_t *rng, runt_op act, runt_bench_case *c)
{
    static const int64_t chans[] = {1, 3}, sides[] = {8, 12, 16, 24, 28, 32},
                         base[] = {4, 8, 12, 16, 24, 32}, fcs[] = {0, 32, 64, 128};
    static const int kernels[] = {1, 3, 5};
    runt_zoo_net *n = &c->net;
    n->c = RUNT_PICK(rng, chans);
    n->h = n->w = RUNT_PICK(rng, sides);
    int depth = 1 + (int)(runt_zoo_next(rng) % 3);
    int64_t ch = RUNT_PICK(rng, base), fc = RUNT_PICK(rng, fcs);
    int k = RUNT_PICK(rng, kernels);
    n->n_convs = depth;
    int64_t side = n->h;
    for (int i = 0; i < depth; i++) {
        n->conv_out[i] = ch << i < 128 ? ch << i : 128;
        n->conv_k[i] = k;
        n->pool[i] = side >= 8;
        side /= n->pool[i] ? 2 : 1;
    }
    n->n_linear = 0;
    if (fc)
        n->linear_out[n->n_linear++] = fc;
    n->linear_out[n->n_linear++] = 10;
    n->act = act;
    snprintf(c->name, sizeof c->name, "zoo_cnn_%s_%lldx%lld_d%d_c%lld_k%d_f%lld",
             runt_zoo_act_name(act), (long long)n->c, (long long)n->h, depth, (long long)ch, k,
             (long long)fc);
}

/* Models the cost model was never tuned on: half MLPs, half CNNs, the
 * activations taken in turn so each kind meets each one equally often, the
 * rest drawn from a fixed seed. A draw whose batch-1 FLOPs exceed the
 * budget, or whose name is taken, is drawn again; the batch is drawn, then
 * halved until the run fits the budget. */
static runt_status runt_suite_zoo(runt_case_list *list)
{
    static const runt_op acts[] = {RUNT_OP_RELU, RUNT_OP_GELU, RUNT_OP_TANH, RUNT_OP_LEAKY_RELU};
    static const int64_t batches[] = {1, 1, 2, 4, 8, 16, 32, 64, 128, 256};
    uint64_t rng = 0x7A00C0DEull;
    int first = list->n;
    for (int i = 0; i < RUNT_ZOO_SUITE_MODELS; i++) {
        runt_bench_case c;
        int64_t flops;
        for (;;) {
            memset(&c, 0, sizeof c);
            snprintf(c.suite, sizeof c.suite, "zoo");
            snprintf(c.family, sizeof c.family, "%s", i % 2 ? "cnn" : "mlp");
            c.kind = RUNT_CASE_NET;
            runt_op act = acts[(i / 2) % 4];
            if (i % 2)
                runt_zoo_draw_cnn(&rng, act, &c);
            else
                runt_zoo_draw_mlp(&rng, act, &c);
            runt_zoo_net_counts(&c.net, &flops, NULL);
            int taken = 0;
            for (int j = first; j < list->n && !taken; j++)
                taken = strncmp(list->items[j].name, c.name, strlen(c.name)) == 0 &&
                        list->items[j].name[strlen(c.name)] == '_';
            if (flops <= RUNT_ZOO_SUITE_MAX_FLOPS && !taken)
                break;
        }
        c.batch = RUNT_PICK(&rng, batches);
        while (c.batch > 1 && c.batch * flops > RUNT_ZOO_SUITE_MAX_FLOPS)
            c.batch /= 2;
        size_t len = strlen(c.name);
        snprintf(c.name + len, sizeof c.name - len, "_b%lld", (long long)c.batch);
        if (runt_case_list_push(list, &c))
            return runt_error_set(RUNT_E_OOM, "bench: out of memory");
    }
    return RUNT_OK;
}

int runt_suite_known(const char *name)
{
    return name && (strcmp(name, "seeds") == 0 || strcmp(name, "sweep") == 0 ||
                    strcmp(name, "zoo") == 0 || strcmp(name, "all") == 0);
}

runt_status runt_suite_append(runt_case_list *list, const char *suite, const double cache_bytes[3])
{
    if (strcmp(suite, "seeds") == 0)
        return runt_suite_seeds(list);
    if (strcmp(suite, "sweep") == 0)
        return runt_suite_sweep(list, cache_bytes);
    if (strcmp(suite, "zoo") == 0)
        return runt_suite_zoo(list);
    if (strcmp(suite, "all") == 0) {
        runt_status rc = runt_suite_seeds(list);
        if (rc == RUNT_OK)
            rc = runt_suite_sweep(list, cache_bytes);
        return rc == RUNT_OK ? runt_suite_zoo(list) : rc;
    }
    return runt_error_set(RUNT_E_INVALID_ARG, "no suite '%s' (seeds, sweep, zoo, all)", suite);
}

runt_status runt_case_build(const runt_bench_case *c, runt_model **out)
{
    switch (c->kind) {
    case RUNT_CASE_ZOO:
        return runt_zoo_build(c->path, out);
    case RUNT_CASE_FILE:
        return runt_model_load_file(c->path, NULL, out);
    case RUNT_CASE_NET:
        return runt_zoo_build_net(&c->net, out);
    case RUNT_CASE_CONV:
        return runt_zoo_build_conv(c->c_in, c->c_out, c->k, c->h, c->w, out);
    case RUNT_CASE_MLP: {
        int n = c->n_widths + c->repeat;
        int64_t *widths = malloc((size_t)n * sizeof *widths);
        if (!widths)
            return runt_error_set(RUNT_E_OOM, "bench: out of memory");
        for (int i = 0; i < n; i++)
            widths[i] = i < c->n_widths ? c->widths[i] : c->widths[c->n_widths - 1];
        runt_status rc = runt_zoo_build_mlp(widths, n, c->bias, out);
        free(widths);
        return rc;
    }
    }
    return runt_error_set(RUNT_E_INVALID_ARG, "bench: case kind %d", (int)c->kind);
}
