#!/usr/bin/env bash
# End-to-end test of the `suyuan` CLI against a real `suyuand` (docs/cli.md).
#
# Env (set by ctest): SY_BIN (build dir with suyuan and suyuand), SY_SRC,
# SY_TEST_TMP (scratch space), SUYUAN_KDF=fast (cheap key derivation).
# Walks init -> keys -> members and roles -> every validity outcome and exit
# code -> show/status -> offline verify of the stopped node's ledger.
set -u

SY_SRC=${SY_SRC:-$(cd "$(dirname "$0")/../.." && pwd)}
SY_BIN=${SY_BIN:-$SY_SRC/build}
SY_TEST_TMP=${SY_TEST_TMP:-${TMPDIR:-/tmp}}
export SUYUAN_KDF=${SUYUAN_KDF:-fast}
SUYUAN=$SY_BIN/suyuan
SUYUAND=$SY_BIN/suyuand

mkdir -p "$SY_TEST_TMP"
T=$(mktemp -d "$SY_TEST_TMP/test_cli.XXXXXX")
D=$T/data
PASS="pass-$$-Tea-horse-battery"
export SUYUAN_PASSPHRASE=$PASS
unset SUYUAN_NODE
# The node is on 127.0.0.1: never route it through a proxy from the environment.
export NO_PROXY=127.0.0.1,localhost no_proxy=127.0.0.1,localhost

NODE_PID=
passed=0
failed=0

cleanup() {
  if [ -n "$NODE_PID" ] && kill -0 "$NODE_PID" 2>/dev/null; then
    kill -TERM "$NODE_PID" 2>/dev/null
    for _ in $(seq 50); do kill -0 "$NODE_PID" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$NODE_PID" 2>/dev/null
  fi
  if [ "$failed" -eq 0 ]; then rm -rf "$T"; else echo "kept $T for inspection"; fi
}
trap cleanup EXIT

pass() { passed=$((passed + 1)); echo "ok   $1"; }
fail() { failed=$((failed + 1)); echo "FAIL $1"; }

# run NAME WANT_EXIT CMD... : runs CMD with stdout in $T/out, stderr in $T/err.
run() {
  local name=$1 want=$2
  shift 2
  "$@" >"$T/out" 2>"$T/err"
  local got=$?
  if grep -qF -- "$PASS" "$T/out" "$T/err"; then
    fail "$name: the passphrase appears in the output"
    return
  fi
  if [ "$got" -eq "$want" ]; then
    pass "$name"
  else
    fail "$name: exit $got, want $want"
    sed 's/^/      out: /' "$T/out" | head -20
    sed 's/^/      err: /' "$T/err" | head -20
  fi
}

# expect NAME PATTERN FILE... : an extended regex that must match.
expect() {
  local name=$1 pat=$2
  shift 2
  if grep -qE -- "$pat" "$@"; then pass "$name"; else
    fail "$name: /$pat/ not found"
    cat "$@" | sed 's/^/      | /' | head -20
  fi
}

# jget FILE FILTER : a value from JSON (jq filter syntax, simple paths only).
jget() {
  if command -v jq >/dev/null; then
    jq -r "$2" "$1" 2>/dev/null
  else
    python3 - "$1" "$2" <<'EOF' 2>/dev/null
import json, sys
v = json.load(open(sys.argv[1]))
for part in sys.argv[2].lstrip('.').split('.'):
    if part:
        v = v[part]
print(json.dumps(v) if isinstance(v, (dict, list)) else ("true" if v is True else "false" if v is False else v))
EOF
  fi
}

json_ok() { # FILE: parses as JSON
  if command -v jq >/dev/null; then jq -e . "$1" >/dev/null 2>&1
  else python3 -c 'import json,sys; json.load(open(sys.argv[1]))' "$1" 2>/dev/null; fi
}

