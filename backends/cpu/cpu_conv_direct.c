/*
 * Direct convolution at stride 1 (conv_direct.h has the tile and why it
 * works on the padded grid): per image, the input is copied once into
 * padded channels (the halo and a tail of zeros written out, so no tile
 * tests a border), then tiles of mr output channels x q_tile positions run
 * in parallel, each written out row by row to Y with the epilogue.
 *
 * Against im2col + GEMM it reads each input pixel where it lies instead of
 * copying it kh * kw times into a matrix that is then packed, and needs no
 * scratch beyond one padded copy of the input.
 *
 * The int8 path (below) runs the same tiles on a quantized copy of the
 * input with its channels interleaved by 4, for AVX-512 VNNI.
 *
 * Which one runs (runt_cpu_conv_direct_wanted) was measured with
 * RUNT_CPU_CONV=direct and =gemm side by side; see the comment there.
 */
#include <stdlib.h>
#include <string.h>

#include "conv_direct.h"
#include "cpu_impl.h"
#include "q8_impl.h"

static size_t round16(size_t n) { return (n + 15) / 16 * 16; }

int runt_cpu_conv_direct_kernels(int tier, const runt_conv_direct_kernel **out)
{
    const runt_conv_direct_kernel *k[RUNT_CONV_DIRECT_KERNELS] = {NULL, NULL};
#if defined(__x86_64__) || defined(_M_X64)
    if (tier >= RUNT_CPU_TIER_WIDE && runt_conv_direct_avx512.run)
        k[0] = &runt_conv_direct_avx512, k[1] = &runt_conv_direct_avx512_narrow;
    else if (tier >= RUNT_CPU_TIER_SIMD)
        k[0] = &runt_conv_direct_avx2;
#elif defined(__aarch64__)
    if (tier >= RUNT_CPU_TIER_SIMD)
        k[0] = &runt_conv_direct_neon;
#else
    (void)tier;
#endif
    int n = 0;
    for (int j = 0; j < RUNT_CONV_DIRECT_KERNELS; j++)
        if (k[j] && k[j]->run)
            out[n++] = k[j];
    return n;
}

/* Where the padded input puts things, and how the work splits. */
typedef struct direct_geometry {
    runt_cpu_conv_shape s;
    int64_t pad_top, pad_left, hp, wp, dil_y, dil_x;
    int64_t span;            /* oh * wp flat output positions                 */
    int64_t row_tiles;       /* tiles per output row; 0: tiles run over the
                                flat span, across rows                        */
    int64_t tiles;           /* of q_tile positions covering the output       */
    int64_t blocks;          /* of mr output channels per group               */
    int64_t plane;           /* floats per padded channel, tail included       */
    int n_taps;
    int64_t taps[RUNT_CONV_DIRECT_MAX_TAPS];
} direct_geometry;

static int64_t ceil_div(int64_t a, int64_t b) { return (a + b - 1) / b; }

/* How tiles of q_tile positions cover the output. Over the flat span a
 * tile computes the wp - ow padding columns of every row it crosses; tiles
 * that start at each row skip them but round each row up to whole tiles.
 * The layout that computes fewer positions wins: a 32-wide 3x3 with 32
 * positions a tile computes 32 of every 32 in rows, 34 flat. */
static void tile_layout(direct_geometry *g, int q_tile)
{
    int64_t flat = ceil_div(g->span, q_tile), per_row = ceil_div(g->s.ow, q_tile);
    g->row_tiles = g->s.oh * per_row < flat ? per_row : 0;
    g->tiles = g->row_tiles ? g->s.oh * per_row : flat;
}

/* The first and one-past-last flat position of tile ti: within one output
 * row when tiles run per row. */
static void tile_span(const direct_geometry *g, int q_tile, int64_t ti, int64_t *q0, int64_t *q1)
{
    if (g->row_tiles) {
        int64_t oy = ti / g->row_tiles, start = ti % g->row_tiles * q_tile;
        *q0 = oy * g->wp + start;
        *q1 = *q0 + (g->s.ow - start < q_tile ? g->s.ow - start : q_tile);
    } else {
        *q0 = ti * q_tile;
        *q1 = *q0 + q_tile < g->span ? *q0 + q_tile : g->span;
    }
}

