// One step of an LSTM layer's cell update, for the speaker encoder: the gates' sigmoid and tanh
// on e^x as arithmetic (the Swift encoder's fastExp, operation for operation), vectorised
// for the CPU's widest units. No operation is fused or reordered (fp contract off), so every
// path gives the bits the scalar definition gives.

#include "ckernels.h"
#include <string.h>

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#define SPK_X86 1
#endif

#pragma clang fp contract(off)

// e^x within 3 ulp of libm's: x = n ln 2 + r (ln 2 in two parts), e^r by its Taylor series to
// r^7, times 2^n built in the exponent bits; x clamped to [-87, 88].
static inline __attribute__((always_inline)) float lstm_exp(float x) {
    float v = -87.0f >= x ? -87.0f : x;  // Swift's min(max(x, -87), 88), NaN and all
    v = 88.0f < v ? 88.0f : v;
    float shifted = v * 1.44269504f + 12582912.0f;
    float n = shifted - 12582912.0f;
    float r = (v - n * 0.69314575f) - n * 1.4286068e-6f;
    float p = 1.0f / 5040;
    p = p * r + 1.0f / 720;
    p = p * r + 1.0f / 120;
    p = p * r + 1.0f / 24;
    p = p * r + 1.0f / 6;
    p = p * r + 0.5f;
    p = p * r + 1;
    p = p * r + 1;
    unsigned bits;
    memcpy(&bits, &shifted, 4);
    bits = (bits - 0x4B400000u + 127u) << 23;
    float scale;
    memcpy(&scale, &bits, 4);
    return p * scale;
}

static inline __attribute__((always_inline)) float lstm_sigmoid(float x) { return 1 / (1 + lstm_exp(-x)); }
static inline __attribute__((always_inline)) float lstm_tanh(float x) { return 1 - 2 / (lstm_exp(2 * x) + 1); }

static inline __attribute__((always_inline)) void lstm_cell_body(int h, const float *restrict g, const float *restrict p,
                                                                 const float *restrict bias, float *restrict c,
                                                                 float *restrict hidden, float *restrict out) {
#pragma clang loop vectorize(enable)
    for (int j = 0; j < h; j++) {
        float gi = g[j] + p[j] + bias[j];
        float gf = g[h + j] + p[h + j] + bias[h + j];
        float gg = g[2 * h + j] + p[2 * h + j] + bias[2 * h + j];
        float go = g[3 * h + j] + p[3 * h + j] + bias[3 * h + j];
        float cell = lstm_sigmoid(gf) * c[j] + lstm_sigmoid(gi) * lstm_tanh(gg);
        c[j] = cell;
        float y = lstm_sigmoid(go) * lstm_tanh(cell);
        hidden[j] = y;
        out[j] = y;
    }
}

static void lstm_cell_portable(int h, const float *g, const float *p, const float *bias, float *c, float *hidden,
                               float *out) {
    lstm_cell_body(h, g, p, bias, c, hidden, out);
}

#if SPK_X86
__attribute__((target("avx2,fma")))
static void lstm_cell_avx2(int h, const float *g, const float *p, const float *bias, float *c, float *hidden, float *out) {
    lstm_cell_body(h, g, p, bias, c, hidden, out);
}

__attribute__((target("avx512f")))
static void lstm_cell_avx512(int h, const float *g, const float *p, const float *bias, float *c, float *hidden,
                             float *out) {
    lstm_cell_body(h, g, p, bias, c, hidden, out);
}
#endif

void spk_lstm_cell_path(int path, int h, const float *g, const float *p, const float *bias, float *c, float *hidden,
                        float *out) {
#if SPK_X86
    if (path == SPK_KERNEL_AVX512) { lstm_cell_avx512(h, g, p, bias, c, hidden, out); return; }
    if (path == SPK_KERNEL_AVX2) { lstm_cell_avx2(h, g, p, bias, c, hidden, out); return; }
#endif
    lstm_cell_portable(h, g, p, bias, c, hidden, out);
}
