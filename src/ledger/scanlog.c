/* The node-local scan log (scanlog.h; docs/codes.md). Moved here from
 * src/api/routes_ac.c so that only ledger/ includes sqlite3.h (STYLE.md);
 * the schema, pragmas, statements and file modes are unchanged. */
#include "ledger/scanlog.h"

#include <cjson/cJSON.h>
#include <fcntl.h>
#include <pthread.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "core/sy_error.h"
#include "core/sy_time.h"

struct sy_scanlog {
  pthread_mutex_t mu; /* the connection */
  sqlite3 *db;
};

static const char SCAN_SCHEMA[] =
    "CREATE TABLE IF NOT EXISTS scans(commitment BLOB PRIMARY KEY, org TEXT NOT NULL,"
    "  gtin TEXT NOT NULL, lot TEXT NOT NULL, serial TEXT NOT NULL, first_ms INTEGER NOT NULL,"
    "  first_place TEXT NOT NULL, last_ms INTEGER NOT NULL, count INTEGER NOT NULL) WITHOUT ROWID;"
    "CREATE INDEX IF NOT EXISTS scans_item ON scans(org, gtin, lot);"
    "CREATE TABLE IF NOT EXISTS scan_places(commitment BLOB NOT NULL, place TEXT NOT NULL,"
    "  first_ms INTEGER NOT NULL, last_ms INTEGER NOT NULL, count INTEGER NOT NULL,"
    "  PRIMARY KEY(commitment, place)) WITHOUT ROWID;"
    "CREATE TABLE IF NOT EXISTS alerts(id INTEGER PRIMARY KEY, commitment BLOB NOT NULL,"
    "  reason TEXT NOT NULL, org TEXT NOT NULL, gtin TEXT NOT NULL, lot TEXT NOT NULL,"
    "  serial TEXT NOT NULL, places TEXT NOT NULL, count INTEGER NOT NULL,"
    "  first_ms INTEGER NOT NULL, last_ms INTEGER NOT NULL, raised_ms INTEGER NOT NULL,"
    "  updated_ms INTEGER NOT NULL, UNIQUE(commitment, reason));"
    "CREATE INDEX IF NOT EXISTS alerts_org ON alerts(org, updated_ms);";

int sy_scanlog_open(const char *data_dir, sy_scanlog **out, char *err, size_t errlen) {
  *out = NULL;
  if (err && errlen) err[0] = 0;
  sy_scanlog *s = calloc(1, sizeof *s);
  if (!s) return SY_ENOMEM;
  if (pthread_mutex_init(&s->mu, NULL) != 0) {
    free(s);
    return SY_ENOMEM;
  }
  char path[1200];
  int memory = !data_dir;
  if (!memory) {
    if (snprintf(path, sizeof path, "%s/scans.db", data_dir) >= (int)sizeof path) {
      pthread_mutex_destroy(&s->mu);
      free(s);
      return SY_EINVAL;
    }
    /* Create it 0600 before SQLite opens it: scan records are personal data
     * (where and when someone checked an item). */
    int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (fd >= 0) {
      fchmod(fd, 0600);
      close(fd);
    }
  }
  int rc = sqlite3_open_v2(memory ? ":memory:" : path, &s->db,
                           SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, NULL);
  char *msg = NULL;
  if (rc == SQLITE_OK) {
    sqlite3_busy_timeout(s->db, 5000);
    rc = sqlite3_exec(s->db,
                      memory ? "PRAGMA journal_mode=MEMORY;"
                             : "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL;",
                      NULL, NULL, &msg);
    if (rc == SQLITE_OK) rc = sqlite3_exec(s->db, SCAN_SCHEMA, NULL, NULL, &msg);
  }
  if (rc != SQLITE_OK) {
    if (err && errlen)
      snprintf(err, errlen, "%s: %s", memory ? ":memory:" : path, msg ? msg : sqlite3_errstr(rc));
    sqlite3_free(msg);
    sqlite3_close(s->db);
    pthread_mutex_destroy(&s->mu);
    free(s);
    return SY_EIO;
  }
  if (!memory) {
    /* The WAL and shm files SQLite made: the same mode. */
    char side[1300];
    snprintf(side, sizeof side, "%s-wal", path);
    chmod(side, 0600);
    snprintf(side, sizeof side, "%s-shm", path);
    chmod(side, 0600);
  }
  *out = s;
  return SY_OK;
}

