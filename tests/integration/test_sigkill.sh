#!/usr/bin/env bash
# Crash safety (issue #2 §11, SPEC M6): SIGKILL the node during a sustained
# write load, restart it, and prove every acknowledged transaction is there
# and verify passes. Three kill/restart rounds on the same ledger.
. "$(dirname "$0")/lib.bash"
S="$SY_BIN/suyuan"
D=$T/chain
"$S" init --chain crash --org org1 --dir "$D" >/dev/null || { no "init"; finish; }
"$S" keygen --out "$T/rec.key" >/dev/null
start_node "$D" || { no "node start"; finish; }
check "recorder added" "$S" member add --key "$D/keys/admin.key" --org org1 \
  --member-key "$T/rec.key" --roles recorder

total_acked=0
for round in 1 2 3; do
  : >"$T/acks.$round"
  "$SY_BIN/sy_loadgen" --node "$NODE" --key "$T/rec.key" -c 16 -n 60000 \
    --ack-log "$T/acks.$round" >"$T/load.$round" 2>&1 &
  LG=$!
  PIDS+=("$LG")
  # Kill in the middle of the load: once acknowledgements are flowing.
  for _ in $(seq 1 200); do [ -s "$T/acks.$round" ] && break; sleep 0.1; done
  sleep 1
  kill -9 "$NODE_PID"
  wait "$NODE_PID" 2>/dev/null
  # The load generator sees the node die and must stop by itself.
  for _ in $(seq 1 150); do kill -0 "$LG" 2>/dev/null || break; sleep 0.1; done
  if kill -0 "$LG" 2>/dev/null; then no "round $round: loadgen did not stop"; kill -9 "$LG"; fi
  wait "$LG" 2>/dev/null
  n=$(wc -l <"$T/acks.$round")
  total_acked=$((total_acked + n))
  check "round $round: some writes were acknowledged before the kill ($n)" test "$n" -gt 0
  start_node "$D" || { no "round $round: restart"; finish; }
  cat "$T"/acks.* >"$T/all-acks"
  if "$SY_BIN/sy_loadgen" --node "$NODE" --check "$T/all-acks" >"$T/check.$round" 2>&1; then
    ok "round $round: all $total_acked acknowledged transactions present after restart"
  else
    no "round $round: acknowledged transactions missing"; cat "$T/check.$round"
  fi
done
stop_node
out=$("$S" verify --data "$D" 2>&1)
check "verify passes after three SIGKILLs: $out" test $? -eq 0
finish
