/*
 * Load an ONNX file and run it once on the default backend (cpu where it
 * works, else ref): the shortest complete use of runt.
 *   run_onnx MODEL.onnx
 */
#include "example_util.h"

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: %s MODEL.onnx\n", argv[0]);
        return 2;
    }
    runt_model *model;
    CHECK(runt_model_load_file(argv[1], NULL, &model));

    runt_session_options o = runt_session_options_default();
    runt_session *s;
    CHECK(runt_session_create(model, &o, &s));

    runt_tensor in_desc, out_desc;
    CHECK(runt_session_input_desc(s, 0, &in_desc));
    CHECK(runt_session_output_desc(s, 0, &out_desc));
    runt_tensor in = example_tensor(&in_desc, 1), out = example_tensor(&out_desc, 0);
    CHECK(runt_session_run(s, &in, 1, &out, 1));

    const float *y = out.data;
    printf("%s: %lld outputs, first %.6f\n", argv[1], (long long)runt_tensor_count(&out), y[0]);
    free(in.data);
    free(out.data);
    runt_session_free(s);
    runt_model_free(model);
    return 0;
}
