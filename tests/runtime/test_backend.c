/* The backend front end (runtime/backend.c) and registry, through a mock
 * backend with "device" memory: the session must stage inputs and outputs
 * through the vtable's copies, report the backend's device time, and turn a
 * backend's failure into a status naming the backend. */
#include <stdlib.h>
#include <string.h>

#include "ref/ref_impl.h"
#include "rt_test.h"
#include "runt-backend.h"
#include "test_util.h"

typedef struct mock_device {
    int copies_in, copies_out, buffers, fail_execute;
} mock_device;

static mock_device mock;

static runt_status mock_probe(void *ctx, runt_device_info *info)
{
    (void)ctx;
    snprintf(info->name, sizeof info->name, "mock device");
    info->available = 1;
    info->host_memory = 0;
    info->compute_units = 1;
    return RUNT_OK;
}

static runt_status mock_alloc(void *ctx, size_t size, void **out)
{
    mock_device *m = ctx;
    *out = malloc(size);
    m->buffers += *out != NULL;
    return *out ? RUNT_OK : runt_error_set(RUNT_E_OOM, "mock: no memory");
}

static void mock_free(void *ctx, void *p)
{
    mock_device *m = ctx;
    m->buffers--;
    free(p);
}

static runt_status mock_to_device(void *ctx, void *dst, const void *src, size_t n)
{
    ((mock_device *)ctx)->copies_in++;
    memcpy(dst, src, n);
    return RUNT_OK;
}

static runt_status mock_to_host(void *ctx, void *dst, const void *src, size_t n)
{
    ((mock_device *)ctx)->copies_out++;
    memcpy(dst, src, n);
    return RUNT_OK;
}

static runt_status mock_prepare(void *ctx, const runt_plan *plan, const runt_session_options *o,
                                void **state)
{
    (void)o;
    for (int v = 0; v < plan->n_values; v++)
        if (plan->values[v].storage == RUNT_STORE_INPUT || plan->values[v].storage == RUNT_STORE_OUTPUT)
            return runt_error_set(RUNT_E_BACKEND, "mock: value '%s' bound to host memory",
                                  plan->values[v].name);
    *state = ctx;
    return RUNT_OK;
}

static runt_status mock_execute(void *state, const runt_plan *plan, const runt_bindings *b)
{
    mock_device *m = state;
    if (m->fail_execute)
        return runt_error_set(RUNT_E_BACKEND, "mock: the device fell over");
    for (int i = 0; i < plan->n_nodes; i++) {
        runt_status s = runt_ref_run_node(plan, i, b);
        if (s != RUNT_OK)
            return s;
    }
    return RUNT_OK;
}

static runt_status mock_last_run(void *state, double *us)
{
    (void)state;
    *us = 1234.5; /* stands for a device-event measurement */
    return RUNT_OK;
}

static const runt_backend_i mock_backend = {
    /* .name           = */ "mockstage",
    /* .probe          = */ mock_probe,
    /* .buffer_alloc   = */ mock_alloc,
    /* .buffer_free    = */ mock_free,
    /* .copy_to_device = */ mock_to_device,
    /* .copy_to_host   = */ mock_to_host,
    /* .supports_node  = */ NULL,
    /* .prepare        = */ mock_prepare,
    /* .execute        = */ mock_execute,
    /* .synchronize    = */ NULL,
    /* .last_run_us    = */ mock_last_run,
    /* .launch_count   = */ NULL,
    /* .release        = */ NULL,
};

static void register_mock(void)
{
    runt_status s = runt_backend_register(&mock_backend, &mock);
    RT_ASSERT(s == RUNT_OK || strstr(runt_last_error(), "registered already"), "register: %s",
              runt_last_error());
}

static runt_model *small_model(float *w, float *bias)
{
    runt_builder *b;
    runt_value_id x, y;
    int64_t dims[2] = {RUNT_DIM_BATCH, 4};
    RT_ASSERT(runt_builder_create(NULL, &b) == RUNT_OK, "%s", runt_last_error());
    RT_ASSERT(runt_builder_input(b, "x", RUNT_F32, 2, dims, &x) == RUNT_OK, "%s", runt_last_error());
    RT_ASSERT(runt_builder_linear(b, x, 4, 3, w, bias, &y) == RUNT_OK, "%s", runt_last_error());
    RT_ASSERT(runt_builder_unary(b, RUNT_OP_RELU, y, NULL, &y) == RUNT_OK, "%s", runt_last_error());
    RT_ASSERT(runt_builder_output(b, y, "y") == RUNT_OK, "%s", runt_last_error());
    runt_model *m;
    RT_ASSERT(runt_builder_finish(b, &m) == RUNT_OK, "%s", runt_last_error());
    return m;
}

