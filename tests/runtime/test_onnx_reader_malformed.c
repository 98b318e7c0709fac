/* The ONNX reader on malformed and unsupported input: truncations, random
 * corruption, bad wire types and lengths, and one model per defect. Each
 * must fail with a message that says where and why, never crash. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "onnx_reader_fixtures.h"

/* ------------------------------------------------------------------------- */
/* Malformed input                                                           */
/* ------------------------------------------------------------------------- */


/* Every proper prefix of a model is an incomplete model (the graph is its last
 * field); each must fail with a message. Copies are exact-sized so that a
 * sanitizer sees any read past the end. */
RT_TEST(onnx_reader, every_truncation_fails_with_a_message)
{
    pbw bytes = small_mlp_bytes();
    for (size_t len = 0; len < bytes.n; len++) {
        uint8_t *copy = malloc(len ? len : 1);
        memcpy(copy, bytes.p, len);
        runt_model *m = NULL;
        runt_status s = runt_model_load_buffer(copy, len, NULL, &m);
        RT_ASSERT(s != RUNT_OK && m == NULL, "prefix of %zu of %zu bytes loaded", len, bytes.n);
        RT_ASSERT(runt_last_error()[0] != '\0', "prefix %zu: no message", len);
        free(copy);
    }
    runt_model_free(load_ok(&bytes, NULL));
    runt_pb_writer_free(&bytes);
}

/* Random corruption must never crash (run under ASan/valgrind); what loads is
 * a valid model, what fails says why. */
RT_TEST(onnx_reader, random_byte_flips_never_crash)
{
    pbw bytes = small_mlp_bytes();
    rt_rng r = rt_rng_make(121);
    int loaded = 0;
    for (int iter = 0; iter < 3000; iter++) {
        uint8_t *copy = malloc(bytes.n);
        memcpy(copy, bytes.p, bytes.n);
        int flips = (int)rt_rng_int(&r, 1, 3);
        for (int f = 0; f < flips; f++)
            copy[rt_rng_int(&r, 0, (int64_t)bytes.n - 1)] = (uint8_t)rt_rng_int(&r, 0, 255);
        runt_model *m = NULL;
        runt_status s = runt_model_load_buffer(copy, bytes.n, NULL, &m);
        if (s == RUNT_OK) {
            loaded++;
            runt_model_free(m);
        } else {
            RT_ASSERT(m == NULL && runt_last_error()[0], "iteration %d: failure without message",
                      iter);
        }
        free(copy);
    }
    RT_ASSERT(loaded < 3000, "corruption was never detected");
    runt_pb_writer_free(&bytes);
}

RT_TEST(onnx_reader, bad_wire_types_are_refused_with_offset_and_field)
{
    pbw bytes = small_mlp_bytes();
    pbw bad = {0};
    runt_pb_put_raw(&bad, bytes.p, bytes.n);
    runt_pb_put_tag(&bad, 9, 7);
    char at[32];
    snprintf(at, sizeof at, "byte %zu", bytes.n);
    load_fails(&bad, NULL, RUNT_E_BAD_MODEL, NAMES(at, "ModelProto field 9", "wire type 7", NULL));
    runt_pb_writer_free(&bad);
    /* A field runt reads, with the wrong wire type. */
    pbw wrong = {0};
    runt_pb_put_int(&wrong, 7, 5);
    load_fails(&wrong, NULL, RUNT_E_BAD_MODEL,
               NAMES("byte 0", "ModelProto.graph", "expected 2 (length-delimited)", NULL));
    runt_pb_writer_free(&wrong);
    runt_pb_writer_free(&bytes);
}

RT_TEST(onnx_reader, huge_lengths_are_refused)
{
    pbw g = {0};
    runt_pb_put_tag(&g, ONNX_GRAPH_NODE, 2);
    runt_pb_put_varint(&g, (uint64_t)1 << 40);
    runt_pb_put_raw(&g, "xyz", 3);
    pbw bytes = onnx_model(&g, 13);
    load_fails(&bytes, NULL, RUNT_E_BAD_MODEL,
               NAMES("onnx buffer: byte", "GraphProto.node: length 1099511627776 runs past the end",
                     NULL));
    runt_pb_writer_free(&bytes);
}