/* 0 when node i's attributes fall outside the direct path. */
static int geometry_of(const runt_plan *p, int i, int mr, int q_tile, direct_geometry *g)
{
    const runt_conv_attrs *a = &p->nodes[i].attrs.conv;
    const runt_cpu_conv_shape s = runt_cpu_conv_shape_of(p, i);
    if (a->strides[0] != 1 || a->strides[1] != 1 || s.kh * s.kw > RUNT_CONV_DIRECT_MAX_TAPS)
        return 0;
    for (int j = 0; j < 4; j++)
        if (a->pads[j] < 0)
            return 0;
    if (a->dilations[0] < 1 || a->dilations[1] < 1)
        return 0;
    g->s = s;
    g->pad_top = a->pads[0], g->pad_left = a->pads[1];
    g->hp = s.h + a->pads[0] + a->pads[2];
    g->wp = s.w + a->pads[1] + a->pads[3];
    g->dil_y = a->dilations[0], g->dil_x = a->dilations[1];
    /* The plan's output sizes are what stride 1 gives; anything else is a
     * shape the reference kernel reports. */
    if (s.oh != g->hp - (s.kh - 1) * g->dil_y || s.ow != g->wp - (s.kw - 1) * g->dil_x ||
        s.oh < 1 || s.ow < 1)
        return 0;
    g->span = s.oh * g->wp;
    tile_layout(g, q_tile);
    g->blocks = ceil_div(s.mg, mr);
    g->n_taps = (int)(s.kh * s.kw);
    for (int64_t ky = 0; ky < s.kh; ky++)
        for (int64_t kx = 0; kx < s.kw; kx++)
            g->taps[ky * s.kw + kx] = ky * g->dil_y * g->wp + kx * g->dil_x;
    /* The last tile reads q_tile positions past its start at every tap. */
    int64_t q0, q1;
    tile_span(g, q_tile, g->tiles - 1, &q0, &q1);
    g->plane = (int64_t)round16((size_t)(q0 + q_tile + g->taps[g->n_taps - 1]));
    return 1;
}

/* Output values a kernel computes for node i: whole blocks of mr channels
 * times whole tiles. */
static double computed(const direct_geometry *g, const runt_conv_direct_kernel *k)
{
    return (double)(g->s.group * g->blocks * k->mr) * (double)(g->tiles * k->q_tile);
}

/* Of the tier's kernels, the one that computes the fewest values node i
 * throws away (its geometry in g), the first on a tie; NULL when the node
 * falls outside the direct path. The kernels run at about the same rate
 * per computed value (measured in bench/results/2026-12-06-conv-rows/), so
 * fewer computed values is less time. */
static const runt_conv_direct_kernel *direct_kernel(int tier, const runt_plan *p, int i,
                                                    direct_geometry *g)
{
    const runt_conv_direct_kernel *k[RUNT_CONV_DIRECT_KERNELS], *best = NULL;
    int n = runt_cpu_conv_direct_kernels(tier, k);
    for (int j = 0; j < n; j++) {
        direct_geometry gj;
        if (geometry_of(p, i, k[j]->mr, k[j]->q_tile, &gj) &&
            (!best || computed(&gj, k[j]) < computed(g, best))) {
            best = k[j];
            *g = gj;
        }
    }
    return best;
}

/* The geometry of a node the int8 _wanted function accepted for its kernel
 * (geometry_of returned 1 there). */
static direct_geometry accepted_geometry(const runt_plan *p, int i, int mr, int q_tile)
{
    direct_geometry g;
    geometry_of(p, i, mr, q_tile, &g);
    return g;
}

/* Unit u of a run's tile loop, (image group, tile, block) with blocks
 * innermost: a chunk of consecutive units reads one tile's input for
 * several output channel blocks (tile_grain). An image group gi counts the
 * groups of every image of the pass (image gi / group, the weights of
 * group gw = gi % group): the padded inputs and the outputs of a pass's
 * images follow each other as the groups of one image do. Output channels
 * [gi * mg + oc0, + mr) of positions [q0, q1) of the flat span. */
