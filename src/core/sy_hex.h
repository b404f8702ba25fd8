/* Hex and base64 helpers (lowercase hex). */
#ifndef SY_HEX_H
#define SY_HEX_H

#include <stddef.h>
#include <stdint.h>

/* Writes 2*n hex chars plus NUL into out (size >= 2*n+1). */
void sy_hex_encode(char *out, const uint8_t *in, size_t n);
/* Decodes exactly 2*n hex chars of `in` (case-insensitive) into out[n].
 * Returns SY_OK or SY_EMALFORMED (wrong length or non-hex). */
int sy_hex_decode(uint8_t *out, size_t n, const char *in, size_t in_len);

/* Standard base64 with padding. sy_b64_encode writes NUL-terminated text into
 * out of size >= sy_b64_encoded_len(n). */
size_t sy_b64_encoded_len(size_t n);
void sy_b64_encode(char *out, const uint8_t *in, size_t n);
/* Decodes into out (capacity cap); returns decoded length or -1 on bad input
 * or insufficient capacity. Whitespace is not accepted. */
long sy_b64_decode(uint8_t *out, size_t cap, const char *in, size_t in_len);

#endif
