/*
 * Timing one session the way the seeds should have: the first run recorded
 * on its own (it pays for page faults and lazy setup: the seed's
 * "optimization"), then warm-up, then runs repeated until both a minimum
 * time and a minimum count are reached, inputs cycled through a ring of
 * distinct random buffers so no run finds its input in cache from the run
 * before. Each sample is runt_session_last_run_us: the host clock around a
 * synchronous run, or device events where the backend has them (the session
 * synchronizes before it returns).
 */
#ifndef RUNT_BENCH_MEASURE_H
#define RUNT_BENCH_MEASURE_H

#include "runt.h"

typedef struct runt_measure_config {
    double min_time_s;   /* measured runs add up to at least this ...        */
    int min_reps;        /* ... and there are at least this many             */
    double max_time_s;   /* a slow model stops here once it has 3 runs       */
    int max_reps;        /* and every model stops here                       */
    int ring;            /* input sets cycled through (fewer if huge)        */
} runt_measure_config;

/* 0.2 s and 10 runs at least, 3 s at most, a ring of 8 inputs. */
runt_measure_config runt_measure_config_default(void);

typedef struct runt_measurement {
    double first_run_us;   /* the session's first run                     */
    double median_us, p10_us, p90_us;
    double min_us;         /* the fastest run                             */
    double wall_median_us; /* host clock around runt_session_run: with a
                              device backend, includes staging the inputs
                              and outputs that device events leave out    */
    int reps;              /* measured runs behind the statistics         */
    int warmup_reps;       /* runs after the first and before measurement */
    int ring;              /* input sets actually used                    */
} runt_measurement;

/* Measures a freshly created session (its first run is the first here).
 * Inputs are random f32 in [-1, 1) (other dtypes: zeros). */
runt_status runt_measure_session(runt_session *s, const runt_measure_config *c,
                                 runt_measurement *out);

/* One run on the input set every session of a model gets first (the same
 * random values for every backend, dtype and math mode), its f32 outputs
 * concatenated in order into *values (malloc'd; the caller frees it) of
 * *count floats: what a row's error against its f32 reference compares. */
runt_status runt_measure_outputs(runt_session *s, float **values, size_t *count);

#endif /* RUNT_BENCH_MEASURE_H */
