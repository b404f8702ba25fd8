#!/usr/bin/env bash
# Anti-counterfeit codes, SMS queries, counterfeit alerts and organisation
# contacts against a real node (SPEC C4, I7, M2; docs/codes.md): codes
# issued in bulk by the brand's recorder through the CLI, first scan genuine,
# second scan already verified, two places raise an alert that the brand
# sees with its token and another organisation does not, unknown codes 404,
# guessing rate-limited (429 + Retry-After), revoked codes answer revoked,
# SMS replies for every input kind within one SMS, the org contact set and
# shown, and the codes never in the node's logs.
#
# Env (set by ctest): SY_BIN, SY_SRC, SY_TEST_TMP. Uses curl and jq.
set -u
SY_SRC=${SY_SRC:-$(cd "$(dirname "$0")/../.." && pwd)}
SY_BIN=${SY_BIN:-$SY_SRC/build}
source "$SY_SRC/tests/integration/lib.bash"
unset SUYUAN_TOKEN SUYUAN_NODE SUYUAN_KEY
export NO_PROXY=127.0.0.1,localhost no_proxy=127.0.0.1,localhost
SUYUAN=$SY_BIN/suyuan
D=$T/data
GTIN=04012345111118

for tool in curl jq; do
  command -v $tool >/dev/null || { echo "needs $tool"; exit 77; }
done

