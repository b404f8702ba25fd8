#!/usr/bin/env bash
# Tamper evidence on a real node's files (issue #2 §10, SPEC G2): after a
# node recorded some blocks, each edit of its SQLite file — one byte of a
# transaction, a deleted block row, two blocks swapped — is caught by
# `suyuan verify --data` (exit 1, the height named) and by GET /v1/verify.
. "$(dirname "$0")/lib.bash"
S="$SY_BIN/suyuan"
D=$T/chain
command -v sqlite3 >/dev/null || { no "sqlite3 command missing (scripts/deps.sh installs it)"; finish; }
"$S" init --chain tamper --org org1 --dir "$D" >/dev/null || { no "init"; finish; }
"$S" keygen --out "$T/rec.key" >/dev/null
start_node "$D" --batch-ms 0 || { no "node start"; finish; }
"$S" member add --key "$D/keys/admin.key" --org org1 --member-key "$T/rec.key" --roles recorder >/dev/null
for i in 1 2 3 4 5 6; do
  "$S" tx submit --key "$T/rec.key" --type record --payload "{\"step\":$i}" >/dev/null
done
h=$(curl -fsS "$NODE/v1/status" | grep -o '"height":[0-9]*' | cut -d: -f2)
check "node recorded blocks (height $h)" test "${h:-0}" -ge 5
check "online verify is ok" sh -c "curl -fsS '$NODE/v1/verify' | grep -q '\"ok\":true'"
stop_node
check "offline verify of the untouched files passes" "$S" verify --data "$D"

tamper() { # tamper LABEL HEIGHT SQL
  local label=$1 height=$2 sql=$3
  rm -rf "$T/copy" && cp -r "$D" "$T/copy"
  sqlite3 "$T/copy/ledger.db" "$sql" || { no "$label: sql failed"; return; }
  local out rc
  out=$("$S" verify --data "$T/copy" 2>&1)
  rc=$?
  check "$label: verify fails (exit $rc)" test "$rc" -eq 1
  check "$label: names height $height: $out" sh -c "printf '%s' \"\$1\" | grep -q \"height $height\"" _ "$out"
}
tamper "one byte of a stored transaction" 3 \
  "UPDATE txs SET raw = substr(raw,1,40) || x'00' || substr(raw,42) WHERE height=3"
tamper "a block row deleted" 4 "DELETE FROM blocks WHERE height=4"
tamper "two blocks swapped" 2 \
  "UPDATE blocks SET height=-1 WHERE height=2; UPDATE blocks SET height=2 WHERE height=5; UPDATE blocks SET height=5 WHERE height=-1"

# Online: the live node's own verify sees an edit made under it.
rm -rf "$T/live" && cp -r "$D" "$T/live"
start_node "$T/live" || { no "restart"; finish; }
sqlite3 "$T/live/ledger.db" "UPDATE txs SET raw = substr(raw,1,40) || x'00' || substr(raw,42) WHERE height=3"
v=$(curl -fsS "$NODE/v1/verify")
check "GET /v1/verify reports the edit: $v" sh -c "printf '%s' \"\$1\" | grep -q '\"ok\":false' && printf '%s' \"\$1\" | grep -q '\"bad_height\":3'" _ "$v"
stop_node
finish
