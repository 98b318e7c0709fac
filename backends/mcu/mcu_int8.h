/*
 * int8 kernels for microcontrollers: MatMulInteger and ConvInteger with
 * uint8 activations, int8 weights and a zero weight zero point (what
 * runt_model_quantize_int8 and onnxruntime's quantize_dynamic write), on
 * the DSP extension's dual multiply-accumulate (mcu_dsp.h) where the target
 * has it and in plain C elsewhere. Same signature as the reference kernels;
 * any other case (uint8 weights, per-row zero points, depths whose sums
 * could pass int32) is handed to the reference kernel. The results are the
 * reference kernels' integers exactly: every product and sum is exact.
 */
#ifndef RUNT_MCU_INT8_H
#define RUNT_MCU_INT8_H

#include "runt.h"

runt_status runt_mcu_matmul_integer(const runt_attrs *attrs, const runt_tensor *in, int n_in,
                                    runt_tensor *out, int n_out);
runt_status runt_mcu_conv_integer(const runt_attrs *attrs, const runt_tensor *in, int n_in,
                                  runt_tensor *out, int n_out);

/* 1 if the kernels above compute this node themselves (0: they hand it to
 * the reference kernel). For tests. */
int runt_mcu_int8_fits(runt_op op, const runt_tensor *in, int n_in);

#endif /* RUNT_MCU_INT8_H */
