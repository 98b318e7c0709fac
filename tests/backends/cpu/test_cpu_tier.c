/*
 * The kernel-tier cap (runt_cpu_options.tier, RUNT_CPU_TIER; see
 * backends/cpu/cpu_tier.c): the session reports the tier it took, a cap
 * above the CPU's is the CPU's best, the option wins over the environment,
 * unknown names are named errors, and every tier this machine runs computes
 * what the reference does (f32 within the bound, int8 bit for bit across
 * tiers, since every int8 kernel computes the same integers).
 */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cpu/cpu_impl.h"
#include "cpu_compare.h"
#include "cpu_models.h"
#include "runt-cpu.h"

/* What the CPU backend's debug line said: "... kernel tier <name>, ...". */
typedef struct tier_log {
    char tier[32];
    char int8_kernel[32];
} tier_log;

static void tier_log_fn(void *user, runt_log_level level, const char *message)
{
    tier_log *t = user;
    const char *p = strstr(message, "kernel tier ");
    const char *q = strstr(message, "int8 kernel ");
    (void)level;
    if (p)
        sscanf(p + strlen("kernel tier "), "%31[^,]", t->tier);
    if (q)
        sscanf(q + strlen("int8 kernel "), "%31[^,]", t->int8_kernel);
}

/* The tier a cpu session on m takes with this option (NULL: none). */
static runt_status tier_of_session(const runt_model *m, const char *cpu_tier, tier_log *t)
{
    runt_session_options o = runt_session_options_default();
    o.backend = "cpu";
    o.compute_dtype = RUNT_I8;
    runt_cpu_options cpu = runt_cpu_options_default();
    cpu.int8_min_weights = 1;
    cpu.tier = cpu_tier;
    o.backend_options = &cpu.base;
    o.log = tier_log_fn;
    o.log_user = t;
    memset(t, 0, sizeof *t);
    runt_session *s = NULL;
    runt_status st = runt_session_create(m, &o, &s);
    runt_session_free(s);
    return st;
}

RT_TEST(cpu_tier, each_tier_is_taken_and_capped_at_the_machine)
{
    CPU_REQUIRE();
    unsetenv("RUNT_CPU_TIER");
    runt_model *m = small_mlp(91);
    int max = runt_cpu_tier_max();
    for (int tier = RUNT_CPU_TIER_C; tier <= RUNT_CPU_TIER_WIDE; tier++) {
        const char *name = runt_cpu_tier_name(tier);
        tier_log t;
        RT_ASSERT(tier_of_session(m, name, &t) == RUNT_OK, "%s: %s", name, runt_last_error());
        const char *want = runt_cpu_tier_name(tier < max ? tier : max);
        RT_ASSERT(strcmp(t.tier, want) == 0, "asked %s, the CPU runs up to %s: took '%s', "
                  "expected '%s'", name, runt_cpu_tier_name(max), t.tier, want);
        if (tier == RUNT_CPU_TIER_C)
            RT_ASSERT(strcmp(t.int8_kernel, "c") == 0, "tier c used int8 kernel '%s'",
                      t.int8_kernel);
    }
    tier_log best;
    RT_ASSERT(tier_of_session(m, NULL, &best) == RUNT_OK, "%s", runt_last_error());
    RT_ASSERT(strcmp(best.tier, runt_cpu_tier_name(max)) == 0, "no cap took '%s', not '%s'",
              best.tier, runt_cpu_tier_name(max));
    runt_model_free(m);
}

RT_TEST(cpu_tier, environment_sets_the_cap_and_the_option_wins)
{
    CPU_REQUIRE();
    runt_model *m = small_mlp(91);
    tier_log t;
    setenv("RUNT_CPU_TIER", "c", 1);
    RT_ASSERT(tier_of_session(m, NULL, &t) == RUNT_OK, "%s", runt_last_error());
    RT_ASSERT(strcmp(t.tier, "c") == 0, "RUNT_CPU_TIER=c took '%s'", t.tier);
    int max = runt_cpu_tier_max();
    const char *top = runt_cpu_tier_name(RUNT_CPU_TIER_WIDE);
    RT_ASSERT(tier_of_session(m, top, &t) == RUNT_OK, "%s", runt_last_error());
    RT_ASSERT(strcmp(t.tier, runt_cpu_tier_name(max)) == 0,
              "option %s over RUNT_CPU_TIER=c took '%s'", top, t.tier);

    setenv("RUNT_CPU_TIER", "sse9", 1);
    runt_status st = tier_of_session(m, NULL, &t);
    RT_ASSERT(st == RUNT_E_INVALID_ARG, "RUNT_CPU_TIER=sse9 gave %s", runt_status_name(st));
    RT_ASSERT(strstr(runt_last_error(), "RUNT_CPU_TIER") && strstr(runt_last_error(), "sse9"),
              "message: %s", runt_last_error());
    unsetenv("RUNT_CPU_TIER");
    runt_model_free(m);
}

