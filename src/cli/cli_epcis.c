/* `suyuan epcis hash FILE [--prehash] [--json] [--no-ignore-fields]`: the
 * CBV 2.0 EPCIS Event Hash ID of every event of a document, offline
 * (docs/epcis-hash.md). Uses only the public epcis/ headers.
 *
 * Exit status: 0 success; 1 runtime failure (the file cannot be read, out
 * of memory, crypto library unavailable); 2 usage error; 3 the input is not
 * a usable EPCIS document (not well-formed, no event list, an event without
 * a type, too large) — the message names the event index when one event is
 * at fault. */
#include <cjson/cJSON.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/sy_error.h"
#include "epcis/epcis_hash.h"
#include "epcis/epcis_xml.h"

/* The dispatcher (suyuan.c) calls this with argv[0] = "epcis". Declared in
 * cli/cli.h by the dispatcher's owner; repeated here so that this file
 * compiles on its own. */
int sy_cli_epcis(int argc, char **argv);

enum { EX_OK = 0, EX_FAIL = 1, EX_USAGE = 2, EX_INVALID = 3 };

static const char USAGE[] =
    "usage: suyuan epcis hash FILE [--prehash] [--json] [--no-ignore-fields]\n";

static const char HELP[] =
    "usage: suyuan epcis hash FILE [--prehash] [--json] [--no-ignore-fields]\n"
    "\n"
    "Prints the CBV 2.0 EPCIS Event Hash ID (ni:///sha-256;<hex>?ver=CBV2.0) of\n"
    "every event of an EPCIS document, one per line, in document order. FILE is\n"
    "an EPCISDocument, an EPCISQueryDocument or a single event, in JSON/JSON-LD\n"
    "or XML (EPCIS 1.x or 2.0), told apart by content; '-' reads standard input.\n"
    "\n"
    "  --prehash           print the canonical pre-hash strings instead of the IDs\n"
    "  --json              print one JSON object: {\"file\", \"format\", \"events\":\n"
    "                      [{\"index\", \"type\", \"hashId\", \"eventID\"?,\n"
    "                      \"eventIDMatches\"?, \"prehash\"?}]}\n"
    "  --no-ignore-fields  hash the fields a document's ignoreFields lists too\n"
    "  -h, --help          this help\n"
    "\n"
    "Exit status: 0 ok, 1 runtime failure, 2 usage error, 3 not a usable EPCIS\n"
    "document (the message names the event).\n";

static int usage_error(const char *what) {
  fprintf(stderr, "suyuan: %s\n%sSee 'suyuan epcis --help'.\n", what, USAGE);
  return EX_USAGE;
}

/* Reads a whole file ("-" = stdin), at most max bytes (one more is read to
 * tell). *out is malloc'd and NUL-terminated. 0, or errno / -1 (too big). */
static int read_all(const char *path, size_t max, char **out, size_t *len) {
  FILE *f = strcmp(path, "-") == 0 ? stdin : fopen(path, "rb");
  if (!f) return errno ? errno : EIO;
  size_t cap = 65536, n = 0;
  char *buf = malloc(cap);
  int rc = buf ? 0 : ENOMEM;
  while (!rc) {
    if (n == cap) {
      if (cap > max) {
        rc = -1;
        break;
      }
      size_t ncap = cap * 2 > max + 1 ? max + 1 : cap * 2;
      char *p = realloc(buf, ncap);
      if (!p) {
        rc = ENOMEM;
        break;
      }
      buf = p;
      cap = ncap;
    }
    size_t r = fread(buf + n, 1, cap - n, f);
    n += r;
    if (r == 0) {
      if (ferror(f)) rc = errno ? errno : EIO;
      break;
    }
  }
  if (!rc && n > max) rc = -1;
  if (f != stdin) fclose(f);
  if (!rc) {
    char *p = realloc(buf, n + 1);
    if (!p)
      rc = ENOMEM;
    else
      buf = p;
  }
  if (rc) {
    free(buf);
    return rc;
  }
  buf[n] = '\0';
  *out = buf;
  *len = n;
  return 0;
}

