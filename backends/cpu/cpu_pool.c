/*
 * The process's thread pool (cpu_pool.h says what it promises and why).
 *
 * One loop at a time owns the pool (the `owned` flag). The owner writes the
 * loop into the job fields, then publishes it by storing a new generation
 * in `state`; workers join by a compare-and-swap on `state`, which also
 * hands each its slot. Packing the generation, the participant limit, the
 * count of participants and a "closed" bit into one word is what makes a
 * late worker safe: its swap fails when the loop it saw has closed or been
 * replaced, so it never touches a loop it did not join, and the owner,
 * having closed the loop, knows exactly how many workers it must wait for.
 */
#if !defined(_POSIX_C_SOURCE)
#define _POSIX_C_SOURCE 200809L /* clock_gettime, sched_yield */
#endif

#include "cpu_pool.h"

#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdint.h>
#include <time.h>

/* state: generation in bits 32..63, participant limit in 17..31,
 * participants (the owner counts as one) in 1..16, closed in bit 0. */
#define ST_CLOSED 1ull
#define ST_PART_SHIFT 1
#define ST_PART_MASK 0xffffull
#define ST_LIMIT_SHIFT 17
#define ST_LIMIT_MASK 0x7fffull
#define ST_GEN_SHIFT 32

/* Workers beyond this are not started (a participant count must fit its
 * bits; more threads than this do not pay on any machine runt targets). */
#define POOL_MAX_WORKERS 1023

/* How long a worker spins for the next loop before it sleeps. The loops of
 * one run follow each other within microseconds (node after node), and a
 * sleeping worker takes 5-50 us to wake; 100 us of spinning covers a run's
 * gaps while an idle session still releases its cores almost at once. */
#define SPIN_NS 100000

/* The owner's wait for workers that joined: spins this many rounds, then
 * yields its core between checks (the worker it waits for may need it). */
#define WAIT_SPINS 4096

static inline void cpu_relax(void)
{
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#elif defined(__aarch64__) || (defined(__arm__) && defined(__ARM_ARCH) && __ARM_ARCH >= 7)
    __asm__ __volatile__("yield");
#endif
}

typedef struct pool {
    pthread_mutex_t lock; /* sleeping workers wait on `wake` under it */
    pthread_cond_t wake;
    atomic_flag owned;    /* a loop owns the job fields */
    _Atomic uint64_t state;
    _Atomic int64_t next_chunk;
    _Atomic int finished; /* joined workers that are done with the loop */
    _Atomic int sleepers;
    _Atomic int workers;  /* started; only an owner starts more */
    uint32_t generation;  /* the owner's copy of state's generation */
    /* The loop: written by its owner before the generation is published,
     * read by workers only after they joined it. */
    runt_cpu_loop_body body;
    void *ctx;
    int64_t units, grain, chunks;
} pool;

static pool the_pool = {
    .lock = PTHREAD_MUTEX_INITIALIZER,
    .wake = PTHREAD_COND_INITIALIZER,
    .owned = ATOMIC_FLAG_INIT,
};

/* Set while this thread runs a chunk: a loop inside a loop runs inline. */
static _Thread_local int in_chunk;

static uint32_t st_generation(uint64_t s) { return (uint32_t)(s >> ST_GEN_SHIFT); }
static int st_participants(uint64_t s) { return (int)((s >> ST_PART_SHIFT) & ST_PART_MASK); }
static int st_limit(uint64_t s) { return (int)((s >> ST_LIMIT_SHIFT) & ST_LIMIT_MASK); }

static int64_t now_ns(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (int64_t)t.tv_sec * 1000000000 + t.tv_nsec;
}

/* Claims and runs chunks until none is left. */
static void run_chunks(pool *p, int slot)
{
    in_chunk = 1;
    for (;;) {
        int64_t c = atomic_fetch_add_explicit(&p->next_chunk, 1, memory_order_relaxed);
        if (c >= p->chunks)
            break;
        int64_t lo = c * p->grain, hi = lo + p->grain < p->units ? lo + p->grain : p->units;
        p->body(p->ctx, lo, hi, slot);
    }
    in_chunk = 0;
}

/* Joins the loop of generation `gen` if it is open and has room; *slot is
 * then this worker's participant number. */
static int try_join(pool *p, uint32_t gen, int *slot)
{
    uint64_t s = atomic_load_explicit(&p->state, memory_order_acquire);
    for (;;) {
        if (st_generation(s) != gen || (s & ST_CLOSED) || st_participants(s) >= st_limit(s))
            return 0;
        if (atomic_compare_exchange_weak_explicit(&p->state, &s, s + (1ull << ST_PART_SHIFT),
                                                  memory_order_acquire, memory_order_acquire)) {
            *slot = st_participants(s);
            return 1;
        }
    }
}

