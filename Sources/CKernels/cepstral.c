// The per-frame arithmetic of the MFCC front end (CepstralAnalyzer): DC removal and energy,
// pre-emphasis and window into the FFT input, then, after FFTW has transformed a batch of
// frames, power spectrum, mel filterbank, log, DCT-II and lifter.
//
// Plain C loops compiled three times with target_clones (AVX-512, AVX2+FMA, baseline), without
// contraction, as ckernels.c. Every sum is written out with its order fixed (lane partial sums
// combined in a stated order), so the compiler may only vectorise, never reassociate: every
// clone computes the same operations on the same values and gives the same bits. The order is
// the one the Swift loops this replaces used, so the features are also the same bits as
// before.
//
// After the FFT the work runs across the frames of a batch: the power spectra are transposed
// so that a bin's 16 frames are one 16-float row, and the filterbank, log, DCT and lifter then
// work on whole rows, 16 frames per vector operation, each frame's own sum in the same order
// as one frame alone.
#include "ckernels.h"
#include <stdint.h>
#include <string.h>

#pragma clang fp contract(off)

#include "kernel_common.h"

enum { LANES = SPK_CEP_LANES };

// Vectors of 4, 8 and 16 floats (clang's extension: lane-wise IEEE operations, lowered to the
// clone's registers: one zmm, two ymm or four xmm for 16), and their unaligned, aliasing forms
// for loads and stores.
typedef float v4 __attribute__((ext_vector_type(4)));
typedef float v8 __attribute__((ext_vector_type(8)));
typedef float v16 __attribute__((ext_vector_type(16)));
typedef float v4u __attribute__((ext_vector_type(4), aligned(4), may_alias));
typedef float v8u __attribute__((ext_vector_type(8), aligned(4), may_alias));
typedef float v16u __attribute__((ext_vector_type(16), aligned(4), may_alias));
#define LOAD4(p) (*(const v4u *)(p))
#define LOAD8(p) (*(const v8u *)(p))
#define LOAD16(p) (*(const v16u *)(p))
#define STORE16(p, v) (*(v16u *)(p) = (v))

SPK_CLONES
void spk_cep_prepare(const spk_cep_tables *t, const float *const *frames, int n, float *fft_in, float *energy) {
    const int L = t->frame_length;
    const float pre = t->pre_emphasis;
    const float *w = t->window;
    // Four frames at a time, so that four independent chains of additions fill the pipelines
    // (each frame's sums are short vectors: alone, the adds would wait on each other).
    enum { G = 4 };
    for (int f0 = 0; f0 < n; f0 += G) {
        const int g = n - f0 < G ? n - f0 : G;
        const float *x[G];
        for (int q = 0; q < G; q++) x[q] = frames[f0 + (q < g ? q : 0)];  // past n: repeat
        float mean[G] = {0};
        if (t->remove_dc) {
            // Eight partial sums, ((a0 + a1) + (a2 + a3)) + ((a4 + a5) + (a6 + a7)), then the tail.
            v8 a[G];
            for (int q = 0; q < G; q++) a[q] = 0;
            int i = 0;
            for (; i + 8 <= L; i += 8)
                for (int q = 0; q < G; q++) a[q] += LOAD8(x[q] + i);
            for (int q = 0; q < G; q++) {
                float s = ((a[q][0] + a[q][1]) + (a[q][2] + a[q][3])) + ((a[q][4] + a[q][5]) + (a[q][6] + a[q][7]));
                for (int k = i; k < L; k++) s += x[q][k];
                mean[q] = s / (float)L;
            }
        }
        // Energy: four partial sums of squares, the tail added to the first, (e0 + e1) + (e2 + e3).
        v4 e[G];
        for (int q = 0; q < G; q++) e[q] = 0;
        int i = 0;
        for (; i + 4 <= L; i += 4)
            for (int q = 0; q < G; q++) {
                v4 d = LOAD4(x[q] + i) - mean[q];
                e[q] += d * d;
            }
        for (int q = 0; q < g; q++) {
            const float *xq = x[q];
            float e0 = e[q][0];
            for (int k = i; k < L; k++) {
                float d = xq[k] - mean[q];
                e0 += d * d;
            }
            energy[f0 + q] = (e0 + e[q][1]) + (e[q][2] + e[q][3]);
            // y[k] = (x[k] - m) - pre (x[k-1] - m) = x[k] - pre x[k-1] - m (1 - pre); the first
            // sample is pre-emphasised against itself.
            float *y = fft_in + (long)(f0 + q) * t->fft_size;
            const float bias = mean[q] * (1 - pre);
            y[0] = (xq[0] * (1 - pre) - bias) * w[0];
            for (int k = 1; k < L; k++) y[k] = (xq[k] - pre * xq[k - 1] - bias) * w[k];
        }
    }
}

