#!/usr/bin/env python3
"""An independent reference for SpeakerID's speaker encoder: Resemblyzer 0.1.4's voice encoder
(GE2E, three LSTM layers of 256, linear 256 + ReLU) in numpy, with librosa's mel spectrogram and
webrtcvad's silence trimming exactly as resemblyzer's audio.py does them, and the weights read
from resemblyzer's own `pretrained.pt` without torch (a legacy torch.save file: pickles, then
raw storages).

It is the peer of the d-vector benchmarks (resemblyzer itself needs torch, which PyPI ships only
with CUDA) and the reference the Swift encoder is tested against: same weights, same waveform,
the embedding must agree.

    python3 reference_encoder.py embed --pt pretrained.pt [--raw] FILE...   # JSON lines
    python3 reference_encoder.py mel FILE                                     # the mel frames
    python3 reference_encoder.py slices [--wheel WHEEL] N...                  # window starts
    python3 reference_encoder.py mask FLAGS...                                # windows kept
--pt also takes resemblyzer's wheel (Resemblyzer-0.1.4-py3-none-any.whl) and reads the
pretrained.pt inside it. `slices` prints, for each sample count N, the starts (in frames) of the
windows `partial_slices` cuts (JSON lines); with --wheel, also those of resemblyzer's own
`VoiceEncoder.compute_partial_slices`, taken from the wheel's voice_encoder.py and run without
torch. `mask` prints, for each string of VAD flags (0 and 1, one per 30-ms window), the
windows silence trimming keeps (a string of 0 and 1).
Needs numpy, librosa, webrtcvad (pip: webrtcvad-wheels), soundfile (`slices`: numpy only;
`mask`: numpy and scipy; `embed --raw`: no webrtcvad).
"""
import argparse
import json
import pickle
import struct
import sys

import numpy as np

SAMPLING_RATE = 16000
PARTIAL_FRAMES = 160
HOP = 160
N_FFT = 400
N_MELS = 40


# ---- weights: a legacy torch.save file without torch -------------------------------------
class _Unpickler(pickle.Unpickler):
    def persistent_load(self, pid):
        # ('storage', storage_type, key, location, numel, view_metadata)
        return {"storage_key": pid[2], "numel": pid[4]}

    def find_class(self, module, name):
        if (module, name) == ("torch._utils", "_rebuild_tensor_v2"):
            def rebuild(storage, offset, size, stride, *rest):
                return {"storage": storage["storage_key"], "offset": offset, "size": size, "stride": stride}
            return rebuild
        if (module, name) == ("collections", "OrderedDict"):
            import collections
            return collections.OrderedDict
        if module == "torch" and name.endswith("Storage"):
            return name
        raise pickle.UnpicklingError(f"unexpected global {module}.{name}")


WHEEL_CHECKPOINT = "resemblyzer/pretrained.pt"


def open_checkpoint(path):
    """pretrained.pt, or the one inside resemblyzer's wheel (a zip)."""
    import zipfile
    if zipfile.is_zipfile(path):
        return zipfile.ZipFile(path).open(WHEEL_CHECKPOINT)
    return open(path, "rb")


def load_weights(path):
    with open_checkpoint(path) as f:
        magic = pickle.load(f)
        assert magic == 0x1950A86A20F9469CFC6C, "not a legacy torch file"
        pickle.load(f)  # protocol version
        pickle.load(f)  # sys info
        checkpoint = _Unpickler(f).load()
        keys = pickle.load(f)
        storages = {}
        for key in keys:
            (numel,) = struct.unpack("<q", f.read(8))
            storages[key] = np.frombuffer(f.read(4 * numel), dtype="<f4")
    weights = {}
    for name, t in checkpoint["model_state"].items():
        data = storages[t["storage"]]
        weights[name] = np.lib.stride_tricks.as_strided(
            data[t["offset"]:], shape=t["size"], strides=[4 * s for s in t["stride"]]).astype(np.float64)
    return weights


# ---- audio: resemblyzer's audio.py ------------------------------------------------------
def read_audio(path):
    import librosa
    wav, sr = librosa.load(path, sr=None)
    if sr != SAMPLING_RATE:
        wav = librosa.resample(wav, orig_sr=sr, target_sr=SAMPLING_RATE)
    return wav


def normalize_volume(wav, target_dbfs=-30):
    int16_max = 2 ** 15 - 1
    rms = np.sqrt(np.mean((wav * int16_max) ** 2))
    change = target_dbfs - 20 * np.log10(rms / int16_max)
    return wav if change < 0 else wav * (10 ** (change / 20))


def trim_long_silences(wav):
    import webrtcvad
    window = 30 * SAMPLING_RATE // 1000
    wav = wav[:len(wav) - len(wav) % window]
    pcm = struct.pack("%dh" % len(wav), *(np.round(wav * 32767)).astype(np.int16))
    vad = webrtcvad.Vad(mode=3)
    flags = np.array([vad.is_speech(pcm[s * 2:(s + window) * 2], sample_rate=SAMPLING_RATE)
                      for s in range(0, len(wav), window)])
    return wav[np.repeat(speech_mask(flags), window)]


