/*
 * Host facts for the CPU backend: the CPU's model name and the cores this
 * process may run on.
 */
#if !defined(_GNU_SOURCE)
#define _GNU_SOURCE /* sched_getaffinity, CPU_COUNT */
#endif

#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cpu_impl.h"
#include "cpu_info.h"

int runt_cpu_core_count(void)
{
    cpu_set_t set;
    if (sched_getaffinity(0, sizeof set, &set) == 0 && CPU_COUNT(&set) > 0)
        return CPU_COUNT(&set);
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    return n > 0 ? (int)n : 1;
}

/* "model name : Intel(R) Xeon(R) ..." from /proc/cpuinfo (x86), or the
 * "Hardware"/"CPU part" lines elsewhere; "" when there is no such file. */
static void cpu_model_name(char *out, size_t size)
{
    out[0] = '\0';
    FILE *f = fopen("/proc/cpuinfo", "r");
    if (!f)
        return;
    char line[512];
    while (fgets(line, sizeof line, f)) {
        if (strncmp(line, "model name", 10) != 0 && strncmp(line, "Hardware", 8) != 0)
            continue;
        const char *v = strchr(line, ':');
        if (!v)
            continue;
        v++;
        while (*v == ' ' || *v == '\t')
            v++;
        snprintf(out, size, "%.*s", (int)strcspn(v, "\n"), v);
        break;
    }
    fclose(f);
}

void runt_cpu_describe(runt_device_info *info)
{
    char model[96];
    cpu_model_name(model, sizeof model);
    /* The kernels a session gets by default (the best this CPU runs, or
     * RUNT_CPU_TIER's cap): every bench table and `runt devices` names them
     * with the CPU, so a figure always comes with its tier. */
    int tier = RUNT_CPU_TIER_C;
    if (runt_cpu_tier_resolve(NULL, &tier) != RUNT_OK)
        tier = runt_cpu_tier_max(); /* a bad RUNT_CPU_TIER: sessions report it */
    snprintf(info->name, sizeof info->name, "%s, kernels %s", model[0] ? model : "host CPU",
             runt_cpu_tier_name(tier));
    info->available = 1;
    info->host_memory = 1;
    info->compute_units = runt_cpu_core_count();
    info->memory_bytes = 0; /* runt.h: 0 for host backends */
}
