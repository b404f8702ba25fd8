#!/usr/bin/env bash
# make demo: one node on the embedded default (solo ordering, SQLite), with a
# small tea supply chain recorded on it. Runs in the foreground until Ctrl-C;
# running it again reuses ./demo-data.
set -euo pipefail
BUILD=${1:-build}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
case "$BUILD" in /*) BIN="$BUILD" ;; *) BIN="$ROOT/$BUILD" ;; esac
DATA=${SUYUAN_DEMO_DIR:-"$ROOT/demo-data"}
PORT=${PORT:-7420}
NODE="http://127.0.0.1:$PORT"
# Demo only: a fixed passphrase and the fast key-derivation setting. Real
# deployments supply the passphrase through --passphrase-file or a prompt.
export SUYUAN_PASSPHRASE=${SUYUAN_PASSPHRASE:-suyuan-demo}
export SUYUAN_KDF=${SUYUAN_KDF:-fast}
export SUYUAN_NODE="$NODE"
cli() { "$BIN/suyuan" "$@"; }

if [ ! -f "$DATA/genesis.json" ]; then
  echo "demo: creating chain 'demo' for organisation 'tea-coop' in $DATA"
  cli init --chain demo --org tea-coop --org-name "West Lake Tea Cooperative" \
    --dir "$DATA" --listen "127.0.0.1:$PORT" >/dev/null
fi

if curl -fsS "$NODE/health" >/dev/null 2>&1; then
  echo "demo: something already answers on $NODE; stop it or run PORT=NNNN make demo" >&2
  exit 1
fi

"$BIN/suyuand" --data "$DATA" --listen "127.0.0.1:$PORT" 2>>"$DATA/suyuand.log" &
NODE_PID=$!
trap 'kill -TERM $NODE_PID 2>/dev/null; wait $NODE_PID 2>/dev/null; echo; echo "demo: node stopped; data kept in $DATA"' EXIT
trap 'exit 0' INT TERM
for _ in $(seq 1 100); do
  curl -fsS "$NODE/health" >/dev/null 2>&1 && break
  kill -0 $NODE_PID 2>/dev/null || { echo "demo: suyuand exited; see $DATA/suyuand.log" >&2; exit 1; }
  sleep 0.1
done

if [ ! -f "$DATA/.demo-loaded" ]; then
  echo "demo: recording a product's life (SPEC Annex A) ..."
  K="$DATA/keys"
  for who in picker inspector auditor; do
    [ -f "$K/$who.key" ] || cli keygen --out "$K/$who.key" >/dev/null
  done
  cli member add --key "$K/admin.key" --org tea-coop --member-key "$K/picker.key" \
    --roles recorder --name "Li Wei (recorder)" >/dev/null
  cli member add --key "$K/admin.key" --org tea-coop --member-key "$K/inspector.key" \
    --roles inspector --name "Chen Jing (QA inspector)" >/dev/null
  cli member add --key "$K/admin.key" --org tea-coop --member-key "$K/auditor.key" \
    --roles auditor --name "Wang Fang (auditor)" >/dev/null
  rec() { cli tx submit --key "$K/$1" --type record --payload "$2" >/dev/null; }
  rec picker.key '{"eventType":"ObjectEvent","action":"ADD","bizStep":"commissioning","epcList":["urn:epc:id:sgtin:6901234.000001.L2026-001"],"bizLocation":"urn:epc:id:sgln:6901234.00001.0","class":"basic","note":"fresh leaves picked, lot L2026-001"}'
  rec picker.key '{"eventType":"TransformationEvent","bizStep":"commissioning","inputEPCList":["urn:epc:id:sgtin:6901234.000001.L2026-001"],"outputEPCList":["urn:epc:id:sgtin:6901234.000002.B2026-07"],"bizLocation":"urn:epc:id:sgln:6901234.00002.0","class":"basic","note":"pan-fired into batch B2026-07"}'
  rec inspector.key '{"eventType":"ObjectEvent","action":"OBSERVE","bizStep":"inspecting","disposition":"conformant","epcList":["urn:epc:id:sgtin:6901234.000002.B2026-07"],"class":"quality_safety","result":{"pesticide_residue":"not detected","moisture_pct":5.8}}'
  rec picker.key '{"eventType":"ObjectEvent","action":"OBSERVE","bizStep":"shipping","disposition":"in_transit","epcList":["urn:epc:id:sgtin:6901234.000002.B2026-07"],"destination":"urn:epc:id:sgln:6909999.00001.0","class":"basic"}'
  # What refusal looks like: an auditor may read but not record (SPEC M1).
  cli tx submit --key "$K/auditor.key" --type record --payload '{"note":"auditors cannot write"}' >/dev/null 2>&1 || true
  touch "$DATA/.demo-loaded"
fi

cat <<MSG

  Suyuan node running: $NODE

  Look at:   $NODE/v1/status        chain, height, members
             $NODE/v1/blocks/latest the newest block, its transactions and seal
             $NODE/health           liveness
  CLI:       $BIN/suyuan --node $NODE block show 1
             $BIN/suyuan verify --data $DATA      (after stopping the node)
  Data:      $DATA   (log: $DATA/suyuand.log)

  Ctrl-C stops the node; 'make demo' again reuses the data.
MSG
wait $NODE_PID
