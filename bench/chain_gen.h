/* chain_gen.h: a deterministic, random-access synthetic tea supply chain for
 * the benchmarks (sy_gen_ledger, sy_loadgen --events). Header-only (static
 * inline), so each tool includes it without a library of its own.
 *
 * The chain is a sequence of "families", one per blended lot. Family f has
 * CG_EVENTS_PER_FAMILY EPCIS 2.0 events, always the same shape:
 *
 *   stage           events  what
 *   harvest              4  ObjectEvent ADD, commissioning: 4 leaf lots H (500 KGM)
 *   wither               4  TransformationEvent H_i -> W_i
 *   dry                  4  TransformationEvent W_i -> D_i
 *   process              2  TransformationEvent (D0,D1) -> P0, (D2,D3) -> P1 (fan-in)
 *   blend                1  TransformationEvent (P0_f, P1_f, P1_{f-1}) -> B_f (fan-in
 *                           across families: P1 of each family feeds two blends)
 *   pack               816  TransformationEvent B -> 10 serials (SGTIN) each: 8160 serials
 *   case              1360  AggregationEvent ADD, 6 serials -> case (SSCC)
 *   pallet             136  AggregationEvent ADD, 10 cases -> pallet, 4 layers a pallet:
 *                           34 pallets of 40 cases
 *   ship pallet         34  ObjectEvent OBSERVE shipping
 *   container            2  AggregationEvent ADD, 17 pallets -> container (SSCC)
 *   ship container       2  ObjectEvent OBSERVE shipping
 *   relabel             34  TransformationEvent old pallet SSCC -> importer's SSCC (SPEC I5)
 *   receive pallet      34  ObjectEvent OBSERVE receiving (importer DC)
 *   receive case      1360  ObjectEvent OBSERVE receiving (store)
 *   sale              8160  ObjectEvent OBSERVE retail_selling, one per serial
 *
 * Lineage (docs/trace.md): forward from a harvest lot H0/H1 reaches
 * H, W, D, P0, B and everything below B: CG_FWD_LOT nodes, depth 8
 * (H W D P B serial case pallet container|new pallet). From H2/H3 the walk
 * also crosses into the next family's blend (P1 feeds two blends), about
 * twice as many nodes: the node's 10,000-node cap stops it (truncated).
 * Backward from a serial: serial, B, the 3 P lots, 6 D, 6 W, 6 H (23 nodes);
 * from a case 29, a relabelled pallet 304 (depth 8), a container 4800.
 *
 * Event k of family f is a pure function of (f, k, first): "first" is the
 * first family of the run (its blend has no previous family's P1). */
#ifndef SY_BENCH_CHAIN_GEN_H
#define SY_BENCH_CHAIN_GEN_H

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

enum {
  CG_HARVEST,
  CG_WITHER,
  CG_DRY,
  CG_PROCESS,
  CG_BLEND,
  CG_PACK,
  CG_CASE,
  CG_PALLET,
  CG_SHIP_PALLET,
  CG_CONTAINER,
  CG_SHIP_CONTAINER,
  CG_RELABEL,
  CG_RECV_PALLET,
  CG_RECV_CASE,
  CG_SALE,
  CG_NSTAGES
};

#define CG_LOTS 4             /* harvest lots a family */
#define CG_SERIALS 8160       /* consumer units a family */
#define CG_PER_PACK 10        /* serials a packing event */
#define CG_PER_CASE 6         /* serials a case */
#define CG_CASES (CG_SERIALS / CG_PER_CASE)          /* 1360 */
#define CG_PER_LAYER 10       /* cases an aggregation event onto a pallet */
#define CG_LAYERS 4           /* layers a pallet */
#define CG_PALLETS (CG_CASES / (CG_PER_LAYER * CG_LAYERS)) /* 34 */
#define CG_PER_CONTAINER 17   /* pallets a container */
#define CG_CONTAINERS (CG_PALLETS / CG_PER_CONTAINER)   /* 2 */

