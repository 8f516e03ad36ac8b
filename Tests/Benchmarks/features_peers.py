#!/usr/bin/env python3
"""Peers of `speakerid-dev bench features`: librosa and python_speech_features on the same WAV files,
single-threaded, with the same analysis (16 kHz: 20 ms Hamming window, 10 ms hop, 512-point FFT,
24 mel filters, 20 cepstra after c0, pre-emphasis 0.97) plus deltas, timed on audio already
decoded (as SpeakerID's "decoded" figure). Prints one JSON line per peer with realtime_factor.

    python3 Tests/Benchmarks/features_peers.py AUDIO_DIR [--repeats 3]
"""
import argparse, glob, json, os, time

import numpy as np
import soundfile as sf


def best_time(fn, repeats):
    best = float("inf")
    for _ in range(repeats):
        t = time.perf_counter(); fn(); best = min(best, time.perf_counter() - t)
    return best


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("audio_dir")
    ap.add_argument("--repeats", type=int, default=3)
    a = ap.parse_args()
    clips = [sf.read(p, dtype="float32")[0] for p in sorted(glob.glob(os.path.join(a.audio_dir, "*.wav")))]
    rate = sf.info(sorted(glob.glob(os.path.join(a.audio_dir, "*.wav")))[0]).samplerate
    seconds = sum(len(c) for c in clips) / rate
    n = int(0.02 * rate); h = int(0.01 * rate); nfft = 1 << (n - 1).bit_length()

    import librosa
    def run_librosa():
        for c in clips:
            y = librosa.effects.preemphasis(c, coef=0.97)
            m = librosa.feature.mfcc(y=y, sr=rate, n_mfcc=21, n_fft=nfft, hop_length=h, win_length=n,
                                     window="hamming", n_mels=24, center=False, htk=True)[1:]
            librosa.feature.delta(m, width=5)

    from python_speech_features import mfcc, delta
    def run_psf():
        for c in clips:
            m = mfcc(c, samplerate=rate, winlen=0.02, winstep=0.01, numcep=21, nfilt=24, nfft=nfft,
                     preemph=0.97, ceplifter=0, appendEnergy=False, winfunc=np.hamming)[:, 1:]
            delta(m, 2)

    run_librosa(); run_psf()  # warm up (imports, caches)
    for name, fn in [("librosa.feature.mfcc", run_librosa), ("python_speech_features.mfcc", run_psf)]:
        t = best_time(fn, a.repeats)
        print(json.dumps({"peer": name, "audio_seconds": seconds, "seconds": t, "realtime_factor": seconds / t, "threads": 1}))


if __name__ == "__main__":
    main()