void sy_scanlog_close(sy_scanlog *s) {
  if (!s) return;
  sqlite3_close(s->db);
  pthread_mutex_destroy(&s->mu);
  free(s);
}

static int exec1(sqlite3 *db, const char *sql) {
  return sqlite3_exec(db, sql, NULL, NULL, NULL) == SQLITE_OK ? 0 : -1;
}

/* JSON list of the code's places, most recent first. malloc'd (cJSON_free). */
static char *places_json(sqlite3 *db, const uint8_t *cm) {
  sqlite3_stmt *st = NULL;
  cJSON *a = cJSON_CreateArray();
  if (!a) return NULL;
  if (sqlite3_prepare_v2(db,
                         "SELECT place, first_ms, last_ms, count FROM scan_places"
                         " WHERE commitment=?1 ORDER BY last_ms DESC LIMIT 16",
                         -1, &st, NULL) == SQLITE_OK) {
    sqlite3_bind_blob(st, 1, cm, SY_HASH_LEN, SQLITE_STATIC);
    while (sqlite3_step(st) == SQLITE_ROW) {
      cJSON *o = cJSON_CreateObject();
      char t1[32], t2[32];
      sy_time_format_ms(sqlite3_column_int64(st, 1), t1);
      sy_time_format_ms(sqlite3_column_int64(st, 2), t2);
      cJSON_AddStringToObject(o, "place", (const char *)sqlite3_column_text(st, 0));
      cJSON_AddStringToObject(o, "first", t1);
      cJSON_AddStringToObject(o, "last", t2);
      cJSON_AddNumberToObject(o, "count", (double)sqlite3_column_int64(st, 3));
      cJSON_AddItemToArray(a, o);
    }
  }
  sqlite3_finalize(st);
  char *s = cJSON_PrintUnformatted(a);
  cJSON_Delete(a);
  return s;
}

static int raise_alert(sqlite3 *db, const sy_code *c, const char *reason, uint64_t count,
                       uint64_t first_ms, uint64_t now) {
  char *places = places_json(db, c->commit);
  if (!places) return -1;
  sqlite3_stmt *st = NULL;
  int rc = sqlite3_prepare_v2(
      db,
      "INSERT INTO alerts(commitment, reason, org, gtin, lot, serial, places, count, first_ms,"
      " last_ms, raised_ms, updated_ms) VALUES(?1,?2,?3,?4,?5,?6,?7,?8,?9,?10,?10,?10)"
      " ON CONFLICT(commitment, reason) DO UPDATE SET places=?7, count=?8, last_ms=?10,"
      " updated_ms=?10",
      -1, &st, NULL);
  if (rc == SQLITE_OK) {
    sqlite3_bind_blob(st, 1, c->commit, SY_HASH_LEN, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, reason, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 3, c->org, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 4, c->gtin, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 5, c->lot, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 6, c->serial, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 7, places, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 8, (sqlite3_int64)count);
    sqlite3_bind_int64(st, 9, (sqlite3_int64)first_ms);
    sqlite3_bind_int64(st, 10, (sqlite3_int64)now);
    rc = sqlite3_step(st) == SQLITE_DONE ? SQLITE_OK : SQLITE_ERROR;
  }
  sqlite3_finalize(st);
  cJSON_free(places);
  return rc == SQLITE_OK ? 0 : -1;
}

