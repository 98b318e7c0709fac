/*
 * runt_limits: each ceiling, set just below what a model needs, fails the
 * load or the session with RUNT_E_LIMIT naming the field; set at exactly what
 * it needs, it passes. Bad limit values are argument errors. The model is the
 * malformed corpus's valid one (x[1,4] -> MatMul W[4,3] -> Add B[3] -> Relu:
 * 3 nodes, 60 bytes of weights) and, for sessions, a builder MLP.
 */
#if !defined(RUNT_BARE_METAL)
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rt_test.h"
#include "runt.h"
#include "test_models.h"
#include "test_util.h"

static unsigned char *valid_model(size_t *size, char *path, size_t path_size)
{
    const char *data = getenv("RUNT_TEST_DATA");
    if (!data)
        return NULL;
    snprintf(path, path_size, "%s/malformed/valid.onnx", data);
    FILE *f = fopen(path, "rb");
    RT_ASSERT(f != NULL, "cannot open %s", path);
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    unsigned char *p = malloc((size_t)n);
    RT_ASSERT(p && fread(p, 1, (size_t)n, f) == (size_t)n, "cannot read %s", path);
    fclose(f);
    *size = (size_t)n;
    return p;
}

static runt_status load_with(const unsigned char *bytes, size_t size, const runt_limits *l)
{
    runt_load_options o = {0};
    o.limits = l;
    runt_model *m = NULL;
    runt_status st = runt_model_load_buffer(bytes, size, &o, &m);
    runt_model_free(m);
    return st;
}

/* Exceeded by one: RUNT_E_LIMIT naming field; exactly met: RUNT_OK. */
static void edge(const unsigned char *bytes, size_t size, int64_t *field, int64_t need,
                 runt_limits *l, const char *name)
{
    *field = need - 1;
    runt_status st = load_with(bytes, size, l);
    RT_ASSERT(st == RUNT_E_LIMIT, "%s = %lld: %s (%s)", name, (long long)*field,
              runt_status_name(st), runt_last_error());
    RT_ASSERT(strstr(runt_last_error(), name) != NULL, "message lacks %s: %s", name,
              runt_last_error());
    *field = need;
    st = load_with(bytes, size, l);
    RT_ASSERT(st == RUNT_OK, "%s = %lld: %s", name, (long long)need, runt_last_error());
    *l = runt_limits_default();
}

RT_TEST(limits, each_load_limit_is_enforced_at_its_edge)
{
    char path[1024];
    size_t size = 0;
    unsigned char *bytes = valid_model(&size, path, sizeof path);
    if (!bytes) {
        RT_SKIP("RUNT_TEST_DATA is not set (ctest sets it to tests/data)");
        return;
    }
    runt_limits l = runt_limits_default();
    edge(bytes, size, &l.max_file_bytes, (int64_t)size, &l, "max_file_bytes");
    edge(bytes, size, &l.max_nodes, 3, &l, "max_nodes");
    edge(bytes, size, &l.max_tensor_elements, 12, &l, "max_tensor_elements");
    edge(bytes, size, &l.max_weight_bytes, 60, &l, "max_weight_bytes");

    /* The file path checks the size before reading the file. */
    runt_load_options o = {0};
    l.max_file_bytes = (int64_t)size - 1;
    o.limits = &l;
    runt_model *m = NULL;
    runt_status st = runt_model_load_file(path, &o, &m);
    RT_ASSERT(st == RUNT_E_LIMIT && m == NULL && strstr(runt_last_error(), "max_file_bytes"),
              "file: %s: %s", runt_status_name(st), runt_last_error());
    free(bytes);
}

