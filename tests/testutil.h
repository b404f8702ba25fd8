/* Minimal test harness: CHECK macros that report file:line and count
 * failures; a test binary exits non-zero if any check failed. */
#ifndef SY_TESTUTIL_H
#define SY_TESTUTIL_H

#include <stdio.h>

extern int sy_test_failures;
extern int sy_test_checks;

#define CHECK(cond)                                                          \
  do {                                                                       \
    sy_test_checks++;                                                        \
    if (!(cond)) {                                                           \
      sy_test_failures++;                                                    \
      fprintf(stderr, "%s:%d: CHECK failed: %s\n", __FILE__, __LINE__, #cond); \
    }                                                                        \
  } while (0)

#define CHECK_EQ(a, b)                                                                 \
  do {                                                                                 \
    long long _a = (long long)(a), _b = (long long)(b);                                \
    sy_test_checks++;                                                                  \
    if (_a != _b) {                                                                    \
      sy_test_failures++;                                                              \
      fprintf(stderr, "%s:%d: CHECK_EQ failed: %s == %s (%lld != %lld)\n", __FILE__,   \
              __LINE__, #a, #b, _a, _b);                                               \
    }                                                                                  \
  } while (0)

/* A fresh empty directory under SY_TEST_TMP (or /tmp); static storage,
 * valid until the next call. */
const char *sy_test_dir(const char *name);
/* Prints "N passed, N failed" and returns the exit status. */
int sy_test_done(const char *name);

#endif
