#define _POSIX_C_SOURCE 200809L
/* What guards the calibration cache against load: the rule on a probe's
 * rounds, the rule on other processes' load, the decision to reuse a cached
 * calibration, and the reading of cache files old, damaged or absurd. All
 * on hand-made samples and records: nothing here is timed. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "calibrate.h"
#include "cli_harness.h"
#include "rt_test.h"
#include "runt-backend.h"

RT_TEST(calibration_trust, spread_is_second_fastest_over_fastest)
{
    double a[] = {250, 103, 100};
    RT_ASSERT(fabs(runt_calibration_spread(a, 3) - 0.03) < 1e-12, "3 %%: %g",
              runt_calibration_spread(a, 3));
    RT_ASSERT(runt_calibration_settled(a, 3), "3 %% settles");
    double b[] = {100, 111};
    RT_ASSERT(!runt_calibration_settled(b, 2), "11 %% does not settle");
    double edge[] = {100, 110};
    RT_ASSERT(runt_calibration_settled(edge, 2), "10 %% exactly settles");
    double tie[] = {7, 7};
    RT_ASSERT(runt_calibration_spread(tie, 2) == 0 && runt_calibration_settled(tie, 2), "tie");
    /* One round cannot agree with anything. */
    double one[] = {100};
    RT_ASSERT(isnan(runt_calibration_spread(one, 1)) && !runt_calibration_settled(one, 1), "n 1");
    RT_ASSERT(isnan(runt_calibration_spread(NULL, 0)) && !runt_calibration_settled(NULL, 0), "n 0");
    /* Rounds that are not times are ignored, not taken as fastest. */
    double junk[] = {NAN, -1, 0, INFINITY, 100, 104};
    RT_ASSERT(fabs(runt_calibration_spread(junk, 6) - 0.04) < 1e-12, "junk ignored: %g",
              runt_calibration_spread(junk, 6));
    double only_junk[] = {NAN, 0, 100};
    RT_ASSERT(!runt_calibration_settled(only_junk, 3), "one real round is not settled");
    /* The poisoned case: one quiet round among loaded ones. */
    double loaded[] = {6500, 6400, 11, 6600};
    RT_ASSERT(!runt_calibration_settled(loaded, 4), "a lone fast round is not trusted");
}

RT_TEST(calibration_trust, busy_counts_the_cores_left_free)
{
    /* 2 cores, 2 threads: no core is free, half a core of others is allowed. */
    RT_ASSERT(!runt_calibration_busy(0.0, 2, 2), "idle");
    RT_ASSERT(!runt_calibration_busy(0.5, 2, 2), "half a core is the bound");
    RT_ASSERT(runt_calibration_busy(0.51, 2, 2), "past half a core");
    RT_ASSERT(runt_calibration_busy(1.9, 2, 2), "a compile on a 2-core machine");
    /* 1 thread of 2 cores: one core is free for others. */
    RT_ASSERT(!runt_calibration_busy(1.4, 2, 1), "others on the other core");
    RT_ASSERT(runt_calibration_busy(1.6, 2, 1), "others on both cores");
    /* More threads than cores: none free. */
    RT_ASSERT(!runt_calibration_busy(0.4, 2, 8), "oversubscribed, quiet");
    RT_ASSERT(runt_calibration_busy(0.6, 2, 8), "oversubscribed, loaded");
    RT_ASSERT(!runt_calibration_busy(10, 64, 8), "a big machine with room");
    /* Unknown load is not blamed. */
    RT_ASSERT(!runt_calibration_busy(NAN, 2, 2), "NAN");
    RT_ASSERT(!runt_calibration_busy(-1, 2, 2), "negative");
    RT_ASSERT(!runt_calibration_busy(5, 0, 2), "cores unknown");
}

