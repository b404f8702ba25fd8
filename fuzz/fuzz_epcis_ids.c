/* GS1 identifier syntax: EPC URNs (TDS 2.0), GS1 Digital Link URIs, URIs,
 * RFC 3339 times (epcis/epcis_validate.h) and the CBV vocabularies
 * (epcis/cbv.h), on hostile strings. These run on every identifier of
 * every captured event and on query parameters.
 *
 * The input, up to its first NUL, is the string.
 *
 * Invariants, beyond memory safety:
 *   - each check answers SY_OK or SY_EMALFORMED;
 *   - a "urn:epc:" string passes sy_epcis_check_uri exactly when it passes
 *     sy_epcis_check_epc_urn (the URI check defers to the EPC one);
 *   - a valid EPC URN is a valid URI;
 *   - a time the validator accepts, the ledger can read: sy_le_parse_time
 *     (what epcis.capture apply uses for eventTime) accepts it too, else
 *     the API would take in documents that every node then rejects;
 *   - CBV: sy_cbv_classify and sy_cbv_canonical agree on what is invalid;
 *     a canonical form is itself classified valid, canonicalises to itself
 *     (idempotent) and is NUL-terminated within the buffer; a bare term is
 *     a term. */
#include "core/sy_error.h"
#include "epcis/cbv.h"
#include "epcis/epcis_validate.h"
#include "fuzz_common.h"

/* ledger/ledger_events.c: eventTime to milliseconds since the epoch, as
 * the capture apply reads it. Not in a header (internal to the ledger);
 * declared here as that file declares it. */
int sy_le_parse_time(const char *s, int64_t *ms);

static void check_cbv(const char *s) {
  for (int v = 0; v < SY_CBV_VOCAB_COUNT; v++) {
    sy_cbv_vocab voc = (sy_cbv_vocab)v;
    int cls = sy_cbv_classify(voc, s);
    FUZZ_CHECK(cls >= 0 && cls <= 3);
    if (cls == 1) FUZZ_CHECK(sy_cbv_is_term(voc, s));
    char canon[512];
    int rc = sy_cbv_canonical(voc, s, canon, sizeof canon);
    FUZZ_CHECK(rc == 0 || rc == -1);
    if (cls == 0) FUZZ_CHECK(rc == -1);
    if (rc != 0) continue;
    FUZZ_CHECK(strnlen(canon, sizeof canon) < sizeof canon);
    int ccls = sy_cbv_classify(voc, canon);
    FUZZ_CHECK(ccls == 2 || ccls == 3);
    if (cls == 1 || cls == 2) FUZZ_CHECK(ccls == 2);
    char again[512];
    FUZZ_CHECK(sy_cbv_canonical(voc, canon, again, sizeof again) == 0);
    FUZZ_CHECK(strcmp(canon, again) == 0);
    /* Too small a buffer is refused, never overrun. */
    size_t need = strlen(canon) + 1;
    char *tight = malloc(need - 1 ? need - 1 : 1);
    FUZZ_CHECK(tight != NULL);
    FUZZ_CHECK(sy_cbv_canonical(voc, s, tight, need - 1) == -1);
    free(tight);
  }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  char *s = fuzz_cstr(data, size);
  if (!s) return 0;
  int t = sy_epcis_check_time(s);
  int u = sy_epcis_check_uri(s);
  int e = sy_epcis_check_epc_urn(s);
  int d = sy_epcis_check_digital_link(s);
  FUZZ_CHECK(t == SY_OK || t == SY_EMALFORMED);
  FUZZ_CHECK(u == SY_OK || u == SY_EMALFORMED);
  FUZZ_CHECK(e == SY_OK || e == SY_EMALFORMED);
  FUZZ_CHECK(d == SY_OK || d == SY_EMALFORMED);
  if (strncmp(s, "urn:epc:", 8) == 0) FUZZ_CHECK(u == e);
  if (e == SY_OK) FUZZ_CHECK(u == SY_OK);
  if (t == SY_OK) {
    int64_t ms = 0;
    FUZZ_CHECK(sy_le_parse_time(s, &ms) == SY_OK);
  }
  check_cbv(s);
  FUZZ_CHECK(sy_epcis_check_uri(NULL) == SY_EINVAL);
  free(s);
  return 0;
}
