/*
 * The FMA peak of one core, measured: 12 independent chains of AVX-512
 * vfmadd231ps on registers only (no loads or stores to wait on), the best
 * of 9 runs of 20 M iterations. This is the denominator of "percent of FMA
 * peak" in bench/results; it is not part of the library or the bench.
 *   cc -O2 scripts/fma-peak.c -o /tmp/fma-peak && /tmp/fma-peak
 * x86-64 with AVX-512F only (it says so and exits 1 elsewhere).
 */
#include <stdio.h>
#include <time.h>

static double seconds(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

int main(void)
{
#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
    if (!__builtin_cpu_supports("avx512f")) {
        fprintf(stderr, "fma-peak: this CPU has no AVX-512F\n");
        return 1;
    }
    const long iterations = 20000000;
    double best = 0;
    for (int run = 0; run < 9; run++) {
        long n = iterations;
        double t0 = seconds();
        /* 12 chains hide the 4-cycle FMA latency at 2 FMAs per cycle. */
        __asm__ volatile("vxorps %%zmm0, %%zmm0, %%zmm0\n\t"
                         "vxorps %%zmm1, %%zmm1, %%zmm1\n"
                         "1:\n\t"
                         ".irp r, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13\n\t"
                         "vfmadd231ps %%zmm0, %%zmm1, %%zmm\\r\n\t"
                         ".endr\n\t"
                         "dec %0\n\t"
                         "jnz 1b"
                         : "+r"(n)
                         :
                         : "xmm0", "xmm1", "xmm2", "xmm3", "xmm4", "xmm5", "xmm6", "xmm7",
                           "xmm8", "xmm9", "xmm10", "xmm11", "xmm12", "xmm13", "cc");
        double gflops = (double)iterations * 12 * 16 * 2 / (seconds() - t0) * 1e-9;
        printf("run %d: %.1f GFLOP/s\n", run + 1, gflops);
        best = gflops > best ? gflops : best;
    }
    printf("FMA peak, one core, AVX-512 f32: %.1f GFLOP/s (best of 9)\n", best);
    return 0;
#else
    fprintf(stderr, "fma-peak: x86-64 with GCC or Clang only\n");
    return 1;
#endif
}
