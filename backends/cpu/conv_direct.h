/*
 * Direct convolution at stride 1: the tile kernels (f32 in f32_tiles_<isa>.c,
 * expanded from conv_direct_tile.h; int8 in conv_direct_q8_avx512.c) and
 * what the driver (cpu_conv_direct.c) hands them.
 *
 * The output is computed on the padded input's grid. With the input of one
 * channel padded to hp x wp and stored row after row, output pixel (oy, ox)
 * of tap (ky, kx) reads input position (oy + ky*dy) * wp + ox + kx*dx, that
 * is q + taps[ky][kx] with q = oy * wp + ox. So over the flat positions
 * q in [0, oh * wp) every tap is one contiguous, unit-stride run of the
 * input: a tile of consecutive q is a few vector loads per tap, whatever
 * the image width, with no edge case inside the loop. Tiles that run over
 * the flat span compute the wp - ow positions at the end of each row (ox >=
 * ow) and throw them away, a waste of (kw - 1) * dx / wp: 6 % on a 32-wide
 * 3x3, 20 % on an 8-wide one. Tiles may instead start at each output row
 * (cpu_conv_direct.c's tile_layout), which wastes nothing where whole tiles
 * fill the row.
 *
 * A tile is mr output channels x q_tile positions: mr x (q_tile / vector
 * width) accumulator registers; per channel and tap, q_tile / width vector
 * loads of the input and mr broadcasts of a weight feed mr x that many FMAs.
 */
#ifndef RUNT_CONV_DIRECT_H
#define RUNT_CONV_DIRECT_H

#include <stdint.h>

/* The largest tile any kernel has (floats of its output block) and the
 * most taps (kh * kw) the direct path takes; larger kernels use im2col. */
#define RUNT_CONV_DIRECT_MAX_TILE 512
#define RUNT_CONV_DIRECT_MAX_TAPS 64

/* One tile: out[m][j] = bias[m] + sum over c < channels and k < n_taps of
 *   w[(c * n_taps + k) * mr + m] * x[c * plane + taps[k] + j]. */
typedef struct runt_conv_direct_tile {
    const float *x;          /* the padded input's first channel, at the tile's first q */
    int64_t plane;           /* floats from one padded channel to the next  */
    int64_t channels;
    const int64_t *taps;     /* offset of each tap in a padded channel      */
    int n_taps;
    const float *w;          /* this block's weights, [channels][n_taps][mr] */
    const float *bias;       /* mr values                                   */
    float *out;              /* mr rows of q_tile values ...                */
    int64_t ldo;             /* ... ldo floats apart                        */
} runt_conv_direct_tile;

typedef struct runt_conv_direct_kernel {
    const char *name;
    int mr;                  /* output channels per tile                     */
    int q_tile;              /* output positions per tile                    */
    void (*run)(const runt_conv_direct_tile *t); /* NULL: the build compiled
                                the file without its ISA's flags            */
} runt_conv_direct_kernel;

/* AVX-512 has a second, narrow tile of 2 vectors (32 positions): tiles per
 * output row then compute no padding column where whole tiles fill the row
 * (cpu_conv_direct.c chooses). On AVX2 (Zen 5 capped to the tier) narrow
 * tiles of 6 and of 4 channels x 16 positions measured 1.0-1.14x the time of
 * the 4 x 24 tile on Conv2d(C, C, 3x3), 32x32, so that tier has none; NEON
 * has none either, not being measured. */
#define RUNT_CONV_DIRECT_KERNELS 2
extern const runt_conv_direct_kernel runt_conv_direct_avx512, runt_conv_direct_avx512_narrow;
extern const runt_conv_direct_kernel runt_conv_direct_avx2;
extern const runt_conv_direct_kernel runt_conv_direct_neon;

/* int8 (AVX-512 VNNI): the same tile on quantized input. vpdpbusd adds the
 * products of 4 consecutive u8 x s8 bytes into each 32-bit lane, so the
 * padded input interleaves its channels by 4: byte u of position q in
 * channel group g is channel 4g + u. A lane then holds one position, and 4
 * channels of one tap go into it per instruction:
 *   out[m][j] = sum over g < groups4, k < n_taps, u < 4 of
 *               w[((g * n_taps + k) * mr + m) * 4 + u] * x[(g * plane + taps[k] + j) * 4 + u]
 * exactly (int32; the caller keeps 255 * 127 * channels * taps in range). */
typedef struct runt_conv_direct_q8_tile {
    const uint8_t *x;        /* group 0 of the padded input, at the tile's first q */
    int64_t plane;           /* positions from one channel group to the next  */
    int64_t groups4;
    const int64_t *taps;
    int n_taps;
    const int8_t *w;         /* this block's weights                           */
    int32_t *out;            /* [mr][q_tile]                                   */
} runt_conv_direct_q8_tile;

typedef struct runt_conv_direct_q8_kernel {
    const char *name;
    int mr, q_tile;
    void (*run)(const runt_conv_direct_q8_tile *t); /* NULL: absent from the build */
} runt_conv_direct_q8_kernel;

extern const runt_conv_direct_q8_kernel runt_conv_direct_q8_avx512vnni;

/* The f32 kernels a CPU tier (RUNT_CPU_TIER_*) can run into out (at most
 * RUNT_CONV_DIRECT_KERNELS), their count: 0 where it has none (the C tier,
 * a build without the ISA's flags); the int8 kernel, or NULL
 * (cpu_conv_direct.c). */
int runt_cpu_conv_direct_kernels(int tier, const runt_conv_direct_kernel **out);
const runt_conv_direct_q8_kernel *runt_cpu_conv_direct_q8_kernel(int tier);

#endif
