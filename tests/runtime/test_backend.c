/* The backend front end (runtime/backend.c) and registry, through a mock
 * backend with "device" memory: the session must leave the arena and the
 * copies of inputs and outputs to the backend, report the backend's device
 * time, refuse device-memory I/O on host backends, and turn a backend's
 * failure into a status naming the backend. */
#include <stdlib.h>
#include <string.h>

#include "ref/ref_impl.h"
#include "rt_test.h"
#include "runt-backend.h"
#include "test_util.h"

static rt_mock_device mock;

static void register_mock(void)
{
    RT_ASSERT(rt_mock_device_register(&mock, "mockstage") == RUNT_OK, "%s", runt_last_error());
}

static void reset_mock(void)
{
    mock.copies_in = mock.copies_out = mock.fail_execute = 0;
    mock.device_us = 1234.5; /* stands for a device-event measurement */
}

static runt_model *small_model(float *w, float *bias)
{
    runt_builder *b;
    runt_value_id x, y;
    int64_t dims[2] = {RUNT_DIM_BATCH, 4};
    RT_ASSERT(runt_builder_create(NULL, &b) == RUNT_OK, "%s", runt_last_error());
    RT_ASSERT(runt_builder_input(b, "x", RUNT_F32, 2, dims, &x) == RUNT_OK, "%s", runt_last_error());
    RT_ASSERT(runt_builder_linear(b, x, 4, 3, w, bias, &y) == RUNT_OK, "%s", runt_last_error());
    RT_ASSERT(runt_builder_unary(b, RUNT_OP_RELU, y, NULL, &y) == RUNT_OK, "%s", runt_last_error());
    RT_ASSERT(runt_builder_output(b, y, "y") == RUNT_OK, "%s", runt_last_error());
    runt_model *m;
    RT_ASSERT(runt_builder_finish(b, &m) == RUNT_OK, "%s", runt_last_error());
    return m;
}

RT_TEST(backend, a_device_backend_keeps_its_arena_and_copies_io)
{
    register_mock();
    reset_mock();
    rt_rng r = rt_rng_make(61);
    float w[12], bias[3], x[8], y_dev[6], y_ref[6];
    rt_fill_uniform(&r, w, 12, -1, 1);
    rt_fill_uniform(&r, bias, 3, -1, 1);
    rt_fill_uniform(&r, x, 8, -1, 1);
    runt_model *m = small_model(w, bias);
    int64_t xd[2] = {2, 4}, yd[2] = {2, 3};
    runt_tensor tx = rt_tensor_f32(x, 2, xd);
    const char *names[2] = {"mockstage", "ref"};
    float *ys[2] = {y_dev, y_ref};
    for (int i = 0; i < 2; i++) {
        runt_session_options o = runt_session_options_default();
        o.backend = names[i];
        o.batch = 2;
        runt_session *s;
        RT_ASSERT(runt_session_create(m, &o, &s) == RUNT_OK, "%s: %s", names[i], runt_last_error());
        runt_tensor ty = rt_tensor_f32(ys[i], 2, yd);
        RT_ASSERT(runt_session_run(s, &tx, 1, &ty, 1) == RUNT_OK, "%s: %s", names[i], runt_last_error());
        double us = 0;
        RT_ASSERT(runt_session_last_run_us(s, &us) == RUNT_OK, "%s", runt_last_error());
        if (i == 0)
            RT_ASSERT(us == 1234.5, "the device's own time is reported, got %g", us);
        else
            RT_ASSERT(us >= 0, "host time %g", us);
        runt_session_free(s);
    }
    RT_ASSERT(mock.copies_in == 1 && mock.copies_out == 1, "one copy each way: %d in, %d out",
              mock.copies_in, mock.copies_out);
    RT_ASSERT(mock.live_arenas == 0, "the arena was made at prepare and freed at release (%d "
              "left)", mock.live_arenas);
    RT_ASSERT(memcmp(y_dev, y_ref, sizeof y_dev) == 0, "same kernels, same result");

    runt_session_options o = runt_session_options_default();
    o.backend = "mockstage";
    char arena[256];
    o.arena = arena;
    o.arena_size = sizeof arena;
    runt_session *s;
    RT_ASSERT(runt_session_create(m, &o, &s) == RUNT_E_INVALID_ARG, "no caller arena on a device");
    runt_model_free(m);
}

