/* Time and logging helpers offered to backends (declared in runt-backend.h). */
#if !defined(RUNT_BARE_METAL) && !defined(_POSIX_C_SOURCE)
#define _POSIX_C_SOURCE 199309L
#endif

#include <stdarg.h>
#include <stdio.h>

#include "runt-backend.h"

#if !defined(RUNT_BARE_METAL)
#include <time.h>
#endif

double runt_clock_us(void)
{
#if defined(RUNT_BARE_METAL)
    return 0.0; /* no clock on bare metal: profiling reports zeros */
#else
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e6 + (double)ts.tv_nsec * 1e-3;
#endif
}

void runt_plan_log(const runt_plan *plan, runt_log_level level, const char *fmt, ...)
{
    if (!plan || !plan->log)
        return;
    char message[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(message, sizeof message, fmt, ap);
    va_end(ap);
    plan->log(plan->log_user, level, message);
}
