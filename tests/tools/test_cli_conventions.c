#define _POSIX_C_SOURCE 200809L
/* Command-line conventions shared by every command (help, version,
 * --flag=value, --json) and the messages that name the real cause of a
 * failure instead of a symptom. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli_harness.h"
#include "rt_test.h"
#include "runt.h"
#include "zoo.h"

/* Every flag a command's parser accepts (read off tools/cli.c and
 * bench/bench.c), so a flag added without help fails here. */
static const char *const info_flags[] = {"--batch", "--json", NULL};
static const char *const run_flags[] = {"--input", "--output", "--backend", "--dtype", NULL};
static const char *const devices_flags[] = {"--backend", "--calibrate", "--threads", "--cache-dir",
                                            "--json", NULL};
static const char *const bench_flags[] = {"--suite", "--model", "--batch", "--backend", "--dtype",
                                          "--threads", "--json", "--csv", "--plots", "--peers",
                                          "--min-time", "--min-reps", "--cache-dir",
                                          "--recalibrate", NULL};

static void check_help(const char *command, const char *const *flags)
{
    const char *spellings[] = {"--help", "-h"};
    for (int s = 0; s < 2; s++) {
        cli_result *r = CLI("runt", command, spellings[s]);
        RT_ASSERT(r->status == 0 && !r->err[0], "%s %s: status %d, %s", command, spellings[s],
                  r->status, r->err);
        char usage[64];
        snprintf(usage, sizeof usage, "usage: runt %s", command);
        RT_ASSERT(strstr(r->out, usage), "%s %s: %s", command, spellings[s], r->out);
        for (int i = 0; flags[i]; i++) {
            /* The flag on a line of its own, followed by what it does. */
            char line[64];
            snprintf(line, sizeof line, "\n  %s ", flags[i]);
            const char *at = strstr(r->out, line);
            RT_ASSERT(at, "%s help lacks a line for %s: %s", command, flags[i], r->out);
            const char *eol = strchr(at + 1, '\n');
            size_t words = 0;
            for (const char *p = at + strlen(line); p < eol; p++)
                words += (p[0] == ' ' && p[1] != ' ');
            RT_ASSERT(words >= 2, "%s %s is not explained: %.*s", command, flags[i],
                      (int)(eol - at), at);
        }
    }
    /* The flag anywhere on the line, and through `runt help COMMAND`. */
    cli_result *r = CLI("runt", command, "@lenet", "--help");
    RT_ASSERT(r->status == 0 && strstr(r->out, "usage: runt"), "%s MODEL --help: %s", command,
              r->err);
    r = CLI("runt", "help", command);
    RT_ASSERT(r->status == 0 && strstr(r->out, command), "help %s: %s", command, r->err);
}

RT_TEST(cli_conventions, every_command_has_help_explaining_each_flag)
{
    check_help("info", info_flags);
    check_help("run", run_flags);
    check_help("devices", devices_flags);
    check_help("bench", bench_flags);
    cli_result *r = CLI("runt", "-h");
    RT_ASSERT(r->status == 0 && strstr(r->out, "commands:"), "runt -h: %s", r->err);
    r = CLI("runt", "help", "nonesuch");
    RT_ASSERT(r->status == 2 && strstr(r->err, "nonesuch"), "help nonesuch: %s", r->err);
}

RT_TEST(cli_conventions, version_flags_print_the_library_version)
{
    char want[64];
    snprintf(want, sizeof want, "runt %s\n", runt_version());
    const char *spellings[] = {"-V", "--version", "version"};
    for (int i = 0; i < 3; i++) {
        cli_result *r = CLI("runt", spellings[i]);
        RT_ASSERT(r->status == 0 && strcmp(r->out, want) == 0, "%s: '%s'", spellings[i], r->out);
    }
}

RT_TEST(cli_conventions, flag_equals_value_means_flag_value)
{
    cli_result *r = CLI("runt", "info", "@seed1_model2", "--batch", "3");
    RT_ASSERT(r->status == 0, "%s", r->err);
    char *spaced = strdup(r->out);
    r = CLI("runt", "info", "@seed1_model2", "--batch=3");
    RT_ASSERT(r->status == 0 && strcmp(spaced, r->out) == 0, "--batch=3 differs: %s", r->err);
    free(spaced);
    r = CLI("runt", "info", "@seed1_model2", "--batch=");
    RT_ASSERT(r->status == 2 && strstr(r->err, "--batch"), "empty value: %s", r->err);
}

/* The value after "key": in JSON text, as a number (the test's own reading,
 * independent of the program's writer). */
