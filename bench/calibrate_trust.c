/* The rules on rounds, load and reuse (calibrate.h). */
#include <math.h>
#include <string.h>

#include "calibrate_impl.h"
#include "runt-backend.h"

double runt_calibration_spread(const double *rounds_us, int n)
{
    double best = INFINITY, second = INFINITY;
    int used = 0;
    for (int i = 0; i < n; i++) {
        double v = rounds_us[i];
        if (!(v > 0) || !isfinite(v))
            continue;
        used++;
        if (v < best) {
            second = best;
            best = v;
        } else if (v < second) {
            second = v;
        }
    }
    return used < 2 ? NAN : second / best - 1;
}

/* The bound with room for rounding: 110 / 100 - 1 is 0.10000000000000009
 * in doubles, and 10 % exactly should settle. NAN is not settled. */
static int runt_spread_ok(double spread)
{
    return spread <= RUNT_CALIBRATION_MAX_SPREAD * (1 + 1e-9);
}

int runt_calibration_settled(const double *rounds_us, int n)
{
    return runt_spread_ok(runt_calibration_spread(rounds_us, n));
}

int runt_calibration_busy(double others_cores, int cores, int threads)
{
    if (!(others_cores >= 0) || cores < 1)
        return 0;
    int free_cores = cores > threads ? cores - threads : 0;
    return others_cores > free_cores + RUNT_CALIBRATION_LOAD_SLACK;
}

/* Which probes a calibration ran: the peaks, elementwise and dispatch
 * always, int8 when the backend has it, the levels it probed, the copies on
 * a device backend. */
static int runt_calibration_probed(const runt_calibration *c, int p)
{
    switch (p) {
    case RUNT_PROBE_PEAK_INT8:
        return isfinite(c->peak_int8_gops);
    case RUNT_PROBE_BW_L1:
    case RUNT_PROBE_BW_L2:
    case RUNT_PROBE_BW_L3:
    case RUNT_PROBE_BW_DRAM:
        return isfinite(c->bw_gbps[p - RUNT_PROBE_BW_L1]);
    case RUNT_PROBE_H2D:
        return isfinite(c->h2d_gbps);
    case RUNT_PROBE_D2H:
        return isfinite(c->d2h_gbps);
    case RUNT_PROBE_OP_RATES:
    case RUNT_PROBE_EPILOGUES:
    case RUNT_PROBE_CONV:
        return c->tables;
    default:
        return 1;
    }
}

int runt_calibration_unsettled(const runt_calibration *c)
{
    int bits = 0;
    if (!c->checked)
        return 0;
    for (int p = 0; p < RUNT_PROBE_COUNT; p++)
        if (runt_calibration_probed(c, p) && !runt_spread_ok(c->spread[p]))
            bits |= 1 << p;
    return bits;
}

int runt_calibration_reusable(const runt_calibration *c, const char *device, int threads,
                              char *why, size_t why_size)
{
    if (why_size)
        why[0] = '\0';
    if (device && strcmp(c->device, device) != 0) {
        snprintf(why, why_size, "it was measured on another device ('%s', this is '%s')",
                 c->device, device);
        return 0;
    }
    if (c->threads != threads) {
        snprintf(why, why_size, "it was measured on %d threads, not %d", c->threads, threads);
        return 0;
    }
    if (!c->checked) {
        snprintf(why, why_size, "it predates the load and stability checks (cache format %d)",
                 RUNT_CALIBRATION_FORMAT_UNCHECKED);
        return 0;
    }
    if (!c->tables) {
        snprintf(why, why_size, "it predates the op-rate and conv tables (cache format %d)",
                 RUNT_CALIBRATION_FORMAT_NO_TABLES);
        return 0;
    }
    if (c->format && c->format < RUNT_CALIBRATION_FORMAT_REF_OPS) {
        snprintf(why, why_size, "its probes read their fastest runs and its GEMM grid is by "
                 "width alone (cache format %d); this runt reads medians, as the bench reports, "
                 "over an m x n x k grid (format %d)", c->format, RUNT_CALIBRATION_FORMAT);
        return 0;
    }
    if (c->format && c->format < RUNT_CALIBRATION_FORMAT) {
        snprintf(why, why_size, "its rates of the activations and max pooling were measured on "
                 "the reference kernels the CPU backend ran then (cache format %d); this runt "
                 "has its own (format %d)", c->format, RUNT_CALIBRATION_FORMAT);
        return 0;
    }
    if (c->busy) {
        char avg[48] = "";
        if (isfinite(c->load_avg))
            snprintf(avg, sizeof avg, "; 1-minute load average %.2f", c->load_avg);
        snprintf(why, why_size,
                 "it was measured while the machine was busy (other processes kept %.2f of %d "
                 "cores busy, %d thread%s calibrated%s)", c->load_others, c->cores, c->threads,
                 c->threads == 1 ? "" : "s", avg);
        return 0;
    }
    int bits = runt_calibration_unsettled(c);
    if (bits) {
        char list[160] = "";
        for (int p = 0; p < RUNT_PROBE_COUNT; p++)
            if (bits & (1 << p)) {
                size_t len = strlen(list);
                snprintf(list + len, sizeof list - len, "%s%s %.1f%%", len ? ", " : "",
                         runt_probe_names[p], 100 * c->spread[p]);
            }
        snprintf(why, why_size, "its probes did not settle (%s; at most %.0f%% is stable)", list,
                 100 * RUNT_CALIBRATION_MAX_SPREAD);
        return 0;
    }
    return 1;
}

void runt_calibration_monotone(runt_calibration *c)
{
    double farther = NAN;
    for (int l = RUNT_LEVEL_DRAM; l >= 0; l--) {
        if (!isfinite(c->bw_gbps[l]))
            continue;
        if (isfinite(farther) && c->bw_gbps[l] < farther) {
            c->bw_gbps[l] = farther;
            c->raised |= 1 << l;
        }
        farther = c->bw_gbps[l];
    }
}

