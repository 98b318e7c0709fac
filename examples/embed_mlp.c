/*
 * Embedding runt: build a small MLP in C, run it on the best available
 * backend, print the result and where the time went. Build with the project
 * (build/example_embed_mlp), or against an installed runt:
 *   cc embed_mlp.c $(pkg-config --cflags --libs runt)
 */
#include <stdio.h>
#include <stdlib.h>

#include "runt.h"

#define CHECK(call)                                                                 \
    do {                                                                            \
        if ((call) != RUNT_OK) {                                                    \
            fprintf(stderr, "%s failed: %s\n", #call, runt_last_error());          \
            return 1;                                                               \
        }                                                                           \
    } while (0)

int main(void)
{
    enum { IN = 784, HIDDEN = 128, OUT = 10, BATCH = 4 };
    static float w1[HIDDEN * IN], b1[HIDDEN], w2[OUT * HIDDEN], b2[OUT];
    static float input[BATCH * IN], logits[BATCH * OUT];
    srand(1);
    for (int i = 0; i < HIDDEN * IN; i++) w1[i] = (rand() / (float)RAND_MAX - 0.5f) * 0.07f;
    for (int i = 0; i < OUT * HIDDEN; i++) w2[i] = (rand() / (float)RAND_MAX - 0.5f) * 0.18f;
    for (int i = 0; i < HIDDEN; i++) b1[i] = 0.01f;
    for (int i = 0; i < OUT; i++) b2[i] = 0.0f;
    for (int i = 0; i < BATCH * IN; i++) input[i] = rand() / (float)RAND_MAX;

    runt_builder *b;
    runt_value_id x, h, y;
    int64_t dims[2] = {RUNT_DIM_BATCH, IN};
    CHECK(runt_builder_create(NULL, &b));
    CHECK(runt_builder_input(b, "x", RUNT_F32, 2, dims, &x));
    CHECK(runt_builder_linear(b, x, IN, HIDDEN, w1, b1, &h));
    CHECK(runt_builder_unary(b, RUNT_OP_RELU, h, NULL, &h));
    CHECK(runt_builder_linear(b, h, HIDDEN, OUT, w2, b2, &y));
    CHECK(runt_builder_output(b, y, "logits"));
    runt_model *model;
    CHECK(runt_builder_finish(b, &model));

    runt_session_options o = runt_session_options_default();
    o.batch = BATCH;
    runt_session *s;
    CHECK(runt_session_create(model, &o, &s));

    runt_tensor in = {.dtype = RUNT_F32, .ndim = 2, .dims = {BATCH, IN}, .data = input};
    runt_tensor out = {.dtype = RUNT_F32, .ndim = 2, .dims = {BATCH, OUT}, .data = logits};
    CHECK(runt_session_run(s, &in, 1, &out, 1));

    for (int r = 0; r < BATCH; r++) {
        int best = 0;
        for (int c = 1; c < OUT; c++)
            if (logits[r * OUT + c] > logits[r * OUT + best])
                best = c;
        printf("row %d: class %d (logit %.4f)\n", r, best, logits[r * OUT + best]);
    }
    runt_session_stats st;
    double us;
    CHECK(runt_session_stats_get(s, &st));
    CHECK(runt_session_last_run_us(s, &us));
    printf("%d nodes after fusion, %lld FLOPs, arena %zu bytes (naive %zu), last run %.1f us\n",
           st.n_nodes, (long long)st.total.flops, st.arena_bytes, st.naive_arena_bytes, us);
    runt_session_free(s);
    runt_model_free(model);
    return 0;
}
