/* check.h -- a tiny test harness.  A test file defines test functions,
 * lists them in main() with RUN(name), and ends with return check_summary();
 * which prints "N passed, N failed" and returns non-zero on any failure.
 * CHECK records a failure with file and line and lets the test go on;
 * REQUIRE also returns from the current test function. */
#ifndef PX_CHECK_H
#define PX_CHECK_H

#include <stdio.h>

static int check_passed, check_failed, check_cur_failed;
static const char *check_cur_name;

#define CHECK(cond)                                                            \
    do {                                                                       \
        if (!(cond)) {                                                         \
            fprintf(stderr, "FAIL %s: %s:%d: %s\n", check_cur_name, __FILE__, \
                    __LINE__, #cond);                                          \
            check_cur_failed = 1;                                              \
        }                                                                      \
    } while (0)

#define REQUIRE(cond)                                                          \
    do {                                                                       \
        if (!(cond)) {                                                         \
            fprintf(stderr, "FAIL %s: %s:%d: %s\n", check_cur_name, __FILE__, \
                    __LINE__, #cond);                                          \
            check_cur_failed = 1;                                              \
            return;                                                            \
        }                                                                      \
    } while (0)

#define RUN(fn)                                                                \
    do {                                                                       \
        check_cur_name = #fn;                                                  \
        check_cur_failed = 0;                                                  \
        fn();                                                                  \
        if (check_cur_failed) check_failed++; else check_passed++;             \
    } while (0)

static inline int check_summary(void)
{
    printf("%d passed, %d failed\n", check_passed, check_failed);
    return check_failed ? 1 : 0;
}

#endif
