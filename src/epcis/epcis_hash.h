/* GS1 CBV 2.0 "EPCIS Event Hash ID" (CBV 2.0 section 8.9), docs/epcis-hash.md.
 *
 * An event's hash ID is "ni:///sha-256;<64 lowercase hex>?ver=CBV2.0", the
 * SHA-256 of its canonical pre-hash string: the event's fields in the CBV's
 * canonical order, each "name=value", values normalised (UTC timestamps with
 * milliseconds, CBV values as https://ref.gs1.org/cbv/... URIs, GS1 keys as
 * canonical GS1 Digital Link URIs, numbers without trailing zeros), lists
 * sorted, user extensions sorted at the end; recordTime, eventID and
 * errorDeclaration left out. Two serialisations of one event — JSON-LD or
 * XML, EPC URNs or Digital Link URIs, any field order, any namespace prefix —
 * give the same ID. The reference is the GS1 reference implementation
 * (github.com/RalphTro/epcis-event-hash-generator); where we deviate from it
 * on purpose, docs/epcis-hash.md says so.
 *
 * Events are cJSON objects in the EPCIS 2.0 JSON-LD shape. XML documents are
 * read into the same shape by epcis/epcis_xml.h. In that shape a user
 * extension key is either "prefix:name" (the prefix declared in a JSON-LD
 * "@context") or "{namespace}name" (Clark notation, what the XML reader
 * writes).
 *
 * All functions are pure and thread-safe; they never modify their input. */
#ifndef SY_EPCIS_HASH_H
#define SY_EPCIS_HASH_H

#include <cjson/cJSON.h>
#include <stddef.h>

/* "ni:///sha-256;" + 64 hex + "?ver=CBV2.0" + NUL is 90 bytes. */
#define SY_EPCIS_HASH_ID_MAX 96

/* Optional inputs for the _opts variants. Zero-initialise. */
typedef struct sy_epcis_hash_opts {
  /* The enclosing document's "@context" (string, object or array), used to
   * resolve "prefix:name" keys and values; the event's own "@context" is
   * applied on top of it. NULL: only the event's own and the standard
   * prefixes (gs1, cbv, cbvmda, ...). Borrowed for the call. */
  const cJSON *context;
  /* Extra top-level fields to leave out of the hash (a repository's
   * "ignoreFields", see sy_epcis_document_hashes), n_ignore names, each
   * "prefix:name", "{namespace}name" or a plain name. Borrowed for the call. */
  const char *const *ignore;
  size_t n_ignore;
} sy_epcis_hash_opts;

/* The canonical pre-hash string of one event. *out is transferred to the
 * caller (free()), NUL-terminated UTF-8. Returns SY_OK, SY_EINVAL (NULL
 * argument), SY_EMALFORMED (not an object, or no string "type"),
 * SY_ETOOBIG (nested deeper than 100 levels) or SY_ENOMEM. */
int sy_epcis_event_prehash(const cJSON *event, char **out);
int sy_epcis_event_prehash_opts(const cJSON *event, const sy_epcis_hash_opts *opts, char **out);

/* The hash ID of one event, written into out. Same errors as the prehash
 * functions, plus SY_ECRYPTO when the crypto library cannot be initialised.
 * An event taken out of a JSON-LD document needs that document's
 * "@context" (opts.context; sy_epcis_document_hashes does this): without
 * it a "prefix:name" extension key cannot be resolved and the ID differs
 * from the one the same event has in its document or in XML. */
int sy_epcis_event_hash(const cJSON *event, char out[SY_EPCIS_HASH_ID_MAX]);
int sy_epcis_event_hash_opts(const cJSON *event, const sy_epcis_hash_opts *opts,
                             char out[SY_EPCIS_HASH_ID_MAX]);

/* The hash ID of a pre-hash string of len bytes (borrowed). */
int sy_epcis_hash_id_from_prehash(const char *prehash, size_t len, char out[SY_EPCIS_HASH_ID_MAX]);

/* ---- documents ------------------------------------------------------------------ */

/* The events of a document, in document order: an EPCISDocument
 * (epcisBody.eventList, or epcisBody.event), an EPCISQueryDocument
 * (epcisBody.queryResults.resultsBody.eventList) or a bare event (an object
 * whose "type" ends in "Event"). Returns the array (or, for a bare event or
 * epcisBody.event, the event itself, with *single = 1), borrowed from doc;
 * NULL when doc is none of these. */
const cJSON *sy_epcis_document_events(const cJSON *doc, int *single);

enum {
  SY_EPCIS_WANT_PREHASH = 1,     /* also keep each event's pre-hash string */
  SY_EPCIS_NO_IGNORE_FIELDS = 2, /* do not honour the document's "ignoreFields" */
};

/* Result of sy_epcis_document_hashes. The caller owns the struct; release
 * what it holds with sy_epcis_hashes_close. */
typedef struct sy_epcis_hashes {
  size_t count;                      /* events in the document */
  char (*ids)[SY_EPCIS_HASH_ID_MAX]; /* count hash IDs, document order */
  char **prehashes;                  /* count strings with SY_EPCIS_WANT_PREHASH, else NULL */
  /* On failure: the index of the event that could not be hashed, or -1
   * when the document itself is unusable; and why, as text. */
  long failed_index;
  char errmsg[200];
} sy_epcis_hashes;

/* Hashes every event of doc (see sy_epcis_document_events) in document
 * order, each with the document's "@context". A field named ignoreFields
 * ("prefix:ignoreFields" or "{ns}ignoreFields") at the document level, in
 * epcisBody, queryResults or resultsBody lists top-level event fields that a
 * repository added and that are left out of every event's hash (the
 * reference implementation's repository-specific fields); flags
 * SY_EPCIS_NO_IGNORE_FIELDS turns that off. On success out holds the
 * results (count may be 0 for an empty event list). On failure out holds no
 * allocations, only failed_index and errmsg. Returns SY_OK, SY_EINVAL,
 * SY_EMALFORMED (not an EPCIS document, or an event without a type),
 * SY_ETOOBIG, SY_ENOMEM or SY_ECRYPTO. */
int sy_epcis_document_hashes(const cJSON *doc, unsigned flags, sy_epcis_hashes *out);

/* Frees what sy_epcis_document_hashes put into h and zeroes it; h itself is
 * the caller's. NULL is a no-op. */
void sy_epcis_hashes_close(sy_epcis_hashes *h);

#endif
