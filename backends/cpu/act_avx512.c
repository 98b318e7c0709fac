/*
 * The epilogue activations over vectors (act_vec.h) for AVX-512: 16 floats a vector, built with the AVX-512
 * flags (CMakeLists.txt).
 * Without the ISA the function is absent (NULL).
 */
#include "cpu_impl.h"

#if defined(__AVX512F__)

#define ACT_LANES 16
#define ACT_MAP act_map_avx512
#include "act_vec.h"

const runt_cpu_map_fn runt_cpu_map_avx512 = act_map_avx512;
#else
const runt_cpu_map_fn runt_cpu_map_avx512 = 0;
#endif
