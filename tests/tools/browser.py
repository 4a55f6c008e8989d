#!/usr/bin/env python3
"""browser.py -- drive Debian's headless chromium from a shell test.

Starts chromium with --remote-debugging-pipe (the DevTools protocol over
two pipes, JSON messages ended by NUL bytes: no WebSocket, no npm, only
Python's standard library) and takes commands on stdin, one a line,
answering each with one line on stdout:

    open URL          load URL in a fresh tab          -> {"ok": true}
    eval EXPR         evaluate a JS expression in it   -> {"value": ...} or {"error": "..."}
    wait MS EXPR      until EXPR is truthy, MS at most -> {"value": ..., "ms": N} or {"error": "timeout", ...}
    shot FILE W H     a W x H PNG screenshot of it     -> {"ok": true, "bytes": N}
    errors            console errors, uncaught exceptions and refused loads so far
                                                       -> {"value": [...]}
    quit

Meant for a bash coproc (tests/integration/cluster-page.sh).  The browser
gets a profile of its own in a temp directory and every background service
turned off, so it talks to nothing but the URLs it is given.

    CHROMIUM=/usr/bin/chromium   the browser (default: chromium on PATH)
"""
import base64
import fcntl
import json
import os
import select
import shutil
import subprocess
import sys
import tempfile
import time

FLAGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--no-first-run",
    "--disable-default-apps", "--disable-extensions", "--mute-audio",
    "--no-default-browser-check", "--remote-debugging-pipe",
]


def high_fd(fd):
    """fd moved to a number >= 10, so redirecting onto 3 and 4 cannot clobber it."""
    new = fcntl.fcntl(fd, fcntl.F_DUPFD, 10)
    os.close(fd)
    return new


class Browser:
    def __init__(self, chromium, profile):
        to_r, self.to_w = os.pipe()      # we write, chromium reads on fd 3
        self.from_r, from_w = os.pipe()  # chromium writes on fd 4, we read
        to_r, from_w = high_fd(to_r), high_fd(from_w)  # never 3 or 4 themselves
        # bash puts the pipes on fds 3 and 4 (any fd number, unlike sh)
        cmd = ["bash", "-c", f'exec "$0" "$@" 3<&{to_r} 4>&{from_w} {to_r}<&- {from_w}>&-',
               chromium, *FLAGS, f"--user-data-dir={profile}", "about:blank"]
        self.proc = subprocess.Popen(cmd, pass_fds=(to_r, from_w), stdin=subprocess.DEVNULL,
                                     stdout=subprocess.DEVNULL, stderr=open(os.environ.get("BROWSER_LOG", os.devnull), "ab"))
        os.close(to_r)
        os.close(from_w)
        self.buf = b""
        self.next_id = 0
        self.session = None
        self.problems = []

    def send(self, method, params=None, session=True, timeout=30):
        self.next_id += 1
        msg = {"id": self.next_id, "method": method, "params": params or {}}
        if session and self.session:
            msg["sessionId"] = self.session
        os.write(self.to_w, json.dumps(msg).encode() + b"\0")
        return self.reply(self.next_id, timeout)

    def reply(self, want, timeout):
        deadline = time.monotonic() + timeout
        while True:
            while b"\0" in self.buf:
                raw, self.buf = self.buf.split(b"\0", 1)
                m = json.loads(raw)
                if m.get("id") == want:
                    if "error" in m:
                        raise RuntimeError(m["error"].get("message", str(m["error"])))
                    return m.get("result", {})
                self.event(m)
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError("no answer from chromium")
            if select.select([self.from_r], [], [], left)[0]:
                chunk = os.read(self.from_r, 1 << 20)
                if not chunk:
                    raise RuntimeError("chromium exited")
                self.buf += chunk

    def event(self, m):
        """Keep what a test must see: console errors, exceptions, refused loads."""
        p = m.get("params", {})
        if m.get("method") == "Runtime.exceptionThrown":
            d = p.get("exceptionDetails", {})
            self.problems.append("exception: " + d.get("exception", {}).get("description", d.get("text", "?")))
        elif m.get("method") == "Runtime.consoleAPICalled" and p.get("type") == "error":
            self.problems.append("console.error: " + " ".join(str(a.get("value", a.get("description", ""))) for a in p.get("args", [])))
        elif m.get("method") == "Log.entryAdded" and p.get("entry", {}).get("level") == "error":
            self.problems.append("log: " + p["entry"].get("text", ""))

    def open(self, url):
        target = self.send("Target.createTarget", {"url": "about:blank"}, session=False)["targetId"]
        self.session = self.send("Target.attachToTarget", {"targetId": target, "flatten": True},
                                 session=False)["sessionId"]
        for domain in ("Page", "Runtime", "Log"):
            self.send(domain + ".enable")
        self.send("Page.navigate", {"url": url})

    def eval(self, expr):
        r = self.send("Runtime.evaluate", {"expression": expr, "returnByValue": True, "awaitPromise": True})
        if "exceptionDetails" in r:
            d = r["exceptionDetails"]
            return {"error": d.get("exception", {}).get("description", d.get("text", "exception"))}
        return {"value": r.get("result", {}).get("value")}

    def wait(self, ms, expr):
        start = time.monotonic()
        last = None
        while (time.monotonic() - start) * 1000 < ms:
            last = self.eval(expr)
            if last.get("value"):
                return {"value": last["value"], "ms": int((time.monotonic() - start) * 1000)}
            time.sleep(0.05)
        return {"error": "timeout", "last": last, "ms": int((time.monotonic() - start) * 1000)}

    def shot(self, path, w, h):
        self.send("Emulation.setDeviceMetricsOverride",
                  {"width": w, "height": h, "deviceScaleFactor": 1, "mobile": False})
        data = base64.b64decode(self.send("Page.captureScreenshot", {"format": "png"})["data"])
        with open(path, "wb") as f:
            f.write(data)
        return {"ok": True, "bytes": len(data)}

    def close(self):
        try:
            self.send("Browser.close", session=False, timeout=5)
        except Exception:
            pass
        try:
            self.proc.wait(5)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


def main():
    chromium = os.environ.get("CHROMIUM") or shutil.which("chromium")
    if not chromium:
        print(json.dumps({"error": "chromium not found (scripts/install-deps.sh installs it)"}), flush=True)
        return 1
    profile = tempfile.mkdtemp(prefix="pxbrowser.")
    b = Browser(chromium, profile)
    try:
        for line in sys.stdin:
            cmd, _, rest = line.strip().partition(" ")
            try:
                if cmd == "open":
                    b.open(rest)
                    out = {"ok": True}
                elif cmd == "eval":
                    out = b.eval(rest)
                elif cmd == "wait":
                    ms, _, expr = rest.partition(" ")
                    out = b.wait(int(ms), expr)
                elif cmd == "shot":
                    path, w, h = rest.split()
                    out = b.shot(path, int(w), int(h))
                elif cmd == "errors":
                    out = {"value": b.problems}
                elif cmd == "quit":
                    break
                else:
                    out = {"error": "unknown command " + cmd}
            except Exception as e:  # one bad command must not hang the test
                out = {"error": f"{type(e).__name__}: {e}"}
            print(json.dumps(out), flush=True)
    finally:
        b.close()
        shutil.rmtree(profile, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
