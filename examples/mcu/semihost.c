/* Semihosting calls (see semihost.h), plus the newlib hooks a firmware
 * without an operating system has to supply. */
#include "semihost.h"

#include <errno.h>
#include <stddef.h>

enum {
    SYS_WRITE0 = 0x04,
    SYS_EXIT = 0x18,
    ADP_STOPPED_APPLICATION_EXIT = 0x20026,  /* QEMU exits with 0        */
    ADP_STOPPED_RUNTIME_ERROR = 0x20023      /* QEMU exits with 1        */
};

static int runt_semihost_call(int op, const void *arg)
{
    register int r0 __asm("r0") = op;
    register const void *r1 __asm("r1") = arg;
    __asm volatile("bkpt 0xAB" : "+r"(r0) : "r"(r1) : "memory");
    return r0;
}

void runt_semihost_write(const char *s) { runt_semihost_call(SYS_WRITE0, s); }

void runt_semihost_exit(int status)
{
    /* On 32-bit Arm, SYS_EXIT takes the reason itself, not a block. */
    runt_semihost_call(SYS_EXIT, (const void *)(size_t)(status == 0 ? ADP_STOPPED_APPLICATION_EXIT
                                                                    : ADP_STOPPED_RUNTIME_ERROR));
    for (;;)
        ;
}

/* No heap: any malloc fails (runt is given its own allocator and arena). */
void *_sbrk(ptrdiff_t increment)
{
    (void)increment;
    errno = ENOMEM;
    return (void *)-1;
}
