// The SpeakerID page: speakers (list, rename, remove, enrol from a file or the microphone),
// identify a recording, and a live view of who is speaking now (the microphone through an
// AudioWorklet, 16-kHz 16-bit PCM over the WebSocket /v1/stream). Plain JavaScript, no build.
'use strict';

const $ = (id) => document.getElementById(id);
const KEY_STORE = 'speakerid-key';
const state = { key: sessionStorage.getItem(KEY_STORE) || '', live: null, recorder: null, recorded: null };

// For tests and the curious: when the live view started, sent its first audio, and when it
// first named each speaker.
window.liveStats = { startedAt: null, openedAt: null, firstFrameAt: null, named: {}, windows: 0, segments: 0, error: null };

function say(text, isError) {
  const s = $('status');
  s.textContent = text;
  s.className = isError ? 'error' : '';
}

function showKeyForm(message) {
  $('key-section').hidden = false;
  if (message) say(message, true);
  $('key-input').focus();
}

async function api(method, path, body, contentType) {
  const headers = {};
  if (state.key) headers['Authorization'] = 'Bearer ' + state.key;
  if (contentType) headers['Content-Type'] = contentType;
  const response = await fetch(path, { method, headers, body });
  let data = null;
  try { data = await response.json(); } catch (e) { data = null; }
  if (response.status === 401) showKeyForm(data && data.error);
  if (!response.ok) throw new Error((data && data.error) || ('the server answered ' + response.status));
  return data;
}

const percent = (p) => (100 * p >= 99.5 && p < 1 ? '>99' : 100 * p < 0.5 && p > 0 ? '<1' : Math.round(100 * p)) + ' %';
const seconds = (s) => (s == null ? '?' : s.toFixed(1) + ' s');
const path = (name) => encodeURIComponent(name);

// ---- speakers ----

async function loadSpeakers() {
  let data;
  try { data = await api('GET', '/v1/speakers'); } catch (e) { say('Speakers: ' + e.message, true); return; }
  const list = $('speakers');
  list.replaceChildren();
  $('speakers-empty').hidden = data.speakers.length > 0;
  for (const s of data.speakers) list.appendChild(speakerItem(s));
}

function button(text, onClick, label) {
  const b = document.createElement('button');
  b.type = 'button';
  b.textContent = text;
  if (label) b.setAttribute('aria-label', label);
  b.addEventListener('click', onClick);
  return b;
}

function speakerItem(s) {
  const li = document.createElement('li');
  const name = document.createElement('span');
  name.className = 'name';
  name.textContent = s.speaker;
  const meta = document.createElement('span');
  meta.className = 'meta';
  meta.textContent = `${seconds(s.speech_seconds)} of speech, ${s.files} recording${s.files === 1 ? '' : 's'}`;
  const rename = button('Rename', () => startRename(li, s.speaker), 'Rename ' + s.speaker);
  const remove = button('Remove', () => removeSpeaker(s.speaker), 'Remove ' + s.speaker);
  li.append(name, rename, remove, meta);
  return li;
}

function startRename(li, old) {
  const form = document.createElement('form');
  form.className = 'row';
  const id = 'rename-' + Math.random().toString(36).slice(2);
  const label = document.createElement('label');
  label.htmlFor = id;
  label.textContent = 'New name for ' + old;
  const input = document.createElement('input');
  input.id = id;
  input.type = 'text';
  input.value = old;
  input.required = true;
  const save = document.createElement('button');
  save.type = 'submit';
  save.textContent = 'Save';
  const cancel = button('Cancel', () => loadSpeakers());
  form.append(label, input, save, cancel);
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    try {
      await api('PATCH', '/v1/speakers/' + path(old), JSON.stringify({ name: input.value }), 'application/json');
      say(`Renamed ${old} to ${input.value}.`);
    } catch (e) { say('Rename: ' + e.message, true); }
    await loadSpeakers();
  });
  li.replaceChildren(form);
  input.focus();
  input.select();
}

async function removeSpeaker(name) {
  if (!window.confirm(`Remove ${name}? Their model is deleted.`)) return;
  try {
    await api('DELETE', '/v1/speakers/' + path(name));
    say(`Removed ${name}.`);
  } catch (e) { say('Remove: ' + e.message, true); }
  await loadSpeakers();
  $('speakers-refresh').focus();
}

// ---- the microphone: an AudioWorklet making 16-bit PCM frames ----

