/* The suites' generated models say what their names claim (equal FLOPs
 * where a family holds FLOPs fixed, counted by runt_model_describe against
 * the formulas), and one measurement's statistics are consistent. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "measure.h"
#include "rt_test.h"
#include "suite.h"

static const double caches[3] = {48 * 1024.0, 2048 * 1024.0, 32 * 1024 * 1024.0};

static int64_t case_flops(const runt_bench_case *c)
{
    runt_model *m;
    RT_ASSERT(runt_case_build(c, &m) == RUNT_OK, "%s: %s", c->name, runt_last_error());
    runt_cost total;
    int n;
    RT_ASSERT(runt_model_describe(m, c->batch, NULL, 0, &n, &total) == RUNT_OK, "%s", runt_last_error());
    runt_model_free(m);
    return total.flops;
}

static const runt_bench_case *find(const runt_case_list *l, const char *name)
{
    for (int i = 0; i < l->n; i++)
        if (strcmp(l->items[i].name, name) == 0)
            return &l->items[i];
    return NULL;
}

RT_TEST(bench_suite, seeds_are_named_as_the_contract_says)
{
    runt_case_list l = {0};
    RT_ASSERT(runt_suite_append(&l, "seeds", caches) == RUNT_OK, "%s", runt_last_error());
    const char *names[] = {"seed0_simple", "seed0_complex", "seed0_relu", "seed1_model1",
                           "seed1_model2", "seed1_model3", "seed1_model4", "seed1_model5"};
    RT_ASSERT(l.n == 8, "8 seed models, got %d", l.n);
    for (int i = 0; i < 8; i++) {
        const runt_bench_case *c = find(&l, names[i]);
        RT_ASSERT(c && strcmp(c->suite, "seeds") == 0, "%s present", names[i]);
        RT_ASSERT(c->batch == (i < 3 ? 1024 : 1), "%s at batch %lld", names[i], (long long)c->batch);
    }
    /* seed1_model1: 1000-10-1000-1 with biases: 2*(1000*10 + 10*1000 + 1000*1) + 10+1000+1 */
    RT_ASSERT(case_flops(find(&l, "seed1_model1")) == 2 * (10000 + 10000 + 1000) + 1011,
              "seed1_model1 FLOPs");
    runt_case_list_free(&l);
    RT_ASSERT(runt_suite_append(&l, "nonesuch", caches) == RUNT_E_INVALID_ARG, "unknown suite");
    runt_case_list_free(&l);
}

RT_TEST(bench_suite, sweep_families_hold_what_they_claim)
{
    runt_case_list l = {0};
    RT_ASSERT(runt_suite_append(&l, "sweep", caches) == RUNT_OK, "%s", runt_last_error());
    RT_ASSERT(l.n > 30, "a sweep of %d cases", l.n);
    for (int i = 0; i < l.n; i++)
        for (int j = i + 1; j < l.n; j++)
            RT_ASSERT(strcmp(l.items[i].name, l.items[j].name) != 0, "unique name %s", l.items[i].name);
    /* depth at fixed FLOPs: L layers of 2048/sqrt(L), within rounding of
     * L*w^2 = 4 Mi multiply-adds (biases add L*w). */
    int depth = 0;
    for (int i = 0; i < l.n; i++) {
        const runt_bench_case *c = &l.items[i];
        if (strcmp(c->family, "depth") != 0)
            continue;
        depth++;
        double f = (double)case_flops(c), want = 2.0 * 4 * 1024 * 1024;
        RT_ASSERT(fabs(f / want - 1) < 0.03, "%s: %g FLOPs, fixed at %g", c->name, f, want);
    }
    RT_ASSERT(depth >= 4, "%d depth cases", depth);
    /* conv vs linear: Conv(C, C, 3x3) on 32x32 = 2*9*C^2*1024 + bias per output,
     * and its Linear(9C, C) at batch 1024 the same. */
    for (int ch = 16; ch <= 128; ch *= 2) {
        char cn[32], ln[32];
        snprintf(cn, sizeof cn, "conv_c%d", ch);
        snprintf(ln, sizeof ln, "convlin_c%d", ch);
        double want = 2.0 * 9 * ch * ch * 1024 + (double)ch * 1024;
        RT_ASSERT(find(&l, cn) && (double)case_flops(find(&l, cn)) == want, "%s FLOPs", cn);
        RT_ASSERT(find(&l, ln) && (double)case_flops(find(&l, ln)) == want, "%s FLOPs", ln);
    }
    /* working sets climb past twice L3 (64 MiB here) */
    double top = 0;
    for (int i = 0; i < l.n; i++)
        if (strcmp(l.items[i].family, "wset") == 0)
            top = fmax(top, 4.0 * (double)(l.items[i].widths[0] * l.items[i].widths[1]));
    RT_ASSERT(top >= 2 * caches[2] * 0.99, "largest working set %g bytes", top);
    runt_case_list_free(&l);
}

RT_TEST(bench_suite, measurement_statistics_are_ordered)
{
    runt_model *m;
    runt_bench_case c;
    memset(&c, 0, sizeof c);
    c.kind = RUNT_CASE_ZOO;
    strcpy(c.path, "seed1_model4");
    RT_ASSERT(runt_case_build(&c, &m) == RUNT_OK, "%s", runt_last_error());
    runt_session_options o = runt_session_options_default();
    o.backend = "ref";
    runt_session *s;
    RT_ASSERT(runt_session_create(m, &o, &s) == RUNT_OK, "%s", runt_last_error());
    runt_measure_config mc = runt_measure_config_default();
    mc.min_time_s = 0.001;
    mc.min_reps = 7;
    mc.ring = 3;
    runt_measurement r;
    RT_ASSERT(runt_measure_session(s, &mc, &r) == RUNT_OK, "%s", runt_last_error());
    RT_ASSERT(r.reps >= 7 && r.ring == 3, "%d reps, ring %d", r.reps, r.ring);
    RT_ASSERT(r.first_run_us > 0 && r.p10_us > 0, "positive times");
    RT_ASSERT(r.p10_us <= r.median_us && r.median_us <= r.p90_us, "p10 <= median <= p90");
    mc.min_reps = 0;
    RT_ASSERT(runt_measure_session(s, &mc, &r) == RUNT_E_INVALID_ARG, "min_reps 0 is refused");
    RT_ASSERT(runt_measure_session(NULL, &mc, &r) == RUNT_E_INVALID_ARG, "NULL session");
    runt_session_free(s);
    runt_model_free(m);
}