static long long json_int_after(const char *text, const char *key)
{
    char pattern[64];
    snprintf(pattern, sizeof pattern, "\"%s\": ", key);
    const char *at = strstr(text, pattern);
    RT_ASSERT(at, "no %s in %s", key, text);
    return strtoll(at + strlen(pattern), NULL, 10);
}

RT_TEST(cli_conventions, info_json_to_stdout_matches_the_model)
{
    cli_result *r = CLI("runt", "info", "@seed1_model1", "--batch", "5", "--json", "-");
    RT_ASSERT(r->status == 0, "%s", r->err);
    RT_ASSERT(r->out[0] == '{' && !strstr(r->out, "model @seed1"), "JSON only: %s", r->out);
    RT_ASSERT(json_int_after(r->out, "batch") == 5, "batch: %s", r->out);
    runt_model *m;
    RT_ASSERT(runt_zoo_build("seed1_model1", &m) == RUNT_OK, "%s", runt_last_error());
    int n_rows = 0;
    runt_cost total;
    RT_ASSERT(runt_model_describe(m, 5, NULL, 0, &n_rows, &total) == RUNT_OK, "describe");
    runt_model_free(m);
    const char *t = strstr(r->out, "\"total\"");
    RT_ASSERT(t, "total: %s", r->out);
    RT_ASSERT(json_int_after(t, "flops") == total.flops, "flops %lld", (long long)total.flops);
    RT_ASSERT(json_int_after(t, "params") == total.params, "params");
    int nodes = 0;
    for (const char *p = strstr(r->out, "\"nodes\""); p && (p = strstr(p, "\"op\"")); p++)
        nodes++;
    RT_ASSERT(nodes == n_rows, "%d nodes in JSON, %d in the model", nodes, n_rows);
}

RT_TEST(cli_conventions, devices_json_lists_every_backend)
{
    cli_result *r = CLI("runt", "devices", "--json", "-");
    RT_ASSERT(r->status == 0 && r->out[0] == '[', "%s %s", r->out, r->err);
    int n = 0;
    RT_ASSERT(runt_backend_count(&n) == RUNT_OK && n >= 1, "count");
    for (int i = 0; i < n; i++) {
        const char *name;
        RT_ASSERT(runt_backend_name(i, &name) == RUNT_OK, "%s", runt_last_error());
        char want[48];
        snprintf(want, sizeof want, "\"backend\": \"%s\"", name);
        RT_ASSERT(strstr(r->out, want), "%s missing: %s", name, r->out);
    }
    r = CLI("runt", "devices", "--backend", "ref", "--json", "-");
    RT_ASSERT(r->status == 0 && strstr(r->out, "\"ref\"") && !strstr(r->out, "\"cpu\""),
              "only ref: %s", r->out);
}

RT_TEST(cli_conventions, an_unknown_backend_is_an_error_listing_the_known)
{
    cli_result *r = CLI("runt", "devices", "--backend", "foo");
    RT_ASSERT(r->status == 2, "status %d, out %s", r->status, r->out);
    RT_ASSERT(strstr(r->err, "no backend named 'foo'") && strstr(r->err, "ref"), "%s", r->err);
    RT_ASSERT(!r->out[0], "prints nothing else: %s", r->out);
    r = CLI("runt", "devices", "--backend", "ref,foo");
    RT_ASSERT(r->status == 2 && strstr(r->err, "'foo'"), "second of a list: %s", r->err);
}

RT_TEST(cli_conventions, a_directory_is_not_out_of_memory)
{
    char dir[] = "/tmp/runt-cli-dir-XXXXXX";
    RT_ASSERT(mkdtemp(dir), "mkdtemp");
    cli_result *r = CLI("runt", "info", dir);
    rmdir(dir);
    RT_ASSERT(r->status == 1 && strstr(r->err, dir), "%s", r->err);
    RT_ASSERT(!strstr(r->err, "out of memory") && strstr(r->err, "directory"), "%s", r->err);
}

RT_TEST(cli_conventions, a_text_file_is_not_an_onnx_model)
{
    char path[] = "/tmp/runt-cli-text-XXXXXX";
    int fd = mkstemp(path);
    RT_ASSERT(fd >= 0, "mkstemp");
    const char text[] = "this is a text file, not a protobuf\n";
    RT_ASSERT(write(fd, text, sizeof text - 1) == (ssize_t)(sizeof text - 1), "write");
    close(fd);
    cli_result *r = CLI("runt", "info", path);
    unlink(path);
    RT_ASSERT(r->status == 1 && strstr(r->err, "not an ONNX model"), "%s", r->err);
}

