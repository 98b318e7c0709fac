/*
 * Fused chains of small Gemm layers (backends/cuda/cuda_chain.c and
 * cuda_chain.cu). Without a GPU: which nodes the planner fuses and which it
 * leaves alone, the shared-memory layout of a chain, and a host emulation
 * of the kernel's work split (each block's rows of each layer copied into
 * its own "shared memory" at the planned offsets, each layer's outputs
 * written into every block's next activation buffer) against the reference
 * backend. With a GPU: chains of every activation, both weight layouts, with
 * and without C, at batch 1 to 8 against the reference, and the launch
 * count of a ten-layer chain.
 */
#include "cuda/cuda_elem.h"
#include "cuda/cuda_lowering.h"
#include "cuda_test.h"
#include "plan.h"

typedef struct chain_spec {
    int layers;
    int64_t width[RUNT_CUDA_CHAIN_MAX_LAYERS + 2];
    runt_activation act;
    int trans_b;             /* 0: weights stored [k][n] */
    int bias;
    float alpha, beta;
} chain_spec;

/* x -> Gemm -> Gemm -> ... with the activation fused into each Gemm. */
static runt_model *chain_model(const chain_spec *c, uint64_t seed)
{
    rt_rng r = rt_rng_make(seed);
    runt_builder *b = NULL;
    runt_value_id x;
    int64_t dims[2] = {RUNT_DIM_BATCH, c->width[0]};
    RT_ASSERT(runt_builder_create(NULL, &b) == RUNT_OK, "%s", runt_last_error());
    RT_ASSERT(runt_builder_input(b, "x", RUNT_F32, 2, dims, &x) == RUNT_OK, "%s", runt_last_error());
    for (int l = 0; l < c->layers; l++) {
        int64_t k = c->width[l], n = c->width[l + 1];
        float *w = rt_random_floats(&r, (size_t)(k * n), -1.0f);
        float *bias = rt_random_floats(&r, (size_t)n, -1.0f);
        for (int64_t i = 0; i < k * n; i++)
            w[i] /= sqrtf((float)k);
        int64_t wd[2] = {c->trans_b ? n : k, c->trans_b ? k : n}, bd[1] = {n};
        runt_value_id in[3] = {x, -1, -1};
        RT_ASSERT(runt_builder_constant(b, NULL, RUNT_F32, 2, wd, w, &in[1]) == RUNT_OK, "%s",
                  runt_last_error());
        if (c->bias)
            RT_ASSERT(runt_builder_constant(b, NULL, RUNT_F32, 1, bd, bias, &in[2]) == RUNT_OK,
                      "%s", runt_last_error());
        runt_attrs a;
        runt_attrs_default(RUNT_OP_GEMM, &a);
        a.gemm.trans_b = c->trans_b;
        a.gemm.alpha = c->alpha;
        a.gemm.beta = c->beta;
        a.gemm.epilogue.act = c->act;
        a.gemm.epilogue.alpha = c->act == RUNT_ACT_CLIP ? -0.5f : 0.1f;
        a.gemm.epilogue.beta = 0.75f;
        RT_ASSERT(runt_builder_node(b, RUNT_OP_GEMM, NULL, &a, c->bias ? 3 : 2, in, 1, &x) == RUNT_OK,
                  "%s", runt_last_error());
        free(w);
        free(bias);
    }
    RT_ASSERT(runt_builder_output(b, x, "y") == RUNT_OK, "%s", runt_last_error());
    runt_model *m = NULL;
    RT_ASSERT(runt_builder_finish(b, &m) == RUNT_OK, "%s", runt_last_error());
    return m;
}

static chain_spec uniform_chain(int layers, int64_t width, runt_activation act)
{
    chain_spec c;
    memset(&c, 0, sizeof c);
    c.layers = layers;
    for (int l = 0; l <= layers; l++)
        c.width[l] = width;
    c.act = act;
    c.trans_b = 1;
    c.bias = 1;
    c.alpha = c.beta = 1.0f;
    return c;
}

typedef struct planned {
    runt_plan *plan;
    runt_cuda_node *nodes;
    int chains;
} planned;

