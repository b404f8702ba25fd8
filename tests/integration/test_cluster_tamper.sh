#!/usr/bin/env bash
# Tampering with one peer's database (issue #4 acceptance; SPEC G2, M5a):
# 3 etcd members and 3 peers from `suyuan cluster up`. Peer 3 is killed
# (SIGKILL, by PID) and its SQLite database edited behind its back:
#   - a stored transaction byte (in a copy of its data directory):
#     `suyuan verify --data` fails and names that block's height;
#   - a state row that decides later validity (the recorder's roles):
#     `suyuan verify --data` fails, naming the state table and the height;
# peer 3 is restarted on the edited database and new blocks are ordered:
#   - it judges the recorder's transactions differently, so its results
#     hash differs from the others'; the attestations show it;
#   - peer 3 raises self_diverged (status, an ALARM log line, metric 2) and
#     refuses writes with 503 "diverged";
#   - peers 1 and 2 raise peer_diverged (metric 1), mark peer 3 diverged,
#     keep accepting writes and keep agreeing with each other.
# Every wait is bounded by time (the ASan build runs this too).
. "$(dirname "$0")/lib.bash"
command -v etcd >/dev/null || { echo "etcd is not installed: skipped"; exit 77; }
command -v python3 >/dev/null || { echo "python3 is not installed: skipped"; exit 77; }
S="$SY_BIN/suyuan"
C=$T/cluster

down() { [ -f "$C/cluster.json" ] && "$S" cluster down --dir "$C" >"$T/down.out" 2>&1; }
trap 'down; cleanup' EXIT

. "$(dirname "$0")/cluster.bash"

# wait_for SECONDS URL EXPR WANT: polls /v1/status until EXPR prints WANT.
wait_for() {
  local end=$(($(now_ms) + $1 * 1000)) got
  while :; do
    got=$(js "$2/v1/status" "$3")
    [ "$got" = "$4" ] && return 0
    [ "$(now_ms)" -ge "$end" ] && { echo "  $2: $3 = $got (want $4)"; return 1; }
    sleep 0.2
  done
}

