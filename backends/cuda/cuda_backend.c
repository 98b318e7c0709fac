/*
 * The CUDA backend: its vtable, and a session's life on the GPU.
 *
 * prepare does everything once, so that the first run costs what every run
 * costs: it picks the device ("cuda" is the calling thread's current
 * device, "cuda:N" device N), decides every node's kernels (cuda_nodes.c)
 * and which Gemm runs fuse into one chain kernel (cuda_chain.c), creates the
 * session's stream, events and cuBLAS / cuBLASLt handles, uploads the
 * weights (int8 ones quantized on the way), allocates scratch, the arena of
 * activations and page-locked staging for inputs and outputs, then runs the
 * plan once on a zeroed arena (loading every module and warming cuBLAS's
 * heuristics) and, unless runt_cuda_options.graphs is 0 or the session
 * profiles nodes, captures the computation into a CUDA graph and replays it once. A
 * capture that fails is logged at RUNT_LOG_WARN with CUDA's reason, and the
 * session keeps plain launches.
 *
 * A run (execute, then synchronize): inputs go to their arena slots by
 * asynchronous copies on the session stream (from the staging buffers,
 * which the host fills first, when the caller's memory is pageable; from
 * the caller's buffers themselves when they are pinned or on the device),
 * then the graph (one launch) between two timing events, then the outputs'
 * copies the other way; one stream synchronize ends the run. Device time is
 * the events' interval: the computation without the copies.
 *
 * The calling thread's current device is restored before every entry point
 * returns: the program's own CUDA code keeps its device.
 */
#include <string.h>

#include "common/backend_state.h"
#include "cuda_impl.h"
#include "runt-cuda.h"

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
    runt_cuda_state *st = state;
    if (!st)
        return;
    /* No runt_error_set here: a failed prepare calls this with its message
     * still to be returned. Nothing was made on a device that never became
     * current (a "cuda:N" that does not exist): leave the device alone. */
    int previous = st->device;
    if (!st->on_device || cudaGetDevice(&previous) != cudaSuccess ||
        cudaSetDevice(st->device) != cudaSuccess)
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
    runt_cuda_release_weights(st, plan);
    free_device(st->scratch);
    free_device(st->workspace);
    free_device(st->arena);
    if (st->staging && cudaFreeHost(st->staging) != cudaSuccess)
        (void)cudaGetLastError();
    (void)cudaGetLastError();
    leave_device(st->device, previous);
    runt_allocator a = st->allocator;
    runt_free(&a, st->stage_offset);
    runt_free(&a, st->node_events);
    runt_free(&a, st->lt);
    runt_free(&a, st->nodes);
    runt_free(&a, st);
}

/* ------------------------------------------------------------------------- */
/* Prepare                                                                   */
/* ------------------------------------------------------------------------- */

/* The device the options name, checked against the machine; *sm is its
 * compute capability as major * 10 + minor. */
static runt_status pick_device(const runt_session_options *o, int current, int *device, int *sm)
{
    int requested, count = 0, major = 0, minor = 0;
    runt_status s = runt_cuda_parse_device(o ? o->backend : NULL, &requested);
    if (s == RUNT_OK)
        s = runt_cuda_check(cudaGetDeviceCount(&count), "cudaGetDeviceCount");
    if (s != RUNT_OK)
        return s;
    int chosen = requested < 0 ? current : requested;
    if (chosen >= count)
        return runt_error_set(RUNT_E_INVALID_ARG, "backend '%s': device %d does not exist (this "
                              "machine has %d CUDA device%s: cuda:0 .. cuda:%d)", o->backend,
                              chosen, count, count == 1 ? "" : "s", count - 1);
    runt_device_info info;
    memset(&info, 0, sizeof info);
    runt_cuda_describe(chosen, &info);
    if (!info.available)
        return runt_error_set(RUNT_E_BACKEND, "%s", info.reason);
    *device = chosen;
    s = runt_cuda_check(cudaDeviceGetAttribute(&major, cudaDevAttrComputeCapabilityMajor, chosen),
                        "cudaDeviceGetAttribute");
    if (s == RUNT_OK)
        s = runt_cuda_check(cudaDeviceGetAttribute(&minor, cudaDevAttrComputeCapabilityMinor,
                                                   chosen), "cudaDeviceGetAttribute");
    *sm = major * 10 + minor;
    return s;
}