RT_TEST(backend, a_backend_failure_names_the_backend)
{
    register_mock();
    reset_mock();
    mock.fail_execute = 1;
    float w[12] = {1}, bias[3] = {1}, x[4] = {1, 2, 3, 4}, y[3];
    runt_model *m = small_model(w, bias);
    runt_session_options o = runt_session_options_default();
    o.backend = "mockstage:0";
    runt_session *s;
    RT_ASSERT(runt_session_create(m, &o, &s) == RUNT_OK, "'name:N' finds the backend: %s",
              runt_last_error());
    int64_t xd[2] = {1, 4}, yd[2] = {1, 3};
    runt_tensor tx = rt_tensor_f32(x, 2, xd), ty = rt_tensor_f32(y, 2, yd);
    RT_ASSERT(runt_session_run(s, &tx, 1, &ty, 1) == RUNT_E_BACKEND, "failure propagates");
    RT_ASSERT(strstr(runt_last_error(), "mockstage") && strstr(runt_last_error(), "fell over"),
              "message: %s", runt_last_error());
    runt_session_free(s);
    runt_model_free(m);
}

RT_TEST(backend, registration_is_checked)
{
    register_mock();
    RT_ASSERT(runt_backend_register(&mock.iface, &mock) == RUNT_E_INVALID_ARG, "twice");
    RT_ASSERT(runt_backend_register(NULL, NULL) == RUNT_E_INVALID_ARG, "NULL");
    runt_backend_i bad = mock.iface;
    bad.name = "bad:name";
    RT_ASSERT(runt_backend_register(&bad, NULL) == RUNT_E_INVALID_ARG, "colon in name");
    bad.name = "other";
    bad.execute = NULL;
    RT_ASSERT(runt_backend_register(&bad, NULL) == RUNT_E_INVALID_ARG, "no execute");
    int n, found = 0;
    RT_ASSERT(runt_backend_count(&n) == RUNT_OK, "%s", runt_last_error());
    for (int i = 0; i < n; i++) {
        runt_device_info d;
        RT_ASSERT(runt_backend_info(i, &d) == RUNT_OK, "%s", runt_last_error());
        if (strcmp(d.backend, "mockstage") == 0)
            found = !d.host_memory && i >= 1; /* after the built-in ref */
    }
    RT_ASSERT(found, "the registered backend is listed after the built-in ones");
}

RT_TEST(backend, io_memory_kinds_are_checked)
{
    register_mock();
    reset_mock();
    rt_rng r = rt_rng_make(67);
    float w[12], bias[3], x[4], y_pinned[3], y_host[3];
    rt_fill_uniform(&r, w, 12, -1, 1);
    rt_fill_uniform(&r, bias, 3, -1, 1);
    rt_fill_uniform(&r, x, 4, -1, 1);
    runt_model *m = small_model(w, bias);
    int64_t xd[2] = {1, 4}, yd[2] = {1, 3};
    runt_tensor tx = rt_tensor_f32(x, 2, xd);
    runt_tensor th = rt_tensor_f32(y_host, 2, yd), tp = rt_tensor_f32(y_pinned, 2, yd);

    runt_session_options o = runt_session_options_default();
    o.backend = "ref";
    runt_session *s;
    RT_ASSERT(runt_session_create(m, &o, &s) == RUNT_OK, "%s", runt_last_error());
    RT_ASSERT(runt_session_run_in(s, RUNT_MEMORY_DEVICE, &tx, 1, &th, 1) == RUNT_E_INVALID_ARG &&
                  strstr(runt_last_error(), "device memory") && strstr(runt_last_error(), "ref"),
              "device memory on a host backend is refused by name: %s", runt_last_error());
    RT_ASSERT(runt_session_run_in(s, (runt_memory)7, &tx, 1, &th, 1) == RUNT_E_INVALID_ARG &&
                  strstr(runt_last_error(), "memory kind 7"), "%s", runt_last_error());
    RT_ASSERT(runt_session_run_in(s, RUNT_MEMORY_HOST_PINNED, &tx, 1, &tp, 1) == RUNT_OK,
              "pinned memory is host memory to a host backend: %s", runt_last_error());
    RT_ASSERT(runt_session_run(s, &tx, 1, &th, 1) == RUNT_OK, "%s", runt_last_error());
    RT_ASSERT(memcmp(y_host, y_pinned, sizeof y_host) == 0, "same run, same result");
    runt_session_free(s);

    o.backend = "mockstage";
    RT_ASSERT(runt_session_create(m, &o, &s) == RUNT_OK, "%s", runt_last_error());
    RT_ASSERT(runt_session_run_in(s, RUNT_MEMORY_DEVICE, &tx, 1, &tp, 1) == RUNT_OK,
              "a device backend takes device memory: %s", runt_last_error());
    RT_ASSERT(memcmp(y_host, y_pinned, sizeof y_host) == 0, "the device's result equals ref's");
    runt_session_free(s);
    runt_model_free(m);
}

