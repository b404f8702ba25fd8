/* GS1 identification keys, element strings, EPC URNs, GS1 Digital Link URIs
 * and EPC binary (RFID) encodings (SPEC C1-C3; docs/ident.md).
 *
 * One in-memory form, sy_gs1, holds a primary key and its qualifiers and
 * data attributes as GS1 application identifiers (AI -> value), exactly as
 * the GS1 Barcode Syntax Dictionary names them. Every textual form converts
 * to and from it:
 *   element string  "(01)09506000134352(10)LOT01(21)HELLO" (bracketed) or the
 *                   unbracketed barcode data with FNC1 as GS (0x1D) or "^"
 *   Digital Link    "https://id.gs1.org/01/09506000134352/10/LOT01/21/HELLO"
 *                   (any host and path stem; data attributes in the query)
 *   EPC URN         "urn:epc:id:sgtin:0614141.107346.2017" (needs the GS1
 *                   Company Prefix length, which a URN carries and a GTIN
 *                   does not: sy_gs1_to_epc_urn takes it)
 * GB/T 16986 application identifiers are the GS1 ones; GB/T 33993 commodity
 * codes and GB/T 40204 trace codes carry the element string or a URL.
 *
 * No allocation; no global state; every function is thread-safe. Errors are
 * SY_EINVAL with a sentence in err (when given) naming what is wrong. */
#ifndef SY_IDENT_H
#define SY_IDENT_H

#include <stddef.h>
#include <stdint.h>

#define SY_GS1_MAX_AIS 16
#define SY_GS1_AI_VALUE_MAX 90 /* longest AI value (AI 8030 et al. <= 90) */

typedef struct sy_gs1_ai {
  char ai[5];                            /* "01", "10", "8004" */
  char value[SY_GS1_AI_VALUE_MAX + 1];   /* as in the element string (GTIN
                                            always 14 digits after parsing) */
} sy_gs1_ai;

typedef struct sy_gs1 {
  size_t n;                  /* ais[0] is the primary key; then qualifiers in
                                dictionary order; then data attributes */
  sy_gs1_ai ais[SY_GS1_MAX_AIS];
} sy_gs1;

/* Check digit (GS1 mod-10) of the digits s[0..n): the digit to append. -1 when
 * s has a non-digit. sy_gs1_check_ok: 1 when the last digit of s[0..n) is
 * the right check digit. */
int sy_gs1_check_digit(const char *s, size_t n);
int sy_gs1_check_ok(const char *s, size_t n);

/* Validates one AI's value against the syntax dictionary (length, character
 * set, check digit, date). 0 or -1 with err. */
int sy_gs1_ai_validate(const char *ai, const char *value, char *err, size_t errlen);

/* Looks an AI up: its title (e.g. "BATCH/LOT"), NULL when unknown. */
const char *sy_gs1_ai_title(const char *ai);

/* Value of ai in g, NULL when absent. */
const char *sy_gs1_get(const sy_gs1 *g, const char *ai);

/* Normalises a GTIN-8/12/13/14 (digits, valid check digit) to 14 digits. */
int sy_gtin_normalise(const char *in, char out[15], char *err, size_t errlen);

/* ---- element strings ---------------------------------------------------- */
/* Parses "(01)...(21)..." or unbracketed data ("01...21...", FNC1 as 0x1D or
 * '^', optional leading "]d2"/"]Q3" symbology id). Validates every AI and the
 * pairing rules that matter for keys (e.g. 21 needs 01). */
int sy_gs1_parse_element_string(const char *s, sy_gs1 *out, char *err, size_t errlen);
/* Writes the bracketed form (human readable). SY_ETOOBIG when out is short. */
int sy_gs1_to_element_string(const sy_gs1 *g, char *out, size_t size);
/* Writes barcode data (no brackets; FNC1 = fnc1 char, e.g. 0x1D, after each
 * variable-length AI that is not last). */
int sy_gs1_to_barcode_data(const sy_gs1 *g, char fnc1, char *out, size_t size);

/* ---- GS1 Digital Link ----------------------------------------------------- */
/* Parses a DL URI ("https://host/stem/01/..."), or just its path with an
 * optional query ("/01/.../21/...?17=261231"). Checks the primary key, the
 * qualifier order of the dictionary's dlpkey rules, each value, and keeps
 * the query's GS1 data attributes (other query parameters are ignored; a
 * key qualifier or an AI that is not a DL data attribute in the query is
 * refused). Convenience alphas ("/gtin/...") are refused. */
int sy_gs1_parse_dl(const char *uri, sy_gs1 *out, char *err, size_t errlen);
/* Writes the DL URI: base ("https://id.gs1.org" when NULL; no trailing '/')
 * + path with values percent-encoded + data attributes as query. */
int sy_gs1_to_dl(const sy_gs1 *g, const char *base, char *out, size_t size);

