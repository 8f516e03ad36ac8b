#ifndef SPEAKERID_CKERNELS_H
#define SPEAKERID_CKERNELS_H

/// Max-shifted log-sum-exp of each of `rows` rows of `cols` floats (row-major, stride `cols`),
/// written to `out` in double. The rows are overwritten with exp(x - row maximum).
void spk_logsumexp_rows(float *x, int rows, int cols, double *out);

/// x[i] = exp(x[i] - shift); returns the sum of the results.
float spk_exp_shifted(float *x, int n, float shift);


/// C (n x k) = A (n x w) * Bt (w x k), all row-major: the scoring product with the model's
/// matrix stored transposed. A register-blocked kernel (4 rows x 16 columns per tile) kept to
/// measure against OpenBLAS's sgemm (`speakerid bench gemm`).
void spk_sgemm_tile(const float *a, const float *bt, float *c, int n, int w, int k);

/// out[r] = dot(m[r, 0..<cols], x) for r in 0..<rows (m row-major).
void spk_gemv(const float *m, const float *x, int rows, int cols, float *out);

/// Makes glibc serve large blocks from the heap and keep freed memory for reuse (see
/// Sources/speakerid/main.swift for why). No-op elsewhere.
void spk_tune_malloc(void);
#endif
