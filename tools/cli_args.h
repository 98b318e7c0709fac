/*
 * Command-line spelling shared by every command: "--flag=value" means
 * "--flag value", so each command's parser sees one form only.
 */
#ifndef RUNT_CLI_ARGS_H
#define RUNT_CLI_ARGS_H

/* A copy of argv with each "--name=value" split into "--name" and "value".
 * Returns NULL when out of memory; free with runt_cli_args_free. */
char **runt_cli_args_expand(int argc, char **argv, int *out_argc);
void runt_cli_args_free(char **argv, int argc);

/* 1 when argv[0..argc) asks for help (-h or --help). */
int runt_cli_args_want_help(int argc, char **argv);

#endif /* RUNT_CLI_ARGS_H */