/* Waits until the generation differs from `seen`: spins for SPIN_NS, then
 * sleeps. Returns the state seen. */
static uint64_t wait_for_loop(pool *p, uint32_t seen)
{
    int64_t start = now_ns();
    for (unsigned i = 1;; i++) {
        uint64_t s = atomic_load_explicit(&p->state, memory_order_acquire);
        if (st_generation(s) != seen)
            return s;
        cpu_relax();
        if (i % 64 == 0 && now_ns() - start > SPIN_NS)
            break;
    }
    pthread_mutex_lock(&p->lock);
    /* sleepers, then state (both sequentially consistent), against the
     * owner's state, then sleepers: one of the two sees the other's write,
     * so a published loop never leaves a worker asleep. */
    atomic_fetch_add(&p->sleepers, 1);
    uint64_t s;
    while (st_generation(s = atomic_load(&p->state)) == seen)
        pthread_cond_wait(&p->wake, &p->lock);
    atomic_fetch_sub(&p->sleepers, 1);
    pthread_mutex_unlock(&p->lock);
    return s;
}

static void *worker_main(void *arg)
{
    pool *p = &the_pool;
    uint32_t seen = (uint32_t)(uintptr_t)arg;
    for (;;) {
        uint64_t s = wait_for_loop(p, seen);
        seen = st_generation(s);
        int slot;
        if (try_join(p, seen, &slot)) {
            run_chunks(p, slot);
            atomic_fetch_add_explicit(&p->finished, 1, memory_order_release);
        }
    }
    return NULL;
}

/* Starts workers until there are `want` (or starting fails: the loop then
 * runs on those there are). Only the owner calls it. */
static int grow(pool *p, int want)
{
    int have = atomic_load_explicit(&p->workers, memory_order_relaxed);
    if (want > POOL_MAX_WORKERS)
        want = POOL_MAX_WORKERS;
    while (have < want) {
        pthread_attr_t attr;
        pthread_t t;
        if (pthread_attr_init(&attr) != 0)
            break;
        pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
        int rc = pthread_create(&t, &attr, worker_main, (void *)(uintptr_t)p->generation);
        pthread_attr_destroy(&attr);
        if (rc != 0)
            break;
        atomic_store_explicit(&p->workers, ++have, memory_order_relaxed);
    }
    return have;
}

static void wake_workers(pool *p, int n)
{
    if (atomic_load(&p->sleepers) == 0)
        return;
    pthread_mutex_lock(&p->lock);
    if (n >= atomic_load_explicit(&p->sleepers, memory_order_relaxed))
        pthread_cond_broadcast(&p->wake);
    else
        for (int i = 0; i < n; i++)
            pthread_cond_signal(&p->wake);
    pthread_mutex_unlock(&p->lock);
}

void runt_cpu_parallel(int threads, int64_t units, int64_t grain, runt_cpu_loop_body body,
                       void *ctx)
{
    if (units <= 0)
        return;
    if (threads < 1)
        threads = 1;
    if (threads > POOL_MAX_WORKERS + 1)
        threads = POOL_MAX_WORKERS + 1;
    if (grain <= 0)
        grain = (units + threads - 1) / threads;
    int64_t chunks = (units + grain - 1) / grain;
    pool *p = &the_pool;
    if (threads <= 1 || chunks <= 1 || in_chunk ||
        atomic_flag_test_and_set_explicit(&p->owned, memory_order_acquire)) {
        body(ctx, 0, units, 0);
        return;
    }
    int limit = threads < chunks ? threads : (int)chunks;
    int workers = grow(p, limit - 1);
    if (limit > workers + 1)
        limit = workers + 1;
    p->body = body;
    p->ctx = ctx;
    p->units = units;
    p->grain = grain;
    p->chunks = chunks;
    atomic_store_explicit(&p->next_chunk, 0, memory_order_relaxed);
    atomic_store_explicit(&p->finished, 0, memory_order_relaxed);
    p->generation++;
    atomic_store(&p->state, (uint64_t)p->generation << ST_GEN_SHIFT |
                                (uint64_t)limit << ST_LIMIT_SHIFT | 1ull << ST_PART_SHIFT);
    wake_workers(p, limit - 1);
    run_chunks(p, 0);
    /* Closed: no worker joins from now on, and the participants are final. */
    uint64_t s = atomic_fetch_or_explicit(&p->state, ST_CLOSED, memory_order_acq_rel);
    int joined = st_participants(s) - 1;
    for (unsigned i = 0; atomic_load_explicit(&p->finished, memory_order_acquire) < joined; i++) {
        if (i < WAIT_SPINS)
            cpu_relax();
        else
            sched_yield();
    }
    atomic_flag_clear_explicit(&p->owned, memory_order_release);
}

int runt_cpu_pool_workers(void)
{
    return atomic_load_explicit(&the_pool.workers, memory_order_relaxed);
}
