/*
 * libFuzzer entry for the .rnt reader (runtime/rnt_reader.c): the bytes go
 * to runt_model_load_rnt as a device would hand it its flash, and a model
 * that loads gets a reference session and one run on zeroed inputs, so
 * whatever the reader accepts must also plan and run without fault.
 * Inputs must be 16-byte aligned (constants are read in place): the bytes
 * are copied into aligned memory first. A mutated file almost never keeps
 * its CRC-32, so for inputs whose first byte is even the harness rewrites
 * the checksum, letting the fuzzer reach the field checks behind it; odd
 * ones test the checksum itself.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../runtime/rnt_format.h"
#include "fuzz_session.h"
#include "runt.h"

/* Inputs and outputs of up to this many bytes each, and arenas up to the
 * second figure, are run; larger ones are only planned (a fuzzer's model
 * can ask for any shape, as a device checks the arena against its RAM). */
#define FUZZ_RNT_MAX_TENSOR_BYTES (1 << 20)
#define FUZZ_RNT_MAX_ARENA_BYTES (64 << 20)

static void fuzz_rnt_run(const runt_model *m)
{
    runt_session_options o = runt_session_options_default();
    o.backend = "ref";
    runt_session *s = NULL;
    size_t arena = 0;
    if (runt_session_arena_size(m, &o, &arena) != RUNT_OK || arena > FUZZ_RNT_MAX_ARENA_BYTES ||
        runt_session_create(m, &o, &s) != RUNT_OK)
        return;
    runt_fuzz_run_once(s, m, FUZZ_RNT_MAX_TENSOR_BYTES, NULL);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    void *copy = aligned_alloc(64, (size + 63) / 64 * 64 + 64);
    if (!copy)
        return 0;
    memcpy(copy, data, size);
    unsigned char *p = copy;
    if (size >= RUNT_RNT_HEADER_BYTES && data[0] % 2 == 0) {
        p[0] = 'R';
        size_t file = rnt_get_u32(p + 8);
        if (file >= 16 && file <= size)
            rnt_put_u32(p + 12, rnt_crc32(rnt_crc32(0, p, 12), p + 16, file - 16));
    }
    runt_model *m = NULL;
    if (runt_model_load_rnt(copy, size, NULL, &m) == RUNT_OK) {
        fuzz_rnt_run(m);
        runt_model_free(m);
    }
    free(copy);
    return 0;
}
