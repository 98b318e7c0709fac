#define _POSIX_C_SOURCE 200809L
/* `runt info MODEL --predict --backend B`: the per-node breakdown printed
 * from a calibration written by hand into a cache directory, each column
 * checked against the cost model's formula worked out from the layer
 * shapes; and every way of asking it wrongly, each a one-line error. It never
 * measures: without a cached calibration it says how to make one. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "calibrate.h"
#include "cli_harness.h"
#include "cost_model.h"
#include "made_up_calibration.h"
#include "rt_test.h"
#include "zoo.h"

static int one_line(const char *s)
{
    const char *nl = strchr(s, '\n');
    return strncmp(s, "runt: ", 6) == 0 && nl && nl[1] == '\0';
}

/* ref's device as this build names it, and the threads its calibration is
 * keyed by. */
static runt_device_info ref_device(void)
{
    int n = 0;
    runt_backend_count(&n);
    for (int i = 0; i < n; i++) {
        runt_device_info d;
        if (runt_backend_info(i, &d) == RUNT_OK && strcmp(d.backend, "ref") == 0)
            return d;
    }
    RT_ASSERT(0, "ref is always built");
    runt_device_info none;
    memset(&none, 0, sizeof none);
    return none;
}

/* The made-up calibration, as the cache would hold it for ref on this device. */
static runt_calibration hand_calibration(const runt_device_info *d)
{
    runt_calibration c = rt_made_up_calibration();
    snprintf(c.backend, sizeof c.backend, "%s", d->backend);
    snprintf(c.device, sizeof c.device, "%s", d->name);
    c.threads = runt_calibration_threads(d, 0);
    c.peak_int8_gops = NAN; /* ref has no int8 */
    return c;
}

