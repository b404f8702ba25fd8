#!/usr/bin/env bash
# The etcd ordering service end to end (issue #4; SPEC G2, M5a, M6, M8): a
# 3-member etcd cluster and 3 peers from `suyuan cluster up`; writes through
# every peer; identical chains; every peer's attestation on a block; SIGKILL
# of a peer and of an etcd member under load (writes go on, the peer catches
# up, nothing acknowledged is missing anywhere); a 4th peer registered with
# `suyuan node add` joins after the log was compacted and catches up from
# its peers; an unregistered peer's batches are recorded invalid; one
# transaction sent to two peers is valid once; `verify` passes on every
# peer's data. Kills only the PIDs it started (or `cluster up` recorded).
. "$(dirname "$0")/lib.bash"
command -v etcd >/dev/null || { echo "etcd is not installed: skipped"; exit 77; }
command -v python3 >/dev/null || { echo "python3 is not installed: skipped"; exit 77; }
S="$SY_BIN/suyuan"
C=$T/cluster

down() { [ -f "$C/cluster.json" ] && "$S" cluster down --dir "$C" >"$T/down.out" 2>&1; }
trap 'down; cleanup' EXIT

. "$(dirname "$0")/cluster.bash"

# start_peer NAME DIR ARGS...: a peer of ours (remembered for cleanup).
start_peer() {
  local name=$1 dir=$2; shift 2
  rm -f "$dir/addr"
  "$SY_BIN/suyuand" --data "$dir" --addr-file "$dir/addr" "$@" >>"$dir/suyuand.log" 2>&1 &
  eval "${name}_PID=$!"
  PIDS+=("$!")
  for _ in $(seq 1 200); do
    [ -s "$dir/addr" ] && { eval "${name}_URL=$(cat "$dir/addr")"; return 0; }
    sleep 0.1
  done
  tail -20 "$dir/suyuand.log"
  return 1
}

stop_pid() {
  kill -TERM "$1" 2>/dev/null
  for _ in $(seq 1 100); do kill -0 "$1" 2>/dev/null || return 0; sleep 0.1; done
  kill -9 "$1" 2>/dev/null
}

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

# ---- up ----------------------------------------------------------------------------
if ! "$S" cluster up --nodes 3 --dir "$C" >"$T/up.out" 2>&1; then
  cat "$T/up.out"
  no "cluster up"
  finish
fi
ok "cluster up: 3 etcd members and 3 peers"
mapfile -t U < <(grep '^http://' "$T/up.out")
check "cluster up prints the 3 peer URLs" test "${#U[@]}" -eq 3
check "cluster.json records 6 PIDs" test "$(cj "len(d['etcd']) + len(d['peers'])")" -eq 6
ADMIN=$C/keys/admin.key
EP=$(cj "d['etcd_endpoints']")
check "/v1/status says consensus etcd" test "$(js "${U[0]}/v1/status" "d['consensus']")" = etcd

"$S" keygen --out "$T/rec.key" >/dev/null
check "recorder registered through peer 1" "$S" --node "${U[0]}" member add --key "$ADMIN" \
  --org dev --member-key "$T/rec.key" --roles recorder

# ---- writes through every peer -----------------------------------------------------------
wrote=0
for i in 0 1 2; do
  for k in 1 2; do
    "$S" --node "${U[$i]}" tx submit --key "$T/rec.key" --type record \
      --payload "{\"lot\":\"P$i-$k\"}" >/dev/null && wrote=$((wrote + 1))
  done
done
check "6 writes through 3 different peers committed valid" test "$wrote" -eq 6
check "all peers at the same height, tip hash and results hash" same_tips "${U[@]}"

h=$(js "${U[0]}/v1/status" "d['height']")
n=0
for _ in $(seq 1 100); do
  n=$(js "${U[1]}/v1/blocks/$h/attestations" "len(d['attestations'])")
  [ "${n:-0}" -ge 3 ] && break
  sleep 0.1
done
check "block $h carries the attestations of all 3 peers ($n)" test "${n:-0}" -ge 3
check "the raw block is served as octet-stream" test "$(curl -s -o /dev/null -w '%{content_type}' \
  "${U[2]}/v1/blocks/$h/raw")" = application/octet-stream

# ---- one transaction, two peers -------------------------------------------------------------
"$S" --node "${U[0]}" tx sign --key "$T/rec.key" --type record --payload '{"lot":"DUP"}' \
  --out "$T/dup.tx" >/dev/null
("$S" --node "${U[0]}" tx send "$T/dup.tx" >"$T/dup0" 2>&1; echo $? >"$T/dup0.rc") &
d0=$!
("$S" --node "${U[1]}" tx send "$T/dup.tx" >"$T/dup1" 2>&1; echo $? >"$T/dup1.rc") &
d1=$!
wait $d0 $d1
rcs="$(cat "$T/dup0.rc") $(cat "$T/dup1.rc")"
valid=0
dups=0
for f in dup0 dup1; do
  grep -q 'reason: *valid' "$T/$f" && valid=$((valid + 1))
  grep -Eq 'duplicate_tx|already in the chain' "$T/$f" && dups=$((dups + 1))
done
check "a transaction sent to two peers is valid once, duplicate once (rc $rcs)" \
  test "$valid" -eq 1 -a "$dups" -eq 1

# ---- SIGKILL a peer and an etcd member under load ------------------------------------------
P3_PID=$(cj "d['peers'][2]['pid']")
E3_PID=$(cj "d['etcd'][2]['pid']")
read -r -a P3_ARGV <<<"$(cj "' '.join(d['peers'][2]['argv'][1:])")"
: >"$T/acks"
"$SY_BIN/sy_loadgen" --node "${U[0]}" --key "$T/rec.key" -c 8 -d 14 --presign 6000 -q \
  --ack-log "$T/acks" >"$T/load1" 2>&1 &
