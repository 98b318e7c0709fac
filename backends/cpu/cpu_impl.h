/*
 * The CPU backend's internals: the session state prepare builds, the GEMM
 * driver every matrix product goes through (Gemm, MatMul, Conv's im2col
 * product), and the host facts the probe and the kernel choice read.
 *
 * Three GEMM implementations sit behind one description (runt_cpu_gemm):
 *   - PACKED: runt's own AVX-512 kernel (sgemm_avx512.c) on packed operands,
 *     with weights packed once at prepare. Chosen wherever the CPU has
 *     AVX-512F; see sgemm_avx512.c for the measurement that made it the
 *     default over OpenBLAS on such machines.
 *   - SIMD: at the AVX2 and NEON tiers, blocks of the product that runt's
 *     pool runs in parallel (cpu_pool.h), each added by runt's blocked GEMM
 *     with that ISA's register tile (sgemm_blocked.c).
 *   - BLAS: the same blocks added by one single-threaded call each:
 *     cblas_sgemm / cblas_sgemv from OpenBLAS where the build has it
 *     (cpu_blas.c), else the blocked GEMM's C tile, so the backend builds
 *     and runs wherever a C compiler and threads are.
 * All start from the same init (zero, C, a bias row or a bias column) and
 * end with the same epilogue, computed by the session's map (cpu_act.c).
 */
#ifndef RUNT_CPU_IMPL_H
#define RUNT_CPU_IMPL_H

#include <stddef.h>
#include <stdint.h>

#include "cpu_info.h"
#include "cpu_pool.h"
#include "q8.h"
#include "runt-backend.h"

/* Elementwise passes (epilogues, bias fills, im2col, sliced reference
 * kernels) split across threads from this many elements. Measured on the
 * 2-core dev VM: the reference Relu takes ~0.9 ns per element (32768 in
 * 28 us), handing a loop to a spinning worker ~1 us, so splitting pays from
 * a few thousand elements; 8192 keeps a margin for the cheapest ops. */
#define RUNT_CPU_PARALLEL_MIN_ELEMENTS 8192

/* Matrix products split across threads from this many FLOPs (a 2-thread
 * split of a smaller product costs more in hand-over than it saves). */
#define RUNT_CPU_PARALLEL_MIN_FLOPS 200000.0

/* Threads for a pass over `elements` elements. */
static inline int runt_cpu_pass_threads(double elements, int threads)
{
    return elements < RUNT_CPU_PARALLEL_MIN_ELEMENTS ? 1 : threads;
}

/* What C holds before alpha * A * B is added to it. */
typedef enum runt_cpu_init {
    RUNT_CPU_INIT_ZERO = 0,  /* C = alpha A B                                 */
    RUNT_CPU_INIT_C,         /* C = alpha A B + C (the caller filled C)        */
    RUNT_CPU_INIT_ROW,       /* C[i][j] = alpha (A B)[i][j] + bias[j]          */
    RUNT_CPU_INIT_COL        /* C[i][j] = alpha (A B)[i][j] + bias[i]          */
} runt_cpu_init;

typedef enum runt_cpu_gemm_impl {
    RUNT_CPU_GEMM_BLAS = 0,  /* OpenBLAS, or the blocked GEMM's C tile without it */
    RUNT_CPU_GEMM_PACKED,    /* runt's AVX-512 kernel                            */
    RUNT_CPU_GEMM_SIMD       /* the blocked GEMM with the AVX2 or NEON tile      */
} runt_cpu_gemm_impl;

/* C[M, N] (row stride ldc) = epilogue(alpha * A[M, K] B[K, N] + init), with
 * A[i][p] = a[i * a_rs + p * a_cs] and B[p][j] = b[p * b_rs + j * b_cs].
 * The BLAS path needs a unit stride in each operand (a_cs or a_rs == 1, same
 * for B); every caller in this backend has one. a_packed / b_packed, when
 * set, are the operands already packed for the PACKED path (a / b unused). */