RT_TEST(info_predict, usage_errors_exit_2_with_one_line)
{
    static const char *const cases[][6] = {
        {"--predict"},                                  /* no backend               */
        {"--backend", "ref"},                           /* no --predict             */
        {"--threads", "2"},                             /* no --predict             */
        {"--predict", "--backend", "ref", "--json", "-"},
        {"--predict", "--backend", "ref", "--dtype", "f16"},
        {"--predict", "--backend", "ref", "--threads", "0"},
        {"--predict", "--backend", "nonesuch"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const char *argv[10] = {"runt", "info", "@seed1_model5"};
        int argc = 3;
        for (int k = 0; k < 6 && cases[i][k]; k++)
            argv[argc++] = cases[i][k];
        cli_result *r = cli(argc, argv);
        RT_ASSERT(r->status == 2, "case %zu: status %d, %s", i, r->status, r->err);
        RT_ASSERT(one_line(r->err), "case %zu: one line on stderr: '%s'", i, r->err);
        RT_ASSERT(r->out[0] == '\0', "case %zu: nothing on stdout: %s", i, r->out);
    }
    cli_result *r = CLI("runt", "info", "@seed1_model5", "--predict", "--backend", "nonesuch");
    RT_ASSERT(strstr(r->err, "no backend named 'nonesuch'") && strstr(r->err, "ref"),
              "names the bad backend and the known ones: %s", r->err);
}

RT_TEST(info_predict, without_a_calibration_it_says_how_to_make_one)
{
    char dir[] = "/tmp/runt-predict-XXXXXX";
    RT_ASSERT(mkdtemp(dir), "mkdtemp");
    cli_result *r = CLI("runt", "info", "@seed1_model5", "--predict", "--backend", "ref",
                        "--cache-dir", dir);
    RT_ASSERT(r->status == 1 && one_line(r->err), "status %d: %s", r->status, r->err);
    RT_ASSERT(strstr(r->err, "no calibration of ref") &&
                  strstr(r->err, "runt devices --calibrate --backend ref") && strstr(r->err, dir),
              "says what is missing and the command that makes it: %s", r->err);
    RT_ASSERT(r->out[0] == '\0', "prints no prediction: %s", r->out);
    char path[256];
    runt_device_info d = ref_device();
    runt_calibration_path(dir, "ref", runt_calibration_threads(&d, 0), path, sizeof path);
    RT_ASSERT(access(path, F_OK) != 0, "and measured nothing: %s was not written", path);
    /* A calibration of another device (a shared home directory) is not used. */
    runt_calibration c = hand_calibration(&d);
    snprintf(c.device, sizeof c.device, "another machine's CPU");
    RT_ASSERT(runt_calibration_save(&c, dir) == RUNT_OK, "%s", runt_last_error());
    r = CLI("runt", "info", "@seed1_model5", "--predict", "--backend", "ref", "--cache-dir", dir);
    RT_ASSERT(r->status == 1 && strstr(r->err, "no calibration of ref"), "other device: %s", r->err);
    unlink(path);
    rmdir(dir);
}

/* One column of a node's line: its fields after the op name are pred,
 * compute, memory, level, dispatch, copy, bound. */
typedef struct predict_line {
    double pred, compute, memory, dispatch, copy;
    char level[16], bound[16];
} predict_line;

static int parse_line(const char *text, const char *op, int index, predict_line *p)
{
    char head[64];
    snprintf(head, sizeof head, "\n%4d  ", index);
    const char *at = strstr(text, head);
    if (!at || !(at = strstr(at, op)))
        return 0;
    return sscanf(at + strlen(op), "%lf %lf %lf %15s %lf %lf %15s", &p->pred, &p->compute,
                  &p->memory, p->level, &p->dispatch, &p->copy, p->bound) == 7;
}

RT_TEST(info_predict, breakdown_of_two_linears_worked_out_by_hand)
{
    char dir[] = "/tmp/runt-predict-XXXXXX";
    RT_ASSERT(mkdtemp(dir), "mkdtemp");
    runt_device_info d = ref_device();
    runt_calibration c = hand_calibration(&d);
    RT_ASSERT(runt_calibration_save(&c, dir) == RUNT_OK, "%s", runt_last_error());

    cli_result *r = CLI("runt", "info", "@seed1_model4", "--predict", "--backend", "ref",
                        "--cache-dir", dir);
    RT_ASSERT(r->status == 0, "status %d: %s", r->status, r->err);

    /* The footprint needs the planned arena, which only a session knows. */
    runt_model *m;
    runt_session *s;
    rt_ref_session("seed1_model4", &m, &s);
    runt_session_stats st;
    RT_ASSERT(runt_session_stats_get(s, &st) == RUNT_OK && st.n_nodes == 2, "two nodes");

    /* Linear(100, 500) then Linear(500, 100) at batch 1. */
    const double in[2] = {100, 500}, outw[2] = {500, 100};
    double weights[2], all = 0;
    for (int i = 0; i < 2; i++)
        all += weights[i] = 4 * (in[i] * outw[i] + outw[i]);
    double footprint = (double)st.arena_bytes + 4 * in[0] + 4 * outw[1] + all;
    int wl = footprint <= c.level_bytes[0] ? 0 : footprint <= c.level_bytes[1] ? 1 : 2;
    double total = c.run_us + st.launches * c.launch_us;
    double by[RUNT_BOUND_COUNT] = {0}; /* the time per bound, as the header of cost_model.h splits it */
    by[RUNT_BOUND_DISPATCH] = total;
    for (int i = 0; i < 2; i++) {
        predict_line p;
        RT_ASSERT(parse_line(r->out, "Gemm", i, &p), "node %d's line in:\n%s", i, r->out);
        double compute = (2 * in[i] * outw[i] + outw[i]) / (c.peak_gflops * 1e3);
        double acts = 4 * (in[i] + outw[i]);
        double mem_w = weights[i] / (c.bw_gbps[wl] * 1e3), mem_a = acts / (c.bw_gbps[0] * 1e3);
        double memory = mem_w + mem_a;
        double dispatch = st.launches * c.launch_us / st.n_nodes;
        /* The table prints 3 decimals. */
        RT_ASSERT(fabs(p.compute - compute) < 6e-4 && fabs(p.memory - memory) < 6e-4 &&
                      fabs(p.dispatch - dispatch) < 6e-4 && p.copy == 0,
                  "node %d: compute %g (by hand %g), memory %g (%g), dispatch %g (%g)", i,
                  p.compute, compute, p.memory, memory, p.dispatch, dispatch);
        RT_ASSERT(fabs(p.pred - (fmax(compute, memory) + dispatch)) < 6e-4, "node %d pred %g", i,
                  p.pred);
        const char *level = runt_cost_model_bound_name(&c, (runt_bound)(RUNT_BOUND_L1 + wl));
        RT_ASSERT(strcmp(p.level, level) == 0, "node %d: weights' level %s, got %s", i, level,
                  p.level);
        RT_ASSERT(strcmp(p.bound, compute >= memory ? "compute" : level) == 0, "node %d bound %s", i,
                  p.bound);
        total += fmax(compute, memory);
        if (compute >= memory) {
            by[RUNT_BOUND_COMPUTE] += compute;
        } else {
            by[RUNT_BOUND_L1 + wl] += mem_w;
            by[RUNT_BOUND_L1] += mem_a;
        }
    }
    double got = NAN;
    const char *line = strstr(r->out, "\npredicted ");
    RT_ASSERT(line && sscanf(line, "\npredicted %lf us per run", &got) == 1, "total line: %s",
              r->out);
    RT_ASSERT(fabs(got - total) < 6e-4, "total %g us, by hand %g", got, total);
    /* The largest share; the earlier bound on a tie. */
    int best = 0;
    for (int b = 1; b < RUNT_BOUND_COUNT; b++)
        if (by[b] > by[best])
            best = b;
    const char *want = runt_cost_model_bound_name(&c, (runt_bound)best);
    char bound_line[64];
    snprintf(bound_line, sizeof bound_line, "\nbound by %s:", want);
    RT_ASSERT(strstr(r->out, bound_line), "%s in:\n%s", bound_line, r->out);
    RT_ASSERT(strstr(r->out, "calibration ") && strstr(r->out, dir), "names its calibration file");
    /* The header says what the model does now: grid rates, not one peak. */
    RT_ASSERT(!strstr(r->out, "FLOPs / peak") && strstr(r->out, "GEMM grid at its m, n, k") &&
                  strstr(r->out, "median"), "the header: %s", r->out);

    /* int8 on ref: the session cannot be made, and says why. */
    r = CLI("runt", "info", "@seed1_model4", "--predict", "--backend", "ref", "--dtype", "int8",
            "--cache-dir", dir);
    RT_ASSERT(r->status == 1 && one_line(r->err) && strstr(r->err, "int8"), "int8 on ref: %s",
              r->err);

    runt_session_free(s);
    runt_model_free(m);
    char path[256];
    runt_calibration_path(dir, "ref", c.threads, path, sizeof path);
    unlink(path);
    rmdir(dir);
}