record() { # record URL LOT
  "$S" --node "$1" tx submit --key "$T/rec.key" --type record --payload "{\"lot\":\"$2\"}" \
    >"$T/rec.out" 2>&1
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
"$S" --node "${U[0]}" member add --key "$ADMIN" --org dev --member-key "$T/rec.key" \
  --roles recorder >"$T/member.out" 2>&1
check "recorder registered" grep -q 'roles recorder' "$T/member.out"
RKID=$(sed -n 's/^member: *\([0-9a-f]\{32\}\).*/\1/p' "$T/member.out")
check "the recorder's key id is known ($RKID)" test ${#RKID} -eq 32
n=0
for i in 1 2 3 4; do record "${U[$((i % 2))]}" "before-$i" && n=$((n + 1)); done
check "4 records committed before the tamper" test "$n" -eq 4
check "all 3 peers agree" same_tips "${U[@]}"
H1=$(js "${U[0]}/v1/status" "d['height']")
# the block of the first record, for the byte tamper
TXH=$(( H1 - 3 ))

P3=$C/peer3
P3_PID=$(cj "d['peers'][2]['pid']")
read -r -a P3_ARGV <<<"$(cj "' '.join(d['peers'][2]['argv'])")"
check "peer 3's data verifies before the tamper" "$S" verify --data "$P3"
kill -9 "$P3_PID"
for _ in $(seq 1 50); do kill -0 "$P3_PID" 2>/dev/null || break; sleep 0.1; done

# ---- a stored transaction byte (a copy of peer 3's directory) ------------------------------
cp -a "$P3" "$T/p3copy"
python3 - "$T/p3copy/ledger.db" "$TXH" <<'EOF'
import sqlite3, sys
db = sqlite3.connect(sys.argv[1])
h = int(sys.argv[2])
seq, raw = db.execute("SELECT seq, raw FROM txs WHERE height = ? ORDER BY seq LIMIT 1", (h,)).fetchone()
raw = bytearray(raw)
raw[len(raw) // 2] ^= 0x01  # inside the payload
db.execute("UPDATE txs SET raw = ? WHERE seq = ?", (bytes(raw), seq))
db.commit()
EOF
out=$("$S" verify --data "$T/p3copy" 2>&1)
vrc=$?
echo "# $out"
check "verify --data finds the edited transaction byte (exit $vrc)" test "$vrc" -ne 0
check "and names its block's height $TXH" grep -q "FAILED at height $TXH:" <<<"$out"

# ---- a state row: the recorder loses its role on peer 3 only --------------------------------
sql() { python3 -c 'import sqlite3, sys
db = sqlite3.connect(sys.argv[1])
for r in db.execute(sys.argv[2]): print(*r)
db.commit()' "$@"; }
sql "$P3/ledger.db" "UPDATE members SET roles = 0 WHERE lower(hex(key_id)) = '$RKID'"
check "the members row was edited" test "$(sql "$P3/ledger.db" \
  "SELECT roles FROM members WHERE lower(hex(key_id)) = '$RKID'")" = 0
out=$("$S" verify --data "$P3" 2>&1)
vrc=$?
echo "# $out"
check "verify --data finds the edited state table (exit $vrc)" test "$vrc" -ne 0
check "and names the table and the height $H1" \
  grep -q "FAILED at height $H1: state table 'members' differs" <<<"$out"

# ---- peer 3 comes back on the edited database ------------------------------------------------
rm -f "$P3/addr"
"${P3_ARGV[@]}" >>"$P3/suyuand.log" 2>&1 &
P3B=$!
PIDS+=("$P3B")
for _ in $(seq 1 200); do [ -s "$P3/addr" ] && break; sleep 0.1; done
check "peer 3 restarted" test -s "$P3/addr"
n=0
for i in 1 2 3 4; do
  if record "${U[$((i % 2))]}" "after-$i" && grep -q 'reason: *valid' "$T/rec.out"; then
    n=$((n + 1))
  else
    echo "# after-$i via ${U[$((i % 2))]}: $(tr '\n' ' ' <"$T/rec.out")"
  fi
done
check "records through peers 1 and 2 stay valid ($n of 4)" test "$n" -eq 4

check "peer 3 raises self_diverged" wait_for 30 "${U[2]}" "d['cluster']['alarm']" self_diverged
check "its status says it refuses writes" wait_for 5 "${U[2]}" \
  "d['cluster']['accepting_writes']" False
check "peer 3 logs the alarm" grep -q 'ALARM: ' "$P3/suyuand.log"
check "peer 3's metric suyuan_consensus_alarm is 2" test "$(metric "${U[2]}" suyuan_consensus_alarm)" = 2
"$S" --node "${U[0]}" tx sign --key "$T/rec.key" --type record --payload '{"lot":"refused"}' \
  --out "$T/refused.tx" >/dev/null
code=$(curl -s -o "$T/refused.json" -w '%{http_code}' --max-time 30 \
  -H 'Content-Type: application/octet-stream' --data-binary @"$T/refused.tx" \
  "${U[2]}/v1/tx?wait=commit")
check "a write through peer 3 gets 503 ($code)" test "$code" = 503
check "as problem details of type diverged" test "$(python3 -c \
  "import json; d=json.load(open('$T/refused.json')); print(d['type'].rsplit(':',1)[-1], d['status'])" \
  2>/dev/null)" = "diverged 503"

for i in 0 1; do
  check "peer $((i + 1)) raises peer_diverged" wait_for 30 "${U[$i]}" "d['cluster']['alarm']" \
    peer_diverged
  check "peer $((i + 1)) marks peer 3 diverged" wait_for 10 "${U[$i]}" \
    "[p['diverged'] for p in d['cluster']['peers'] if p['node'] == '$(cj "d['peers'][2]['node_key_id']")']" \
    "[True]"
  check "peer $((i + 1)) metric suyuan_consensus_alarm is 1" \
    test "$(metric "${U[$i]}" suyuan_consensus_alarm)" = 1
  check "peer $((i + 1)) still accepts writes" wait_for 5 "${U[$i]}" \
    "d['cluster']['accepting_writes']" True
done
check "peer 1 logs the alarm" grep -q 'ALARM: ' "$C/peer1/suyuand.log"
check "a write through peer 1 is still committed valid" record "${U[0]}" "majority"
check "peers 1 and 2 agree" same_tips "${U[0]}" "${U[1]}"
t3=$(tipline "${U[2]}")
t1=$(tipline "${U[0]}")
check "peer 3's results hash differs from theirs" test "${t3##* }" != "${t1##* }"

kill -TERM "$P3B" 2>/dev/null
wait "$P3B" 2>/dev/null
check "cluster down" "$S" cluster down --dir "$C"
for d in "$C/peer1" "$C/peer2"; do
  out=$("$S" verify --data "$d" 2>&1)
  check "verify --data $(basename "$d"): $(echo "$out" | tail -1)" test $? -eq 0
done
finish
