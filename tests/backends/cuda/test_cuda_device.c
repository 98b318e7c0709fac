/*
 * The CUDA backend's device handling: what the probe reports (on machines
 * without a GPU or driver: unavailable, with CUDA's reason), how session
 * creation fails without a device, `runt devices`, and the "cuda:N" names.
 */
#include "cuda/cuda_lowering.h"
#ifdef RUNT_TEST_HAVE_CLI
#include "cli_harness.h"
#endif
#include "cuda_test.h"

RT_TEST(cuda_device, probe_reports_the_device_or_why_not)
{
    runt_device_info d;
    RT_ASSERT(ct_cuda_info(&d), "this build has the cuda backend, but the registry lacks it");
    RT_ASSERT(!d.host_memory, "a GPU's memory is not host memory");
    if (!d.available) {
        RT_ASSERT(d.reason[0] && strstr(d.reason, "CUDA"),
                  "unavailable without CUDA's reason: '%s'", d.reason);
        return;
    }
    RT_ASSERT(strstr(d.name, "sm_") && d.compute_units > 0 && d.memory_bytes > 0,
              "device '%s', %d SMs, %lld bytes", d.name, d.compute_units,
              (long long)d.memory_bytes);
}

RT_TEST(cuda_device, without_a_device_sessions_fail_saying_why)
{
    runt_device_info d;
    ct_cuda_info(&d);
    if (d.available) {
        RT_SKIP("a CUDA device is present (%s): this test is about machines without one", d.name);
        return;
    }
    rt_operand x = OC_IN2(RUNT_DIM_BATCH, 4);
    runt_model *m = rt_one_node(RUNT_OP_RELU, NULL, 1, &x, 1, 1);
    RT_ASSERT(m, "%s", runt_last_error());
    static const char *names[] = {"cuda", "cuda:0", "cuda:3"};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        runt_session_options o = runt_session_options_default();
        o.backend = names[i];
        runt_session *s = (runt_session *)&o; /* must be reset to NULL */
        runt_status st = runt_session_create(m, &o, &s);
        RT_ASSERT(st == RUNT_E_BACKEND && !s, "%s: %s, session %p", names[i],
                  runt_status_name(st), (void *)s);
        RT_ASSERT(strstr(runt_last_error(), "backend 'cuda' is not available") &&
                  strstr(runt_last_error(), d.reason),
                  "%s: the message names the backend and CUDA's reason: %s", names[i],
                  runt_last_error());
        size_t bytes = 0;
        st = runt_session_arena_size(m, &o, &bytes);
        RT_ASSERT(st == RUNT_E_BACKEND && strstr(runt_last_error(), d.reason),
                  "%s: arena size: %s %s", names[i], runt_status_name(st), runt_last_error());
    }
    runt_model_free(m);
}

RT_TEST(cuda_device, runt_devices_lists_cuda)
{
#ifndef RUNT_TEST_HAVE_CLI
    RT_SKIP("the runt program is not built (RUNT_TOOLS=OFF)");
#else
    runt_device_info d;
    ct_cuda_info(&d);
    /* The whole output: with a calibration of another backend cached, its
     * tables (kilobytes) come before the cuda line. */
    cli_result *r = CLI("runt", "devices");
    RT_ASSERT(r->status == 0, "runt devices exited %d", r->status);
    const char *line = strstr(r->out, "cuda");
    RT_ASSERT(line, "runt devices does not list cuda:\n%s", r->out);
    if (!d.available)
        RT_ASSERT(strstr(line, "unavailable") && strstr(line, d.reason),
                  "runt devices does not say why cuda is unavailable:\n%s", r->out);
#endif
}

RT_TEST(cuda_device, device_names)
{
    struct { const char *name; int device; } good[] = {
        {"cuda", -1}, {NULL, -1}, {"cuda:0", 0}, {"cuda:7", 7}, {"cuda:2147483647", 2147483647},
    };
    for (size_t i = 0; i < sizeof good / sizeof good[0]; i++) {
        int dev = -5;
        RT_ASSERT(runt_cuda_parse_device(good[i].name, &dev) == RUNT_OK && dev == good[i].device,
                  "'%s': %d (%s)", good[i].name ? good[i].name : "(null)", dev, runt_last_error());
    }
    static const char *bad[] = {"cuda:", "cuda:-1", "cuda:+1", "cuda: 1", "cuda:1x", "cuda:0x1",
                                "cuda:2147483648", "cuda:99999999999999999999", "cud", "cudax",
                                "gpu:0", ""};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        int dev = -5;
        runt_status s = runt_cuda_parse_device(bad[i], &dev);
        RT_ASSERT(s == RUNT_E_INVALID_ARG && dev == -5 && strstr(runt_last_error(), bad[i]) &&
                  strstr(runt_last_error(), "cuda:N"),
                  "'%s': %s, '%s'", bad[i], runt_status_name(s), runt_last_error());
    }
    RT_ASSERT(runt_cuda_parse_device("cuda", NULL) == RUNT_E_INVALID_ARG, "NULL device pointer");
}

RT_TEST(cuda_device, a_device_that_does_not_exist_is_refused)
{
    CT_REQUIRE_GPU();
    rt_operand x = OC_IN2(RUNT_DIM_BATCH, 4);
    runt_model *m = rt_one_node(RUNT_OP_RELU, NULL, 1, &x, 1, 1);
    RT_ASSERT(m, "%s", runt_last_error());
    static const char *names[] = {"cuda:4096", "cuda:x"};
    for (size_t i = 0; i < 2; i++) {
        runt_session_options o = runt_session_options_default();
        o.backend = names[i];
        runt_session *s = NULL;
        runt_status st = runt_session_create(m, &o, &s);
        RT_ASSERT(st == RUNT_E_INVALID_ARG && !s && strstr(runt_last_error(), names[i]),
                  "%s: %s %s", names[i], runt_status_name(st), runt_last_error());
    }
    runt_model_free(m);
}
