/* Trace events on the ledger: GS1 EPCIS 2.0 events captured by
 * `epcis.capture` transactions, their indexes, queries, and the lineage
 * graph walks behind backward/forward trace and recall (SPEC I1-I3, I5, D1-D3,
 * M2, Annex A; docs/trace.md).
 *
 * Apply (ledger_events.c) validates each captured document with the EPCIS
 * validator, computes every event's CBV 2.0 hash id, fills a missing
 * eventID with it, refuses an event already on the chain (the whole
 * transaction is recorded invalid: duplicate_event), and indexes each event
 * by time, bizStep, disposition, locations and every identifier it names,
 * with the role it names it in. The lineage graph needs no table of its
 * own: a TransformationEvent links its inputs to its outputs, an
 * Aggregation or Association event links children to their parent, and
 * re-labelling (SPEC I5) is a TransformationEvent from the old identifier to
 * the new. Walks use the (epc, role) and (event, role) indexes, so a walk
 * costs in proportion to what it finds.
 *
 * All functions are thread-safe readers (pooled read-only connections). */
#ifndef SY_LEDGER_EVENTS_H
#define SY_LEDGER_EVENTS_H

#include <stddef.h>
#include <stdint.h>

#include "ledger/ledger.h"

/* Roles an identifier plays in an event (stored; never renumber). */
#define SY_EPC_ROLES(X)                                                 \
  X(OBJECT, 1, "epc")             /* epcList */                         \
  X(PARENT, 2, "parent")          /* parentID */                        \
  X(CHILD, 3, "child")            /* childEPCs */                       \
  X(INPUT, 4, "input")            /* inputEPCList */                    \
  X(OUTPUT, 5, "output")          /* outputEPCList */                   \
  X(QUANTITY, 6, "quantity")      /* quantityList[].epcClass */         \
  X(CHILD_QTY, 7, "child_quantity")                                     \
  X(INPUT_QTY, 8, "input_quantity")                                     \
  X(OUTPUT_QTY, 9, "output_quantity")

enum {
#define SY_EPC_ROLE_ENUM(name, code, text) SY_EPC_##name = (code),
  SY_EPC_ROLES(SY_EPC_ROLE_ENUM)
#undef SY_EPC_ROLE_ENUM
};
const char *sy_epc_role_name(int role);

/* One stored event (query results own their strings). */
typedef struct sy_event {
  uint64_t seq;            /* chain order of the event (unique) */
  char *event_id;          /* eventID as captured, or the hash id it was given */
  char *hash_id;           /* CBV 2.0 event hash id, "ni:///sha-256;...?ver=CBV2.0" */
  char *type;              /* "ObjectEvent", ... */
  int64_t event_time_ms;   /* eventTime in ms since the epoch, UTC */
  uint64_t record_time_ms; /* block time of the block that holds it */
  uint64_t height;         /* block height */
  uint8_t tx_id[SY_HASH_LEN];
  uint32_t tx_index;       /* the transaction's index in its block */
  uint32_t event_index;    /* the event's index in its document */
  char *biz_step;          /* canonical CBV web URI or the user URI; may be NULL */
  char *disposition;
  char *action;
  char *read_point;
  char *biz_location;
  char *org;               /* signer's organisation (SPEC D2 responsible party) */
  uint8_t signer[SY_KEYID_LEN];
  char *json;              /* the event as captured, with eventID filled in */
} sy_event;

void sy_event_free(sy_event *e);

