#include "dtype_arg.h"

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
