/*
 * One node case: its data sets read from the case folder, and its
 * model.onnx loaded, with the graph inputs frozen that the loader wants
 * constant. Apart from running (onnx_node_run.c) because loading decides
 * what a case is, and its refusals are reported before any backend runs.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "onnx_node.h"

void case_free(test_case *c)
{
    for (int s = 0; s < c->n_sets; s++) {
        for (int i = 0; i < c->sets[s].n_in; i++)
            tensor_free(&c->sets[s].in[i]);
        for (int i = 0; i < c->sets[s].n_out; i++)
            tensor_free(&c->sets[s].out[i]);
    }
    runt_model_free(c->model);
    c->model = NULL;
}

/* input_0.pb, input_1.pb, ... until one is missing. */
static int read_tensors(const char *dir, const char *kind, test_tensor *ts, int *n, char *why,
                        size_t wn)
{
    char path[4200 + 32]; /* read_sets' folder name and "/output_N.pb" */
    for (*n = 0; *n < MAX_IO; (*n)++) {
        snprintf(path, sizeof path, "%s/%s_%d.pb", dir, kind, *n);
        if (!file_exists(path))
            return 1;
        char inner[REASON_MAX];
        if (!tensor_read(path, &ts[*n], inner, sizeof inner)) {
            snprintf(why, wn, "test data %s_%d.pb: %s", kind, *n, inner);
            (*n)++; /* freed with the rest */
            return 0;
        }
    }
    return 1;
}

int read_sets(test_case *c, char *why, size_t wn)
{
    char dir[4200];
    for (c->n_sets = 0; c->n_sets < MAX_SETS; c->n_sets++) {
        snprintf(dir, sizeof dir, "%s/test_data_set_%d", c->dir, c->n_sets);
        if (!file_exists(dir))
            break;
        data_set *s = &c->sets[c->n_sets];
        int ok = read_tensors(dir, "input", s->in, &s->n_in, why, wn) &&
                 read_tensors(dir, "output", s->out, &s->n_out, why, wn);
        if (!ok) {
            c->n_sets++;
            return 0;
        }
    }
    if (!c->n_sets)
        return snprintf(why, wn, "no test_data_set_0"), 0;
    return 1;
}

/* The test input that a "must be a constant" refusal names, not yet frozen. */
static const test_tensor *input_to_freeze(const test_case *c, const char *message)
{
    if (!strstr(message, "must be a constant"))
        return NULL;
    for (int i = 0; i < c->sets[0].n_in; i++) {
        const test_tensor *t = &c->sets[0].in[i];
        char quoted[300];
        int frozen = 0;
        snprintf(quoted, sizeof quoted, "('%s'", t->name);
        for (int j = 0; j < c->n_frozen; j++)
            frozen |= strcmp(c->frozen_names[j], t->name) == 0;
        if (!frozen && strstr(message, quoted))
            return t;
    }
    return NULL;
}

/* Loads model.onnx, freezing the inputs the loader wants constant (the
 * values of the first data set: every set of a node test shares them). */
runt_status load_model(test_case *c, char *why, size_t wn)
{
    char path[4200];
    snprintf(path, sizeof path, "%s/model.onnx", c->dir);
    for (;;) {
        runt_load_options o;
        memset(&o, 0, sizeof o);
        o.n_constant_inputs = c->n_frozen;
        o.constant_input_names = c->frozen_names;
        o.constant_inputs = c->frozen;
        runt_status s = runt_model_load_file(path, &o, &c->model);
        if (s == RUNT_OK)
            return s;
        snprintf(why, wn, "%s: %s", runt_status_name(s), runt_last_error());
        const test_tensor *t = s == RUNT_E_UNSUPPORTED ? input_to_freeze(c, runt_last_error()) : NULL;
        if (!t || c->n_frozen == MAX_IO)
            return s;
        c->frozen_names[c->n_frozen] = t->name;
        c->frozen[c->n_frozen++] = tensor_view(t);
    }
}

const test_tensor *find_tensor(const test_tensor *ts, int n, const char *name)
{
    for (int i = 0; i < n; i++)
        if (strcmp(ts[i].name, name) == 0)
            return &ts[i];
    return NULL;
}
