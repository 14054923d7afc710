/*
 * Copyright (C) icetap authors
 *
 * A minimal TAP producer for the core unit tests: prove runs the binaries
 * through t/000-core-unit.t.
 */

#ifndef ICETAP_TEST_TAP_H
#define ICETAP_TEST_TAP_H


#include <stdio.h>
#include <string.h>
#include <stdarg.h>


static int  tap_n;
static int  tap_failed;


static void
tap_vok(int pass, const char *file, int line, const char *fmt, va_list ap)
{
    tap_n++;

    printf("%sok %d - ", pass ? "" : "not ", tap_n);
    vprintf(fmt, ap);
    printf("\n");

    if (!pass) {
        tap_failed++;
        printf("#   Failed test at %s line %d\n", file, line);
    }

    fflush(stdout);
}


static int
tap_ok_at(int pass, const char *file, int line, const char *fmt, ...)
{
    va_list  ap;

    va_start(ap, fmt);
    tap_vok(pass, file, line, fmt, ap);
    va_end(ap);

    return pass;
}


#define ok(cond, ...)  tap_ok_at(!!(cond), __FILE__, __LINE__, __VA_ARGS__)

#define is_int(got, exp, ...)                                                \
    do {                                                                     \
        long long  g_ = (long long) (got), e_ = (long long) (exp);           \
        if (!tap_ok_at(g_ == e_, __FILE__, __LINE__, __VA_ARGS__)) {         \
            printf("#   got: %lld\n#   expected: %lld\n", g_, e_);           \
        }                                                                    \
    } while (0)

#define is_str(got, exp, ...)                                                \
    do {                                                                     \
        const char  *g_ = (got), *e_ = (exp);                                \
        int  p_ = (g_ && e_) ? strcmp(g_, e_) == 0 : g_ == e_;               \
        if (!tap_ok_at(p_, __FILE__, __LINE__, __VA_ARGS__)) {               \
            printf("#   got: '%s'\n#   expected: '%s'\n",                    \
                   g_ ? g_ : "(null)", e_ ? e_ : "(null)");                  \
        }                                                                    \
    } while (0)

#define is_mem(got, exp, n, ...)                                             \
    tap_ok_at(memcmp((got), (exp), (n)) == 0, __FILE__, __LINE__, __VA_ARGS__)

#define diag(...)                                                            \
    do { printf("# "); printf(__VA_ARGS__); printf("\n"); } while (0)


static int
done_testing(void)
{
    printf("1..%d\n", tap_n);
    return tap_failed ? 1 : 0;
}


#endif /* ICETAP_TEST_TAP_H */
