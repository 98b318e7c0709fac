/*
 * The `runt` command-line program: `info`, `run`, `bench` and `devices` (contract in
 * DESIGN.md). Everything but main() lives here so tests can drive it.
 */
#ifndef RUNT_CLI_H
#define RUNT_CLI_H

#include <stdio.h>

/* Runs one command line; writes results to out and one-line errors to err.
 * Returns the process exit status: 0 success, 1 failure, 2 bad usage. */
int runt_cli_main(int argc, char **argv, FILE *out, FILE *err);

#endif /* RUNT_CLI_H */
