/* `runt compile`: a model to the .rnt device format (tools/compile.c). */
#ifndef RUNT_COMPILE_H
#define RUNT_COMPILE_H

#include <stdio.h>

/* argv: the arguments after "compile". Returns the exit status. */
int runt_cli_compile(int argc, char **argv, FILE *out, FILE *err);

/* 1 if path names a .rnt file (by its extension). */
int runt_cli_is_rnt(const char *path);

#endif /* RUNT_COMPILE_H */