static const uint32_t cg_stage_events[CG_NSTAGES] = {
    CG_LOTS, CG_LOTS, CG_LOTS, 2, 1, CG_SERIALS / CG_PER_PACK, CG_CASES,
    CG_PALLETS * CG_LAYERS, CG_PALLETS, CG_CONTAINERS, CG_CONTAINERS, CG_PALLETS, CG_PALLETS,
    CG_CASES, CG_SERIALS};

#define CG_EVENTS_PER_FAMILY                                                               \
  (3 * CG_LOTS + 2 + 1 + CG_SERIALS / CG_PER_PACK + CG_CASES + CG_PALLETS * CG_LAYERS +    \
   CG_PALLETS + 2 * CG_CONTAINERS + 2 * CG_PALLETS + CG_CASES + CG_SERIALS) /* 11953 */

/* Nodes below and including a blend lot B: B, serials, cases, pallets,
 * containers, relabelled pallets. */
#define CG_DOWN_BLEND (1 + CG_SERIALS + CG_CASES + CG_PALLETS + CG_CONTAINERS + CG_PALLETS)
/* Forward from H0 or H1: H, W, D, P0 and below B. */
#define CG_FWD_LOT (4 + CG_DOWN_BLEND) /* 9595 */
/* Backward from below B: B and its lineage. prev: family has a previous one. */
static inline uint32_t cg_back_blend(int prev) { return 1 + 7 * (2 + (uint32_t)prev); }
static inline uint32_t cg_back_serial(int prev) { return 1 + cg_back_blend(prev); }
static inline uint32_t cg_back_case(int prev) { return 1 + CG_PER_CASE + cg_back_blend(prev); }
static inline uint32_t cg_back_pallet(int prev) { /* the importer's (relabelled) id */
  return 2 + CG_PER_LAYER * CG_LAYERS * (1 + CG_PER_CASE) + cg_back_blend(prev);
}
static inline uint32_t cg_back_container(int prev) {
  return 1 + CG_PER_CONTAINER * (1 + CG_PER_LAYER * CG_LAYERS * (1 + CG_PER_CASE)) +
         cg_back_blend(prev);
}

/* ---- identifiers ------------------------------------------------------------------ */
/* Grower 6901234 (lots, farm and factory locations), brand owner 6901235
 * (serials, cases, pallets, containers), importer 4012345. Company prefix
 * + item/location reference digits follow GS1 TDS (13 for SGTIN/LGTIN, 17
 * for SSCC, 12 for SGLN). An SSCC's serial reference is 10 digits, so f
 * must stay below 5,000,000. */
#define CG_LOT_CLASS "urn:epc:class:lgtin:6901234."
static const char *const cg_lot_item[5] = {"000001", "000002", "000003", "000004", "000005"};
static const char cg_lot_letter[5] = {'H', 'W', 'D', 'P', 'B'};

/* Lot ids: level 0 harvest, 1 withered, 2 dried (i = 0..3), 3 processed
 * (i = 0..1), 4 blend (i ignored). */
static inline int cg_lot(char *out, size_t cap, int level, uint64_t f, int i) {
  if (level == 4)
    return snprintf(out, cap, CG_LOT_CLASS "%s.B%llu", cg_lot_item[4], (unsigned long long)f);
  return snprintf(out, cap, CG_LOT_CLASS "%s.%c%llu-%d", cg_lot_item[level],
                  cg_lot_letter[level], (unsigned long long)f, i);
}
static inline int cg_serial(char *out, size_t cap, uint64_t f, uint32_t s) {
  return snprintf(out, cap, "urn:epc:id:sgtin:6901235.012345.%llu",
                  (unsigned long long)(f * 10000 + s));
}
static inline int cg_case(char *out, size_t cap, uint64_t f, uint32_t c) {
  return snprintf(out, cap, "urn:epc:id:sscc:6901235.%010llu", (unsigned long long)(f * 2000 + c));
}
static inline int cg_pallet(char *out, size_t cap, uint64_t f, uint32_t p) {
  return snprintf(out, cap, "urn:epc:id:sscc:6901235.%010llu",
                  (unsigned long long)(f * 2000 + 1500 + p));
}
static inline int cg_container(char *out, size_t cap, uint64_t f, uint32_t k) {
  return snprintf(out, cap, "urn:epc:id:sscc:6901235.%010llu",
                  (unsigned long long)(f * 2000 + 1600 + k));
}
static inline int cg_new_pallet(char *out, size_t cap, uint64_t f, uint32_t p) {
  return snprintf(out, cap, "urn:epc:id:sscc:4012345.%010llu", (unsigned long long)(f * 100 + p));
}

