/*
 * Load an ONNX file and run it once on the default backend (cpu where it
 * works, else ref): the shortest complete use of runt.
 *   run_onnx MODEL.onnx
 */
#include "example_util.h"

int main(int argc, char **argv)
{
    example_check_args(argc, argv, 1, 1, "MODEL.onnx");
    runt_model *model;
    CHECK(runt_model_load_file(argv[1], NULL, &model));

    runt_session_options o = runt_session_options_default();
    runt_session *s;
    CHECK(runt_session_create(model, &o, &s));

    runt_tensor in, out;
    example_io(s, &in, &out);
    CHECK(runt_session_run(s, &in, 1, &out, 1));

    const float *y = out.data;
    printf("%s: %lld outputs, first %.6f\n", argv[1], (long long)runt_tensor_count(&out), y[0]);
    free(in.data);
    free(out.data);
    runt_session_free(s);
    runt_model_free(model);
    return 0;
}
