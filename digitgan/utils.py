"""Seeding, the machine and package versions a run records, timing, and the t-tests every difference is read with."""

from __future__ import annotations

import contextlib
import os
import platform
import time
import warnings
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

import numpy as np

from digitgan import config


def set_seed(seed: int = config.SEED, deterministic: bool = True) -> None:
    """Seed Python, NumPy, TensorFlow and Keras; ``deterministic=False`` turns op determinism off (allows XLA)."""
    import keras
    import tensorflow as tf
    from tensorflow.python.framework import config as tf_config  # no public "disable" exists

    os.environ["PYTHONHASHSEED"] = str(seed)
    keras.utils.set_random_seed(seed)  # Python's, NumPy's, TensorFlow's and Keras' generators
    (tf.config.experimental.enable_op_determinism if deterministic else tf_config.disable_op_determinism)()


VERSIONED = ("tensorflow", "keras", "numpy", "scipy", "scikit-learn", "pandas", "matplotlib", "seaborn", "pillow")


def _installed(name: str) -> str:
    with contextlib.suppress(PackageNotFoundError):
        return version(name)
    return "not installed"


def versions() -> str:
    """One line with Python, the packages of :data:`VERSIONED`, the CPU and its thread settings."""
    m = machine()
    flags = ", ".join(f for f in ("avx512f", "amx_bf16") if f in m["cpu_flags"]) or "no avx512"
    return (
        f"Python {platform.python_version()}, {', '.join(f'{n} {_installed(n)}' for n in VERSIONED)}, "
        f"{os.cpu_count()} CPU cores: {m['cpu']} ({flags}), threads intra {m['intra_op_threads']} / inter "
        f"{m['inter_op_threads']} (0: TensorFlow's default), oneDNN {m['onednn_opts']}"
    )


def machine() -> dict:
    """What a run's numbers depend on besides its inputs: CPU model and kernel-relevant flags, threads, versions."""
    import keras
    import tensorflow as tf

    model, flags = platform.processor() or platform.machine(), []
    with contextlib.suppress(OSError):
        block = Path("/proc/cpuinfo").read_text().split("\n\n")[0]
        info = {k.strip(): v.strip() for k, _, v in (line.partition(":") for line in block.splitlines())}
        model = info.get("model name", model)
        flags = sorted(f for f in info.get("flags", "").split() if f.startswith(("avx", "amx", "fma", "f16c", "sse4")))
    return {
        "cpu": model,
        "cpu_flags": flags,
        "cores": os.cpu_count(),
        "intra_op_threads": tf.config.threading.get_intra_op_parallelism_threads(),
        "inter_op_threads": tf.config.threading.get_inter_op_parallelism_threads(),
        "tensorflow": tf.__version__,
        "keras": keras.__version__,
        "onednn": getattr(tf.sysconfig, "get_build_info", dict)().get("onednn_version") or "bundled",
        "onednn_opts": os.environ.get("TF_ENABLE_ONEDNN_OPTS", "default"),
    }


@contextlib.contextmanager
def timer():
    """``with timer() as t: ...`` then ``t["seconds"]`` holds the wall time."""
    t, start = {"seconds": 0.0}, time.perf_counter()
    try:
        yield t
    finally:
        t["seconds"] = time.perf_counter() - start


def seed_stats(grouped):
    """``mean``, ``std`` (ddof 1; NaN for a single run) and ``runs`` of each group of a pandas ``SeriesGroupBy``."""
    return grouped.agg(mean="mean", std=lambda v: float(np.std(v, ddof=1)) if len(v) > 1 else np.nan, runs="count")


def _record(diff, p, interval, test: str, n: list[int]) -> dict:
    """A t-test's record (claimed: p below 0.05); a NaN p or interval end (no spread at all) is None."""
    nan = lambda x: None if np.isnan(x) else float(x)  # noqa: E731
    ci95, claimed = [nan(x) for x in interval], bool(p < 0.05)
    return {"difference": diff, "p": nan(p), "ci95": ci95, "test": test, "n": n, "claimed": claimed}


def _values(a, enough: bool = True) -> np.ndarray:
    if len(a) < 2 or not enough:
        raise ValueError(f"a difference needs at least 2 values a side (paired: as many), got {len(a)}: run more seeds")
    return np.asarray(a, dtype=float)


