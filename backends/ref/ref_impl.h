/*
 * The reference backend's kernels: portable C11, single-threaded, written for
 * clarity and exactness. They are the oracle every other backend is tested
 * against, and the path that runs on microcontrollers.
 *
 * One kernel per op, all with the same signature so the backend dispatches
 * through a table. A kernel receives views of its inputs and outputs with
 * shapes already inferred and attributes already resolved by the core:
 *   - optional inputs that are absent have data == NULL;
 *   - Conv/Pool: kernel[] filled, auto_pad turned into explicit pads[],
 *     strides and dilations >= 1, group >= 1;
 *   - outputs may alias an input exactly (in-place) for elementwise ops and
 *     for the copy-like ops (Identity, Reshape, Flatten, Dropout).
 * Kernels do not allocate. They return RUNT_E_UNSUPPORTED for a dtype they do
 * not handle (f32 is handled everywhere).
 */
#ifndef RUNT_REF_IMPL_H
#define RUNT_REF_IMPL_H

#include "runt.h"

/* Which ops' kernels a build includes. A firmware for one model can define
 * RUNT_REF_OP_MASK (bit i set: runt_op i; `runt compile` prints the mask a
 * model needs) so that only those kernels are linked; unset, all are. */
#ifdef RUNT_REF_OP_MASK
#define RUNT_REF_HAS_OP(op) ((((unsigned long long)(RUNT_REF_OP_MASK)) >> (op)) & 1u)
#else
#define RUNT_REF_HAS_OP(op) 1
#endif

typedef runt_status (*runt_ref_kernel_fn)(const runt_attrs *attrs, const runt_tensor *in,
                                          int n_in, runt_tensor *out, int n_out);

/* Dense linear algebra (ref_gemm.c) */
runt_status runt_ref_gemm(const runt_attrs *, const runt_tensor *, int, runt_tensor *, int);
runt_status runt_ref_matmul(const runt_attrs *, const runt_tensor *, int, runt_tensor *, int);

/* Broadcasting binary ops (ref_binary.c) */
runt_status runt_ref_add(const runt_attrs *, const runt_tensor *, int, runt_tensor *, int);
runt_status runt_ref_sub(const runt_attrs *, const runt_tensor *, int, runt_tensor *, int);
runt_status runt_ref_mul(const runt_attrs *, const runt_tensor *, int, runt_tensor *, int);
runt_status runt_ref_div(const runt_attrs *, const runt_tensor *, int, runt_tensor *, int);

/* Activations (ref_activation.c) */
runt_status runt_ref_relu(const runt_attrs *, const runt_tensor *, int, runt_tensor *, int);
runt_status runt_ref_leaky_relu(const runt_attrs *, const runt_tensor *, int, runt_tensor *, int);
runt_status runt_ref_clip(const runt_attrs *, const runt_tensor *, int, runt_tensor *, int);
runt_status runt_ref_sigmoid(const runt_attrs *, const runt_tensor *, int, runt_tensor *, int);
runt_status runt_ref_tanh(const runt_attrs *, const runt_tensor *, int, runt_tensor *, int);
runt_status runt_ref_erf(const runt_attrs *, const runt_tensor *, int, runt_tensor *, int);
runt_status runt_ref_gelu(const runt_attrs *, const runt_tensor *, int, runt_tensor *, int);
/* One element through an epilogue activation (used by Gemm and Conv). */
float runt_ref_activate(float x, const runt_epilogue *e);
void runt_ref_apply_epilogue(float *y, int64_t n, const runt_epilogue *e);

/* Softmax and normalizations (ref_softmax.c, ref_norm.c) */
runt_status runt_ref_softmax(const runt_attrs *, const runt_tensor *, int, runt_tensor *, int);
runt_status runt_ref_batch_norm(const runt_attrs *, const runt_tensor *, int, runt_tensor *, int);
runt_status runt_ref_layer_norm(const runt_attrs *, const runt_tensor *, int, runt_tensor *, int);

/* Convolution and pooling (ref_conv.c, ref_pool.c) */
runt_status runt_ref_conv(const runt_attrs *, const runt_tensor *, int, runt_tensor *, int);
runt_status runt_ref_max_pool(const runt_attrs *, const runt_tensor *, int, runt_tensor *, int);
runt_status runt_ref_average_pool(const runt_attrs *, const runt_tensor *, int, runt_tensor *, int);
runt_status runt_ref_global_average_pool(const runt_attrs *, const runt_tensor *, int,
                                         runt_tensor *, int);

/* Data movement (ref_pad.c, ref_copy.c) */
runt_status runt_ref_pad(const runt_attrs *, const runt_tensor *, int, runt_tensor *, int);
/* Identity, Reshape, Flatten, Dropout (inference) and Constant: a copy of
 * input 0 into output 0 (nothing when they alias). */
runt_status runt_ref_copy(const runt_attrs *, const runt_tensor *, int, runt_tensor *, int);

/* Quantization (ref_quant.c): QuantizeLinear, DequantizeLinear,
 * DynamicQuantizeLinear, MatMulInteger, ConvInteger, Cast. */
runt_status runt_ref_quantize_linear(const runt_attrs *, const runt_tensor *, int, runt_tensor *,
                                     int);
runt_status runt_ref_dequantize_linear(const runt_attrs *, const runt_tensor *, int,
                                       runt_tensor *, int);
runt_status runt_ref_dynamic_quantize_linear(const runt_attrs *, const runt_tensor *, int,
                                             runt_tensor *, int);
runt_status runt_ref_matmul_integer(const runt_attrs *, const runt_tensor *, int, runt_tensor *,
                                    int);
runt_status runt_ref_conv_integer(const runt_attrs *, const runt_tensor *, int, runt_tensor *,
                                  int);
runt_status runt_ref_cast(const runt_attrs *, const runt_tensor *, int, runt_tensor *, int);

/* Runs plan node i with the reference kernel (ref_backend.c); other backends
 * call it for ops they leave to the reference path. */
#include "runt-backend.h"
/* Runs kernel fn on node i's inputs and outputs as bound for this run; an
 * error is prefixed with the node, its op and `what` ran it. */
runt_status runt_ref_run_kernel(const runt_plan *plan, int i, const runt_bindings *b,
                                runt_ref_kernel_fn fn, const char *what);
runt_status runt_ref_run_node(const runt_plan *plan, int i, const runt_bindings *b);

/* Runs the plan's nodes in order through run(state, ...) (the reference
 * kernels, or a backend's own node function: the mcu's falls back to the
 * reference's, the CPU's runs its own kernels), skipping nodes that write
 * nothing and timing each into b->node_us when asked: the one execute loop
 * of the host backends, which all run node by node. */
typedef runt_status (*runt_ref_node_fn)(const void *state, const runt_plan *plan, int i,
                                        const runt_bindings *b);
runt_status runt_ref_run_nodes(const void *state, const runt_plan *plan, const runt_bindings *b,
                               runt_ref_node_fn run);

#endif /* RUNT_REF_IMPL_H */
