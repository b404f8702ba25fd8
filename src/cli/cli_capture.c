/* `suyuan capture FILE [--key KEYFILE] [--no-wait] [--split]`: the
 * client-side signing path for trace events (docs/cli.md, docs/trace.md).
 *
 * The document is checked here first, with the same validator the ledger
 * runs (epcis/epcis_validate.h), so that a bad file is refused with the
 * event and field named before anything is signed or sent. Then it is
 * signed as an `epcis.capture` transaction with the member's key and sent
 * like `tx submit`. The file's bytes are signed exactly as given; only
 * --split builds new documents (one per event, the original's header and
 * @context kept). */
#include <cjson/cJSON.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "core/sy_error.h"
#include "core/sy_hex.h"
#include "epcis/epcis_hash.h"
#include "epcis/epcis_validate.h"

#define CAPTURE_FILE_MAX ((size_t)64 << 20) /* larger ones only make sense with --split */
#define MAX_REPORTED_ERRORS 20
#define MAX_EVENTS_PER_TX 10000 /* the ledger's limit (ledger_events.c) */
#define PROBLEM_PREFIX "urn:suyuan:problem:"

static const char CAPTURE_USAGE[] = "suyuan capture FILE [--key KEYFILE] [--no-wait] [--split]";

static const char CAPTURE_HELP[] =
    "usage: suyuan capture FILE [--key KEYFILE] [--no-wait] [--split]\n"
    "\n"
    "Records GS1 EPCIS 2.0 events on the chain. FILE ('-' for stdin) is an\n"
    "EPCISDocument in JSON/JSON-LD, or one bare event with its own @context. It is\n"
    "validated here first (EPCIS 2.0 schema rules and CBV 2.0 code lists): errors\n"
    "are printed with the event index and field, and nothing is sent (exit 3).\n"
    "Then it is signed as an 'epcis.capture' transaction with the member key and\n"
    "sent, waiting for its block. Prints the transaction id, height, validity and\n"
    "the CBV 2.0 event hash id of every event.\n"
    "\n"
    "  -k, --key KEYFILE  signer's keystore (default $SUYUAN_KEY); needs the\n"
    "                     recorder, inspector or business_manager role, and\n"
    "                     inspector for bizStep 'inspecting'\n"
    "      --no-wait      return once the node has admitted it (HTTP 202)\n"
    "      --split        when the document is larger than the node accepts, send\n"
    "                     one transaction per event (each a document with the\n"
    "                     original header and @context) and report each\n"
    "\n"
    "--json prints {\"file\", \"transactions\": [{<node's answer>, \"events\":\n"
    "[{\"index\", \"type\", \"hashId\", \"eventID\"?}]}]}.\n"
    "\n"
    "Exit status: 0 recorded valid; 3 invalid document (not sent) or refused by\n"
    "the node (e.g. too large without --split); 4 recorded invalid (duplicate_event:\n"
    "an event is already on the chain; role_denied; invalid_epcis); 5 node\n"
    "unreachable; 1 other failures (key, passphrase, not committed in time).\n";

enum { OPT_NO_WAIT = CLI_OPT_FIRST_LOCAL, OPT_SPLIT };

static const char *jstr(const cJSON *o, const char *name) {
  const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, name);
  return cJSON_IsString(v) ? v->valuestring : NULL;
}

/* ---- checking the document ---------------------------------------------------------- */

static int is_standard_event_type(const char *t) {
  static const char *const types[] = {"ObjectEvent", "AggregationEvent", "TransactionEvent",
                                      "TransformationEvent", "AssociationEvent"};
  for (size_t i = 0; t && i < sizeof types / sizeof types[0]; i++)
    if (strcmp(t, types[i]) == 0) return 1;
  return 0;
}

/* Prints the validator's errors; returns CLI_REJECTED (nothing sent). */
static int report_invalid(const char *name, const sy_epcis_error *errs, size_t n, int capped) {
  for (size_t i = 0; i < n; i++) {
    if (errs[i].event_index >= 0)
      cli_err("%s: event %d: %s: %s", name, errs[i].event_index, errs[i].field, errs[i].detail);
    else
      cli_err("%s: %s: %s", name, errs[i].field, errs[i].detail);
  }
  cli_err("%s is not a valid EPCIS 2.0 document (%zu error%s%s); nothing was sent", name, n,
          n == 1 ? "" : "s", capped ? " shown, there may be more" : "");
  return CLI_REJECTED;
}

