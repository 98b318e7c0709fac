/*
 * Whole models on the CPU backend: an MLP with every activation (fused into
 * the GEMM epilogue and not), a small conv net with batch norm, pooling and
 * softmax, against the reference backend (cpu_compare.h); and the session
 * contract: caller arenas, no allocation in a run, allocation failure at
 * every point of prepare, profiling, refused modes, the probe.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "cpu_compare.h"
#include "cpu_models.h"

RT_TEST(cpu_models, mlp_every_activation_fused_and_unfused)
{
    CPU_REQUIRE();
    static const int64_t widths[][4] = {{37, 64, 31, 5}, {300, 257, 129, 10}, {1000, 1000, 100, 1}};
    for (size_t a = 0; a < RT_N_ACTIVATIONS; a++)
        for (size_t w = 0; w < 3; w++) {
            runt_model *m = rt_activation_mlp(widths[w], a, 40 + a);
            RT_ASSERT(m, "mlp: %s", runt_last_error());
            char label[64];
            snprintf(label, sizeof label, "MLP %s widths %zu", runt_op_name(rt_activations[a].op), w);
            for (int fuse = 0; fuse <= 1; fuse++) {
                cmp_check(m, 1, fuse, BOUND_F32, 50 + a, label);
                if (w < 2)
                    cmp_check(m, 7, fuse, BOUND_F32, 60 + a, label);
            }
            runt_model_free(m);
        }
}

RT_TEST(cpu_models, conv_net_matches_reference)
{
    CPU_REQUIRE();
    runt_model *m = rt_conv_net(NULL, 32, 30, 7);
    RT_ASSERT(m, "conv net: %s", runt_last_error());
    for (int fuse = 0; fuse <= 1; fuse++) {
        cmp_check(m, 1, fuse, BOUND_F32, 70, "conv net");
        cmp_check(m, 4, fuse, BOUND_F32, 71, "conv net");
    }
    runt_model_free(m);
}

/* One run of a one-input, one-output session into a guarded buffer. */
static float *run_once(runt_session *s, const float *x)
{
    runt_tensor ti, to;
    RT_ASSERT(runt_session_input_desc(s, 0, &ti) == RUNT_OK, "%s", runt_last_error());
    RT_ASSERT(runt_session_output_desc(s, 0, &to) == RUNT_OK, "%s", runt_last_error());
    size_t n = (size_t)runt_tensor_count(&to);
    float *y = rt_guarded_alloc(n);
    ti.data = (void *)x;
    to.data = y;
    RT_ASSERT(runt_session_run(s, &ti, 1, &to, 1) == RUNT_OK, "run: %s", runt_last_error());
    RT_ASSERT(rt_guard_intact(y, n), "wrote past the output");
    return y;
}

static runt_session *cpu_session(const runt_model *m, int64_t batch, const runt_allocator *a,
                                 int profile)
{
    runt_session_options o = runt_session_options_default();
    o.backend = "cpu";
    o.batch = batch;
    o.allocator = a;
    o.profile = profile;
    runt_session *s = NULL;
    RT_ASSERT(runt_session_create(m, &o, &s) == RUNT_OK, "cpu session: %s", runt_last_error());
    return s;
}

RT_TEST(cpu_models, caller_arena_gives_the_same_result)
{
    CPU_REQUIRE();
    runt_model *m = rt_conv_net(NULL, 32, 30, 8);
    RT_ASSERT(m, "%s", runt_last_error());
    runt_session_options o = runt_session_options_default();
    o.backend = "cpu";
    o.batch = 2;
    size_t need = 0;
    RT_ASSERT(runt_session_arena_size(m, &o, &need) == RUNT_OK && need > 0, "arena %zu", need);
    enum { GUARD = 256 };
    unsigned char *arena = aligned_alloc(64, (need + GUARD + 63) / 64 * 64);
    memset(arena, 0xFF, need); /* NaN bytes: nothing may read the arena before writing it */
    memset(arena + need, 0x5A, GUARD);
    o.arena = arena;
    o.arena_size = need;
    runt_session *own = cpu_session(m, 2, NULL, 0), *given = NULL;
    RT_ASSERT(runt_session_create(m, &o, &given) == RUNT_OK, "%s", runt_last_error());
    runt_session_stats st;
    RT_ASSERT(runt_session_stats_get(given, &st) == RUNT_OK, "%s", runt_last_error());
    /* The convs' im2col or padded copies are scratch. */
    RT_ASSERT(st.scratch_bytes > 0 && st.session_arena_bytes == need &&
                  st.session_arena_bytes >= st.arena_bytes + st.scratch_bytes,
              "arena %zu = values %zu + scratch %zu (asked %zu)", st.session_arena_bytes,
              st.arena_bytes, st.scratch_bytes, need);
    float x[2 * 3 * 32 * 30];
    rt_rng r = rt_rng_make(9);
    rt_fill_uniform(&r, x, sizeof x / sizeof x[0], -1, 1);
    float *a = run_once(own, x), *b = run_once(given, x);
    RT_ASSERT(memcmp(a, b, 2 * 10 * sizeof(float)) == 0, "caller arena changed the result");
    for (int i = 0; i < GUARD; i++)
        RT_ASSERT(arena[need + i] == 0x5A, "byte %d past the caller arena was written", i);
    for (int i = 0; i < 20; i++)
        RT_ASSERT(isfinite(a[i]), "output %d is %g", i, a[i]);
    rt_guarded_free(a);
    rt_guarded_free(b);
    runt_session_free(own);
    runt_session_free(given);
    free(arena);
    runt_model_free(m);
}