/* ---- time ------------------------------------------------------------------------- */
#define CG_T0_MS 1735689600000LL /* 2025-01-01T00:00:00Z */
#define CG_HOUR_MS 3600000LL
#define CG_DAY_MS (24 * CG_HOUR_MS)

/* "2025-01-01T08:00:00.000+08:00" for t (ms, UTC) shown at offset_min. */
static inline int cg_time(char *out, size_t cap, int64_t t, int offset_min) {
  int64_t local = t + (int64_t)offset_min * 60000;
  int64_t days = local / CG_DAY_MS, rem = local % CG_DAY_MS;
  if (rem < 0) rem += CG_DAY_MS, days--;
  /* civil_from_days (H. Hinnant) */
  int64_t z = days + 719468;
  int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  unsigned doe = (unsigned)(z - era * 146097);
  unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  int64_t y = (int64_t)yoe + era * 400;
  unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  unsigned mp = (5 * doy + 2) / 153;
  unsigned d = doy - (153 * mp + 2) / 5 + 1;
  unsigned m = mp < 10 ? mp + 3 : mp - 9;
  y += m <= 2;
  int off = offset_min < 0 ? -offset_min : offset_min;
  return snprintf(out, cap, "%04lld-%02u-%02uT%02d:%02d:%02d.%03d%c%02d:%02d", (long long)y, m, d,
                  (int)(rem / CG_HOUR_MS), (int)(rem / 60000 % 60), (int)(rem / 1000 % 60),
                  (int)(rem % 1000), offset_min < 0 ? '-' : '+', off / 60, off % 60);
}

/* ---- events ----------------------------------------------------------------------- */
typedef struct cg_out {
  char *p;
  size_t cap, len;
  int over; /* ran out of room */
} cg_out;

