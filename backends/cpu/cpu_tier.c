/*
 * Kernel tiers: the instruction-set levels the CPU backend's own kernels come
 * in, and the cap a session may put on them.
 *
 * A machine runs the best tier it has; a test machine therefore never runs
 * the paths that a machine without AVX-512 (or without AVX2) takes, and a bug
 * on those paths stays hidden until a user's machine finds it (a null
 * scratch pointer in the convolution path did exactly that). Capping the tier
 * runs the lower paths on any machine: the int8 kernels (q8_impl.h) and the
 * f32 GEMM (runt's AVX-512 kernel, else OpenBLAS) are chosen as if the CPU
 * stopped at the cap. OpenBLAS's own kernels are not capped: they are
 * OpenBLAS's choice (OPENBLAS_CORETYPE sets it).
 *
 * Tiers, in order:   0 "c"      portable C
 *                    1 "avx2"   x86-64 AVX2 + FMA        | "neon"      Arm
 *                    2 "avx512" x86-64 AVX-512 (+ VNNI)  | "neon-dot"  Arm
 * The cap comes from runt_cpu_options.tier, else from the
 * environment variable RUNT_CPU_TIER, else there is none. A cap above what the
 * CPU runs is the CPU's best; a name that is not a tier of this architecture
 * is an error.
 */
#include <stdlib.h>
#include <string.h>

#include "cpu_impl.h"
#include "q8_impl.h"

typedef struct cpu_tier_name {
    const char *name;
    int tier;
} cpu_tier_name;

static const cpu_tier_name cpu_tier_names[] = {
    {"c", RUNT_CPU_TIER_C},
#if defined(__x86_64__) || defined(__i386__)
    {"avx2", RUNT_CPU_TIER_SIMD},
    {"avx512", RUNT_CPU_TIER_WIDE},
#elif defined(__aarch64__)
    {"neon", RUNT_CPU_TIER_SIMD},
    {"neon-dot", RUNT_CPU_TIER_WIDE},
#endif
};

#define CPU_TIER_COUNT ((int)(sizeof cpu_tier_names / sizeof cpu_tier_names[0]))

const char *runt_cpu_tier_name(int tier)
{
    for (int i = 0; i < CPU_TIER_COUNT; i++)
        if (cpu_tier_names[i].tier == tier)
            return cpu_tier_names[i].name;
    return "c";
}

int runt_q8_kernel_tier(const runt_q8_kernel *k)
{
    switch (k->isa) {
    case RUNT_Q8_ISA_AVX2:
    case RUNT_Q8_ISA_NEON: return RUNT_CPU_TIER_SIMD;
    case RUNT_Q8_ISA_AVX512VNNI:
    case RUNT_Q8_ISA_NEON_DOT: return RUNT_CPU_TIER_WIDE;
    default: return RUNT_CPU_TIER_C;
    }
}

int runt_cpu_tier_max(void)
{
    int best = RUNT_CPU_TIER_C;
    const runt_q8_kernel *k;
    for (int i = 0; (k = runt_q8_kernel_at(i)) != NULL; i++)
        if (runt_q8_kernel_usable(k) && runt_q8_kernel_tier(k) > best)
            best = runt_q8_kernel_tier(k);
    if (runt_cpu_packed_available())
        best = RUNT_CPU_TIER_WIDE;
    return best;
}

static runt_status cpu_tier_parse(const char *name, const char *where, int *tier)
{
    for (int i = 0; i < CPU_TIER_COUNT; i++)
        if (strcmp(cpu_tier_names[i].name, name) == 0) {
            *tier = cpu_tier_names[i].tier;
            return RUNT_OK;
        }
    char known[64] = "";
    for (int i = 0; i < CPU_TIER_COUNT; i++) {
        strncat(known, i ? ", " : "", sizeof known - strlen(known) - 1);
        strncat(known, cpu_tier_names[i].name, sizeof known - strlen(known) - 1);
    }
    return runt_error_set(RUNT_E_INVALID_ARG, "%s: '%.40s' is not a CPU kernel tier of this "
                          "build (%s)", where, name, known);
}

runt_status runt_cpu_tier_resolve(const char *requested, int *tier)
{
    int cap = RUNT_CPU_TIER_WIDE;
    runt_status s = RUNT_OK;
    const char *env = getenv("RUNT_CPU_TIER");
    if (requested)
        s = cpu_tier_parse(requested, "runt_cpu_options.tier", &cap);
    else if (env && *env)
        s = cpu_tier_parse(env, "environment variable RUNT_CPU_TIER", &cap);
    if (s != RUNT_OK)
        return s;
    int max = runt_cpu_tier_max();
    *tier = cap < max ? cap : max;
    return RUNT_OK;
}

const runt_q8_kernel *runt_q8_kernel_best_up_to(int tier)
{
    const runt_q8_kernel *k;
    for (int i = 0; (k = runt_q8_kernel_at(i)) != NULL; i++)
        if (runt_q8_kernel_tier(k) <= tier && runt_q8_kernel_usable(k))
            return k;
    return &runt_q8_kernel_c;
}
