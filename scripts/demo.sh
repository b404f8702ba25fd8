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

PRODUCT_PATH=/01/06901234000023/10/B2026-07/21/0001
if [ ! -f "$DATA/.demo-loaded" ]; then
  echo "demo: recording a product's life (SPEC Annex A) as GS1 EPCIS 2.0 events ..."
  bash "$ROOT/scripts/demo_load.sh" "$BIN" "$DATA"
  K="$DATA/keys"
  # What refusal looks like: an auditor may read but not record (SPEC M1).
  cli tx submit --key "$K/auditor.key" --type record --payload '{"note":"auditors cannot write"}' >/dev/null 2>&1 || true
  touch "$DATA/.demo-loaded"
fi

# A label for the demo tin (SPEC I7, C3): the QR holds the Digital Link.
LABEL_MSG="(label: 'suyuan label' is not available in this build)"
if [ -s "$DATA/label-0001.png" ] ||
  { "$BIN/suyuan" label "$PRODUCT_PATH" --format png --out "$DATA/label-0001.png" \
    >>"$DATA/label.log" 2>&1 && [ -s "$DATA/label-0001.png" ]; }; then
  LABEL_MSG="$DATA/label-0001.png"
fi

cat <<MSG

  Suyuan node running: $NODE

  Product:   $NODE$PRODUCT_PATH
             (the consumer's trace page of one tin of West Lake Longjing; open it
             in a browser: its events are verified in the page itself)
  Label:     $LABEL_MSG

  Look at:   $NODE/v1/status        chain, height, members
             $NODE/v1/blocks/latest the newest block, its transactions and seal
             $NODE/health           liveness
  CLI:       $BIN/suyuan --node $NODE block show 1
             $BIN/suyuan verify --data $DATA      (after stopping the node)
  Data:      $DATA   (log: $DATA/suyuand.log)

  Ctrl-C stops the node; 'make demo' again reuses the data.
MSG
wait $NODE_PID
