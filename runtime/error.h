/*
 * The calling thread's error message. Each failing call leaves one line saying
 * what went wrong and where; runt_last_error() returns it. Thread-local, so
 * sessions on different threads do not overwrite each other's messages
 * (single-threaded bare-metal builds use one static buffer).
 */
#ifndef RUNT_ERROR_H
#define RUNT_ERROR_H

#include "runt-backend.h"

#define RUNT_ERROR_MAX 512

/* runt_error_set, runt_error_prefix and runt_error_clear are declared in
 * runt-backend.h, for backends too: errors read
 * `return runt_error_set(RUNT_E_SHAPE, "node '%s': ...", name);` */
#endif /* RUNT_ERROR_H */
