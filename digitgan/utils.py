"""Seeding, the machine and package versions a run records, timing, and the spread of seeds: its summary and the
t-tests every difference of the study is read with."""

from __future__ import annotations

import contextlib
import os
import platform
import random
import time
import warnings
from pathlib import Path

import numpy as np

from digitgan import config


def set_seed(seed: int = config.SEED, deterministic: bool = True) -> None:
    """Seed Python, NumPy, TensorFlow and Keras, and choose the op-determinism mode.

    ``deterministic=False`` allows XLA (Keras turns XLA off under op determinism); on this
    CPU stack XLA-compiled steps are repeatable too, so the DCGAN uses that mode.
    """
    import keras
    import tensorflow as tf

    os.environ["PYTHONHASHSEED"] = str(seed)
    random.seed(seed)
    np.random.seed(seed)
    keras.utils.set_random_seed(seed)
    if deterministic:
        tf.config.experimental.enable_op_determinism()
    else:
        from tensorflow.python.framework import config as tf_config  # no public "disable" exists

        tf_config.disable_op_determinism()


VERSIONED = ("tensorflow", "keras", "numpy", "scipy", "scikit-learn", "pandas", "matplotlib", "seaborn", "pillow")


def versions() -> str:
    """One line with Python, every package that shapes the study's numbers or figures (:data:`VERSIONED`), and
    the CPU cores: what a reader needs to rebuild the environment (``requirements.lock`` pins them all)."""
    from importlib.metadata import PackageNotFoundError, version

    def installed(name: str) -> str:
        try:
            return version(name)
        except PackageNotFoundError:
            return "not installed"

    packages = ", ".join(f"{name} {installed(name)}" for name in VERSIONED)
    m = machine()
    flags = ", ".join(f for f in ("avx512f", "amx_bf16") if f in m["cpu_flags"]) or "no avx512"
    return (
        f"Python {platform.python_version()}, {packages}, {os.cpu_count()} CPU cores: {m['cpu']} ({flags}), "
        f"threads intra {m['intra_op_threads']} / inter {m['inter_op_threads']} (0: TensorFlow's default), "
        f"oneDNN {m['onednn_opts']}"
    )


_CPU_FLAG_PREFIXES = ("avx", "amx", "fma", "f16c", "sse4")  # the kernels' choices that change float results


def machine() -> dict:
    """What a run's numbers depend on besides its inputs: the CPU model and the instruction-set flags TensorFlow's
    kernels pick from, the thread settings, and the TensorFlow, Keras and oneDNN versions. Results repeat bit for
    bit on the same CPU model and thread count; every run record holds this."""
    import keras
    import tensorflow as tf

    model, flags = platform.processor() or platform.machine(), []
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            name, _, value = line.partition(":")
            if name.strip() == "model name":
                model = value.strip()
            elif name.strip() == "flags":
                flags = sorted(f for f in value.split() if f.startswith(_CPU_FLAG_PREFIXES))
                break
    onednn = getattr(tf.sysconfig, "get_build_info", dict)().get("onednn_version") or "bundled"
    return {
        "cpu": model,
        "cpu_flags": flags,
        "cores": os.cpu_count(),
        "intra_op_threads": tf.config.threading.get_intra_op_parallelism_threads(),
        "inter_op_threads": tf.config.threading.get_inter_op_parallelism_threads(),
        "tensorflow": tf.__version__,
        "keras": keras.__version__,
        "onednn": onednn,
        "onednn_opts": os.environ.get("TF_ENABLE_ONEDNN_OPTS", "default"),
    }


@contextlib.contextmanager
def timer():
    """``with timer() as t: ...`` then ``t["seconds"]`` holds the wall time."""
    t = {"seconds": 0.0}
    start = time.perf_counter()
    try:
        yield t
    finally:
        t["seconds"] = time.perf_counter() - start


def _sample_std(values) -> float:
    return float(np.std(values, ddof=1)) if len(values) > 1 else float("nan")


def seed_stats(grouped):
    """``mean``, ``std`` (over seeds, ddof 1; missing for a single run, never a 0 spread) and ``runs`` of each
    group of a pandas ``SeriesGroupBy`` (test accuracies grouped by method, label count, ...)."""
    return grouped.agg(mean="mean", std=_sample_std, runs="count")


_SIGNIFICANCE = 0.05  # a difference is claimed only when its test's p is below this


def difference(a, b, paired: bool = False) -> dict:
    """``mean(a) - mean(b)`` with its test, from scipy: Welch's t-test (``paired``: the paired t-test, where the two
    lists pair by seed), its two-sided p-value and the 95% confidence interval of the difference. ``claimed``: p below
    0.05; a p that cannot be computed (no spread at all) claims nothing. The one place the study tests a difference:
    the findings and the README read its records."""
    from scipy import stats

    if np.ndim(a) == 0 or np.ndim(b) == 0:
        return _against_one(a, b)
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    if len(a) < 2 or len(b) < 2 or (paired and len(a) != len(b)):
        raise ValueError(
            f"a difference needs at least 2 values on each side (paired: as many), got {len(a)} and "
            f"{len(b)}: run more seeds"
        )
    p, low, high = _t_test(stats.ttest_rel, a, b) if paired else _t_test(stats.ttest_ind, a, b, equal_var=False)
    test = "paired t-test" if paired else "Welch t-test"
    return _record(float(a.mean() - b.mean()), p, low, high, test, [len(a), len(b)])


