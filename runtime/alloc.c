#include "alloc.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* The default path keeps the C library's pointer just before the aligned
 * block, so aligned memory comes from plain malloc (aligned_alloc is missing
 * from some embedded C libraries). */
static void *runt_default_alloc(size_t size)
{
    if (size > SIZE_MAX - RUNT_ALLOC_ALIGN - sizeof(void *))
        return NULL;
    unsigned char *raw = malloc(size + RUNT_ALLOC_ALIGN + sizeof(void *));
    if (!raw)
        return NULL;
    uintptr_t p = ((uintptr_t)(raw + sizeof(void *)) + RUNT_ALLOC_ALIGN - 1) &
                  ~(uintptr_t)(RUNT_ALLOC_ALIGN - 1);
    ((void **)p)[-1] = raw;
    return (void *)p;
}

void *runt_alloc(const runt_allocator *a, size_t size)
{
    if (size == 0)
        return NULL;
    if (a && a->alloc)
        return a->alloc(a->user, size, RUNT_ALLOC_ALIGN);
    return runt_default_alloc(size);
}

void *runt_alloc_zeroed(const runt_allocator *a, size_t count, size_t size)
{
    if (count == 0 || size == 0 || count > SIZE_MAX / size)
        return NULL;
    void *p = runt_alloc(a, count * size);
    if (p)
        memset(p, 0, count * size);
    return p;
}

void runt_free(const runt_allocator *a, void *p)
{
    if (!p)
        return;
    if (a && a->alloc) {
        if (a->free)
            a->free(a->user, p);
        return;
    }
    free(((void **)p)[-1]);
}

char *runt_strdup(const runt_allocator *a, const char *s)
{
    if (!s)
        return NULL;
    size_t n = strlen(s) + 1;
    char *d = runt_alloc(a, n);
    if (d)
        memcpy(d, s, n);
    return d;
}