/* One small model per malformed or unsupported detail. */
typedef enum defect {
    D_NEGATIVE_DIM, D_NEGATIVE_INPUT_DIM, D_SYMBOLIC_DIM, D_NO_SHAPE, D_RAW_SIZE, D_COUNT,
    D_RAW_AND_TYPED, D_INT8_RANGE, D_DOUBLE, D_UNDEFINED_INPUT, D_TWICE_DEFINED, D_NO_OUTPUT,
    D_NUL_NAME, D_DOMAIN, D_PAD_MODE, D_BN_TRAINING, D_CONV3D, D_ATTR_TYPE, D_NO_OPSET,
    D_OLD_OPSET, D_NEW_OPSET, D_NO_GRAPH, D_SPARSE, D_COUNT_OF_DEFECTS
} defect;

static pbw defect_model(defect d)
{
    pbw g = {0};
    int64_t xd[2] = {-1, 2}, two = 2, neg[2] = {2, -3};
    float vals[2] = {1.5f, -2.5f};
    const char *op = "Relu", *in = "x";
    int64_t opset = 13;
    switch (d) {
    case D_NEGATIVE_DIM: add_init(&g, onnx_tensor_f32("w", 2, neg, vals, FORM_PACKED)); break;
    case D_NEGATIVE_INPUT_DIM: xd[1] = -7; break;
    case D_SYMBOLIC_DIM: xd[1] = -1; break;
    case D_RAW_SIZE: {
        pbw t = onnx_tensor_f32("w", 1, &two, vals, FORM_RAW);
        runt_pb_put_int(&t, 1, 2); /* a second dim makes the data too short */
        add_init(&g, t);
        in = "w";
        break;
    }
    case D_COUNT: {
        pbw t = {0};
        int64_t three = 3;
        onnx_tensor_head(&t, "w", ONNX_FLOAT, 1, &three, 1);
        pbw_floats(&t, 4, vals, 2, 1);
        add_init(&g, t);
        in = "w";
        break;
    }
    case D_RAW_AND_TYPED: {
        pbw t = onnx_tensor_f32("w", 1, &two, vals, FORM_RAW);
        pbw_floats(&t, 4, vals, 2, 1);
        add_init(&g, t);
        in = "w";
        break;
    }
    case D_INT8_RANGE: {
        int64_t big[2] = {1, 300};
        add_init(&g, onnx_tensor_int("w", ONNX_INT8, 1, &two, big, FORM_PACKED));
        op = "Clip";
        break;
    }
    case D_DOUBLE: {
        pbw t = {0};
        double dv[2] = {1, 2};
        onnx_tensor_head(&t, "w", ONNX_DOUBLE, 1, &two, 1);
        runt_pb_put_bytes(&t, 9, dv, sizeof dv);
        add_init(&g, t);
        in = "w";
        break;
    }
    case D_UNDEFINED_INPUT: in = "ghost"; break;
    case D_TWICE_DEFINED:
        add_node(&g, "Relu", "first", 1, NAMES("x"), 1, NAMES("y"), 0, NULL);
        break;
    case D_NO_OUTPUT: break;
    case D_NUL_NAME: {
        pbw vi = {0};
        runt_pb_put_bytes(&vi, 1, "x\0y", 3);
        pbw_msg(&g, ONNX_GRAPH_INPUT, &vi);
        break;
    }
    case D_DOMAIN: break;
    case D_PAD_MODE: op = "Pad"; break;
    case D_BN_TRAINING: op = "BatchNormalization"; break;
    case D_CONV3D: op = "Conv"; break;
    case D_ATTR_TYPE: op = "LeakyRelu"; break;
    case D_NO_OPSET: opset = 0; break;
    case D_OLD_OPSET: opset = 6; break;
    case D_NEW_OPSET: opset = 26; break;
    case D_SPARSE: runt_pb_put_str(&g, 15, ""); break;
    default: break;
    }
    if (d == D_INT8_RANGE) {
        add_node(&g, op, "n", 2, NAMES("x", "w"), 1, NAMES("y"), 0, NULL);
    } else if (d == D_DOMAIN) {
        pbw nd = onnx_node("Gelu", "n", 1, NAMES("x"), 1, NAMES("y"), 0, NULL);
        runt_pb_put_str(&nd, 7, "com.microsoft");
        pbw_msg(&g, ONNX_GRAPH_NODE, &nd);
    } else if (d == D_PAD_MODE) {
        int64_t p[4] = {0, 1, 0, 1};
        add_init(&g, onnx_tensor_int("p", ONNX_INT64, 1, (int64_t[]){4}, p, FORM_RAW));
        pbw a[1] = {onnx_attr_s("mode", "mirror")};
        add_node(&g, op, "n", 2, NAMES("x", "p"), 1, NAMES("y"), 1, a);
    } else if (d == D_BN_TRAINING) {
        pbw a[1] = {onnx_attr_i("training_mode", 1)};
        add_node(&g, op, "n", 5, NAMES("x", "x", "x", "x", "x"), 1, NAMES("y"), 1, a);
    } else if (d == D_CONV3D) {
        int64_t k[3] = {1, 1, 1};
        pbw a[1] = {onnx_attr_ints("kernel_shape", k, 3, 1)};
        add_node(&g, op, "n", 2, NAMES("x", "x"), 1, NAMES("y"), 1, a);
    } else if (d == D_ATTR_TYPE) {
        pbw a[1] = {onnx_attr_i("alpha", 1)};
        add_node(&g, op, "n", 1, NAMES(in), 1, NAMES("y"), 1, a);
    } else if (d != D_NO_OUTPUT && d != D_NO_GRAPH) {
        add_node(&g, op, "n", 1, NAMES(in), 1, NAMES("y"), 0, NULL);
    }
    if (d == D_NO_SHAPE) {
        pbw vi = onnx_value_info("x", ONNX_FLOAT, -1, NULL);
        pbw_msg(&g, ONNX_GRAPH_INPUT, &vi);
    } else if (d != D_NUL_NAME) {
        add_io(&g, ONNX_GRAPH_INPUT, "x", 2, xd);
    }
    add_io(&g, ONNX_GRAPH_OUTPUT, "y", 2, xd);
    if (d == D_NO_GRAPH) {
        runt_pb_writer_free(&g);
        pbw m = {0};
        runt_pb_put_int(&m, 1, 8);
        return m;
    }
    if (d == D_NO_OPSET) {
        pbw m = {0};
        pbw_msg(&m, 7, &g);
        return m;
    }
    return onnx_model(&g, opset);
}