/* A calibration as a quiet run on 2 threads would record it. */
static runt_calibration quiet(void)
{
    runt_calibration c;
    memset(&c, 0, sizeof c);
    strcpy(c.backend, "cpu");
    strcpy(c.device, "Test CPU");
    c.threads = 2;
    c.host_memory = 1;
    c.peak_gflops = 100;
    c.peak_int8_gops = NAN; /* no int8 probe: its spread stays NAN */
    c.eltwise_gflops = 5;
    for (int l = 0; l < RUNT_LEVEL_COUNT; l++) {
        c.bw_gbps[l] = 100.0 / (l + 1);
        c.level_bytes[l] = l == RUNT_LEVEL_DRAM ? INFINITY : 32768.0 * (1 << (5 * l));
    }
    c.launch_us = 0.05;
    c.run_us = 0.1;
    c.h2d_gbps = c.d2h_gbps = NAN;
    c.checked = 1;
    c.tables = 1;
    for (int k = 0; k < RUNT_OP_RATE_COUNT; k++)
        c.op_gflops[k] = 0.5 + k;
    c.act_gflops[0][RUNT_ACT_TANH] = 0.08;
    c.act_gflops[1][RUNT_ACT_GELU] = 0.25;
    c.conv_gflops[0][1][2][1] = 42;
    c.gemm_gflops[1][2][1][3] = 17;
    c.stream_gbps[RUNT_LEVEL_L2] = 64;
    c.bw_int8_gbps[RUNT_LEVEL_L3] = 90;
    c.conv_act_gflops[0][RUNT_ACT_LEAKY_RELU] = 0.3;
    for (int p = 0; p < RUNT_PROBE_COUNT; p++)
        c.spread[p] = NAN;
    int ran[] = {RUNT_PROBE_PEAK_F32, RUNT_PROBE_ELTWISE, RUNT_PROBE_DISPATCH, RUNT_PROBE_BW_L1,
                 RUNT_PROBE_BW_L2, RUNT_PROBE_BW_L3, RUNT_PROBE_BW_DRAM, RUNT_PROBE_OP_RATES,
                 RUNT_PROBE_EPILOGUES, RUNT_PROBE_CONV};
    for (size_t i = 0; i < sizeof ran / sizeof ran[0]; i++)
        c.spread[ran[i]] = 0.01;
    c.load_avg = 0.3;
    c.load_others = 0.1;
    c.cores = 2;
    c.attempts = 1;
    return c;
}

RT_TEST(calibration_trust, reuse_only_a_quiet_settled_matching_record)
{
    char why[512];
    runt_calibration c = quiet();
    RT_ASSERT(runt_calibration_reusable(&c, "Test CPU", 2, why, sizeof why) && why[0] == '\0',
              "quiet: reused (%s)", why);

    c.busy = 1;
    c.load_others = 1.7;
    c.load_avg = 3.2;
    RT_ASSERT(!runt_calibration_reusable(&c, "Test CPU", 2, why, sizeof why), "busy: not reused");
    RT_ASSERT(strstr(why, "busy") && strstr(why, "1.70 of 2") && strstr(why, "3.20"),
              "says the load: %s", why);

    c = quiet();
    c.spread[RUNT_PROBE_ELTWISE] = 0.27;
    RT_ASSERT(!runt_calibration_reusable(&c, "Test CPU", 2, why, sizeof why), "unsettled");
    RT_ASSERT(strstr(why, "elementwise 27.0%") && !strstr(why, "dispatch"), "names it: %s", why);
    RT_ASSERT(runt_calibration_unsettled(&c) == 1 << RUNT_PROBE_ELTWISE, "one bit");

    /* A probe that ran with no spread recorded is not taken as settled. */
    c = quiet();
    c.spread[RUNT_PROBE_BW_L2] = NAN;
    RT_ASSERT(!runt_calibration_reusable(&c, "Test CPU", 2, why, sizeof why) && strstr(why, "l2"),
              "missing spread: %s", why);

    /* int8 and the copies did not run: their NAN spreads do not count. */
    c = quiet();
    c.peak_int8_gops = 50;
    RT_ASSERT(!runt_calibration_reusable(&c, "Test CPU", 2, why, sizeof why) &&
                  strstr(why, "peak_int8"), "int8 ran, no spread: %s", why);

    c = quiet();
    c.checked = 0;
    RT_ASSERT(!runt_calibration_reusable(&c, "Test CPU", 2, why, sizeof why) &&
                  strstr(why, "predates"), "older cache: %s", why);
    RT_ASSERT(runt_calibration_unsettled(&c) == 0, "unchecked has no spreads to judge");

    c = quiet();
    RT_ASSERT(!runt_calibration_reusable(&c, "Other CPU", 2, why, sizeof why) &&
                  strstr(why, "another device"), "device: %s", why);
    RT_ASSERT(!runt_calibration_reusable(&c, "Test CPU", 1, why, sizeof why) &&
                  strstr(why, "2 threads, not 1"), "threads: %s", why);
    RT_ASSERT(runt_calibration_reusable(&c, NULL, 2, why, sizeof why), "NULL device: not checked");
}

