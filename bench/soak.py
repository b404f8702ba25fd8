#!/usr/bin/env python3
"""bench/soak.py: a soak test of Suyuan nodes (issue #6 §5; SPEC M6, G2, M8c).

Runs mixed traffic for --seconds against one node (--mode single) or a
3-node etcd cluster from `suyuan cluster up --nodes 3` (--mode cluster),
SIGKILLs and restarts nodes on a schedule (--kill-every; in the cluster,
every second kill also takes an etcd member down for a few seconds), keeps
a log of every acknowledged write, and at the end proves that every
acknowledged write is present on every node and that `suyuan verify`
passes on every node's data. Prints a summary table (and --json FILE).

Traffic, per request kind (a kind the node answers 501 or 404-for-the-route
is dropped after its first probe and reported as skipped):
  tx          signed RECORD transactions, POST /v1/tx?wait=commit, by
              sy_loadgen (acknowledged = 200 committed valid, its --ack-log)
  capture     POST /capture (Bearer token, one ObjectEvent, now and then an
              AggregationEvent of earlier EPCs); acknowledged = the capture
              job finished with success: true; its eventIDs are logged
  event       GET /events/{eventID} of an acknowledged event
  query       GET /events?MATCH_epc=...
  trace       GET /v1/trace/forward|backward?epc=...
  history     GET /v1/trace/history?epc=...
  recall      GET /v1/recall?epc=...
  resolver    GET /01/{gtin}/21/{serial} (Accept: application/linkset+json)
  label       GET /v1/label?id=...&format=svg
  verify-code POST /v1/verify-code
  status      GET /v1/status

Not part of CI (it runs for minutes). Only processes this script started
(or `cluster up` started for it) are signalled, by PID. Standard library
only; needs the build directory (--bin) with suyuand, suyuan, sy_loadgen.

  bench/soak.py --bin build --mode single --seconds 600 --dir /tmp/soak1
  bench/soak.py --bin build --mode cluster --seconds 600 --dir /tmp/soak3
"""
import argparse
import collections
import http.client
import json
import os
import random
import re
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.parse

PASS = "soak-passphrase"
CTX = ["https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld"]
# GS1's example: urn:epc:id:sgtin:0614141.812345.S <-> (01)80614141123458(21)S
EPC_PREFIX = "urn:epc:id:sgtin:0614141.812345."
GTIN = "80614141123458"
SSCC_PREFIX = "urn:epc:id:sscc:0614141."


def now_iso():
    t = time.time()
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(t)) + ".%03dZ" % int(t * 1000 % 1000)


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    p = s.getsockname()[1]
    s.close()
    return p


def pct(sorted_vals, q):
    if not sorted_vals:
        return None
    i = min(len(sorted_vals) - 1, max(0, int(round(q * (len(sorted_vals) - 1)))))
    return sorted_vals[i]


class Stats:
    def __init__(self):
        self.mu = threading.Lock()
        self.lat = collections.defaultdict(list)  # kind -> [ms]
        self.status = collections.defaultdict(collections.Counter)  # kind -> status -> n
        self.skipped = {}

    def add(self, kind, status, ms):
        with self.mu:
            self.status[kind][status] += 1
            if isinstance(status, int) and status < 500:
                self.lat[kind].append(ms)


