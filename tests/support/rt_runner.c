/*
 * The in-process test runner for targets where Criterion cannot run (qemu-user,
 * bare metal): runs every registered test in this process, one after another,
 * leaving a failing test with longjmp. Prints the closing line
 * "N passed, M failed, K skipped" and exits non-zero on any failure.
 */
#include "rt_test.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#define RT_MAX_TESTS 2048

typedef struct rt_entry {
    const char *suite, *name;
    rt_test_fn fn;
} rt_entry;

static rt_entry rt_tests[RT_MAX_TESTS];
static int rt_n_tests;
static jmp_buf rt_jump;

enum { RT_PASSED = 0, RT_FAILED = 1, RT_SKIPPED = 2 };

void rt_test_register(const char *suite, const char *name, rt_test_fn fn)
{
    if (rt_n_tests < RT_MAX_TESTS)
        rt_tests[rt_n_tests++] = (rt_entry){suite, name, fn};
}

void rt_test_fail(const char *file, int line, const char *expr, const char *fmt, ...)
{
    va_list ap;
    printf("  %s:%d: assertion failed: %s\n    ", file, line, expr);
    va_start(ap, fmt);
    vprintf(fmt, ap);
    va_end(ap);
    printf("\n");
    longjmp(rt_jump, RT_FAILED);
}

void rt_test_skip(const char *fmt, ...)
{
    va_list ap;
    printf("  skipped: ");
    va_start(ap, fmt);
    vprintf(fmt, ap);
    va_end(ap);
    printf("\n");
    longjmp(rt_jump, RT_SKIPPED);
}

/* setjmp lives in its own frame so nothing of main's is clobbered by longjmp. */
static int rt_run_one(int i)
{
    int outcome = setjmp(rt_jump);
    if (outcome == 0) {
        rt_tests[i].fn();
        outcome = RT_PASSED;
    }
    return outcome;
}

int main(int argc, char **argv)
{
    /* Arguments: substrings of suite::name; a test runs when it contains
     * any of them (no argument: every test). */
    int counts[3] = {0, 0, 0};
    for (int i = 0; i < rt_n_tests; i++) {
        char full[256];
        snprintf(full, sizeof full, "%s::%s", rt_tests[i].suite, rt_tests[i].name);
        int chosen = argc < 2;
        for (int a = 1; a < argc && !chosen; a++)
            chosen = strstr(full, argv[a]) != NULL;
        if (!chosen)
            continue;
        int outcome = rt_run_one(i);
        counts[outcome]++;
        printf("[%s] %s\n", outcome == RT_PASSED ? "PASS" : outcome == RT_FAILED ? "FAIL" : "SKIP",
               full);
    }
    printf("%d passed, %d failed, %d skipped\n", counts[RT_PASSED], counts[RT_FAILED],
           counts[RT_SKIPPED]);
    return counts[RT_FAILED] ? 1 : 0;
}
