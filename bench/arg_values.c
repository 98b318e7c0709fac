#include "arg_values.h"

#include <stdlib.h>
#include <string.h>

int runt_dtype_arg_parse(const char *s, runt_dtype *out)
{
    if (strcmp(s, "f32") == 0)
        *out = RUNT_F32;
    else if (strcmp(s, "int8") == 0)
        *out = RUNT_I8;
    else
        return 0;
    return 1;
}

static const char *const runt_math_names[] = {"f32", "tf32", "bf16"};

int runt_math_arg_parse(const char *s, runt_math_mode *out)
{
    for (int m = RUNT_MATH_F32; m <= RUNT_MATH_BF16; m++)
        if (strcmp(s, runt_math_names[m]) == 0) {
            *out = (runt_math_mode)m;
            return 1;
        }
    return 0;
}

const char *runt_math_arg_name(runt_math_mode m)
{
    return (unsigned)m <= (unsigned)RUNT_MATH_BF16 ? runt_math_names[m] : "?";
}

int runt_int_arg_parse(const char *s, long long lo, long long hi, long long *out)
{
    char *end;
    long long v = strtoll(s, &end, 10);
    if (!*s || *end || v < lo || v > hi)
        return 0;
    *out = v;
    return 1;
}
