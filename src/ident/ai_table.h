/* Private to src/ident (and tests/test_ident.c): the application identifier
 * table generated from the GS1 Barcode Syntax Dictionary by
 * scripts/gen_ai_table.py into ai_table.c. */
#ifndef SY_IDENT_AI_TABLE_H
#define SY_IDENT_AI_TABLE_H

#include <stddef.h>

#define SY_AI_MAX_COMP 5

typedef struct sy_ai_comp {
  char type;         /* 'N' numeric, 'X' CSET 82, 'Y' CSET 39, 'Z' base64url */
  unsigned char min; /* length bounds; min == max for fixed components */
  unsigned char max;
  unsigned char optional; /* "[...]" */
  const char *linters;    /* comma separated linter names, "" for none */
} sy_ai_comp;

typedef struct sy_ai_entry {
  const char *ai;
  unsigned char fixed;   /* "*": pre-defined length, no FNC1 after it */
  unsigned char dl_attr; /* "?": allowed as a Digital Link data attribute */
  unsigned char ncomp;
  sy_ai_comp comp[SY_AI_MAX_COMP];
  const char *req;    /* "req=" values, repeated instances joined by ' ' */
  const char *ex;     /* "ex=" values, joined by ' ' */
  const char *dlpkey; /* NULL: not a DL primary key; "" or "22,10,21|235" */
  const char *title;
} sy_ai_entry;

/* Sorted by ai (strcmp). */
extern const sy_ai_entry sy_ai_table[];
extern const size_t sy_ai_table_len;

/* The entry for ai, NULL when unknown (static storage). */
const sy_ai_entry *sy_ai_lookup(const char *ai);
/* The entry for the AI that s starts with (2 to 4 digits), NULL when none;
 * *ai_len gets its length. */
const sy_ai_entry *sy_ai_lookup_prefix(const char *s, size_t *ai_len);

#endif
