"""Shared test settings: one BLAS/torch thread per worker (fastest on 2 cores with xdist)."""

import os

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import matplotlib  # noqa: E402

matplotlib.use("Agg")

from threadpoolctl import threadpool_limits  # noqa: E402

threadpool_limits(1)

import torch  # noqa: E402

torch.set_num_threads(1)
