/*
 * The CUDA backend: its vtable, and a session's life on the GPU.
 *
 * prepare: picks the device ("cuda" is the calling thread's current device,
 * "cuda:N" device N), decides every node's kernels (cuda_nodes.c), creates
 * the session's stream, events and cuBLAS / cuBLASLt handles, uploads the
 * weights (int8 ones quantized on the way) and allocates scratch.
 *
 * execute: the first run issues every launch (warming up modules, cuBLAS
 * heuristics) and then, unless options.cuda_graphs is 0 or the session
 * profiles nodes, records the same launches into a CUDA graph; every later
 * run replays that graph with one launch. A capture that fails is logged at
 * RUNT_LOG_WARN with CUDA's reason, and the session keeps plain launches.
 * Device time comes from events around the run's work on the stream.
 *
 * Inputs and outputs: the session copies them into and out of their arena
 * slots through copy_to_device / copy_to_host (cuda_device.c) around
 * execute; those copies are outside the graph (the vtable gives them no
 * session state).
 *
 * The calling thread's current device is restored before every entry point
 * returns: the program's own CUDA code keeps its device.
 */
#include <string.h>

#include "alloc.h"
#include "cuda_impl.h"
#include "error.h"

/* Workspace for cuBLAS and cuBLASLt: the sizes the cuBLAS documentation
 * (cublasSetWorkspace) recommends, 32 MiB on Hopper, 4 MiB before it. Set
 * explicitly so that neither library allocates during graph capture. */
static size_t workspace_bytes(int major) { return (size_t)(major >= 9 ? 32 : 4) << 20; }

/* Makes `device` current; *previous receives the device to restore. */
static runt_status enter_device(int device, int *previous)
{
    runt_status s = runt_cuda_check(cudaGetDevice(previous), "cudaGetDevice");
    if (s == RUNT_OK && *previous != device)
        s = runt_cuda_check(cudaSetDevice(device), "cudaSetDevice(%d)", device);
    return s;
}

static void leave_device(int device, int previous)
{
    if (previous != device && cudaSetDevice(previous) != cudaSuccess)
        (void)cudaGetLastError();
}

static runt_status cuda_supports_node(void *context, const runt_plan *plan, int node)
{
    (void)context;
    runt_cuda_node n;
    return runt_cuda_node_plan(plan, node, &n);
}

/* ------------------------------------------------------------------------- */
/* Release                                                                   */
/* ------------------------------------------------------------------------- */

static void free_device(void *p)
{
    if (p && cudaFree(p) != cudaSuccess)
        (void)cudaGetLastError();
}

/* Frees what prepare made. Failures here have nowhere to go (release
 * returns nothing): each destroy's status is deliberately dropped, and the
 * runtime's last error is reset at the end. */
static void cuda_release(void *state, const runt_plan *plan)
{
    (void)plan;
    runt_cuda_state *st = state;
    if (!st)
        return;
    /* No runt_error_set here: a failed prepare calls this with its message
     * still to be returned. */
    int previous = st->device;
    if (cudaGetDevice(&previous) != cudaSuccess || cudaSetDevice(st->device) != cudaSuccess)
        previous = st->device; /* free what can be freed */
    if (st->stream && cudaStreamSynchronize(st->stream) != cudaSuccess)
        (void)cudaGetLastError();
    if (st->graph)
        (void)cudaGraphExecDestroy(st->graph);
    for (int i = 0; st->lt && i < st->n_nodes; i++)
        runt_cuda_lt_release(&st->lt[i]);
    if (st->blas_lt)
        (void)cublasLtDestroy(st->blas_lt);
    if (st->blas)
        (void)cublasDestroy(st->blas);
    if (st->start)
        (void)cudaEventDestroy(st->start);
    if (st->stop)
        (void)cudaEventDestroy(st->stop);
    for (int i = 0; st->node_events && i <= st->n_nodes; i++)
        if (st->node_events[i])
            (void)cudaEventDestroy(st->node_events[i]);
    if (st->stream)
        (void)cudaStreamDestroy(st->stream);
    free_device(st->weights);
    free_device(st->scratch);
    free_device(st->workspace);
    free_device(st->own_arena);
    (void)cudaGetLastError();
    leave_device(st->device, previous);
    runt_allocator a = st->allocator;
    runt_free(&a, st->node_events);
    runt_free(&a, st->const_offset);
    runt_free(&a, st->lt);
    runt_free(&a, st->nodes);
    runt_free(&a, st);
}

