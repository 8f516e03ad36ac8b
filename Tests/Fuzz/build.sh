#!/usr/bin/env bash
# Builds the libFuzzer targets (model-file decoder; audio decoding through libsndfile's virtual
# I/O into the front end) with swiftc -sanitize=fuzzer,address, from the library's sources.
# Usage: bash Tests/Fuzz/build.sh OUTDIR
set -euo pipefail
cd "$(dirname "$0")/../.."
out=${1:-.build-fuzz}
mkdir -p "$out/modules/CKernels"
cat > "$out/modules/CKernels/module.modulemap" <<MAP
module CKernels {
    header "$PWD/Sources/CKernels/include/ckernels.h"
    export *
}
MAP
ckernels=()
for c in Sources/CKernels/*.c; do  # every C kernel file the library links
  o="$out/$(basename "$c" .c).o"
  clang -O2 -fsanitize=fuzzer-no-link,address -c "$c" -I Sources/CKernels/include -o "$o"
  ckernels+=("$o")
done
flags=(-O -sanitize=fuzzer,address -parse-as-library -swift-version 6 -module-name SpeakerIDFuzz
       -I Sources/CSndfile -I Sources/CFFTW -I Sources/CSamplerate -I Sources/COpenBLAS -I "$out/modules/CKernels"
       $(pkg-config --cflags-only-I openblas sndfile | sed 's/-I/-Xcc -I/g'))
libs=("${ckernels[@]}" $(pkg-config --libs sndfile fftw3f samplerate openblas))
sources=$(find Sources/SpeakerID -name '*.swift' | sort)
for target in ModelFile Audio; do
  swiftc "${flags[@]}" $sources Tests/Fuzz/Fuzz$target.swift "${libs[@]}" -o "$out/fuzz-$(echo $target | tr A-Z a-z)"
done
echo "built $out/fuzz-modelfile $out/fuzz-audio"
