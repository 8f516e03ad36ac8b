// SpeakerID's matrix product, C = A Bt, for every product of training and scoring: the same
// bits on every x86-64 CPU, fast on each.
//
// Every element of C is one fused multiply-add chain over the inner index in ascending order,
// starting from zero: c = fma(a[i][p], bt[p][j], c) for p = 0, 1, ..., w - 1. The AVX-512 path
// (8 x 32 register tiles), the AVX2 path (6 x 16 tiles) and the portable path (C's fmaf, exact
// in software where the CPU has no FMA) compute that chain lane by lane, so they agree bit for
// bit: a UBM trained on an AVX-512 server, an AVX2 laptop or a mix of both in one Slurm job is
// the same file. The path is chosen once, from the CPU's features (not its model number, which
// is what made Debian's OpenBLAS 0.3.21 fall back to its SSE3 kernel on Sapphire Rapids);
// SPEAKERID_KERNEL=avx512|avx2|portable forces one.
#include "ckernels.h"
#include <math.h>
#include <stdlib.h>
#include <string.h>

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#define SPK_X86 1
#include <immintrin.h>
#endif

// ---------------------------------------------------------------------------------------------
// Portable: the definition every path must match.
static void gemm_portable(int n, int k, int w, const float *const *rows, const float *bt, long ldb,
                          float *c, long ldc) {
    for (int i = 0; i < n; i++) {
        float *ci = c + (long)i * ldc;
        for (int j = 0; j < k; j++) ci[j] = 0;
        const float *ai = rows[i];
        for (int p = 0; p < w; p++) {
            const float x = ai[p];
            const float *b = bt + (long)p * ldb;
            for (int j = 0; j < k; j++) ci[j] = fmaf(x, b[j], ci[j]);
        }
    }
}

#if SPK_X86
// ---------------------------------------------------------------------------------------------
// AVX-512: tiles of 8 rows x 32 columns, 16 accumulators; a column tail is masked.
__attribute__((target("avx512f")))
static inline void tile512(int rows, int i, int j, __mmask16 m0, __mmask16 m1, int w, const float *const *ar,
                           const float *bt, long ldb, float *c, long ldc) {
    __m512 acc[8][2];
    for (int r = 0; r < 8; r++) { acc[r][0] = _mm512_setzero_ps(); acc[r][1] = _mm512_setzero_ps(); }
    if (rows == 8 && m1 == 0) {  // one vector of columns: 8 chains
        for (int p = 0; p < w; p++) {
            __m512 b0 = _mm512_maskz_loadu_ps(m0, bt + (long)p * ldb + j);
#pragma clang loop unroll(full)
            for (int r = 0; r < 8; r++) acc[r][0] = _mm512_fmadd_ps(_mm512_set1_ps(ar[r][p]), b0, acc[r][0]);
        }
    } else if (rows == 8) {
        for (int p = 0; p < w; p++) {
            const float *b = bt + (long)p * ldb + j;
            __m512 b0 = _mm512_maskz_loadu_ps(m0, b), b1 = _mm512_maskz_loadu_ps(m1, b + 16);
#pragma clang loop unroll(full)
            for (int r = 0; r < 8; r++) {
                __m512 x = _mm512_set1_ps(ar[r][p]);
                acc[r][0] = _mm512_fmadd_ps(x, b0, acc[r][0]);
                acc[r][1] = _mm512_fmadd_ps(x, b1, acc[r][1]);
            }
        }
    } else {
        for (int p = 0; p < w; p++) {
            const float *b = bt + (long)p * ldb + j;
            __m512 b0 = _mm512_maskz_loadu_ps(m0, b), b1 = _mm512_maskz_loadu_ps(m1, b + 16);
            for (int r = 0; r < rows; r++) {
                __m512 x = _mm512_set1_ps(ar[r][p]);
                acc[r][0] = _mm512_fmadd_ps(x, b0, acc[r][0]);
                acc[r][1] = _mm512_fmadd_ps(x, b1, acc[r][1]);
            }
        }
    }
    for (int r = 0; r < rows; r++) {
        float *cr = c + (long)(i + r) * ldc + j;
        _mm512_mask_storeu_ps(cr, m0, acc[r][0]);
        _mm512_mask_storeu_ps(cr + 16, m1, acc[r][1]);
    }
}

