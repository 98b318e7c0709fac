/* The CPU backend's own options (include/runt-cpu.h), chained from the
 * generic ones: its checks of them, and the CUDA backend's options refused
 * when the session names "cpu". The kernel tier has its own tests
 * (test_cpu_tier.c), as does int8_min_weights' size rule (test_cpu_int8.c). */
#include <string.h>

#include "cpu_compare.h"
#include "cpu_models.h"
#include "runt-cpu.h"
#include "runt-cuda.h"

RT_TEST(cpu_options, a_negative_int8_min_weights_is_refused_by_name)
{
    CPU_REQUIRE();
    runt_model *m = small_mlp(95);
    runt_cpu_options cpu = runt_cpu_options_default();
    cpu.int8_min_weights = -1;
    runt_session_options o = runt_session_options_default();
    o.backend = "cpu";
    o.compute_dtype = RUNT_I8;
    o.backend_options = &cpu.base;
    runt_session *s = NULL;
    RT_ASSERT(runt_session_create(m, &o, &s) == RUNT_E_INVALID_ARG && !s, "-1 accepted");
    RT_ASSERT(strstr(runt_last_error(), "runt_cpu_options.int8_min_weights"), "message: %s",
              runt_last_error());
    runt_model_free(m);
}

RT_TEST(cpu_options, the_cuda_backends_options_are_refused)
{
    CPU_REQUIRE();
    runt_model *m = small_mlp(95);
    runt_cuda_options cuda = runt_cuda_options_default();
    runt_session_options o = runt_session_options_default();
    o.backend = "cpu";
    o.backend_options = &cuda.base;
    runt_session *s = NULL;
    RT_ASSERT(runt_session_create(m, &o, &s) == RUNT_E_INVALID_ARG && !s, "cpu took cuda's");
    /* Named "cuda" where this build has the CUDA backend; otherwise no
     * registered backend takes the tag. Either way the field is named. */
    RT_ASSERT(strstr(runt_last_error(), "backend_options"), "message: %s", runt_last_error());
    runt_model_free(m);
}

RT_TEST(cpu_options, chained_after_another_backends_options_they_still_apply)
{
    CPU_REQUIRE();
    runt_model *m = small_mlp(95);
    runt_cpu_options cpu = runt_cpu_options_default();
    cpu.tier = "no such tier"; /* refused only if the CPU backend reads it */
    runt_cuda_options cuda = runt_cuda_options_default();
    cuda.base.next = &cpu.base;
    runt_session_options o = runt_session_options_default();
    o.backend = NULL; /* runt picks cpu here, so cuda's entry is ignored */
    o.backend_options = &cuda.base;
    runt_session *s = NULL;
    runt_status st = runt_session_create(m, &o, &s);
    runt_session_free(s);
    if (st == RUNT_E_INVALID_ARG && strstr(runt_last_error(), "no registered backend takes")) {
        runt_model_free(m);
        RT_SKIP("the CUDA backend is not in this build: its options' tag is unknown here");
        return;
    }
    RT_ASSERT(st == RUNT_E_INVALID_ARG && strstr(runt_last_error(), "runt_cpu_options.tier"),
              "the CPU backend read its entry behind cuda's: %s", runt_last_error());
    runt_model_free(m);
}
