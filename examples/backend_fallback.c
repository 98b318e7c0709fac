/*
 * Choose the backend at run time: the first of cuda, cpu, ref that can run
 * the model here, saying why each one before it could not.
 *   backend_fallback MODEL.onnx
 */
#include "example_util.h"

int main(int argc, char **argv)
{
    example_check_args(argc, argv, 1, 1, "MODEL.onnx");
    runt_model *model;
    CHECK(runt_model_load_file(argv[1], NULL, &model));

    static const char *const preference[] = {"cuda", "cpu", "ref"};
    runt_session *s = NULL;
    const char *chosen = NULL;
    for (size_t i = 0; i < sizeof preference / sizeof preference[0] && !s; i++) {
        runt_session_options o = runt_session_options_default();
        o.backend = preference[i];
        if (runt_session_create(model, &o, &s) == RUNT_OK)
            chosen = preference[i];
        else
            printf("%-4s not used: %s\n", preference[i], runt_last_error());
    }
    if (!s) {
        fprintf(stderr, "no backend can run %s\n", argv[1]);
        return 1;
    }

    runt_tensor in, out;
    example_io(s, &in, &out);
    CHECK(runt_session_run(s, &in, 1, &out, 1));
    printf("ran on %s, first output %.6f\n", chosen, ((const float *)out.data)[0]);

    free(in.data);
    free(out.data);
    runt_session_free(s);
    runt_model_free(model);
    return 0;
}