RT_TEST(calibration_trust, attempts_fold_to_each_probes_fastest)
{
    /* The case seen on a loaded 2-core machine: the first attempt read the
     * elementwise and L2 rates right with dram unsettled, the second had
     * every run wait out a timeslice and agreed on slow values. */
    runt_calibration a = quiet(), b = quiet();
    a.busy = 1;
    a.load_others = 1.07;
    a.spread[RUNT_PROBE_BW_DRAM] = 0.38;
    a.bw_gbps[RUNT_LEVEL_DRAM] = 15.9;
    b.busy = 0;
    b.load_others = 0.9;
    b.eltwise_gflops = 0.01;
    b.spread[RUNT_PROBE_ELTWISE] = 0.012;
    b.bw_gbps[RUNT_LEVEL_L2] = 0.1;
    b.bw_gbps[RUNT_LEVEL_DRAM] = 8.4;
    b.spread[RUNT_PROBE_BW_DRAM] = 0.002;
    b.peak_gflops = 120; /* faster in b */
    b.spread[RUNT_PROBE_PEAK_F32] = 0.07;
    b.launch_us = 0.04;
    b.spread[RUNT_PROBE_DISPATCH] = 0.02;
    runt_calibration_fold(&a, &b);
    RT_ASSERT(a.eltwise_gflops == 5 && a.bw_gbps[RUNT_LEVEL_L2] == 50, "slow agreement lost");
    RT_ASSERT(a.bw_gbps[RUNT_LEVEL_DRAM] == 15.9 && a.spread[RUNT_PROBE_BW_DRAM] == 0.38,
              "dram kept with its own spread");
    RT_ASSERT(a.peak_gflops == 120 && a.spread[RUNT_PROBE_PEAK_F32] == 0.07, "b's faster peak");
    RT_ASSERT(a.launch_us == 0.04 && a.spread[RUNT_PROBE_DISPATCH] == 0.02, "b's cheaper dispatch");
    RT_ASSERT(a.busy == 1 && a.load_others == 1.07, "the worse load is kept");
    char why[512];
    RT_ASSERT(!runt_calibration_reusable(&a, "Test CPU", 2, why, sizeof why), "not reused: %s", why);
    /* A level folded in nearer-slower than a farther one is raised. */
    runt_calibration c = quiet(), d = quiet();
    d.bw_gbps[RUNT_LEVEL_L3] = 80; /* faster than c's l2 of 50 */
    runt_calibration_fold(&c, &d);
    RT_ASSERT(c.bw_gbps[RUNT_LEVEL_L2] == 80 && (c.raised & (1 << RUNT_LEVEL_L2)), "raised: %g",
              c.bw_gbps[RUNT_LEVEL_L2]);
    RT_ASSERT(c.busy == 0, "two quiet attempts stay quiet");
}

static void write_text(const char *path, const char *text, size_t n)
{
    FILE *f = fopen(path, "wb");
    RT_ASSERT(f, "write %s", path);
    RT_ASSERT(fwrite(text, 1, n, f) == n, "write");
    fclose(f);
}

static size_t read_text(const char *path, char *buf, size_t size)
{
    FILE *f = fopen(path, "rb");
    RT_ASSERT(f, "read %s", path);
    size_t n = fread(buf, 1, size - 1, f);
    buf[n] = '\0';
    fclose(f);
    return n;
}

/* The file runt 0.1.0 wrote before the load record (cache format 3). */
static void format3_text(char *out, size_t size)
{
    snprintf(out, size,
             "{\n  \"format\": 3,\n  \"runt_version\": \"%s\",\n  \"backend\": \"cpu\",\n"
             "  \"name\": \"Test CPU\",\n  \"threads\": 2,\n  \"host_memory\": 1,\n"
             "  \"peak_gflops\": 460.7,\n  \"peak_int8_gops\": 1402.4,\n"
             "  \"elementwise_gflops\": 0.01,\n  \"bandwidth_gbps\": {\n    \"l1\": 398.2,\n"
             "    \"l2\": 398.2,\n    \"l3\": 123.3,\n    \"dram\": 44.2\n  },\n"
             "  \"level_bytes\": {\n    \"l1_bytes\": 98304,\n    \"l2_bytes\": 1048576,\n"
             "    \"l3_bytes\": 33554432\n  },\n  \"launch_us\": 0.044,\n  \"run_us\": 0.01,\n"
             "  \"h2d_gbps\": null,\n  \"d2h_gbps\": null,\n  \"raised_levels\": 0\n}\n",
             runt_version());
}

