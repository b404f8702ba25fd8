#!/usr/bin/env bash
# Integration test: the GS1 Digital Link resolver, the product view and the
# trace page's files on a real suyuand (SPEC C1-C3, I7, M2; issue 5;
# docs/resolver.md). The demo tea chain is captured as real EPCIS 2.0 events
# with GS1 keys (scripts/demo_load.sh), then:
#   400 for malformed Digital Links, 404 for well-formed unknown ones;
#   content negotiation (browser -> page, linkset JSON, default 307);
#   RFC 9264 linkset shape and GS1 link relation names; ?linkType= 307 / 404;
#   /.well-known/gs1resolver; the page's static files and their headers;
#   /v1/product from every identifier form, and its proofs checked by an
#   independent verifier (tests/browser/check_product.py), which must also
#   refuse a tampered copy; --public-url in links.
# Env (set by CTest): SY_BIN, SY_SRC, SY_TEST_TMP, SUYUAN_KDF=fast.
. "$(dirname "$0")/lib.bash"
SY_SRC=${SY_SRC:-$(cd "$(dirname "$0")/../.." && pwd)}
. "$SY_SRC/tests/browser/demo_node.bash"
export NO_PROXY=127.0.0.1,localhost no_proxy=127.0.0.1,localhost

for tool in curl jq python3; do
  command -v "$tool" >/dev/null || { no "$tool is installed"; finish; }
done

BODY=$T/body
HDRS=$T/hdrs
CODE=
# req PATH [curl args...]: GET; sets CODE, body in $BODY, headers in $HDRS.
req() {
  local path=$1
  shift
  CODE=$(curl -s -g --max-time 30 -o "$BODY" -D "$HDRS" -w '%{http_code}' "$@" "$NODE$path")
}
hdr() { tr -d '\r' <"$HDRS" | grep -i "^$1:" | head -n1 | cut -d' ' -f2-; }
js() { jq -r "$1" "$BODY" 2>/dev/null; }
# want LABEL STATUS [PROBLEM-TOKEN]
want() {
  local label=$1 status=$2 token=${3:-}
  if [ "$CODE" != "$status" ]; then
    no "$label (status $CODE, want $status): $(head -c 300 "$BODY")"
  elif [ -n "$token" ] && [ "$(js .type)" != "urn:suyuan:problem:$token" ]; then
    no "$label (problem $(js .type), want $token)"
  else
    ok "$label"
  fi
}

check "a node with the demo chain starts" start_demo_node --public-url "https://trace.example.cn"
PUB=https://trace.example.cn
P=$DEMO_PRODUCT

# ---- malformed and unknown --------------------------------------------------------------
req /01/06901234000024/21/0001 -H 'Accept: application/linkset+json'
want "a GTIN with a wrong check digit is 400" 400 invalid-digital-link
check "  and the problem names the check digit" sh -c "jq -r .detail '$BODY' | grep -qi 'check digit'"
req /01/06901234000023/badrequest
want "GS1 CE: /01/{gtin}/badrequest is 400" 400 invalid-digital-link
req /01/06901234000023/21/0001/10/B2026-07 -H 'Accept: application/linkset+json'
want "qualifiers out of dictionary order is 400" 400 invalid-digital-link
req /01/ABC
want "a non-numeric GTIN is 400" 400 invalid-digital-link
req /01/06901234000030/21/0001 -H 'Accept: application/linkset+json'
want "a valid but unknown GTIN is 404" 404 not-found
req /01/06901234000023/10/B2026-07/21/9999 -H 'Accept: text/html'
want "an unknown serial is 404 for a browser too" 404 not-found
req /414/6901234000016
want "a GLN no event names as an item is 404" 404 not-found
CODE=$(curl -s -o /dev/null -w '%{http_code}' -X POST "$NODE$P")
check "POST to a Digital Link is 405 ($CODE)" test "$CODE" = 405

# ---- content negotiation ------------------------------------------------------------------
req "$P" -H 'Accept: application/linkset+json'
want "linkset for Accept: application/linkset+json" 200
check "  media type application/linkset+json" sh -c "[ \"$(hdr Content-Type)\" = application/linkset+json ]"
check "  anchor is the canonical Digital Link on the public URL" \
  test "$(js '.linkset[0].anchor')" = "$PUB$P"
for rel in pip defaultLink traceability epcis certificationInfo verificationService masterData; do
  check "  has rel https://gs1.org/voc/$rel with an href" \
    test "$(js ".linkset[0][\"https://gs1.org/voc/$rel\"][0].href" | cut -c1-4)" = http
done
check "  every link target is an array of objects with href (RFC 9264)" \
  jq -e '.linkset[0] | to_entries | map(select(.key | startswith("https://"))) | length >= 7 and all(.value | type == "array" and all(.href | type == "string"))' "$BODY"
