/*
 * Allocation through the allocator an object was created with (NULL means
 * the C library). Sizes are checked for overflow here, once, so callers can
 * ask for count * size without repeating the check. runt_alloc,
 * runt_alloc_zeroed and runt_free are declared in runt-backend.h, for
 * backends too.
 */
#ifndef RUNT_ALLOC_H
#define RUNT_ALLOC_H

#include <stddef.h>

#include "runt-backend.h"

#define RUNT_ALLOC_ALIGN 64

/* A copy of s (NULL for NULL). */
char *runt_strdup(const runt_allocator *a, const char *s);

#endif /* RUNT_ALLOC_H */
