#!/usr/bin/env bash
# Writes the demo tea supply chain (SPEC Annex A) as GS1 EPCIS 2.0 documents
# into DIR, one file per event, named NN-SIGNER-what.json, where SIGNER says
# whose key records it:
#   coop     West Lake Tea Cooperative, recorder       (tea garden, factory)
#   qa       West Lake Tea Cooperative, inspector      (quality inspection, SPEC I6)
#   logi     Hangzhou Cold-Chain Logistics, recorder   (distribution)
#   shop     Lianhua Supermarket, recorder             (retail)
# Used by scripts/demo.sh and by the resolver and browser tests, so the page
# the tests open is the demo's page. GS1 keys (SPEC C1): company prefix
# 6901234 (7 digits), GTINs with valid check digits:
#   06901234000016  fresh leaves (lot L2026-001, quantity in kg: LGTIN)
#   06901234000023  West Lake Longjing 250 g tins (lot B2026-07, serials 0001..0003: SGTIN)
# GLNs: 6901234000016 tea garden, 6901234000023 factory, 6909999000012 store;
# SSCC 069012340000000177 is the shipping case.
# Demo product page: /01/06901234000023/10/B2026-07/21/0001
set -euo pipefail
DIR=${1:?usage: demo_events.sh DIR}
mkdir -p "$DIR"

LEAF=urn:epc:class:lgtin:6901234.000001.L2026-001
LOT=urn:epc:class:lgtin:6901234.000002.B2026-07
GARDEN=urn:epc:id:sgln:6901234.00001.0
FACTORY=urn:epc:id:sgln:6901234.00002.0
STORE=urn:epc:id:sgln:6909999.00001.0
SSCC=urn:epc:id:sscc:6901234.0000000017
I1=urn:epc:id:sgtin:6901234.000002.0001
I2=urn:epc:id:sgtin:6901234.000002.0002
I3=urn:epc:id:sgtin:6901234.000002.0003
ITEMS="\"$I1\",\"$I2\",\"$I3\""

doc() { # doc FILE EVENT: an EPCISDocument holding one event
  printf '{"@context":["https://ref.gs1.org/standards/epcis/epcis-context.jsonld"],"type":"EPCISDocument","schemaVersion":"2.0","creationDate":"2026-04-12T12:00:00.000Z","epcisBody":{"eventList":[%s]}}\n' \
    "$2" >"$DIR/$1"
}
TZ8='"eventTimeZoneOffset":"+08:00"'

doc 01-coop-pick.json '{"type":"ObjectEvent","eventTime":"2026-04-02T06:30:00.000+08:00",'"$TZ8"',"action":"ADD","bizStep":"commissioning","disposition":"active","quantityList":[{"epcClass":"'$LEAF'","quantity":120,"uom":"KGM"}],"readPoint":{"id":"'$GARDEN'"},"bizLocation":{"id":"'$GARDEN'"},"ilmd":{"gs1:productName":[{"@value":"西湖龙井鲜叶","@language":"zh"},{"@value":"Longjing fresh tea leaves","@language":"en"}],"cbvmda:lotNumber":"L2026-001","cbvmda:countryOfOrigin":"CN"}}'

doc 02-coop-receive.json '{"type":"ObjectEvent","eventTime":"2026-04-02T11:00:00.000+08:00",'"$TZ8"',"action":"OBSERVE","bizStep":"receiving","disposition":"in_progress","quantityList":[{"epcClass":"'$LEAF'","quantity":120,"uom":"KGM"}],"readPoint":{"id":"'$FACTORY'"},"bizLocation":{"id":"'$FACTORY'"}}'

doc 03-coop-process.json '{"type":"TransformationEvent","eventTime":"2026-04-03T15:00:00.000+08:00",'"$TZ8"',"bizStep":"commissioning","disposition":"active","inputQuantityList":[{"epcClass":"'$LEAF'","quantity":120,"uom":"KGM"}],"outputEPCList":['"$ITEMS"'],"readPoint":{"id":"'$FACTORY'"},"bizLocation":{"id":"'$FACTORY'"},"ilmd":{"gs1:productName":[{"@value":"西湖龙井 明前特级 250克","@language":"zh"},{"@value":"West Lake Longjing, pre-Qingming premium, 250 g","@language":"en"}],"gs1:modelNumber":"LJ-250-TJ","cbvmda:lotNumber":"B2026-07","cbvmda:bestBeforeDate":"2028-04-03"}}'

doc 04-qa-inspect.json '{"type":"ObjectEvent","eventTime":"2026-04-04T10:00:00.000+08:00",'"$TZ8"',"action":"OBSERVE","bizStep":"inspecting","disposition":"conformant","epcList":['"$ITEMS"'],"quantityList":[{"epcClass":"'$LOT'","quantity":3}],"readPoint":{"id":"'$FACTORY'"},"certificationInfo":"https://cert.example.cn/tea/B2026-07"}'

doc 05-coop-pack.json '{"type":"AggregationEvent","eventTime":"2026-04-05T09:00:00.000+08:00",'"$TZ8"',"action":"ADD","bizStep":"packing","disposition":"in_progress","parentID":"'$SSCC'","childEPCs":['"$ITEMS"'],"readPoint":{"id":"'$FACTORY'"}}'

doc 06-logi-ship.json '{"type":"ObjectEvent","eventTime":"2026-04-05T14:00:00.000+08:00",'"$TZ8"',"action":"OBSERVE","bizStep":"shipping","disposition":"in_transit","epcList":["'$SSCC'"],"readPoint":{"id":"'$FACTORY'"},"destinationList":[{"type":"owning_party","destination":"'$STORE'"}]}'

doc 07-shop-receive.json '{"type":"ObjectEvent","eventTime":"2026-04-06T09:30:00.000+08:00",'"$TZ8"',"action":"OBSERVE","bizStep":"receiving","disposition":"sellable_not_accessible","epcList":["'$SSCC'"],"readPoint":{"id":"'$STORE'"},"bizLocation":{"id":"'$STORE'"}}'

doc 08-shop-sell.json '{"type":"ObjectEvent","eventTime":"2026-04-12T16:20:00.000+08:00",'"$TZ8"',"action":"OBSERVE","bizStep":"retail_selling","disposition":"retail_sold","epcList":["'$I1'"],"readPoint":{"id":"'$STORE'"},"bizLocation":{"id":"'$STORE'"}}'
