#!/usr/bin/env python3
"""The web page's live view in a real browser: Debian's headless chromium with a fake
microphone playing a recording, driven through the DevTools protocol.

    python3 Tests/Browser/live_view.py --server BUILD/speakerid-server --models DIR --ubm UBM \
        [--calibration FILE] --wav CLIP.wav --speaker NAME --screenshot OUT.png \
        [--chromium /usr/bin/chromium] [--timeout 60] [--max-latency 1.5] [--no-auth]

Builds nothing. Starts the server (loopback, a free port; with a new admin key, which is typed
into the page's key prompt once the page asks for it, or --no-auth) and chromium with
--use-fake-device-for-media-stream --use-file-for-fake-audio-capture (the clip, 16-bit PCM WAV,
after 1 s of silence) --use-fake-ui-for-media-stream --remote-debugging-port, opens the page,
presses "Start live view" (Runtime.evaluate), and polls the page until the live view names
NAME. The time from the clip's speech start (its first frame 20 dB below its loudest, counted
from the page's first microphone frame) to the name is reported and checked against
--max-latency. A screenshot (Page.captureScreenshot) is saved either way. Then the rest of the
page: no horizontal scrolling at 375 px, every control a named button or labelled input, the
clip identified as a file (DOM.setFileInputFiles), and an enrolment from 4 s of the microphone
listed. Exit 0 when the live
view named NAME in time, 1 otherwise, 2 when something it needs is missing.
"""
import argparse
import base64
import json
import math
import os
import shutil
import socket
import struct
import subprocess
import sys
import tempfile
import time
import urllib.request
import wave


