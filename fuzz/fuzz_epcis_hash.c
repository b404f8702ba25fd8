/* CBV 2.0 event hash IDs (epcis/epcis_hash.h) over documents in either
 * syntax (epcis/epcis_xml.h): what `suyuan epcis hash` and the ledger's
 * epcis.capture apply compute, on hostile input.
 *
 * The input goes through sy_epcis_doc_parse (XML when it starts with '<',
 * JSON otherwise), then sy_epcis_document_hashes with pre-hash strings.
 *
 * Invariants, beyond memory safety:
 *   - documented return codes only; on failure nothing is left allocated
 *     and errmsg is a NUL-terminated message, on success failed_index is -1;
 *   - every id is "ni:///sha-256;" + 64 lowercase hex + "?ver=CBV2.0" and
 *     is the hash of the event's pre-hash string (sy_epcis_hash_id_from_prehash);
 *   - hashing is deterministic (a second run gives the same ids);
 *   - with SY_EPCIS_NO_IGNORE_FIELDS, each event's id equals what the ledger
 *     computes for it: sy_epcis_event_hash_opts with the document's
 *     "@context" (src/ledger/ledger_events.c);
 *   - a JSON document that sy_epcis_validate_document accepts hashes
 *     without error (else the API would accept what the ledger rejects);
 *   - the order of object members does not matter: the document with every
 *     object's members reversed (when no object repeats a key) hashes to
 *     the same ids;
 *   - the document is not modified. */
#include <cjson/cJSON.h>

#include "core/sy_error.h"
#include "epcis/epcis_hash.h"
#include "epcis/epcis_validate.h"
#include "epcis/epcis_xml.h"
#include "fuzz_common.h"
#include "fuzz_json.h"

/* Bound the work per input: enough events to reach every code path. */
#define MAX_EVENTS 64

static int good_id(const char *id) {
  static const char pre[] = "ni:///sha-256;", post[] = "?ver=CBV2.0";
  if (strnlen(id, SY_EPCIS_HASH_ID_MAX) != sizeof pre - 1 + 64 + sizeof post - 1) return 0;
  if (memcmp(id, pre, sizeof pre - 1) != 0) return 0;
  for (size_t i = 0; i < 64; i++) {
    char c = id[sizeof pre - 1 + i];
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return 0;
  }
  return strcmp(id + sizeof pre - 1 + 64, post) == 0;
}

static int doc_hashes(const cJSON *doc, unsigned flags, sy_epcis_hashes *h) {
  int rc = sy_epcis_document_hashes(doc, flags, h);
  FUZZ_CHECK(rc == SY_OK || rc == SY_EMALFORMED || rc == SY_ETOOBIG || rc == SY_ENOMEM);
  if (rc != SY_OK) {
    FUZZ_CHECK(h->ids == NULL && h->prehashes == NULL && h->count == 0);
    FUZZ_CHECK(strnlen(h->errmsg, sizeof h->errmsg) < sizeof h->errmsg);
    FUZZ_CHECK(h->errmsg[0] != '\0');
    return rc;
  }
  FUZZ_CHECK(h->failed_index == -1);
  FUZZ_CHECK(h->count == 0 || h->ids != NULL);
  for (size_t i = 0; i < h->count; i++) FUZZ_CHECK(good_id(h->ids[i]));
  return rc;
}

