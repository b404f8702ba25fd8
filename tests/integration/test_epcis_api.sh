#!/usr/bin/env bash
# Integration test: the GS1 EPCIS 2.0 REST binding and the trace/recall API
# of suyuand (docs/http-api.md "EPCIS 2.0", docs/trace.md), against a real
# node on 127.0.0.1 with an ephemeral port:
#   - bearer tokens (tokens.json + custody keys written here, as the CLI's
#     `suyuan token create` would) and their refusals (401);
#   - capture of an Annex A chain (commissioning with quantities,
#     transformation into a product lot and serials, packing into an SSCC,
#     inspection by an inspector, shipping and receiving), capture jobs;
#   - GET /events filters and paging by Link headers, GET /events/{id};
#   - trace forward/backward, history, recall;
#   - every openEPCIS invalid capture document refused with the event index
#     and field; GS1 examples captured once, 409 the second time; 413 past
#     the limits; OPTIONS /capture; proceed mode; --auth-reads.
# Env (set by CTest): SY_BIN, SY_SRC, SY_TEST_TMP, SUYUAN_KDF=fast.
# Kills only the processes it started (lib.bash).
. "$(dirname "$0")/lib.bash"

SY_SRC=${SY_SRC:-$(cd "$(dirname "$0")/../.." && pwd)}
ANCH=$SY_SRC/../shared/anchors/epcis
INVALID=$ANCH/openepcis-test-resources/2.0/EPCIS/JSON/Capture/Invalid
GS1=$ANCH/gs1-EPCIS/JSON
SUYUAN=$SY_BIN/suyuan

for tool in curl jq sha256sum od; do
  command -v "$tool" >/dev/null || { no "$tool is installed"; finish; }
done
if [ ! -d "$INVALID" ] || [ ! -d "$GS1" ]; then
  no "the EPCIS anchor data is at $ANCH (openepcis-test-resources, gs1-EPCIS)"
  finish
fi

# ---- helpers -----------------------------------------------------------------------------
BODY=$T/body
HDRS=$T/hdrs
CODE=

# req METHOD PATH [curl args...]: sets CODE; body in $BODY, headers in $HDRS.
req() {
  local method=$1 path=$2
  shift 2
  local m=(-X "$method")
  [ "$method" = HEAD ] && m=(-I)
  CODE=$(curl -s -g --max-time 40 "${m[@]}" -o "$BODY" -D "$HDRS" -w '%{http_code}' "$@" \
    "$NODE$path" 2>/dev/null)
}
hdr() { tr -d '\r' <"$HDRS" | grep -i "^$1:" | head -n1 | cut -d' ' -f2-; }
js() { jq -r "$1" "$BODY" 2>/dev/null; }
show() { echo "     status $CODE: $(head -c 400 "$BODY")"; }
# want LABEL STATUS [TOKEN]: the last answer's status (and problem type).
want() {
  local label=$1 st=$2 tok=${3:-}
  if [ "$CODE" != "$st" ]; then
    no "$label (status $CODE, want $st)"
    show
    return 1
  fi
  if [ -n "$tok" ] && [ "$(js .type)" != "urn:suyuan:problem:$tok" ]; then
    no "$label (type $(js .type), want $tok)"
    show
    return 1
  fi
  ok "$label"
}
# is LABEL GOT WANT
is() { if [ "$2" = "$3" ]; then ok "$1"; else no "$1: got '$2', want '$3'"; fi; }
enc() { jq -rn --arg v "$1" '$v|@uri'; }
hex() { head -c "$1" /dev/urandom | od -An -tx1 | tr -d ' \n'; }

JSONH=(-H 'Content-Type: application/json')
auth() { printf 'Authorization: Bearer %s' "$1"; }

# capture FILE TOKEN [extra curl args]: POST /capture (Content-Type $CT).
CT=application/json
capture() {
  local file=$1 tok=$2
  shift 2
  req POST /capture -H "Content-Type: $CT" -H "$(auth "$tok")" "$@" --data-binary "@$file"
}

