/*
 * The bench runs its Python helpers (bench/peers/peer.py, bench/plot.py)
 * through popen, so every path it hands the shell is quoted here, once.
 */
#ifndef RUNT_BENCH_SHELL_QUOTE_H
#define RUNT_BENCH_SHELL_QUOTE_H

#include <stddef.h>

/* Appends s to the string in buf (size bytes), in single quotes, so the shell
 * takes it literally; a quote inside s becomes '\''. Truncates rather than
 * overflow; buf stays NUL-terminated. */
void runt_shell_quote(char *buf, size_t size, const char *s);

#endif /* RUNT_BENCH_SHELL_QUOTE_H */
