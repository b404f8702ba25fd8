# Helpers shared by the cluster tests (test_cluster*.sh), sourced after
# lib.bash once C (the `suyuan cluster up` directory) is set. Not a test
# itself: CTest runs only *.sh.

# cj EXPR: a value from cluster.json (d is the document).
cj() { python3 -c "import json; d=json.load(open('$C/cluster.json')); print($1)"; }
# js URL EXPR: a value from a JSON answer (d is the document).
js() { curl -s --max-time 5 "$1" | python3 -c "import json,sys; d=json.load(sys.stdin); print($2)" 2>/dev/null; }
tipline() { js "$1/v1/status" "d['height'], d['tip_hash'], d['results_hash']"; }
now_ms() { date +%s%3N; }
# metric URL NAME: one sample of /metrics.
metric() { curl -s --max-time 5 "$1/metrics" | awk -v m="$2" '$1 == m { print $2 }'; }

# same_tips URL...: all peers at the same height, tip and results hash (45 s at most).
same_tips() {
  local first line ok end=$(($(now_ms) + 45000))
  while [ "$(now_ms)" -lt "$end" ]; do
    ok=1
    first=$(tipline "$1")
    for u in "$@"; do
      line=$(tipline "$u")
      [ -n "$line" ] && [ "$line" = "$first" ] || { ok=0; break; }
    done
    [ "$ok" = 1 ] && return 0
    sleep 0.2
  done
  for u in "$@"; do echo "  $u: $(tipline "$u")"; done
  return 1
}
