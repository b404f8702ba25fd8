/* Product labels (SPEC C2, C4, I7; docs/labels.md): the minimum sales unit's
 * label with its trace QR code, drawn once and written as SVG, PNG or PDF
 * (cairo; the QR matrix from libqrencode).
 *
 * The label shows the I7 fields, a QR code holding qr_text (a GS1 Digital
 * Link URI, optionally with the brand's offline signature), the human
 * readable code (the element string), the query channels (web, telephone,
 * SMS) and the anti-counterfeit panel (the secret code when given, printed
 * under "scratch here"; a blank panel otherwise). Chinese and English text.
 * Thread-safe; no global state besides cairo's font cache. */
#ifndef SY_LABEL_H
#define SY_LABEL_H

#include <stddef.h>
#include <stdint.h>

#include "core/sy_buf.h"

/* The label's size and the PNG resolution (docs/labels.md). */
#define SY_LABEL_WIDTH_MM 60
#define SY_LABEL_HEIGHT_MM 40
#define SY_LABEL_PNG_DPI 300
#define SY_LABEL_PNG_WIDTH 709     /* round(60 mm * 300 dpi / 25.4) */
#define SY_LABEL_PNG_HEIGHT 472    /* round(40 mm * 300 dpi / 25.4) */
#define SY_LABEL_TEXT_MAX 1024     /* bytes per text field; longer is refused */
#define SY_LABEL_QR_MAX_VERSION 20 /* denser QR codes are refused: too small to scan */

typedef enum sy_label_format { SY_LABEL_SVG, SY_LABEL_PNG, SY_LABEL_PDF } sy_label_format;

typedef struct sy_label_fields {
  /* I7 fields; NULL or "" leaves a line out */
  const char *customer; /* brand / organisation name */
  const char *product_name;
  const char *model;           /* model / specification */
  const char *lot;             /* lot or order number */
  const char *production_date; /* "2026-11-20" */
  const char *inspection;      /* "conformant" / "合格" ... */
  /* codes */
  const char *qr_text;        /* required: what the QR code encodes */
  const char *human_readable; /* "(01)06901234000016(10)B2026-07(21)0001" */
  /* query channels */
  const char *web; /* URL printed under the QR */
  const char *tel;
  const char *sms;
  /* anti-counterfeit (C4) */
  const char *ac_code; /* the secret verification code; NULL = blank panel */
} sy_label_fields;

/* Renders one label into out (appended). All strings are borrowed for the
 * call. Text that does not fit its place is set smaller and then cut with
 * "…"; it never overflows. PNG and SVG output depends on the input only
 * (byte for byte); a PDF carries its creation date (SOURCE_DATE_EPOCH when
 * set in the environment, else now).
 * SY_EINVAL (no qr_text; a field that is not UTF-8, has a control character
 * or is longer than SY_LABEL_TEXT_MAX; QR data needing a version past
 * SY_LABEL_QR_MAX_VERSION) with err naming the field, SY_ENOMEM, SY_EIO
 * (cairo failed). */
int sy_label_render(const sy_label_fields *f, sy_label_format fmt, sy_buf *out, char *err,
                    size_t errlen);

/* "svg" / "png" / "pdf" -> format; -1 when unknown. */
int sy_label_format_parse(const char *s);
/* The media type of a format ("image/svg+xml", "image/png", "application/pdf"). */
const char *sy_label_media_type(sy_label_format fmt);

/* Frees cairo's process-wide caches (fonts, patterns) and fontconfig's
 * configuration (FcFini, found with dlsym) so that a leak checker sees a
 * clean exit. Call only when no thread is rendering, e.g.
 * at the end of a command; rendering again afterwards works. */
void sy_label_cleanup(void);

/* The QR symbol version qr_text needs at the label's error correction
 * level (M); -1 when it does not fit any version. */
int sy_label_qr_version(const char *qr_text);

/* ---- signed offline check (issue 5 part 8; docs/labels.md) ------------------
 * A signed QR text is the Digital Link URI U followed by two query
 * parameters, always last and in this order:
 *   U + ("?" if U has no "?", else "&") + "k=" + KID + "&s=" + SIG
 * KID: base64url (no padding) of the first SY_LABEL_KID_LEN bytes of the
 * signer's key id (sy_key_id: SHA-256 of the public key, truncated), which
 * finds the key in the chain's member registry; SIG: base64url (no padding)
 * of the suite's signature (Ed25519: 64 bytes, 86 characters) over the
 * message "SYL1" 0x0A U (the exact bytes of U). */
#define SY_LABEL_KID_LEN 8
#define SY_LABEL_SIG_MSG_PREFIX "SYL1\n"

struct sy_key;
struct sy_suite;

/* Signs uri (a Digital Link URI, borrowed) with key and writes the signed
 * QR text into out (NUL-terminated). SY_EINVAL (uri empty, not printable
 * ASCII, or already signed), SY_ETOOBIG (out too small), SY_ECRYPTO. */
int sy_label_sign_qr(const char *uri, const struct sy_key *key, char *out, size_t size, char *err,
                     size_t errlen);

/* Splits a signed QR text without checking the signature: *uri_len is the
 * length of U, kid gets the key id prefix, sig (room for 128 bytes) the
 * signature. SY_OK, or SY_EINVAL when qr carries no well-formed signature. */
int sy_label_qr_split(const char *qr, size_t *uri_len, uint8_t kid[SY_LABEL_KID_LEN],
                      uint8_t sig[128], size_t *sig_len);

/* Checks a signed QR text against the public key pk of suite: SY_OK when
 * the key id prefix matches pk and the signature verifies over U;
 * SY_EINVAL (not a signed label text), SY_ENOTFOUND (signed by another
 * key: the prefix does not match pk), SY_EBADSIG (the signature does not
 * verify: U or the signature was changed). err says which. */
int sy_label_verify_qr(const char *qr, const struct sy_suite *suite, const uint8_t *pk,
                       size_t pk_len, char *err, size_t errlen);

#endif
