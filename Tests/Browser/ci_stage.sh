#!/usr/bin/env bash
# CI's browser stage: the web page's live view in headless chromium with a fake microphone
# (Tests/Browser/live_view.py). Four minilibri speakers are enrolled (UBM from their enrolment
# split, 64 components) and calibrated; the microphone plays a test-split recording of one of them; the stage
# fails unless the live view names them within 1.5 s of their speech starting. Builds nothing:
# BUILD (default .build/debug) must hold speakerid and speakerid-server.
#   bash Tests/Browser/ci_stage.sh [BUILD] [SCREENSHOT]
set -euo pipefail
cd "$(dirname "$0")/../.."
B=${1:-.build/debug}
SHOT=${2:-.build-artifacts/live_view.png}
C=${SPEAKERID_CORPORA:-../shared/corpora}
if [ ! -f "$C/minilibri/protocol.tsv" ]; then
  echo "SKIPPED: the browser test needs $C/minilibri (../shared/corpora or SPEAKERID_CORPORA)"
  exit 0
fi
C=$(cd "$C" && pwd)
if ! command -v chromium >/dev/null; then
  echo "SKIPPED: the browser test needs chromium (apt-get install chromium)"
  exit 0
fi
# soundfile turns the FLAC test recording into the WAV chromium's fake microphone plays.
python3 -c "import soundfile" 2>/dev/null || python3 -m pip install -q --no-index --find-links "$C" soundfile \
  || python3 -m pip install -q soundfile
W=$(mktemp -d)
trap 'rm -rf "$W"' EXIT
speakers="19 32 118 163"
for s in $speakers; do
  mkdir -p "$W/enrol/$s"
  awk -F'\t' -v s="$s" '$1 == s && $3 == "enroll" { print $2 }' "$C/minilibri/protocol.tsv" | while read -r p; do
    ln -s "$C/minilibri/$p" "$W/enrol/$s/"
  done
done
start=$SECONDS
"$B/speakerid" train-ubm --corpus "$W/enrol:all" --components 64 --out "$W/ubm.gmm" -q
"$B/speakerid" enroll --models "$W/models" --corpus "$W/enrol" --split all --ubm "$W/ubm.gmm" -q >/dev/null
# A calibration (development trials from the enrolment recordings' held-out halves), so the
# page shows its calibrated confidence and decides open-set, as it would for a user.
"$B/speakerid" calibrate --models "$W/models" --ubm "$W/ubm.gmm" --corpus "$W/enrol:all" --out "$W/models.cal" -q >/dev/null
echo "enrolled and calibrated $speakers in $((SECONDS - start)) s"
test_file=$(awk -F'\t' '$1 == "19" && $3 == "test" { print $2; exit }' "$C/minilibri/protocol.tsv")
python3 -c "import soundfile as sf, sys; x, r = sf.read(sys.argv[1], dtype='int16'); sf.write(sys.argv[2], x, r, subtype='PCM_16')" \
  "$C/minilibri/$test_file" "$W/clip.wav"
mkdir -p "$(dirname "$SHOT")"
python3 Tests/Browser/live_view.py --server "$B/speakerid-server" --models "$W/models" --ubm "$W/ubm.gmm" --calibration "$W/models.cal" \
  --wav "$W/clip.wav" --speaker 19 --screenshot "$SHOT" --timeout 30