/* Parses and validates the document; *doc transferred. *events is the
 * eventList (or the bare event, *single = 1), borrowed from *doc.
 * *ext_index: the first event of an extension event type, -1 if none
 * (recorded only where the chain's genesis turns the feature on). */
static int check_document(const char *name, const uint8_t *text, size_t len, cJSON **doc,
                          const cJSON **events, int *single, long *ext_index) {
  size_t i = 0;
  while (i < len && (text[i] == ' ' || text[i] == '\t' || text[i] == '\r' || text[i] == '\n')) i++;
  if (i < len && text[i] == '<') {
    cli_err("%s is XML; capture takes EPCIS 2.0 JSON/JSON-LD (an EPCISDocument or one event)",
            name);
    return CLI_REJECTED;
  }
  cJSON *d = cJSON_ParseWithLength((const char *)text, len);
  if (!d) {
    const char *at = cJSON_GetErrorPtr();
    long off = at && at >= (const char *)text && at <= (const char *)text + len
                   ? (long)(at - (const char *)text)
                   : -1;
    if (off >= 0)
      cli_err("%s is not JSON (error near byte %ld); nothing was sent", name, off);
    else
      cli_err("%s is not JSON; nothing was sent", name);
    return CLI_REJECTED;
  }
  const char *type = jstr(d, "type");
  sy_epcis_error errs[MAX_REPORTED_ERRORS];
  size_t n = 0;
  int rc;
  if (!cJSON_IsObject(d) || !type) {
    cli_err("%s: type: missing; expected an EPCISDocument or one event; nothing was sent", name);
    rc = CLI_REJECTED;
    goto fail;
  }
  int is_doc = strcmp(type, "EPCISDocument") == 0;
  if (!is_doc && strcmp(type, "EPCISQueryDocument") == 0) {
    cli_err(
        "%s: type: an EPCISQueryDocument is a query result; capture takes an EPCISDocument or "
        "one event",
        name);
    rc = CLI_REJECTED;
    goto fail;
  }
  if (is_doc)
    rc = sy_epcis_validate_document(d, errs, MAX_REPORTED_ERRORS, &n);
  else
    rc = sy_epcis_validate_event(d, 0, errs, MAX_REPORTED_ERRORS, &n);
  if (rc == SY_ENOMEM) {
    cli_err("out of memory while validating %s", name);
    rc = CLI_FAIL;
    goto fail;
  }
  if (rc != SY_OK) {
    if (n == 0) {
      cli_err("%s is not a valid EPCIS 2.0 %s; nothing was sent", name,
              is_doc ? "document" : "event");
      rc = CLI_REJECTED;
    } else {
      rc = report_invalid(name, errs, n, n == MAX_REPORTED_ERRORS);
    }
    goto fail;
  }
  /* What the ledger refuses beyond the schema (ledger_events.c). */
  const cJSON *evs = sy_epcis_document_events(d, single);
  size_t count = !evs ? 0 : *single ? 1 : (size_t)cJSON_GetArraySize(evs);
  if (count == 0) {
    cli_err("%s: epcisBody.eventList: no events; nothing to capture", name);
    rc = CLI_REJECTED;
    goto fail;
  }
  const cJSON *ev = *single ? evs : evs->child;
  *ext_index = -1;
  for (size_t k = 0; ev && *ext_index < 0; k++, ev = *single ? NULL : ev->next)
    if (!is_standard_event_type(jstr(ev, "type"))) *ext_index = (long)k;
  *doc = d;
  *events = evs;
  return CLI_OK;
fail:
  cJSON_Delete(d);
  return rc;
}

/* Two events of one document that are the same event (the same eventID,
 * or the same hash id; an event without an eventID is recorded under its
 * hash id): the ledger refuses the whole transaction (duplicate_event).
 * Caught here, where it costs nothing; sorted, so a large document with
 * --split stays cheap. */
typedef struct id_ref {
  const char *id;
  size_t index;
} id_ref;

static int cmp_ref(const void *a, const void *b) {
  const id_ref *x = a, *y = b;
  int c = strcmp(x->id, y->id);
  return c ? c : (x->index > y->index) - (x->index < y->index);
}

