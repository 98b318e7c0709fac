/*
 * runt-backend.h — the interface between runt's core and a backend.
 *
 * The core turns a model into a plan (shapes resolved for one batch size,
 * fusion applied, every intermediate placed in one arena) and hands the whole
 * plan to the backend: once to prepare, then once per run to execute. The
 * backend never sees the builder or the ONNX file; it reads the plan.
 *
 * Members marked (optional) may be NULL; runtime/backend.c, the one file that
 * calls through this table, checks arguments and supplies the fallback.
 */
#ifndef RUNT_BACKEND_H
#define RUNT_BACKEND_H

#include "runt.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Lets the compiler check a printf-like function's format (argument f)
 * against its values (from argument a). */
#if defined(__GNUC__)
#define RUNT_PRINTF_FORMAT(f, a) __attribute__((format(printf, f, a)))
#else
#define RUNT_PRINTF_FORMAT(f, a)
#endif

#define RUNT_MAX_NODE_INPUTS 8
#define RUNT_MAX_NODE_OUTPUTS 4
/* Arena offsets are multiples of this (covers AVX-512 and cache lines). */
#define RUNT_ARENA_ALIGN 64

/* Where a value's bytes live during a run. */
typedef enum runt_storage {
    RUNT_STORE_NONE = 0,   /* unused (an optional output nobody reads)            */
    RUNT_STORE_CONSTANT,   /* model weights: plan value .data (host memory)        */
    RUNT_STORE_ARENA,      /* .offset bytes into the session arena                 */
    RUNT_STORE_INPUT,      /* the caller's input buffer .io_index (host backends)  */
    RUNT_STORE_OUTPUT      /* the caller's output buffer .io_index (host backends) */
} runt_storage;

typedef struct runt_plan_value {
    const char *name;
    runt_tensor desc;        /* dtype, resolved shape; data NULL                      */
    size_t nbytes;
    runt_storage storage;
    size_t offset;           /* RUNT_STORE_ARENA                                      */
    const void *data;        /* RUNT_STORE_CONSTANT                                   */
    int input_index;         /* graph input number, or -1 (also set for arena copies) */
    int output_index;        /* graph output number, or -1                            */
    int producer;            /* plan node index, -1 for inputs and constants          */
    int first_use, last_use; /* plan node indices where it is born and last read      */
} runt_plan_value;

typedef struct runt_plan_node {
    const char *name;
    runt_op op;
    runt_attrs attrs;        /* after fusion: epilogues filled in */
    int n_inputs;
    int inputs[RUNT_MAX_NODE_INPUTS];    /* plan value ids; -1: absent optional input */
    int n_outputs;
    int outputs[RUNT_MAX_NODE_OUTPUTS];  /* -1: output not needed                     */
    runt_cost cost;
    int model_node;          /* index of the node in the model it came from           */
} runt_plan_node;

/* Quantized layers. A backend whose probe sets info->quantized_weights is
 * handed, when options.fuse is set, a quantized model's layers as single
 * nodes (runtime/quant_patterns.c): onnxruntime's quantize_dynamic chains
 *   DynamicQuantizeLinear(x) -> MatMulInteger or ConvInteger (int8 weights,
 *   zero point 0) -> Cast(float) -> Mul(x_scale * w_scale) [-> Add(bias)]
 * and QDQ chains (QuantizeLinear -> DequantizeLinear on x, DequantizeLinear
 * of constant int8 weights with zero point 0, feeding MatMul, Gemm or Conv)
 * become one Gemm (x 2-D; alpha 1, beta 1, trans_a 0), MatMul (x of another
 * rank; W 2-D) or Conv node whose weight is int8, with the inputs
 *   0                     x, f32
 *   1                     W, a constant RUNT_I8 tensor laid out as the f32
 *                         op's weight (Gemm's B as attrs trans_b says; MatMul
 *                         [K, N]; Conv [M, C/group, kH, kW])
 *   2                     bias, f32 [N] (Conv: [M]), or -1
 *   RUNT_QW_W_SCALE       w_scale, a constant f32 of 1 or N (Conv: M) elements
 *   RUNT_QW_X_SCALE       x_scale, a constant f32 scalar; or -1: x is quantized
 *                         per run as DynamicQuantizeLinear does (u8)
 *   RUNT_QW_X_ZERO_POINT  x_zero_point, a constant U8 or I8 scalar (with x_scale)
 * and computing, with xq = DynamicQuantizeLinear(x), or QuantizeLinear(x,
 * x_scale, x_zero_point),
 *   acc[n] = sum over k of (xq[k] - x_zero_point) * W[k][n]     (int32, exact)
 *   y[n]   = (float)acc[n] * (x_scale * w_scale[n]) + bias[n], then the epilogue
 * with each float operation rounded as written: what the replaced graph
 * computes, bit for bit for quantize_dynamic's (QDQ's float MatMul or Conv
 * rounds its sum where acc is exact). The depth K (Conv: C/group * kH * kW)
 * is at most RUNT_QW_MAX_K, so every acc fits int32. */
