#!/usr/bin/env bash
# Builds the fuzz targets and runs each for SECONDS (default 60) from the committed seeds.
# Prints one summary line per target; exits non-zero if a target found a crash (the input is
# then in $out/artifacts: make it a regression test in Tests/SpeakerIDTests/Golden/fuzz-regressions).
# Leaks inside libvorbis on malformed Ogg files are third-party and suppressed (lsan.supp).
# Usage: bash Tests/Fuzz/run.sh [SECONDS] [OUTDIR]
set -euo pipefail
cd "$(dirname "$0")/../.."
seconds=${1:-60}
out=${2:-.build-fuzz}
mkdir -p "$out"
if ! bash Tests/Fuzz/build.sh "$out" >"$out/build.log" 2>&1; then
  grep -v "Cannot export local symbol" "$out/build.log" | tail -30 >&2
  exit 1
fi
export LSAN_OPTIONS="suppressions=$PWD/Tests/Fuzz/lsan.supp:print_suppressions=0"
status=0
for target in modelfile audio; do
  mkdir -p "$out/corpus-$target" "$out/artifacts"
  log="$out/fuzz-$target.log"
  if "$out/fuzz-$target" -max_total_time="$seconds" -rss_limit_mb=2048 -max_len=40000 -print_final_stats=1 \
      -artifact_prefix="$out/artifacts/$target-" "$out/corpus-$target" "Tests/Fuzz/seeds/$target" >"$log" 2>&1; then
    runs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | grep -o '[0-9]*$' || echo "?")
    echo "fuzz $target: $runs executions in ${seconds} s, no crash"
  else
    echo "fuzz $target: FAILED, see $log and $out/artifacts" >&2
    grep -E "ERROR|SUMMARY" "$log" | head -5 >&2
    status=1
  fi
done
exit $status
