/*
 * The f32 tile templates (conv_direct_tile.h, sgemm_tile.h) are written
 * once against these vector operations. Each ISA's file, f32_tiles_<isa>.c,
 * defines them, includes this header, then the templates:
 *   V_VEC                    the vector type, V_WIDTH floats
 *   V_SET1(f)                every lane f
 *   V_LOADU(p), V_STOREU(p, v)  unaligned load and store
 *   V_FMA(a, b, c)           a * b + c, fused
 * V_RANK1 is the step of a tile's sums that the templates share. V_UNROLL
 * fully unrolls the loops over a tile's accumulators, so that their arrays
 * become registers: GCC 12 at -O2 leaves such loops rolled and the arrays
 * on the stack otherwise (3x slower in the int8 kernels).
 */
#ifndef RUNT_SIMD_F32_H
#define RUNT_SIMD_F32_H

#if defined(__clang__)
#define V_UNROLL _Pragma("clang loop unroll(full)")
#elif defined(__GNUC__)
#define V_UNROLL _Pragma("GCC unroll 16")
#else
#define V_UNROLL
#endif

/* One step of a register tile, the multiply-add both templates repeat over
 * their depth: acc[m][v] += s[m] * x[v] for m < MR, v < NV, x[v] the vector
 * at row + v * V_WIDTH and s[m] broadcast to every lane. */
#define V_RANK1(acc, MR, NV, s, row)                                                \
    do {                                                                            \
        V_VEC x_[NV];                                                               \
        V_UNROLL for (int v_ = 0; v_ < (NV); v_++)                                  \
            x_[v_] = V_LOADU((row) + v_ * V_WIDTH);                                 \
        V_UNROLL for (int m_ = 0; m_ < (MR); m_++) {                                \
            V_VEC s_ = V_SET1((s)[m_]);                                             \
            V_UNROLL for (int v_ = 0; v_ < (NV); v_++)                              \
                (acc)[m_][v_] = V_FMA(s_, x_[v_], (acc)[m_][v_]);                   \
        }                                                                           \
    } while (0)

#endif
