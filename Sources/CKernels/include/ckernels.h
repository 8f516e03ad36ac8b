#ifndef SPEAKERID_CKERNELS_H
#define SPEAKERID_CKERNELS_H

/// Max-shifted log-sum-exp of each of `rows` rows of `cols` floats (row-major, stride `cols`),
/// written to `out` in double. The rows are left as they were.
void spk_logsumexp_rows(float *x, int rows, int cols, double *out);


/// EM posteriors in place: each of `rows` rows of `cols` log-likelihoods becomes
/// exp(x - row maximum) / (sum of those), and *ll grows by row maximum + log(sum), row by row in
/// order (the maximum, exp(x - maximum) summed in sixteen partial sums, a scaling by 1 / sum).
void spk_posteriors_rows(float *x, int rows, int cols, double *ll);

/// out (cols x rows) = a (rows x cols) transposed, both row-major and dense.
void spk_transpose(const float *a, int rows, int cols, float *out);


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

/// One step of an LSTM cell (PyTorch's gate order: input, forget, cell, output) for one sequence
/// of hidden size h: with the gates' recurrent products g (4h), the input's products p (4h) and
/// the bias (4h), c (h) becomes f c + i tanh(g) and hidden and out (h each) o tanh(c); sigmoid and
/// tanh from an e^x within 3 ulp of libm's. The same bits on every path (`spk_kernel_path`).
void spk_lstm_cell_path(int path, int h, const float *g, const float *p, const float *bias, float *c, float *hidden,
                        float *out);

/// Speakers per group of top-C scoring with shared variances: the lanes of the pair rows.
enum { SPK_SPEAKER_GROUP = 32 };

/// One group of `n` (at most SPK_SPEAKER_GROUP) speakers that share the UBM's variances: for
/// every component k with pairs offsets[k]..<offsets[k+1], the product of the speakers' mean
/// rows (rows[s] + k * w) with the pairs' scaled frames (scaled + w * offsets[k], w x m), plus
/// the speaker's constant (constants[k * stride + s]) and the pair's quadratic term, written
/// as pair rows: selected[pair * SPK_SPEAKER_GROUP + s] = (product + constant) + quadratic.
/// Every product is one fused chain over the dimensions in order, whichever layout a component
/// takes (frames or speakers in the vector lanes). `product` holds SPK_SPEAKER_GROUP x the
/// largest m floats.
void spk_shared_variance_group(int n, int components, int w, const float *const *rows, const long *offsets,
                               const float *scaled, const float *constants, long stride, const float *quadratic,
                               float *product, float *selected);
/// `spk_shared_variance_group` on a given kernel path (one this CPU supports), for tests.
void spk_shared_variance_group_path(int path, int n, int components, int w, const float *const *rows,
                                    const long *offsets, const float *scaled, const float *constants, long stride,
                                    const float *quadratic, float *product, float *selected);
/// Top-C frame scores of a group of speakers, vectorised over the speakers: for `speakers` lanes
/// and n frames, frame t's C values x_j are the rows position[t * c + j] of `selected`
/// (SPK_SPEAKER_GROUP wide); out[s * n + t] = m + log sum_j exp(x_j - m) - subtract[t], with m
/// the largest x_j (max-shifted; exp and log as VectorMath's, the sum in j order).
void spk_topc_lse_rows(const float *selected, const long *position, int c, int n, int speakers,
                       const double *subtract, double *out);
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

// ---------------------------------------------------------------------------------------------
// MFCC front end (cepstral.c): the per-frame arithmetic around FFTW, for batches of up to
// SPK_CEP_LANES frames. The same bits on every CPU path, and the same as one frame at a time.

/// Frames per batch of `spk_cep_finish` (the FFT batch of CepstralAnalyzer).
enum { SPK_CEP_LANES = 16 };

/// A front end's precomputed tables and settings (CepstralTransform), borrowed, not owned.
typedef struct spk_cep_tables {
    int frame_length;          ///< L, samples a frame
    int fft_size;              ///< floats between frames in the FFT input
    int bins;                  ///< fft_size / 2 + 1: complex values between frames in the FFT output
    int filters;               ///< M mel filters
    int rows;                  ///< R cepstral coefficients computed (c0 first when requested)
    int remove_dc;             ///< nonzero: subtract each frame's mean first
    float pre_emphasis;
    float log_floor;           ///< mel energies below it are raised to it before the log
    const float *window;       ///< L weights
    const float *mel_weights;  ///< every filter's weights, end to end
    const int *mel_first_bin;  ///< M: each filter's first FFT bin
    const int *mel_offset;     ///< M + 1: each filter's first weight in mel_weights; [M] = total
    const float *dct;          ///< M x R, row m: filter m's weight in each coefficient
    const float *lifter;       ///< R weights, or NULL for none
} spk_cep_tables;

/// For f in 0..<n, the frame of L samples at frames[f]: its energy after DC removal (sum of
/// squares, four partial sums) to energy[f], and its DC-removed, pre-emphasised, windowed
/// samples to fft_in + f * fft_size (the first L floats; the rest is left alone).
void spk_cep_prepare(const spk_cep_tables *t, const float *const *frames, int n, float *fft_in, float *energy);

/// For f in 0..<n (n <= SPK_CEP_LANES), from the f-th spectrum of `spectra` (bins interleaved
/// complex values each): power spectrum, mel energies (two partial sums, floored), their logs
/// (Cephes' logf, as VectorMath.log), DCT-II (summed over the filters in order) and lifter; the
/// R coefficients to out + f * ld. `power` is scratch of bins * SPK_CEP_LANES floats; `logmel`
/// (filters * SPK_CEP_LANES floats) receives the log mel energies, logmel[m * SPK_CEP_LANES + f].
void spk_cep_finish(const spk_cep_tables *t, const float *spectra, int n, float *power, float *logmel,
                    float *out, long ld);

/// Regression deltas (Deltas.append): out (T x S(order + 1), row-major) gets the T x S statics
/// `in`, then `order` levels of d_t = scale * sum_{n=1..W} n (c_{t+n} - c_{t-n}) of the level
/// before, the first and last rows repeated at the edges; each sum in order of n from zero.
void spk_deltas(const float *in, long T, long S, long order, long W, float scale, float *out);
#endif