# js FILE FILTER: a jq filter over a JSON file (raw output).
js() { jq -r "$2" "$1" 2>/dev/null; }
# post PATH CONTENT_TYPE BODY [EXTRA CURL ARGS]: status code; body in $T/body, headers in $T/hdr
post() {
  local path=$1 ct=$2 body=$3
  shift 3
  curl -s -o "$T/body" -D "$T/hdr" -w '%{http_code}' -H "Content-Type: $ct" --data-binary "$body" \
    "$@" "$NODE$path"
}
verify() { # verify CODE [PLACE]
  if [ $# -ge 2 ]; then
    post /v1/verify-code application/json "{\"code\":\"$1\",\"place\":\"$2\"}"
  else
    post /v1/verify-code application/json "{\"code\":\"$1\"}"
  fi
}
q() { "$@" >/dev/null 2>&1; } # quiet: keeps check's own output visible
code_of() { awk -F, -v s="$1" '$1 == s {print $2}' "$T/codes.csv"; }

# Unknown codes: 5 at once as by default, but refilled only once an hour, so
# the brute-force check below does not depend on how fast this machine is.
export SUYUAN_AC_UNKNOWN_PER_MIN=0.0166

# ---- a chain: the brand (with its recorder) and another organisation --------------------
"$SUYUAN" init --chain codes-it --org brand --org-name "Brand Co" --dir "$D" >/dev/null 2>&1
check "init" test -s "$D/genesis.json"
start_node "$D" || { no "node starts"; finish; }
ADMIN=$D/keys/admin.key
"$SUYUAN" keygen --out "$T/rec.key" >/dev/null 2>&1
"$SUYUAN" keygen --out "$T/aud.key" >/dev/null 2>&1
"$SUYUAN" keygen --out "$T/other.key" >/dev/null 2>&1
check "member add recorder" q "$SUYUAN" member add --key "$ADMIN" --org brand \
  --member-key "$T/rec.key" --roles recorder --name "Line 1"
check "member add auditor" q "$SUYUAN" member add --key "$ADMIN" --org brand \
  --member-key "$T/aud.key" --roles auditor
OTHER_PK=$(js "$T/other.key" .public_key)
check "org.add other" q "$SUYUAN" tx submit --key "$ADMIN" --type org.add \
  --payload "{\"id\":\"other\",\"name\":\"Other Co\",\"admins\":[{\"public_key\":\"$OTHER_PK\"}]}"

# ---- org contact (I7) -------------------------------------------------------------------------
check "org contact set" q "$SUYUAN" org contact --key "$ADMIN" --org brand --tel "400-800-1234" \
  --sms "10690000" --web "https://brand.example/q"
"$SUYUAN" org show brand >"$T/out" 2>&1
check "org show: tel" grep -q '^tel: *400-800-1234$' "$T/out"
check "org show: sms" grep -q '^sms: *10690000$' "$T/out"
check "org show: web" grep -q '^web: *https://brand.example/q$' "$T/out"
"$SUYUAN" org contact --key "$ADMIN" --org other --tel "110-000" >/dev/null 2>&1
check "org contact for another org: recorded invalid (exit 4)" test $? -eq 4
"$SUYUAN" org contact --key "$ADMIN" --org brand --web "javascript:alert(1)" >/dev/null 2>&1
check "org contact with a bad URL: usage (exit 2)" test $? -eq 2
"$SUYUAN" org show nobody >/dev/null 2>&1
check "org show unknown org: refused (exit 3)" test $? -eq 3

# ---- a product on the chain, so replies can name it -------------------------------------------
cat >"$T/commission.json" <<EOF
{"@context": ["https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld"],
 "type": "EPCISDocument", "schemaVersion": "2.0", "creationDate": "2026-11-20T08:00:00Z",
 "epcisBody": {"eventList": [{"type": "ObjectEvent", "eventTime": "2026-11-20T08:00:00+08:00",
   "eventTimeZoneOffset": "+08:00", "action": "ADD", "bizStep": "commissioning",
   "disposition": "active",
   "epcList": ["urn:epc:id:sgtin:4012345.011111.1", "urn:epc:id:sgtin:4012345.011111.2",
               "urn:epc:id:sgtin:4012345.011111.3"],
   "ilmd": {"cbvmda:lotNumber": "L1", "gs1:productName": "West Lake Longjing Tea"}}]}}
EOF
check "capture the commissioning" q "$SUYUAN" capture --key "$T/rec.key" "$T/commission.json"

# ---- codes issue --------------------------------------------------------------------------------
"$SUYUAN" codes issue --key "$T/aud.key" --gtin "$GTIN" --lot L9 --serials 1-3 \
  --out "$T/aud.csv" >/dev/null 2>&1
check "codes issue by an auditor: recorded invalid (exit 4)" test $? -eq 4
check "codes issue (50, by the recorder)" "$SUYUAN" codes issue --key "$T/rec.key" --gtin "$GTIN" \
  --lot L1 --serials 1-50 --out "$T/codes.csv"
check "codes file is 0600" test "$(stat -c %a "$T/codes.csv")" = 600
check "codes file: header + 50 lines" test "$(wc -l <"$T/codes.csv")" -eq 51
check "codes look like XXXX-XXXX-XXXX-XXXX" test \
  "$(grep -cE '^[0-9]+,[0-9A-HJKMNP-TV-Z]{4}(-[0-9A-HJKMNP-TV-Z]{4}){3}$' "$T/codes.csv")" -eq 50
check "codes are distinct" test "$(cut -d, -f2 "$T/codes.csv" | sort -u | wc -l)" -eq 51
"$SUYUAN" codes issue --key "$T/rec.key" --gtin "$GTIN" --lot L1 --serials 1-2 \
  --out "$T/codes.csv" >/dev/null 2>&1
check "codes issue refuses to overwrite the codes file" test $? -eq 1
"$SUYUAN" codes issue --key "$T/rec.key" --gtin "$GTIN" --lot L1 --serials 5-6 \
  --out "$T/again.csv" >/dev/null 2>&1
check "codes issue for serials with live codes: invalid (exit 4)" test $? -eq 4
C1=$(code_of 1)
C2=$(code_of 2)
C3=$(code_of 3)
C4=$(code_of 4)
C10=$(code_of 10)

# ---- tokens for the brand and the other organisation ----------------------------------------
"$SUYUAN" token create --data "$D" --member-key "$T/rec.key" --name brand >"$T/out" 2>/dev/null
grep -oE 'syt_[0-9a-f]{16}_[0-9a-f]{64}' "$T/out" | head -1 >"$T/brand.tok"
"$SUYUAN" token create --data "$D" --member-key "$T/other.key" --name other >"$T/out" 2>/dev/null
grep -oE 'syt_[0-9a-f]{16}_[0-9a-f]{64}' "$T/out" | head -1 >"$T/other.tok"
check "tokens made" test -s "$T/brand.tok" -a -s "$T/other.tok"

# ---- verification -----------------------------------------------------------------------------
st=$(verify "$C1" "Shanghai")
check "first scan: 200" test "$st" = 200
check "first scan: genuine" test "$(js "$T/body" .result)" = genuine
check "first scan: first_verified is null" test "$(js "$T/body" .first_verified)" = null
check "first scan: product serial 1 of lot L1" test \
  "$(js "$T/body" '.product.gtin+"/"+.product.lot+"/"+.product.serial')" = "$GTIN/L1/1"
check "first scan: brand" test "$(js "$T/body" .brand.name)" = "Brand Co"
st=$(verify "$C1" "shanghai ")
check "second scan: 200 already_verified" test "$st/$(js "$T/body" .result)" = 200/already_verified
check "second scan: count 2" test "$(js "$T/body" .count)" = 2
check "second scan: first place" test "$(js "$T/body" .first_verified.place)" = shanghai
check "second scan: first time" grep -qE '"time": ?"20[0-9]{2}-[0-9]{2}-[0-9]{2}T' "$T/body"
# the code as text/plain, lower case, without dashes: the same code
lc=$(echo "$C2" | tr 'A-Z' 'a-z' | tr -d -)
st=$(post /v1/verify-code text/plain "$lc")
check "text/plain, lower case, no dashes: genuine" test "$st/$(js "$T/body" .result)" = 200/genuine

# two places -> an alert the brand sees, the other org does not
st=$(verify "$C1" "Beijing")
check "scan in a second place: already_verified" test "$(js "$T/body" .result)" = already_verified
"$SUYUAN" alerts --token-file "$T/brand.tok" >"$T/alerts" 2>&1
check "alerts (brand): multiple_places for serial 1" grep -qE 'multiple_places +gtin 04012345111118 lot L1 serial 1 ' "$T/alerts"
check "alerts (brand): both places" grep -qE 'places (beijing, shanghai|shanghai, beijing)' "$T/alerts"
"$SUYUAN" --json alerts --token-file "$T/brand.tok" >"$T/alerts.json" 2>&1
check "alerts --json: one alert" test "$(js "$T/alerts.json" '.alerts|length')" = 1
check "alerts --json: count 3" test "$(js "$T/alerts.json" '.alerts[0].count')" = 3
"$SUYUAN" alerts --token-file "$T/other.tok" >"$T/alerts2" 2>&1
check "alerts (other org): none" grep -q '^no alerts for other$' "$T/alerts2"
"$SUYUAN" alerts >/dev/null 2>&1
check "alerts without a token: usage (exit 2)" test $? -eq 2
st=$(curl -s -o /dev/null -w '%{http_code}' "$NODE/v1/alerts")
check "GET /v1/alerts without a token: 401" test "$st" = 401
"$SUYUAN" alerts --since 2999-01-01T00:00:00Z --token-file "$T/brand.tok" >"$T/out" 2>&1
check "alerts --since the future: none" grep -q '^no alerts' "$T/out"
# repeated scans (5) of one code in one place raise repeated_scans
for _ in 1 2 3 4; do verify "$C4" >/dev/null; done
check "four scans: no alert yet" test "$("$SUYUAN" --json alerts --token-file "$T/brand.tok" | jq '[.alerts[]|select(.reason=="repeated_scans")]|length')" = 0
verify "$C4" >/dev/null
check "fifth scan: repeated_scans" test "$("$SUYUAN" --json alerts --token-file "$T/brand.tok" | jq '[.alerts[]|select(.reason=="repeated_scans" and .serial=="4")]|length')" = 1

"$SUYUAN" codes list --gtin "$GTIN" --lot L1 --token-file "$T/brand.tok" >"$T/out" 2>&1
check "codes list: 50 issued" grep -qE '^issued +50$' "$T/out"
check "codes list: 3 verified" grep -qE '^verified +3$' "$T/out"
"$SUYUAN" codes list --token-file "$T/other.tok" >"$T/out" 2>&1
check "codes list (other org): 0 issued" grep -qE '^issued +0$' "$T/out"

# revoke serials 10-12
check "codes revoke 10-12" q "$SUYUAN" codes revoke --key "$T/rec.key" --gtin "$GTIN" --lot L1 --serials 10-12
st=$(verify "$C10")
check "revoked code: 410" test "$st" = 410
check "revoked code: result revoked" test "$(js "$T/body" .result)" = revoked
"$SUYUAN" codes revoke --key "$T/other.key" --gtin "$GTIN" --lot L1 >/dev/null 2>&1
check "another org cannot revoke the brand's codes (exit 4)" test $? -eq 4
"$SUYUAN" codes list --gtin "$GTIN" --lot L1 --token-file "$T/brand.tok" >"$T/out" 2>&1
check "codes list: 3 revoked" grep -qE '^revoked +3$' "$T/out"

# unknown code: 404, and nothing more
st=$(verify "ZZZZ-ZZZZ-ZZZZ-ZZZZ")
check "unknown code: 404" test "$st" = 404
check "unknown code: problem unknown-code" grep -q 'unknown-code' "$T/body"
check "unknown code: says no more" test "$(js "$T/body" .detail)" = "unknown code"
st=$(post /v1/verify-code application/json '{"code": 5}')
check "bad JSON shape: 400" test "$st" = 400
st=$(post /v1/verify-code application/xml '<code/>')
check "other media type: 415" test "$st" = 415

# ---- SMS ---------------------------------------------------------------------------------------
sms() { # sms TEXT [FROM [TOKEN_FILE]]: status; reply in $T/body
  jq -n --arg t "$1" --arg f "${2:-+8613800000000}" '{from: $f, text: $t}' >"$T/smsreq"
  local auth=()
  [ $# -ge 3 ] && auth=(-H "Authorization: Bearer $(cat "$3")")
  curl -s -o "$T/body" -w '%{http_code}' -H 'Content-Type: application/json' "${auth[@]}" \
    --data-binary @"$T/smsreq" "$NODE/v1/sms"
}
fits() { # the reply fits one SMS: 70 UTF-16 units with Chinese, 160 GSM-7 otherwise
  jq -e '.reply | explode | (map(select(. > 127)) | length > 0) as $wide
         | (length + (map(select(. > 65535)) | length)) as $n
         | $n > 0 and $n <= (if $wide then 70 else 160 end)' "$T/body" >/dev/null
}
st=$(sms "$GTIN 2")
check "sms GTIN+serial: 200 product" test "$st/$(js "$T/body" .kind)" = 200/product
check "sms GTIN+serial: names the product" grep -q 'West Lake' "$T/body"
check "sms GTIN+serial: lot" grep -q '批号L1' "$T/body"
check "sms GTIN+serial: fits one SMS" fits
st=$(sms "https://id.gs1.org/01/$GTIN/10/L1/21/2")
check "sms Digital Link: product" test "$st/$(js "$T/body" .result)" = 200/found
check "sms Digital Link: fits" fits
st=$(sms "(01)$GTIN(10)L1(21)3")
check "sms element string: product" test "$st/$(js "$T/body" .result)" = 200/found
check "sms element string: fits" fits
st=$(sms "$C3")
check "sms code: genuine" test "$st/$(js "$T/body" .result)" = 200/genuine
check "sms code: says 正品" grep -q '正品' "$T/body"
check "sms code genuine: fits" fits
st=$(sms "$C3")
check "sms code again: suspicious" test "$(js "$T/body" .result)" = suspicious
check "sms code again: first-verified date" grep -qE '已于20[0-9]{2}-[0-9]{2}-[0-9]{2}' "$T/body"
check "sms code again: fits" fits
st=$(sms "AAAA-BBBB-CCCC-DDDD")
check "sms unknown code" test "$st/$(js "$T/body" .result)" = 200/unknown
check "sms unknown: fits" fits
st=$(sms "$C10")
check "sms revoked code" test "$(js "$T/body" .result)" = revoked
st=$(sms "hello, is this real?")
check "sms unrecognised: 200 help" test "$st/$(js "$T/body" .kind)" = 200/help
check "sms help: fits" fits
st=$(sms "04012345999990 1")
check "sms unknown product: not_found" test "$st/$(js "$T/body" .result)" = 200/not_found
st=$(curl -s -o "$T/body" -w '%{http_code}' -H 'Content-Type: text/plain' --data-binary "$GTIN 2" "$NODE/v1/sms?format=text")
check "sms as text/plain in and out" test "$st" = 200
check "sms text reply is the reply" grep -q 'West Lake' "$T/body"
check "sms text reply is not JSON" test "$(head -c1 "$T/body")" != "{"

# ---- guessing codes: rate-limited ------------------------------------------------------------------
ALPHABET=0123456789ABCDEFGHJKMNPQRSTVWXYZ
got429=0
first429=0
statuses=""
for i in $(seq 1 12); do
  guess=""
  for _ in $(seq 16); do guess+=${ALPHABET:$((RANDOM % 32)):1}; done
  st=$(verify "$guess")
  statuses+=" $st"
  if [ "$st" = 429 ]; then got429=$((got429 + 1)); [ "$first429" = 0 ] && first429=$i; fi
done
echo "     guesses answered:$statuses"
# two unknown codes were tried above (verify-code and SMS, from this address)
check "brute force: the 4th guess is refused (5 unknown codes, then 429)" test "$first429" = 4
check "brute force: every later guess 429" test "$got429" -eq $((12 - first429 + 1))
check "429 has Retry-After" grep -qi '^retry-after: [1-9]' "$T/hdr"
st=$(verify "$C2")
check "a guessing client is refused even a real code" test "$st" = 429
st=$(sms "$C2" "+8613900000000")
check "an SMS from the guessing address, untrusted sender: 429" test "$st/$(js "$T/body" .result)" = 429/rate_limited
check "the 429 SMS still has a reply" grep -q '请稍后再试' "$T/body"
st=$(sms "$C2" "+8613900000000" "$T/brand.tok")
check "a trusted gateway's sender is limited on its own" test "$st/$(js "$T/body" .result)" = 200/suspicious

# ---- secrets and files ----------------------------------------------------------------------------------
check "scans.db is 0600" test "$(stat -c %a "$D/scans.db")" = 600
leaked=0
for c in "$C1" "$C2" "$C3" "$C10"; do
  grep -rqF -- "$c" "$D/node.out" "$D/node.err" "$D/ledger.db" "$D/scans.db" 2>/dev/null && leaked=1
done
check "codes are not in the node's logs, ledger or scan log" test "$leaked" = 0
check "verify: the chain with codes replays" q "$SUYUAN" verify
stop_node
check "verify --data offline" q "$SUYUAN" verify --data "$D"
finish
