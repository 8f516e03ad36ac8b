#!/usr/bin/env bash
# Names for the speakers of a transcript or a diarization (issue #26): `speakerid label` on the
# reference turns of the shared conversation sets, standing in for a perfect diarization (each
# recording's speakers renamed SPEAKER_00, SPEAKER_01, ...) and for a perfect transcript (one
# WebVTT cue per turn, no speakers); Tests/Benchmarks/label_inputs.py makes both.
#   clusters: label --diarization (each anonymous speaker named as a whole);
#   cues:     label --transcript (each cue named on its own audio).
# Scored as track is (evaluate-tracking: IER, pooled, collar 0.25 s each side), for --system
# gmm, dvector and fusion, each calibrated as tracking_encoder.sh calibrates (held-out halves of
# the enrolment split, 0.5/1/2-s segments): one calibration procedure for both sets.
#   speed: one recording of an hour (the cv-fa conversations joined three times, 1.15 h) with a cue per
#          turn, --threads 1, --system gmm and fusion.
# Usage: bash Tests/Benchmarks/labelling.sh [bench|speed]...   (SPEAKERID_WORK=DIR reuses models;
#   SPEAKERID_LABEL_MODES="clusters" or "cues" runs one of the two)
set -euo pipefail
cd "$(dirname "$0")/../.."
R=$PWD
C=$(cd "${SPEAKERID_CORPORA:-../shared/corpora}" && pwd)
V=$(cd "${SPEAKERID_CONVERSATIONS:-../shared/conversations}" && pwd)
swift build -c release --product speakerid >/dev/null
B=$R/.build/release/speakerid
W=${SPEAKERID_WORK:-$(mktemp -d)}
what=${*:-bench speed}
echo "CPU: $(lscpu | sed -n 's/^Model name: *//p'), $(nproc) cores; $(date -u +%F)"
. "$R/Tests/Benchmarks/conversation_models.sh"

# score NAME DIR UBM CONVERSATIONS
score() {
  local name=$1 d=$2 u=$3 conv=$4
  python3 "$R/Tests/Benchmarks/label_inputs.py" "$conv" "$W/$name-in"
  for s in gmm dvector fusion; do
    local ubm=(--ubm "$u")
    [ $s = dvector ] && ubm=()
    for mode in ${SPEAKERID_LABEL_MODES:-clusters cues}; do
      local hyp=$W/$name-hyp-$s-$mode
      rm -rf "$hyp" && mkdir -p "$hyp"
      for a in "$conv"/*.flac; do
        local rec
        rec=$(basename "$a" .flac)
        if [ $mode = clusters ]; then input=(--diarization "$W/$name-in/$rec.rttm"); else input=(--transcript "$W/$name-in/$rec.vtt"); fi
        $B label --models "$d/m" "${ubm[@]}" --system $s --calibration "$d/$s.cal" "${input[@]}" --audio "$a" --rttm "$hyp/$rec.rttm" --out "$hyp/$rec.out" -q
      done
      printf '%s, --system %s, %s: ' "$name" $s $mode
      $B evaluate-tracking --reference "$conv" --hypothesis "$hyp" | grep -Eo 'IER [0-9.]+' | head -1
    done
  done
}

for w in $what; do
case $w in
bench)
  cvubm
  mkdir -p "$W/cv" "$W/ml"
  prepare "$W/cv" "$V/cv-fa/enroll" "$W/cv-ubm.gmm"
  echo "== cv-fa conversations (UBM: the enrolment folder + libri-background)"
  score cv "$W/cv" "$W/cv-ubm.gmm" "$V/cv-fa/conversations"
  mlubm
  prepare "$W/ml" "$C/minilibri" "$W/ml-ubm.gmm"
  echo "== minilibri conversations (UBM: libri-background, which has heard the unknown speakers)"
  score ml "$W/ml" "$W/ml-ubm.gmm" "$V/minilibri"
  ;;
speed)
  cvubm
  mkdir -p "$W/cv"
  prepare "$W/cv" "$V/cv-fa/enroll" "$W/cv-ubm.gmm"
  # An hour: the 30 conversations joined end to end, over and again, with their turns as cues.
  python3 - "$V/cv-fa/conversations" "$W/hour" <<'PY'
import os, sys
import numpy as np, soundfile as sf
conv, out = sys.argv[1], sys.argv[2]
os.makedirs(out, exist_ok=True)
recs = sorted(f[:-5] for f in os.listdir(conv) if f.endswith(".flac"))
audio, cues, t0 = [], [], 0.0
while t0 < 3600:
    for r in recs:
        x, rate = sf.read(os.path.join(conv, r + ".flac"), dtype="int16")
        for line in open(os.path.join(conv, r + ".rttm")):
            f = line.split()
            cues.append((t0 + float(f[3]), t0 + float(f[3]) + float(f[4])))
        audio.append(x)
        t0 += len(x) / rate
sf.write(os.path.join(out, "hour.flac"), np.concatenate(audio), rate, subtype="PCM_16")
def clock(t):
    ms = int(round(t * 1000))
    return "%02d:%02d:%02d.%03d" % (ms // 3600000, ms // 60000 % 60, ms // 1000 % 60, ms % 1000)
with open(os.path.join(out, "hour.vtt"), "w") as v:
    v.write("WEBVTT\n")
    for a, b in cues:
        v.write("\n%s --> %s\nturn\n" % (clock(a), clock(b)))
print("%.0f s of audio, %d cues" % (t0, len(cues)))
PY
  for s in gmm fusion; do
    /usr/bin/time -f "%e %M" -o "$W/time" $B label --models "$W/cv/m" --ubm "$W/cv-ubm.gmm" --system $s --calibration "$W/cv/$s.cal" \
      --transcript "$W/hour/hour.vtt" --audio "$W/hour/hour.flac" --out "$W/hour/out-$s.vtt" --threads 1 -q
    read -r t kb <"$W/time"
    echo "label --system $s, one thread, an hour with its transcript: $t s, peak $((kb / 1024)) MiB"
  done
  ;;
esac
done