RT_TEST(backend, device_memory_is_staged_through_the_vtable)
{
    register_mock();
    memset(&mock, 0, sizeof mock);
    rt_rng r = rt_rng_make(61);
    float w[12], bias[3], x[8], y_dev[6], y_ref[6];
    rt_fill_uniform(&r, w, 12, -1, 1);
    rt_fill_uniform(&r, bias, 3, -1, 1);
    rt_fill_uniform(&r, x, 8, -1, 1);
    runt_model *m = small_model(w, bias);
    int64_t xd[2] = {2, 4}, yd[2] = {2, 3};
    runt_tensor tx = rt_tensor_f32(x, 2, xd);
    const char *names[2] = {"mockstage", "ref"};
    float *ys[2] = {y_dev, y_ref};
    for (int i = 0; i < 2; i++) {
        runt_session_options o = runt_session_options_default();
        o.backend = names[i];
        o.batch = 2;
        runt_session *s;
        RT_ASSERT(runt_session_create(m, &o, &s) == RUNT_OK, "%s: %s", names[i], runt_last_error());
        runt_tensor ty = rt_tensor_f32(ys[i], 2, yd);
        RT_ASSERT(runt_session_run(s, &tx, 1, &ty, 1) == RUNT_OK, "%s: %s", names[i], runt_last_error());
        double us = 0;
        RT_ASSERT(runt_session_last_run_us(s, &us) == RUNT_OK, "%s", runt_last_error());
        if (i == 0)
            RT_ASSERT(us == 1234.5, "the device's own time is reported, got %g", us);
        else
            RT_ASSERT(us >= 0, "host time %g", us);
        runt_session_free(s);
    }
    RT_ASSERT(mock.copies_in == 1 && mock.copies_out == 1, "one copy each way: %d in, %d out",
              mock.copies_in, mock.copies_out);
    RT_ASSERT(mock.buffers == 0, "the arena was allocated and freed on the device (%d left)",
              mock.buffers);
    RT_ASSERT(memcmp(y_dev, y_ref, sizeof y_dev) == 0, "same kernels, same result");

    runt_session_options o = runt_session_options_default();
    o.backend = "mockstage";
    char arena[256];
    o.arena = arena;
    o.arena_size = sizeof arena;
    runt_session *s;
    RT_ASSERT(runt_session_create(m, &o, &s) == RUNT_E_INVALID_ARG, "no caller arena on a device");
    runt_model_free(m);
}

RT_TEST(backend, a_backend_failure_names_the_backend)
{
    register_mock();
    memset(&mock, 0, sizeof mock);
    mock.fail_execute = 1;
    float w[12] = {1}, bias[3] = {1}, x[4] = {1, 2, 3, 4}, y[3];
    runt_model *m = small_model(w, bias);
    runt_session_options o = runt_session_options_default();
    o.backend = "mockstage:0";
    runt_session *s;
    RT_ASSERT(runt_session_create(m, &o, &s) == RUNT_OK, "'name:N' finds the backend: %s",
              runt_last_error());
    int64_t xd[2] = {1, 4}, yd[2] = {1, 3};
    runt_tensor tx = rt_tensor_f32(x, 2, xd), ty = rt_tensor_f32(y, 2, yd);
    RT_ASSERT(runt_session_run(s, &tx, 1, &ty, 1) == RUNT_E_BACKEND, "failure propagates");
    RT_ASSERT(strstr(runt_last_error(), "mockstage") && strstr(runt_last_error(), "fell over"),
              "message: %s", runt_last_error());
    runt_session_free(s);
    runt_model_free(m);
}

RT_TEST(backend, registration_is_checked)
{
    register_mock();
    RT_ASSERT(runt_backend_register(&mock_backend, &mock) == RUNT_E_INVALID_ARG, "twice");
    RT_ASSERT(runt_backend_register(NULL, NULL) == RUNT_E_INVALID_ARG, "NULL");
    runt_backend_i bad = mock_backend;
    bad.name = "bad:name";
    RT_ASSERT(runt_backend_register(&bad, NULL) == RUNT_E_INVALID_ARG, "colon in name");
    bad.name = "other";
    bad.execute = NULL;
    RT_ASSERT(runt_backend_register(&bad, NULL) == RUNT_E_INVALID_ARG, "no execute");
    int n, found = 0;
    RT_ASSERT(runt_backend_count(&n) == RUNT_OK, "%s", runt_last_error());
    for (int i = 0; i < n; i++) {
        runt_device_info d;
        RT_ASSERT(runt_backend_info(i, &d) == RUNT_OK, "%s", runt_last_error());
        if (strcmp(d.backend, "mockstage") == 0)
            found = !d.host_memory && i >= 1; /* after the built-in ref */
    }
    RT_ASSERT(found, "the registered backend is listed after the built-in ones");
}
