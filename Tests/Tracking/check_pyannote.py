#!/usr/bin/env python3
"""Checks `speakerid evaluate-tracking` against pyannote.metrics (PyPI) on the same RTTM files.

    python3 Tests/Tracking/check_pyannote.py SPEAKERID WORK_DIR

Writes seeded random reference and hypothesis RTTMs to WORK_DIR/ref and WORK_DIR/hyp: six
recordings with overlapping reference speakers, `unknown` speech, collars that overlap each
other, hypothesis boundaries moved, labels swapped, renamed (so the optimal mapping of DER
differs from IER's names), speech added and left out, two segments of one label overlapping
each other, and one recording with no hypothesis file. Then compares the pooled and
per-recording DER and IER of `speakerid evaluate-tracking --collar 0.25 --json` with pyannote's
DiarizationErrorRate and IdentificationErrorRate (collar=0.5, the whole width;
skip_overlap=False), pooled by pyannote's own accumulation (abs(metric)), and each error
component in seconds. Prints each pair and exits 1 if any differs by more than 1e-6.
"""
import json
import os
import random
import subprocess
import sys
import warnings

warnings.filterwarnings("ignore")
from pyannote.core import Annotation, Segment
from pyannote.metrics.diarization import DiarizationErrorRate
from pyannote.metrics.identification import IdentificationErrorRate

speakerid, work = sys.argv[1:3]
rng = random.Random(16)
os.makedirs(f"{work}/ref", exist_ok=True)
os.makedirs(f"{work}/hyp", exist_ok=True)


def write(path, uri, segs):
    with open(path, "w") as f:
        for s, e, l in segs:
            f.write(f"SPEAKER {uri} 1 {s:.6f} {e - s:.6f} <NA> <NA> {l} <NA> <NA>\n")


refs, hyps = {}, {}
for n in range(6):
    uri = f"rec{n}"
    speakers = ["alice", "bob", "carol", "dave"][: 2 + n % 3] + ["unknown"]
    t, ref = rng.uniform(0, 1), []
    for _ in range(rng.randint(6, 14)):
        d = rng.uniform(0.3, 6)
        lab = rng.choice(speakers)
        ref.append((round(t, 6), round(t + d, 6), lab))
        # overlap with the next turn sometimes, else a pause (some shorter than the collars)
        t = t + d - rng.uniform(0.1, 0.8) if rng.random() < 0.25 else t + d + rng.uniform(0.05, 1.5)
    hyp = []
    rename = {"alice": "bob", "bob": "alice"} if n % 2 else {}
    for s, e, l in ref:
        r = rng.random()
        if r < 0.1:
            continue  # missed
        s2, e2 = s + rng.uniform(-0.4, 0.4), e + rng.uniform(-0.4, 0.4)
        if e2 <= s2:
            continue
        lab = rename.get(l, l)
        if r < 0.25:
            lab = rng.choice(["alice", "bob", "carol", "unknown", "unknown-1", "eve"])
        if r > 0.9:  # split in two labels
            m = (s2 + e2) / 2
            hyp.append((round(max(0, s2), 6), round(m, 6), lab))
            hyp.append((round(m, 6), round(e2, 6), rng.choice(["alice", "zed"])))
            continue
        hyp.append((round(max(0, s2), 6), round(e2, 6), lab))
    if n == 3:
        hyp.append((0.5, 2.0, "bob"))  # overlaps another hypothesis segment of possibly the same label
        hyp.append((1.0, 1.5, "bob"))
        hyp.append((ref[-1][1] + 2, ref[-1][1] + 4, "eve"))  # false alarm after the end
    refs[uri], hyps[uri] = ref, hyp
    write(f"{work}/ref/{uri}.rttm", uri, ref)
    if n != 5:
        write(f"{work}/hyp/{uri}.rttm", uri, hyp)
    else:
        hyps[uri] = []  # no hypothesis file: all missed

out = subprocess.run([speakerid, "evaluate-tracking", "--reference", f"{work}/ref", "--hypothesis", f"{work}/hyp",
                      "--collar", "0.25", "--json", "-q"], capture_output=True, text=True)
if out.returncode != 0:
    sys.exit(f"speakerid evaluate-tracking failed: {out.stderr}")
mine = json.loads(out.stdout)


def annotation(uri, segs, unknown_as_one=False):
    """With unknown_as_one, the labels of unknown speech (unknown-1, unknown-2) become
    "unknown": SpeakerID's IER counts each as saying "nobody enrolled", which is right for the
    reference's unknown speech; pyannote compares names as they are."""
    a = Annotation(uri=uri)
    for i, (s, e, l) in enumerate(segs):
        a[Segment(s, e), i] = "unknown" if unknown_as_one and l.startswith("unknown-") else l
    return a


der = DiarizationErrorRate(collar=0.5, skip_overlap=False)
ier = IdentificationErrorRate(collar=0.5, skip_overlap=False)
per = {r["recording"]: r for r in mine["per_recording"]}
failures = 0


def check(name, a, b, tol=1e-6):
    global failures
    ok = abs(a - b) <= tol
    failures += not ok
    print(f"{name}: speakerid {a:.9f} pyannote {b:.9f} {'ok' if ok else 'DIFFERENT'}")


for uri in sorted(refs):
    r, h = annotation(uri, refs[uri]), annotation(uri, hyps[uri])
    d, i = der(r, h, detailed=True), ier(r, annotation(uri, hyps[uri], unknown_as_one=True), detailed=True)
    check(f"{uri} DER", per[uri]["der"]["error_rate"], d["diarization error rate"])
    check(f"{uri} IER", per[uri]["ier"]["error_rate"], i["identification error rate"])
check("pooled DER", mine["der"]["error_rate"], abs(der))
check("pooled IER", mine["ier"]["error_rate"], abs(ier))
for key, comp in [("missed_seconds", "missed detection"), ("false_alarm_seconds", "false alarm"), ("confusion_seconds", "confusion")]:
    check(f"pooled DER {key}", mine["der"][key], der[comp])
    check(f"pooled IER {key}", mine["ier"][key], ier[comp])
check("pooled reference seconds", mine["reference_seconds"], ier["total"])
sys.exit(1 if failures else 0)
