/* The consumer page's static files (web/), compiled into the node by
 * cmake/embed_web.cmake (generated web_embed.c). Internal to src/api/. */
#ifndef SY_API_WEB_FILES_H
#define SY_API_WEB_FILES_H

#include <stddef.h>

typedef struct sy_web_file {
  const char *name; /* "index.html", "app.js": path under web/ */
  const unsigned char *data;
  size_t len;
} sy_web_file;

extern const sy_web_file sy_web_files[];
extern const size_t sy_web_nfiles;

#endif
