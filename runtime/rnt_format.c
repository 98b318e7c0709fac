/* The parts of the .rnt format the reader and the writer share. */
#include "rnt_format.h"

#define F(k, p) (fields[n++] = (rnt_field){(k), (void *)(p)})

static int rnt_conv_window(int *kernel, int *strides, int *dilations,
                           int *pads, runt_auto_pad *auto_pad, rnt_field *fields, int n)
{
    for (int i = 0; i < 2; i++)
        F(RNT_F_INT, &kernel[i]);
    for (int i = 0; i < 2; i++)
        F(RNT_F_INT, &strides[i]);
    for (int i = 0; i < 2; i++)
        F(RNT_F_INT, &dilations[i]);
    for (int i = 0; i < 4; i++)
        F(RNT_F_INT, &pads[i]);
    F(RNT_F_AUTO_PAD, auto_pad);
    return n;
}

static int rnt_epilogue(runt_epilogue *e, rnt_field *fields, int n)
{
    F(RNT_F_ACT, &e->act);
    F(RNT_F_FLOAT, &e->alpha);
    F(RNT_F_FLOAT, &e->beta);
    return n;
}

int rnt_attr_fields(runt_op op, runt_attrs *a, rnt_field *fields)
{
    int n = 0;
    switch (op) {
    case RUNT_OP_GEMM:
        F(RNT_F_FLOAT, &a->gemm.alpha);
        F(RNT_F_FLOAT, &a->gemm.beta);
        F(RNT_F_INT, &a->gemm.trans_a);
        F(RNT_F_INT, &a->gemm.trans_b);
        return rnt_epilogue(&a->gemm.epilogue, fields, n);
    case RUNT_OP_LEAKY_RELU:
        F(RNT_F_FLOAT, &a->leaky_relu.alpha);
        return n;
    case RUNT_OP_CLIP:
        F(RNT_F_FLOAT, &a->clip.min);
        F(RNT_F_FLOAT, &a->clip.max);
        return n;
    case RUNT_OP_GELU:
        F(RNT_F_INT, &a->gelu.approximate_tanh);
        return n;
    case RUNT_OP_SOFTMAX:
    case RUNT_OP_FLATTEN:
        F(RNT_F_INT, &a->axis.axis);
        return n;
    case RUNT_OP_CONV:
    case RUNT_OP_CONV_INTEGER: {
        runt_conv_attrs *c = &a->conv;
        n = rnt_conv_window(c->kernel, c->strides, c->dilations, c->pads, &c->auto_pad, fields, n);
        F(RNT_F_INT, &c->group);
        return rnt_epilogue(&c->epilogue, fields, n);
    }
    case RUNT_OP_MAX_POOL:
    case RUNT_OP_AVERAGE_POOL: {
        runt_pool_attrs *p = &a->pool;
        n = rnt_conv_window(p->kernel, p->strides, p->dilations, p->pads, &p->auto_pad, fields, n);
        F(RNT_F_INT, &p->ceil_mode);
        F(RNT_F_INT, &p->count_include_pad);
        return n;
    }
    case RUNT_OP_PAD:
        F(RNT_F_INT, &a->pad.ndim);
        for (int i = 0; i < 2 * RUNT_MAX_DIMS; i++)
            F(RNT_F_I64, &a->pad.pads[i]);
        F(RNT_F_FLOAT, &a->pad.value);
        F(RNT_F_PAD_MODE, &a->pad.mode);
        return n;
    case RUNT_OP_RESHAPE:
        F(RNT_F_INT, &a->reshape.ndim);
        for (int i = 0; i < RUNT_MAX_DIMS; i++)
            F(RNT_F_I64, &a->reshape.shape[i]);
        F(RNT_F_INT, &a->reshape.allowzero);
        return n;
    case RUNT_OP_BATCH_NORM:
        F(RNT_F_FLOAT, &a->batch_norm.epsilon);
        return n;
    case RUNT_OP_LAYER_NORM:
        F(RNT_F_INT, &a->layer_norm.axis);
        F(RNT_F_FLOAT, &a->layer_norm.epsilon);
        return n;
    case RUNT_OP_QUANTIZE_LINEAR:
    case RUNT_OP_DEQUANTIZE_LINEAR:
        F(RNT_F_INT, &a->quant.axis);
        F(RNT_F_INT, &a->quant.block_size);
        F(RNT_F_DTYPE, &a->quant.output_dtype);
        return n;
    case RUNT_OP_CAST:
        F(RNT_F_DTYPE, &a->cast.to);
        return n;
    default:
        return 0;
    }
}

int rnt_attr_words(const rnt_field *fields, int n)
{
    int words = 0;
    for (int i = 0; i < n; i++)
        words += fields[i].kind == RNT_F_I64 ? 2 : 1;
    return words;
}

uint32_t rnt_crc32(uint32_t crc, const void *data, size_t size)
{
    /* Bit by bit: no 1 KiB table in flash, and a model is checked once per load. */
    const unsigned char *p = data;
    crc = ~crc;
    for (size_t i = 0; i < size; i++) {
        crc ^= p[i];
        for (int b = 0; b < 8; b++)
            crc = (crc >> 1) ^ (0xEDB88320u & (0u - (crc & 1u)));
    }
    return ~crc;
}
