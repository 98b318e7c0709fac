/*
 * Identity, Reshape, Flatten, Dropout (inference) and Constant: the output
 * holds the input's bytes unchanged, whatever the dtype and however the dims
 * are regrouped. The arena layout may give the output the input's own buffer
 * (in-place), and then there is nothing to do; memmove covers any other
 * overlap.
 */
#include "ref_impl.h"

#include <string.h>


runt_status runt_ref_copy(const runt_attrs *attrs, const runt_tensor *in, int n_in,
                          runt_tensor *out, int n_out)
{
    (void)attrs;
    if (!in || !out || n_in < 1 || n_out < 1)
        return runt_error_set(RUNT_E_INVALID_ARG, "copy: needs one input and one output");
    const runt_tensor *x = &in[0];
    runt_tensor *y = &out[0];
    size_t esize = runt_dtype_size(x->dtype);
    if (esize == 0)
        return runt_error_set(RUNT_E_UNSUPPORTED, "copy: unknown dtype %d", (int)x->dtype);
    int64_t n = runt_tensor_count(x);
    if (y->dtype != x->dtype || runt_tensor_count(y) != n || n < 0)
        return runt_error_set(RUNT_E_SHAPE, "copy: output is %s x %lld, input %s x %lld",
                              runt_dtype_name(y->dtype), (long long)runt_tensor_count(y),
                              runt_dtype_name(x->dtype), (long long)n);
    if (n == 0 || y->data == x->data)
        return RUNT_OK;
    if (!x->data || !y->data)
        return runt_error_set(RUNT_E_INVALID_ARG, "copy: missing data pointer");
    memmove(y->data, x->data, (size_t)n * esize);
    return RUNT_OK;
}
