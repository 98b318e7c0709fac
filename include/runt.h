/*
 * runt — a small C11 runtime for neural-network inference.
 *
 * The public API for programs that embed runt. Every function that can fail
 * returns a runt_status; on failure a one-line message saying what went wrong
 * and where (node name, byte offset, argument) is kept for the calling thread
 * and returned by runt_last_error(). The library never prints, aborts or exits.
 *
 * Objects:
 *   runt_builder  builds a model in memory (layer by layer, or node by node)
 *   runt_model    an immutable graph: values, nodes, weights. May be shared by
 *                 sessions on several threads.
 *   runt_session  a model prepared for one backend and one batch size: shapes
 *                 resolved, memory planned, weights converted. One thread at a time:
 *                 a run entered while another is in progress returns RUNT_E_BUSY.
 *   runt_tensor   a plain view (dtype, shape, data pointer) the caller owns.
 */
#ifndef RUNT_H
#define RUNT_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define RUNT_VERSION_MAJOR 0
#define RUNT_VERSION_MINOR 1
#define RUNT_VERSION_PATCH 0

/* "x.y.z" */
const char *runt_version(void);

/* ------------------------------------------------------------------------- */
/* Status and errors                                                         */
/* ------------------------------------------------------------------------- */

typedef enum runt_status {
    RUNT_OK = 0,
    RUNT_E_INVALID_ARG,  /* a caller passed NULL, a wrong size, a bad option   */
    RUNT_E_BAD_MODEL,    /* the model is malformed: cycle, missing value, ...   */
    RUNT_E_SHAPE,        /* shapes do not agree (names the node and the dims)   */
    RUNT_E_UNSUPPORTED,  /* valid, but not implemented (op, dtype, attribute)   */
    RUNT_E_OOM,          /* an allocation failed or a caller arena is too small */
    RUNT_E_BACKEND,      /* the backend failed or is unavailable                */
    RUNT_E_IO,           /* reading or writing a file failed                    */
    RUNT_E_BUSY,         /* the session is running on another thread: a session
                            is used by one thread at a time; the call did nothing */
    RUNT_E_LIMIT         /* an input exceeds a ceiling of runt_limits (model file
                            size, nodes, tensor elements, weights, arena, nesting) */
} runt_status;

/* "RUNT_E_SHAPE" etc.; never NULL. */
const char *runt_status_name(runt_status status);

/* The message left by the most recent failing call on this thread ("" if none). */
const char *runt_last_error(void);

typedef enum runt_log_level {
    RUNT_LOG_DEBUG, RUNT_LOG_INFO, RUNT_LOG_WARN, RUNT_LOG_ERROR
} runt_log_level;

/* Receives the library's diagnostics (a CUDA graph capture that fell back, ...). */
typedef void (*runt_log_fn)(void *user, runt_log_level level, const char *message);

/* Memory hooks. Every allocation runt makes for an object goes through the
 * allocator given when the object was created (NULL means malloc/free).
 * Libraries under runt allocate on their own: libc's stdio when the CPU
 * backend reads /proc/cpuinfo (probe, session creation), the C library when
 * the CPU backend starts its worker threads, and OpenBLAS (see
 * runt_session_run). */
typedef struct runt_allocator {
    void *(*alloc)(void *user, size_t size, size_t alignment);
    void (*free)(void *user, void *ptr);
    void *user;
} runt_allocator;

/* ------------------------------------------------------------------------- */
/* Tensors                                                                   */
/* ------------------------------------------------------------------------- */

#define RUNT_MAX_DIMS 6
/* A declared dimension that is bound when a session picks its batch size. */
#define RUNT_DIM_BATCH (-1)

typedef enum runt_dtype {
    RUNT_F32 = 0,
    RUNT_I8,    /* quantized: real = scale * (q - zero_point)              */
    RUNT_U8,    /* quantized, as I8                                        */
    RUNT_I32,   /* quantized biases, integer accumulators                  */
    RUNT_I64,   /* shapes and indices in constant inputs                   */
    RUNT_DTYPE_COUNT
} runt_dtype;

const char *runt_dtype_name(runt_dtype dtype);  /* "f32", "int8", ... */
size_t runt_dtype_size(runt_dtype dtype);       /* bytes per element; 0 if unknown */

