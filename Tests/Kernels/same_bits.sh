#!/usr/bin/env bash
# The front end's C kernels (Sources/CKernels/cepstral.c) give the same bits on every x86-64
# path: builds them once per instruction set this CPU can run (baseline SSE2, x86-64-v2, AVX2+FMA,
# AVX-512, and -O0), with target_clones turned off (-U__linux__), plus once as the package builds
# them (clones, the best for this CPU), links each with the same driver (same_bits.c) and prints
# "build: hash" lines. Every hash must be the same (CepstralKernelTests checks). Needs clang.
# Usage: bash Tests/Kernels/same_bits.sh
set -euo pipefail
cd "$(dirname "$0")/../.."
cc=clang  # the kernels rely on clang's "#pragma clang fp contract(off)"
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
inc=Sources/CKernels/include
"$cc" -O2 -w -c Tests/Kernels/same_bits.c -I "$inc" -o "$out/driver.o"
builds=("-O2 -march=x86-64" "-O0 -march=x86-64" "-O2 -march=x86-64-v2")
flags=$(grep -m1 '^flags' /proc/cpuinfo || true)
if [[ $flags == *" avx2 "* && $flags == *" fma "* ]]; then builds+=("-O2 -march=haswell"); fi
if [[ $flags == *" avx512f "* ]]; then builds+=("-O3 -march=x86-64 -mavx512f" "-O2 -march=skylake-avx512"); fi
for b in "${builds[@]}"; do
  # shellcheck disable=SC2086
  "$cc" $b -U__linux__ -c Sources/CKernels/cepstral.c -I "$inc" -o "$out/k.o"
  "$cc" "$out/driver.o" "$out/k.o" -lm -o "$out/run"
  echo "$b: $("$out/run")"
done
"$cc" -O2 -c Sources/CKernels/cepstral.c -I "$inc" -o "$out/k.o"
"$cc" "$out/driver.o" "$out/k.o" -lm -o "$out/run"
echo "clones: $("$out/run")"
