// Plans SpeakerID's FFT problems with FFTW_PATIENT and prints the wisdom, or (with a wisdom
// file) times each size's plan from that wisdom against FFTW_ESTIMATE's.
#include <fftw3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
enum { BATCH = 16 };
static const int sizes[] = {128, 256, 512, 1024, 2048};
static fftwf_plan make(int n, unsigned flags, float *in, fftwf_complex *out) {
    return fftwf_plan_many_dft_r2c(1, &n, BATCH, in, NULL, 1, n, out, NULL, 1, n / 2 + 1, flags);
}
static double ns_per_transform(fftwf_plan p, float *in, fftwf_complex *out, int n) {
    int reps = 2000000 / n; double best = 1e30;
    for (int k = 0; k < 7; k++) {
        struct timespec t0, t1; clock_gettime(CLOCK_MONOTONIC, &t0);
        for (int r = 0; r < reps; r++) fftwf_execute_dft_r2c(p, in, out);
        clock_gettime(CLOCK_MONOTONIC, &t1);
        double t = ((t1.tv_sec - t0.tv_sec) * 1e9 + (t1.tv_nsec - t0.tv_nsec)) / ((double)reps * BATCH);
        if (t < best) best = t;
    }
    return best;
}
int main(int argc, char **argv) {
    int count = sizeof sizes / sizeof *sizes;
    if (argc > 1 && strcmp(argv[1], "--version") == 0) { puts(fftwf_version); return 0; }
    if (argc < 2) {
        for (int i = 0; i < count; i++) {
            int n = sizes[i];
            float *in = fftwf_alloc_real(n * BATCH); fftwf_complex *out = fftwf_alloc_complex((n / 2 + 1) * BATCH);
            fftwf_destroy_plan(make(n, FFTW_PATIENT, in, out));
            fftwf_free(in); fftwf_free(out);
        }
        char *s = fftwf_export_wisdom_to_string(); fputs(s, stdout); free(s);
        return 0;
    }
    for (int i = 0; i < count; i++) {
        int n = sizes[i];
        float *in = fftwf_alloc_real(n * BATCH); fftwf_complex *out = fftwf_alloc_complex((n / 2 + 1) * BATCH);
        for (int j = 0; j < n * BATCH; j++) in[j] = (float)rand() / RAND_MAX - 0.5f;
        fftwf_forget_wisdom();
        fftwf_plan e = make(n, FFTW_ESTIMATE, in, out);
        if (!fftwf_import_wisdom_from_filename(argv[1])) { fprintf(stderr, "cannot import %s\n", argv[1]); return 1; }
        fftwf_plan w = make(n, FFTW_ESTIMATE | FFTW_WISDOM_ONLY, in, out);
        if (!w) {
            printf("%5d points: no plan from the wisdom\n", n);
            fftwf_destroy_plan(e); fftwf_free(in); fftwf_free(out);
            continue;
        }
        double te = ns_per_transform(e, in, out, n), tw = ns_per_transform(w, in, out, n);
        printf("%5d points: estimate %6.1f ns, wisdom %6.1f ns per transform (%.2fx)\n", n, te, tw, te / tw);
        fftwf_destroy_plan(e); fftwf_destroy_plan(w); fftwf_free(in); fftwf_free(out);
    }
    return 0;
}