RT_TEST(calibration_trust, old_cache_loads_unchecked_and_is_measured_again)
{
    char dir[] = "/tmp/runt-trust-XXXXXX", path[256], text[2048];
    RT_ASSERT(mkdtemp(dir), "mkdtemp");
    snprintf(path, sizeof path, "%s/calibration-cpu-t2.json", dir);
    format3_text(text, sizeof text);
    write_text(path, text, strlen(text));
    runt_calibration c;
    RT_ASSERT(runt_calibration_load(path, &c) == RUNT_OK, "format 3 loads: %s", runt_last_error());
    RT_ASSERT(!c.checked && c.peak_gflops == 460.7 && c.eltwise_gflops == 0.01 && c.threads == 2,
              "its numbers, unchecked");
    RT_ASSERT(isnan(c.load_avg) && isnan(c.load_others) && isnan(c.spread[RUNT_PROBE_ELTWISE]),
              "no load or spread invented");
    char why[512];
    RT_ASSERT(!runt_calibration_reusable(&c, "Test CPU", 2, why, sizeof why), "not reused: %s", why);
    unlink(path);
    rmdir(dir);
}

/* The file runt wrote with the load record but before the tables (cache
 * format 4). */
static void format4_text(char *out, size_t size)
{
    char spreads[1024] = "";
    static const char *const names[] = {"peak_f32", "peak_int8", "elementwise", "dispatch",
                                        "l1", "l2", "l3", "dram", "h2d", "d2h"};
    for (size_t k = 0; k < sizeof names / sizeof names[0]; k++) {
        size_t len = strlen(spreads);
        snprintf(spreads + len, sizeof spreads - len, "%s    \"spread_%s\": %s", k ? ",\n" : "",
                 names[k], k >= 8 ? "null" : "0.01");
    }
    snprintf(out, size,
             "{\n  \"format\": 4,\n  \"runt_version\": \"%s\",\n  \"backend\": \"cpu\",\n"
             "  \"name\": \"Test CPU\",\n  \"threads\": 2,\n  \"host_memory\": 1,\n"
             "  \"peak_gflops\": 100,\n  \"peak_int8_gops\": 300,\n"
             "  \"elementwise_gflops\": 5,\n  \"bandwidth_gbps\": {\n    \"l1\": 100,\n"
             "    \"l2\": 50,\n    \"l3\": 33,\n    \"dram\": 25\n  },\n"
             "  \"level_bytes\": {\n    \"l1_bytes\": 32768,\n    \"l2_bytes\": 1048576,\n"
             "    \"l3_bytes\": 33554432\n  },\n  \"launch_us\": 0.05,\n  \"run_us\": 0.1,\n"
             "  \"h2d_gbps\": null,\n  \"d2h_gbps\": null,\n  \"raised_levels\": 0,\n"
             "  \"load_avg_1m\": 0.3,\n  \"load_others_cores\": 0.1,\n  \"cores\": 2,\n"
             "  \"busy\": 0,\n  \"attempts\": 1,\n  \"probe_spread\": {\n%s\n  }\n}\n",
             runt_version(), spreads);
}

/* A format-4 file loads, checked but without tables, and is measured again
 * with that reason. */
RT_TEST(calibration_trust, a_cache_without_tables_loads_and_is_measured_again)
{
    char dir[] = "/tmp/runt-trust-XXXXXX", path[256];
    static char text[4096];
    RT_ASSERT(mkdtemp(dir), "mkdtemp");
    snprintf(path, sizeof path, "%s/calibration-cpu-t2.json", dir);
    format4_text(text, sizeof text);
    write_text(path, text, strlen(text));
    runt_calibration back;
    RT_ASSERT(runt_calibration_load(path, &back) == RUNT_OK, "format 4 loads: %s\n%s",
              runt_last_error(), text);
    RT_ASSERT(back.checked && !back.tables && back.peak_gflops == 100, "checked, no tables");
    RT_ASSERT(runt_calibration_op_gflops(&back, RUNT_OP_TANH) == 0 &&
                  runt_calibration_act_gflops(&back, RUNT_OP_GEMM, 0, RUNT_ACT_TANH) == 0 &&
                  runt_calibration_conv_gflops(&back, 0, 72, 64, 1024) == 0,
              "no table read from it");
    char why[512];
    RT_ASSERT(!runt_calibration_reusable(&back, "Test CPU", 2, why, sizeof why) &&
                  strstr(why, "tables") && strstr(why, "format 4"), "measured again: %s", why);
    unlink(path);
    rmdir(dir);
}