# A token the way `suyuan token create` makes one (docs/trace.md): the node
# keeps only the SHA-256 of the token string, and the member's keystore in
# DATA/custody/<key id>.key under the node's passphrase (the test uses one
# SUYUAN_PASSPHRASE for all keys, so a member keystore is such a file).
# mk_token KEYFILE [expires_ms] [revoked]: sets TOKEN and TOKEN_ID.
ENTRIES=()
write_tokens() {
  local IFS=,
  printf '{"tokens": [%s]}\n' "${ENTRIES[*]:-}" >"$D/tokens.json.tmp"
  chmod 600 "$D/tokens.json.tmp"
  mv "$D/tokens.json.tmp" "$D/tokens.json"
}
mk_token() {
  local key=$1 exp=${2:-0} rev=${3:-false} kid
  kid=$(jq -r .key_id "$key")
  mkdir -p "$D/custody"
  chmod 700 "$D/custody"
  if [ ! -f "$D/custody/$kid.key" ]; then
    cp "$key" "$D/custody/$kid.key"
    chmod 600 "$D/custody/$kid.key"
  fi
  TOKEN_ID=$(hex 8)
  TOKEN="syt_${TOKEN_ID}_$(hex 32)"
  local h
  h=$(printf '%s' "$TOKEN" | sha256sum | cut -d' ' -f1)
  ENTRIES+=("{\"id\": \"$TOKEN_ID\", \"hash\": \"$h\", \"key_id\": \"$kid\", \"name\": \"test\", \"created_ms\": 1764000000000, \"expires_ms\": $exp, \"revoked\": $rev}")
  write_tokens
}

# ---- a chain, members, tokens ----------------------------------------------------------------
D=$T/node
if ! "$SUYUAN" init --chain tea --org coop --dir "$D" >"$T/init.out" 2>&1; then
  no "suyuan init"
  cat "$T/init.out"
  finish
fi
start_node "$D" || { no "suyuand starts"; finish; }
ok "suyuand is up at $NODE"
for who in rec insp gone; do
  "$SUYUAN" keygen --out "$T/$who.key" >/dev/null 2>&1 || no "keygen $who"
done
"$SUYUAN" member add --key "$D/keys/admin.key" --org coop --member-key "$T/rec.key" \
  --roles recorder --name "Li Wei" >/dev/null 2>&1 && ok "member add recorder" || no "member add recorder"
"$SUYUAN" member add --key "$D/keys/admin.key" --org coop --member-key "$T/insp.key" \
  --roles inspector --name "Zhang Min" >/dev/null 2>&1 && ok "member add inspector" || no "member add inspector"
"$SUYUAN" member add --key "$D/keys/admin.key" --org coop --member-key "$T/gone.key" \
  --roles recorder --name "Former" >/dev/null 2>&1 || no "member add gone"
GONE_ID=$(jq -r .key_id "$T/gone.key")
"$SUYUAN" member revoke --key "$D/keys/admin.key" "$GONE_ID" >/dev/null 2>&1 &&
  ok "member revoke" || no "member revoke"

mk_token "$T/rec.key"
REC=$TOKEN
mk_token "$T/insp.key"
INSP=$TOKEN
mk_token "$T/gone.key"
GONE=$TOKEN
mk_token "$T/rec.key" 1000 # expired in 1970
EXPIRED=$TOKEN
mk_token "$T/rec.key"
LATER_REVOKED=$TOKEN
LATER_REVOKED_ID=$TOKEN_ID

