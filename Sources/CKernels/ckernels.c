// Vector kernels for the loops that BLAS does not cover: the exponentials and log-sum-exp of
// GMM scoring and the E step. Plain C loops written to vectorise, compiled three times with
// target_clones (AVX-512, AVX2+FMA, baseline) and picked at load time for the running CPU:
// Swift's own code is compiled for the x86-64 baseline (SSE2, 4 lanes), these run 8 or 16.
// The exponential is Cephes' expf polynomial, as VectorMath.exp in Swift (tested against libm).
#include "ckernels.h"
#include <math.h>
#include <stdint.h>
#include <string.h>
#if defined(__GLIBC__)
#include <malloc.h>
#endif

// No fused multiply-adds unless written: the AVX2 and AVX-512 clones then round exactly as
// the baseline does, so an exponential is the same bits on every CPU.
#pragma clang fp contract(off)

#include "kernel_common.h"

static inline float spk_exp(float v0) {
    const float lowest = -87.33654f, magic = 12582912.0f;
    float v = v0 < lowest ? lowest : (v0 > 88.72283f ? 88.72283f : v0);
    float t = v * 1.44269504f + magic;
    float fx = t - magic;
    uint32_t tb, mb;
    memcpy(&tb, &t, 4);
    memcpy(&mb, &magic, 4);
    int32_t n = (int32_t)(tb - mb);
    float x = v - fx * 0.693359375f;
    x = x - fx * -2.12194440e-4f;
    float z = x * x;
    float y = 1.9875691500e-4f;
    y = y * x + 1.3981999507e-3f;
    y = y * x + 8.3334519073e-3f;
    y = y * x + 4.1665795894e-2f;
    y = y * x + 1.6666665459e-1f;
    y = y * x + 5.0000001201e-1f;
    y = y * z + x + 1.0f;
    uint32_t sb = (uint32_t)(n + 127) << 23;
    float scale;
    memcpy(&scale, &sb, 4);
    return v0 < lowest ? 0.0f : y * scale;
}

// exp(x[i] - shift) summed (and stored back in x when `store`): sixteen partial sums, then the
// tail. A group of sixteen whose differences all fall below the exponential's underflow
// threshold contributes exact zeros, so it is skipped (its zeros stored): the same bits as
// computing it. A NaN difference is never skipped.
static inline __attribute__((always_inline)) float exp_shifted(float *x, int n, float shift, int store) {
    const float lowest = -87.33654f;
    float acc[16] = {0};
    int i = 0;
    for (; i + 16 <= n; i += 16) {
        int live = 0;
        for (int j = 0; j < 16; j++) live |= !(x[i + j] - shift < lowest);
        if (!live) {
            if (store) for (int j = 0; j < 16; j++) x[i + j] = 0.0f;
            continue;
        }
        for (int j = 0; j < 16; j++) {
            float e = spk_exp(x[i + j] - shift);
            if (store) x[i + j] = e;
            acc[j] += e;
        }
    }
    float s = 0;
    for (int j = 0; j < 16; j++) s += acc[j];
    for (; i < n; i++) {
        float e = spk_exp(x[i] - shift);
        if (store) x[i] = e;
        s += e;
    }
    return s;
}

// The largest of a row's values (NaNs never win; -inf for none): sixteen partial maxima.
static inline __attribute__((always_inline)) float row_max(const float *row, int cols) {
    float mx[16];
    for (int j = 0; j < 16; j++) mx[j] = -INFINITY;
    int i = 0;
    for (; i + 16 <= cols; i += 16)
        for (int j = 0; j < 16; j++) mx[j] = row[i + j] > mx[j] ? row[i + j] : mx[j];
    float m = -INFINITY;
    for (int j = 0; j < 16; j++) m = mx[j] > m ? mx[j] : m;
    for (; i < cols; i++) m = row[i] > m ? row[i] : m;
    return m;
}

SPK_CLONES
void spk_posteriors_rows(float *x, int rows, int cols, double *ll) {
    for (int r = 0; r < rows; r++) {
        float *row = x + (long)r * cols;
        float m = row_max(row, cols);
        float s = exp_shifted(row, cols, m, 1);
        *ll += (double)m + log((double)s);
        float inv = 1.0f / s;
        for (int k = 0; k < cols; k++) row[k] *= inv;
    }
}

SPK_CLONES
void spk_transpose(const float *a, int rows, int cols, float *out) {
    enum { B = 16 };
    for (int r0 = 0; r0 < rows; r0 += B) {
        int r1 = r0 + B < rows ? r0 + B : rows;
        for (int c0 = 0; c0 < cols; c0 += B) {
            int c1 = c0 + B < cols ? c0 + B : cols;
            for (int c = c0; c < c1; c++)
                for (int r = r0; r < r1; r++) out[(long)c * rows + r] = a[(long)r * cols + c];
        }
    }
}

SPK_CLONES
void spk_logsumexp_rows(float *x, int rows, int cols, double *out) {
    for (int r = 0; r < rows; r++) {
        float *row = x + (long)r * cols;
        float m = row_max(row, cols);
        if (m == -INFINITY) {
            out[r] = -INFINITY;
            continue;
        }
        float s = exp_shifted(row, cols, m, 0);
        // s >= 1 (the maximum contributes e^0).
        out[r] = (double)m + (double)logf(s);
    }
}

SPK_CLONES
void spk_topc_lse_rows(const float *selected, const long *position, int c, int n, int speakers,
                       const double *subtract, double *out) {
    enum { L = SPK_SPEAKER_GROUP };
    if (speakers <= 0 || speakers > L || c <= 0) return;
    for (int t = 0; t < n; t++) {
        float m[L], s[L];
        const float *x0 = selected + position[(long)t * c] * L;
        for (int l = 0; l < L; l++) { m[l] = x0[l]; s[l] = 0; }
        for (int j = 1; j < c; j++) {
            const float *xj = selected + position[(long)t * c + j] * L;
            for (int l = 0; l < L; l++) m[l] = xj[l] > m[l] ? xj[l] : m[l];
        }
        for (int j = 0; j < c; j++) {
            const float *xj = selected + position[(long)t * c + j] * L;
            for (int l = 0; l < L; l++) s[l] += spk_exp(xj[l] - m[l]);
        }
        const double u = subtract[t];
        double r[L];  // all lanes, so the logs run as vectors; then one store per speaker
        for (int l = 0; l < L; l++) r[l] = (double)m[l] + (double)spk_log(s[l]) - u;
        for (int l = 0; l < speakers; l++) out[(long)l * n + t] = r[l];
    }
}

SPK_CLONES
void spk_gemv(const float *m, const float *x, int rows, int cols, float *out) {
    for (int r = 0; r < rows; r++) {
        const float *row = m + (long)r * cols;
        float acc[16] = {0};
        int i = 0;
        for (; i + 16 <= cols; i += 16)
            for (int j = 0; j < 16; j++) acc[j] += row[i + j] * x[i + j];
        float s = 0;
        for (int j = 0; j < 16; j++) s += acc[j];
        for (; i < cols; i++) s += row[i] * x[i];
        out[r] = s;
    }
}

void spk_tune_malloc(void) {
#if defined(__GLIBC__)
    mallopt(M_MMAP_THRESHOLD, 256 << 20);
    mallopt(M_TRIM_THRESHOLD, 512 << 20);
    mallopt(M_TOP_PAD, 64 << 20);
#endif
}