check "  pip is the trace page of this product" \
  test "$(js '.linkset[0]["https://gs1.org/voc/pip"][0].href')" = "$PUB/web/?id=%2F01%2F06901234000023%2F10%2FB2026-07%2F21%2F0001"
check "  certificationInfo is the inspection's certificate" \
  test "$(js '.linkset[0]["https://gs1.org/voc/certificationInfo"][0].href')" = https://cert.example.cn/tea/B2026-07
check "  itemDescription is the product name" sh -c "jq -r '.linkset[0].itemDescription' '$BODY' | grep -q '龙井'"
check "  Link header points at the linkset" sh -c "echo '$(hdr Link)' | grep -q 'rel=\"linkset\"'"
check "  Vary: Accept" test "$(hdr Vary)" = Accept

req "$P" -H 'Accept: application/json'
want "linkset for Accept: application/json" 200
check "  as application/json" test "$(hdr Content-Type)" = application/json
check "  same anchor" test "$(js '.linkset[0].anchor')" = "$PUB$P"

req "$P" -H 'Accept: text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8'
want "a browser gets the trace page" 200
check "  as text/html" sh -c "[ \"$(hdr Content-Type)\" = 'text/html; charset=utf-8' ]"
check "  the page loads its script from this node" grep -q 'src="/web/app.js"' "$BODY"
check "  with a content security policy (no third-party scripts)" \
  sh -c "echo \"$(hdr Content-Security-Policy)\" | grep -q \"script-src 'self'\""

req "$P"
want "no preference (Accept */*): 307 to the default link" 307
check "  Location is the trace page" test "$(hdr Location)" = "$PUB/web/?id=%2F01%2F06901234000023%2F10%2FB2026-07%2F21%2F0001"

# ---- linkType ------------------------------------------------------------------------------
req "$P?linkType=gs1:traceability"
want "linkType=gs1:traceability is 307" 307
check "  to the trace history of the item's EPC" \
  test "$(hdr Location)" = "$PUB/v1/trace/history?epc=urn%3Aepc%3Aid%3Asgtin%3A6901234.000002.0001"
curl -fsS "$NODE/v1/trace/history?epc=urn%3Aepc%3Aid%3Asgtin%3A6901234.000002.0001" -o "$T/hist"
check "  and that history answers with the item's events" jq -e '.events | length >= 4' "$T/hist"
req "$P?linktype=https://gs1.org/voc/pip"
want "linktype (CE spelling) with a full vocabulary URI is 307" 307
req "$P?linkType=gs1:safetyInfo" -H 'Accept: application/linkset+json'
want "an unknown link type for a known key is 404" 404 link-type-not-found
req "$P?linkType=all"
want "linkType=all gives the linkset" 200
check "  with all the links" jq -e '.linkset[0] | keys | length >= 9' "$BODY"
req "/01/06901234000023/21/0001?linkType=gs1:epcis"
want "the same item without the lot in its path resolves (307)" 307
check "  to the EPCIS query of the item" sh -c "echo '$(hdr Location)' | grep -q 'MATCH_anyEPC=urn%3Aepc%3Aid%3Asgtin%3A6901234.000002.0001'"
req "$P?17=280403&linkType=all"
want "data attributes in the query are accepted" 200
req "/01/06901234000023/10/B2026-07?linkType=all"
want "the lot alone resolves (its inspection names it)" 200
req "/00/069012340000000177?linkType=all"
want "the shipping case's SSCC resolves" 200
check "  anchored on its canonical path" test "$(js '.linkset[0].anchor')" = "$PUB/00/069012340000000177"

# ---- resolver description --------------------------------------------------------------------
req /.well-known/gs1resolver
want "/.well-known/gs1resolver answers" 200
check "  resolverRoot is the public URL" test "$(js .resolverRoot)" = "$PUB"
check "  lists 01 and 00 among its primary keys" jq -e '(.supportedPrimaryKeys | index("01")) and (.supportedPrimaryKeys | index("00"))' "$BODY"
check "  describes the gs1: link types it serves" jq -e '.activeLinkTypes.en["gs1:pip"].url == "https://gs1.org/voc/pip"' "$BODY"

# ---- the page's files -------------------------------------------------------------------------
for f in app.js verify.js i18n.js style.css; do
  req "/web/$f"
  want "/web/$f is served" 200
done
check "  scripts as text/javascript" sh -c "curl -sI '$NODE/web/app.js' | tr -d '\r' | grep -qi '^content-type: text/javascript'"
req /
want "/ serves the page" 200
req "/web/../CMakeLists.txt"
want "no path traversal out of the compiled-in files" 404
req "/web/nope.js"
want "an unknown file is 404" 404
check "  the page has Chinese and English text" sh -c "curl -s '$NODE/web/i18n.js' | grep -q '产品溯源' && curl -s '$NODE/web/i18n.js' | grep -q 'Product trace'"