# ---- the Annex A chain as EPCIS 2.0 documents ---------------------------------------------------
MATERIAL=urn:epc:class:lgtin:6901234.000001.LEAF-L1
PRODUCT=urn:epc:class:lgtin:6901234.000002.TEA-B7
S1=urn:epc:id:sgtin:6901234.000002.1001
S2=urn:epc:id:sgtin:6901234.000002.1002
S3=urn:epc:id:sgtin:6901234.000002.1003
PALLET=urn:epc:id:sscc:6901234.0000000001
FARM=urn:epc:id:sgln:6901234.00001.0
FACTORY=urn:epc:id:sgln:6901234.00002.0
RETAILER=urn:epc:id:sgln:4012345.00011.0
CTX='"@context": ["https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld"]'
doc() { # FILE EVENTS...
  local f=$1
  shift
  local IFS=,
  printf '{%s, "type": "EPCISDocument", "schemaVersion": "2.0", "creationDate": "2026-11-20T08:00:00Z", "epcisBody": {"eventList": [%s]}}\n' "$CTX" "$*" >"$f"
}
ev() { # TYPE TIME OFFSET BODY
  printf '{"type": "%s", "eventTime": "%s", "eventTimeZoneOffset": "%s", %s}' "$1" "$2" "$3" "$4"
}
J=$T/docs
mkdir -p "$J"
doc "$J/1.json" "$(ev ObjectEvent 2026-11-20T08:00:00+08:00 +08:00 "\"action\": \"ADD\", \"bizStep\": \"commissioning\", \"disposition\": \"active\", \"epcList\": [], \"quantityList\": [{\"epcClass\": \"$MATERIAL\", \"quantity\": 500, \"uom\": \"KGM\"}], \"bizLocation\": {\"id\": \"$FARM\"}")"
doc "$J/2.json" "$(ev TransformationEvent 2026-11-21T09:00:00+08:00 +08:00 "\"bizStep\": \"commissioning\", \"inputQuantityList\": [{\"epcClass\": \"$MATERIAL\", \"quantity\": 120, \"uom\": \"KGM\"}], \"outputQuantityList\": [{\"epcClass\": \"$PRODUCT\", \"quantity\": 100, \"uom\": \"KGM\"}], \"outputEPCList\": [\"$S1\", \"$S2\", \"$S3\"], \"bizLocation\": {\"id\": \"$FACTORY\"}")"
doc "$J/3.json" "$(ev AggregationEvent 2026-11-21T10:00:00+08:00 +08:00 "\"action\": \"ADD\", \"bizStep\": \"packing\", \"parentID\": \"$PALLET\", \"childEPCs\": [\"$S1\", \"$S2\", \"$S3\"], \"bizLocation\": {\"id\": \"$FACTORY\"}")"
INSPECT=$(ev ObjectEvent 2026-11-21T11:00:00+08:00 +08:00 "\"action\": \"OBSERVE\", \"bizStep\": \"inspecting\", \"disposition\": \"conformant\", \"epcList\": [\"$S1\"], \"readPoint\": {\"id\": \"$FACTORY\"}")
doc "$J/4.json" "$INSPECT"
printf '{%s, %s\n' "$CTX" "${INSPECT#\{}" >"$J/4-bare.json"
doc "$J/5.json" \
  "$(ev ObjectEvent 2026-11-22T07:30:00Z +00:00 "\"action\": \"OBSERVE\", \"bizStep\": \"shipping\", \"disposition\": \"in_transit\", \"epcList\": [\"$PALLET\"], \"eventID\": \"urn:uuid:6a3f3c9e-5d21-4a52-9f7e-0d1c6b9a1f00\", \"readPoint\": {\"id\": \"$FACTORY\"}")" \
  "$(ev ObjectEvent 2026-11-23T15:00:00+01:00 +01:00 "\"action\": \"OBSERVE\", \"bizStep\": \"receiving\", \"disposition\": \"in_progress\", \"epcList\": [\"$PALLET\"], \"bizLocation\": {\"id\": \"$RETAILER\"}")"

# ---- discovery and refusals before any capture --------------------------------------------------
req OPTIONS /capture
if want "OPTIONS /capture is 204" 204; then
  is "it advertises GS1-EPCIS-Capture-Limit" "$(hdr GS1-EPCIS-Capture-Limit)" 1000
  is "it advertises GS1-EPCIS-Capture-File-Size-Limit" "$(hdr GS1-EPCIS-Capture-File-Size-Limit)" 1048576
  is "it advertises both error behaviours" "$(hdr GS1-Capture-Error-Behaviour)" all
  is "GS1-EPCIS-Version" "$(hdr GS1-EPCIS-Version)" 2.0.0
  is "GS1-CBV-Version" "$(hdr GS1-CBV-Version)" 2.0.0
  case "$(hdr Allow)" in *POST*) ok "Allow names POST" ;; *) no "Allow names POST: $(hdr Allow)" ;; esac
fi
req OPTIONS /epcis/events
want "OPTIONS /epcis/events is 204" 204

req POST /capture "${JSONH[@]}" --data-binary "@$J/1.json"
if want "capture without a token is 401" 401 unauthorized; then
  case "$(hdr WWW-Authenticate)" in Bearer*) ok "401 carries WWW-Authenticate: Bearer" ;;
    *) no "401 carries WWW-Authenticate: Bearer ($(hdr WWW-Authenticate))" ;; esac