RT_TEST(calibration_trust, the_tables_round_trip)
{
    char dir[] = "/tmp/runt-trust-XXXXXX", path[256];
    RT_ASSERT(mkdtemp(dir), "mkdtemp");
    runt_calibration c = quiet(), back;
    RT_ASSERT(runt_calibration_save(&c, dir) == RUNT_OK, "%s", runt_last_error());
    runt_calibration_path(dir, "cpu", 2, path, sizeof path);
    RT_ASSERT(runt_calibration_load(path, &back) == RUNT_OK, "%s", runt_last_error());
    RT_ASSERT(back.tables, "tables");
    RT_ASSERT(memcmp(back.op_gflops, c.op_gflops, sizeof c.op_gflops) == 0, "op rates");
    RT_ASSERT(memcmp(back.act_gflops, c.act_gflops, sizeof c.act_gflops) == 0, "epilogues");
    RT_ASSERT(memcmp(back.conv_act_gflops, c.conv_act_gflops, sizeof c.conv_act_gflops) == 0,
              "conv epilogues");
    RT_ASSERT(memcmp(back.conv_gflops, c.conv_gflops, sizeof c.conv_gflops) == 0, "conv grid");
    RT_ASSERT(memcmp(back.gemm_gflops, c.gemm_gflops, sizeof c.gemm_gflops) == 0, "gemm grid");
    RT_ASSERT(memcmp(back.stream_gbps, c.stream_gbps, sizeof c.stream_gbps) == 0, "streams");
    RT_ASSERT(memcmp(back.bw_int8_gbps, c.bw_int8_gbps, sizeof c.bw_int8_gbps) == 0, "int8 GEMV");
    char why[512];
    RT_ASSERT(runt_calibration_reusable(&back, "Test CPU", 2, why, sizeof why), "reused: %s", why);
    unlink(path);
    rmdir(dir);
}

/* Files of the formats before this one load and are measured again,
 * saying why: 5 (probes read their fastest runs, the GEMM grid by width
 * alone) and 6 (the CPU's activations and max pooling were the reference's
 * kernels); this format is reused. */
RT_TEST(calibration_trust, older_format_caches_are_measured_again)
{
    char dir[] = "/tmp/runt-trust-XXXXXX", path[256];
    RT_ASSERT(mkdtemp(dir), "mkdtemp");
    runt_calibration c = quiet(), back;
    RT_ASSERT(runt_calibration_save(&c, dir) == RUNT_OK, "%s", runt_last_error());
    runt_calibration_path(dir, "cpu", 2, path, sizeof path);
    static char text[32768], old[32768];
    size_t n = read_text(path, text, sizeof text);
    text[n] = '\0';
    const char *at = strstr(text, "\"format\": 7");
    RT_ASSERT(at, "format 7 in the saved file");
    static const struct {
        int format;
        const char *says;
    } olds[] = {{5, "medians"}, {6, "reference kernels"}};
    for (size_t i = 0; i < sizeof olds / sizeof olds[0]; i++) {
        snprintf(old, sizeof old, "%.*s\"format\": %d%s", (int)(at - text), text, olds[i].format,
                 at + strlen("\"format\": 7"));
        write_text(path, old, strlen(old));
        RT_ASSERT(runt_calibration_load(path, &back) == RUNT_OK, "format %d loads: %s",
                  olds[i].format, runt_last_error());
        char why[512], format[32];
        RT_ASSERT(back.format == olds[i].format &&
                      !runt_calibration_reusable(&back, "Test CPU", 2, why, sizeof why),
                  "format %d not reused", olds[i].format);
        snprintf(format, sizeof format, "format %d", olds[i].format);
        RT_ASSERT(strstr(why, format) && strstr(why, olds[i].says), "says why: %s", why);
    }
    write_text(path, text, n);
    char why[512];
    RT_ASSERT(runt_calibration_load(path, &back) == RUNT_OK &&
                  runt_calibration_reusable(&back, "Test CPU", 2, why, sizeof why),
              "format 7 reused: %s", why);
    unlink(path);
    rmdir(dir);
}

