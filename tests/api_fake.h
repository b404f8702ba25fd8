/* A request for the handlers without libmicrohttpd (sy_api_req's query,
 * query_each and header callbacks over fixed tables), shared by the unit
 * tests that drive src/api/ directly. */
#ifndef SY_TEST_API_FAKE_H
#define SY_TEST_API_FAKE_H

#include <stddef.h>
#include <string.h>
#include <strings.h>

typedef struct kv {
  const char *k, *v;
} kv;

typedef struct fake {
  const kv *q; /* query parameters, NULL-terminated */
  const kv *h; /* headers, NULL-terminated */
} fake;

static inline int f_query(void *ctx, const char *key, const char **val, size_t *len) {
  fake *f = ctx;
  for (const kv *p = f->q; p && p->k; p++)
    if (!strcmp(p->k, key)) {
      *val = p->v;
      *len = p->v ? strlen(p->v) : 0;
      return 1;
    }
  return 0;
}

static inline int f_each(void *ctx, int (*fn)(void *, const char *, size_t, const char *, size_t),
                         void *arg) {
  fake *f = ctx;
  for (const kv *p = f->q; p && p->k; p++) {
    int rc = fn(arg, p->k, strlen(p->k), p->v, p->v ? strlen(p->v) : 0);
    if (rc) return rc;
  }
  return 0;
}

static inline const char *f_header(void *ctx, const char *name) {
  fake *f = ctx;
  for (const kv *p = f->h; p && p->k; p++)
    if (!strcasecmp(p->k, name)) return p->v;
  return NULL;
}

#endif
