#!/usr/bin/env bash
# Product labels end to end (issue 5 parts 4 and 8; SPEC C2, C3, C4, I7;
# docs/labels.md): `suyuan label` renders a label whose QR code decodes
# (zbarimg, Debian's zbar-tools) to exactly the expected Digital Link URI;
# the signed offline check round trip (verify OK, tampered and wrong key
# fail, the key found in the chain's member registry online and from a saved
# copy offline); GET /v1/label on a real node with a captured product (the
# I7 fields and the brand's contact channels on the label, the QR pointing
# at the node's own resolver, which answers it; 400/404 problems); and a
# batch of 200 labels with anti-counterfeit codes from `suyuan codes issue`.
#
# Env (set by ctest): SY_BIN, SY_SRC, SY_TEST_TMP. Needs zbarimg (else exit
# 77), curl and python3.
set -u
SY_SRC=${SY_SRC:-$(cd "$(dirname "$0")/../.." && pwd)}
SY_BIN=${SY_BIN:-$SY_SRC/build}
source "$SY_SRC/tests/integration/lib.bash"
unset SUYUAN_TOKEN SUYUAN_NODE SUYUAN_KEY
export NO_PROXY=127.0.0.1,localhost no_proxy=127.0.0.1,localhost
SUYUAN=$SY_BIN/suyuan
D=$T/data
GTIN=04012345111118

command -v zbarimg >/dev/null || { echo "zbarimg (zbar-tools) is not installed: skipped"; exit 77; }
for tool in curl python3; do
  command -v $tool >/dev/null || { echo "needs $tool"; exit 77; }
done

qr() { zbarimg --raw -q "$1" 2>/dev/null | tr -d '\n'; }
js() { python3 -c 'import json,sys; j=json.load(open(sys.argv[1])); print(eval(sys.argv[2]))' "$1" "$2" 2>/dev/null; }
# get PATH [CURL ARGS]: status code; body in $T/body, headers in $T/hdr
get() {
  local path=$1
  shift
  curl -s -o "$T/body" -D "$T/hdr" -w '%{http_code}' "$@" "$NODE$path"
}
ctype() { grep -i '^content-type:' "$T/hdr" | head -1 | cut -d' ' -f2- | tr -d '\r'; }
same() { # same LABEL GOT WANT
  if [ "$2" = "$3" ]; then ok "$1"; else no "$1: got '$2', want '$3'"; fi
}
well_formed() { # XML check when xmllint is there, else a python parse
  if command -v xmllint >/dev/null; then xmllint --noout "$1" 2>/dev/null
  else python3 -c 'import sys, xml.dom.minidom as m; m.parse(sys.argv[1])' "$1" 2>/dev/null; fi
}

# ---- offline: usage, formats, the QR round trip --------------------------------------------
"$SUYUAN" label --help >"$T/out" 2>&1
check "label --help" grep -q -- "--serials" "$T/out"
"$SUYUAN" label --offline "(01)${GTIN}(21)1" >/dev/null 2>&1
check "no --out: usage (exit 2)" test $? -eq 2
"$SUYUAN" label --offline "(01)${GTIN}(21)1" --out "$T/x.gif" --format gif >/dev/null 2>&1
check "unknown format: usage (exit 2)" test $? -eq 2
"$SUYUAN" label --offline "(01)04012345111119(21)1" --out "$T/x.png" >/dev/null 2>"$T/err"
check "bad check digit: usage (exit 2)" test $? -eq 2
check "... and the message says why" grep -qi "check digit" "$T/err"
"$SUYUAN" label --offline "(01)${GTIN}(21)1" --out "$T/x.png" --name $'bad\xff' >/dev/null 2>"$T/err"
check "invalid UTF-8 in a field: usage (exit 2)" test $? -eq 2
check "... named" grep -q "product name is not valid UTF-8" "$T/err"
check "... nothing written" test ! -e "$T/x.png"

BASE=https://trace.example.com
"$SUYUAN" label --offline "(01)${GTIN}(10)L1(21)7" --out "$T/one.png" --base-url $BASE \
  --name "龙井绿茶 Longjing" --customer "Brand Co" --model "250 g" --date 2026-11-20 \
  --inspection conformant --tel 400-800-1234 --sms 10690000 >"$T/out" 2>"$T/err"