int sy_scanlog_record(sy_scanlog *s, const sy_code *c, const char *place, uint64_t now,
                      const sy_scanlog_rules *rules, sy_scan_seen *sr) {
  sqlite3 *db = s->db;
  sqlite3_stmt *st = NULL;
  int ok = 0;
  memset(sr, 0, sizeof *sr);
  pthread_mutex_lock(&s->mu);
  if (exec1(db, "BEGIN IMMEDIATE")) goto out;
  if (sqlite3_prepare_v2(db, "SELECT first_ms, first_place, count FROM scans WHERE commitment=?1",
                         -1, &st, NULL) != SQLITE_OK)
    goto rollback;
  sqlite3_bind_blob(st, 1, c->commit, SY_HASH_LEN, SQLITE_STATIC);
  int src = sqlite3_step(st);
  if (src == SQLITE_ROW) {
    sr->first_ms = (uint64_t)sqlite3_column_int64(st, 0);
    snprintf(sr->first_place, sizeof sr->first_place, "%s",
             (const char *)sqlite3_column_text(st, 1));
    sr->count = (uint64_t)sqlite3_column_int64(st, 2) + 1;
    sr->first = 0;
  } else if (src == SQLITE_DONE) {
    sr->first_ms = now;
    snprintf(sr->first_place, sizeof sr->first_place, "%s", place);
    sr->count = 1;
    sr->first = 1;
  } else {
    goto rollback;
  }
  sqlite3_finalize(st);
  st = NULL;
  if (sqlite3_prepare_v2(db,
                         "INSERT INTO scans(commitment, org, gtin, lot, serial, first_ms,"
                         " first_place, last_ms, count) VALUES(?1,?2,?3,?4,?5,?6,?7,?6,1)"
                         " ON CONFLICT(commitment) DO UPDATE SET last_ms=?6, count=count+1",
                         -1, &st, NULL) != SQLITE_OK)
    goto rollback;
  sqlite3_bind_blob(st, 1, c->commit, SY_HASH_LEN, SQLITE_STATIC);
  sqlite3_bind_text(st, 2, c->org, -1, SQLITE_STATIC);
  sqlite3_bind_text(st, 3, c->gtin, -1, SQLITE_STATIC);
  sqlite3_bind_text(st, 4, c->lot, -1, SQLITE_STATIC);
  sqlite3_bind_text(st, 5, c->serial, -1, SQLITE_STATIC);
  sqlite3_bind_int64(st, 6, (sqlite3_int64)now);
  sqlite3_bind_text(st, 7, place, -1, SQLITE_STATIC);
  if (sqlite3_step(st) != SQLITE_DONE) goto rollback;
  sqlite3_finalize(st);
  st = NULL;
  uint64_t places_in_window = 0;
  if (*place) {
    if (sqlite3_prepare_v2(db,
                           "INSERT INTO scan_places(commitment, place, first_ms, last_ms, count)"
                           " VALUES(?1,?2,?3,?3,1) ON CONFLICT(commitment, place) DO UPDATE SET"
                           " last_ms=?3, count=count+1",
                           -1, &st, NULL) != SQLITE_OK)
      goto rollback;
    sqlite3_bind_blob(st, 1, c->commit, SY_HASH_LEN, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, place, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 3, (sqlite3_int64)now);
    if (sqlite3_step(st) != SQLITE_DONE) goto rollback;
    sqlite3_finalize(st);
    st = NULL;
    if (sqlite3_prepare_v2(db,
                           "SELECT count(*) FROM scan_places WHERE commitment=?1 AND last_ms>=?2",
                           -1, &st, NULL) != SQLITE_OK)
      goto rollback;
    sqlite3_bind_blob(st, 1, c->commit, SY_HASH_LEN, SQLITE_STATIC);
    sqlite3_bind_int64(
        st, 2, (sqlite3_int64)(now > rules->place_window_ms ? now - rules->place_window_ms : 0));
    if (sqlite3_step(st) != SQLITE_ROW) goto rollback;
    places_in_window = (uint64_t)sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    st = NULL;
  }
  /* Counterfeit signals: one code seen in two places within the window
   * (copies of one label sold in several towns), or checked over and over. */
  if (places_in_window >= 2 &&
      raise_alert(db, c, "multiple_places", sr->count, sr->first_ms, now) != 0)
    goto rollback;
  if (sr->count >= rules->repeat_alert_at &&
      raise_alert(db, c, "repeated_scans", sr->count, sr->first_ms, now) != 0)
    goto rollback;
  if (exec1(db, "COMMIT")) goto rollback;
  ok = 1;
  goto out;
rollback:
  exec1(db, "ROLLBACK");
out:
  sqlite3_finalize(st);
  pthread_mutex_unlock(&s->mu);
  return ok ? SY_OK : SY_ESTORAGE;
}