flip_last_byte() {
  local f=$1 size b
  size=$(stat -c %s "$f")
  b=$(tail -c 1 "$f" | od -An -tu1 | tr -d ' \n')
  # shellcheck disable=SC2059
  printf "$(printf '\\%03o' $((b ^ 1)))" | dd of="$f" bs=1 seek=$((size - 1)) conv=notrunc status=none
}

for bin in "$SUYUAN" "$SUYUAND"; do
  if [ ! -x "$bin" ]; then
    echo "missing $bin (build it first)"
    echo "0 passed, 1 failed"
    exit 1
  fi
done

# ---- usage and offline commands ------------------------------------------------
run "help exits 0" 0 "$SUYUAN" --help
expect "help lists the exit codes" "committed but recorded invalid" "$T/out"
run "unknown command is a usage error" 2 "$SUYUAN" frobnicate
run "missing options are a usage error" 2 "$SUYUAN" tx submit --type record
run "unknown tx type is a usage error" 2 "$SUYUAN" tx sign --key x --type nope --payload '{}' --out x

run "init creates a chain" 0 "$SUYUAN" init --chain tea-test --org coop --org-name "West Lake Tea" \
  --dir "$D" --listen 127.0.0.1:7420
expect "init names the admin key" "admin.key" "$T/out"
run "init refuses to overwrite" 1 "$SUYUAN" init --chain tea-test --org coop --dir "$D"
expect "init says why it refused" "already exists" "$T/err"

for f in "$D/keys/admin.key" "$D/keys/node.key"; do
  mode=$(stat -c %a "$f")
  if [ "$mode" = 600 ]; then pass "mode 0600: ${f#"$T"/}"; else fail "mode of $f is $mode"; fi
done
for f in "$D" "$D/keys"; do
  mode=$(stat -c %a "$f")
  if [ "$mode" = 700 ]; then pass "mode 0700: ${f#"$T"/}"; else fail "mode of $f is $mode"; fi
done
if json_ok "$D/genesis.json" && [ "$(jget "$D/genesis.json" .chain_id)" = tea-test ]; then
  pass "genesis.json names the chain"
else fail "genesis.json"; fi

