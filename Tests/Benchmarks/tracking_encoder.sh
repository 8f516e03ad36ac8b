#!/usr/bin/env bash
# Who spoke when with the speaker encoder (issue #25): track --system gmm, dvector and fusion on
# the crowd-sourced conversations (../shared/conversations/cv-fa: 30 recordings, 26 enrolled
# speakers, 8 never enrolled) and on the minilibri conversations, each system calibrated on
# held-out halves of the enrolment split (calibrate --segment-seconds 0.5,1,2, duration quality).
#   dev:     development conversations from the cv-fa conversations' enrolment folder alone
#            (corpora/dev-split.sh: odd files enrol, even files talk; 5 speakers held out as
#            unknown; make_conversations.py seed 5, 40 conversations), where --pad was chosen.
#   bench:   ../shared/conversations/cv-fa (UBM: its enrolment folder + libri-background, which
#            have not heard the 8 unknown speakers) and ../shared/conversations/minilibri (UBM:
#            libri-background, which has heard its unknown speakers).
#   speed:   track --system fusion and gmm, one thread, 6 cv-fa conversations: real-time factor.
# Needs the encoder (speakerid encoder fetch). Scoring: evaluate-tracking, pooled, collar 0.25 s.
# Usage: bash Tests/Benchmarks/tracking_encoder.sh [dev|bench|speed]...
set -euo pipefail
cd "$(dirname "$0")/../.."
R=$PWD
C=$(cd "${SPEAKERID_CORPORA:-../shared/corpora}" && pwd)
V=$(cd "${SPEAKERID_CONVERSATIONS:-../shared/conversations}" && pwd)
swift build -c release --product speakerid >/dev/null
B=$R/.build/release/speakerid
W=${SPEAKERID_WORK:-$(mktemp -d)}
what=${*:-dev bench speed}
echo "CPU: $(lscpu | sed -n 's/^Model name: *//p'), $(nproc) cores; $(date -u +%F)"

. "$R/Tests/Benchmarks/conversation_models.sh"
score() {  # score DIR UBM CONVERSATIONS [track options]
  local d=$1 u=$2 conv=$3
  shift 3
  for s in gmm dvector fusion; do
    rm -rf "$d/hyp-$s"
    $B track --models "$d/m" --ubm "$u" --system $s --calibration "$d/$s.cal" --rttm "$d/hyp-$s" "$@" "$conv"/*.flac -q >/dev/null
    echo "-- --system $s"
    $B evaluate-tracking --reference "$conv" --hypothesis "$d/hyp-$s" | sed -n 2,4p
  done
}

for w in $what; do
case $w in
dev)
  cvubm
  d=$W/dev
  if [ ! -d "$d/conversations" ]; then
    bash corpora/dev-split.sh "$V/cv-fa/enroll" "$W/devcorpus" >/dev/null
    python3 "$V/make_conversations.py" --corpus "$W/devcorpus" --unknown-holdout 5 --seed 5 --count 40 --out "$d" --link >/dev/null 2>&1
  fi
  prepare "$d" "$d/enroll" "$W/cv-ubm.gmm"
  echo "== dev: cv-fa development conversations (40, seed 5)"
  score "$d" "$W/cv-ubm.gmm" "$d/conversations"
  for pad in 0 0.15 0.4; do
    echo "== dev, --system fusion --pad $pad"
    rm -rf "$d/hyp-pad"
    $B track --models "$d/m" --ubm "$W/cv-ubm.gmm" --system fusion --calibration "$d/fusion.cal" --pad $pad --rttm "$d/hyp-pad" "$d/conversations"/*.flac -q >/dev/null
    $B evaluate-tracking --reference "$d/conversations" --hypothesis "$d/hyp-pad" | sed -n 3p
  done
  ;;
bench)
  cvubm
  mkdir -p "$W/cv" "$W/ml"
  prepare "$W/cv" "$V/cv-fa/enroll" "$W/cv-ubm.gmm"
  echo "== cv-fa conversations (UBM: the enrolment folder + libri-background)"
  score "$W/cv" "$W/cv-ubm.gmm" "$V/cv-fa/conversations"
  mlubm
  prepare "$W/ml" "$C/minilibri" "$W/ml-ubm.gmm"
  echo "== minilibri conversations (UBM: libri-background)"
  score "$W/ml" "$W/ml-ubm.gmm" "$V/minilibri"
  ;;
speed)
  cvubm
  mkdir -p "$W/cv"
  prepare "$W/cv" "$V/cv-fa/enroll" "$W/cv-ubm.gmm"
  files=$(ls "$V/cv-fa/conversations"/*.flac | head -6)
  secs=$(for f in $files; do soxi -D "$f" 2>/dev/null || python3 -c "import soundfile,sys; print(soundfile.info(sys.argv[1]).duration)" "$f"; done | awk '{s+=$1} END {print s}')
  for s in gmm fusion; do
    /usr/bin/time -f "%e %M" -o "$W/time" $B track --models "$W/cv/m" --ubm "$W/cv-ubm.gmm" --system $s --calibration "$W/cv/$s.cal" --threads 1 $files -q >/dev/null
    read -r t kb <"$W/time"
    echo "track --system $s, one thread: $secs s of audio in $t s: $(awk -v a="$secs" -v b="$t" 'BEGIN {printf "%.1f", a / b}')x real time, peak $((kb / 1024)) MiB"
  done
  ;;
esac
done
