/*
 * Arm semihosting (the debugger's or emulator's console and exit), as
 * QEMU's -semihosting provides it: a BKPT 0xAB with the operation in r0 and
 * its argument in r1.
 */
#ifndef RUNT_SEMIHOST_H
#define RUNT_SEMIHOST_H

/* Writes a NUL-terminated string to the host's console. */
void runt_semihost_write(const char *s);
/* Ends the run: status 0 is a normal exit, anything else an error exit. */
void runt_semihost_exit(int status) __attribute__((noreturn));

#endif /* RUNT_SEMIHOST_H */
