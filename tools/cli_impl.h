/*
 * What the `runt` commands share (cli_common.c) and each command's entry
 * point: info (cli_info.c), devices (cli_devices.c), run (cli.c, which
 * also dispatches).
 */
#ifndef RUNT_CLI_IMPL_H
#define RUNT_CLI_IMPL_H

#include <stdio.h>

#include "runt.h"

/* "runt: what: message", without repeating what when the message names it;
 * returns the exit status 1. */
int runt_cli_fail(FILE *err, const char *what);

/* One line, as DESIGN.md asks of every failure; `runt help` has the usage. */
int runt_cli_usage_error(FILE *err, const char *msg, const char *arg);

/* An output file for --json: "-" is standard output, anything else is
 * checked before the command does its work. */
FILE *runt_cli_open_output(const char *path, FILE *out, FILE *err);

/* Closes what runt_cli_open_output opened (not standard output), saying
 * why when the write failed: 0 or 1. */
int runt_cli_close_output(FILE *f, FILE *out, const char *path, FILE *err);

/* A model from an .onnx or .rnt file, or "@name" from the zoo. */
runt_status runt_cli_load(const char *path, runt_model **m);

/* A shape as "[N, 3, 32, 32]", padded to width. */
void runt_cli_shape(FILE *out, const runt_tensor *t, int width);

/* The commands, each given the arguments after its name. */
int runt_cli_info(int argc, char **argv, FILE *out, FILE *err);
int runt_cli_devices(int argc, char **argv, FILE *out, FILE *err);
int runt_cli_run(int argc, char **argv, FILE *out, FILE *err);

#endif /* RUNT_CLI_IMPL_H */
