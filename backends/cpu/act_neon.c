/*
 * The epilogue activations over vectors (act_vec.h) for aarch64 Advanced SIMD: 4 floats a vector.
 * Without the ISA the function is absent (NULL).
 */
#include "cpu_impl.h"

#if defined(__aarch64__)

#define ACT_LANES 4
#define ACT_MAP act_map_neon
#include "act_vec.h"

const runt_cpu_map_fn runt_cpu_map_neon = act_map_neon;
#else
const runt_cpu_map_fn runt_cpu_map_neon = 0;
#endif