class Proc:
    """A process we may SIGKILL and restart: a peer (suyuand) or an etcd member."""

    def __init__(self, name, kind, argv, log, env, url=None, addr_file=None, pid=None, data=None):
        self.name, self.kind, self.argv, self.log, self.env = name, kind, argv, log, env
        self.url, self.addr_file, self.pid, self.popen, self.data = url, addr_file, pid, None, data

    def start(self):
        if self.addr_file and os.path.exists(self.addr_file):
            os.unlink(self.addr_file)
        lf = open(self.log, "ab")
        self.popen = subprocess.Popen(self.argv, stdout=lf, stderr=subprocess.STDOUT, env=self.env,
                                      start_new_session=True)
        lf.close()
        self.pid = self.popen.pid

    def alive(self):
        if self.pid is None:
            return False
        if self.popen is not None:
            return self.popen.poll() is None
        try:
            os.kill(self.pid, 0)
        except ProcessLookupError:
            return False
        # A zombie of `cluster up`'s child is reaped by init; check its state.
        try:
            with open("/proc/%d/stat" % self.pid) as f:
                return f.read().split(")")[-1].split()[0] != "Z"
        except OSError:
            return False

    def signal(self, sig):
        if self.pid is None:
            return
        try:
            os.kill(self.pid, sig)
        except ProcessLookupError:
            pass

    def wait_dead(self, timeout):
        end = time.time() + timeout
        while time.time() < end:
            if not self.alive():
                if self.popen is not None:
                    self.popen.wait()
                return True
            time.sleep(0.05)
        return False

    def kill9(self):
        self.signal(signal.SIGKILL)
        self.wait_dead(10)

    def stop(self):
        self.signal(signal.SIGTERM)
        if not self.wait_dead(20):
            self.kill9()

    def wait_ready(self, timeout=60):
        end = time.time() + timeout
        while time.time() < end:
            if not self.alive():
                return False
            try:
                path = "/health"
                u = urllib.parse.urlparse(self.url)
                c = http.client.HTTPConnection(u.hostname, u.port, timeout=2)
                c.request("GET", path)
                r = c.getresponse()
                r.read()
                c.close()
                if self.kind == "etcd" or r.status in (200, 503):
                    if self.kind == "etcd" or not self.addr_file or os.path.exists(self.addr_file):
                        return True
            except (OSError, http.client.HTTPException):
                pass
            time.sleep(0.1)
        return False


class Client:
    """One keep-alive connection per node per thread."""

    def __init__(self, timeout=40):
        self.conns = {}
        self.timeout = timeout

    def req(self, url, method, path, body=None, headers=None):
        u = urllib.parse.urlparse(url)
        key = (u.hostname, u.port)
        for attempt in (0, 1):
            c = self.conns.get(key)
            if c is None:
                c = http.client.HTTPConnection(u.hostname, u.port, timeout=self.timeout)
                self.conns[key] = c
            try:
                c.request(method, path, body=body, headers=headers or {})
                r = c.getresponse()
                data = r.read()
                hdrs = {k.lower(): v for k, v in r.getheaders()}
                if hdrs.get("connection", "").lower() == "close":
                    c.close()
                    self.conns.pop(key, None)
                return r.status, hdrs, data
            except (OSError, http.client.HTTPException):
                c.close()
                self.conns.pop(key, None)
                # A stale keep-alive connection: one retry on a fresh one for reads.
                if attempt == 0 and method == "GET":
                    continue
                return None, {}, b""
        return None, {}, b""


