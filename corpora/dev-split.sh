#!/usr/bin/env bash
# Builds a development corpus from the enrolment split of a corpus, so settings can be chosen
# without looking at its test split: each speaker's enrolment files, in protocol order, go
# alternately to "enroll" (1st, 3rd, ...) and "test" (2nd, 4th, ...); speakers with one
# enrolment file keep it for "enroll". The test split of SRC is never listed. OUT holds
# symbolic links to SRC's speaker folders and a protocol.tsv; no audio is copied.
#
# Usage: bash corpora/dev-split.sh SRC OUT      e.g. ../shared/corpora/cv-fa /tmp/cv-fa-dev
set -euo pipefail
[ $# -eq 2 ] || { echo "usage: $0 SRC-CORPUS OUT-FOLDER" >&2; exit 2; }
src=$(cd "$1" && pwd)
out=$2
[ -f "$src/protocol.tsv" ] || { echo "$src: no protocol.tsv" >&2; exit 1; }
mkdir -p "$out"
awk -F'\t' -v OFS='\t' '
  NR == 1 { for (i = 1; i <= NF; i++) col[$i] = i; print "speaker", "path", "split"; next }
  /^#/ || NF == 0 { next }
  $col["split"] == "enroll" {
    s = $col["speaker"]; n[s]++
    print s, $col["path"], (n[s] % 2 == 1 ? "enroll" : "test")
  }' "$src/protocol.tsv" > "$out/protocol.tsv.tmp"
# Link every top-level folder the listed paths live in.
cut -f2 "$out/protocol.tsv.tmp" | tail -n +2 | cut -d/ -f1 | sort -u | while read -r d; do
  [ -e "$out/$d" ] || ln -s "$src/$d" "$out/$d"
done
mv "$out/protocol.tsv.tmp" "$out/protocol.tsv"
echo "$out: $(grep -c $'\tenroll$' "$out/protocol.tsv") enroll, $(grep -c $'\ttest$' "$out/protocol.tsv") test files"
