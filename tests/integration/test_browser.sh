#!/usr/bin/env bash
# A real browser on the consumer trace page (issue 5; SPEC M2, C3;
# docs/resolver.md): headless Debian chromium opens the demo product's
# Digital Link on a real node, the page renders the timeline and its
# in-browser verification (WebCrypto SHA-256 + Ed25519: tx ids, signatures,
# Merkle proofs, block hashes, node seals) passes; a screenshot goes into
# $SY_TEST_TMP/browser/. Then the same page is served through a tampering
# proxy (tests/browser/tamper_proxy.py) that alters the served JSON - one
# event's fields, one byte of a transaction, the product summary - and the
# verification must fail each time.
# Skipped (exit 77) when /usr/bin/chromium is not installed (scripts/deps.sh
# installs it). Env (set by CTest): SY_BIN, SY_SRC, SY_TEST_TMP.
. "$(dirname "$0")/lib.bash"
SY_SRC=${SY_SRC:-$(cd "$(dirname "$0")/../.." && pwd)}
. "$SY_SRC/tests/browser/demo_node.bash"
export NO_PROXY=127.0.0.1,localhost no_proxy=127.0.0.1,localhost

CHROMIUM=${CHROMIUM:-/usr/bin/chromium}
if [ ! -x "$CHROMIUM" ]; then
  echo "skip: $CHROMIUM is not installed"
  exit 77
fi
OUT=${SY_TEST_TMP:-/tmp}/browser
mkdir -p "$OUT"
body_attr() { grep -o "<body[^>]*>" "$1" | head -1 | grep -o "$2=\"[a-z]*\"" | cut -d'"' -f2; }

check "a node with the demo chain starts" start_demo_node

# Three dishonest servers in front of the node (tests/browser/tamper_proxy.py).
declare -A PROXY
for mode in field bytes summary; do
  python3 "$SY_SRC/tests/browser/tamper_proxy.py" "$NODE" "$mode" "$T/proxy-$mode.port" \
    2>>"$T/proxy.err" &
  PIDS+=("$!")
done
for mode in field bytes summary; do
  for _ in $(seq 1 50); do [ -s "$T/proxy-$mode.port" ] && break; sleep 0.1; done
  PROXY[$mode]=http://127.0.0.1:$(cat "$T/proxy-$mode.port" 2>/dev/null)
done

# One chromium for every page (tests/browser/cdp_pages.py: DevTools protocol).
timeout 120 python3 "$SY_SRC/tests/browser/cdp_pages.py" "$CHROMIUM" "$T/profile" "$T/pages" \
  "honest=$NODE$DEMO_PRODUCT@shot" \
  "zh=$NODE$DEMO_PRODUCT?lang=zh" \
  "field=${PROXY[field]}$DEMO_PRODUCT@shot" \
  "bytes=${PROXY[bytes]}$DEMO_PRODUCT" \
  "summary=${PROXY[summary]}$DEMO_PRODUCT" >"$T/cdp.out" 2>"$T/cdp.err"
rc=$?
check "chromium loaded every page (exit $rc: $(tr '\n' ' ' <"$T/cdp.out") $(head -c 300 "$T/cdp.err"))" test "$rc" -eq 0
P=$T/pages

# ---- the honest page ---------------------------------------------------------------
check "the page rendered the timeline" test "$(body_attr "$P/honest.html" data-timeline)" = ready
check "the in-browser verification passed" test "$(body_attr "$P/honest.html" data-verify)" = pass
n=$(grep -o 'data-verified="true"' "$P/honest.html" | wc -l)
check "all 8 events on the timeline are verified ($n)" test "$n" -eq 8
check "no event failed" sh -c "! grep -q 'data-verified=\"false\"' '$P/honest.html'"
check "the product name shows (English page)" grep -q 'West Lake Longjing' "$P/honest.html"
check "the inspection status shows" grep -q 'Inspection passed' "$P/honest.html"
check "the timeline has origin, processing, inspection, distribution and retail" \
  sh -c "for p in 'Origin and materials' Processing Inspection Distribution Retail; do grep -q \"<h3>\$p</h3>\" '$P/honest.html' || exit 1; done"
check "the organisations involved are listed" \
  sh -c "grep -q 'Hangzhou Cold-Chain Logistics' '$P/honest.html' && grep -q 'Lianhua Supermarket' '$P/honest.html'"
check "the brand's phone and SMS query channels are links (SPEC C3)" \
  sh -c "grep -q 'href=\"tel:+86 571 8888 0000\"' '$P/honest.html' && grep -q 'href=\"sms:106 9000 1234\"' '$P/honest.html'"
cp "$P/honest.png" "$OUT/trace-page.png" 2>/dev/null
check "a phone-sized screenshot is in $OUT/trace-page.png" \
  sh -c "head -c 8 '$OUT/trace-page.png' | od -An -tx1 | grep -q '89 50 4e 47'"
check "the Chinese page verifies and speaks Chinese" \
  sh -c "[ \"\$(grep -o '<body[^>]*>' '$P/zh.html' | grep -o 'data-verify=\"[a-z]*\"')\" = 'data-verify=\"pass\"' ] && grep -q '验证通过' '$P/zh.html' && grep -q '西湖龙井' '$P/zh.html'"

# ---- a dishonest server -------------------------------------------------------------
for mode in field bytes summary; do
  check "tampered ($mode): the page still renders" test "$(body_attr "$P/$mode.html" data-timeline)" = ready
  check "tampered ($mode): verification fails" test "$(body_attr "$P/$mode.html" data-verify)" = fail
done
check "tampered (field): the altered event is marked" grep -q 'data-verified="false"' "$P/field.html"
check "tampered (bytes): the altered event is marked" grep -q 'data-verified="false"' "$P/bytes.html"
check "tampered (summary): the summary check is named" grep -q 'product summary agrees' "$P/summary.html"
cp "$P/field.png" "$OUT/trace-page-tampered.png" 2>/dev/null
finish
