#!/usr/bin/env bash
# Losing etcd's quorum (issue #4 acceptance; SPEC M6b-c, G2): 3 etcd members
# and 3 peers from `suyuan cluster up`, a client writing continuously
# through two peers with a log of what was acknowledged. Two of the three
# etcd members are taken away (one SIGSTOPped, one SIGKILLed, by PID):
#   - every write through a peer then fails with 503 problem details
#     (ordering-unavailable) within a bounded time, never a 2xx;
#   - /v1/status shows the ordering service unavailable;
# the members come back (SIGCONT; the killed one restarted on its data):
#   - writes resume within a bounded time;
#   - every peer reaches the same height, tip hash and results hash;
#   - every transaction the client saw acknowledged is on every peer.
# Every wait is bounded by time (the ASan build runs this too).
. "$(dirname "$0")/lib.bash"
command -v etcd >/dev/null || { echo "etcd is not installed: skipped"; exit 77; }
command -v python3 >/dev/null || { echo "python3 is not installed: skipped"; exit 77; }
S="$SY_BIN/suyuan"
C=$T/cluster

down() {
  # A stopped member must run again before `down` can stop it.
  [ -n "${E2_PID:-}" ] && kill -CONT "$E2_PID" 2>/dev/null
  [ -f "$C/cluster.json" ] && "$S" cluster down --dir "$C" >"$T/down.out" 2>&1
}
trap 'down; cleanup' EXIT

. "$(dirname "$0")/cluster.bash"

# post URL FILE OUT: POST a signed transaction with wait=commit; prints
# "<http status> <seconds>"; the body goes to OUT.
post() {
  curl -s -o "$3" -w '%{http_code} %{time_total}' --max-time 40 \
    -H 'Content-Type: application/octet-stream' --data-binary @"$2" \
    "$1/v1/tx?wait=commit&timeout_ms=30000"
}

if ! "$S" cluster up --nodes 3 --dir "$C" >"$T/up.out" 2>&1; then
  cat "$T/up.out"
  no "cluster up"
  finish
fi
mapfile -t U < <(grep '^http://' "$T/up.out")
check "cluster up: 3 etcd members and 3 peers" test "${#U[@]}" -eq 3
ADMIN=$C/keys/admin.key
"$S" keygen --out "$T/rec.key" >/dev/null
check "recorder registered" "$S" --node "${U[0]}" member add --key "$ADMIN" --org dev \
  --member-key "$T/rec.key" --roles recorder
E2_PID=$(cj "d['etcd'][1]['pid']")
E3_PID=$(cj "d['etcd'][2]['pid']")
read -r -a E3_ARGV <<<"$(cj "' '.join(d['etcd'][2]['argv'])")"
E3_LOG=$(cj "d['etcd'][2]['log']")

# Probes: signed now, sent while the quorum is lost.
NPROBE=6
for i in $(seq 1 $NPROBE); do
  "$S" --node "${U[0]}" tx sign --key "$T/rec.key" --type record \
    --payload "{\"lot\":\"probe-$i\"}" --out "$T/probe$i.tx" >/dev/null
done
"$S" --node "${U[0]}" tx sign --key "$T/rec.key" --type record --payload '{"lot":"after"}' \
  --out "$T/after.tx" >/dev/null

# A client writes through peers 1 and 2 during the whole fault; it retries a
# 503 up to 3 times and logs what was acknowledged (200, valid).
LOAD_S=40
for i in 0 1; do
  "$SY_BIN/sy_loadgen" --node "${U[$i]}" --key "$T/rec.key" -c 4 -d $LOAD_S --presign 4000 -q \
    --timeout 45 --max-reconnects 1000 --json --ack-log "$T/acks$i" >"$T/load$i" 2>&1 &
  eval "LG$i=$!"
  PIDS+=("$!")
done
end=$(($(now_ms) + 20000))
while [ "$(now_ms)" -lt "$end" ]; do
  [ -s "$T/acks0" ] && [ -s "$T/acks1" ] && break
  sleep 0.1
done
sleep 1
check "the client's writes are acknowledged before the fault" test -s "$T/acks0" -a -s "$T/acks1"

# ---- quorum lost: one member stopped, one killed ------------------------------------------
kill -STOP "$E2_PID"
kill -9 "$E3_PID"
t_lost=$(now_ms)
echo "# quorum lost at $t_lost"

# Every probe: 503 problem details, answered within 20 s, never a 2xx.
bad=0
slow=0
for i in $(seq 1 $NPROBE); do
  u=${U[$((i % 3))]}
  read -r code secs < <(post "$u" "$T/probe$i.tx" "$T/probe$i.out")
  ctype=$(python3 -c "import json,sys; d=json.load(open('$T/probe$i.out')); print(d.get('type',''), d.get('status',''))" 2>/dev/null)
  echo "# probe $i via $u: HTTP $code in ${secs}s: $ctype"
  case $code in
    503) echo "$ctype" | grep -q 'ordering-unavailable 503' || bad=$((bad + 1)) ;;
    *) bad=$((bad + 1)) ;;
  esac
  python3 -c "import sys; sys.exit(0 if float('$secs') < 15 else 1)" || slow=$((slow + 1))
