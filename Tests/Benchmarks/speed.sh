#!/usr/bin/env bash
# The speed benchmarks (issues 5 and 15): SpeakerID's EM and scoring against scikit-learn, one
# and two threads, the product kernels (each path this CPU runs, and with OpenBLAS forced onto
# its generic Prescott kernel, as Debian's 0.3.21 does on Sapphire Rapids), peak memory, and
# top-C scoring of 100, 1,000 and 10,000 speakers; all in one run on this machine. Prints JSON
# lines and a summary with ratios.   bash Tests/Benchmarks/speed.sh
# With IDENTIFY_10K=1 it also writes 10,000 synthetic model files (2.5 GB under $TMPDIR) and times
# `speakerid identify` on them.
set -euo pipefail
cd "$(dirname "$0")/../.."
python3 -c "import sklearn" 2>/dev/null || pip install -q scikit-learn
swift build -c release --product speakerid >/dev/null
swift build -c release --product speakerid-dev >/dev/null  # bench
B=.build/release/speakerid
D=.build/release/speakerid-dev
out=$(mktemp)
trap 'rm -f "$out"' EXIT
for k in 256 1024; do
  for t in 1 2; do $D bench em --frames 200000 --dim 39 --components $k --iterations 3 --threads $t | tee -a "$out"; done
  python3 Tests/Benchmarks/sklearn_speed.py em --frames 200000 --dim 39 --components $k --iterations 1 2>/dev/null | tee -a "$out"
done
for t in 1 2; do $D bench score --models 100 --components 64 --frames 100000 --dim 39 --threads $t | tee -a "$out"; done
python3 Tests/Benchmarks/sklearn_speed.py score --models 100 --components 64 --frames 100000 --dim 39 2>/dev/null | tee -a "$out"
for k in 64 256 512 1024; do $D bench gemm --components $k --inner 79 --seconds 0.5 | tee -a "$out"; done
# The same EM on every kernel path this CPU has (the same bits; only the speed differs), and
# with OpenBLAS forced onto its generic kernel (SpeakerID's products do not use OpenBLAS).
for kern in avx2 portable; do
  SPEAKERID_KERNEL=$kern $D bench em --frames 20000 --dim 39 --components 256 --iterations 1 --threads 1 | sed "s/^{/{\"forced\":\"$kern\",/" | tee -a "$out"
done
OPENBLAS_CORETYPE=Prescott $D bench em --frames 200000 --dim 39 --components 256 --iterations 3 --threads 1 | sed 's/^{/{"forced":"openblas-prescott",/' | tee -a "$out"
for m in 100 1000 10000; do
  $D bench score --models $m --components 512 --frames 1000 --dim 63 --threads 1 --top-c 5 --repeats 3 | tee -a "$out"
done
$D bench score --models 10000 --components 512 --frames 1000 --dim 63 --threads 2 --top-c 5 --repeats 3 | tee -a "$out"
if [ "${IDENTIFY_10K:-0}" = 1 ]; then
  clip=${SPEAKERID_CORPORA:-../shared/corpora}/minilibri/3526/3526-176653-0001.flac
  for m in 100 1000 10000; do
    d=$(mktemp -d)/models
    $D bench score --models $m --components 512 --frames 10 --dim 63 --top-c 5 --write-models "$d" >/dev/null
    r=$( { /usr/bin/time -f "%e %M" $B identify --models "$d" --ubm "$d/ubm.gmm" "$clip" >/dev/null; } 2>&1 | tail -1)
    echo "{\"benchmark\": \"identify-models\", \"models\": $m, \"wall_seconds\": ${r% *}, \"max_rss_kb\": ${r#* }}" | tee -a "$out"
    rm -rf "$(dirname "$d")"
  done
fi
mem=$( { /usr/bin/time -v $D bench em --frames 200000 --dim 39 --components 1024 --iterations 1 --threads 2 >/dev/null; } 2>&1 | awk -F': ' '/Maximum resident/ {print $2}')
echo "{\"benchmark\": \"em-memory\", \"components\": 1024, \"frames\": 200000, \"max_rss_kb\": $mem}" | tee -a "$out"
python3 - "$out" <<'PY'
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
em = lambda k, t: next(r for r in rows if r.get("benchmark") == "em" and r["components"] == k and r["threads"] == t)
peer_em = lambda k: next(r for r in rows if r.get("peer", "").startswith("sklearn GaussianMixture diag") and r["components"] == k)
print()
for k in (256, 1024):
    a, b, p = em(k, 1), em(k, 2), peer_em(k)
    print(f"EM K={k}: {a['frame_components_per_second']/1e6:.0f}M frame-components/s on 1 thread "
          f"({a['frame_components_per_second']/p['frame_components_per_second']:.1f}x scikit-learn's {p['frame_components_per_second']/1e6:.1f}M), "
          f"{a['fraction_of_peak']:.0%} of the assumed peak; 2 threads {b['seconds_per_iteration'] and a['seconds_per_iteration']/b['seconds_per_iteration']:.2f}x")
s1, s2 = [r for r in rows if r.get("benchmark") == "score"]
ps = next(r for r in rows if r.get("peer", "").startswith("sklearn GaussianMixture.score"))
print(f"score 100 models: {s1['run_seconds']:.2f} s on 1 thread ({ps['run_seconds']/s1['run_seconds']:.1f}x scikit-learn's {ps['run_seconds']:.1f} s); 2 threads {s1['run_seconds']/s2['run_seconds']:.2f}x")
for g in (r for r in rows if r.get("benchmark") == "gemm"):
    print(f"product K={g['components']}, 2D+1={g['inner']}: OpenBLAS {g['openblas_gflops']:.0f} GFLOP/s, own kernel {g['own_kernel_gflops']:.0f} GFLOP/s")
m = next(r for r in rows if r.get("benchmark") == "em-memory")
print(f"EM N=200000 K=1024 peak memory: {m['max_rss_kb']/1024:.0f} MiB")
a = em(256, 1)
print(f"kernel {a['kernel']} (OpenBLAS core {a['openblas_core']}), measured peak {a['peak_gflops']:.0f} GFLOP/s per core")
for r in (r for r in rows if r.get("forced")):
    print(f"EM K=256 forced {r['forced']}: {r['gflops']:.1f} GFLOP/s on kernel {r['kernel']} (OpenBLAS core {r['openblas_core']}); "
          f"{r['frame_components_per_second']/a['frame_components_per_second']:.2f}x the default path")
for r in (r for r in rows if r.get("benchmark") == "score-ubm" and r["components"] == 512):
    print(f"top-C 5, {r['models']} speakers x 512 components, {r['threads']} thread(s): {1000*r['seconds_per_second_of_speech']:.1f} ms per second of speech, "
          f"peak {r['peak_memory_bytes']/2**20:.0f} MiB")
for r in (r for r in rows if r.get("benchmark") == "identify-models"):
    print(f"identify on {r['models']} model files: {r['wall_seconds']:.2f} s, peak {r['max_rss_kb']/1024:.0f} MiB")
PY
