/*
 * The CPU backend's device description: the host's facts (cpu_info.c) and
 * the kernel tier a session gets by default (cpu_tier.c). Apart from
 * cpu_info.c, which the int8 driver below the tiers reads for its core count.
 */
#include <stdio.h>

#include "cpu_impl.h"

void runt_cpu_describe(runt_device_info *info)
{
    char model[96];
    runt_cpu_model_name(model, sizeof model);
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
