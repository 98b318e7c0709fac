/*
 * Counts libc's allocations during runs, through a wrapper this program
 * defines (it replaces malloc, calloc, realloc, free and the aligned forms for
 * the whole process, shared libraries included, and forwards to glibc's
 * __libc_* entry points). runt's own allocator hook cannot see what a library
 * under runt allocates; this can.
 *
 *   ref:  no call at all in a run, first or later (runt.h: "Allocation").
 *   cpu:  runt's allocator is never called in a run, and every libc
 *         allocation made during a run comes from below runt: the dynamic
 *         loader's TLS setup of a pool worker the run starts (the first
 *         multi-threaded run starts them) and OpenBLAS (the f32 GEMMs below
 *         the AVX-512 tier); the counts are printed, per kernel tier.
 *
 * Its own program (no Criterion, which allocates around every test) and
 * never built with sanitizers, which replace malloc themselves. glibc only:
 * elsewhere it exits 77, which ctest reports as skipped.
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "runt.h"
#include "test_models.h"
#include "test_util.h"

#if defined(__GLIBC__)
#include <dlfcn.h>
#include <stdatomic.h>

extern void *__libc_malloc(size_t);
extern void *__libc_calloc(size_t, size_t);
extern void *__libc_realloc(void *, size_t);
extern void __libc_free(void *);
extern void *__libc_memalign(size_t, size_t);

#define MAX_CALLERS 4096

static atomic_int counting;
static atomic_long calls;
static void *callers[MAX_CALLERS];

static void note(void *caller)
{
    if (!atomic_load_explicit(&counting, memory_order_relaxed))
        return;
    long i = atomic_fetch_add(&calls, 1);
    if (i < MAX_CALLERS)
        callers[i] = caller;
}

void *malloc(size_t n)
{
    note(__builtin_return_address(0));
    return __libc_malloc(n);
}

void *calloc(size_t n, size_t size)
{
    note(__builtin_return_address(0));
    return __libc_calloc(n, size);
}

void *realloc(void *p, size_t n)
{
    note(__builtin_return_address(0));
    return __libc_realloc(p, n);
}

/* free is forwarded uncounted: a library that frees with a tail call has
 * its caller's caller (runt's code) as return address, so the attribution
 * the test relies on would be wrong; every free matches an allocation counted. */
void free(void *p) { __libc_free(p); }

void *memalign(size_t align, size_t n)
{
    note(__builtin_return_address(0));
    return __libc_memalign(align, n);
}

void *aligned_alloc(size_t align, size_t n)
{
    note(__builtin_return_address(0));
    return __libc_memalign(align, n);
}

int posix_memalign(void **out, size_t align, size_t n)
{
    note(__builtin_return_address(0));
    *out = __libc_memalign(align, n);
    return *out ? 0 : 12; /* ENOMEM */
}

static int failures;

#define CHECK(cond, ...)                                                     \
    do {                                                                     \
        if (!(cond)) {                                                       \
            fprintf(stderr, "FAIL %s:%d: ", __FILE__, __LINE__);             \
            fprintf(stderr, __VA_ARGS__);                                    \
            fprintf(stderr, "\n");                                           \
            failures++;                                                      \
        }                                                                    \
    } while (0)

/* Where the recorded calls came from: n calls, of which *outside were not
 * made from the libraries below runt (none when `strict`). */
static long calls_outside(long n, int strict, char *first_outside, size_t size)
{
    long outside = 0;
    first_outside[0] = '\0';
    for (long i = 0; i < n && i < MAX_CALLERS; i++) {
        Dl_info info;
        const char *obj = dladdr(callers[i], &info) && info.dli_fname ? info.dli_fname : "?";
        /* The dynamic loader allocates a new thread's TLS vector when the
         * pool starts a worker (allocate_dtv). */
        if (!strict && (strstr(obj, "libopenblas") || strstr(obj, "ld-linux")))
            continue;
        if (!outside++)
            snprintf(first_outside, size, "%s (%s)", obj,
                     info.dli_sname ? info.dli_sname : "no symbol");
    }
    return outside;
}

