/* dtype facts and tensor helpers of the public API. */
#include "runt.h"

static const struct {
    const char *name;
    size_t size;
} runt_dtype_table[RUNT_DTYPE_COUNT] = {
    [RUNT_F32] = {"f32", 4}, [RUNT_I8] = {"int8", 1}, [RUNT_U8] = {"uint8", 1},
    [RUNT_I32] = {"int32", 4}, [RUNT_I64] = {"int64", 8},
};

const char *runt_dtype_name(runt_dtype dtype)
{
    if ((unsigned)dtype >= (unsigned)RUNT_DTYPE_COUNT)
        return "unknown";
    return runt_dtype_table[dtype].name;
}

size_t runt_dtype_size(runt_dtype dtype)
{
    if ((unsigned)dtype >= (unsigned)RUNT_DTYPE_COUNT)
        return 0;
    return runt_dtype_table[dtype].size;
}

int64_t runt_tensor_count(const runt_tensor *t)
{
    if (!t)
        return 0;
    int64_t n = 1;
    for (int i = 0; i < t->ndim && i < RUNT_MAX_DIMS; i++)
        n *= t->dims[i];
    return n;
}