static planned plan_chains(const runt_model *m, int64_t batch, int sm, runt_math_mode math)
{
    runt_plan_config pc;
    memset(&pc, 0, sizeof pc);
    pc.batch = batch;
    pc.fuse = 1;
    pc.io_in_arena = 1;
    pc.compute_dtype = RUNT_F32;
    pc.math = math;
    planned p;
    RT_ASSERT(runt_plan_create(m, &pc, NULL, &p.plan) == RUNT_OK, "plan: %s", runt_last_error());
    p.nodes = calloc((size_t)p.plan->n_nodes, sizeof *p.nodes);
    for (int i = 0; i < p.plan->n_nodes; i++)
        RT_ASSERT(runt_cuda_node_plan(p.plan, i, &p.nodes[i]) == RUNT_OK, "%s", runt_last_error());
    p.chains = runt_cuda_plan_chains(p.plan, p.nodes, sm);
    return p;
}

static void planned_free(planned *p)
{
    free(p->nodes);
    runt_plan_destroy(p->plan, NULL);
}

RT_TEST(cuda_chain, the_planner_fuses_what_fits_and_nothing_else)
{
    /* seed1_model3's shape: ten Linear(100) at batch 1: one chain, one launch. */
    chain_spec c = uniform_chain(10, 100, RUNT_ACT_NONE);
    runt_model *m = chain_model(&c, 1);
    planned p = plan_chains(m, 1, 90, RUNT_MATH_F32);
    RT_ASSERT(p.chains == 1 && p.nodes[0].kind == RUNT_CUDA_K_CHAIN &&
                  p.nodes[0].k.chain.n_layers == 10, "one chain of 10: %d chains", p.chains);
    int launches = 0;
    for (int i = 0; i < p.plan->n_nodes; i++) {
        launches += runt_cuda_node_launches(&p.nodes[i]);
        RT_ASSERT(i == 0 || p.nodes[i].kind == RUNT_CUDA_K_CHAINED, "node %d chained", i);
    }
    RT_ASSERT(launches == 1, "one launch per run, not %d", launches);
    const runt_cuda_chain *k = &p.nodes[0].k.chain;
    RT_ASSERT(k->rows == 1 && k->blocks == RUNT_CUDA_CHAIN_BLOCKS, "rows %d blocks %d", k->rows,
              k->blocks);
    /* Layout: layers one after the other, activations after them, all inside. */
    for (int l = 0; l < k->n_layers; l++) {
        const runt_cuda_chain_layer *L = &k->layer[l];
        RT_ASSERT(L->rows_per_block * k->blocks >= L->n && (L->rows_per_block - 1) * k->blocks < L->n,
                  "layer %d: %d rows per block for %d outputs", l, L->rows_per_block, L->n);
        uint32_t end = l + 1 < k->n_layers ? k->layer[l + 1].w_smem : k->act_smem;
        RT_ASSERT(L->w_smem % 4 == 0 && end - L->w_smem >= (uint32_t)(L->rows_per_block * L->k),
                  "layer %d region [%u, %u)", l, L->w_smem, end);
    }
    RT_ASSERT((k->act_smem + 2u * k->rows * k->max_width) * sizeof(float) == k->smem_bytes &&
                  k->smem_bytes <= RUNT_CUDA_CHAIN_SMEM_MAX, "smem %u", k->smem_bytes);
    planned_free(&p);

    /* No clusters before sm_90; reduced-precision sessions keep cuBLAS. */
    p = plan_chains(m, 1, 80, RUNT_MATH_F32);
    RT_ASSERT(p.chains == 0 && p.nodes[0].kind == RUNT_CUDA_K_GEMM, "sm_80: no chain");
    planned_free(&p);
    p = plan_chains(m, 1, 90, RUNT_MATH_TF32);
    RT_ASSERT(p.chains == 0, "TF32: no chain");
    planned_free(&p);
    /* More rows than a chain takes. */
    p = plan_chains(m, RUNT_CUDA_CHAIN_MAX_ROWS + 1, 90, RUNT_MATH_F32);
    RT_ASSERT(p.chains == 0, "batch %d: no chain", RUNT_CUDA_CHAIN_MAX_ROWS + 1);
    planned_free(&p);
    p = plan_chains(m, RUNT_CUDA_CHAIN_MAX_ROWS, 90, RUNT_MATH_F32);
    RT_ASSERT(p.chains == 1, "batch %d: a chain", RUNT_CUDA_CHAIN_MAX_ROWS);
    planned_free(&p);
    runt_model_free(m);

    /* seed1_model1 (1000-10-1000-1): a layer of more than
     * RUNT_CUDA_CHAIN_MAX_N outputs stays cuBLAS and splits the chain. */
    chain_spec wide = uniform_chain(3, 10, RUNT_ACT_RELU);
    wide.width[0] = 1000, wide.width[2] = 1000, wide.width[3] = 1;
    m = chain_model(&wide, 2);
    p = plan_chains(m, 1, 90, RUNT_MATH_F32);
    RT_ASSERT(p.chains == 2 && p.nodes[0].kind == RUNT_CUDA_K_CHAIN &&
                  p.nodes[1].kind == RUNT_CUDA_K_GEMM && p.nodes[2].kind == RUNT_CUDA_K_CHAIN,
              "1000-10-1000-1: chain, cuBLAS, chain (%d chains)", p.chains);
    planned_free(&p);
    runt_model_free(m);
    /* A layer of 3000 outputs stays cuBLAS between two chains; one of 3000
     * inputs and 100 outputs (13 rows of 12 KB per block) chains. */
    chain_spec big = uniform_chain(3, 64, RUNT_ACT_RELU);
    big.width[0] = 128, big.width[2] = 3000, big.width[3] = 100;
    m = chain_model(&big, 3);
    p = plan_chains(m, 1, 90, RUNT_MATH_F32);
    RT_ASSERT(p.chains == 2 && p.nodes[0].kind == RUNT_CUDA_K_CHAIN &&
                  p.nodes[1].kind == RUNT_CUDA_K_GEMM && p.nodes[2].kind == RUNT_CUDA_K_CHAIN,
              "chain, cuBLAS, chain: %d %d %d", (int)p.nodes[0].kind, (int)p.nodes[1].kind,
              (int)p.nodes[2].kind);
    planned_free(&p);
    runt_model_free(m);
    /* Weights past a block's shared memory: 4096 inputs x 128 outputs is 16
     * rows of 16 KB, 256 KB per block. */
    chain_spec deep = uniform_chain(1, 128, RUNT_ACT_RELU);
    deep.width[0] = 4096;
    m = chain_model(&deep, 6);
    p = plan_chains(m, 1, 90, RUNT_MATH_F32);
    RT_ASSERT(p.chains == 0, "256 KB of rows per block: no chain");
    planned_free(&p);
    runt_model_free(m);
    /* One Gemm with neither C nor activation is one launch already. */
    chain_spec bare = uniform_chain(1, 100, RUNT_ACT_NONE);
    bare.bias = 0;
    m = chain_model(&bare, 4);
    p = plan_chains(m, 1, 90, RUNT_MATH_F32);
    RT_ASSERT(p.chains == 0 && p.nodes[0].kind == RUNT_CUDA_K_GEMM, "nothing to save: no chain");
    planned_free(&p);
    runt_model_free(m);
}

