/* JSON building with one out-of-memory flag, for the route files of
 * src/api/ (internal). cJSON reports allocation failure by returning NULL
 * from every call; these helpers fold that into b->oom so a handler checks
 * once, at the end (sy_api_resp_json). Keys are string literals or strings
 * that outlive the object (cJSON_AddItemToObjectCS does not copy them). */
#ifndef SY_API_JSON_H
#define SY_API_JSON_H

#include <cjson/cJSON.h>
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>

typedef struct sy_jb {
  int oom;
} sy_jb;

/* Adds item to parent under key (or to the array parent when key is NULL);
 * takes item. Returns it, or NULL (and sets oom) on failure. */
static inline cJSON *jb_put(sy_jb *b, cJSON *parent, const char *key, cJSON *item) {
  if (!item || !parent) goto fail;
  cJSON_bool ok =
      key ? cJSON_AddItemToObjectCS(parent, key, item) : cJSON_AddItemToArray(parent, item);
  if (!ok) goto fail;
  return item;
fail:
  cJSON_Delete(item);
  b->oom = 1;
  return NULL;
}

/* Like jb_put but copies key (for keys that do not outlive the object). */
static inline cJSON *jb_put_k(sy_jb *b, cJSON *parent, const char *key, cJSON *item) {
  if (!item || !parent || !cJSON_AddItemToObject(parent, key, item)) {
    cJSON_Delete(item);
    b->oom = 1;
    return NULL;
  }
  return item;
}

static inline void jb_str(sy_jb *b, cJSON *o, const char *k, const char *s) {
  jb_put(b, o, k, s ? cJSON_CreateString(s) : cJSON_CreateNull());
}

/* u64 as exact decimal text, never through a double. */
static inline void jb_u64(sy_jb *b, cJSON *o, const char *k, uint64_t v) {
  char t[24];
  snprintf(t, sizeof t, "%" PRIu64, v);
  jb_put(b, o, k, cJSON_CreateRaw(t));
}

static inline void jb_i64(sy_jb *b, cJSON *o, const char *k, int64_t v) {
  char t[24];
  snprintf(t, sizeof t, "%" PRId64, v);
  jb_put(b, o, k, cJSON_CreateRaw(t));
}

static inline void jb_num(sy_jb *b, cJSON *o, const char *k, double v) {
  jb_put(b, o, k, cJSON_CreateNumber(v));
}

static inline void jb_bool(sy_jb *b, cJSON *o, const char *k, int v) {
  jb_put(b, o, k, cJSON_CreateBool(v));
}

static inline void jb_null(sy_jb *b, cJSON *o, const char *k) {
  jb_put(b, o, k, cJSON_CreateNull());
}

static inline cJSON *jb_obj(sy_jb *b, cJSON *o, const char *k) {
  return jb_put(b, o, k, cJSON_CreateObject());
}

static inline cJSON *jb_arr(sy_jb *b, cJSON *o, const char *k) {
  return jb_put(b, o, k, cJSON_CreateArray());
}

#endif