/* Two sessions of one model at the same options pack every weight once:
 * the second takes nothing more from the model's allocator, computes the
 * same, and keeps working when the first is gone. int8, whose weights are
 * always quantized (and at VNNI packed for the direct conv too), and f32,
 * whose weights are packed at the AVX-512 tier and read as stored below it
 * when OpenBLAS runs the GEMMs. */
RT_TEST(cpu_models, sessions_of_a_model_share_packed_weights)
{
    CPU_REQUIRE();
    rt_counting c = {0, 0, -1};
    runt_allocator a = {rt_counting_alloc, rt_counting_free, &c};
    runt_model *m = rt_conv_net(&a, 32, 30, 12);
    RT_ASSERT(m, "%s", runt_last_error());
    float x[2 * 3 * 32 * 30];
    rt_rng r = rt_rng_make(13);
    rt_fill_uniform(&r, x, sizeof x / sizeof x[0], -1, 1);
    static const runt_dtype dtypes[2] = {RUNT_F32, RUNT_I8};
    for (int d = 0; d < 2; d++) {
        runt_session_options o = runt_session_options_default();
        o.backend = "cpu";
        o.batch = 2;
        o.compute_dtype = dtypes[d];
        runt_cpu_options cpu = runt_cpu_options_default();
        cpu.int8_min_weights = 1; /* every layer int8, however small */
        o.backend_options = &cpu.base;
        runt_session *s1 = NULL, *s2 = NULL;
        long base = c.allocs - c.frees;
        RT_ASSERT(runt_session_create(m, &o, &s1) == RUNT_OK, "%s", runt_last_error());
        long packed = c.allocs - c.frees - base;
        long allocs = c.allocs;
        RT_ASSERT(runt_session_create(m, &o, &s2) == RUNT_OK, "%s", runt_last_error());
        RT_ASSERT((packed > 0 || dtypes[d] == RUNT_F32) && c.allocs == allocs,
                  "%s: the first session packed into %ld buffers of the model's, the second "
                  "%ld more", runt_dtype_name(dtypes[d]), packed, c.allocs - allocs);
        runt_session_stats st1, st2;
        RT_ASSERT(runt_session_stats_get(s1, &st1) == RUNT_OK &&
                      runt_session_stats_get(s2, &st2) == RUNT_OK, "%s", runt_last_error());
        RT_ASSERT((packed == 0 || st1.backend_weight_bytes > 0) &&
                      st1.backend_weight_bytes == st2.backend_weight_bytes,
                  "each reports the weights it reads: %zu and %zu", st1.backend_weight_bytes,
                  st2.backend_weight_bytes);
        float *y1 = run_once(s1, x);
        runt_session_free(s1);
        float *y2 = run_once(s2, x);
        RT_ASSERT(memcmp(y1, y2, 2 * 12 * sizeof(float)) == 0,
                  "%s: the sharing session computes the same after the first is freed",
                  runt_dtype_name(dtypes[d]));
        runt_session_free(s2);
        RT_ASSERT(c.allocs - c.frees == base, "%s: the last session gave the weights back "
                  "(%ld buffers left)", runt_dtype_name(dtypes[d]), c.allocs - c.frees - base);
        rt_guarded_free(y1);
        rt_guarded_free(y2);
    }
    runt_model_free(m);
}

RT_TEST(cpu_models, run_allocates_nothing_and_profiles)
{
    CPU_REQUIRE();
    rt_counting c = {0, 0, -1};
    runt_allocator a = {rt_counting_alloc, rt_counting_free, &c};
    static const int64_t widths[4] = {300, 257, 129, 10};
    runt_model *models[2] = {rt_conv_net(&a, 32, 30, 10),
                             rt_mlp3(&a, widths, RUNT_OP_GELU, NULL, 11)};
    static const size_t in_size[2] = {3 * 32 * 30, 300};
    for (int k = 0; k < 2; k++) {
        RT_ASSERT(models[k], "model %d: %s", k, runt_last_error());
        runt_session *s = cpu_session(models[k], 3, &a, 1);
        float *x = malloc(3 * in_size[k] * sizeof(float));
        rt_rng r = rt_rng_make(12);
        rt_fill_uniform(&r, x, 3 * in_size[k], -1, 1);
        long before = c.allocs;
        for (int i = 0; i < 3; i++)
            rt_guarded_free(run_once(s, x));
        RT_ASSERT(c.allocs == before, "model %d: runt_session_run allocated %ld times", k,
                  c.allocs - before);
        runt_session_stats st;
        RT_ASSERT(runt_session_stats_get(s, &st) == RUNT_OK, "%s", runt_last_error());
        RT_ASSERT(st.launches == st.n_nodes, "launches %d for %d nodes", st.launches, st.n_nodes);
        for (int i = 0; i < st.n_nodes; i++) {
            runt_node_info info;
            double us = -1;
            RT_ASSERT(runt_session_node(s, i, &info, &us) == RUNT_OK && us >= 0,
                      "node %d profiled time %g", i, us);
        }
        free(x);
        runt_session_free(s);
        runt_model_free(models[k]);
    }
    RT_ASSERT(c.allocs == c.frees, "leak: %ld allocations, %ld frees", c.allocs, c.frees);
}