# ---- product view -------------------------------------------------------------------------------
req "/v1/product?id=$P"
want "/v1/product for the DL path" 200
cp "$BODY" "$T/view.json"
check "  product name, model, lot, serial (SPEC I7)" \
  jq -e '.product | (.product_name | test("龙井")) and .model == "LJ-250-TJ" and .lot == "B2026-07" and .serial == "0001" and .gtin == "06901234000023"' "$BODY"
check "  production date from the commissioning event, in its time zone" test "$(js .product.production_date)" = 2026-04-03
check "  inspection status from the inspector's event" test "$(js .product.inspection)" = conformant
check "  brand owner is the organisation that commissioned it" test "$(js .product.brand_org)" = tea-coop
check "  its name and query channels from the registry (SPEC C3)" \
  jq -e '.product | .brand_name == "West Lake Tea Cooperative" and .tel == "+86 571 8888 0000" and .sms == "106 9000 1234" and .web == "https://tea-coop.example.cn"' "$BODY"
check "  the EPC URN the ledger indexes" test "$(js .product.epc)" = urn:epc:id:sgtin:6901234.000002.0001
check "  eight events in time order" jq -e '(.events | length) == 8 and ([.events[].eventTimeMs] | . == sort)' "$BODY"
check "  with materials (the leaf lot) and the shipping case" \
  jq -e '[.events[].kind] | (index("material") != null) and (index("container") != null) and (index("product") != null)' "$BODY"
check "  three organisations involved" jq -e '[.organisations[].id] | sort == ["hz-logistics","lianhua-market","tea-coop"]' "$BODY"
check "  by their registered names" jq -e '[.organisations[].name] | index("Hangzhou Cold-Chain Logistics") != null' "$BODY"
check "  each event names its signer" jq -e 'all(.events[]; (.signerName | type) == "string" and (.signer | length) == 32)' "$BODY"
check "  evidence for every event: raw tx, proof, block header, seals, node keys" \
  jq -e '. as $v | all(.events[]; ($v.transactions[.txId].raw | length) > 0 and ($v.transactions[.txId].proof.algorithm == "rfc6962") and ($v.blocks[(.height | tostring)].attestations | length) >= 1) and (.nodes | length) >= 1' "$BODY"
check "  the proofs verify (independent verifier; Ed25519 by openssl when installed)" python3 "$SY_SRC/tests/browser/check_product.py" "$T/view.json"

# The verifier must be able to fail: a changed field, a changed byte.
jq '.events[3].disposition = "non_conformant"' "$T/view.json" >"$T/t1.json"
check "  a served field changed is caught" sh -c "! python3 '$SY_SRC/tests/browser/check_product.py' '$T/t1.json' >/dev/null"
python3 - "$T/view.json" "$T/t2.json" <<'PY'
import base64, json, sys
v = json.load(open(sys.argv[1]))
e = v["events"][0]
raw = bytearray(base64.b64decode(v["transactions"][e["txId"]]["raw"]))
raw[len(raw) // 2] ^= 1
v["transactions"][e["txId"]]["raw"] = base64.b64encode(bytes(raw)).decode()
json.dump(v, open(sys.argv[2], "w"))
PY
check "  a flipped byte in a transaction is caught" sh -c "! python3 '$SY_SRC/tests/browser/check_product.py' '$T/t2.json' >/dev/null"

for id in "(01)06901234000023(10)B2026-07(21)0001" "urn:epc:id:sgtin:6901234.000002.0001" \
  "https://id.gs1.org/01/06901234000023/21/0001" "(01)06901234000024(21)0001"; do
  CODE=$(curl -s -G -o "$BODY" -w '%{http_code}' --data-urlencode "id=$id" "$NODE/v1/product")
  case $id in
    "(01)06901234000024"*) want "a malformed element string is 400 ($id)" 400 invalid-id ;;
    *)
      want "/v1/product?id=$id" 200
      check "  is the same item" test "$(js .product.epc)" = urn:epc:id:sgtin:6901234.000002.0001
      ;;
  esac
done
req "/v1/product?id=urn:epc:id:sgtin:6901234.000002.0003"
want "a sibling tin (serial 0003) from the same lot" 200
check "  shares the lot's inspection but not the retail sale" \
  jq -e '.product.inspection == "conformant" and ([.events[].bizStep] | index("retail_selling") == null)' "$BODY"
req "/v1/product"
want "/v1/product without id is 400" 400 invalid-parameter
req "/v1/product?id=hello"
want "/v1/product?id=hello is 400" 400 invalid-id
req "/v1/product?id=urn:epc:id:sgtin:6901234.000002.4242"
want "/v1/product for an unknown serial is 404" 404 not-found
finish
