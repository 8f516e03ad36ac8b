#!/usr/bin/env python3
"""Verification EER by how much speech each model was enrolled on, from `speakerid evaluate
--scores` files: the trials of each band are those against the models whose enrolment had that
much speech (seconds after the VAD, from `speakerid info --json`). Several runs (UBM seeds)
give a mean per band.

    python3 Tests/Benchmarks/by_enrolment.py RUN_DIR...   (each with scores.tsv and models.json)
"""
import csv, json, sys

import numpy as np

BANDS = [("under 5 s", 0, 5), ("5-10 s", 5, 10), ("10 s or more", 10, float("inf"))]


def eer(tar, non):
    s = np.concatenate([tar, non]); lab = np.concatenate([np.ones(len(tar)), np.zeros(len(non))])
    o = np.argsort(s, kind="stable"); lab = lab[o]
    miss = np.cumsum(lab) / len(tar); fa = 1 - np.cumsum(1 - lab) / len(non)
    i = np.argmin(np.abs(miss - fa))
    return float((miss[i] + fa[i]) / 2)


def main():
    runs = sys.argv[1:]
    table = {}  # (length, band) -> [eer per run], models, target trials
    for run in runs:
        speech = {}
        for line in open(f"{run}/models.json"):
            m = json.loads(line)
            speech[m["speaker"]] = m["training"]["speech_seconds"]
        # Lines starting with "#" before the column header name the system the scores came from.
        rows = list(csv.DictReader((l for l in open(f"{run}/scores.tsv") if not l.startswith("#")), delimiter="\t"))
        for length in sorted({r["seconds"] for r in rows}, key=lambda x: (x != "whole", x)):
            for name, lo, hi in BANDS:
                models = {s for s, v in speech.items() if lo <= v < hi}
                sel = [r for r in rows if r["seconds"] == length and r["model"] in models]
                tar = np.array([float(r["score"]) for r in sel if r["target"] == "target"])
                non = np.array([float(r["score"]) for r in sel if r["target"] == "nontarget"])
                if len(tar) == 0 or len(non) == 0:
                    continue
                t = table.setdefault((length, name), [[], len(models), len(tar)])
                t[0].append(eer(tar, non))
    print(f"{'test length':12}{'enrolment speech':18}{'models':>7}{'target trials':>15}{'EER (mean)':>12}  per run")
    for (length, name), (e, n, tars) in table.items():
        label = "whole file" if length == "whole" else f"{float(length):g} s"
        print(f"{label:12}{name:18}{n:7}{tars:15}{100 * np.mean(e):11.2f}%  " + " ".join(f"{100 * x:.2f}" for x in e))


if __name__ == "__main__":
    main()
