# Shared helpers for integration tests (sourced). Real processes on 127.0.0.1;
# every process started here is remembered by PID and stopped on exit.
set -uo pipefail
: "${SY_BIN:?SY_BIN must point at the build directory}"
export SUYUAN_KDF=${SUYUAN_KDF:-fast}
export SUYUAN_PASSPHRASE=${SUYUAN_PASSPHRASE:-it-test-passphrase}
TMPBASE=${SY_TEST_TMP:-/tmp}
mkdir -p "$TMPBASE"
T=$(mktemp -d "$TMPBASE/it.XXXXXX")
PASS=0
FAIL=0
PIDS=()

cleanup() {
  for p in "${PIDS[@]:-}"; do
    [ -n "$p" ] && kill -9 "$p" 2>/dev/null
  done
  rm -rf "$T"
}
trap cleanup EXIT

ok() { PASS=$((PASS + 1)); echo "ok   - $*"; }
no() { FAIL=$((FAIL + 1)); echo "FAIL - $*"; }
check() { # check "label" command...
  local label=$1; shift
  if "$@"; then ok "$label"; else no "$label"; fi
}
finish() {
  echo "$PASS passed, $FAIL failed"
  [ "$FAIL" -eq 0 ]
  exit $?
}

# start_node DIR [extra args...]: starts suyuand on an ephemeral port; sets
# NODE_PID and NODE (its URL). Waits at most 15 s for the address file.
start_node() {
  local dir=$1; shift
  rm -f "$dir/addr"
  "$SY_BIN/suyuand" --data "$dir" --listen 127.0.0.1:0 --addr-file "$dir/addr" "$@" \
    >>"$dir/node.out" 2>>"$dir/node.err" &
  NODE_PID=$!
  PIDS+=("$NODE_PID")
  for _ in $(seq 1 150); do
    if [ -s "$dir/addr" ]; then
      NODE=$(cat "$dir/addr")
      export SUYUAN_NODE=$NODE
      return 0
    fi
    kill -0 "$NODE_PID" 2>/dev/null || break
    sleep 0.1
  done
  echo "node did not start; stderr:" >&2
  tail -20 "$dir/node.err" >&2
  return 1
}

stop_node() { # graceful
  kill -TERM "$NODE_PID" 2>/dev/null
  for _ in $(seq 1 100); do kill -0 "$NODE_PID" 2>/dev/null || return 0; sleep 0.1; done
  kill -9 "$NODE_PID" 2>/dev/null
  return 1
}
