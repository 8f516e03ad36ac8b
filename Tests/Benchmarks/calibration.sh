#!/usr/bin/env bash
# Calibration benchmarks (issue #13), each from a fresh UBM and models:
#   cv-fa:   UBM K=512 on cv-fa's enrolment split + libri-background (the cv-fa settings of
#            ubm.sh: 40 filters, MAP mwv r=8, T-norm by the enrolled models), calibration
#            trained only on held-out halves of the enrolment split, evaluated on the test
#            split: actDCF against minDCF at P_target 0.01 (C_miss 10, C_fa 1), Cllr, and the
#            false-alarm rate at the Bayes threshold per test length. UBM seeds 0-4, both
#            without and with the duration quality measure.
#   openset: minilibri enrolled (UBM on libri-background), one calibration trained on
#            minilibri's enrolment split, fsdd and libri-background impostors decided at its
#            Bayes threshold.
# Usage: bash Tests/Benchmarks/calibration.sh [cv-fa|openset] [seeds]
set -euo pipefail
cd "$(dirname "$0")/../.."
C=$(cd "${SPEAKERID_CORPORA:-../shared/corpora}" && pwd)
swift build -c release --product speakerid >/dev/null
B=.build/release/speakerid
W=$(mktemp -d)
trap 'rm -rf "$W"' EXIT
what=${1:-cv-fa}
seeds=${2:-0 1 2 3 4}
case $what in
cv-fa)
  for s in $seeds; do
    d="$W/$s"; mkdir -p "$d"
    $B train-ubm --corpus "$C/cv-fa:enroll" --corpus "$C/libri-background:background" --components 512 --seed "$s" --filters 40 --out "$d/ubm.gmm" -q
    $B enroll --models "$d/m" --corpus "$C/cv-fa" --ubm "$d/ubm.gmm" --adapt mwv --relevance 8 -q >/dev/null
    for q in none duration; do
      $B calibrate --models "$d/m" --ubm "$d/ubm.gmm" --corpus "$C/cv-fa:enroll" --tnorm-models "$d/m" --segment-seconds 1,2 \
        --quality $q --out "$d/$q.cal" -q >/dev/null
      $B evaluate --models "$d/m" --ubm "$d/ubm.gmm" --corpus "$C/cv-fa" --segment-seconds 1,2 --score-norm tnorm \
        --tnorm-models "$d/m" --calibration "$d/$q.cal" --json -q > "$d/$q.json"
    done
  done
  python3 - "$W" $seeds <<'PY'
import json, sys, statistics
work, seeds = sys.argv[1], sys.argv[2:]
print("cv-fa, calibration on held-out halves of the enrolment split, test split, T-norm, P_target 0.01")
print(f"{'quality':9}{'seed':>5}{'length':>8}{'minDCF':>8}{'actDCF':>8}{'act/min':>8}{'Cllr':>7}{'minCllr':>8}{'P_fa':>8}{'P_miss':>8}")
for q in ("none", "duration"):
    rows = {}
    for s in seeds:
        r = json.load(open(f"{work}/{s}/{q}.json"))
        for x in [r] + r["segments"]:
            L = x.get("segment_seconds", "whole")
            rows.setdefault(L, []).append(x)
            print(f"{q:9}{s:>5}{str(L):>8}{x['min_dcf']:8.4f}{x['act_dcf']:8.4f}{x['act_dcf']/x['min_dcf']:8.2f}{x['cllr']:7.3f}{x['min_cllr']:8.3f}{x['act_p_fa']:8.4f}{x['act_p_miss']:8.3f}")
    for L, xs in rows.items():
        m = lambda k: statistics.mean(x[k] for x in xs)
        print(f"{q:9}{'mean':>5}{str(L):>8}{m('min_dcf'):8.4f}{m('act_dcf'):8.4f}{m('act_dcf')/m('min_dcf'):8.2f}{m('cllr'):7.3f}{m('min_cllr'):8.3f}{m('act_p_fa'):8.4f}{m('act_p_miss'):8.3f}")
PY
  ;;
openset)
  $B train-ubm --corpus "$C/libri-background" --components 512 --out "$W/ubm.gmm" -q
  $B enroll --models "$W/m" --corpus "$C/minilibri" --ubm "$W/ubm.gmm" -q >/dev/null
  for q in none duration; do
    $B calibrate --models "$W/m" --ubm "$W/ubm.gmm" --corpus "$C/minilibri:enroll" --segment-seconds 0.5,1,2 --quality $q --out "$W/$q.cal" -q >/dev/null
    for imp in fsdd libri-background; do
      echo "minilibri enrolled, impostors: $imp, calibration quality: $q (Bayes threshold, P_target 0.01, C_miss 10, C_fa 1)"
      $B evaluate --models "$W/m" --ubm "$W/ubm.gmm" --corpus "$C/minilibri" --segment-seconds 1,2 --impostors "$C/$imp" \
        --calibration "$W/$q.cal" -q | sed -n 3,6p
    done
  done
  ;;
esac
