/*
 * One conformance harness for every backend in the registry (ggml's
 * test-backend-ops idea): each one-node case of tests/support/op_cases.h, at
 * batch 1 and 3, in f32 and in int8 (where the backend computes int8), on
 * every available backend of the build other than the reference, which is
 * the oracle, and on a backend registered at run time as a program would
 * (the tests' mock device backend: host memory behind the device-backend
 * contract, reference kernels). Other backends that tests in the same
 * process register are fixtures that compute nothing, and are left out.
 * Outputs are guarded (sentinel bytes after each); the error is normalized
 * by the reference output's scale; a case a backend refuses with
 * RUNT_E_UNSUPPORTED is reported, not failed.
 */
#include "op_cases.h"

#ifndef RUNT_BUILT_IN_BACKENDS
#define RUNT_BUILT_IN_BACKENDS "ref"
#endif
#define REGISTERED "mockops"

static rt_mock_device registered;

/* A built-in backend (RUNT_BUILT_IN_BACKENDS, from CMake) or ours. */
static int under_test(const char *name)
{
    if (strcmp(name, REGISTERED) == 0)
        return 1;
    const char *list = RUNT_BUILT_IN_BACKENDS;
    size_t n = strlen(name);
    for (const char *p = list; (p = strstr(p, name)) != NULL; p += n)
        if ((p == list || p[-1] == ',') && (p[n] == ',' || p[n] == '\0'))
            return 1;
    return 0;
}

static int is_product(int c)
{
    runt_op op = oc_cases[c].op;
    return op == RUNT_OP_GEMM || op == RUNT_OP_MATMUL || op == RUNT_OP_CONV;
}

/* int8 rows: only products quantize, so other ops are f32 either way and
 * keep the f32 bound. */
static double case_bound(int c, runt_dtype dtype)
{
    return dtype == RUNT_I8 && is_product(c) ? OC_BOUND_INT8 : OC_BOUND_F32;
}

/* The int8 bound is a share of the largest output, which must stand for
 * the scale of the sums: not with a handful of outputs (one dot product of
 * 37 terms carries a quantization error of a few percent of its own size),
 * nor behind a Clip to a narrow range. So int8 is checked on products with
 * at least 16 outputs per batch item and no Clip. */
static int int8_measurable(int c, const runt_model *m)
{
    runt_attrs at;
    runt_attrs_default(oc_cases[c].op, &at);
    if (oc_cases[c].attrs)
        oc_cases[c].attrs(&at);
    runt_activation act = oc_cases[c].op == RUNT_OP_GEMM ? at.gemm.epilogue.act
                          : oc_cases[c].op == RUNT_OP_CONV ? at.conv.epilogue.act
                                                           : RUNT_ACT_NONE;
    runt_io_info io;
    RT_ASSERT(runt_model_output(m, 0, &io) == RUNT_OK, "%s", runt_last_error());
    int64_t n = 1;
    for (int d = 0; d < io.desc.ndim; d++)
        n *= io.desc.dims[d] == RUNT_DIM_BATCH ? 1 : io.desc.dims[d];
    return n >= 16 && act != RUNT_ACT_CLIP;
}

/* 1 if `backend` makes a session of m at this batch and dtype; 0 with the
 * reason in *why if it refuses (RUNT_E_UNSUPPORTED); any other failure
 * fails the test. */
static int backend_takes(const runt_model *m, const char *backend, int64_t batch, runt_dtype dtype,
                         char *why, size_t why_size)
{
    runt_session_options o = runt_session_options_default();
    o.backend = backend;
    o.batch = batch;
    o.compute_dtype = dtype;
    rt_backend_options bo = rt_backend_options_make();
    rt_backend_options_chain(&bo, &o);
    runt_session *s = NULL;
    runt_status st = runt_session_create(m, &o, &s);
    if (st == RUNT_E_UNSUPPORTED) {
        snprintf(why, why_size, "%s", runt_last_error());
        return 0;
    }
    RT_ASSERT(st == RUNT_OK, "%s: %s", backend, runt_last_error());
    runt_session_free(s);
    return 1;
}

RT_TEST(backend_ops, every_case_on_every_backend_against_the_reference)
{
    int n_backends = 0, checked = 0, refused = 0;
    RT_ASSERT(rt_mock_device_register(&registered, REGISTERED) == RUNT_OK, "%s",
              runt_last_error());
    RT_ASSERT(runt_backend_count(&n_backends) == RUNT_OK, "%s", runt_last_error());
    for (int b = 0; b < n_backends; b++) {
        runt_device_info d;
        RT_ASSERT(runt_backend_info(b, &d) == RUNT_OK, "%s", runt_last_error());
        if (strcmp(d.backend, "ref") == 0 || !d.available || !under_test(d.backend))
            continue;
        for (int c = 0; c < OC_N_CASES; c++) {
            runt_model *m = oc_case_model(c, 900 + (uint64_t)c);
            RT_ASSERT(m, "%s: %s", oc_cases[c].label, runt_last_error());
            int int8_too = !is_product(c) || int8_measurable(c, m);
            for (int dt = 0; dt < 1 + int8_too; dt++) {
                runt_dtype dtype = dt ? RUNT_I8 : RUNT_F32;
                for (int64_t batch = 1; batch <= 3; batch += 2) {
                    char why[256];
                    if (!backend_takes(m, d.backend, batch, dtype, why, sizeof why)) {
                        refused++;
                        if (dtype == RUNT_F32)
                            printf("  %s does not run '%s' (f32): %s\n", d.backend,
                                   oc_cases[c].label, why);
                        continue;
                    }
                    oc_config got = oc_config_make(d.backend, batch);
                    oc_config want = oc_config_make("ref", batch);
                    got.dtype = dtype;
                    got.runs = 2;
                    double e = oc_compare(m, &got, &want, 950 + (uint64_t)c, NULL);
                    RT_ASSERT(e <= case_bound(c, dtype), "%s, '%s', %s, batch %lld: error %g > %g",
                              d.backend, oc_cases[c].label, runt_dtype_name(dtype),
                              (long long)batch, e, case_bound(c, dtype));
                    checked++;
                }
            }
            runt_model_free(m);
        }
    }
    printf("  backend_ops: %d case runs checked against ref, %d refused as unsupported\n", checked,
           refused);
}