/* int8 products whose shape cuBLASLt has no algorithm for go to dp4a. */
static runt_status plan_q8_engine(runt_cuda_state *st, const runt_plan *plan, int i)
{
    runt_cuda_node *n = &st->nodes[i];
    if (n->q8_engine != RUNT_CUDA_Q8_LT ||
        (n->kind != RUNT_CUDA_K_Q8_LINEAR && n->kind != RUNT_CUDA_K_Q8_CONV))
        return RUNT_OK;
    int found = 0;
    const char *why = "";
    runt_status s = RUNT_OK;
    if (!st->blas_lt)
        s = runt_cublas_check(cublasLtCreate(&st->blas_lt), "cublasLtCreate");
    if (s == RUNT_OK)
        s = runt_cuda_lt_prepare(st, n, &st->lt[i], &found, &why);
    if (s == RUNT_OK && !found) {
        runt_cuda_lt_release(&st->lt[i]);
        n->q8_engine = RUNT_CUDA_Q8_DP4A;
        runt_plan_log(plan, RUNT_LOG_INFO, "cuda: node '%s': cuBLASLt has no int8 algorithm for "
                      "%lld x %lld x %lld (%s); using the dp4a kernel", plan->nodes[i].name,
                      (long long)n->q8_rows, (long long)n->q8_n, (long long)n->q8_k_pad, why);
    }
    return s;
}

/* Chains the device cannot hold (no cluster of that much shared memory
 * fits) go back to their per-node kernels. */
static runt_status plan_chains(runt_cuda_state *st, const runt_plan *plan, int sm)
{
    st->chains = runt_cuda_plan_chains(plan, st->nodes, sm);
    for (int i = 0; st->chains && i < plan->n_nodes; i++) {
        runt_cuda_node *n = &st->nodes[i];
        if (n->kind != RUNT_CUDA_K_CHAIN)
            continue;
        int clusters = 0, layers = n->k.chain.n_layers;
        cudaError_t e = runt_cuda_chain_setup(&n->k.chain, &clusters);
        if (e == cudaSuccess && clusters > 0)
            continue;
        runt_plan_log(plan, RUNT_LOG_INFO, "cuda: nodes '%s' .. '%s' stay unfused: the device "
                      "holds no cluster of %d blocks with %u bytes of shared memory each (%s)",
                      plan->nodes[i].name, plan->nodes[i + layers - 1].name, n->k.chain.blocks,
                      n->k.chain.smem_bytes, cudaGetErrorString(e));
        (void)cudaGetLastError();
        st->chains--;
        for (int l = 0; l < layers; l++) {
            runt_status s = runt_cuda_node_plan(plan, i + l, &st->nodes[i + l]);
            if (s != RUNT_OK)
                return s;
        }
    }
    return RUNT_OK;
}

/* Every node's kernels, then the fused chains, then the totals. */
static runt_status plan_nodes(runt_cuda_state *st, const runt_plan *plan, int sm, int fuse)
{
    for (int i = 0; i < plan->n_nodes; i++) {
        runt_status s = runt_cuda_node_plan(plan, i, &st->nodes[i]);
        if (s == RUNT_OK)
            s = plan_q8_engine(st, plan, i);
        if (s != RUNT_OK)
            return runt_error_prefix(s, "node '%s' (%s)", plan->nodes[i].name,
                                     runt_op_name(plan->nodes[i].op));
    }
    runt_status s = fuse ? plan_chains(st, plan, sm) : RUNT_OK;
    for (int i = 0; s == RUNT_OK && i < plan->n_nodes; i++) {
        const runt_cuda_node *n = &st->nodes[i];
        if (n->scratch > st->scratch_bytes)
            st->scratch_bytes = n->scratch;
        st->launches += runt_cuda_node_launches(n);
    }
    return s;
}

static runt_status create_handles(runt_cuda_state *st, const runt_plan *plan, int sm)
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
    st->workspace_bytes = workspace_bytes(sm / 10);
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

/* The arena (zeroed: the warm-up run reads every input slot) and the
 * page-locked staging, one region per input and output. */
static runt_status allocate_io(runt_cuda_state *st, const runt_plan *p)
{
    int n_io = p->n_inputs + p->n_outputs;
    st->stage_offset = runt_alloc_zeroed(&st->allocator, (size_t)(n_io ? n_io : 1),
                                         sizeof *st->stage_offset);
    if (!st->stage_offset)
        return runt_error_set(RUNT_E_OOM, "out of memory for %d staging offsets", n_io);
    size_t staging = 0;
    for (int i = 0; i < n_io; i++) {
        int v = i < p->n_inputs ? p->inputs[i] : p->outputs[i - p->n_inputs];
        st->stage_offset[i] = staging;
        staging += runt_cuda_align(p->values[v].nbytes);
    }
    runt_status s = RUNT_OK;
    if (p->arena_size)
        s = runt_cuda_check(cudaMalloc((void **)&st->arena, p->arena_size),
                            "cudaMalloc(%zu bytes of arena)", p->arena_size);
    if (s == RUNT_OK && p->arena_size)
        s = runt_cuda_check(cudaMemsetAsync(st->arena, 0, p->arena_size, st->stream),
                            "clearing the arena");
    if (s == RUNT_OK && staging)
        s = runt_cuda_check(cudaMallocHost((void **)&st->staging, staging),
                            "cudaMallocHost(%zu bytes of page-locked staging)", staging);
    if (s == RUNT_OK && staging)
        memset(st->staging, 0, staging);
    return s;
}

