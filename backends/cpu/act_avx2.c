/*
 * The epilogue activations over vectors (act_vec.h) for AVX2 + FMA: 8 floats a vector, built with -mavx2
 * -mfma.
 * Without the ISA the function is absent (NULL).
 */
#include "cpu_impl.h"

#if defined(__AVX2__) && defined(__FMA__)

#define ACT_LANES 8
#define ACT_MAP act_map_avx2
#include "act_vec.h"

const runt_cpu_map_fn runt_cpu_map_avx2 = act_map_avx2;
#else
const runt_cpu_map_fn runt_cpu_map_avx2 = 0;
#endif