/* ---- queries (EPCIS 2.0 query parameters, REST binding GET /events) ------- */
typedef struct sy_event_query {
  const char *event_types;   /* pipe-separated: "ObjectEvent|AggregationEvent"; NULL = any */
  int64_t ge_event_time_ms, lt_event_time_ms; /* INT64_MIN / INT64_MAX = open */
  int64_t ge_record_time_ms, lt_record_time_ms;
  const char *eq_action;     /* pipe-separated lists, NULL = any */
  const char *eq_biz_step;   /* bare CBV words, URNs and web URIs all match */
  const char *eq_disposition;
  const char *eq_read_point;
  const char *eq_biz_location;
  const char *match_epc;        /* epcList, childEPCs */
  const char *match_parent_id;
  const char *match_input_epc;
  const char *match_output_epc;
  const char *match_any_epc;    /* any role */
  const char *match_epc_class;  /* quantity lists */
  const char *eq_event_id;
  int order_by_record_time;  /* 0 = eventTime (default), 1 = recordTime */
  int descending;
  int has_cursor;            /* paging: continue after (cursor_key, cursor_seq) */
  int64_t cursor_key;        /* the sort key (eventTime or recordTime) */
  uint64_t cursor_seq;
  size_t limit;              /* page size (1..1000) */
} sy_event_query;

/* Initialises q to "everything, oldest first, 100 per page". */
void sy_event_query_init(sy_event_query *q);

typedef struct sy_event_page {
  sy_event *events;   /* owned, n entries */
  size_t n;
  int more;           /* 1 when another page exists */
  char next_token[64];/* opaque cursor for the next page when more */
} sy_event_page;

/* Runs q. SY_EINVAL for a bad parameter (with detail in err), SY_OK otherwise.
 * Page tokens are opaque strings made by this function; pass them back
 * with sy_event_query_set_token. */
int sy_ledger_query_events(sy_ledger *l, const sy_event_query *q, sy_event_page *out, char *err,
                           size_t errlen);
int sy_event_query_set_token(sy_event_query *q, const char *token);
void sy_event_page_free(sy_event_page *p);

/* Event by eventID or hash id; SY_ENOTFOUND. */
int sy_ledger_get_event(sy_ledger *l, const char *event_id, sy_event *out);

/* Events recorded by one transaction, in document order (capture jobs). An
 * empty page when the transaction recorded none (invalid or not EPCIS). */
int sy_ledger_tx_events(sy_ledger *l, const uint8_t tx_id[SY_HASH_LEN], sy_event_page *out);

/* ---- lineage (SPEC I2) ------------------------------------------------------ */
typedef struct sy_trace_edge {
  uint32_t from, to;        /* node indexes */
  uint64_t event_seq;       /* the event behind the edge */
  char *event_id;
  char *kind;               /* "transformation", "aggregation", "association" */
} sy_trace_edge;

typedef struct sy_trace_node {
  char *id;                 /* EPC / class / Digital Link as recorded */
  uint32_t depth;           /* hops from the start */
  /* last known state (for recall): from the latest event naming the node */
  char *last_biz_location, *last_disposition, *last_biz_step, *last_org, *last_event_id;
  int64_t last_event_time_ms;
  double quantity;          /* summed quantities where the node is a class; 0 if none */
  char *uom;
} sy_trace_node;

typedef struct sy_trace {
  sy_trace_node *nodes;     /* nodes[0] is the start */
  size_t n_nodes;
  sy_trace_edge *edges;
  size_t n_edges;
  int truncated;            /* 1 when max_nodes or max_depth stopped the walk */
  int cycles;               /* 1 when an edge led back to a visited node */
} sy_trace;

enum { SY_TRACE_BACKWARD = 0, SY_TRACE_FORWARD = 1 };

/* Walks the lineage graph from id (breadth first; each node once, so cycles
 * end the walk; at most max_depth hops and max_nodes nodes, 0 = defaults
 * 64 and 10000). SY_ENOTFOUND when no event names id. */
int sy_ledger_trace(sy_ledger *l, const char *id, int direction, unsigned max_depth,
                    size_t max_nodes, sy_trace *out);
void sy_trace_free(sy_trace *t);

/* The product's whole life: every event naming id in any role, in eventTime
 * order (then chain order), paged like sy_ledger_query_events. */
int sy_ledger_history(sy_ledger *l, const char *id, const char *page_token, size_t limit,
                      sy_event_page *out);

#endif