fi
capture "$J/1.json" "syt_${TOKEN_ID}_$(hex 32)"
want "capture with a wrong token is 401" 401 unauthorized
capture "$J/1.json" "not-a-token"
want "capture with a malformed token is 401" 401 unauthorized
capture "$J/1.json" "$EXPIRED"
want "capture with an expired token is 401" 401 unauthorized
req POST /capture -H 'Content-Type: text/plain' -H "$(auth "$REC")" --data-binary "@$J/1.json"
want "capture as text/plain is 415" 415 unsupported-media-type
req POST /capture "${JSONH[@]}" -H "$(auth "$REC")" --data-binary '{"type": "EPCISDocument", '
want "capture of broken JSON is 400" 400 malformed-json
req POST /capture "${JSONH[@]}" -H "$(auth "$REC")" -H 'GS1-Capture-Error-Behaviour: sometimes' \
  --data-binary "@$J/1.json"
want "a bad GS1-Capture-Error-Behaviour is 400" 400 invalid-header
req GET /v1/events
want "/v1/events does not exist" 404 not-found

# ---- capture the chain ---------------------------------------------------------------------------
CT=application/ld+json capture "$J/1.json" "$REC"
if want "capture commissioning (ld+json) is 202" 202; then
  LOC=$(hdr Location)
  case "$LOC" in /capture/[0-9a-f]*) ok "Location is /capture/{id}" ;; *) no "Location: '$LOC'" ;; esac
  is "the job is already a success" "$(js .success)/$(js .running)" true/false
  CAP1=$LOC
fi
req GET "${CAP1:-/capture/x}"
if want "GET the capture job" 200; then
  is "job: captureErrorBehaviour rollback" "$(js .captureErrorBehaviour)" rollback
  is "job: success, not running" "$(js .success)/$(js .running)" true/false
  is "job: one event id" "$(js '.eventIDs | length')" 1
  case "$(js '.eventIDs[0]')" in "ni:///sha-256;"*) ok "job: the event got its hash id" ;;
    *) no "job: event id $(js '.eventIDs[0]')" ;; esac
  case "$(js .blockHeight)" in [0-9]*) ok "job: block height" ;; *) no "job: blockHeight $(js .blockHeight)" ;; esac
fi
capture "$J/2.json" "$REC"
want "capture transformation is 202" 202
capture "$J/3.json" "$REC"
want "capture packing is 202" 202
# SPEC I6: the recorder may not record an inspection; the chain says so.
capture "$J/4.json" "$REC"
if want "an inspection by the recorder is taken (202)" 202; then
  is "but its job failed" "$(js .success)/$(js .running)" false/false
  is "with reason role_denied" "$(js '.errors[0].reason')" role_denied
fi
req POST /events "${JSONH[@]}" -H "$(auth "$INSP")" --data-binary "@$J/4-bare.json"
if want "POST /events: the inspection by the inspector is 201" 201; then
  EVLOC=$(hdr Location)
  case "$EVLOC" in /events/ni%3A*) ok "Location is /events/{eventID}, encoded" ;; *) no "Location '$EVLOC'" ;; esac
  is "the answer is the event with its recordTime" "$(js .bizStep)/$(js '.recordTime|test("Z$")')" inspecting/true
fi
req GET "${EVLOC:-/events/x}"
if want "GET /events/{eventID}" 200; then
  is "it is an EPCISQueryDocument with the event" \
    "$(js .type)/$(js '.epcisBody.queryResults.resultsBody.eventList[0].bizStep')" \
    EPCISQueryDocument/inspecting
fi
req POST /events "${JSONH[@]}" -H "$(auth "$INSP")" --data-binary "@$J/4-bare.json"
want "the same event again: 409" 409 duplicate-event
capture "$J/5.json" "$REC"
want "capture shipping and receiving is 202" 202
req GET "/events/$(enc urn:uuid:6a3f3c9e-5d21-4a52-9f7e-0d1c6b9a1f00)"
want "GET /events/{eventID} by a given urn:uuid" 200
req GET "/events/$(enc urn:uuid:00000000-0000-0000-0000-000000000000)"
want "GET /events/{unknown} is 404" 404 not-found