static int check_no_repeats(const char *name, const cJSON *events, int single,
                            const sy_epcis_hashes *h) {
  if (single || h->count < 2) return CLI_OK;
  id_ref *refs = calloc(2 * h->count, sizeof *refs);
  if (!refs) {
    cli_err("out of memory");
    return CLI_FAIL;
  }
  const cJSON *ev = events->child;
  for (size_t i = 0; i < h->count && ev; i++, ev = ev->next) {
    const char *eid = jstr(ev, "eventID");
    refs[i] = (id_ref){eid ? eid : h->ids[i], i}; /* the id it is recorded under */
    refs[h->count + i] = (id_ref){h->ids[i], i};  /* its content */
  }
  int rc = CLI_OK;
  for (int pass = 0; pass < 2 && rc == CLI_OK; pass++) {
    id_ref *r = refs + (size_t)pass * h->count;
    qsort(r, h->count, sizeof *r, cmp_ref);
    for (size_t i = 1; i < h->count; i++) {
      if (strcmp(r[i - 1].id, r[i].id) != 0) continue;
      cli_err("%s: events %zu and %zu are the same event (%s %s); nothing was sent", name,
              r[i - 1].index, r[i].index, pass ? "hash id" : "id", r[i].id);
      rc = CLI_REJECTED;
      break;
    }
  }
  free(refs);
  return rc;
}

/* ---- sending ----------------------------------------------------------------------------- */

typedef struct part {
  size_t first, count; /* the document's events this transaction carries */
} part;

/* The outcome of one transaction, for the report. */
typedef struct outcome {
  char id[2 * SY_HASH_LEN + 1];
  cJSON *answer;  /* the node's answer (2xx), or NULL */
  cJSON *problem; /* the node's problem document (4xx/5xx), or NULL */
  long status;    /* HTTP status, 0 = no answer */
  int code;       /* exit code for this transaction */
} outcome;

static long server_wait_ms(const cli *c) {
  long ms = c->timeout_s * 1000 - 2000; /* answer "pending" before our own timeout */
  if (ms < 1000) ms = 1000;
  if (ms > 120000) ms = 120000;
  return ms;
}

static void problem_text(const cJSON *j, const sy_http_resp *r, char *out, size_t size) {
  const char *title = jstr(j, "title"), *detail = jstr(j, "detail");
  if (title || detail) {
    snprintf(out, size, "%s%s%s", title ? title : "", title && detail ? ": " : "",
             detail ? detail : "");
    return;
  }
  size_t n = 0;
  while (n < r->len && n < 200 && (r->body[n] >= ' ' || r->body[n] == '\t')) n++;
  snprintf(out, size, "%.*s", (int)n, r->body);
}

/* Signs and posts one payload. Fills o; reports failures on stderr except
 * 413 when quiet_413 (the caller will split). */
static void send_one(cli *c, const sy_key *key, const char *chain, const uint8_t *payload,
                     size_t len, int wait, int quiet_413, outcome *o) {
  memset(o, 0, sizeof *o);
  cli_tx_opts to = {
      .type = SY_TX_EPCIS_CAPTURE, .payload = payload, .payload_len = len, .chain = chain};
  sy_buf tx = {0};
  if ((o->code = cli_sign_tx(c, key, &to, &tx, o->id))) goto done;
  sy_client *cl = cli_client(c);
  if (!cl) {
    o->code = CLI_FAIL;
    goto done;
  }
  char path[128];
  if (wait)
    snprintf(path, sizeof path, "/v1/tx?wait=commit&timeout_ms=%ld", server_wait_ms(c));
  else
    snprintf(path, sizeof path, "/v1/tx");
  sy_http_resp r;
  int rc = sy_client_post(cl, path, "application/octet-stream", tx.p, tx.len, 0, &r);
  if (rc) {
    if (rc == SY_ETIMEDOUT) {
      cli_err("the node at %s did not answer within %ld s", c->node, c->timeout_s);
      o->code = CLI_UNAVAILABLE;
    } else if (rc == SY_ETOOBIG || rc == SY_ENOMEM) {
      cli_err("%s", sy_client_errmsg(cl));
      o->code = CLI_FAIL;
    } else {
      cli_err("cannot reach the node at %s: %s", c->node, sy_client_errmsg(cl));
      o->code = CLI_UNAVAILABLE;
    }
    goto done;
  }
  o->status = r.status;
  cJSON *j = cJSON_ParseWithLength(r.body, r.len);
  if (r.status >= 200 && r.status < 300) {
    const char *status = jstr(j, "status");
    if (!j || !status || !jstr(j, "id")) {
      cli_err("the node accepted transaction %s but its answer is not understood (HTTP %ld)", o->id,
              r.status);
      cJSON_Delete(j);
      o->code = CLI_FAIL;
    } else {
      o->answer = j;
      if (strcmp(status, "committed") == 0)
        o->code = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(j, "valid")) ? CLI_OK : CLI_INVALID;
      else
        o->code = wait ? CLI_FAIL : CLI_OK; /* pending */
    }
  } else {
    o->code = r.status >= 500 ? CLI_UNAVAILABLE : r.status >= 400 ? CLI_REJECTED : CLI_FAIL;
    o->problem = j;
    if (!(quiet_413 && r.status == 413)) {
      const char *type = jstr(j, "type");
      if (type && strncmp(type, PROBLEM_PREFIX, strlen(PROBLEM_PREFIX)) == 0)
        type += strlen(PROBLEM_PREFIX);
      char what[512];
      problem_text(j, &r, what, sizeof what);
      const char *lead = o->code == CLI_REJECTED      ? "rejected by the node"
                         : o->code == CLI_UNAVAILABLE ? "the node is unavailable"
                                                      : "unexpected answer from the node";
      cli_err("transaction %s %s (HTTP %ld%s%s)%s%s", o->id, lead, r.status, type ? " " : "",
              type ? type : "", what[0] ? ": " : "", what);
      if (r.status == 413) cli_err("--split sends one transaction per event");
    }
  }
  sy_http_resp_free(&r);
