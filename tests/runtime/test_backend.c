/* The backend front end (runtime/backend.c) and registry, through a mock
 * backend with "device" memory: the session must leave the arena and the
 * copies of inputs and outputs to the backend, report the backend's device
 * time, refuse device-memory I/O on host backends, and turn a backend's
 * failure into a status naming the backend. */
#include <stdlib.h>
#include <string.h>

#include "ref/ref_impl.h"
#include "rt_test.h"
#include "runt-backend.h"
#include "test_util.h"

static rt_mock_device mock;

static void register_mock(void)
{
    RT_ASSERT(rt_mock_device_register(&mock, "mockstage") == RUNT_OK, "%s", runt_last_error());
}

static void reset_mock(void)
{
    mock.copies_in = mock.copies_out = mock.fail_execute = 0;
    mock.device_us = 1234.5; /* stands for a device-event measurement */
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

RT_TEST(backend, a_device_backend_keeps_its_arena_and_copies_io)
{
    register_mock();
    reset_mock();
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
    RT_ASSERT(mock.live_arenas == 0, "the arena was made at prepare and freed at release (%d "
              "left)", mock.live_arenas);
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
    reset_mock();
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
    RT_ASSERT(runt_backend_register(&mock.iface, &mock) == RUNT_E_INVALID_ARG, "twice");
    RT_ASSERT(runt_backend_register(NULL, NULL) == RUNT_E_INVALID_ARG, "NULL");
    runt_backend_i bad = mock.iface;
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

RT_TEST(backend, io_memory_kinds_are_checked)
{
    register_mock();
    reset_mock();
    rt_rng r = rt_rng_make(67);
    float w[12], bias[3], x[4], y_pinned[3], y_host[3];
    rt_fill_uniform(&r, w, 12, -1, 1);
    rt_fill_uniform(&r, bias, 3, -1, 1);
    rt_fill_uniform(&r, x, 4, -1, 1);
    runt_model *m = small_model(w, bias);
    int64_t xd[2] = {1, 4}, yd[2] = {1, 3};
    runt_tensor tx = rt_tensor_f32(x, 2, xd);
    runt_tensor th = rt_tensor_f32(y_host, 2, yd), tp = rt_tensor_f32(y_pinned, 2, yd);

    runt_session_options o = runt_session_options_default();
    o.backend = "ref";
    runt_session *s;
    RT_ASSERT(runt_session_create(m, &o, &s) == RUNT_OK, "%s", runt_last_error());
    RT_ASSERT(runt_session_run_in(s, RUNT_MEMORY_DEVICE, &tx, 1, &th, 1) == RUNT_E_INVALID_ARG &&
                  strstr(runt_last_error(), "device memory") && strstr(runt_last_error(), "ref"),
              "device memory on a host backend is refused by name: %s", runt_last_error());
    RT_ASSERT(runt_session_run_in(s, (runt_memory)7, &tx, 1, &th, 1) == RUNT_E_INVALID_ARG &&
                  strstr(runt_last_error(), "memory kind 7"), "%s", runt_last_error());
    RT_ASSERT(runt_session_run_in(s, RUNT_MEMORY_HOST_PINNED, &tx, 1, &tp, 1) == RUNT_OK,
              "pinned memory is host memory to a host backend: %s", runt_last_error());
    RT_ASSERT(runt_session_run(s, &tx, 1, &th, 1) == RUNT_OK, "%s", runt_last_error());
    RT_ASSERT(memcmp(y_host, y_pinned, sizeof y_host) == 0, "same run, same result");
    runt_session_free(s);

    o.backend = "mockstage";
    RT_ASSERT(runt_session_create(m, &o, &s) == RUNT_OK, "%s", runt_last_error());
    RT_ASSERT(runt_session_run_in(s, RUNT_MEMORY_DEVICE, &tx, 1, &tp, 1) == RUNT_OK,
              "a device backend takes device memory: %s", runt_last_error());
    RT_ASSERT(memcmp(y_host, y_pinned, sizeof y_host) == 0, "the device's result equals ref's");
    runt_session_free(s);
    runt_model_free(m);
}
