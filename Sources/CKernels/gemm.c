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

enum { LANES = SPK_SPEAKER_GROUP, LANE_CHUNK = 12, LANE_MAX_W = 128 };

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

// The lanes of a 16-float vector that `cols` columns still fill (none when cols <= 0).
static inline __mmask16 mask16(int cols) {
    return cols >= 16 ? (__mmask16)0xFFFF : (cols > 0 ? (__mmask16)((1u << cols) - 1) : 0);
}

__attribute__((target("avx512f")))
static inline void tile512(int i, int j, __mmask16 m0, __mmask16 m1, int w, const float *const *ar,
                           const float *bt, long ldb, float *c, long ldc) {
    __m512 acc[8][2];
    for (int r = 0; r < 8; r++) { acc[r][0] = _mm512_setzero_ps(); acc[r][1] = _mm512_setzero_ps(); }
    if (m1 == 0) {  // one vector of columns: 8 chains
        for (int p = 0; p < w; p++) {
            __m512 b0 = _mm512_maskz_loadu_ps(m0, bt + (long)p * ldb + j);
#pragma clang loop unroll(full)
            for (int r = 0; r < 8; r++) acc[r][0] = _mm512_fmadd_ps(_mm512_set1_ps(ar[r][p]), b0, acc[r][0]);
        }
    } else {
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
    }
    for (int r = 0; r < 8; r++) {
        float *cr = c + (long)(i + r) * ldc + j;
        _mm512_mask_storeu_ps(cr, m0, acc[r][0]);
        _mm512_mask_storeu_ps(cr + 16, m1, acc[r][1]);
    }
}

// Up to 12 rows (a recurrent network's step, a remainder): R rows x V vectors of columns,
// with R and V constants once inlined, so the accumulators stay in registers and R x V chains
// run side by side (one row's 2 chains alone wait on the FMA latency). Same chains, same bits.
__attribute__((target("avx512f")))
static inline __attribute__((always_inline)) void strip512(const int R, const int V, int k, int w,
                                                          const float *const *ar, const float *bt, long ldb,
                                                          float *c, long ldc) {
    for (int j = 0; j < k; j += 16 * V) {
        __mmask16 m[8];
#pragma clang loop unroll(full)
        for (int v = 0; v < V; v++) m[v] = mask16(k - j - 16 * v);
        __m512 acc[12][8];
#pragma clang loop unroll(full)
        for (int r = 0; r < R; r++)
#pragma clang loop unroll(full)
            for (int v = 0; v < V; v++) acc[r][v] = _mm512_setzero_ps();
        for (int p = 0; p < w; p++) {
            const float *b = bt + (long)p * ldb + j;
            __m512 bv[8];
#pragma clang loop unroll(full)
            for (int v = 0; v < V; v++) bv[v] = _mm512_maskz_loadu_ps(m[v], b + 16 * v);
#pragma clang loop unroll(full)
            for (int r = 0; r < R; r++) {
                __m512 x = _mm512_set1_ps(ar[r][p]);
#pragma clang loop unroll(full)
                for (int v = 0; v < V; v++) acc[r][v] = _mm512_fmadd_ps(x, bv[v], acc[r][v]);
            }
        }
#pragma clang loop unroll(full)
        for (int r = 0; r < R; r++)
#pragma clang loop unroll(full)
            for (int v = 0; v < V; v++) _mm512_mask_storeu_ps(c + (long)r * ldc + j + 16 * v, m[v], acc[r][v]);
    }
}

__attribute__((target("avx512f")))
static void rows512(int rows, int k, int w, const float *const *ar, const float *bt, long ldb, float *c, long ldc) {
    switch (rows) {
    case 1: strip512(1, 8, k, w, ar, bt, ldb, c, ldc); break;
    case 2: strip512(2, 8, k, w, ar, bt, ldb, c, ldc); break;
    case 3: strip512(3, 6, k, w, ar, bt, ldb, c, ldc); break;
    case 4: strip512(4, 5, k, w, ar, bt, ldb, c, ldc); break;
    case 5: strip512(5, 4, k, w, ar, bt, ldb, c, ldc); break;
    case 6: strip512(6, 3, k, w, ar, bt, ldb, c, ldc); break;
    case 7: strip512(7, 3, k, w, ar, bt, ldb, c, ldc); break;
    case 8: strip512(8, 3, k, w, ar, bt, ldb, c, ldc); break;
    case 9: strip512(9, 2, k, w, ar, bt, ldb, c, ldc); break;
    case 10: strip512(10, 2, k, w, ar, bt, ldb, c, ldc); break;
    case 11: strip512(11, 2, k, w, ar, bt, ldb, c, ldc); break;
    default: strip512(12, 2, k, w, ar, bt, ldb, c, ldc); break;
    }
}