/* Every launch of the computation, in order; profiling records an event
 * before each node and after the last. */
static runt_status enqueue_nodes(const runt_cuda_state *st, const runt_plan *p, int profile)
{
    runt_status s = RUNT_OK;
    for (int i = 0; s == RUNT_OK && i < p->n_nodes; i++) {
        if (profile)
            s = runt_cuda_check(cudaEventRecord(st->node_events[i], st->stream), "cudaEventRecord");
        if (s == RUNT_OK)
            s = runt_cuda_run_node(st, p, i, st->arena);
        if (s != RUNT_OK)
            s = runt_error_prefix(s, "node '%s' (%s)", p->nodes[i].name, runt_op_name(p->nodes[i].op));
    }
    if (s == RUNT_OK && profile)
        s = runt_cuda_check(cudaEventRecord(st->node_events[p->n_nodes], st->stream),
                            "cudaEventRecord");
    return s;
}

/* Records the computation into a graph. Never fails prepare: a failure is
 * logged and the session keeps plain launches. */
static void capture(runt_cuda_state *st, const runt_plan *p)
{
    cudaGraph_t graph = NULL;
    runt_status s = runt_cuda_check(cudaStreamBeginCapture(st->stream,
                                                           cudaStreamCaptureModeThreadLocal),
                                    "cudaStreamBeginCapture");
    if (s == RUNT_OK) {
        s = enqueue_nodes(st, p, 0);
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
        runt_plan_log(p, RUNT_LOG_DEBUG, "cuda: captured %d launches into one CUDA graph",
                      st->launches);
        return;
    }
    st->graph = NULL;
    runt_plan_log(p, RUNT_LOG_WARN, "cuda: capturing the forward pass as a CUDA graph failed "
                  "(%s); every run issues its %d launches", runt_last_error(), st->launches);
    runt_error_clear();
    (void)cudaGetLastError();
}

/* One run of the computation on the zeroed arena, so that module loading,
 * cuBLAS's first-call work and the graph's upload happen here, not in the
 * caller's first run; then the capture and one replay of it. */
static runt_status warm_up(runt_cuda_state *st, const runt_plan *p)
{
    runt_status s = enqueue_nodes(st, p, 0);
    if (s == RUNT_OK)
        s = runt_cuda_check(cudaStreamSynchronize(st->stream), "the warm-up run");
    if (s != RUNT_OK || !st->use_graphs)
        return s;
    capture(st, p);
    if (st->graph)
        s = runt_cuda_check(cudaGraphLaunch(st->graph, st->stream), "cudaGraphLaunch");
    if (s == RUNT_OK)
        s = runt_cuda_check(cudaStreamSynchronize(st->stream), "the first graph replay");
    return s;
}

static runt_status prepare_state(runt_cuda_state *st, const runt_plan *plan,
                                 const runt_session_options *o, int current)
{
    int sm = 0;
    runt_status s = pick_device(o, current, &st->device, &sm);
    if (s != RUNT_OK)
        return s;
    if (st->device != current)
        s = runt_cuda_check(cudaSetDevice(st->device), "cudaSetDevice(%d)", st->device);
    st->on_device = s == RUNT_OK;
    if (s == RUNT_OK)
        s = create_handles(st, plan, sm);
    if (s == RUNT_OK)
        s = plan_nodes(st, plan, sm, !o || o->fuse);
    if (s == RUNT_OK)
        s = runt_cuda_upload_weights(st, plan);
    if (s == RUNT_OK && st->scratch_bytes)
        s = runt_cuda_check(cudaMalloc(&st->scratch, st->scratch_bytes),
                            "cudaMalloc(%zu bytes of scratch)", st->scratch_bytes);
    if (s == RUNT_OK)
        s = allocate_io(st, plan);
    int profile = o && o->profile;
    if (s == RUNT_OK && profile)
        s = create_node_events(st);
    const runt_cuda_options *co =
        (const runt_cuda_options *)runt_backend_options_find(o, RUNT_CUDA_OPTIONS_TYPE);
    st->use_graphs = (!co || co->graphs) && !profile;
    return s == RUNT_OK ? warm_up(st, plan) : s;
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
    runt_cuda_state *st = runt_backend_state_new(options, sizeof *st, "CUDA");
    if (!st)
        return RUNT_E_OOM;
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
                  "(%d fused chain%s; %s), %zu bytes of weights, %zu of scratch", st->device,
                  runt_cuda_compute_name(plan->math), st->launches, st->chains,
                  st->chains == 1 ? "" : "s",
                  st->graph ? "replayed as one CUDA graph" : "CUDA graphs off", st->weight_bytes,
                  st->scratch_bytes);
    *state = st;
    return RUNT_OK;
}

