#!/usr/bin/env python3
"""The scikit-learn peer of SpeakerID's GMM-UBM (issue 4): MFCC c1-c20 + deltas
(python_speech_features, 24 filters), energy VAD, CMS, a diagonal GaussianMixture UBM,
MAP adaptation of the means (relevance 16), average log-likelihood-ratio scoring (exact),
identification by the best ratio and verification EER over all (trial, speaker) pairs, on whole
test files and segments cut from them.

    python3 Tests/Benchmarks/sklearn_ubm.py TEST_CORPUS --ubm-corpus DIR:SPLIT [--ubm-corpus ...] --components 256
"""
import argparse, csv, json, os, time

import numpy as np
from joblib import Parallel, delayed
from sklearn.mixture import GaussianMixture

from sklearn_gmm import features


def rows(corpus, split):
    r = list(csv.DictReader(open(os.path.join(corpus, "protocol.tsv")), delimiter="\t"))
    return [(x["speaker"], os.path.join(corpus, x["path"])) for x in r if split in ("all", x["split"])]


def eer(tar, non):
    s = np.concatenate([tar, non]); lab = np.concatenate([np.ones(len(tar)), np.zeros(len(non))])
    o = np.argsort(s); lab = lab[o]
    miss = np.cumsum(lab) / len(tar); fa = 1 - np.cumsum(1 - lab) / len(non)
    i = np.argmin(np.abs(miss - fa))
    return float((miss[i] + fa[i]) / 2)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("corpus")
    ap.add_argument("--ubm-corpus", action="append", required=True)
    ap.add_argument("--components", type=int, default=256)
    ap.add_argument("--segments", default="1,2")
    ap.add_argument("--jobs", type=int, default=2)
    a = ap.parse_args()
    t0 = time.time()
    bg = []
    for spec in a.ubm_corpus:
        d, _, sp = spec.partition(":")
        bg += rows(d, sp or "background")
    enrol, test = rows(a.corpus, "enroll"), rows(a.corpus, "test")
    feats = Parallel(n_jobs=a.jobs)(delayed(features)(p) for _, p in bg + enrol + test)
    fb, fe, ft = feats[:len(bg)], feats[len(bg):len(bg) + len(enrol)], feats[len(bg) + len(enrol):]
    ubm = GaussianMixture(a.components, covariance_type="diag", reg_covar=1e-3, max_iter=10, random_state=0)
    ubm.fit(np.vstack([f for f in fb if len(f)]))
    speakers = sorted({s for s, _ in enrol})
    means = []
    for s in speakers:
        x = np.vstack([f for (sp, _), f in zip(enrol, fe) if sp == s and len(f)])
        post = ubm.predict_proba(x); n = post.sum(0); ex = (post.T @ x) / np.maximum(n, 1e-10)[:, None]
        alpha = (n / (n + 16.0))[:, None]
        means.append(alpha * ex + (1 - alpha) * ubm.means_)

    def frame_llr(x):
        base = ubm.score_samples(x)
        out = []
        for m in means:
            g = GaussianMixture(a.components, covariance_type="diag")
            g.weights_, g.means_, g.covariances_ = ubm.weights_, m, ubm.covariances_
            g.precisions_cholesky_ = ubm.precisions_cholesky_
            out.append(g.score_samples(x) - base)
        return np.stack(out)

    seglens = [float(s) for s in a.segments.split(",") if s]
    res = {None: [[], [], 0, 0], **{s: [[], [], 0, 0] for s in seglens}}
    for (sp, _), f in zip(test, ft):
        if not len(f):
            continue
        ll = frame_llr(f); truth = speakers.index(sp)
        for key, ranges in [(None, [(0, ll.shape[1])])] + [(s, [(i, i + int(round(s * 100))) for i in range(0, ll.shape[1] - int(round(s * 100)) + 1, int(round(s * 100)))]) for s in seglens]:
            for b, e in ranges:
                sc = ll[:, b:e].mean(1)
                res[key][2] += int(np.argmax(sc) == truth); res[key][3] += 1
                res[key][0].append(sc[truth]); res[key][1] += list(np.delete(sc, truth))
    out = {"peer": "scikit-learn GMM-UBM, MAP means r=16", "components": a.components,
           "accuracy": res[None][2] / res[None][3], "eer": eer(np.array(res[None][0]), np.array(res[None][1])),
           "segments": [{"segment_seconds": s, "accuracy": res[s][2] / max(res[s][3], 1), "trials": res[s][3],
                         "eer": eer(np.array(res[s][0]), np.array(res[s][1])) if res[s][3] else None} for s in seglens],
           "wall_seconds": time.time() - t0}
    print(json.dumps(out))


if __name__ == "__main__":
    main()
