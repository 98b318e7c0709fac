#define _POSIX_C_SOURCE 200809L /* clock_gettime */
/* What the host says about itself: its cache sizes (/sys) and how busy
 * other processes kept it (/proc). */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "calibrate_impl.h"
#include "runt-backend.h"

int runt_read_line(const char *path, char *buf, size_t size)
{
    FILE *f = fopen(path, "r");
    if (!f)
        return 0;
    int ok = fgets(buf, (int)size, f) != NULL;
    fclose(f);
    if (ok)
        buf[strcspn(buf, "\n")] = '\0';
    return ok;
}

/* "48K", "2048K", "260M" -> bytes. */
static double runt_parse_size(const char *s)
{
    char *end;
    double v = strtod(s, &end);
    if (*end == 'K')
        v *= 1024;
    else if (*end == 'M')
        v *= RUNT_MIB;
    else if (*end == 'G')
        v *= 1024 * RUNT_MIB;
    return v;
}

/* CPUs sharing a cache, from "0", "0-1", "0,2-3". */
static int runt_count_cpus(const char *list)
{
    int n = 0;
    for (const char *p = list; *p;) {
        char *end;
        long a = strtol(p, &end, 10), b = a;
        if (end == p)
            break;
        if (*end == '-')
            b = strtol(end + 1, &end, 10);
        n += (int)(b - a + 1);
        p = *end == ',' ? end + 1 : end;
        if (*end != ',')
            break;
    }
    return n > 0 ? n : 1;
}

int runt_host_cache_bytes(int threads, double bytes[RUNT_LEVEL_COUNT])
{
    /* Common sizes when sysfs is absent (another OS, a container without /sys). */
    bytes[RUNT_LEVEL_L1] = 32 * 1024.0;
    bytes[RUNT_LEVEL_L2] = RUNT_MIB;
    bytes[RUNT_LEVEL_L3] = 32 * RUNT_MIB;
    bytes[RUNT_LEVEL_DRAM] = INFINITY;
    int found = 0;
    for (int i = 0; i < 8; i++) {
        char path[128], level[16], type[32], size[32], shared[64] = "0";
        const char *dir = "/sys/devices/system/cpu/cpu0/cache";
        snprintf(path, sizeof path, "%s/index%d/level", dir, i);
        if (!runt_read_line(path, level, sizeof level))
            break;
        snprintf(path, sizeof path, "%s/index%d/type", dir, i);
        runt_read_line(path, type, sizeof type);
        snprintf(path, sizeof path, "%s/index%d/size", dir, i);
        if (!runt_read_line(path, size, sizeof size) || strcmp(type, "Instruction") == 0)
            continue;
        snprintf(path, sizeof path, "%s/index%d/shared_cpu_list", dir, i);
        runt_read_line(path, shared, sizeof shared);
        int l = atoi(level);
        if (l < 1 || l > 3)
            continue;
        double b = runt_parse_size(size);
        /* A cache of one CPU serves each thread separately: t threads that
         * split a matrix between them hold t times as much. */
        int sharers = runt_count_cpus(shared);
        if (sharers == 1 && threads > 1)
            b *= threads;
        bytes[l - 1] = b;
        found = 1;
    }
    return found;
}

runt_load_mark runt_load_mark_now(void)
{
    runt_load_mark m = {0, 0, 0, 0, 0};
    struct timespec ts;
    if (clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts) == 0)
        m.own_s = (double)ts.tv_sec + ts.tv_nsec * 1e-9;
    m.wall_s = runt_clock_us() * 1e-6;
    FILE *f = fopen("/proc/stat", "r");
    if (!f)
        return m;
    char line[512];
    long hz = sysconf(_SC_CLK_TCK);
    while (fgets(line, sizeof line, f)) {
        if (strncmp(line, "cpu ", 4) == 0) {
            unsigned long long v[8] = {0};
            int got = sscanf(line + 4, "%llu %llu %llu %llu %llu %llu %llu %llu", &v[0], &v[1],
                             &v[2], &v[3], &v[4], &v[5], &v[6], &v[7]);
            if (got >= 4 && hz > 0) {
                /* user nice system idle iowait irq softirq steal */
                double ticks = (double)(v[0] + v[1] + v[2] + v[5] + v[6] + v[7]);
                m.busy_s = ticks / (double)hz;
                m.ok = 1;
            }
        } else if (strncmp(line, "cpu", 3) == 0 && line[3] >= '0' && line[3] <= '9') {
            m.cores++;
        }
    }
    fclose(f);
    if (m.cores < 1)
        m.ok = 0;
    return m;
}

/* Cores other processes kept busy between two marks: the machine's busy
 * time less this process's own, over the wall time. NAN when unknown. */
double runt_load_others(const runt_load_mark *a, const runt_load_mark *b)
{
    double wall = b->wall_s - a->wall_s;
    if (!a->ok || !b->ok || !(wall > 0))
        return NAN;
    double others = ((b->busy_s - a->busy_s) - (b->own_s - a->own_s)) / wall;
    /* Tick accounting rounds both terms: clamp what rounding can overshoot. */
    return others < 0 ? 0 : others > b->cores ? b->cores : others;
}

/* The 1-minute load average; NAN without /proc/loadavg. */
double runt_load_average(void)
{
    char line[128];
    double one;
    if (!runt_read_line("/proc/loadavg", line, sizeof line) || sscanf(line, "%lf", &one) != 1 ||
        !(one >= 0))
        return NAN;
    return one;
}