typedef struct direct_unit {
    int64_t gi, gw, bl, oc0, mr, q0, q1;
} direct_unit;

static direct_unit unit_of(const direct_geometry *g, int mr, int q_tile, int64_t u)
{
    direct_unit d;
    d.bl = u % g->blocks;
    d.gi = u / (g->blocks * g->tiles);
    d.gw = d.gi % g->s.group;
    d.oc0 = d.bl * mr;
    d.mr = g->s.mg - d.oc0 < mr ? g->s.mg - d.oc0 : mr;
    tile_span(g, q_tile, u / g->blocks % g->tiles, &d.q0, &d.q1);
    return d;
}

/* Images whose padded copies one pass of a run holds: as many as fit in
 * DIRECT_PASS_BYTES, at least one. A batch of small images then runs as
 * one parallel loop instead of two per image: Conv2d(1, 12, 5x5) on 32x32
 * at batch 32 spent more time handing its 64 loops to the threads than in
 * the tiles. */
#define DIRECT_PASS_BYTES ((int64_t)4 << 20)

static int64_t images_per_pass(const runt_cpu_conv_shape *s, int64_t bytes_per_image)
{
    int64_t k = DIRECT_PASS_BYTES / (bytes_per_image > 0 ? bytes_per_image : 1);
    return k < 1 ? 1 : k < s->n ? k : s->n;
}

/* Floats of one image's padded copy (f32 path): prepare sizes the scratch
 * and run splits the batch with this one figure. */
static int64_t f32_image_floats(const direct_geometry *g) { return g->s.c * g->plane; }

/* Units per chunk of a run's tile loop: half of one tile's blocks. Whole
 * tiles (the chunk that keeps a tile's input in cache for all its output
 * channels) left one thread idle behind the other at the end: Conv2d(C, C,
 * 3x3) on 32x32 at batch 1, 2 threads, Zen 5 VM, alternating runs, half a
 * tile per chunk against a whole one: f32 C 32 / 64 / 128 0.93 / 0.88-0.92
 * / 0.94-0.95 of the time, int8 C 16 / 32 / 64 / 128 0.93-0.95 / 0.90 /
 * 0.91 / 0.93; a quarter of a tile measured the same in f32 and 2-5 %
 * slower in int8. The input tile, read again by the other half, is in L2. */
static int64_t tile_grain(const direct_geometry *g) { return (g->blocks + 1) / 2; }

/* RUNT_CPU_CONV=direct or =gemm forces one path wherever both can run (for
 * the bench's side-by-side measurement and the tests); unset, the rule. */
static int forced_path(void)
{
    const char *env = getenv("RUNT_CPU_CONV");
    if (!env || !*env)
        return -1;
    if (!strcmp(env, "direct"))
        return 1;
    if (!strcmp(env, "gemm"))
        return 0;
    return -1;
}

/* The path for a conv the direct kernel can run: RUNT_CPU_CONV's where it
 * is set, else never for a 1x1 at stride 1 without padding (a plain GEMM on
 * X, direct 0.2-0.99x in the measurements below), else the rule's. */
static int path_chosen(const direct_geometry *g, int rule)
{
    int forced = forced_path();
    if (forced >= 0)
        return forced;
    return !g->s.pointwise && rule;
}

int runt_cpu_conv_direct_wanted(const runt_cpu_state *st, const runt_plan *p, int i)
{
    direct_geometry g;
    const runt_conv_direct_kernel *k = direct_kernel(st->tier, p, i, &g);
    if (!k || p->values[p->nodes[i].inputs[1]].storage != RUNT_STORE_CONSTANT)
        return 0;
    /* Measured (bench/results/2026-12-05-conv-direct/, Conv2d(C, max(C, 8),
     * k) on HxH, C 3..128, H 8..56, k 1/3/5, 1 thread, AVX-512 and AVX2):
     * direct is 1.2-5.9x faster than im2col + GEMM for k 3 and 5 except
     * where it computes many positions it throws away while the GEMM has
     * many rows: 8x8 images with 128 outputs (0.88-0.91x). */
    double used = (double)(g.s.oh * g.s.ow) / (double)(g.tiles * k->q_tile);
    return path_chosen(&g, !(g.s.mg >= 128 && used < 0.75));
}

