/*
 * npy.h — NumPy .npy files for the runt command-line tool.
 *
 * The format (numpy.lib.format, "NEP 1"): the magic "\x93NUMPY", a major and
 * minor version byte, the header length (2 bytes little-endian in version 1.0,
 * 4 bytes in 2.0 and 3.0), then the header: a Python dict literal such as
 *   {'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }
 * padded with spaces and ended by '\n' so that the data start at a multiple of
 * 64 bytes; then the elements, dense.
 *
 * runt reads and writes one kind of array, the one its contract names:
 * little-endian float32 ('<f4'), C order, 0 to RUNT_MAX_DIMS dims. Files are
 * written as version 1.0; versions 2.0 and 3.0 are read as well (they differ
 * only in the length field, and in 3.0's UTF-8 header, which matters only for
 * structured dtypes). Anything else is refused with a message that names the
 * file and what is wrong with it, including the dtype found. Bytes after the
 * data are refused too (np.load ignores them): they mean the header's shape
 * does not describe the data.
 *
 * Status: RUNT_E_IO when the file cannot be opened, read or written;
 * RUNT_E_INVALID_ARG for malformed or unsupported contents and bad arguments;
 * RUNT_E_OOM when the data cannot be allocated.
 */
#ifndef RUNT_NPY_H
#define RUNT_NPY_H

#include <stddef.h>

#include "runt.h"

/* Reads a whole .npy file. On success *out is an f32 tensor whose data were
 * allocated with malloc (the caller frees out->data). On failure *out is
 * zeroed (data NULL), so freeing out->data is always safe. */
runt_status runt_npy_read(const char *path, runt_tensor *out);

/* As runt_npy_read, from the size bytes of a file in memory; what names them
 * in messages (a path; NULL reads "<memory>"). The data are copied. */
runt_status runt_npy_parse(const void *bytes, size_t size, const char *what, runt_tensor *out);

/* Writes an f32 tensor as a version 1.0 .npy file, replacing the file. A
 * failure may leave a partial file: it is not removed, since path may name a
 * device or a pipe (/dev/stdout), which must not be unlinked. */
runt_status runt_npy_write(const char *path, const runt_tensor *t);

#endif /* RUNT_NPY_H */