// Power of bins [k0, k0 + 16) of 16 spectra, transposed: p[k * 16 + f] = |X_f[k]|^2. The
// transpose is four rounds of interleaving rows i and i + 8 (a perfect shuffle), moves only.
static inline void power_tile(const float *const *spec, int k0, float *p) {
    v16 r[16], u[16];
    for (int f = 0; f < 16; f++) {
        v16 c0 = LOAD16(spec[f] + 2 * k0), c1 = LOAD16(spec[f] + 2 * k0 + 16);
        v16 re = __builtin_shufflevector(c0, c1, 0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30);
        v16 im = __builtin_shufflevector(c0, c1, 1, 3, 5, 7, 9, 11, 13, 15, 17, 19, 21, 23, 25, 27, 29, 31);
        r[f] = re * re + im * im;
    }
    for (int round = 0; round < 4; round++) {
        for (int i = 0; i < 8; i++) {
            u[2 * i] = __builtin_shufflevector(r[i], r[i + 8], 0, 16, 1, 17, 2, 18, 3, 19, 4, 20, 5, 21, 6, 22, 7, 23);
            u[2 * i + 1] = __builtin_shufflevector(r[i], r[i + 8], 8, 24, 9, 25, 10, 26, 11, 27, 12, 28, 13, 29, 14, 30, 15, 31);
        }
        for (int i = 0; i < 16; i++) r[i] = u[i];
    }
    for (int k = 0; k < 16; k++) STORE16(p + (long)(k0 + k) * 16, r[k]);
}

SPK_CLONES
void spk_cep_finish(const spk_cep_tables *t, const float *spectra, int n, float *power, float *logmel,
                    float *out, long ld) {
    const int bins = t->bins, M = t->filters, R = t->rows;
    const float *spec[LANES];
    // Lanes past the batch repeat its first frame: computed, never written out.
    for (int f = 0; f < LANES; f++) spec[f] = spectra + 2L * bins * (f < n ? f : 0);

    // Power spectrum, p[k][f] = re^2 + im^2.
    int k = 0;
    for (; k + 16 <= bins; k += 16) power_tile(spec, k, power);
    for (; k < bins; k++)
        for (int f = 0; f < LANES; f++) {
            const float *c = spec[f] + 2 * k;
            power[(long)k * LANES + f] = c[0] * c[0] + c[1] * c[1];
        }

    // Mel filterbank: two partial sums (even and odd weights, an odd tail to the even sum),
    // floored; then the log.
    const float lfloor = t->log_floor;
    for (int m = 0; m < M; m++) {
        const float *wm = t->mel_weights + t->mel_offset[m];
        const float *pm = power + (long)t->mel_first_bin[m] * LANES;
        const int count = t->mel_offset[m + 1] - t->mel_offset[m];
        v16 s0 = 0, s1 = 0;
        int j = 0;
        for (; j + 2 <= count; j += 2) {
            s0 += wm[j] * LOAD16(pm + (long)j * LANES);
            s1 += wm[j + 1] * LOAD16(pm + (long)(j + 1) * LANES);
        }
        if (j < count) s0 += wm[j] * LOAD16(pm + (long)j * LANES);
        float s[LANES];
        STORE16(s, s0 + s1);
        float *e = logmel + (long)m * LANES;
        for (int f = 0; f < LANES; f++) e[f] = spk_log(lfloor >= s[f] ? lfloor : s[f]);  // Swift's max(s, floor)
    }

    // DCT-II, each coefficient summed over the filters in order from zero (four coefficients
    // at a time); then the lifter.
    const float *dct = t->dct;
    for (int r0 = 0; r0 < R; r0 += 4) {
        const int nr = R - r0 < 4 ? R - r0 : 4;
        v16 acc[4] = {0, 0, 0, 0};
        for (int m = 0; m < M; m++) {
            const v16 e = LOAD16(logmel + (long)m * LANES);
            const float *d = dct + (long)m * R + r0;
            for (int q = 0; q < 4; q++) acc[q] += (q < nr ? d[q] : 0) * e;
        }
        for (int q = 0; q < nr; q++) {
            float c[LANES];
            STORE16(c, t->lifter ? acc[q] * t->lifter[r0 + q] : acc[q]);
            for (int f = 0; f < n; f++) out[f * ld + r0 + q] = c[f];
        }
    }
}

SPK_CLONES
void spk_deltas(const float *in, long T, long S, long order, long W, float scale, float *out) {
    const long C = S * (order + 1);
    for (long t = 0; t < T; t++) memcpy(out + t * C, in + t * S, sizeof(float) * (size_t)S);
    for (long level = 1; level <= order; level++) {
        const long inOff = (level - 1) * S, outOff = level * S;
        for (long t = 0; t < T; t++) {
            float *row = out + t * C + outOff;
            // Rows t + n and t - n, the first and last rows repeated at the edges; each
            // column's sum runs over n = 1...W in order from zero, then is scaled.
            long j = 0;
            for (; j + 16 <= S; j += 16) {
                float acc[16] = {0};
                for (long n = 1; n <= W; n++) {
                    const float *a = out + (t + n < T - 1 ? t + n : T - 1) * C + inOff + j;
                    const float *b = out + (t - n > 0 ? t - n : 0) * C + inOff + j;
                    const float fn = (float)n;
                    for (int q = 0; q < 16; q++) acc[q] += fn * (a[q] - b[q]);
                }
                for (int q = 0; q < 16; q++) row[j + q] = acc[q] * scale;
            }
            for (; j < S; j++) {
                float acc = 0;
                for (long n = 1; n <= W; n++) {
                    const float a = out[(t + n < T - 1 ? t + n : T - 1) * C + inOff + j];
                    const float b = out[(t - n > 0 ? t - n : 0) * C + inOff + j];
                    acc += (float)n * (a - b);
                }
                row[j] = acc * scale;
            }
        }
    }
}
