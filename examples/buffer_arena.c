/*
 * A model from memory into memory the caller owns: the bytes of an ONNX file
 * (read here from a file; firmware would link them in) are loaded with
 * runt_model_load_buffer, and the session plans its activations into an
 * arena this program allocates, of the size runt asks for.
 *   buffer_arena MODEL.onnx
 */
#include "example_util.h"

static void *read_whole_file(const char *path, size_t *size)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    void *data = NULL;
    long n = -1;
    if (fseek(f, 0, SEEK_END) == 0 && (n = ftell(f)) > 0 && fseek(f, 0, SEEK_SET) == 0 &&
        (data = malloc((size_t)n)) != NULL && fread(data, 1, (size_t)n, f) != (size_t)n) {
        free(data);
        data = NULL;
    }
    fclose(f);
    *size = n > 0 ? (size_t)n : 0;
    return data;
}

int main(int argc, char **argv)
{
    example_check_args(argc, argv, 1, 1, "MODEL.onnx");
    size_t size;
    void *bytes = read_whole_file(argv[1], &size);
    if (!bytes) {
        fprintf(stderr, "cannot read %s\n", argv[1]);
        return 1;
    }
    runt_model *model;
    CHECK(runt_model_load_buffer(bytes, size, NULL, &model));
    free(bytes); /* the model keeps what it needs */

    runt_session_options o = runt_session_options_default();
    o.backend = "ref"; /* a caller arena is host memory: any host backend (on "cpu" it
                          also holds the kernels' scratch) */
    size_t arena_size;
    CHECK(runt_session_arena_size(model, &o, &arena_size));
    /* runt's arena alignment is 64 bytes; aligned_alloc needs a multiple of it. */
    size_t rounded = (arena_size + 63) / 64 * 64;
    void *arena = aligned_alloc(64, rounded ? rounded : 64);
    if (!arena) {
        fprintf(stderr, "out of memory for a %zu-byte arena\n", rounded);
        return 1;
    }
    o.arena = arena;
    o.arena_size = rounded;
    runt_session *s;
    CHECK(runt_session_create(model, &o, &s));

    runt_tensor in, out;
    example_io(s, &in, &out);
    CHECK(runt_session_run(s, &in, 1, &out, 1));
    printf("%zu model bytes from memory, arena %zu bytes (caller's), first output %.6f\n", size,
           arena_size, ((const float *)out.data)[0]);

    free(in.data);
    free(out.data);
    runt_session_free(s);
    free(arena); /* after the session: it used the arena until freed */
    runt_model_free(model);
    return 0;
}