/* y[i] = e's activation of x[i] for n floats (y may be x): the CPU's own
 * vector forms (act_vec.h), or the reference's, per tier (cpu_act.c). */
typedef void (*runt_cpu_map_fn)(const float *x, float *y, int64_t n, const runt_epilogue *e);
extern const runt_cpu_map_fn runt_cpu_map_avx512, runt_cpu_map_avx2, runt_cpu_map_neon;
runt_cpu_map_fn runt_cpu_map_for(int tier);

typedef struct runt_cpu_gemm {
    int64_t m, n, k;
    const float *a;
    int64_t a_rs, a_cs;
    const float *a_packed;
    const float *b;
    int64_t b_rs, b_cs;
    const float *b_packed;
    float alpha;
    float *c;
    int64_t ldc;
    runt_cpu_init init;
    const float *bias;
    runt_epilogue epilogue;
    runt_cpu_map_fn map;     /* computes the epilogue's activation (NULL:
                                the reference's, runt_cpu_sgemm sets it)     */
} runt_cpu_gemm;

/* ---- the packed AVX-512 path (sgemm_avx512.c; x86-64 with GCC/Clang) ---- */

/* 1 if this build has the packed kernel and this CPU can run it. */
int runt_cpu_packed_available(void);
/* Floats of a packed B [K, N] and of a packed A [M, K]. */
size_t runt_cpu_pack_b_floats(int64_t k, int64_t n);
size_t runt_cpu_pack_a_floats(int64_t m, int64_t k);
void runt_cpu_pack_b(const float *b, int64_t rs, int64_t cs, int64_t k, int64_t n, float *dst);
void runt_cpu_pack_a(const float *a, int64_t rs, int64_t cs, int64_t m, int64_t k, float *dst);
/* A convolution's B operand for one image and group, the im2col matrix
 * [c*kh*kw, oh*ow], described by the image it is read from. */
typedef struct runt_cpu_im2col {
    const float *x;          /* the group's channels, [c][h][w]    */
    int64_t c, h, w, kh, kw, oh, ow;
    int64_t stride[2], dilation[2], pad[2]; /* (y, x); pad top, left */
} runt_cpu_im2col;
/* Writes that matrix in packed B's layout (runt_cpu_pack_b_floats(c*kh*kw,
 * oh*ow) floats), straight from the image. */
void runt_cpu_pack_b_im2col(const runt_cpu_im2col *g, int threads, float *dst);
/* 1 when the packed path reads g's B as stored, never its packed copy
 * (batch 1 with few outputs): prepare then packs nothing. */
int runt_cpu_packed_reads_b_as_stored(const runt_cpu_gemm *g);
/* Scratch floats runt_cpu_sgemm_packed needs for g with this many threads. */
size_t runt_cpu_packed_scratch_floats(const runt_cpu_gemm *g, int threads);
void runt_cpu_sgemm_packed(const runt_cpu_gemm *g, int threads, float *scratch);
/* Its path for a few outputs (sgemm_dots_avx512.c): 1 when g's columns run
 * as dot products of A's rows with B as stored, which ..._sgemm_dots does. */
int runt_cpu_dots_fit(const runt_cpu_gemm *g);
void runt_cpu_sgemm_dots(const runt_cpu_gemm *g, int threads);

/* ---- the library GEMM under the BLAS path, one block per call ---- */

/* OpenBLAS (cpu_blas.c, in builds with RUNT_CPU_BLAS): adds alpha * A B to
 * rows [r0, r1) and columns [c0, c1) of C, which holds its start value. */
void runt_cpu_blas_block(const runt_cpu_gemm *g, int64_t r0, int64_t r1, int64_t c0, int64_t c1);
/* Keeps OpenBLAS single-threaded (its count is process-wide: the program
 * may have changed it), before runt's threads call it. */
void runt_cpu_blas_single_threaded(void);
/* The same block with runt's blocked GEMM (sgemm_blocked.c, every build)
 * and register tile t (sgemm_blocked.h), on runt_cpu_blocked_scratch_floats()
 * floats of scratch. */