/* A view of caller-owned memory, dense and in C order. */
typedef struct runt_tensor {
    runt_dtype dtype;
    int ndim;                       /* 0 (scalar) .. RUNT_MAX_DIMS */
    int64_t dims[RUNT_MAX_DIMS];
    void *data;
    float scale;                    /* I8/U8 only */
    int32_t zero_point;             /* I8/U8 only */
} runt_tensor;

/* Product of dims (1 for a scalar). */
int64_t runt_tensor_count(const runt_tensor *t);

/* ------------------------------------------------------------------------- */
/* Operators and their attributes                                            */
/* ------------------------------------------------------------------------- */

/* The operators of runt's graph, named and defined as in ONNX. Constant
 * inputs that select behaviour (Reshape's shape, Pad's pads, Clip's bounds)
 * live in the attributes: the ONNX reader folds them there at load. */
typedef enum runt_op {
    RUNT_OP_GEMM = 0,
    RUNT_OP_MATMUL,
    RUNT_OP_ADD,
    RUNT_OP_SUB,
    RUNT_OP_MUL,
    RUNT_OP_DIV,
    RUNT_OP_RELU,
    RUNT_OP_LEAKY_RELU,
    RUNT_OP_CLIP,
    RUNT_OP_SIGMOID,
    RUNT_OP_TANH,
    RUNT_OP_ERF,
    RUNT_OP_GELU,
    RUNT_OP_SOFTMAX,
    RUNT_OP_CONV,
    RUNT_OP_MAX_POOL,
    RUNT_OP_AVERAGE_POOL,
    RUNT_OP_GLOBAL_AVERAGE_POOL,
    RUNT_OP_PAD,
    RUNT_OP_FLATTEN,
    RUNT_OP_RESHAPE,
    RUNT_OP_IDENTITY,
    RUNT_OP_DROPOUT,
    RUNT_OP_BATCH_NORM,
    RUNT_OP_LAYER_NORM,
    RUNT_OP_CONSTANT,
    /* Quantization (ONNX's integer ops; the scales and zero points are inputs). */
    RUNT_OP_QUANTIZE_LINEAR,
    RUNT_OP_DEQUANTIZE_LINEAR,
    RUNT_OP_DYNAMIC_QUANTIZE_LINEAR,
    RUNT_OP_MATMUL_INTEGER,
    RUNT_OP_CONV_INTEGER,   /* attributes: runt_conv_attrs (no epilogue) */
    RUNT_OP_CAST,
    RUNT_OP_COUNT
} runt_op;

/* ONNX op_type ("Gemm", "BatchNormalization", ...); NULL if out of range. */
const char *runt_op_name(runt_op op);

/* An activation applied to an op's output in the same pass (fusion). */
typedef enum runt_activation {
    RUNT_ACT_NONE = 0,
    RUNT_ACT_RELU,
    RUNT_ACT_LEAKY_RELU,   /* alpha = slope           */
    RUNT_ACT_CLIP,         /* alpha = min, beta = max */
    RUNT_ACT_SIGMOID,
    RUNT_ACT_TANH,
    RUNT_ACT_GELU,         /* erf form                */
    RUNT_ACT_GELU_TANH     /* tanh approximation      */
} runt_activation;

typedef struct runt_epilogue {
    runt_activation act;
    float alpha, beta;
} runt_epilogue;

/* Y = alpha * op(A) * op(B) + beta * C, then the epilogue. C (optional input 2)
 * broadcasts to [M, N]. */
typedef struct runt_gemm_attrs {
    float alpha, beta;
    int trans_a, trans_b;
    runt_epilogue epilogue;
} runt_gemm_attrs;

typedef struct runt_leaky_relu_attrs { float alpha; } runt_leaky_relu_attrs;
typedef struct runt_clip_attrs { float min, max; } runt_clip_attrs;       /* ±INFINITY when absent */
typedef struct runt_gelu_attrs { int approximate_tanh; } runt_gelu_attrs;
typedef struct runt_axis_attrs { int axis; } runt_axis_attrs;             /* Softmax, Flatten */

