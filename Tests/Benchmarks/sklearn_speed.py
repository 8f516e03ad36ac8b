#!/usr/bin/env python3
"""scikit-learn peers of `speakerid-dev bench em` and `speakerid-dev bench score` (issue 5): the same
sizes, random data from a seed, GaussianMixture(covariance_type='diag') in float64 over the
machine's BLAS. Prints JSON lines.

    python3 Tests/Benchmarks/sklearn_speed.py em --frames 200000 --dim 39 --components 256 --iterations 3
    python3 Tests/Benchmarks/sklearn_speed.py score --models 100 --components 64 --frames 100000 --dim 39
Threads: set OMP_NUM_THREADS / OPENBLAS_NUM_THREADS (1 by default here, as the single-thread peer).
"""
import argparse, json, os, time

for v in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(v, "1")
import numpy as np
from sklearn.mixture import GaussianMixture


def data(n, d, seed):
    rng = np.random.default_rng(seed)
    centres = rng.normal(0, 3, (16, d))
    return centres[rng.integers(0, 16, n)] + rng.normal(0, 1, (n, d))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("what", choices=["em", "score"])
    ap.add_argument("--frames", type=int, default=200000)
    ap.add_argument("--dim", type=int, default=39)
    ap.add_argument("--components", type=int, default=256)
    ap.add_argument("--iterations", type=int, default=3)
    ap.add_argument("--models", type=int, default=100)
    a = ap.parse_args()
    x = data(a.frames, a.dim, 1)
    threads = int(os.environ["OPENBLAS_NUM_THREADS"])
    if a.what == "em":
        g = GaussianMixture(a.components, covariance_type="diag", max_iter=1, init_params="random_from_data", random_state=0).fit(x[:5000])
        t = time.perf_counter()
        for _ in range(a.iterations):
            _, log_resp = g._e_step(x)
            g._m_step(x, log_resp)
        per = (time.perf_counter() - t) / a.iterations
        print(json.dumps({"peer": "sklearn GaussianMixture diag E+M step", "frames": a.frames, "dim": a.dim,
                          "components": a.components, "threads": threads, "seconds_per_iteration": per,
                          "frame_components_per_second": a.frames * a.components / per}))
    else:
        rng = np.random.default_rng(7)
        models = []
        for _ in range(a.models):
            g = GaussianMixture(a.components, covariance_type="diag")
            g.weights_ = np.full(a.components, 1 / a.components)
            g.means_ = rng.normal(0, 3, (a.components, a.dim))
            g.covariances_ = 0.5 + rng.random((a.components, a.dim))
            g.precisions_cholesky_ = 1 / np.sqrt(g.covariances_)
            models.append(g)
        t = time.perf_counter()
        s = [m.score(x) for m in models]
        print(json.dumps({"peer": "sklearn GaussianMixture.score loop", "models": a.models, "components": a.components,
                          "frames": a.frames, "dimension": a.dim, "threads": threads, "run_seconds": time.perf_counter() - t}))


if __name__ == "__main__":
    main()
