/*
 * Add, Sub, Mul, Div with numpy multidirectional broadcasting (ONNX
 * Broadcasting.md): the output view holds the broadcast shape; each input is
 * aligned to it from the right and a dim of 1 (or a missing leading dim) is
 * read with stride 0.
 *
 * The output may be either input exactly (in-place). That is safe because an
 * input that aliases the output has the output's shape, so its element i is
 * read only to compute output element i, just before it is written.
 */
#include "ref_impl.h"

typedef enum binary_op { BIN_ADD, BIN_SUB, BIN_MUL, BIN_DIV } binary_op;

/* Element strides of t when read as a tensor of the output's rank. */
static void broadcast_strides(const runt_tensor *t, int rank, int64_t *strides)
{
    int64_t step = 1;
    int lead = rank - t->ndim; /* leading dims t lacks */
    for (int d = rank - 1; d >= 0; d--) {
        int64_t dim = d >= lead ? t->dims[d - lead] : 1;
        strides[d] = dim == 1 ? 0 : step;
        step *= dim;
    }
}

/* One innermost row: the only loop that runs per element, so the op is
 * chosen once per row rather than per element. */
static void binary_row(binary_op op, float *y, const float *a, int64_t sa, const float *b,
                       int64_t sb, int64_t n)
{
    switch (op) {
    case BIN_ADD: for (int64_t i = 0; i < n; i++) y[i] = a[i * sa] + b[i * sb]; break;
    case BIN_SUB: for (int64_t i = 0; i < n; i++) y[i] = a[i * sa] - b[i * sb]; break;
    case BIN_MUL: for (int64_t i = 0; i < n; i++) y[i] = a[i * sa] * b[i * sb]; break;
    case BIN_DIV: for (int64_t i = 0; i < n; i++) y[i] = a[i * sa] / b[i * sb]; break;
    }
}

static runt_status binary(binary_op op, const runt_tensor *in, runt_tensor *out)
{
    if (in[0].dtype != RUNT_F32 || in[1].dtype != RUNT_F32 || out[0].dtype != RUNT_F32)
        return RUNT_E_UNSUPPORTED;
    /* A scalar output is handled as shape [1] so there is always a row. */
    int rank = out[0].ndim > 0 ? out[0].ndim : 1;
    int64_t dims[RUNT_MAX_DIMS], sa[RUNT_MAX_DIMS], sb[RUNT_MAX_DIMS];
    for (int d = 0; d < rank; d++)
        dims[d] = out[0].ndim > 0 ? out[0].dims[d] : 1;
    broadcast_strides(&in[0], rank, sa);
    broadcast_strides(&in[1], rank, sb);

    const float *a = in[0].data, *b = in[1].data;
    float *y = out[0].data;
    int64_t total = runt_tensor_count(&out[0]);
    if (total == 0)
        return RUNT_OK;
    int64_t row = dims[rank - 1], n_rows = total / row;
    for (int64_t r = 0; r < n_rows; r++) {
        /* Unravel the row number over the outer dims to find each input's row. */
        int64_t rest = r, off_a = 0, off_b = 0;
        for (int d = rank - 2; d >= 0; d--) {
            int64_t i = rest % dims[d];
            rest /= dims[d];
            off_a += i * sa[d];
            off_b += i * sb[d];
        }
        binary_row(op, y + r * row, a + off_a, sa[rank - 1], b + off_b, sb[rank - 1], row);
    }
    return RUNT_OK;
}

/* The four kernels differ only in the op binary() runs. */
#define BINARY_KERNEL(name, op)                                                         \
    runt_status name(const runt_attrs *attrs, const runt_tensor *in, int n_in,            \
                     runt_tensor *out, int n_out)                                         \
    {                                                                                     \
        (void)attrs, (void)n_in, (void)n_out;                                             \
        return binary(op, in, out);                                                       \
    }

BINARY_KERNEL(runt_ref_add, BIN_ADD)
BINARY_KERNEL(runt_ref_sub, BIN_SUB)
BINARY_KERNEL(runt_ref_mul, BIN_MUL)
BINARY_KERNEL(runt_ref_div, BIN_DIV)

#undef BINARY_KERNEL
