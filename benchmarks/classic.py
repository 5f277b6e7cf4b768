"""labcoat.classic against scikit-learn, measured in one process: time ratios (ours / theirs).

Honest by construction:
- the two sides alternate (A B A B ...), so a load change on the shared machine hits both;
- each row prints the median and the minimum of the per-run ratios, and the times;
- both sides do the same work, and the row says which: KMeans starts from the same centroids
  with the same tolerance (both iteration counts printed, the time is per iteration); t-SNE runs
  the same number of iterations (1000, scikit-learn's default; 250 of them exaggerated) with
  the same perplexity;
- the accuracy is printed next to the time (explained variance, inertia, R^2, coefficient
  difference, trustworthiness);
- both sides run on one thread (threadpoolctl: BLAS and OpenMP), so the ratio compares the
  code and not the number of cores the machine happens to have free.

Targets: PCA and Ridge <= 1.2x, KMeans <= 1.2x per iteration, t-SNE <= 1.0x scikit-learn's
Barnes-Hut at 10k points with trustworthiness within 0.005, growth exponent <= 1.3 over 2k-20k
points, 100k points in under 10 minutes.

Run: ``python benchmarks/classic.py`` (PCA, KMeans, Ridge, Lasso, t-SNE of the digits; 10
minutes at a load of 8 on 2 cores), ``--quick`` (no t-SNE), ``--tsne-scaling`` (t-SNE at 2k,
5k, 10k, 20k points against scikit-learn, and the log-log growth exponents; about an hour at
that load), ``--large [SIZES]`` (labcoat alone, 100k points by default, e.g. ``--large 20000 50000
100000`` for the growth exponent beyond the sizes where scikit-learn's Barnes-Hut takes hours:
wall and CPU seconds, and both per stage: kNN search, calibration, attraction, FFT repulsion).
The load average is printed with the figures: the machine is shared, and the CPU time of the
one-thread process is what the run takes on an idle core.
"""

import argparse
import os
import statistics
import time

import numpy as np
from sklearn import cluster, decomposition, linear_model, manifold
from threadpoolctl import threadpool_limits

from labcoat.classic import manifold as manifold_ours
from labcoat.classic.cluster import KMeans, kmeans_plusplus
from labcoat.classic.datasets import load_diabetes, load_digits
from labcoat.classic.decomposition import PCA
from labcoat.classic.linear_model import Ridge, lasso_path
from labcoat.classic.manifold import FFT_ABOVE, TSNE

TSNE_ITER = 1000  # scikit-learn's default max_iter, used on both sides


def timed(function):
    """(seconds, result) of one call."""
    start = time.perf_counter()
    result = function()
    return time.perf_counter() - start, result


def interleaved(ours, theirs, repeats, number=1):
    """Per-call times of both sides, run alternately A B A B ...; and the last results."""
    times_ours, times_theirs = [], []
    result_ours = result_theirs = None
    for _ in range(repeats):
        t, result_ours = timed(lambda: [ours() for _ in range(number)][-1])
        times_ours.append(t / number)
        t, result_theirs = timed(lambda: [theirs() for _ in range(number)][-1])
        times_theirs.append(t / number)
    return times_ours, times_theirs, result_ours, result_theirs


def row(name, times_ours, times_theirs, target, work, accuracy):
    """One line: median times, median and min of the per-run ratios, the work and accuracy."""
    ratios = [a / b for a, b in zip(times_ours, times_theirs, strict=True)]
    median = statistics.median(ratios)
    verdict = "ok" if median <= target else "SLOWER THAN TARGET"
    print(
        f"{name:<30} labcoat {statistics.median(times_ours) * 1e3:10.2f} ms  "
        f"sklearn {statistics.median(times_theirs) * 1e3:10.2f} ms  "
        f"ratio median {median:5.2f} min {min(ratios):5.2f} (target <= {target}) {verdict}\n"
        f"{'':<30} work: {work}; accuracy: {accuracy}",
        flush=True,
    )


def bench_pca(repeats):
    x = np.random.default_rng(0).normal(size=(10_000, 100)) @ np.diag(np.linspace(1, 3, 100))
    a_t, b_t, a, b = interleaved(
        lambda: PCA(10).fit(x), lambda: decomposition.PCA(10).fit(x), repeats
    )
    difference = np.abs(a.explained_variance_ - b.explained_variance_).max()
    row(
        "PCA fit 10000x100",
        a_t,
        b_t,
        1.2,
        "10 components of the same matrix",
        f"max |explained variance difference| {difference:.1e}",
    )


