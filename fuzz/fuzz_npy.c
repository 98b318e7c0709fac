/*
 * libFuzzer target: bytes -> runt_npy_parse (tools/npy.c, what `runt run`
 * reads its inputs with) -> free. Seeds: the .npy files under tests/data.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "npy.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    runt_tensor t;
    if (runt_npy_parse(data, size, "fuzz input", &t) == RUNT_OK) {
        /* Touch every element: the parsed shape must describe the data. */
        volatile float sum = 0.0f;
        int64_t n = runt_tensor_count(&t);
        for (int64_t i = 0; i < n; i++)
            sum += ((const float *)t.data)[i];
        (void)sum;
    }
    free(t.data);
    return 0;
}
