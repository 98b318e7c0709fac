/* A model is immutable once built: sessions on several threads may share it,
 * and each thread keeps its own error message. */
#if !defined(RUNT_BARE_METAL)
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "rt_test.h"
#include "runt.h"
#include "test_util.h"

typedef struct worker {
    const runt_model *model;
    const float *x;
    float y[4 * 3];
    int ok;
    char error[256];
} worker;

static void *work(void *arg)
{
    worker *w = arg;
    runt_session_options o = runt_session_options_default();
    o.backend = "ref";
    o.batch = 4;
    runt_session *s;
    if (runt_session_create(w->model, &o, &s) != RUNT_OK)
        return NULL;
    int64_t xd[2] = {4, 6}, yd[2] = {4, 3};
    runt_tensor tx = rt_tensor_f32((float *)w->x, 2, xd), ty = rt_tensor_f32(w->y, 2, yd);
    w->ok = 1;
    for (int i = 0; i < 200 && w->ok; i++)
        w->ok = runt_session_run(s, &tx, 1, &ty, 1) == RUNT_OK;
    /* An error on this thread must not show on the other one. */
    runt_session_run(s, &tx, 0, &ty, 1);
    snprintf(w->error, sizeof w->error, "%s", runt_last_error());
    runt_session_free(s);
    return NULL;
}

RT_TEST(threads, sessions_share_a_model)
{
    rt_rng r = rt_rng_make(41);
    float wt[18], bias[3], x[24];
    rt_fill_uniform(&r, wt, 18, -1, 1);
    rt_fill_uniform(&r, bias, 3, -1, 1);
    rt_fill_uniform(&r, x, 24, -1, 1);
    runt_builder *b;
    runt_value_id in, y;
    int64_t dims[2] = {RUNT_DIM_BATCH, 6};
    RT_ASSERT(runt_builder_create(NULL, &b) == RUNT_OK, "%s", runt_last_error());
    RT_ASSERT(runt_builder_input(b, "x", RUNT_F32, 2, dims, &in) == RUNT_OK, "%s", runt_last_error());
    RT_ASSERT(runt_builder_linear(b, in, 6, 3, wt, bias, &y) == RUNT_OK, "%s", runt_last_error());
    RT_ASSERT(runt_builder_unary(b, RUNT_OP_TANH, y, NULL, &y) == RUNT_OK, "%s", runt_last_error());
    RT_ASSERT(runt_builder_output(b, y, "y") == RUNT_OK, "%s", runt_last_error());
    runt_model *m;
    RT_ASSERT(runt_builder_finish(b, &m) == RUNT_OK, "%s", runt_last_error());
    worker w[2];
    pthread_t t[2];
    for (int i = 0; i < 2; i++) {
        memset(&w[i], 0, sizeof w[i]);
        w[i].model = m;
        w[i].x = x;
        RT_ASSERT(pthread_create(&t[i], NULL, work, &w[i]) == 0, "pthread_create");
    }
    for (int i = 0; i < 2; i++)
        pthread_join(t[i], NULL);
    RT_ASSERT(w[0].ok && w[1].ok, "both threads ran");
    RT_ASSERT(memcmp(w[0].y, w[1].y, sizeof w[0].y) == 0, "same model, same input, same output");
    RT_ASSERT(strstr(w[0].error, "inputs") && strstr(w[1].error, "inputs"), "each thread has its message");
    RT_ASSERT(!strstr(runt_last_error(), "got 0 inputs"), "the main thread's message is its own: %s",
              runt_last_error());
    runt_model_free(m);
}
#endif
