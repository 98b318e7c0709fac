/*
 * The CPU backend's threads: one pool per process, shared by every session,
 * for runt's own kernels and for the BLAS calls it splits (each call then
 * single-threaded inside BLAS, so there is one set of threads, not two).
 *
 * Built for a machine other programs also use. The cost that matters there
 * is not starting threads but waiting for one the OS has not scheduled:
 * with a fixed split (an OpenMP static loop and its closing barrier), one
 * worker that sits behind another process for a scheduler tick holds the
 * whole loop for that tick, and a 400 us model took 72 ms. Here the work is
 * cut into chunks that threads claim as they arrive, the caller claims too,
 * and the caller waits only for workers that actually took a chunk: a worker
 * that has not woken by the time the chunks are gone is simply not waited
 * for. The worst case is then about the one-thread time, plus the rest of
 * any chunk a running worker was descheduled in.
 *
 * Workers spin briefly after a loop (the next node's loop usually follows
 * within microseconds), then sleep on a condition variable, so an idle
 * session costs no CPU. A caller that finds the pool serving another
 * session's loop, or that is itself inside a loop's chunk, runs its loop on
 * its own thread: sessions never wait for each other, and never nest.
 */
#ifndef RUNT_CPU_POOL_H
#define RUNT_CPU_POOL_H

#include <stdint.h>

/* A loop body: units [lo, hi) of the loop, on participant `slot` (0 for the
 * caller, below the loop's thread count for the others), which indexes
 * per-thread scratch. Called once per chunk; chunks never overlap. */
typedef void (*runt_cpu_loop_body)(void *ctx, int64_t lo, int64_t hi, int slot);

/* Runs body over units [0, units) on at most `threads` threads, the calling
 * one included, in chunks of `grain` units (grain <= 0: one chunk per
 * thread, a static split's contiguous ranges, for bodies whose ranges share
 * cache). Returns when every chunk is done. */
void runt_cpu_parallel(int threads, int64_t units, int64_t grain, runt_cpu_loop_body body,
                       void *ctx);

/* Workers the pool has started (they are started as loops first ask for
 * them, and never stop). For tests. */
int runt_cpu_pool_workers(void);

#endif
