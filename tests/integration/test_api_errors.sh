#!/usr/bin/env bash
# Integration test: the HTTP API refuses hostile and malformed input with
# the right status and an RFC 9457 problem document, and keeps serving
# (docs/http-api.md). Starts a real suyuand on 127.0.0.1 with an ephemeral
# port; kills only the process it started.
#
# Environment (set by CTest): SY_BIN build directory, SY_SRC source directory,
# SY_TEST_TMP scratch directory, SUYUAN_KDF=fast.
set -u

: "${SY_BIN:?SY_BIN must name the build directory}"
TMP_ROOT=${SY_TEST_TMP:-/tmp}
mkdir -p "$TMP_ROOT" || exit 1
WORK=$(mktemp -d "$TMP_ROOT/api_errors.XXXXXX") || exit 1
D=$WORK/node
export SUYUAN_PASSPHRASE=${SUYUAN_PASSPHRASE:-api-errors-test-passphrase}
export SUYUAN_KDF=${SUYUAN_KDF:-fast}

PASS=0
FAIL=0
PID=
KEEP=0

cleanup() {
  if [ -n "$PID" ] && kill -0 "$PID" 2>/dev/null; then
    kill -TERM "$PID" 2>/dev/null
    for _ in $(seq 50); do kill -0 "$PID" 2>/dev/null || break; sleep 0.1; done
    kill -0 "$PID" 2>/dev/null && kill -KILL "$PID" 2>/dev/null
    wait "$PID" 2>/dev/null
  fi
  if [ "$KEEP" = 1 ]; then
    echo "logs kept in $WORK"
  else
    rm -rf "$WORK"
  fi
}
trap cleanup EXIT

ok() {
  PASS=$((PASS + 1))
  echo "ok   $1"
}
bad() {
  FAIL=$((FAIL + 1))
  KEEP=1
  echo "FAIL $1"
  shift
  for line in "$@"; do echo "     $line"; done
}

finish() {
  echo "$PASS passed, $FAIL failed"
  [ "$FAIL" -eq 0 ] && exit 0
  if [ -f "$WORK/suyuand.err" ]; then
    echo "--- suyuand stderr (last 20 lines)"
    tail -n 20 "$WORK/suyuand.err"
  fi
  exit 1
}

command -v curl >/dev/null || { bad "curl is installed"; finish; }

