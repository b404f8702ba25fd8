#!/usr/bin/env python3
"""A hostile web server in front of a node, for tests/integration/test_browser.sh:
it passes every request through, but rewrites the product view
(GET /v1/product) the way a dishonest server might, so the test can check
that the page's in-browser verification catches it.

usage: tamper_proxy.py UPSTREAM MODE PORTFILE
  MODE field   changes one field of one event (the inspection's disposition
               and the readPoint of the first event) in the served JSON
  MODE bytes   changes one byte inside a transaction's raw bytes
  MODE summary claims a different inspection result in the product summary
Writes the port it listens on (127.0.0.1, ephemeral) to PORTFILE.
"""
import base64
import json
import sys
import urllib.error
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

UPSTREAM, MODE, PORTFILE = sys.argv[1], sys.argv[2], sys.argv[3]
PASS_HEADERS = ("content-type", "content-security-policy", "x-content-type-options", "location", "link")


def tamper(view):
    evs = view["events"]
    if MODE == "field":
        for e in evs:
            if e.get("bizStep") == "inspecting":
                e["disposition"] = "conformant" if e["disposition"] != "conformant" else "non_conformant"
                break
        evs[0]["readPoint"] = "urn:epc:id:sgln:6909999.00009.0"
    elif MODE == "bytes":
        tx = view["transactions"][evs[-1]["txId"]]
        raw = bytearray(base64.b64decode(tx["raw"]))
        raw[len(raw) - 80] ^= 0x01  # inside the payload, before the signature
        tx["raw"] = base64.b64encode(bytes(raw)).decode()
    elif MODE == "summary":
        view["product"]["inspection"] = "non_conformant" if view["product"]["inspection"] == "conformant" else "conformant"
    return view


class Handler(BaseHTTPRequestHandler):
    def log_message(self, *args):
        pass

    def do_GET(self):
        req = urllib.request.Request(UPSTREAM + self.path,
                                     headers={"Accept": self.headers.get("Accept", "*/*")})
        try:
            resp = urllib.request.urlopen(req, timeout=20)
            status, headers, body = resp.status, resp.headers, resp.read()
        except urllib.error.HTTPError as e:
            status, headers, body = e.code, e.headers, e.read()
        if self.path.startswith("/v1/product") and status == 200:
            body = json.dumps(tamper(json.loads(body))).encode()
        self.send_response(status)
        for k, v in headers.items():
            if k.lower() in PASS_HEADERS:
                self.send_header(k, v)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Connection", "close")
        self.end_headers()
        self.wfile.write(body)


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


urllib.request.install_opener(urllib.request.build_opener(NoRedirect))
srv = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
with open(PORTFILE + ".tmp", "w") as f:
    f.write(str(srv.server_address[1]))
import os  # noqa: E402

os.replace(PORTFILE + ".tmp", PORTFILE)
srv.serve_forever()
