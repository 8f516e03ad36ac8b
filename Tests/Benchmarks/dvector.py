#!/usr/bin/env python3
"""d-vector accuracy on a corpus with enrol/test splits: SpeakerID's encoder in Swift against
resemblyzer's pipeline (Tests/Encoder/reference_encoder.py: librosa mel, webrtcvad trimming, the
same weights in numpy), in the same run.

    python3 Tests/Benchmarks/dvector.py SPEAKERID ENCODER PRETRAINED_PT CORPUS WORK [--no-peer]

Each speaker's model is the normalised mean of its enrolment files' embeddings (resemblyzer's
embed_speaker); each test file is scored by cosine against every model. Prints closed-set
identification accuracy and the EER over all (test file, model) pairs, for each system.
Embeddings are kept in WORK, so a second run only scores.
"""
import json
import os
import subprocess
import sys
import time

import numpy as np


def read_protocol(corpus):
    rows = []
    with open(os.path.join(corpus, "protocol.tsv")) as f:
        next(f)
        for line in f:
            speaker, path, split = line.rstrip("\n").split("\t")
            rows.append((speaker, os.path.join(corpus, path), split))
    return rows


def embeddings(command, files, cache):
    if not os.path.exists(cache):
        start = time.time()
        with open(cache + ".part", "w") as out:
            # A file that gives no embedding is reported on standard error and left out.
            subprocess.run(command + files, stdout=out)
        os.replace(cache + ".part", cache)
        print(f"  {os.path.basename(cache)}: {len(files)} files in {time.time() - start:.1f} s", file=sys.stderr)
    result = {}
    with open(cache) as f:
        for line in f:
            o = json.loads(line)
            result[o["file"]] = np.array(o["embedding"])
    return result


def eer(target, nontarget):
    scores = np.concatenate([target, nontarget])
    labels = np.concatenate([np.ones(len(target)), np.zeros(len(nontarget))])
    order = np.argsort(-scores, kind="stable")
    labels = labels[order]
    miss = 1 - np.cumsum(labels) / len(target)
    fa = np.cumsum(1 - labels) / len(nontarget)
    i = np.argmin(np.abs(miss - fa))
    return (miss[i] + fa[i]) / 2


def evaluate(name, rows, emb):
    speakers = sorted({s for s, _, split in rows if split == "enroll"})
    models = {}
    for s in speakers:
        vs = [emb[p] for sp, p, split in rows if sp == s and split == "enroll" and p in emb]
        m = np.mean(vs, axis=0)
        models[s] = m / np.linalg.norm(m)
    matrix = np.array([models[s] for s in speakers])
    correct = total = 0
    target, nontarget = [], []
    missing = 0
    for s, p, split in rows:
        if split != "test":
            continue
        if p not in emb:
            missing += 1
            continue
        scores = matrix @ emb[p]
        total += 1
        correct += speakers[int(np.argmax(scores))] == s
        for j, m in enumerate(speakers):
            (target if m == s else nontarget).append(scores[j])
    print(f"{name:34} identification {correct / total:.3f} ({correct}/{total})  EER {100 * eer(np.array(target), np.array(nontarget)):.2f}%"
          + (f"  ({missing} test files without an embedding)" if missing else ""))


def main():
    speakerid, encoder, pt, corpus, work = sys.argv[1:6]
    peer = "--no-peer" not in sys.argv
    os.makedirs(work, exist_ok=True)
    rows = read_protocol(corpus)
    files = [p for _, p, split in rows if split in ("enroll", "test")]
    name = os.path.basename(os.path.normpath(corpus))
    here = os.path.dirname(os.path.abspath(__file__))
    swift = embeddings([speakerid, "encoder", "embed", "--encoder", encoder], files, os.path.join(work, f"{name}.speakerid.jsonl"))
    evaluate("SpeakerID encoder (Swift)", rows, swift)
    raw = embeddings([speakerid, "encoder", "embed", "--raw", "--encoder", encoder], files,
                     os.path.join(work, f"{name}.speakerid-raw.jsonl"))
    evaluate("SpeakerID encoder, no trimming", rows, raw)
    if peer:
        reference = embeddings([sys.executable, os.path.join(here, "..", "Encoder", "reference_encoder.py"), "embed", "--pt", pt],
                               files, os.path.join(work, f"{name}.resemblyzer.jsonl"))
        evaluate("resemblyzer pipeline (numpy)", rows, reference)


if __name__ == "__main__":
    main()
