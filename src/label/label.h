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

#include "core/sy_buf.h"

typedef enum sy_label_format { SY_LABEL_SVG, SY_LABEL_PNG, SY_LABEL_PDF } sy_label_format;

typedef struct sy_label_fields {
  /* I7 fields; NULL or "" leaves a line out */
  const char *customer;        /* brand / organisation name */
  const char *product_name;
  const char *model;           /* model / specification */
  const char *lot;             /* lot or order number */
  const char *production_date; /* "2026-11-20" */
  const char *inspection;      /* "conformant" / "合格" ... */
  /* codes */
  const char *qr_text;         /* required: what the QR code encodes */
  const char *human_readable;  /* "(01)06901234000016(10)B2026-07(21)0001" */
  /* query channels */
  const char *web;             /* URL printed under the QR */
  const char *tel;
  const char *sms;
  /* anti-counterfeit (C4) */
  const char *ac_code;         /* the secret verification code; NULL = blank panel */
} sy_label_fields;

/* Renders one label into out (appended). SY_EINVAL (no qr_text, text not
 * UTF-8, QR data too long) with err, SY_ENOMEM, SY_EIO (cairo failed). */
int sy_label_render(const sy_label_fields *f, sy_label_format fmt, sy_buf *out, char *err,
                    size_t errlen);

/* "svg" / "png" / "pdf" -> format; -1 when unknown. */
int sy_label_format_parse(const char *s);
/* The media type of a format ("image/svg+xml", "image/png", "application/pdf"). */
const char *sy_label_media_type(sy_label_format fmt);

#endif
