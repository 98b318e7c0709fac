/*
 * Checks that a command's outputs can be written before it does any work:
 * `runt bench --json /no/such/dir/x.json` must fail in a second, not after
 * the suite has run for minutes.
 */
#ifndef RUNT_OUTPUT_CHECK_H
#define RUNT_OUTPUT_CHECK_H

#include "runt.h"

/* path ("-": standard output, always fine) can be created or overwritten.
 * Creates nothing that was not there. RUNT_E_IO with "PATH: why" if not. */
runt_status runt_output_check_file(const char *path);

/* dir is an existing directory this process may write files into.
 * RUNT_E_IO with "DIR: why" if not. */
runt_status runt_output_check_dir(const char *dir);

#endif /* RUNT_OUTPUT_CHECK_H */