RT_TEST(limits, nesting_limit_applies_to_groups)
{
    char path[1024];
    size_t size = 0;
    unsigned char *valid = valid_model(&size, path, sizeof path);
    if (!valid) {
        RT_SKIP("RUNT_TEST_DATA is not set (ctest sets it to tests/data)");
        return;
    }
    /* The valid model plus field 9 as a group nested 5 deep (skipped whole). */
    unsigned char *bytes = malloc(size + 10);
    memcpy(bytes, valid, size);
    for (int i = 0; i < 5; i++)
        bytes[size + i] = 9 << 3 | 3;
    for (int i = 0; i < 5; i++)
        bytes[size + 5 + i] = 9 << 3 | 4;
    runt_limits l = runt_limits_default();
    l.max_nesting = 4;
    runt_status st = load_with(bytes, size + 10, &l);
    RT_ASSERT(st == RUNT_E_LIMIT && strstr(runt_last_error(), "max_nesting"), "4: %s: %s",
              runt_status_name(st), runt_last_error());
    l.max_nesting = 5;
    RT_ASSERT(load_with(bytes, size + 10, &l) == RUNT_OK, "5: %s", runt_last_error());
    free(bytes);
    free(valid);
}

RT_TEST(limits, bad_limit_values_are_argument_errors)
{
    runt_limits l = runt_limits_default();
    static const unsigned char nothing[1];
    l.max_nodes = -1;
    runt_status st = load_with(nothing, 0, &l);
    RT_ASSERT(st == RUNT_E_INVALID_ARG && strstr(runt_last_error(), "max_nodes"), "%s: %s",
              runt_status_name(st), runt_last_error());
    l = runt_limits_default();
    l.max_nesting = 65;
    st = load_with(nothing, 0, &l);
    RT_ASSERT(st == RUNT_E_INVALID_ARG && strstr(runt_last_error(), "max_nesting"), "%s: %s",
              runt_status_name(st), runt_last_error());
    /* 0 means the default: an all-zero struct loads what the defaults load. */
    runt_limits zero;
    memset(&zero, 0, sizeof zero);
    st = load_with(nothing, 0, &zero);
    RT_ASSERT(st == RUNT_E_BAD_MODEL, "zero limits on an empty model: %s: %s",
              runt_status_name(st), runt_last_error());
}

static runt_status session_with(const runt_model *m, const char *backend, int64_t batch,
                                const runt_limits *l)
{
    runt_session_options o = runt_session_options_default();
    o.backend = backend;
    o.batch = batch;
    o.limits = l;
    runt_session *s = NULL;
    runt_status st = runt_session_create(m, &o, &s);
    runt_session_free(s);
    return st;
}

RT_TEST(limits, session_arena_and_value_size_are_enforced)
{
    static const int64_t widths[4] = {64, 300, 200, 10};
    runt_model *m = rt_mlp3(NULL, widths, RUNT_OP_RELU, NULL, 81);
    RT_ASSERT(m, "%s", runt_last_error());
    const char *backends[2] = {"ref", "cpu"};
    for (int b = 0; b < 2; b++) {
        if (b == 1 && !rt_backend_available("cpu"))
            continue;
        runt_session_options o = runt_session_options_default();
        o.backend = backends[b];
        o.batch = 16;
        size_t arena = 0;
        RT_ASSERT(runt_session_arena_size(m, &o, &arena) == RUNT_OK, "%s", runt_last_error());
        runt_limits l = runt_limits_default();
        l.max_arena_bytes = (int64_t)arena - 1;
        runt_status st = session_with(m, backends[b], 16, &l);
        RT_ASSERT(st == RUNT_E_LIMIT && strstr(runt_last_error(), "max_arena_bytes"),
                  "%s arena: %s: %s", backends[b], runt_status_name(st), runt_last_error());
        l.max_arena_bytes = (int64_t)arena;
        st = session_with(m, backends[b], 16, &l);
        RT_ASSERT(st == RUNT_OK, "%s: an arena at its size (scratch included) is within the "
                  "limit: %s", backends[b], runt_last_error());
        l = runt_limits_default();
        l.max_tensor_elements = 16 * 300 - 1; /* the widest activation at batch 16 */
        st = session_with(m, backends[b], 16, &l);
        RT_ASSERT(st == RUNT_E_LIMIT && strstr(runt_last_error(), "max_tensor_elements"),
                  "%s elements: %s: %s", backends[b], runt_status_name(st), runt_last_error());
        l.max_tensor_elements = 16 * 300;
        RT_ASSERT(session_with(m, backends[b], 16, &l) == RUNT_OK, "%s: %s", backends[b],
                  runt_last_error());
    }
    runt_model_free(m);
}

#endif /* !RUNT_BARE_METAL */
