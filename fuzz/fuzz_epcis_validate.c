/* EPCIS 2.0 JSON validation (epcis/epcis_validate.h) on hostile JSON: the
 * body of POST /capture and POST /events.
 *
 * The input is parsed with cJSON_ParseWithLength (inputs that do not parse
 * are not ours to test); then the whole document, each event of its event
 * list with the document's "@context", and the root as a bare event are
 * validated.
 *
 * Invariants, beyond memory safety:
 *   - only SY_OK, SY_EMALFORMED or SY_ENOMEM come back;
 *   - validating with room for 8 errors and with room for none (stop at the
 *     first) reach the same verdict, and the first error is the same;
 *   - SY_OK stores no error, SY_EMALFORMED stores at least one, never more
 *     than the room given;
 *   - every error's field and detail are NUL-terminated inside their
 *     arrays and free of control characters (they go into HTTP problem
 *     details and logs), event_index is -1 or the event's index;
 *   - validation does not modify the document (printed before and after);
 *   - the order of object members does not change the verdict (the
 *     document with every object's members reversed, when no object
 *     repeats a key). */
#include <cjson/cJSON.h>

#include "core/sy_error.h"
#include "epcis/epcis_validate.h"
#include "fuzz_common.h"
#include "fuzz_json.h"

#define MAX_ERRS 8

static void check_errors(int rc, const sy_epcis_error *errs, size_t n, int index_expected) {
  FUZZ_CHECK(rc == SY_OK || rc == SY_EMALFORMED || rc == SY_ENOMEM);
  FUZZ_CHECK(n <= MAX_ERRS);
  if (rc == SY_OK) FUZZ_CHECK(n == 0);
  if (rc == SY_EMALFORMED) FUZZ_CHECK(n >= 1);
  for (size_t i = 0; i < n; i++) {
    FUZZ_CHECK(fuzz_printable_message(errs[i].field, sizeof errs[i].field));
    FUZZ_CHECK(fuzz_printable_message(errs[i].detail, sizeof errs[i].detail));
    FUZZ_CHECK(errs[i].field[0] != '\0');
    if (index_expected != -2) FUZZ_CHECK(errs[i].event_index == index_expected);
    FUZZ_CHECK(errs[i].event_index >= -1);
  }
}

static void same_first_error(int rc_all, const sy_epcis_error *all, int rc_one,
                             const sy_epcis_error *one, size_t n_one) {
  if (rc_all == SY_ENOMEM || rc_one == SY_ENOMEM) return;
  FUZZ_CHECK(rc_all == rc_one);
  if (rc_one == SY_EMALFORMED) {
    FUZZ_CHECK(n_one == 1);
    FUZZ_CHECK(all[0].event_index == one[0].event_index);
    FUZZ_CHECK(strcmp(all[0].field, one[0].field) == 0);
    FUZZ_CHECK(strcmp(all[0].detail, one[0].detail) == 0);
  }
}

static void validate_doc(const cJSON *doc) {
  sy_epcis_error errs[MAX_ERRS], first[1];
  size_t n = 0, n1 = 0;
  int rc = sy_epcis_validate_document(doc, errs, MAX_ERRS, &n);
  check_errors(rc, errs, n, -2);
  int rc1 = sy_epcis_validate_document(doc, first, 1, &n1);
  check_errors(rc1, first, n1, -2);
  same_first_error(rc, errs, rc1, first, n1);
  int rc0 = sy_epcis_validate_document(doc, NULL, 0, NULL);
  if (rc != SY_ENOMEM && rc0 != SY_ENOMEM) FUZZ_CHECK(rc0 == rc);
}

static void validate_events(const cJSON *doc) {
  const cJSON *ctx = cJSON_GetObjectItemCaseSensitive(doc, "@context");
  const cJSON *body = cJSON_GetObjectItemCaseSensitive(doc, "epcisBody");
  const cJSON *list = cJSON_GetObjectItemCaseSensitive(body, "eventList");
  if (!list) {
    const cJSON *qr = cJSON_GetObjectItemCaseSensitive(body, "queryResults");
    const cJSON *rb = cJSON_GetObjectItemCaseSensitive(qr, "resultsBody");
    list = cJSON_GetObjectItemCaseSensitive(rb, "eventList");
  }
  if (!cJSON_IsArray(list)) return;
  int i = 0;
  const cJSON *ev;
  cJSON_ArrayForEach(ev, list) {
    if (i >= 64) break; /* enough to reach every code path */
    sy_epcis_error errs[MAX_ERRS], first[1];
    size_t n = 0, n1 = 0;
    int rc = sy_epcis_validate_event_in(ev, ctx, i, errs, MAX_ERRS, &n);
    check_errors(rc, errs, n, i);
    int rc1 = sy_epcis_validate_event_in(ev, ctx, i, first, 1, &n1);
    same_first_error(rc, errs, rc1, first, n1);
    i++;
  }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  cJSON *doc = cJSON_ParseWithLength((const char *)data, size);
  if (!doc) return 0;
  char *before = cJSON_PrintUnformatted(doc);

  validate_doc(doc);
  validate_events(doc);

  /* The root as a bare event (POST /events). */
  sy_epcis_error errs[MAX_ERRS];
  size_t n = 0;
  int rc = sy_epcis_validate_event(doc, 7, errs, MAX_ERRS, &n);
  check_errors(rc, errs, n, 7);

  /* Argument errors. */
  FUZZ_CHECK(sy_epcis_validate_document(doc, NULL, 1, NULL) == SY_EINVAL);
  FUZZ_CHECK(sy_epcis_validate_document(NULL, NULL, 0, NULL) == SY_EINVAL);

  /* Member order is not significant. */
  if (fuzz_json_reorderable(doc, 0)) {
    cJSON *rev = cJSON_Duplicate(doc, 1);
    if (rev) {
      fuzz_json_reverse_members(rev);
      int rc_doc = sy_epcis_validate_document(doc, NULL, 0, NULL);
      int rc_rev = sy_epcis_validate_document(rev, NULL, 0, NULL);
      if (rc_doc != SY_ENOMEM && rc_rev != SY_ENOMEM) FUZZ_CHECK(rc_doc == rc_rev);
      int re_doc = sy_epcis_validate_event(doc, 0, NULL, 0, NULL);
      int re_rev = sy_epcis_validate_event(rev, 0, NULL, 0, NULL);
      if (re_doc != SY_ENOMEM && re_rev != SY_ENOMEM) FUZZ_CHECK(re_doc == re_rev);
      cJSON_Delete(rev);
    }
  }

  char *after = cJSON_PrintUnformatted(doc);
  if (before && after) FUZZ_CHECK(strcmp(before, after) == 0);
  cJSON_free(before);
  cJSON_free(after);
  cJSON_Delete(doc);
  return 0;
}