def bench_kmeans(repeats):
    x = np.random.default_rng(1).normal(size=(10_000, 20))  # no clusters: many Lloyd steps
    start = kmeans_plusplus(x, 10, np.random.default_rng(0))
    a_t, b_t, a, b = interleaved(
        lambda: KMeans(10, init=start, n_init=1).fit(x),
        lambda: cluster.KMeans(10, init=start, n_init=1, algorithm="lloyd").fit(x),
        repeats,
    )
    per_iteration_ours = [t / a.n_iter_ for t in a_t]
    per_iteration_theirs = [t / b.n_iter_ for t in b_t]
    row(
        "KMeans 10000x20 k=10 per iter",
        per_iteration_ours,
        per_iteration_theirs,
        1.2,
        f"same k-means++ start, tol 1e-4; iterations {a.n_iter_} vs {b.n_iter_}",
        f"inertia {a.inertia_:.3f} vs {b.inertia_:.3f}",
    )


def bench_ridge_and_lasso(repeats):
    x, y = load_diabetes()
    a_t, b_t, a, b = interleaved(
        lambda: Ridge(1.0).fit(x, y), lambda: linear_model.Ridge(1.0).fit(x, y), repeats, 200
    )
    r2 = f"R^2 {a.score(x, y):.6f} vs {b.score(x, y):.6f}"
    row("Ridge fit diabetes", a_t, b_t, 1.2, "alpha 1, same data", r2)
    xc, yc = x - x.mean(axis=0), y - y.mean()
    a_t, b_t, (alphas_a, a), (alphas_b, b, _) = interleaved(
        lambda: lasso_path(xc, yc), lambda: linear_model.lasso_path(xc, yc), repeats, 5
    )
    same_grid = np.allclose(alphas_a, alphas_b, rtol=1e-12)
    row(
        "Lasso path diabetes (100)",
        a_t,
        b_t,
        float("inf"),
        f"100 alphas (same grid: {same_grid}), each side to its own stopping rule",
        f"max |coef difference| {np.abs(a - b).max():.2e}",
    )


def _tsne_pair(x, repeats, sample=None):
    """Interleaved labcoat / scikit-learn t-SNE runs at TSNE_ITER iterations, trustworthiness."""
    a_t, b_t, a, b = interleaved(
        lambda: TSNE(max_iter=TSNE_ITER, random_state=0).fit_transform(x),
        lambda: manifold.TSNE(max_iter=TSNE_ITER, random_state=0).fit_transform(x),
        repeats,
    )
    rows = slice(None) if sample is None else sample
    t_a = manifold.trustworthiness(x[rows], a[rows], n_neighbors=5)
    t_b = manifold.trustworthiness(x[rows], b[rows], n_neighbors=5)
    return a_t, b_t, t_a, t_b


def bench_tsne_digits(repeats):
    x, _ = load_digits()
    a_t, b_t, t_a, t_b = _tsne_pair(x, repeats)
    row(
        "TSNE 1797 digits (exact vs BH)",
        a_t,
        b_t,
        1.0,
        f"{TSNE_ITER} iterations each, perplexity 30, labcoat method='auto' (exact here)",
        f"trustworthiness@5 {t_a:.4f} vs {t_b:.4f} (difference {t_a - t_b:+.4f})",
    )


def noisy_digits(m, seed=0):
    """m digits drawn with replacement plus Gaussian pixel noise (sd 2 on the 0-16 scale)."""
    x, _ = load_digits()
    rng = np.random.default_rng(seed)
    return x[rng.integers(0, x.shape[0], m)] + rng.normal(scale=2.0, size=(m, x.shape[1]))


def slope(sizes, times):
    """The growth exponent: the least-squares slope of log(time) against log(size)."""
    return float(np.polyfit(np.log(sizes), np.log(times), 1)[0])


def bench_tsne_scaling(sizes):
    """t-SNE at growing sizes, both sides once per size, interleaved; growth exponents."""
    ours, theirs = [], []
    for m in sizes:
        x = noisy_digits(m)
        sample = np.random.default_rng(1).choice(m, size=min(m, 2000), replace=False)
        a_t, b_t, t_a, t_b = _tsne_pair(x, 1, sample)
        ours.append(a_t[0])
        theirs.append(b_t[0])
        method = "fft" if m > FFT_ABOVE else "exact"
        row(
            f"TSNE {m} noisy digits",
            a_t,
            b_t,
            1.0,
            f"{TSNE_ITER} iterations each, labcoat method='auto' ({method})",
            f"trustworthiness@5 on {sample.size} points {t_a:.4f} vs {t_b:.4f} "
            f"(difference {t_a - t_b:+.4f})",
        )
    print(
        f"growth exponent over {sizes[0]}-{sizes[-1]} points: labcoat {slope(sizes, ours):.2f} "
        f"(target <= 1.3), scikit-learn {slope(sizes, theirs):.2f}",
        flush=True,
    )


