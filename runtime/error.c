#include "error.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#if defined(RUNT_BARE_METAL)
#define RUNT_THREAD_LOCAL
#else
#define RUNT_THREAD_LOCAL _Thread_local
#endif

static RUNT_THREAD_LOCAL char runt_error_message[RUNT_ERROR_MAX];

runt_status runt_error_set(runt_status s, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(runt_error_message, sizeof runt_error_message, fmt, ap);
    va_end(ap);
    return s;
}

runt_status runt_error_prefix(runt_status s, const char *fmt, ...)
{
    char prefix[RUNT_ERROR_MAX], old[RUNT_ERROR_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(prefix, sizeof prefix, fmt, ap);
    va_end(ap);
    /* Truncation is fine: a long message keeps its beginning. */
    memcpy(old, runt_error_message, sizeof old);
    size_t n = strlen(prefix);
    memcpy(runt_error_message, prefix, n + 1);
    if (old[0] && n + 2 < sizeof runt_error_message) {
        memcpy(runt_error_message + n, ": ", 3);
        n += 2;
        size_t rest = strlen(old);
        if (rest > sizeof runt_error_message - 1 - n)
            rest = sizeof runt_error_message - 1 - n;
        memcpy(runt_error_message + n, old, rest);
        runt_error_message[n + rest] = '\0';
    }
    return s;
}

void runt_error_clear(void) { runt_error_message[0] = '\0'; }

const char *runt_last_error(void) { return runt_error_message; }

const char *runt_status_name(runt_status s)
{
    switch (s) {
    case RUNT_OK: return "RUNT_OK";
    case RUNT_E_INVALID_ARG: return "RUNT_E_INVALID_ARG";
    case RUNT_E_BAD_MODEL: return "RUNT_E_BAD_MODEL";
    case RUNT_E_SHAPE: return "RUNT_E_SHAPE";
    case RUNT_E_UNSUPPORTED: return "RUNT_E_UNSUPPORTED";
    case RUNT_E_OOM: return "RUNT_E_OOM";
    case RUNT_E_BACKEND: return "RUNT_E_BACKEND";
    case RUNT_E_IO: return "RUNT_E_IO";
    case RUNT_E_BUSY: return "RUNT_E_BUSY";
    case RUNT_E_LIMIT: return "RUNT_E_LIMIT";
    }
    return "RUNT_E_UNKNOWN";
}

const char *runt_version(void) { return "0.1.0"; }
