/* cJSON helpers for the EPCIS fuzz targets: a metamorphic twin of a
 * document. JSON object members are unordered (RFC 8259; EPCIS 2.0 says
 * nothing else), so a document with every object's members in reverse
 * order must validate and hash exactly as the original. Header-only, like
 * fuzz_common.h. */
#ifndef SY_FUZZ_JSON_H
#define SY_FUZZ_JSON_H

#include <cjson/cJSON.h>
#include <string.h>

/* Objects with more members than this are not checked for repeated keys
 * (quadratic); fuzz_json_reorderable then says no. */
#define FUZZ_JSON_MAX_MEMBERS 256

/* 1 when no object in the tree repeats a key (with a repeated key, member
 * order decides which one cJSON_GetObjectItem finds: reordering would
 * change the document) and none is too large to check. */
static inline int fuzz_json_reorderable(const cJSON *it, int depth) {
  if (depth > 200) return 0;
  if (cJSON_IsObject(it)) {
    int n = 0;
    for (const cJSON *a = it->child; a; a = a->next) {
      if (++n > FUZZ_JSON_MAX_MEMBERS) return 0;
      for (const cJSON *b = a->next; b; b = b->next)
        if (a->string && b->string && strcmp(a->string, b->string) == 0) return 0;
    }
  }
  if (cJSON_IsObject(it) || cJSON_IsArray(it))
    for (const cJSON *c = it->child; c; c = c->next)
      if (!fuzz_json_reorderable(c, depth + 1)) return 0;
  return 1;
}

/* The one place where the hash follows member order on purpose: the CBV
 * 2.0 reference implementation does not sort siblings named bizTransaction,
 * source or destination in fields it handles generically (its
 * should_sort(), mirrored by generic() in epcis_hash.c), so there an
 * object's member order is part of the hash. Objects with such a member
 * are left in their order everywhere (docs/reliability.md, finding F1);
 * the standard lists, which the hash reads order-independently, lose
 * nothing by that but coverage. */
static inline int fuzz_json_order_kept(const cJSON *obj) {
  for (const cJSON *m = obj->child; m; m = m->next)
    if (m->string && (!strcmp(m->string, "bizTransaction") || !strcmp(m->string, "source") ||
                      !strcmp(m->string, "destination")))
      return 1;
  return 0;
}

/* Reverses the member order of every object in the tree, in place (array
 * order is meaningful and kept), except fuzz_json_order_kept objects. */
static inline void fuzz_json_reverse_members(cJSON *it) {
  if (!cJSON_IsObject(it) && !cJSON_IsArray(it)) return;
  for (cJSON *c = it->child; c; c = c->next) fuzz_json_reverse_members(c);
  if (!cJSON_IsObject(it) || !it->child || fuzz_json_order_kept(it)) return;
  /* cJSON lists: next runs forward, the head's prev points at the tail. */
  cJSON *head = it->child, *cur = head, *newhead = NULL;
  while (cur) {
    cJSON *next = cur->next;
    cur->next = newhead;
    if (newhead) newhead->prev = cur;
    newhead = cur;
    cur = next;
  }
  newhead->prev = head; /* the old head is the new tail */
  it->child = newhead;
}

#endif
