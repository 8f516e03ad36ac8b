// AudioWorklet: the microphone's audio (at the AudioContext's rate) averaged down to `rate` Hz
// (16 kHz by default; each output sample is the mean of the input samples it covers, a box
// low-pass before decimation), as 16-bit PCM frames of 20 ms posted to the page, which sends
// them over the WebSocket (GET /v1/stream?rate=16000) or keeps them for an enrolment.
class PCMDownsampler extends AudioWorkletProcessor {
  constructor(options) {
    super();
    const wanted = (options && options.processorOptions && options.processorOptions.rate) || 16000;
    this.rate = Math.min(wanted, sampleRate);
    this.step = sampleRate / this.rate;
    this.sum = 0;
    this.count = 0;
    this.position = 0;
    this.frameLength = Math.round(this.rate / 50);
    this.frame = new Int16Array(this.frameLength);
    this.filled = 0;
  }

  process(inputs) {
    const input = inputs[0];
    if (input && input.length > 0) {
      const left = input[0];
      const right = input.length > 1 ? input[1] : null;
      for (let i = 0; i < left.length; i++) {
        this.sum += right ? (left[i] + right[i]) / 2 : left[i];
        this.count += 1;
        this.position += 1;
        if (this.position >= this.step) {
          this.position -= this.step;
          const y = Math.max(-1, Math.min(1, this.sum / this.count));
          this.sum = 0;
          this.count = 0;
          this.frame[this.filled++] = y < 0 ? Math.round(y * 32768) : Math.round(y * 32767);
          if (this.filled === this.frameLength) {
            this.port.postMessage(this.frame.buffer, [this.frame.buffer]);
            this.frame = new Int16Array(this.frameLength);
            this.filled = 0;
          }
        }
      }
    }
    return true;
  }
}

registerProcessor('pcm-downsampler', PCMDownsampler);
