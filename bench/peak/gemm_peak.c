/*
 * gemm-peak: how close runt's f32 GEMM comes to the FMA peak, measured side
 * by side with OpenBLAS's sgemm and with the peak itself.
 *
 *   build/gemm-peak [--threads N] [--size S] [--rounds R]
 *
 * Each round times, one after the other on the same threads: a runt session
 * of Linear(S, S) on an S x S batch (cpu backend), cblas_sgemm of the same
 * shape, and a register-only loop of AVX-512 FMAs on every thread (12
 * independent chains per thread, nothing loaded or stored, as many flops as
 * the GEMM); each the median of 5 runs after an untimed one. A shared or throttled
 * machine moves all three together, so the ratios of one round are
 * comparable where the raw GFLOP/s of two rounds are not; the summary gives
 * the median and p10..p90 of each ratio over the rounds.
 *
 * OpenBLAS runs with whatever core it chose or OPENBLAS_CORETYPE named
 * (printed), so `OPENBLAS_CORETYPE=SkylakeX build/gemm-peak` sets runt
 * against OpenBLAS's own AVX-512 kernel. x86-64 with AVX-512F only; built
 * with the cpu backend on x86-64 (CMakeLists.txt).
 */
#define _POSIX_C_SOURCE 199309L /* clock_gettime, nanosleep */

#include <cblas.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "runt.h"

/* OpenBLAS's own, declared here in case the cblas.h found is another's. */
void openblas_set_num_threads(int num_threads);
char *openblas_get_corename(void);

#define RUNS_PER_ROUND 5
#define MAX_ROUNDS 200

static double seconds(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

static int compare_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static double median(double *v, int n)
{
    qsort(v, (size_t)n, sizeof *v, compare_double);
    return v[n / 2];
}

/* Worker threads spin for a while after their work ends: runt's pool's for
 * 0.1 ms, OpenBLAS's for about 0.1 s. On a machine with as many cores as threads, the next phase would
 * share them with those spinners, so each phase starts after a pause, and
 * then with one untimed run of its own (a core that idled through the
 * pause may take a while to come back, as a VM's virtual CPU does). */
static void settle(void)
{
    struct timespec pause = {0, 250 * 1000 * 1000};
    nanosleep(&pause, NULL);
}

/* 12 chains of vfmadd231ps on zmm registers: 2 FMA ports x 4-cycle
 * latency need 8 in flight, 12 leave slack. 384 flops per iteration. */
static void fma_chains(long iterations)
{
    __asm__ volatile("vxorps %%zmm0, %%zmm0, %%zmm0\n\t"
                     "vxorps %%zmm1, %%zmm1, %%zmm1\n"
                     "1:\n\t"
                     ".irp r, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13\n\t"
                     "vfmadd231ps %%zmm0, %%zmm1, %%zmm\\r\n\t"
                     ".endr\n\t"
                     "dec %0\n\t"
                     "jnz 1b"
                     : "+r"(iterations)
                     :
                     : "xmm0", "xmm1", "xmm2", "xmm3", "xmm4", "xmm5", "xmm6", "xmm7", "xmm8",
                       "xmm9", "xmm10", "xmm11", "xmm12", "xmm13", "cc");
}

typedef struct linear_case {
    runt_model *model;
    runt_session *session;
    float *x, *y, *w, *c;
} linear_case;

static int linear_case_init(linear_case *lc, int64_t size, int threads)
{
    memset(lc, 0, sizeof *lc);
    size_t n = (size_t)(size * size);
    lc->x = malloc(n * sizeof(float));
    lc->y = malloc(n * sizeof(float));
    lc->w = malloc(n * sizeof(float));
    lc->c = malloc(n * sizeof(float));
    if (!lc->x || !lc->y || !lc->w || !lc->c) {
        fprintf(stderr, "gemm-peak: out of memory for %lld x %lld matrices\n", (long long)size,
                (long long)size);
        return 0;
    }
    /* Small integers: every product and sum is exact, no subnormals. */
    for (size_t i = 0; i < n; i++) {
        lc->x[i] = (float)((int)(i % 7) - 3);
        lc->w[i] = (float)((int)(i % 5) - 2) * 0.125f;
    }
    runt_builder *b = NULL;
    runt_value_id x, y;
    int64_t dims[2] = {RUNT_DIM_BATCH, size};
    runt_session_options o = runt_session_options_default();
    o.backend = "cpu";
    o.batch = size;
    o.threads = threads;
    runt_status rc = runt_builder_create(NULL, &b);
    if (rc == RUNT_OK)
        rc = runt_builder_input(b, "x", RUNT_F32, 2, dims, &x);
    if (rc == RUNT_OK)
        rc = runt_builder_linear(b, x, size, size, lc->w, NULL, &y);
    if (rc == RUNT_OK)
        rc = runt_builder_output(b, y, "y");
    if (rc == RUNT_OK)
        rc = runt_builder_finish(b, &lc->model); /* consumes b */
    else
        runt_builder_free(b);
    if (rc == RUNT_OK)
        rc = runt_session_create(lc->model, &o, &lc->session);
    if (rc != RUNT_OK) {
        fprintf(stderr, "gemm-peak: %s\n", runt_last_error());
        return 0;
    }
    return 1;
}

static void linear_case_free(linear_case *lc)
{
    runt_session_free(lc->session);
    runt_model_free(lc->model);
    free(lc->x);
    free(lc->y);
    free(lc->w);
    free(lc->c);
}

/* What a timed phase needs; each reads its own fields. */
typedef struct phase {
    linear_case *lc;
    int64_t size;
    int threads;
    long iterations; /* the FMA loop's, per thread */
} phase;

/* One run of a phase; 0 when it failed (the message is printed). */
typedef int (*phase_run)(const phase *ph);

/* runt's Linear. */
static int run_runt(const phase *ph)
{
    runt_tensor in = {.dtype = RUNT_F32, .ndim = 2, .dims = {ph->size, ph->size},
                      .data = ph->lc->x};
    runt_tensor out = {.dtype = RUNT_F32, .ndim = 2, .dims = {ph->size, ph->size},
                       .data = ph->lc->y};
    if (runt_session_run(ph->lc->session, &in, 1, &out, 1) == RUNT_OK)
        return 1;
    fprintf(stderr, "gemm-peak: %s\n", runt_last_error());
    return 0;
}

/* The same product through OpenBLAS: C = X W^T, as nn.Linear. */
static int run_openblas(const phase *ph)
{
    int s = (int)ph->size;
    /* Process-wide, and runt's BLAS path sets it to 1 (it splits the work
     * over its own threads): set it for each call. */
    openblas_set_num_threads(ph->threads);
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, s, s, s, 1.0f, ph->lc->x, s, ph->lc->w,
                s, 0.0f, ph->lc->c, s);
    return 1;
}

