/* GS1 CBV 2.0 vocabularies (SPEC mapping table; EPCIS 2.0 JSON schema code
 * lists). Embedded in the binary: the node needs no file at run time.
 *
 * In EPCIS 2.0 JSON/JSON-LD a standard CBV value is written as a bare word
 * ("shipping"); the same value in XML or EPCIS 1.x is a URN
 * ("urn:epcglobal:cbv:bizstep:shipping"); its canonical web form is
 * "https://ref.gs1.org/cbv/BizStep-shipping". A user vocabulary value is
 * any absolute URI (it has a "scheme:"); a bare word that is not a term of
 * the list is invalid. */
#ifndef SY_CBV_H
#define SY_CBV_H

#include <stddef.h>

typedef enum sy_cbv_vocab {
  SY_CBV_BIZSTEP,
  SY_CBV_DISPOSITION,
  SY_CBV_BIZ_TRANSACTION_TYPE,
  SY_CBV_SOURCE_DEST_TYPE,
  SY_CBV_ERROR_REASON,
  SY_CBV_SENSOR_MEASUREMENT_TYPE, /* gs1:MeasurementType terms, e.g. "Temperature" */
  SY_CBV_SENSOR_ALERT_TYPE,
  SY_CBV_COMPONENT,
  SY_CBV_VOCAB_COUNT
} sy_cbv_vocab;

/* 1 when word is a term of the vocabulary (exact, case-sensitive). */
int sy_cbv_is_term(sy_cbv_vocab v, const char *word);

/* Canonical web-URI prefix of the vocabulary, e.g. "https://ref.gs1.org/cbv/BizStep-";
 * static storage. */
const char *sy_cbv_web_prefix(sy_cbv_vocab v);

/* Classifies a value: 1 bare CBV term, 2 CBV URN or web URI of a term,
 * 3 other absolute URI (user vocabulary), 0 invalid (bare word not in the
 * list, or empty). */
int sy_cbv_classify(sy_cbv_vocab v, const char *value);

/* Writes the canonical web URI of value into out (bare term, URN form and
 * web form all give "https://ref.gs1.org/cbv/BizStep-shipping"); other
 * absolute URIs are copied unchanged. Returns 0, or -1 when invalid or out
 * is too small. */
int sy_cbv_canonical(sy_cbv_vocab v, const char *value, char *out, size_t outlen);

#endif