RT_TEST(onnx_reader, malformed_and_unsupported_models_say_why)
{
    static const struct {
        runt_status status;
        const char *needles[4];
    } want[D_COUNT_OF_DEFECTS] = {
        [D_NEGATIVE_DIM] = {RUNT_E_BAD_MODEL, {"TensorProto.dims", "-3", "negative"}},
        [D_NEGATIVE_INPUT_DIM] = {RUNT_E_BAD_MODEL, {"graph input 'x'", "-7"}},
        [D_SYMBOLIC_DIM] = {RUNT_E_UNSUPPORTED, {"graph input 'x'", "dim 1", "'H'"}},
        [D_NO_SHAPE] = {RUNT_E_UNSUPPORTED, {"graph input 'x'", "no shape"}},
        [D_RAW_SIZE] = {RUNT_E_BAD_MODEL, {"tensor 'w'", "raw_data holds 8 bytes", "need 16"}},
        [D_COUNT] = {RUNT_E_BAD_MODEL, {"tensor 'w'", "float_data holds 2 values", "need 3"}},
        [D_RAW_AND_TYPED] = {RUNT_E_BAD_MODEL, {"tensor 'w'", "both raw_data and float_data"}},
        [D_INT8_RANGE] = {RUNT_E_BAD_MODEL, {"TensorProto.int32_data", "300", "int8"}},
        [D_DOUBLE] = {RUNT_E_UNSUPPORTED, {"tensor 'w'", "DOUBLE"}},
        [D_UNDEFINED_INPUT] = {RUNT_E_BAD_MODEL, {"node 'n'", "'ghost'"}},
        [D_TWICE_DEFINED] = {RUNT_E_BAD_MODEL, {"node 'n'", "'y'", "already defined"}},
        [D_NO_OUTPUT] = {RUNT_E_BAD_MODEL, {"graph output 'y'", "not produced"}},
        [D_NUL_NAME] = {RUNT_E_BAD_MODEL, {"ValueInfoProto.name", "NUL"}},
        [D_DOMAIN] = {RUNT_E_UNSUPPORTED, {"node 'n'", "Gelu", "com.microsoft"}},
        [D_PAD_MODE] = {RUNT_E_BAD_MODEL, {"node 'n'", "mirror", "ONNX does not define"}},
        [D_BN_TRAINING] = {RUNT_E_UNSUPPORTED, {"node 'n'", "training_mode"}},
        [D_CONV3D] = {RUNT_E_UNSUPPORTED, {"node 'n'", "0 spatial dims"}},
        [D_ATTR_TYPE] = {RUNT_E_BAD_MODEL, {"node 'n'", "'alpha'", "INT, expected FLOAT"}},
        [D_NO_OPSET] = {RUNT_E_BAD_MODEL, {"no opset"}},
        [D_OLD_OPSET] = {RUNT_E_UNSUPPORTED, {"opset 6"}},
        [D_NEW_OPSET] = {RUNT_E_UNSUPPORTED, {"opset 26"}},
        [D_NO_GRAPH] = {RUNT_E_BAD_MODEL, {"no graph"}},
        [D_SPARSE] = {RUNT_E_UNSUPPORTED, {"sparse_initializer"}},
    };
    for (int d = 0; d < D_COUNT_OF_DEFECTS; d++) {
        pbw bytes = defect_model((defect)d);
        runt_model *m = (runt_model *)1;
        runt_status s = runt_model_load_buffer(bytes.p, bytes.n, NULL, &m);
        RT_ASSERT(s == want[d].status && m == NULL, "defect %d: %s, want %s (%s)", d,
                  runt_status_name(s), runt_status_name(want[d].status), runt_last_error());
        for (int i = 0; i < 4 && want[d].needles[i]; i++)
            RT_ASSERT(strstr(runt_last_error(), want[d].needles[i]), "defect %d: lacks '%s': %s",
                      d, want[d].needles[i], runt_last_error());
        runt_pb_writer_free(&bytes);
    }
}