class Soak:
    def __init__(self, a):
        self.a = a
        self.bin = os.path.abspath(a.bin)
        self.dir = os.path.abspath(a.dir)
        self.env = dict(os.environ, SUYUAN_PASSPHRASE=PASS, SUYUAN_KDF="fast")
        self.stats = Stats()
        self.stop_ev = threading.Event()
        self.peers = []  # Proc (suyuand)
        self.etcd = []  # Proc (etcd)
        self.tokens = {}  # peer url -> bearer token
        self.mu = threading.Lock()
        self.acked_events = []  # (eventID, epc)
        self.epcs = []  # acknowledged EPCs
        self.kills = collections.Counter()
        self.kill_log = []
        self.lg_runs = []
        self.down = set()  # names of processes currently down (killed)
        self.run_id = "%x" % int(time.time())
        self.serial = 0
        self.t0 = None
        self.uptime_start = open("/proc/loadavg").read().split()[:3]

    # ---- setup -----------------------------------------------------------------------
    def sh(self, *argv, check=True):
        r = subprocess.run(list(argv), env=self.env, capture_output=True, text=True)
        if check and r.returncode != 0:
            sys.exit("soak: %s failed (%d): %s %s" % (" ".join(argv[:3]), r.returncode, r.stdout,
                                                     r.stderr))
        return r

    def setup_single(self):
        s = os.path.join(self.bin, "suyuan")
        d = os.path.join(self.dir, "node1")
        self.sh(s, "init", "--chain", "soak", "--org", "org1", "--dir", d)
        port = free_port()
        url = "http://127.0.0.1:%d" % port
        addr = os.path.join(d, "addr")
        p = Proc("node1", "peer", [os.path.join(self.bin, "suyuand"), "--data", d, "--listen",
                                   "127.0.0.1:%d" % port, "--addr-file", addr],
                 os.path.join(d, "suyuand.log"), self.env, url=url, addr_file=addr, data=d)
        p.start()
        if not p.wait_ready():
            sys.exit("soak: the node did not start (%s)" % p.log)
        self.peers = [p]
        self.admin = os.path.join(d, "keys", "admin.key")
        self.org = "org1"

    def setup_cluster(self):
        s = os.path.join(self.bin, "suyuan")
        c = os.path.join(self.dir, "cluster")
        r = subprocess.run([s, "cluster", "up", "--nodes", "3", "--dir", c], env=self.env,
                           capture_output=True, text=True)
        if r.returncode != 0:
            sys.exit("soak: cluster up failed: %s %s" % (r.stdout, r.stderr))
        cj = json.load(open(os.path.join(c, "cluster.json")))
        for e in cj["etcd"]:
            self.etcd.append(Proc(e["name"], "etcd", e["argv"], e["log"], self.env,
                                  url=e["client_url"], pid=int(e["pid"])))
        for p in cj["peers"]:
            self.peers.append(Proc(p["name"], "peer", p["argv"], p["log"], self.env, url=p["url"],
                                   addr_file=os.path.join(p["data"], "addr"), pid=int(p["pid"]),
                                   data=p["data"]))
        for p in self.peers:
            if not p.wait_ready():
                sys.exit("soak: peer %s not ready" % p.name)
        self.admin = cj["admin_key"]
        self.org = cj["org"]

    def setup_keys(self):
        s = os.path.join(self.bin, "suyuan")
        self.key = os.path.join(self.dir, "recorder.key")
        self.sh(s, "keygen", "--out", self.key)
        self.sh(s, "--node", self.peers[0].url, "member", "add", "--key", self.admin, "--org",
                self.org, "--member-key", self.key, "--roles", "recorder", "--name", "soak")
        # Every peer must know the member before its token can be used there.
        self.wait_converged(60)
        for p in self.peers:
            r = self.sh(s, "token", "create", "--data", p.data, "--member-key", self.key,
                        "--name", "soak")
            m = re.search(r"syt_[0-9a-f]{16}_[0-9a-f]{64}", r.stdout + r.stderr)
            if not m:
                sys.exit("soak: no token in: %s" % r.stdout)
            self.tokens[p.url] = m.group(0)

    # ---- helpers --------------------------------------------------------------------
    def live_peers(self):
        with self.mu:
            return [p for p in self.peers if p.name not in self.down]

    def tip(self, url):
        c = Client(timeout=5)
        st, _, body = c.req(url, "GET", "/v1/status")
        if st != 200:
            return None
        d = json.loads(body)
        return (d["height"], d["tip_hash"], d["results_hash"])

    def wait_converged(self, timeout):
        end = time.time() + timeout
        while time.time() < end:
            tips = [self.tip(p.url) for p in self.peers]
            if all(tips) and len(set(tips)) == 1:
                return tips[0]
            time.sleep(0.2)
        return None

    def next_serial(self):
        with self.mu:
            self.serial += 1
            return "%s%d" % (self.run_id, self.serial)

    def timed(self, kind, url, method, path, body=None, headers=None, client=None):
        t = time.time()
        st, h, data = client.req(url, method, path, body, headers)
        ms = (time.time() - t) * 1000
        self.stats.add(kind, st if st is not None else "conn", ms)
        return st, h, data

    # ---- traffic --------------------------------------------------------------------
    def capture(self, c, url):
        serial = self.next_serial()
        epc = EPC_PREFIX + serial
        with self.mu:
            prev = self.epcs[-3:] if len(self.epcs) >= 3 else []
        if prev and random.random() < 0.2:
            ev = {"type": "AggregationEvent", "eventTime": now_iso(), "eventTimeZoneOffset": "+00:00",
                  "parentID": SSCC_PREFIX + "%010d" % (self.serial % 10 ** 10), "childEPCs": prev,
                  "action": "ADD", "bizStep": "packing", "disposition": "in_progress",
                  "readPoint": {"id": "urn:epc:id:sgln:0614141.00777.0"}}
            epc_for_log = prev[0]
        else:
            ev = {"type": "ObjectEvent", "eventTime": now_iso(), "eventTimeZoneOffset": "+00:00",
                  "epcList": [epc], "action": "ADD", "bizStep": "commissioning",
                  "disposition": "active", "readPoint": {"id": "urn:epc:id:sgln:0614141.00777.0"},
                  "bizLocation": {"id": "urn:epc:id:sgln:0614141.00777.0"}}
            epc_for_log = epc
        doc = {"@context": CTX, "type": "EPCISDocument", "schemaVersion": "2.0",
               "creationDate": now_iso(), "epcisBody": {"eventList": [ev]}}
        hdr = {"Authorization": "Bearer " + self.tokens[url], "Content-Type": "application/json"}
        st, h, data = self.timed("capture", url, "POST", "/capture", json.dumps(doc), hdr, c)
        if st != 202:
            return
        try:
            job = json.loads(data)
        except ValueError:
            return
        loc = h.get("location", "/capture/" + job.get("captureID", ""))
        end = time.time() + 40
        while job.get("running") and time.time() < end and not self.stop_ev.is_set():
            time.sleep(0.2)
            st2, _, d2 = c.req(url, "GET", loc)
            if st2 == 200:
                job = json.loads(d2)
        if job.get("running") is False and job.get("success") is True and job.get("eventIDs"):
            with self.mu:
                for eid in job["eventIDs"]:
                    self.acked_events.append(eid)
                if ev["type"] == "ObjectEvent":
                    self.epcs.append(epc_for_log)
                self.ack_fh.write(json.dumps({"eventIDs": job["eventIDs"], "captureID":
                                              job.get("captureID"), "via": url}) + "\n")
                self.ack_fh.flush()
        elif job.get("running") is False and job.get("success") is False:
            with self.stats.mu:
                self.stats.status["capture-job"]["failed"] += 1

    def pick_epc(self):
        with self.mu:
            if not self.epcs:
                return None
            return random.choice(self.epcs)

    def pick_event(self):
        with self.mu:
            if not self.acked_events:
                return None
            return random.choice(self.acked_events)

    def probe_skip(self, kind, st, data):
        """Drops a kind the node does not implement (501, or 404 naming no route)."""
        if st == 501:
            self.stats.skipped[kind] = "501 not implemented"
            return True
        return False

    def worker(self, wid):
        c = Client()
        rnd = random.Random(wid * 7919 + int(time.time()))
        kinds = [("capture", 30), ("event", 8), ("query", 10), ("trace", 10), ("history", 8),
                 ("recall", 5), ("resolver", 10), ("label", 4), ("verify-code", 3), ("status", 4)]
        total = sum(w for _, w in kinds)
        while not self.stop_ev.is_set():
            live = self.live_peers()
            if not live:
                time.sleep(0.1)
                continue
            url = rnd.choice(live).url
            x = rnd.uniform(0, total)
            kind = kinds[-1][0]
            for k, w in kinds:
                if x < w:
                    kind = k
                    break
                x -= w
            if kind in self.stats.skipped:
                continue
            epc = self.pick_epc()
            if kind != "capture" and kind != "status" and kind != "verify-code" and epc is None:
                kind = "capture"
            q = urllib.parse.quote
            if kind == "capture":
                self.capture(c, url)
            elif kind == "event":
                eid = self.pick_event()
                if eid:
                    self.timed(kind, url, "GET", "/events/" + q(eid, safe=""), client=c)
            elif kind == "query":
                self.timed(kind, url, "GET", "/events?MATCH_epc=%s&perPage=10" % q(epc, safe=""),
                           client=c)
            elif kind == "trace":
                d = rnd.choice(["forward", "backward"])
                self.timed(kind, url, "GET", "/v1/trace/%s?epc=%s" % (d, q(epc, safe="")), client=c)
            elif kind == "history":
                self.timed(kind, url, "GET", "/v1/trace/history?epc=%s" % q(epc, safe=""), client=c)
            elif kind == "recall":
                self.timed(kind, url, "GET", "/v1/recall?epc=%s" % q(epc, safe=""), client=c)
            elif kind == "resolver":
                serial = epc[len(EPC_PREFIX):]
                st, _, data = self.timed(kind, url, "GET", "/01/%s/21/%s" % (GTIN, q(serial, safe="")),
                                         headers={"Accept": "application/linkset+json"}, client=c)
                self.probe_skip(kind, st, data)
            elif kind == "label":
                st, _, data = self.timed(kind, url, "GET", "/v1/label?id=%s&format=svg" % q(epc, safe=""),
                                         client=c)
                self.probe_skip(kind, st, data)
            elif kind == "verify-code":
                body = json.dumps({"id": epc or (EPC_PREFIX + "0"), "code": "0000-0000-0000"})
                st, _, data = self.timed(kind, url, "POST", "/v1/verify-code", body,
                                         {"Content-Type": "application/json"}, client=c)
                self.probe_skip(kind, st, data)
            elif kind == "status":
                self.timed(kind, url, "GET", "/v1/status", client=c)
            if self.a.think_ms:
                time.sleep(self.a.think_ms / 1000.0)

    def loadgen(self):
        """sy_loadgen, restarted whenever it gives up, until the end."""
        i = 0
        while not self.stop_ev.is_set():
            left = self.t_end - time.time()
            if left < 2:
                break
            live = self.live_peers()
            if not live:
                time.sleep(0.2)
                continue
            target = live[i % len(live)]
            i += 1
            out = os.path.join(self.dir, "loadgen.%d.json" % i)
            argv = [os.path.join(self.bin, "sy_loadgen"), "--node", target.url, "--key", self.key,
                    "-c", str(self.a.tx_conns), "-t", "1", "--sign-threads", "1", "-d",
                    "%.0f" % left, "--presign", str(int(min(200000, self.a.tx_presign_rate * left) + 100)),
                    "--max-reconnects", "40", "--retries", "5", "--ack-log", self.acks_tx, "--json", "-q"]
            with open(out, "w") as f:
                p = subprocess.Popen(argv, stdout=f, stderr=subprocess.DEVNULL, env=self.env,
                                     start_new_session=True)
                self.lg_proc = p
                while p.poll() is None:
                    if self.stop_ev.wait(0.2):
                        p.send_signal(signal.SIGINT)
                        try:
                            p.wait(15)
                        except subprocess.TimeoutExpired:
                            p.kill()
                            p.wait()
                        break
            try:
                self.lg_runs.append(json.load(open(out)))
            except (ValueError, OSError):
                pass
            time.sleep(0.5)

    def killer(self):
        n = 0
        next_kill = time.time() + self.a.kill_every
        while not self.stop_ev.wait(0.2):
            if time.time() < next_kill or time.time() > self.t_end - 10:
                continue
            n += 1
            victims = [self.peers[(n - 1) % len(self.peers)]]
            if self.etcd and n % 2 == 0:
                victims.append(self.etcd[(n // 2 - 1) % len(self.etcd)])
            with self.mu:
                for v in victims:
                    self.down.add(v.name)
            t = time.time() - self.t0
            for v in victims:
                v.kill9()
                self.kills[v.kind] += 1
            time.sleep(self.a.down_s)
            rec = {"t": round(t, 1), "killed": [v.name for v in victims]}
            for v in reversed(victims):  # etcd first, then the peer
                t1 = time.time()
                v.start()
                ok = v.wait_ready(120)
                rec["restart_" + v.name + "_s"] = round(time.time() - t1, 2) if ok else None
                if not ok:
                    print("soak: %s did not come back (log %s)" % (v.name, v.log), file=sys.stderr)
            with self.mu:
                for v in victims:
                    self.down.discard(v.name)
            self.kill_log.append(rec)
            print("soak: t=%5.0fs killed %s; back after %s" % (t, "+".join(rec["killed"]),
                  ", ".join("%s" % rec[k] for k in rec if k.startswith("restart_"))), flush=True)
            next_kill = time.time() + self.a.kill_every

    # ---- the end: every acknowledged write everywhere; verify -------------------------
    def check_all(self):
        res = {}
        for p in self.peers:
            if not p.alive():
                p.start()
                p.wait_ready(120)
        conv = self.wait_converged(120)
        res["converged"] = conv is not None
        res["height"] = conv[0] if conv else None
        ntx = sum(1 for _ in open(self.acks_tx)) if os.path.exists(self.acks_tx) else 0
        res["acked_tx"] = ntx
        res["acked_events"] = len(self.acked_events)
        res["missing"] = {}
        for p in self.peers:
            r = subprocess.run([os.path.join(self.bin, "sy_loadgen"), "--node", p.url, "--check",
                                self.acks_tx, "-c", "4", "--json", "-q"], env=self.env,
                               capture_output=True, text=True)
            miss_tx = None
            try:
                d = json.loads(r.stdout)
                miss_tx = len(d.get("missing_ids", [])) + (0 if r.returncode == 0 else 0)
                if r.returncode != 0 and miss_tx == 0:
                    miss_tx = "check failed: " + r.stdout[-300:]
            except ValueError:
                miss_tx = "check failed: " + (r.stdout + r.stderr)[-300:]
            res["missing"][p.name] = {"tx": miss_tx, "events": self.check_events(p.url)}
        for e in self.etcd:
            e.stop()
        res["verify"] = {}
        for p in self.peers:
            p.stop()
            r = subprocess.run([os.path.join(self.bin, "suyuan"), "verify", "--data", p.data],
                               env=self.env, capture_output=True, text=True)
            res["verify"][p.name] = {"rc": r.returncode, "out": (r.stdout + r.stderr).strip()[-200:]}
        return res

    def check_events(self, url, nthreads=4):
        """GET /events/{id} for every acknowledged event; returns how many are not 200."""
        missing = [0] * nthreads

        def part(k):
            c = Client(timeout=20)
            for eid in self.acked_events[k::nthreads]:
                st = None
                for _ in range(3):  # a refused connection is retried, a 404 is not
                    st, _, _ = c.req(url, "GET", "/events/" + urllib.parse.quote(eid, safe=""))
                    if st is not None:
                        break
                if st != 200:
                    missing[k] += 1

        ts = [threading.Thread(target=part, args=(k,)) for k in range(nthreads)]
        for t in ts:
            t.start()
        for t in ts:
            t.join()
        return sum(missing)

    def run(self):
        os.makedirs(self.dir, exist_ok=True)
        if os.listdir(self.dir):
            sys.exit("soak: --dir %s must be empty" % self.dir)
        started = time.strftime("%Y-%m-%d %H:%M:%SZ", time.gmtime())
        if self.a.mode == "single":
            self.setup_single()
        else:
            self.setup_cluster()
        try:
            self.setup_keys()
            self.acks_tx = os.path.join(self.dir, "acks.tx")
            open(self.acks_tx, "w").close()
            self.ack_fh = open(os.path.join(self.dir, "acks.events.jsonl"), "w")
            self.t0 = time.time()
            self.t_end = self.t0 + self.a.seconds
            threads = [threading.Thread(target=self.worker, args=(i,), daemon=True)
                       for i in range(self.a.workers)]
            threads.append(threading.Thread(target=self.loadgen, daemon=True))
            if self.a.kill_every > 0:
                threads.append(threading.Thread(target=self.killer, daemon=True))
            for t in threads:
                t.start()
            while time.time() < self.t_end:
                time.sleep(1)
                el = time.time() - self.t0
                if int(el) % 30 == 0:
                    with self.mu:
                        ne = len(self.acked_events)
                    print("soak: t=%4.0fs events acked %d, kills %d" % (el, ne, sum(self.kills.values())),
                          flush=True)
            self.stop_ev.set()
            for t in threads:
                t.join(60)
            elapsed = time.time() - self.t0
            self.ack_fh.close()
            load_end = open("/proc/loadavg").read().split()[:3]
            res = self.check_all()
        finally:
            self.stop_ev.set()
            for p in self.peers + self.etcd:
                if p.alive():
                    p.stop()
        res.update({"mode": self.a.mode, "started": started, "seconds": round(elapsed, 1),
                    "kills": dict(self.kills), "kill_log": self.kill_log,
                    "loadavg_start": self.uptime_start, "loadavg_end": load_end})
        self.report(res)
        return res

    # ---- report ---------------------------------------------------------------------
    def report(self, res):
        kinds = {}
        for k in sorted(self.stats.status):
            sts = self.stats.status[k]
            lat = sorted(self.stats.lat.get(k, []))
            kinds[k] = {"requests": sum(sts.values()), "by_status": {str(s): n for s, n in sorted(
                sts.items(), key=lambda x: str(x[0]))}, "p50_ms": pct(lat, 0.5), "p99_ms": pct(lat, 0.99)}
        # sy_loadgen's runs: transactions.
        lg = {"runs": len(self.lg_runs), "acked": 0, "sent": 0, "503": 0, "4xx": 0, "409": 0,
              "other": 0, "lost": 0, "connect": 0}
        p50s, p99s = [], []
        for r in self.lg_runs:
            lg["acked"] += r.get("acked", 0)
            lg["sent"] += r.get("sent", 0)
            rs = r.get("responses", {})
            for k in ("503", "4xx", "409", "other"):
                lg[k] += rs.get(k, 0)
            er = r.get("errors", {})
            lg["lost"] += er.get("lost", 0)
            lg["connect"] += er.get("connect", 0)
            la = r.get("latency_ms", {})
            if la.get("n"):
                p50s.append((la["p50"], la["n"]))
                p99s.append(la["p99"])
        if p50s:
            lg["p50_ms"] = round(sum(p * n for p, n in p50s) / sum(n for _, n in p50s), 2)
            lg["p99_ms"] = max(p99s)
        res["requests"] = kinds
        res["tx"] = lg
        res["skipped"] = self.stats.skipped
        if self.a.json:
            with open(self.a.json, "w") as f:
                json.dump(res, f, indent=1, default=str)
        w = sys.stdout.write
        w("\n== soak: %s, %s s, started %s ==\n" % (res["mode"], res["seconds"], res["started"]))
        w("load average at start %s, at end %s\n" % (" ".join(res["loadavg_start"]),
                                                     " ".join(res["loadavg_end"])))
        w("%-12s %9s %9s %9s  %s\n" % ("kind", "requests", "p50 ms", "p99 ms", "by status"))
        w("%-12s %9d %9s %9s  200 valid %d, 409 %d, 503 %d, other 4xx %d, other %d, lost conn %d, "
          "connect fail %d (sy_loadgen, %d runs; p50 acked-weighted, p99 max of runs)\n" % (
              "tx", lg["sent"], lg.get("p50_ms", "-"), lg.get("p99_ms", "-"), lg["acked"], lg["409"],
              lg["503"], lg["4xx"], lg["other"], lg["lost"], lg["connect"], lg["runs"]))
        for k, v in kinds.items():
            f = lambda x: "-" if x is None else "%.1f" % x
            w("%-12s %9d %9s %9s  %s\n" % (k, v["requests"], f(v["p50_ms"]), f(v["p99_ms"]),
                                          ", ".join("%s: %d" % (s, n) for s, n in v["by_status"].items())))
        for k, why in self.stats.skipped.items():
            w("%-12s skipped: %s\n" % (k, why))
        w("kills: %s\n" % (", ".join("%s %d" % kv for kv in res["kills"].items()) or "none"))
        w("acknowledged writes: %d transactions (sy_loadgen), %d EPCIS events (capture jobs)\n" % (
            res["acked_tx"], res["acked_events"]))
        w("converged: %s at height %s\n" % (res["converged"], res["height"]))
        bad = not res["converged"]
        for name, m in res["missing"].items():
            v = res["verify"].get(name, {})
            w("%-8s missing tx %s, missing events %s; verify rc %s: %s\n" % (
                name, m["tx"], m["events"], v.get("rc"), v.get("out", "").splitlines()[-1:] or ""))
            bad |= m["tx"] != 0 or m["events"] != 0 or v.get("rc") != 0
        w("RESULT: %s\n" % ("FAIL" if bad else "OK: missing = 0 on every node, verify passes"))
        res["ok"] = not bad


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--bin", required=True, help="build directory (suyuand, suyuan, sy_loadgen)")
    ap.add_argument("--dir", required=True, help="empty working directory")
    ap.add_argument("--mode", choices=["single", "cluster"], default="single")
    ap.add_argument("--seconds", type=float, default=600)
    ap.add_argument("--kill-every", type=float, default=60, help="seconds between kills (0: none)")
    ap.add_argument("--down-s", type=float, default=1.0, help="seconds a killed process stays down")
    ap.add_argument("--workers", type=int, default=3, help="threads of mixed HTTP traffic")
    ap.add_argument("--think-ms", type=float, default=0, help="pause between a worker's requests")
    ap.add_argument("--tx-conns", type=int, default=2, help="sy_loadgen connections")
    ap.add_argument("--tx-presign-rate", type=float, default=400,
                    help="transactions pre-signed per second of run")
    ap.add_argument("--json", help="write the results as JSON here")
    a = ap.parse_args()
    res = Soak(a).run()
    sys.exit(0 if res.get("ok") else 1)


if __name__ == "__main__":
    main()
