/*
 * runt-mcu.h — the "mcu" backend for microcontrollers: the reference
 * kernels, with int8 MatMulInteger and ConvInteger on the Cortex-M DSP
 * extension (SMLAD) where the target has it and plain C elsewhere; bit for
 * bit the reference backend's results. It is not built in; add it once
 * before creating sessions:
 *
 *   runt_backend_register(&runt_backend_mcu, NULL);
 *   options.backend = "mcu";
 */
#ifndef RUNT_MCU_H
#define RUNT_MCU_H

#include "runt-backend.h"

#ifdef __cplusplus
extern "C" {
#endif

extern const runt_backend_i runt_backend_mcu;

#ifdef __cplusplus
}
#endif
#endif /* RUNT_MCU_H */
