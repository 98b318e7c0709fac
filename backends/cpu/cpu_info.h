/*
 * Host facts for the CPU backend (cpu_info.c), apart from cpu_impl.h so the
 * int8 kernels' driver (q8.c), which sits below the backend's own files,
 * can ask for the core count without including them.
 */
#ifndef RUNT_CPU_INFO_H
#define RUNT_CPU_INFO_H

#include "runt-backend.h"

/* Cores this process may use (>= 1). */
int runt_cpu_core_count(void);
/* "model name : Intel(R) Xeon(R) ..." from /proc/cpuinfo (x86), or the
 * "Hardware"/"CPU part" lines elsewhere; "" when there is no such file. */
void runt_cpu_model_name(char *out, size_t size);
/* Fills the device info: CPU model name and kernel tier, cores, host memory
 * (cpu_describe.c). */
void runt_cpu_describe(runt_device_info *info);

#endif