done:
  sy_buf_free(&tx);
}

/* One document per event: the original's members, with epcisBody.eventList
 * holding only that event. *out transferred (free()). */
static int part_payload(const cJSON *doc, const cJSON *event, uint8_t **out, size_t *len) {
  cJSON *p = cJSON_CreateObject();
  if (!p) return SY_ENOMEM;
  for (const cJSON *ch = doc->child; ch; ch = ch->next) {
    cJSON *copy;
    if (ch->string && strcmp(ch->string, "epcisBody") == 0 && cJSON_IsObject(ch)) {
      copy = cJSON_CreateObject();
      for (const cJSON *b = ch->child; copy && b; b = b->next) {
        cJSON *item;
        if (b->string && strcmp(b->string, "eventList") == 0) {
          item = cJSON_CreateArray();
          cJSON *e = cJSON_Duplicate(event, 1);
          if (!item || !e || !cJSON_AddItemToArray(item, e)) {
            cJSON_Delete(e);
            cJSON_Delete(item);
            item = NULL;
          }
        } else {
          item = cJSON_Duplicate(b, 1);
        }
        if (!item || !cJSON_AddItemToObject(copy, b->string, item)) {
          cJSON_Delete(item);
          cJSON_Delete(copy);
          copy = NULL;
        }
      }
    } else {
      copy = cJSON_Duplicate(ch, 1);
    }
    if (!copy || !cJSON_AddItemToObject(p, ch->string, copy)) {
      cJSON_Delete(copy);
      cJSON_Delete(p);
      return SY_ENOMEM;
    }
  }
  char *s = cJSON_PrintUnformatted(p);
  cJSON_Delete(p);
  if (!s) return SY_ENOMEM;
  *len = strlen(s);
  *out = (uint8_t *)s;
  return SY_OK;
}

/* ---- reporting ------------------------------------------------------------------------------ */

static const cJSON *event_at(const cJSON *events, int single, size_t i) {
  return single ? events : cJSON_GetArrayItem(events, (int)i);
}

static void print_number(const char *key, const cJSON *v) {
  if (cJSON_IsNumber(v)) printf("%-9s %.0f\n", key, v->valuedouble);
}