/* What a direct conv's weight packing reads. */
typedef struct direct_pack_job {
    const direct_geometry *g;
    int mr;
    const void *w;           /* f32 W, or the int8 path's runt_q8_weights    */
} direct_pack_job;

/* packed[group][block][c][tap][m] = W[group * mg + block * mr + m][c][tap],
 * zero past mg: a block's last channels compute zeros, not read past W. */
static runt_status direct_pack_fill(void *ctx, void *packed, size_t bytes)
{
    const direct_pack_job *j = ctx;
    const direct_geometry *g = j->g;
    const runt_cpu_conv_shape *s = &g->s;
    const float *w = j->w;
    int64_t per_block = s->cg * g->n_taps * j->mr;
    (void)bytes;
    for (int64_t gi = 0; gi < s->group; gi++)
        for (int64_t bl = 0; bl < g->blocks; bl++) {
            float *dst = (float *)packed + (gi * g->blocks + bl) * per_block;
            for (int64_t c = 0; c < s->cg; c++)
                for (int t = 0; t < g->n_taps; t++)
                    for (int m = 0; m < j->mr; m++) {
                        int64_t oc = bl * j->mr + m;
                        *dst++ = oc < s->mg ? w[((gi * s->mg + oc) * s->cg + c) * g->n_taps + t]
                                            : 0.0f;
                    }
        }
    return RUNT_OK;
}

/* A direct conv's weights in blocks of mr output channels, made from
 * source by fill and shared with the model's sessions (cpu_alloc.c): the
 * geometry and the block height decide the bytes. */
static runt_status direct_share(runt_cpu_state *st, const runt_plan *p, const direct_geometry *g,
                                int mr, const void *source, runt_cpu_layout layout, size_t bytes,
                                runt_weight_fill_fn fill, void **out)
{
    const runt_cpu_conv_shape *s = &g->s;
    direct_pack_job job = {g, mr, source};
    const int64_t key[6] = {s->group, s->mg, s->cg, g->n_taps, mr, g->blocks};
    return runt_cpu_weights_share(st, p, source, layout, key, bytes, fill, &job, out);
}

runt_status runt_cpu_conv_direct_prepare(runt_cpu_state *st, const runt_plan *p, int i)
{
    runt_cpu_node *cn = &st->nodes[i];
    direct_geometry g;
    const runt_conv_direct_kernel *k = direct_kernel(st->tier, p, i, &g);
    const runt_cpu_conv_shape *s = &g.s;
    const float *w = p->values[p->nodes[i].inputs[1]].data;
    size_t bytes = (size_t)(s->group * g.blocks * s->cg * g.n_taps * k->mr) * sizeof(float);
    runt_status rc = direct_share(st, p, &g, k->mr, w, RUNT_CPU_W_CONV_DIRECT, bytes,
                                  direct_pack_fill, (void **)&cn->packed);
    if (rc != RUNT_OK)
        return rc;
    cn->kind = RUNT_CPU_K_CONV_DIRECT;
    int64_t per_image = f32_image_floats(&g);
    cn->scratch_floats =
        round16((size_t)(images_per_pass(s, per_image * (int64_t)sizeof(float)) * per_image));
    return RUNT_OK;
}

typedef struct direct_run {
    const direct_geometry *g;
    const runt_conv_direct_kernel *k;
    const float *x;          /* the pass's images' channels                   */
    float *xp;               /* their padded copies                           */
    const float *packed, *bias;
    float *y;                /* the pass's images' output channels            */
    const runt_epilogue *epilogue;
    runt_cpu_map_fn map;
} direct_run;

/* Padded channels [lo, hi) of the pass's images, one after the other:
 * zeros everywhere (the halo and the tail), then the rows of the image
 * over them. One memset per channel, not one per pad of every row: a
 * 32x32 image padded by 1 made 64 calls of 4 bytes. */