async function openMicrophone(onFrame) {
  const stream = await navigator.mediaDevices.getUserMedia({
    audio: { channelCount: 1, echoCancellation: false, noiseSuppression: false, autoGainControl: false },
  });
  const context = new AudioContext();
  await context.audioWorklet.addModule('worklet.js');
  const rate = Math.min(16000, context.sampleRate);
  const source = context.createMediaStreamSource(stream);
  const node = new AudioWorkletNode(context, 'pcm-downsampler', { processorOptions: { rate } });
  // Through a silent gain to the output, so the graph pulls the worklet in every browser.
  const silent = context.createGain();
  silent.gain.value = 0;
  node.port.onmessage = (event) => onFrame(event.data);
  source.connect(node).connect(silent).connect(context.destination);
  await context.resume();
  return {
    rate,
    close() {
      node.port.onmessage = null;
      source.disconnect();
      stream.getTracks().forEach((t) => t.stop());
      context.close();
    },
  };
}

function wav(frames, rate) {
  const samples = frames.reduce((n, f) => n + f.byteLength / 2, 0);
  const buffer = new ArrayBuffer(44 + samples * 2);
  const v = new DataView(buffer);
  const text = (o, s) => { for (let i = 0; i < s.length; i++) v.setUint8(o + i, s.charCodeAt(i)); };
  text(0, 'RIFF'); v.setUint32(4, 36 + samples * 2, true); text(8, 'WAVE');
  text(12, 'fmt '); v.setUint32(16, 16, true); v.setUint16(20, 1, true); v.setUint16(22, 1, true);
  v.setUint32(24, rate, true); v.setUint32(28, rate * 2, true); v.setUint16(32, 2, true); v.setUint16(34, 16, true);
  text(36, 'data'); v.setUint32(40, samples * 2, true);
  let o = 44;
  for (const f of frames) { new Uint8Array(buffer, o, f.byteLength).set(new Uint8Array(f)); o += f.byteLength; }
  return new Blob([buffer], { type: 'audio/wav' });
}

// ---- enrolment ----

async function startRecording() {
  const frames = [];
  try {
    state.recorder = await openMicrophone((f) => frames.push(f));
  } catch (e) { say('Microphone: ' + e.message, true); return; }
  state.recorder.frames = frames;
  state.recorded = null;
  $('record-start').disabled = true;
  $('record-stop').disabled = false;
  $('record-stop').focus();
  $('record-status').textContent = 'Recording… speak for 10 s or more.';
}

function stopRecording() {
  const r = state.recorder;
  if (!r) return;
  r.close();
  state.recorder = null;
  state.recorded = wav(r.frames, r.rate);
  const secs = r.frames.reduce((n, f) => n + f.byteLength / 2, 0) / r.rate;
  $('record-status').textContent = `Recorded ${secs.toFixed(1)} s: press Enrol.`;
  $('record-start').disabled = false;
  $('record-stop').disabled = true;
  $('record-start').focus();
}

async function enrol(event) {
  event.preventDefault();
  const name = $('enrol-name').value.trim();
  const file = $('enrol-file').files[0];
  const audio = file || state.recorded;
  if (!audio) { say('Enrol: choose a recording or record one from the microphone first.', true); return; }
  say(`Enrolling ${name}…`);
  try {
    const r = await api('POST', '/v1/speakers/' + path(name) + '/audio', audio, audio.type || 'application/octet-stream');
    say(`${r.created ? 'Enrolled' : 'Added audio to'} ${r.speaker}: ${seconds(r.speech_seconds)} of speech.`);
    $('enrol-form').reset();
    state.recorded = null;
    $('record-status').textContent = '';
  } catch (e) { say('Enrol: ' + e.message, true); }
  await loadSpeakers();
}

// ---- identification ----

async function identify(event) {
  event.preventDefault();
  const file = $('identify-file').files[0];
  if (!file) return;
  const out = $('identify-result');
  out.textContent = 'Identifying…';
  try {
    const r = await api('POST', '/v1/identify?file=' + encodeURIComponent(file.name), file, file.type || 'application/octet-stream');
    out.replaceChildren();
    const p = document.createElement('p');
    const who = r.speaker ? r.speaker : 'unknown';
    p.innerHTML = '';
    const strong = document.createElement('strong');
    strong.textContent = who;
    p.append(strong, ' — ' + describe(r.speaker, r.posterior, r.decision));
    out.appendChild(p);
    if (r.ranking && r.ranking.length) out.appendChild(rankingTable(r.ranking));
  } catch (e) { out.textContent = 'Identify: ' + e.message; out.className = 'error'; return; }
  out.className = '';
}

function describe(speaker, posterior, decision) {
  if (decision === 'too_short') return 'too little speech to decide';
  if (posterior != null) {
    return speaker ? `${percent(posterior)} sure it is ${speaker}` : `not an enrolled voice (the best match is ${percent(posterior)} likely)`;
  }
  return speaker ? 'named without a calibration (no confidence figure)' : 'not an enrolled voice';
}