__attribute__((target("avx512f")))
static void gemm_avx512(int n, int k, int w, const float *const *rows, const float *bt, long ldb,
                        float *c, long ldc) {
    for (int j = 0; j < k; j += 32) {
        int cols = k - j < 32 ? k - j : 32;
        __mmask16 m0 = cols >= 16 ? (__mmask16)0xFFFF : (__mmask16)((1u << cols) - 1);
        __mmask16 m1 = cols >= 32 ? (__mmask16)0xFFFF : (cols > 16 ? (__mmask16)((1u << (cols - 16)) - 1) : 0);
        for (int i = 0; i < n; i += 8) tile512(n - i < 8 ? n - i : 8, i, j, m0, m1, w, rows + i, bt, ldb, c, ldc);
    }
}

// ---------------------------------------------------------------------------------------------
// AVX2 + FMA: tiles of 6 rows x 16 columns, 12 accumulators (of 16 registers); masked tail.
__attribute__((target("avx2,fma")))
static inline __m256i mask8(int cols) {
    const __m256i lanes = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
    return _mm256_cmpgt_epi32(_mm256_set1_epi32(cols), lanes);
}

__attribute__((target("avx2,fma")))
static inline void tile256(int rows, int i, int j, int cols, int w, const float *const *ar,
                           const float *bt, long ldb, float *c, long ldc) {
    __m256 acc[6][2];
    for (int r = 0; r < 6; r++) { acc[r][0] = _mm256_setzero_ps(); acc[r][1] = _mm256_setzero_ps(); }
    if (cols == 16 && rows == 6) {
        for (int p = 0; p < w; p++) {
            const float *b = bt + (long)p * ldb + j;
            __m256 b0 = _mm256_loadu_ps(b), b1 = _mm256_loadu_ps(b + 8);
#pragma clang loop unroll(full)
            for (int r = 0; r < 6; r++) {
                __m256 x = _mm256_broadcast_ss(ar[r] + p);
                acc[r][0] = _mm256_fmadd_ps(x, b0, acc[r][0]);
                acc[r][1] = _mm256_fmadd_ps(x, b1, acc[r][1]);
            }
        }
        for (int r = 0; r < 6; r++) {
            float *cr = c + (long)(i + r) * ldc + j;
            _mm256_storeu_ps(cr, acc[r][0]);
            _mm256_storeu_ps(cr + 8, acc[r][1]);
        }
        return;
    }
    __m256i k0 = mask8(cols), k1 = mask8(cols - 8);
    for (int p = 0; p < w; p++) {
        const float *b = bt + (long)p * ldb + j;
        __m256 b0 = _mm256_maskload_ps(b, k0), b1 = _mm256_maskload_ps(b + 8, k1);
        for (int r = 0; r < rows; r++) {
            __m256 x = _mm256_broadcast_ss(ar[r] + p);
            acc[r][0] = _mm256_fmadd_ps(x, b0, acc[r][0]);
            acc[r][1] = _mm256_fmadd_ps(x, b1, acc[r][1]);
        }
    }
    for (int r = 0; r < rows; r++) {
        float *cr = c + (long)(i + r) * ldc + j;
        _mm256_maskstore_ps(cr, k0, acc[r][0]);
        _mm256_maskstore_ps(cr + 8, k1, acc[r][1]);
    }
}

__attribute__((target("avx2,fma")))
static void gemm_avx2(int n, int k, int w, const float *const *rows, const float *bt, long ldb,
                      float *c, long ldc) {
    for (int j = 0; j < k; j += 16) {
        int cols = k - j < 16 ? k - j : 16;
        for (int i = 0; i < n; i += 6) tile256(n - i < 6 ? n - i : 6, i, j, cols, w, rows + i, bt, ldb, c, ldc);
    }
}
#endif

// ---------------------------------------------------------------------------------------------
// Dispatch, decided once (a benign race: every thread computes the same answer).
typedef void (*gemm_fn)(int, int, int, const float *, long, const float *, long, float *, long);

static int detected_path(void) {
    const char *forced = getenv("SPEAKERID_KERNEL");
    int best = SPK_KERNEL_PORTABLE;
#if SPK_X86
    __builtin_cpu_init();
    if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) best = SPK_KERNEL_AVX2;
    if (__builtin_cpu_supports("avx512f")) best = SPK_KERNEL_AVX512;
#endif
    if (forced) {
        int want = strcmp(forced, "avx512") == 0 ? SPK_KERNEL_AVX512
                 : strcmp(forced, "avx2") == 0   ? SPK_KERNEL_AVX2
                 : strcmp(forced, "portable") == 0 ? SPK_KERNEL_PORTABLE : best;
        if (want <= best) return want;  // never a path this CPU cannot run
    }
    return best;
}

int spk_kernel_path(void) {
    static int path = -1;
    int p = __atomic_load_n(&path, __ATOMIC_ACQUIRE);
    if (p < 0) {
        p = detected_path();
        __atomic_store_n(&path, p, __ATOMIC_RELEASE);
    }
    return p;
}