def _against_one(a, b) -> dict:
    """:func:`difference` where one side is a single run (a number): the one-sample t-test of the other side's values
    against it (``n`` counts the single run as 1)."""
    from scipy import stats

    sign, values, single = (1.0, b, a) if np.ndim(a) == 0 else (-1.0, a, b)
    values = np.asarray(values, dtype=float)
    if len(values) < 2:
        raise ValueError(f"a difference needs at least 2 values on the other side of a single run, got {len(values)}")
    single = float(single)
    p, low, high = _t_test(stats.ttest_1samp, values, single)  # the interval of mean(values)
    low, high = sorted((sign * (single - low), sign * (single - high)))
    n = [len(values), 1] if sign < 0 else [1, len(values)]
    test = "one-sample t-test against the single value"
    return _record(sign * (single - float(values.mean())), p, low, high, test, n)


def _t_test(test, *args, **kwargs) -> tuple[float, float, float]:
    """A scipy t-test's p-value and 95% confidence interval; with no spread at all scipy warns and gives NaN, which
    :func:`_record` leaves out and which claims nothing."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        result = test(*args, **kwargs)
        low, high = result.confidence_interval(0.95)
    return float(result.pvalue), float(low), float(high)


def _record(diff: float, p: float, low: float, high: float, test: str, n: list[int]) -> dict:
    """A t-test's record, a NaN p or interval end as None."""
    return {
        "difference": diff,
        "p": None if np.isnan(p) else p,
        "ci95": [None if np.isnan(low) else low, None if np.isnan(high) else high],
        "test": test,
        "n": n,
        "claimed": bool(p < _SIGNIFICANCE),
    }


def difference_from_summary(a, mean: float, std: float, n: int) -> dict:
    """:func:`difference` of the values ``a`` against a published mean with its standard deviation over ``n`` runs
    (the reference's own spread, not treated as exact): Welch's t-test from the two summaries."""
    from scipy import stats

    a = np.asarray(a, dtype=float)
    if len(a) < 2:
        raise ValueError(f"a difference needs at least 2 values, got {len(a)}: run more seeds")
    sa, sb = a.std(ddof=1) ** 2 / len(a), std**2 / n
    test = stats.ttest_ind_from_stats(a.mean(), a.std(ddof=1), len(a), mean, std, n, equal_var=False)
    df = (sa + sb) ** 2 / (sa**2 / (len(a) - 1) + sb**2 / (n - 1))
    half = stats.t.ppf(0.975, df) * np.sqrt(sa + sb)
    diff, p = float(a.mean() - mean), float(test.pvalue)
    return {
        "difference": diff,
        "p": p,
        "ci95": [diff - half, diff + half],
        "n": [len(a), n],
        "test": "Welch t-test against the published mean and SD",
        "claimed": bool(p < _SIGNIFICANCE),
    }


def holm(ps) -> list[float]:
    """Holm's step-down adjustment of the p-values ``ps`` (the same order): the family-wise error rate of reading
    every one of them against 0.05."""
    order = np.argsort(ps)
    adjusted, running = np.empty(len(ps)), 0.0
    for rank, i in enumerate(order):
        running = max(running, min(1.0, (len(ps) - rank) * ps[i]))
        adjusted[i] = running
    return [float(p) for p in adjusted]


SHORT_TESTS = {
    "paired t-test": "paired",
    "Welch t-test": "Welch",
    "one-sample t-test against the single value": "one-sample",
    "Welch t-test against the published mean and SD": "Welch",
}


def describe_difference(d: dict, compact: bool = False) -> str:
    """``+0.0023 (95% CI +0.0010 to +0.0036, Welch t-test p = 0.012)``, or the same ending in ``: not
    distinguishable with 3 seeds`` when nothing is claimed. ``compact`` (the findings' form): the interval's ends to
    three decimals (four where three would show a signed zero) and the test's short name, ``+0.0461 (95% CI +0.039 to
    +0.053, paired p = 0.0013)``."""
    low, high = d["ci95"]
    bound = _compact_bound if compact else "{:+.4f}".format
    interval = "no interval" if low is None else f"95% CI {bound(low)} to {bound(high)}"
    p = "p not defined" if d["p"] is None else f"p = {d['p']:.2g}"
    test = SHORT_TESTS.get(d["test"], d["test"]) if compact else d["test"]
    text = f"{d['difference']:+.4f} ({interval}, {test} {p})"
    seeds = max(d["n"]) if 1 in d["n"] else min(d["n"])  # against a single run: the other side's seeds
    return text if d["claimed"] else f"{text}: not distinguishable with {seeds} seed{'s' * (seeds != 1)}"


def _compact_bound(x: float) -> str:
    return f"{x:+.3f}" if abs(x) >= 0.0005 else f"{x:+.4f}"