static int cmd_hash(const char *file, int prehash, int json, unsigned flags) {
  const char *name = strcmp(file, "-") == 0 ? "(stdin)" : file;
  char *buf = NULL;
  size_t len = 0;
  int rc = read_all(file, SY_EPCIS_XML_MAX, &buf, &len);
  if (rc == -1) {
    fprintf(stderr, "suyuan: %s: larger than the limit of %zu bytes\n", name, SY_EPCIS_XML_MAX);
    return EX_INVALID;
  }
  if (rc) {
    fprintf(stderr, "suyuan: cannot read %s: %s\n", file, strerror(rc));
    return EX_FAIL;
  }
  cJSON *doc = NULL;
  int is_xml = 0;
  char err[256];
  rc = sy_epcis_doc_parse(buf, len, &doc, &is_xml, err, sizeof err);
  free(buf);
  if (rc == SY_ENOMEM) {
    fprintf(stderr, "suyuan: %s: out of memory\n", name);
    return EX_FAIL;
  }
  if (rc) {
    fprintf(stderr, "suyuan: %s: %s\n", name, err[0] ? err : sy_strerror(rc));
    return EX_INVALID;
  }
  sy_epcis_hashes h;
  rc = sy_epcis_document_hashes(doc, flags | (prehash ? SY_EPCIS_WANT_PREHASH : 0), &h);
  if (rc) {
    fprintf(stderr, "suyuan: %s: %s\n", name, h.errmsg[0] ? h.errmsg : sy_strerror(rc));
    cJSON_Delete(doc);
    return rc == SY_EMALFORMED || rc == SY_ETOOBIG ? EX_INVALID : EX_FAIL;
  }
  int ex = EX_OK;
  if (!json) {
    for (size_t i = 0; i < h.count; i++) printf("%s\n", prehash ? h.prehashes[i] : h.ids[i]);
  } else {
    int single;
    const cJSON *events = sy_epcis_document_events(doc, &single);
    const cJSON *ev = single ? events : events->child;
    cJSON *o = cJSON_CreateObject();
    cJSON *arr = cJSON_CreateArray();
    int ok = o && arr && cJSON_AddStringToObject(o, "file", file) &&
             cJSON_AddStringToObject(o, "format", is_xml ? "xml" : "json") &&
             cJSON_AddItemToObject(o, "events", arr);
    if (!ok) cJSON_Delete(arr);
    for (size_t i = 0; ok && i < h.count; i++, ev = single ? NULL : ev->next) {
      cJSON *e = cJSON_CreateObject();
      if (!e || !cJSON_AddItemToArray(arr, e)) {
        cJSON_Delete(e);
        ok = 0;
        break;
      }
      const cJSON *t = cJSON_GetObjectItemCaseSensitive(ev, "type");
      const cJSON *id = cJSON_GetObjectItemCaseSensitive(ev, "eventID");
      ok = cJSON_AddNumberToObject(e, "index", (double)i) &&
           cJSON_AddStringToObject(e, "type", cJSON_IsString(t) ? t->valuestring : "") &&
           cJSON_AddStringToObject(e, "hashId", h.ids[i]);
      if (ok && cJSON_IsString(id)) {
        ok = cJSON_AddStringToObject(e, "eventID", id->valuestring) != NULL;
        if (ok && strncmp(id->valuestring, "ni:///", 6) == 0)
          ok = cJSON_AddBoolToObject(e, "eventIDMatches", strcmp(id->valuestring, h.ids[i]) == 0) !=
               NULL;
      }
      if (ok && prehash) ok = cJSON_AddStringToObject(e, "prehash", h.prehashes[i]) != NULL;
    }
    char *s = ok ? cJSON_Print(o) : NULL;
    if (s)
      printf("%s\n", s);
    else {
      fprintf(stderr, "suyuan: out of memory\n");
      ex = EX_FAIL;
    }
    free(s);
    cJSON_Delete(o);
  }
  if (fflush(stdout) != 0) {
    fprintf(stderr, "suyuan: cannot write the output: %s\n", strerror(errno));
    ex = EX_FAIL;
  }
  sy_epcis_hashes_close(&h);
  cJSON_Delete(doc);
  return ex;
}

int sy_cli_epcis(int argc, char **argv) {
  const char *pos[3];
  int npos = 0, prehash = 0, json = 0, help = 0, dashdash = 0;
  unsigned flags = 0;
  for (int i = 1; i < argc; i++) {
    const char *a = argv[i];
    if (!dashdash && strcmp(a, "--") == 0) {
      dashdash = 1;
    } else if (!dashdash && a[0] == '-' && a[1]) {
      if (strcmp(a, "--prehash") == 0)
        prehash = 1;
      else if (strcmp(a, "--json") == 0)
        json = 1;
      else if (strcmp(a, "--no-ignore-fields") == 0)
        flags |= SY_EPCIS_NO_IGNORE_FIELDS;
      else if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0)
        help = 1;
      else {
        char msg[300];
        snprintf(msg, sizeof msg, "unknown option '%.200s'", a);
        return usage_error(msg);
      }
    } else {
      if (npos == 3) return usage_error("too many arguments");
      pos[npos++] = a;
    }
  }
  if (help || (npos >= 1 && strcmp(pos[0], "help") == 0)) {
    fputs(HELP, stdout);
    return EX_OK;
  }
  if (npos == 0) return usage_error("missing subcommand");
  if (strcmp(pos[0], "hash") != 0) {
    char msg[300];
    snprintf(msg, sizeof msg, "'%.200s' is not an epcis subcommand", pos[0]);
    return usage_error(msg);
  }
  if (npos < 2) return usage_error("missing FILE");
  if (npos > 2) return usage_error("too many arguments");
  return cmd_hash(pos[1], prehash, json, flags);
}