check "label (png, offline)" test $? -eq 0
WANT="$BASE/01/$GTIN/10/L1/21/7"
same "the QR code decodes to the Digital Link URI" "$(qr "$T/one.png")" "$WANT"
same "... the one suyuan printed" "$(sed -n 's/^qr: //p' "$T/out")" "$WANT"
check "PNG at 300 dpi: 709 x 472" python3 -c '
import struct, sys
b = open(sys.argv[1], "rb").read(24)
assert b[:8] == b"\x89PNG\r\n\x1a\n" and b[12:16] == b"IHDR"
assert struct.unpack(">II", b[16:24]) == (709, 472)' "$T/one.png"
"$SUYUAN" label --offline "urn:epc:id:sgtin:4012345.011111.7" --out "$T/one.svg" --base-url $BASE \
  --name "龙井绿茶 Longjing" >/dev/null 2>&1
check "label (svg, from an EPC URN)" test $? -eq 0
check "... well-formed XML" well_formed "$T/one.svg"
check "... carries the fields as text" grep -q "龙井绿茶 Longjing" "$T/one.svg"
check "... and the URI" grep -q "QR: $BASE/01/$GTIN/21/7" "$T/one.svg"
"$SUYUAN" label --offline "$BASE/01/$GTIN/21/7" --out "$T/one.pdf" --base-url $BASE >/dev/null 2>&1
check "label (pdf, from a DL URI)" test $? -eq 0
check "... a PDF" test "$(head -c 5 "$T/one.pdf")" = "%PDF-"
"$SUYUAN" label --offline "(01)${GTIN}(21)7" --out - --format svg --base-url $BASE >"$T/stdout.svg" 2>/dev/null
check "label --out - writes the image to stdout" well_formed "$T/stdout.svg"

# ---- signed offline check -------------------------------------------------------------------
"$SUYUAN" keygen --out "$T/brand.key" >/dev/null 2>&1
"$SUYUAN" keygen --out "$T/other.key" >/dev/null 2>&1
"$SUYUAN" label --offline "(01)${GTIN}(10)L1(21)7" --out "$T/signed.png" --base-url $BASE \
  --sign-key "$T/brand.key" >"$T/out" 2>&1
check "signed label" test $? -eq 0
S=$(qr "$T/signed.png")
same "the signed QR decodes to what suyuan printed" "$S" "$(sed -n 's/^qr: //p' "$T/out")"
check "... the DL URI then ?k=...&s=... (11 + 86 characters)" \
  python3 -c 'import re,sys; assert re.fullmatch(re.escape(sys.argv[2]) + r"\?k=[A-Za-z0-9_-]{11}&s=[A-Za-z0-9_-]{86}", sys.argv[1])' "$S" "$WANT"
V=$(sed -n 's/.*QR version \([0-9]*\)-M.*/\1/p' "$T/out")
check "... QR version $V <= 9 (fits a 20 mm code)" test "${V:-99}" -le 9
check "verify with the brand's key: OK" "$SUYUAN" label verify "$S" --key "$T/brand.key"
"$SUYUAN" label verify "$S" --key "$T/brand.key" --json >"$T/out" 2>&1
same "verify --json" "$(js "$T/out" '(j["ok"], j["uri"])')" "(True, '$WANT')"
"$SUYUAN" label verify "${S/\/21\/7?/\/21\/8?}" --key "$T/brand.key" >/dev/null 2>"$T/err"
check "tampered serial: verify fails (exit 1)" test $? -eq 1
check "... saying so" grep -q "does not verify" "$T/err"
"$SUYUAN" label verify "${S/trace.example.com/trace.example.net}" --key "$T/brand.key" >/dev/null 2>&1
check "another host: verify fails" test $? -eq 1
"$SUYUAN" label verify "$S" --key "$T/other.key" >/dev/null 2>"$T/err"
check "wrong key: verify fails" test $? -eq 1
check "... another key" grep -q "another key" "$T/err"
"$SUYUAN" label verify "$WANT" --key "$T/brand.key" >/dev/null 2>&1
check "unsigned text: verify fails" test $? -eq 1

# ---- a chain with a product ---------------------------------------------------------------------
"$SUYUAN" init --chain label-it --org brand --org-name "Brand Co" --dir "$D" >/dev/null 2>&1
check "init" test -s "$D/genesis.json"
start_node "$D" || { no "node starts"; finish; }
ADMIN=$D/keys/admin.key
"$SUYUAN" keygen --out "$T/rec.key" >/dev/null 2>&1
check "member add recorder" "$SUYUAN" member add --key "$ADMIN" --org brand \
  --member-key "$T/rec.key" --roles recorder,inspector --name "Line 1" >/dev/null
check "org contact" "$SUYUAN" org contact --key "$ADMIN" --org brand --tel "400-800-1234" \
  --sms "10690000" --web "https://brand.example/q" >/dev/null
