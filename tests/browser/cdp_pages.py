#!/usr/bin/env python3
"""Drives one headless chromium through the DevTools protocol (python3
stdlib only: the WebSocket is written by hand) for tests/integration/
test_browser.sh. One browser start for every page, which is what keeps the
test fast: a chromium start costs seconds, a navigation milliseconds.

usage: cdp_pages.py CHROMIUM PROFILE_DIR OUT_DIR JOB...
  JOB = NAME=URL[@shot]   loads URL in a phone-sized viewport (412 px wide),
                          waits until document.body.dataset.verify is final
                          (pass, fail, unsupported, none; at most 25 s),
                          writes OUT_DIR/NAME.html (the DOM) and, with @shot,
                          OUT_DIR/NAME.png (the whole page).
Exit 0 when every page was captured (whatever its verdict), 1 otherwise.
"""
import base64
import json
import os
import signal
import socket
import struct
import subprocess
import sys
import time
import urllib.request


class WS:
    """A minimal RFC 6455 client: text frames, client masking, fragments."""

    def __init__(self, url):
        assert url.startswith("ws://")
        hostport, path = url[5:].split("/", 1)
        host, port = hostport.rsplit(":", 1)
        self.s = socket.create_connection((host, int(port)), timeout=30)
        key = base64.b64encode(os.urandom(16)).decode()
        self.s.sendall((f"GET /{path} HTTP/1.1\r\nHost: {hostport}\r\nUpgrade: websocket\r\n"
                        f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\n"
                        "Sec-WebSocket-Version: 13\r\n\r\n").encode())
        head = b""
        while b"\r\n\r\n" not in head:
            chunk = self.s.recv(1)
            if not chunk:
                raise IOError("websocket handshake: connection closed")
            head += chunk
        if b" 101 " not in head.split(b"\r\n", 1)[0]:
            raise IOError("websocket handshake refused: " + head.decode(errors="replace"))
        self.next_id = 0

    def _read(self, n):
        buf = b""
        while len(buf) < n:
            chunk = self.s.recv(n - len(buf))
            if not chunk:
                raise IOError("websocket closed")
            buf += chunk
        return buf

    def send(self, obj):
        data = json.dumps(obj).encode()
        hdr = bytearray([0x81])
        n = len(data)
        if n < 126:
            hdr.append(0x80 | n)
        elif n < 65536:
            hdr.append(0x80 | 126)
            hdr += struct.pack(">H", n)
        else:
            hdr.append(0x80 | 127)
            hdr += struct.pack(">Q", n)
        mask = os.urandom(4)
        self.s.sendall(bytes(hdr) + mask + bytes(b ^ mask[i % 4] for i, b in enumerate(data)))

    def recv(self):
        msg = b""
        while True:
            b0, b1 = self._read(2)
            n = b1 & 0x7F
            if n == 126:
                (n,) = struct.unpack(">H", self._read(2))
            elif n == 127:
                (n,) = struct.unpack(">Q", self._read(8))
            mask = self._read(4) if b1 & 0x80 else None
            payload = self._read(n)
            if mask:
                payload = bytes(b ^ mask[i % 4] for i, b in enumerate(payload))
            op = b0 & 0x0F
            if op == 8:
                raise IOError("websocket closed by the browser")
            if op in (9, 10):  # ping / pong: ignore
                continue
            msg += payload
            if b0 & 0x80:
                return json.loads(msg)

    def call(self, method, **params):
        self.next_id += 1
        mid = self.next_id
        self.send({"id": mid, "method": method, "params": params})
        while True:
            m = self.recv()
            if m.get("id") == mid:
                if "error" in m:
                    raise IOError(f"{method}: {m['error']}")
                return m.get("result", {})


def main():
    chromium, profile, out = sys.argv[1:4]
    jobs = sys.argv[4:]
    os.makedirs(out, exist_ok=True)
    proc = subprocess.Popen(
        [chromium, "--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
         "--no-first-run", "--no-default-browser-check", "--disable-extensions", "--disable-sync",
         "--disable-background-networking", "--remote-debugging-port=0", "--remote-debugging-address=127.0.0.1",
         f"--user-data-dir={profile}", "--lang=en-US", "about:blank"],
        stdout=subprocess.DEVNULL, stderr=open(os.path.join(profile + ".log"), "w"), start_new_session=True)
    ok = True
    try:
        portfile = os.path.join(profile, "DevToolsActivePort")
        deadline = time.time() + 30
        while not (os.path.exists(portfile) and open(portfile).read().count("\n") >= 1):
            if time.time() > deadline or proc.poll() is not None:
                raise IOError("chromium did not start its DevTools endpoint")
            time.sleep(0.05)
        port = open(portfile).read().split("\n")[0].strip()
        targets = json.load(urllib.request.urlopen(f"http://127.0.0.1:{port}/json/list", timeout=10))
        page = next(t for t in targets if t.get("type") == "page")
        ws = WS(page["webSocketDebuggerUrl"])
        ws.call("Page.enable")
        ws.call("Emulation.setDeviceMetricsOverride", width=412, height=915, deviceScaleFactor=1, mobile=True)
        for job in jobs:
            name, url = job.split("=", 1)
            shot = url.endswith("@shot")
            if shot:
                url = url[:-5]
            ws.call("Page.navigate", url=url)
            expr = ("(location.href === %s && document.body) ? (document.body.dataset.verify || '') : ''"
                    % json.dumps(url))
            verdict, deadline = "", time.time() + 25
            while time.time() < deadline:
                r = ws.call("Runtime.evaluate", expression=expr, returnByValue=True)
                verdict = r.get("result", {}).get("value", "")
                if verdict in ("pass", "fail", "unsupported", "none"):
                    break
                time.sleep(0.1)
            html = ws.call("Runtime.evaluate", expression="document.documentElement.outerHTML",
                           returnByValue=True)["result"]["value"]
            with open(os.path.join(out, name + ".html"), "w") as f:
                f.write(html)
            if shot:
                m = ws.call("Page.getLayoutMetrics")
                h = int(m.get("cssContentSize", m.get("contentSize"))["height"])
                img = ws.call("Page.captureScreenshot", format="png", captureBeyondViewport=True,
                              clip={"x": 0, "y": 0, "width": 412, "height": min(h, 6000), "scale": 1})
                with open(os.path.join(out, name + ".png"), "wb") as f:
                    f.write(base64.b64decode(img["data"]))
            print(f"{name}: {verdict or 'timeout'}")
            if not verdict:
                ok = False
    except (IOError, OSError, StopIteration, KeyError, ValueError) as ex:
        print("cdp_pages:", type(ex).__name__, ex, file=sys.stderr)
        ok = False
    finally:
        try:
            os.killpg(proc.pid, signal.SIGTERM)  # the group of the chromium we started
        except ProcessLookupError:
            pass
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
