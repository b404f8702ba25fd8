/* The node-local scan log of anti-counterfeit code checks (SPEC C4, I7;
 * docs/codes.md "The scan log is node-local"): which live codes were
 * scanned, when, where (a coarse place), how often, and the counterfeit
 * alerts those scans raised. Not on the chain: DIR/scans.db (SQLite, WAL,
 * synchronous=FULL, mode 0600), or in memory for a node without a data
 * directory. Holds commitments and item keys, never a code.
 *
 * The HTTP side (src/api/routes_ac.c) decides what a scan means; this
 * module only stores it, so that sqlite3.h stays inside ledger/ (STYLE.md).
 *
 * Threads: any number of threads may call any function on one handle at
 * the same time (one connection behind a mutex; a recording thread waits
 * for the others' fsync). */
#ifndef SY_SCANLOG_H
#define SY_SCANLOG_H

#include <stddef.h>
#include <stdint.h>

#include "ledger/ledger.h"

typedef struct sy_scanlog sy_scanlog;

#define SY_SCANLOG_PLACE_MAX 64 /* bytes of a place returned in sy_scan_seen */

/* Opens (creating) data_dir/scans.db: the file is created 0600 before
 * SQLite opens it, then journal_mode=WAL, synchronous=FULL, and the -wal
 * and -shm files are set 0600 too. data_dir NULL: an in-memory log
 * (journal_mode=MEMORY). data_dir is borrowed for the call; *out is
 * transferred (sy_scanlog_close). SY_EINVAL (the path is too long),
 * SY_ENOMEM, SY_EIO (err gets "PATH: reason", PATH ":memory:" in memory). */
int sy_scanlog_open(const char *data_dir, sy_scanlog **out, char *err, size_t errlen);
/* Closes and frees; NULL is a no-op. */
void sy_scanlog_close(sy_scanlog *s);

/* When a scan raises an alert (docs/codes.md "Counterfeit alerts"). */
typedef struct sy_scanlog_rules {
  uint64_t place_window_ms; /* two places within this window: multiple_places */
  uint64_t repeat_alert_at; /* this many scans or more: repeated_scans */
} sy_scanlog_rules;

/* What the log knew of a code, with the scan just recorded counted. */
typedef struct sy_scan_seen {
  int first;                                  /* 1: this was the code's first scan */
  uint64_t first_ms;                          /* the first scan (now_ms when first) */
  char first_place[SY_SCANLOG_PLACE_MAX + 1]; /* its place ("" none), cut to the size */
  uint64_t count;                             /* scans including this one */
} sy_scan_seen;

/* Records one scan of the live code c at now_ms from place ("" = none),
 * and raises or updates its alerts by rules, in one transaction that is
 * committed (fsynced with a data directory) before it returns. c, place
 * and rules are borrowed for the call. SY_OK and *out filled, or
 * SY_ESTORAGE and the log unchanged. */
int sy_scanlog_record(sy_scanlog *s, const sy_code *c, const char *place, uint64_t now_ms,
                      const sy_scanlog_rules *rules, sy_scan_seen *out);

/* How many codes of org (gtin and lot NULL = any) have been scanned, and
 * how many alerts they raised. Both 0 and SY_ESTORAGE when the log cannot
 * be read. */
int sy_scanlog_counts(sy_scanlog *s, const char *org, const char *gtin, const char *lot,
                      uint64_t *scanned, uint64_t *alerts);

/* One alert; every pointer is borrowed until the callback returns. */
typedef struct sy_scan_alert {
  int64_t id;
  const char *reason; /* "multiple_places" or "repeated_scans" */
  const char *gtin, *lot, *serial;
  const char *places; /* JSON array text: [{"place","first","last","count"}], newest first */
  int64_t count;
  int64_t first_ms, last_ms, raised_ms, updated_ms;
} sy_scan_alert;

typedef void (*sy_scan_alert_fn)(void *arg, const sy_scan_alert *a);

/* Calls fn for org's alerts updated at or after since_ms, most recently
 * updated first, at most limit of them. fn runs with the log locked and
 * must not call back into it. SY_OK, or SY_ESTORAGE (fn may have been
 * called for some alerts before). */
int sy_scanlog_alerts(sy_scanlog *s, const char *org, int64_t since_ms, uint64_t limit,
                      sy_scan_alert_fn fn, void *arg);

#endif