/* ------------------------------------------------------------------------- */
/* Prepare                                                                   */
/* ------------------------------------------------------------------------- */

/* The device the options name, checked against the machine. */
static runt_status pick_device(const runt_session_options *o, int current, int *device, int *major)
{
    int requested, count = 0;
    runt_status s = runt_cuda_parse_device(o ? o->backend : NULL, &requested);
    if (s == RUNT_OK)
        s = runt_cuda_check(cudaGetDeviceCount(&count), "cudaGetDeviceCount");
    if (s != RUNT_OK)
        return s;
    *device = requested < 0 ? current : requested;
    if (*device >= count)
        return runt_error_set(RUNT_E_INVALID_ARG, "backend '%s': device %d does not exist (this "
                              "machine has %d CUDA device%s: cuda:0 .. cuda:%d)", o->backend,
                              *device, count, count == 1 ? "" : "s", count - 1);
    runt_device_info info;
    memset(&info, 0, sizeof info);
    runt_cuda_describe(*device, &info);
    if (!info.available)
        return runt_error_set(RUNT_E_BACKEND, "%s", info.reason);
    return runt_cuda_check(cudaDeviceGetAttribute(major, cudaDevAttrComputeCapabilityMajor,
                                                  *device), "cudaDeviceGetAttribute");
}

/* Every node's kernels; int8 products whose shape cuBLASLt has no algorithm
 * for go to the dp4a kernel. */
static runt_status plan_nodes(runt_cuda_state *st, const runt_plan *plan)
{
    for (int i = 0; i < plan->n_nodes; i++) {
        runt_cuda_node *n = &st->nodes[i];
        runt_status s = runt_cuda_node_plan(plan, i, n);
        if (s == RUNT_OK && n->q8_engine == RUNT_CUDA_Q8_LT &&
            (n->kind == RUNT_CUDA_K_Q8_LINEAR || n->kind == RUNT_CUDA_K_Q8_CONV)) {
            int found = 0;
            const char *why = "";
            if (!st->blas_lt)
                s = runt_cublas_check(cublasLtCreate(&st->blas_lt), "cublasLtCreate");
            if (s == RUNT_OK)
                s = runt_cuda_lt_prepare(st, n, &st->lt[i], &found, &why);
            if (s == RUNT_OK && !found) {
                runt_cuda_lt_release(&st->lt[i]);
                n->q8_engine = RUNT_CUDA_Q8_DP4A;
                runt_plan_log(plan, RUNT_LOG_INFO, "cuda: node '%s': cuBLASLt has no int8 "
                              "algorithm for %lld x %lld x %lld (%s); using the dp4a kernel",
                              plan->nodes[i].name, (long long)n->q8_rows, (long long)n->q8_n,
                              (long long)n->q8_k_pad, why);
            }
        }
        if (s != RUNT_OK)
            return runt_error_prefix(s, "node '%s' (%s)", plan->nodes[i].name,
                                     runt_op_name(plan->nodes[i].op));
        if (n->scratch > st->scratch_bytes)
            st->scratch_bytes = n->scratch;
        st->launches += runt_cuda_node_launches(n);
    }
    return RUNT_OK;
}