static void *fma_thread(void *arg)
{
    fma_chains(((const phase *)arg)->iterations);
    return NULL;
}

/* The FMA loop on every thread (this one and threads - 1 started for it;
 * a thread's start costs microseconds against a loop of milliseconds). */
static int run_fma(const phase *ph)
{
    pthread_t others[1024];
    int started = 0;
    while (started < ph->threads - 1 && started < 1024 &&
           pthread_create(&others[started], NULL, fma_thread, (void *)ph) == 0)
        started++;
    fma_chains(ph->iterations);
    for (int t = 0; t < started; t++)
        pthread_join(others[t], NULL);
    if (started < ph->threads - 1) {
        fprintf(stderr, "gemm-peak: could start only %d of %d FMA threads\n", started + 1,
                ph->threads);
        return 0;
    }
    return 1;
}

/* Median seconds of RUNS_PER_ROUND runs after an untimed one; < 0 when a
 * run failed. */
static double median_seconds(phase_run run, const phase *ph)
{
    double t[RUNS_PER_ROUND];
    for (int r = -1; r < RUNS_PER_ROUND; r++) {
        double t0 = seconds();
        if (!run(ph))
            return -1;
        if (r >= 0)
            t[r] = seconds() - t0;
    }
    return median(t, RUNS_PER_ROUND);
}

static int parse_int(const char *flag, const char *v, long lo, long hi, long *out)
{
    char *end;
    long x = strtol(v, &end, 10);
    if (*v == '\0' || *end != '\0' || x < lo || x > hi) {
        fprintf(stderr, "gemm-peak: %s wants an integer in [%ld, %ld], got '%s'\n", flag, lo, hi,
                v);
        return 0;
    }
    *out = x;
    return 1;
}

