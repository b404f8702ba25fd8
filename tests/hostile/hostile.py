#!/usr/bin/env python3
"""The bad-input catalogue (issue 6 part 4; SPEC G2, M6, M8c).

A table of hostile requests against a REAL node: build/suyuand on
127.0.0.1 with an ephemeral port, on a chain made here with `suyuan init`,
a recorder member and a bearer token made with `suyuan token create`. Every
row states the exact status it must get and, for a problem document
(RFC 9457), its type token (urn:suyuan:problem:<token>); a row fails when
the status, the media type or the token differs, when a problem document is
malformed, or when the answer leaks a file from outside the node's web
directory. Then:

  - slow-loris: one client dribbles a request one byte a second while the
    catalogue runs (the node keeps serving everyone else), others send a
    partial request and go quiet: the node must close each after its idle
    timeout (the node runs with --idle-timeout 5, so this takes seconds);
  - H1 (docs/reliability.md): one client address opening more connections
    than the per-address limit (default 128) is refused past the limit
    while another address is served, and is served again once it lets go;
  - memory: the node's VmRSS (/proc/PID/status) after a first pass, after a
    second and a third pass of the whole catalogue: the growth over the
    repeat passes must stay under RSS_REPEAT_BOUND_KB (a leak per request
    would show there), and the growth from start-up under
    RSS_TOTAL_BOUND_KB;
  - at the end the node still answers /health, GET /v1/verify says the
    chain is intact, and `suyuan verify --data` agrees offline.

Rows for the issue-5 routes (GS1 Digital Link, /v1/product, /v1/label,
/web, POST /v1/verify-code, /v1/sms, /v1/alerts) are exact like the rest.
Every client is on 127.0.0.0/8: the code-verification rows that reach the
rate limiter come from an address of their own per pass (127.0.1.N), the
429 check from another (127.0.2.N), so that the catalogue's own volume
never trips a limit in an unrelated row.

Environment (set by CTest): SY_BIN (build directory), SY_SRC (source
root), SY_TEST_TMP (scratch), SUYUAN_KDF=fast. Python 3 standard library
only. Kills only the node it started (by PID). Exit 0 when every check
passed, 1 otherwise, 77 (skip) never: a missing binary is a failure.
"""
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse

SY_BIN = os.environ.get("SY_BIN")
if not SY_BIN:
    sys.exit("SY_BIN must name the build directory")
TMP_ROOT = os.environ.get("SY_TEST_TMP", "/tmp")
IDLE_TIMEOUT_S = 5           # suyuand --idle-timeout (the default is 30 s)
PER_IP = 128                 # SY_API_DEFAULT_PER_IP: suyuand --per-ip-connections
# The unknown-code bucket of POST /v1/verify-code and /v1/sms (routes_ac.c;
# docs/codes.md "Rate limits"), set through the node's environment: 20 at
# once and then one a minute, so the 21st unknown code from one address is
# 429 with Retry-After <= 60 s whatever the machine's speed.
AC_UNKNOWN_BURST = 20
AC_ENV = {"SUYUAN_AC_UNKNOWN_BURST": str(AC_UNKNOWN_BURST), "SUYUAN_AC_UNKNOWN_PER_MIN": "1"}
MAX_TX_BYTES = 1048576 + 512  # SY_API_DEFAULT_MAX_TX_BYTES
# VmRSS bounds (release build; x4 for a sanitized node). Measured on
# 2026-11-26 with MALLOC_ARENA_MAX=2: +3.7 MB over pass 1 (32 idle
# connections, thread stacks, SQLite caches), then +0.2 MB a pass.
RSS_REPEAT_BOUND_KB = 4 * 1024    # growth over passes 2..PASSES together
RSS_TOTAL_BOUND_KB = 32 * 1024    # growth from the node's start to the end
IDLE_CLIENTS = 32   # clients that go quiet mid-request
LORIS_S = 10        # seconds (bytes) each slow client dribbles
PASSES = int(os.environ.get("HOSTILE_PASSES", "3"))  # more: to study memory by hand
PROBLEM = "urn:suyuan:problem:"
# token of rows answered by libmicrohttpd itself, before any handler runs:
# exact status, an HTML body of its own (not a problem document; see
# tests/hostile/README.md)
MHD = "@libmicrohttpd"
# token of a 4xx answer that is documented as JSON and not a problem
# document: the SMS reply a gateway relays to the sender (docs/codes.md
# "SMS": a rate-limited sender gets 429 with a "try later" reply)
SMS_REPLY = "@sms-reply"

PASS = 0
FAIL = 0
FAILED = []
QUIET = False  # repeat passes report failures only


def ok(label):
    global PASS
    PASS += 1
    if not QUIET:
        print("ok   - " + label)


def no(label, *why):
    global FAIL
    FAIL += 1
    FAILED.append(label)
    print("FAIL - " + label)
    for w in why:
        print("       " + str(w)[:600])


# ---- a raw HTTP/1.1 client ------------------------------------------------------------

HOST = "127.0.0.1"
PORT = 0
SRC = None  # the client address to send from (None: 127.0.0.1); any of 127.0.0.0/8 reaches
            # the node, and the node keys its rate limits and connection counts by it


class Resp:
    def __init__(self, status, headers, body, closed_early=False):
        self.status = status      # int, or None when the node closed without answering
        self.headers = headers    # lower-case name -> value (last one wins)
        self.body = body          # bytes
        self.closed_early = closed_early

    def json(self):
        try:
            return json.loads(self.body.decode("utf-8"))
        except (UnicodeDecodeError, ValueError):
            return None


def raw_request(data, timeout=20.0):
    """Sends data (bytes) on a new connection and reads one answer."""
    s = socket.create_connection((HOST, PORT), timeout=timeout,
                                 source_address=(SRC, 0) if SRC else None)
    try:
        try:
            s.sendall(data)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the node may answer and close before the whole body is in
        try:
            s.shutdown(socket.SHUT_WR)
        except OSError:
            pass
        buf = b""
        while True:
            try:
                chunk = s.recv(65536)
            except ConnectionResetError:
                break
            if not chunk:
                break
            buf += chunk
    finally:
        s.close()
    return parse_response(buf)


def parse_response(buf):
    if not buf:
        return Resp(None, {}, b"", closed_early=True)
    head, sep, rest = buf.partition(b"\r\n\r\n")
    lines = head.split(b"\r\n")
    parts = lines[0].split(b" ", 2)
    try:
        status = int(parts[1])
    except (IndexError, ValueError):
        return Resp(None, {}, buf, closed_early=True)
    headers = {}
    for ln in lines[1:]:
        k, _, v = ln.partition(b":")
        headers[k.strip().lower().decode("latin-1")] = v.strip().decode("latin-1")
    n = headers.get("content-length")
    body = rest[: int(n)] if n is not None and n.isdigit() else rest
    return Resp(status, headers, body)


def build(method, target, headers=None, body=None, chunked=False):
    """method and target are str or bytes (bytes go out as they are)."""
    m = method if isinstance(method, bytes) else method.encode()
    t = target if isinstance(target, bytes) else target.encode()
    out = m + b" " + t + b" HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n"
    for h in headers or []:
        out += (h if isinstance(h, bytes) else h.encode("utf-8", "surrogateescape")) + b"\r\n"
    if body is not None:
        b = body if isinstance(body, bytes) else body.encode("utf-8", "surrogateescape")
        if chunked:
            out += b"Transfer-Encoding: chunked\r\n\r\n"
            step = 65536
            for i in range(0, len(b), step):
                c = b[i:i + step]
                out += b"%x\r\n" % len(c) + c + b"\r\n"
            out += b"0\r\n\r\n"
        else:
            out += b"Content-Length: %d\r\n\r\n" % len(b) + b
    else:
        out += b"\r\n"
    return out


def req(method, target, headers=None, body=None, chunked=False, timeout=20.0):
    return raw_request(build(method, target, headers, body, chunked), timeout)


# ---- checks ---------------------------------------------------------------------------

# Never in an answer: a file from outside the node's web directory.
LEAKS = [b"root:x:0:0", b"root:*:0:0", b"[boot loader]", b"SQLite format 3",
         b"\"tokens\": [", b"\"kdf\"", b"BEGIN PRIVATE KEY"]


def check(label, r, want, token=None, extra=None):
    """want: the exact status; token: the problem type suffix the answer must
    carry, or None for a non-problem answer, MHD or SMS_REPLY."""
    wants = want if isinstance(want, tuple) else (want,)
    why = []
    if r.status not in wants:
        why.append("status %s, want %s" % (r.status, "/".join(map(str, wants))))
    for leak in LEAKS:
        if leak in r.body:
            why.append("the answer holds %r: a file it must never serve" % leak)
    if token == MHD:
        pass
    elif token == SMS_REPLY:
        doc = r.json()
        if not r.headers.get("content-type", "").startswith("application/json"):
            why.append("content type %r, want an SMS reply (application/json)" %
                       r.headers.get("content-type"))
        elif not isinstance(doc, dict) or not isinstance(doc.get("reply"), str):
            why.append("not an SMS reply {reply, kind, result, ...}")
    elif r.status is not None and r.status >= 400:
        ct = r.headers.get("content-type", "")
        doc = r.json()
        if not ct.startswith("application/problem+json"):
            why.append("content type %r, want application/problem+json" % ct)
        elif not isinstance(doc, dict):
            why.append("the problem document is not a JSON object")
        else:
            t = doc.get("type", "")
            if not isinstance(t, str) or not t.startswith(PROBLEM):
                why.append("problem type %r" % t)
            elif token is not None and t != PROBLEM + token:
                why.append("problem type %r, want %s%s" % (t, PROBLEM, token))
            if doc.get("status") != r.status:
                why.append("problem status %r, HTTP status %s" % (doc.get("status"), r.status))
            if not isinstance(doc.get("title"), str) or not isinstance(doc.get("detail"), str):
                why.append("problem without title/detail")
    elif r.status is not None and token is not None:
        why.append("got %s, not the problem %s" % (r.status, token))
    if not why and extra is not None:
        msg = extra(r)
        if msg:
            why.append(msg)
    if why:
        no(label, *why, "body: %r" % r.body[:300])
        return False
    ok(label)
    return True


