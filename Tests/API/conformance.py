"""The answers schemathesis cannot reach: its generated bodies are never audio, so every
2xx answer of an audio route is checked here instead. Real recordings (a corpus of synthetic
voices) go to every route: enrol (new and added), list, identify, verify, track (short and as a
job), rename, remove; each answer is validated (jsonschema, Draft 2020-12 as OpenAPI 3.1) against
the schema the server's own OpenAPI document gives for that route and status.
    python3 Tests/API/conformance.py URL KEY CORPUS
"""
import io
import json
import os
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
import wave

import jsonschema
from referencing import Registry
from referencing.jsonschema import DRAFT202012

url, key, corpus = sys.argv[1], sys.argv[2], sys.argv[3]
doc = json.load(urllib.request.urlopen(url + "/openapi.json"))
registry = Registry().with_resource("urn:openapi", DRAFT202012.create_resource(doc))
checked = []


def call(method, path, body=None, content="audio/wav"):
    request = urllib.request.Request(url + path, data=body, method=method, headers={"Authorization": "Bearer " + key})
    if body is not None:
        request.add_header("Content-Type", content)
    try:
        with urllib.request.urlopen(request, timeout=120) as r:
            return r.status, r.read()
    except urllib.error.HTTPError as e:
        return e.code, e.read()


def check(method, template, path, status, text, expect):
    if status != expect:
        sys.exit(f"{method} {path}: {status} (expected {expect}): {text[:300]!r}")
    response = doc["paths"][template][method.lower()]["responses"][str(status)]
    schema = response["content"]["application/json"]["schema"]
    body = json.loads(text)
    validator = jsonschema.Draft202012Validator({"$ref": "urn:openapi#" + schema["$ref"][1:]} if "$ref" in schema else schema, registry=registry)
    errors = sorted(validator.iter_errors(body), key=lambda e: list(e.path))
    if errors:
        sys.exit(f"{method} {path} {status}: the answer does not match the OpenAPI schema: " + "; ".join(f"{list(e.path)}: {e.message}" for e in errors[:5]))
    checked.append(f"{method} {template} {status}")
    return body


voices = sorted(os.listdir(corpus))
clip = lambda v, k: open(os.path.join(corpus, v, f"{k}.wav"), "rb").read()
q = urllib.parse.quote
# A new speaker (a name that needs percent-encoding), then audio added to them.
new = "Ana María / 2"
s, t = call("POST", f"/v1/speakers/{q(new, safe='')}/audio", clip(voices[0], 1))
check("POST", "/v1/speakers/{name}/audio", "new", s, t, 201)
s, t = call("POST", f"/v1/speakers/{q(new, safe='')}/audio", clip(voices[0], 2))
check("POST", "/v1/speakers/{name}/audio", "add", s, t, 200)
s, t = call("GET", "/v1/speakers")
listed = check("GET", "/v1/speakers", "/v1/speakers", s, t, 200)
assert new in [x["speaker"] for x in listed["speakers"]], listed
for v in voices[:2]:
    s, t = call("POST", "/v1/identify?file=" + q(v), clip(v, 3))
    check("POST", "/v1/identify", "/v1/identify", s, t, 200)
    s, t = call("POST", f"/v1/verify?speaker={q(voices[1])}", clip(v, 3))
    check("POST", "/v1/verify", "/v1/verify", s, t, 200)
# Conversations of two voices: 8 s, answered at once; 16 s, longer than the stage's
# --track-job-seconds (10), a job followed to its end.
def conversation(turns):
    frames, rate = b"", 16000
    for v in turns:
        with wave.open(io.BytesIO(clip(v, 3))) as w:
            rate = w.getframerate()
            frames += w.readframes(w.getnframes())
    out = io.BytesIO()
    with wave.open(out, "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes(frames)
    return out.getvalue()


s, t = call("POST", "/v1/track?file=short.wav", conversation(voices[:2]))
check("POST", "/v1/track", "/v1/track", s, t, 200)
s, t = call("POST", "/v1/track?file=long.wav", conversation(voices[:2] * 2))
job = check("POST", "/v1/track", "/v1/track", s, t, 202)
for _ in range(1200):
    s, t = call("GET", f"/v1/jobs/{job['id']}")
    state = check("GET", "/v1/jobs/{id}", "/v1/jobs/{id}", s, t, 200)
    if state["state"] in ("done", "failed"):
        break
    time.sleep(0.1)
assert state["state"] == "done", state
s, t = call("PATCH", f"/v1/speakers/{q(new, safe='')}", json.dumps({"name": "ana"}).encode(), "application/json")
check("PATCH", "/v1/speakers/{name}", "rename", s, t, 200)
s, t = call("DELETE", "/v1/speakers/ana")
check("DELETE", "/v1/speakers/{name}", "remove", s, t, 200)
print(f"conformance: {len(checked)} answers match the OpenAPI document ({', '.join(sorted(set(checked)))})")
