#ifndef SPEAKERID_CKERNELS_H
#define SPEAKERID_CKERNELS_H

/// Max-shifted log-sum-exp of each of `rows` rows of `cols` floats (row-major, stride `cols`),
/// written to `out` in double. The rows are left as they were.
void spk_logsumexp_rows(float *x, int rows, int cols, double *out);

/// x[i] = exp(x[i] - shift); returns the sum of the results.
float spk_exp_shifted(float *x, int n, float shift);

/// EM posteriors in place: each of `rows` rows of `cols` log-likelihoods becomes
/// exp(x - row maximum) / (sum of those), and *ll grows by row maximum + log(sum), row by row in
/// order (the same operations as the maximum, `spk_exp_shifted` and a scaling by 1 / sum).
void spk_posteriors_rows(float *x, int rows, int cols, double *ll);

/// out (cols x rows) = a (rows x cols) transposed, both row-major and dense.
void spk_transpose(const float *a, int rows, int cols, float *out);


/// For t in 0..<n: out[t] = log sum_j exp(x[j][t]) - subtract[t], x being c rows of n
/// (max-shifted; exp and log as VectorMath's): a speaker's top-C frame scores, vectorised over frames.
void spk_topc_lse(const float *x, int c, int n, const double *subtract, double *out);

/// out[r] = dot(m[r, 0..<cols], x) for r in 0..<rows (m row-major).
void spk_gemv(const float *m, const float *x, int rows, int cols, float *out);

/// The product kernels of `spk_gemm`: which one this CPU runs (`spk_kernel_path`).
enum { SPK_KERNEL_PORTABLE = 0, SPK_KERNEL_AVX2 = 1, SPK_KERNEL_AVX512 = 2 };

/// C (n x k) = A (n x w) Bt (w x k), row-major with leading dimensions lda, ldb, ldc: every
/// element one fused multiply-add chain over p = 0..<w in order, so every kernel path gives the
/// same bits. The path is the best this CPU supports (SPEAKERID_KERNEL=avx512|avx2|portable
/// forces a lesser one).
void spk_gemm(int n, int k, int w, const float *a, long lda, const float *bt, long ldb, float *c, long ldc);

/// `spk_gemm` on a given path (which must be supported: `spk_kernel_supported`).
void spk_gemm_path(int path, int n, int k, int w, const float *a, long lda, const float *bt, long ldb,
                   float *c, long ldc);

/// `spk_gemm` with A given by row pointers (rows[i] holds row i's w floats): rows from many
/// separate arrays, as the means of many speaker models, multiplied without copying them.
void spk_gemm_rows(int n, int k, int w, const float *const *rows, const float *bt, long ldb, float *c, long ldc);
void spk_gemm_rows_path(int path, int n, int k, int w, const float *const *rows, const float *bt, long ldb,
                        float *c, long ldc);

/// The path `spk_gemm` takes on this CPU.
int spk_kernel_path(void);

/// Whether this CPU can run `path`.
int spk_kernel_supported(int path);

/// Runs `iterations` rounds of independent FMA chains on `path` (enough chains to fill every
/// FMA port of current cores) and returns the flops done; the caller times it to measure the
/// core's peak. `sink` receives a value so the work is not optimised away.
double spk_fma_loop(int path, long iterations, float *sink);

/// Makes glibc serve large blocks from the heap and keep freed memory for reuse (see
/// Sources/speakerid/main.swift for why). No-op elsewhere.
void spk_tune_malloc(void);
#endif