# a member revoked on the chain: its transaction is recorded invalid
doc "$J/gone.json" "$(ev ObjectEvent 2026-11-24T08:00:00Z +00:00 "\"action\": \"OBSERVE\", \"bizStep\": \"storing\", \"epcList\": [\"$S3\"]")"
capture "$J/gone.json" "$GONE"
if want "capture by a revoked member is taken (202)" 202; then
  is "its job failed: revoked_signer" "$(js .success)/$(js '.errors[0].reason')" false/revoked_signer
fi

# ---- GET /events -----------------------------------------------------------------------------------
req GET "/events?EQ_bizStep=shipping"
if want "EQ_bizStep=shipping (bare word)" 200; then
  is "one shipping event of the pallet" \
    "$(js '.epcisBody.queryResults.resultsBody.eventList | length')/$(js '.epcisBody.queryResults.resultsBody.eventList[0].epcList[0]')" \
    "1/$PALLET"
fi
req GET "/events?EQ_bizStep=$(enc https://ref.gs1.org/cbv/BizStep-shipping)"
is "EQ_bizStep as a CBV web URI matches the same" "$(js '.epcisBody.queryResults.resultsBody.eventList | length')" 1
req GET "/events?MATCH_anyEPC=$(enc "$S1")"
want "MATCH_anyEPC" 200 && is "S1 is named by transform, pack, inspection" \
  "$(js '[.epcisBody.queryResults.resultsBody.eventList[].type] | join(",")')" \
  TransformationEvent,AggregationEvent,ObjectEvent
req GET "/events?eventType=AggregationEvent|TransformationEvent"
is "eventType with two types" "$(js '.epcisBody.queryResults.resultsBody.eventList | length')" 2
req GET "/events?MATCH_epcClass=$(enc "$MATERIAL")"
is "MATCH_epcClass finds the commissioning (quantityList)" "$(js '.epcisBody.queryResults.resultsBody.eventList | length')" 1
req GET "/events?MATCH_anyEPCClass=$(enc "$MATERIAL")"
is "MATCH_anyEPCClass finds commissioning and transformation" "$(js '.epcisBody.queryResults.resultsBody.eventList | length')" 2
req GET "/events?MATCH_inputEPCClass=$(enc "$MATERIAL")"
is "MATCH_inputEPCClass finds the transformation" "$(js '.epcisBody.queryResults.resultsBody.eventList | length')" 1
req GET "/events?GE_eventTime=2026-11-21T00:00:00Z&LT_eventTime=2026-11-22T00:00:00Z"
is "a time range: transform, pack, inspection" "$(js '.epcisBody.queryResults.resultsBody.eventList | length')" 3
req GET "/events?GE_eventTime=2026-11-21T08:00:00+08:00&LT_eventTime=2026-11-22T00:00:00Z"
is "an unencoded '+' offset is read as '+'" "$(js '.epcisBody.queryResults.resultsBody.eventList | length')" 3
req GET "/events?orderBy=eventTime"
is "orderBy=eventTime defaults to DESC: receiving first" \
  "$(js '.epcisBody.queryResults.resultsBody.eventList[0].bizStep')" receiving
req GET "/events?EQ_action=ADD&MATCH_parentID=$(enc "$PALLET")"
is "EQ_action and MATCH_parentID" "$(js '.epcisBody.queryResults.resultsBody.eventList[0].type')" AggregationEvent
req GET "/events?GE_recordTime=2000-01-01T00:00:00Z&EQ_disposition=in_transit"
is "GE_recordTime and EQ_disposition" "$(js '.epcisBody.queryResults.resultsBody.eventList | length')" 1
req GET "/events?perPage=1000"
TOTAL=$(js '.epcisBody.queryResults.resultsBody.eventList | length')
is "all events of the chain on one page" "$TOTAL" 6
# paging: follow Link rel="next" with perPage=2 to the end
path="/events?perPage=2"
seen=0
pages=0
while [ -n "$path" ] && [ $pages -lt 20 ]; do
  req GET "$path"
  [ "$CODE" = 200 ] || break
  seen=$((seen + $(js '.epcisBody.queryResults.resultsBody.eventList | length')))
  pages=$((pages + 1))
  path=$(hdr Link | sed -n 's/^<\([^>]*\)>; rel="next"$/\1/p')