/* Folding two attempts keeps each table entry's faster rate. */
RT_TEST(calibration_trust, fold_keeps_each_table_entry_fastest)
{
    runt_calibration a = quiet(), b = quiet();
    a.op_gflops[0] = 2;
    b.op_gflops[0] = 3;
    a.act_gflops[1][RUNT_ACT_GELU] = 0.3;
    b.act_gflops[1][RUNT_ACT_GELU] = 0.1;
    a.conv_gflops[1][0][0][0] = 0;
    b.conv_gflops[1][0][0][0] = 7;
    a.gemm_gflops[0][3][2][1] = 5;
    b.gemm_gflops[0][3][2][1] = 6;
    a.bw_int8_gbps[RUNT_LEVEL_L1] = 80;
    b.bw_int8_gbps[RUNT_LEVEL_L1] = 70;
    a.spread[RUNT_PROBE_CONV] = 0.2;
    b.spread[RUNT_PROBE_CONV] = 0.05;
    runt_calibration_fold(&a, &b);
    RT_ASSERT(a.op_gflops[0] == 3 && a.act_gflops[1][RUNT_ACT_GELU] == 0.3 &&
                  a.conv_gflops[1][0][0][0] == 7 && a.gemm_gflops[0][3][2][1] == 6 &&
                  a.bw_int8_gbps[RUNT_LEVEL_L1] == 80, "the faster of each");
    RT_ASSERT(a.spread[RUNT_PROBE_CONV] == 0.05, "the smaller table spread");
}

RT_TEST(calibration_trust, the_load_record_round_trips)
{
    char dir[] = "/tmp/runt-trust-XXXXXX", path[256];
    RT_ASSERT(mkdtemp(dir), "mkdtemp");
    runt_calibration c = quiet(), back;
    c.busy = 1;
    c.load_others = 1.25;
    c.load_avg = NAN; /* no /proc/loadavg */
    c.attempts = 3;
    c.spread[RUNT_PROBE_BW_DRAM] = 0.5;
    RT_ASSERT(runt_calibration_save(&c, dir) == RUNT_OK, "%s", runt_last_error());
    runt_calibration_path(dir, "cpu", 2, path, sizeof path);
    RT_ASSERT(runt_calibration_load(path, &back) == RUNT_OK, "%s", runt_last_error());
    RT_ASSERT(back.checked && back.busy == 1 && back.load_others == 1.25 && isnan(back.load_avg) &&
                  back.cores == 2 && back.attempts == 3, "load record");
    for (int p = 0; p < RUNT_PROBE_COUNT; p++)
        RT_ASSERT(isnan(c.spread[p]) ? isnan(back.spread[p]) : back.spread[p] == c.spread[p],
                  "spread of %s", runt_probe_names[p]);
    char why[512];
    RT_ASSERT(!runt_calibration_reusable(&back, "Test CPU", 2, why, sizeof why) &&
                  strstr(why, "busy"), "a busy cache is not reused: %s", why);
    unlink(path);
    rmdir(dir);
}

/* Each damaged text is refused with RUNT_E_IO and a message naming the
 * file and (where given) what is wrong; none crashes. */