LG1=$!
PIDS+=("$LG1")
"$SY_BIN/sy_loadgen" --node "${U[1]}" --key "$T/rec.key" -c 8 -d 14 --presign 6000 -q \
  --ack-log "$T/acks2" >"$T/load2" 2>&1 &
LG2=$!
PIDS+=("$LG2")
for _ in $(seq 1 100); do [ -s "$T/acks" ] && break; sleep 0.1; done
sleep 1
kill -9 "$P3_PID"
kill -9 "$E3_PID"
# If the killed member led etcd, the others elect a new leader first (about
# one election timeout, 1 s by default, plus a failed-over request).
before=$(wc -l <"$T/acks")
after=$before
for _ in $(seq 1 100); do
  after=$(wc -l <"$T/acks")
  [ "$after" -gt $((before + 20)) ] && break
  sleep 0.1
done
check "writes go on with one peer and one etcd member killed ($before -> $after acks)" \
  test "$after" -gt $((before + 20))
for _ in $(seq 1 300); do kill -0 "$LG1" 2>/dev/null || kill -0 "$LG2" 2>/dev/null || break; sleep 0.1; done
wait "$LG1" 2>/dev/null
wait "$LG2" 2>/dev/null
cat "$T/acks2" >>"$T/acks"
acked=$(wc -l <"$T/acks")
check "the load was acknowledged ($acked txs)" test "$acked" -gt 100

# The peer comes back with its data; etcd still lacks a member (quorum 2 of 3).
"$SY_BIN/suyuand" "${P3_ARGV[@]}" >>"$C/peer3/suyuand.log" 2>&1 &
P3B=$!
PIDS+=("$P3B")
for _ in $(seq 1 200); do [ -s "$C/peer3/addr" ] && break; sleep 0.1; done
check "a write after the restart commits (etcd 2 of 3)" "$S" --node "${U[1]}" tx submit \
  --key "$T/rec.key" --type record --payload '{"lot":"after-crash"}'
check "the killed peer caught up: same chain on all 3" same_tips "${U[@]}"
for i in 0 1 2; do
  if "$SY_BIN/sy_loadgen" --node "${U[$i]}" --check "$T/acks" -c 8 >"$T/check$i" 2>&1; then
    ok "peer $((i + 1)) holds all $acked acknowledged transactions"
  else
    no "peer $((i + 1)) misses acknowledged transactions"
    tail -3 "$T/check$i"
  fi
done

# ---- a 4th peer joins after the log was compacted ----------------------------------------------
P4=$C/peer4
mkdir -p "$P4/keys"
cp "$C/genesis.json" "$P4/genesis.json"
"$S" keygen --out "$P4/keys/node.key" >/dev/null
PORT4=$(free_port)
check "node add registers the 4th peer" "$S" --node "${U[0]}" node add --key "$ADMIN" --org dev \
  --node-key "$P4/keys/node.key" --address "http://127.0.0.1:$PORT4"
check "node list shows 4 nodes" test "$("$S" --node "${U[2]}" node list | grep -c active)" -eq 4
E1=$(cj "d['etcd'][0]['client_url']")
rev=$(curl -s -X POST "$E1/v3/kv/range" -d '{"key":"AA=="}' |
  python3 -c "import json,sys; print(json.load(sys.stdin)['header']['revision'])")
curl -s -X POST "$E1/v3/kv/compaction" -d "{\"revision\":\"$rev\"}" >/dev/null
start_peer P4 "$P4" --listen "127.0.0.1:$PORT4" --etcd "$EP" ||
  { no "4th peer start"; finish; }
check "the 4th peer reaches the same chain" same_tips "${U[0]}" "$P4_URL"
check "it caught up from its peers' blocks (log compacted at $rev)" \
  test "$(js "$P4_URL/v1/status" "d['cluster']['catchup_blocks']")" -gt 0
check "it serves writes once registered" "$S" --node "$P4_URL" tx submit --key "$T/rec.key" \
  --type record --payload '{"lot":"from-peer-4"}'
check "and every peer has them" same_tips "${U[@]}" "$P4_URL"

# ---- an unregistered peer ------------------------------------------------------------------
P5=$C/stranger
mkdir -p "$P5/keys"
cp "$C/genesis.json" "$P5/genesis.json"
"$S" keygen --out "$P5/keys/node.key" >/dev/null
start_peer P5 "$P5" --listen 127.0.0.1:0 --etcd "$EP" || { no "stranger start"; finish; }
"$S" --node "$P5_URL" tx submit --key "$T/rec.key" --type record \
  --payload '{"lot":"stranger"}' >"$T/stranger.out" 2>&1
rc=$?
check "an unregistered peer's batch is recorded invalid: unregistered_proposer (rc $rc)" \
  grep -q 'unregistered_proposer' "$T/stranger.out"
check "the others recorded it the same way" same_tips "${U[@]}" "$P4_URL" "$P5_URL"
check "status lists the live peers" test "$(js "${U[0]}/v1/status" \
  "sum(1 for p in d['cluster']['peers'] if p['live'])")" -ge 5

# ---- down, then verify every peer's files ------------------------------------------------------
for p in "$P5_PID" "$P4_PID" "$P3B"; do stop_pid "$p"; done
check "cluster down stops what cluster up started" "$S" cluster down --dir "$C"
for d in "$C/peer1" "$C/peer2" "$C/peer3" "$P4" "$P5"; do
  out=$("$S" verify --data "$d" 2>&1)
  vrc=$?
  check "verify --data $(basename "$d"): $(echo "$out" | tail -1)" test "$vrc" -eq 0
done
finish
