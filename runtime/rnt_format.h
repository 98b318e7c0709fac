/*
 * The .rnt format: a model laid out for a device, read in place.
 *
 * A .rnt file holds one runt_model (graph inputs, constants with their data,
 * nodes with their attributes, graph outputs) plus what `runt compile`
 * worked out for it: the batch it was compiled for and the arena bytes a
 * reference-kernel session needs at that batch. It is little-endian, every
 * field at an offset that is a multiple of its size, and every constant's
 * data 16-byte aligned, so a loader points the model's constants at the
 * bytes where they lie (flash on a microcontroller) and copies nothing.
 * The same reader serves the host and the device.
 *
 *   header     RUNT_RNT_HEADER_BYTES, the fields below
 *   values     n_values records of RUNT_RNT_VALUE_BYTES
 *   nodes      n_nodes records of RUNT_RNT_NODE_BYTES, each followed by its
 *              attribute words (4 bytes each, as rnt_attr_fields lists them)
 *   io         n_inputs then n_outputs u32 value ids
 *   strings    NUL-terminated names; a record names one by its offset here
 *   data       constants' bytes, each at a 16-byte aligned offset
 *
 * Header (offsets in bytes):
 *   0  "RUNT"          magic
 *   4  u16 version     RUNT_RNT_VERSION; a reader refuses others
 *   6  u16 header size RUNT_RNT_HEADER_BYTES
 *   8  u32 file bytes  the whole file
 *  12  u32 checksum    CRC-32 (IEEE 802.3, as zlib) of bytes 0..11 then 16..end
 *  16  u32 n_values, 20 u32 n_nodes, 24 u32 n_inputs, 28 u32 n_outputs
 *  32  u32 values offset, 36 nodes offset, 40 io offset, 44 strings offset,
 *  48  u32 strings bytes, 52 data offset
 *  56  u32 batch       the batch compile planned for
 *  60  u32 arena bytes a "ref" session's arena at that batch
 *
 * Value record: u32 name, u8 dtype, u8 ndim, u8 kind (RUNT_RNT_KIND_*),
 * u8 zero, i32 dims[6] (-1: the batch dim of an input), u32 data offset,
 * u32 data bytes (constants), f32 scale, i32 zero_point.
 * Node record: u32 name, u16 op, u8 n_inputs, u8 n_outputs,
 * u16 inputs[8], u16 outputs[4] (RUNT_RNT_NONE: absent), u16 attribute
 * words, u16 zero.
 */
#ifndef RUNT_RNT_FORMAT_H
#define RUNT_RNT_FORMAT_H

#include <stddef.h>
#include <stdint.h>

#include "runt.h"

/* 2: Pad's mode follows its value (version 1 files predate it: recompile). */
#define RUNT_RNT_VERSION 2
#define RUNT_RNT_HEADER_BYTES 64
#define RUNT_RNT_VALUE_BYTES 48
#define RUNT_RNT_NODE_BYTES 36
#define RUNT_RNT_DATA_ALIGN 16
#define RUNT_RNT_NONE 0xffffu
/* Value ids are u16, RUNT_RNT_NONE reserved for an absent input. */
#define RUNT_RNT_MAX_VALUES 65535
#define RUNT_RNT_MAX_ATTR_WORDS 32

enum { RUNT_RNT_KIND_NODE_OUTPUT = 0, RUNT_RNT_KIND_INPUT = 1, RUNT_RNT_KIND_CONSTANT = 2 };

/* What one attribute word holds, so the writer and the reader agree field
 * by field and the reader can check each value's range. An I64 takes two
 * words (low, high). */
typedef enum rnt_field_kind {
    RNT_F_INT, RNT_F_FLOAT, RNT_F_I64, RNT_F_ACT, RNT_F_AUTO_PAD, RNT_F_DTYPE, RNT_F_PAD_MODE
} rnt_field_kind;

typedef struct rnt_field {
    rnt_field_kind kind;
    void *ptr;               /* int, float, int64_t or the enum named by kind */
} rnt_field;

/* The attribute fields op keeps in a, in file order; returns how many
 * (at most RUNT_RNT_MAX_ATTR_WORDS words' worth). */
int rnt_attr_fields(runt_op op, runt_attrs *a, rnt_field *fields);
/* Words those fields take. */
int rnt_attr_words(const rnt_field *fields, int n);

/* CRC-32 (reflected polynomial 0xEDB88320) continued from crc (0 to start). */
uint32_t rnt_crc32(uint32_t crc, const void *data, size_t size);

static inline uint32_t rnt_get_u32(const unsigned char *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static inline uint16_t rnt_get_u16(const unsigned char *p)
{
    return (uint16_t)(p[0] | p[1] << 8);
}

static inline void rnt_put_u32(unsigned char *p, uint32_t v)
{
    p[0] = (unsigned char)v, p[1] = (unsigned char)(v >> 8);
    p[2] = (unsigned char)(v >> 16), p[3] = (unsigned char)(v >> 24);
}

static inline void rnt_put_u16(unsigned char *p, uint16_t v)
{
    p[0] = (unsigned char)v, p[1] = (unsigned char)(v >> 8);
}

#endif /* RUNT_RNT_FORMAT_H */
