#!/usr/bin/env python3
"""Streaming latency of `speakerid track --stream`: each conversation is written to the tool's
standard input in 20-ms pieces at real-time pace, as a microphone would deliver it, and the
live decisions are read as they are printed.

    python3 Tests/Benchmarks/stream_latency.py SPEAKERID CONV_DIR N -- TRACK_OPTIONS...

Reports, over the first N conversations of CONV_DIR (convNNN.flac with convNNN.rttm):
  - decision latency: for every live decision, the wall-clock time from the moment the last
    audio of its window was written to the moment the decision was read (the tool's own
    `latency_seconds` is the same from its side);
  - turn latency: for every reference turn of at least 1 s, how long after the turn began
    the first live decision naming its speaker (or `unknown`) was read;
  - CPU: the tool's user + system time over the audio's duration (1 = one core in real time).
"""
import json
import os
import resource
import statistics
import subprocess
import sys
import threading
import time

import soundfile as sf

tool, conv_dir, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
options = sys.argv[sys.argv.index("--") + 1:] if "--" in sys.argv else []
names = sorted(f[:-5] for f in os.listdir(conv_dir) if f.endswith(".flac"))[:n]
latencies, own, turn_delays, cpu, audio = [], [], [], 0.0, 0.0
for name in names:
    x, sr = sf.read(os.path.join(conv_dir, name + ".flac"), dtype="int16")
    ref = []
    for line in open(os.path.join(conv_dir, name + ".rttm")):
        p = line.split()
        ref.append((float(p[3]), float(p[3]) + float(p[4]), p[7]))
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    proc = subprocess.Popen([tool, "track", "--stream", "--raw", f"{sr}", "--json", "-q", "-"] + options,
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE, bufsize=0)
    written = []  # (samples written in total, wall time)
    start = time.monotonic()

    def feed():
        step = sr // 50
        for k in range(0, len(x), step):
            due = start + k / sr
            now = time.monotonic()
            if due > now:
                time.sleep(due - now)
            proc.stdin.write(x[k:k + step].tobytes())
            written.append((min(len(x), k + step), time.monotonic()))
        proc.stdin.close()

    t = threading.Thread(target=feed)
    t.start()
    events = []
    for line in proc.stdout:
        events.append((time.monotonic(), json.loads(line)))
    t.join()
    proc.wait()
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu += (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    audio += len(x) / sr
    windows = [(w, e) for w, e in events if e.get("event") == "window"]
    for w, e in windows:
        k = int(e["end_seconds"] * sr)
        arrival = next((t for n_, t in written if n_ >= k), None)
        if arrival is not None:
            latencies.append(w - arrival)
        own.append(e["latency_seconds"])
    for s, e, label in ref:
        if e - s < 1:
            continue
        hit = next((w - start for w, ev in windows if ev["end_seconds"] >= s and ev["label"] == label and w - start >= s), None)
        turn_delays.append(hit - s if hit is not None and hit - s <= e - s + 2 else float("inf"))
    print(f"{name}: {len(x) / sr:.1f} s, {len(windows)} live decisions", file=sys.stderr)

found = [d for d in turn_delays if d != float("inf")]
print(f"{len(names)} conversations, {audio:.1f} s of audio streamed at real-time pace")
print(f"decision latency (window end -> decision read): median {statistics.median(latencies):.3f} s, "
      f"90th percentile {sorted(latencies)[int(0.9 * len(latencies))]:.3f} s, over {len(latencies)} decisions "
      f"(the tool's latency_seconds: median {statistics.median(own):.3f} s)")
print(f"turn latency (turn start -> first live decision naming its speaker): median {statistics.median(turn_delays):.3f} s "
      f"over {len(turn_delays)} turns of 1 s or more; {len(turn_delays) - len(found)} never named live")
print(f"CPU: {cpu:.2f} s for {audio:.1f} s of audio ({cpu / audio:.4f} of one core)")