RT_TEST(cli_conventions, batch_limits_name_the_range)
{
    const char *commands[][2] = {{"info", "@seed1_model5"}, {"bench", "--model"}};
    for (int i = 0; i < 2; i++) {
        cli_result *r = i ? CLI("runt", "bench", "--model", "@seed1_model5", "--batch", "100000000")
                          : CLI("runt", "info", "@seed1_model5", "--batch", "100000000");
        RT_ASSERT(r->status == 2, "%s: status %d", commands[i][0], r->status);
        RT_ASSERT(strstr(r->err, "from 1 to 16777216") && strstr(r->err, "100000000"), "%s: %s",
                  commands[i][0], r->err);
    }
}

/* A model whose input is fixed at [4, 100], written as ONNX. */
static void write_fixed_batch_model(const char *path)
{
    static float w[10 * 100], b[10];
    for (int i = 0; i < 10 * 100; i++)
        w[i] = (float)((i * 37) % 17) / 17.0f - 0.5f;
    runt_builder *bld;
    runt_value_id x, y;
    int64_t dims[2] = {4, 100};
    RT_ASSERT(runt_builder_create(NULL, &bld) == RUNT_OK, "builder");
    RT_ASSERT(runt_builder_input(bld, "x", RUNT_F32, 2, dims, &x) == RUNT_OK, "%s", runt_last_error());
    RT_ASSERT(runt_builder_linear(bld, x, 100, 10, w, b, &y) == RUNT_OK, "%s", runt_last_error());
    RT_ASSERT(runt_builder_output(bld, y, "y") == RUNT_OK, "%s", runt_last_error());
    runt_model *m;
    RT_ASSERT(runt_builder_finish(bld, &m) == RUNT_OK, "%s", runt_last_error());
    RT_ASSERT(runt_model_save_onnx(m, path) == RUNT_OK, "%s", runt_last_error());
    runt_model_free(m);
}

RT_TEST(cli_conventions, a_fixed_batch_is_refused_not_ignored)
{
    char dir[] = "/tmp/runt-cli-fixed-XXXXXX", path[64];
    RT_ASSERT(mkdtemp(dir), "mkdtemp");
    snprintf(path, sizeof path, "%s/fixed.onnx", dir);
    write_fixed_batch_model(path);
    cli_result *r = CLI("runt", "info", path, "--batch", "64");
    RT_ASSERT(r->status == 1 && strstr(r->err, "fixed shape [4, 100]"), "info: %s %s", r->out,
              r->err);
    RT_ASSERT(!strstr(r->out, "batch 64"), "no table claiming batch 64: %s", r->out);
    r = CLI("runt", "info", path, "--batch", "4");
    RT_ASSERT(r->status == 0, "the model's own batch is fine: %s", r->err);
    r = CLI("runt", "bench", "--model", path, "--batch", "64", "--backend", "ref");
    RT_ASSERT(r->status == 1 && strstr(r->err, "fixed shape [4, 100]"), "bench: %s", r->err);
    RT_ASSERT(!strstr(r->out, "seed") && !strstr(r->out, "median"), "nothing ran: %s", r->out);
    unlink(path);
    rmdir(dir);
}

RT_TEST(cli_conventions, bench_outputs_are_checked_before_any_work)
{
    /* Each would fail only after the whole suite had run; now at once, with
     * nothing measured (no table on stdout). */
    cli_result *r = CLI("runt", "bench", "--plots", "/nonexistent/runt-plots");
    RT_ASSERT(r->status == 1 && strstr(r->err, "--plots /nonexistent/runt-plots"), "%s", r->err);
    RT_ASSERT(!r->out[0], "nothing measured: %s", r->out);
    r = CLI("runt", "bench", "--json", "/nonexistent/x.json");
    RT_ASSERT(r->status == 1 && strstr(r->err, "--json /nonexistent/x.json"), "%s", r->err);
    r = CLI("runt", "bench", "--csv", "/tmp");
    RT_ASSERT(r->status == 1 && strstr(r->err, "directory"), "%s", r->err);
    r = CLI("runt", "bench", "--json", "-", "--csv", "-");
    RT_ASSERT(r->status == 2, "both to stdout: %s", r->err);
    r = CLI("runt", "info", "@seed1_model1", "--json", "/nonexistent/i.json");
    RT_ASSERT(r->status == 1 && strstr(r->err, "/nonexistent/i.json"), "%s", r->err);
    /* run: the output is checked before the model is even loaded. */
    r = CLI("runt", "run", "/nonexistent/m.onnx", "--input", "/nonexistent/x.npy", "--output",
            "/nonexistent/y.npy");
    RT_ASSERT(r->status == 1 && strstr(r->err, "--output /nonexistent/y.npy"), "%s", r->err);
}