static void pad_body(void *ctx, int64_t lo, int64_t hi, int slot)
{
    const direct_run *r = ctx;
    const direct_geometry *g = r->g;
    int64_t w = g->s.w;
    (void)slot;
    for (int64_t c = lo; c < hi; c++) {
        const float *src = r->x + c * g->s.h * w;
        float *dst = r->xp + c * g->plane;
        memset(dst, 0, (size_t)g->plane * sizeof(float));
        for (int64_t y = 0; y < g->s.h; y++)
            memcpy(dst + (g->pad_top + y) * g->wp + g->pad_left, src + y * w,
                   (size_t)w * sizeof(float));
    }
}

/* Tile [q0, q1) of output channel row `out` into Y's plane `dst`: the
 * epilogue's activation on the whole row where it lies (padding columns
 * included, thrown away after), then the positions with ox < ow, a run per
 * output row. Activating the runs in Y instead was a call per run (6
 * floats on a 6-wide image) whose loads waited on the copy's stores. */
static void write_tile_row(const direct_geometry *g, float *out, int64_t q0, int64_t q1,
                           float *dst, const runt_epilogue *e, runt_cpu_map_fn map)
{
    map(out, out, q1 - q0, e);
    for (int64_t q = q0; q < q1;) {
        int64_t oy = q / g->wp, ox = q % g->wp;
        int64_t run = g->wp - ox < q1 - q ? g->wp - ox : q1 - q;
        if (ox < g->s.ow) {
            int64_t n = g->s.ow - ox < run ? g->s.ow - ox : run;
            memcpy(dst + oy * g->s.ow + ox, out + (q - q0), (size_t)n * sizeof(float));
        }
        q += run;
    }
}

/* The units unit_of numbers. */
static void tile_body(void *ctx, int64_t lo, int64_t hi, int slot)
{
    const direct_run *r = ctx;
    const direct_geometry *g = r->g;
    const runt_cpu_conv_shape *s = &g->s;
    const runt_conv_direct_kernel *k = r->k;
    float out[RUNT_CONV_DIRECT_MAX_TILE];
    float bias[RUNT_CONV_DIRECT_MAX_TILE];
    (void)slot;
    for (int64_t u = lo; u < hi; u++) {
        const direct_unit d = unit_of(g, k->mr, k->q_tile, u);
        int64_t oc0 = d.gi * s->mg + d.oc0, bias0 = d.gw * s->mg + d.oc0;
        for (int m = 0; m < k->mr; m++)
            bias[m] = r->bias && m < d.mr ? r->bias[bias0 + m] : 0.0f;
        /* A whole tile of a whole block within one output row is written
         * by the kernel straight into Y; any other goes through out. */
        float *planes = r->y + oc0 * s->oh * s->ow;
        int64_t at = d.q0 / g->wp * s->ow + d.q0 % g->wp, ld = s->oh * s->ow;
        int in_y = g->row_tiles && d.mr == k->mr && d.q1 - d.q0 == k->q_tile;
        runt_conv_direct_tile t = {
            r->xp + d.gi * s->cg * g->plane + d.q0, g->plane, s->cg, g->taps, g->n_taps,
            r->packed + (d.gw * g->blocks + d.bl) * s->cg * g->n_taps * k->mr, bias,
            in_y ? planes + at : out, in_y ? ld : k->q_tile};
        k->run(&t);
        for (int64_t m = 0; m < d.mr; m++) {
            if (in_y)
                r->map(planes + m * ld + at, planes + m * ld + at, k->q_tile, r->epilogue);
            else
                write_tile_row(g, out + m * k->q_tile, d.q0, d.q1, planes + m * ld, r->epilogue,
                               r->map);
        }
    }
}

/* A run's tensors and threads (the product is split from
 * RUNT_CPU_PARALLEL_MIN_FLOPS, as every GEMM). */
typedef struct direct_io {
    const float *x, *bias;
    float *y;
    int threads;
    float *scratch;          /* the padded input's copy                       */
} direct_io;

