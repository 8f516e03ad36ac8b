#!/usr/bin/env bash
# Sharded UBM training figures for the README ("Beyond one machine"): statistics file size,
# accumulate's throughput on one shard of about 1 hour of speech against one in-process EM
# iteration (train-ubm, median of iterations 2-6) on the same machine (median of 5 runs), at K components.
#   bash Tests/Benchmarks/sharded.sh [K...]      (default: 512 2048)
set -euo pipefail
cd "$(dirname "$0")/../.."
swift build -c release >/dev/null
B=$PWD/.build/release/speakerid
C=${SPEAKERID_CORPORA:-../shared/corpora}
W=$(mktemp -d); trap 'rm -rf "$W"' EXIT
CORPORA=(--corpus "$C/libri-background" --corpus "$C/minilibri:all" --corpus "$C/cv-fa:all")
for K in "${@:-512 2048}"; do
  for k in $K; do
    # In process: the median of EM iterations 2-6 from train-ubm's progress lines (the first
    # also builds the scoring matrices; one iteration alone swings by 20% on a shared machine).
    $B train-ubm "${CORPORA[@]}" --components "$k" --iterations 6 --tolerance 0 --out "$W/ref.gmm" 2>"$W/train.log" >/dev/null
    frames=$(sed -n 's/^UBM: \([0-9]*\) speech frames.*/\1/p' "$W/train.log")
    times=$(sed -n 's|^EM iteration [0-9]*/6: .* (\([0-9.]*\) s,.*|\1|p' "$W/train.log" | tr '\n' ' ')
    $B init-ubm "${CORPORA[@]}" --components "$k" --out "$W/m0.gmm" -q
    # The first iteration decodes the audio and fills the frames cache; later ones read it
    # (five runs, the median).
    rm -rf "$W/cache"
    $B accumulate --model "$W/m0.gmm" "${CORPORA[@]}" --shard 0/2 --frames-cache "$W/cache" --out "$W/s0.stats" --json >"$W/first.json"
    for run in 1 2 3 4 5; do
      /usr/bin/time -f %M -o "$W/mem" $B accumulate --model "$W/m0.gmm" "${CORPORA[@]}" --shard 0/2 --frames-cache "$W/cache" --out "$W/s0.stats" --json >"$W/acc$run.json"
    done
    python3 - "$k" "$frames" "$times" "$W" "$W/s0.stats" "$W/mem" "$W/first.json" <<'PY'
import json, os, statistics, sys
k, frames = int(sys.argv[1]), int(sys.argv[2])
t = [float(x) for x in sys.argv[3].split()]
iteration = statistics.median(b - a for a, b in zip(t, t[1:]))
runs = [json.load(open(f"{sys.argv[4]}/acc{i}.json")) for i in range(1, 6)]
a = dict(runs[0])
a["run_seconds"] = statistics.median(r["run_seconds"] for r in runs)
a["statistics_seconds"] = statistics.median(r["statistics_seconds"] for r in runs)
f = json.load(open(sys.argv[7]))
em = frames * k / iteration
acc_all = a["frames"] * k / a["run_seconds"]
acc_e = a["frames"] * k / a["statistics_seconds"]
print(f"K={k}: in-process EM iteration {iteration:.2f} s (median of iterations 2-6) over {frames} frames ({frames / 360000:.2f} h): {em / 1e6:.0f} M frame-components/s")
first = f["frames"] * k / f["run_seconds"]
print(f"  accumulate shard 0/2, first iteration (decoding audio, writing the frames cache): {f['run_seconds']:.2f} s "
      f"({first / 1e6:.0f} M/s, {100 * first / em:.0f}% of in-process)")
print(f"  accumulate shard 0/2, later iterations ({a['frames_cache']} cache, median of 5 runs): {a['frames']} frames ({a['frames'] / 360000:.2f} h), {a['run_seconds']:.2f} s in all "
      f"({acc_all / 1e6:.0f} M/s, {100 * acc_all / em:.0f}% of in-process), E step {a['statistics_seconds']:.2f} s "
      f"({acc_e / 1e6:.0f} M/s, {100 * acc_e / em:.0f}%); statistics file {os.path.getsize(sys.argv[5]) / 1e6:.2f} MB; "
      f"peak memory {int(open(sys.argv[6]).read().split()[-1]) / 1024:.0f} MB")
PY
  done
done
