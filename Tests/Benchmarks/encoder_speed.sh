#!/usr/bin/env bash
# The speaker encoder's speed against resemblyzer on torch, one thread each, in the same run:
# `speakerid-dev bench encoder` and Tests/Benchmarks/encoder_torch.py embed clips of the same
# lengths (seeded noise, already preprocessed: mel spectrogram and network), the fastest of
# --repeats, taken in turn (Swift, torch, Swift, torch) so that neither gets the quieter half
# of the run. Prints each JSON line, then per clip length the real-time factors and their ratio.
#
#   bash Tests/Benchmarks/encoder_speed.sh [CLIP_SECONDS (1,2,4,10)] [SECONDS (60)]
#
# Needs the encoder (speakerid encoder fetch). The peer runs in a virtual environment,
# $SPEAKERID_TORCH_VENV (default ~/.cache/speakerid/torch-peer), made here on first use with
# pip: torch (the CPU build where pip can reach it) and resemblyzer==0.1.4.
set -euo pipefail
cd "$(dirname "$0")/../.."
clips=${1:-1,2,4,10}
seconds=${2:-60}
venv=${SPEAKERID_TORCH_VENV:-$HOME/.cache/speakerid/torch-peer}
swift build -c release --product speakerid-dev >/dev/null
if ! "$venv/bin/python" -c "import torch, resemblyzer" 2>/dev/null; then
  python3 -m venv --system-site-packages "$venv"
  "$venv/bin/pip" install -q torch --index-url https://download.pytorch.org/whl/cpu 2>/dev/null ||
    "$venv/bin/pip" install -q torch
  "$venv/bin/pip" install -q resemblyzer==0.1.4 webrtcvad-wheels librosa
fi
echo "CPU: $(lscpu | sed -n 's/^Model name: *//p'), $(nproc) cores; $(date -u +%F)"
out=$(mktemp)
for round in 1 2; do
  .build/release/speakerid-dev bench encoder --clip-seconds "$clips" --seconds "$seconds" | tee -a "$out"
  OMP_NUM_THREADS=1 MKL_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 \
    "$venv/bin/python" Tests/Benchmarks/encoder_torch.py --clip-seconds "$clips" --seconds "$seconds" | tee -a "$out"
done
python3 - "$out" <<'PY'
import json, sys
best = {}
for line in open(sys.argv[1]):
    d = json.loads(line)
    key = (d["benchmark"], d["clip_seconds"])
    if key not in best or d["real_time_factor"] > best[key]["real_time_factor"]:
        best[key] = d
print("\nclip (s)  SpeakerID x real time (GFLOP/s, of peak)  resemblyzer on torch x real time (GFLOP/s)  ratio")
for (name, length), d in sorted(best.items(), key=lambda kv: kv[0][1]):
    if name != "encoder":
        continue
    t = best[("encoder_torch", length)]
    print(f"{length:8g}  {d['real_time_factor']:8.1f} ({d['gflops']:.0f}, {d['fraction_of_peak']:.0%})"
          f"                   {t['real_time_factor']:8.1f} ({t['gflops']:.0f}; torch {t['torch_version']}, {t['torch_cpu_capability']})"
          f"   {d['real_time_factor'] / t['real_time_factor']:.2f}x")
PY
rm -f "$out"