int sy_scanlog_counts(sy_scanlog *s, const char *org, const char *gtin, const char *lot,
                      uint64_t *scanned, uint64_t *alerts) {
  int rc = SY_ESTORAGE;
  *scanned = 0;
  *alerts = 0;
  pthread_mutex_lock(&s->mu);
  sqlite3_stmt *st = NULL;
  if (sqlite3_prepare_v2(s->db,
                         "SELECT (SELECT count(*) FROM scans WHERE org=?1 AND (?2 IS NULL OR"
                         " gtin=?2) AND (?3 IS NULL OR lot=?3)), (SELECT count(*) FROM alerts"
                         " WHERE org=?1 AND (?2 IS NULL OR gtin=?2) AND (?3 IS NULL OR lot=?3))",
                         -1, &st, NULL) == SQLITE_OK) {
    sqlite3_bind_text(st, 1, org, -1, SQLITE_STATIC);
    if (gtin) sqlite3_bind_text(st, 2, gtin, -1, SQLITE_STATIC);
    if (lot) sqlite3_bind_text(st, 3, lot, -1, SQLITE_STATIC);
    if (sqlite3_step(st) == SQLITE_ROW) {
      *scanned = (uint64_t)sqlite3_column_int64(st, 0);
      *alerts = (uint64_t)sqlite3_column_int64(st, 1);
      rc = SY_OK;
    }
  }
  sqlite3_finalize(st);
  pthread_mutex_unlock(&s->mu);
  return rc;
}

int sy_scanlog_alerts(sy_scanlog *s, const char *org, int64_t since_ms, uint64_t limit,
                      sy_scan_alert_fn fn, void *arg) {
  pthread_mutex_lock(&s->mu);
  sqlite3_stmt *st = NULL;
  int ok = sqlite3_prepare_v2(s->db,
                              "SELECT id, reason, gtin, lot, serial, places, count, first_ms,"
                              " last_ms, raised_ms, updated_ms FROM alerts WHERE org=?1 AND"
                              " updated_ms>=?2 ORDER BY updated_ms DESC, id DESC LIMIT ?3",
                              -1, &st, NULL) == SQLITE_OK;
  if (ok) {
    sqlite3_bind_text(st, 1, org, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 2, since_ms);
    sqlite3_bind_int64(st, 3, (sqlite3_int64)limit);
    int src;
    while ((src = sqlite3_step(st)) == SQLITE_ROW) {
      sy_scan_alert a = {
          .id = sqlite3_column_int64(st, 0),
          .reason = (const char *)sqlite3_column_text(st, 1),
          .gtin = (const char *)sqlite3_column_text(st, 2),
          .lot = (const char *)sqlite3_column_text(st, 3),
          .serial = (const char *)sqlite3_column_text(st, 4),
          .places = (const char *)sqlite3_column_text(st, 5),
          .count = sqlite3_column_int64(st, 6),
          .first_ms = sqlite3_column_int64(st, 7),
          .last_ms = sqlite3_column_int64(st, 8),
          .raised_ms = sqlite3_column_int64(st, 9),
          .updated_ms = sqlite3_column_int64(st, 10),
      };
      fn(arg, &a);
    }
    ok = src == SQLITE_DONE;
  }
  sqlite3_finalize(st);
  pthread_mutex_unlock(&s->mu);
  return ok ? SY_OK : SY_ESTORAGE;
}
