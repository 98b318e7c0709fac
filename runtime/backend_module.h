/*
 * Backends built as loadable modules (the CUDA backend): found next to the
 * library or program that holds the registry, opened on first use, so a
 * program that never asks for the backend never loads its libraries
 * (cuBLAS alone maps about 200 MB).
 */
#ifndef RUNT_BACKEND_MODULE_H
#define RUNT_BACKEND_MODULE_H

#include "runt-backend.h"

/* Opens the module `file` (a file name, no directory) and returns the vtable
 * it exports as `symbol`. Looks in, in order: the directory of the object
 * that holds this code, joined with RUNT_MODULE_DIR; the same directory
 * joined with RUNT_BIN_TO_LIBDIR and RUNT_MODULE_DIR (a program installed in
 * bin/ next to lib/). On failure returns NULL and writes why, naming every
 * path tried, into reason. */
const runt_backend_i *runt_backend_module_open(const char *file, const char *symbol, char *reason,
                                               size_t reason_size);

#endif /* RUNT_BACKEND_MODULE_H */
