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

int runt_int_arg_parse(const char *s, long long lo, long long hi, long long *out)
{
    char *end;
    long long v = strtoll(s, &end, 10);
    if (!*s || *end || v < lo || v > hi)
        return 0;
    *out = v;
    return 1;
}
