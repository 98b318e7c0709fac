/*
 * Reset and fault handling for a Cortex-M4 (mps2-an386): the vector table,
 * copying .data from flash and zeroing .bss, turning on the FPU (the code is
 * built for hard-float), then main(); its status ends the run through
 * semihosting, which QEMU turns into its own exit status.
 */
#include <stdint.h>

#include "semihost.h"

extern uint32_t runt_data_start, runt_data_end, runt_data_load, runt_bss_start, runt_bss_end;
extern uint32_t runt_stack_top;
int main(void);

/* The FPU's access bits (CPACR, cp10 and cp11 full access). */
#define RUNT_CPACR (*(volatile uint32_t *)0xE000ED88u)

void runt_reset_handler(void)
{
    const uint32_t *src = &runt_data_load;
    for (uint32_t *dst = &runt_data_start; dst < &runt_data_end;)
        *dst++ = *src++;
    for (uint32_t *dst = &runt_bss_start; dst < &runt_bss_end;)
        *dst++ = 0;
    RUNT_CPACR |= 0xFu << 20;
    __asm volatile("dsb\n\tisb" ::: "memory");
    runt_semihost_exit(main());
}

static void runt_fault_handler(void)
{
    runt_semihost_write("firmware: fault (hard fault, bus fault or unexpected interrupt)\n");
    runt_semihost_exit(3);
}

typedef void (*runt_vector)(void);

/* Initial stack pointer, reset, then the Cortex-M4 system exceptions. */
__attribute__((section(".isr_vector"), used)) static const runt_vector runt_vectors[16] = {
    (runt_vector)(uintptr_t)&runt_stack_top,
    runt_reset_handler,
    runt_fault_handler, /* NMI */
    runt_fault_handler, /* HardFault */
    runt_fault_handler, /* MemManage */
    runt_fault_handler, /* BusFault */
    runt_fault_handler, /* UsageFault */
    0, 0, 0, 0,
    runt_fault_handler, /* SVCall */
    runt_fault_handler, /* DebugMonitor */
    0,
    runt_fault_handler, /* PendSV */
    runt_fault_handler, /* SysTick */
};