static direct_io io_of(const runt_cpu_state *st, const runt_plan *p, int i,
                       const runt_bindings *b, const direct_geometry *g)
{
    const runt_plan_node *n = &p->nodes[i];
    const runt_cpu_conv_shape *s = &g->s;
    double flops = 2.0 * (double)(s->m * s->oh * s->ow) * (double)(s->cg * g->n_taps);
    direct_io io = {runt_plan_value_ptr(p, b, n->inputs[0]),
                    n->n_inputs > 2 && n->inputs[2] >= 0 ? runt_plan_value_ptr(p, b, n->inputs[2])
                                                         : NULL,
                    runt_plan_value_ptr(p, b, n->outputs[0]),
                    flops < RUNT_CPU_PARALLEL_MIN_FLOPS ? 1 : st->threads,
                    runt_cpu_scratch(b)};
    return io;
}

runt_status runt_cpu_conv_direct_run(const runt_cpu_state *st, const runt_plan *p, int i,
                                     const runt_bindings *b)
{
    const runt_cpu_node *cn = &st->nodes[i];
    const runt_plan_node *n = &p->nodes[i];
    direct_geometry g;
    const runt_conv_direct_kernel *k = direct_kernel(st->tier, p, i, &g);
    const runt_cpu_conv_shape *s = &g.s;
    direct_io io = io_of(st, p, i, b, &g);
    int64_t per_pass = images_per_pass(s, f32_image_floats(&g) * (int64_t)sizeof(float));
    for (int64_t img = 0; img < s->n; img += per_pass) {
        int64_t images = s->n - img < per_pass ? s->n - img : per_pass;
        direct_run r = {&g, k, io.x + img * s->c * s->h * s->w, io.scratch, cn->packed, io.bias,
                        io.y + img * s->m * s->oh * s->ow, &n->attrs.conv.epilogue, st->map};
        runt_cpu_parallel(runt_cpu_pass_threads((double)(images * s->c * g.plane), io.threads),
                          images * s->c, 0, pad_body, &r);
        runt_cpu_parallel(io.threads, images * s->group * g.tiles * g.blocks, tile_grain(&g),
                          tile_body, &r);
    }
    return RUNT_OK;
}

/* ------------------------------------------------------------------------ */
/* int8: the same tiles on the quantized input (conv_direct.h)              */
/* ------------------------------------------------------------------------ */

const runt_conv_direct_q8_kernel *runt_cpu_conv_direct_q8_kernel(int tier)
{
    (void)tier;
    const runt_conv_direct_q8_kernel *k = &runt_conv_direct_q8_avx512vnni;
    return k->run ? k : NULL;
}

int runt_cpu_conv_direct_q8_wanted(const runt_cpu_state *st, const runt_plan *p, int i)
{
    const runt_conv_direct_q8_kernel *k = runt_cpu_conv_direct_q8_kernel(st->tier);
    direct_geometry g;
    /* The VNNI tile runs where the session's int8 kernel is the VNNI one:
     * the tier and the CPU allow it. */
    if (!k || st->q8_kernel->isa != RUNT_Q8_ISA_AVX512VNNI ||
        !geometry_of(p, i, k->mr, k->q_tile, &g))
        return 0;
    /* Measured as for f32 (conv-grid-t1-avx512-int8-k3k5.txt, 1 thread):
     * direct is 1.2-5.1x faster than the u8 im2col + q8 GEMM up to 32
     * output channels and on 32x32 and larger images; with 64 and more
     * outputs on 8x8 and 16x16 images the GEMM's blocking wins (direct
     * 0.70-1.01x). */
    return path_chosen(&g, !(g.s.mg >= 64 && g.s.oh * g.s.ow < 1024));
}

/* Channels of a group in the interleaved input: rounded up to 4. */
static int64_t groups_of_4(int64_t channels) { return (channels + 3) / 4; }

/* Bytes of one image's quantized, padded, interleaved copy: prepare sizes
 * the scratch and run splits the batch with this one figure. */
