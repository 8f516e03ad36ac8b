#!/usr/bin/env bash
# GMM-UBM benchmarks (issue 4) on ../shared/corpora, SpeakerID and the scikit-learn peer in
# one run. Usage: bash Tests/Benchmarks/ubm.sh [cv-fa|minilibri|topc|openset|peer]
set -euo pipefail
cd "$(dirname "$0")/../.."
C=$(cd "${SPEAKERID_CORPORA:-../shared/corpora}" && pwd)
swift build -c release --product speakerid >/dev/null
B=.build/release/speakerid
W=$(mktemp -d)
trap 'rm -rf "$W"' EXIT
summary() {
  python3 -c "
import json, sys
r = json.load(sys.stdin)
row = lambda name, x: print(f'{name:12}{x[\"trials\"]:8}{x[\"accuracy\"]:10.4f}{100 * x[\"eer\"]:8.2f}%{x[\"min_dcf\"]:9.4f}')
print(f'{\"length\":12}{\"trials\":>8}{\"accuracy\":>10}{\"EER\":>9}{\"minDCF\":>9}')
row('whole file', r)
for s in r['segments']: row(f'{s[\"seconds\"]:g} s', s)
print(f'{r[\"seconds\"]:.2f} s evaluating')"
}
case "${1:-cv-fa}" in
cv-fa)
  # UBM from every file that is not in cv-fa's test split: its enrolment split pooled with
  # libri-background; speakers MAP-adapted (means, weights, variances, r=16); T-norm with the
  # other enrolled speakers' models as cohort.
  $B train-ubm --corpus "$C/cv-fa:enroll" --corpus "$C/libri-background:background" --components 512 --out "$W/ubm.gmm" -q
  $B enroll --models "$W/m" --corpus "$C/cv-fa" --ubm "$W/ubm.gmm" --adapt mwv -q >/dev/null
  echo "cv-fa, no score normalisation"
  $B evaluate --models "$W/m" --ubm "$W/ubm.gmm" --corpus "$C/cv-fa" --segment-seconds 1,2 --json -q | summary
  echo "cv-fa, T-norm (cohort: the enrolment split, own speaker left out)"
  $B evaluate --models "$W/m" --ubm "$W/ubm.gmm" --corpus "$C/cv-fa" --segment-seconds 1,2 --json -q \
    --score-norm tnorm --cohort "$C/cv-fa" --cohort-split enroll | summary
  ;;
minilibri)
  $B train-ubm --corpus "$C/libri-background" --components 512 --out "$W/ubm.gmm" -q
  $B enroll --models "$W/m" --corpus "$C/minilibri" --ubm "$W/ubm.gmm" -q >/dev/null
  echo "minilibri, UBM from libri-background"
  $B evaluate --models "$W/m" --ubm "$W/ubm.gmm" --corpus "$C/minilibri" --segment-seconds 1,2 --json -q | summary
  ;;
openset)
  $B train-ubm --corpus "$C/libri-background" --components 512 --out "$W/ubm.gmm" -q
  $B enroll --models "$W/m" --corpus "$C/minilibri" --ubm "$W/ubm.gmm" -q >/dev/null
  for imp in fsdd libri-background; do
    echo "minilibri enrolled, impostors: $imp (threshold: minimum DCF on held-out enrolment files)"
    $B evaluate --models "$W/m" --ubm "$W/ubm.gmm" --corpus "$C/minilibri" --segment-seconds 1,2 --impostors "$C/$imp" -q | sed -n 3,7p
  done
  ;;
topc)
  $B train-ubm --corpus "$C/cv-fa:enroll" --corpus "$C/libri-background:background" --components 512 --out "$W/ubm.gmm" -q
  $B enroll --models "$W/m" --corpus "$C/cv-fa" --ubm "$W/ubm.gmm" -q >/dev/null
  for c in 5 0; do
    echo "cv-fa, 35 speakers, 512 components, top-C $c"
    $B evaluate --models "$W/m" --ubm "$W/ubm.gmm" --corpus "$C/cv-fa" --segment-seconds 1,2 --top-c $c --json -q | summary
  done
  for c in 5 0; do $B bench score --models 35 --components 512 --frames 100000 --dim 63 --threads 2 --top-c $c; done
  ;;
peer)
  cd Tests/Benchmarks
  python3 sklearn_ubm.py "$C/cv-fa" --ubm-corpus "$C/cv-fa:enroll" --components 256 2>/dev/null
  python3 sklearn_ubm.py "$C/minilibri" --ubm-corpus "$C/libri-background:background" --components 256 2>/dev/null
  ;;
esac