/* ---- EPC URNs (TDS pure identity) ------------------------------------------ */
/* Parses urn:epc:id:{sgtin,sscc,sgln,grai,giai,gsrn,gdti}:... and
 * urn:epc:class:lgtin:CCCCCCC.IIIIII.LOT into g (GTIN with its check digit). */
int sy_gs1_from_epc_urn(const char *urn, sy_gs1 *out, char *err, size_t errlen);
/* As sy_gs1_from_epc_urn, and *company_prefix_len (when not NULL) gets the
 * GS1 Company Prefix length the URN carries (its first field). Also accepts
 * the other GS1 EPC schemes (pgln, gsrnp, sgcn, ginc, gsin, itip, cpi, upui)
 * and tag URIs (urn:epc:tag:sgtin-96:...). */
int sy_gs1_from_epc_urn_gcp(const char *urn, sy_gs1 *out, int *company_prefix_len, char *err,
                            size_t errlen);
/* The EPC URN for g; company_prefix_len is the GS1 Company Prefix length
 * (6..12). A GTIN with lot and no serial gives urn:epc:class:lgtin. */
int sy_gs1_to_epc_urn(const sy_gs1 *g, int company_prefix_len, char *out, size_t size, char *err,
                      size_t errlen);

/* Any of the forms above (URN, DL URI or path, element string, or a bare
 * GTIN), detected by shape. */
int sy_gs1_parse_any(const char *s, sy_gs1 *out, char *err, size_t errlen);

/* ---- EPC binary encodings (TDS 1.13 section 14: every scheme) ------------ */
/* GS1 keys:  sgtin-96 sgtin-198 sscc-96 sgln-96 sgln-195 grai-96 grai-170
 *            giai-96 giai-202 gsrn-96 gsrnp-96 gdti-96 gdti-174 sgcn-96
 *            cpi-96 cpi-var itip-110 itip-212
 * non-GS1:   gid-96 usdod-96 adi-var (no sy_gs1 form: the URN in urn)
 * Hex is written upper case, padded with zero bits to a 16-bit word (Gen2
 * EPC memory); it is read in either case with any zero padding after the
 * scheme's bits, up to SY_EPC_HEX_MAX digits. */
#define SY_EPC_HEX_MAX 128 /* 512 bits: more than Gen2 EPC memory holds */
#define SY_EPC_URN_MAX 256

typedef struct sy_epc_tag {
  char scheme[16]; /* TDS name, lower case: "sgtin-96", "grai-170", "adi-var" */
  int filter;      /* 0..7 (usdod-96: 0..15, adi-var: 0..63, gid-96: always 0) */
  sy_gs1 gs1;      /* GS1 schemes: the key and its EPC qualifiers (01 + 21, 00,
                      414 [+ 254], 8010 + 8011, 8006 + 21, ...) */
  int company_prefix_len; /* GS1 schemes: 6..12 */
  /* The pure identity URN ("urn:epc:id:gid:31415.271828.1414"). Written by
   * the decoders for every scheme; read by the encoders only for gid-96,
   * usdod-96 and adi-var, whose gs1 is empty (n == 0). */
  char urn[SY_EPC_URN_MAX];
} sy_epc_tag;

/* Encodes t (scheme named in t->scheme) to hex (upper case, 16-bit word
 * padded) in out[size]; *nbits (when not NULL) gets the scheme's bit length
 * before padding (96, 198, ..., or the variable length of cpi-var/adi-var). */
int sy_epc_encode(const sy_epc_tag *t, char *out, size_t size, int *nbits, char *err,
                  size_t errlen);
/* As sy_epc_encode for the 96-bit schemes: 24 hex digits; other schemes are
 * refused (use sy_epc_encode). */
int sy_epc_encode_hex(const sy_epc_tag *t, char out[25], char *err, size_t errlen);
/* Decodes hex of any scheme above (its length: at least the scheme's bits,
 * trailing digits zero). */
int sy_epc_decode_hex(const char *hex, sy_epc_tag *out, char *err, size_t errlen);
/* Tag URI "urn:epc:tag:sgtin-96:3.0614141.812345.6789" both ways (gid-96 has
 * no filter: "urn:epc:tag:gid-96:31415.271828.1414"). */
int sy_epc_to_tag_uri(const sy_epc_tag *t, char *out, size_t size, char *err, size_t errlen);
int sy_epc_from_tag_uri(const char *uri, sy_epc_tag *out, char *err, size_t errlen);
/* Picks t->scheme for t->gs1 (key AI ais[0]) and t->company_prefix_len:
 * the 96-bit scheme when the values fit it, else the long one (sgtin-198,
 * sgln-195, grai-170, giai-202, gdti-174, cpi-var, itip-212). Fails with the
 * 96-bit scheme's reason when neither fits. */
int sy_epc_scheme_for(sy_epc_tag *t, char *err, size_t errlen);

#endif