typedef enum runt_auto_pad {
    RUNT_PAD_EXPLICIT = 0, RUNT_PAD_VALID, RUNT_PAD_SAME_UPPER, RUNT_PAD_SAME_LOWER
} runt_auto_pad;

/* 2-D convolution, NCHW input, weight [M, C/group, kH, kW], optional bias [M]. */
typedef struct runt_conv_attrs {
    int kernel[2];        /* kH, kW (0: take from the weight's shape)      */
    int strides[2];
    int dilations[2];
    int pads[4];          /* top, left, bottom, right                       */
    runt_auto_pad auto_pad;
    int group;
    runt_epilogue epilogue;
} runt_conv_attrs;

/* MaxPool and AveragePool, NCHW. */
typedef struct runt_pool_attrs {
    int kernel[2];
    int strides[2];
    int dilations[2];
    int pads[4];          /* top, left, bottom, right */
    runt_auto_pad auto_pad;
    int ceil_mode;
    int count_include_pad; /* AveragePool only */
} runt_pool_attrs;

/* ONNX Pad's modes: what the padding holds. */
typedef enum runt_pad_mode {
    RUNT_PAD_MODE_CONSTANT = 0, /* value                                      */
    RUNT_PAD_MODE_REFLECT,      /* the input mirrored at its first and last
                                   element, which are not repeated (numpy's
                                   "reflect"): x[1], x[0] | x[0] x[1] x[2]    */
    RUNT_PAD_MODE_EDGE,         /* the first or last element repeated         */
    RUNT_PAD_MODE_WRAP          /* the input repeated periodically            */
} runt_pad_mode;

/* Pad. pads[i] = padding before axis i, pads[ndim + i] = after. Negative
 * values crop, as ONNX allows, in constant mode; the other modes take pads
 * >= 0 and a non-empty axis wherever they pad (shape inference refuses the
 * rest, naming the axis). */
typedef struct runt_pad_attrs {
    int ndim;
    int64_t pads[2 * RUNT_MAX_DIMS];
    float value;             /* constant mode's value                         */
    runt_pad_mode mode;
} runt_pad_attrs;

/* ONNX Reshape semantics: 0 copies the input dim (unless allowzero), -1 is inferred. */
typedef struct runt_reshape_attrs {
    int ndim;
    int64_t shape[RUNT_MAX_DIMS];
    int allowzero;
} runt_reshape_attrs;

typedef struct runt_batch_norm_attrs { float epsilon; } runt_batch_norm_attrs;
typedef struct runt_layer_norm_attrs { int axis; float epsilon; } runt_layer_norm_attrs;

/* QuantizeLinear and DequantizeLinear. A scale (and zero point) with one
 * element applies to the whole tensor; a 1-D one of dims[axis] elements is
 * per axis; with block_size > 0 it has x's rank and ceil(dims[axis] /
 * block_size) along axis (blocked). output_dtype: QuantizeLinear's result
 * when it has no zero point, RUNT_U8 or RUNT_I8; RUNT_F32 (the default)
 * means unset: the zero point's dtype, else u8 (ONNX's rule). */
typedef struct runt_quant_attrs {
    int axis;
    int block_size;
    runt_dtype output_dtype;
} runt_quant_attrs;

typedef struct runt_cast_attrs { runt_dtype to; } runt_cast_attrs;

typedef union runt_attrs {
    runt_gemm_attrs gemm;
    runt_leaky_relu_attrs leaky_relu;
    runt_clip_attrs clip;
    runt_gelu_attrs gelu;
    runt_axis_attrs axis;          /* Softmax, Flatten */
    runt_conv_attrs conv;
    runt_pool_attrs pool;
    runt_pad_attrs pad;
    runt_reshape_attrs reshape;
    runt_batch_norm_attrs batch_norm;
    runt_layer_norm_attrs layer_norm;
    runt_quant_attrs quant;        /* QuantizeLinear, DequantizeLinear */
    runt_cast_attrs cast;
} runt_attrs;

/* The ONNX defaults for an op's attributes (alpha = 1 for Gemm, strides 1, ...). */
runt_status runt_attrs_default(runt_op op, runt_attrs *out);

/* ------------------------------------------------------------------------- */
/* Building a model                                                          */
/* ------------------------------------------------------------------------- */

typedef struct runt_builder runt_builder;
typedef struct runt_model runt_model;

