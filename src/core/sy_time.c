#include "core/sy_time.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

void sy_time_format_ms(int64_t ms, char out[32]) {
  int64_t secs = ms >= 0 ? ms / 1000 : -((-ms + 999) / 1000);
  int msec = (int)(ms - secs * 1000);
  time_t t = (time_t)secs;
  struct tm tm;
  if (!gmtime_r(&t, &tm) || tm.tm_year + 1900 < 0 || tm.tm_year + 1900 > 9999) {
    snprintf(out, 32, "1970-01-01T00:00:00.000Z");
    return;
  }
  char txt[96]; /* room for any int, to keep the compiler's bounds check happy */
  snprintf(txt, sizeof txt, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900, tm.tm_mon + 1,
           tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, msec);
  txt[31] = 0; /* 24 characters for years 0..9999 */
  memcpy(out, txt, 32);
}
