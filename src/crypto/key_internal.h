/* Private to crypto/: moving a secret between a key and the keystore. */
#ifndef SY_KEY_INTERNAL_H
#define SY_KEY_INTERNAL_H

#include "crypto/suite.h"

#define SY_SEED_LEN 32

/* Builds a key from a 32-byte seed; *out transferred. */
int sy_key_from_seed(const sy_suite *s, const uint8_t *seed, size_t seed_len, sy_key **out);
/* Copies the key's seed into seed[seed_len] (caller wipes it). */
int sy_key_seed(const sy_key *k, uint8_t *seed, size_t seed_len);

#endif