/* Values (inputs, constants, node outputs) are named by small integer ids. */
typedef int runt_value_id;

/* A new, empty builder in *out; every later allocation of the builder and of
 * the model it becomes goes through allocator (NULL: malloc/free), which must
 * outlive the model. RUNT_E_INVALID_ARG if out is NULL, RUNT_E_OOM. */
runt_status runt_builder_create(const runt_allocator *allocator, runt_builder **out);
/* Frees a builder that was not finished. NULL is ignored. */
void runt_builder_free(runt_builder *builder);

/* A graph input; dims[0] may be RUNT_DIM_BATCH. */
runt_status runt_builder_input(runt_builder *b, const char *name, runt_dtype dtype,
                               int ndim, const int64_t *dims, runt_value_id *out);

/* A constant (weights); the data are copied. */
runt_status runt_builder_constant(runt_builder *b, const char *name, runt_dtype dtype,
                                  int ndim, const int64_t *dims, const void *data,
                                  runt_value_id *out);

/* A node. inputs[i] may be -1 for an absent optional input. The outputs' shapes
 * are inferred when the model is finished. name may be NULL (one is made up). */
runt_status runt_builder_node(runt_builder *b, runt_op op, const char *name,
                              const runt_attrs *attrs /* NULL: defaults */,
                              int n_inputs, const runt_value_id *inputs,
                              int n_outputs, runt_value_id *outputs);

/* Marks a value as a graph output (in call order). */
runt_status runt_builder_output(runt_builder *b, runt_value_id value, const char *name);

/* Layer helpers, PyTorch conventions. weight is [out, in] like nn.Linear. */
runt_status runt_builder_linear(runt_builder *b, runt_value_id x, int64_t in_features,
                                int64_t out_features, const float *weight,
                                const float *bias /* NULL: none */, runt_value_id *out);
/* weight [out_ch, in_ch/groups, kh, kw]; p NULL: stride 1, no padding, 1 group. */
runt_status runt_builder_conv2d(runt_builder *b, runt_value_id x, int64_t in_channels,
                                int64_t out_channels, int kh, int kw,
                                const runt_conv_attrs *p, const float *weight,
                                const float *bias, runt_value_id *out);
/* An op with one input, one output and the given attributes (NULL: defaults). */
runt_status runt_builder_unary(runt_builder *b, runt_op op, runt_value_id x,
                               const runt_attrs *attrs, runt_value_id *out);

/* Validates the graph (order, missing values, shapes at batch 1) and turns the
 * builder into an immutable model. The builder is consumed in every case. */
runt_status runt_builder_finish(runt_builder *b, runt_model **out);

/* Frees a model and everything it owns. Every session made from it must be
 * freed first. NULL is ignored. */
void runt_model_free(runt_model *model);

/* ------------------------------------------------------------------------- */
/* Loading ONNX models                                                       */
/* ------------------------------------------------------------------------- */

/* Ceilings for inputs from sources that are not trusted (a model file from
 * elsewhere, the shapes it declares). Each is checked before the memory it
 * would size is allocated, and exceeding one is RUNT_E_LIMIT with a message
 * naming the limit, the value found and where. A field left 0 takes the
 * default given here (runt_limits_default); a negative one is
 * RUNT_E_INVALID_ARG. The defaults admit every model protobuf itself can
 * carry; a program that loads models from strangers sets them lower. */
typedef struct runt_limits {
    int64_t max_file_bytes;       /* the model file or buffer; default 2 GiB, the most a
                                     protobuf message may hold                        */
    int64_t max_nodes;            /* nodes of the graph; default 1 << 20              */
    int64_t max_tensor_elements;  /* elements of one tensor: initializer, Constant,
                                     attribute list, graph input (batch 1), any value
                                     a session plans; default 1 << 31                  */
    int64_t max_weight_bytes;     /* initializers and Constant tensors together, as
                                     their dims declare; default 16 GiB               */
    int64_t max_arena_bytes;      /* a session's activation arena, and a backend's
                                     scratch; default 16 GiB                          */
    int64_t max_nesting;          /* protobuf groups nested in one another (skipped, but
                                     walked: the one structure read by depth);
                                     default and most 64                              */
} runt_limits;