static int64_t q8_image_bytes(const direct_geometry *g)
{
    return g->s.group * groups_of_4(g->s.cg) * g->plane * 4;
}

/* From the quantized weights already packed for im2col (cn->q8, one per
 * group, k = tap * cg + channel): block bl's byte u of (channel group c4,
 * tap t, row m) is output channel bl * mr + m, channel 4 * c4 + u; zero
 * past mg and past cg. Their scales and row sums stay in cn->q8. */
static runt_status direct_q8_pack_fill(void *ctx, void *packed, size_t bytes)
{
    const direct_pack_job *j = ctx;
    const direct_geometry *g = j->g;
    const runt_cpu_conv_shape *s = &g->s;
    int64_t g4 = groups_of_4(s->cg), per_block = g4 * g->n_taps * j->mr * 4;
    (void)bytes;
    for (int64_t gi = 0; gi < s->group; gi++) {
        const runt_q8_weights *w = (const runt_q8_weights *)j->w + gi;
        for (int64_t bl = 0; bl < g->blocks; bl++) {
            int8_t *dst = (int8_t *)packed + (gi * g->blocks + bl) * per_block;
            for (int64_t c4 = 0; c4 < g4; c4++)
                for (int t = 0; t < g->n_taps; t++)
                    for (int m = 0; m < j->mr; m++)
                        for (int u = 0; u < 4; u++) {
                            int64_t oc = bl * j->mr + m, c = c4 * 4 + u;
                            *dst++ = oc < s->mg && c < s->cg
                                         ? w->data[runt_q8_index(w, oc, t * s->cg + c)]
                                         : 0;
                        }
        }
    }
    return RUNT_OK;
}

runt_status runt_cpu_conv_direct_q8_prepare(runt_cpu_state *st, const runt_plan *p, int i)
{
    runt_cpu_node *cn = &st->nodes[i];
    const runt_conv_direct_q8_kernel *k = runt_cpu_conv_direct_q8_kernel(st->tier);
    const direct_geometry g = accepted_geometry(p, i, k->mr, k->q_tile);
    const runt_cpu_conv_shape *s = &g.s;
    int64_t g4 = groups_of_4(s->cg);
    size_t bytes = (size_t)(s->group * g.blocks * g4 * g.n_taps * k->mr * 4);
    runt_status rc = direct_share(st, p, &g, k->mr, cn->q8, RUNT_CPU_W_Q8_DIRECT, bytes,
                                  direct_q8_pack_fill, (void **)&cn->packed_q8);
    if (rc != RUNT_OK)
        return rc;
    cn->kind = RUNT_CPU_K_Q8_CONV_DIRECT;
    int64_t per_image = q8_image_bytes(&g);
    size_t input_bytes = (size_t)(images_per_pass(s, per_image) * per_image);
    cn->scratch_floats = round16((input_bytes + sizeof(float) - 1) / sizeof(float));
    return RUNT_OK;
}

typedef struct direct_q8_run {
    const direct_geometry *g;
    const runt_conv_direct_q8_kernel *k;
    const float *x;          /* the pass's images                             */
    uint8_t *xq;             /* their quantized, padded, interleaved copies   */
    float scale;
    uint8_t zp;
    const runt_cpu_node *cn;
    const float *bias;
    float *y;
    const runt_epilogue *epilogue;
    runt_cpu_map_fn map;
} direct_q8_run;

/* Units: (image group, channel group of 4). Padding and absent channels
 * hold the zero point, which is the value 0 once the row sums take it off. */
