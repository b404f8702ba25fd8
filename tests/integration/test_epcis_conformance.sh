#!/usr/bin/env bash
# Integration test: EPCIS 2.0 conformance acceptance of issue #3, against
# real suyuand processes on 127.0.0.1 (ephemeral ports). docs/trace.md
# "Conformance" states the decisions this test checks:
#   1. each of the 46 GS1 EPCISDocument examples (gs1-EPCIS/JSON/**, all
#      but EPCISQueryDocument.jsonld) captured with success through
#      POST /capture on a FRESH chain of its own (202, job success, the
#      eventIDs the document names, every event readable by id);
#   2. all 46 on ONE shared chain, in file-name order: the 5 that repeat
#      events of earlier examples are refused 409 naming the eventID (and
#      rollback keeps nothing of them); the other 41 are captured;
#   3. the 5 bare events of gs1-EPCIS/JSON-Schema/test/*.json through
#      POST /events (201, the extension event type too);
#   4. what GET /events returns has the shape of
#      gs1-EPCIS/JSON/EPCISQueryDocument.jsonld, with the same events;
#   5. the 15 openEPCIS Capture/Invalid documents (and the 2 Query/Invalid
#      ones) refused 400 naming event index and field; the 3 openEPCIS
#      "valid" documents that break the GS1 schema refused 400 at the
#      member the schema rejects (docs/epcis-validation.md), and with
#      GS1-Capture-Error-Behaviour: proceed their schema-valid events kept;
#   6. every SimpleEventQuery parameter the node implements, on a small
#      event set written here whose answers are known exactly (counts,
#      eventIDs, order), pipe-separated values, orderBy/orderDirection,
#      perPage + nextPageToken paging by the Link header.
# Known deviations from EPCIS that the node's ledger still has are marked
# "xfail" (strict: once they conform the test fails, so the mark is
# dropped); they are listed before the closing count line.
# Env (set by CTest): SY_BIN, SY_SRC, SY_TEST_TMP, SUYUAN_KDF=fast.
# Kills only the processes it started (lib.bash).
. "$(dirname "$0")/lib.bash"

SY_SRC=${SY_SRC:-$(cd "$(dirname "$0")/../.." && pwd)}
ANCHORS=$SY_SRC/../shared/anchors
ANCH=$ANCHORS/epcis
GS1=$ANCH/gs1-EPCIS/JSON
BARE=$ANCH/gs1-EPCIS/JSON-Schema/test
OE=$ANCH/openepcis-test-resources/2.0/EPCIS/JSON
SUYUAN=$SY_BIN/suyuan
STARTED=$(date +%s)

for tool in curl jq sha256sum od; do
  command -v "$tool" >/dev/null || { no "$tool is installed (scripts/deps.sh)"; finish; }
done
for d in "$GS1" "$BARE" "$OE/Capture/Invalid" "$OE/Capture/Documents" "$OE/Query/Invalid"; do
  if [ ! -d "$d" ]; then
    no "the EPCIS anchor data is missing: $d (expected beside the repository, at $ANCHORS)"
    finish
  fi
done