/* The defaults named above. */
runt_limits runt_limits_default(void);

typedef struct runt_load_options {
    const runt_allocator *allocator;
    /* Where external tensor data files are looked up. runt_model_load_file
     * defaults to the model's directory; NULL with the buffer path means the
     * model may not use external data (no file system needed). */
    const char *external_data_dir;
    /* Graph inputs to freeze as constants, by name (e.g. a Reshape's shape
     * that a model takes as an input). The data are copied. */
    int n_constant_inputs;
    const char *const *constant_input_names;
    const runt_tensor *constant_inputs;
    /* Ceilings for this load; NULL: runt_limits_default(). */
    const runt_limits *limits;
} runt_load_options;

/* Reads an ONNX file into *out (the caller frees it with runt_model_free).
 * o may be NULL (defaults). RUNT_E_IO: the file cannot be read (the message
 * gives the system's reason); RUNT_E_BAD_MODEL: not an ONNX model, or a
 * malformed one (names the byte offset or node); RUNT_E_UNSUPPORTED: an op,
 * opset or attribute runt does not read (names it); RUNT_E_OOM. */
runt_status runt_model_load_file(const char *path, const runt_load_options *o,
                                 runt_model **out);
/* The same from size bytes in memory. data is only read during the call (the
 * model copies what it keeps), so the caller may free it afterwards. Errors
 * as runt_model_load_file, RUNT_E_IO only for external data files. */
runt_status runt_model_load_buffer(const void *data, size_t size,
                                   const runt_load_options *o, runt_model **out);

/* Writes the model as an ONNX file (opset 17): what the bench hands to peer
 * runtimes so every runtime runs one definition of each model. */
runt_status runt_model_save_onnx(const runt_model *m, const char *path);

/* ------------------------------------------------------------------------- */
/* Inspecting a model                                                        */
/* ------------------------------------------------------------------------- */

/* Cost of one node, counted as documented in runtime/cost.h:
 * FLOPs count a multiply and an add as 2; bytes = every input read once plus
 * every output written once (weights included). */
typedef struct runt_cost {
    int64_t params;        /* elements of constant inputs (weights, biases) */
    int64_t flops;
    int64_t bytes_read;
    int64_t bytes_written;
} runt_cost;

typedef struct runt_node_info {
    const char *name;
    runt_op op;
    runt_epilogue epilogue;        /* after fusion, in a session's plan */
    runt_tensor output;            /* dtype and shape; data is NULL     */
    runt_cost cost;
} runt_node_info;

typedef struct runt_io_info {
    const char *name;
    runt_tensor desc;              /* dtype and declared shape; data NULL */
} runt_io_info;

/* The model's number of graph inputs, outputs and nodes; any pointer may be
 * NULL. Safe on a model shared by several threads, as are all functions that
 * take a const runt_model *. */
runt_status runt_model_counts(const runt_model *m, int *n_inputs, int *n_outputs, int *n_nodes);
/* The weights that backends have converted from m's constants (packed,
 * quantized, uploaded to a device) and m's live sessions share now: their
 * bytes and number of buffers, each counted once (a session's
 * runt_session_stats.backend_weight_bytes counts those it reads). Either
 * pointer may be NULL. */
runt_status runt_model_converted_weights(const runt_model *m, size_t *bytes, int *buffers);
/* Name, dtype and declared shape of graph input index (0-based; dims[0] is
 * RUNT_DIM_BATCH where the batch is free). The name stays valid as long as
 * the model. RUNT_E_INVALID_ARG for an index out of range. */
runt_status runt_model_input(const runt_model *m, int index, runt_io_info *out);
/* The same for graph output index. */
runt_status runt_model_output(const runt_model *m, int index, runt_io_info *out);
/* Shapes and costs of every node for a batch size (no fusion). rows may be NULL
 * to only count; total may be NULL. */
runt_status runt_model_describe(const runt_model *m, int64_t batch, runt_node_info *rows,
                                int capacity, int *n_rows, runt_cost *total);

/* ------------------------------------------------------------------------- */
/* Backends and sessions                                                     */
/* ------------------------------------------------------------------------- */

