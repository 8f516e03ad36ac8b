#!/usr/bin/env python3
"""The scikit-learn peer of `speakerid enroll` + `speakerid evaluate` (issue 3).

Same protocol as SpeakerID: MFCC c1-c20 + deltas (python_speech_features: 20 ms Hamming
window, 10 ms hop, 24 mel filters, pre-emphasis 0.97), energy VAD (frames within 30 dB of the
loudest), cepstral mean subtraction per file, one GaussianMixture(covariance_type='diag') per
speaker trained on the enrol split, whole-file trials plus consecutive non-overlapping segments
of S seconds of speech frames cut from each CMS'd test file. Two worker processes (joblib), as
SpeakerID uses two cores here.

    python3 Tests/Benchmarks/sklearn_gmm.py ../shared/corpora/minilibri --components 32 --segments 1,2
prints one JSON line with accuracy per test length and the wall time of the whole job.
"""
import argparse, csv, json, os, sys, time

import numpy as np
import soundfile as sf
from joblib import Parallel, delayed
from python_speech_features import mfcc, delta
from sklearn.mixture import GaussianMixture


def features(path):
    x, fs = sf.read(path, dtype="float32", always_2d=True)
    x = x.mean(axis=1)
    c = mfcc(x, samplerate=fs, winlen=0.02, winstep=0.01, numcep=21, nfilt=24,
             nfft=int(2 ** np.ceil(np.log2(0.02 * fs))), preemph=0.97, ceplifter=0,
             appendEnergy=False, winfunc=np.hamming)[:, 1:]
    f = np.hstack([c, delta(c, 2)])
    # Energy VAD on the same frames.
    n = int(0.02 * fs); h = int(0.01 * fs)
    frames = np.lib.stride_tricks.sliding_window_view(x, n)[::h]
    f = f[: len(frames)]  # python_speech_features pads a last partial frame
    frames = frames[: len(f)]
    db = 10 * np.log10(np.mean(frames.astype(np.float64) ** 2, axis=1) + 1e-20)
    keep = db >= max(db.max() - 30, -90)
    f = f[keep]
    return f - f.mean(axis=0) if len(f) else f


def train(frames, k, seed):
    return GaussianMixture(n_components=k, covariance_type="diag", random_state=seed,
                           reg_covar=1e-3, max_iter=100).fit(frames)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("corpus")
    ap.add_argument("--components", type=int, default=32)
    ap.add_argument("--segments", default="1,2")
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--seed", type=int, default=0)
    a = ap.parse_args()
    t0 = time.time()
    rows = list(csv.DictReader(open(os.path.join(a.corpus, "protocol.tsv")), delimiter="\t"))
    enrol = [r for r in rows if r["split"] == "enroll"]
    test = [r for r in rows if r["split"] == "test"]
    speakers = sorted({r["speaker"] for r in enrol})
    feats = Parallel(n_jobs=a.jobs)(delayed(features)(os.path.join(a.corpus, r["path"])) for r in enrol + test)
    ef, tf = feats[: len(enrol)], feats[len(enrol):]
    per = {s: np.vstack([f for r, f in zip(enrol, ef) if r["speaker"] == s and len(f)]) for s in speakers}
    models = Parallel(n_jobs=a.jobs)(delayed(train)(per[s], min(a.components, len(per[s]) // 2), a.seed) for s in speakers)
    seglens = [float(s) for s in a.segments.split(",") if s]
    correct = {None: [0, 0], **{s: [0, 0] for s in seglens}}
    for r, f in zip(test, tf):
        if not len(f):
            continue
        ll = np.stack([m.score_samples(f) for m in models])  # models x frames
        truth = speakers.index(r["speaker"])
        correct[None][0] += int(np.argmax(ll.mean(axis=1)) == truth); correct[None][1] += 1
        for s in seglens:
            n = int(round(s * 100))
            for st in range(0, ll.shape[1] - n + 1, n):
                correct[s][0] += int(np.argmax(ll[:, st:st + n].mean(axis=1)) == truth); correct[s][1] += 1
    out = {"peer": "scikit-learn GaussianMixture diag", "corpus": os.path.basename(a.corpus.rstrip("/")),
           "components": a.components, "accuracy": correct[None][0] / max(correct[None][1], 1),
           "trials": correct[None][1],
           "segments": [{"segment_seconds": s, "accuracy": correct[s][0] / correct[s][1] if correct[s][1] else None, "trials": correct[s][1]} for s in seglens],
           "wall_seconds": time.time() - t0}
    print(json.dumps(out))


if __name__ == "__main__":
    main()
