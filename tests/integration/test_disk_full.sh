#!/usr/bin/env bash
# Fault injection, a full disk (SPEC M6, issue #6 §3): the ledger lives on a
# small tmpfs; a write load fills it. The node must answer 507 with problem
# details, keep serving reads, lose no acknowledged transaction, and recover
# by itself once space returns; verify passes afterwards. Needs root (mount);
# exits 77 (skipped, not passed) where tmpfs cannot be mounted.
. "$(dirname "$0")/lib.bash"
S="$SY_BIN/suyuan"
M=$T/small
mkdir -p "$M"
if ! mount -t tmpfs -o size=6m,mode=0700 tmpfs "$M" 2>/dev/null; then
  echo "cannot mount a tmpfs here (not root?): skipped"
  exit 77
fi
umount_small() { umount "$M" 2>/dev/null || umount -l "$M" 2>/dev/null; }
trap 'umount_small; cleanup' EXIT
D=$M/chain
"$S" init --chain full --org org1 --dir "$D" >/dev/null || { no "init"; finish; }
"$S" keygen --out "$T/rec.key" >/dev/null
start_node "$D" || { no "node start"; finish; }
"$S" member add --key "$D/keys/admin.key" --org org1 --member-key "$T/rec.key" --roles recorder >/dev/null
check "recorder added" test $? -eq 0

"$SY_BIN/sy_loadgen" --node "$NODE" --key "$T/rec.key" -c 8 -n 40000 --retries 0 \
  --ack-log "$T/acks" --json -q >"$T/load.json" 2>"$T/load.err"
acked=$(wc -l <"$T/acks")
check "some writes acknowledged before the disk filled ($acked)" test "$acked" -gt 0
check "the disk did fill: some writes were refused" grep -q '"5xx":[1-9]' "$T/load.json"
check "the node is still alive" kill -0 "$NODE_PID"

code=$(curl -s -o "$T/p.json" -w '%{http_code}' -X POST -H 'Content-Type: application/octet-stream' \
  --data-binary @/dev/null "$NODE/v1/tx?wait=commit")
check "reads and admission still answer (empty body -> $code)" test "$code" = 400
"$S" tx submit --key "$T/rec.key" --type record --payload '{"while":"full"}' >"$T/full.out" 2>&1
rc=$?
check "a write while full is refused with exit 5 (got $rc)" test "$rc" -eq 5
check "... and says why" grep -qiE "storage|space|507" "$T/full.out"
hc=$(curl -s -o /dev/null -w '%{http_code}' "$NODE/health")
check "/health says degraded (HTTP $hc)" test "$hc" = 503

mount -o remount,size=64m "$M"
"$S" tx submit --key "$T/rec.key" --type record --payload '{"after":"space returned"}' >/dev/null
check "writes succeed again once space returns" test $? -eq 0
hc=$(curl -s -o /dev/null -w '%{http_code}' "$NODE/health")
check "/health is ok again (HTTP $hc)" test "$hc" = 200
"$SY_BIN/sy_loadgen" --node "$NODE" --check "$T/acks" >"$T/check.out" 2>&1
check "all $acked acknowledged transactions are present" test $? -eq 0
stop_node
"$S" verify --data "$D"
check "verify passes" test $? -eq 0
finish