typedef struct runt_device_info {
    char backend[16];              /* "ref", "cpu", "cuda"                          */
    char name[128];                /* the device: CPU model, GPU name               */
    int available;                 /* 0: reason says why                            */
    char reason[256];
    int host_memory;               /* buffers are plain host memory                 */
    int compute_units;             /* cores or SMs                                  */
    int64_t memory_bytes;          /* device memory; 0 for host backends            */
    int quantized_weights;         /* runs int8-weight Gemm/MatMul/Conv: a quantized
                                      model's layers fuse into them (runt-backend.h) */
    int64_t cache_bytes;           /* a device's last-level cache (a GPU's L2); 0 for
                                      host backends (the bench reads the host's
                                      caches itself) and where unknown            */
} runt_device_info;

/* Registered backends, built-in ones first. */
runt_status runt_backend_count(int *count);
/* Probes backend index (0 .. count-1) and describes its device; loads a
 * backend built as a module if it is not loaded yet. An unavailable backend
 * is still described: available = 0 and reason says why. */
runt_status runt_backend_info(int index, runt_device_info *out);
/* The name of backend index ("ref", "cpu", ...) without probing or loading
 * it: a backend built as a module is opened only by runt_backend_info or a
 * session that asks for it. The string is static. */
runt_status runt_backend_name(int index, const char **name);

typedef enum runt_math_mode {
    RUNT_MATH_F32 = 0,     /* IEEE f32 arithmetic throughout              */
    RUNT_MATH_TF32,        /* CUDA: tensor cores with TF32 inputs          */
    RUNT_MATH_BF16         /* CUDA: tensor cores with BF16 inputs          */
} runt_math_mode;

/* The CPU backend's default runt_cpu_options.int8_min_weights (where int8
 * starts to pay). */
#define RUNT_INT8_MIN_WEIGHTS_DEFAULT 16384

/* The header of one backend's own options (runt-cpu.h's runt_cpu_options,
 * runt-cuda.h's runt_cuda_options, or a registered backend's): the first
 * member of that struct. Options of several backends chain through next,
 * for a program that lets runt choose the backend (options.backend NULL):
 * the chosen backend takes its own and the others are ignored. With
 * options.backend named, every entry must be that backend's.
 * runt_session_create refuses (RUNT_E_INVALID_ARG) a type no registered
 * backend takes, two entries of one type, a chain of more than
 * RUNT_BACKEND_OPTIONS_MAX entries (a cycle), and, when options.backend is
 * named, another backend's options (the message names both backends). */
typedef struct runt_backend_options {
    uint32_t type;                             /* the struct's tag, e.g. RUNT_CPU_OPTIONS_TYPE */
    const struct runt_backend_options *next;   /* another backend's options, or NULL */
} runt_backend_options;

/* The longest chain of backend options a session takes. */
#define RUNT_BACKEND_OPTIONS_MAX 8

typedef struct runt_session_options {
    const char *backend;        /* "ref", "cpu", "cuda", "cuda:N"; NULL: best available */
    int64_t batch;              /* binds RUNT_DIM_BATCH; default 1                      */
    runt_dtype compute_dtype;   /* RUNT_F32, or RUNT_I8 for dynamic int8 quantization    */
    runt_math_mode math;
    int threads;                /* host threads a run may use; 0: every core the process
                                   may run on. Generic: the core's plan and the bench's
                                   calibrations key on it, and any host backend may
                                   honour it (the CPU backend does) */
    int fuse;                   /* fold bias and activation into matmul/conv; default 1 */
    int profile;                /* time every node; see runt_session_profile            */
    void *arena;                /* caller-owned arena (host backends), or NULL; a device
                                   backend allocates its arena on the device itself  */
    size_t arena_size;
    const runt_allocator *allocator;
    runt_log_fn log;
    void *log_user;
    /* The backend's own options (runt-cpu.h, runt-cuda.h), chained; NULL:
     * its defaults. */
    const runt_backend_options *backend_options;
    /* Ceilings on what the session plans (max_arena_bytes, max_tensor_elements;
     * the others are the loader's); NULL: runt_limits_default(). */
    const runt_limits *limits;
} runt_session_options;

/* The defaults named above. */
runt_session_options runt_session_options_default(void);

typedef struct runt_session runt_session;

