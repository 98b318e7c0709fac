/* The calibration's tables as text: `runt devices` prints them from the
 * calibration itself, so they show whether it was just measured or read
 * from the cache (the probes' progress lines show only while measuring). */
#include <math.h>

#include "calibrate.h"

/* A table entry, or "-" where it was not measured (0). */
static void runt_print_rate(FILE *out, double v)
{
    if (v > 0 && isfinite(v))
        fprintf(out, v >= 100 ? " %7.0f" : v >= 1 ? " %7.2f" : " %7.3f", v);
    else
        fprintf(out, " %7s", "-");
}

void runt_calibration_print_tables(FILE *out, const runt_calibration *c, const char *indent)
{
    if (!c->tables) {
        fprintf(out, "%stables: none (an older cache file)\n", indent);
        return;
    }
    fprintf(out, "%sop rates, GFLOP/s:", indent);
    for (int k = 0; k < RUNT_OP_RATE_COUNT; k++)
        fprintf(out, " %s %.3g", runt_op_name(runt_op_rate_ops[k]), c->op_gflops[k]);
    fprintf(out, "\n%sactivations streamed, GB/s:", indent);
    for (int l = 0; l < RUNT_LEVEL_COUNT; l++)
        if (c->stream_gbps[l] > 0)
            fprintf(out, " %s %.1f", runt_level_names[l], c->stream_gbps[l]);
    fputc('\n', out);
    for (int q = 0; q < 2; q++) {
        fprintf(out, "%sfused activations (%s), GFLOP/s:", indent, q ? "int8" : "f32");
        for (int a = RUNT_ACT_RELU; a < RUNT_ACT_RATE_COUNT; a++)
            fprintf(out, " %s %.3g", runt_act_rate_names[a],
                    c->act_gflops[q][a]);
        fputc('\n', out);
    }
    for (int q = 0; q < 2; q++) {
        fprintf(out, "%sGEMM grid (%s), G%s/s: Linear(k, n) at batch m; columns k =", indent,
                q ? "int8" : "f32", q ? "OP" : "FLOP");
        for (int l = 0; l < RUNT_GEMM_GRID_KS; l++)
            fprintf(out, " %lld", (long long)runt_gemm_grid_k[l]);
        fputc('\n', out);
        for (int i = 0; i < RUNT_GEMM_GRID_MS; i++)
            for (int j = 0; j < RUNT_GEMM_GRID_NS; j++) {
                fprintf(out, "%s  m %4lld n %4lld:", indent, (long long)runt_gemm_grid_m[i],
                        (long long)runt_gemm_grid_n[j]);
                for (int l = 0; l < RUNT_GEMM_GRID_KS; l++)
                    runt_print_rate(out, c->gemm_gflops[q][i][j][l]);
                fputc('\n', out);
            }
    }
    for (int q = 0; q < 2; q++) {
        fprintf(out, "%sconv grid (%s), G%s/s: 3x3 convs by depth d and output channels m; "
                "columns side =", indent, q ? "int8" : "f32", q ? "OP" : "FLOP");
        for (int si = 0; si < RUNT_CONV_GRID_SIDES; si++)
            fprintf(out, " %lld", (long long)runt_conv_grid_side[si]);
        fputc('\n', out);
        for (int d = 0; d < RUNT_CONV_GRID_DEPTHS; d++)
            for (int o = 0; o < RUNT_CONV_GRID_OUTS; o++) {
                fprintf(out, "%s  d %4lld m %4lld:", indent, (long long)runt_conv_grid_depth[d],
                        (long long)runt_conv_grid_out[o]);
                for (int si = 0; si < RUNT_CONV_GRID_SIDES; si++)
                    runt_print_rate(out, c->conv_gflops[q][d][o][si]);
                fputc('\n', out);
            }
    }
}
