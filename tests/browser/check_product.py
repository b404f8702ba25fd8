#!/usr/bin/env python3
"""Independent check of a GET /v1/product answer (docs/resolver.md,
"Verification protocol"), the same steps the page's verify.js takes, written
again here from docs/format.md so that the two can disagree:

  tx id = SHA-256(raw); the signer key hashes to the signer id in the body
  and its Ed25519 signature over the body verifies; the event at eventIndex
  of the signed EPCIS payload has the served fields; the RFC 9162 audit path
  leads to the header's tx_root; SHA-256(header) is the block hash; an
  attestation "SYAT"|height|hash|results verifies under a registered node
  key. Ed25519 through the openssl command line (python3 has none).

usage: check_product.py FILE.json   -> prints "ok N" or the first failure, exit 0/1
"""
import base64
import hashlib
import json
import os
import shutil
import struct
import subprocess
import sys
import tempfile


def sha(*parts):
    h = hashlib.sha256()
    for p in parts:
        h.update(p)
    return h.digest()


HAVE_OPENSSL = shutil.which("openssl") is not None


def ed25519_ok(pk, sig, msg):
    if not HAVE_OPENSSL:  # noted once in main(); the hash checks still run
        return True
    der = bytes.fromhex("302a300506032b6570032100") + pk
    with tempfile.TemporaryDirectory() as d:
        pem = os.path.join(d, "pk.pem")
        with open(pem, "w") as f:
            f.write("-----BEGIN PUBLIC KEY-----\n" + base64.b64encode(der).decode() +
                    "\n-----END PUBLIC KEY-----\n")
        with open(os.path.join(d, "sig"), "wb") as f:
            f.write(sig)
        with open(os.path.join(d, "msg"), "wb") as f:
            f.write(msg)
        r = subprocess.run(["openssl", "pkeyutl", "-verify", "-pubin", "-inkey", pem, "-rawin",
                            "-in", os.path.join(d, "msg"), "-sigfile", os.path.join(d, "sig")],
                           capture_output=True)
        return r.returncode == 0


def decode_tx(raw):
    (bl,) = struct.unpack_from("<I", raw, 0)
    body = raw[4:4 + bl]
    sl = raw[4 + bl]
    sig = raw[5 + bl:5 + bl + sl]
    assert len(raw) == 5 + bl + sl, "envelope length"
    assert body[:4] == b"SYT1", "magic"
    typ, cl = body[4], body[5]
    o = 6
    chain = body[o:o + cl].decode()
    o += cl
    signer = body[o:o + 16]
    o += 32
    (pl,) = struct.unpack_from("<I", body, o)
    o += 4
    assert o + pl == len(body), "payload length"
    return typ, chain, signer, body, sig, body[o:]


def merkle_root(txid, index, size, path):
    if index >= size:
        return None
    fn, sn = index, size - 1
    r = sha(b"\x00", txid)
    for p in path:
        if sn == 0:
            return None
        if fn & 1 or fn == sn:
            r = sha(b"\x01", p, r)
            while not fn & 1 and fn != 0:
                fn >>= 1
                sn >>= 1
        else:
            r = sha(b"\x01", r, p)
        fn >>= 1
        sn >>= 1
    return r if sn == 0 else None


def word(v):
    for p in ("https://ref.gs1.org/cbv/BizStep-", "https://ref.gs1.org/cbv/Disp-",
              "urn:epcglobal:cbv:bizstep:", "urn:epcglobal:cbv:disp:"):
        if v and v.startswith(p):
            return v[len(p):]
    return v


def main():
    view = json.load(open(sys.argv[1]))
    nodes = {}
    for n in view["nodes"]:
        pk = bytes.fromhex(n["public_key"])
        assert sha(pk)[:16].hex() == n["key_id"], "node key id"
        nodes[n["key_id"]] = pk
    checked_blocks = {}
    for e in view["events"]:
        tx = view["transactions"][e["txId"]]
        raw = base64.b64decode(tx["raw"])
        txid = sha(raw)
        assert txid.hex() == e["txId"], f"tx id of {e['eventID']}"
        typ, chain, signer, body, sig, payload = decode_tx(raw)
        assert typ == 17 and chain == view["chain"]["chain_id"], "tx type / chain"
        spk = bytes.fromhex(tx["signer_public_key"])
        assert sha(spk)[:16] == signer and signer.hex() == e["signer"], "signer key"
        assert ed25519_ok(spk, sig, body), "tx signature"
        doc = json.loads(payload)
        ev = doc["epcisBody"]["eventList"][e["eventIndex"]] if doc.get("type") == "EPCISDocument" else doc
        assert ev["type"] == e["type"], "event type"
        assert word(ev.get("bizStep")) == e["bizStep"], f"bizStep of {e['eventID']}"
        assert word(ev.get("disposition")) == e["disposition"], "disposition"
        assert (ev.get("readPoint") or {}).get("id") == e["readPoint"], "readPoint"
        pf = tx["proof"]
        blk = view["blocks"][str(e["height"])]
        hdr = base64.b64decode(blk["header"])
        assert len(hdr) == 168 and hdr[:4] == b"SYB1", "header"
        (height,) = struct.unpack_from("<Q", hdr, 4)
        tx_root, results = hdr[44:76], hdr[108:140]
        (tx_count,) = struct.unpack_from("<I", hdr, 164)
        assert height == e["height"] and pf["tree_size"] == tx_count, "height / tree size"
        root = merkle_root(txid, pf["leaf_index"], pf["tree_size"], [bytes.fromhex(p) for p in pf["path"]])
        assert root == tx_root, f"merkle proof of {e['eventID']}"
        bh = sha(hdr)
        assert bh.hex() == blk["hash"], "block hash"
        if height not in checked_blocks:
            msg = b"SYAT" + struct.pack("<Q", height) + bh + results
            checked_blocks[height] = any(
                a["node"] in nodes and ed25519_ok(nodes[a["node"]], bytes.fromhex(a["signature"]), msg)
                for a in blk["attestations"])
        assert checked_blocks[height], f"no valid attestation of block {height}"
    print("ok", len(view["events"]), "" if HAVE_OPENSSL else "(no openssl: Ed25519 signatures not checked)")


if __name__ == "__main__":
    try:
        main()
    except (AssertionError, KeyError, ValueError, IndexError, struct.error) as ex:
        print("fail", type(ex).__name__, ex)
        sys.exit(1)