/* The arena a session with these options needs, in bytes (so a caller can
 * provide it in options.arena): the planned activations and, on a host
 * backend, the scratch its kernels use in a run. The backend's kernels are
 * chosen by preparing it once, so this costs about what creating the
 * session does (weights converted, then freed). On a device backend: the
 * size of the arena it keeps on the device (no caller arena there). */
runt_status runt_session_arena_size(const runt_model *m, const runt_session_options *o,
                                    size_t *bytes);

/* Prepares m for one backend and batch size: infers shapes, fuses, plans the
 * arena, and lets the backend convert or upload the weights. o may be NULL
 * (defaults). The model must outlive the session. RUNT_E_INVALID_ARG (an
 * unknown backend, a misaligned caller arena), RUNT_E_SHAPE,
 * RUNT_E_UNSUPPORTED (a node the backend cannot run, named), RUNT_E_BACKEND
 * (the device is unavailable or failed), RUNT_E_OOM (also: a caller arena
 * smaller than runt_session_arena_size says). */
runt_status runt_session_create(const runt_model *m, const runt_session_options *o,
                                runt_session **out);
/* Releases the session and its device resources; a caller arena is not
 * freed. NULL is ignored. */
void runt_session_free(runt_session *s);

/* Shapes of the session's inputs and outputs at its batch size (data NULL). */
runt_status runt_session_input_desc(const runt_session *s, int index, runt_tensor *out);
runt_status runt_session_output_desc(const runt_session *s, int index, runt_tensor *out);

/* Runs the model. inputs/outputs in the model's order, shapes as the descs say.
 * Returns when the outputs are written. The buffers are ordinary host memory
 * (runt_session_run_in with RUNT_MEMORY_HOST). RUNT_E_BUSY (nothing done) if the
 * session is running on another thread at that moment: the check is one atomic
 * flag, so misuse is reported, never waited on; it cannot see a session freed
 * meanwhile (freeing a session while it runs is undefined).
 * Allocation: runt allocates nothing in a run, on any backend (the session's
 * allocator is not called), and on "ref" nothing else does either. On "cpu"
 * the first run that needs more worker threads than the process has starts
 * them (the CPU backend's one pool per process, shared by its sessions), and
 * glibc allocates each new thread's TLS vector (1 call per thread); later
 * runs reuse them (0 calls). OpenBLAS, which runs the f32 GEMMs below the
 * AVX-512 kernel tier single-threaded on those workers, may allocate inside
 * its calls (none measured with OpenBLAS 0.3.21 single-threaded).
 * tests/malloc/malloc_count.c counts libc's allocations during runs through a
 * malloc wrapper, per tier, and checks that each comes from the dynamic
 * loader or OpenBLAS. */
runt_status runt_session_run(runt_session *s, const runt_tensor *inputs, int n_inputs,
                             runt_tensor *outputs, int n_outputs);

/* Where the data of a run's input and output tensors live. */
typedef enum runt_memory {
    RUNT_MEMORY_HOST = 0,     /* ordinary (pageable) host memory: a device backend
                                 stages it through page-locked buffers of its own */
    RUNT_MEMORY_HOST_PINNED,  /* page-locked host memory (cudaMallocHost or
                                 cudaHostRegister): copied by DMA with no staging */
    RUNT_MEMORY_DEVICE        /* memory of the session's device (cudaMalloc on the
                                 device "cuda:N" names): no host copy at all; for
                                 device backends only (RUNT_E_INVALID_ARG on others) */
} runt_memory;

/* runt_session_run with the inputs and outputs in `where`. On host backends
 * RUNT_MEMORY_HOST_PINNED is plain host memory. */
runt_status runt_session_run_in(runt_session *s, runt_memory where, const runt_tensor *inputs,
                                int n_inputs, runt_tensor *outputs, int n_outputs);

typedef struct runt_session_stats {
    size_t arena_bytes;            /* planned activations                          */
    size_t naive_arena_bytes;      /* every intermediate in its own buffer          */
    size_t weight_bytes;           /* the model's constants the plan reads         */
    int n_nodes;                   /* nodes executed, after fusion                  */
    int launches;                  /* kernels or dispatches per run (backend's count) */
    runt_cost total;
    size_t scratch_bytes;          /* the backend's per-run scratch, in the arena   */
    size_t session_arena_bytes;    /* the whole arena: activations, then scratch
                                      (what runt_session_arena_size returns)   */
    size_t backend_weight_bytes;   /* weights the backend converted for its kernels
                                      (packed, quantized, uploaded) that this
                                      session reads, outside the arena; shared
                                      with the model's other sessions that
                                      convert them alike (on the CUDA backend:
                                      on the same device)                     */
} runt_session_stats;

