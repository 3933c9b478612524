/* The checks of the C-library test programs (dynamic, eventfd, signals): each failed check
 * prints "<CHECK_NAME>: FAIL: <message>" and is counted in `failures`; the program ends
 * with "<CHECK_NAME>: all checks passed" and status 0 only when none failed. Define
 * CHECK_NAME (a string literal) before including this. */
#ifndef PMUEMU_USER_CHECK_H
#define PMUEMU_USER_CHECK_H

#include <stdio.h>

static int failures;
#define CHECK(cond, ...)                              \
  do {                                                \
    if (!(cond)) {                                    \
      printf(CHECK_NAME ": FAIL: " __VA_ARGS__);      \
      printf("\n");                                   \
      ++failures;                                     \
    }                                                 \
  } while (0)

#endif