static inline void cg_put(cg_out *o, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static inline void cg_put(cg_out *o, const char *fmt, ...) {
  if (o->over) return;
  va_list ap;
  va_start(ap, fmt);
  int n = vsnprintf(o->p + o->len, o->cap - o->len, fmt, ap);
  va_end(ap);
  if (n < 0 || (size_t)n >= o->cap - o->len) {
    o->over = 1;
    return;
  }
  o->len += (size_t)n;
}

/* Common head: type, eventTime, eventTimeZoneOffset. */
static inline void cg_head(cg_out *o, const char *type, int64_t t, int offset_min) {
  char ts[40];
  cg_time(ts, sizeof ts, t, offset_min);
  int off = offset_min < 0 ? -offset_min : offset_min;
  cg_put(o, "{\"type\":\"%s\",\"eventTime\":\"%s\",\"eventTimeZoneOffset\":\"%c%02d:%02d\"", type,
         ts, offset_min < 0 ? '-' : '+', off / 60, off % 60);
}

static inline void cg_loc(cg_out *o, const char *key, const char *cp, unsigned loc, unsigned ext) {
  cg_put(o, ",\"%s\":{\"id\":\"urn:epc:id:sgln:%s.%05u.%u\"}", key, cp, loc, ext);
}

static inline void cg_qty(cg_out *o, const char *key, const char *const *ids, const double *q,
                          int n) {
  cg_put(o, ",\"%s\":[", key);
  for (int i = 0; i < n; i++)
    cg_put(o, "%s{\"epcClass\":\"%s\",\"quantity\":%g,\"uom\":\"KGM\"}", i ? "," : "", ids[i], q[i]);
  cg_put(o, "]");
}

/* Maps k (0..CG_EVENTS_PER_FAMILY) to its stage and index in the stage. */
static inline int cg_stage_of(uint32_t k, uint32_t *idx) {
  for (int s = 0; s < CG_NSTAGES; s++) {
    if (k < cg_stage_events[s]) {
      *idx = k;
      return s;
    }
    k -= cg_stage_events[s];
  }
  return -1;
}

/* Writes event k of family f (JSON object, no trailing separator) at the
 * end of o. first: the run's first family. */
static inline void cg_event(cg_out *o, uint64_t f, uint64_t first, uint32_t k) {
  uint32_t i;
  int stage = cg_stage_of(k, &i);
  int64_t t0 = CG_T0_MS + (int64_t)(f % 20000) * 6 * CG_HOUR_MS; /* a family every 6 h */
  const int CN = 480, EU = 60;                                    /* +08:00, +01:00 */
  char a[96], b[96], c[96];
  const char *ids[3];
  double q[3];
  switch (stage) {
    case CG_HARVEST:
      cg_lot(a, sizeof a, 0, f, (int)i);
      ids[0] = a;
      q[0] = 500;
      cg_head(o, "ObjectEvent", t0 + i * 20 * 60000, CN);
      cg_put(o, ",\"action\":\"ADD\",\"bizStep\":\"commissioning\",\"disposition\":\"active\"");
      cg_qty(o, "quantityList", ids, q, 1);
      cg_loc(o, "bizLocation", "6901234", 10 + (unsigned)(f % 50), i);
      break;
    case CG_WITHER:
    case CG_DRY: {
      int lv = stage == CG_WITHER ? 0 : 1;
      cg_lot(a, sizeof a, lv, f, (int)i);
      cg_lot(b, sizeof b, lv + 1, f, (int)i);
      cg_head(o, "TransformationEvent", t0 + (lv ? 20 : 8) * CG_HOUR_MS + i * 60000, CN);
      cg_put(o, ",\"bizStep\":\"creating_class_instance\",\"disposition\":\"active\"");
      ids[0] = a;
      q[0] = lv ? 400 : 500;
      cg_qty(o, "inputQuantityList", ids, q, 1);
      ids[0] = b;
      q[0] = lv ? 120 : 400;
      cg_qty(o, "outputQuantityList", ids, q, 1);
      cg_loc(o, "bizLocation", "6901234", 2, 0);
      break;
    }
    case CG_PROCESS:
      cg_lot(a, sizeof a, 2, f, (int)(2 * i));
      cg_lot(b, sizeof b, 2, f, (int)(2 * i + 1));
      cg_lot(c, sizeof c, 3, f, (int)i);
      cg_head(o, "TransformationEvent", t0 + 30 * CG_HOUR_MS + i * 60000, CN);
      cg_put(o, ",\"bizStep\":\"creating_class_instance\",\"disposition\":\"active\"");
      ids[0] = a, ids[1] = b;
      q[0] = q[1] = 120;
      cg_qty(o, "inputQuantityList", ids, q, 2);
      ids[0] = c;
      q[0] = 230;
      cg_qty(o, "outputQuantityList", ids, q, 1);
      cg_loc(o, "bizLocation", "6901234", 2, 0);
      break;
    case CG_BLEND: {
      cg_lot(a, sizeof a, 3, f, 0);
      cg_lot(b, sizeof b, 3, f, 1);
      cg_lot(c, sizeof c, 3, f - 1, 1);
      int n = f > first ? 3 : 2;
      ids[0] = a, ids[1] = b, ids[2] = c;
      q[0] = 230, q[1] = 115, q[2] = 115;
      cg_head(o, "TransformationEvent", t0 + 40 * CG_HOUR_MS, CN);
      cg_put(o, ",\"bizStep\":\"creating_class_instance\",\"disposition\":\"active\"");
      cg_qty(o, "inputQuantityList", ids, q, n);
      cg_lot(a, sizeof a, 4, f, 0);
      ids[0] = a;
      q[0] = 450;
      cg_qty(o, "outputQuantityList", ids, q, 1);
      cg_loc(o, "bizLocation", "6901234", 2, 0);
      break;
    }
    case CG_PACK: {
      cg_lot(a, sizeof a, 4, f, 0);
      ids[0] = a;
      q[0] = 0.55;
      cg_head(o, "TransformationEvent", t0 + 48 * CG_HOUR_MS + i * 30000, CN);
      cg_put(o, ",\"bizStep\":\"commissioning\",\"disposition\":\"active\"");
      cg_qty(o, "inputQuantityList", ids, q, 1);
      cg_put(o, ",\"outputEPCList\":[");
      for (uint32_t s = 0; s < CG_PER_PACK; s++) {
        cg_serial(b, sizeof b, f, i * CG_PER_PACK + s);
        cg_put(o, "%s\"%s\"", s ? "," : "", b);
      }
      cg_put(o, "]");
      cg_loc(o, "bizLocation", "6901234", 3, 0);
      break;
    }
    case CG_CASE:
      cg_head(o, "AggregationEvent", t0 + 48 * CG_HOUR_MS + i * 20000 + 5000, CN);
      cg_case(a, sizeof a, f, i);
      cg_put(o, ",\"action\":\"ADD\",\"bizStep\":\"packing\",\"disposition\":\"in_progress\","
                "\"parentID\":\"%s\",\"childEPCs\":[", a);
      for (uint32_t s = 0; s < CG_PER_CASE; s++) {
        cg_serial(b, sizeof b, f, i * CG_PER_CASE + s);
        cg_put(o, "%s\"%s\"", s ? "," : "", b);
      }
      cg_put(o, "]");
      cg_loc(o, "readPoint", "6901234", 3, 1);
      break;
    case CG_PALLET: {
      uint32_t p = i / CG_LAYERS, layer = i % CG_LAYERS;
      cg_head(o, "AggregationEvent", t0 + 56 * CG_HOUR_MS + i * 60000, CN);
      cg_pallet(a, sizeof a, f, p);
      cg_put(o, ",\"action\":\"ADD\",\"bizStep\":\"packing\",\"disposition\":\"in_progress\","
                "\"parentID\":\"%s\",\"childEPCs\":[", a);
      for (uint32_t s = 0; s < CG_PER_LAYER; s++) {
        cg_case(b, sizeof b, f, (p * CG_LAYERS + layer) * CG_PER_LAYER + s);
        cg_put(o, "%s\"%s\"", s ? "," : "", b);
      }
      cg_put(o, "]");
      cg_loc(o, "readPoint", "6901234", 3, 2);
      break;
    }
    case CG_SHIP_PALLET:
      cg_head(o, "ObjectEvent", t0 + 60 * CG_HOUR_MS + i * 60000, CN);
      cg_pallet(a, sizeof a, f, i);
      cg_put(o, ",\"epcList\":[\"%s\"],\"action\":\"OBSERVE\",\"bizStep\":\"shipping\","
                "\"disposition\":\"in_transit\"", a);
      cg_loc(o, "readPoint", "6901234", 3, 3);
      break;
    case CG_CONTAINER:
      cg_head(o, "AggregationEvent", t0 + 64 * CG_HOUR_MS + i * 60000, CN);
      cg_container(a, sizeof a, f, i);
      cg_put(o, ",\"action\":\"ADD\",\"bizStep\":\"loading\",\"disposition\":\"in_progress\","
                "\"parentID\":\"%s\",\"childEPCs\":[", a);
      for (uint32_t s = 0; s < CG_PER_CONTAINER; s++) {
        cg_pallet(b, sizeof b, f, i * CG_PER_CONTAINER + s);
        cg_put(o, "%s\"%s\"", s ? "," : "", b);
      }
      cg_put(o, "]");
      cg_loc(o, "readPoint", "6901234", 4, 0);
      break;
    case CG_SHIP_CONTAINER:
      cg_head(o, "ObjectEvent", t0 + 66 * CG_HOUR_MS + i * 60000, CN);
      cg_container(a, sizeof a, f, i);
      cg_put(o, ",\"epcList\":[\"%s\"],\"action\":\"OBSERVE\",\"bizStep\":\"shipping\","
                "\"disposition\":\"in_transit\"", a);
      cg_loc(o, "readPoint", "6901234", 4, 1);
      break;
    case CG_RELABEL:
      cg_head(o, "TransformationEvent", t0 + 30 * CG_DAY_MS + i * 60000, EU);
      cg_pallet(a, sizeof a, f, i);
      cg_new_pallet(b, sizeof b, f, i);
      cg_put(o, ",\"bizStep\":\"repackaging\",\"disposition\":\"active\","
                "\"inputEPCList\":[\"%s\"],\"outputEPCList\":[\"%s\"]", a, b);
      cg_loc(o, "bizLocation", "4012345", 11, 0);
      break;
    case CG_RECV_PALLET:
      cg_head(o, "ObjectEvent", t0 + 30 * CG_DAY_MS + 2 * CG_HOUR_MS + i * 60000, EU);
      cg_new_pallet(a, sizeof a, f, i);
      cg_put(o, ",\"epcList\":[\"%s\"],\"action\":\"OBSERVE\",\"bizStep\":\"receiving\","
                "\"disposition\":\"in_progress\"", a);
      cg_loc(o, "readPoint", "4012345", 11, 1);
      cg_loc(o, "bizLocation", "4012345", 11, 0);
      break;
    case CG_RECV_CASE:
      cg_head(o, "ObjectEvent", t0 + 33 * CG_DAY_MS + i * 60000, EU);
      cg_case(a, sizeof a, f, i);
      cg_put(o, ",\"epcList\":[\"%s\"],\"action\":\"OBSERVE\",\"bizStep\":\"receiving\","
                "\"disposition\":\"sellable_accessible\"", a);
      cg_loc(o, "bizLocation", "4012345", 100 + (i * 7 + (unsigned)f) % 400, 0);
      break;
    case CG_SALE:
      cg_head(o, "ObjectEvent", t0 + 35 * CG_DAY_MS + (int64_t)i * 7 * 60000, EU);
      cg_serial(a, sizeof a, f, i);
      cg_put(o, ",\"epcList\":[\"%s\"],\"action\":\"OBSERVE\",\"bizStep\":\"retail_selling\","
                "\"disposition\":\"retail_sold\"", a);
      cg_loc(o, "bizLocation", "4012345", 100 + ((i / CG_PER_CASE) * 7 + (unsigned)f) % 400, 0);
      break;
    default:
      o->over = 1;
      return;
  }
  cg_put(o, "}");
}

/* An EPCISDocument of events [pos, pos+n) of the stream that starts at family
 * `first` (event pos is event pos % E of family first + pos / E). */
static inline void cg_document(cg_out *o, uint64_t first, uint64_t pos, uint32_t n) {
  char ts[40];
  uint64_t f0 = first + pos / CG_EVENTS_PER_FAMILY;
  cg_time(ts, sizeof ts, CG_T0_MS + (int64_t)(f0 % 20000) * 6 * CG_HOUR_MS, 0);
  cg_put(o,
         "{\"@context\":[\"https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld\"],"
         "\"type\":\"EPCISDocument\",\"schemaVersion\":\"2.0\",\"creationDate\":\"%s\","
         "\"epcisBody\":{\"eventList\":[",
         ts);
  for (uint32_t j = 0; j < n; j++) {
    uint64_t p = pos + j;
    if (j) cg_put(o, ",");
    cg_event(o, first + p / CG_EVENTS_PER_FAMILY, first, (uint32_t)(p % CG_EVENTS_PER_FAMILY));
  }
  cg_put(o, "]}}");
}

#endif