static void print_ratio(const char *what, double *v, int n)
{
    qsort(v, (size_t)n, sizeof *v, compare_double);
    printf("%-26s median %.3f  (p10 %.3f, p90 %.3f)\n", what, v[n / 2], v[n / 10],
           v[(n * 9) / 10 < n ? (n * 9) / 10 : n - 1]);
}

int main(int argc, char **argv)
{
    if (!__builtin_cpu_supports("avx512f")) {
        fprintf(stderr, "gemm-peak: this CPU has no AVX-512F; the FMA loop is AVX-512 only\n");
        return 1;
    }
    long threads = 0, size = 1024, rounds = 15;
    for (int i = 1; i < argc; i++) {
        int has_value = i + 1 < argc;
        if (strcmp(argv[i], "--threads") == 0 && has_value) {
            if (!parse_int("--threads", argv[++i], 0, 1024, &threads))
                return 2;
        } else if (strcmp(argv[i], "--size") == 0 && has_value) {
            if (!parse_int("--size", argv[++i], 16, 8192, &size))
                return 2;
        } else if (strcmp(argv[i], "--rounds") == 0 && has_value) {
            if (!parse_int("--rounds", argv[++i], 1, MAX_ROUNDS, &rounds))
                return 2;
        } else {
            fprintf(stderr, "usage: gemm-peak [--threads N] [--size S] [--rounds R]\n");
            return 2;
        }
    }
    if (threads == 0) {
        runt_device_info d;
        threads = 1;
        for (int i = 0, n = 0; runt_backend_count(&n) == RUNT_OK && i < n; i++)
            if (runt_backend_info(i, &d) == RUNT_OK && strcmp(d.backend, "cpu") == 0)
                threads = d.compute_units;
    }
    openblas_set_num_threads((int)threads);

    linear_case lc;
    if (!linear_case_init(&lc, size, (int)threads)) {
        linear_case_free(&lc);
        return 1;
    }
    double flops = 2.0 * (double)size * (double)size * (double)size;
    printf("gemm-peak: Linear(%ld, %ld) on a %ld x %ld batch, %ld thread%s, OpenBLAS core %s\n",
           size, size, size, size, threads, threads == 1 ? "" : "s", openblas_get_corename());
    printf("round   runt GFLOP/s  OpenBLAS GFLOP/s  FMA peak GFLOP/s  runt/peak  OpenBLAS/peak\n");

    /* About one GEMM's time at the peak: the loop runs as long as the work
     * it is compared with, in the same minute. */
    phase ph = {&lc, size, (int)threads, (long)(flops / (384.0 * (double)threads))};
    /* First runs on their own: packing, page faults, thread start-up. */
    if (!run_runt(&ph)) {
        linear_case_free(&lc);
        return 1;
    }
    settle();
    run_openblas(&ph);
    /* Small integers times multiples of 1/8: both products are exact, so
     * they must agree to the bit, or the comparison is of different work. */
    if (memcmp(lc.y, lc.c, (size_t)(size * size) * sizeof(float)) != 0) {
        fprintf(stderr, "gemm-peak: runt's and OpenBLAS's products differ\n");
        linear_case_free(&lc);
        return 1;
    }
    double runt_peak[MAX_ROUNDS], blas_peak[MAX_ROUNDS], runt_blas[MAX_ROUNDS];
    for (int r = 0; r < rounds; r++) {
        settle();
        double tr = median_seconds(run_runt, &ph);
        if (tr < 0) {
            linear_case_free(&lc);
            return 1;
        }
        settle();
        double tb = median_seconds(run_openblas, &ph);
        settle();
        double tf = median_seconds(run_fma, &ph);
        double peak = (double)ph.iterations * 384.0 * ph.threads / tf * 1e-9;
        double gr = flops / tr * 1e-9, gb = flops / tb * 1e-9;
        runt_peak[r] = gr / peak;
        blas_peak[r] = gb / peak;
        runt_blas[r] = gr / gb;
        printf("%5d   %12.1f  %16.1f  %16.1f  %9.3f  %13.3f\n", r + 1, gr, gb, peak,
               runt_peak[r], blas_peak[r]);
    }
    printf("over %ld rounds:\n", rounds);
    print_ratio("runt / FMA peak", runt_peak, (int)rounds);
    print_ratio("OpenBLAS / FMA peak", blas_peak, (int)rounds);
    print_ratio("runt / OpenBLAS", runt_blas, (int)rounds);
    linear_case_free(&lc);
    return 0;
}