RT_TEST(onnx_reader, unsupported_op_names_op_node_and_opset)
{
    pbw g = {0};
    int64_t xd[2] = {-1, 4};
    add_node(&g, "Relu", "ok", 1, NAMES("x"), 1, NAMES("t"), 0, NULL);
    add_node(&g, "Einsum", "my_einsum", 1, NAMES("t"), 1, NAMES("y"), 0, NULL);
    add_io(&g, ONNX_GRAPH_INPUT, "x", 2, xd);
    add_io(&g, ONNX_GRAPH_OUTPUT, "y", 2, xd);
    pbw bytes = onnx_model(&g, 14);
    load_fails(&bytes, NULL, RUNT_E_UNSUPPORTED,
               NAMES("'my_einsum'", "op_type 'Einsum'", "opset 14", "not supported", NULL));
    runt_pb_writer_free(&bytes);
}

RT_TEST(onnx_reader, bad_arguments)
{
    runt_model *m = (runt_model *)1;
    RT_ASSERT(runt_model_load_buffer(NULL, 10, NULL, &m) == RUNT_E_INVALID_ARG && m == NULL,
              "NULL data with a size");
    RT_ASSERT(runt_model_load_buffer("", 0, NULL, NULL) == RUNT_E_INVALID_ARG, "NULL out");
    RT_ASSERT(runt_model_load_buffer(NULL, 0, NULL, &m) == RUNT_E_BAD_MODEL &&
              strstr(runt_last_error(), "no graph"), "empty buffer: %s", runt_last_error());
    RT_ASSERT(runt_model_load_file(NULL, NULL, &m) == RUNT_E_INVALID_ARG, "NULL path");
    RT_ASSERT(runt_model_load_file("/nonexistent/dir/model.onnx", NULL, &m) == RUNT_E_IO &&
              m == NULL && strstr(runt_last_error(), "/nonexistent/dir/model.onnx"),
              "missing file: %s", runt_last_error());
}
