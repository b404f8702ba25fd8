/* Label rendering (label.h). Stub: being written. */
#include "label/label.h"

#include <stdio.h>
#include <string.h>

#include "core/sy_error.h"

int sy_label_render(const sy_label_fields *f, sy_label_format fmt, sy_buf *out, char *err,
                    size_t errlen) {
  (void)f;
  (void)fmt;
  (void)out;
  if (err && errlen) snprintf(err, errlen, "not implemented yet");
  return SY_EINVAL;
}
int sy_label_format_parse(const char *s) {
  if (strcmp(s, "svg") == 0) return SY_LABEL_SVG;
  if (strcmp(s, "png") == 0) return SY_LABEL_PNG;
  if (strcmp(s, "pdf") == 0) return SY_LABEL_PDF;
  return -1;
}
const char *sy_label_media_type(sy_label_format fmt) {
  return fmt == SY_LABEL_PNG ? "image/png" : fmt == SY_LABEL_PDF ? "application/pdf" : "image/svg+xml";
}
