/* Private to src/ident: helpers the element-string, Digital Link, EPC URN
 * and TDS code share. */
#ifndef SY_IDENT_INT_H
#define SY_IDENT_INT_H

#include <stddef.h>

#include "ident/ai_table.h"
#include "ident/ident.h"

/* Writes the message into err (when given) and returns SY_EINVAL. */
int sy_ident_fail(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Appends ai = value[0..vlen) to g (no validation of the value yet). A
 * repeated AI with the same value is dropped; with another value it fails. */
int sy_gs1_append(sy_gs1 *g, const char *ai, const char *value, size_t vlen, char *err,
                  size_t errlen);

/* Validates every value and the req/ex pairing rules, then puts the primary
 * key first and its qualifiers after it in dictionary order (key_first: g
 * already has its primary key at ais[0]). */
int sy_gs1_finish(sy_gs1 *g, int key_first, char *err, size_t errlen);

/* The qualifier alternative of key entry e that covers most of g's AIs
 * ("22,10,21"), written into alt[size]; "" when the key has none. */
void sy_gs1_best_alt(const sy_ai_entry *e, const sy_gs1 *g, char *alt, size_t size);
/* 1 when ai is one of the comma-separated AIs in list. */
int sy_ident_in_list(const char *list, const char *ai);

int sy_ident_all_digits(const char *s, size_t n);

/* For the writers: g is well formed (1..SY_GS1_MAX_AIS entries, terminated
 * strings, known AIs, every value valid). 0 or -1 (SY_EINVAL) with err. */
int sy_gs1_check_struct(const sy_gs1 *g, char *err, size_t errlen);

#endif
