#!/usr/bin/env bash
# Speaker tracking benchmarks (issue #16), from a fresh UBM, models and calibration:
#   dev:    the development conversations the tracker's defaults were chosen on, never the
#           benchmark: minilibri's enrolment split halved (corpora/dev-split.sh: odd files enrol,
#           even files talk), 5 of its speakers held out as unknown speakers (never enrolled,
#           not heard by the UBM), built by make_conversations.py with seeds 5 and 7 and with
#           seed 5 and 10% of turn boundaries overlapped; enrolment and calibration on the
#           halves' enrolment files only.
#   bench:  ../shared/conversations/minilibri (24 conversations, 0.54 h), and the same builder
#           with --overlap 0.1 (seed 11, 24 conversations, built into a temporary folder);
#           minilibri's 28 speakers enrolled from its enrol split, calibration (duration
#           quality) on held-out halves of that split. Two UBMs: libri-background (which has
#           heard the unknown speakers, libri-background speakers) and minilibri's enrolment
#           split alone (which has not).
#   speed:  a 1.09-hour recording (the 24 conversations twice), one thread: real-time factor
#           and peak memory (/usr/bin/time -f %M), and a 4.4-hour one for the memory.
#   stream: real-time streaming of 6 benchmark conversations (Tests/Benchmarks/stream_latency.py).
# Scoring: evaluate-tracking, pooled, collar 0.25 s each side, overlap scored.
# Usage: bash Tests/Benchmarks/tracking.sh [dev|bench|speed|stream]...
set -euo pipefail
cd "$(dirname "$0")/../.."
R=$PWD
C=$(cd "${SPEAKERID_CORPORA:-../shared/corpora}" && pwd)
V=$(cd "${SPEAKERID_CONVERSATIONS:-../shared/conversations}" && pwd)
swift build -c release --product speakerid >/dev/null
B=$R/.build/release/speakerid
W=$(mktemp -d)
trap 'rm -rf "$W"' EXIT
what=${*:-dev bench speed stream}

$B train-ubm --corpus "$C/libri-background" --components 512 --out "$W/ubm.gmm" -q
$B enroll --models "$W/m" --corpus "$C/minilibri" --ubm "$W/ubm.gmm" -q >/dev/null
$B calibrate --models "$W/m" --ubm "$W/ubm.gmm" --corpus "$C/minilibri:enroll" --segment-seconds 0.5,1,2 --quality duration --out "$W/m.cal" -q >/dev/null

score() {  # score NAME MODELS UBM CAL CONVERSATIONS
  rm -rf "$W/hyp"
  /usr/bin/time -f "%e s wall, %M KB peak" -o "$W/time" $B track --models "$2" --ubm "$3" --calibration "$4" --rttm "$W/hyp" "$5"/*.flac -q >/dev/null
  echo "== $1 ($(cat "$W/time"), 2 threads)"
  $B evaluate-tracking --reference "$5" --hypothesis "$W/hyp" | sed -n 2,4p
}

for w in $what; do
case $w in
dev)
  bash corpora/dev-split.sh "$C/minilibri" "$W/devcorpus" >/dev/null
  for set in "5 0" "7 0" "5 0.1"; do
    read -r seed overlap <<<"$set"
    d="$W/dev-$seed-$overlap"
    python3 "$V/make_conversations.py" --corpus "$W/devcorpus" --unknown-holdout 5 --seed "$seed" --count 40 --overlap "$overlap" --out "$d" --link 2>/dev/null >/dev/null
    $B enroll --models "$d/m" --corpus "$d/enroll" --ubm "$W/ubm.gmm" -q >/dev/null
    $B calibrate --models "$d/m" --ubm "$W/ubm.gmm" --corpus "$d/enroll:enroll" --segment-seconds 0.5,1,2 --quality duration --out "$d/m.cal" -q >/dev/null
    score "dev: seed $seed, overlap $overlap, 40 conversations" "$d/m" "$W/ubm.gmm" "$d/m.cal" "$d/conversations"
  done
  ;;
bench)
  python3 "$V/make_conversations.py" --corpus "$C/minilibri" --unknown "$C/libri-background" --count 24 --seed 11 --overlap 0.1 --out "$W/overlap" --link 2>/dev/null >/dev/null
  score "minilibri conversations, UBM libri-background (has heard the unknown speakers)" "$W/m" "$W/ubm.gmm" "$W/m.cal" "$V/minilibri"
  score "minilibri conversations, 10% of boundaries overlapped, UBM libri-background" "$W/m" "$W/ubm.gmm" "$W/m.cal" "$W/overlap/conversations"
  $B train-ubm --corpus "$C/minilibri:enroll" --components 512 --out "$W/ubm-ml.gmm" -q
  $B enroll --models "$W/m-ml" --corpus "$C/minilibri" --ubm "$W/ubm-ml.gmm" -q >/dev/null
  $B calibrate --models "$W/m-ml" --ubm "$W/ubm-ml.gmm" --corpus "$C/minilibri:enroll" --segment-seconds 0.5,1,2 --quality duration --out "$W/m-ml.cal" -q >/dev/null
  score "minilibri conversations, UBM minilibri enrol split (has not heard the unknown speakers)" "$W/m-ml" "$W/ubm-ml.gmm" "$W/m-ml.cal" "$V/minilibri"
  score "minilibri conversations, 10% overlapped, UBM minilibri enrol split" "$W/m-ml" "$W/ubm-ml.gmm" "$W/m-ml.cal" "$W/overlap/conversations"
  ;;
speed)
  python3 - "$V/minilibri" "$W" <<'PY'
import glob, sys
import numpy as np, soundfile as sf
xs = [sf.read(f, dtype="int16")[0] for f in sorted(glob.glob(sys.argv[1] + "/*.flac"))]
sf.write(sys.argv[2] + "/long1h.wav", np.concatenate(xs + xs), 16000, subtype="PCM_16")
PY
  secs=$(python3 -c "import soundfile as sf; print(sf.info('$W/long1h.wav').duration)")
  for run in 1 2 3; do
    /usr/bin/time -f "%e %M" -o "$W/time" $B track --models "$W/m" --ubm "$W/ubm.gmm" --calibration "$W/m.cal" --threads 1 "$W/long1h.wav" -q >/dev/null
    read -r wall kb < "$W/time"
    echo "== speed: $(printf %.2f "$(echo "$secs / 3600" | bc -l)") h recording, 1 thread: $wall s wall, $(echo "$secs / $wall" | bc -l | xargs printf %.0f)x real time, peak $((kb / 1024)) MiB"
  done
  python3 -c "
import soundfile as sf, numpy as np
x = sf.read('$W/long1h.wav', dtype='int16')[0]
with sf.SoundFile('$W/long4h.wav', 'w', 16000, 1, 'PCM_16') as f:
    for _ in range(4): f.write(x)
"
  /usr/bin/time -f "%e %M" -o "$W/time" $B track --models "$W/m" --ubm "$W/ubm.gmm" --calibration "$W/m.cal" --threads 1 "$W/long4h.wav" -q >/dev/null
  read -r wall kb < "$W/time"
  echo "== memory: 4.36 h recording, 1 thread: $wall s wall, peak $((kb / 1024)) MiB"
  ;;
stream)
  echo "== stream: 6 benchmark conversations at real-time pace"
  python3 Tests/Benchmarks/stream_latency.py "$B" "$V/minilibri" 6 -- --models "$W/m" --ubm "$W/ubm.gmm" --calibration "$W/m.cal" 2>/dev/null
  ;;
esac
done
