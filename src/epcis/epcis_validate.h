/* EPCIS 2.0 JSON / JSON-LD validation (GS1 EPCIS 2.0 JSON schema + CBV 2.0
 * code lists), for documents and events that arrive from the network.
 *
 * What is checked, what is not and why: docs/epcis-validation.md.
 *
 * Every input is treated as hostile: no recursion without a depth bound, no
 * buffer that grows with the input except the temporary key/value index
 * used for duplicate checks (freed before return). Validation is pure: no
 * I/O, no global state, thread-safe.
 *
 * Errors are reported as (event index, JSON path, detail). The HTTP layer
 * turns them into RFC 9457 problem details (status 400,
 * epcisException:ValidationException). */
#ifndef SY_EPCIS_VALIDATE_H
#define SY_EPCIS_VALIDATE_H

#include <stddef.h>

struct cJSON; /* cJSON's own typedef names this struct; no cJSON header here */

typedef struct sy_epcis_error {
  /* Index of the event in eventList (or the index passed to
   * sy_epcis_validate_event); -1 = a document-level error. */
  int event_index;
  /* Path of the offending member, dot/bracket notation from the root of
   * what was validated: "epcisBody.eventList[3].bizStep",
   * "quantityList[0].uom"; "$" = the root itself. A required member that is
   * missing is named by the path it should have had. Keys that are not
   * plain names are written ["..."]; over-long paths keep head and tail
   * around "...". NUL-terminated. */
  char field[128];
  /* Human-readable reason, e.g. "'transforming' is not a CBV bizStep term
   * and not a URI (user vocabulary values need a scheme, e.g.
   * 'urn:example:bizstep:x')". Input echoed here is truncated and
   * non-printable bytes are replaced by '?'. NUL-terminated. */
  char detail[256];
} sy_epcis_error;

/* Validates an EPCISDocument (capture body) or an EPCISQueryDocument.
 * doc is borrowed for the call. Errors are written to errs[0..max_errs-1]
 * in the order found (members in document order, then what is missing from
 * each object); once max_errs errors are stored validation stops (with
 * max_errs == 0, errs may be NULL and it stops at the first error).
 * *n_errs (may be NULL) receives the number stored.
 * Returns SY_OK when valid, SY_EMALFORMED when not, SY_EINVAL for
 * doc == NULL or errs == NULL with max_errs > 0, SY_ENOMEM when a
 * temporary index could not be allocated (result unknown). */
int sy_epcis_validate_document(const struct cJSON *doc, sy_epcis_error *errs, size_t max_errs,
                               size_t *n_errs);

/* Validates one bare event, the body of POST /events: one of the five
 * EPCIS event types, or an extension event whose type is a namespaced URI.
 * A bare event needs its own "@context" (schema: required-ld-context).
 * index is copied into every error's event_index; paths are relative to the
 * event ("bizStep", "quantityList[0].quantity"). Same error contract as
 * sy_epcis_validate_document. */
int sy_epcis_validate_event(const struct cJSON *event, int index, sy_epcis_error *errs,
                            size_t max_errs, size_t *n_errs);

/* Validates an event taken out of a document: doc_context is the
 * document's "@context" (borrowed; NULL = none), which declares the
 * namespace prefixes the event may use; the event needs no "@context" of
 * its own. Otherwise as sy_epcis_validate_event. */
int sy_epcis_validate_event_in(const struct cJSON *event, const struct cJSON *doc_context,
                               int index, sy_epcis_error *errs, size_t max_errs, size_t *n_errs);

/* The individual syntax checks, for other modules (query parameters, XML
 * binding). Each takes a NUL-terminated string, borrowed, and returns SY_OK
 * or SY_EMALFORMED (SY_EINVAL for NULL). */

/* RFC 3339 date-time with mandatory offset ("Z" or "+hh:mm"), calendar and
 * clock ranges checked (leap years; second 60 only at 23:59 UTC). */
int sy_epcis_check_time(const char *s);
/* Absolute URI: scheme "[A-Za-z][A-Za-z0-9+.-]*:", a non-empty rest, no
 * space, control or RFC 3986-excluded character, well-formed %HH escapes,
 * well-formed UTF-8 (IRIs). "urn:epc:" values must also pass
 * sy_epcis_check_epc_urn. */
int sy_epcis_check_uri(const char *s);
/* EPC pure-identity URN (urn:epc:id:sgtin|sscc|sgln|grai|giai|gsrn|gsrnp|
 * gdti|cpi|sgcn|ginc|gsin|itip|upui|pgln|gid|usdod|adi|bic|imovn:...),
 * class URN (urn:epc:class:lgtin:...) or pattern (urn:epc:idpat:...), per
 * GS1 TDS 2.0: component digit counts, character sets, escapes, lengths. */
int sy_epcis_check_epc_urn(const char *s);
/* An http(s) URI that carries a GS1 primary key in its path
 * (".../01/{gtin}[/22|10|21|235/...]", /00/, /414/, /417/, /8003/, ...,
 * or the short names /gtin/, /sscc/, ...) must have a well-formed key
 * (digit counts, GS1 check digit for GTIN, SSCC, GLN, party GLN, GSIN,
 * GSRN(P), GDTI, GCN, ITIP) and only the qualifiers that key allows. An
 * http(s) URI without such a path segment passes (it is not a Digital Link
 * URI). */
int sy_epcis_check_digital_link(const char *s);

#endif
