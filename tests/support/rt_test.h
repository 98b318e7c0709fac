/*
 * rt_test.h — one way to write a test, two ways to run it.
 *
 * On the host the tests run under Criterion (one child process per test,
 * driven by ctest). Criterion re-executes the binary for each test, which
 * cannot work under qemu-user or on bare metal, so with RT_TEST_STANDALONE
 * the same bodies register themselves with the tiny in-process runner in
 * rt_runner.c instead. Test bodies use only the macros below.
 *
 *   RT_TEST(suite, name) { ... }
 *   RT_ASSERT(cond, "format", args...)   fails the test with the message
 *   RT_SKIP("format", args...)           skips the test, saying why
 */
#ifndef RT_TEST_H
#define RT_TEST_H

#include <stdio.h>

#ifndef RT_TEST_STANDALONE

#include <criterion/criterion.h>

#define RT_TEST(suite, name) Test(suite, name)
#define RT_ASSERT(cond, ...) cr_assert(cond, __VA_ARGS__)
#define RT_SKIP(...) cr_skip_test(__VA_ARGS__)

#else /* RT_TEST_STANDALONE */

typedef void (*rt_test_fn)(void);
void rt_test_register(const char *suite, const char *name, rt_test_fn fn);
void rt_test_fail(const char *file, int line, const char *expr, const char *fmt, ...);
void rt_test_skip(const char *fmt, ...);

#define RT_TEST(suite, name)                                                   \
    static void rt_body_##suite##_##name(void);                               \
    __attribute__((constructor)) static void rt_reg_##suite##_##name(void)    \
    {                                                                          \
        rt_test_register(#suite, #name, rt_body_##suite##_##name);            \
    }                                                                          \
    static void rt_body_##suite##_##name(void)

#define RT_ASSERT(cond, ...)                                                   \
    do {                                                                       \
        if (!(cond)) rt_test_fail(__FILE__, __LINE__, #cond, __VA_ARGS__);    \
    } while (0)
#define RT_SKIP(...) rt_test_skip(__VA_ARGS__)

#endif /* RT_TEST_STANDALONE */

#endif /* RT_TEST_H */
