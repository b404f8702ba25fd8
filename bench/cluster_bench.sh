#!/usr/bin/env bash
# Cluster throughput benchmark (issue #4): committed signed tx/s and commit
# latency p50/p99 for 3 peers + 3 etcd members on this machine, with a
# solo node measured in the same run as the baseline. See bench/README.md.
#
#   bench/cluster_bench.sh [BUILD_DIR]
#
# Environment (defaults in brackets):
#   RUNS=3           alternating solo / cluster runs; medians are reported
#   CONNS=192        client connections (spread over the 3 peers in cluster mode)
#   TXS=30000        transactions per run
#   PEER_ARGS=""     extra suyuand arguments for every peer and the solo node
#                    (e.g. "--batch-ms 5 --block-txs 4096")
#   SOLO=1           0: skip the solo baseline
#   KEEP=0           1: keep the working directory
# Every acknowledgement is a 200 from POST /v1/tx?wait=commit: ordered by etcd
# (a quorum fsynced it) and applied and fsynced by the peer that answered.
# After each cluster run the three peers must reach the same tip and
# results hash (every peer applied and verified every transaction).
set -euo pipefail
B=$(cd "${1:-build}" && pwd)
RUNS=${RUNS:-3}
CONNS=${CONNS:-192}
TXS=${TXS:-30000}
PEER_ARGS=${PEER_ARGS:-}
SOLO=${SOLO:-1}
export SUYUAN_PASSPHRASE=${SUYUAN_PASSPHRASE:-bench-pass} SUYUAN_KDF=fast
W=$(mktemp -d "${TMPDIR:-/tmp}/cluster_bench.XXXXXX")
PIDS=()
CLUSTERS=()
cleanup() {
  set +e # processes already gone must not fail the run or skip the rm
  for c in "${CLUSTERS[@]:-}"; do
    [ -n "$c" ] && [ -f "$c/cluster.json" ] && "$B/suyuan" cluster down --dir "$c" >/dev/null 2>&1
  done
  for p in "${PIDS[@]:-}"; do [ -n "$p" ] && kill "$p" 2>/dev/null; done
  [ "${KEEP:-0}" = 1 ] || rm -rf "$W"
}
trap cleanup EXIT
# The load generator opens all its connections from 127.0.0.1: lift the
# per-address limit (default 128) for the benchmark.
PEER_ARGS="--per-ip-connections 0 $PEER_ARGS"
read -r -a PA <<<"$PEER_ARGS"

# cpu PID...: user+system CPU seconds of these processes so far.
cpu() {
  local t=0 p
  for p in "$@"; do
    [ -r "/proc/$p/stat" ] || continue
    t=$((t + $(awk '{ sub(/^.*\) /, ""); print $12 + $13 }' "/proc/$p/stat")))
  done
  python3 -c "print($t / $(getconf CLK_TCK))"
}

js() { curl -s --max-time 5 "$1" | python3 -c "import json,sys; d=json.load(sys.stdin); print($2)"; }

solo_run() {
  local d=$W/solo$1
  "$B/suyuan" init --chain bench --org org1 --dir "$d" >/dev/null
  "$B/suyuand" --data "$d" --listen 127.0.0.1:0 --addr-file "$d/addr" "${PA[@]}" \
    >"$d/node.log" 2>&1 &
  local pid=$!
  PIDS+=("$pid")
  for _ in $(seq 1 100); do [ -s "$d/addr" ] && break; sleep 0.1; done
  local url
  url=$(cat "$d/addr")
  "$B/suyuan" keygen --out "$d/rec.key" >/dev/null
  "$B/suyuan" --node "$url" member add --key "$d/keys/admin.key" --org org1 \
    --member-key "$d/rec.key" --roles recorder >/dev/null
  local c0
  c0=$(cpu "$pid")
  "$B/sy_loadgen" --node "$url" --key "$d/rec.key" -c "$CONNS" -n "$TXS" -q --json \
    >"$W/solo$1.json" || true  # exit 3: some not acknowledged (reported below)
  python3 -c "print($(cpu "$pid") - $c0)" >"$W/solo$1.cpu"
  kill -TERM "$pid"
  wait "$pid" 2>/dev/null || true
}

