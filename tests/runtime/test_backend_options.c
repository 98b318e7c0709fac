/* Backend options chained from runt_session_options.backend_options
 * (runt.h's runt_backend_options): the session hands a backend its own
 * entry, refuses a tag no backend takes, options of another backend when
 * the backend is named, an entry given twice and a cyclic chain, and
 * ignores other backends' entries when runt picks the backend. Through a
 * registered backend with options of its own, so that the rules are
 * checked in every build (with or without the CPU and CUDA backends). */
#include <string.h>

#include "rt_test.h"
#include "runt-backend.h"
#include "test_models.h"
#include "test_util.h"

#define OPTS_BACKEND "optsmock"
#define OPTS_TYPE 0x6f707431u /* "opt1" */

typedef struct opts_mock_options {
    runt_backend_options base;
    int knob;
} opts_mock_options;

/* The options prepare last found (runt_backend_options_find's answer). */
static const opts_mock_options *opts_seen;

static runt_status opts_prepare(void *context, const runt_plan *plan,
                                const runt_session_options *options, void **state)
{
    (void)context, (void)plan;
    opts_seen = (const opts_mock_options *)runt_backend_options_find(options, OPTS_TYPE);
    *state = NULL;
    return RUNT_OK;
}

static runt_status opts_execute(void *state, const runt_plan *plan, const runt_bindings *b)
{
    (void)state, (void)plan, (void)b;
    return RUNT_OK;
}

static const runt_backend_i opts_backend = {
    .name = OPTS_BACKEND,
    .prepare = opts_prepare,
    .execute = opts_execute,
    .options_type = OPTS_TYPE,
};

static runt_model *opts_model(void)
{
    runt_device_info d;
    if (!rt_backend_lookup(OPTS_BACKEND, &d))
        RT_ASSERT(runt_backend_register(&opts_backend, NULL) == RUNT_OK, "%s", runt_last_error());
    static const rt_operand x = {2, {RUNT_DIM_BATCH, 4}, 0};
    runt_model *m = rt_one_node(RUNT_OP_RELU, NULL, 1, &x, 1, 3);
    RT_ASSERT(m, "%s", runt_last_error());
    return m;
}

/* runt_session_create's status with o; the session, if made, freed. */
static runt_status create_with(const runt_model *m, const runt_session_options *o)
{
    runt_session *s = NULL;
    runt_status st = runt_session_create(m, o, &s);
    RT_ASSERT((st == RUNT_OK) == (s != NULL), "a session exactly when RUNT_OK");
    runt_session_free(s);
    return st;
}

RT_TEST(backend_options, the_backend_gets_its_own_entry_or_none)
{
    runt_model *m = opts_model();
    runt_session_options o = runt_session_options_default();
    o.backend = OPTS_BACKEND;
    opts_seen = (const opts_mock_options *)&o; /* anything but NULL */
    RT_ASSERT(create_with(m, &o) == RUNT_OK, "no options: %s", runt_last_error());
    RT_ASSERT(opts_seen == NULL, "no options: prepare found some");
    opts_mock_options mine = {{OPTS_TYPE, NULL}, 7};
    o.backend_options = &mine.base;
    RT_ASSERT(create_with(m, &o) == RUNT_OK, "own options: %s", runt_last_error());
    RT_ASSERT(opts_seen == &mine && opts_seen->knob == 7, "prepare found its entry");
    runt_model_free(m);
}

RT_TEST(backend_options, a_tag_no_backend_takes_is_refused)
{
    runt_model *m = opts_model();
    runt_backend_options unknown = {0x12345678u, NULL}, zero = {0, NULL};
    const runt_backend_options *bad[] = {&unknown, &zero};
    for (int i = 0; i < 2; i++) {
        runt_session_options o = runt_session_options_default();
        o.backend = OPTS_BACKEND;
        o.backend_options = bad[i];
        RT_ASSERT(create_with(m, &o) == RUNT_E_INVALID_ARG, "tag 0x%08x accepted",
                  (unsigned)bad[i]->type);
        RT_ASSERT(strstr(runt_last_error(), "no registered backend takes"), "message: %s",
                  runt_last_error());
    }
    char hex[16];
    snprintf(hex, sizeof hex, "0x%08x", 0x12345678u);
    runt_session_options o = runt_session_options_default();
    o.backend = OPTS_BACKEND;
    o.backend_options = &unknown;
    create_with(m, &o);
    RT_ASSERT(strstr(runt_last_error(), hex), "the tag is named: %s", runt_last_error());
    runt_model_free(m);
}

RT_TEST(backend_options, options_of_another_backend_are_refused_when_it_is_named)
{
    runt_model *m = opts_model();
    opts_mock_options mine = {{OPTS_TYPE, NULL}, 1};
    runt_session_options o = runt_session_options_default();
    o.backend = "ref";
    o.backend_options = &mine.base;
    RT_ASSERT(create_with(m, &o) == RUNT_E_INVALID_ARG, "ref took optsmock's options");
    RT_ASSERT(strstr(runt_last_error(), "'" OPTS_BACKEND "'") && strstr(runt_last_error(), "'ref'"),
              "both backends named: %s", runt_last_error());
    size_t bytes = 0;
    RT_ASSERT(runt_session_arena_size(m, &o, &bytes) == RUNT_E_INVALID_ARG,
              "runt_session_arena_size checks them too");
    /* Letting runt choose: entries for backends it did not choose are ignored. */
    o.backend = NULL;
    RT_ASSERT(create_with(m, &o) == RUNT_OK, "runt's choice with optsmock's options chained: %s",
              runt_last_error());
    runt_model_free(m);
}

RT_TEST(backend_options, an_entry_twice_and_a_cycle_are_refused)
{
    runt_model *m = opts_model();
    opts_mock_options a = {{OPTS_TYPE, NULL}, 1}, b = {{OPTS_TYPE, NULL}, 2};
    a.base.next = &b.base;
    runt_session_options o = runt_session_options_default();
    o.backend = OPTS_BACKEND;
    o.backend_options = &a.base;
    RT_ASSERT(create_with(m, &o) == RUNT_E_INVALID_ARG, "two entries of one type");
    RT_ASSERT(strstr(runt_last_error(), "twice"), "message: %s", runt_last_error());
    a.base.next = &a.base; /* a cycle: refused at the length limit, not followed for ever */
    RT_ASSERT(create_with(m, &o) == RUNT_E_INVALID_ARG, "a cycle");
    RT_ASSERT(strstr(runt_last_error(), "more than"), "message: %s", runt_last_error());
    runt_model_free(m);
}