done
check "while quorum is lost every write gets 503 ordering-unavailable ($bad other answers)" \
  test "$bad" -eq 0
check "each answered within 15 s ($slow slower)" test "$slow" -eq 0

# Status: the peer sees no working ordering service (connected false, the
# reason in last_error) but is not diverged (accepting_writes: it refuses
# only for lack of quorum). Waits at most 15 s for the heartbeat to notice.
for i in 0 1 2; do
  end=$(($(now_ms) + 15000))
  while :; do
    st=$(js "${U[$i]}/v1/status" "d['cluster']['connected'], d['cluster']['accepting_writes'], bool(d['cluster'].get('last_error'))")
    [ "$st" = "False True True" ] || [ "$(now_ms)" -ge "$end" ] && break
    sleep 0.3
  done
  check "peer $((i + 1)) status shows the ordering service unavailable ($st)" \
    test "$st" = "False True True"
done

check "peer 1's metric suyuan_etcd_connected is 0" test "$(metric "${U[0]}" suyuan_etcd_connected)" = 0

# ---- quorum back ---------------------------------------------------------------------------
kill -CONT "$E2_PID"
"${E3_ARGV[@]}" >>"$E3_LOG" 2>&1 &
E3B=$!
PIDS+=("$E3B")
t_back=$(now_ms)
echo "# quorum restored at $t_back ($(((t_back - t_lost) / 1000)) s without it)"
resumed=0
end=$(($(now_ms) + 30000))
while [ "$(now_ms)" -lt "$end" ]; do
  read -r code secs < <(post "${U[2]}" "$T/after.tx" "$T/after.out")
  if [ "$code" = 200 ]; then resumed=1; break; fi
  sleep 0.5
done
check "writes resume once the quorum is back ($(( ($(now_ms) - t_back) )) ms)" test "$resumed" = 1
# The client's own writes resume too.
a_back=$(cat "$T/acks0" "$T/acks1" | wc -l)
end=$(($(now_ms) + 20000))
while [ "$(cat "$T/acks0" "$T/acks1" | wc -l)" -le $((a_back + 20)) ] && [ "$(now_ms)" -lt "$end" ]; do
  sleep 0.2
done
check "the client's writes are acknowledged again" \
  test "$(cat "$T/acks0" "$T/acks1" | wc -l)" -gt $((a_back + 20))
for i in 0 1 2; do
  st=$(js "${U[$i]}/v1/status" "d['cluster']['connected']")
  end=$(($(now_ms) + 15000))
  while [ "$st" != True ] && [ "$(now_ms)" -lt "$end" ]; do
    sleep 0.2
    st=$(js "${U[$i]}/v1/status" "d['cluster']['connected']")
  done
  check "peer $((i + 1)) status shows the ordering service available again" test "$st" = True
done
check "peer 1's metric suyuan_etcd_connected is 1" test "$(metric "${U[0]}" suyuan_etcd_connected)" = 1

# The client ends by itself (bounded by -d and --timeout).
end=$(($(now_ms) + 60000))
while [ "$(now_ms)" -lt "$end" ]; do
  kill -0 "$LG0" 2>/dev/null || kill -0 "$LG1" 2>/dev/null || break
  sleep 0.2
done
wait "$LG0" 2>/dev/null
wait "$LG1" 2>/dev/null
cat "$T/acks0" "$T/acks1" >"$T/acks"
acked=$(wc -l <"$T/acks")
for i in 0 1; do
  echo "# client $i: $(cat "$T/load$i" | tail -1 | cut -c1-400)"
done
read -r s202 s503 < <(python3 - "$T/load0" "$T/load1" <<'EOF'
import json, sys
a = b = 0
for f in sys.argv[1:]:
    d = json.loads(open(f).read().strip().splitlines()[-1])
    a += d["responses"]["202"]
    b += d.get("responses", {}).get("503", 0)
print(a, b)
EOF
)
check "the client saw no 202 'pending' (each write committed or refused)" test "${s202:-x}" = 0
check "the client saw 503s while the quorum was lost ($s503)" test "${s503:-0}" -gt 0
check "the client's acknowledged writes ($acked)" test "$acked" -gt 20
check "every peer at the same height, tip hash and results hash" same_tips "${U[@]}"
for i in 0 1 2; do
  if "$SY_BIN/sy_loadgen" --node "${U[$i]}" --check "$T/acks" -c 8 >"$T/check$i" 2>&1; then
    ok "peer $((i + 1)) holds all $acked acknowledged transactions"
  else
    no "peer $((i + 1)) misses acknowledged transactions"
    tail -3 "$T/check$i"
  fi
done
check "cluster down" "$S" cluster down --dir "$C"
kill -TERM "$E3B" 2>/dev/null
wait "$E3B" 2>/dev/null
for d in "$C/peer1" "$C/peer2" "$C/peer3"; do
  out=$("$S" verify --data "$d" 2>&1)
  check "verify --data $(basename "$d"): $(echo "$out" | tail -1)" test $? -eq 0
done
finish