def difference(a, b, paired: bool = False) -> dict:
    """``mean(a) - mean(b)``, p and 95% CI by Welch's, the paired or (a single number on one side) one-sample t-test."""
    from scipy import stats

    sign, a, b = (-1.0, b, a) if np.ndim(a) == 0 else (1.0, a, b)
    with warnings.catch_warnings(action="ignore", category=RuntimeWarning):
        if np.ndim(b) == 0:
            result, b = stats.ttest_1samp(_values(a), float(b)), float(b)
            low, high = sorted(sign * (end - b) for end in result.confidence_interval(0.95))
            n, test = [len(a), 1][:: int(sign)], "one-sample t-test against the single value"
            return _record(sign * (float(np.mean(a)) - b), result.pvalue, (low, high), test, n)
        a, b = _values(a), _values(b, not paired or len(a) == len(b))
        result = stats.ttest_rel(a, b) if paired else stats.ttest_ind(a, b, equal_var=False)
        test, n = "paired t-test" if paired else "Welch t-test", [len(a), len(b)]
        return _record(float(a.mean() - b.mean()), result.pvalue, result.confidence_interval(0.95), test, n)


def difference_from_summary(a, mean: float, std: float, n: int) -> dict:
    """:func:`difference` of the values ``a`` against a published mean and SD over ``n`` runs (Welch's t-test)."""
    from scipy import stats

    a, diff = _values(a), float(np.mean(a) - mean)
    sa, sb = a.std(ddof=1) ** 2 / len(a), std**2 / n
    p = stats.ttest_ind_from_stats(a.mean(), a.std(ddof=1), len(a), mean, std, n, equal_var=False).pvalue
    ci = stats.t.interval(0.95, (sa + sb) ** 2 / (sa**2 / (len(a) - 1) + sb**2 / (n - 1)), diff, np.sqrt(sa + sb))
    return _record(diff, p, ci, "Welch t-test against the published mean and SD", [len(a), n])


def against_spread(value: float, values) -> dict:
    """``value - mean(values)`` for one more run of what ``values`` sample: its own spread counts as theirs (the
    t-test of a new observation: standard error ``std * sqrt(1 + 1/n)``, ``n - 1`` degrees of freedom). A run that
    shares its GAN with one of ``values`` makes the test conservative."""
    from scipy import stats

    b, test = _values(values), "t-test of one run against the spread of runs"
    diff, scale, df = float(value - b.mean()), float(b.std(ddof=1) * np.sqrt(1 + 1 / len(b))), len(b) - 1
    if scale == 0:  # no spread at all: no test
        return _record(diff, np.nan, (np.nan, np.nan), test, [1, len(b)])
    return _record(
        diff, 2 * stats.t.sf(abs(diff) / scale, df), stats.t.interval(0.95, df, diff, scale), test, [1, len(b)]
    )


def holm(ps) -> list[float]:
    """Holm's step-down adjustment of the p-values ``ps`` (the same order)."""
    order = np.argsort(ps)
    adjusted = np.maximum.accumulate([min(1.0, (len(ps) - rank) * ps[i]) for rank, i in enumerate(order)])
    return [float(p) for p in adjusted[np.argsort(order)]]


SHORT_TESTS = {
    "paired t-test": "paired",
    "Welch t-test": "Welch",
    "one-sample t-test against the single value": "one-sample",
    "Welch t-test against the published mean and SD": "Welch",
    "t-test of one run against the spread of runs": "one-run",
}


def describe_difference(d: dict, compact: bool = False) -> str:
    """``+0.0023 (95% CI +0.0010 to +0.0036, Welch t-test p = 0.012)``; ``compact``: 3 decimals, a short test name."""
    low, high = d["ci95"]
    bound = (lambda x: f"{x:+.3f}" if abs(x) >= 0.0005 else f"{x:+.4f}") if compact else "{:+.4f}".format
    interval = "no interval" if low is None else f"95% CI {bound(low)} to {bound(high)}"
    p = "p not defined" if d["p"] is None else f"p = {d['p']:.2g}"
    text = f"{d['difference']:+.4f} ({interval}, {SHORT_TESTS.get(d['test'], d['test']) if compact else d['test']} {p})"
    seeds = max(d["n"]) if 1 in d["n"] else min(d["n"])  # against a single run: the other side's seeds
    return text if d["claimed"] else f"{text}: not distinguishable with {seeds} seed{'s' * (seeds != 1)}"