static void pad_q8_body(void *ctx, int64_t lo, int64_t hi, int slot)
{
    const direct_q8_run *r = ctx;
    const direct_geometry *g = r->g;
    const runt_cpu_conv_shape *s = &g->s;
    int64_t g4 = groups_of_4(s->cg);
    uint8_t run[256];
    (void)slot;
    for (int64_t u = lo; u < hi; u++) {
        int64_t gi = u / g4, c4 = u % g4;
        uint8_t *dst = r->xq + u * g->plane * 4;
        memset(dst, r->zp, (size_t)(g->plane * 4));
        for (int lane = 0; lane < 4 && c4 * 4 + lane < s->cg; lane++) {
            const float *src = r->x + (gi * s->cg + c4 * 4 + lane) * s->h * s->w;
            for (int64_t y = 0; y < s->h; y++)
                for (int64_t x0 = 0; x0 < s->w; x0 += (int64_t)sizeof run) {
                    int64_t n = s->w - x0 < (int64_t)sizeof run ? s->w - x0 : (int64_t)sizeof run;
                    /* The scale was checked when it was chosen. */
                    runt_q8_quantize_u8_with(src + y * s->w + x0, n, r->scale, r->zp, run);
                    uint8_t *d = dst + ((g->pad_top + y) * g->wp + g->pad_left + x0) * 4 + lane;
                    for (int64_t j = 0; j < n; j++)
                        d[j * 4] = run[j];
                }
        }
    }
}

static void tile_q8_body(void *ctx, int64_t lo, int64_t hi, int slot)
{
    const direct_q8_run *r = ctx;
    const direct_geometry *g = r->g;
    const runt_cpu_conv_shape *s = &g->s;
    const runt_conv_direct_q8_kernel *k = r->k;
    int64_t g4 = groups_of_4(s->cg), per_block = g4 * g->n_taps * k->mr * 4;
    int32_t acc[RUNT_CONV_DIRECT_MAX_TILE];
    float out[RUNT_CONV_DIRECT_MAX_TILE];
    (void)slot;
    for (int64_t u = lo; u < hi; u++) {
        const direct_unit d = unit_of(g, k->mr, k->q_tile, u);
        runt_conv_direct_q8_tile t = {r->xq + (d.gi * g4 * g->plane + d.q0) * 4, g->plane, g4,
                                      g->taps, g->n_taps,
                                      r->cn->packed_q8 + (d.gw * g->blocks + d.bl) * per_block,
                                      acc};
        k->run(&t);
        const runt_q8_weights *w = &r->cn->q8[d.gw];
        for (int64_t m = 0; m < d.mr; m++) {
            int64_t oc = d.oc0 + m;
            float b = r->bias ? r->bias[d.gw * s->mg + oc] : 0.0f;
            for (int64_t j = 0; j < d.q1 - d.q0; j++)
                out[j] = runt_q8_dequantize_one(acc[m * k->q_tile + j], r->scale, r->zp,
                                                w->scales[oc], w->row_sums[oc]) + b;
            write_tile_row(g, out, d.q0, d.q1, r->y + (d.gi * s->mg + oc) * s->oh * s->ow,
                           r->epilogue, r->map);
        }
    }
}

runt_status runt_cpu_conv_direct_q8_run(const runt_cpu_state *st, const runt_plan *p, int i,
                                        const runt_bindings *b, float scale, uint8_t zp)
{
    const runt_plan_node *n = &p->nodes[i];
    const runt_conv_direct_q8_kernel *k = runt_cpu_conv_direct_q8_kernel(st->tier);
    const direct_geometry g = accepted_geometry(p, i, k->mr, k->q_tile);
    const runt_cpu_conv_shape *s = &g.s;
    direct_io io = io_of(st, p, i, b, &g);
    int64_t g4 = groups_of_4(s->cg);
    int64_t per_pass = images_per_pass(s, q8_image_bytes(&g));
    for (int64_t img = 0; img < s->n; img += per_pass) {
        int64_t images = s->n - img < per_pass ? s->n - img : per_pass;
        direct_q8_run r = {&g, k, io.x + img * s->c * s->h * s->w, (uint8_t *)io.scratch, scale,
                           zp, &st->nodes[i], io.bias, io.y + img * s->m * s->oh * s->ow,
                           &n->attrs.conv.epilogue, st->map};
        runt_cpu_parallel(runt_cpu_pass_threads((double)(images * s->c * g.plane), io.threads),
                          images * s->group * g4, 0, pad_q8_body, &r);
        runt_cpu_parallel(io.threads, images * s->group * g.tiles * g.blocks, tile_grain(&g),
                          tile_q8_body, &r);
    }
    return RUNT_OK;
}
