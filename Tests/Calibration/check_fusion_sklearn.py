#!/usr/bin/env python3
"""The fusion's last step against scikit-learn: linear logistic regression of the two
systems' calibrated LLRs, targets and non-targets weighted to the effective prior P (each
class's weights sum to P and 1 - P), without regularisation, as BOSARIS/FoCal fit it.
scikit-learn models the posterior log-odds w.x + b'; the fusion's LLR is that minus logit(P),
so b = b' - logit(P).

Usage: check_fusion_sklearn.py TRIALS.tsv PRIOR   (columns: gmm_llr, dvector_llr, 1|0)
Prints: w_gmm w_dvector b
"""
import math
import sys

import numpy as np
from sklearn.linear_model import LogisticRegression

rows = [line.split("\t") for line in open(sys.argv[1]) if line.strip()]
x = np.array([[float(r[0]), float(r[1])] for r in rows])
y = np.array([int(r[2]) for r in rows])
prior = float(sys.argv[2])
nt, nn = int(y.sum()), int(len(y) - y.sum())
w = np.where(y == 1, prior / nt, (1 - prior) / nn)
w = w / w.mean()  # the same minimiser; lbfgs converges better on weights near 1
m = LogisticRegression(penalty=None, solver="lbfgs", tol=1e-12, max_iter=10000).fit(x, y, sample_weight=w)
b = m.intercept_[0] - math.log(prior / (1 - prior))
print(f"{m.coef_[0][0]:.10f} {m.coef_[0][1]:.10f} {b:.10f}")