RT_TEST(cpu_models, every_allocation_failure_is_clean)
{
    CPU_REQUIRE();
    int succeeded = 0;
    long k = 0;
    for (; k < 10000 && !succeeded; k++) {
        rt_counting c = {0, 0, -1};
        runt_allocator a = {rt_counting_alloc, rt_counting_free, &c};
        runt_model *m = rt_conv_net(&a, 32, 30, 13);
        RT_ASSERT(m, "model: %s", runt_last_error());
        c.fail_at = c.allocs + k; /* fail the k-th allocation of session creation */
        runt_session_options o = runt_session_options_default();
        o.backend = "cpu";
        o.allocator = &a;
        runt_session *s = NULL;
        runt_status st = runt_session_create(m, &o, &s);
        if (st == RUNT_OK) {
            succeeded = 1;
        } else {
            RT_ASSERT(st == RUNT_E_OOM, "failing allocation %ld gave %s: %s", k,
                      runt_status_name(st), runt_last_error());
            RT_ASSERT(runt_last_error()[0], "failing allocation %ld left no message", k);
            RT_ASSERT(!s, "a failed create leaves no session");
        }
        runt_session_free(s);
        runt_model_free(m);
        RT_ASSERT(c.allocs == c.frees, "failing allocation %ld leaked: %ld allocs, %ld frees", k,
                  c.allocs, c.frees);
    }
    RT_ASSERT(succeeded, "never succeeded");
    /* State, node table, three packed weights, scratch, beside the core's own. */
    RT_ASSERT(k > 6, "only %ld allocations were tried", k);
}

RT_TEST(cpu_models, modes_accepted_and_refused)
{
    CPU_REQUIRE();
    static const int64_t widths[4] = {8, 8, 8, 2};
    runt_model *m = rt_mlp3(NULL, widths, RUNT_OP_RELU, NULL, 14);
    RT_ASSERT(m, "%s", runt_last_error());
    runt_session_options o = runt_session_options_default();
    o.backend = "cpu";
    runt_session *s = NULL;
    o.math = RUNT_MATH_TF32;
    RT_ASSERT(runt_session_create(m, &o, &s) == RUNT_E_UNSUPPORTED && !s, "TF32 refused");
    RT_ASSERT(strstr(runt_last_error(), "TF32"), "message: %s", runt_last_error());
    o.math = RUNT_MATH_F32;
    o.compute_dtype = RUNT_I8;
    RT_ASSERT(runt_session_create(m, &o, &s) == RUNT_OK, "int8 is a CPU mode: %s",
              runt_last_error());
    runt_session_free(s);
    o.compute_dtype = RUNT_U8;
    s = NULL;
    RT_ASSERT(runt_session_create(m, &o, &s) != RUNT_OK && !s, "u8 compute is refused");
    runt_model_free(m);
}

RT_TEST(cpu_models, probe_and_default_threads)
{
    CPU_REQUIRE();
    int n = 0;
    RT_ASSERT(runt_backend_count(&n) == RUNT_OK, "%s", runt_last_error());
    int found = 0;
    for (int i = 0; i < n; i++) {
        runt_device_info d;
        RT_ASSERT(runt_backend_info(i, &d) == RUNT_OK, "%s", runt_last_error());
        if (strcmp(d.backend, "cpu") != 0)
            continue;
        found = 1;
        RT_ASSERT(d.available && d.host_memory, "cpu is an available host backend");
        RT_ASSERT(d.name[0], "the CPU has a name");
        RT_ASSERT(d.compute_units >= 1, "cores %d", d.compute_units);
    }
    RT_ASSERT(found, "cpu listed");
    /* threads 0 = all cores; the default backend (NULL) is cpu where present. */
    static const int64_t widths[4] = {50, 40, 30, 3};
    runt_model *m = rt_mlp3(NULL, widths, RUNT_OP_TANH, NULL, 15);
    RT_ASSERT(m, "%s", runt_last_error());
    cmp_opts c = {5, 0, 1, RUNT_F32};
    double e = cmp_error(m, &c, 16);
    RT_ASSERT(e <= BOUND_F32, "threads 0: error %g", e);
    runt_session *s = NULL;
    runt_session_options o = runt_session_options_default();
    RT_ASSERT(runt_session_create(m, &o, &s) == RUNT_OK, "%s", runt_last_error());
    runt_session_free(s);
    runt_model_free(m);
}
