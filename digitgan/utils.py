"""Seeding, the machine and package versions a run records, timing, and the spread of seeds."""

from __future__ import annotations

import contextlib
import os
import platform
import random
import time
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