struct runt_cpu_sgemm_tile;
void runt_cpu_sgemm_blocked(const runt_cpu_gemm *g, const struct runt_cpu_sgemm_tile *t,
                            int64_t r0, int64_t r1, int64_t c0, int64_t c1, float *scratch);
size_t runt_cpu_blocked_scratch_floats(void);
/* Which of the two this build's BLAS path uses. */
const char *runt_cpu_library_gemm_name(void);
/* The f32 GEMM a session at this tier uses (cpu_gemm.c), and its name. */
runt_cpu_gemm_impl runt_cpu_gemm_impl_at(int tier);
const char *runt_cpu_gemm_impl_name(runt_cpu_gemm_impl impl);

/* ---- the driver (cpu_gemm.c) ---- */

/* Scratch floats runt_cpu_sgemm needs (0 for OpenBLAS). */
size_t runt_cpu_sgemm_scratch_floats(const runt_cpu_gemm *g, runt_cpu_gemm_impl impl, int threads);
/* Runs g. scratch: runt_cpu_sgemm_scratch_floats floats (64-byte aligned
 * is best; any float alignment works). */
void runt_cpu_sgemm(const runt_cpu_gemm *g, runt_cpu_gemm_impl impl, int threads, float *scratch);
/* The epilogue on rows of a C through map, threaded. */
void runt_cpu_epilogue_rows(float *c, int64_t m, int64_t n, int64_t ldc, const runt_epilogue *e,
                            runt_cpu_map_fn map,
                            int threads);

/* ---- kernel tiers (cpu_tier.c) ---- */

/* Instruction-set levels of runt's own kernels, lowest first. */
enum {
    RUNT_CPU_TIER_C = 0,     /* portable C                                    */
    RUNT_CPU_TIER_SIMD,      /* "avx2" (x86-64: AVX2 + FMA), "neon" (Arm)     */
    RUNT_CPU_TIER_WIDE       /* "avx512" (AVX-512 F, VNNI), "neon-dot" (Arm)  */
};
/* The best tier this CPU runs in this build. */
int runt_cpu_tier_max(void);
/* The session's tier: requested (runt_cpu_options.tier), else the
 * environment's RUNT_CPU_TIER, else none, each capped at runt_cpu_tier_max.
 * RUNT_E_INVALID_ARG for a name that is no tier of this architecture. */
runt_status runt_cpu_tier_resolve(const char *requested, int *tier);
/* "c", "avx2", "avx512", "neon", "neon-dot". */
const char *runt_cpu_tier_name(int tier);

/* ---- per node state and kernels (cpu_backend.c, cpu_nodes.c, cpu_conv.c) ---- */

typedef enum runt_cpu_kind {
    RUNT_CPU_K_REF = 0,      /* the reference kernel, whole node           */
    RUNT_CPU_K_SLICED,       /* the reference kernel on slices, in parallel */
    RUNT_CPU_K_GEMM,
    RUNT_CPU_K_MATMUL,
    RUNT_CPU_K_CONV,         /* im2col (or none for 1x1) + GEMM per group   */
    RUNT_CPU_K_CONV_DIRECT,  /* stride 1: tiles on the padded input (cpu_conv_direct.c) */
    RUNT_CPU_K_Q8_LINEAR,    /* int8: Gemm / MatMul on q8.h's kernels       */
    RUNT_CPU_K_Q8_CONV,      /* int8: u8 im2col + q8.h's kernels            */
    RUNT_CPU_K_Q8_CONV_DIRECT, /* int8: direct tiles (cpu_conv_direct.c)    */
    RUNT_CPU_K_MAP           /* an activation op through the map (cpu_act.c) */
} runt_cpu_kind;

/* How a node splits into independent slices for the reference kernel. */
typedef enum runt_cpu_slicing {
    RUNT_CPU_SLICE_FLAT = 0, /* elementwise: contiguous ranges of elements   */
    RUNT_CPU_SLICE_ROWS,     /* broadcasting binary op: ranges along axis 0  */
    RUNT_CPU_SLICE_OUTER,    /* Softmax, LayerNorm: the dims before the axis */
    RUNT_CPU_SLICE_PLANES,   /* pooling: N*C planes                          */
    RUNT_CPU_SLICE_CHANNELS, /* BatchNorm: channel ranges within an image    */
    RUNT_CPU_SLICE_GROUPS    /* grouped Conv: group ranges within an image   */
} runt_cpu_slicing;