/* A host backend whose kernels need scratch: the reference kernels, plus a
 * run that fills every byte of the scratch the core binds. */
typedef struct scratch_backend {
    size_t want;               /* scratch_size's answer                       */
    int prepares, releases;
    const void *arena, *scratch; /* what the last run was bound to            */
} scratch_backend;

static scratch_backend scratchy;

static runt_status scratch_probe(void *context, runt_device_info *info)
{
    (void)context;
    info->available = 1;
    info->host_memory = 1;
    return RUNT_OK;
}

static runt_status scratch_prepare(void *context, const runt_plan *plan,
                                   const runt_session_options *o, void **state)
{
    (void)plan, (void)o;
    scratch_backend *sb = context;
    sb->prepares++;
    *state = sb;
    return RUNT_OK;
}

static runt_status scratch_execute(void *state, const runt_plan *plan, const runt_bindings *b)
{
    scratch_backend *sb = state;
    sb->arena = b->arena;
    sb->scratch = b->scratch;
    if (b->scratch)
        memset(b->scratch, 0xA5, sb->want);
    for (int i = 0; i < plan->n_nodes; i++) {
        runt_status s = runt_ref_run_node(plan, i, b);
        if (s != RUNT_OK)
            return s;
    }
    return RUNT_OK;
}

static size_t scratch_size(void *state, const runt_plan *plan)
{
    (void)plan;
    return ((const scratch_backend *)state)->want;
}

static void scratch_release(void *state, const runt_plan *plan)
{
    (void)plan;
    ((scratch_backend *)state)->releases++;
}

static void register_scratchy(void)
{
    static const runt_backend_i iface = {
        .name = "scratchy",
        .probe = scratch_probe,
        .prepare = scratch_prepare,
        .execute = scratch_execute,
        .release = scratch_release,
        .scratch_size = scratch_size,
    };
    runt_device_info d;
    if (!rt_backend_lookup("scratchy", &d))
        RT_ASSERT(runt_backend_register(&iface, &scratchy) == RUNT_OK, "%s", runt_last_error());
}