#define RUNT_QW_W_SCALE 3
#define RUNT_QW_X_SCALE 4
#define RUNT_QW_X_ZERO_POINT 5
#define RUNT_QW_INPUTS 6
#define RUNT_QW_MAX_K 65793    /* 65793 * 255 * 128 < 2^31 */

typedef struct runt_weight_cache runt_weight_cache;

typedef struct runt_plan {
    int64_t batch;
    runt_dtype compute_dtype;
    runt_math_mode math;
    int threads;
    int n_values;
    runt_plan_value *values;
    int n_nodes;
    runt_plan_node *nodes;
    int n_inputs;
    const int *inputs;       /* value ids of the graph inputs, in order  */
    int n_outputs;
    const int *outputs;      /* value ids of the graph outputs, in order */
    size_t arena_size;
    size_t arena_naive_size; /* every arena value in its own slot: for reports */
    runt_log_fn log;
    void *log_user;
    runt_weight_cache *weights; /* the model's converted weights, shared by its
                                   sessions: runt_plan_weights_acquire */
} runt_plan;

/* What decides the bytes of a converted weight: the constant it is made
 * from, the backend, and the backend's own name for the conversion and its
 * parameters (shape, tile, kernel tier; unused ones 0). Two conversions with
 * equal keys must produce equal bytes. */
typedef struct runt_weight_key {
    const void *source;      /* the constant's data (plan value .data)        */
    const char *backend;     /* the backend's name                            */
    uint32_t layout;         /* the backend's tag for the conversion          */
    int64_t params[6];
} runt_weight_key;

/* Writes the converted weights into dst (bytes long, 64-byte aligned). */
typedef runt_status (*runt_weight_fill_fn)(void *ctx, void *dst, size_t bytes);

/* Converted weights for key, shared by every session of the plan's model:
 * the first session that asks makes them (bytes long, from the model's
 * allocator, filled by fill), later ones get the same bytes, read-only.
 * *out stays valid until runt_plan_weights_release(plan, *out), which each
 * successful acquire needs once (at release). Thread-safe: sessions of one
 * model may be created on several threads at once. RUNT_E_OOM, or fill's
 * status (nothing held). */
runt_status runt_plan_weights_acquire(const runt_plan *plan, const runt_weight_key *key,
                                      size_t bytes, runt_weight_fill_fn fill, void *ctx,
                                      const void **out);
void runt_plan_weights_release(const runt_plan *plan, const void *weights);

/* Memory of the backend's own (a device's) for converted weights: make
 * allocates bytes there (a non-NULL pointer, even for 0 bytes) and fills
 * them, setting the error on failure with nothing left allocated; drop
 * frees what make made. The bytes must be complete when make returns:
 * another session may read them at once. drop may run after the session
 * that made them is gone (at the last release, or when the model is
 * freed), so it needs nothing but the pointer. */
typedef struct runt_weight_storage {
    runt_status (*make)(void *ctx, size_t bytes, void **data);
    void (*drop)(void *data);
} runt_weight_storage;

/* runt_plan_weights_acquire for weights kept in storage instead of the
 * model's host memory: the same key, sharing, thread safety and release.
 * storage must outlive the model (a static struct). */
runt_status runt_plan_weights_acquire_in(const runt_plan *plan, const runt_weight_key *key,
                                         size_t bytes, const runt_weight_storage *storage,
                                         void *ctx, const void **out);

/* What one run binds. Host backends (probe's host_memory = 1) get the
 * session arena and the caller's buffers, which the plan's
 * RUNT_STORE_INPUT / RUNT_STORE_OUTPUT values point into. Device backends
 * get arena = NULL (they allocated their own at prepare, and the plan gave
 * every input and output a slot in it): execute copies each input into its
 * slot and each output out of it, from and to the caller's buffers, which
 * live where io_memory says. */
typedef struct runt_bindings {
    void *arena;
    const void *const *inputs;
    void *const *outputs;
    runt_memory io_memory;   /* RUNT_MEMORY_DEVICE only for device backends         */
    double *node_us;         /* non-NULL when profiling: one entry per plan node */
    void *scratch;           /* host backends: scratch_size bytes inside the session
                                arena, RUNT_ARENA_ALIGN-aligned, contents undefined
                                at entry; NULL when scratch_size is 0 or absent */
} runt_bindings;