cluster_run() {
  local c=$W/cluster$1
  CLUSTERS+=("$c")
  SUYUAN_CLUSTER_PEER_ARGS="$PEER_ARGS" "$B/suyuan" cluster up --nodes 3 --dir "$c" >"$W/up$1.out"
  local urls
  mapfile -t U < <(grep '^http://' "$W/up$1.out")
  urls=$(IFS=,; echo "${U[*]}")
  "$B/suyuan" keygen --out "$c/rec.key" >/dev/null
  "$B/suyuan" --node "${U[0]}" member add --key "$c/keys/admin.key" --org dev \
    --member-key "$c/rec.key" --roles recorder >/dev/null
  sleep 1
  local peers etcds p0 e0
  peers=$(python3 -c "import json; print(' '.join(str(p['pid']) for p in json.load(open('$c/cluster.json'))['peers']))")
  etcds=$(python3 -c "import json; print(' '.join(str(p['pid']) for p in json.load(open('$c/cluster.json'))['etcd']))")
  # shellcheck disable=SC2086
  p0=$(cpu $peers)
  # shellcheck disable=SC2086
  e0=$(cpu $etcds)
  "$B/sy_loadgen" --node "$urls" --key "$c/rec.key" -c "$CONNS" -n "$TXS" -q --json \
    >"$W/cluster$1.json" || true
  # shellcheck disable=SC2086
  echo "$(python3 -c "print($(cpu $peers) - $p0)") $(python3 -c "print($(cpu $etcds) - $e0)")" \
    >"$W/cluster$1.cpu"
  # Every peer must apply every block: same tip and results hash (60 s at most).
  local same=0 t0 t1 t2
  for _ in $(seq 1 300); do
    t0=$(js "${U[0]}/v1/status" "d['height'], d['tip_hash'], d['results_hash']")
    t1=$(js "${U[1]}/v1/status" "d['height'], d['tip_hash'], d['results_hash']")
    t2=$(js "${U[2]}/v1/status" "d['height'], d['tip_hash'], d['results_hash']")
    if [ "$t0" = "$t1" ] && [ "$t1" = "$t2" ]; then same=1; break; fi
    sleep 0.2
  done
  echo "$same $(js "${U[0]}/v1/status" "d['height']")" >"$W/cluster$1.same"
  "$B/suyuan" cluster down --dir "$c" >/dev/null
}

echo "cluster_bench: $(date -u +%FT%TZ), $(nproc) CPUs, load $(cut -d' ' -f1-3 /proc/loadavg)," \
  "CONNS=$CONNS TXS=$TXS RUNS=$RUNS PEER_ARGS='$PEER_ARGS'"
for r in $(seq 1 "$RUNS"); do
  if [ "$SOLO" = 1 ]; then
    solo_run "$r"
    python3 -c "import json; d=json.load(open('$W/solo$r.json')); l=d['latency_ms']; c=float(open('$W/solo$r.cpu').read()); print('run $r solo    %8.0f tx/s  p50 %7.1f ms  p99 %7.1f ms  acked %d/%d  node CPU %.0f us/tx' % (d['tx_per_s'], l['p50'], l['p99'], d['acked'], d['sent'], c / max(d['acked'], 1) * 1e6))"
  fi
  cluster_run "$r"
  python3 -c "import json; d=json.load(open('$W/cluster$r.json')); l=d['latency_ms']; s=open('$W/cluster$r.same').read().split(); c=[float(x) for x in open('$W/cluster$r.cpu').read().split()]; a=max(d['acked'], 1); print('run $r cluster %8.0f tx/s  p50 %7.1f ms  p99 %7.1f ms  acked %d/%d  peers agree: %s (height %s)  CPU us/tx: peers %.0f etcd %.0f' % (d['tx_per_s'], l['p50'], l['p99'], d['acked'], d['sent'], 'yes' if s[0]=='1' else 'NO', s[1], c[0] / a * 1e6, c[1] / a * 1e6))"
done
python3 - "$W" "$RUNS" "$SOLO" <<'EOF'
import json, statistics, sys
w, runs, solo = sys.argv[1], int(sys.argv[2]), sys.argv[3] == "1"
def load(kind):
    return [json.load(open(f"{w}/{kind}{r}.json")) for r in range(1, runs + 1)]
def med(ds, f):
    return statistics.median(f(d) for d in ds)
c = load("cluster")
ct, cp50, cp99 = med(c, lambda d: d["tx_per_s"]), med(c, lambda d: d["latency_ms"]["p50"]), med(c, lambda d: d["latency_ms"]["p99"])
print(f"median cluster: {ct:.0f} tx/s, p50 {cp50:.1f} ms, p99 {cp99:.1f} ms")
if solo:
    s = load("solo")
    st, sp50, sp99 = med(s, lambda d: d["tx_per_s"]), med(s, lambda d: d["latency_ms"]["p50"]), med(s, lambda d: d["latency_ms"]["p99"])
    print(f"median solo:    {st:.0f} tx/s, p50 {sp50:.1f} ms, p99 {sp99:.1f} ms")
    print(f"cluster / solo: throughput {ct / st:.2f}x, p99 {cp99 / sp99:.2f}x")
bad = [d for d in c if d["acked"] != d["sent"]]
if bad:
    print(f"WARNING: {len(bad)} cluster run(s) with unacknowledged transactions")
EOF