# ---- the node ------------------------------------------------------------------------

WORK = None
D = None
NODE = None       # subprocess.Popen
NODE_ERR = None


def run_cli(*args, check_rc=True, stdin=None):
    env = dict(os.environ)
    p = subprocess.run([os.path.join(SY_BIN, "suyuan")] + list(args), env=env,
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=60,
                       input=stdin)
    if check_rc and p.returncode != 0:
        raise RuntimeError("suyuan %s: exit %d: %s" % (" ".join(args), p.returncode,
                                                       p.stderr.decode(errors="replace")[-500:]))
    return p


def start_node(*extra, env_extra=None):
    global NODE, PORT, NODE_ERR
    addr = os.path.join(D, "addr")
    if os.path.exists(addr):
        os.remove(addr)
    env = dict(os.environ)
    # An ASan build keeps freed memory in quarantine (256 MB by default),
    # which would hide the steady state the RSS check looks for (ignored by
    # a build without ASan). glibc gives threads their own malloc arenas, up
    # to 8 per core, each keeping freed memory: with one thread per
    # connection that adds ~1.4 MB a pass until 16 arenas exist (measured),
    # noise that would hide a real leak; two arenas keep the curve flat.
    env["ASAN_OPTIONS"] = (env.get("ASAN_OPTIONS", "") + ":quarantine_size_mb=16").lstrip(":")
    env.setdefault("MALLOC_ARENA_MAX", "2")
    env.update(env_extra or {})
    NODE_ERR = open(os.path.join(WORK, "suyuand.err"), "ab")
    NODE = subprocess.Popen([os.path.join(SY_BIN, "suyuand"), "--data", D, "--listen",
                             "127.0.0.1:0", "--addr-file", addr, "--idle-timeout",
                             str(IDLE_TIMEOUT_S)] + list(extra), env=env,
                            stdout=NODE_ERR, stderr=NODE_ERR)
    for _ in range(300):
        if os.path.exists(addr) and os.path.getsize(addr) > 0:
            url = open(addr).read().strip()
            PORT = int(url.rsplit(":", 1)[1])
            return
        if NODE.poll() is not None:
            break
        time.sleep(0.1)
    raise RuntimeError("suyuand did not start")


def stop_node():
    if NODE is None or NODE.poll() is not None:
        return
    NODE.send_signal(signal.SIGTERM)
    try:
        NODE.wait(timeout=15)
    except subprocess.TimeoutExpired:
        NODE.kill()
        NODE.wait()


def sanitized():
    """1 when suyuand is built with AddressSanitizer."""
    with open(os.path.join(SY_BIN, "suyuand"), "rb") as f:
        return b"__asan_init" in f.read()


def rss_kb():
    with open("/proc/%d/status" % NODE.pid) as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return -1


# ---- fixtures ---------------------------------------------------------------------------

TOKEN = None
EXPIRED = None
REVOKED = None
CHAIN = "hostile"
CTX = '"@context":["https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld"]'
SER = "urn:epc:id:sgtin:6901234.000002.1001"
LOT = "urn:epc:class:lgtin:6901234.000001.L1"