/* 1 if plan node i is a quantized layer (Gemm, MatMul or Conv with int8
 * weights; see RUNT_QW_W_SCALE). */
static inline int runt_plan_node_quantized(const runt_plan *plan, int i)
{
    const runt_plan_node *n = &plan->nodes[i];
    return (n->op == RUNT_OP_GEMM || n->op == RUNT_OP_MATMUL || n->op == RUNT_OP_CONV) &&
           n->n_inputs == RUNT_QW_INPUTS && n->inputs[1] >= 0 &&
           plan->values[n->inputs[1]].desc.dtype == RUNT_I8;
}

/* The epilogue equivalent to an activation op with these attributes (what
 * fusion folds into a Gemm or Conv); 0 if the op is not an activation that
 * folds. */
int runt_op_as_epilogue(runt_op op, const runt_attrs *attrs, runt_epilogue *out);

/* Node i's input j and output j, or NULL where the node has no such
 * operand (an optional input left out, an index past its count). */
static inline const runt_plan_value *runt_plan_node_input(const runt_plan *plan, int i, int j)
{
    const runt_plan_node *n = &plan->nodes[i];
    return j < n->n_inputs && n->inputs[j] >= 0 ? &plan->values[n->inputs[j]] : NULL;
}

static inline const runt_plan_value *runt_plan_node_output(const runt_plan *plan, int i, int j)
{
    const runt_plan_node *n = &plan->nodes[i];
    return j < n->n_outputs && n->outputs[j] >= 0 ? &plan->values[n->outputs[j]] : NULL;
}

/* Whether node i writes no element at all (every output is empty, say a
 * zero-length batch): such a node has nothing to compute, and a backend may
 * skip it rather than hand its kernels empty, possibly NULL, buffers. */
static inline int runt_plan_node_writes_nothing(const runt_plan *plan, int i)
{
    const runt_plan_node *n = &plan->nodes[i];
    for (int o = 0; o < n->n_outputs; o++)
        if (n->outputs[o] >= 0 && plan->values[n->outputs[o]].nbytes > 0)
            return 0;
    return 1;
}

/* Host address of a value for host-memory backends. A plan whose
 * intermediates are all empty needs no arena, so arena may be NULL; such a
 * value then has no address either (offsetting NULL is undefined). */
static inline void *runt_plan_value_ptr(const runt_plan *plan, const runt_bindings *b, int v)
{
    const runt_plan_value *pv = &plan->values[v];
    switch (pv->storage) {
    case RUNT_STORE_CONSTANT: return (void *)pv->data;
    case RUNT_STORE_ARENA: return b->arena ? (char *)b->arena + pv->offset : NULL;
    case RUNT_STORE_INPUT: return (void *)b->inputs[pv->input_index];
    case RUNT_STORE_OUTPUT: return b->outputs[pv->output_index];
    default: return NULL;
    }
}

/* A backend. The core calls it through runtime/backend.c only, in this
 * order: probe (any time), supports_node per node, prepare once per session
 * (then scratch_size and weight_bytes), per run execute and synchronize,
 * and release once. One session's state is used by one thread at a time;
 * several sessions may run at once, and prepare may run for two sessions of
 * one model on two threads at once (runt_plan_weights_acquire is safe so). */