__attribute__((target("avx512f")))
static void gemm_avx512(int n, int k, int w, const float *const *rows, const float *bt, long ldb,
                        float *c, long ldc) {
    if (n <= 12) {  // one strip: the columns are read once
        rows512(n, k, w, rows, bt, ldb, c, ldc);
        return;
    }
    int full = n - n % 8;
    if (full > 0)
        for (int j = 0; j < k; j += 32) {
            __mmask16 m0 = mask16(k - j), m1 = mask16(k - j - 16);
            for (int i = 0; i < full; i += 8) tile512(i, j, m0, m1, w, rows + i, bt, ldb, c, ldc);
        }
    if (n > full) rows512(n - full, k, w, rows + full, bt, ldb, c + (long)full * ldc, ldc);
}

// ---------------------------------------------------------------------------------------------
// AVX2 + FMA: tiles of 6 rows x 16 columns, 12 accumulators (of 16 registers); masked tail.
__attribute__((target("avx2,fma")))
static inline __m256i mask8(int cols) {
    const __m256i lanes = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
    return _mm256_cmpgt_epi32(_mm256_set1_epi32(cols), lanes);
}

__attribute__((target("avx2,fma")))
static inline void tile256(int i, int j, int cols, int w, const float *const *ar,
                           const float *bt, long ldb, float *c, long ldc) {
    __m256 acc[6][2];
    for (int r = 0; r < 6; r++) { acc[r][0] = _mm256_setzero_ps(); acc[r][1] = _mm256_setzero_ps(); }
    if (cols == 16) {
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
#pragma clang loop unroll(full)
        for (int r = 0; r < 6; r++) {
            __m256 x = _mm256_broadcast_ss(ar[r] + p);
            acc[r][0] = _mm256_fmadd_ps(x, b0, acc[r][0]);
            acc[r][1] = _mm256_fmadd_ps(x, b1, acc[r][1]);
        }
    }
    for (int r = 0; r < 6; r++) {
        float *cr = c + (long)(i + r) * ldc + j;
        _mm256_maskstore_ps(cr, k0, acc[r][0]);
        _mm256_maskstore_ps(cr + 8, k1, acc[r][1]);
    }
}

// Fewer than 6 rows: R rows x V vectors of columns, as strip512 does.
__attribute__((target("avx2,fma")))
static inline __attribute__((always_inline)) void strip256(const int R, const int V, int k, int w,
                                                          const float *const *ar, const float *bt, long ldb,
                                                          float *c, long ldc) {
    for (int j = 0; j < k; j += 8 * V) {
        __m256i m[6];
#pragma clang loop unroll(full)
        for (int v = 0; v < V; v++) m[v] = mask8(k - j - 8 * v);
        __m256 acc[5][6];
#pragma clang loop unroll(full)
        for (int r = 0; r < R; r++)
#pragma clang loop unroll(full)
            for (int v = 0; v < V; v++) acc[r][v] = _mm256_setzero_ps();
        for (int p = 0; p < w; p++) {
            const float *b = bt + (long)p * ldb + j;
            __m256 bv[6];
#pragma clang loop unroll(full)
            for (int v = 0; v < V; v++) bv[v] = _mm256_maskload_ps(b + 8 * v, m[v]);
#pragma clang loop unroll(full)
            for (int r = 0; r < R; r++) {
                __m256 x = _mm256_broadcast_ss(ar[r] + p);
#pragma clang loop unroll(full)
                for (int v = 0; v < V; v++) acc[r][v] = _mm256_fmadd_ps(x, bv[v], acc[r][v]);
            }
        }
#pragma clang loop unroll(full)
        for (int r = 0; r < R; r++)
#pragma clang loop unroll(full)
            for (int v = 0; v < V; v++) _mm256_maskstore_ps(c + (long)r * ldc + j + 8 * v, m[v], acc[r][v]);
    }
}