/* A layer's output read by two nodes, or given to the caller, ends a chain. */
RT_TEST(cuda_chain, a_value_read_elsewhere_ends_the_chain)
{
    rt_rng r = rt_rng_make(9);
    runt_builder *b = NULL;
    runt_value_id x, h, y;
    int64_t dims[2] = {RUNT_DIM_BATCH, 16};
    float *w = rt_random_floats(&r, 256, -1.0f);
    RT_ASSERT(runt_builder_create(NULL, &b) == RUNT_OK, "%s", runt_last_error());
    RT_ASSERT(runt_builder_input(b, "x", RUNT_F32, 2, dims, &x) == RUNT_OK, "%s", runt_last_error());
    RT_ASSERT(runt_builder_linear(b, x, 16, 16, w, w, &h) == RUNT_OK, "%s", runt_last_error());
    RT_ASSERT(runt_builder_linear(b, h, 16, 16, w, w, &y) == RUNT_OK, "%s", runt_last_error());
    RT_ASSERT(runt_builder_output(b, h, "h") == RUNT_OK, "%s", runt_last_error());
    RT_ASSERT(runt_builder_output(b, y, "y") == RUNT_OK, "%s", runt_last_error());
    runt_model *m = NULL;
    RT_ASSERT(runt_builder_finish(b, &m) == RUNT_OK, "%s", runt_last_error());
    free(w);
    planned p = plan_chains(m, 1, 90, RUNT_MATH_F32);
    RT_ASSERT(p.chains == 2 && p.nodes[0].k.chain.n_layers == 1 && p.nodes[1].k.chain.n_layers == 1,
              "h is an output: two chains of one, not one of two (%d)", p.chains);
    planned_free(&p);
    runt_model_free(m);
}