/* ------------------------------------------------------------------------- */
/* Execute                                                                   */
/* ------------------------------------------------------------------------- */

/* Inputs (to_device) or outputs into or out of their arena slots, queued on
 * the session stream; pageable caller memory goes through the staging. */
static runt_status queue_copies(const runt_cuda_state *st, const runt_plan *p,
                                const runt_bindings *b, int to_device)
{
    int count = to_device ? p->n_inputs : p->n_outputs;
    for (int i = 0; i < count; i++) {
        const runt_plan_value *v = &p->values[to_device ? p->inputs[i] : p->outputs[i]];
        char *slot = st->arena + v->offset;
        char *host = st->staging + st->stage_offset[to_device ? i : p->n_inputs + i];
        void *theirs = to_device ? (void *)b->inputs[i] : b->outputs[i];
        if (b->io_memory == RUNT_MEMORY_HOST) {
            if (to_device)
                memcpy(host, theirs, v->nbytes);
            theirs = host;
        }
        runt_status s = runt_cuda_check(cudaMemcpyAsync(to_device ? slot : theirs,
                                                        to_device ? theirs : slot, v->nbytes,
                                                        cudaMemcpyDefault, st->stream),
                                        "copying %s '%s' (%zu bytes) %s the device",
                                        to_device ? "input" : "output", v->name, v->nbytes,
                                        to_device ? "to" : "from");
        if (s != RUNT_OK)
            return s;
    }
    return RUNT_OK;
}

static runt_status run(runt_cuda_state *st, const runt_plan *p, const runt_bindings *b)
{
    st->timed = 0;
    st->pending_outputs = NULL;
    runt_status s = queue_copies(st, p, b, 1);
    if (s == RUNT_OK)
        s = runt_cuda_check(cudaEventRecord(st->start, st->stream), "cudaEventRecord");
    if (s == RUNT_OK)
        s = st->graph ? runt_cuda_check(cudaGraphLaunch(st->graph, st->stream), "cudaGraphLaunch")
                      : enqueue_nodes(st, p, b->node_us != NULL);
    if (s == RUNT_OK)
        s = runt_cuda_check(cudaEventRecord(st->stop, st->stream), "cudaEventRecord");
    if (s == RUNT_OK)
        s = queue_copies(st, p, b, 0);
    if (s == RUNT_OK) {
        st->pending_outputs = b->outputs;
        st->pending_memory = b->io_memory;
    }
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

/* The one wait of a run; then pageable outputs leave the staging. */
static runt_status cuda_synchronize(void *state, const runt_plan *plan)
{
    runt_cuda_state *st = state;
    runt_status s = runt_cuda_check(cudaStreamSynchronize(st->stream), "cudaStreamSynchronize");
    st->timed = s == RUNT_OK;
    if (s == RUNT_OK && st->pending_outputs && st->pending_memory == RUNT_MEMORY_HOST)
        for (int i = 0; i < plan->n_outputs; i++)
            memcpy(st->pending_outputs[i], st->staging + st->stage_offset[plan->n_inputs + i],
                   plan->values[plan->outputs[i]].nbytes);
    st->pending_outputs = NULL;
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

/* Kernels and library calls of one run (a graph replays them with one
 * call; cuBLAS may split a call into more kernels). */
static int cuda_launch_count(void *state, const runt_plan *plan)
{
    (void)plan;
    return ((const runt_cuda_state *)state)->launches;
}

/* The weights uploaded (int8 ones quantized), in device memory. */
static size_t cuda_weight_bytes(void *state, const runt_plan *plan)
{
    (void)plan;
    return ((const runt_cuda_state *)state)->weight_bytes;
}

const runt_backend_i runt_backend_cuda = {
    .name = "cuda",
    .probe = runt_cuda_probe,
    .supports_node = cuda_supports_node,
    .prepare = cuda_prepare,
    .execute = cuda_execute,
    .synchronize = cuda_synchronize,
    .last_run_us = cuda_last_run_us,
    .launch_count = cuda_launch_count,
    .release = cuda_release,
    .options_type = RUNT_CUDA_OPTIONS_TYPE,
    .weight_bytes = cuda_weight_bytes,
};
