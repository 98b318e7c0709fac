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
/* Fills the device info: CPU model name, cores, host memory. */
void runt_cpu_describe(runt_device_info *info);

#endif