done
is "paging by perPage=2 through Link headers sees every event" "$seen/$pages" "$TOTAL/$(((TOTAL + 1) / 2))"
req GET "/events?EQ_bizStep=packing&nextPageToken=1.2&perPage=2"
want "a page token with other filters" 200
for bad in "foo=1" "GE_eventTime=yesterday" "EQ_action=CREATE" "perPage=0" "perPage=x" \
  "orderBy=bizStep" "orderDirection=UP" "nextPageToken=abc" "EQ_bizStep=" "WD_bizLocation=x" \
  "EQ_bizStep=a&EQ_bizStep=b"; do
  req GET "/events?$bad"
  want "GET /events?$bad is 400" 400 invalid-parameter
done
req GET "/events?GE_eventTime=2026-13-01T00:00:00Z"
case "$(js .detail)" in *GE_eventTime*) ok "a bad time names its parameter" ;; *) no "detail: $(js .detail)" ;; esac

# ---- trace, history, recall --------------------------------------------------------------------------
req GET "/v1/trace/forward?epc=$(enc "$MATERIAL")"
if want "trace forward from the material lot" 200; then
  ids=$(js '[.nodes[].id] | join(" ")')
  miss=
  for x in "$PRODUCT" "$S1" "$S2" "$S3" "$PALLET"; do
    case " $ids " in *" $x "*) ;; *) miss="$miss $x" ;; esac
  done
  [ -z "$miss" ] && ok "it reaches the product lot, every serial and the pallet" || no "forward misses:$miss"
  is "direction and start" "$(js .direction)/$(js .start)" "forward/$MATERIAL"
  is "the start has the quantity it was commissioned with" "$(js '.nodes[0].quantity')/$(js '.nodes[0].uom')" 500/KGM
  is "edges name their kind" "$(js '[.edges[].kind] | unique | join(",")')" aggregation,transformation
  is "the pallet's last place is the retailer" \
    "$(jq -r --arg p "$PALLET" '.nodes[] | select(.id == $p) | .last.bizLocation' "$BODY")" "$RETAILER"
fi
req GET "/v1/trace/backward?epc=$(enc "$S2")"
if want "trace backward from a serial" 200; then
  is "it reaches the material lot" "$(jq -r --arg m "$MATERIAL" '[.nodes[].id] | index($m) != null' "$BODY")" true
fi
req GET "/v1/trace/backward?epc=$(enc "$PALLET")&max_depth=1"
is "max_depth=1 stops at the serials" "$(js '[.nodes[].depth] | max')/$(js .truncated)" 1/true
req GET "/v1/trace/forward?epc=$(enc urn:epc:id:sgtin:6901234.000002.9999)"
want "trace of an identifier nobody named is 404" 404 not-found
req GET "/v1/trace/forward"
want "trace without epc is 400" 400 invalid-parameter
req GET "/v1/trace/forward?epc=x&max_depth=0"
want "max_depth=0 is 400" 400 invalid-parameter
req GET "/v1/trace/history?epc=$(enc "$PALLET")"
if want "history of the pallet" 200; then
  is "in time order" "$(js '[.events[].bizStep] | join(",")')" packing,shipping,receiving
  is "each event has its recordTime" "$(js '[.events[] | has("recordTime")] | all')" true
  is "and who recorded it (SPEC D2)" "$(js '.events[0]["suyuan:org"]')/$(js '.events[0]["suyuan:txId"] | length')" coop/64
fi
req GET "/v1/trace/history?epc=$(enc "$PALLET")&perPage=2"
if want "history, first page of 2" 200; then
  TOK=$(js .nextPageToken)
  case "$(hdr Link)" in *nextPageToken=*'rel="next"') ok "history has a Link to the next page" ;; *) no "Link: $(hdr Link)" ;; esac
  req GET "/v1/trace/history?epc=$(enc "$PALLET")&perPage=2&nextPageToken=$TOK"
  is "history, second page" "$(js '.events | length')/$(js '.events[0].bizStep')/$(js 'has("nextPageToken")')" 1/receiving/false