static void check_doc(const cJSON *doc, int is_xml) {
  int single = 0;
  const cJSON *events = sy_epcis_document_events(doc, &single);
  if (events && !single && cJSON_GetArraySize(events) > MAX_EVENTS) return;

  sy_epcis_hashes h;
  int rc = doc_hashes(doc, SY_EPCIS_WANT_PREHASH, &h);
  if (rc == SY_OK) {
    FUZZ_CHECK(events != NULL);
    FUZZ_CHECK(h.count == (single ? 1 : (size_t)cJSON_GetArraySize(events)));
    FUZZ_CHECK(h.count == 0 || h.prehashes != NULL);
    for (size_t i = 0; i < h.count; i++) {
      char id[SY_EPCIS_HASH_ID_MAX];
      FUZZ_CHECK(h.prehashes[i] != NULL);
      FUZZ_CHECK(sy_epcis_hash_id_from_prehash(h.prehashes[i], strlen(h.prehashes[i]), id) ==
                 SY_OK);
      FUZZ_CHECK(strcmp(id, h.ids[i]) == 0);
    }
    /* Deterministic. */
    sy_epcis_hashes again;
    FUZZ_CHECK(doc_hashes(doc, 0, &again) == SY_OK);
    FUZZ_CHECK(again.count == h.count && again.prehashes == NULL);
    for (size_t i = 0; i < h.count; i++) FUZZ_CHECK(strcmp(again.ids[i], h.ids[i]) == 0);
    sy_epcis_hashes_close(&again);
    /* Member order is not significant. */
    if (fuzz_json_reorderable(doc, 0)) {
      cJSON *rev = cJSON_Duplicate(doc, 1);
      if (rev) {
        fuzz_json_reverse_members(rev);
        sy_epcis_hashes r;
        int rrc = doc_hashes(rev, SY_EPCIS_WANT_PREHASH, &r);
        if (rrc != SY_ENOMEM) {
          FUZZ_CHECK(rrc == SY_OK && r.count == h.count);
          for (size_t i = 0; i < h.count; i++) {
            if (strcmp(r.ids[i], h.ids[i]) != 0)
              fprintf(stderr, "member order changes event %zu:\n  %s\n  %s\n", i, h.prehashes[i],
                      r.prehashes[i]);
            FUZZ_CHECK(strcmp(r.ids[i], h.ids[i]) == 0);
          }
        }
        sy_epcis_hashes_close(&r);
        cJSON_Delete(rev);
      }
    }
  }
  sy_epcis_hashes_close(&h);
  FUZZ_CHECK(h.ids == NULL && h.prehashes == NULL && h.count == 0);

  /* Without ignoreFields: the ids the ledger computes event by event. */
  sy_epcis_hashes plain;
  rc = doc_hashes(doc, SY_EPCIS_NO_IGNORE_FIELDS, &plain);
  if (rc == SY_OK) {
    sy_epcis_hash_opts ho = {.context = cJSON_GetObjectItemCaseSensitive(doc, "@context")};
    const cJSON *ev = single ? events : events->child;
    for (size_t i = 0; i < plain.count && ev; i++, ev = single ? NULL : ev->next) {
      char id[SY_EPCIS_HASH_ID_MAX];
      FUZZ_CHECK(sy_epcis_event_hash_opts(ev, &ho, id) == SY_OK);
      FUZZ_CHECK(strcmp(id, plain.ids[i]) == 0);
      /* The plain entry points take any event and never fail otherwise. */
      char *pre = NULL;
      int prc = sy_epcis_event_prehash(ev, &pre);
      FUZZ_CHECK(prc == SY_OK || prc == SY_ENOMEM);
      if (prc == SY_OK) FUZZ_CHECK(pre != NULL);
      free(pre);
    }
  }
  sy_epcis_hashes_close(&plain);

  /* What the API validates, the ledger can hash. */
  if (!is_xml && sy_epcis_validate_document(doc, NULL, 0, NULL) == SY_OK) {
    sy_epcis_hashes v;
    int vrc = doc_hashes(doc, 0, &v);
    FUZZ_CHECK(vrc == SY_OK || vrc == SY_ENOMEM);
    sy_epcis_hashes_close(&v);
  }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  cJSON *doc = NULL;
  int is_xml = -1;
  char err[256];
  int rc = sy_epcis_doc_parse((const char *)data, size, &doc, &is_xml, err, sizeof err);
  FUZZ_CHECK(rc == SY_OK || rc == SY_EMALFORMED || rc == SY_ETOOBIG || rc == SY_EUNSUPPORTED ||
             rc == SY_ENOMEM);
  FUZZ_CHECK(is_xml == 0 || is_xml == 1);
  if (rc != SY_OK) {
    FUZZ_CHECK(doc == NULL);
    FUZZ_CHECK(strnlen(err, sizeof err) < sizeof err && err[0] != '\0');
    return 0;
  }
  FUZZ_CHECK(doc != NULL);
  char *before = cJSON_PrintUnformatted(doc);
  check_doc(doc, is_xml);
  char *after = cJSON_PrintUnformatted(doc);
  if (before && after) FUZZ_CHECK(strcmp(before, after) == 0);
  cJSON_free(before);
  cJSON_free(after);
  cJSON_Delete(doc);
  return 0;
}