class StageClock:
    """Wall and CPU seconds spent inside named functions (wrapped in place, restored on exit).

    The CPU time of this one-thread process is what the run would take on an idle core; the
    wall time is what it took on the shared machine.
    """

    STAGES = (
        ("kNN search", manifold_ours, "_nearest_neighbours"),
        ("perplexity calibration", manifold_ours, "conditional_probabilities"),
        ("PCA initialization", manifold_ours.TSNE, "_initial"),
        ("attraction (sparse P)", manifold_ours._Gradient, "_attraction"),
        ("FFT repulsion: spreading", manifold_ours._FFTRepulsion, "_spread"),
        ("FFT repulsion: convolution", manifold_ours._FFTRepulsion, "_convolve"),
        ("FFT repulsion: all", manifold_ours._FFTRepulsion, "__call__"),
        ("gradient descent: all", manifold_ours.TSNE, "_descend"),
    )

    def __init__(self):
        self.wall = {name: 0.0 for name, _, _ in self.STAGES}
        self.cpu = dict(self.wall)
        self.grid_sizes = []

    def __enter__(self):
        self.saved = [
            (owner, attribute, getattr(owner, attribute)) for _, owner, attribute in self.STAGES
        ]
        for (name, owner, attribute), (_, _, function) in zip(self.STAGES, self.saved, strict=True):
            setattr(owner, attribute, self._wrap(name, function))
        return self

    def __exit__(self, *exc):
        for owner, attribute, function in self.saved:
            setattr(owner, attribute, function)

    def _wrap(self, name, function):
        def timed_call(*args, **kwargs):
            wall, cpu = time.perf_counter(), time.process_time()
            result = function(*args, **kwargs)
            self.wall[name] += time.perf_counter() - wall
            self.cpu[name] += time.process_time() - cpu
            if name == "FFT repulsion: convolution":
                self.grid_sizes.append(args[1].shape[-1])
            return result

        return timed_call

    def report(self):
        for name, _, _ in self.STAGES:
            print(f"  {name:<28} wall {self.wall[name]:7.1f} s  cpu {self.cpu[name]:7.1f} s")
        if self.grid_sizes:
            print(
                f"  grid nodes per axis: first {self.grid_sizes[0]}, median "
                f"{int(np.median(self.grid_sizes))}, last {self.grid_sizes[-1]}"
            )


def bench_tsne_large(m):
    """labcoat alone at m points (scikit-learn's Barnes-Hut takes hours there), with stages."""
    x = noisy_digits(m)
    with StageClock() as clock:
        cpu = time.process_time()
        seconds, model = timed(lambda: TSNE(max_iter=TSNE_ITER, random_state=0).fit(x))
        cpu = time.process_time() - cpu
    sample = np.random.default_rng(1).choice(m, size=2000, replace=False)
    trust = manifold.trustworthiness(x[sample], model.embedding_[sample], n_neighbors=5)
    verdict = "ok" if seconds < 600 else "SLOWER THAN TARGET"
    target = f" (target < 600 s wall) {verdict}" if m == 100_000 else ""
    span = np.ptp(model.embedding_, axis=0).max()
    print(
        f"TSNE {m} noisy digits: labcoat wall {seconds:.0f} s, cpu {cpu:.0f} s{target}; "
        f"{TSNE_ITER} iterations; trustworthiness@5 on 2000 points {trust:.4f}; "
        f"embedding span {span:.0f}; KL {model.kl_divergence_:.3f}",
        flush=True,
    )
    clock.report()
    return seconds, cpu


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="fewer repeats, no t-SNE")
    parser.add_argument("--tsne-scaling", action="store_true", help="only the t-SNE scaling")
    parser.add_argument("--sizes", type=int, nargs="+", default=[2000, 5000, 10_000, 20_000])
    parser.add_argument(
        "--large",
        type=int,
        nargs="*",
        help="only labcoat's t-SNE at these sizes (default 100000), with a per-stage breakdown",
    )
    args = parser.parse_args()
    print(f"load: {os.getloadavg()[0]:.2f} (1 min), one thread per side", flush=True)
    with threadpool_limits(1):
        if args.large is not None:
            sizes = args.large or [100_000]
            walls, cpus = zip(*[bench_tsne_large(m) for m in sizes], strict=True)
            if len(sizes) >= 3:
                print(
                    f"growth exponent over {sizes[0]}-{sizes[-1]} points: labcoat wall "
                    f"{slope(sizes, walls):.2f}, cpu {slope(sizes, cpus):.2f}",
                    flush=True,
                )
        elif args.tsne_scaling:
            bench_tsne_scaling(args.sizes)
        else:
            repeats = 3 if args.quick else 7
            bench_pca(repeats)
            bench_kmeans(repeats)
            bench_ridge_and_lasso(repeats)
            if not args.quick:
                bench_tsne_digits(3)
    print(f"load: {os.getloadavg()[0]:.2f} (1 min)", flush=True)


if __name__ == "__main__":
    main()
