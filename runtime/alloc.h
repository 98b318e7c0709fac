/*
 * Allocation through the allocator an object was created with (NULL means
 * the C library). Sizes are checked for overflow here, once, so callers can
 * ask for count * size without repeating the check.
 */
#ifndef RUNT_ALLOC_H
#define RUNT_ALLOC_H

#include <stddef.h>

#include "runt.h"

#define RUNT_ALLOC_ALIGN 64

/* NULL on failure or size 0. Memory is RUNT_ALLOC_ALIGN-aligned. */
void *runt_alloc(const runt_allocator *a, size_t size);
/* Zero-filled count * size bytes; NULL on overflow or failure. */
void *runt_alloc_zeroed(const runt_allocator *a, size_t count, size_t size);
void runt_free(const runt_allocator *a, void *p);
/* A copy of s (NULL for NULL). */
char *runt_strdup(const runt_allocator *a, const char *s);

#endif /* RUNT_ALLOC_H */