function rankingTable(ranking) {
  const table = document.createElement('table');
  const head = table.createTHead().insertRow();
  for (const h of ['Speaker', 'Confidence', 'Score']) { const th = document.createElement('th'); th.textContent = h; head.appendChild(th); }
  const body = table.createTBody();
  for (const r of ranking) {
    const row = body.insertRow();
    row.insertCell().textContent = r.speaker;
    row.insertCell().textContent = r.posterior != null ? percent(r.posterior) : '—';
    row.insertCell().textContent = r.score != null ? r.score.toFixed(3) : '—';
  }
  return table;
}

// ---- live view ----

function showLive(event) {
  const name = $('live-name');
  const confidence = $('live-confidence');
  if (event.label == null) {
    name.textContent = '—';
    name.className = 'live-name';
    confidence.textContent = 'no speech';
    return;
  }
  const named = event.speaker != null;
  name.textContent = named ? event.speaker : 'unknown';
  name.className = 'live-name ' + (named ? 'named' : 'unknown');
  const figure = describe(event.speaker, event.posterior, event.decision);
  confidence.textContent = `${figure} · ${seconds(event.speech_seconds)} of speech · latency ${seconds(event.latency_seconds)}`;
  if (named && window.liveStats.named[event.speaker] == null) window.liveStats.named[event.speaker] = performance.now();
}

function addSegment(event) {
  const li = document.createElement('li');
  const who = event.speaker != null ? event.speaker : event.label;
  const p = event.posterior != null ? ` (${percent(event.posterior)})` : '';
  li.textContent = `${event.start_seconds.toFixed(1)}–${event.end_seconds.toFixed(1)} s: ${who}${p}`;
  $('segments').prepend(li);
}

async function startLive() {
  $('live-start').disabled = true;
  window.liveStats.startedAt = performance.now();
  const pending = [];
  let socket = null;
  let mic;
  try {
    mic = await openMicrophone((frame) => {
      if (window.liveStats.firstFrameAt == null) window.liveStats.firstFrameAt = performance.now();
      if (socket && socket.readyState === WebSocket.OPEN) socket.send(frame); else pending.push(frame);
    });
  } catch (e) {
    say('Microphone: ' + e.message, true);
    $('live-start').disabled = false;
    return;
  }
  const scheme = location.protocol === 'https:' ? 'wss' : 'ws';
  let url = `${scheme}://${location.host}/v1/stream?rate=${mic.rate}`;
  if (state.key) url += '&key=' + encodeURIComponent(state.key);
  socket = new WebSocket(url);
  socket.binaryType = 'arraybuffer';
  state.live = { mic, socket };
  socket.onopen = () => {
    window.liveStats.openedAt = performance.now();
    for (const f of pending.splice(0)) socket.send(f);
    say('Listening.');
  };
  socket.onmessage = (message) => {
    let event;
    try { event = JSON.parse(message.data); } catch (e) { return; }
    if (event.error) { window.liveStats.error = event.error; say('Live view: ' + event.error, true); return; }
    if (event.event === 'window') { window.liveStats.windows += 1; showLive(event); }
    if (event.event === 'segment') { window.liveStats.segments += 1; addSegment(event); }
  };
  socket.onclose = (close) => {
    if (close.code !== 1000 && close.code !== 1005) say(`Live view closed: ${close.reason || 'the connection ended (code ' + close.code + ')'}.`, true);
    stopLive();
  };
  $('live-stop').disabled = false;
  $('live-stop').focus();
}

function stopLive() {
  const live = state.live;
  state.live = null;
  if (live) {
    live.mic.close();
    if (live.socket.readyState === WebSocket.OPEN) live.socket.close(1000);
  }
  $('live-start').disabled = false;
  $('live-stop').disabled = true;
}

// ---- start ----

document.addEventListener('DOMContentLoaded', () => {
  $('key-form').addEventListener('submit', (event) => {
    event.preventDefault();
    state.key = $('key-input').value.trim();
    sessionStorage.setItem(KEY_STORE, state.key);
    $('key-section').hidden = true;
    say('Key set.');
    loadSpeakers();
  });
  $('speakers-refresh').addEventListener('click', loadSpeakers);
  $('record-start').addEventListener('click', startRecording);
  $('record-stop').addEventListener('click', stopRecording);
  $('enrol-form').addEventListener('submit', enrol);
  $('identify-form').addEventListener('submit', identify);
  $('live-start').addEventListener('click', startLive);
  $('live-stop').addEventListener('click', stopLive);
  loadSpeakers();
});