int spk_kernel_supported(int path) {
#if SPK_X86
    __builtin_cpu_init();
    if (path == SPK_KERNEL_AVX512) return __builtin_cpu_supports("avx512f");
    if (path == SPK_KERNEL_AVX2) return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
#else
    if (path != SPK_KERNEL_PORTABLE) return 0;
#endif
    return 1;
}

void spk_gemm_rows_path(int path, int n, int k, int w, const float *const *rows, const float *bt, long ldb,
                        float *c, long ldc) {
    if (n <= 0 || k <= 0) return;
    if (w <= 0) {
        for (int i = 0; i < n; i++) memset(c + (long)i * ldc, 0, sizeof(float) * (size_t)k);
        return;
    }
#if SPK_X86
    if (path == SPK_KERNEL_AVX512) { gemm_avx512(n, k, w, rows, bt, ldb, c, ldc); return; }
    if (path == SPK_KERNEL_AVX2) { gemm_avx2(n, k, w, rows, bt, ldb, c, ldc); return; }
#endif
    gemm_portable(n, k, w, rows, bt, ldb, c, ldc);
}

void spk_gemm_path(int path, int n, int k, int w, const float *a, long lda, const float *bt, long ldb,
                   float *c, long ldc) {
    // Rows by pointer, in slices so the pointer table stays on the stack.
    enum { SLICE = 240 };
    const float *rows[SLICE];
    for (int i0 = 0; i0 < n; i0 += SLICE) {
        int m = n - i0 < SLICE ? n - i0 : SLICE;
        for (int r = 0; r < m; r++) rows[r] = a + (long)(i0 + r) * lda;
        spk_gemm_rows_path(path, m, k, w, rows, bt, ldb, c + (long)i0 * ldc, ldc);
    }
}

void spk_gemm(int n, int k, int w, const float *a, long lda, const float *bt, long ldb, float *c, long ldc) {
    spk_gemm_path(spk_kernel_path(), n, k, w, a, lda, bt, ldb, c, ldc);
}

void spk_gemm_rows(int n, int k, int w, const float *const *rows, const float *bt, long ldb, float *c, long ldc) {
    spk_gemm_rows_path(spk_kernel_path(), n, k, w, rows, bt, ldb, c, ldc);
}

// ---------------------------------------------------------------------------------------------
// Peak: independent FMA chains, enough to cover latency x ports on any core, timed by the caller.
#if SPK_X86
__attribute__((target("avx512f")))
static float fma_loop512(long iterations) {
    __m512 acc[16];
    for (int r = 0; r < 16; r++) acc[r] = _mm512_set1_ps((float)r * 1e-3f);
    const __m512 m = _mm512_set1_ps(0.999999f), s = _mm512_set1_ps(1e-7f);
    for (long it = 0; it < iterations; it++)
#pragma clang loop unroll(full)
        for (int r = 0; r < 16; r++) acc[r] = _mm512_fmadd_ps(acc[r], m, s);
    float out[16], t = 0;
    for (int r = 0; r < 16; r++) { _mm512_storeu_ps(out, acc[r]); t += out[0]; }
    return t;
}

__attribute__((target("avx2,fma")))
static float fma_loop256(long iterations) {
    __m256 acc[12];
    for (int r = 0; r < 12; r++) acc[r] = _mm256_set1_ps((float)r * 1e-3f);
    const __m256 m = _mm256_set1_ps(0.999999f), s = _mm256_set1_ps(1e-7f);
    for (long it = 0; it < iterations; it++)
#pragma clang loop unroll(full)
        for (int r = 0; r < 12; r++) acc[r] = _mm256_fmadd_ps(acc[r], m, s);
    float out[8], t = 0;
    for (int r = 0; r < 12; r++) { _mm256_storeu_ps(out, acc[r]); t += out[0]; }
    return t;
}
#endif

double spk_fma_loop(int path, long iterations, float *sink) {
#if SPK_X86
    if (path == SPK_KERNEL_AVX512) { *sink = fma_loop512(iterations); return 2.0 * 16 * 16 * (double)iterations; }
    if (path == SPK_KERNEL_AVX2) { *sink = fma_loop256(iterations); return 2.0 * 8 * 12 * (double)iterations; }
#endif
    float acc[8];
    for (int r = 0; r < 8; r++) acc[r] = (float)r * 1e-3f;
    for (long it = 0; it < iterations; it++)
        for (int r = 0; r < 8; r++) acc[r] = acc[r] * 0.999999f + 1e-7f;
    float t = 0;
    for (int r = 0; r < 8; r++) t += acc[r];
    *sink = t;
    return 2.0 * 8 * (double)iterations;
}
