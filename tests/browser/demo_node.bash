# Sourced by tests/integration/test_resolver.sh and test_browser.sh (after
# lib.bash): a real node with the demo tea supply chain recorded on it
# (scripts/demo_load.sh: GS1-keyed EPCIS 2.0 events signed by four members
# of three organisations).
# start_demo_node [suyuand args...]: sets D (node dir), NODE, NODE_PID.
DEMO_PRODUCT=/01/06901234000023/10/B2026-07/21/0001
start_demo_node() {
  D=$T/d
  "$SY_BIN/suyuan" init --chain demo --org tea-coop --org-name "West Lake Tea Cooperative" \
    --dir "$D" --listen 127.0.0.1:7420 >/dev/null || return 1
  start_node "$D" "$@" || return 1
  SUYUAN_NODE=$NODE bash "$SY_SRC/scripts/demo_load.sh" "$SY_BIN" "$D"
}
