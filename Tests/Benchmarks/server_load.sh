#!/usr/bin/env bash
# speakerid-server under load (issue 27's targets): 8 concurrent clients on loopback, each
# identifying 3-s clips against 100 enrolled speakers; p50 and p99 latency, errors, clips per
# second, against `speakerid identify`'s clips per second on the same clips and cores.
#   bash Tests/Benchmarks/server_load.sh [BUILD (default .build/release)] [REQUESTS PER CLIENT (default 100)]
# Needs ../shared/corpora (SPEAKERID_CORPORA): 100 speakers of libri-background enrolled from
# their one utterance each, UBM (256 components) from minilibri's enrolment split, clips cut
# from minilibri's test split; python3 with soundfile.
set -euo pipefail
cd "$(dirname "$0")/../.."
B=${1:-.build/release}
N=${2:-100}
C=$(cd "${SPEAKERID_CORPORA:-../shared/corpora}" && pwd)
W=$(mktemp -d)
trap 'kill $server 2>/dev/null || true; rm -rf "$W"' EXIT
server=
echo "CPU: $(lscpu | sed -n 's/^Model name: *//p') ($(nproc) cores)"
python3 - "$C" "$W" <<'PY'
import os, sys, soundfile as sf
C, W = sys.argv[1], sys.argv[2]
rows = [l.rstrip("\n").split("\t") for l in open(f"{C}/libri-background/protocol.tsv")][1:]
for spk, path, _ in rows[:100]:
    os.makedirs(f"{W}/enrol/{spk}", exist_ok=True)
    os.symlink(f"{C}/libri-background/{path}", f"{W}/enrol/{spk}/{os.path.basename(path)}")
os.makedirs(f"{W}/ubm", exist_ok=True)
for spk, path, split in [l.rstrip("\n").split("\t") for l in open(f"{C}/minilibri/protocol.tsv")][1:]:
    if split == "enroll":
        os.makedirs(f"{W}/ubm/{spk}", exist_ok=True)
        os.symlink(f"{C}/minilibri/{path}", f"{W}/ubm/{spk}/{os.path.basename(path)}")
os.makedirs(f"{W}/clips")
n = 0
for spk, path, split in [l.rstrip("\n").split("\t") for l in open(f"{C}/minilibri/protocol.tsv")][1:]:
    if split != "test" or n >= 200:
        continue
    x, r = sf.read(f"{C}/minilibri/{path}", dtype="int16")
    for k in range(0, len(x) - 3 * r, 3 * r):
        sf.write(f"{W}/clips/{n:03d}.wav", x[k:k + 3 * r], r, subtype="PCM_16")
        n += 1
print(f"{len(rows[:100])} speakers to enrol, {n} clips of 3 s")
PY
"$B/speakerid" train-ubm --corpus "$W/ubm:all" --components 256 --out "$W/ubm.gmm" -q
"$B/speakerid" enroll --models "$W/m" --corpus "$W/enrol" --split all --ubm "$W/ubm.gmm" -q >/dev/null
echo "enrolled $(ls "$W/m" | grep -c '\.gmm$') speakers"

# The CLI on the same clips and cores: clips per second, each clip 5 times (under 5 names:
# the CLI reads a path once) so that loading the models once is a small part of the run.
mkdir "$W/clips5"
for k in 1 2 3 4 5; do for c in "$W"/clips/*.wav; do ln "$c" "$W/clips5/$k-$(basename "$c")"; done; done
# Clips per second and CPU seconds per clip (user + system, of the process and its threads).
read -r cli cli_cpu < <(python3 - "$B/speakerid" "$W" <<'PY'
import resource, subprocess, sys, time
b, w = sys.argv[1], sys.argv[2]
t = time.perf_counter()
out = subprocess.run([b, "identify", "--models", f"{w}/m", "--ubm", f"{w}/ubm.gmm", "-q", "--json", f"{w}/clips5"],
                     capture_output=True, check=True).stdout
elapsed = time.perf_counter() - t
n = out.count(b"\n")
u = resource.getrusage(resource.RUSAGE_CHILDREN)
print(n / elapsed, (u.ru_utime + u.ru_stime) / n)
PY
)
echo "the CLI answered $(printf '%.0f' "$cli") clips per second"

"$B/speakerid-server" --models "$W/m" --ubm "$W/ubm.gmm" --no-auth --port 0 >"$W/ready" &
server=$!
for _ in $(seq 100); do grep -q http "$W/ready" 2>/dev/null && break; sleep 0.1; done
port=$(sed -n 's/.*127.0.0.1:\([0-9]*\).*/\1/p' "$W/ready")
python3 - "$port" "$W/clips" "$N" "$cli" "$cli_cpu" "$server" <<'PY'
import http.client, os, resource, statistics, sys, threading, time
port, folder, n, cli, cli_cpu, pid = int(sys.argv[1]), sys.argv[2], int(sys.argv[3]), float(sys.argv[4]), float(sys.argv[5]), sys.argv[6]
def server_cpu():
    # /proc/PID/stat: utime and stime in clock ticks (fields 14 and 15).
    f = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()
    return (int(f[11]) + int(f[12])) / os.sysconf("SC_CLK_TCK")
clips = [open(os.path.join(folder, f), "rb").read() for f in sorted(os.listdir(folder))]
latencies, errors, lock = [], [], threading.Lock()
def client(k):
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    for i in range(n):
        body = clips[(k * n + i) % len(clips)]
        t = time.perf_counter()
        c.request("POST", "/v1/identify", body=body, headers={"Content-Type": "audio/wav"})
        r = c.getresponse()
        r.read()
        dt = time.perf_counter() - t
        with lock:
            (latencies if r.status == 200 else errors).append(dt if r.status == 200 else r.status)
# Warm-up: the models loaded (the server loads the folder at the first request).
w = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
w.request("POST", "/v1/identify", body=clips[0])
w.getresponse().read()
start, cpu0, me0 = time.perf_counter(), server_cpu(), resource.getrusage(resource.RUSAGE_SELF)
threads = [threading.Thread(target=client, args=(k,)) for k in range(8)]
[t.start() for t in threads]
[t.join() for t in threads]
elapsed, cpu, me = time.perf_counter() - start, server_cpu() - cpu0, resource.getrusage(resource.RUSAGE_SELF)
client_cpu = me.ru_utime + me.ru_stime - me0.ru_utime - me0.ru_stime
q = statistics.quantiles(latencies, n=100) if len(latencies) > 1 else [float("nan")] * 99
rate = len(latencies) / elapsed
print(f"8 clients x {n} requests: p50 {1000 * q[49]:.1f} ms, p99 {1000 * q[98]:.1f} ms, errors {len(errors)} {sorted(set(errors))}, "
      f"{rate:.1f} clips/s; CLI {cli:.1f} clips/s (server/CLI {rate / cli:.2f})")
done = len(latencies) + len(errors)
print(f"CPU per clip: server {1000 * cpu / done:.2f} ms, CLI {1000 * cli_cpu:.2f} ms (server/CLI {cpu / done / cli_cpu:.2f}); "
      f"this load client {1000 * client_cpu / done:.2f} ms, on the same cores")
print("targets: p50 <= 20 ms, p99 <= 100 ms, 0 errors, throughput within 20% of the CLI's:",
      "met" if q[49] <= 0.02 and q[98] <= 0.1 and not errors and rate >= 0.8 * cli else "NOT met")
PY
