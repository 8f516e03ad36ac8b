#!/usr/bin/env python3
"""Independent reference for SpeakerID's MFCC front end (numpy/scipy only, float64).

Writes, next to this script:
  fixtures/*.wav   synthetic test signals (32-bit float WAV, read bit-exactly by libsndfile)
  golden.json      for each case: the fixture, the front-end options, and the expected
                   speech frames after normalisation.

The definition implemented here is the one documented in Sources/SpeakerID/Features:
frames of round(rate*len_ms/1000) samples every round(rate*shift_ms/1000) (no padding); per
frame: remove the mean, energy = sum of squares, pre-emphasis within the frame (first sample
against itself), Hamming window (0.54 - 0.46 cos(2 pi n/(L-1))), zero-pad to the next power
of two, |rfft|^2, HTK-mel triangular filters evaluated at each bin's mel value, log with a
floor, orthonormal DCT-II, optional lifter, optional c0/log-energy, regression deltas over
+-W frames with edge repetition (delta-deltas = deltas of deltas), energy VAD (frames whose
mean power in dBFS is within T dB of the loudest and above the floor), then CMN, CMVN or
feature warping over the kept frames.

Run: python3 Tests/SpeakerIDTests/Golden/make_golden.py   (rewrites the files; commit them)
"""
import json, os
import numpy as np
from scipy.io import wavfile
from scipy.stats import norm

HERE = os.path.dirname(os.path.abspath(__file__))


def mel(f): return 2595.0 * np.log10(1.0 + f / 700.0)


def default_options(rate=16000):
    return {"framing": {"sampleRate": rate, "frameLengthMs": 20.0, "frameShiftMs": 10.0,
                        "preEmphasis": 0.97, "removeDCOffset": True},
            "filterbank": {"filters": 24, "lowFrequency": 20.0, "highFrequency": 0.0, "logFloor": 1e-10},
            "cepstral": {"coefficients": 20, "energy": "c0", "lifter": 0.0},
            "deltas": {"order": 2, "window": 2},
            "vad": {"enabled": True, "thresholdDB": 40.0, "floorDB": -90.0},
            "normalization": {"mode": "mean", "warpWindowSeconds": 3.0},
            "resampleQuality": "medium"}


