#!/usr/bin/env bash
# Records the demo tea supply chain on a running node (scripts/demo.sh and the
# resolver/browser tests use it): two more organisations (logistics, retail)
# with their members, then the EPCIS 2.0 events of scripts/demo_events.sh,
# each signed by the member who would record it.
#   demo_load.sh BIN DATA
# BIN: build directory with `suyuan`; DATA: the node directory made by
# `suyuan init --org tea-coop` (its keys/admin.key is tea-coop's admin).
# Needs SUYUAN_NODE, SUYUAN_PASSPHRASE (and SUYUAN_KDF=fast for speed).
# Prints nothing on success; on failure the failing command's output.
set -euo pipefail
BIN=${1:?usage: demo_load.sh BIN DATA}
DATA=${2:?usage: demo_load.sh BIN DATA}
HERE=$(cd "$(dirname "$0")" && pwd)
K=$DATA/keys
EV=$DATA/demo-events
LOG=$DATA/demo-load.log
: >"$LOG"
cli() {
  if ! "$BIN/suyuan" "$@" >>"$LOG" 2>&1; then
    echo "demo: failed: suyuan $*" >&2
    tail -5 "$LOG" >&2
    exit 1
  fi
}
# keygen WHO: a key file (once); prints its public key.
keygen() {
  if [ ! -f "$K/$1.key" ]; then
    "$BIN/suyuan" --json keygen --out "$K/$1.key" >"$K/$1.pub.json" 2>>"$LOG"
  fi
  sed -n 's/.*"public_key":[^"]*"\([0-9a-f]*\)".*/\1/p' "$K/$1.pub.json"
}
mkdir -p "$K"
for who in picker inspector auditor logi-admin logi-rec shop-admin shop-rec; do keygen "$who" >/dev/null; done

# Organisations besides the founding one (SPEC M1: the system manager adds them).
cli tx submit --key "$K/admin.key" --type org.add --payload \
  "{\"id\":\"hz-logistics\",\"name\":\"Hangzhou Cold-Chain Logistics\",\"admins\":[{\"name\":\"admin\",\"public_key\":\"$(keygen logi-admin)\"}],\"contact\":{\"tel\":\"+86 571 8600 0000\"}}"
cli tx submit --key "$K/admin.key" --type org.add --payload \
  "{\"id\":\"lianhua-market\",\"name\":\"Lianhua Supermarket (Hangzhou Wulin)\",\"admins\":[{\"name\":\"admin\",\"public_key\":\"$(keygen shop-admin)\"}]}"
# The brand's query channels, printed on its labels (SPEC C3).
cli tx submit --key "$K/admin.key" --type org.contact --payload \
  '{"org":"tea-coop","tel":"+86 571 8888 0000","sms":"106 9000 1234","web":"https://tea-coop.example.cn"}'

cli member add --key "$K/admin.key" --org tea-coop --member-key "$K/picker.key" \
  --roles recorder --name "Li Wei (recorder)"
cli member add --key "$K/admin.key" --org tea-coop --member-key "$K/inspector.key" \
  --roles inspector --name "Chen Jing (QA inspector)"
cli member add --key "$K/admin.key" --org tea-coop --member-key "$K/auditor.key" \
  --roles auditor --name "Wang Fang (auditor)"
cli member add --key "$K/logi-admin.key" --org hz-logistics --member-key "$K/logi-rec.key" \
  --roles recorder --name "Zhao Lei (dispatcher)"
cli member add --key "$K/shop-admin.key" --org lianhua-market --member-key "$K/shop-rec.key" \
  --roles recorder --name "Sun Mei (store clerk)"

bash "$HERE/demo_events.sh" "$EV"
for f in "$EV"/*.json; do
  case $(basename "$f") in
    *-coop-*) key=picker ;;
    *-qa-*) key=inspector ;;
    *-logi-*) key=logi-rec ;;
    *-shop-*) key=shop-rec ;;
    *) continue ;;
  esac
  cli capture --key "$K/$key.key" "$f"
done