static void print_outcome_text(const outcome *o, const part *pt, const cJSON *events, int single,
                               const sy_epcis_hashes *h) {
  const cJSON *a = o->answer;
  printf("%-9s %s\n", "id:", o->id);
  if (a) {
    const char *status = jstr(a, "status");
    printf("%-9s %s\n", "status:", status ? status : "?");
    print_number("height:", cJSON_GetObjectItemCaseSensitive(a, "height"));
    print_number("index:", cJSON_GetObjectItemCaseSensitive(a, "index"));
    const cJSON *valid = cJSON_GetObjectItemCaseSensitive(a, "valid");
    if (cJSON_IsBool(valid)) {
      printf("%-9s %s\n", "valid:", cJSON_IsTrue(valid) ? "true" : "false");
      const char *reason = jstr(a, "reason"), *text = jstr(a, "reason_text");
      if (!cJSON_IsTrue(valid))
        printf("%-9s %s%s%s%s\n", "reason:", reason ? reason : "?", text ? " (" : "",
               text ? text : "", text ? ")" : "");
    }
  } else {
    printf("%-9s %s (HTTP %ld)\n", "status:", o->status >= 400 ? "rejected" : "not sent",
           o->status);
  }
  for (size_t i = pt->first; i < pt->first + pt->count; i++) {
    const cJSON *ev = event_at(events, single, i);
    const char *type = jstr(ev, "type"), *eid = jstr(ev, "eventID");
    char key[32];
    snprintf(key, sizeof key, "event[%zu]:", i);
    if (eid && strcmp(eid, h->ids[i]) != 0)
      printf("%-9s %s (%s, hash %s)\n", key, eid, type ? type : "?", h->ids[i]);
    else
      printf("%-9s %s (%s)\n", key, h->ids[i], type ? type : "?");
  }
}

static cJSON *outcome_json(const outcome *o, const part *pt, const cJSON *events, int single,
                           const sy_epcis_hashes *h) {
  cJSON *j = o->answer ? cJSON_Duplicate(o->answer, 1) : cJSON_CreateObject();
  if (!j) return NULL;
  int ok = 1;
  if (!o->answer) {
    ok = cJSON_AddStringToObject(j, "id", o->id) &&
         cJSON_AddStringToObject(j, "status", o->status >= 400 ? "rejected" : "not sent") &&
         cJSON_AddNumberToObject(j, "http_status", (double)o->status);
    if (ok && o->problem) {
      cJSON *p = cJSON_Duplicate(o->problem, 1);
      ok = p && cJSON_AddItemToObject(j, "problem", p);
      if (!ok) cJSON_Delete(p);
    }
  }
  cJSON *arr = ok ? cJSON_AddArrayToObject(j, "events") : NULL;
  for (size_t i = pt->first; arr && i < pt->first + pt->count; i++) {
    const cJSON *ev = event_at(events, single, i);
    const char *type = jstr(ev, "type"), *eid = jstr(ev, "eventID");
    cJSON *e = cJSON_CreateObject();
    if (!e || !cJSON_AddItemToArray(arr, e)) {
      cJSON_Delete(e);
      arr = NULL;
      break;
    }
    if (!cJSON_AddNumberToObject(e, "index", (double)i) ||
        !cJSON_AddStringToObject(e, "type", type ? type : "") ||
        !cJSON_AddStringToObject(e, "hashId", h->ids[i]) ||
        (eid && !cJSON_AddStringToObject(e, "eventID", eid)))
      arr = NULL;
  }
  if (!arr) {
    cJSON_Delete(j);
    return NULL;
  }
  return j;
}

static void outcome_close(outcome *o) {
  cJSON_Delete(o->answer);
  cJSON_Delete(o->problem);
  memset(o, 0, sizeof *o);
}

/* Orders exit codes for a split capture: the worst one decides. */
static int worse(int a, int b) {
  static const int rank[] = {[CLI_OK] = 0,       [CLI_INVALID] = 1, [CLI_FAIL] = 2,
                             [CLI_REJECTED] = 3, [CLI_USAGE] = 4,   [CLI_UNAVAILABLE] = 5};
  return rank[b] > rank[a] ? b : a;
}

/* ---- the command --------------------------------------------------------------------------- */