typedef struct runt_cpu_node {
    runt_cpu_kind kind;
    runt_cpu_gemm_impl impl;
    runt_cpu_slicing slicing; /* RUNT_CPU_K_SLICED                        */
    int64_t units;           /* slices of the finest grain                   */
    float *packed;           /* packed constant weight (shared), or NULL     */
    float *bias;             /* beta * C as a row (owned), or NULL           */
    size_t scratch_floats;
    int q8_groups;           /* int8: one quantized weight per conv group    */
    runt_q8_weights *q8;     /* (shared, with their data after them)         */
    int8_t *packed_q8;       /* int8 direct conv's weights (shared), or NULL */
} runt_cpu_node;

typedef struct runt_cpu_state {
    runt_allocator allocator; /* first: common/backend_state.h sets it */
    int threads;
    int tier;                /* RUNT_CPU_TIER_*: the highest kernels used     */
    const struct runt_q8_kernel *q8_kernel; /* int8 dot products, at tier     */
    runt_cpu_map_fn map;     /* activations, at tier                          */
    int64_t int8_min_weights; /* runt_cpu_options' (0: RUNT_INT8_MIN_WEIGHTS_DEFAULT) */
    int n_nodes;
    runt_cpu_node *nodes;
    size_t scratch_floats;   /* the largest node's scratch: the core puts it
                                in the session arena (runt_bindings.scratch) */
    size_t weight_bytes;     /* packed and quantized weights held            */
} runt_cpu_state;

/* Chooses node i's kernel and packs its weights (cpu_nodes.c). */
runt_status runt_cpu_node_prepare(runt_cpu_state *st, const runt_plan *p, int i,
                                  runt_cpu_gemm_impl impl);
runt_status runt_cpu_node_run(const runt_cpu_state *st, const runt_plan *p, int i,
                              const runt_bindings *b);

/* A 2-D conv node's sizes (cpu_conv_shape.c), for the paths that run it. */
typedef struct runt_cpu_conv_shape {
    int64_t n, c, h, w, m, oh, ow, kh, kw, cg, mg, group;
    int64_t kc, p;           /* GEMM depth and width per group          */
    int pointwise;           /* 1x1, stride 1, no padding: B is X itself */
} runt_cpu_conv_shape;
runt_cpu_conv_shape runt_cpu_conv_shape_of(const runt_plan *p, int i);

/* Conv (cpu_conv.c): 1 if node i's shapes are a valid 2-D conv and (for
 * f32, any_width 0) its groups are wide enough for the paths below.
 * runt_cpu_conv_prepare picks the path (direct or im2col + GEMM). */
int runt_cpu_conv_as_gemm(const runt_plan *p, int i, int any_width);
runt_status runt_cpu_conv_prepare(runt_cpu_state *st, const runt_plan *p, int i);
runt_status runt_cpu_conv_run(const runt_cpu_state *st, const runt_plan *p, int i,
                              const runt_bindings *b);

/* Direct convolution (cpu_conv_direct.c): 1 when node i runs it at this
 * state's tier (see there for the rule and its measurement). */
int runt_cpu_conv_direct_wanted(const runt_cpu_state *st, const runt_plan *p, int i);
runt_status runt_cpu_conv_direct_prepare(runt_cpu_state *st, const runt_plan *p, int i);
runt_status runt_cpu_conv_direct_run(const runt_cpu_state *st, const runt_plan *p, int i,
                                     const runt_bindings *b);
/* Its int8 form (after cpu_int8.c packed the weights into node i's q8, in
 * taps-outer order): wanted, prepare, and run with the input's
 * quantization parameters. */