# ---- helpers (as in test_epcis_api.sh) -----------------------------------------------------------
BODY=$T/body
HDRS=$T/hdrs
CODE=
req() { # req METHOD PATH [curl args...]: sets CODE; body in $BODY, headers in $HDRS
  local method=$1 path=$2
  shift 2
  CODE=$(curl -s -g --max-time 40 -X "$method" -o "$BODY" -D "$HDRS" -w '%{http_code}' "$@" \
    "$NODE$path" 2>/dev/null)
}
hdr() { tr -d '\r' <"$HDRS" | grep -i "^$1:" | head -n1 | cut -d' ' -f2-; }
js() { jq -r "$1" "$BODY" 2>/dev/null; }
show() { echo "     status $CODE: $(head -c 600 "$BODY")"; }
want() { # want LABEL STATUS [TOKEN]
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
is() { if [ "$2" = "$3" ]; then ok "$1"; else no "$1: got '$2', want '$3'"; fi; }
enc() { # percent-encode all but the unreserved characters (as jq's @uri)
  local LC_ALL=C s=$1 out= c h i
  for ((i = 0; i < ${#s}; i++)); do
    c=${s:i:1}
    case $c in
      [A-Za-z0-9._~-]) out+=$c ;;
      *) printf -v h '%%%02X' "'$c" && out+=$h ;;
    esac
  done
  printf '%s' "$out"
}
hex() { head -c "$1" /dev/urandom | od -An -tx1 | tr -d ' \n'; }
capture() { # capture FILE [extra curl args]: POST /capture with the member's token
  local file=$1
  shift
  req POST /capture -H 'Content-Type: application/ld+json' -H "Authorization: Bearer $TOKEN" \
    "$@" --data-binary "@$file"
}
post_event() { # post_event FILE: POST /events
  req POST /events -H 'Content-Type: application/json' -H "Authorization: Bearer $TOKEN" \
    --data-binary "@$1"
}
# The ids the ledger files a document's events under: each eventID, or the
# CBV 2.0 hash id where there is none (docs/http-api.md POST /capture, 5).
doc_ids() { "$SUYUAN" --json epcis hash "$1" | jq -r '[.events[] | .eventID // .hashId] | join(" ")'; }

# Known deviations (strict xfail): known LABEL GOT SPEC
KNOWN=()
known() {
  if [ "$2" = "$3" ]; then
    no "$1: now conforms to EPCIS ('$2'); drop the known-deviation mark here and in docs/trace.md"
  else
    KNOWN+=("$1")
    echo "xfail - $1 (known deviation: got '$2', EPCIS says '$3')"
  fi
}
section() { echo "# $* (at $(($(date +%s) - STARTED)) s)"; }
done_all() {
  echo "elapsed: $(($(date +%s) - STARTED)) s"
  if [ ${#KNOWN[@]} -gt 0 ]; then
    echo "known deviations (xfail, not counted): ${#KNOWN[@]}"
    for k in "${KNOWN[@]}"; do echo "  - $k"; done
  fi
  finish
}

# ---- a template chain: one member (recorder + inspector) with a token ------------------------------
# Every chain of this test is a copy of it, made while its node is stopped:
# same genesis and member, no events.
TPL=$T/template
if ! "$SUYUAN" init --chain conformance --org coop --dir "$TPL" >"$T/init.out" 2>&1; then
  no "suyuan init"
  cat "$T/init.out"
  finish
fi
start_node "$TPL" || { no "suyuand starts"; finish; }
"$SUYUAN" keygen --out "$T/member.key" >/dev/null 2>&1 || no "keygen"
# inspector too: several GS1 examples record inspections (SPEC I6)
if "$SUYUAN" member add --key "$TPL/keys/admin.key" --org coop --member-key "$T/member.key" \
  --roles recorder,inspector --name "Conformance" >/dev/null 2>&1; then
  ok "template chain: member with recorder and inspector roles"
else
  no "member add"
  finish
fi
stop_node || no "template node stops"
KID=$(jq -r .key_id "$T/member.key")
mkdir -p "$TPL/custody"
chmod 700 "$TPL/custody"
cp "$T/member.key" "$TPL/custody/$KID.key"
chmod 600 "$TPL/custody/$KID.key"
TOKEN_ID=$(hex 8)
TOKEN="syt_${TOKEN_ID}_$(hex 32)"
printf '{"tokens": [{"id": "%s", "hash": "%s", "key_id": "%s", "name": "conformance", "created_ms": 1764000000000, "expires_ms": 0, "revoked": false}]}\n' \
  "$TOKEN_ID" "$(printf '%s' "$TOKEN" | sha256sum | cut -d' ' -f1)" "$KID" >"$TPL/tokens.json"
chmod 600 "$TPL/tokens.json"
rm -f "$TPL/node.out" "$TPL/node.err"

CUR=
fresh() { # fresh NAME: a new chain copied from the template, its node started
  CUR=$T/chain-$1
  rm -rf "$CUR"
  cp -a "$TPL" "$CUR" && start_node "$CUR" || return 1
  echo "$NODE_PID" >"$T/pid.$1" # for the EXIT trap, also when a worker started it
}
retire() { # stop the current chain's node, check its log, drop the chain
  local name=${CUR#"$T"/chain-}
  if stop_node; then
    rm -f "$T/pid.$name"
    local keep=() p
    for p in "${PIDS[@]}"; do [ "$p" = "$NODE_PID" ] || keep+=("$p"); done
    PIDS=("${keep[@]}")
  else
    no "the node of chain $name stops on SIGTERM"
  fi
  if grep -qE "Sanitizer|runtime error:" "$CUR/node.err" 2>/dev/null; then
    no "the sanitizers found something in the node of chain $name"
    grep -E -A15 "Sanitizer|runtime error:" "$CUR/node.err" | head -40
  fi
  rm -rf "$CUR"
}
# Nodes started by workers (section 1) are stopped on exit too; then lib.bash's cleanup.
WORKERS=()
trap 'for w in "${WORKERS[@]}"; do kill -TERM "$w" 2>/dev/null; done
for f in "$T"/pid.*; do [ -f "$f" ] && kill -9 "$(cat "$f")" 2>/dev/null; done
cleanup' EXIT
# ok_job LABEL IDS: the last answer is a finished, successful capture job
# that recorded exactly IDS (space-separated, document order).
ok_job() {
  is "$1: job finished with success" "$(js .running)/$(js .success)/$(js '.errors | length')" false/true/0
  is "$1: job names the document's eventIDs" "$(js '.eventIDs | join(" ")')" "$2"
}

# ---- 1. every GS1 EPCISDocument example on a fresh chain ---------------------------------------------
section "1. the 46 GS1 examples, each on a fresh chain"
mapfile -t EXAMPLES < <(cd "$GS1" && find . -name '*.jsonld' ! -name EPCISQueryDocument.jsonld |
  sed 's|^\./||' | LC_ALL=C sort)
is "gs1-EPCIS/JSON holds 46 EPCISDocument examples" "${#EXAMPLES[@]}" 46
notdoc=
for f in "${EXAMPLES[@]}"; do
  [ "$(jq -r .type "$GS1/$f")" = EPCISDocument ] || notdoc="$notdoc $f"
done
is "  ...each of them an EPCISDocument" "$notdoc" ""
[ -f "$GS1/EPCISQueryDocument.jsonld" ] && ok "and EPCISQueryDocument.jsonld is there" ||
  no "gs1-EPCIS/JSON/EPCISQueryDocument.jsonld is missing"
# Two workers, each example on a chain of its own; each example's checks
# go to its own log, replayed (and counted) here in file-name order.
declare -A IDS
for i in "${!EXAMPLES[@]}"; do
  f=${EXAMPLES[$i]}
  # one line per event: eventID (or hash id), percent-encoded, type
  "$SUYUAN" --json epcis hash "$GS1/$f" |
    jq -r '.events[] | (.eventID // .hashId) as $i | "\($i) \($i | @uri) \(.type)"' >"$T/ids.$i"
  IDS[$f]=$(cut -d' ' -f1 "$T/ids.$i" | tr '\n' ' ' | sed 's/ $//')
done
example_run() { # example_run IDX WORKER: example IDX on a fresh chain
  local i=$1 w=$2 f=${EXAMPLES[$1]} good=0 loc id eid type
  fresh "ex$w" || { no "a fresh node for $f"; return; }
  capture "$GS1/$f"
  if [ "$CODE" = 202 ] &&
    [ "$(js '"\(.success)/\(.running)/\(.eventIDs | join(" "))"')" = "true/false/${IDS[$f]}" ]; then
    loc=$(hdr Location)
    req GET "$loc"
    if [ "$CODE" = 200 ] && [ "$(js .success)" = true ]; then
      good=1
      local n=0 files=()
      while read -r id eid type; do
        n=$((n + 1))
        req GET "/events/$eid"
        [ "$CODE" = 200 ] || { good=0 && no "  $f: GET /events/$eid" && show; }
        cp "$BODY" "$BODY.$n"
        files+=("$BODY.$n")
      done <"$T/ids.$i"
      if [ $good = 1 ] && [ "$(jq -r '.epcisBody.queryResults.resultsBody.eventList[0] | "\(.eventID) \(.type)"' \
        "${files[@]}")" != "$(cut -d' ' -f1,3 "$T/ids.$i")" ]; then
        good=0
        no "  $f: its events, read back by id, are not the document's (eventID, type)"
      fi
    else
      no "  $f: GET $loc"
      show
    fi
  else
    no "  $f: capture (want 202, success, eventIDs '${IDS[$f]}')"
    show
  fi
  [ $good = 1 ] &&
    ok "fresh chain: $f captured ($(wc -l <"$T/ids.$i") events, job success, events readable by id)"
  retire
}
JOBS=2
for ((w = 0; w < JOBS; w++)); do
  (
    BODY=$T/body.w$w
    HDRS=$T/hdrs.w$w
    for ((i = w; i < ${#EXAMPLES[@]}; i += JOBS)); do example_run "$i" "$w" >"$T/ex.$i.log" 2>&1; done
  ) &
  WORKERS+=($!)
done
for w in "${WORKERS[@]}"; do wait "$w"; done
WORKERS=()
captured=0
for i in "${!EXAMPLES[@]}"; do
  if [ ! -f "$T/ex.$i.log" ]; then
    no "example ${EXAMPLES[$i]} was not run"
    continue
  fi
  cat "$T/ex.$i.log"
  PASS=$((PASS + $(grep -c '^ok   - ' "$T/ex.$i.log")))
  FAIL=$((FAIL + $(grep -c '^FAIL - ' "$T/ex.$i.log")))
  captured=$((captured + $(grep -c '^ok   - fresh chain: ' "$T/ex.$i.log")))
done
is "all 46 GS1 EPCISDocument examples captured with success, each on a fresh chain" "$captured" 46

# ---- 2. all 46 on one shared chain: which collide, and how that is reported --------------------------
section "2. the 46 GS1 examples on one shared chain"
# Five GS1 examples repeat events of others (same eventID, or no eventID
# and the same event hash id). In file-name order, the second capture is
# the one refused: FILE|eventIndex|eventID|FILE that recorded it first.
COLLIDE=(
  "Example-Type-sourceOrDestination,measurement,bizTransaction.jsonld|0|ni:///sha-256;5f7c472bc4905de27a19b2efc8e4a9c6dc195139669b80b515f12218ff07cf65?ver=CBV2.0|AssociationEvent/AssociationEvent-f.jsonld"
  "Example_9.6.1-ObjectEvent.jsonld|0|ni:///sha-256;df7bb3c352fef055578554f09f5e2aa41782150ced7bd0b8af24dd3ccb30ba69?ver=CBV2.0|Example_9.6.1-ObjectEvent-with-pseudo-SBDH-headers.jsonld"
  "WithErrorDeclaration/Example_9.6.1-ObjectEvent-with-error-declaration.jsonld|1|ni:///sha-256;00e1e6eba3a7cc6125be4793a631f0af50f8322e0ab5f2c0bab994a11cec1d79?ver=CBV2.0|Example_9.6.1-ObjectEvent-with-pseudo-SBDH-headers.jsonld"
  "WithFullCombinationOfFields/object_event_all_possible_fields.jsonld|0|urn:uuid:374d95fc-9457-4a51-bd6a-0bba133845a8|WithErrorDeclaration/ErrorDeclarationAndCorrectiveEvent.jsonld"
  "WithSensorData/SensorDataExample17.jsonld|0|ni:///sha-256;e1f630b9c84c84020eb9bc73f082324a420f4472dd6c14edb1f1ab98ea279f24?ver=CBV2.0|WithSensorData/SensorDataExample13.jsonld"
)
declare -A CIDX CID CFIRST
for c in "${COLLIDE[@]}"; do
  IFS='|' read -r cf ci cid cfirst <<<"$c"
  CIDX[$cf]=$ci
  CID[$cf]=$cid
  CFIRST[$cf]=$cfirst
  # the table agrees with the documents themselves
  is "collision table: $cf event $ci and $cfirst share $cid" \
    "$(echo "${IDS[$cf]}" | cut -d' ' -f$((ci + 1)))/$(echo " ${IDS[$cfirst]} " | grep -cF " $cid ")" "$cid/1"
done
fresh shared || { no "the shared chain's node starts"; done_all; }
kept=0
refused=0
expect_events=0
for f in "${EXAMPLES[@]}"; do
  capture "$GS1/$f"
  if [ -n "${CIDX[$f]:-}" ]; then
    if want "shared chain: $f is refused 409 (repeats an event of ${CFIRST[$f]})" 409 duplicate-event; then
      refused=$((refused + 1))
      is "  ...naming event ${CIDX[$f]} and its eventID" "$(js .eventIndex)|$(js .eventID)" "${CIDX[$f]}|${CID[$f]}"
      case "$(js .detail)" in *"${CID[$f]}"*) ok "  ...the detail names the eventID" ;;
        *) no "  ...the detail names the eventID: $(js .detail)" ;; esac
      is "  ...Location: the event already on the chain" "$(hdr Location)" "/events/$(enc "${CID[$f]}")"
      loc=$(hdr Location)
      req GET "$loc"
      is "  ...which is there" "$CODE/$(js '.epcisBody.queryResults.resultsBody.eventList[0].eventID')" "200/${CID[$f]}"
    fi
  else
    if [ "$CODE" = 202 ] && [ "$(js '"\(.success) \(.eventIDs | join(" "))"')" = "true ${IDS[$f]}" ]; then
      kept=$((kept + 1))
      expect_events=$((expect_events + $(echo "${IDS[$f]}" | wc -w)))
    else
      no "shared chain: $f captured"
      show
    fi
  fi
done
is "shared chain: the other 41 examples captured with success" "$kept" 41
is "shared chain: exactly the 5 repeating examples refused" "$refused" 5
# rollback: a refused document left nothing behind, not even its new events
ED=WithErrorDeclaration/Example_9.6.1-ObjectEvent-with-error-declaration.jsonld
ED0=$(echo "${IDS[$ED]}" | cut -d' ' -f1)
req GET "/events/$(enc "$ED0")"
want "shared chain: the new event 0 of the refused $ED was not kept (rollback)" 404 not-found
req GET "/events?perPage=1000"
is "shared chain: the query sees the events of the 41 captured documents" \
  "$(js '.epcisBody.queryResults.resultsBody.eventList | length')" "$expect_events"
# proceed: the same document keeps its new event and reports the repeated one
capture "$GS1/$ED" -H 'GS1-Capture-Error-Behaviour: proceed'
if want "shared chain, proceed: $ED is taken (202)" 202; then
  is "  ...event 0 captured, event 1 reported as a duplicate" \
    "$(js .success)|$(js '.eventIDs | join(" ")')|$(js '[.errors[] | "\(.eventIndex) \(.status) \(.type)"] | join(",")')" \
    "false|$ED0|1 409 urn:suyuan:problem:duplicate-event"
fi
req GET /v1/verify
is "shared chain: the whole chain replays (GET /v1/verify)" "$CODE/$(js .ok)" 200/true
retire

# ---- 3 + 5. bare events through POST /events; invalid documents ------------------------------------
section "3 + 5. bare events, invalid documents"
fresh misc || { no "the misc chain's node starts"; done_all; }
BARES=()
for f in "$BARE"/*.json; do BARES+=("$(basename "$f")"); done
is "gs1-EPCIS/JSON-Schema/test holds 5 bare events" "${#BARES[@]}" 5
for b in "${BARES[@]}"; do
  t=$(jq -r .type "$BARE/$b")
  post_event "$BARE/$b"
  case "$t" in
    ObjectEvent | AggregationEvent | TransactionEvent | TransformationEvent | AssociationEvent)
      if want "POST /events $b is 201" 201; then
        id=$(js .eventID)
        is "  ...the answer is the event as stored, with recordTime" \
          "$(js .type)/$(js '.recordTime | test("^[0-9]{4}-[0-9]{2}-[0-9]{2}T.*Z$")')" "$t/true"
        is "  ...its eventID is the one it names (or its hash id)" "$id" "$(doc_ids "$BARE/$b")"
        is "  ...Location: /events/{eventID}" "$(hdr Location)" "/events/$(enc "$id")"
        loc=$(hdr Location)
        req GET "$loc"
        is "  ...readable there" "$CODE/$(js '.epcisBody.queryResults.resultsBody.eventList[0].eventID')" "200/$id"
      fi
      ;;
    *)
      # An extension event type (schema Extended-Event): recorded, as the
      # template chain's genesis (suyuan init) turns on the feature
      # epcis_extension_events (docs/format.md#genesis).
      if want "POST /events $b ($t, an extension event type) is 201" 201; then
        id=$(js .eventID)
        is "  ...filed under its hash id, type as sent" "$id/$(js .type)" "$(doc_ids "$BARE/$b")/$t"
        req GET "$(hdr Location)"
        is "  ...readable there" "$CODE/$(js '.epcisBody.queryResults.resultsBody.eventList[0].type')" "200/$t"
        req GET "/events?eventType=$(enc "$t")"
        is "  ...and found by GET /events?eventType=$t" \
          "$CODE/$(js '[.epcisBody.queryResults.resultsBody.eventList[].eventID] | join(" ")')" "200/$id"
      fi
      ;;
  esac
done

# A member name repeated in one event (the GS1 example AssociationEvent-h
# repeats eventID): the ledger files the event under the first value, and
# the node answers with that one only, so that no JSON parser can read
# another (an event of 18 members here; AssociationEvent-h has 10).
U=urn:uuid:5e1a0000-0000-4000-8000-0000000001
cat >"$T/dup.json" <<EOF
{"@context": ["https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld", {"example": "http://ns.example.com/epcis/"}],
 "type": "EPCISDocument", "schemaVersion": "2.0", "creationDate": "2026-03-04T00:00:00Z", "epcisBody": {"eventList": [
 {"eventID": "${U}01", "type": "ObjectEvent", "eventTime": "2026-03-04T01:00:00Z", "eventTimeZoneOffset": "+00:00",
  "action": "OBSERVE", "epcList": ["urn:epc:id:sgtin:4012345.011111.7777"], "bizStep": "storing",
  "disposition": "in_progress", "readPoint": {"id": "urn:epc:id:sgln:4012345.00001.1", "example:r": 1, "example:r": 2},
  "bizLocation": {"id": "urn:epc:id:sgln:4012345.00001.0"}, "example:a": 1, "example:b": 2, "example:c": 3,
  "example:d": 4, "example:e": 5, "example:f": 6, "example:g": 7, "eventID": "${U}02"}]}}
EOF
capture "$T/dup.json"
want "an event that repeats eventID is captured" 202 && is "  ...filed under the first" "$(js '.eventIDs | join(" ")')" "${U}01"
req GET "/events/$(enc "${U}01")"
is "  ...answered with one eventID, the first, and one example:r, the first" \
  "$CODE/$(grep -o '"eventID"' "$BODY" | wc -l)/$(grep -o '"example:r"' "$BODY" | wc -l)/$(js '.epcisBody.queryResults.resultsBody.eventList[0] | "\(.eventID) \(.readPoint["example:r"]) \(.["example:g"])"')" \
  "200/1/1/${U}01 1 7"
req GET "/events/$(enc "${U}02")"
want "  ...the second value names no event" 404 not-found

# an extension event (the bare one an hour later) inside a document, next to an ObjectEvent
jq '{"@context": .["@context"], type: "EPCISDocument", schemaVersion: "2.0",
  creationDate: "2026-03-04T00:00:00Z", epcisBody: {eventList: [del(.["@context"]) |
  .eventTime = "2005-04-03T21:33:31.116000-06:00",
  {type: "ObjectEvent", eventTime: "2026-03-04T00:00:00Z", eventTimeZoneOffset: "+00:00",
   action: "OBSERVE", epcList: ["urn:epc:id:sgtin:4012345.011111.9999"]}]}}' \
  "$BARE/Extended-Event.json" >"$T/ext-doc.json"
capture "$T/ext-doc.json"
if want "POST /capture of a document with an extension event is 202" 202; then
  is "  ...both events captured under their ids" \
    "$(js .success)|$(js '.eventIDs | join(" ")')" "true|$(doc_ids "$T/ext-doc.json")"
fi

req GET /v1/status
H0=$(js .height)
# expected (event index, field) of every fault, as tests/test_epcis_validate.c has them
EV=epcisBody.eventList
declare -A WANT=(
  [Combination_of_events_with_missing_mandatory_fields.json]="1 $EV[1].eventTimeZoneOffset;1 $EV[1].action"
  [Combination_of_multiple_invalid_fields.json]="0 $EV[0].bizStep;1 $EV[1].disposition;2 $EV[2].sourceList[0].type;3 $EV[3].ilmd.materialType;4 $EV[4].eventTime;4 $EV[4].action"
  [Combination_of_non_standard_bizStep_and_disposition.json]="0 $EV[0].bizStep;1 $EV[1].disposition"
  [EPCISDocument_without_context.json]="null @context"
  [ObjectEvent_with_ilmd_field_without_namespace.json]="0 $EV[0].ilmd.materialType"
  [ObjectEvent_with_invalid_action.json]="0 $EV[0].action"
  [ObjectEvent_with_invalid_certificationInfo.json]="0 $EV[0].certificationInfo[0];0 $EV[0].certificationInfo[1]"
  [ObjectEvent_with_invalid_eventTime_format.json]="0 $EV[0].eventTime"
  [ObjectEvent_with_non_standard_bizStep.json]="0 $EV[0].bizStep"
  [ObjectEvent_with_non_standard_bizStep_in_second_event.json]="1 $EV[1].bizStep"
  [ObjectEvent_with_non_standard_disposition.json]="0 $EV[0].disposition"
  [ObjectEvent_with_quantity_as_text.json]="0 $EV[0].quantityList[0].quantity"
  [ObjectEvent_with_unknown_field_in_quantityList.json]="0 $EV[0].quantityList[0].weight"
  [ObjectEvent_without_action_and_eventTime.json]="0 $EV[0].eventTime;0 $EV[0].action"
  [ObjectEvent_without_identifier_list.json]="0 $EV[0].epcList"
  # Query/Invalid: /capture takes the events of an EPCISQueryDocument as an
  # EPCISDocument's, so the paths are those of the captured document
  [QueryDocument_with_invalid_action.json]="0 $EV[0].action"
  [QueryDocument_with_invalid_eventType.json]="0 $EV[0].type"
  # the openEPCIS "valid" documents that break the GS1 schema
  [AggregationEvent_with_persistentDisposition.json]="1 $EV[1].persistentDisposition"
  [SensorData_with_combined_events.json]="7 $EV[7].sensorElementList[0].sensorReport[1].type;7 $EV[7].sensorElementList[0].sensorReport[2].type;8 $EV[8].sensorElementList[0].sensorReport[0].type;8 $EV[8].sensorElementList[0].sensorReport[1].type;10 $EV[10].sensorElementList[0].sensorReport[0].type"
  [TransactionEvent_with_userExtensions.json]="0 $EV[0].sensorElementList[0].sensorReport[0].type"
)
# rejected LABEL FILE: 400 invalid-epcis; detail names errors[0] as
# "event N, FIELD: ..." ("document, FIELD: ..."); every expected fault listed.
rejected() {
  local label=$1 f=$2 name
  name=$(basename "$f")
  capture "$f"
  want "$label: $name is 400" 400 invalid-epcis || return
  local missing
  # one jq: the detail names errors[0]; every wanted "index field" is listed
  missing=$(jq -r --arg want "${WANT[$name]}" '
    (.errors[0] | if .eventIndex == null then "document, \(.field): " else "event \(.eventIndex), \(.field): " end) as $w
    | (if (.detail | startswith($w)) then empty else "[detail \(.detail | tojson) does not start with \($w | tojson)]" end),
      ([.errors[] | "\(.eventIndex) \(.field)"] as $have
       | $want | split(";")[] | select(. as $x | $have | index([$x]) | not) | "[no error at \(.)]")' \
    "$BODY" 2>&1 | tr '\n' ' ')
  [ -z "$missing" ] && ok "  ...names $(echo "${WANT[$name]}" | sed 's/;/, /g; s/^null /document /')" || { no "  ...$missing"; show; }
}
n=0
for f in "$OE"/Capture/Invalid/*.json; do
  n=$((n + 1))
  [ -n "${WANT[$(basename "$f")]:-}" ] || no "no expectation for $(basename "$f")"
  rejected "openEPCIS Capture/Invalid" "$f"
done
is "all 15 openEPCIS Capture/Invalid documents tried" "$n" 15
for f in "$OE"/Query/Invalid/*.json; do rejected "openEPCIS Query/Invalid via /capture" "$f"; done
SCHEMA_BREAKING=(AggregationEvent_with_persistentDisposition.json SensorData_with_combined_events.json
  TransactionEvent_with_userExtensions.json)
for b in "${SCHEMA_BREAKING[@]}"; do
  rejected "openEPCIS valid but not GS1-schema-valid (decision: rejected)" "$OE/Capture/Documents/$b"
done
req GET /v1/status
is "nothing refused was signed: the chain did not grow" "$(js .height)" "$H0"
# proceed: their schema-valid events are captured, the others reported
capture "$OE/Capture/Documents/AggregationEvent_with_persistentDisposition.json" -H 'GS1-Capture-Error-Behaviour: proceed'
if want "proceed: AggregationEvent_with_persistentDisposition is 202" 202; then
  is "  ...event 0 captured, event 1 reported at persistentDisposition" \
    "$(js .success)|$(js '.eventIDs | length')|$(js '[.errors[] | "\(.eventIndex) \(.field)"] | join(",")')" \
    "false|1|1 $EV[1].persistentDisposition"
fi
capture "$OE/Capture/Documents/SensorData_with_combined_events.json" -H 'GS1-Capture-Error-Behaviour: proceed'
if want "proceed: SensorData_with_combined_events is 202" 202; then
  # event 7: Molar_concentration twice; 8: two reports without type; 10: EffectiveDoseRate
  is "  ...10 of 13 events captured, events 7, 8 and 10 reported at their sensor report types" \
    "$(js .success)|$(js '.eventIDs | length')|$(js '[.errors[] | "\(.eventIndex) \(.field)"] | join(",")')" \
    "false|10|7 $EV[7].sensorElementList[0].sensorReport[1].type,7 $EV[7].sensorElementList[0].sensorReport[2].type,8 $EV[8].sensorElementList[0].sensorReport[0].type,8 $EV[8].sensorElementList[0].sensorReport[1].type,10 $EV[10].sensorElementList[0].sensorReport[0].type"
fi
capture "$OE/Capture/Documents/TransactionEvent_with_userExtensions.json" -H 'GS1-Capture-Error-Behaviour: proceed'
want "proceed: TransactionEvent_with_userExtensions has nothing to capture: 400" 400 invalid-epcis &&
  is "  ...naming the sensor report type" "$(js '.errors[0].field')" "$EV[0].sensorElementList[0].sensorReport[0].type"
retire

# ---- 4. what a query returns: the shape of EPCISQueryDocument.jsonld ----------------------------------
section "4. the shape of a query answer"
EXQ=$GS1/EPCISQueryDocument.jsonld
fresh query-doc || { no "the query-doc chain's node starts"; done_all; }
capture "$GS1/Example_9.6.1-ObjectEvent.jsonld"
want "capture Example_9.6.1-ObjectEvent (the events of EPCISQueryDocument.jsonld)" 202
req GET /events
if want "GET /events" 200; then
  cp "$BODY" "$T/answer.json"
  jcmp() { jq -n -r --slurpfile e "$EXQ" --slurpfile g "$T/answer.json" "$1"; }
  is "top-level members: the example's, less the optional document id" \
    "$(jcmp '$g[0] | keys | join(",")')" "$(jcmp '$e[0] | keys - ["id"] | join(",")')"
  is "type, schemaVersion" "$(jcmp '$g[0] | "\(.type) \(.schemaVersion)"')" "$(jcmp '$e[0] | "\(.type) \(.schemaVersion)"')"
  is "@context starts with the EPCIS 2.0 context" "$(jcmp '$g[0]["@context"][0]')" "$(jcmp '$e[0]["@context"][0]')"
  is "creationDate is a date-time" "$(jcmp '$g[0].creationDate | test("^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:.]+Z$")')" true
  is "epcisBody members" "$(jcmp '$g[0].epcisBody | keys | join(",")')" "$(jcmp '$e[0].epcisBody | keys | join(",")')"
  is "queryResults members: the example's, less subscriptionID (subscriptions only)" \
    "$(jcmp '$g[0].epcisBody.queryResults | keys | join(",")')" \
    "$(jcmp '$e[0].epcisBody.queryResults | keys - ["subscriptionID"] | join(",")')"
  is "queryName" "$(jcmp '$g[0].epcisBody.queryResults.queryName')" "$(jcmp '$e[0].epcisBody.queryResults.queryName')"
  is "resultsBody members" "$(jcmp '$g[0].epcisBody.queryResults.resultsBody | keys | join(",")')" \
    "$(jcmp '$e[0].epcisBody.queryResults.resultsBody | keys | join(",")')"
  is "the eventList is the example's, event for event (plus recordTime, and @context for extensions)" \
    "$(jcmp '[$g[0].epcisBody.queryResults.resultsBody.eventList[] | del(.recordTime, .["@context"])] == $e[0].epcisBody.queryResults.resultsBody.eventList')" true
  is "every event has a recordTime" \
    "$(jcmp '[$g[0].epcisBody.queryResults.resultsBody.eventList[].recordTime | test("^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:.]+Z$")] | all')" true
  is "the event with example:myField carries the prefix's @context" \
    "$(jcmp '$g[0].epcisBody.queryResults.resultsBody.eventList[1]["@context"] | map(objects | .example) | .[0]')" \
    "$(jcmp '$e[0]["@context"][1].example')"
fi
req GET "/events/$(enc "$(echo "${IDS[Example_9.6.1-ObjectEvent.jsonld]}" | cut -d' ' -f2)")"
if want "GET /events/{eventID}" 200; then
  is "  ...an EPCISQueryDocument of the same shape, with that one event" \
    "$(jq -r '[keys, .epcisBody.queryResults.queryName, (.epcisBody.queryResults.resultsBody | keys), (.epcisBody.queryResults.resultsBody.eventList | length)] | tostring' "$BODY")" \
    "$(jq -r '[keys, .epcisBody.queryResults.queryName, (.epcisBody.queryResults.resultsBody | keys), 1] | tostring' "$T/answer.json")"
fi
retire
# The REST binding lets a client capture a query's answer: the example
# itself, and the node's own answer, each captured on a fresh chain give the
# same events back.
for src in "$EXQ" "$T/answer.json"; do
  fresh query-doc2 || { no "a query-doc chain's node starts"; continue; }
  capture "$src"
  if want "POST /capture of an EPCISQueryDocument ($(basename "$src")) is 202" 202; then
    ok_job "  $(basename "$src")" "${IDS[Example_9.6.1-ObjectEvent.jsonld]}"
    req GET /events
    is "  ...and a query gives the same events back" \
      "$(jq -c '[.epcisBody.queryResults.resultsBody.eventList[] | del(.recordTime)]' "$BODY")" \
      "$(jq -c '[.epcisBody.queryResults.resultsBody.eventList[] | del(.recordTime)]' "$T/answer.json")"
  fi
  retire
done

# ---- 6. every query parameter, on a known event set ---------------------------------------------------
section "6. query parameters"
# Twelve events in three captures (three blocks, so three recordTimes).
# eventTimes are all different; some carry offsets so that UTC order is not
# text order (E02 is 01:30Z, before E01 at 08:00Z; E09 is 02:00Z).
# E12 names no eventID: the ledger files it under its hash id.
SG1=urn:epc:id:sgtin:4012345.011111.1001
SG2=urn:epc:id:sgtin:4012345.011111.1002
SG3=urn:epc:id:sgtin:4012345.011111.1003
SG4=urn:epc:id:sgtin:4012345.022222.2001
SG5=urn:epc:id:sgtin:4012345.022222.2002
SSCC1=urn:epc:id:sscc:4012345.0000000001
GIAI1=urn:epc:id:giai:4012345.SENSOR1
LOT1=urn:epc:class:lgtin:4012345.011111.L1
LOT2=urn:epc:class:lgtin:4012345.033333.L2
LOT3=urn:epc:class:lgtin:4012345.022222.L3
L1=urn:epc:id:sgln:4012345.00001.0
L2=urn:epc:id:sgln:4012345.00002.0
L3=urn:epc:id:sgln:4012345.00003.0
RP1=urn:epc:id:sgln:4012345.00001.1
RP2=urn:epc:id:sgln:4012345.00002.1
RP3=urn:epc:id:sgln:4012345.00003.1
declare -A E
for i in 01 02 03 04 05 06 07 08 09 10 11; do E[E$i]=urn:uuid:5e1a0000-0000-4000-8000-0000000000$i; done
HEAD='"@context": ["https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld"], "type": "EPCISDocument", "schemaVersion": "2.0", "creationDate": "2026-03-04T00:00:00Z"'
Q=$T/q
mkdir -p "$Q"
cat >"$Q/b1.json" <<EOF
{$HEAD, "epcisBody": {"eventList": [
 {"type": "ObjectEvent", "eventID": "${E[E01]}", "eventTime": "2026-03-01T08:00:00Z", "eventTimeZoneOffset": "+00:00",
  "action": "ADD", "bizStep": "commissioning", "disposition": "active", "epcList": ["$SG1", "$SG2"],
  "readPoint": {"id": "$RP1"}, "bizLocation": {"id": "$L1"}},
 {"type": "ObjectEvent", "eventID": "${E[E02]}", "eventTime": "2026-03-01T09:30:00+08:00", "eventTimeZoneOffset": "+08:00",
  "action": "ADD", "bizStep": "commissioning", "disposition": "active", "epcList": [],
  "quantityList": [{"epcClass": "$LOT1", "quantity": 100, "uom": "KGM"}],
  "readPoint": {"id": "$RP1"}, "bizLocation": {"id": "$L1"}},
 {"type": "AggregationEvent", "eventID": "${E[E03]}", "eventTime": "2026-03-01T10:00:00Z", "eventTimeZoneOffset": "+00:00",
  "action": "ADD", "bizStep": "packing", "disposition": "in_progress", "parentID": "$SSCC1",
  "childEPCs": ["$SG1", "$SG2"], "childQuantityList": [{"epcClass": "$LOT2", "quantity": 5, "uom": "KGM"}],
  "readPoint": {"id": "$RP2"}, "bizLocation": {"id": "$L2"}},
 {"type": "TransformationEvent", "eventID": "${E[E04]}", "eventTime": "2026-03-01T11:00:00Z", "eventTimeZoneOffset": "+00:00",
  "bizStep": "commissioning", "disposition": "active",
  "inputEPCList": ["$SG3"], "inputQuantityList": [{"epcClass": "$LOT1", "quantity": 50, "uom": "KGM"}],
  "outputEPCList": ["$SG4", "$SG5"], "outputQuantityList": [{"epcClass": "$LOT3", "quantity": 40, "uom": "KGM"}],
  "bizLocation": {"id": "$L2"}}
]}}
EOF
cat >"$Q/b2.json" <<EOF
{$HEAD, "epcisBody": {"eventList": [
 {"type": "ObjectEvent", "eventID": "${E[E05]}", "eventTime": "2026-03-02T07:00:00+01:00", "eventTimeZoneOffset": "+01:00",
  "action": "OBSERVE", "bizStep": "shipping", "disposition": "in_transit", "epcList": ["$SSCC1"],
  "readPoint": {"id": "$RP2"}, "bizLocation": {"id": "$L2"}},
 {"type": "TransactionEvent", "eventID": "${E[E06]}", "eventTime": "2026-03-02T06:30:00Z", "eventTimeZoneOffset": "+00:00",
  "action": "ADD", "bizStep": "shipping", "disposition": "in_transit", "parentID": "$SSCC1", "epcList": ["$SG4"],
  "bizTransactionList": [{"type": "po", "bizTransaction": "urn:epcglobal:cbv:bt:4012345000009:PO-1"}],
  "readPoint": {"id": "$RP2"}, "bizLocation": {"id": "$L2"}},
 {"type": "AssociationEvent", "eventID": "${E[E07]}", "eventTime": "2026-03-02T08:00:00Z", "eventTimeZoneOffset": "+00:00",
  "action": "ADD", "bizStep": "assembling", "parentID": "$GIAI1", "childEPCs": ["$SG5"],
  "bizLocation": {"id": "$L2"}},
 {"type": "ObjectEvent", "eventID": "${E[E08]}", "eventTime": "2026-03-02T09:00:00Z", "eventTimeZoneOffset": "+00:00",
  "action": "DELETE", "bizStep": "decommissioning", "disposition": "destroyed", "epcList": ["$SG2"],
  "bizLocation": {"id": "$L1"}}
]}}
EOF
cat >"$Q/b3.json" <<EOF
{$HEAD, "epcisBody": {"eventList": [
 {"type": "ObjectEvent", "eventID": "${E[E09]}", "eventTime": "2026-03-03T10:00:00+08:00", "eventTimeZoneOffset": "+08:00",
  "action": "OBSERVE", "bizStep": "receiving", "disposition": "in_progress", "epcList": ["$SSCC1"],
  "readPoint": {"id": "$RP3"}, "bizLocation": {"id": "$L3"}},
 {"type": "AggregationEvent", "eventID": "${E[E10]}", "eventTime": "2026-03-03T03:00:00Z", "eventTimeZoneOffset": "+00:00",
  "action": "DELETE", "bizStep": "unpacking", "parentID": "$SSCC1", "childEPCs": ["$SG1"],
  "bizLocation": {"id": "$L3"}},
 {"type": "ObjectEvent", "eventID": "${E[E11]}", "eventTime": "2026-03-03T04:00:00Z", "eventTimeZoneOffset": "+00:00",
  "action": "OBSERVE", "bizStep": "retail_selling", "disposition": "retail_sold", "epcList": ["$SG1"],
  "bizLocation": {"id": "$L3"}},
 {"type": "ObjectEvent", "eventTime": "2026-03-03T05:00:00Z", "eventTimeZoneOffset": "+00:00",
  "action": "OBSERVE", "bizStep": "storing", "disposition": "sellable_accessible", "epcList": [],
  "quantityList": [{"epcClass": "$LOT3", "quantity": 10, "uom": "KGM"}],
  "readPoint": {"id": "$RP3"}, "bizLocation": {"id": "$L3"}}
]}}
EOF
E[E12]=$("$SUYUAN" --json epcis hash "$Q/b3.json" | jq -r '.events[3].hashId')
case "${E[E12]}" in "ni:///sha-256;"*) ok "E12's hash id computed offline" ;; *) no "E12's hash id: '${E[E12]}'" ;; esac
declare -A NAME # eventID -> E01..E12
for k in "${!E[@]}"; do NAME[${E[$k]}]=$k; done

fresh query || { no "the query chain's node starts"; done_all; }
for b in 1 2 3; do
  capture "$Q/b$b.json"
  want "query set: capture $b (4 events)" 202 && is "  ...job success" "$(js .success)/$(js '.eventIDs | length')" true/4
  [ $b = 3 ] && is "  ...E12 filed under its hash id" "$(js '.eventIDs[3]')" "${E[E12]}"
  sleep 0.05 # three blocks, three recordTimes
done
# names QUERY: the events a GET /events answers, as E01..E12 (space-separated)
names() {
  req GET "$1"
  if [ "$CODE" != 200 ]; then
    echo "HTTP-$CODE"
    return
  fi
  local id out=
  while IFS= read -r id; do out="$out ${NAME[$id]:-?$id}"; done < <(js '.epcisBody.queryResults.resultsBody.eventList[].eventID')
  echo "${out# }"
}
q() { is "GET /events?$1" "$(names "/events?$1")" "$2"; }
ALL="E02 E01 E03 E04 E05 E06 E07 E08 E09 E10 E11 E12" # eventTime ascending
REV="E12 E11 E10 E09 E08 E07 E06 E05 E04 E03 E01 E02"
is "GET /events (no parameters, default order eventTime ascending)" "$(names /events)" "$ALL"
req GET "/events?perPage=1000"
declare -A RT
while IFS=' ' read -r id rt; do RT[${NAME[$id]}]=$rt; done < <(js '.epcisBody.queryResults.resultsBody.eventList[] | "\(.eventID) \(.recordTime)"')
is "recordTime: one per capture (block), increasing" \
  "$([ "${RT[E01]}" = "${RT[E04]}" ] && [ "${RT[E05]}" = "${RT[E08]}" ] && [ "${RT[E09]}" = "${RT[E12]}" ] &&
    [[ "${RT[E01]}" < "${RT[E05]}" ]] && [[ "${RT[E05]}" < "${RT[E09]}" ]] && echo yes)" yes

# eventType
q "eventType=ObjectEvent" "E02 E01 E05 E08 E09 E11 E12"
q "eventType=AggregationEvent|TransformationEvent" "E03 E04 E10"
q "eventType=TransactionEvent" "E06"
q "eventType=AssociationEvent" "E07"
# GE_/LT_eventTime (GE inclusive, LT exclusive, offsets honoured)
q "GE_eventTime=2026-03-02T00:00:00Z&LT_eventTime=2026-03-03T00:00:00Z" "E05 E06 E07 E08"
q "GE_eventTime=2026-03-03T09:00:00%2B07:00" "E09 E10 E11 E12"
q "LT_eventTime=2026-03-01T10:00:00Z" "E02 E01"
q "LT_eventTime=2026-03-01T09:31:00%2B08:00" "E02"
q "GE_eventTime=2026-03-02T07:00:00%2B01:00&LT_eventTime=2026-03-02T06:30:00.001Z" "E05 E06"
# GE_/LT_recordTime (the three blocks' times)
q "GE_recordTime=${RT[E05]}" "E05 E06 E07 E08 E09 E10 E11 E12"
q "LT_recordTime=${RT[E05]}" "E02 E01 E03 E04"
q "GE_recordTime=${RT[E05]}&LT_recordTime=${RT[E09]}" "E05 E06 E07 E08"
q "GE_recordTime=${RT[E09]}" "E09 E10 E11 E12"
# EQ_action
q "EQ_action=ADD" "E02 E01 E03 E06 E07"
q "EQ_action=OBSERVE|DELETE" "E05 E08 E09 E10 E11 E12"
q "EQ_action=DELETE" "E08 E10"
# EQ_bizStep, EQ_disposition: bare words, web URIs, URNs
q "EQ_bizStep=shipping" "E05 E06"
q "EQ_bizStep=commissioning|packing" "E02 E01 E03 E04"
q "EQ_bizStep=shipping%7Creceiving" "E05 E06 E09" # the '|' percent-encoded
q "EQ_bizStep=$(enc https://ref.gs1.org/cbv/BizStep-receiving)" "E09"
q "EQ_bizStep=urn:epcglobal:cbv:bizstep:receiving" "E09"
q "EQ_bizStep=inspecting" ""
q "EQ_disposition=in_transit" "E05 E06"
q "EQ_disposition=active|destroyed" "E02 E01 E04 E08"
q "EQ_disposition=$(enc https://ref.gs1.org/cbv/Disp-retail_sold)" "E11"
# EQ_readPoint, EQ_bizLocation
q "EQ_readPoint=$(enc "$RP2")" "E03 E05 E06"
q "EQ_readPoint=$(enc "$RP1")|$(enc "$RP3")" "E02 E01 E09 E12"
q "EQ_bizLocation=$(enc "$L1")" "E02 E01 E08"
q "EQ_bizLocation=$(enc "$L3")" "E09 E10 E11 E12"
q "EQ_bizLocation=$(enc "$L1")|$(enc "$L2")" "E02 E01 E03 E04 E05 E06 E07 E08"
# MATCH_epc (epcList, childEPCs), MATCH_parentID, MATCH_inputEPC, MATCH_outputEPC, MATCH_anyEPC
q "MATCH_epc=$(enc "$SG1")" "E01 E03 E10 E11"
q "MATCH_epc=$(enc "$SSCC1")" "E05 E09"
q "MATCH_epc=$(enc "$SG4")|$(enc "$SG5")" "E06 E07"
q "MATCH_parentID=$(enc "$SSCC1")" "E03 E06 E10"
q "MATCH_parentID=$(enc "$GIAI1")|$(enc "$SG1")" "E07"
q "MATCH_inputEPC=$(enc "$SG3")" "E04"
q "MATCH_inputEPC=$(enc "$SG4")" ""
q "MATCH_outputEPC=$(enc "$SG4")|$(enc "$SG5")" "E04"
q "MATCH_anyEPC=$(enc "$SSCC1")" "E03 E05 E06 E09 E10"
q "MATCH_anyEPC=$(enc "$SG5")" "E04 E07"
q "MATCH_anyEPC=$(enc "$SG3")|$(enc "$GIAI1")" "E04 E07"
# MATCH_epcClass: quantityList and childQuantityList (EPCIS 2.0 8.2.7.1)
q "MATCH_epcClass=$(enc "$LOT2")" "E03"
q "MATCH_epcClass=$(enc "$LOT1")|$(enc "$LOT3")" "E02 E12"
q "MATCH_inputEPCClass=$(enc "$LOT1")" "E04"
q "MATCH_inputEPCClass=$(enc "$LOT3")" ""
q "MATCH_outputEPCClass=$(enc "$LOT3")" "E04"
q "MATCH_anyEPCClass=$(enc "$LOT1")|$(enc "$LOT3")" "E02 E04 E12"
q "MATCH_anyEPCClass=$(enc "$LOT2")" "E03"
# EQ_eventID (as given, or the hash id the ledger filled in)
q "EQ_eventID=$(enc "${E[E03]}")" "E03"
q "EQ_eventID=$(enc "${E[E11]}")|$(enc "${E[E03]}")" "E03 E11"
q "EQ_eventID=$(enc "${E[E12]}")" "E12"
q "EQ_eventID=urn:uuid:5e1a0000-0000-4000-8000-000000000099" ""
# several parameters: all must hold
q "EQ_bizLocation=$(enc "$L3")&EQ_action=OBSERVE&MATCH_epc=$(enc "$SG1")" "E11"
q "eventType=ObjectEvent&GE_eventTime=2026-03-02T00:00:00Z&EQ_bizStep=shipping|receiving" "E05 E09"
# orderBy / orderDirection (ties, i.e. one block's recordTime, keep capture order; reversed for DESC)
q "orderBy=eventTime" "$REV"
q "orderBy=eventTime&orderDirection=DESC" "$REV"
q "orderBy=eventTime&orderDirection=ASC" "$ALL"
q "orderBy=recordTime" "E12 E11 E10 E09 E08 E07 E06 E05 E04 E03 E02 E01"
q "orderBy=recordTime&orderDirection=DESC" "E12 E11 E10 E09 E08 E07 E06 E05 E04 E03 E02 E01"
q "orderBy=recordTime&orderDirection=ASC" "E01 E02 E03 E04 E05 E06 E07 E08 E09 E10 E11 E12"
q "eventType=ObjectEvent&orderBy=eventTime&orderDirection=DESC" "E12 E11 E09 E08 E05 E01 E02"
# empty answers are still query documents
req GET "/events?EQ_bizStep=inspecting"
is "an empty answer: eventList [] and no Link" "$(js '.epcisBody.queryResults.resultsBody.eventList | length')/$(hdr Link)" "0/"

# paging: follow Link rel="next" exactly as given; no duplicates, no gaps
# pages START WANT PAGESIZE
pages() {
  local start=$1 want=$2 size=$3 path=$1 got= n=0 bad= link
  while [ -n "$path" ] && [ $n -lt 30 ]; do
    local page
    page=$(names "$path")
    case "$page" in HTTP-*) bad="$bad [page $((n + 1)): $page]" && break ;; esac
    n=$((n + 1))
    got="$got $page"
    link=$(hdr Link)
    path=
    if [ -n "$link" ]; then
      path=$(printf '%s' "$link" | sed -n 's/^<\([^>]*\)>; rel="next"$/\1/p')
      [ -n "$path" ] || bad="$bad [page $n: Link '$link' is not <...>; rel=\"next\"]"
      case "$path" in "${start%%\?*}?"*nextPageToken=*) ;; *) bad="$bad [page $n: Link '$link']" ;; esac
      [ "$(echo "$page" | wc -w)" = "$size" ] || bad="$bad [page $n has $(echo "$page" | wc -w) events, not $size]"
    fi
  done
  got=${got# }
  local nw
  nw=$(echo "$want" | wc -w)
  is "paging $start: $(((nw + size - 1) / size)) pages, every event once, in order" "$n|$got|$bad" \
    "$(((nw + size - 1) / size))|$want|"
  [ "$(echo "$got" | tr ' ' '\n' | sort | uniq -d)" = "" ] || no "  ...duplicates: $(echo "$got" | tr ' ' '\n' | sort | uniq -d | tr '\n' ' ')"
}
pages "/events?perPage=2" "$ALL" 2
pages "/events?orderBy=recordTime&orderDirection=DESC&perPage=2" "E12 E11 E10 E09 E08 E07 E06 E05 E04 E03 E02 E01" 2
pages "/events?orderBy=eventTime&perPage=2" "$REV" 2
pages "/events?eventType=ObjectEvent|AggregationEvent&perPage=2" "E02 E01 E03 E05 E08 E09 E10 E11 E12" 2
pages "/events?GE_eventTime=2026-03-02T07:00:00%2B01:00&orderBy=eventTime&orderDirection=ASC&perPage=2" \
  "E05 E06 E07 E08 E09 E10 E11 E12" 2
pages "/events?perPage=5" "$ALL" 5
pages "/epcis/events?perPage=5&orderBy=recordTime&orderDirection=ASC" \
  "E01 E02 E03 E04 E05 E06 E07 E08 E09 E10 E11 E12" 5
pages "/events?perPage=12" "$ALL" 12
# the first page's Link names every parameter of the request
req GET "/events?eventType=ObjectEvent|AggregationEvent&perPage=2"
link=$(hdr Link)
case "$link" in
  "</events?"*eventType=ObjectEvent%7CAggregationEvent*perPage=2*nextPageToken=*'>; rel="next"') ok "the Link keeps the parameters (the '|' encoded)" ;;
  *) no "the Link keeps the parameters: '$link'" ;;
esac
# refused: unknown, repeated, empty, malformed
for bad in "eventType=ObjectEvent|" "EQ_action=ADD|CREATE" "EQ_bizStep=shipping||receiving" \
  "GE_recordTime=2026-03-01" "orderBy=eventTime&orderDirection=down" "perPage=0" \
  "MATCH_epcClass=" "MATCH_anyEPC=a&MATCH_anyEPC=b" "EQ_quantity=5" "MATCH_inputEPCClass=" "MATCH_childEPCClass=$(enc "$LOT1")"; do
  req GET "/events?$bad"
  want "GET /events?$bad is 400" 400 invalid-parameter
done
retire

done_all