static runt_status create_handles(runt_cuda_state *st, const runt_plan *plan, int major)
{
    runt_status s = runt_cuda_check(cudaStreamCreateWithFlags(&st->stream, cudaStreamNonBlocking),
                                    "cudaStreamCreateWithFlags");
    if (s == RUNT_OK)
        s = runt_cuda_check(cudaEventCreate(&st->start), "cudaEventCreate");
    if (s == RUNT_OK)
        s = runt_cuda_check(cudaEventCreate(&st->stop), "cudaEventCreate");
    if (s == RUNT_OK)
        s = runt_cublas_check(cublasCreate(&st->blas), "cublasCreate");
    if (s == RUNT_OK)
        s = runt_cublas_check(cublasSetStream(st->blas, st->stream), "cublasSetStream");
    st->workspace_bytes = workspace_bytes(major);
    if (s == RUNT_OK)
        s = runt_cuda_check(cudaMalloc(&st->workspace, st->workspace_bytes),
                            "cudaMalloc(%zu bytes of cuBLAS workspace)", st->workspace_bytes);
    if (s == RUNT_OK)
        s = runt_cublas_check(cublasSetWorkspace(st->blas, st->workspace, st->workspace_bytes),
                              "cublasSetWorkspace");
    st->compute = runt_cuda_compute_type(plan->math);
    return s;
}

static runt_status create_node_events(runt_cuda_state *st)
{
    st->node_events = runt_alloc_zeroed(&st->allocator, (size_t)st->n_nodes + 1,
                                        sizeof *st->node_events);
    if (!st->node_events)
        return runt_error_set(RUNT_E_OOM, "out of memory for profiling events");
    runt_status s = RUNT_OK;
    for (int i = 0; s == RUNT_OK && i <= st->n_nodes; i++)
        s = runt_cuda_check(cudaEventCreate(&st->node_events[i]), "cudaEventCreate");
    return s;
}

static runt_status prepare_state(runt_cuda_state *st, const runt_plan *plan,
                                 const runt_session_options *o, int current)
{
    int major = 0;
    runt_status s = pick_device(o, current, &st->device, &major);
    if (s != RUNT_OK)
        return s;
    if (st->device != current)
        s = runt_cuda_check(cudaSetDevice(st->device), "cudaSetDevice(%d)", st->device);
    if (s == RUNT_OK)
        s = create_handles(st, plan, major);
    if (s == RUNT_OK)
        s = plan_nodes(st, plan);
    if (s == RUNT_OK)
        s = runt_cuda_upload_weights(st, plan);
    if (s == RUNT_OK && st->scratch_bytes)
        s = runt_cuda_check(cudaMalloc(&st->scratch, st->scratch_bytes),
                            "cudaMalloc(%zu bytes of scratch)", st->scratch_bytes);
    if (s == RUNT_OK && st->device != current && plan->arena_size) {
        /* The session allocated its arena on `current` before prepare knew
         * the device: the nodes run on an arena of their own here. */
        s = runt_cuda_check(cudaMalloc(&st->own_arena, plan->arena_size),
                            "cudaMalloc(%zu bytes of arena on cuda:%d)", plan->arena_size,
                            st->device);
        st->launches += plan->n_inputs + plan->n_outputs;
        runt_plan_log(plan, RUNT_LOG_INFO, "cuda: running on cuda:%d from a thread whose "
                      "current device is cuda:%d: inputs and outputs take one more device copy",
                      st->device, current);
    }
    int profile = o && o->profile;
    if (s == RUNT_OK && profile)
        s = create_node_events(st);
    st->use_graphs = (!o || o->cuda_graphs) && !profile;
    return s;
}

static runt_status cuda_prepare(void *context, const runt_plan *plan,
                                const runt_session_options *options, void **state)
{
    (void)context;
    *state = NULL;
    if (plan->compute_dtype != RUNT_F32 && plan->compute_dtype != RUNT_I8)
        return runt_error_set(RUNT_E_UNSUPPORTED, "the CUDA backend computes in f32 or int8, "
                              "not %s", runt_dtype_name(plan->compute_dtype));
    const runt_allocator *a = options ? options->allocator : NULL;
    runt_cuda_state *st = runt_alloc_zeroed(a, 1, sizeof *st);
    if (!st)
        return runt_error_set(RUNT_E_OOM, "out of memory for the CUDA backend's state");
    if (a)
        st->allocator = *a;
    st->n_nodes = plan->n_nodes;
    size_t n = (size_t)(plan->n_nodes ? plan->n_nodes : 1);
    st->nodes = runt_alloc_zeroed(a, n, sizeof *st->nodes);
    st->lt = runt_alloc_zeroed(a, n, sizeof *st->lt);
    int current = 0;
    runt_status s = st->nodes && st->lt ? runt_cuda_check(cudaGetDevice(&current), "cudaGetDevice")
                                        : runt_error_set(RUNT_E_OOM, "out of memory for %d nodes",
                                                         plan->n_nodes);
    st->device = current;
    if (s == RUNT_OK)
        s = prepare_state(st, plan, options, current);
    leave_device(st->device, current);
    if (s != RUNT_OK) {
        cuda_release(st, plan);
        return s;
    }
    runt_plan_log(plan, RUNT_LOG_DEBUG, "cuda: cuda:%d, f32 GEMMs in %s, %d launches per run "
                  "(%s), %zu bytes of weights, %zu of scratch", st->device,
                  runt_cuda_compute_name(plan->math), st->launches,
                  st->use_graphs ? "replayed as one CUDA graph after the first run"
                                 : "CUDA graphs off", st->weight_bytes, st->scratch_bytes);
    *state = st;
    return RUNT_OK;
}