def event(n, epc=SER):
    return ('{"type":"ObjectEvent","eventTime":"2026-11-20T08:%02d:%02dZ","eventTimeZoneOffset":'
            '"+08:00","action":"OBSERVE","bizStep":"shipping","epcList":["%s"],'
            '"readPoint":{"id":"urn:epc:id:sgln:6901234.00002.0"}}' % (n // 60 % 60, n % 60, epc))


def document(*events):
    return ('{' + CTX + ',"type":"EPCISDocument","schemaVersion":"2.0","creationDate":'
            '"2026-11-20T08:00:00Z","epcisBody":{"eventList":[' + ",".join(events) + ']}}')


def bare(ev):
    return '{' + CTX + ',' + ev[1:]


def auth(tok):
    return "Authorization: Bearer " + tok


JSONH = "Content-Type: application/json"
OCTET = "Content-Type: application/octet-stream"


def setup():
    global WORK, D, TOKEN, EXPIRED, REVOKED
    os.makedirs(TMP_ROOT, exist_ok=True)
    WORK = tempfile.mkdtemp(prefix="hostile.", dir=TMP_ROOT)
    D = os.path.join(WORK, "node")
    os.environ.setdefault("SUYUAN_KDF", "fast")
    os.environ.setdefault("SUYUAN_PASSPHRASE", "hostile-test-passphrase")
    run_cli("init", "--chain", CHAIN, "--org", "org1", "--dir", D)
    start_node(env_extra=AC_ENV)
    os.environ["SUYUAN_NODE"] = "http://127.0.0.1:%d" % PORT
    rec = os.path.join(WORK, "rec.key")
    run_cli("keygen", "--out", rec)
    run_cli("member", "add", "--key", os.path.join(D, "keys", "admin.key"), "--org", "org1",
            "--member-key", rec, "--roles", "recorder", "--name", "rec")
    toks = []
    for name in ("catalogue", "expired", "revoked"):
        p = run_cli("--json", "token", "create", "--data", D, "--member-key", rec, "--name", name)
        toks.append(json.loads(p.stdout)["token"])
    TOKEN, EXPIRED, REVOKED = toks
    run_cli("token", "revoke", "--data", D, REVOKED.split("_")[1])
    # expire the second one: tokens.json is the node's own file (docs/cli.md);
    # the node re-reads it when it changes
    tj = os.path.join(D, "tokens.json")
    doc = json.load(open(tj))
    for t in doc["tokens"]:
        if t["id"] == EXPIRED.split("_")[1]:
            t["expires_ms"] = 1000
    tmp = tj + ".tmp"
    with open(tmp, "w") as f:
        json.dump(doc, f)
    os.chmod(tmp, 0o600)
    os.replace(tmp, tj)
    # events for the queries to find
    r = req("POST", "/capture", [JSONH, auth(TOKEN)], document(event(0), event(1, LOT.replace(
        "class:lgtin", "id:sgtin").replace(".L1", ".2002"))))
    if r.status != 202:
        raise RuntimeError("seed capture: %s %r" % (r.status, r.body[:300]))


def sign_tx(name, payload, nonce, chain=CHAIN):
    """A record transaction signed by the recorder member."""
    out = os.path.join(WORK, name)
    run_cli("tx", "sign", "--key", os.path.join(WORK, "rec.key"), "--type", "record",
            "--payload", payload, "--chain", chain, "--nonce", str(nonce), "--out", out)
    return open(out, "rb").read()


# ---- the catalogue -----------------------------------------------------------------------
#
# A row: (label, method, target, headers, body, want, token[, extra]).
# want is the exact status. token is the
# problem type suffix (None: not a problem). extra(resp) returns an error
# message or None. Rows are plain data so the lead can add some (see
# tests/hostile/README.md).

GET_ROUTES = ["/v1/status", "/health", "/v1/members", "/v1/nodes", "/metrics",
              "/v1/blocks/0", "/v1/blocks/latest", "/v1/blocks/0/attestations",
              "/v1/blocks/0/raw", "/events", "/epcis/events"]
ID_ROUTES = [  # (prefix, the status/token a bad id gets)
    ("/v1/tx/", 400, "invalid-id"),
    ("/v1/blocks/", 400, "invalid-height"),
    ("/capture/", 404, "not-found"),
    ("/epcis/capture/", 404, "not-found"),
    ("/events/", 404, "not-found"),
    ("/epcis/events/", 404, "not-found"),
]
SQL = ["'", '"', ";", "--", "%", "' OR '1'='1", "1; DROP TABLE events; --",
       "\" UNION SELECT key_id, org FROM members --", "_", "*", "\\", "%%' OR 1=1 --"]


def q(s):
    return urllib.parse.quote(s, safe="")


def empty_list(key):
    def f(r):
        d = r.json()
        if not isinstance(d, dict):
            return "not a JSON object"
        v = d
        for k in key.split("."):
            v = v.get(k) if isinstance(v, dict) else None
        return None if v == [] else "%s is %r, want []" % (key, v)
    return f


def rows_routing():
    R = []
    for p in GET_ROUTES:
        R.append(("GET %s answers" % p, "GET", p, [], None, 200, None))
    R += [
        ("DELETE /v1/tx is 405", "DELETE", "/v1/tx", [], None, 405, "method-not-allowed"),
        ("PUT /events is 405", "PUT", "/events", [JSONH], "{}", 405, "method-not-allowed"),
        ("GET /capture is 405", "GET", "/capture", [], None, 405, "method-not-allowed"),
        ("POST /v1/status is 405", "POST", "/v1/status", [JSONH], "{}", 405, "method-not-allowed"),
        ("unknown method BREW", "BREW", "/health", [], None, 405, "method-not-allowed"),
        ("unknown route", "GET", "/v2/status", [], None, 404, "not-found"),
        ("trailing slash", "GET", "/v1/status/", [], None, 404, "not-found"),
        ("double slash", "GET", "//v1/status", [], None, 404, "not-found"),
        ("OPTIONS /capture", "OPTIONS", "/capture", [], None, 204, None),
        ("OPTIONS /events", "OPTIONS", "/epcis/events", [], None, 204, None),
    ]
    return R


def rows_traversal():
    R = []
    evil = ["../../../../etc/passwd", "..%2f..%2f..%2fetc%2fpasswd", "%2e%2e/%2e%2e/etc/passwd",
            "%2e%2e%2f%2e%2e%2fetc%2fpasswd", "..%5c..%5cwindows%5cwin.ini",
            "%252e%252e%252fetc%252fpasswd", "....//....//etc/passwd", "..;/..;/etc/passwd",
            "%c0%ae%c0%ae/etc/passwd", "a%00/../../etc/passwd", "%00", "..", "./ledger.db",
            "../tokens.json", "../keys/admin.key"]
    for pre, st, tok in ID_ROUTES:
        for e in evil:
            want, wtok = st, tok
            if pre.endswith("events/"):
                want, wtok = 404, "not-found"
            if pre == "/v1/blocks/" and "/" in urllib.parse.unquote(e).split("\0")[0]:
                want, wtok = 404, "not-found"  # /v1/blocks/{h}/<not a sub-resource>
            R.append(("traversal %s%s" % (pre, e), "GET", pre + e, [], None, want, wtok))
    for e in evil[:6]:
        R.append(("traversal in /v1/blocks/0/%s" % e, "GET", "/v1/blocks/0/" + e, [], None,
                  404, "not-found"))
        R.append(("traversal /epcis/%s" % e, "GET", "/epcis/" + e, [], None, 404, "not-found"))
        R.append(("traversal /v1/%s/status" % e, "GET", "/v1/%s/status" % e, [], None, 404,
                  "not-found"))
    # the consumer page never serves a file outside web/: 404, whatever the
    # spelling (docs/resolver.md "The trace page")
    for e in evil:
        if e == "%00":  # libmicrohttpd cuts the path at a decoded NUL: /web/, the index
            R.append(("/web/%00 is the index page", "GET", "/web/" + e, [], None, 200, None,
                      is_index))
            continue
        R.append(("traversal /web/%s" % e, "GET", "/web/" + e, [], None, 404, "not-found"))
    R += [
        ("traversal /web/%2e%2e", "GET", "/web/%2e%2e", [], None, 404, "not-found"),
        ("traversal /web/app.js/../../ledger.db", "GET", "/web/app.js/../../ledger.db", [], None,
         404, "not-found"),
        ("/web/ a directory", "GET", "/web/img/", [], None, 404, "not-found"),
        ("/web/ a file name of 4 KB", "GET", "/web/" + "a" * 4000 + ".js", [], None, 404,
         "not-found"),
        ("/web/ a file that is not there", "GET", "/web/nosuch.js", [], None, 404, "not-found"),
        ("/web/app.js is served", "GET", "/web/app.js", [], None, 200, None),
    ]
    return R


def is_index(r):
    ct = r.headers.get("content-type", "")
    return None if ct.startswith("text/html") and b"<html" in r.body.lower() else (
        "not the trace page: %r" % ct)


def rows_sql():
    R = []
    for s in SQL:
        v = q(s)
        R.append(("SQL in /v1/members?org=%s" % s, "GET", "/v1/members?org=" + v, [], None,
                  200, None, empty_list("members")))
        for p in ("EQ_bizStep", "EQ_readPoint", "EQ_bizLocation", "MATCH_epc", "MATCH_anyEPC",
                  "MATCH_epcClass", "EQ_eventID", "EQ_disposition", "eventType"):
            R.append(("SQL in /events?%s=%s" % (p, s), "GET", "/events?%s=%s" % (p, v), [], None,
                      200, None, empty_list("epcisBody.queryResults.resultsBody.eventList")))
        for p in ("EQ_action", "GE_eventTime", "LT_recordTime", "perPage",
                  "nextPageToken", "orderBy", "orderDirection", "x" + s):
            R.append(("SQL in /events?%s=%s" % (p, s), "GET", "/events?%s=%s" % (q(p), v), [],
                      None, 400, "invalid-parameter"))
        for route in ("/v1/trace/forward", "/v1/trace/backward", "/v1/trace/history",
                      "/v1/recall"):
            R.append(("SQL in %s?epc=%s" % (route, s), "GET", "%s?epc=%s" % (route, v), [], None,
                      404, "not-found"))
            R.append(("SQL in %s?max_depth=%s" % (route, s), "GET",
                      "%s?epc=%s&max_depth=%s" % (route, q(SER), v), [], None, 400,
                      "invalid-parameter"))
        for p in ("perPage", "nextPageToken"):
            R.append(("SQL in /v1/trace/history?%s=%s" % (p, s), "GET",
                      "/v1/trace/history?epc=%s&%s=%s" % (q(SER), p, v), [], None, 400,
                      "invalid-parameter"))
        R.append(("SQL in /v1/tx?timeout_ms=%s" % s, "POST",
                  "/v1/tx?wait=commit&timeout_ms=" + v, [OCTET], "x", 400, "invalid-parameter"))
        R.append(("SQL in /v1/tx?wait=%s" % s, "POST", "/v1/tx?wait=" + v, [OCTET], "x", 400,
                  "invalid-parameter"))
        R.append(("SQL in /v1/status?x=%s (ignored)" % s, "GET", "/v1/status?x=" + v, [], None,
                  200, None))
        R.append(("SQL in /v1/product?id=%s" % s, "GET", "/v1/product?id=" + v, [], None, 400,
                  "invalid-id"))
        R.append(("SQL in /v1/label?id=%s" % s, "GET", "/v1/label?id=" + v, [], None, 400,
                  "invalid-parameter"))
    return R


def rows_utf8():
    bad = ["%ff", "%c3%28", "%ed%a0%80", "%f8%88%80%80%80", "%c0%af", "%e2%82"]
    R = []
    for b in bad:
        R.append(("invalid UTF-8 in /events?EQ_bizStep=%s" % b, "GET", "/events?EQ_bizStep=" + b,
                  [], None, 400, "invalid-parameter"))
        R.append(("invalid UTF-8 in /v1/trace/forward?epc=%s" % b, "GET",
                  "/v1/trace/forward?epc=" + b, [], None, 400, "invalid-parameter"))
        R.append(("invalid UTF-8 in /v1/members?org=%s" % b, "GET", "/v1/members?org=" + b,
                  [], None, 400, "invalid-parameter"))
        R.append(("invalid UTF-8 in /v1/tx/%s" % b, "GET", "/v1/tx/" + b, [], None, 400,
                  "invalid-id"))
        R.append(("invalid UTF-8 in /events/%s" % b, "GET", "/events/" + b, [], None, 404,
                  "not-found"))
        R.append(("invalid UTF-8 in a path %s" % b, "GET", "/v1/" + b, [], None, 404,
                  "not-found"))
        raw = urllib.parse.unquote_to_bytes(b)
        R.append(("raw invalid UTF-8 bytes in a path %s" % b, "GET", b"/v1/tx/" + raw, [], None,
                  400, "invalid-id"))
        R.append(("invalid UTF-8 in a captured document %s" % b, "POST", "/capture",
                  [JSONH, auth(TOKEN)], document(event(41)).encode().replace(
                      b"shipping", b"ship" + raw), 400, "malformed-json"))
        R.append(("invalid UTF-8 in a bare event %s" % b, "POST", "/events",
                  [JSONH, auth(TOKEN)], bare(event(42)).encode().replace(b"OBSERVE", raw),
                  400, "malformed-json"))
    R.append(("NUL in a query value", "GET", "/v1/members?org=%00", [], None, 400,
              "invalid-parameter"))
    R.append(("control character in a query value", "GET", "/events?EQ_bizStep=a%01b", [], None,
              400, "invalid-parameter"))
    return R


def rows_json():
    T = auth(TOKEN)
    deep_arr = "[" * 100000
    deep_obj = '{"a":' * 50000
    R = [
        ("/v1/tx: not JSON", "POST", "/v1/tx", [JSONH], "{tx:", 400, "malformed-tx"),
        ("/v1/tx: JSON array", "POST", "/v1/tx", [JSONH], "[1,2]", 400, "malformed-tx"),
        ("/v1/tx: tx is a number", "POST", "/v1/tx", [JSONH], '{"tx": 42}', 400, "malformed-tx"),
        ("/v1/tx: tx is null", "POST", "/v1/tx", [JSONH], '{"tx": null}', 400, "malformed-tx"),
        ("/v1/tx: tx is an object", "POST", "/v1/tx", [JSONH], '{"tx": {}}', 400,
         "malformed-tx"),
        ("/v1/tx: tx not base64", "POST", "/v1/tx", [JSONH], '{"tx": "%%%"}', 400,
         "malformed-tx"),
        ("/v1/tx: empty JSON body", "POST", "/v1/tx", [JSONH], "", 400, "malformed-tx"),
        ("/v1/tx: 100k [", "POST", "/v1/tx", [JSONH], deep_arr, 400, "malformed-tx"),
        ("/v1/tx: 50k nested objects", "POST", "/v1/tx", [JSONH], deep_obj, 400,
         "malformed-tx"),
        ("/v1/tx: garbage envelope", "POST", "/v1/tx", [OCTET], "\x00\xff" * 50, 400,
         "malformed-tx"),
        ("/v1/tx: no content type", "POST", "/v1/tx", [], "x", 415, "unsupported-media-type"),
        ("/v1/tx: text/plain", "POST", "/v1/tx", ["Content-Type: text/plain"], "x", 415,
         "unsupported-media-type"),
        ("/capture: not JSON", "POST", "/capture", [JSONH, T], "{", 400, "malformed-json"),
        ("/capture: 100k [", "POST", "/capture", [JSONH, T], deep_arr, 400, "malformed-json"),
        ("/capture: 50k nested objects", "POST", "/capture", [JSONH, T], deep_obj, 400,
         "malformed-json"),
        ("/capture: JSON array", "POST", "/capture", [JSONH, T], "[]", 400, "invalid-epcis"),
        ("/capture: eventList a string", "POST", "/capture", [JSONH, T],
         '{' + CTX + ',"type":"EPCISDocument","schemaVersion":"2.0","creationDate":'
         '"2026-11-20T08:00:00Z","epcisBody":{"eventList":"x"}}', 400, "invalid-epcis"),
        ("/capture: eventTime a number", "POST", "/capture", [JSONH, T],
         document(event(50).replace('"2026-11-20T08:00:50Z"', "5")), 400, "invalid-epcis"),
        ("/capture: epcList of numbers", "POST", "/capture", [JSONH, T],
         document(event(51).replace('["%s"]' % SER, "[1,2]")), 400, "invalid-epcis"),
        ("/capture: deep nesting inside an event", "POST", "/capture", [JSONH, T],
         document(event(52)[:-1] + ',"ext:x":' + "[" * 2000 + "]" * 2000 + "}"), 400,
         "malformed-json"),
        ("/capture: text/plain", "POST", "/capture", ["Content-Type: text/plain", T],
         document(event(53)), 415, "unsupported-media-type"),
        ("/capture: no token", "POST", "/capture", [JSONH], document(event(54)), 401,
         "unauthorized"),
        ("/events: not JSON", "POST", "/events", [JSONH, T], "nope", 400, "malformed-json"),
        ("/events: 100k [", "POST", "/events", [JSONH, T], deep_arr, 400, "malformed-json"),
        ("/events: a document, not an event", "POST", "/events", [JSONH, T],
         document(event(55)), 400, "invalid-epcis"),
        ("/events: action a number", "POST", "/events", [JSONH, T],
         bare(event(56)).replace('"OBSERVE"', "7"), 400, "invalid-epcis"),
        ("/epcis/events: bizStep an array", "POST", "/epcis/events", [JSONH, T],
         bare(event(57)).replace('"shipping"', '["shipping"]'), 400, "invalid-epcis"),
    ]
    return R


def rows_size():
    T = auth(TOKEN)
    big = "A" * (MAX_TX_BYTES + 1)
    R = [
        ("/v1/tx octet past max_tx_bytes", "POST", "/v1/tx", [OCTET], big, 413,
         "payload-too-large"),
        ("/v1/tx octet past max_tx_bytes, chunked", "POST", "/v1/tx", [OCTET], big, 413,
         "payload-too-large", None, True),
        ("/v1/tx JSON past its limit", "POST", "/v1/tx", [JSONH],
         '{"tx":"' + "A" * (MAX_TX_BYTES * 4 // 3 + 2048) + '"}', 413, "payload-too-large"),
        ("/capture past the file size limit", "POST", "/capture", [JSONH, T],
         " " * (MAX_TX_BYTES + 1), 413, "capture-limit-exceeded"),
        ("/capture past the file size limit, chunked", "POST", "/capture", [JSONH, T],
         " " * (MAX_TX_BYTES + 1), 413, "capture-limit-exceeded", None, True),
        ("/events past the file size limit", "POST", "/events", [JSONH, T],
         " " * (MAX_TX_BYTES + 1), 413, "capture-limit-exceeded"),
        ("/capture: 1001 events", "POST", "/capture", [JSONH, T],
         document(*[event(60)] * 1001), 413, "capture-limit-exceeded"),
        ("GET /health with a body past the limit", "GET", "/health", [OCTET], big, 413,
         "payload-too-large"),
        ("GET /health with a small body (dropped)", "GET", "/health", [OCTET], "x" * 1000, 200,
         None),
        ("a Content-Length past 2^63", "POST", b"/v1/tx", [OCTET], None, 413, MHD),
        ("/v1/verify-code past 4096 bytes", "POST", "/v1/verify-code", [JSONH],
         "x" * 5000, 413, "payload-too-large"),
        ("/v1/sms past 4096 bytes", "POST", "/v1/sms", ["Content-Type: text/plain"],
         "x" * 5000, 413, "payload-too-large"),
        ("DELETE /v1/alerts is 405", "DELETE", "/v1/alerts", [], None, 405,
         "method-not-allowed"),
        ("POST /v1/label is 405", "POST", "/v1/label", [JSONH], "{}", 405,
         "method-not-allowed"),
    ]
    return R


def rows_tokens():
    tok = TOKEN
    sec = tok.split("_")[2]
    flipped = tok[:-1] + ("0" if tok[-1] != "0" else "1")
    other_id = "syt_" + ("f" * 16) + "_" + sec
    doc = document(event(70))
    R = []
    for label, hdr in [
            ("no Authorization", None),
            ("tampered secret (last hex digit)", auth(flipped)),
            ("unknown token id", auth(other_id)),
            ("expired token", auth(EXPIRED)),
            ("revoked token", auth(REVOKED)),
            ("secret one digit short", auth(tok[:-1])),
            ("secret one digit long", auth(tok + "0")),
            ("upper-case hex", auth(tok.upper().replace("SYT_", "syt_"))),
            ("Basic scheme", "Authorization: Basic " + "dXNlcjpwYXNz"),
            ("Bearer without a token", "Authorization: Bearer"),
            ("Bearer with spaces only", "Authorization: Bearer      "),
            ("a 20 000-byte token", "Authorization: Bearer syt_" + "a" * 20000),
            ("non-ASCII in the token", "Authorization: Bearer syt_\u00e9\u00e9"),
            ("SQL in the token", "Authorization: Bearer ' OR '1'='1"),
            ("two tokens", "Authorization: Bearer %s %s" % (tok, tok)),
    ]:
        hs = [JSONH] + ([hdr] if hdr else [])
        R.append(("token: %s" % label, "POST", "/capture", hs, doc, 401, "unauthorized"))
        R.append(("token on /events: %s" % label, "POST", "/events", hs, bare(event(71)), 401,
                  "unauthorized"))
    return R


def rows_headers():
    long_url = "/v1/status?x=" + "a" * 40000
    R = [
        ("URL of 40 KB", "GET", long_url, [], None, 414, MHD),
        ("path of 40 KB", "GET", "/v1/tx/" + "0" * 40000, [], None, 414, MHD),
        ("one header of 40 KB", "GET", "/health", ["X-Junk: " + "a" * 40000], None, 431, MHD),
        ("2 000 small headers", "GET", "/health", ["X-H%d: v" % i for i in range(2000)], None,
         431, MHD),
        ("a header without a colon", "GET", "/health", ["NoColonHere"], None, 400, MHD),
        ("a Content-Type of 8 KB", "POST", "/v1/tx", ["Content-Type: application/" + "x" * 8000],
         "x", 415, "unsupported-media-type"),
        ("a Content-Type with parameters", "POST", "/v1/tx",
         ["Content-Type: application/json; charset=utf-8; x=\"';--\""], '{"tx":1}', 400,
         "malformed-tx"),
    ]
    return R


def rows_lines():
    """Requests that are not HTTP: the node closes or answers 400, never 5xx."""
    return [
        ("HTTP/0.9 request line", b"GET /health\r\n\r\n", (None, 400, 505)),
        ("HTTP/2 preface", b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n", (505,)),
        ("a header name with a space", b"GET /health HTTP/1.1\r\nHost: x\r\nBad Name: v\r\n\r\n",
         (200, 400)),
        ("binary garbage", bytes(range(256)) * 4, (None, 400)),
        ("a bare LF request", b"GET /health HTTP/1.1\nHost: x\n\n", (200,)),
        ("a negative Content-Length",
         b"POST /v1/tx HTTP/1.1\r\nHost: x\r\nContent-Type: application/octet-stream\r\n"
         b"Content-Length: -1\r\n\r\n", (None, 400, 413)),
        ("two Content-Lengths",
         b"POST /v1/tx HTTP/1.1\r\nHost: x\r\nContent-Type: application/octet-stream\r\n"
         b"Content-Length: 3\r\nContent-Length: 5\r\n\r\nabcde", (None, 400)),
        ("a bad chunk size",
         b"POST /v1/tx HTTP/1.1\r\nHost: x\r\nContent-Type: application/octet-stream\r\n"
         b"Transfer-Encoding: chunked\r\n\r\nzz\r\nab\r\n0\r\n\r\n", (None, 400)),
        ("a request line of spaces", b" " * 5000 + b"\r\n\r\n", (None, 400)),
    ]


# ---- issue-5 routes: Digital Link, product view, labels, codes, SMS, alerts ---------------
#
# Exact statuses from docs/resolver.md, docs/labels.md and docs/codes.md.

GTIN = "06901234000023"  # the GTIN of SER (company prefix 6901234, item 000002)
DL_ITEM = "/01/%s/21/1001" % GTIN  # SER as a Digital Link: known (the seed capture)
DL_UNKNOWN = "/01/%s/21/1" % GTIN  # well-formed, no event names it
# GS1 AI encodable character set 82 (GS1 General Specifications 7.11): what a
# serial or lot may hold
CSET82 = set("!\"%&'()*+,-./0123456789:;<=>?ABCDEFGHIJKLMNOPQRSTUVWXYZ_abcdefghijklmnopqrstuvwxyz")


def rows_dl():
    R = [
        ("DL: bad check digit", "GET", "/01/06901234000024/21/1", [], None, 400,
         "invalid-digital-link"),
        ("DL: 13-digit GTIN", "GET", "/01/0690123400002/21/1", [], None, 400,
         "invalid-digital-link"),
        ("DL: 15-digit GTIN", "GET", "/01/069012340000230/21/1", [], None, 400,
         "invalid-digital-link"),
        ("DL: a letter in the GTIN", "GET", "/01/0690123400002A/21/1", [], None, 400,
         "invalid-digital-link"),
        ("DL: serial of 21 characters (AI 21 is at most 20)", "GET",
         "/01/%s/21/%s" % (GTIN, "1" * 21), [], None, 400, "invalid-digital-link"),
        ("DL: lot of 21 characters (AI 10 is at most 20)", "GET",
         "/01/%s/10/%s/21/1" % (GTIN, "L" * 21), [], None, 400, "invalid-digital-link"),
        ("DL: qualifiers out of order", "GET", "/01/%s/21/1/10/L1" % GTIN, [], None, 400,
         "invalid-digital-link"),
        ("DL: an unknown AI", "GET", "/01/%s/99/1" % GTIN, [], None, 400,
         "invalid-digital-link"),
        ("DL: a serial of 8 KB", "GET", "/01/%s/21/%s" % (GTIN, "1" * 8000), [], None, 400,
         "invalid-digital-link"),
        ("DL: well-formed, unknown item", "GET", DL_UNKNOWN, [], None, 404, "not-found"),
        # libmicrohttpd cuts the path at a decoded NUL: this is /01/G/21/a
        ("DL: NUL in the serial (the path ends there)", "GET", "/01/%s/21/a%%00b" % GTIN, [],
         None, 404, "not-found"),
        ("DL: the known item, Accept: application/json", "GET", DL_ITEM,
         ["Accept: application/json"], None, 200, None),
        ("DL: the known item, an Accept header of 8 KB", "GET", DL_ITEM,
         ["Accept: " + ",".join(["x/y%d" % i for i in range(1500)])[:8000]], None, 307, None),
        ("DL: the known item, an unknown linkType", "GET", DL_ITEM + "?linkType=gs1:nope", [],
         None, 404, "link-type-not-found"),
        ("DL: invalid UTF-8 in linkType", "GET", DL_ITEM + "?linkType=%ff", [], None, 404,
         "link-type-not-found"),
        ("/.well-known/gs1resolver", "GET", "/.well-known/gs1resolver", [], None, 200, None,
         lambda r: None if isinstance((r.json() or {}).get("supportedPrimaryKeys"), list) else
         "no supportedPrimaryKeys"),
        ("POST /.well-known/gs1resolver is 405", "POST", "/.well-known/gs1resolver", [JSONH],
         "{}", 405, "method-not-allowed"),
    ]
    for b in ("%ff", "%c3%28", "%ed%a0%80", "%c0%af"):
        R.append(("DL: invalid UTF-8 %s in the serial" % b, "GET", "/01/%s/21/a%s" % (GTIN, b),
                  [], None, 400, "invalid-digital-link"))
        R.append(("DL: raw invalid UTF-8 %s in the serial" % b, "GET",
                  b"/01/" + GTIN.encode() + b"/21/a" + urllib.parse.unquote_to_bytes(b), [],
                  None, 400, "invalid-digital-link"))
    for s in SQL:
        # a serial outside CSET 82 is malformed; inside it, a key nobody recorded
        st, tok = (404, "not-found") if set(s) <= CSET82 else (400, "invalid-digital-link")
        R.append(("DL: SQL in the serial %s" % s, "GET", "/01/%s/21/%s" % (GTIN, q(s)), [], None,
                  st, tok))
        R.append(("DL: SQL in the lot %s" % s, "GET", "/01/%s/10/%s/21/1" % (GTIN, q(s)), [],
                  None, st, tok))
        R.append(("DL: SQL in linkType %s" % s, "GET", DL_ITEM + "?linkType=" + q(s), [], None,
                  404, "link-type-not-found"))
    return R


def rows_product_label():
    L = "/v1/label?id=" + q(SER)
    R = [
        ("/v1/product without id", "GET", "/v1/product", [], None, 400, "invalid-parameter"),
        ("/v1/product?id= empty", "GET", "/v1/product?id=", [], None, 400, "invalid-parameter"),
        ("/v1/product?id= NUL", "GET", "/v1/product?id=%00", [], None, 400, "invalid-parameter"),
        ("/v1/product?id= over 1024 bytes", "GET", "/v1/product?id=" + "1" * 2000, [], None, 400,
         "invalid-parameter"),
        ("/v1/product?id= of 100 KB", "GET", "/v1/product?id=" + "1" * 100000, [], None, 414, MHD),
        ("/v1/product: bad check digit", "GET", "/v1/product?id=" + q("(01)06901234000024(21)1"),
         [], None, 400, "invalid-id"),
        ("/v1/product: an EPC URN with a bad prefix", "GET",
         "/v1/product?id=" + q("urn:epc:id:sgtin:69012x4.000002.1"), [], None, 400, "invalid-id"),
        ("/v1/product: well-formed, unknown", "GET",
         "/v1/product?id=" + q("urn:epc:id:sgtin:6901234.000002.9999"), [], None, 404,
         "not-found"),
        ("/v1/product: the seeded item", "GET", "/v1/product?id=" + q(SER), [], None, 200, None),
        ("/v1/label without id", "GET", "/v1/label", [], None, 400, "invalid-parameter"),
        ("/v1/label?id= over 512 bytes", "GET", "/v1/label?id=" + "1" * 600, [], None, 400,
         "invalid-parameter"),
        ("/v1/label?id= of 100 KB", "GET", "/v1/label?id=" + "1" * 100000, [], None, 414, MHD),
        ("/v1/label: bad check digit", "GET", "/v1/label?id=" + q("(01)06901234000024(21)1"), [],
         None, 400, "invalid-parameter"),
        ("/v1/label: well-formed, unknown", "GET",
         "/v1/label?id=" + q("urn:epc:id:sgtin:6901234.000002.9999"), [], None, 404,
         "not-found"),
        ("/v1/label: format=gif", "GET", L + "&format=gif", [], None, 400, "invalid-parameter"),
        ("/v1/label: format=SVG;", "GET", L + "&format=" + q("svg;"), [], None, 400,
         "invalid-parameter"),
        ("/v1/label: format empty", "GET", L + "&format=", [], None, 400, "invalid-parameter"),
        ("/v1/label: format twice", "GET", L + "&format=svg&format=png", [], None, 400,
         "invalid-parameter"),
        ("/v1/label: an unknown parameter", "GET", L + "&x=1", [], None, 400,
         "invalid-parameter"),
        ("/v1/label: a name of 300 bytes", "GET", L + "&name=" + "n" * 300, [], None, 400,
         "invalid-parameter"),
        ("/v1/label: a control character in the name", "GET", L + "&name=a%01b", [], None, 400,
         "invalid-parameter"),
        ("/v1/label: the seeded item as SVG", "GET", L + "&format=svg", [], None, 200, None,
         lambda r: None if r.headers.get("content-type", "").startswith("image/svg+xml") else
         "content type %r" % r.headers.get("content-type")),
    ]
    for b in ("%ff", "%c3%28", "%ed%a0%80"):
        R.append(("/v1/product?id= invalid UTF-8 %s" % b, "GET", "/v1/product?id=" + b, [], None,
                  400, "invalid-parameter"))
        R.append(("/v1/label?id= invalid UTF-8 %s" % b, "GET", "/v1/label?id=" + b, [], None,
                  400, "invalid-parameter"))
        R.append(("/v1/label: invalid UTF-8 %s in the name" % b, "GET", L + "&name=" + b, [],
                  None, 400, "invalid-parameter"))
    return R


TEXT = "Content-Type: text/plain"


def rows_ac_open():
    """Code verification and SMS requests refused before the rate limiter
    (so from any address, any number of times)."""
    V, S = "/v1/verify-code", "/v1/sms"
    R = [
        ("verify-code: not JSON", "POST", V, [JSONH], "{", 400, "bad-request"),
        ("verify-code: 4000 [", "POST", V, [JSONH], "[" * 4000, 400, "bad-request"),
        ("verify-code: 2000 nested objects", "POST", V, [JSONH], '{"a":' * 800, 400,
         "bad-request"),
        ("verify-code: a JSON array", "POST", V, [JSONH], "[]", 400, "bad-request"),
        ("verify-code: code a number", "POST", V, [JSONH], '{"code": 5}', 400, "bad-request"),
        ("verify-code: code null", "POST", V, [JSONH], '{"code": null}', 400, "bad-request"),
        ("verify-code: code an array", "POST", V, [JSONH], '{"code": ["7KQ2"]}', 400,
         "bad-request"),
        ("verify-code: no code", "POST", V, [JSONH], '{"place": "x"}', 400, "bad-request"),
        ("verify-code: place a number", "POST", V, [JSONH], '{"code": "7KQ2", "place": 7}', 400,
         "bad-request"),
        ("verify-code: place an object", "POST", V, [JSONH], '{"code": "7KQ2", "place": {}}',
         400, "bad-request"),
        ("verify-code: empty JSON body", "POST", V, [JSONH], "", 400, "bad-request"),
        ("verify-code: raw invalid UTF-8", "POST", V, [TEXT], b"7KQ2-\xff\xfe", 400,
         "bad-request"),
        ("verify-code: invalid UTF-8 in the JSON place", "POST", V, [JSONH],
         b'{"code": "7KQ2", "place": "\xc3\x28"}', 400, "bad-request"),
        ("verify-code: NUL in the body", "POST", V, [TEXT], b"7KQ2\x00", 400, "bad-request"),
        ("verify-code: text/html", "POST", V, ["Content-Type: text/html"], "x", 415,
         "unsupported-media-type"),
        ("verify-code: an 8 KB Content-Type", "POST", V, ["Content-Type: " + "x" * 8000], "x",
         415, "unsupported-media-type"),
        ("GET /v1/verify-code is 405", "GET", V, [], None, 405, "method-not-allowed"),
        ("sms: binary", "POST", S, [TEXT], b"\xff\xfe\x00\x01", 400, "bad-request"),
        ("sms: raw invalid UTF-8", "POST", S, [TEXT], b"0401234511111\xc0\xaf", 400,
         "bad-request"),
        ("sms: not JSON", "POST", S, [JSONH], "{", 400, "bad-request"),
        ("sms: 4000 [", "POST", S, [JSONH], "[" * 4000, 400, "bad-request"),
        ("sms: text a number", "POST", S, [JSONH], '{"text": 5}', 400, "bad-request"),
        ("sms: no text", "POST", S, [JSONH], '{"from": "+8613800000000"}', 400, "bad-request"),
        ("sms: from a number", "POST", S, [JSONH], '{"text": "x", "from": 8613800000000}', 400,
         "bad-request"),
        ("sms: application/xml", "POST", S, ["Content-Type: application/xml"], "<a/>", 415,
         "unsupported-media-type"),
        ("GET /v1/sms is 405", "GET", S, [], None, 405, "method-not-allowed"),
    ]
    return R


def reply_is(result):
    def f(r):
        d = r.json()
        if not isinstance(d, dict) or not isinstance(d.get("reply"), str):
            return "not an SMS reply: %r" % r.body[:200]
        if d.get("result") != result:
            return "result %r, want %r" % (d.get("result"), result)
        return None
    return f


def rows_ac_limited():
    """Requests that reach the rate limiter (each takes an attempt; the code
    ones an unknown-code attempt too): sent from an address of their own
    (catalogue() sets SRC), fewer than the buckets hold."""
    V, S = "/v1/verify-code", "/v1/sms"
    R = [
        ("verify-code: a code of the wrong shape", "POST", V, [TEXT], "7KQ2-M9XD", 404,
         "unknown-code"),
        ("verify-code: a well-formed code never issued", "POST", V, [TEXT],
         "ZZZZ-ZZZZ-ZZZZ-ZZZZ", 404, "unknown-code"),
        ("verify-code: SQL as the code", "POST", V, [JSONH],
         json.dumps({"code": "' OR '1'='1' --"}), 404, "unknown-code"),
        ("verify-code: 2.3 KB of SQL as the place", "POST", V, [JSONH],
         json.dumps({"code": "ZZZZ-ZZZZ-ZZZZ-ZZZ1", "place": "'; DROP TABLE scans; --" * 100}),
         404, "unknown-code"),
        ("verify-code: no Content-Type (read as text)", "POST", V, [], "ZZZZ", 404,
         "unknown-code"),
        ("sms: SQL (the help reply)", "POST", S, [TEXT], "' OR 1=1; DROP TABLE scans --", 200,
         None, reply_is("help")),
        ("sms: GTIN and SQL as the serial", "POST", S, [TEXT],
         "06901234000023 1';DROP--", 200, None, reply_is("not_found")),
        ("sms: an unknown code", "POST", S, [TEXT], "ZZZZ ZZZZ ZZZZ ZZZ2", 200, None,
         reply_is("unknown")),
        ("sms: a \"from\" without a gateway token", "POST", S, [JSONH],
         json.dumps({"from": "' OR 1=1 --", "text": "hello"}), 200, None, reply_is("help")),
    ]
    return R


def run_rate_limit(round_no):
    """The 429 (docs/codes.md "Rate limits"), from a fresh address each pass:
    AC_UNKNOWN_BURST unknown codes are 404, the next attempt is 429 with
    Retry-After, for real-looking codes and SMS too (a made-up "from"
    does not escape it); a malformed body is still 400 (it is refused
    before the limiter) and another address is not limited."""
    global SRC
    SRC = "127.0.2.%d" % (round_no % 250 + 1)
    try:
        statuses = []
        for i in range(AC_UNKNOWN_BURST):
            r = req("POST", "/v1/verify-code", [TEXT], "ZZZZ-ZZZZ-ZZZZ-%04d" % i)
            statuses.append(r.status)
        if statuses == [404] * AC_UNKNOWN_BURST:
            ok("rate limit: %d unknown codes from one address are 404" % AC_UNKNOWN_BURST)
        else:
            no("rate limit: %d unknown codes are 404" % AC_UNKNOWN_BURST, statuses)

        def retry_after(r):
            v = r.headers.get("retry-after", "")
            return None if v.isdigit() and 1 <= int(v) <= 60 else "Retry-After %r" % v
        run_rows([
            ("rate limit: the next unknown code is 429", "POST", "/v1/verify-code", [TEXT],
             "ZZZZ-ZZZZ-ZZZZ-9999", 429, "too-many-requests", retry_after),
            ("rate limit: a JSON attempt is 429 too", "POST", "/v1/verify-code", [JSONH],
             '{"code": "7KQ2-M9XD-4HTP-R3WA", "place": "x"}', 429, "too-many-requests",
             retry_after),
            ("rate limit: malformed JSON is still 400", "POST", "/v1/verify-code", [JSONH], "{",
             400, "bad-request"),
            ("rate limit: an SMS from the same address is 429", "POST", "/v1/sms", [TEXT],
             "ZZZZ-ZZZZ-ZZZZ-9998", 429, SMS_REPLY,
             lambda r: reply_is("rate_limited")(r) or retry_after(r)),
            ("rate limit: an untrusted \"from\" does not escape it", "POST", "/v1/sms", [JSONH],
             json.dumps({"from": "+861380000%04d" % round_no, "text": "hello"}), 429, SMS_REPLY,
             reply_is("rate_limited")),
        ])
        SRC = "127.0.3.%d" % (round_no % 250 + 1)
        run_rows([("rate limit: another address is not limited", "POST", "/v1/verify-code",
                   [TEXT], "ZZZZ-ZZZZ-ZZZZ-9999", 404, "unknown-code")])
    finally:
        SRC = None


RATE_LIMIT_ROWS = 7


def rows_alerts():
    T = auth(TOKEN)
    R = [
        ("/v1/alerts without a token", "GET", "/v1/alerts", [], None, 401, "unauthorized"),
        ("/v1/alerts with SQL as the token", "GET", "/v1/alerts",
         ["Authorization: Bearer ' OR '1'='1"], None, 401, "unauthorized"),
        ("/v1/alerts with an expired token", "GET", "/v1/alerts", [auth(EXPIRED)], None, 401,
         "unauthorized"),
        ("/v1/alerts with the token", "GET", "/v1/alerts", [T], None, 200, None,
         empty_list("alerts")),
        ("/v1/alerts?since past 2^64", "GET", "/v1/alerts?since=99999999999999999999999", [T],
         None, 400, "bad-request"),
        ("/v1/alerts?limit=0", "GET", "/v1/alerts?limit=0", [T], None, 400, "bad-request"),
        ("/v1/alerts?limit=1001", "GET", "/v1/alerts?limit=1001", [T], None, 400, "bad-request"),
        ("/v1/alerts?limit past 2^64", "GET", "/v1/alerts?limit=99999999999999999999999", [T],
         None, 400, "bad-request"),
        ("/v1/alerts?view=org without id", "GET", "/v1/alerts?view=org", [], None, 400,
         "bad-request"),
        ("/v1/alerts?view=org&id=org1", "GET", "/v1/alerts?view=org&id=org1", [], None, 200,
         None),
        ("/v1/alerts?view=codes without a token", "GET", "/v1/alerts?view=codes", [], None, 401,
         "unauthorized"),
        ("/v1/alerts: invalid UTF-8 in gtin", "GET", "/v1/alerts?view=codes&gtin=%ff", [T],
         None, 400, "bad-request"),
        ("/v1/alerts: NUL in id", "GET", "/v1/alerts?view=org&id=a%00b", [], None, 400,
         "bad-request"),
    ]

    def nothing_counted(r):
        d = r.json() or {}
        return None if (d.get("issued"), d.get("verified"), d.get("alerts")) == (0, 0, 0) else (
            "counts %r" % r.body[:200])
    for s in SQL:
        v = q(s)
        R += [
            ("SQL in /v1/alerts?view=%s" % s, "GET", "/v1/alerts?view=" + v, [T], None, 400,
             "bad-request"),
            ("SQL in /v1/alerts?view=org&id=%s" % s, "GET", "/v1/alerts?view=org&id=" + v, [],
             None, 404, "not-found"),
            ("SQL in /v1/alerts?since=%s" % s, "GET", "/v1/alerts?since=" + v, [T], None, 400,
             "bad-request"),
            ("SQL in /v1/alerts?limit=%s" % s, "GET", "/v1/alerts?limit=" + v, [T], None, 400,
             "bad-request"),
            ("SQL in /v1/alerts?x=%s (ignored)" % s, "GET", "/v1/alerts?x=" + v, [T], None, 200,
             None, empty_list("alerts")),
        ]
        for p, size in (("gtin", 32), ("lot", 64)):
            if len(s.encode()) >= size:  # longer than the parameter may be
                R.append(("SQL in /v1/alerts?view=codes&%s=%s" % (p, s), "GET",
                          "/v1/alerts?view=codes&%s=%s" % (p, v), [T], None, 400, "bad-request"))
            else:
                R.append(("SQL in /v1/alerts?view=codes&%s=%s" % (p, s), "GET",
                          "/v1/alerts?view=codes&%s=%s" % (p, v), [T], None, 200, None,
                          nothing_counted))
    return R


def rows_auth_reads():
    """With --auth-reads the EPCIS queries, capture jobs, trace and recall
    want a token too (docs/http-api.md "Authentication")."""
    tok = TOKEN
    flipped = tok[:-1] + ("0" if tok[-1] != "0" else "1")
    routes = ["/events", "/epcis/events", "/events/" + q("urn:uuid:00000000-0000-4000-8000-"
                                                         "000000000000"),
              "/capture/p0123456789abcdef0123456789abcdef",
              "/v1/trace/forward?epc=" + q(SER), "/v1/trace/backward?epc=" + q(SER),
              "/v1/trace/history?epc=" + q(SER), "/v1/recall?epc=" + q(SER)]
    good = {"/events": 200, "/epcis/events": 200}
    R = []
    for rt in routes:
        for label, hdr in [("no token", None), ("tampered", auth(flipped)),
                           ("expired", auth(EXPIRED)), ("revoked", auth(REVOKED)),
                           ("Basic", "Authorization: Basic dXNlcjpwYXNz"),
                           ("SQL", "Authorization: Bearer ' OR 1=1 --")]:
            R.append(("--auth-reads %s: %s" % (rt.split("?")[0], label), "GET", rt,
                      [hdr] if hdr else [], None, 401, "unauthorized"))
        st = good.get(rt.split("?")[0], 404 if rt.startswith(("/events/", "/capture/")) else 200)
        R.append(("--auth-reads %s: the token" % rt.split("?")[0], "GET", rt, [auth(tok)], None,
                  st, "not-found" if st == 404 else None))
    # reads that stay open
    for rt in ("/health", "/v1/status", "/v1/blocks/latest", "/v1/members"):
        R.append(("--auth-reads %s without a token" % rt, "GET", rt, [], None, 200, None))
    return R


def run_rows(rows):
    for row in rows:
        label, method, target, headers, body, want, token = row[:7]
        extra = row[7] if len(row) > 7 else None
        chunked = row[8] if len(row) > 8 else False
        if label == "a Content-Length past 2^63":
            data = (b"POST /v1/tx HTTP/1.1\r\nHost: x\r\nConnection: close\r\nContent-Type: "
                    b"application/octet-stream\r\nContent-Length: 99999999999999999999\r\n\r\n")
            r = raw_request(data)
            check(label, r, want, token)
            continue
        try:
            r = req(method, target, headers, body, chunked)
        except OSError as e:
            no(label, "request failed: %s" % e)
            continue
        if want in (414, 431) and r.status is None:
            ok(label + " (connection closed)")  # never reached with 0.9.75, see README
            continue
        check(label, r, want, token, extra)


def run_lines(rows):
    for label, data, wants in rows:
        try:
            r = raw_request(data, timeout=10)
        except OSError as e:
            no(label, "request failed: %s" % e)
            continue
        if r.status in wants or (r.status is None and None in wants):
            if r.status is not None and r.status >= 500 and r.status != 505:
                no(label, "status %s" % r.status)
            else:
                ok("%s: %s" % (label, r.status if r.status is not None else "closed"))
        else:
            no(label, "status %s, want one of %s" % (r.status, wants), r.body[:200])


# ---- transactions: replayed, reordered, wrong chain, forged ------------------------------

def committed(r):
    d = r.json()
    if not isinstance(d, dict) or d.get("status") != "committed":
        return "not committed: %r" % r.body[:200]
    return None


def reason_is(reason, valid):
    def f(r):
        m = committed(r)
        if m:
            return m
        d = r.json()
        if d.get("valid") is not valid or d.get("reason") != reason:
            return "valid %r reason %r, want %r %r" % (d.get("valid"), d.get("reason"), valid,
                                                       reason)
        return None
    return f


def rows_tx(round_no):
    base = 1000 + round_no * 100
    t1 = sign_tx("t1-%d" % round_no, '{"lot":"L%d"}' % base, base)
    t1b = sign_tx("t1b-%d" % round_no, '{"lot":"L%d-again"}' % base, base)  # same nonce
    t3 = sign_tx("t3-%d" % round_no, '{"lot":"L%d-3"}' % base, base + 3)
    t2 = sign_tx("t2-%d" % round_no, '{"lot":"L%d-2"}' % base, base + 2)
    wrong = sign_tx("tw-%d" % round_no, '{"lot":"W"}', base + 9, chain="other-chain")
    sig_flip = bytearray(t3)
    sig_flip[-1] ^= 1
    body_flip = bytearray(t2)
    i = body_flip.find(b"L%d-2" % base)
    body_flip[i] ^= 0x20
    W = "/v1/tx?wait=commit&timeout_ms=10000"
    return [
        ("tx: first submission is committed valid", "POST", W, [OCTET], t1, 200, None,
         reason_is("valid", True)),
        ("tx: the same envelope again is 409", "POST", W, [OCTET], t1, 409, "duplicate-tx",
         lambda r: None if r.headers.get("location", "").startswith("/v1/tx/") else
         "409 without Location"),
        ("tx: the same envelope as JSON is 409", "POST", W, [JSONH],
         json.dumps({"tx": __import__("base64").b64encode(t1).decode()}), 409, "duplicate-tx"),
        ("tx: a new envelope with a used nonce is recorded replayed_nonce", "POST", W, [OCTET],
         t1b, 200, None, reason_is("replayed_nonce", False)),
        ("tx: reordered (nonce +3 before +2) is valid", "POST", W, [OCTET], t3, 200, None,
         reason_is("valid", True)),
        ("tx: reordered (nonce +2 after +3) is valid", "POST", W, [OCTET], t2, 200, None,
         reason_is("valid", True)),
        ("tx: another chain id is 400", "POST", W, [OCTET], wrong, 400, "wrong-chain"),
        ("tx: a flipped signature bit is 400", "POST", W, [OCTET], bytes(sig_flip), 400,
         "bad-signature"),
        ("tx: a flipped payload bit is 400", "POST", W, [OCTET], bytes(body_flip), 400,
         "bad-signature"),
        ("tx: truncated by one byte is 400", "POST", W, [OCTET], t2[:-1], 400, "malformed-tx"),
        ("tx: one trailing byte is 400", "POST", W, [OCTET], t2 + b"\x00", 400, "malformed-tx"),
    ]


def rows_capture_replay(round_no):
    T = auth(TOKEN)
    ev = event(100 + round_no)
    return [
        ("capture: a new document is 202", "POST", "/capture", [JSONH, T], document(ev), 202,
         None),
        ("capture: the same document again is 409", "POST", "/capture", [JSONH, T],
         document(ev), 409, "duplicate-event"),
        ("capture: the same event bare is 409", "POST", "/events", [JSONH, T], bare(ev), 409,
         "duplicate-event"),
    ]


# ---- slow clients ---------------------------------------------------------------------------

class SlowLoris(threading.Thread):
    """Sends data one byte a second for `seconds` (slow-loris headers, or a
    slow body); records how much went out before the node closed it."""

    def __init__(self, data, seconds):
        super().__init__(daemon=True)
        self.data = data
        self.seconds = seconds
        self.sent = 0
        self.error = None

    def run(self):
        try:
            s = socket.create_connection((HOST, PORT), timeout=5)
            for i in range(self.seconds):
                s.sendall(self.data[i:i + 1])
                self.sent += 1
                time.sleep(1)
            s.close()
        except OSError as e:
            self.error = e


class IdleWatch(threading.Thread):
    """Watches quiet connections and records when the node closes each (EOF
    or reset; an answer such as 408 before the close is fine too)."""

    def __init__(self, socks, seconds):
        super().__init__(daemon=True)
        self.socks = list(socks)
        self.seconds = seconds
        self.closed_at = {}  # socket -> time.time() of the close

    def run(self):
        import selectors
        sel = selectors.DefaultSelector()
        for c in self.socks:
            c.setblocking(False)
            sel.register(c, selectors.EVENT_READ)
        end = time.time() + self.seconds
        while len(self.closed_at) < len(self.socks) and time.time() < end:
            for key, _ in sel.select(timeout=0.2):
                c = key.fileobj
                try:
                    d = c.recv(4096)
                except BlockingIOError:
                    continue
                except OSError:
                    d = b""
                if not d:
                    self.closed_at[c] = time.time()
                    sel.unregister(c)
        sel.close()


def still_open(sock):
    """1 when the node has not closed sock (no EOF, no reset, nothing to read)."""
    sock.setblocking(False)
    try:
        sock.recv(4096)  # EOF, or an answer to a request never finished: not held
        return 0
    except BlockingIOError:
        return 1
    except OSError:
        return 0


def per_ip_limit():
    """H1 (docs/reliability.md): one address holding PER_IP half-sent
    requests cannot take every slot. Opens PER_IP + 10 from 127.0.4.1: the
    ones past the limit are closed at once, the first PER_IP are not;
    meanwhile another address is served; once they are let go, the address
    is served again."""
    global SRC
    src = "127.0.4.1"
    held, refused = [], 0
    t0 = time.time()
    try:
        for i in range(PER_IP + 10):
            try:
                c = socket.create_connection((HOST, PORT), timeout=5, source_address=(src, 0))
                c.sendall(b"GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Half: ")
            except OSError:
                refused += 1  # reset before or during the send: refused too
                continue
            held.append(c)
        # libmicrohttpd accepts the ones past the limit and closes them at
        # once: all of them within 3 s (the idle timeout is 5 s)
        past = held[PER_IP:]
        w = IdleWatch(past, 3)
        w.run()
        closed_past = len(w.closed_at)
        if refused + closed_past == 10:
            ok("H1: %d connections from one address: the %d past the limit (%d) are refused "
               "within %.2f s" % (PER_IP + 10, 10, PER_IP, time.time() - t0))
        else:
            no("H1: connections past the per-address limit are refused",
               "%d refused at connect, %d of %d closed" % (refused, closed_past, len(past)))
        # the first PER_IP are held (not idle yet: the idle timeout is 5 s)
        open_first = sum(still_open(c) for c in held[:PER_IP])
        took = time.time() - t0
        if open_first == PER_IP:
            ok("H1: the first %d connections are held open (%.2f s)" % (PER_IP, took))
        else:
            no("H1: the first %d connections are held open" % PER_IP,
               "%d still open after %.1f s" % (open_first, took))
        SRC = "127.0.0.1"
        r = req("GET", "/health", timeout=5)
        check("H1: another address is served meanwhile", r, 200, None)
        SRC = src
        r = req("GET", "/health", timeout=5)
        if r.status is None:
            ok("H1: the same address is refused meanwhile")
        else:
            no("H1: the same address is refused meanwhile", "status %s" % r.status)
    finally:
        SRC = None
        for c in held:
            c.close()
    # the node counts a connection gone when its thread sees the close
    SRC = src
    try:
        for _ in range(50):
            r = req("GET", "/health", timeout=5)
            if r.status == 200:
                break
            time.sleep(0.1)
        check("H1: once let go, the address is served again", r, 200, None)
    finally:
        SRC = None


# ---- main --------------------------------------------------------------------------------------

def catalogue(round_no):
    run_rows(rows_routing())
    run_rows(rows_traversal())
    run_rows(rows_sql())
    run_rows(rows_utf8())
    run_rows(rows_json())
    run_rows(rows_size())
    run_rows(rows_tokens())
    run_rows(rows_headers())
    run_lines(rows_lines())
    run_rows(rows_tx(round_no))
    run_rows(rows_capture_replay(round_no))
    run_rows(rows_dl())
    run_rows(rows_product_label())
    run_rows(rows_ac_open())
    global SRC
    SRC = "127.0.1.%d" % (round_no % 250 + 1)  # see rows_ac_limited
    try:
        run_rows(rows_ac_limited())
    finally:
        SRC = None
    run_rate_limit(round_no)
    run_rows(rows_alerts())


def count_rows():
    n = 0
    for f in (rows_routing, rows_traversal, rows_sql, rows_utf8, rows_json, rows_size,
              rows_tokens, rows_headers, rows_lines, rows_dl, rows_product_label, rows_ac_open,
              rows_ac_limited, rows_alerts):
        n += len(f())
    return n + 11 + 3 + RATE_LIMIT_ROWS  # rows_tx, rows_capture_replay, run_rate_limit


def main():
    global QUIET
    t0 = time.time()
    try:
        setup()
    except Exception as e:  # noqa: BLE001 - report and fail
        no("set-up: a chain, a node, a recorder and tokens", e)
        return finish()
    ok("set-up: node on 127.0.0.1:%d, recorder token, expired and revoked tokens" % PORT)
    rss0 = rss_kb()

    # IDLE_CLIENTS clients that go quiet mid-request (headers, or a body):
    # the node must keep serving while they hold their connections, and
    # close each after the idle timeout
    idlers = []
    for i in range(IDLE_CLIENTS):
        c = socket.create_connection((HOST, PORT), timeout=5)
        if i % 2:
            c.sendall(b"GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Idle: ")
        else:
            c.sendall(b"POST /v1/tx HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: "
                      b"application/octet-stream\r\nContent-Length: 100\r\n\r\nabc")
        idlers.append(c)
    idle_since = time.time()
    watch = IdleWatch(idlers, IDLE_TIMEOUT_S + 30)
    watch.start()
    lorises = [SlowLoris(b"GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: " + b"z" * 200,
                         LORIS_S),
               SlowLoris(b"POST /v1/tx HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/"
                         b"octet-stream\r\nContent-Length: 1000\r\n\r\n" + b"b" * 1000,
                         LORIS_S)]
    for lo in lorises:
        lo.start()

    print("# catalogue: %d rows a pass, %d passes; %d idle and %d slow clients meanwhile" % (
        count_rows(), PASSES, IDLE_CLIENTS, len(lorises)))
    t1 = time.time()
    catalogue(0)
    rss1 = rss_kb()
    print("# VmRSS after pass 1: %d kB (%.1f s)" % (rss1, time.time() - t1))
    QUIET = True
    fails_before = FAIL
    for i in range(1, PASSES):
        catalogue(i)
        print("# VmRSS after pass %d: %d kB" % (i + 1, rss_kb()))
    QUIET = False
    if FAIL == fails_before:
        ok("passes 2 to %d: the same answers" % PASSES)
    # the node kept serving everyone while the slow clients dribbled
    for n, lo in enumerate(lorises):
        lo.join(timeout=LORIS_S + 30)
        if lo.error is None and lo.sent == LORIS_S:
            ok("slow client %d: %d bytes at 1 byte/s during the catalogue; still connected" % (
                n, LORIS_S))
        else:
            no("slow client %d" % n, "sent %d bytes, error %s" % (lo.sent, lo.error))
    rss3 = rss_kb()
    print("# VmRSS: start %d kB, after pass 1 %d kB, after pass 3 %d kB" % (rss0, rss1, rss3))
    asan = sanitized()
    rep_bound = RSS_REPEAT_BOUND_KB * (4 if asan else 1)
    tot_bound = RSS_TOTAL_BOUND_KB * (4 if asan else 1)
    what = " (ASan build: bounds x4)" if asan else ""
    if rss3 - rss1 < rep_bound:
        ok("memory: passes 2 to %d grew VmRSS by %d kB (< %d)%s" % (PASSES, rss3 - rss1,
                                                                     rep_bound, what))
    else:
        no("memory: passes 2 to %d grew VmRSS by %d kB (bound %d)%s" % (PASSES, rss3 - rss1,
                                                                         rep_bound, what))
    if rss3 - rss0 < tot_bound:
        ok("memory: VmRSS grew %d kB from start-up (< %d)%s" % (rss3 - rss0, tot_bound, what))
    else:
        no("memory: VmRSS grew %d kB from start-up (bound %d)%s" % (rss3 - rss0, tot_bound,
                                                                     what))

    # idle close: the quiet clients, silent since idle_since, closed by the
    # node after --idle-timeout (not before; while the catalogue ran)
    watch.join(timeout=IDLE_TIMEOUT_S + 35)
    took = [t - idle_since for t in watch.closed_at.values()]
    if (len(took) == len(idlers) and min(took) >= IDLE_TIMEOUT_S - 1 and
            max(took) <= IDLE_TIMEOUT_S + 8):
        ok("%d quiet clients closed by the node %.1f to %.1f s after their last byte (idle "
           "timeout %d s)" % (len(took), min(took), max(took), IDLE_TIMEOUT_S))
    else:
        no("quiet clients closed after the idle timeout (%d s)" % IDLE_TIMEOUT_S,
           "%d of %d closed, %s s after their last byte" % (
               len(took), len(idlers), ", ".join("%.1f" % t for t in sorted(took))))
    for c in idlers:
        c.close()

    # H1: one address cannot take every connection slot
    per_ip_limit()

    # still alive, chain intact
    r = req("GET", "/health")
    check("the node still answers /health", r, 200, None,
          lambda r: None if (r.json() or {}).get("status") == "ok" else "not ok")
    r = req("GET", "/v1/verify", timeout=60)
    check("GET /v1/verify: the chain is intact", r, 200, None,
          lambda r: None if (r.json() or {}).get("ok") is True else "verify: %r" % r.body[:300])
    if NODE.poll() is None:
        ok("the node is still running (pid %d)" % NODE.pid)
    else:
        no("the node is still running", "exit status %s" % NODE.returncode)
    stop_node()
    # 0 after SIGTERM; in the ASan build LeakSanitizer runs at this exit and
    # a leak makes it non-zero
    if NODE.returncode == 0:
        ok("SIGTERM: the node stops with status 0 (no sanitizer report)")
    else:
        no("SIGTERM: the node stops with status 0", "status %s" % NODE.returncode)
    p = run_cli("verify", "--data", D, check_rc=False)
    if p.returncode == 0:
        ok("suyuan verify --data: intact after the catalogue")
    else:
        no("suyuan verify --data", p.stdout[-300:], p.stderr[-300:])

    # the same node restarted with --auth-reads: guarded reads and tokens
    try:
        start_node("--auth-reads")
    except RuntimeError as e:
        no("restart with --auth-reads", e)
        return finish()
    rows = rows_auth_reads()
    run_rows(rows)
    print("# --auth-reads: %d rows" % len(rows))
    stop_node()
    if NODE.returncode == 0:
        ok("SIGTERM after --auth-reads: status 0")
    else:
        no("SIGTERM after --auth-reads: status 0", "status %s" % NODE.returncode)
    print("# %.1f s" % (time.time() - t0))
    return finish()


def finish():
    stop_node()
    print("%d passed, %d failed" % (PASS, FAIL))
    if FAIL:
        err = os.path.join(WORK, "suyuand.err") if WORK else None
        if err and os.path.exists(err):
            print("--- suyuand stderr (last 20 lines)")
            print("".join(open(err, errors="replace").readlines()[-20:]))
        print("logs kept in %s" % WORK)
        return 1
    if WORK:
        shutil.rmtree(WORK, ignore_errors=True)
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    finally:
        if NODE is not None and NODE.poll() is None:
            NODE.kill()