class CDP:
    """A DevTools-protocol client over a minimal WebSocket (RFC 6455) on the standard library."""

    def __init__(self, url):
        assert url.startswith("ws://")
        hostport, _, path = url[5:].partition("/")
        host, _, port = hostport.partition(":")
        self.sock = socket.create_connection((host, int(port)), timeout=30)
        key = base64.b64encode(os.urandom(16)).decode()
        request = (f"GET /{path} HTTP/1.1\r\nHost: {hostport}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                   f"Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n\r\n")
        self.sock.sendall(request.encode())
        head = b""
        while b"\r\n\r\n" not in head:
            chunk = self.sock.recv(4096)
            if not chunk:
                raise RuntimeError("DevTools closed the connection during the handshake")
            head += chunk
        status = head.split(b"\r\n", 1)[0]
        if b" 101 " not in status:
            raise RuntimeError(f"DevTools refused the WebSocket: {status.decode(errors='replace')}")
        self.buffer = head.split(b"\r\n\r\n", 1)[1]
        self.next_id = 0

    def _read(self, n):
        while len(self.buffer) < n:
            chunk = self.sock.recv(65536)
            if not chunk:
                raise RuntimeError("DevTools closed the connection")
            self.buffer += chunk
        out, self.buffer = self.buffer[:n], self.buffer[n:]
        return out

    def _send(self, text):
        payload = text.encode()
        mask = os.urandom(4)
        n = len(payload)
        header = bytes([0x81])
        if n < 126:
            header += bytes([0x80 | n])
        elif n < 65536:
            header += bytes([0x80 | 126]) + struct.pack(">H", n)
        else:
            header += bytes([0x80 | 127]) + struct.pack(">Q", n)
        masked = bytes(b ^ mask[i % 4] for i, b in enumerate(payload))
        self.sock.sendall(header + mask + masked)

    def _message(self):
        data = b""
        while True:
            b0, b1 = self._read(2)
            n = b1 & 0x7F
            if n == 126:
                n = struct.unpack(">H", self._read(2))[0]
            elif n == 127:
                n = struct.unpack(">Q", self._read(8))[0]
            mask = self._read(4) if b1 & 0x80 else None
            payload = self._read(n)
            if mask:
                payload = bytes(b ^ mask[i % 4] for i, b in enumerate(payload))
            opcode = b0 & 0x0F
            if opcode == 8:
                raise RuntimeError("DevTools closed the WebSocket")
            if opcode in (9, 10):  # ping, pong: not expected from DevTools
                continue
            data += payload
            if b0 & 0x80:
                return json.loads(data)

    def call(self, method, **params):
        self.next_id += 1
        self._send(json.dumps({"id": self.next_id, "method": method, "params": params}))
        while True:
            m = self._message()
            if m.get("id") == self.next_id:
                if "error" in m:
                    raise RuntimeError(f"{method}: {m['error']}")
                return m.get("result", {})

    def evaluate(self, expression):
        r = self.call("Runtime.evaluate", expression=expression, returnByValue=True, awaitPromise=True, userGesture=True)
        if "exceptionDetails" in r:
            raise RuntimeError(f"{expression!r} threw: {r['exceptionDetails'].get('text')}")
        return r.get("result", {}).get("value")


def padded_wav(src, dst, silence_seconds):
    """The clip as 16-bit mono WAV after `silence_seconds` of silence; its speech onset (s)."""
    with wave.open(src, "rb") as w:
        if w.getsampwidth() != 2:
            raise SystemExit(f"{src}: 16-bit PCM WAV expected")
        rate, channels = w.getframerate(), w.getnchannels()
        raw = w.readframes(w.getnframes())
    samples = struct.unpack(f"<{len(raw) // 2}h", raw)
    if channels > 1:
        samples = [sum(samples[i:i + channels]) // channels for i in range(0, len(samples), channels)]
    frame = rate // 50
    energies = [sum(x * x for x in samples[k:k + frame]) / frame for k in range(0, len(samples) - frame, frame)]
    loudest = max(energies) if energies else 0
    first = next((i for i, e in enumerate(energies) if loudest > 0 and 10 * math.log10(max(e, 1e-9) / loudest) > -20), 0)
    lead = [0] * int(silence_seconds * rate)
    with wave.open(dst, "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes(struct.pack(f"<{len(lead) + len(samples)}h", *lead, *samples))
    return silence_seconds + first * frame / rate


def wait_for(cdp, expression, timeout, what):
    """Polls `expression` until it is truthy; its value, or a SystemExit naming `what`."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = cdp.evaluate(expression)
        if value:
            return value
        time.sleep(0.1)
    raise SystemExit(f"live_view: FAIL: {what} (after {timeout:.0f} s)")


def rest_of_page(cdp, a, clip):
    """The page's other parts: readable at 375 px, labelled controls, identification of a file,
    enrolment from the microphone. 0 when all hold, else 1."""
    failures = []
    cdp.evaluate("document.getElementById('live-stop').click()")
    # A phone's width: nothing wider than the screen.
    cdp.call("Emulation.setDeviceMetricsOverride", width=375, height=800, deviceScaleFactor=1, mobile=True)
    time.sleep(0.3)
    wide = cdp.evaluate("document.documentElement.scrollWidth")
    if wide > 375:
        failures.append(f"at 375 px the page is {wide} px wide")
    # Keyboard and screen readers: every control a real control with a name.
    unnamed = cdp.evaluate("""JSON.stringify([...document.querySelectorAll('input, button')].filter(e => !e.hidden &&
        !(e.labels && e.labels.length) && !e.getAttribute('aria-label') && !(e.tagName === 'BUTTON' && e.textContent.trim()))
        .map(e => e.outerHTML.slice(0, 80)))""")
    if json.loads(unnamed):
        failures.append(f"controls without a name: {unnamed}")
    clickable = cdp.evaluate("document.querySelectorAll('[onclick], div[role=button], a:not([href])').length")
    if clickable:
        failures.append(f"{clickable} clickable elements are not buttons")
    # Identify the microphone's recording as a file.
    root = cdp.call("DOM.getDocument")["root"]["nodeId"]
    node = cdp.call("DOM.querySelector", nodeId=root, selector="#identify-file")["nodeId"]
    cdp.call("DOM.setFileInputFiles", files=[clip], nodeId=node)
    cdp.evaluate("document.querySelector('#identify-form button[type=submit]').click()")
    shown = wait_for(cdp, "(t => t.includes(' — ') && t)(document.getElementById('identify-result').textContent)", 20, "no identification shown")
    if not shown.startswith(a.speaker + " — "):
        failures.append(f"identify showed {shown!r}, not {a.speaker}")
    # Enrol from the microphone: 4 s recorded, then Enrol; the list shows the new speaker.
    cdp.evaluate("document.getElementById('enrol-name').value = 'from the microphone'")
    cdp.evaluate("document.getElementById('record-start').click()")
    wait_for(cdp, "document.getElementById('record-stop').disabled === false", 10, "the recording did not start")
    time.sleep(4)
    cdp.evaluate("document.getElementById('record-stop').click()")
    cdp.evaluate("document.querySelector('#enrol-form button[type=submit]').click()")
    status = wait_for(cdp, "(t => /Enrolled|Enrol:/.test(t) && t)(document.getElementById('status').textContent)", 30, "the enrolment did not finish")
    # The status is shown before the list is loaded again: wait for the list to name them.
    names = "[...document.querySelectorAll('#speakers .name')].map(e => e.textContent).join(', ')"
    deadline = time.monotonic() + 10
    while "from the microphone" not in (listed := cdp.evaluate(names)) and time.monotonic() < deadline:
        time.sleep(0.1)
    if not status.startswith("Enrolled from the microphone") or "from the microphone" not in listed:
        failures.append(f"enrolment from the microphone: {status!r}; listed: {listed}")
    for f in failures:
        print(f"live_view: FAIL: {f}")
    if not failures:
        print(f"live_view: at 375 px the page fits; every control is named; identify named {shown.split(' — ')[0]}; "
              f"{status} (listed: {listed})")
    return 1 if failures else 0


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--server", required=True)
    p.add_argument("--models", required=True)
    p.add_argument("--ubm", required=True)
    p.add_argument("--calibration")
    p.add_argument("--wav", required=True)
    p.add_argument("--speaker", required=True)
    p.add_argument("--screenshot", required=True)
    p.add_argument("--chromium", default=shutil.which("chromium") or "/usr/bin/chromium")
    p.add_argument("--timeout", type=float, default=60)
    p.add_argument("--max-latency", type=float, default=1.5)
    p.add_argument("--no-auth", action="store_true", help="serve without keys (default: a new admin key, typed into the page's prompt)")
    a = p.parse_args()
    for path in (a.server, a.chromium, a.wav, a.ubm):
        if not os.path.exists(path):
            print(f"live_view: {path} is missing", file=sys.stderr)
            return 2

    work = tempfile.mkdtemp(prefix="speakerid-live-view-")
    procs = []
    try:
        clip = os.path.join(work, "microphone.wav")
        onset = padded_wav(a.wav, clip, 1.0)
        args = [a.server, "--models", a.models, "--ubm", a.ubm, "--host", "127.0.0.1", "--port", "0"]
        key = None
        if a.no_auth:
            args += ["--no-auth"]
        else:
            made = subprocess.run([a.server, "new-key", "--scope", "admin"], capture_output=True, text=True, check=True).stdout.splitlines()
            key = made[0].split("key: ", 1)[1]
            keys = os.path.join(work, "keys")
            with open(keys, "w") as f:
                f.write(made[1] + "\n")
            args += ["--keys", keys]
        if a.calibration:
            args += ["--calibration", a.calibration]
        server = subprocess.Popen(args, stdout=subprocess.PIPE, text=True)
        procs.append(server)
        ready = server.stdout.readline()
        if "http://" not in ready:
            print(f"live_view: the server did not start: {ready!r}", file=sys.stderr)
            return 1
        base = ready.split("http://", 1)[1].split()[0]
        page = f"http://{base}/"

        profile = os.path.join(work, "profile")
        browser = subprocess.Popen(
            [a.chromium, "--headless=new", "--no-sandbox", "--disable-gpu", "--no-first-run", "--mute-audio",
             "--use-fake-device-for-media-stream", f"--use-file-for-fake-audio-capture={clip}",
             "--use-fake-ui-for-media-stream", "--autoplay-policy=no-user-gesture-required",
             "--remote-debugging-port=0", "--remote-allow-origins=*", f"--user-data-dir={profile}",
             "--window-size=420,900", "about:blank"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        procs.append(browser)
        port_file = os.path.join(profile, "DevToolsActivePort")
        deadline = time.monotonic() + 30
        while not os.path.exists(port_file) or not open(port_file).read().strip():
            if time.monotonic() > deadline or browser.poll() is not None:
                print("live_view: chromium did not open its DevTools port", file=sys.stderr)
                return 1
            time.sleep(0.1)
        port = open(port_file).read().split()[0]
        targets = json.load(urllib.request.urlopen(f"http://127.0.0.1:{port}/json/list", timeout=10))
        target = next(t for t in targets if t.get("type") == "page")
        cdp = CDP(target["webSocketDebuggerUrl"])
        cdp.call("Page.enable")
        cdp.call("Runtime.enable")
        cdp.call("Page.navigate", url=page)
        deadline = time.monotonic() + 20
        while cdp.evaluate("document.readyState") != "complete" or not cdp.evaluate("!!document.getElementById('live-start')"):
            if time.monotonic() > deadline:
                print("live_view: the page did not load", file=sys.stderr)
                return 1
            time.sleep(0.1)
        if key:
            # The page asks for the key when the server refuses it without one (401), and lists
            # the speakers once it is given.
            deadline = time.monotonic() + 20
            while cdp.evaluate("document.getElementById('key-section').hidden"):
                if time.monotonic() > deadline:
                    print("live_view: FAIL: the page did not ask for the server's API key", file=sys.stderr)
                    return 1
                time.sleep(0.1)
            cdp.evaluate(f"document.getElementById('key-input').value = {json.dumps(key)}; "
                         "document.getElementById('key-form').requestSubmit()")
            deadline = time.monotonic() + 20
            while not cdp.evaluate("document.getElementById('speakers').children.length > 0"):
                if time.monotonic() > deadline:
                    print("live_view: FAIL: given the key, the page did not list the speakers: "
                          + str(cdp.evaluate("document.getElementById('status').textContent")), file=sys.stderr)
                    return 1
                time.sleep(0.1)
            listed = cdp.evaluate("document.getElementById('speakers').children.length")
            print(f"live_view: the page asked for the API key and, given it, listed {listed} speakers")
        cdp.evaluate("document.getElementById('live-start').click()")

        started = time.monotonic()
        named, shown = False, None
        while time.monotonic() - started < a.timeout:
            state = cdp.evaluate("JSON.stringify({name: document.getElementById('live-name').textContent, "
                                 "confidence: document.getElementById('live-confidence').textContent, stats: window.liveStats})")
            state = json.loads(state)
            shown = state
            if state["stats"].get("error"):
                break
            if a.speaker in state["stats"].get("named", {}):
                named = True
                break
            time.sleep(0.1)
        time.sleep(0.3)  # a settled view for the screenshot
        shot = cdp.call("Page.captureScreenshot", format="png")
        os.makedirs(os.path.dirname(os.path.abspath(a.screenshot)), exist_ok=True)
        with open(a.screenshot, "wb") as f:
            f.write(base64.b64decode(shot["data"]))
        stats = (shown or {}).get("stats", {})
        if not named:
            print(f"live_view: FAIL: the live view did not name {a.speaker} within {a.timeout:.0f} s; it showed "
                  f"{(shown or {}).get('name')!r} ({(shown or {}).get('confidence')!r}), named {sorted(stats.get('named', {}))}, "
                  f"{stats.get('windows')} live decisions, error {stats.get('error')!r}; screenshot {a.screenshot}")
            return 1
        first_frame = stats.get("firstFrameAt")
        latency = (stats["named"][a.speaker] - first_frame) / 1000 - onset if first_frame is not None else float("nan")
        others = sorted(n for n, t in stats["named"].items() if n != a.speaker and t < stats["named"][a.speaker])
        print(f"live_view: the live view named {a.speaker} {latency:.2f} s after their speech started "
              f"(named before them: {others or 'nobody'}) "
              f"(speech at {onset:.2f} s of the microphone's audio; shown: {shown['name']!r}, {shown['confidence']!r}); "
              f"screenshot {a.screenshot}")
        if not latency <= a.max_latency:
            print(f"live_view: FAIL: {latency:.2f} s is more than the target of {a.max_latency} s")
            return 1
        return rest_of_page(cdp, a, clip)
    finally:
        for proc in procs:
            proc.terminate()
        for proc in procs:
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
