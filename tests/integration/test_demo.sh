#!/usr/bin/env bash
# `make demo` (README quick start): the demo script starts a node, loads the
# demo supply chain, prints an address that answers /health, stops on
# Ctrl-C (SIGINT), and a second run reuses the data.
. "$(dirname "$0")/lib.bash"
: "${SY_SRC:?}"
run_demo() { # run_demo LOG: starts the demo in its own process group
  local port
  for _ in 1 2 3 4 5; do
    # below Linux's ephemeral range (32768-60999), which other tests'
    # nodes (port 0) and connections draw from while this one runs
    port=$((20000 + RANDOM % 12000))
    curl -s -o /dev/null "http://127.0.0.1:$port/" 2>/dev/null || break
  done
  PORT=$port SUYUAN_DEMO_DIR="$T/demo" setsid bash "$SY_SRC/scripts/demo.sh" "$SY_BIN" >"$1" 2>&1 &
  DEMO_PID=$!
  PIDS+=("$DEMO_PID")
  for _ in $(seq 1 1200); do # the demo load is ~25 CLI calls: slow on a busy machine
    grep -q "Suyuan node running" "$1" && break
    kill -0 "$DEMO_PID" 2>/dev/null || break
    sleep 0.1
  done
  ADDR=$(grep -o 'http://127.0.0.1:[0-9]*' "$1" | head -1)
  [ -n "$ADDR" ] || sed 's/^/      demo: /' "$1" | tail -15 # why it did not come up
}
stop_demo() {
  kill -INT -- "-$DEMO_PID" 2>/dev/null
  for _ in $(seq 1 100); do kill -0 "$DEMO_PID" 2>/dev/null || break; sleep 0.1; done
  ! kill -0 "$DEMO_PID" 2>/dev/null
}

run_demo "$T/demo1.log"
check "demo prints the node's address ($ADDR)" test -n "$ADDR"
check "the address answers /health" curl -fsS "$ADDR/health" -o /dev/null
h1=$(curl -fsS "$ADDR/v1/status" | grep -o '"height":[0-9]*' | cut -d: -f2)
check "demo data was recorded (height $h1)" test "${h1:-0}" -ge 7
check "the auditor's write was recorded invalid, not applied" \
  sh -c "curl -fsS '$ADDR/v1/blocks/latest' | grep -q role_denied"
# Issue 5: the demo prints a product page (a GS1 Digital Link on this node)
# and it answers a browser with the trace page, and the product view with
# the demo's events.
PURL=$(grep -o "$ADDR/01/[^ ]*" "$T/demo1.log" | head -1)
check "demo prints a product's Digital Link ($PURL)" test -n "$PURL"
check "the product URL answers a browser with 200 and the trace page" \
  sh -c "curl -fsS -H 'Accept: text/html' '$PURL' | grep -q '/web/app.js'"
check "the product view names the demo tea, inspected conformant" \
  sh -c "test -n '$PURL' && curl -fsS '$ADDR/v1/product?id=${PURL#"$ADDR"}' | jq -e '.product.inspection == \"conformant\" and (.product.product_name | test(\"龙井\")) and (.events | length) >= 8' >/dev/null"
LABEL=$(sed -n 's/^ *Label: *\(\/.*\.png\)$/\1/p' "$T/demo1.log")
check "the demo prints where it wrote a label PNG ($LABEL)" test -n "$LABEL"
check "the demo label is a PNG" sh -c "head -c 8 '$LABEL' | od -An -tx1 | grep -q '89 50 4e 47'"
check "Ctrl-C stops the demo and its node" stop_demo
check "no node left answering" sh -c "test -n '$ADDR' && ! curl -fsS '$ADDR/health' >/dev/null 2>&1"

run_demo "$T/demo2.log"
h2=$(curl -fsS "$ADDR/v1/status" | grep -o '"height":[0-9]*' | cut -d: -f2)
check "a second run reuses the data (height $h2 = $h1)" test "${h2:-x}" = "$h1"
stop_demo
check "verify passes on the demo data" "$SY_BIN/suyuan" verify --data "$T/demo"
finish