# Key files: encrypted, no passphrase, no secret fields, no hex but the
# public key and the ciphertext.
for f in "$D/keys/admin.key" "$D/keys/node.key"; do
  name=${f#"$T"/}
  if grep -qF -- "$PASS" "$f"; then fail "$name contains the passphrase"; else pass "$name: no passphrase"; fi
  if grep -qiE '"[a-z_]*(secret|seed|priv)[a-z_]*"' "$f"; then fail "$name has a secret field"; else
    pass "$name: no secret field"; fi
  pk=$(jget "$f" .public_key)
  ct=$(jget "$f" .ciphertext)
  leaked=0
  while read -r h; do
    [ "$h" = "$pk" ] || [ "$h" = "$ct" ] || leaked=1
  done < <(grep -oiE '[0-9a-f]{64,}' "$f")
  if [ "$leaked" = 0 ] && [ -n "$ct" ]; then pass "$name: only public key and ciphertext"; else
    fail "$name: unexpected long hex (a raw secret?)"; fi
done

SUYUAN_PASSPHRASE=wrong-passphrase run "wrong passphrase fails" 1 \
  "$SUYUAN" tx sign --key "$D/keys/admin.key" --type record --payload '{}' --chain tea-test --out "$T/x.tx"
expect "wrong passphrase is named" "wrong passphrase" "$T/err"
run "no node: exit 5" 5 "$SUYUAN" --node http://127.0.0.1:1 status

# ---- start the node --------------------------------------------------------------
"$SUYUAND" --data "$D" --listen 127.0.0.1:0 --addr-file "$D/addr" >"$T/node.log" 2>&1 &
NODE_PID=$!
for _ in $(seq 100); do
  [ -s "$D/addr" ] && break
  kill -0 "$NODE_PID" 2>/dev/null || break
  sleep 0.1
done
if [ ! -s "$D/addr" ]; then
  fail "suyuand did not write $D/addr within 10 s"
  sed 's/^/      node: /' "$T/node.log" | tail -20
  echo "$passed passed, $failed failed"
  exit 1
fi
addr=$(tr -d ' \r\n' <"$D/addr")
case $addr in http://* | https://*) ;; *) addr=http://$addr ;; esac
export SUYUAN_NODE=$addr
pass "suyuand is up at $addr"

run "status --json" 0 "$SUYUAN" status --json
if json_ok "$T/out" && [ "$(jget "$T/out" .chain_id)" = tea-test ]; then pass "status --json parses"; else
  fail "status --json does not parse or names another chain"; fi
run "status text" 0 "$SUYUAN" status
expect "status text is key: value" "^chain_id: +tea-test" "$T/out"

ADMIN=$D/keys/admin.key
keyid() { jget "$1" .key_id; }

# ---- members and roles -----------------------------------------------------------
run "keygen recorder" 0 "$SUYUAN" keygen --out "$T/rec.key"
expect "keygen prints the key id" "^key id: +[0-9a-f]{32}$" "$T/out"
run "member add recorder" 0 "$SUYUAN" member add --key "$ADMIN" --org coop \
  --member-key "$T/rec.key" --roles recorder --name "Li Wei"

run "record by the recorder" 0 "$SUYUAN" tx submit --json --key "$T/rec.key" --type record \
  --payload '{"lot":"L-001","step":"picking"}'
TX_ID=$(jget "$T/out" .id)
TX_HEIGHT=$(jget "$T/out" .height)
if [ "$(jget "$T/out" .valid)" = true ] && [ ${#TX_ID} = 64 ]; then pass "record is valid"; else
  fail "record result: $(cat "$T/out")"; fi

run "keygen stranger" 0 "$SUYUAN" keygen --out "$T/stranger.key"
run "record by an unknown key: exit 4" 4 "$SUYUAN" tx submit --key "$T/stranger.key" \
  --type record --payload '{"lot":"L-002"}'
expect "reason unknown_signer" "unknown_signer" "$T/out" "$T/err"

run "keygen auditor" 0 "$SUYUAN" keygen --out "$T/aud.key"
run "member add auditor" 0 "$SUYUAN" member add --key "$ADMIN" --org coop \
  --public-key "$(jget "$T/aud.key" .public_key)" --roles auditor
run "record by an auditor: exit 4" 4 "$SUYUAN" tx submit --key "$T/aud.key" --type record \
  --payload '{"lot":"L-003"}'
expect "reason role_denied" "role_denied" "$T/out" "$T/err"

run "keygen other" 0 "$SUYUAN" keygen --out "$T/other.key"
run "recorder adding a member: exit 4" 4 "$SUYUAN" member add --key "$T/rec.key" --org coop \
  --member-key "$T/other.key" --roles recorder
expect "reason role_denied (governance)" "role_denied" "$T/out" "$T/err"

run "member revoke recorder" 0 "$SUYUAN" member revoke --key "$ADMIN" "$(keyid "$T/rec.key")"
run "record by a revoked key: exit 4" 4 "$SUYUAN" tx submit --key "$T/rec.key" --type record \
  --payload '{"lot":"L-004"}'
expect "reason revoked_signer" "revoked_signer" "$T/out" "$T/err"

run "member list" 0 "$SUYUAN" member list --org coop
expect "member list shows the revoked recorder" "^$(keyid "$T/rec.key") +coop +recorder +revoked" "$T/out"
run "member list --json" 0 "$SUYUAN" member list --json
if json_ok "$T/out"; then pass "member list --json parses"; else fail "member list --json"; fi

# ---- rejections by the node --------------------------------------------------------
run "keygen recorder 2" 0 "$SUYUAN" keygen --out "$T/rec2.key"
run "member add recorder 2" 0 "$SUYUAN" member add --key "$ADMIN" --org coop \
  --member-key "$T/rec2.key" --roles recorder,inspector

run "sign for another chain" 0 "$SUYUAN" tx sign --key "$T/rec2.key" --type record \
  --payload '{"lot":"L-005"}' --chain other --out "$T/wrong-chain.tx"
run "wrong chain: exit 3" 3 "$SUYUAN" tx send "$T/wrong-chain.tx"
expect "problem wrong-chain" "wrong-chain" "$T/err"

run "sign nonce 7 (a)" 0 "$SUYUAN" tx sign --key "$T/rec2.key" --type record \
  --payload '{"lot":"L-006"}' --nonce 7 --out "$T/n7a.tx"
run "sign nonce 7 (b)" 0 "$SUYUAN" tx sign --key "$T/rec2.key" --type record \
  --payload '{"lot":"L-007"}' --nonce 7 --out "$T/n7b.tx"
run "send nonce 7 (a)" 0 "$SUYUAN" tx send "$T/n7a.tx"
run "replayed nonce: exit 4" 4 "$SUYUAN" tx send "$T/n7b.tx"
expect "reason replayed_nonce" "replayed_nonce" "$T/out" "$T/err"

run "sign once" 0 "$SUYUAN" tx sign --key "$T/rec2.key" --type record \
  --payload '{"lot":"L-008"}' --out "$T/dup.tx"
run "send once" 0 "$SUYUAN" tx send "$T/dup.tx"
run "same file again: exit 3" 3 "$SUYUAN" tx send "$T/dup.tx"
expect "problem duplicate-tx" "duplicate-tx|409" "$T/err"

run "sign to tamper" 0 "$SUYUAN" tx sign --key "$T/rec2.key" --type record \
  --payload '{"lot":"L-009"}' --out "$T/bad-sig.tx"
flip_last_byte "$T/bad-sig.tx"
run "flipped signature byte: exit 3" 3 "$SUYUAN" tx send "$T/bad-sig.tx"
expect "problem bad-signature" "bad-signature" "$T/err"

# ---- inspecting ----------------------------------------------------------------------
run "tx show" 0 "$SUYUAN" tx show "$TX_ID"
expect "tx show gives the height" "^height: +$TX_HEIGHT$" "$T/out"
expect "tx show gives the payload" '"lot":"L-001"' "$T/out"
run "tx show --json" 0 "$SUYUAN" tx show --json "$TX_ID"
if [ "$(jget "$T/out" .id)" = "$TX_ID" ]; then pass "tx show --json names the tx"; else fail "tx show --json"; fi
run "tx show unknown id: exit 3" 3 "$SUYUAN" tx show "$(printf '0%.0s' $(seq 64))"
run "block show latest" 0 "$SUYUAN" block show latest
expect "block show has a height" "^height: +[0-9]+$" "$T/out"
run "block show 0" 0 "$SUYUAN" block show 0
run "block show past the tip: exit 3" 3 "$SUYUAN" block show 1000000
run "block show junk: exit 2" 2 "$SUYUAN" block show tip
run "verify on the node" 0 "$SUYUAN" verify
expect "verify OK" "^verify: OK" "$T/out"

# ---- offline verify of the stopped node's ledger ----------------------------------------
kill -TERM "$NODE_PID"
stopped=0
for _ in $(seq 100); do
  if ! kill -0 "$NODE_PID" 2>/dev/null; then stopped=1; break; fi
  sleep 0.1
done
if [ "$stopped" = 1 ]; then
  wait "$NODE_PID"
  rc=$?
  if [ "$rc" = 0 ]; then pass "suyuand stops on SIGTERM"; else fail "suyuand exit status $rc on SIGTERM"; fi
else
  fail "suyuand still running 10 s after SIGTERM"
  kill -KILL "$NODE_PID" 2>/dev/null
  wait "$NODE_PID" 2>/dev/null
fi
NODE_PID=

run "node down: exit 5" 5 "$SUYUAN" status
run "verify --data" 0 "$SUYUAN" verify --data "$D"
expect "offline verify OK" "^verify: OK — [0-9]+ blocks, [0-9]+ transactions$" "$T/out"

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