cat >"$T/events.json" <<EOF
{"@context": ["https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld"],
 "type": "EPCISDocument", "schemaVersion": "2.0", "creationDate": "2026-11-20T08:00:00Z",
 "epcisBody": {"eventList": [
  {"type": "ObjectEvent", "eventTime": "2026-11-20T08:00:00+08:00",
   "eventTimeZoneOffset": "+08:00", "action": "ADD", "bizStep": "commissioning",
   "disposition": "active",
   "epcList": ["urn:epc:id:sgtin:4012345.011111.1", "urn:epc:id:sgtin:4012345.011111.2"],
   "ilmd": {"cbvmda:lotNumber": "L1", "gs1:productName": "West Lake Longjing Tea",
            "example:modelNumber": "LJ-250"}},
  {"type": "ObjectEvent", "eventTime": "2026-11-21T10:00:00+08:00",
   "eventTimeZoneOffset": "+08:00", "action": "OBSERVE", "bizStep": "inspecting",
   "disposition": "conformant",
   "epcList": ["urn:epc:id:sgtin:4012345.011111.1", "urn:epc:id:sgtin:4012345.011111.2"]}]}}
EOF
python3 - "$T/events.json" <<'EOF' # the example: prefix needs its namespace
import json, sys
d = json.load(open(sys.argv[1]))
d["@context"].append({"example": "https://brand.example/voc/"})
json.dump(d, open(sys.argv[1], "w"), ensure_ascii=False)
EOF
check "capture commissioning + inspection" "$SUYUAN" capture --key "$T/rec.key" "$T/events.json" >/dev/null
ID=urn:epc:id:sgtin:4012345.011111.1
IDQ=urn%3Aepc%3Aid%3Asgtin%3A4012345.011111.1

# ---- GET /v1/label ------------------------------------------------------------------------------
code=$(get "/v1/product?id=$IDQ")
same "GET /v1/product" "$code" 200
PDL=$(js "$T/body" 'j["product"]["dl"]')
check "the product's DL is on this node: $PDL" test "${PDL#"$NODE"/01/$GTIN}" != "$PDL"

code=$(get "/v1/label?id=$IDQ&format=png")
same "GET /v1/label png" "$code" 200
same "... image/png" "$(ctype)" "image/png"
cp "$T/body" "$T/node.png"
NQR=$(qr "$T/node.png")
same "... its QR code decodes to the product's Digital Link URI" "$NQR" "$PDL"
code=$(curl -s -o "$T/ls" -w '%{http_code}' -H 'Accept: application/linkset+json' "$NQR")
same "... which the node resolves (linkset)" "$code" 200
code=$(curl -s -o "$T/page" -w '%{http_code}' -H 'Accept: text/html' "$NQR")
check "... and a phone's browser gets an answer ($code)" test "$code" = 200 -o "$code" = 307

code=$(get "/v1/label?id=$IDQ&format=svg")
same "GET /v1/label svg" "$code" 200
same "... image/svg+xml" "$(ctype)" "image/svg+xml"
cp "$T/body" "$T/node.svg"
check "... well-formed" well_formed "$T/node.svg"
check "... product name from the chain" grep -q "West Lake Longjing Tea" "$T/node.svg"
check "... model" grep -q "LJ-250" "$T/node.svg"
check "... lot" grep -q "Lot 批号: L1" "$T/node.svg"
check "... production date" grep -q "2026-11-20" "$T/node.svg"
check "... inspection status" grep -q "Inspection 检验: conformant" "$T/node.svg"
check "... customer (the brand)" grep -q "Brand Co" "$T/node.svg"
check "... tel from the org registry" grep -q "400-800-1234" "$T/node.svg"
check "... SMS" grep -q "10690000" "$T/node.svg"
check "... web" grep -q "https://brand.example/q" "$T/node.svg"
check "... element string" grep -q "(01)$GTIN" "$T/node.svg"
code=$(get "/v1/label?id=$IDQ&format=svg&name=Gift%20Box%20%E7%A4%BC%E7%9B%92&customer=ACME")
same "overrides" "$code" 200
check "... name" grep -q "<title>Gift Box 礼盒</title>" "$T/body"
check "... customer" grep -q "Customer 客户: ACME" "$T/body"
code=$(get "/v1/label?id=$IDQ&format=pdf")
same "GET /v1/label pdf" "$code" 200
same "... application/pdf" "$(ctype)" "application/pdf"
same "... a PDF" "$(head -c 5 "$T/body")" "%PDF-"