fi
req GET "/v1/trace/history?epc=nobody"
want "history of an unknown id is 404" 404 not-found
req GET "/v1/recall?epc=$(enc "$MATERIAL")"
if want "recall of the material lot" 200; then
  is "the lot" "$(js .lot)" "$MATERIAL"
  is "the pallet: a container, last at the retailer" \
    "$(jq -r --arg p "$PALLET" '.affected[] | select(.id == $p) | "\(.kind) \(.bizLocation)"' "$BODY")" \
    "container $RETAILER"
  is "a serial is a serial, the product a lot" \
    "$(jq -r --arg s "$S1" --arg p "$PRODUCT" '[.affected[] | select(.id == $s or .id == $p) | .kind] | sort | join(",")' "$BODY")" \
    lot,serial
  is "count = affected, the lot left out" "$(js '.affected | length')/$(js .count)/$(js "[.affected[].id] | index(\"$MATERIAL\")")" 5/5/null
  is "organisations" "$(js '.organisations[0].org')/$(js '.organisations[0].items')" coop/5
fi
req GET "/v1/recall?epc=nobody"
want "recall of an unknown lot is 404" 404 not-found

# ---- every openEPCIS invalid capture document is a 400 naming the event and field -------------------
n=0
for f in "$INVALID"/*.json; do
  n=$((n + 1))
  name=$(basename "$f")
  capture "$f" "$REC"
  if want "invalid: $name is 400" 400 invalid-epcis; then
    det=$(js .detail)
    fld=$(js '.errors[0].field')
    idx=$(js '.errors[0].eventIndex')
    case "$det" in
      "event $idx, $fld: "* | "document, $fld: "*) ok "  ...names event $idx, field $fld" ;;
      *) no "  ...detail '$det' does not name event $idx and field $fld" ;;
    esac
  fi
done
[ "$n" -ge 15 ] && ok "all $n invalid documents tried" || no "only $n invalid documents found in $INVALID"

# ---- GS1 examples: captured once, 409 the second time ----------------------------------------------
for f in Example_9.6.1-ObjectEvent.jsonld Example_9.6.2-ObjectEvent.jsonld \
  Example_9.6.3-AggregationEvent.jsonld Example_9.6.4-TransformationEvent.jsonld \
  AssociationEvent/AssociationEvent-a.jsonld WithSensorData/SensorDataExample10.jsonld \
  WithSensorData/SensorDataExample1.jsonld; do
  tok=$REC
  case $f in *Example1.jsonld) tok=$INSP ;; esac # an inspection: the inspector's (SPEC I6)
  capture "$GS1/$f" "$tok"
  want "GS1 $f is 202" 202 && is "  ...and captured" "$(js .success)" true
done
capture "$GS1/Example_9.6.3-AggregationEvent.jsonld" "$REC"
if want "the same GS1 document again is 409" 409 duplicate-event; then
  case "$(hdr Location)" in /events/*) ok "409 points at the event already there" ;; *) no "409 Location '$(hdr Location)'" ;; esac
fi

# ---- proceed: valid events captured, the invalid one reported ---------------------------------------
doc "$J/proceed.json" \
  "$(ev ObjectEvent 2026-11-24T09:00:00Z +00:00 "\"action\": \"OBSERVE\", \"bizStep\": \"storing\", \"epcList\": [\"$S2\"]")" \
  "$(ev ObjectEvent 2026-11-24T09:05:00Z +00:00 "\"action\": \"OBSERVE\", \"bizStep\": \"transforming\", \"epcList\": [\"$S2\"]")" \
  "$(ev ObjectEvent 2026-11-24T09:10:00Z +00:00 "\"action\": \"OBSERVE\", \"bizStep\": \"retail_selling\", \"disposition\": \"retail_sold\", \"epcList\": [\"$S2\"]")"
capture "$J/proceed.json" "$REC"
want "rollback of a document with one bad event is 400" 400 invalid-epcis &&
  is "  ...naming event 1" "$(js '.errors[0].eventIndex')" 1
capture "$J/proceed.json" "$REC" -H 'GS1-Capture-Error-Behaviour: proceed'
if want "proceed: 202" 202; then
  PLOC=$(hdr Location)
  req GET "$PLOC"
  if want "GET the proceed job" 200; then
    is "proceed job: done, not a success" "$(js .running)/$(js .success)/$(js .captureErrorBehaviour)" false/false/proceed
    is "two events captured, in two transactions" "$(js '.eventIDs | length')/$(js '.txIds | length')" 2/2
    is "the error names event 1" "$(js '.errors[0].eventIndex')/$(js '.errors | length')" 1/1
  fi
fi
req GET "/events?MATCH_epc=$(enc "$S2")&EQ_bizStep=retail_selling|storing"
is "the valid events of the proceed job are on the chain" "$(js '.epcisBody.queryResults.resultsBody.eventList | length')" 2

# ---- limits: 413 ----------------------------------------------------------------------------------------
{
  printf '{%s, "type": "EPCISDocument", "schemaVersion": "2.0", "creationDate": "2026-11-20T08:00:00Z", "epcisBody": {"eventList": [' "$CTX"
  for i in $(seq 1001); do
    [ "$i" -gt 1 ] && printf ','
    printf '{"type": "ObjectEvent", "eventTime": "2026-11-25T00:00:00Z", "eventTimeZoneOffset": "+00:00", "action": "OBSERVE", "epcList": ["urn:epc:id:sgtin:6901234.000003.%d"]}' "$i"
  done
  printf ']}}'
} >"$J/many.json"
capture "$J/many.json" "$REC"
if want "1001 events are 413" 413 capture-limit-exceeded; then
  is "413 carries GS1-EPCIS-Capture-Limit" "$(hdr GS1-EPCIS-Capture-Limit)" 1000
fi
head -c 1100000 /dev/zero | tr '\0' ' ' >"$J/big.json"
capture "$J/big.json" "$REC"
want "a body past 1 MiB is 413" 413 capture-limit-exceeded

# ---- a token revoked in tokens.json stops working at once --------------------------------------------
capture "$J/gone.json" "$LATER_REVOKED"
want "another token of the recorder works" 202
for i in "${!ENTRIES[@]}"; do
  case "${ENTRIES[$i]}" in *"\"$LATER_REVOKED_ID\""*) ENTRIES[$i]=${ENTRIES[$i]/\"revoked\": false/\"revoked\": true} ;; esac
done
write_tokens
capture "$J/gone.json" "$LATER_REVOKED"
want "once revoked in tokens.json it is 401" 401 unauthorized

# ---- reads are open by default; --auth-reads closes them; jobs survive a restart ---------------------
req GET "/events?perPage=1"
want "GET /events without a token (open reads)" 200
stop_node || no "the node stops on SIGTERM (first start)"
start_node "$D" --auth-reads || { no "suyuand --auth-reads starts"; finish; }
req GET "/events?perPage=1"
want "--auth-reads: GET /events without a token is 401" 401 unauthorized
req GET "/v1/recall?epc=$(enc "$MATERIAL")" -H "$(auth "$REC")"
want "--auth-reads: recall with a token is 200" 200
req GET "/events?perPage=1" -H "$(auth "$GONE")"
want "--auth-reads: a revoked member's token is 403" 403 forbidden
req OPTIONS /capture
want "--auth-reads: OPTIONS stays open" 204
req GET "$CAP1" -H "$(auth "$INSP")"
if want "a rollback job after a restart" 200; then
  is "  ...still a success with its event" "$(js .success)/$(js '.eventIDs | length')" true/1
fi
req GET "$PLOC" -H "$(auth "$INSP")"
want "a proceed job is gone after a restart (in memory)" 404 not-found

# ---- a clean stop; nothing for the sanitizers to say (ASan builds); no token in the logs -----------------
stop_node && ok "the node stops on SIGTERM" || no "the node stops on SIGTERM"
if grep -qE "Sanitizer|runtime error:" "$D/node.err"; then
  no "the sanitizers found something"
  grep -E -A15 "Sanitizer|runtime error:" "$D/node.err" | head -40
else
  ok "nothing from the sanitizers in the node's log"
fi
leak=0
for t in "$REC" "$INSP" "$GONE" "$EXPIRED" "$LATER_REVOKED"; do
  grep -qF "${t#syt_*_}" "$D/node.err" "$D/node.out" && leak=1
done
[ $leak = 0 ] && ok "no token appears in the node's logs" || no "a token appears in the node's logs"

finish
