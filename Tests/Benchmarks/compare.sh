#!/usr/bin/env bash
# Side-by-side benchmarks of SpeakerID and its Python peers in one run on this machine.
# Installs the peers from PyPI if missing. Usage:
#   bash Tests/Benchmarks/compare.sh features     # front end vs librosa and python_speech_features
#   bash Tests/Benchmarks/compare.sh minilibri    # enrol + evaluate vs the scikit-learn script
# Corpora are read from ../shared/corpora (or $SPEAKERID_CORPORA).
set -euo pipefail
cd "$(dirname "$0")/../.."
corpora=${SPEAKERID_CORPORA:-../shared/corpora}
python3 -c "import librosa, python_speech_features, sklearn, soundfile, joblib" 2>/dev/null ||
  pip install -q librosa python_speech_features scikit-learn soundfile joblib
swift build -c release --product speakerid >/dev/null
swift build -c release --product speakerid-dev >/dev/null  # bench
B=.build/release/speakerid
D=.build/release/speakerid-dev

case "${1:-features}" in
features)
  # The best of ten runs on each side: one SpeakerID run over the 10 minutes takes about 45 ms
  # here, short enough that the best of three still moved by a third from run to run.
  one=$($D bench features --seconds 600 --threads 1 --repeats 10 | head -1)
  two=$($D bench features --seconds 600 --threads 2 --repeats 10 | head -1)
  disk=$($D bench features --seconds 600 --threads 1 --repeats 10 | tail -1)
  dir=$(echo "$one" | python3 -c "import json,sys; print(json.load(sys.stdin)['audio_dir'])")
  peers=$(python3 Tests/Benchmarks/features_peers.py "$dir" --repeats 10)
  echo "$one"; echo "$two"; echo "$disk"; echo "$peers"
  python3 - "$one" "$two" "$disk" "$peers" <<'PY'
import json, sys
one, two, disk = (json.loads(s) for s in sys.argv[1:4])
peers = {p["peer"]: p for p in map(json.loads, sys.argv[4].splitlines())}
print(f"speakerid 1 thread: {one['realtime_factor']:.0f}x real time (decoded), {disk['realtime_factor']:.0f}x from WAV files")
print(f"speakerid 2 threads: {two['realtime_factor']:.0f}x real time ({two['realtime_factor'] / one['realtime_factor']:.2f}x one thread)")
for name, p in peers.items():
    print(f"{name}: {p['realtime_factor']:.0f}x real time; speakerid is {one['realtime_factor'] / p['realtime_factor']:.1f}x faster")
PY
  ;;
minilibri|fsdd|cv-fa)
  c="$corpora/$1"
  m=$(mktemp -d)
  t0=$(date +%s.%N)
  $B enroll --models "$m" --corpus "$c" -q >/dev/null
  ours=$($B evaluate --models "$m" --corpus "$c" --segment-seconds 1,2,5 --json -q)
  t1=$(date +%s.%N)
  rm -rf "$m"
  peer=$(python3 Tests/Benchmarks/sklearn_gmm.py "$c" --components 32 --segments 1,2,5)
  python3 - "$ours" "$peer" "$t0" "$t1" <<'PY'
import json, sys
o, p = json.loads(sys.argv[1]), json.loads(sys.argv[2])
wall = float(sys.argv[4]) - float(sys.argv[3])
seg = lambda r, s: next((g["accuracy"] for g in r["segments"] if g["segment_seconds"] == s and g["trials"]), float("nan"))
print(f"{'':28}{'whole':>8}{'1 s':>8}{'2 s':>8}{'wall s':>9}")
print(f"{'speakerid (default)':28}{o['accuracy']:8.4f}{seg(o,1):8.4f}{seg(o,2):8.4f}{wall:9.2f}")
print(f"{'scikit-learn GMM K=32':28}{p['accuracy']:8.4f}{seg(p,1):8.4f}{seg(p,2):8.4f}{p['wall_seconds']:9.2f}")
print(f"speedup: {p['wall_seconds'] / wall:.1f}x")
PY
  ;;
*) echo "usage: $0 features|minilibri|fsdd|cv-fa" >&2; exit 64 ;;
esac
