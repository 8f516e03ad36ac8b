#!/usr/bin/env bash
# Front-end and model-order choices measured on one corpus (default: cv-fa), one option
# changed at a time from the defaults; prints a Markdown table. Usage:
#   bash Tests/Benchmarks/frontend_grid.sh [corpus] [segment seconds]
set -euo pipefail
cd "$(dirname "$0")/../.."
corpus=${SPEAKERID_CORPORA:-../shared/corpora}/${1:-cv-fa}
segs=${2:-1,2}
swift build -c release --product speakerid >/dev/null
B=.build/release/speakerid
echo "| options (changed from the defaults) | whole files | $(echo $segs | sed 's/,/ s | /g') s |"
echo "|---|---|$(echo $segs | sed 's/[^,]*/---|/g; s/,//g')"
while IFS= read -r opts; do
  m=$(mktemp -d)
  $B enroll --models "$m" --corpus "$corpus" -q $opts >/dev/null
  $B evaluate --models "$m" --corpus "$corpus" --segment-seconds "$segs" --json -q | python3 -c "
import json, sys
r = json.load(sys.stdin)
cells = ['%.4f' % r['accuracy']] + ['%.4f' % s['accuracy'] if s['trials'] else '-' for s in r['segments']]
print('| ' + ('\`$opts\`' if '$opts' else 'defaults') + ' | ' + ' | '.join(cells) + ' |')"
  rm -rf "$m"
done <<'OPTS'

--seed 1
--seed 2
--components 16
--components 32
--components 64
--deltas 1
--deltas 0
--filters 32
--filters 40
--normalize mean-variance
--normalize warp
--low-freq 300 --high-freq 3400
--low-freq 100 --high-freq 7000
--ceps 13
--lifter 22
--energy c0
--vad-threshold 20
--vad-threshold 40
--variance-floor 0.1
--iterations 30
OPTS