RT_TEST(backend, a_host_backends_scratch_lives_in_the_session_arena)
{
    register_scratchy();
    rt_rng r = rt_rng_make(62);
    float w[12], bias[3], x[12], y[9], y_ref[9];
    rt_fill_uniform(&r, w, 12, -1, 1);
    rt_fill_uniform(&r, bias, 3, -1, 1);
    rt_fill_uniform(&r, x, 12, -1, 1);
    runt_model *m = small_model(w, bias);
    int64_t xd[2] = {3, 4}, yd[2] = {3, 3};
    runt_tensor tx = rt_tensor_f32(x, 2, xd), ty = rt_tensor_f32(y_ref, 2, yd);
    runt_session_options o = runt_session_options_default();
    o.backend = "ref";
    o.batch = 3;
    runt_session *s;
    size_t values = 0;
    RT_ASSERT(runt_session_create(m, &o, &s) == RUNT_OK, "%s", runt_last_error());
    RT_ASSERT(runt_session_run(s, &tx, 1, &ty, 1) == RUNT_OK, "%s", runt_last_error());
    runt_session_stats st;
    RT_ASSERT(runt_session_stats_get(s, &st) == RUNT_OK, "%s", runt_last_error());
    RT_ASSERT(st.scratch_bytes == 0 && st.session_arena_bytes == st.arena_bytes &&
              st.backend_weight_bytes == 0, "ref: no scratch, no weights of its own");
    values = st.arena_bytes;
    runt_session_free(s);

    /* 100 bytes: not a multiple of the alignment, placed after the values. */
    scratchy.want = 100;
    o.backend = "scratchy";
    size_t need = 0;
    int prepares = scratchy.prepares;
    RT_ASSERT(runt_session_arena_size(m, &o, &need) == RUNT_OK, "%s", runt_last_error());
    size_t offset = (values + RUNT_ARENA_ALIGN - 1) / RUNT_ARENA_ALIGN * RUNT_ARENA_ALIGN;
    RT_ASSERT(need == offset + 100, "arena %zu: values %zu, aligned, then 100 of scratch", need,
              values);
    RT_ASSERT(scratchy.prepares == prepares + 1 && scratchy.releases == scratchy.prepares,
              "the size query prepared once and released what it prepared");

    enum { GUARD = 64 };
    unsigned char *arena = aligned_alloc(RUNT_ARENA_ALIGN, (need + GUARD + 63) / 64 * 64);
    memset(arena + need, 0x3C, GUARD);
    o.arena = arena;
    o.arena_size = need - 1;
    RT_ASSERT(runt_session_create(m, &o, &s) == RUNT_E_OOM &&
                  strstr(runt_last_error(), "backend scratch"),
              "an arena a byte short is refused, naming the scratch: %s", runt_last_error());
    RT_ASSERT(scratchy.releases == scratchy.prepares, "the refused session released its state");
    o.arena_size = need;
    RT_ASSERT(runt_session_create(m, &o, &s) == RUNT_OK, "%s", runt_last_error());
    ty = rt_tensor_f32(y, 2, yd);
    RT_ASSERT(runt_session_run(s, &tx, 1, &ty, 1) == RUNT_OK, "%s", runt_last_error());
    RT_ASSERT(scratchy.arena == arena && scratchy.scratch == arena + offset,
              "scratch bound at %p, the arena at %p: expected arena + %zu", scratchy.scratch,
              (void *)arena, offset);
    for (int i = 0; i < GUARD; i++)
        RT_ASSERT(arena[need + i] == 0x3C, "byte %d past the arena was written", i);
    RT_ASSERT(memcmp(y, y_ref, sizeof y) == 0, "writing the scratch disturbed no value");
    RT_ASSERT(runt_session_stats_get(s, &st) == RUNT_OK, "%s", runt_last_error());
    RT_ASSERT(st.scratch_bytes == 100 && st.session_arena_bytes == need,
              "stats: scratch %zu, whole arena %zu", st.scratch_bytes, st.session_arena_bytes);
    runt_session_free(s);

    /* Without a caller arena the session allocates the same layout. */
    o.arena = NULL;
    o.arena_size = 0;
    RT_ASSERT(runt_session_create(m, &o, &s) == RUNT_OK, "%s", runt_last_error());
    RT_ASSERT(runt_session_run(s, &tx, 1, &ty, 1) == RUNT_OK, "%s", runt_last_error());
    RT_ASSERT((const char *)scratchy.scratch == (const char *)scratchy.arena + offset &&
                  (uintptr_t)scratchy.scratch % RUNT_ARENA_ALIGN == 0,
              "own arena: scratch at its offset, aligned");
    runt_session_free(s);

    /* The limit on the arena counts the scratch. */
    runt_limits l = runt_limits_default();
    l.max_arena_bytes = (int64_t)need - 1;
    o.limits = &l;
    RT_ASSERT(runt_session_create(m, &o, &s) == RUNT_E_LIMIT &&
                  strstr(runt_last_error(), "max_arena_bytes"),
              "over the limit with its scratch: %s", runt_last_error());
    RT_ASSERT(runt_session_arena_size(m, &o, &need) == RUNT_E_LIMIT, "the size query says so too");

    /* No scratch: nothing bound. */
    o.limits = NULL;
    scratchy.want = 0;
    RT_ASSERT(runt_session_create(m, &o, &s) == RUNT_OK, "%s", runt_last_error());
    RT_ASSERT(runt_session_run(s, &tx, 1, &ty, 1) == RUNT_OK, "%s", runt_last_error());
    RT_ASSERT(scratchy.scratch == NULL, "no scratch asked, none bound");
    runt_session_free(s);
    RT_ASSERT(scratchy.releases == scratchy.prepares, "every prepare released");
    free(arena);
    runt_model_free(m);
}
