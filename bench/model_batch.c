#include "model_batch.h"

#include <stdio.h>

#include "runt-backend.h"

static void runt_batch_shape_text(const runt_tensor *t, char *buf, size_t size)
{
    size_t n = (size_t)snprintf(buf, size, "[");
    for (int d = 0; d < t->ndim && n < size; d++)
        n += (size_t)snprintf(buf + n, size - n, d ? ", %lld" : "%lld", (long long)t->dims[d]);
    if (n < size)
        snprintf(buf + n, size - n, "]");
}

runt_status runt_model_check_batch(const runt_model *m, int64_t batch)
{
    int n_in = 0;
    runt_status s = runt_model_counts(m, &n_in, NULL, NULL);
    if (s != RUNT_OK)
        return s;
    runt_io_info first = {0};
    int fixed_elsewhere = 0;
    for (int i = 0; i < n_in; i++) {
        runt_io_info io;
        if ((s = runt_model_input(m, i, &io)) != RUNT_OK)
            return s;
        for (int d = 0; d < io.desc.ndim; d++)
            if (io.desc.dims[d] == RUNT_DIM_BATCH)
                return RUNT_OK;
        if (io.desc.ndim == 0 || io.desc.dims[0] != batch) {
            if (!fixed_elsewhere)
                first = io;
            fixed_elsewhere = 1;
        }
    }
    if (!fixed_elsewhere)
        return RUNT_OK;
    char shape[128];
    runt_batch_shape_text(&first.desc, shape, sizeof shape);
    return runt_error_set(RUNT_E_INVALID_ARG,
                          "batch %lld cannot apply: the model's input '%s' has the fixed shape %s "
                          "(export it with a dynamic batch axis to choose the batch)",
                          (long long)batch, first.name, shape);
}
