/*
 * libFuzzer target: ONNX bytes -> runt_model_load_buffer -> (if it loaded)
 * the model's description at batch 1 and 3 -> free. Exercises the protobuf
 * wire reader, the ONNX decoder, every op mapper, the builder's checks and
 * shape inference. Seeds: the .onnx files under tests/data (fuzz/run-fuzzers); dictionary:
 * fuzz/onnx.dict.
 */
#include <stddef.h>
#include <stdint.h>

#include "fuzz_limits.h"
#include "runt.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    runt_limits limits = runt_fuzz_limits();
    runt_model *m = runt_fuzz_load_onnx(data, size, &limits);
    if (!m)
        return 0;
    int n_rows = 0;
    runt_cost total;
    for (int64_t batch = 1; batch <= 3; batch += 2)
        runt_model_describe(m, batch, NULL, 0, &n_rows, &total);
    runt_model_free(m);
    return 0;
}