/* ------------------------------------------------------------------------- */
/* Execute                                                                   */
/* ------------------------------------------------------------------------- */

/* With an arena of its own (see own_arena), inputs come over from the
 * session arena first and outputs go back last, in the same stream. */
static runt_status move_io(const runt_cuda_state *st, const runt_plan *p, char *session_arena,
                           int inputs)
{
    int count = inputs ? p->n_inputs : p->n_outputs;
    for (int i = 0; st->own_arena && i < count; i++) {
        const runt_plan_value *v = &p->values[inputs ? p->inputs[i] : p->outputs[i]];
        char *ours = (char *)st->own_arena + v->offset, *theirs = session_arena + v->offset;
        runt_status s = runt_cuda_check(cudaMemcpyAsync(inputs ? ours : theirs,
                                                        inputs ? theirs : ours, v->nbytes,
                                                        cudaMemcpyDefault, st->stream),
                                        "copying '%s' between devices", v->name);
        if (s != RUNT_OK)
            return s;
    }
    return RUNT_OK;
}

/* Every launch of one run, in order; profiling records an event before
 * each node and after the last. */
static runt_status enqueue_run(const runt_cuda_state *st, const runt_plan *p, char *session_arena,
                               int profile)
{
    char *base = st->own_arena ? st->own_arena : session_arena;
    runt_status s = move_io(st, p, session_arena, 1);
    for (int i = 0; s == RUNT_OK && i < p->n_nodes; i++) {
        if (profile)
            s = runt_cuda_check(cudaEventRecord(st->node_events[i], st->stream), "cudaEventRecord");
        if (s == RUNT_OK)
            s = runt_cuda_run_node(st, p, i, base);
        if (s != RUNT_OK)
            s = runt_error_prefix(s, "node '%s' (%s)", p->nodes[i].name, runt_op_name(p->nodes[i].op));
    }
    if (s == RUNT_OK && profile)
        s = runt_cuda_check(cudaEventRecord(st->node_events[p->n_nodes], st->stream),
                            "cudaEventRecord");
    return s == RUNT_OK ? move_io(st, p, session_arena, 0) : s;
}

/* Records one run's launches into a graph for later runs. Never fails the
 * run: a failure is logged once and the session keeps plain launches. */
static void capture(runt_cuda_state *st, const runt_plan *p, char *session_arena)
{
    cudaGraph_t graph = NULL;
    runt_status s = runt_cuda_check(cudaStreamBeginCapture(st->stream,
                                                           cudaStreamCaptureModeThreadLocal),
                                    "cudaStreamBeginCapture");
    if (s == RUNT_OK) {
        s = enqueue_run(st, p, session_arena, 0);
        /* Always end a begun capture, or the stream stays in capture mode. */
        cudaError_t end = cudaStreamEndCapture(st->stream, &graph);
        if (s == RUNT_OK)
            s = runt_cuda_check(end, "cudaStreamEndCapture");
    }
    if (s == RUNT_OK)
        s = runt_cuda_check(cudaGraphInstantiateWithFlags(&st->graph, graph, 0),
                            "cudaGraphInstantiateWithFlags");
    if (graph)
        (void)cudaGraphDestroy(graph);
    if (s == RUNT_OK) {
        st->graph_arena = session_arena;
        runt_plan_log(p, RUNT_LOG_DEBUG, "cuda: captured %d launches into one CUDA graph",
                      st->launches);
        return;
    }
    st->graph = NULL;
    st->graph_failed = 1;
    runt_plan_log(p, RUNT_LOG_WARN, "cuda: capturing the forward pass as a CUDA graph failed "
                  "(%s); every run issues its %d launches", runt_last_error(), st->launches);
    runt_error_clear();
    (void)cudaGetLastError();
}