def front_end(x, o):
    fr, fb, cp = o["framing"], o["filterbank"], o["cepstral"]
    rate = fr["sampleRate"]
    L = int(round(rate * fr["frameLengthMs"] / 1000)); H = int(round(rate * fr["frameShiftMs"] / 1000))
    nfft = 1
    while nfft < L: nfft *= 2
    T = (len(x) - L) // H + 1
    frames = np.stack([x[t * H: t * H + L] for t in range(T)]).astype(np.float64)
    if fr["removeDCOffset"]:
        frames = frames - frames.mean(axis=1, keepdims=True)
    energy = (frames ** 2).sum(axis=1)
    pre = fr["preEmphasis"]
    prev = np.concatenate([frames[:, :1], frames[:, :-1]], axis=1)
    y = (frames - pre * prev) * (0.54 - 0.46 * np.cos(2 * np.pi * np.arange(L) / (L - 1)))
    power = np.abs(np.fft.rfft(y, n=nfft, axis=1)) ** 2
    high = fb["highFrequency"] if fb["highFrequency"] > 0 else rate / 2
    M = fb["filters"]
    ml, mh = mel(fb["lowFrequency"]), mel(high)
    step = (mh - ml) / (M + 1)
    binmel = mel(np.arange(nfft // 2 + 1) * rate / nfft)
    W = np.zeros((M, nfft // 2 + 1))
    for m in range(M):
        left, centre, right = ml + m * step, ml + (m + 1) * step, ml + (m + 2) * step
        up = (binmel - left) / (centre - left); down = (right - binmel) / (right - centre)
        w = np.where(binmel <= centre, up, down)
        W[m] = np.where((binmel > left) & (binmel < right), w, 0.0)
    logmel = np.log(np.maximum(power @ W.T, fb["logFloor"]))
    N = cp["coefficients"]
    first = 0 if cp["energy"] == "c0" else 1
    k = np.arange(first, N + 1)[:, None]; m = np.arange(M)[None, :]
    dct = np.sqrt(2.0 / M) * np.cos(np.pi * k * (m + 0.5) / M)
    if first == 0: dct[0] *= np.sqrt(0.5)
    ceps = logmel @ dct.T
    Q = cp["lifter"]
    if Q > 0: ceps = ceps * (1 + Q / 2 * np.sin(np.pi * np.arange(first, N + 1) / Q))
    if cp["energy"] == "log-energy":
        ceps = np.hstack([np.log(np.maximum(energy, fb["logFloor"]))[:, None], ceps])
    feats = [ceps]
    Wd = o["deltas"]["window"]
    for _ in range(o["deltas"]["order"]):
        c = feats[-1]; d = np.zeros_like(c)
        for n in range(1, Wd + 1):
            d += n * (c[np.minimum(np.arange(T) + n, T - 1)] - c[np.maximum(np.arange(T) - n, 0)])
        feats.append(d / (2 * sum(n * n for n in range(1, Wd + 1))))
    f = np.hstack(feats)
    with np.errstate(divide="ignore"):
        db = 10 * np.log10(energy / L)
    v = o["vad"]
    if v["enabled"]:
        keep = db >= max(db[np.isfinite(db)].max() - v["thresholdDB"], v["floorDB"])
        f = f[keep]
    mode = o["normalization"]["mode"]
    if mode in ("mean", "mean-variance"):
        f = f - f.mean(axis=0)
        if mode == "mean-variance":
            sd = f.std(axis=0); f = f / np.where(sd > 1e-10, sd, 1)
    elif mode == "warp":
        Nw = min(int(round(o["normalization"]["warpWindowSeconds"] * 1000 / fr["frameShiftMs"])), len(f))
        out = np.zeros_like(f)
        for t in range(len(f)):
            s = min(max(0, t - Nw // 2), len(f) - Nw)
            win = f[s:s + Nw]
            below = (win < f[t]).sum(axis=0); equal = (win == f[t]).sum(axis=0)
            out[t] = norm.ppf((below + (equal + 1) / 2 - 0.5) / Nw)
        f = out
    return f


def signal(rate, seconds, seed, f0=140.0):
    rng = np.random.default_rng(seed)
    t = np.arange(int(rate * seconds)) / rate
    env = 0.5 * (1 - np.cos(2 * np.pi * 3 * t)) * (t < seconds * 0.8)  # speech-like bursts, a silent tail
    harm = sum(np.sin(2 * np.pi * h * f0 * (1 + 0.1 * t) * t) / h for h in range(1, 20) if h * f0 < rate / 2 - 200)
    x = 0.2 * env * harm + 0.01 * rng.standard_normal(len(t)) * (t < seconds * 0.8) + 0.0005 * rng.standard_normal(len(t))
    return x.astype(np.float32)


def main():
    os.makedirs(os.path.join(HERE, "fixtures"), exist_ok=True)
    fixtures = {"tone16k.wav": (16000, signal(16000, 0.6, 1)), "voice8k.wav": (8000, signal(8000, 0.6, 2, f0=210.0))}
    for name, (rate, x) in fixtures.items():
        wavfile.write(os.path.join(HERE, "fixtures", name), rate, x)
    cases = []

    def case(name, fixture, **changes):
        rate = fixtures[fixture][0]
        o = default_options(rate)
        for path, value in changes.items():
            a, b = path.split("__")
            o[a][b] = value
        x = fixtures[fixture][1].astype(np.float64)
        f = front_end(x, o)
        cases.append({"name": name, "fixture": fixture, "options": o, "rows": int(f.shape[0]),
                      "columns": int(f.shape[1]), "frames": [float("%.9g" % v) for v in f.ravel()]})

    case("default-16k", "tone16k.wav")
    case("no-energy-lifter-deltas1-vad30", "tone16k.wav", cepstral__energy="none", cepstral__lifter=22.0, deltas__order=1, vad__thresholdDB=30.0)
    case("log-energy-no-deltas-40-filters", "tone16k.wav", cepstral__energy="log-energy", deltas__order=0, filterbank__filters=40)
    case("telephone-band-8k", "voice8k.wav", filterbank__lowFrequency=300.0, filterbank__highFrequency=3400.0, cepstral__coefficients=12, filterbank__filters=20)
    case("mean-variance", "voice8k.wav", normalization__mode="mean-variance")
    case("warp-0.3s", "tone16k.wav", normalization__mode="warp", normalization__warpWindowSeconds=0.3)
    case("no-vad-no-norm-25ms", "tone16k.wav", vad__enabled=False, normalization__mode="none", framing__frameLengthMs=25.0)
    with open(os.path.join(HERE, "golden.json"), "w") as fh:
        json.dump({"generator": "make_golden.py", "cases": cases}, fh, separators=(",", ":"))


if __name__ == "__main__":
    main()