RT_TEST(cpu_tier, unknown_names_are_refused)
{
    CPU_REQUIRE();
    unsetenv("RUNT_CPU_TIER");
    runt_model *m = small_mlp(91);
    tier_log t;
#if defined(__x86_64__)
    const char *other_arch = "neon";
#else
    const char *other_arch = "avx2";
#endif
    const char *bad[] = {"", "C", "avx1024", other_arch};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        runt_status st = tier_of_session(m, bad[i], &t);
        RT_ASSERT(st == RUNT_E_INVALID_ARG, "cpu_tier '%s' gave %s", bad[i],
                  runt_status_name(st));
        RT_ASSERT(strstr(runt_last_error(), "runt_cpu_options.tier") != NULL, "message: %s",
                  runt_last_error());
    }
    runt_model_free(m);
}

/* m on "cpu" at every tier this CPU runs: f32 against "ref" within the
 * bound; int8 identical to the lowest tier's output. */
static void every_tier_matches(const runt_model *m, int64_t batch, const char *label)
{
    int max = runt_cpu_tier_max();
    float *base = NULL;
    size_t n_base = 0;
    for (int tier = RUNT_CPU_TIER_C; tier <= max; tier++) {
        setenv("RUNT_CPU_TIER", runt_cpu_tier_name(tier), 1);
        cmp_opts c = {batch, 2, 1, RUNT_F32};
        double e = cmp_error(m, &c, 300 + (uint64_t)tier);
        RT_ASSERT(e <= BOUND_F32, "%s at tier %s: f32 error %g > %g", label,
                  runt_cpu_tier_name(tier), e, BOUND_F32);

        rt_rng r = rt_rng_make(400);
        float *x[CMP_MAX_IO] = {0}, *y[CMP_MAX_IO] = {0};
        size_t ny[CMP_MAX_IO];
        cmp_opts q = {batch, 2, 1, RUNT_I8};
        cmp_inputs(m, &q, &r, x);
        cmp_run(m, "cpu", &q, x, y, ny);
        if (!base) {
            base = y[0];
            n_base = ny[0];
        } else {
            RT_ASSERT(ny[0] == n_base, "%s: element counts differ", label);
            RT_ASSERT(memcmp(y[0], base, n_base * sizeof(float)) == 0,
                      "%s: int8 at tier %s differs from tier c", label, runt_cpu_tier_name(tier));
            rt_guarded_free(y[0]);
        }
        free(x[0]);
    }
    rt_guarded_free(base);
    unsetenv("RUNT_CPU_TIER");
}

RT_TEST(cpu_tier, every_tier_computes_the_same_mlp)
{
    CPU_REQUIRE();
    static const int64_t widths[4] = {300, 257, 129, 10};
    runt_model *m = rt_mlp3(NULL, widths, RUNT_OP_RELU, NULL, 92);
    RT_ASSERT(m, "mlp: %s", runt_last_error());
    every_tier_matches(m, 5, "MLP 300-257-129-10");
    runt_model_free(m);
}

RT_TEST(cpu_tier, every_tier_computes_the_same_conv_net)
{
    CPU_REQUIRE();
    runt_model *m = rt_conv_net(NULL, 32, 30, 93);
    RT_ASSERT(m, "conv net: %s", runt_last_error());
    every_tier_matches(m, 2, "conv net");
    runt_model_free(m);
}

/* A model whose only node is a 1x1 conv needs no scratch below the AVX-512
 * tier: the conv then ran with a NULL scratch pointer, and offsetting it
 * (even by 0) is undefined behaviour that UBSan reports. */
RT_TEST(cpu_tier, lone_pointwise_conv_at_every_tier)
{
    CPU_REQUIRE();
    operand ops[3] = {op4(1, 4, 6, 6, 0), op4(8, 4, 1, 1, 1), {1, {8}, 1}};
    runt_model *m = one_node(RUNT_OP_CONV, NULL, 3, ops, 1, 94);
    int max = runt_cpu_tier_max();
    for (int tier = RUNT_CPU_TIER_C; tier <= max; tier++) {
        setenv("RUNT_CPU_TIER", runt_cpu_tier_name(tier), 1);
        for (int threads = 1; threads <= 2; threads++) {
            cmp_opts c = {1, threads, 1, RUNT_F32};
            double e = cmp_error(m, &c, 95);
            RT_ASSERT(e <= BOUND_F32, "1x1 conv at tier %s, %d threads: error %g",
                      runt_cpu_tier_name(tier), threads, e);
        }
    }
    unsetenv("RUNT_CPU_TIER");
    runt_model_free(m);
}