/* The session's plan in numbers: arena, scratch and weight bytes, nodes
 * after fusion, dispatches per run and the total cost. A session's memory is
 * session_arena_bytes (in the caller's arena when one was given), small
 * bookkeeping from its allocator, and backend_weight_bytes: once per model
 * for all the sessions that convert a weight the same way (on the CPU
 * backend: same kernel tier and path, from the model's allocator; on the
 * CUDA backend: on the same device), gone when the last of them is freed
 * (runt_model_converted_weights). */
runt_status runt_session_stats_get(const runt_session *s, runt_session_stats *out);
/* Wall time of the last successful run in µs (device events where the backend
 * has them, else the host clock around the run); -1 before the first run. */
runt_status runt_session_last_run_us(const runt_session *s, double *us);

/* Per planned node: shape, cost and (with options.profile) the last run's time. */
runt_status runt_session_node(const runt_session *s, int index, runt_node_info *info,
                              double *last_us);

/* ------------------------------------------------------------------------- */
/* Compact device models (.rnt)                                              */
/* ------------------------------------------------------------------------- */

/* A .rnt holds a model laid out to be read in place (from flash on a
 * microcontroller): little-endian, versioned, checksummed, constants 16-byte
 * aligned (runtime/rnt_format.h has the layout). `runt compile` writes one. */
typedef struct runt_rnt_options {
    runt_dtype dtype;      /* RUNT_F32 keeps the weights; RUNT_I8 quantizes every
                              Linear and Conv as runt_model_quantize_int8 does */
    int64_t batch;         /* the batch the recorded arena size is for (0: 1) */
} runt_rnt_options;

/* What a .rnt's header records. */
typedef struct runt_rnt_info {
    int version;
    int64_t batch;
    size_t arena_bytes;    /* a "ref" session's arena at that batch */
    size_t file_bytes;
} runt_rnt_info;

/* Serializes m (quantized first when o->dtype is RUNT_I8) into *bytes, from
 * a->alloc (16-byte aligned; release with a->free), or from aligned_alloc when
 * a is NULL (release with free). *info (may be NULL) says what the header
 * records. */
runt_status runt_model_save_rnt(const runt_model *m, const runt_rnt_options *o,
                                const runt_allocator *a, void **bytes, size_t *size,
                                runt_rnt_info *info);

/* Loads a .rnt from memory in place: the model's constants point into data,
 * which must be 16-byte aligned and stay unchanged while the model lives.
 * Only the graph's records are allocated (through o->allocator). Every
 * offset, size, id and attribute is checked; a damaged file is refused with
 * RUNT_E_BAD_MODEL naming the field and its byte offset. */
runt_status runt_model_load_rnt(const void *data, size_t size, const runt_load_options *o,
                                runt_model **out);

/* Reads a .rnt header (checked as runt_model_load_rnt checks it). */
runt_status runt_rnt_info_get(const void *data, size_t size, runt_rnt_info *out);

/* Reads a .rnt file into memory the model owns, then loads it in place. */
runt_status runt_model_load_rnt_file(const char *path, const runt_load_options *o,
                                     runt_model **out);

/* A copy of m whose Linears (Gemm, and MatMul with constant 2-D weights) and
 * Convs run in int8 as onnxruntime's quantize_dynamic writes them:
 * DynamicQuantizeLinear -> MatMulInteger / ConvInteger -> Cast -> Mul(x_scale
 * * w_scale) -> Add(bias), weights symmetric int8 per output channel
 * (scale = max|w| / 127, round half to even). Other nodes are copied as they
 * are. a: the new model's allocator (NULL: malloc). */
runt_status runt_model_quantize_int8(const runt_model *m, const runt_allocator *a,
                                     runt_model **out);

#ifdef __cplusplus
}
#endif
#endif /* RUNT_H */
