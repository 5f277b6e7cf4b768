"""labcoat.classic against scikit-learn, measured in one process: time ratios (ours / theirs).

Targets: PCA and Ridge <= 1.2x, KMeans <= 2x, TSNE faster than scikit-learn's default
(Barnes-Hut) at equal or better trustworthiness. Each timing is the minimum over repeats
(the machine is shared). Run: ``python benchmarks/classic.py [--quick]``.
"""

import argparse
import time

import numpy as np
from sklearn import cluster, decomposition, linear_model, manifold

from labcoat.classic.cluster import KMeans
from labcoat.classic.datasets import load_diabetes, load_digits
from labcoat.classic.decomposition import PCA
from labcoat.classic.linear_model import Ridge, lasso_path
from labcoat.classic.manifold import TSNE


def best_time(function, repeats, number=1):
    times = []
    result = None
    for _ in range(repeats):
        start = time.perf_counter()
        for _ in range(number):
            result = function()
        times.append((time.perf_counter() - start) / number)
    return min(times), result


def row(name, ours, theirs, target, extra=""):
    ratio = ours / theirs
    verdict = "ok" if ratio <= target else "SLOWER THAN TARGET"
    print(
        f"{name:<28} labcoat {ours * 1e3:9.2f} ms   sklearn {theirs * 1e3:9.2f} ms   "
        f"ratio {ratio:5.2f} (target <= {target})  {verdict} {extra}"
    )


def bench_pca(repeats):
    x = np.random.default_rng(0).normal(size=(10_000, 100)) @ np.diag(np.linspace(1, 3, 100))
    ours, _ = best_time(lambda: PCA(10).fit(x), repeats)
    theirs, _ = best_time(lambda: decomposition.PCA(10).fit(x), repeats)
    row("PCA fit 10000x100", ours, theirs, 1.2)


def bench_kmeans(repeats):
    x = np.random.default_rng(1).normal(size=(10_000, 20))  # no clusters: many Lloyd steps
    ours, a = best_time(lambda: KMeans(10, n_init=3, random_state=0).fit(x), repeats)
    theirs, b = best_time(lambda: cluster.KMeans(10, n_init=3, random_state=0).fit(x), repeats)
    extra = f"(inertia {a.inertia_:.1f} vs {b.inertia_:.1f}; iterations {a.n_iter_} vs {b.n_iter_})"
    row("KMeans 10000x20 k=10 n_init=3", ours, theirs, 2.0, extra)


def bench_tsne(repeats):
    x, _ = load_digits()
    ours, a = best_time(lambda: TSNE(random_state=0).fit_transform(x), repeats)
    theirs, b = best_time(lambda: manifold.TSNE(random_state=0).fit_transform(x), repeats)
    t_ours = manifold.trustworthiness(x, a, n_neighbors=5)
    t_theirs = manifold.trustworthiness(x, b, n_neighbors=5)
    better = "ok" if t_ours >= t_theirs else "LOWER TRUSTWORTHINESS"
    extra = f"(trustworthiness@5 {t_ours:.5f} vs {t_theirs:.5f}: {better})"
    row("TSNE 1797 digits (vs BH)", ours, theirs, 1.0, extra)


def bench_ridge_and_lasso(repeats):
    x, y = load_diabetes()
    ours, _ = best_time(lambda: Ridge(1.0).fit(x, y), repeats, number=200)
    theirs, _ = best_time(lambda: linear_model.Ridge(1.0).fit(x, y), repeats, number=200)
    row("Ridge fit diabetes", ours, theirs, 1.2)
    xc, yc = x - x.mean(axis=0), y - y.mean()
    ours, (_, a) = best_time(lambda: lasso_path(xc, yc), repeats, number=5)
    theirs, (_, b, _) = best_time(lambda: linear_model.lasso_path(xc, yc), repeats, number=5)
    extra = f"(max |coef difference| {np.abs(a - b).max():.2e})"
    row("Lasso path diabetes (100)", ours, theirs, float("inf"), extra)


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="fewer repeats, no t-SNE")
    args = parser.parse_args()
    repeats = 2 if args.quick else 5
    bench_pca(repeats)
    bench_kmeans(repeats)
    bench_ridge_and_lasso(repeats)
    if not args.quick:
        bench_tsne(2)


if __name__ == "__main__":
    main()