code=$(get "/v1/label?id=$IDQ&format=gif")
same "bad format: 400" "$code" 400
check "... a problem naming format" grep -q '"detail":"format' "$T/body"
same "... application/problem+json" "$(ctype)" "application/problem+json"
code=$(get "/v1/label?id=urn%3Aepc%3Aid%3Asgtin%3Anope&format=png")
same "bad id: 400" "$code" 400
check "... naming id" grep -q '"detail":"id' "$T/body"
code=$(get "/v1/label?format=png")
same "no id: 400" "$code" 400
code=$(get "/v1/label?id=$IDQ&colour=red")
same "unknown parameter: 400" "$code" 400
code=$(get "/v1/label?id=$IDQ&name=%FF")
same "invalid UTF-8 override: 400" "$code" 400
code=$(get "/v1/label?id=urn%3Aepc%3Aid%3Asgtin%3A4012345.011111.99&format=png")
same "unknown product: 404" "$code" 404

# ---- the CLI with the node: fields and base URL from /v1/product --------------------------------
"$SUYUAN" label "$ID" --out "$T/cli.svg" >"$T/out" 2>"$T/err"
check "label ID (online)" test $? -eq 0
same "... QR = the node's DL URI" "$(sed -n 's/^qr: //p' "$T/out")" "$PDL"
check "... the name from the chain" grep -q "West Lake Longjing Tea" "$T/cli.svg"
check "... the tel from the registry" grep -q "400-800-1234" "$T/cli.svg"

# signed by a member: the registry finds the key, online and offline
"$SUYUAN" label "$ID" --out "$T/m.png" --sign-key "$T/rec.key" >"$T/out" 2>&1
MS=$(qr "$T/m.png")
"$SUYUAN" label verify "$MS" >"$T/out" 2>&1
check "verify against the node's member registry" test $? -eq 0
check "... names the member" grep -q "signed by: member .*(brand, Line 1)" "$T/out"
get /v1/members >/dev/null
cp "$T/body" "$T/members.json"
SUYUAN_NODE=http://127.0.0.1:1 "$SUYUAN" label verify "$MS" --members "$T/members.json" >/dev/null 2>&1
check "verify offline against a saved registry" test $? -eq 0
"$SUYUAN" label verify "$S" --members "$T/members.json" >/dev/null 2>"$T/err"
check "a key not in the registry: fails" test $? -eq 1

# ---- batch: 200 labels with codes ---------------------------------------------------------------
check "codes issue 200" "$SUYUAN" codes issue --key "$T/rec.key" --gtin "$GTIN" --lot L1 \
  --serials 1-200 --out "$T/codes.csv" >/dev/null
"$SUYUAN" label --gtin "$GTIN" --lot L1 --codes "$T/codes.csv" --out-dir "$T/lot" --format png \
  --sign-key "$T/rec.key" >"$T/out" 2>"$T/err"
check "batch of 200 (codes, signed)" test $? -eq 0
cat "$T/out"
check "... count line" grep -q "^wrote 200 labels (png) to $T/lot" "$T/out"
same "... 200 files" "$(find "$T/lot" -name '*.png' | wc -l)" 200
same "... written 0600 (they hold codes)" "$(stat -c %a "$T/lot/137.png")" 600
B137=$(qr "$T/lot/137.png")
check "... label 137 decodes to its serial" test "${B137#"$NODE"/01/$GTIN/10/L1/21/137?k=}" != "$B137"
check "... and verifies" "$SUYUAN" label verify "$B137" --members "$T/members.json"
C137=$(awk -F, '$1 == "137" {print $2}' "$T/codes.csv")
check "... no code in the command's output" test -n "$C137" -a -z "$(grep -F -- "$C137" "$T/out" "$T/err")"
"$SUYUAN" label --gtin "$GTIN" --lot L1 --codes "$T/codes.csv" --serials 1-201 \
  --out-dir "$T/lot2" --offline --base-url "$BASE" >"$T/out" 2>"$T/err"
check "a serial without a code: exit 1" test $? -eq 1
check "... named" grep -q "the first: 201" "$T/err"
check "... nothing written" test -z "$(ls "$T/lot2" 2>/dev/null)"
"$SUYUAN" label --gtin "$GTIN" --serials 0001-0050 --out-dir "$T/lot3" --format svg --offline \
  --base-url "$BASE" >"$T/out" 2>&1
check "batch svg, zero-padded serials" test -s "$T/lot3/0050.svg" -a ! -e "$T/lot3/0051.svg"
check "... the URI keeps the zeros" grep -q "QR: $BASE/01/$GTIN/21/0007" "$T/lot3/0007.svg"
"$SUYUAN" label --gtin "$GTIN" --serials 5-1 --out-dir "$T/lot4" --offline >/dev/null 2>&1
check "backwards range: usage (exit 2)" test $? -eq 2

stop_node
finish
