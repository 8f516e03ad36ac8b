#!/usr/bin/env python3
"""Checks SpeakerID's calibration and its metrics against lir (PyPI), on the same score file.

    python3 Tests/Calibration/check_lir.py SPEAKERID MODELS_DIR WORK_DIR

Writes a score file in the format `speakerid evaluate --scores` writes (Gaussian target and
non-target scores, seeded), fits it with `speakerid calibrate --scores ... --quality none --prior 0.5 --json`,
and compares with lir (the forensic likelihood-ratio toolkit):
  - the fitted map: lir's LogitCalibrator (scikit-learn logistic regression, balanced classes,
    no penalty), whose natural-log LR is intercept + coef * score, against SpeakerID's a s + b
    (prior 0.5 is the balanced weighting);
  - Cllr of the raw scores and of the calibrated LLRs, and minCllr (lir: cllr, cllr_min, in
    log10 LRs: SpeakerID's natural-log LLRs are divided by ln 10).
Prints each pair and exits 1 if any differs by more than its tolerance.
"""
import json
import math
import subprocess
import sys

import numpy as np
from lir.algorithms.logistic_regression import LogitCalibrator
from lir.data.models import LLRData
from lir.metrics import cllr, cllr_min

speakerid, models, work = sys.argv[1:4]
rng = np.random.default_rng(13)
tar = rng.normal(1.0, 0.7, 400)
non = rng.normal(-0.5, 0.9, 4000)
path = f"{work}/dev.tsv"
with open(path, "w") as f:
    f.write("file\tseconds\tstart\tmodel\tspeaker\ttarget\tscore\traw_score\ttest_seconds\tenrol_seconds\n")
    for i, s in enumerate(tar):
        f.write(f"t{i}.wav\twhole\t0\ta\ta\ttarget\t{float(s)!r}\t{float(s)!r}\t3\t30\n")
    for i, s in enumerate(non):
        f.write(f"n{i}.wav\twhole\t0\ta\tb\tnontarget\t{float(s)!r}\t{float(s)!r}\t3\t30\n")
# --quality none: one scale and offset, the map lir fits (the default adds duration terms).
out = subprocess.run([speakerid, "calibrate", "--models", models, "--scores", path, "--quality", "none", "--prior", "0.5", "--cost-miss", "1",
                      "--out", f"{work}/dev.cal", "--json"], capture_output=True, text=True)
if out.returncode != 0:
    sys.exit(f"speakerid calibrate failed: {out.stderr}")
ours = json.loads(out.stdout)
a, b = ours["weights"]

X = np.concatenate([tar, non])
y = np.concatenate([np.ones(len(tar)), np.zeros(len(non))]).astype(int)
cal = LogitCalibrator(C=np.inf, tol=1e-10, max_iter=10000).fit(X, y)  # C=inf: no penalty
coef, intercept = float(cal._logit.coef_[0][0]), float(cal._logit.intercept_[0])
# class_weight='balanced' weights both classes equally: the prior-0.5 objective.
ln10 = math.log(10)
raw = cllr(LLRData(features=X / ln10, labels=y))
llr = a * X + b
calibrated = cllr(LLRData(features=llr / ln10, labels=y))
minimum = cllr_min(LLRData(features=llr / ln10, labels=y))

checks = [("slope", a, coef, 1e-3), ("offset", b, intercept, 1e-3),
          ("Cllr of the scores", ours["raw_cllr"], raw, 1e-9), ("Cllr calibrated", ours["cllr"], calibrated, 1e-6),
          ("minCllr", ours["min_cllr"], minimum, 1e-6)]
bad = 0
for name, mine, theirs, tol in checks:
    ok = abs(mine - theirs) <= tol * max(1.0, abs(theirs))
    bad += not ok
    print(f"{name:20} SpeakerID {mine:.9f}  lir {theirs:.9f}  {'ok' if ok else 'DIFFERENT'}")
sys.exit(1 if bad else 0)
