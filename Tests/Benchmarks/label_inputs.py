#!/usr/bin/env python3
"""Inputs for the labelling benchmark (issue #26): from each reference RTTM of a conversation
folder, an anonymous diarization (each recording's speakers renamed SPEAKER_00, SPEAKER_01, ...
in the order they first speak, so a perfect diarization without names) and a WebVTT transcript
with one cue per turn and no speakers (a perfect transcript's timing).
Usage: label_inputs.py CONVERSATIONS OUT  (writes OUT/<rec>.rttm and OUT/<rec>.vtt)"""
import os
import sys

conv, out = sys.argv[1], sys.argv[2]
os.makedirs(out, exist_ok=True)


def clock(t):
    ms = int(round(t * 1000))
    return "%02d:%02d:%02d.%03d" % (ms // 3600000, ms // 60000 % 60, ms // 1000 % 60, ms % 1000)


for name in sorted(os.listdir(conv)):
    if not name.endswith(".rttm"):
        continue
    rec = name[:-5]
    turns = []
    for line in open(os.path.join(conv, name)):
        f = line.split()
        if f and f[0] == "SPEAKER":
            turns.append((float(f[3]), float(f[4]), f[7]))
    turns.sort()
    anon = {}
    with open(os.path.join(out, rec + ".rttm"), "w") as r:
        for start, dur, who in turns:
            anon.setdefault(who, "SPEAKER_%02d" % len(anon))
            r.write("SPEAKER %s 1 %.6f %.6f <NA> <NA> %s <NA> <NA>\n" % (rec, start, dur, anon[who]))
    with open(os.path.join(out, rec + ".vtt"), "w") as v:
        v.write("WEBVTT\n")
        for start, dur, _ in turns:
            v.write("\n%s --> %s\nturn\n" % (clock(start), clock(start + dur)))