static runt_status run(runt_cuda_state *st, const runt_plan *p, const runt_bindings *b)
{
    char *arena = b->arena;
    if (st->graph && st->graph_arena != arena) {
        /* Another arena than the graph was captured with: capture again. */
        (void)cudaGraphExecDestroy(st->graph);
        st->graph = NULL;
    }
    st->timed = 0;
    runt_status s = runt_cuda_check(cudaEventRecord(st->start, st->stream), "cudaEventRecord");
    int replay = st->graph != NULL;
    if (s == RUNT_OK)
        s = replay ? runt_cuda_check(cudaGraphLaunch(st->graph, st->stream), "cudaGraphLaunch")
                   : enqueue_run(st, p, arena, b->node_us != NULL);
    if (s == RUNT_OK)
        s = runt_cuda_check(cudaEventRecord(st->stop, st->stream), "cudaEventRecord");
    if (s == RUNT_OK && !replay && st->use_graphs && !st->graph_failed && !b->node_us)
        capture(st, p, arena);
    if (s == RUNT_OK && b->node_us) {
        /* Per-node times need the events to have happened. */
        s = runt_cuda_check(cudaStreamSynchronize(st->stream), "cudaStreamSynchronize");
        for (int i = 0; s == RUNT_OK && i < p->n_nodes; i++) {
            float ms = 0.0f;
            s = runt_cuda_check(cudaEventElapsedTime(&ms, st->node_events[i],
                                                     st->node_events[i + 1]),
                                "cudaEventElapsedTime");
            b->node_us[i] = 1000.0 * ms;
        }
    }
    return s;
}

static runt_status cuda_execute(void *state, const runt_plan *plan, const runt_bindings *b)
{
    runt_cuda_state *st = state;
    int previous = st->device;
    runt_status s = enter_device(st->device, &previous);
    if (s == RUNT_OK)
        s = run(st, plan, b);
    leave_device(st->device, previous);
    return s;
}

static runt_status cuda_synchronize(void *state)
{
    runt_cuda_state *st = state;
    runt_status s = runt_cuda_check(cudaStreamSynchronize(st->stream), "cudaStreamSynchronize");
    st->timed = s == RUNT_OK;
    return s;
}

static runt_status cuda_last_run_us(void *state, double *us)
{
    const runt_cuda_state *st = state;
    float ms = 0.0f;
    if (!st->timed)
        return runt_error_set(RUNT_E_BACKEND, "no completed run to time");
    runt_status s = runt_cuda_check(cudaEventElapsedTime(&ms, st->start, st->stop),
                                    "cudaEventElapsedTime");
    *us = 1000.0 * ms;
    return s;
}

/* Kernels and library calls of one plain run (a graph replays the same
 * launches with one call; cuBLAS may split a call into more kernels). */
static int cuda_launch_count(void *state, const runt_plan *plan)
{
    (void)plan;
    return ((const runt_cuda_state *)state)->launches;
}

const runt_backend_i runt_backend_cuda = {
    .name = "cuda",
    .probe = runt_cuda_probe,
    .buffer_alloc = runt_cuda_buffer_alloc,
    .buffer_free = runt_cuda_buffer_free,
    .copy_to_device = runt_cuda_copy_to_device,
    .copy_to_host = runt_cuda_copy_to_host,
    .supports_node = cuda_supports_node,
    .prepare = cuda_prepare,
    .execute = cuda_execute,
    .synchronize = cuda_synchronize,
    .last_run_us = cuda_last_run_us,
    .launch_count = cuda_launch_count,
    .release = cuda_release,
};
