"""Shared test settings: one BLAS/torch thread per worker, reproducible hypothesis inputs."""

import os

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import matplotlib  # noqa: E402

matplotlib.use("Agg")

from threadpoolctl import threadpool_limits  # noqa: E402

threadpool_limits(1)

import torch  # noqa: E402

torch.set_num_threads(1)

from hypothesis import settings  # noqa: E402

# The same inputs on every run and machine, so a CI failure reproduces; set
# HYPOTHESIS_PROFILE=explore to draw fresh inputs (and find new bugs) locally.
settings.register_profile("ci", derandomize=True, database=None)
settings.register_profile("explore", derandomize=False)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))
