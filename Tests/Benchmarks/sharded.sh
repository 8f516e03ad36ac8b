#!/usr/bin/env bash
# Sharded UBM training figures for the README ("Beyond one machine"): statistics file size,
# accumulate's throughput on one shard of about 1 hour of speech against one in-process EM
# iteration (train-ubm) on the same machine, at K components.
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
    # In process: the second EM iteration's time from train-ubm's progress lines.
    $B train-ubm "${CORPORA[@]}" --components "$k" --iterations 2 --tolerance 0 --out "$W/ref.gmm" 2>"$W/train.log" >/dev/null
    frames=$(sed -n 's/^UBM: \([0-9]*\) speech frames.*/\1/p' "$W/train.log")
    t1=$(sed -n 's|^EM iteration 1/2: .* (\([0-9.]*\) s,.*|\1|p' "$W/train.log")
    t2=$(sed -n 's|^EM iteration 2/2: .* (\([0-9.]*\) s,.*|\1|p' "$W/train.log")
    $B init-ubm "${CORPORA[@]}" --components "$k" --out "$W/m0.gmm" -q
    # The first iteration decodes the audio and fills the frames cache; later ones read it.
    rm -rf "$W/cache"
    $B accumulate --model "$W/m0.gmm" "${CORPORA[@]}" --shard 0/2 --frames-cache "$W/cache" --out "$W/s0.stats" --json >"$W/first.json"
    /usr/bin/time -f %M -o "$W/mem" $B accumulate --model "$W/m0.gmm" "${CORPORA[@]}" --shard 0/2 --frames-cache "$W/cache" --out "$W/s0.stats" --json >"$W/acc.json"
    python3 - "$k" "$frames" "$t1" "$t2" "$W/acc.json" "$W/s0.stats" "$W/mem" "$W/first.json" <<'PY'
import json, os, sys
k, frames, t1, t2 = int(sys.argv[1]), int(sys.argv[2]), float(sys.argv[3]), float(sys.argv[4])
a = json.load(open(sys.argv[5]))
f = json.load(open(sys.argv[8]))
em = frames * k / (t2 - t1)
acc_all = a["frames"] * k / a["run_seconds"]
acc_e = a["frames"] * k / a["statistics_seconds"]
print(f"K={k}: in-process EM iteration {t2 - t1:.2f} s over {frames} frames ({frames / 360000:.2f} h): {em / 1e6:.0f} M frame-components/s")
first = f["frames"] * k / f["run_seconds"]
print(f"  accumulate shard 0/2, first iteration (decoding audio, writing the frames cache): {f['run_seconds']:.2f} s "
      f"({first / 1e6:.0f} M/s, {100 * first / em:.0f}% of in-process)")
print(f"  accumulate shard 0/2, later iterations ({a['frames_cache']} cache): {a['frames']} frames ({a['frames'] / 360000:.2f} h), {a['run_seconds']:.2f} s in all "
      f"({acc_all / 1e6:.0f} M/s, {100 * acc_all / em:.0f}% of in-process), E step {a['statistics_seconds']:.2f} s "
      f"({acc_e / 1e6:.0f} M/s, {100 * acc_e / em:.0f}%); statistics file {os.path.getsize(sys.argv[6]) / 1e6:.2f} MB; "
      f"peak memory {int(open(sys.argv[7]).read().split()[-1]) / 1024:.0f} MB")
PY
  done
done
