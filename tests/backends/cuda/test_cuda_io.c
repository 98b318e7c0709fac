/*
 * Inputs and outputs of a CUDA session (backend interface v2): pageable
 * buffers through the session's page-locked staging, page-locked and device
 * buffers copied directly (runt_session_run_in); all give the same outputs
 * as the reference, from the first run on (prepare ran and captured the
 * plan once already). Skips, saying why, without a GPU.
 */
#include <cuda_runtime_api.h>

#include "cuda_test.h"

static double error_vs(const float *got, const float *want, size_t n)
{
    double *w = malloc(n * sizeof *w);
    for (size_t i = 0; i < n; i++)
        w[i] = want[i];
    double e = rt_norm_max_error(got, w, n, 1e-6);
    free(w);
    return e;
}

RT_TEST(cuda_io, pageable_pinned_and_device_buffers_give_the_same_outputs)
{
    CT_REQUIRE_GPU();
    static const int64_t widths[4] = {300, 200, 100, 10};
    runt_model *m = rt_mlp3(NULL, widths, RUNT_OP_RELU, NULL, 81);
    RT_ASSERT(m, "%s", runt_last_error());
    const int64_t batch = 33;
    size_t nx = (size_t)(batch * widths[0]), ny = (size_t)(batch * widths[3]);
    float *x = malloc(nx * sizeof *x), *want = malloc(ny * sizeof *want);
    float *y = rt_guarded_alloc(ny);
    rt_rng r = rt_rng_make(82);
    rt_fill_uniform(&r, x, nx, -1, 1);
    int64_t xd[2] = {batch, widths[0]}, yd[2] = {batch, widths[3]};

    runt_session_options o = runt_session_options_default();
    o.backend = "ref";
    o.batch = batch;
    runt_session *s;
    RT_ASSERT(runt_session_create(m, &o, &s) == RUNT_OK, "%s", runt_last_error());
    runt_tensor tx = rt_tensor_f32(x, 2, xd), ty = rt_tensor_f32(want, 2, yd);
    RT_ASSERT(runt_session_run(s, &tx, 1, &ty, 1) == RUNT_OK, "%s", runt_last_error());
    runt_session_free(s);

    o.backend = "cuda";
    RT_ASSERT(runt_session_create(m, &o, &s) == RUNT_OK, "%s", runt_last_error());
    /* Pageable, twice: the first run is already a replay. */
    for (int run = 0; run < 2; run++) {
        memset(y, 0xff, ny * sizeof *y);
        ty = rt_tensor_f32(y, 2, yd);
        RT_ASSERT(runt_session_run(s, &tx, 1, &ty, 1) == RUNT_OK, "%s", runt_last_error());
        RT_ASSERT(error_vs(y, want, ny) <= CT_BOUND_F32, "pageable run %d: %g", run,
                  error_vs(y, want, ny));
        RT_ASSERT(rt_guard_intact(y, ny), "wrote past the output");
    }
    /* Page-locked. */
    float *px = NULL, *py = NULL;
    RT_ASSERT(cudaMallocHost((void **)&px, nx * sizeof *px) == cudaSuccess &&
                  cudaMallocHost((void **)&py, ny * sizeof *py) == cudaSuccess, "cudaMallocHost");
    memcpy(px, x, nx * sizeof *px);
    memset(py, 0xff, ny * sizeof *py);
    runt_tensor ptx = rt_tensor_f32(px, 2, xd), pty = rt_tensor_f32(py, 2, yd);
    RT_ASSERT(runt_session_run_in(s, RUNT_MEMORY_HOST_PINNED, &ptx, 1, &pty, 1) == RUNT_OK, "%s",
              runt_last_error());
    RT_ASSERT(error_vs(py, want, ny) <= CT_BOUND_F32, "pinned: %g", error_vs(py, want, ny));
    /* On the device. */
    float *dx = NULL, *dy = NULL;
    RT_ASSERT(cudaMalloc((void **)&dx, nx * sizeof *dx) == cudaSuccess &&
                  cudaMalloc((void **)&dy, ny * sizeof *dy) == cudaSuccess, "cudaMalloc");
    RT_ASSERT(cudaMemcpy(dx, x, nx * sizeof *dx, cudaMemcpyHostToDevice) == cudaSuccess &&
                  cudaMemset(dy, 0xff, ny * sizeof *dy) == cudaSuccess, "cudaMemcpy");
    runt_tensor dtx = rt_tensor_f32(dx, 2, xd), dty = rt_tensor_f32(dy, 2, yd);
    RT_ASSERT(runt_session_run_in(s, RUNT_MEMORY_DEVICE, &dtx, 1, &dty, 1) == RUNT_OK, "%s",
              runt_last_error());
    memset(y, 0xff, ny * sizeof *y);
    RT_ASSERT(cudaMemcpy(y, dy, ny * sizeof *dy, cudaMemcpyDeviceToHost) == cudaSuccess, "copy back");
    RT_ASSERT(error_vs(y, want, ny) <= CT_BOUND_F32, "device: %g", error_vs(y, want, ny));
    double us = -1;
    RT_ASSERT(runt_session_last_run_us(s, &us) == RUNT_OK && us > 0, "device time %g", us);
    runt_session_free(s);
    cudaFree(dx), cudaFree(dy), cudaFreeHost(px), cudaFreeHost(py);
    rt_guarded_free(y);
    free(x), free(want);
    runt_model_free(m);
}

RT_TEST(cuda_io, the_first_run_matches_later_ones_in_every_mode)
{
    CT_REQUIRE_GPU();
    static const int64_t widths[4] = {64, 128, 64, 8};
    runt_model *m = rt_mlp3(NULL, widths, RUNT_OP_TANH, NULL, 83);
    RT_ASSERT(m, "%s", runt_last_error());
    for (int mode = 0; mode < 4; mode++) {
        /* graphs on / off, f32 / int8 */
        oc_config a = oc_config_make("cuda", 4), b = oc_config_make("cuda", 4);
        a.cuda_graphs = b.cuda_graphs = mode & 1;
        a.dtype = b.dtype = mode & 2 ? RUNT_I8 : RUNT_F32;
        a.runs = 1, b.runs = 4;
        int same = 0;
        double e = oc_compare(m, &a, &b, 84, &same);
        RT_ASSERT(same, "mode %d: the first run differs from the fourth (%g)", mode, e);
    }
    runt_model_free(m);
}
