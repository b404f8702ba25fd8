/* Growable byte buffer for encoders, and a bounds-checked reader for decoders.
 * Little-endian fixed-width integers throughout (docs/format.md). */
#ifndef SY_BUF_H
#define SY_BUF_H

#include <stddef.h>
#include <stdint.h>

/* Owns p; zero-initialise, release with sy_buf_free(). */
typedef struct sy_buf {
  uint8_t *p;
  size_t len;
  size_t cap;
  int err; /* sticky: first error of any append, SY_OK otherwise */
} sy_buf;

void sy_buf_free(sy_buf *b);
void sy_buf_reset(sy_buf *b);
/* Appends; on allocation failure sets b->err = SY_ENOMEM and ignores later appends. */
void sy_buf_put(sy_buf *b, const void *p, size_t n);
void sy_buf_u8(sy_buf *b, uint8_t v);
void sy_buf_u16(sy_buf *b, uint16_t v);
void sy_buf_u32(sy_buf *b, uint32_t v);
void sy_buf_u64(sy_buf *b, uint64_t v);
/* Takes the bytes out of b (caller frees with free()); b is left empty. */
uint8_t *sy_buf_take(sy_buf *b, size_t *len);

/* Reader over borrowed bytes; every get fails once past the end and stays failed. */
typedef struct sy_reader {
  const uint8_t *p;
  size_t len;
  size_t off;
  int err;
} sy_reader;

void sy_reader_init(sy_reader *r, const uint8_t *p, size_t len);
uint8_t sy_get_u8(sy_reader *r);
uint16_t sy_get_u16(sy_reader *r);
uint32_t sy_get_u32(sy_reader *r);
uint64_t sy_get_u64(sy_reader *r);
/* Returns a pointer into the reader's bytes (borrowed), or NULL past the end. */
const uint8_t *sy_get_bytes(sy_reader *r, size_t n);
int sy_get_copy(sy_reader *r, void *out, size_t n);

void sy_store_u64(uint8_t out[8], uint64_t v);
uint64_t sy_load_u64(const uint8_t in[8]);

#endif
