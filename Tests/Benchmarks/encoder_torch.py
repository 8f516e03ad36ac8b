#!/usr/bin/env python3
"""The peer of `speakerid-dev bench encoder`: resemblyzer 0.1.4's VoiceEncoder on torch, one
thread, embedding clips of seeded noise already preprocessed (`embed_utterance`: librosa's mel
spectrogram, then the network on all of a clip's windows at once), the fastest of --repeats.
Prints one JSON line per clip length with the keys the Swift benchmark prints.

    python3 encoder_torch.py [--clip-seconds 2,10] [--seconds 60] [--repeats 3] [--seed 1]

Needs torch and resemblyzer==0.1.4 (Tests/Benchmarks/encoder_speed.sh makes a virtual
environment with both).
"""
import argparse
import json
import math
import time

import numpy as np
import torch

torch.set_num_threads(1)
torch.set_num_interop_threads(1)
from resemblyzer import VoiceEncoder  # noqa: E402  (after the thread settings)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--clip-seconds", default="2,10")
    ap.add_argument("--seconds", type=float, default=60)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--seed", type=int, default=1)
    a = ap.parse_args()
    enc = VoiceEncoder("cpu", verbose=False)
    lstm = enc.lstm
    hidden = lstm.hidden_size
    flops = sum(2 * 4 * hidden * (getattr(lstm, f"weight_ih_l{k}").shape[1] + hidden) * 160 for k in range(lstm.num_layers))
    flops += 2 * enc.linear.in_features * enc.linear.out_features
    rng = np.random.default_rng(a.seed)
    for length in [float(x) for x in a.clip_seconds.split(",")]:
        n = int(length * 16000)
        count = max(1, math.ceil(a.seconds / length))
        clips = [(rng.standard_normal(n) * 0.1).astype(np.float32) for _ in range(count)]
        windows = count * len(enc.compute_partial_slices(n, 1.3, 0.75)[1])
        enc.embed_utterance(clips[0])  # warm-up
        best = math.inf
        for _ in range(a.repeats):
            t0 = time.perf_counter()
            for clip in clips:
                enc.embed_utterance(clip)
            best = min(best, time.perf_counter() - t0)
        audio = count * n / 16000
        print(json.dumps({
            "benchmark": "encoder_torch", "threads": torch.get_num_threads(), "torch_version": torch.__version__,
            "torch_cpu_capability": torch.backends.cpu.get_cpu_capability(), "clip_seconds": length, "clips": count,
            "windows": windows, "audio_seconds": audio, "seconds": best, "real_time_factor": audio / best,
            "ms_per_audio_second": best / audio * 1000, "gflops": windows * flops / best / 1e9,
        }, sort_keys=True), flush=True)


if __name__ == "__main__":
    main()