/* Runs s `runs` times with libc calls and the session allocator counted. */
static void count_runs(runt_session *s, const rt_counting *c, int runs, long *libc, long *runt)
{
    runt_tensor in, out;
    runt_session_input_desc(s, 0, &in);
    runt_session_output_desc(s, 0, &out);
    size_t nx = (size_t)runt_tensor_count(&in), ny = (size_t)runt_tensor_count(&out);
    float *x = __libc_malloc(nx * sizeof(float)), *y = __libc_malloc(ny * sizeof(float));
    rt_rng r = rt_rng_make(5);
    rt_fill_uniform(&r, x, nx, -1.0f, 1.0f);
    in.data = x;
    out.data = y;
    long before = c->allocs;
    atomic_store(&calls, 0);
    atomic_store(&counting, 1);
    int ok = 1;
    for (int i = 0; i < runs; i++)
        ok &= runt_session_run(s, &in, 1, &out, 1) == RUNT_OK;
    atomic_store(&counting, 0);
    CHECK(ok, "run: %s", runt_last_error());
    *libc = atomic_load(&calls);
    *runt = c->allocs - before;
    __libc_free(x);
    __libc_free(y);
}

static void check_backend(const char *backend, int threads, runt_model *m, int64_t batch,
                          const char *label)
{
    rt_counting c = {0, 0, -1};
    runt_allocator a = {rt_counting_alloc, rt_counting_free, &c};
    runt_session_options o = runt_session_options_default();
    o.backend = backend;
    o.batch = batch;
    o.threads = threads;
    o.allocator = &a;
    runt_session *s = NULL;
    if (runt_session_create(m, &o, &s) != RUNT_OK) {
        CHECK(0, "%s on %s: %s", label, backend, runt_last_error());
        return;
    }
    long first_libc, first_runt, later_libc, later_runt;
    int strict = strcmp(backend, "ref") == 0;
    char where_first[512], where_later[512];
    count_runs(s, &c, 1, &first_libc, &first_runt);
    long outside_first = calls_outside(first_libc, strict, where_first, sizeof where_first);
    count_runs(s, &c, 10, &later_libc, &later_runt);
    long outside_later = calls_outside(later_libc, strict, where_later, sizeof where_later);
    printf("malloc_count: %-8s on %-3s, %d thread(s): libc calls in the first run %ld, in 10 "
           "later runs %ld; runt allocator calls %ld\n", label, backend, threads, first_libc,
           later_libc, first_runt + later_runt);
    CHECK(first_runt == 0 && later_runt == 0, "%s on %s: runt's allocator called in a run",
          label, backend);
    CHECK(outside_first == 0, "%s on %s: %ld libc calls in the first run from %s%s", label,
          backend, outside_first, where_first, strict ? "" : " (outside ld.so and OpenBLAS)");
    CHECK(outside_later == 0, "%s on %s: %ld libc calls in later runs from %s%s", label, backend,
          outside_later, where_later, strict ? "" : " (outside ld.so and OpenBLAS)");
    runt_session_free(s);
}

int main(void)
{
    static const int64_t widths[4] = {300, 257, 129, 10};
    runt_model *mlp = rt_mlp3(NULL, widths, RUNT_OP_RELU, NULL, 3);
    runt_model *conv = rt_conv_net(NULL, 32, 30, 4);
    if (!mlp || !conv) {
        fprintf(stderr, "models: %s\n", runt_last_error());
        return 1;
    }
    check_backend("ref", 1, mlp, 8, "mlp");
    check_backend("ref", 1, conv, 2, "conv net");
    if (rt_backend_available("cpu")) {
        /* Each kernel tier: below AVX-512 the f32 GEMMs are OpenBLAS's. */
        static const char *const tiers[] = {"c", NULL};
        for (int t = 0; t < 2; t++) {
            if (tiers[t])
                setenv("RUNT_CPU_TIER", tiers[t], 1);
            else
                unsetenv("RUNT_CPU_TIER");
            printf("malloc_count: cpu kernel tier %s\n", tiers[t] ? tiers[t] : "best");
            for (int threads = 1; threads <= 2; threads++) {
                check_backend("cpu", threads, mlp, 8, "mlp");
                check_backend("cpu", threads, conv, 2, "conv net");
            }
        }
    } else {
        printf("malloc_count: the cpu backend is not in this build\n");
    }
    runt_model_free(mlp);
    runt_model_free(conv);
    printf("malloc_count: %s\n", failures ? "FAILED" : "passed");
    return failures ? 1 : 0;
}

#else /* !__GLIBC__ */

int main(void)
{
    printf("malloc_count: needs glibc's __libc_malloc to wrap malloc; skipped\n");
    return 77;
}

#endif
