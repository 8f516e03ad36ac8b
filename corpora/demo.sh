#!/usr/bin/env bash
# The README's first command: installs what is missing (Debian), builds SpeakerID in release
# mode, builds the demo corpus from Debian's Asterisk voice prompts, enrols its 7 voices into
# models/demo and evaluates them; fetches the neural speaker encoder. Rerunning it rebuilds nothing that exists.
set -euo pipefail
cd "$(dirname "$0")/.."

packages="libsndfile1-dev libfftw3-dev libsamplerate0-dev libopenblas-dev libssl-dev zlib1g-dev pkg-config python3-pip
  asterisk-core-sounds-en-wav asterisk-core-sounds-fr-wav asterisk-core-sounds-it-wav
  asterisk-core-sounds-ru-wav asterisk-prompt-it-menardi-wav asterisk-prompt-es-co
  asterisk-prompt-fr-armelle"
missing=""
for p in $packages; do dpkg -s "$p" >/dev/null 2>&1 || missing="$missing $p"; done
if [ -n "$missing" ]; then
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  echo "installing:$missing"
  $sudo apt-get update -q
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -q --no-install-recommends $missing
fi

swift build -c release --product speakerid
speakerid=.build/release/speakerid
# The neural speaker encoder for --system dvector (resemblyzer 0.1.4's weights, downloaded from
# PyPI with pip and converted; ~/.local/share/speakerid/). The demo does not need it: offline,
# only a warning.
$speakerid encoder fetch || echo "warning: the speaker encoder could not be fetched; --system dvector needs it (speakerid encoder fetch)"
if [ ! -f corpora/demo/protocol.tsv ]; then
  # The corpus builder is in the developers' tool, beside the user's.
  swift build -c release --product speakerid-dev
  .build/release/speakerid-dev demo-corpus --out corpora/demo
fi
if ! ls models/demo/*.gmm >/dev/null 2>&1; then
  $speakerid enroll --models models/demo --corpus corpora/demo --sample-rate 8000
fi
$speakerid evaluate --models models/demo --corpus corpora/demo --segment-seconds 0.5,1,2 --report models/demo/report -q
echo
echo "report: models/demo/report/report.html (open it in a browser)"
echo "models: models/demo   corpus: corpora/demo   try: $speakerid identify --models models/demo corpora/demo/carlo-it/digits/7.wav"