/* The kernel's work split on the host: block b copies its rows of every
 * layer to its shared memory at the planned offsets and writes each output
 * into every block's next activation buffer, as cuda_chain.cu does. */
static void emulate_chain(const runt_cuda_chain *k, const float *const *w, const float *const *c,
                          const float *x, float *y)
{
    float **smem = calloc((size_t)k->blocks, sizeof *smem);
    for (int b = 0; b < k->blocks; b++) {
        smem[b] = calloc(k->smem_bytes / sizeof(float), sizeof(float));
        memcpy(smem[b] + k->act_smem, x, (size_t)k->rows * k->layer[0].k * sizeof(float));
        for (int l = 0; l < k->n_layers; l++) {
            const runt_cuda_chain_layer *L = &k->layer[l];
            for (int r = 0; r < L->rows_per_block && b * L->rows_per_block + r < L->n; r++)
                for (int p = 0; p < L->k; p++) {
                    int j = b * L->rows_per_block + r;
                    smem[b][L->w_smem + r * L->k + p] = L->w_kn ? w[l][p * L->n + j] : w[l][j * L->k + p];
                }
        }
    }
    for (int l = 0; l < k->n_layers; l++) {
        const runt_cuda_chain_layer *L = &k->layer[l];
        size_t in = k->act_smem + (size_t)(l & 1) * k->rows * k->max_width;
        size_t next = k->act_smem + (size_t)((l + 1) & 1) * k->rows * k->max_width;
        for (int b = 0; b < k->blocks; b++)
            for (int r = 0; r < L->rows_per_block && b * L->rows_per_block + r < L->n; r++) {
                int j = b * L->rows_per_block + r;
                for (int row = 0; row < k->rows; row++) {
                    float acc = 0.0f;
                    for (int p = 0; p < L->k; p++)
                        acc += smem[b][L->w_smem + r * L->k + p] * smem[b][in + row * L->k + p];
                    float v = L->alpha * acc;
                    if (c[l])
                        v = v + L->beta * c[l][j];
                    v = runt_cuda_act(v, L->act);
                    if (l == k->n_layers - 1)
                        y[row * L->n + j] = v;
                    else
                        for (int dst = 0; dst < k->blocks; dst++)
                            smem[dst][next + row * L->n + j] = v;
                }
            }
    }
    for (int b = 0; b < k->blocks; b++)
        free(smem[b]);
    free(smem);
}

RT_TEST(cuda_chain, the_emulated_work_split_matches_the_reference)
{
    static const runt_activation acts[] = {RUNT_ACT_NONE, RUNT_ACT_RELU, RUNT_ACT_CLIP,
                                           RUNT_ACT_GELU_TANH, RUNT_ACT_SIGMOID};
    for (int t = 0; t < 10; t++) {
        chain_spec c = uniform_chain(1 + t % 4, 9 + 7 * t, acts[t % 5]);
        c.width[0] = 5 + 31 * t;
        c.width[c.layers] = 1 + t;
        c.trans_b = t % 2;
        c.bias = t % 3 != 2;
        c.alpha = t % 4 == 3 ? 0.5f : 1.0f;
        c.beta = t % 4 == 1 ? 2.0f : 1.0f;
        int64_t batch = 1 + t % RUNT_CUDA_CHAIN_MAX_ROWS;
        runt_model *m = chain_model(&c, 20 + t);
        planned p = plan_chains(m, batch, 90, RUNT_MATH_F32);
        RT_ASSERT(p.chains == 1 && p.nodes[0].k.chain.n_layers == c.layers, "case %d: one chain", t);
        const float *w[RUNT_CUDA_CHAIN_MAX_LAYERS], *cv[RUNT_CUDA_CHAIN_MAX_LAYERS];
        for (int l = 0; l < c.layers; l++) {
            const runt_plan_node *pn = &p.plan->nodes[l];
            w[l] = p.plan->values[pn->inputs[1]].data;
            cv[l] = pn->n_inputs > 2 && pn->inputs[2] >= 0 ? p.plan->values[pn->inputs[2]].data : NULL;
        }
        size_t nx = (size_t)(batch * c.width[0]), ny = (size_t)(batch * c.width[c.layers]);
        float *x = malloc(nx * sizeof *x), *y = malloc(ny * sizeof *y), *want = malloc(ny * sizeof *y);
        rt_rng r = rt_rng_make(30 + (uint64_t)t);
        rt_fill_uniform(&r, x, nx, -1, 1);
        emulate_chain(&p.nodes[0].k.chain, w, cv, x, y);

        runt_session_options o = runt_session_options_default();
        o.backend = "ref";
        o.batch = batch;
        runt_session *s;
        RT_ASSERT(runt_session_create(m, &o, &s) == RUNT_OK, "%s", runt_last_error());
        int64_t xd[2] = {batch, c.width[0]}, yd[2] = {batch, c.width[c.layers]};
        runt_tensor tx = rt_tensor_f32(x, 2, xd), ty = rt_tensor_f32(want, 2, yd);
        RT_ASSERT(runt_session_run(s, &tx, 1, &ty, 1) == RUNT_OK, "%s", runt_last_error());
        double *wd = malloc(ny * sizeof *wd);
        for (size_t i = 0; i < ny; i++)
            wd[i] = want[i];
        double e = rt_norm_max_error(y, wd, ny, 1e-6);
        RT_ASSERT(e <= CT_BOUND_F32, "case %d (%d layers, trans_b %d, batch %lld): %g", t,
                  c.layers, c.trans_b, (long long)batch, e);
        runt_session_free(s);
        free(x), free(y), free(want), free(wd);
        planned_free(&p);
        runt_model_free(m);
    }
}