RT_TEST(calibration_trust, damaged_or_absurd_files_are_refused_naming_why)
{
    char dir[] = "/tmp/runt-trust-XXXXXX", path[256];
    RT_ASSERT(mkdtemp(dir), "mkdtemp");
    runt_calibration c = quiet(), back;
    RT_ASSERT(runt_calibration_save(&c, dir) == RUNT_OK, "%s", runt_last_error());
    runt_calibration_path(dir, "cpu", 2, path, sizeof path);
    static char good[32768];
    size_t n = read_text(path, good, sizeof good);

    /* Every truncation: loads only when nothing it needs was cut, which a
     * file cut before its closing brace never is (the spreads come last). */
    for (size_t cut = 0; cut + 2 < n; cut++) {
        write_text(path, good, cut);
        runt_status rc = runt_calibration_load(path, &back);
        RT_ASSERT(rc == RUNT_E_IO, "cut at %zu of %zu: status %d", cut, n, (int)rc);
        RT_ASSERT(strstr(runt_last_error(), path), "cut at %zu names the file: %s", cut,
                  runt_last_error());
    }

    struct {
        const char *from, *to, *expect;
    } edits[] = {
        {"\"peak_gflops\": 100", "\"peak_gflops\": -100", "peak_gflops is -100"},
        {"\"peak_gflops\": 100", "\"peak_gflops\": nan", "peak_gflops"},
        {"\"peak_gflops\": 100", "\"peak_gflops\": inf", "peak_gflops"},
        {"\"peak_gflops\": 100", "\"peak_gflops\": null", "peak_gflops"},
        {"\"peak_gflops\": 100", "\"peak_gflops\": \"fast\"", "peak_gflops"},
        {"\"elementwise_gflops\": 5", "\"elementwise_gflops\": 0", "elementwise_gflops is 0"},
        {"\"launch_us\": 0.05", "\"launch_us\": -0.05", "launch_us"},
        {"\"l2\": 50", "\"l2\": -50", "bandwidth_gbps.l2"},
        {"\"threads\": 2", "\"threads\": 2.5", "threads"},
        {"\"threads\": 2", "\"threads\": 0", "threads"},
        {"\"busy\": 0", "\"busy\": 7", "busy"},
        {"\"spread_dispatch\": 0.01", "\"spread_dispatch\": -0.01", "dispatch"},
        {"\"load_others_cores\": 0.1", "\"load_others_cores\": -3", "load_others_cores"},
        {"\"format\": 7", "\"format\": 999", "format 999"},
        {"\"format\": 7", "\"format\": \"7\"", "format"},
        {"\"op_Tanh\": 3.5", "\"op_Tanh\": -3.5", "Tanh is -3.5"},
        {"\"epilogue_f32_tanh\": 0.08", "\"epilogue_f32_tanh\": -1", "epilogue_f32_tanh is -1"},
        {"\"epilogue_int8_gelu\": 0.25", "\"epilogue_int8_gelu\": -0.25", "epilogue_int8_gelu"},
        {"\"conv_f32_d72_m64_s32\": 42", "\"conv_f32_d72_m64_s32\": -42", "conv_f32_d72_m64_s32 is -42"},
        {"\"spread_conv_grid\": 0.01", "\"spread_conv_grid\": -1", "conv_grid"},
        {"\"gemm_int8_m64_n64_k1024\": 17", "\"gemm_int8_m64_n64_k1024\": -17",
         "gemm_int8_m64_n64_k1024 is -17"},
        {"\"stream_l2\": 64", "\"stream_l2\": -64", "stream_l2 is -64"},
        {"\"int8_gemv_l3\": 90", "\"int8_gemv_l3\": nan", "int8_gemv_l3"},
        {"\"conv_epilogue_f32_leaky_relu\": 0.3", "\"conv_epilogue_f32_leaky_relu\": -1",
         "conv_epilogue_f32_leaky_relu is -1"},
    };
    for (size_t i = 0; i < sizeof edits / sizeof edits[0]; i++) {
        static char text[32768];
        const char *at = strstr(good, edits[i].from);
        RT_ASSERT(at, "edit %zu: '%s' in the saved file:\n%s", i, edits[i].from, good);
        snprintf(text, sizeof text, "%.*s%s%s", (int)(at - good), good, edits[i].to,
                 at + strlen(edits[i].from));
        write_text(path, text, strlen(text));
        RT_ASSERT(runt_calibration_load(path, &back) == RUNT_E_IO, "edit %zu (%s) refused", i,
                  edits[i].to);
        RT_ASSERT(strstr(runt_last_error(), edits[i].expect) && strstr(runt_last_error(), path),
                  "edit %zu: says '%s': %s", i, edits[i].expect, runt_last_error());
    }

    /* Not text at all, empty, a zero byte, another version, oversized. */
    write_text(path, "", 0);
    RT_ASSERT(runt_calibration_load(path, &back) == RUNT_E_IO, "empty");
    write_text(path, "\x7f" "ELF\x01\x02\x00\x00garbage", 14);
    RT_ASSERT(runt_calibration_load(path, &back) == RUNT_E_IO, "binary");
    static char big[40000];
    memset(big, ' ', sizeof big);
    memcpy(big, good, n);
    write_text(path, big, sizeof big);
    RT_ASSERT(runt_calibration_load(path, &back) == RUNT_E_IO && strstr(runt_last_error(), "over"),
              "oversized: %s", runt_last_error());
    static char other[32768];
    const char *v = strstr(good, runt_version());
    RT_ASSERT(v, "version in the file");
    snprintf(other, sizeof other, "%.*s99.99.99%s", (int)(v - good), good, v + strlen(runt_version()));
    write_text(path, other, strlen(other));
    RT_ASSERT(runt_calibration_load(path, &back) == RUNT_E_IO &&
                  strstr(runt_last_error(), "99.99.99"), "other version: %s", runt_last_error());

    /* The intact file still loads: the checks refuse only what is wrong. */
    write_text(path, good, n);
    RT_ASSERT(runt_calibration_load(path, &back) == RUNT_OK, "%s", runt_last_error());
    unlink(path);
    rmdir(dir);
}

