/*
 * The Cortex-M4 DSP extension's dual 16-bit multiply-accumulate, through the
 * ACLE intrinsics where the target has them (__ARM_FEATURE_DSP: Armv7E-M
 * such as the Cortex-M4 and M7, and Armv7-A), and the same arithmetic in
 * plain C everywhere else. The C forms are always compiled, so tests check
 * both against an independent computation on every target.
 *
 * A word holds two int16 lanes: bits 0..15 (bottom) and 16..31 (top).
 *   sxtb16(x)      bytes 0 and 2 of x, sign-extended into the two lanes
 *   smlad(a, b, c) c + a.bottom * b.bottom + a.top * b.top (mod 2^32, as the
 *                  instruction, which only sets the Q flag on overflow)
 *   ssub16(a, b)   lane-wise a - b (mod 2^16)
 */
#ifndef RUNT_MCU_DSP_H
#define RUNT_MCU_DSP_H

#include <stdint.h>

#if defined(__ARM_FEATURE_DSP) && __ARM_FEATURE_DSP && defined(__ARM_FEATURE_SIMD32)
#include <arm_acle.h>
#define RUNT_MCU_HAVE_DSP 1
#else
#define RUNT_MCU_HAVE_DSP 0
#endif

static inline uint32_t runt_mcu_lane(int32_t v) { return (uint32_t)v & 0xffffu; }

static inline uint32_t runt_mcu_c_sxtb16(uint32_t x)
{
    return runt_mcu_lane((int8_t)(x & 0xffu)) | runt_mcu_lane((int8_t)((x >> 16) & 0xffu)) << 16;
}

static inline int32_t runt_mcu_c_smlad(uint32_t a, uint32_t b, int32_t c)
{
    int32_t lo = (int32_t)(int16_t)(a & 0xffffu) * (int16_t)(b & 0xffffu);
    int32_t hi = (int32_t)(int16_t)(a >> 16) * (int16_t)(b >> 16);
    return (int32_t)((uint32_t)c + (uint32_t)lo + (uint32_t)hi);
}

static inline uint32_t runt_mcu_c_ssub16(uint32_t a, uint32_t b)
{
    return ((a - b) & 0xffffu) | (((a >> 16) - (b >> 16)) & 0xffffu) << 16;
}

#if RUNT_MCU_HAVE_DSP
static inline uint32_t runt_mcu_sxtb16(uint32_t x) { return (uint32_t)__sxtb16((int8x4_t)x); }
static inline int32_t runt_mcu_smlad(uint32_t a, uint32_t b, int32_t c)
{
    return __smlad((int16x2_t)a, (int16x2_t)b, c);
}
static inline uint32_t runt_mcu_ssub16(uint32_t a, uint32_t b)
{
    return (uint32_t)__ssub16((int16x2_t)a, (int16x2_t)b);
}
#else
static inline uint32_t runt_mcu_sxtb16(uint32_t x) { return runt_mcu_c_sxtb16(x); }
static inline int32_t runt_mcu_smlad(uint32_t a, uint32_t b, int32_t c)
{
    return runt_mcu_c_smlad(a, b, c);
}
static inline uint32_t runt_mcu_ssub16(uint32_t a, uint32_t b) { return runt_mcu_c_ssub16(a, b); }
#endif

/* Two int16 values into one word: lo in the bottom lane, hi in the top. */
static inline uint32_t runt_mcu_pack16(int32_t lo, int32_t hi)
{
    return runt_mcu_lane(lo) | runt_mcu_lane(hi) << 16;
}

/* Bytes 1 and 3 of x, sign-extended into the two lanes (SXTB16 with ROR 8). */
static inline uint32_t runt_mcu_sxtb16_odd(uint32_t x) { return runt_mcu_sxtb16(x >> 8 | x << 24); }

#endif /* RUNT_MCU_DSP_H */