int cli_cmd_capture(cli *c, int argc, char **argv) {
  static const struct option opts[] = {{"key", required_argument, NULL, 'k'},
                                       {"no-wait", no_argument, NULL, OPT_NO_WAIT},
                                       {"split", no_argument, NULL, OPT_SPLIT},
                                       CLI_COMMON_OPTIONS};
  const char *keyfile = NULL;
  int wait = 1, split = 0, opt;
  cli_opt_begin();
  while ((opt = cli_getopt(c, argc, argv, ":hk:", opts)) != -1) {
    switch (opt) {
      case 'h':
        return cli_help(CAPTURE_HELP);
      case 'k':
        keyfile = optarg;
        break;
      case OPT_NO_WAIT:
        wait = 0;
        break;
      case OPT_SPLIT:
        split = 1;
        break;
      default:
        return cli_usage(c, CAPTURE_USAGE);
    }
  }
  if (argc - optind != 1) {
    cli_err(optind >= argc ? "missing the FILE to capture" : "too many arguments");
    return cli_usage(c, CAPTURE_USAGE);
  }
  const char *file = argv[optind];
  const char *name = strcmp(file, "-") == 0 ? "(stdin)" : file;
  if (!keyfile) {
    const char *env = getenv("SUYUAN_KEY");
    if (env && *env) keyfile = env;
  }
  if (!keyfile) {
    cli_err("missing --key KEYFILE (or set SUYUAN_KEY)");
    return cli_usage(c, CAPTURE_USAGE);
  }

  uint8_t *text = NULL;
  size_t len = 0;
  int rc = cli_read_file(file, CAPTURE_FILE_MAX, &text, &len);
  if (rc) {
    cli_err("cannot read %s: %s", file,
            rc == SY_ETOOBIG     ? "larger than 64 MiB"
            : rc == SY_ENOTFOUND ? "no such file"
                                 : strerror(errno));
    return CLI_FAIL;
  }
  cJSON *doc = NULL;
  const cJSON *events = NULL;
  int single = 0;
  sy_epcis_hashes h;
  memset(&h, 0, sizeof h);
  sy_key *key = NULL;
  outcome *outs = NULL;
  size_t n_outs = 0;
  long ext = -1;
  if ((rc = check_document(name, text, len, &doc, &events, &single, &ext))) goto undo_text;
  /* The ids the ledger records: every field hashed (it does not honour a
   * repository's ignoreFields), with the document's @context. */
  rc = sy_epcis_document_hashes(doc, SY_EPCIS_NO_IGNORE_FIELDS, &h);
  if (rc) {
    if (h.failed_index >= 0)
      cli_err("%s: event %ld: cannot compute its hash id: %s", name, h.failed_index, h.errmsg);
    else
      cli_err("%s: cannot compute hash ids: %s", name, h.errmsg[0] ? h.errmsg : sy_strerror(rc));
    rc = rc == SY_ENOMEM || rc == SY_ECRYPTO ? CLI_FAIL : CLI_REJECTED;
    goto undo_doc;
  }
  if ((rc = check_no_repeats(name, events, single, &h))) goto undo_hashes;
  if (h.count > MAX_EVENTS_PER_TX && !split) {
    cli_err("%s has %zu events, more than the %d one transaction may carry; use --split", name,
            h.count, MAX_EVENTS_PER_TX);
    rc = CLI_REJECTED;
    goto undo_hashes;
  }
  /* A payload past the format's ceiling cannot even be signed: split at once. */
  int must_split = len > SY_TX_PAYLOAD_MAX || h.count > MAX_EVENTS_PER_TX;
  if (must_split && (!split || single)) {
    cli_err("%s is %zu bytes, more than a transaction can carry (%u)%s", name, len,
            (unsigned)SY_TX_PAYLOAD_MAX, single ? "" : "; use --split");
    rc = CLI_REJECTED;
    goto undo_hashes;
  }

  /* Ask the node first: no point typing a passphrase for a node that is down. */
  char chain[SY_CHAIN_ID_MAX + 1];
  int ext_ok = 0;
  if ((rc = cli_node_chain_info(c, chain, &ext_ok))) goto undo_hashes;
  if (ext >= 0 && !ext_ok) { /* it would be recorded invalid (ledger_events.c) */
    const cJSON *ev = single ? events : cJSON_GetArrayItem(events, (int)ext);
    const char *t = jstr(ev, "type");
    if (single)
      cli_err("%s: type: '%s' is an extension event type; this chain records only the five "
              "EPCIS event types (genesis feature epcis_extension_events is off)",
              name, t ? t : "");
    else
      cli_err("%s: event %ld: epcisBody.eventList[%ld].type: '%s' is an extension event type; "
              "this chain records only the five EPCIS event types (genesis feature "
              "epcis_extension_events is off)",
              name, ext, ext, t ? t : "");
    rc = CLI_REJECTED;
    goto undo_hashes;
  }
  if ((rc = cli_load_key(c, keyfile, &key))) goto undo_hashes;

  size_t n_parts = must_split ? h.count : 1;
  outs = calloc(h.count + 1, sizeof *outs);
  part *parts = calloc(h.count + 1, sizeof *parts);
  if (!outs || !parts) {
    free(parts);
    cli_err("out of memory");
    rc = CLI_FAIL;
    goto undo_key;
  }
  if (!must_split) {
    parts[0] = (part){0, h.count};
    send_one(c, key, chain, text, len, wait, split && !single && h.count > 1, &outs[0]);
    n_outs = 1;
    if (outs[0].status == 413 && split && !single && h.count > 1) {
      cli_err(
          "%s (%zu bytes) is larger than the node accepts; sending its %zu events one "
          "transaction each (--split)",
          name, len, h.count);
      outcome_close(&outs[0]);
      n_outs = 0;
      n_parts = h.count;
      must_split = 1;
    }
  }
  if (must_split) {
    for (size_t i = 0; i < n_parts; i++) parts[i] = (part){i, 1};
    const cJSON *ev = events->child;
    for (size_t i = 0; i < n_parts && ev; i++, ev = ev->next) {
      uint8_t *p = NULL;
      size_t plen = 0;
      if (part_payload(doc, ev, &p, &plen)) {
        cli_err("out of memory");
        outs[n_outs++] = (outcome){.code = CLI_FAIL};
        break;
      }
      send_one(c, key, chain, p, plen, wait, 0, &outs[n_outs]);
      free(p);
      int code = outs[n_outs++].code;
      /* A part recorded invalid (e.g. already on the chain) does not stop
       * the rest; a part the node did not take does. */
      if (code != CLI_OK && code != CLI_INVALID) {
        if (i + 1 < n_parts)
          cli_err("stopped after event %zu: events %zu..%zu were not sent", i, i + 1, n_parts - 1);
        break;
      }
    }
  }

  rc = CLI_OK;
  for (size_t i = 0; i < n_outs; i++) rc = worse(rc, outs[i].code);
  if (c->json) {
    cJSON *j = cJSON_CreateObject();
    cJSON *arr = j && cJSON_AddStringToObject(j, "file", file)
                     ? cJSON_AddArrayToObject(j, "transactions")
                     : NULL;
    for (size_t i = 0; arr && i < n_outs; i++) {
      if (!outs[i].id[0]) continue;
      cJSON *t = outcome_json(&outs[i], &parts[i], events, single, &h);
      if (!t || !cJSON_AddItemToArray(arr, t)) {
        cJSON_Delete(t);
        arr = NULL;
      }
    }
    char *s = arr ? cJSON_Print(j) : NULL;
    if (s)
      printf("%s\n", s);
    else
      cli_err("out of memory: no JSON output");
    free(s);
    cJSON_Delete(j);
  } else {
    for (size_t i = 0; i < n_outs; i++) {
      if (!outs[i].id[0]) continue;
      if (n_parts > 1) printf("%spart %zu/%zu:\n", i ? "\n" : "", i + 1, n_parts);
      print_outcome_text(&outs[i], &parts[i], events, single, &h);
    }
  }
  for (size_t i = 0; i < n_outs; i++) {
    const cJSON *a = outs[i].answer;
    if (outs[i].code == CLI_INVALID) {
      const char *reason = jstr(a, "reason"), *rtext = jstr(a, "reason_text");
      cli_err("transaction %s committed but recorded invalid: %s%s%s%s", outs[i].id,
              reason ? reason : "?", rtext ? " (" : "", rtext ? rtext : "", rtext ? ")" : "");
    } else if (outs[i].code == CLI_FAIL && a) {
      cli_err(
          "transaction %s was accepted but not committed within %ld ms; check later with "
          "'suyuan tx show %s'",
          outs[i].id, server_wait_ms(c), outs[i].id);
    }
  }
  if (n_parts > 1) {
    size_t valid = 0;
    for (size_t i = 0; i < n_outs; i++) valid += outs[i].code == CLI_OK;
    cli_err("%zu of %zu transactions %s", valid, n_parts, wait ? "recorded valid" : "admitted");
  }
  for (size_t i = 0; i < n_outs; i++) outcome_close(&outs[i]);
  free(parts);
  free(outs);
undo_key:
  sy_key_free(key);
undo_hashes:
  sy_epcis_hashes_close(&h);
undo_doc:
  cJSON_Delete(doc);
undo_text:
  free(text);
  return rc;
}