/* `runt devices` shows the load, the spreads and why bench would measure
 * again; a damaged cache file is reported as refused, not as a crash or as
 * "not calibrated". Uses ref, present in every build. */
RT_TEST(calibration_trust, devices_shows_load_spreads_and_refusals)
{
    runt_device_info d;
    RT_ASSERT(runt_backend_info(0, &d) == RUNT_OK && strcmp(d.backend, "ref") == 0, "ref first");
    char dir[] = "/tmp/runt-trust-XXXXXX", path[256];
    RT_ASSERT(mkdtemp(dir), "mkdtemp");
    runt_calibration c = quiet();
    strcpy(c.backend, "ref");
    snprintf(c.device, sizeof c.device, "%s", d.name);
    c.threads = runt_calibration_threads(&d, 0);
    c.cores = 4;
    c.busy = 1;
    c.load_others = 3.5;
    c.load_avg = 4.25;
    c.spread[RUNT_PROBE_BW_L2] = 0.3;
    RT_ASSERT(runt_calibration_save(&c, dir) == RUNT_OK, "%s", runt_last_error());
    runt_calibration_path(dir, "ref", c.threads, path, sizeof path);

    cli_result *r = CLI("runt", "devices", "--backend", "ref", "--cache-dir", dir);
    RT_ASSERT(r->status == 0, "status %d: %s", r->status, r->err);
    RT_ASSERT(strstr(r->out, "3.50 of 4 cores") && strstr(r->out, "4.25") && strstr(r->out, "(busy)"),
              "the load: %s", r->out);
    RT_ASSERT(strstr(r->out, "l2 30.0% unstable") && strstr(r->out, "dispatch 1.0%") &&
                  !strstr(r->out, "peak_int8"), "spreads per probe that ran: %s", r->out);
    RT_ASSERT(strstr(r->out, "runt bench measures it again"), "says bench will: %s", r->out);
    /* The tables, read from the cache (nothing was measured here). */
    RT_ASSERT(strstr(r->out, "GEMM grid (int8)") &&
                  strstr(r->out, "m   64 n   64:       -       -       -   17.00"),
              "the cached GEMM grid: %s", r->out);
    RT_ASSERT(strstr(r->out, "fused activations (f32), GFLOP/s: relu 0 leaky_relu 0 clip 0 "
                             "sigmoid 0 tanh 0.08") &&
                  strstr(r->out, "d   72 m   64:       -   42.00"),
              "the cached epilogues and conv grid: %s", r->out);

    r = CLI("runt", "devices", "--backend", "ref", "--cache-dir", dir, "--json", "-");
    RT_ASSERT(r->status == 0, "json status %d: %s", r->status, r->err);
    RT_ASSERT(strstr(r->out, "\"busy\": 1") && strstr(r->out, "\"reusable\": 0") &&
                  strstr(r->out, "\"load_avg_1m\": 4.25") && strstr(r->out, "\"stable\": 0"),
              "json: %s", r->out);

    write_text(path, "{\"format\": 4, \"runt_vers", 24);
    r = CLI("runt", "devices", "--backend", "ref", "--cache-dir", dir);
    RT_ASSERT(r->status == 0 && strstr(r->out, "refused") && strstr(r->out, path),
              "a damaged file is refused, naming it: %s", r->out);
    r = CLI("runt", "devices", "--backend", "ref", "--cache-dir", dir, "--json", "-");
    RT_ASSERT(r->status == 0 && strstr(r->out, "\"calibration_refused\"") &&
                  strstr(r->out, "\"calibration\": null"), "json refusal: %s", r->out);
    unlink(path);
    rmdir(dir);
}
