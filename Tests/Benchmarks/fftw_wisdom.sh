#!/usr/bin/env bash
# The front end's FFT plans: times each size's plan from the committed wisdom
# (Sources/SpeakerID/Features/FFTWisdom.swift) against FFTW_ESTIMATE's, the planner's choice
# without wisdom. With --generate, plans the same problems with FFTW_PATIENT and writes the
# wisdom file anew (then time it, and commit it only if it is faster on every size).
# Needs a C compiler and libfftw3-dev. Usage: bash Tests/Benchmarks/fftw_wisdom.sh [--generate]
set -euo pipefail
cd "$(dirname "$0")/../.."
swift_file=Sources/SpeakerID/Features/FFTWisdom.swift
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cc -O2 Tests/Benchmarks/fftw_wisdom.c -o "$tmp/fw" -lfftw3f
if [[ ${1:-} == --generate ]]; then
  "$tmp/fw" > "$tmp/wisdom"
  python3 - "$tmp/wisdom" "$swift_file" "$("$tmp/fw" --version)" <<'PY'
import re, sys
wisdom = open(sys.argv[1]).read().rstrip("\n")
path, library = sys.argv[2], sys.argv[3]
text = open(path).read()
text, n1 = re.subn(r'(static let text = """\n).*?(\n""")', lambda m: m.group(1) + wisdom + m.group(2), text, flags=re.S)
text, n2 = re.subn(r'(static let library = ")[^"]*(")', lambda m: m.group(1) + library + m.group(2), text)
if (n1, n2) != (1, 1):
    sys.exit(f"{path}: did not find the wisdom string and the library name to replace")
open(path, "w").write(text)
PY
  echo "wrote $swift_file (FFTW $("$tmp/fw" --version); check its doc comment still says where it was made)"
fi
# The wisdom is the text between the string literal's quotes.
sed -n '/static let text = """/,/^"""/p' "$swift_file" | sed '1d;$d' > "$tmp/committed"
grep -m1 "model name" /proc/cpuinfo || true
echo "FFTW: $("$tmp/fw" --version)"
"$tmp/fw" "$tmp/committed"
