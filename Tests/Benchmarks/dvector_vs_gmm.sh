#!/usr/bin/env bash
# The two systems and their fusion on the same models and trials, in one run: GMM-UBM with the README's default
# recipe (a 512-component UBM on the corpus's enrolment split and libri-background, speakers
# MAP-adapted with the defaults) against the speaker encoder's d-vectors (`--system dvector`,
# the same enrolment, stored in the same model files), and their fusion (`--system fusion`:
# each system's calibrated LLR combined by logistic regression). Whole files and 2-s segments;
# each system calibrated on held-out halves of the enrolment split (calibrate --corpus
# CORPUS:enroll --segment-seconds 2, the defaults: duration quality measure), never the test split.
#
#   bash Tests/Benchmarks/dvector_vs_gmm.sh [SPEAKERID] [WORK]    (needs ../shared/corpora and
#   the encoder: speakerid encoder fetch)
set -euo pipefail
cd "$(dirname "$0")/../.."
B=${1:-.build/release/speakerid}
W=${2:-$(mktemp -d)}
C=../shared/corpora
[ -d "$C/cv-fa" ] || { echo "skipped: needs $C (cv-fa, minilibri, libri-background)"; exit 0; }
echo "CPU: $(lscpu | sed -n 's/^Model name: *//p'), $(nproc) cores; $(date -u +%F)"
for corpus in cv-fa minilibri; do
  d="$W/$corpus"
  mkdir -p "$d"
  if [ ! -f "$d/ubm.gmm" ]; then
    if [ "$corpus" = cv-fa ]; then
      $B train-ubm --corpus "$C/cv-fa:enroll" --corpus "$C/libri-background:background" --components 512 --out "$d/ubm.gmm" -q
    else
      $B train-ubm --corpus "$C/libri-background:background" --components 512 --out "$d/ubm.gmm" -q
    fi
  fi
  [ -d "$d/models" ] || $B enroll --models "$d/models" --ubm "$d/ubm.gmm" --corpus "$C/$corpus" --split enroll -q >/dev/null
  for system in gmm dvector fusion; do
    echo "== $corpus, --system $system"
    [ -f "$d/$system.cal" ] || $B calibrate --models "$d/models" --ubm "$d/ubm.gmm" --system $system --corpus "$C/$corpus:enroll" \
      --segment-seconds 2 --out "$d/$system.cal" -q
    $B evaluate --models "$d/models" --ubm "$d/ubm.gmm" --system $system --calibration "$d/$system.cal" --corpus "$C/$corpus" \
      --segment-seconds 2 -q | sed -n '1,6p'
  done
done