int runt_cpu_conv_direct_q8_wanted(const runt_cpu_state *st, const runt_plan *p, int i);
runt_status runt_cpu_conv_direct_q8_prepare(runt_cpu_state *st, const runt_plan *p, int i);
runt_status runt_cpu_conv_direct_q8_run(const runt_cpu_state *st, const runt_plan *p, int i,
                                        const runt_bindings *b, float scale, uint8_t zp);

/* int8 (cpu_int8.c): *taken = 1 when node i runs quantized. A quantized
 * layer (runt_plan_node_quantized) always does: runt_cpu_qlayer_prepare. */
runt_status runt_cpu_qlayer_prepare(runt_cpu_state *st, const runt_plan *p, int i);
runt_status runt_cpu_int8_prepare(runt_cpu_state *st, const runt_plan *p, int i, int *taken);
runt_status runt_cpu_int8_run(const runt_cpu_state *st, const runt_plan *p, int i,
                              const runt_bindings *b);

/* Activation ops through the session's map (cpu_act.c): 1 when node i
 * is one the map computes (f32, as many outputs as inputs). */
int runt_cpu_map_fits(const runt_plan *p, int i);
runt_status runt_cpu_map_run(const runt_cpu_state *st, const runt_plan *p, int i,
                             const runt_bindings *b);

/* MaxPool and AveragePool with the reference kernels' signature and
 * results, faster (cpu_pooling.c); what they do not take they hand to the
 * reference. */
runt_status runt_cpu_max_pool(const runt_attrs *attrs, const runt_tensor *in, int n_in,
                              runt_tensor *out, int n_out);
runt_status runt_cpu_average_pool(const runt_attrs *attrs, const runt_tensor *in, int n_in,
                                  runt_tensor *out, int n_out);

/* Reference kernels on slices in parallel (cpu_sliced.c). Returns 1 and
 * fills how and units when node i splits and is large enough to pay. */
int runt_cpu_sliceable(const runt_plan *p, int i, int threads, runt_cpu_slicing *how,
                       int64_t *units);
runt_status runt_cpu_sliced_run(const runt_cpu_state *st, const runt_plan *p, int i,
                                const runt_bindings *b);

/* The run's scratch: scratch_floats floats in the session arena, 64-byte
 * aligned, or NULL when no node needs any. */
static inline float *runt_cpu_scratch(const runt_bindings *b) { return (float *)b->scratch; }

/* Allocation through the session's allocator, 64-byte aligned (cpu_alloc.c). */
void *runt_cpu_alloc(runt_cpu_state *st, size_t bytes);
/* The same, for weights the state keeps until release: counted in
 * weight_bytes (runt_session_stats.backend_weight_bytes). */
void *runt_cpu_alloc_weights(runt_cpu_state *st, size_t bytes);

/* The conversions of a constant weight whose results sessions share. */
typedef enum runt_cpu_layout {
    RUNT_CPU_W_GEMM_B = 1,   /* a GEMM's B in the packed kernel's panels      */
    RUNT_CPU_W_CONV_A,       /* a conv's weights as the packed kernel's A     */
    RUNT_CPU_W_CONV_DIRECT,  /* f32 direct conv blocks (cpu_conv_direct.c)    */
    RUNT_CPU_W_Q8,           /* int8 weights per group (cpu_int8.c)           */
    RUNT_CPU_W_Q8_DIRECT     /* int8 direct conv blocks                       */
} runt_cpu_layout;

/* Weights of `bytes` made from `source` by fill(ctx, ...), shared with every
 * session of the model that makes the same conversion (layout and params
 * decide the bytes): runt_plan_weights_acquire. Read-only once made; counted
 * in weight_bytes; cpu_release gives them back. */
runt_status runt_cpu_weights_share(runt_cpu_state *st, const runt_plan *p, const void *source,
                                   runt_cpu_layout layout, const int64_t params[6], size_t bytes,
                                   runt_weight_fill_fn fill, void *ctx, void **out);
void runt_cpu_free(runt_cpu_state *st, void *p);

#endif /* RUNT_CPU_IMPL_H */