RT_TEST(cuda_chain, chains_on_the_gpu_match_the_reference)
{
    CT_REQUIRE_GPU();
    static const runt_activation acts[] = {RUNT_ACT_NONE, RUNT_ACT_RELU, RUNT_ACT_LEAKY_RELU,
                                           RUNT_ACT_CLIP, RUNT_ACT_TANH, RUNT_ACT_GELU};
    for (int t = 0; t < 12; t++) {
        chain_spec c = uniform_chain(1 + t % 5, 17 + 9 * t, acts[t % 6]);
        c.width[0] = 3 + 41 * t;
        /* At least 8 outputs: the error is normalized by the largest, and
         * one small output alone would measure cancellation, not the kernel. */
        c.width[c.layers] = 8 + 3 * t;
        c.trans_b = t % 3 != 1;
        c.bias = t % 4 != 3;
        c.alpha = t % 5 == 4 ? 0.25f : 1.0f;
        c.beta = t % 5 == 2 ? 1.5f : 1.0f;
        runt_model *m = chain_model(&c, 60 + t);
        for (int64_t batch = 1; batch <= RUNT_CUDA_CHAIN_MAX_ROWS; batch += 3 + t % 2) {
            oc_config gpu = oc_config_make("cuda", batch), ref = oc_config_make("ref", batch);
            gpu.runs = 3; /* the replayed graph too */
            double e = oc_compare(m, &gpu, &ref, 70 + t, NULL);
            RT_ASSERT(e <= CT_BOUND_F32, "case %d (%d layers, trans_b %d, batch %lld): %g", t,
                      c.layers, c.trans_b, (long long)batch, e);
        }
        runt_model_free(m);
    }
}

RT_TEST(cuda_chain, a_ten_layer_chain_is_one_launch)
{
    CT_REQUIRE_GPU();
    chain_spec c = uniform_chain(10, 100, RUNT_ACT_NONE);
    runt_model *m = chain_model(&c, 5);
    runt_session_options o = runt_session_options_default();
    o.backend = "cuda";
    runt_session *s;
    RT_ASSERT(runt_session_create(m, &o, &s) == RUNT_OK, "%s", runt_last_error());
    runt_session_stats st;
    RT_ASSERT(runt_session_stats_get(s, &st) == RUNT_OK, "%s", runt_last_error());
    runt_device_info d;
    ct_cuda_info(&d);
    /* One launch where the device has clusters; 20 (cuBLAS + epilogue per
     * layer) where it does not. */
    RT_ASSERT(st.launches == 1 || st.launches == 20, "%d launches on %s", st.launches, d.name);
    runt_session_free(s);
    o.fuse = 0;
    RT_ASSERT(runt_session_create(m, &o, &s) == RUNT_OK, "%s", runt_last_error());
    RT_ASSERT(runt_session_stats_get(s, &st) == RUNT_OK && st.launches == 20,
              "fuse 0 keeps cuBLAS + the bias epilogue per layer: %d", st.launches);
    runt_session_free(s);
    runt_model_free(m);
}
