/*
 * One run of a session a fuzz target made: a buffer for each input and
 * output the session describes, the run, then everything freed. The targets
 * differ in what they put in the inputs and how large a tensor they run; the
 * bookkeeping around the run is this one piece.
 */
#ifndef RUNT_FUZZ_SESSION_H
#define RUNT_FUZZ_SESSION_H

#include <stdlib.h>
#include <string.h>

#include "runt.h"

/* Sessions with more inputs or outputs than this are only created. */
#define RUNT_FUZZ_MAX_IO 8

/* Puts values in an input before the run (NULL: the zeros calloc gives). */
typedef void runt_fuzz_fill_fn(runt_tensor *t);

/* Runs s once on m's inputs and outputs, each of at most max_tensor_bytes
 * (a larger one: no run), then frees s. Any failure is a finding only if it
 * crashes, so statuses are not reported. */
static inline void runt_fuzz_run_once(runt_session *s, const runt_model *m,
                                      size_t max_tensor_bytes, runt_fuzz_fill_fn *fill)
{
    int n_in = 0, n_out = 0;
    runt_tensor in[RUNT_FUZZ_MAX_IO], out[RUNT_FUZZ_MAX_IO];
    memset(in, 0, sizeof in);
    memset(out, 0, sizeof out);
    int ok = runt_model_counts(m, &n_in, &n_out, NULL) == RUNT_OK && n_in <= RUNT_FUZZ_MAX_IO &&
             n_out <= RUNT_FUZZ_MAX_IO;
    for (int i = 0; ok && i < n_in + n_out; i++) {
        runt_tensor *t = i < n_in ? &in[i] : &out[i - n_in];
        ok = (i < n_in ? runt_session_input_desc(s, i, t)
                       : runt_session_output_desc(s, i - n_in, t)) == RUNT_OK;
        size_t bytes = ok ? (size_t)runt_tensor_count(t) * runt_dtype_size(t->dtype) : 0;
        ok = ok && bytes <= max_tensor_bytes && (t->data = calloc(1, bytes ? bytes : 1)) != NULL;
        if (ok && i < n_in && fill)
            fill(t);
    }
    if (ok)
        runt_session_run(s, in, n_in, out, n_out);
    for (int i = 0; i < RUNT_FUZZ_MAX_IO; i++) {
        free(in[i].data);
        free(out[i].data);
    }
    runt_session_free(s);
}

#endif /* RUNT_FUZZ_SESSION_H */
