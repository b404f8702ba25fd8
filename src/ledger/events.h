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
 * the new. Walks read the (epc, role, seq) and (seq, role) indexes, a
 * batch of queued nodes per query, so a walk costs in proportion to what it
 * finds; its recall state, in proportion to the events naming those nodes.
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
  const char *match_epc_class;  /* quantityList, childQuantityList (EPCIS 8.2.7.1) */
  const char *match_input_epc_class;  /* inputQuantityList */
  const char *match_output_epc_class; /* outputQuantityList */
  const char *match_any_epc_class;    /* any quantity list */
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
  uint32_t from, to;        /* node indexes, in lineage direction whatever the walk's:
                               input -> output, child -> parent */
  uint64_t event_seq;       /* the event behind the edge */
  char *event_id;           /* owned by the trace */
  const char *kind;         /* "transformation", "aggregation", "association": static
                               storage, valid for the life of the program */
} sy_trace_edge;

typedef struct sy_trace_node {
  char *id;                 /* EPC / class / Digital Link as recorded */
  uint32_t depth;           /* hops from the start: the shortest path (breadth first) */
  /* Recall state (SPEC I2a). last_*: from the latest event naming the node in
   * any role, by eventTime then chain order; last_biz_location from the
   * latest such event that has a bizLocation. NULL (time 0) when unknown or
   * when the walk was asked for SY_TRACE_NO_STATE. */
  char *last_biz_location, *last_disposition, *last_biz_step, *last_org, *last_event_id;
  int64_t last_event_time_ms;
  /* The quantity the node was produced or commissioned with, which is what
   * a recall of a lot is about: from the earliest event (eventTime, then
   * chain order) that creates it with a quantity, i.e. names it with one in
   * an outputQuantityList, or in the quantityList of an ObjectEvent with
   * action ADD. A lot that later events output again keeps that first quantity
   * (for continuous production, sum the outputs from its history). Without
   * such an event: the latest quantity any event gives it (an
   * inputQuantityList, an observation, ...). uom comes from the same entry.
   * 0 and NULL when no event gives a quantity (instance identifiers). */
  double quantity;
  char *uom;
} sy_trace_node;

typedef struct sy_trace {
  sy_trace_node *nodes;     /* nodes[0] is the start, the rest in breadth-first order */
  size_t n_nodes;
  sy_trace_edge *edges;     /* every lineage edge between two of the nodes, once per
                               event that makes it */
  size_t n_edges;
  int truncated;            /* 1 when max_depth or max_nodes left out a node that an
                               edge from a listed node leads to (not merely reached the
                               bound) */
  int cycles;               /* 1 when the listed nodes and edges contain a cycle (an
                               identifier whose lineage leads back to itself, e.g.
                               re-labelled A -> B -> A); the walk still ends, each node
                               is visited once */
} sy_trace;

enum { SY_TRACE_BACKWARD = 0, SY_TRACE_FORWARD = 1 };

/* sy_trace_opts.flags */
#define SY_TRACE_NO_STATE 0x1u /* skip the recall state (last_*, quantity, uom) */

typedef struct sy_trace_opts {
  int direction;            /* SY_TRACE_BACKWARD or SY_TRACE_FORWARD */
  unsigned max_depth;       /* hops; 0 = 64 */
  size_t max_nodes;         /* 0 = 10000 */
  unsigned flags;           /* SY_TRACE_* */
} sy_trace_opts;

/* Walks the lineage graph from id, breadth first: forward = inputs ->
 * outputs of TransformationEvents and children -> parent of Aggregation and
 * Association events; backward the reverse. Each node is visited once (so
 * cycles end the walk), at most max_depth hops and max_nodes nodes. One
 * read snapshot for the whole walk. id and opts are borrowed for the call;
 * *out receives owned arrays, released with sy_trace_free; on an error it
 * is left empty. SY_ENOTFOUND when no event names id, SY_EINVAL for an
 * empty or over-long id or a bad option, SY_EUNSUPPORTED without read
 * connections, SY_ESTORAGE, SY_ENOMEM. */
int sy_ledger_trace_opts(sy_ledger *l, const char *id, const sy_trace_opts *opts, sy_trace *out);
/* The same with the recall state (flags 0); direction: SY_TRACE_FORWARD, or
 * anything else for backward. */
int sy_ledger_trace(sy_ledger *l, const char *id, int direction, unsigned max_depth,
                    size_t max_nodes, sy_trace *out);
void sy_trace_free(sy_trace *t);

/* The product's whole life: every event naming id in any role, in eventTime
 * order (then chain order), paged like sy_ledger_query_events. */
int sy_ledger_history(sy_ledger *l, const char *id, const char *page_token, size_t limit,
                      sy_event_page *out);

#endif