def speech_mask(flags):
    """The 30-ms windows kept, from the VAD's flags: a moving average over 8 windows, rounded,
    then dilated by 3 windows each side (resemblyzer's trim_long_silences)."""
    from scipy.ndimage import binary_dilation
    flags = np.asarray(flags, dtype=float)
    width = 8
    padded = np.concatenate((np.zeros((width - 1) // 2), flags, np.zeros(width // 2)))
    ret = np.cumsum(padded, dtype=float)
    ret[width:] = ret[width:] - ret[:-width]
    mask = np.round(ret[width - 1:] / width).astype(bool)
    return binary_dilation(mask, np.ones(6 + 1))


def mel_frames(wav):
    import librosa
    return librosa.feature.melspectrogram(y=wav, sr=SAMPLING_RATE, n_fft=N_FFT, hop_length=HOP,
                                          n_mels=N_MELS).astype(np.float32).T


# ---- the network ------------------------------------------------------------------------
def sigmoid(x):
    return 1 / (1 + np.exp(-x))


def forward(weights, mels):
    """mels: (batch, frames, 40) -> embeddings (batch, 256), as VoiceEncoder.forward."""
    x = mels.astype(np.float64)
    for layer in range(3):
        w_ih, w_hh = weights[f"lstm.weight_ih_l{layer}"], weights[f"lstm.weight_hh_l{layer}"]
        b = weights[f"lstm.bias_ih_l{layer}"] + weights[f"lstm.bias_hh_l{layer}"]
        batch, frames, _ = x.shape
        hidden = w_hh.shape[1]
        h = np.zeros((batch, hidden)); c = np.zeros((batch, hidden))
        out = np.zeros((batch, frames, hidden))
        projected = x @ w_ih.T + b
        for t in range(frames):
            gates = projected[:, t] + h @ w_hh.T
            i, f, g, o = np.split(gates, 4, axis=1)   # torch's gate order: input, forget, cell, output
            c = sigmoid(f) * c + sigmoid(i) * np.tanh(g)
            h = sigmoid(o) * np.tanh(c)
            out[:, t] = h
        x = out
    raw = np.maximum(h @ weights["linear.weight"].T + weights["linear.bias"], 0)
    return raw / np.linalg.norm(raw, axis=1, keepdims=True)


def partial_slices(n_samples, rate=1.3, min_coverage=0.75):
    frames = int(np.ceil((n_samples + 1) / HOP))
    step = int(np.round((SAMPLING_RATE / rate) / HOP))
    starts = list(range(0, max(1, frames - PARTIAL_FRAMES + step + 1), step))
    last = starts[-1] * HOP
    coverage = (n_samples - last) / (PARTIAL_FRAMES * HOP)
    if coverage < min_coverage and len(starts) > 1:
        starts = starts[:-1]
    return starts


def resemblyzer_partial_slices(wheel):
    """resemblyzer's own VoiceEncoder.compute_partial_slices, read from the wheel's
    voice_encoder.py and hparams.py (the module itself imports torch)."""
    import ast
    import zipfile
    with zipfile.ZipFile(wheel) as z:
        source = z.read("resemblyzer/voice_encoder.py").decode()
        hparams = z.read("resemblyzer/hparams.py").decode()
    namespace = {"np": np}
    exec(compile(hparams, "hparams.py", "exec"), namespace)
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.FunctionDef) and node.name == "compute_partial_slices":
            node.decorator_list = []
            exec(compile(ast.Module(body=[node], type_ignores=[]), "voice_encoder.py", "exec"), namespace)
            function = namespace["compute_partial_slices"]
            return lambda n: [int(s.start) for s in function(n, rate=1.3, min_coverage=0.75)[1]]
    raise SystemExit(f"{wheel}: no compute_partial_slices in resemblyzer/voice_encoder.py")


def embed_utterance(weights, wav):
    starts = partial_slices(len(wav))
    needed = (starts[-1] + PARTIAL_FRAMES) * HOP
    if needed >= len(wav):
        wav = np.pad(wav, (0, needed - len(wav)), "constant")
    mel = mel_frames(wav)
    partials = forward(weights, np.array([mel[s:s + PARTIAL_FRAMES] for s in starts]))
    mean = partials.mean(axis=0)
    return mean / np.linalg.norm(mean), partials


def main():
    parser = argparse.ArgumentParser()
    sub = parser.add_subparsers(dest="command", required=True)
    e = sub.add_parser("embed")
    e.add_argument("--pt", required=True)
    e.add_argument("--raw", action="store_true",
                   help="no volume normalisation or silence trimming: the waveform as read (resampled to 16 kHz)")
    e.add_argument("--partials", action="store_true")
    e.add_argument("files", nargs="+")
    m = sub.add_parser("mel")
    m.add_argument("file")
    sl = sub.add_parser("slices")
    sl.add_argument("--wheel")
    sl.add_argument("counts", nargs="+", type=int)
    mk = sub.add_parser("mask")
    mk.add_argument("flags", nargs="+")
    args = parser.parse_args()
    if args.command == "mask":
        for f in args.flags:
            print("".join("1" if m else "0" for m in speech_mask([c == "1" for c in f])))
        return
    if args.command == "slices":
        theirs = resemblyzer_partial_slices(args.wheel) if args.wheel else None
        for n in args.counts:
            line = {"samples": n, "starts": partial_slices(n)}
            if theirs:
                line["resemblyzer"] = theirs(n)
            print(json.dumps(line))
        return
    if args.command == "mel":
        for row in mel_frames(read_audio(args.file)):
            print(" ".join(f"{v:.9g}" for v in row))
        return
    weights = load_weights(args.pt)
    for path in args.files:
        wav = read_audio(path)
        if not args.raw:
            wav = trim_long_silences(normalize_volume(wav))
        embedding, partials = embed_utterance(weights, wav)
        line = {"file": path, "embedding": [float(v) for v in embedding]}
        if args.partials:
            line["partials"] = [[float(v) for v in p] for p in partials]
        print(json.dumps(line))
        sys.stdout.flush()


if __name__ == "__main__":
    main()