__attribute__((target("avx2,fma")))
static void gemm_avx2(int n, int k, int w, const float *const *rows, const float *bt, long ldb,
                      float *c, long ldc) {
    int full = n - n % 6;
    if (full > 0)
        for (int j = 0; j < k; j += 16) {
            int cols = k - j < 16 ? k - j : 16;
            for (int i = 0; i < full; i += 6) tile256(i, j, cols, w, rows + i, bt, ldb, c, ldc);
        }
    const float *const *ar = rows + full;
    float *cr = c + (long)full * ldc;
    switch (n - full) {
    case 0: break;
    case 1: strip256(1, 6, k, w, ar, bt, ldb, cr, ldc); break;
    case 2: strip256(2, 4, k, w, ar, bt, ldb, cr, ldc); break;
    case 3: strip256(3, 3, k, w, ar, bt, ldb, cr, ldc); break;
    case 4: strip256(4, 2, k, w, ar, bt, ldb, cr, ldc); break;
    default: strip256(5, 2, k, w, ar, bt, ldb, cr, ldc); break;
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

// The addresses that cover rows[s][at..<at + w] for s < n: each 64-byte line from the row's
// start, and its last byte; at most n x (LANE_MAX_W * 4 / 64 + 1) when w <= LANE_MAX_W.
static int row_lines(int n, int w, const float *const *rows, long at, const char **out) {
    const long bytes = (long)w * (long)sizeof(float);
    int count = 0;
    for (int s = 0; s < n; s++) {
        const char *p = (const char *)(rows[s] + at);
        for (long b = 0; b < bytes; b += 64) out[count++] = p + b;
        out[count++] = p + bytes - 1;
    }
    return count;
}

// The first component at or after k that some pair chose (`components` when none is left).
static inline int chosen_component(const long *offsets, int components, int k) {
    while (k < components && offsets[k + 1] == offsets[k]) k++;
    return k;
}

#if SPK_X86
// Speaker lanes: for a component that few frames chose, the frame-lane tiles above would be
// mostly empty, so the group's (up to 32) mean rows are transposed into lanes once and each
// frame's column is one chain per lane: out[f * 32 + s] = sum_p rows[s][p] * bt[p][f], the
// same fused chain, in the same order, as the tiles (fma is symmetric in its factors).

// Step p of a lane product prefetches the next component's rows, three lines a step (more when
// the rows are short and many), so no burst fills the miss buffers, and into L2 (prefetcht1):
// into L1 they cost 15-20% more on Zen 4, measured.
static inline __attribute__((always_inline)) void prefetch_step(const char *const *prefetch, int prefetches, int p, int w) {
    const int per = prefetches > 3 * w ? (prefetches + w - 1) / w : 3;  // all of them within the w steps
    for (int i = per * p; i < per * p + per && i < prefetches; i++) __builtin_prefetch(prefetch[i], 0, 1);
}

__attribute__((target("avx512f"), always_inline))
static inline void lane_chunk512(const int frames, int w, const float *t, const float *b, long ldb, float *out,
                                 const char *const *prefetch, int prefetches) {
    __m512 lo[LANE_CHUNK], hi[LANE_CHUNK];
#pragma clang loop unroll(full)
    for (int f = 0; f < frames; f++) { lo[f] = _mm512_setzero_ps(); hi[f] = _mm512_setzero_ps(); }
    for (int p = 0; p < w; p++) {
        const __m512 t0 = _mm512_load_ps(t + p * LANES), t1 = _mm512_load_ps(t + p * LANES + 16);
        const float *bp = b + (long)p * ldb;
        prefetch_step(prefetch, prefetches, p, w);
#pragma clang loop unroll(full)
        for (int f = 0; f < frames; f++) {
            const __m512 y = _mm512_set1_ps(bp[f]);
            lo[f] = _mm512_fmadd_ps(t0, y, lo[f]);
            hi[f] = _mm512_fmadd_ps(t1, y, hi[f]);
        }
    }
#pragma clang loop unroll(full)
    for (int f = 0; f < frames; f++) {
        _mm512_storeu_ps(out + f * LANES, lo[f]);
        _mm512_storeu_ps(out + f * LANES + 16, hi[f]);
    }
}

// A 16 x 16 transpose in registers (unpack, in-lane shuffle, two 128-bit lane shuffles).
__attribute__((target("avx512f"), always_inline))
static inline void transpose16(__m512 r[16]) {
    __m512 t[16];
#pragma clang loop unroll(full)
    for (int i = 0; i < 8; i++) {
        t[2 * i] = _mm512_unpacklo_ps(r[2 * i], r[2 * i + 1]);
        t[2 * i + 1] = _mm512_unpackhi_ps(r[2 * i], r[2 * i + 1]);
    }
#pragma clang loop unroll(full)
    for (int i = 0; i < 4; i++) {
        r[4 * i] = _mm512_shuffle_ps(t[4 * i], t[4 * i + 2], _MM_SHUFFLE(1, 0, 1, 0));
        r[4 * i + 1] = _mm512_shuffle_ps(t[4 * i], t[4 * i + 2], _MM_SHUFFLE(3, 2, 3, 2));
        r[4 * i + 2] = _mm512_shuffle_ps(t[4 * i + 1], t[4 * i + 3], _MM_SHUFFLE(1, 0, 1, 0));
        r[4 * i + 3] = _mm512_shuffle_ps(t[4 * i + 1], t[4 * i + 3], _MM_SHUFFLE(3, 2, 3, 2));
    }
#pragma clang loop unroll(full)
    for (int i = 0; i < 4; i++) {
        t[i] = _mm512_shuffle_f32x4(r[i], r[i + 4], 0x88);
        t[i + 4] = _mm512_shuffle_f32x4(r[i], r[i + 4], 0xdd);
        t[i + 8] = _mm512_shuffle_f32x4(r[i + 8], r[i + 12], 0x88);
        t[i + 12] = _mm512_shuffle_f32x4(r[i + 8], r[i + 12], 0xdd);
    }
#pragma clang loop unroll(full)
    for (int i = 0; i < 8; i++) {
        r[i] = _mm512_shuffle_f32x4(t[i], t[i + 8], 0x88);
        r[i + 8] = _mm512_shuffle_f32x4(t[i], t[i + 8], 0xdd);
    }
}

__attribute__((target("avx512f")))
static void lanes512(int n, int m, int w, const float *const *rows, const float *bt, long ldb, float *out,
                     const char *const *prefetch, int prefetches) {
    _Alignas(64) float t[LANE_MAX_W * LANES];
    for (int s0 = 0; s0 < LANES; s0 += 16) {
        for (int p0 = 0; p0 < w; p0 += 16) {
            const __mmask16 cols = w - p0 >= 16 ? (__mmask16)0xFFFF : (__mmask16)((1u << (w - p0)) - 1);
            __m512 r[16];
#pragma clang loop unroll(full)
            for (int i = 0; i < 16; i++)
                r[i] = s0 + i < n ? _mm512_maskz_loadu_ps(cols, rows[s0 + i] + p0) : _mm512_setzero_ps();
            transpose16(r);
#pragma clang loop unroll(full)
            for (int j = 0; j < 16; j++) _mm512_store_ps(t + (p0 + j) * LANES + s0, r[j]);
        }
    }
    // Chunks of equal size (13 frames: 7 + 6, not 12 + 1, whose single chains would wait on
    // the FMA latency).
    const int chunks = (m + LANE_CHUNK - 1) / LANE_CHUNK, size = (m + chunks - 1) / chunks;
    for (int f0 = 0; f0 < m; f0 += size) {
        const float *b = bt + f0;
        float *o = out + (long)f0 * LANES;
        if (f0 > 0) prefetches = 0;
        switch (m - f0 < size ? m - f0 : size) {
        case 1: lane_chunk512(1, w, t, b, ldb, o, prefetch, prefetches); break;
        case 2: lane_chunk512(2, w, t, b, ldb, o, prefetch, prefetches); break;
        case 3: lane_chunk512(3, w, t, b, ldb, o, prefetch, prefetches); break;
        case 4: lane_chunk512(4, w, t, b, ldb, o, prefetch, prefetches); break;
        case 5: lane_chunk512(5, w, t, b, ldb, o, prefetch, prefetches); break;
        case 6: lane_chunk512(6, w, t, b, ldb, o, prefetch, prefetches); break;
        case 7: lane_chunk512(7, w, t, b, ldb, o, prefetch, prefetches); break;
        case 8: lane_chunk512(8, w, t, b, ldb, o, prefetch, prefetches); break;
        case 9: lane_chunk512(9, w, t, b, ldb, o, prefetch, prefetches); break;
        case 10: lane_chunk512(10, w, t, b, ldb, o, prefetch, prefetches); break;
        case 11: lane_chunk512(11, w, t, b, ldb, o, prefetch, prefetches); break;
        default: lane_chunk512(12, w, t, b, ldb, o, prefetch, prefetches); break;
        }
    }
}

// AVX2 + FMA: the same speaker lanes in 8-wide vectors (an 8 x 8 register transpose), half a
// group (16 speakers) at a time with up to 6 frames: 12 accumulators of the 16 registers.
enum { LANE_CHUNK256 = 6 };

__attribute__((target("avx2,fma"), always_inline))
static inline void transpose8(__m256 r[8]) {
    __m256 t[8];
#pragma clang loop unroll(full)
    for (int i = 0; i < 4; i++) {
        t[2 * i] = _mm256_unpacklo_ps(r[2 * i], r[2 * i + 1]);
        t[2 * i + 1] = _mm256_unpackhi_ps(r[2 * i], r[2 * i + 1]);
    }
#pragma clang loop unroll(full)
    for (int i = 0; i < 2; i++) {
        r[4 * i] = _mm256_shuffle_ps(t[4 * i], t[4 * i + 2], _MM_SHUFFLE(1, 0, 1, 0));
        r[4 * i + 1] = _mm256_shuffle_ps(t[4 * i], t[4 * i + 2], _MM_SHUFFLE(3, 2, 3, 2));
        r[4 * i + 2] = _mm256_shuffle_ps(t[4 * i + 1], t[4 * i + 3], _MM_SHUFFLE(1, 0, 1, 0));
        r[4 * i + 3] = _mm256_shuffle_ps(t[4 * i + 1], t[4 * i + 3], _MM_SHUFFLE(3, 2, 3, 2));
    }
#pragma clang loop unroll(full)
    for (int i = 0; i < 4; i++) {
        t[i] = _mm256_permute2f128_ps(r[i], r[i + 4], 0x20);
        t[i + 4] = _mm256_permute2f128_ps(r[i], r[i + 4], 0x31);
    }
#pragma clang loop unroll(full)
    for (int i = 0; i < 8; i++) r[i] = t[i];
}

__attribute__((target("avx2,fma"), always_inline))
static inline void lane_chunk256(const int frames, int w, const float *t, const float *b, long ldb, float *out,
                                 const char *const *prefetch, int prefetches) {
    __m256 lo[LANE_CHUNK256], hi[LANE_CHUNK256];
#pragma clang loop unroll(full)
    for (int f = 0; f < frames; f++) { lo[f] = _mm256_setzero_ps(); hi[f] = _mm256_setzero_ps(); }
    for (int p = 0; p < w; p++) {
        const __m256 t0 = _mm256_load_ps(t + p * LANES), t1 = _mm256_load_ps(t + p * LANES + 8);
        const float *bp = b + (long)p * ldb;
        prefetch_step(prefetch, prefetches, p, w);
#pragma clang loop unroll(full)
        for (int f = 0; f < frames; f++) {
            const __m256 y = _mm256_broadcast_ss(bp + f);
            lo[f] = _mm256_fmadd_ps(t0, y, lo[f]);
            hi[f] = _mm256_fmadd_ps(t1, y, hi[f]);
        }
    }
#pragma clang loop unroll(full)
    for (int f = 0; f < frames; f++) {
        _mm256_storeu_ps(out + f * LANES, lo[f]);
        _mm256_storeu_ps(out + f * LANES + 8, hi[f]);
    }
}

__attribute__((target("avx2,fma")))
static void lanes256(int n, int m, int w, const float *const *rows, const float *bt, long ldb, float *out,
                     const char *const *prefetch, int prefetches) {
    _Alignas(64) float t[LANE_MAX_W * LANES];
    const __m256i lane = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
    for (int s0 = 0; s0 < LANES; s0 += 8) {
        for (int p0 = 0; p0 < w; p0 += 8) {
            const __m256i cols = _mm256_cmpgt_epi32(_mm256_set1_epi32(w - p0), lane);
            __m256 r[8];
#pragma clang loop unroll(full)
            for (int i = 0; i < 8; i++)
                r[i] = s0 + i < n ? _mm256_maskload_ps(rows[s0 + i] + p0, cols) : _mm256_setzero_ps();
            transpose8(r);
#pragma clang loop unroll(full)
            for (int j = 0; j < 8; j++) _mm256_store_ps(t + (p0 + j) * LANES + s0, r[j]);
        }
    }
    const int halves = n > 16 ? 2 : 1;
    const int chunks = (m + LANE_CHUNK256 - 1) / LANE_CHUNK256, size = (m + chunks - 1) / chunks;
    for (int h = 0; h < halves; h++) {
        for (int f0 = 0; f0 < m; f0 += size) {
            const float *b = bt + f0;
            float *o = out + (long)f0 * LANES + 16 * h;
            const float *th = t + 16 * h;
            if (f0 > 0 || h > 0) prefetches = 0;
            switch (m - f0 < size ? m - f0 : size) {
            case 1: lane_chunk256(1, w, th, b, ldb, o, prefetch, prefetches); break;
            case 2: lane_chunk256(2, w, th, b, ldb, o, prefetch, prefetches); break;
            case 3: lane_chunk256(3, w, th, b, ldb, o, prefetch, prefetches); break;
            case 4: lane_chunk256(4, w, th, b, ldb, o, prefetch, prefetches); break;
            case 5: lane_chunk256(5, w, th, b, ldb, o, prefetch, prefetches); break;
            default: lane_chunk256(6, w, th, b, ldb, o, prefetch, prefetches); break;
            }
        }
    }
}
#endif

// Which layout a component's product takes: speaker lanes whenever they need fewer FMAs than
// the frame-lane tiles (8 rows x 16 frames each). The transposition is not counted: charging
// it any FMAs made the 10,000-speaker benchmark slower, measured.
__attribute__((unused)) static int use_lanes(int path, int n, int m, int w) {
#if SPK_X86
    if (w > LANE_MAX_W || n > LANES) return 0;
    if (path == SPK_KERNEL_AVX512) return 2L * m < (long)((n + 7) / 8) * 8 * ((m + 15) / 16);
    // 6-row tiles of two 8-wide vectors; lanes: 2 (or 4 past 16 speakers) vectors per frame.
    if (path == SPK_KERNEL_AVX2) return (n > 16 ? 4L : 2L) * m < (long)((n + 5) / 6) * 6 * 2 * ((m + 15) / 16);
    return 0;
#else
    (void)path; (void)n; (void)m; (void)w;
    return 0;
#endif
}

void spk_shared_variance_group_path(int path, int n, int components, int w, const float *const *rows,
                                    const long *offsets, const float *scaled, const float *constants, long stride,
                                    const float *quadratic, float *product, float *selected) {
    enum { SLICE = 32, LINES = SLICE * (LANE_MAX_W * 4 / 64 + 1) };
    if (n <= 0 || n > SLICE || w <= 0) return;
    const float *at[SLICE];
    // The next component's rows: prefetched a few lines per step by the lane products, all at
    // once before the frame tiles (rows longer than LANE_MAX_W only ever take the tiles).
    const char *ahead[LINES];
    int k = chosen_component(offsets, components, 0);
    if (k < components && w <= LANE_MAX_W) {
        const int count = row_lines(n, w, rows, (long)k * w, ahead);
        for (int i = 0; i < count; i++) __builtin_prefetch(ahead[i], 0, 1);
    }
    while (k < components) {
        const int next = chosen_component(offsets, components, k + 1);
        const long o = offsets[k];
        const int m = (int)(offsets[k + 1] - o);
        for (int s = 0; s < n; s++) at[s] = rows[s] + (long)k * w;
        const int count = next < components && w <= LANE_MAX_W ? row_lines(n, w, rows, (long)next * w, ahead) : 0;
        if (next < components) __builtin_prefetch(constants + (long)next * stride, 0, 3);
        long speakerStride = m, frameStride = 1;
#if SPK_X86
        if (use_lanes(path, n, m, w)) {
            if (path == SPK_KERNEL_AVX512) lanes512(n, m, w, at, scaled + (long)w * o, m, product, ahead, count);
            else lanes256(n, m, w, at, scaled + (long)w * o, m, product, ahead, count);
            speakerStride = 1;
            frameStride = LANES;
        } else
#endif
        {
            for (int i = 0; i < count; i++) __builtin_prefetch(ahead[i], 0, 1);
            spk_gemm_rows_path(path, n, m, w, at, scaled + (long)w * o, m, product, m);
        }
        // Pair rows of the group's speakers: selected[pair][s] = (product + constant) + quadratic.
        const float *g = constants + (long)k * stride;
        for (int i = 0; i < m; i++) {
            float *row = selected + (o + i) * LANES;
            const float *pr = product + (long)i * frameStride;
            const float q = quadratic[o + i];
            for (int s = 0; s < n; s++) row[s] = pr[(long)s * speakerStride] + g[s] + q;
        }
        k = next;
    }
}

void spk_shared_variance_group(int n, int components, int w, const float *const *rows, const long *offsets,
                               const float *scaled, const float *constants, long stride, const float *quadratic,
                               float *product, float *selected) {
    spk_shared_variance_group_path(spk_kernel_path(), n, components, w, rows, offsets, scaled, constants, stride,
                                   quadratic, product, selected);
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