# ---- little-endian encoders and a hand-built transaction envelope -----------
# docs/format.md: body = "SYT1" | type u8 | chain_id (u8 len, bytes) | signer[16]
#   | timestamp_ms u64 | nonce u64 | payload (u32 len, bytes)
# tx = body_len u32 | body | sig_len u8 | sig
le() { # value, bytes
  local v=$1 n=$2 i
  for ((i = 0; i < n; i++)); do printf "\\x$(printf %02x $(((v >> (8 * i)) & 255)))"; done
}
# mk_tx FILE CHAIN NONCE PAYLOAD: a well-formed envelope from a signer that
# is not a member (random key id, dummy signature), so admission cannot check
# the signature and the ledger records it invalid (unknown_signer).
mk_tx() {
  local file=$1 chain=$2 nonce=$3 payload=$4
  local body_len=$((4 + 1 + 1 + ${#chain} + 16 + 8 + 8 + 4 + ${#payload}))
  {
    le "$body_len" 4
    printf 'SYT1'
    le 16 1
    le "${#chain}" 1
    printf '%s' "$chain"
    printf '\xa5\x5a\xa5\x5a\x01\x02\x03\x04\x05\x06\x07\x08\x09\x0a\x0b\x0c'
    le 1700000000000 8
    le "$nonce" 8
    le "${#payload}" 4
    printf '%s' "$payload"
    le 64 1
    head -c 64 /dev/zero
  } >"$file"
}

# ---- request helpers ---------------------------------------------------------
BODY=$WORK/body
HDRS=$WORK/headers
CODE=
CTYPE=

# req METHOD PATH [curl args...]: sets CODE, CTYPE; body in $BODY.
req() {
  local method=$1 path=$2
  shift 2
  local out mflag=(-X "$method")
  [ "$method" = HEAD ] && mflag=(-I) # -X HEAD would make curl wait for a body
  out=$(curl -s -g --max-time 10 "${mflag[@]}" -o "$BODY" -D "$HDRS" \
    -w '%{http_code} %{content_type}' "$@" "$URL$path" 2>/dev/null)
  CODE=${out%% *}
  CTYPE=${out#* }
}

body_has() { grep -Eq -- "$1" "$BODY"; }
header_has() { tr -d '\r' <"$HDRS" | grep -Eiq -- "$1"; }
show_body() { head -c 300 "$BODY" 2>/dev/null; }

# expect NAME STATUS [TOKEN]: checks the last request's status and, for a
# problem, the media type and type token.
expect() {
  local name=$1 want=$2 token=${3:-}
  if [ "$CODE" != "$want" ]; then
    bad "$name" "status $CODE, want $want" "body: $(show_body)"
    return 1
  fi
  if [ -n "$token" ]; then
    case "$CTYPE" in
      application/problem+json*) ;;
      *) bad "$name" "content type '$CTYPE', want application/problem+json"; return 1 ;;
    esac
    if ! body_has "\"type\": *\"urn:suyuan:problem:$token\""; then
      bad "$name" "no type urn:suyuan:problem:$token" "body: $(show_body)"
      return 1
    fi
    if ! body_has "\"status\": *$want" || ! body_has '"title": *"' || ! body_has '"detail": *"'; then
      bad "$name" "problem document lacks status/title/detail" "body: $(show_body)"
      return 1
    fi
  fi
  ok "$name"
}

# ---- a chain and a node ----------------------------------------------------------
for tool in suyuan suyuand; do
  [ -x "$SY_BIN/$tool" ] || { bad "$SY_BIN/$tool is built"; finish; }
done
if ! "$SY_BIN/suyuan" init --chain test --org org1 --dir "$D" >"$WORK/init.out" 2>&1; then
  bad "suyuan init creates a chain" "$(tail -n 5 "$WORK/init.out")"
  finish
fi
ok "suyuan init creates a chain"

"$SY_BIN/suyuand" --data "$D" --listen 127.0.0.1:0 --addr-file "$D/addr" \
  >"$WORK/suyuand.out" 2>"$WORK/suyuand.err" &
PID=$!
for _ in $(seq 100); do # at most ~10 s
  [ -s "$D/addr" ] && break
  kill -0 "$PID" 2>/dev/null || break
  sleep 0.1
done
if [ ! -s "$D/addr" ]; then
  bad "suyuand writes its address file" "$(tail -n 5 "$WORK/suyuand.err")"
  finish
fi
URL=$(head -n 1 "$D/addr")
case "$URL" in
  http://127.0.0.1:[0-9]*) ok "address file holds $URL" ;;
  *) bad "address file holds an http URL" "got '$URL'"; finish ;;
esac
if grep -qx "suyuand: listening on $URL" "$WORK/suyuand.out"; then
  ok "stdout announces the address"
else
  bad "stdout announces the address" "got '$(head -c 200 "$WORK/suyuand.out")'"
fi

# ---- node endpoints ----------------------------------------------------------------
req GET /health
expect "GET /health" 200 && { body_has '"status": *"ok"' || bad "/health says ok" "$(show_body)"; }

req GET /v1/status
if expect "GET /v1/status" 200; then
  if body_has '"chain_id": *"test"'; then ok "status names chain test"; else bad "status names chain test" "$(show_body)"; fi
fi

req HEAD /v1/status
expect "HEAD /v1/status" 200

req GET /metrics
if expect "GET /metrics" 200; then
  if body_has '^suyuan_height [0-9]+' && body_has '^suyuan_http_requests_total\{code="200"\} [0-9]+'; then
    ok "metrics expose height and request counts"
  else
    bad "metrics expose height and request counts" "$(show_body)"
  fi
fi

# ---- routing -------------------------------------------------------------------------
req GET /no/such/route
expect "unknown route is 404" 404 not-found

req GET /v1/status/
expect "trailing slash is a different route" 404 not-found

req DELETE /v1/tx
if expect "DELETE /v1/tx is 405" 405 method-not-allowed; then
  if header_has '^Allow: *POST'; then ok "405 names the allowed method"; else bad "405 names the allowed method" "$(cat "$HDRS")"; fi
fi

req POST /health -H 'Content-Type: application/json' --data-binary '{}'
expect "POST /health is 405" 405 method-not-allowed

req GET /v1/tx
expect "GET /v1/tx is 405" 405 method-not-allowed

# ---- POST /v1/tx: refusals -----------------------------------------------------------
OCTET=(-H 'Content-Type: application/octet-stream')
JSONH=(-H 'Content-Type: application/json')

req POST /v1/tx "${OCTET[@]}" --data-binary 'garbage bytes, not an envelope'
expect "garbage body is 400" 400 malformed-tx

mk_tx "$WORK/good.bin" test 7 '{"lot":"L1"}'
SIZE=$(wc -c <"$WORK/good.bin")
head -c $((SIZE - 10)) "$WORK/good.bin" >"$WORK/trunc.bin"
req POST /v1/tx "${OCTET[@]}" --data-binary "@$WORK/trunc.bin"
expect "truncated envelope is 400" 400 malformed-tx

{ cat "$WORK/good.bin"; printf 'X'; } >"$WORK/trailing.bin"
req POST /v1/tx "${OCTET[@]}" --data-binary "@$WORK/trailing.bin"
expect "trailing bytes are 400" 400 malformed-tx

req POST /v1/tx "${OCTET[@]}" --data-binary ''
expect "empty body is 400" 400 malformed-tx

head -c 1100000 /dev/zero >"$WORK/big.bin" # past the default max_tx_bytes (1 MiB + 512)
req POST /v1/tx "${OCTET[@]}" --data-binary "@$WORK/big.bin"
expect "oversized body is 413" 413 payload-too-large

req POST /v1/tx "${OCTET[@]}" -H 'Transfer-Encoding: chunked' --data-binary "@$WORK/big.bin"
expect "oversized chunked body is 413" 413 payload-too-large

req POST /v1/tx "${JSONH[@]}" --data-binary '[1, 2, 3]'
expect "JSON body not an object is 400" 400 malformed-tx

req POST /v1/tx "${JSONH[@]}" --data-binary '{"tx": "%%% not base64 %%%"}'
expect "bad base64 is 400" 400 malformed-tx

req POST /v1/tx "${JSONH[@]}" --data-binary '{"tx": 42}'
expect "tx not a string is 400" 400 malformed-tx

req POST /v1/tx "${JSONH[@]}" --data-binary '{"tx": "AAAA"'
expect "unterminated JSON is 400" 400 malformed-tx

req POST /v1/tx -H 'Content-Type: text/plain' --data-binary 'hello'
expect "text/plain is 415" 415 unsupported-media-type

req POST /v1/tx --data-binary "@$WORK/good.bin" # curl's default: form-urlencoded
expect "form content type is 415" 415 unsupported-media-type

mk_tx "$WORK/other.bin" other-chain 8 'x'
req POST /v1/tx "${OCTET[@]}" --data-binary "@$WORK/other.bin"
expect "another chain's transaction is 400" 400 wrong-chain

req POST '/v1/tx?wait=sometimes' "${OCTET[@]}" --data-binary "@$WORK/good.bin"
expect "bad wait value is 400" 400 invalid-parameter

req POST '/v1/tx?wait=commit&timeout_ms=-5' "${OCTET[@]}" --data-binary "@$WORK/good.bin"
expect "bad timeout_ms is 400" 400 invalid-parameter

# ---- a transaction recorded invalid is still committed (evidence) --------------------
ID=
req POST '/v1/tx?wait=commit&timeout_ms=10000' "${JSONH[@]}" \
  --data-binary "{\"tx\": \"$(base64 <"$WORK/good.bin" | tr -d '\n')\"}"
if expect "unknown signer is committed (wait=commit)" 200; then
  if body_has '"status": *"committed"' && body_has '"valid": *false' && body_has '"reason": *"unknown_signer"'; then
    ok "it is recorded invalid: unknown_signer"
  else
    bad "it is recorded invalid: unknown_signer" "$(show_body)"
  fi
  ID=$(grep -Eo '"id": *"[0-9a-f]{64}"' "$BODY" | grep -Eo '[0-9a-f]{64}')
fi
if [ -n "$ID" ]; then
  req GET "/v1/tx/$ID"
  if expect "GET /v1/tx/{id} finds it" 200; then
    if body_has '"proof": *\{' && body_has '"algorithm": *"rfc6962"' && body_has '"payload": *\{ *"lot"'; then
      ok "it carries a Merkle proof and its JSON payload"
    else
      bad "it carries a Merkle proof and its JSON payload" "$(show_body)"
    fi
  fi
  req POST /v1/tx "${OCTET[@]}" --data-binary "@$WORK/good.bin"
  expect "the same transaction again is 409" 409 duplicate-tx
else
  bad "the committed transaction has an id" "$(show_body)"
fi

# ---- GET /v1/tx/{id} ----------------------------------------------------------------------
ZEROS=0000000000000000000000000000000000000000000000000000000000000000
req GET /v1/tx/zzz
expect "id zzz is 400" 400 invalid-id
req GET "/v1/tx/${ZEROS:1}"
expect "63 hex digits is 400" 400 invalid-id
req GET "/v1/tx/${ZEROS}0"
expect "65 hex digits is 400" 400 invalid-id
req GET "/v1/tx/${ZEROS:2}zz"
expect "64 chars with non-hex is 400" 400 invalid-id
req GET "/v1/tx/$ZEROS"
expect "unknown id is 404" 404 not-found

# ---- GET /v1/blocks/{height} --------------------------------------------------------------
req GET /v1/blocks/0
if expect "block 0 is 200" 200; then
  body_has '"height": *0[,}]' && ok "block 0 has height 0" || bad "block 0 has height 0" "$(show_body)"
fi
req GET /v1/blocks/latest
expect "latest block is 200" 200
req GET /v1/blocks/99999999999999999999999
expect "height past u64 is 400" 400 invalid-height
req GET /v1/blocks/18446744073709551615
expect "u64 max height is 404" 404 not-found
req GET /v1/blocks/5
expect "block past the tip is 404" 404 not-found
req GET /v1/blocks/-1
expect "negative height is 400" 400 invalid-height
req GET /v1/blocks/1e3
expect "height 1e3 is 400" 400 invalid-height
req GET /v1/blocks/
expect "empty height is 400" 400 invalid-height

# ---- hostile query strings and paths ----------------------------------------------------
req GET "/v1/members?org=%27%20OR%201%3D1%20--%20"
if expect "SQL in ?org= is answered cleanly" 200; then
  body_has '"members": *\[\]' && ok "and matches no member" || bad "and matches no member" "$(show_body)"
fi
req GET "/v1/members?org=org1%27%3B%20DROP%20TABLE%20members%3B--"
expect "DROP TABLE in ?org= is answered cleanly" 200
req GET "/v1/members?org=$(printf 'a%.0s' $(seq 70))"
expect "overlong ?org= is 400" 400 invalid-parameter
req GET "/v1/members?org=%00"
expect "NUL in ?org= is 400" 400 invalid-parameter
req GET "/v1/members?org=org1"
if expect "GET /v1/members?org=org1" 200; then
  body_has '"key_id": *"[0-9a-f]{32}"' && ok "org1 has members" || bad "org1 has members" "$(show_body)"
fi
req GET "/v1/blocks/1%27%20OR%20%271%27=%271"
expect "SQL in a height is 400" 400 invalid-height
req GET "/v1/tx/%27%3B%20DROP%20TABLE%20txs%3B--"
expect "SQL in an id is 400" 400 invalid-id
req GET "/v1/status?x=%27%22%3B%00%ff&&&=&wait=commit"
expect "junk query on /v1/status is ignored" 200
req GET "/v1/%ff%fe%00/%2e%2e/etc/passwd"
expect "junk path is 404" 404 not-found

# ---- still alive, and a clean shutdown ----------------------------------------------------
req GET /health
expect "the node still answers /health" 200

kill -TERM "$PID"
STATUS=
for _ in $(seq 100); do
  if ! kill -0 "$PID" 2>/dev/null; then
    wait "$PID"
    STATUS=$?
    break
  fi
  sleep 0.1
done
if [ "$STATUS" = 0 ]; then
  ok "SIGTERM stops the node with status 0"
  PID=
else
  bad "SIGTERM stops the node with status 0" "status '${STATUS:-still running}'"
fi

finish