typedef struct runt_backend_i {
    const char *name;        /* "ref", "cpu", "cuda": what options.backend names */

    /* (optional) Fills info; says whether the device can be used and, if not,
     * why. info->host_memory = 0 makes this a device backend (see
     * runt_bindings). NULL: an always available host backend. */
    runt_status (*probe)(void *context, runt_device_info *info);

    /* (optional) NULL: the node runs. Otherwise RUNT_OK, or RUNT_E_UNSUPPORTED
     * with a message naming what is missing (refused at session creation). */
    runt_status (*supports_node)(void *context, const runt_plan *plan, int node);

    /* Everything that can be done once, so that a run only computes: convert
     * or upload weights, choose kernels, size scratch. A host backend
     * allocates no scratch of its own: it reports the bytes with
     * scratch_size, and the core places them in the session arena (the
     * caller's, when one was given) and binds them at every run, so that one
     * arena bounds every per-run buffer. prepare gets no arena: the core
     * sizes it after prepare. A device backend allocates here its arena of
     * plan->arena_size bytes, its scratch and whatever staging its copies
     * need, and may run the plan once and capture it (for a graph replay).
     * Weights converted from the model's constants are best acquired through
     * runt_plan_weights_acquire, so that the model's sessions share them.
     * *state is the backend's: every later member receives it. On failure:
     * the error set, nothing left allocated, release not called. */
    runt_status (*prepare)(void *context, const runt_plan *plan,
                           const runt_session_options *options, void **state);

    /* One run of every node of the plan. Must not allocate. A host backend
     * reads and writes the buffers in b (its scratch included); a device
     * backend also moves the inputs in and the outputs out (runt_bindings)
     * and may return with the work queued when it has synchronize. */
    runt_status (*execute)(void *state, const runt_plan *plan, const runt_bindings *b);

    /* (optional) Waits until the run that execute queued has finished and its
     * outputs are in the caller's buffers. Called once per run, right after
     * execute. NULL: execute is synchronous. */
    runt_status (*synchronize)(void *state, const runt_plan *plan);

    /* (optional) Device time of the last run's computation in µs (copies of
     * inputs and outputs not included), from device timing events. NULL: the
     * session times execute + synchronize on the host clock. */
    runt_status (*last_run_us)(void *state, double *us);

    /* (optional) Kernels or dispatches one run issues. NULL: one per node. */
    int (*launch_count)(void *state, const runt_plan *plan);

    /* (optional) Frees what a successful prepare made. NULL: nothing to free. */
    void (*release)(void *state, const runt_plan *plan);

    /* (optional) The tag of this backend's options struct (whose first member
     * is a runt_backend_options of this type); 0: it takes none. The core
     * checks the chain in options.backend_options against it before prepare;
     * prepare finds its own with runt_backend_options_find. */
    uint32_t options_type;

    /* (optional, host backends) Bytes of scratch every run needs, known once
     * prepare has chosen the kernels; runs get them as bindings->scratch.
     * NULL: none. Device backends keep their scratch in device memory. */
    size_t (*scratch_size)(void *state, const runt_plan *plan);

    /* (optional) Bytes of weights the backend holds in forms of its own
     * (packed, quantized, uploaded), beyond the model's constants: reported
     * as runt_session_stats.backend_weight_bytes. NULL: none. */
    size_t (*weight_bytes)(void *state, const runt_plan *plan);
} runt_backend_i;

/* The entry of the given type in o's chain of backend options, or NULL (o
 * NULL, or no such entry: the backend's defaults apply). The core has
 * checked the chain, so the entry is the struct its type names. */
static inline const runt_backend_options *runt_backend_options_find(const runt_session_options *o,
                                                                    uint32_t type)
{
    const runt_backend_options *e = o ? o->backend_options : NULL;
    for (int n = 0; e && n < RUNT_BACKEND_OPTIONS_MAX; e = e->next, n++)
        if (e->type == type)
            return e;
    return NULL;
}

/* Adds a backend to the registry (after the built-in ones; at most 16, else
 * RUNT_E_OOM). The table and the context must outlive every session that
 * uses them. Not thread-safe: register backends before creating sessions. */
runt_status runt_backend_register(const runt_backend_i *iface, void *context);

/* Sets the calling thread's error message (what runt_last_error returns) and
 * returns s: backends report failures with `return runt_error_set(...)`. */
runt_status runt_error_set(runt_status s, const char *fmt, ...) RUNT_PRINTF_FORMAT(2, 3);

/* Puts "prefix: " in front of the calling thread's message (context added
 * on the way up) and returns s; with no message the prefix becomes it. */
runt_status runt_error_prefix(runt_status s, const char *fmt, ...) RUNT_PRINTF_FORMAT(2, 3);

/* Forgets the calling thread's message (after a failure handled inside). */
void runt_error_clear(void);

/* Allocation through an allocator (a session's options.allocator; NULL: the
 * C library), 64-byte aligned, count * size checked for overflow: NULL on
 * failure, overflow or size 0. runt_alloc_zeroed's bytes are zero. */
void *runt_alloc(const runt_allocator *a, size_t size);
void *runt_alloc_zeroed(const runt_allocator *a, size_t count, size_t size);
void runt_free(const runt_allocator *a, void *p);

/* Sends a message to the session's log callback, if one was given. */
void runt_plan_log(const runt_plan *plan, runt_log_level level, const char *fmt, ...)
    RUNT_PRINTF_FORMAT(3, 4);

/* A monotonic clock in microseconds for timing nodes (0 where none exists). */
double runt_clock_us(void);

/* The built-in backends, for tests and tools that want them directly. */
extern const runt_backend_i runt_backend_ref;

#ifdef __cplusplus
}
#endif
#endif /* RUNT_BACKEND_H */
