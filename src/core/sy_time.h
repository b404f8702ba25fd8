/* Time text shared by the API and the ledger. */
#ifndef SY_TIME_H
#define SY_TIME_H

#include <stdint.h>

/* ms since the epoch as RFC 3339 UTC with milliseconds,
 * "2026-11-25T22:00:00.000Z" (out size >= 32); years outside 0..9999 give
 * the epoch. */
void sy_time_format_ms(int64_t ms, char out[32]);

#endif
