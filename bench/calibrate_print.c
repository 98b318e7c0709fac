/* The calibration's tables as text: `runt devices` prints them from the
 * calibration itself, so they show whether it was just measured or read
 * from the cache (the probes' progress lines show only while measuring). */
#include <math.h>

#include "calibrate_impl.h"

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
    fprintf(out, "\n%sint8 weights read (int8 GEMV), GB/s:", indent);
    for (int l = 0; l < RUNT_LEVEL_COUNT; l++)
        if (c->bw_int8_gbps[l] > 0)
            fprintf(out, " %s %.1f", runt_level_names[l], c->bw_int8_gbps[l]);
    fputc('\n', out);
    for (int conv = 0; conv < 2; conv++)
        for (int q = 0; q < 2; q++) {
            fprintf(out, "%sfused activations (%s%s), GFLOP/s:", indent, q ? "int8" : "f32",
                    conv ? ", after a Conv" : "");
            for (int a = RUNT_ACT_RELU; a < RUNT_ACT_RATE_COUNT; a++)
                fprintf(out, " %s %.3g", runt_act_rate_names[a],
                        conv ? c->conv_act_gflops[q][a] : c->act_gflops[q][a]);
            fputc('\n', out);
        }
    const runt_grid3 *grids[2] = {&runt_gemm_grid, &runt_conv_grid};
    const double *rates[2] = {&c->gemm_gflops[0][0][0][0], &c->conv_gflops[0][0][0][0]};
    static const char *const what[2] = {"GEMM grid (%s), G%s/s: Linear(k, n) at batch m",
                                        "conv grid (%s), G%s/s: 3x3 convs by depth d (c_in * 9) "
                                        "and output channels m"};
    for (int g = 0; g < 2; g++) {
        const runt_grid3 *grid = grids[g];
        int points = runt_grid3_points(grid), row = grid->n[2];
        for (int q = 0; q < 2; q++) {
            fputs(indent, out);
            fprintf(out, what[g], q ? "int8" : "f32", q ? "OP" : "FLOP");
            fprintf(out, "; columns %s =", grid->axis[2]);
            for (int l = 0; l < row; l++)
                fprintf(out, " %lld", (long long)grid->values[2][l]);
            fputc('\n', out);
            for (int r = 0; r < points; r += row) {
                int idx[3];
                runt_grid3_point(grid, r, idx);
                fprintf(out, "%s  %s %4lld %s %4lld:", indent, grid->axis[0],
                        (long long)grid->values[0][idx[0]], grid->axis[1],
                        (long long)grid->values[1][idx[1]]);
                for (int l = 0; l < row; l++)
                    runt_print_rate(out, rates[g][q * points + r + l]);
                fputc('\n', out);
            }
        }
    }
}
