#!/usr/bin/env bash
# Runs every libFuzzer binary of a -DSY_FUZZ=ON build for a fixed time, one
# after the other (the machines we share have 2 cores), and prints a
# summary table. Called by `make fuzz FUZZ_SECONDS=N`; usable alone:
#
#   fuzz/run.sh BUILD_DIR SECONDS [TARGET...]      (default: every target)
#
# Each target fuzzes a working corpus, BUILD_DIR/corpus-work/<target>,
# seeded from fuzz/corpus/<target> (copied, never written back: new inputs
# stay in the build tree until someone minimizes and commits them). The
# EPCIS targets also read ../shared/anchors/epcis in place. Crash, leak,
# timeout and OOM inputs land in BUILD_DIR/fuzz-artifacts/<target>/; logs
# in BUILD_DIR/fuzz-logs/<target>.log. Exit status 1 when any target found
# something.
set -uo pipefail

here=$(cd "$(dirname "$0")" && pwd)
src=$(cd "$here/.." && pwd)
build=${1:?usage: fuzz/run.sh BUILD_DIR SECONDS [TARGET...]}
seconds=${2:?usage: fuzz/run.sh BUILD_DIR SECONDS [TARGET...]}
shift 2
build=$(cd "$build" && pwd)
anchors="$src/../shared/anchors/epcis"

# Largest input each target is given: a little over what its format or its
# documented limits make interesting, small enough to keep execs/s high.
max_len() {
  case "$1" in
    tx_decode | envelope_verify) echo 4096 ;;
    block_header) echo 1024 ;;
    b64_hex) echo 1024 ;;
    epcis_ids) echo 512 ;;
    genesis) echo 8192 ;;
    keystore) echo 8400 ;; # the keystore file limit is 8192 bytes
    epcis_validate | epcis_hash) echo 32768 ;;
    *) echo 4096 ;;
  esac
}

# Extra read-only seed directories and a dictionary, per target.
extra_dirs() {
  case "$1" in
    epcis_validate | epcis_hash) echo "$anchors" ;;
  esac
}
dict_for() {
  case "$1" in
    epcis_validate | epcis_hash | epcis_ids) echo "$here/epcis.dict" ;;
    genesis | keystore) echo "$here/json.dict" ;;
  esac
}

if [ $# -gt 0 ]; then
  targets=("$@")
else
  targets=()
  for f in "$here"/fuzz_*.c; do
    t=$(basename "$f" .c)
    targets+=("${t#fuzz_}")
  done
fi

mkdir -p "$build/corpus-work" "$build/fuzz-artifacts" "$build/fuzz-logs"
rows=()
found=0
for t in "${targets[@]}"; do
  bin="$build/fuzz/fuzz_$t"
  if [ ! -x "$bin" ]; then
    echo "fuzz: $bin is missing (configure with -DSY_FUZZ=ON and build sy_fuzzers)" >&2
    exit 2
  fi
  work="$build/corpus-work/$t"
  art="$build/fuzz-artifacts/$t"
  log="$build/fuzz-logs/$t.log"
  mkdir -p "$work" "$art"
  cp -R "$src/fuzz/corpus/$t/." "$work/"
  extra=$(extra_dirs "$t")
  if [ -n "$extra" ] && [ ! -d "$extra" ]; then
    echo "fuzz: $extra is missing (the anchors live beside the repository)" >&2
    exit 2
  fi
  dict=$(dict_for "$t")
  before=$(find "$art" -type f | wc -l)
  echo "== fuzz_$t: ${seconds}s, -max_len=$(max_len "$t") =="
  # shellcheck disable=SC2086 # $extra is one directory or nothing
  ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1} \
    UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1} \
    "$bin" -max_total_time="$seconds" -max_len="$(max_len "$t")" -timeout=10 \
    -rss_limit_mb=2048 -print_final_stats=1 -artifact_prefix="$art/" \
    ${dict:+-dict="$dict"} "$work" $extra >"$log" 2>&1
  rc=$?
  execs=$(awk -F: '/^stat::number_of_executed_units/ {gsub(/ /,"",$NF); print $NF}' "$log")
  newu=$(awk -F: '/^stat::new_units_added/ {gsub(/ /,"",$NF); print $NF}' "$log")
  eps=$(awk -F: '/^stat::average_exec_per_sec/ {gsub(/ /,"",$NF); print $NF}' "$log")
  slow=$(awk -F: '/^stat::slowest_unit_time_sec/ {gsub(/ /,"",$NF); print $NF}' "$log")
  cov=$(grep -Eo 'cov: [0-9]+' "$log" | tail -1 | awk '{print $2}')
  files=$(find "$work" -type f | wc -l)
  after=$(find "$art" -type f | wc -l)
  crashes=$((after - before))
  if [ "$rc" -ne 0 ] && [ "$crashes" -eq 0 ]; then crashes="rc=$rc"; fi
  if [ "$crashes" != 0 ]; then
    found=1
    if [ "$after" -gt "$before" ]; then
      echo "   found: $(ls -t "$art" | head -n $((after - before)) | sed "s|^|$art/|" | tr '\n' ' ')"
    fi
    grep -m1 -E '^SUMMARY|ERROR: libFuzzer|fuzz invariant failed' "$log" | sed 's/^/   /'
  fi
  rows+=("$(printf '%-16s %6s %10s %8s %9s %6s %7s %8s %s' "$t" "${seconds}s" "${execs:-?}" \
    "${eps:-?}" "${newu:-?}" "${cov:-?}" "${slow:-?}s" "$files" "$crashes")")
done

echo
printf '%-16s %6s %10s %8s %9s %6s %7s %8s %s\n' target time execs execs/s new-units cov slowest corpus \
  crashes
for r in "${rows[@]}"; do echo "$r"; done
echo "(new-units: inputs added to the corpus; cov: coverage edges at the end; slowest: slowest"
echo " input; corpus: files in $build/corpus-work/<target>; artifacts: $build/fuzz-artifacts/)"
exit $found
